"""A stand-in for the dashboard's server that speaks the contract (the brief's
DASHBOARD-API) with fixed data: it lets the pages' scripts be tested in a real browser on
their own (text shown as text, markers drawn, no console errors under the same CSP), and
draws the README's screenshots from a realistic picture. The server's own browser tests
(tests/test_browser.py) drive the real one with a seeded database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.locale.text import t

WEB = Path(__file__).resolve().parents[2] / "web"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'")
COOKIE = "tsy_session"
EVIL_SCRIPT = "<script>document.title='pwned'</script> آب نداریم"
EVIL_IMG = "<img src=x onerror=\"document.title='pwned'\"> برق رفته"

HOODS = [
    (1, "قلعه محمود", "دفتر قلعه محمود", 30.2655, 57.0550, 9, 4),
    (2, "میدان قلعه", "دفتر میدان قلعه", 30.2920, 57.0790, 3, 2),
    (3, "پامنار", "دفتر میدان قلعه", 30.2990, 57.0860, 1, 1),
    (4, "سرآسیاب", "دفتر سرآسیاب", 30.2710, 57.1120, 6, 5),
    (5, "شهرک صنعتی", "دفتر شهرک صنعتی", 30.2460, 57.1000, 2, 0),
    (6, "شرف‌آباد", "دفتر سرآسیاب", 30.3060, 57.0560, 4, 3),
]
CATEGORIES = [("water", "آب"), ("power", "برق"), ("road", "معبر و آسفالت"),
              ("waste", "پسماند"), ("social", "آسیب اجتماعی")]
STATUSES = [("received", "دریافت شد"), ("in_review", "در حال بررسی"),
            ("referred", "ارجاع به دستگاه"), ("resolved", "حل شد")]
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa(n: object) -> str:
    """Persian digits."""
    return str(n).translate(FA)


def _request(i: int) -> dict[str, Any]:
    hood = HOODS[i % len(HOODS)]
    cat = CATEGORIES[i % len(CATEGORIES)]
    status = STATUSES[i % len(STATUSES)]
    code = str(63817450 + i * 7)
    text = {0: EVIL_SCRIPT, 1: EVIL_IMG}.get(i, f"درخواست شمارهٔ {fa(i)}: لوله در کوچهٔ "
                                               f"{hood[1]} شکسته و آب هدر می‌رود.")
    return {"id": i + 1, "code": code, "code_shown": fa(code[:4] + "-" + code[4:]),
            "category": cat[0], "category_label": cat[1], "hood": hood[1], "hood_id": hood[0],
            "office": hood[2], "status": status[0], "status_label": status[1],
            "created": f"2026-11-{1 + i % 28:02d}",
            "created_jalali": f"{fa(10 + i % 20)} آبان ۱۴۰۵",
            "overdue": i % 5 == 2, "summary": text[:140], "text": text}


REQUESTS = [_request(i) for i in range(30)]
PERIOD = {"kind": "month", "label": "آذر ۱۴۰۵", "from": "2026-11-22", "to": "2026-12-21",
          "from_jalali": "۱ آذر ۱۴۰۵", "to_jalali": "۳۰ آذر ۱۴۰۵"}
FIGURES = {
    "reports": (42, 35, "گزارش میدانی"), "participants": (610, 540, "شرکت‌کننده"),
    "children": (180, 190, "کودک و نوجوان"), "needs": (17, 12, "نیاز تازه"),
    "needs_urgent": (3, 4, "نیاز فوری"), "requests_new": (30, 26, "درخواست تازه"),
    "requests_resolved": (21, 15, "درخواست حل‌شده"), "requests_open": (25, 22, "درخواست باز"),
    "requests_overdue": (6, 8, "از موعد گذشته"),
    "first_response_median_hours": (5.5, 7.0, "میانهٔ نخستین پاسخ (ساعت)"),
    "solved_rate": (0.7, 0.58, "نرخ حل"),
}
WEEKS = ["۱۰ مهر", "۱۷ مهر", "۲۴ مهر", "۱ آبان", "۸ آبان", "۱۵ آبان", "۲۲ آبان", "۲۹ آبان",
         "۶ آذر", "۱۳ آذر"]
MONTHS = ["خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر"]


def _trend(labels: list[str]) -> list[dict[str, Any]]:
    return [{"label": label, "from": f"2026-{1 + i % 12:02d}-01", "reports": 8 + (i * 5) % 9,
             "participants": 90 + (i * 37) % 70, "children": 25 + (i * 13) % 30,
             "needs_by_severity": {"low": 2 + i % 3, "medium": 1 + i % 4, "high": i % 3,
                                   "critical": i % 2},
             "requests_new": 5 + (i * 3) % 6, "requests_resolved": 3 + (i * 2) % 5,
             "requests_open": 20 + i % 7, "requests_overdue": 2 + i % 4}
            for i, label in enumerate(labels)]


def _signed_in(request: Request) -> bool:
    return request.cookies.get(COOKIE) == "ok"


def build_stub_app() -> Starlette:
    """The stand-in server: pages from web/templates, assets from web/static, fixed JSON."""
    templates = Jinja2Templates(directory=str(WEB / "templates"))

    def page(template: str, name: str) -> Any:
        async def route(request: Request) -> Response:
            ctx = {"me": {"name": "مریم احمدی", "role": "supervisor"}, "csrf": "c5rf",
                   "page": name, "tiles": {"url": "", "attribution": ""},
                   "messenger_script": "", "static": "/static/", "t": t}
            if not _signed_in(request):
                ctx["me"] = None
                return templates.TemplateResponse(request, "signin.html", ctx, status_code=401)
            return templates.TemplateResponse(request, template, ctx)
        return route

    def api(fn: Any) -> Any:
        async def route(request: Request) -> Response:
            if not _signed_in(request):
                return JSONResponse({"error": "نشست ندارید"}, status_code=401)
            return JSONResponse(fn(request))
        return route

    async def login(request: Request) -> Response:
        response = RedirectResponse("/app/", status_code=303)
        response.set_cookie(COOKIE, "ok", httponly=True, samesite="lax")
        return response

    def overview(request: Request) -> dict[str, Any]:
        return {"period": PERIOD,
                "figures": {k: {"value": v, "previous": p, "label": lab}
                            for k, (v, p, lab) in FIGURES.items()},
                "trend": {"weeks": _trend(WEEKS), "months": _trend(MONTHS)}}

    def mapdata(request: Request) -> dict[str, Any]:
        points = []
        for i, r in enumerate(REQUESTS):
            hood = HOODS[i % len(HOODS)]
            points.append({"kind": ("request", "report", "need")[i % 3],
                           "lat": hood[3] + ((i * 37) % 11 - 5) / 1500,
                           "lon": hood[4] + ((i * 53) % 11 - 5) / 1500,
                           "label": r["summary"], "url": f"/app/requests/{r['code']}"})
        return {"period": PERIOD, "tiles": {"url": "", "attribution": ""},
                "hoods": [{"id": h[0], "name": h[1], "office": h[2], "lat": h[3], "lon": h[4],
                           "approximate": True, "open_requests": h[5], "needs": h[6]}
                          for h in HOODS], "points": points}

    def filters() -> dict[str, Any]:
        return {"statuses": [{"value": v, "label": lab} for v, lab in STATUSES],
                "categories": [{"value": v, "label": lab} for v, lab in CATEGORIES],
                "hoods": [{"value": h[0], "label": h[1]} for h in HOODS],
                "offices": [{"value": o, "label": o} for o in sorted({h[2] for h in HOODS})]}

    def requests(request: Request) -> dict[str, Any]:
        q = request.query_params
        items = [r for r in REQUESTS
                 if (not q.get("status") or r["status"] == q["status"])
                 and (not q.get("category") or r["category"] == q["category"])
                 and (not q.get("hood") or str(r["hood_id"]) == q["hood"])
                 and (not q.get("overdue") or r["overdue"])
                 and (not q.get("q") or q["q"] in r["text"] or q["q"] in r["code"])]
        page_no = int(q.get("page") or 1)
        pages = max(1, (len(items) + 24) // 25)
        return {"total": len(items), "page": page_no, "pages": pages,
                "items": items[(page_no - 1) * 25: page_no * 25], "filters": filters()}

    def one(request: Request) -> dict[str, Any]:
        r = next(x for x in REQUESTS if x["code"] == request.path_params["code"])
        return {"request": {**r, "resident": "بی‌نام", "location": None, "photos": []},
                "trail": [{"when": r["created"], "when_jalali": r["created_jalali"],
                           "kind": "received", "label": "دریافت شد", "actor": "ساکن",
                           "note": r["text"], "public": True}]}

    def hood(request: Request) -> dict[str, Any]:
        h = next(x for x in HOODS if x[0] == int(request.path_params["id"]))
        return {"hood": {"id": h[0], "name": h[1], "office": h[2]},
                "months": [{"label": m, "reports": 3 + i, "participants": 40 + 5 * i,
                            "needs": i % 3, "requests_new": 2 + i % 4,
                            "requests_resolved": 1 + i % 3, "requests_open": 4 + i % 2}
                           for i, m in enumerate(MONTHS)],
                "needs": [{"title": "اعتیاد", "severity_label": "زیاد", "date_jalali": "۵ آذر",
                           "households": 12, "summary": EVIL_IMG}],
                "requests": [r for r in REQUESTS if r["hood_id"] == h[0]],
                "reports": [{"title": "کارگاه مهارت زندگی", "date_jalali": "۸ آذر",
                             "participants": 25}]}

    def forms(request: Request) -> list[dict[str, Any]]:
        return [{"name": "field_report", "title": "گزارش میدانی", "count": 42},
                {"name": "needs_assessment", "title": "نیازسنجی", "count": 17}]

    def form(request: Request) -> dict[str, Any]:
        return {"form": {"name": request.path_params["form"], "title": "گزارش میدانی"},
                "columns": [{"name": "date", "label": "تاریخ"}, {"name": "hood", "label": "محله"},
                            {"name": "participants", "label": "شرکت‌کنندگان"},
                            {"name": "note", "label": "شرح"}],
                "rows": [{"date": "۸ آذر ۱۴۰۵", "hood": "پامنار", "participants": 25,
                          "note": EVIL_SCRIPT}], "total": 1}

    def activity(request: Request) -> dict[str, Any]:
        return {"period": PERIOD, "weeks": [{"label": w, "from": ""} for w in WEEKS[-4:]],
                "people": [{"name": "علی رضایی", "office": "دفتر پامنار", "counts": [3, 0, 2, 5]}]}

    def me(request: Request) -> dict[str, Any]:
        return {"name": "مریم احمدی", "role": "supervisor", "role_label": "ناظر", "csrf": "c5rf",
                "offices": [{"id": i, "slug": f"o{i}", "name": n}
                            for i, n in enumerate(sorted({h[2] for h in HOODS}))]}

    routes = [
        Route("/app/login", login), Route("/app/", page("overview.html", "overview")),
        Route("/app/map", page("map.html", "map")),
        Route("/app/requests", page("requests.html", "requests")),
        Route("/app/requests/{code}", page("request.html", "requests")),
        Route("/app/hoods/{id:int}", page("hood.html", "hood")),
        Route("/app/forms/{form}", page("form.html", "forms")),
        Route("/app/activity", page("activity.html", "activity")),
        Route("/api/me", api(me)), Route("/api/overview", api(overview)),
        Route("/api/map", api(mapdata)), Route("/api/requests", api(requests)),
        Route("/api/requests/{code}", api(one)), Route("/api/hoods/{id:int}", api(hood)),
        Route("/api/forms", api(forms)), Route("/api/forms/{form}", api(form)),
        Route("/api/activity", api(activity)),
        Mount("/static", StaticFiles(directory=str(WEB / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(BaseHTTPMiddleware, dispatch=_csp)
    return app


async def _csp(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    response.headers["Content-Security-Policy"] = CSP
    return response
