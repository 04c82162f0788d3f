"""The bot's own web server, on loopback, over a database seeded through the real bot on
the fake messenger: the bot, its database and the web server share one event loop, run in
a thread so that Selenium's blocking calls can drive the browser meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Live:
    """A running bot with its web server; `run` calls a coroutine on its loop."""

    loop: asyncio.AbstractEventLoop
    bot: Any = None
    server: Any = None
    base: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def run(self, work: Awaitable[T], timeout: float = 60) -> T:
        """Await `work` on the server's loop and return its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)


def live_server(settings: Any, seed: Any) -> Iterator[Live]:
    """Start the sandbox bot and the web app (`web.app.build_web_app`) on a free loopback
    port; `seed(bot, live)` fills the database first; yields the running `Live`."""
    from bot.clock import SYSTEM_CLOCK, ManualClock
    from bot.sandbox import FakeBotAPI, SandboxBot
    from web.app import build_web_app
    from web.server import WebServer

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    live = Live(loop)

    async def start() -> None:
        live.bot = await SandboxBot(settings, FakeBotAPI(),
                                    clock=ManualClock(SYSTEM_CLOCK.now())).start()
        await seed(live.bot, live)
        live.server = WebServer(build_web_app(live.bot.services), "127.0.0.1", 0)
        await live.server.start()
        live.base = f"http://127.0.0.1:{live.server.port}"

    async def stop() -> None:
        if live.server is not None:
            await live.server.stop()
        if live.bot is not None:
            await live.bot.stop()

    try:
        live.run(start(), timeout=120)
        yield live
    finally:
        live.run(stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
