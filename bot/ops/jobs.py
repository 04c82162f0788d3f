"""The operations' scheduled jobs and the record of every job's runs.

- `backup` (with `BACKUP_DIR`): daily at `BACKUP_TIME` (Tehran time), a checked online
  backup with rotation, written in a worker thread so updates go on meanwhile;
- `webhook-info` (webhook mode): every minute `getWebhookInfo`, so the health check knows
  the messenger is there and whether updates pile up at it;
- every job's run (the tick that owes digests and reminders and delivers the outbox, at
  most once a minute; backups) is written as a mark for `tashilyar status`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ADDED,
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    JobEvent,
    JobExecutionEvent,
)
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.ops.backups import take_backup
from bot.ops.monitor import monitor_of
from bot.services import Services
from storage import operations

log = logging.getLogger("tashilyar.ops")
UNRECORDED = frozenset({"outbox", "webhook-info"})  # too frequent to be worth a mark
WEBHOOK_INFO_EVERY = 60.0


async def run_backup(services: Services) -> None:
    """Take today's backup, rotate, and write the 'backup' mark."""
    settings = services.settings
    assert settings.backup_dir is not None
    result = await asyncio.to_thread(take_backup, settings.database_path, settings.backup_dir,
                                     settings.backup_keep, services.clock.now())
    await operations.record(services.db, "backup", services.db.now_iso(),
                            f"{result.path.name} {result.size}")
    log.info("backup %s written (%d pages, integrity ok); %d old ones removed",
             result.path.name, result.pages, len(result.removed))


async def _backup_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily backup; a failure is logged and tried again tomorrow."""
    services: Services = context.application.bot_data["services"]
    try:
        await run_backup(services)
    except (OSError, RuntimeError) as error:
        log.error("backup failed: %s", error)


async def _webhook_info_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask the messenger how the webhook fares (the request notes the contact)."""
    monitor = monitor_of(context.application)
    try:
        info = await context.bot.get_webhook_info()
    except TelegramError as error:
        log.warning("getWebhookInfo failed (%s)", type(error).__name__)
        return
    monitor.webhook_pending = info.pending_update_count
    if info.last_error_message and info.pending_update_count:
        log.warning("the messenger reports a webhook error: %s (%d updates waiting)",
                    info.last_error_message, info.pending_update_count)


def schedule_operations(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the operations' jobs and start recording job runs (after `schedule_jobs`)."""
    services: Services = application.bot_data["services"]
    settings = services.settings
    queue = application.job_queue
    assert queue is not None
    if settings.backup_dir is not None:
        queue.run_daily(_backup_job, time=settings.backup_time.replace(tzinfo=settings.timezone),
                        name="backup", job_kwargs={"misfire_grace_time": 6 * 3600,
                                                   "coalesce": True, "max_instances": 1})
    if settings.uses_webhook:
        queue.run_repeating(_webhook_info_job, interval=WEBHOOK_INFO_EVERY, first=1.0,
                            name="webhook-info", job_kwargs={"coalesce": True,
                                                             "max_instances": 1})
    queue.scheduler.add_listener(job_recorder(application),
                                 EVENT_JOB_ADDED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)


def job_recorder(application: Application[Any, Any, Any, Any, Any, Any]
                 ) -> Callable[[JobEvent], asyncio.Task[None] | None]:
    """The scheduler listener that writes a mark for each job's run (the task writing it,
    or None). A one-off job is gone from the scheduler by the time it has run, so names
    are remembered when jobs are added."""
    queue = application.job_queue
    assert queue is not None
    scheduler = queue.scheduler
    names = {job.id: job.name for job in scheduler.get_jobs()}
    monitor = monitor_of(application)

    def on_event(event: JobEvent) -> asyncio.Task[None] | None:
        if event.code == EVENT_JOB_ADDED:
            job = scheduler.get_job(event.job_id)
            if job is not None:
                names[event.job_id] = job.name
            return None
        name = names.get(event.job_id)
        if not name or name in UNRECORDED:
            return None
        failed = isinstance(event, JobExecutionEvent) and event.exception is not None
        return application.create_task(monitor.job_ran(name, not failed), name=f"mark:{name}")

    return on_event
