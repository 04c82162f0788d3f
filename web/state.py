"""What the web routes stand on (the bot's services, its Bot for files, the update queue,
the monitor), the signed-in session of a request, and the security headers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings
from bot.locale.text import t
from bot.ops.monitor import Monitor
from bot.reports.dashboard import PeriodError
from bot.services import Services
from storage.sessions import Session, session_of

COOKIE = "tsy_session"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
MESSENGER_SCRIPT = {"telegram": "https://telegram.org/js/telegram-web-app.js",
                    "bale": "https://tapi.bale.ai/miniapp.js"}
FRAME_ANCESTORS = ("https://web.telegram.org https://*.telegram.org https://web.bale.ai "
                   "https://*.bale.ai")


@dataclass
class WebState:
    """The bot's parts the routes use; `bot` fetches photos (None: no photos),
    `update_queue` takes the webhook's updates (None: no webhook)."""

    services: Services
    templates: Jinja2Templates
    bot: Any = None
    update_queue: asyncio.Queue[object] | None = None
    monitor: Monitor | None = None

    @property
    def settings(self) -> Settings:
        """The bot's settings."""
        return self.services.settings


def state_of(request: Request) -> WebState:
    """The web state of the app serving this request."""
    found: WebState = request.app.state.web
    return found


async def session(request: Request) -> Session | None:
    """The request's live session (by its cookie), if any."""
    web = state_of(request)
    return await session_of(web.services.db, request.cookies.get(COOKIE, ""))


def error_json(status: int, key: str) -> JSONResponse:
    """A JSON error with a Persian message from the catalogue."""
    return JSONResponse({"ok": False, "error": t(key)}, status_code=status)


Handler = Callable[[Request, Session], Awaitable[Response]]


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A JSON route that needs a session (401 JSON without one)."""

    async def route(request: Request) -> Response:
        found = await session(request)
        if found is None:
            return error_json(401, "dashboard.signed_out")
        try:
            return await handler(request, found)
        except PeriodError as error:
            return error_json(400, error.key)

    return route


def tile_origin(url: str) -> str:
    """The origin of a tile URL template, for the CSP ({s}. subdomains become *.)."""
    parts = urlsplit(url.replace("{s}.", "a."))
    host = parts.netloc
    if "{s}." in url:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}" if host else ""


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """Headers every answer carries."""
    script = urlsplit(MESSENGER_SCRIPT[settings.messenger])
    tiles = tile_origin(settings.map_tiles_url) if settings.map_tiles_url else ""
    csp = ("default-src 'self'; "
           f"script-src 'self' {script.scheme}://{script.netloc}; "
           "style-src 'self'; font-src 'self'; "
           f"img-src 'self' data: {tiles}".rstrip() + "; "
           "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
           f"frame-ancestors {FRAME_ANCESTORS}")
    return [(b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin")]


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app, self.headers = app, headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, sending)
