/* One request's card: its fields, its text (as text, whatever it contains), its photos
   (served by the bot with the same access check) and its trail. Read only. */
"use strict";
(function () {
  var T = window.TSY;
  var code = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop());

  function set(id, value) { document.getElementById(id).textContent = value == null ? "" : String(value); }

  T.api("/api/requests/" + encodeURIComponent(code)).then(function (data) {
    var r = data.request;
    T.clear(document.getElementById("card"));
    set("code", r.code_shown || r.code);
    set("f-status", r.status_label || r.status);
    set("f-category", r.category_label || r.category);
    set("f-hood", r.hood);
    set("f-office", r.office);
    set("f-created", T.jdate(r.created_jalali));
    set("f-resident", r.resident || T.t("anonymous"));
    if (r.phone) {
      set("f-phone", r.phone);
      document.getElementById("f-phone").classList.remove("hidden");
      document.getElementById("f-phone-label").classList.remove("hidden");
    }
    set("f-location", r.location ? T.num(r.location.lat) + "، " + T.num(r.location.lon) : T.t("noLocation"));
    if (r.overdue) document.getElementById("f-status").appendChild(T.el("span", { className: "badge late", text: " " + T.t("overdue") }));
    document.getElementById("fields").classList.remove("hidden");
    set("text", r.text);
    var photos = document.getElementById("photos");
    (r.photos || []).forEach(function (url, i) {
      photos.appendChild(T.el("a", { href: url }, T.el("img", { src: url, alt: String(i + 1), loading: "lazy" })));
    });
    if (!(r.photos || []).length) photos.appendChild(T.el("p", { className: "meta", text: T.t("noPhotos") }));
    var trail = document.getElementById("trail");
    (data.trail || []).forEach(function (e) {
      trail.appendChild(T.el("li", { className: "item" },
        T.el("div", { className: "head" },
          T.el("strong", { text: e.label || e.kind }),
          T.el("span", { className: "badge" + (e.public ? "" : " private"), text: e.public ? T.t("public") : T.t("internal") })),
        T.el("div", { className: "meta", text: [T.jdate(e.when_jalali), e.actor].filter(Boolean).join(" · ") }),
        e.note ? T.el("p", { className: "summary", text: e.note }) : null));
    });
    document.body.setAttribute("data-ready", "1");
  }).catch(T.fail);
})();
