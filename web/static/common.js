/* What every dashboard page shares: the Persian words (from #t in base.html), building
   elements with textContent only (data never goes through innerHTML), Persian digits,
   the JSON API with its 401, the filter forms that keep the page's query string. */
"use strict";
(function () {
  var words = document.getElementById("t").dataset;
  var digits = new Intl.NumberFormat("fa-IR", { maximumFractionDigits: 1 });

  function t(key, values) {
    var s = words[key] || key;
    if (values) {
      Object.keys(values).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    }
    return s;
  }

  /* el("a", {href: "/x", className: "y"}, "text", child, ...): strings become text nodes. */
  function el(tag, props) {
    var node = document.createElement(tag);
    var p = props || {};
    Object.keys(p).forEach(function (k) {
      if (k === "className") node.className = p[k];
      else if (k === "text") node.textContent = p[k] == null ? "" : String(p[k]);
      else if (k.indexOf("data-") === 0 || k.indexOf("aria-") === 0) node.setAttribute(k, p[k]);
      else node[k] = p[k];
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  /* A Jalali date as the API gives it, in Persian digits; 1405-09-01 as ۱۴۰۵/۰۹/۰۱. */
  function jdate(s) {
    if (s == null) return "";
    s = String(s);
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s = s.split("-").join("/");
    return s.replace(/[0-9]/g, function (c) { return "۰۱۲۳۴۵۶۷۸۹".charAt(+c); });
  }

  function num(n) { return n == null || n === "" || isNaN(n) ? "—" : digits.format(n); }

  function message(text, isError) {
    var main = document.getElementById("main");
    var box = el("p", { className: "message" + (isError ? " error" : ""), text: text });
    box.setAttribute("role", isError ? "alert" : "status");
    main.insertBefore(box, main.firstChild.nextSibling);
    return box;
  }

  function api(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        var e;
        if (r.status === 401) { message(t("signedOut"), true); e = new Error("signed out"); }
        else if (!r.ok) { message(t("error"), true); e = new Error("HTTP " + r.status); }
        if (e) { e.shown = true; throw e; }
        return r.json();
      });
  }

  /* The page's own query string, to pass on to its API call unchanged. */
  function query() { return window.location.search; }
  function params() { return new URLSearchParams(window.location.search); }

  function fillSelect(select, options, emptyLabel) {
    if (!select || !options) return;
    var want = params().get(select.name);
    clear(select);
    if (emptyLabel !== null) select.appendChild(el("option", { value: "", text: emptyLabel || t("any") }));
    options.forEach(function (o) {
      var value = typeof o === "object" ? String(o.value != null ? o.value : o.id) : String(o);
      var label = typeof o === "object" ? (o.label || o.name || value) : String(o);
      select.appendChild(el("option", { value: value, text: label, selected: value === want }));
    });
  }

  /* The filter form shows what the URL asks for, sends only the fields given, and shows the
     Jalali range fields only for «بازهٔ دلخواه». */
  function filters(form) {
    if (!form) return;
    var p = params();
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!f.name || !p.has(f.name)) return;
      if (f.type === "checkbox") f.checked = p.get(f.name) === f.value;
      else f.value = p.get(f.name);
    });
    var period = form.querySelector("#period");
    function ranges() {
      form.querySelectorAll(".range").forEach(function (r) {
        r.classList.toggle("hidden", !period || period.value !== "range");
      });
    }
    if (period) { period.addEventListener("change", ranges); ranges(); }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var out = new URLSearchParams();
      new FormData(form).forEach(function (v, k) {
        if (v === "" || v == null) return;
        if ((k === "from" || k === "to") && (!period || period.value !== "range")) return;
        out.append(k, v);
      });
      var s = out.toString();
      window.location.assign((form.getAttribute("action") || window.location.pathname) + (s ? "?" + s : ""));
    });
  }

  function periodLabel(period) {
    var node = document.getElementById("period-label");
    if (!node || !period) return;
    var from = jdate(period.from_jalali), to = jdate(period.to_jalali);
    var span = from && to && from !== to ? " (" + from + " " + t("until") + " " + to + ")"
      : from ? " (" + from + ")" : "";
    node.textContent = (period.label || "") + span;
  }

  /* A list item's shape for a request, shared by the requests page and a neighbourhood. */
  function requestItem(r) {
    var head = el("div", { className: "head" },
      el("a", { className: "code", href: "/app/requests/" + encodeURIComponent(r.code), text: r.code_shown || r.code }),
      el("span", { className: "badge", text: r.status_label || r.status }));
    var meta = el("div", { className: "meta" },
      [r.category_label, r.hood, r.office, jdate(r.created_jalali)].filter(Boolean).join(" · "));
    if (r.overdue) meta.appendChild(el("span", { className: "badge late", text: " " + t("overdue") }));
    return el("li", { className: "item request", "data-code": String(r.code) }, head, meta,
      el("p", { className: "summary", dir: "auto", text: r.summary || r.text || "" }));
  }

  /* A page script's failure: the API's own are already on screen; others go to the console. */
  function fail(error) {
    if (error && error.shown) return;
    if (window.console) console.error(error);
  }

  function empty(list) { list.appendChild(el("li", { className: "meta", text: t("empty") })); }

  window.TSY = {
    t: t, el: el, clear: clear, num: num, jdate: jdate, api: api, query: query, params: params,
    fillSelect: fillSelect, filters: filters, periodLabel: periodLabel, message: message,
    requestItem: requestItem, empty: empty, fail: fail,
  };
  filters(document.getElementById("filters"));
  /* On a narrow screen the menu scrolls: keep the current page's item in view. */
  var here = document.querySelector('.top nav [aria-current="page"]');
  if (here && here.scrollIntoView) here.scrollIntoView({ block: "nearest", inline: "nearest" });
})();
