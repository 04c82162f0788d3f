"""Serve the web app with uvicorn on the bot's own event loop.

uvicorn's `serve()` would take over SIGINT/SIGTERM; the bot handles those itself, so the
server is started and shut down step by step instead (`startup`, `shutdown`), on a socket
bound here so that a busy port is one line naming WEB_PORT.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn

from bot.config import ConfigError

log = logging.getLogger("tashilyar.web")


class WebServer:
    """One uvicorn server for an ASGI app on `listen:port` (port 0: any free one)."""

    def __init__(self, app: Any, listen: str, port: int) -> None:
        self.app, self.listen, self.wanted = app, listen, port
        self.sock: socket.socket | None = None
        self.server: uvicorn.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self.sock is not None
        return int(self.sock.getsockname()[1])

    async def start(self) -> None:
        """Bind and start accepting connections."""
        family = socket.AF_INET6 if ":" in self.listen else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.listen, self.wanted))
        except OSError as error:
            sock.close()
            raise ConfigError("WEB_PORT", f"cannot listen on {self.listen}:{self.wanted} "
                              f"({error.strerror}); pick a free port") from None
        sock.listen(128)
        sock.setblocking(False)
        self.sock = sock
        config = uvicorn.Config(self.app, lifespan="off", log_config=None, access_log=False,
                                log_level="warning", timeout_graceful_shutdown=5,
                                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self.server = server

    async def stop(self) -> None:
        """Stop accepting, let the requests in hand finish (5 s at most), close."""
        if self.server is not None and self.server.started:
            await self.server.shutdown(sockets=[self.sock] if self.sock else None)
            self.server = None
        elif self.sock is not None:
            self.sock.close()
