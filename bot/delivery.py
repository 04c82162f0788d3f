"""Delivering the outbox: every notice the bot owes (status notices, staff cards, digests,
reminders), in order, through the bot.

`deliver_due` sends every owed notice whose time has come, one at a time through the bot
(and so through PTB's rate limiter, which obeys `retry_after` a few times itself). A notice
is marked sent only after the messenger accepted it; a network or server failure schedules
a retry; a blocked or vanished recipient makes it undeliverable for good. A rate limit that
outlasts the limiter's own retries ends the round, and no notice goes out until its
`retry_after` has passed. What was owed during downtime is still in the table.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.ratelimit import BULK
from storage import outbox
from storage.db import Database

log = logging.getLogger("tashilyar.outbox")


@dataclass
class _Rounds:
    """Per database: one delivery round at a time, and no round before `resume_at`."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    resume_at: datetime | None = None


_rounds: weakref.WeakKeyDictionary[Database, _Rounds] = weakref.WeakKeyDictionary()


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    retried: int = 0
    undeliverable: int = 0


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver_due(bot: Bot, db: Database) -> DeliveryReport:
    """Send what is owed now, by the database's clock (in batches, until nothing due is
    left); one round at a time, and none while the messenger's `retry_after` lasts."""
    report = DeliveryReport()
    rounds = _rounds.setdefault(db, _Rounds())
    async with rounds.lock:
        now = db.now()
        if rounds.resume_at is not None and now < rounds.resume_at:
            return report
        while notices := await outbox.due(db, now):
            for notice in notices:
                wait = await _deliver(bot, db, notice, now, report)
                if wait is not None:
                    rounds.resume_at = max(now, db.now()) + timedelta(seconds=wait)
                    log.warning("rate limited: the outbox waits %.0f s", wait)
                    return report
    return report


async def _deliver(bot: Bot, db: Database, notice: outbox.Notice, now: datetime,
                   report: DeliveryReport) -> float | None:
    """Send one notice and record the outcome; return the seconds to wait if rate-limited."""
    try:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
             for row in notice.buttons]) if notice.buttons else None
        if notice.photo is not None:
            await bot.send_photo(chat_id=notice.chat_id, photo=notice.photo,
                                 caption=notice.text[:1024], reply_markup=markup, **BULK)
        else:  # bulk: replies to people go first (bot/ratelimit.py)
            await bot.send_message(chat_id=notice.chat_id, text=notice.text,
                                   reply_markup=markup, **BULK)
    except RetryAfter as error:
        wait = _seconds(error.retry_after)
        await outbox.retry_later(db, notice.id, now + timedelta(seconds=wait), "RetryAfter")
        report.retried += 1
        return wait
    except (Forbidden, BadRequest) as error:
        await outbox.give_up(db, notice.id, type(error).__name__)
        log.info("notice %s undeliverable (%s)", notice.id, type(error).__name__)
        report.undeliverable += 1
    except TelegramError as error:
        await outbox.retry_later(db, notice.id, now + outbox.backoff(notice.attempts),
                                 type(error).__name__)
        report.retried += 1
    else:
        await outbox.mark_sent(db, notice.id, db.now())
        report.sent += 1
    return None


