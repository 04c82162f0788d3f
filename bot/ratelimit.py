"""One rate limiter for the whole bot: replies to people first, bulk sends in what is left.

The messenger allows about 30 sends a second per bot and 20 a minute per group. Every call
that carries a `chat_id` takes a slot, one slot every 1/29 s and no bursts (a slot the busy
event loop opened late may be made up, see `CATCH_UP`), so never more than 30 start in any
second. Two lanes wait for the slots: **replies** (whatever a handler sends or edits while
answering someone) and **bulk** (digests, notices and reminders from the outbox, which mark
their calls with `rate_limit_args={"bulk": True}`, see `BULK`). A slot goes to the oldest
waiting reply; a bulk send gets one only when no reply is waiting, so no bulk send ever
starts while a reply waits, and bulk sends use what the replies leave of the budget. Group
chats (negative ids) also keep their 20 a minute, in order, in either lane.

A `RetryAfter` from the messenger stops every lane until `retry_after` (+0.1 s) has
passed; then the call is tried again, up to `max_retries` times, before the error reaches
the caller (the outbox keeps the notice and retries later; nothing is dropped). Calls
without a chat (button acknowledgements, `getMe`) take no slot but wait out a pause.

Time here is the event loop's: the limiter paces real sends against the messenger's real
window, so it waits with `asyncio` and reads `loop.time()`, never the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("tashilyar.ratelimit")

PER_SECOND = 29  # below Telegram's and Bale's 30, so jitter never makes it 31
# A slot that opened late (the event loop was busy) may be made up by the next one, up to
# this much: 31 sends then still span at least 30/29 - 0.02 > 1 s, so never more than 30 in
# a second, and a busy loop does not slow the pace below 29 a second.
CATCH_UP = 0.02
GROUP_PER_MINUTE = 20
MAX_RETRIES = 3

REPLY_LANE, BULK_LANE = 0, 1
BULK_ARGS: dict[str, Any] = {"bulk": True}
# For `bot.send_message(..., **BULK)`: marks a call as bulk (the outbox's sends).
BULK: dict[str, Any] = {"rate_limit_args": BULK_ARGS}

Result = bool | JSONDict | list[JSONDict]


def _seconds(error: RetryAfter) -> float:
    """The wait in seconds, read as PTB's own limiter reads it (the public attribute warns
    of its coming change from int to timedelta)."""
    return error._retry_after.total_seconds()


class RepliesFirstLimiter(BaseRateLimiter[dict[str, Any]]):
    """Paces every send of the bot through two lanes, replies before bulk (see the module
    docstring). `per_second=0` turns pacing off (tests of thousands of updates in process):
    calls then go straight through, a `RetryAfter` included."""

    def __init__(self, per_second: float = PER_SECOND,
                 group_per_minute: int = GROUP_PER_MINUTE,
                 max_retries: int = MAX_RETRIES) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.group_max = group_per_minute
        self.group_period = 60.0
        self.max_retries = max_retries
        self._next_slot = 0.0  # loop time at which the next slot opens
        self._paused_until = 0.0  # loop time until which a `retry_after` holds every lane
        self._lanes: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._timer: asyncio.TimerHandle | None = None
        self._groups: dict[int | str, deque[float]] = {}
        self._group_locks: dict[int | str, asyncio.Lock] = {}
        self.granted = [0, 0]  # slots given to each lane so far (for figures and tests)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Release whoever still waits (the application is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for lane in self._lanes:
            while lane:
                waiter = lane.popleft()
                if not waiter.done():
                    waiter.set_result(None)

    def waiting(self, lane: int) -> int:
        """How many calls wait in a lane now."""
        return sum(1 for waiter in self._lanes[lane] if not waiter.done())

    # ----- slots ----------------------------------------------------------------------------

    def _opens_at(self) -> float:
        return max(self._next_slot, self._paused_until)

    async def _slot(self, lane: int) -> None:
        """Wait for a slot in `lane`: at once if it is open and nobody is ahead."""
        loop = asyncio.get_running_loop()
        ahead = self.waiting(REPLY_LANE) + (self.waiting(BULK_LANE) if lane == BULK_LANE else 0)
        if not ahead and loop.time() >= self._opens_at():
            self._take(lane, loop.time())
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._lanes[lane].append(waiter)
        self._arm(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._lanes[lane].remove(waiter)
            raise

    def _take(self, lane: int, now: float) -> None:
        self._next_slot = max(self._next_slot + self.interval,
                              now + self.interval - min(CATCH_UP, self.interval / 2))
        self.granted[lane] += 1

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None and any(self._lanes):
            self._timer = loop.call_at(self._opens_at(), self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        """A slot has opened: the oldest reply gets it, else the oldest bulk send."""
        self._timer = None
        now = loop.time()
        if now < self._opens_at():
            self._arm(loop)
            return
        for number, lane in enumerate(self._lanes):
            while lane:
                waiter = lane.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    self._take(number, now)
                    self._arm(loop)
                    return
        self._arm(loop)

    def _pause(self, seconds: float) -> None:
        """Hold every lane for `seconds` (the messenger's `retry_after`)."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._arm(loop)

    async def _unpaused(self) -> None:
        loop = asyncio.get_running_loop()
        while (left := self._paused_until - loop.time()) > 0:
            await asyncio.sleep(left)  # waiting out the messenger's retry_after

    # ----- groups ---------------------------------------------------------------------------

    def _group_lock(self, chat: int | str) -> asyncio.Lock:
        if len(self._group_locks) > 512:  # forget groups whose minute is long over
            for key in [k for k, lock in self._group_locks.items()
                        if not lock.locked() and not self._groups.get(k)]:
                self._group_locks.pop(key, None)
                self._groups.pop(key, None)
        return self._group_locks.setdefault(chat, asyncio.Lock())

    async def _group_room(self, chat: int | str) -> deque[float]:
        """Wait until the group has had fewer than its limit of sends in the last minute."""
        loop = asyncio.get_running_loop()
        window = self._groups.setdefault(chat, deque())
        while True:
            now = loop.time()
            while window and now - window[0] >= self.group_period:
                window.popleft()
            if len(window) < self.group_max:
                return window
            await asyncio.sleep(window[0] + self.group_period - now)  # the group's minute

    # ----- the BaseRateLimiter interface ----------------------------------------------------

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Result:
        """Run one call in its lane; obey `RetryAfter` up to `max_retries` times."""
        if not self.interval:
            return await callback(*args, **kwargs)
        lane = BULK_LANE if (rate_limit_args or {}).get("bulk") else REPLY_LANE
        chat = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat = int(chat)  # type: ignore[arg-type]
        group = chat if (isinstance(chat, int) and chat < 0) or isinstance(chat, str) else None
        for attempt in range(self.max_retries + 1):
            try:
                if chat is None:
                    await self._unpaused()
                elif group is None:
                    await self._slot(lane)
                else:
                    async with self._group_lock(group):
                        window = await self._group_room(group)
                        await self._slot(lane)
                        window.append(asyncio.get_running_loop().time())
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = _seconds(error) + 0.1
                self._pause(wait)
                if attempt == self.max_retries:
                    log.warning("%s rate limited %d times; the caller handles it (%s)",
                                endpoint, attempt + 1, error)
                    raise
                log.info("%s rate limited: every lane waits %.1f s", endpoint, wait)
        raise AssertionError("unreachable")  # the loop returns or raises
