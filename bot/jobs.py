"""The one job the bot runs on PTB's JobQueue: a tick every few seconds that owes what fell
due by the app's clock (digests, reminders, first-response reminders) and delivers the
outbox; the first a second after start is the catch-up after downtime. Jobs live in memory
only; what must happen is in the database, and the tick is re-created at every start
(`bot.app` wires it)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.planning import tick
from bot.privacy import RetentionSchedule, daily_retention

TICK_INTERVAL = 5.0


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: owe what fell due, deliver the outbox; once a day, retention."""
    await tick(context.application)
    data = context.application.bot_data
    await daily_retention(data["services"], data.setdefault("retention", RetentionSchedule()))


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the one repeating tick (the first a second after start: the catch-up)."""
    queue = application.job_queue
    assert queue is not None
    queue.run_repeating(_tick_job, interval=TICK_INTERVAL, first=1.0, name="tick",
                        job_kwargs={"misfire_grace_time": 30, "coalesce": True,
                                    "max_instances": 1})
