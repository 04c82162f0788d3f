/* A neighbourhood: its months side by side (rows the figures, columns the months), then
   its needs, requests and reports. */
"use strict";
(function () {
  var T = window.TSY;
  var id = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop());
  document.getElementById("filters").setAttribute("action", window.location.pathname);

  function months(rows) {
    var table = document.getElementById("months");
    var head = T.clear(table.tHead);
    var body = T.clear(table.tBodies[0]);
    var tr = T.el("tr", null, T.el("th"));
    rows.forEach(function (m) { tr.appendChild(T.el("th", { text: m.label })); });
    head.appendChild(tr);
    table.dataset.rows.split(";").forEach(function (pair) {
      var kv = pair.split(":");
      var row = T.el("tr", null, T.el("th", { text: kv[1] }));
      rows.forEach(function (m) { row.appendChild(T.el("td", { className: "num", text: T.num(m[kv[0]]) })); });
      body.appendChild(row);
    });
    var wrap = table.parentNode;  /* the newest month (leftmost, right to left) in view */
    wrap.scrollLeft = -wrap.scrollWidth;
  }

  /* Needs and reports: the API's Persian fields (labels, Jalali dates, names, texts). */
  function entry(x) {
    var title = x.title || x.label || x.category_label || x.form_title || "";
    var meta = Object.keys(x).filter(function (k) {
      return (/_label$|_jalali$/.test(k) || k === "author" || k === "office") && x[k] !== title &&
        typeof x[k] !== "object";
    }).map(function (k) { return /_jalali$/.test(k) ? T.jdate(x[k]) : x[k]; }).concat(
      ["participants", "households", "count"].filter(function (k) { return x[k] != null; })
        .map(function (k) { return T.num(x[k]); }));
    var text = x.summary || x.text || x.note || "";
    var item = T.el("li", { className: "item" },
      x.url ? T.el("a", { href: x.url, text: title }) : T.el("strong", { text: title }),
      T.el("div", { className: "meta", text: meta.filter(Boolean).join(" · ") }));
    if (text) item.appendChild(T.el("p", { className: "summary", text: text }));
    return item;
  }

  function fill(listId, items, make) {
    var list = T.clear(document.getElementById(listId));
    (items || []).forEach(function (x) { list.appendChild(make(x)); });
    if (!(items || []).length) T.empty(list);
  }

  T.api("/api/hoods/" + encodeURIComponent(id) + T.query()).then(function (data) {
    document.getElementById("hood-name").textContent = data.hood.name;
    document.getElementById("hood-office").textContent = data.hood.office || "";
    document.title = data.hood.name + " · " + document.title;
    months(data.months || []);
    fill("needs", data.needs, entry);
    fill("requests", data.requests, T.requestItem);
    fill("reports", data.reports, entry);
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
