"""Updates from different people are handled at the same time; one person's updates are
handled one after another, in the order they came.

PTB handles updates strictly one at a time unless told otherwise, so one slow export or a
database that is busy for a moment holds up every other person. With plain concurrency, two
quick taps from one person could race through the same form. This processor gives each
person (or, for updates with no sender, each chat) a queue of their own: their forms, taps
and commands keep their order, while other people's updates go on beside them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

RUNNING_AT_ONCE = 32  # updates being handled at the same time, across all senders
# PTB's own bound, taken before a sender's queue: PTB makes a task for every update it
# fetches whatever this is, so it bounds nothing useful, and a low value would let one
# sender's backlog behind a slow update hold every slot. Set out of reach.
QUEUED_AT_MOST = 1_000_000


def sender_key(update: object) -> int | None:
    """Whose queue an update joins: its sender, else its chat; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerSenderUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across senders, in order within one sender.

    PTB's own limit counts updates waiting in a sender's queue too, so one person flooding
    the bot could fill it and hold everyone up; here the limit on work in progress is taken
    only once an update's turn has come (a flood itself is cut short by the access gate).
    """

    def __init__(self, running_at_once: int = RUNNING_AT_ONCE) -> None:
        super().__init__(QUEUED_AT_MOST)
        self._running = asyncio.Semaphore(running_at_once)
        self._queues: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the sender's earlier updates, then handle this one."""
        key = sender_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, waiting = self._queues.get(key) or (asyncio.Lock(), 0)
        self._queues[key] = (lock, waiting + 1)
        try:
            async with lock, self._running:
                await coroutine
        finally:
            lock, waiting = self._queues[key]
            if waiting == 1:
                del self._queues[key]
            else:
                self._queues[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: the application waits for running updates itself."""
