"""The health endpoint (`HEALTH_PORT`): `GET /healthz` answers 200 `ok` while updates flow
and the outbox drains, else 503 with one reason a line; `GET /metrics` is the Prometheus
text. A plain asyncio server on the bot's own loop: two routes need no web framework, and
a scrape never blocks an update for longer than its two small queries.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.monitor import Monitor

log = logging.getLogger("tashilyar.ops")
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


async def health_answer(monitor: Monitor, method: str, path: str) -> tuple[int, str, bytes]:
    """Status, content type and body for one request."""
    path = path.split("?", 1)[0]
    if path not in ("/healthz", "/metrics"):
        return 404, "text/plain; charset=utf-8", b"not found\n"
    if method not in ("GET", "HEAD"):
        return 405, "text/plain; charset=utf-8", b"GET only\n"
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, await monitor.metrics()
    problems = await monitor.problems()
    if problems:
        return 503, "text/plain; charset=utf-8", "".join(f"{p}\n" for p in problems).encode()
    return 200, "text/plain; charset=utf-8", b"ok\n"


async def serve_health(monitor: Monitor, listen: str, port: int) -> asyncio.Server:
    """Start the endpoint on `listen:port` (port 0: any free one); the server is returned
    so that the caller can close it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here needs them
            parts = request_line.decode("latin-1").split()
            if len(parts) < 2:
                return
            status, content_type, body = await health_answer(monitor, parts[0], parts[1])
            head = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n")
            writer.write(head.encode() + (b"" if parts[0] == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        except Exception as error:  # a failed scrape must never take the bot down
            log.warning("health endpoint: %s", type(error).__name__)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, listen, port)
    return server
