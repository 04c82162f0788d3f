"""Jobs: delivering the outbox (status notices now; digests and reminders later).

`deliver_due` sends every owed notice whose time has come, one at a time through the bot
(and so through PTB's rate limiter, which obeys `retry_after`). A notice is marked sent
only after the messenger accepted it; a network or server failure or a rate limit
schedules a retry; a blocked or vanished recipient makes it undeliverable for good. The
repeating job also catches up after downtime: what was owed is still in the table.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from storage import outbox
from storage.db import Database

log = logging.getLogger("tashilyar.outbox")
OUTBOX_INTERVAL = 5.0
_locks: dict[int, asyncio.Lock] = {}


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    retried: int = 0
    undeliverable: int = 0


def _lock(db: Database) -> asyncio.Lock:
    return _locks.setdefault(id(db), asyncio.Lock())


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver_due(bot: Bot, db: Database, now: datetime | None = None) -> DeliveryReport:
    """Send what is owed now; one round at a time per database."""
    report = DeliveryReport()
    async with _lock(db):
        now = now or datetime.now(UTC)
        for notice in await outbox.due(db, now):
            try:
                await bot.send_message(chat_id=notice.chat_id, text=notice.text)
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                await outbox.retry_later(db, notice.id, now + timedelta(seconds=wait),
                                         "RetryAfter")
                report.retried += 1
            except (Forbidden, BadRequest) as error:
                await outbox.give_up(db, notice.id, type(error).__name__)
                log.info("notice %s undeliverable (%s)", notice.id, type(error).__name__)
                report.undeliverable += 1
            except TelegramError as error:
                await outbox.retry_later(db, notice.id, now + outbox.backoff(notice.attempts),
                                         type(error).__name__)
                report.retried += 1
            else:
                await outbox.mark_sent(db, notice.id, datetime.now(UTC))
                report.sent += 1
    return report


async def _outbox_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating delivery job."""
    services = context.application.bot_data["services"]
    await deliver_due(context.bot, services.db)


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the repeating jobs (called once the application is built)."""
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _outbox_job, interval=OUTBOX_INTERVAL, first=1.0, name="outbox",
        job_kwargs={"misfire_grace_time": 30, "coalesce": True, "max_instances": 1},
    )
