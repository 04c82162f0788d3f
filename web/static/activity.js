/* Facilitators' activity: one row a person, one column a week. */
"use strict";
(function () {
  var T = window.TSY;
  T.api("/api/activity" + T.query()).then(function (data) {
    T.periodLabel(data.period);
    var table = document.getElementById("activity");
    var tr = T.el("tr", null, T.el("th", { text: table.dataset.name }), T.el("th", { text: table.dataset.office }));
    data.weeks.forEach(function (w) { tr.appendChild(T.el("th", { text: w.label })); });
    T.clear(table.tHead).appendChild(tr);
    var body = T.clear(table.tBodies[0]);
    data.people.forEach(function (p) {
      var row = T.el("tr", null, T.el("td", { text: p.name }), T.el("td", { text: p.office || "" }));
      p.counts.forEach(function (n) { row.appendChild(T.el("td", { className: "num", text: T.num(n) })); });
      body.appendChild(row);
    });
    if (!data.people.length) {
      body.appendChild(T.el("tr", null, T.el("td", { colSpan: data.weeks.length + 2, text: T.t("empty") })));
    }
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
