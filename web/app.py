"""Build the one Starlette app: the webhook, /healthz, /metrics, the dashboard's sign-in,
pages, JSON API, exports and static files, with the security headers on every answer."""

from __future__ import annotations

import logging
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.ops.monitor import Monitor
from bot.services import Services
from web import agencies, api, auth, exports, open311, ops, pages
from web.server import WebServer
from web.state import STATIC, TEMPLATES, SecurityHeaders, WebState, security_headers

log = logging.getLogger("tashilyar.web")


def templates() -> Jinja2Templates:
    """The page templates, every value autoescaped."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES),
                              autoescape=select_autoescape(default=True,
                                                           default_for_string=True))
    return Jinja2Templates(env=environment)


def build_web_app(services: Services, *, bot: Any = None, update_queue: Any = None,
                  monitor: Monitor | None = None) -> Starlette:
    """The app; `bot` fetches photos and reads webhook updates, `update_queue` takes them
    (PTB's `application.update_queue`; None: no webhook route), `monitor` answers
    /healthz and /metrics."""
    routes = [*ops.routes(services.settings, with_webhook=update_queue is not None),
              *auth.routes(), *pages.routes(), *api.routes(), *exports.routes(),
              *open311.routes(), *agencies.routes(),
              Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")]
    app = Starlette(routes=routes, middleware=[
        Middleware(SecurityHeaders, headers=security_headers(services.settings))])
    app.state.web = WebState(services, templates(), bot=bot, update_queue=update_queue,
                             monitor=monitor)
    return app


async def serve_web(application: Any) -> WebServer | None:
    """Start the web server of a built PTB application when WEB_PORT (or the webhook) asks
    for one; the webhook's updates go on `application.update_queue`."""
    services: Services = application.bot_data["services"]
    settings = services.settings
    if settings.web_port is None:
        return None
    app = build_web_app(services, bot=application.bot, monitor=application.bot_data.get(
        "monitor"), update_queue=application.update_queue if settings.uses_webhook else None)
    server = WebServer(app, settings.web_listen, settings.web_port)
    await server.start()
    log.info("web server on %s:%d (%s/healthz, /metrics, /app/)", settings.web_listen,
             server.port, "the webhook, " if settings.uses_webhook else "")
    return server
