/* Inside Telegram or Bale: hand the Mini App's signed initData to /app/session for a
   session cookie, then reload the page (the server then serves the overview). */
"use strict";
(function () {
  var box = document.getElementById("signin");
  var app = (window.Telegram && window.Telegram.WebApp) || (window.Bale && window.Bale.WebApp);
  var initData = app && app.initData;
  if (app && app.ready) app.ready();
  if (app && app.expand) app.expand();
  if (!initData) { box.textContent = box.dataset.outside; return; }
  box.textContent = box.dataset.wait;
  var body = new URLSearchParams();
  body.append("init_data", initData);
  fetch("/app/session", { method: "POST", body: body, credentials: "same-origin" })
    .then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok && j.ok) { window.location.reload(); return; }
        box.classList.add("error");
        box.textContent = j.error || box.dataset.refused;
      });
    })
    .catch(function () { box.classList.add("error"); box.textContent = box.dataset.refused; });
})();
