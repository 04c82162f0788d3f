"""The dashboard's pages: small HTML shells (Jinja2, autoescaped) whose scripts fetch the
JSON API. Without a session a page is the sign-in page (401): inside the messenger its
script exchanges initData for a session; elsewhere it says how to get a link."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.locale.text import t
from storage.sessions import Session
from web import access_web
from web.state import MESSENGER_SCRIPT, session, state_of


def render(request: Request, template: str, found: Session | None, *, status: int = 200,
           page: str = "", **context: Any) -> HTMLResponse:
    """A template with the context every page gets."""
    web = state_of(request)
    settings = web.settings
    me = {"name": found.person.display_name, "role": found.person.role} if found else None
    response: HTMLResponse = web.templates.TemplateResponse(request, template, {
        "me": me, "csrf": found.csrf if found else "", "page": page,
        "tiles": {"url": settings.map_tiles_url,
                  "attribution": settings.map_tiles_attribution if settings.map_tiles_url
                  else ""},
        "messenger_script": MESSENGER_SCRIPT[settings.messenger] if settings.mini_app else "",
        "static": "/static/", "t": t, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, page: str) -> Any:
    async def route(request: Request) -> Response:
        found = await session(request)
        if found is None:
            return render(request, "signin.html", None, status=401, page="signin")
        return render(request, template, found, page=page, params=dict(request.path_params))
    return route


async def request_page(request: Request) -> Response:
    """One request's card: only for someone who may see it (else 404, as if it were not)."""
    found = await session(request)
    if found is None:
        return render(request, "signin.html", None, status=401, page="signin")
    seen = await access_web.visible_request(request, found, request.path_params["code"])
    if seen is None:
        return render(request, "message.html", found, status=404, page="requests",
                      message_key="dashboard.not_found")
    return render(request, "request.html", found, page="requests",
                  params={"code": seen.code})


async def bye(request: Request) -> Response:
    """After «خروج»."""
    return render(request, "bye.html", None, page="bye")


def routes() -> list[Route]:
    """The pages."""
    return [
        Route("/app/", _page("overview.html", "overview")),
        Route("/app", _page("overview.html", "overview")),
        Route("/app/map", _page("map.html", "map")),
        Route("/app/requests", _page("requests.html", "requests")),
        Route("/app/requests/{code}", request_page),
        Route("/app/hoods/{id:int}", _page("hood.html", "hood")),
        Route("/app/forms/{form}", _page("form.html", "forms")),
        Route("/app/activity", _page("activity.html", "activity")),
        Route("/app/bye", bye),
    ]
