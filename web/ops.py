"""The webhook (PTB's custom-webhook pattern: the update goes on `application.update_queue`),
`/healthz` (200 `ok`, or 503 with one reason a line) and `/metrics` (Prometheus).

Telegram sends the secret in a header; Bale, whose setWebhook takes only a URL, posts to a
path ending in the secret, so any other path is a 404. An update posted twice is dropped by
the application (`bot.ops.monitor`), as before.
"""

from __future__ import annotations

import hmac
import json
import logging

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.config import Settings
from web.state import state_of

log = logging.getLogger("tashilyar.web")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def webhook(request: Request) -> Response:
    """Take one update from the messenger."""
    web = state_of(request)
    settings = web.settings
    if not settings.is_bale:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), (settings.webhook_secret or "").encode()):
            return PlainTextResponse("forbidden\n", status_code=403)
    try:
        data = json.loads(await request.body())
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        return PlainTextResponse("bad update\n", status_code=400)
    assert web.update_queue is not None and web.bot is not None
    await web.update_queue.put(Update.de_json(data, web.bot))
    return Response(status_code=200)


async def healthz(request: Request) -> Response:
    """200 `ok` while updates flow and the outbox drains, else 503 with the reasons."""
    monitor = state_of(request).monitor
    if monitor is None:
        return PlainTextResponse("not found\n", status_code=404)
    problems = await monitor.problems()
    if problems:
        return PlainTextResponse("".join(f"{p}\n" for p in problems), status_code=503)
    return PlainTextResponse("ok\n")


async def metrics(request: Request) -> Response:
    """The Prometheus text, with the database figures read now."""
    monitor = state_of(request).monitor
    if monitor is None:
        return PlainTextResponse("not found\n", status_code=404)
    return Response(await monitor.metrics(), media_type=CONTENT_TYPE_LATEST)


def routes(settings: Settings, with_webhook: bool) -> list[Route]:
    """The operations' routes (the webhook only when updates arrive by webhook)."""
    found = [Route("/healthz", healthz, methods=["GET", "HEAD"]),
             Route("/metrics", metrics, methods=["GET", "HEAD"])]
    if with_webhook and settings.uses_webhook:
        found.append(Route(settings.webhook_path, webhook, methods=["POST"]))
    return found
