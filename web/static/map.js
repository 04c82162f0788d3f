/* The map: each neighbourhood a circle sized and coloured by its open requests and needs;
   requests, reports and needs that carry a location as clustered points. Tiles from the
   server's setting with their attribution, or a plain background when there are none.
   Popups and tooltips are elements built with textContent. */
"use strict";
(function () {
  var T = window.TSY;
  var L = window.L;
  var box = document.getElementById("map");
  var KERMAN = [30.2839, 57.0834];
  var map = L.map(box, { zoomControl: true, attributionControl: true, maxZoom: 18 }).setView(KERMAN, 12);
  var POINT = { request: "#c53030", report: "#2b6cb0", need: "#b7791f" };

  function tiles(t) {
    var url = (t && t.url) || box.dataset.tilesUrl;
    var attribution = (t && t.attribution) || box.dataset.tilesAttribution || "";
    if (!url) { box.classList.add("plain"); return; }
    L.tileLayer(url, { attribution: attribution, maxZoom: 18 }).addTo(map);
  }

  function colour(load, most) {
    var r = most ? load / most : 0;  /* green (quiet) → amber → red (the busiest) */
    if (r < 0.34) return "#2f855a";
    if (r < 0.67) return "#d69e2e";
    return "#c53030";
  }

  function hoodPopup(h) {
    return T.el("div", null,
      T.el("a", { href: "/app/hoods/" + encodeURIComponent(h.id), text: h.name }),
      T.el("div", { text: h.office || "" }),
      T.el("div", { text: T.num(h.open_requests) + " " + T.t("openRequests") + " · " +
        T.num(h.needs) + " " + T.t("needs") }),
      h.approximate ? T.el("div", { className: "meta", text: T.t("approximate") }) : null);
  }

  function pointPopup(p) {
    var body = p.url ? T.el("a", { href: p.url, text: p.label || p.kind }) : T.el("span", { text: p.label || p.kind });
    return T.el("div", null, body);
  }

  function draw(data) {
    tiles(data.tiles);
    var bounds = [];
    var hoods = data.hoods || [];
    var most = 0;
    hoods.forEach(function (h) { most = Math.max(most, (h.open_requests || 0) + (h.needs || 0)); });
    var hoodLayer = L.featureGroup().addTo(map);
    hoods.forEach(function (h) {
      if (h.lat == null || h.lon == null) return;
      var load = (h.open_requests || 0) + (h.needs || 0);
      var c = colour(load, most);
      L.circleMarker([h.lat, h.lon], {
        radius: 8 + (most ? 22 * Math.sqrt(load / most) : 0), color: c, fillColor: c,
        fillOpacity: 0.35, weight: 2, className: "hood-marker",
      }).bindPopup(hoodPopup(h)).bindTooltip(T.el("span", { text: h.name })).addTo(hoodLayer);
      bounds.push([h.lat, h.lon]);
    });
    var cluster = L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 40,
      iconCreateFunction: function (c) {  /* the count in Persian digits; built, not parsed */
        var n = c.getChildCount();
        var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
        var icon = L.divIcon({ html: "", className: "marker-cluster marker-cluster-" + size,
          iconSize: L.point(40, 40) });
        icon.createIcon = function (old) {
          var div = L.DivIcon.prototype.createIcon.call(this, old);
          T.clear(div).appendChild(T.el("div", null, T.el("span", { text: T.num(n) })));
          return div;
        };
        return icon;
      },
    });
    (data.points || []).forEach(function (p) {
      if (p.lat == null || p.lon == null) return;
      var c = POINT[p.kind] || "#4a5568";
      cluster.addLayer(L.circleMarker([p.lat, p.lon], {
        radius: 6, color: "#fff", weight: 1, fillColor: c, fillOpacity: 0.9, className: "point-marker",
      }).bindPopup(pointPopup(p)));
      bounds.push([p.lat, p.lon]);
    });
    map.addLayer(cluster);
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
    box.setAttribute("data-hoods", String(hoodLayer.getLayers().length));
    box.setAttribute("data-points", String(cluster.getLayers().length));
    document.body.setAttribute("data-ready", "1");
  }

  T.api("/api/map" + T.query()).then(function (data) {
    T.periodLabel(data.period);
    if (data.filters) {
      T.fillSelect(document.getElementById("category"), data.filters.categories);
      T.fillSelect(document.getElementById("status"), data.filters.statuses);
    } else {
      T.api("/api/requests?page=1").then(function (r) {
        T.fillSelect(document.getElementById("category"), (r.filters || {}).categories);
        T.fillSelect(document.getElementById("status"), (r.filters || {}).statuses);
      }).catch(T.fail);
    }
    draw(data);
  }).catch(function (e) { tiles(null); T.fail(e); });
})();
