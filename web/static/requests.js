/* The requests the session may see: filters from the API's lists, the page's query string
   passed to the API and to the exports unchanged (exactly what is on screen), pages. */
"use strict";
(function () {
  var T = window.TSY;
  var list = document.getElementById("requests");

  function pageLink(node, page, pages) {
    if (page < 1 || page > pages) { node.classList.add("hidden"); return; }
    var p = T.params();
    p.set("page", String(page));
    node.href = "/app/requests?" + p.toString();
    node.classList.remove("hidden");
  }

  var q = T.query();
  document.getElementById("export-xlsx").href = "/app/export/requests.xlsx" + q;
  document.getElementById("export-csv").href = "/app/export/requests.csv" + q;

  T.api("/api/requests" + q).then(function (data) {
    var f = data.filters || {};
    T.fillSelect(document.getElementById("status"), f.statuses);
    T.fillSelect(document.getElementById("category"), f.categories);
    T.fillSelect(document.getElementById("hood"), f.hoods);
    T.fillSelect(document.getElementById("office"), f.offices);
    T.clear(list);
    (data.items || []).forEach(function (r) { list.appendChild(T.requestItem(r)); });
    if (!(data.items || []).length) T.empty(list);
    document.getElementById("total").textContent = T.t("total", { n: T.num(data.total || 0) });
    var pages = data.pages || 1;
    document.getElementById("page-of").textContent =
      T.t("pageOf", { page: T.num(data.page || 1), pages: T.num(pages) });
    pageLink(document.getElementById("prev"), (data.page || 1) - 1, pages);
    pageLink(document.getElementById("next"), (data.page || 1) + 1, pages);
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
