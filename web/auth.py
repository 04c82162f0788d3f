"""Sign-in with no password: `POST /app/session` (a Mini App's signed initData), `GET
/app/login?token=` (the one-time link `/dashboard` sends), `POST /app/logout`; and the
CSRF check every POST of a session passes."""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.access import STAFF_ROLES
from storage import sessions
from storage.people import get_person
from storage.sessions import Session
from web.initdata import InitDataError, check_init_data
from web.pages import render
from web.state import COOKIE, error_json, session, state_of

log = logging.getLogger("tashilyar.web")


def set_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure on https, 12 hours."""
    secure = state_of(request).settings.public_url is not None and (
        state_of(request).settings.public_url or "").startswith("https://")
    response.set_cookie(COOKIE, token, max_age=sessions.SESSION_HOURS * 3600, path="/",
                        httponly=True, samesite="lax", secure=secure)


async def csrf_ok(request: Request, found: Session) -> bool:
    """Whether a POST carries the session's CSRF token (form field or header)."""
    given = request.headers.get("X-CSRF-Token", "")
    if not given:
        form = await request.form()
        value = form.get("csrf", "")
        given = value if isinstance(value, str) else ""
    return bool(given) and hmac.compare_digest(given.encode(), found.csrf.encode())


async def open_session(request: Request) -> Response:
    """Exchange a Mini App's initData for a session cookie (active staff only)."""
    web = state_of(request)
    form = await request.form()
    raw = form.get("init_data", "")
    token = web.settings.bot_token or ""
    try:
        user = check_init_data(raw if isinstance(raw, str) else "", token, web.services.clock.now())
    except InitDataError as error:
        log.info("dashboard sign-in refused: %s", error)
        return error_json(403, "dashboard.refused")
    person = await get_person(web.services.db, user.user_id)
    if person is None or not person.active or person.role not in STAFF_ROLES:
        log.info("dashboard sign-in refused: not active staff")
        return error_json(403, "dashboard.refused")
    cookie, _ = await sessions.create_session(web.services.db, person.id)
    response = JSONResponse({"ok": True})
    set_cookie(request, response, cookie)
    return response


async def login(request: Request) -> Response:
    """A one-time link: a session and on to the overview, or a 403 page."""
    web = state_of(request)
    person_id = await sessions.redeem_login_link(web.services.db,
                                                 request.query_params.get("token", ""))
    if person_id is None:
        return render(request, "message.html", None, status=403,
                      message_key="dashboard.link_refused")
    cookie, found = await sessions.create_session(web.services.db, person_id)
    if not found.person.is_staff:
        await sessions.revoke(web.services.db, cookie)
        return render(request, "message.html", None, status=403,
                      message_key="dashboard.link_refused")
    response = RedirectResponse("/app/", status_code=303)
    set_cookie(request, response, cookie)
    return response


async def logout(request: Request) -> Response:
    """End the session («خروج») and say so."""
    found = await session(request)
    if found is None:
        return RedirectResponse("/app/bye", status_code=303)
    if not await csrf_ok(request, found):
        return error_json(403, "dashboard.csrf")
    await sessions.revoke(state_of(request).services.db, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/app/bye", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def routes() -> list[Route]:
    """The sign-in routes."""
    return [Route("/app/session", open_session, methods=["POST"]),
            Route("/app/login", login, methods=["GET"]),
            Route("/app/logout", logout, methods=["POST"])]
