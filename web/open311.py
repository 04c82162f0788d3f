"""Open311 GeoReport v2, read-only, on the web server (issue 22): /open311/v2/discovery,
services, requests and requests/{code}, each in .json or .xml. The answers are
`bot.open311`'s (an agency's referrals only, no personal data; 403 without a valid
`api_key`); these routes only read the query and render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import open311
from web.state import WebState

PREFIX = "/open311/v2"


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _answer(answer: open311.Answer, fmt: str) -> Response:
    content_type, body = answer.render(fmt)
    return Response(body, status_code=answer.status, media_type=None,
                    headers={"content-type": content_type, "cache-control": "no-store"})


def _format(request: Request) -> str | None:
    fmt = request.path_params.get("fmt", "")
    return fmt if fmt in ("json", "xml") else None


def _services(state: WebState) -> list[open311.Service]:
    form = state.services.forms.get("resident_request")
    return open311.services_from_form(form) if form else []


def points(state: WebState) -> dict[tuple[str, str], open311.Point]:
    """Each neighbourhood's approximate place, from the organisation file."""
    return {(o.slug, h.slug): (h.lat, h.lon) for o in state.services.org.offices
            for h in o.neighbourhoods if h.lat is not None and h.lon is not None}


async def discovery(request: Request) -> Response:
    """discovery.json|xml: where the endpoint is."""
    fmt, state = _format(request), _state(request)
    if fmt is None:
        return Response(status_code=404)
    base = (state.services.settings.public_url or str(request.base_url)).rstrip("/") + PREFIX
    return _answer(open311.discovery(base, state.services.db.now(), "",
                                     "tashilyar apikey --agency SLUG"), fmt)


async def services(request: Request) -> Response:
    """services.json|xml: the request categories."""
    fmt = _format(request)
    if fmt is None:
        return Response(status_code=404)
    return _answer(open311.services_answer(_services(_state(request))), fmt)


async def service_requests(request: Request) -> Response:
    """requests.json|xml: the key's agency's referrals (filtered, at most 1,000)."""
    fmt, state = _format(request), _state(request)
    if fmt is None:
        return Response(status_code=404)
    settings = state.services.settings
    answer = await open311.service_requests(
        state.services.db, state.services.org, _services(state), dict(request.query_params),
        now=state.services.db.now(), tz=settings.timezone, points=points(state))
    return _answer(answer, fmt)


async def service_request(request: Request) -> Response:
    """requests/{code}.json|xml: one referral of the key's agency."""
    fmt, state = _format(request), _state(request)
    if fmt is None:
        return Response(status_code=404)
    answer = await open311.service_request(
        state.services.db, state.services.org, _services(state), request.path_params["code"],
        dict(request.query_params), tz=state.services.settings.timezone, points=points(state))
    return _answer(answer, fmt)


def routes() -> list[Route]:
    """The GeoReport v2 routes (GET only)."""
    return [Route(PREFIX + "/discovery.{fmt}", discovery, methods=["GET"]),
            Route(PREFIX + "/services.{fmt}", services, methods=["GET"]),
            Route(PREFIX + "/requests.{fmt}", service_requests, methods=["GET"]),
            Route(PREFIX + "/requests/{code}.{fmt}", service_request, methods=["GET"])]
