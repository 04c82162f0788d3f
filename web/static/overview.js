/* The overview: the period's figures with their change against the period before, and
   trends by week or by Jalali month drawn with uPlot (labels from the API, Persian). */
"use strict";
(function () {
  var T = window.TSY;
  var ORDER = ["reports", "participants", "children", "needs", "needs_urgent", "requests_new",
    "requests_resolved", "requests_open", "requests_overdue", "first_response_median_hours",
    "solved_rate"];
  /* Figures where a rise is bad news: their arrows are coloured the other way round. */
  var WORSE_UP = { requests_open: 1, requests_overdue: 1, needs_urgent: 1, first_response_median_hours: 1 };
  var COLOURS = ["#0b6e4f", "#2b6cb0", "#b7791f", "#c53030", "#6b46c1"];
  var trend = null;
  var charts = [];

  function shown(key, v) {
    if (v == null) return "—";
    if (key === "solved_rate") return T.num(Math.round((v <= 1 ? v * 100 : v))) + "٪";
    return T.num(key === "first_response_median_hours" ? Math.round(v * 10) / 10 : v);
  }

  function change(key, f) {
    var node = T.el("div", { className: "change" });
    if (f.previous == null || f.value == null) return node;
    var d = f.value - f.previous;
    if (key === "solved_rate" && Math.abs(f.value) <= 1 && Math.abs(f.previous) <= 1) d *= 100;
    d = Math.round(d * 10) / 10;
    if (d === 0) { node.textContent = T.t("noChange"); return node; }
    node.classList.add(d > 0 ? "up" : "down");
    if (WORSE_UP[key]) node.classList.add("worse");
    node.textContent = (d > 0 ? "▲ " : "▼ ") + T.num(Math.abs(d)) + (key === "solved_rate" ? "٪" : "") +
      " · " + T.t("previous") + " " + shown(key, f.previous);
    return node;
  }

  function figures(data) {
    var box = T.clear(document.getElementById("figures"));
    var keys = ORDER.filter(function (k) { return data[k]; });
    Object.keys(data).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    keys.forEach(function (k) {
      var f = data[k];
      box.appendChild(T.el("div", { className: "figure", "data-key": k },
        T.el("div", { className: "label", text: f.label }),
        T.el("div", { className: "value", text: shown(k, f.value) }),
        change(k, f)));
    });
  }

  function chart(title, rows, series) {
    var box = T.el("div", { className: "chart" }, T.el("h3", { text: title }));
    var plot = T.el("div", { dir: "ltr" });
    box.appendChild(plot);
    document.getElementById("charts").appendChild(box);
    var labels = rows.map(function (r) { return r.label; });
    var xs = rows.map(function (_, i) { return i; });
    var data = [xs].concat(series.map(function (s) { return rows.map(s.get); }));
    var font = "11px Vazirmatn, Tahoma, sans-serif";
    var opts = {
      width: Math.max(260, plot.clientWidth || box.clientWidth - 10), height: 190,
      scales: { x: { time: false } },
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { font: font, incrs: [1, 2, 3, 4, 6, 12], space: 46,
          values: function (u, splits) {
            return splits.map(function (i) { return Number.isInteger(i) && labels[i] ? labels[i] : ""; });
          } },
        { font: font, size: 42, values: function (u, splits) { return splits.map(T.num); } },
      ],
      series: [{ label: "", value: function (u, i) { return i == null ? "" : labels[i] || ""; } }]
        .concat(series.map(function (s, i) {
          return { label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2,
            value: function (u, v) { return T.num(v); } };
        })),
    };
    charts.push(new window.uPlot(opts, data, plot));
  }

  function draw(which) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    T.clear(document.getElementById("charts"));
    document.getElementById("by-week").setAttribute("aria-pressed", String(which === "weeks"));
    document.getElementById("by-month").setAttribute("aria-pressed", String(which === "months"));
    var rows = (trend && trend[which]) || [];
    if (!rows.length || !window.uPlot) return;
    function field(name) { return function (r) { return r[name]; }; }
    function severity(name) { return function (r) { return (r.needs_by_severity || {})[name] || 0; }; }
    chart(T.t("chartReports") + " · " + T.t("chartParticipants"), rows, [
      { label: T.t("chartReports"), get: field("reports") },
      { label: T.t("chartParticipants"), get: field("participants") },
      { label: T.t("chartChildren"), get: field("children") },
    ]);
    chart(T.t("chartNeeds"), rows, ["low", "medium", "high", "critical"].map(function (s) {
      return { label: T.t("severity" + s.charAt(0).toUpperCase() + s.slice(1)), get: severity(s) };
    }));
    chart(T.t("chartRequests"), rows, [
      { label: T.t("requestsNew"), get: field("requests_new") },
      { label: T.t("requestsResolved"), get: field("requests_resolved") },
      { label: T.t("requestsOpen"), get: field("requests_open") },
      { label: T.t("requestsOverdue"), get: field("requests_overdue") },
    ]);
  }

  document.getElementById("by-week").addEventListener("click", function () { draw("weeks"); });
  document.getElementById("by-month").addEventListener("click", function () { draw("months"); });

  T.api("/api/me").then(function (me) {
    if (me.offices && me.offices.length > 1) {
      T.fillSelect(document.getElementById("office"), me.offices.map(function (o) {
        return { value: o.id, label: o.name };
      }));
      document.getElementById("office-box").classList.remove("hidden");
    }
  }).catch(T.fail);
  T.api("/api/overview" + T.query()).then(function (data) {
    T.periodLabel(data.period);
    figures(data.figures || {});
    trend = data.trend || {};
    draw("weeks");
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
