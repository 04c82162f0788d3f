/* One form's submissions (field reports, needs, any XLSForm) with the form's own columns;
   the exports carry the same query string, so they hold exactly what is on screen. */
"use strict";
(function () {
  var T = window.TSY;
  var form = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop());
  var q = T.query();
  document.getElementById("filters").setAttribute("action", window.location.pathname);
  document.getElementById("export-xlsx").href = "/app/export/forms/" + encodeURIComponent(form) + ".xlsx" + q;
  document.getElementById("export-csv").href = "/app/export/forms/" + encodeURIComponent(form) + ".csv" + q;

  var pick = document.getElementById("form-pick");
  pick.addEventListener("change", function () {
    window.location.assign("/app/forms/" + encodeURIComponent(pick.value) + q);
  });
  T.api("/api/forms").then(function (forms) {
    T.clear(pick);
    forms.forEach(function (f) {
      pick.appendChild(T.el("option", { value: f.name, selected: f.name === form,
        text: f.title + " (" + T.num(f.count) + ")" }));
    });
  }).catch(T.fail);
  T.api("/api/me").then(function (me) {
    if (me.offices && me.offices.length > 1) {
      T.fillSelect(document.getElementById("office"), me.offices.map(function (o) {
        return { value: o.id, label: o.name };
      }));
      document.getElementById("office-box").classList.remove("hidden");
    }
  }).catch(T.fail);

  function cell(v) {
    if (v == null) return T.el("td", { text: "" });
    if (typeof v === "number") return T.el("td", { className: "num", text: T.num(v) });
    if (Array.isArray(v)) return T.el("td", { text: v.join("، ") });
    if (typeof v === "object") return T.el("td", { text: v.label || v.name || JSON.stringify(v) });
    return T.el("td", { text: String(v) });
  }

  T.api("/api/forms/" + encodeURIComponent(form) + q).then(function (data) {
    document.getElementById("form-title").textContent = data.form.title;
    document.title = data.form.title + " · " + document.title;
    document.getElementById("total").textContent = T.t("total", { n: T.num(data.total || 0) });
    var table = document.getElementById("rows");
    var tr = T.el("tr");
    data.columns.forEach(function (c) { tr.appendChild(T.el("th", { text: c.label })); });
    T.clear(table.tHead).appendChild(tr);
    var body = T.clear(table.tBodies[0]);
    data.rows.forEach(function (row) {
      var r = T.el("tr");
      data.columns.forEach(function (c) { r.appendChild(cell(row[c.name])); });
      body.appendChild(r);
    });
    if (!data.rows.length) {
      body.appendChild(T.el("tr", null, T.el("td", { colSpan: data.columns.length || 1, text: T.t("empty") })));
    }
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
