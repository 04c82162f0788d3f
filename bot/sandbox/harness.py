"""Run the real application in process against the fake server, with no token.

`SandboxBot` builds the same `Application` as `tashilyar run`, but its requests go to a
`FakeBotAPI` and updates are handed to `process_update` one by one, so a test (or the
console) knows exactly when the bot has finished with each: no sleeps, no polling.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import announce_commands, build_application, open_services, start_jobs
from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.sandbox.fake_api import ChatMessage, FakeBotAPI
from bot.sandbox.transport import FakeRequest
from bot.sandbox.users import SimUser
from handlers.context import acknowledgements_sent
from storage.db import Database

SANDBOX_TOKEN = "123456:SANDBOX"


class SandboxBot:
    """The real application wired to a fake messenger; use `async with SandboxBot(...)`."""

    def __init__(
        self, settings: Settings, api: FakeBotAPI | None = None, *, jobs: bool = False,
        rate_limit: bool = True, clock: Clock | None = None,
    ) -> None:
        self.settings = replace(settings, bot_token=settings.bot_token or SANDBOX_TOKEN)
        self.clock = clock or SYSTEM_CLOCK  # the bot's one clock (a test's stands anywhere)
        self.api = api or FakeBotAPI()
        self.jobs = jobs  # repeating jobs off by default: tests deliver the outbox themselves
        self.rate_limit = rate_limit
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.db: Database | None = None

    async def start(self) -> SandboxBot:
        """Open storage, build and start the application (job queue included)."""
        self.services = await open_services(self.settings, self.clock)
        self.db = self.services.db
        self.application = build_application(self.services, request=FakeRequest(self.api),
                                             rate_limit=self.rate_limit)
        await self.application.initialize()
        await announce_commands(self.application)
        if self.jobs:
            start_jobs(self.application)
        await self.application.start()
        return self

    async def stop(self) -> None:
        """Stop the application and close the database."""
        if self.application is not None:
            if self.application.running:
                await self.application.stop()
            await acknowledgements_sent()
            await self.application.shutdown()
        if self.db is not None:
            await self.db.close()

    async def __aenter__(self) -> SandboxBot:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def user(self, user_id: int, first_name: str, **kwargs: Any) -> SimUser:
        """A simulated person in a private chat with the bot."""
        return SimUser(self.api, user_id, first_name, **kwargs)

    async def deliver(self) -> int:
        """Process every queued update, in order; return how many."""
        assert self.application is not None, "start() the sandbox first"
        delivered = 0
        while updates := self.api.take_updates():
            for data in updates:
                update = Update.de_json(data, self.application.bot)
                await self.application.process_update(update)
                await acknowledgements_sent()
                delivered += 1
        return delivered

    async def deliver_concurrently(self) -> int:
        """Process every queued update at the same time (as a concurrent bot would)."""
        assert self.application is not None, "start() the sandbox first"
        application = self.application
        updates = [Update.de_json(data, application.bot) for data in self.api.take_updates()]
        await asyncio.gather(*(application.process_update(u) for u in updates))
        await acknowledgements_sent()
        return len(updates)

    async def say(self, user: SimUser, text: str) -> list[ChatMessage]:
        """The person sends a text; return what the bot sent or edited in reply."""
        mark = self.api.last_seq
        user.send_text(text)
        await self.deliver()
        return user.messages(mark)

    async def tap(self, user: SimUser, label: str) -> list[ChatMessage]:
        """The person taps a button by its label; return what the bot sent or edited."""
        mark = self.api.last_seq
        user.tap(label)
        await self.deliver()
        return user.messages(mark)

    async def act(self, user: SimUser, action: str, *args: Any) -> list[ChatMessage]:
        """Any SimUser action by name (send_photo, send_location …); return the bot's reply."""
        mark = self.api.last_seq
        getattr(user, action)(*args)
        await self.deliver()
        return user.messages(mark)
