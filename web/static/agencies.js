/* The agency table: one row an agency, its figures in the period and a weekly trend of
   referrals (and «done») as a row of small bars. */
"use strict";
(function () {
  var T = window.TSY;
  function hours(h, label) { return h === null ? "—" : T.num(h) + " " + label; }
  T.api("/api/agencies" + T.query()).then(function (data) {
    T.periodLabel(data.period);
    var table = document.getElementById("agencies");
    var tr = T.el("tr");
    table.dataset.columns.split("|").concat([table.dataset.trend]).forEach(function (c) {
      tr.appendChild(T.el("th", { text: c }));
    });
    T.clear(table.tHead).appendChild(tr);
    var body = T.clear(table.tBodies[0]);
    data.agencies.forEach(function (a) {
      var row = T.el("tr", null, T.el("td", { text: a.name }));
      [a.referred, a.acknowledged, a.done, a.not_ours].forEach(function (n) {
        row.appendChild(T.el("td", { className: "num", text: T.num(n) }));
      });
      row.appendChild(T.el("td", { className: "num", text: hours(a.median_ack_hours, table.dataset.hours) }));
      row.appendChild(T.el("td", { className: "num", text: hours(a.median_act_hours, table.dataset.hours) }));
      row.appendChild(T.el("td", { className: "num", text: T.num(a.overdue) }));
      var most = Math.max.apply(null, a.trend.map(function (w) { return w.referred; }).concat([1]));
      var bars = T.el("td", { className: "trend" });
      a.trend.forEach(function (w, i) {
        var bar = T.el("span", { className: "bar", title: data.weeks[i].label + ": " + T.num(w.referred) + " / " + T.num(w.done) });
        bar.style.display = "inline-block";
        bar.style.width = "6px";
        bar.style.marginInlineEnd = "2px";
        bar.style.height = Math.max(2, Math.round(24 * w.referred / most)) + "px";
        bar.style.background = w.done >= w.referred && w.referred ? "#2e7d32" : "#1565c0";
        bars.appendChild(bar);
      });
      row.appendChild(bars);
      body.appendChild(row);
    });
    if (!data.agencies.length) {
      body.appendChild(T.el("tr", null, T.el("td", { colSpan: 9, text: table.dataset.empty })));
    }
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
