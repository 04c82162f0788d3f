"""Kept for code written against the old single module: the tick lives in `bot.jobs`,
outbox delivery in `bot.delivery`, and digest and reminder planning in `bot.planning`."""

from bot.delivery import DeliveryReport, deliver_due
from bot.jobs import TICK_INTERVAL, schedule_jobs
from bot.planning import (
    LATE_AFTER,
    digest_times,
    enqueue_due_digests,
    enqueue_reminders,
    labels_from,
    reminder_due,
    scope_of,
    tick,
)

__all__ = [
    "LATE_AFTER",
    "TICK_INTERVAL",
    "DeliveryReport",
    "deliver_due",
    "digest_times",
    "enqueue_due_digests",
    "enqueue_reminders",
    "labels_from",
    "reminder_due",
    "schedule_jobs",
    "scope_of",
    "tick",
]
