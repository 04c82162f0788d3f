"""The jobs the bot runs on PTB's JobQueue: outbox delivery every few seconds, the planning
tick at digest and reminder times (and once right after start, to catch up after downtime).
Jobs live in memory only; what must happen is in the database, and they are re-created at
every start (`bot.app` wires them)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.delivery import deliver_due
from bot.planning import case_tick, tick

OUTBOX_INTERVAL = 5.0
CASE_INTERVAL = 600.0  # first-response reminders are looked for every ten minutes


async def _outbox_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating delivery job."""
    services = context.application.bot_data["services"]
    await deliver_due(context.bot, services.db)


async def _case_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating first-response check."""
    await case_tick(context.application)


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Digest times, the reminder time, and once at start (to catch up after downtime)."""
    await tick(context.application)


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the jobs: outbox delivery every few seconds; digests and reminders at their
    times (PTB's Defaults carry the time zone); one catch-up tick right after start."""
    queue = application.job_queue
    assert queue is not None
    settings: Settings = application.bot_data["services"].settings
    once = {"misfire_grace_time": 6 * 3600, "coalesce": True, "max_instances": 1}
    queue.run_repeating(_outbox_job, interval=OUTBOX_INTERVAL, first=1.0, name="outbox",
                        job_kwargs={"misfire_grace_time": 30, "coalesce": True,
                                    "max_instances": 1})
    for name, moment in (("daily-digest", settings.digest_time),
                         ("morning-digests", settings.morning_digest_time),
                         ("reminders", settings.reminder_time)):
        queue.run_daily(_tick_job, time=moment.replace(tzinfo=settings.timezone), name=name,
                        job_kwargs=once)
    queue.run_repeating(_case_job, interval=CASE_INTERVAL, first=CASE_INTERVAL, name="case",
                        job_kwargs={"misfire_grace_time": 300, "coalesce": True,
                                    "max_instances": 1})
    queue.run_once(_tick_job, when=2.0, name="catch-up", job_kwargs=once)


