"""The bot watching itself: a heartbeat, Prometheus metrics and the health verdict.

`InstrumentedApplication` is PTB's `Application` with one addition around
`process_update`: it counts every update by kind, times its handling, drops an update the
messenger posted twice (a webhook whose answer was lost is posted again), and notes when
the last update was handled, in memory and, at most every `FLUSH_EVERY`, in the database
(`storage.operations`) for `tashilyar status`. The requests to the messenger
(`bot.ops.network`) report each answer here: errors by code, and the last contact.

Every time is read from the services' clock, so a test's `ManualClock` decides whether
updates are flowing and whether the outbox drains.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application

from bot.services import Services
from storage import operations

log = logging.getLogger("tashilyar.ops")

FLUSH_EVERY = timedelta(seconds=10)  # the 'update' mark is written at most this often
CONTACT_STALE = timedelta(minutes=3)  # no answer from the messenger for this long: unhealthy
UPDATES_STALE = timedelta(minutes=3)  # updates wait at the messenger, none handled this long
MARK_EVERY = timedelta(minutes=1)  # a job's run is written at most this often
OUTBOX_STUCK = timedelta(minutes=10)  # a notice owed this long and not sent: unhealthy
DUPLICATE_WINDOW = 600.0  # seconds an update id is remembered, to drop a second delivery
DUPLICATES_REMEMBERED = 10_000


def update_kind(update: Update) -> str:
    """A coarse label for metrics: command, text, callback, photo, location …"""
    if update.callback_query is not None:
        return "callback"
    if update.edited_message is not None:
        return "edited"
    message = update.message
    if message is None:
        return "other"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    for kind in ("photo", "document", "voice", "location", "contact", "sticker", "video"):
        if getattr(message, kind):
            return kind
    return "other"


class _DatabaseFigures(Collector):
    """Figures read from the database just before a scrape (`Monitor.metrics`)."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}

    def collect(self) -> Any:
        """Notices delivered by kind (digests among them)."""
        family = CounterMetricFamily("tashilyar_outbox_sent", "Notices delivered, by kind",
                                     labels=["kind"])
        for kind, count in sorted(self.sent.items()):
            family.add_metric([kind], count)
        yield family
        digests = CounterMetricFamily("tashilyar_digests_sent", "Digests delivered")
        digests.add_metric([], self.sent.get("digest", 0))
        yield digests


class Monitor:
    """Heartbeat, metrics and health of one running bot."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.clock = services.clock
        self.marked: dict[str, datetime] = {}  # when each job's run was last written
        self.registry = CollectorRegistry()
        self.updates = Counter("tashilyar_updates", "Updates handled, by kind", ["kind"],
                               registry=self.registry)
        self.duplicates = Counter("tashilyar_duplicate_updates",
                                  "Updates delivered again and dropped", registry=self.registry)
        self.latency = Histogram(
            "tashilyar_handler_seconds", "Time to handle one update", registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.errors = Counter("tashilyar_messenger_errors",
                              "Failed calls to the messenger, by HTTP status (or network)",
                              ["code"], registry=self.registry)
        self.backlog = Gauge("tashilyar_outbox_backlog", "Notices owed and not yet sent, by kind",
                             ["kind"], registry=self.registry)
        self.oldest = Gauge("tashilyar_outbox_oldest_seconds",
                            "Age of the oldest notice owed and not sent", registry=self.registry)
        self.last_update_age = Gauge("tashilyar_last_update_seconds",
                                     "Seconds since the last update was handled",
                                     registry=self.registry)
        self._figures = _DatabaseFigures()
        self.registry.register(self._figures)
        self.last_update: datetime | None = None
        self.last_contact: datetime | None = None
        self.webhook_pending = 0  # updates waiting at the messenger (getWebhookInfo)
        self._flushed_at: datetime | None = None
        self._recent: OrderedDict[int, float] = OrderedDict()

    # ----- the heartbeat --------------------------------------------------------------------

    def seen_before(self, update_id: int) -> bool:
        """Whether this update id was handled in the last few minutes (then: drop it)."""
        now = self.clock.monotonic()
        while self._recent and (now - next(iter(self._recent.values())) > DUPLICATE_WINDOW
                                or len(self._recent) > DUPLICATES_REMEMBERED):
            self._recent.popitem(last=False)
        if update_id in self._recent:
            self.duplicates.inc()
            return True
        self._recent[update_id] = now
        return False

    async def update_handled(self, kind: str, seconds: float) -> None:
        """Count and time one update; write the 'update' mark now and then."""
        self.updates.labels(kind).inc()
        self.latency.observe(seconds)
        now = self.clock.now()
        self.last_update = self.last_contact = now
        if self._flushed_at is None or now - self._flushed_at >= FLUSH_EVERY:
            self._flushed_at = now
            try:
                await operations.record(self.services.db, "update", self.services.db.now_iso(),
                                        kind)
            except Exception as error:  # a locked or full database must not fail an update
                log.warning("could not record the heartbeat (%s)", type(error).__name__)

    def answered(self, status: int) -> None:
        """The messenger answered a call with this HTTP status."""
        if status >= 400:
            self.errors.labels(str(status)).inc()
        if status < 500:
            self.last_contact = self.clock.now()

    def unreachable(self) -> None:
        """A call to the messenger got no answer (network error, timeout)."""
        self.errors.labels("network").inc()

    async def job_ran(self, name: str, ok: bool) -> None:
        """Write the mark of a scheduled job's run (a frequent job's at most once a minute,
        unless it failed)."""
        now = self.clock.now()
        last = self.marked.get(name)
        if ok and last is not None and now - last < MARK_EVERY:
            return
        self.marked[name] = now
        try:
            await operations.record(self.services.db, f"job:{name}",
                                    self.services.db.now_iso(), "ok" if ok else "failed")
        except Exception as error:
            log.warning("could not record the run of %s (%s)", name, type(error).__name__)

    # ----- health and metrics ---------------------------------------------------------------

    async def problems(self) -> list[str]:
        """Why the bot is unhealthy now, by the app's clock; empty while it is healthy."""
        now = self.clock.now()
        found = []
        if self.last_contact is None:
            found.append("no answer from the messenger yet")
        elif now - self.last_contact > CONTACT_STALE:
            found.append(f"no answer from the messenger for "
                         f"{(now - self.last_contact).total_seconds():.0f} s")
        if self.webhook_pending and (self.last_update is None
                                     or now - self.last_update > UPDATES_STALE):
            found.append(f"{self.webhook_pending} updates wait at the messenger and none was "
                         "handled lately")
        oldest = await operations.oldest_pending(self.services.db)
        if oldest is not None:
            key, created, attempts = oldest
            age = now - datetime.fromisoformat(created)
            if age > OUTBOX_STUCK:
                kind = key.split(":", 1)[0]
                found.append(f"outbox not draining: a {kind} notice owed for "
                             f"{age.total_seconds():.0f} s ({attempts} attempts)")
        return found

    async def metrics(self) -> bytes:
        """The Prometheus text, with the database figures read now."""
        db = self.services.db
        now = self.clock.now()
        self.backlog.clear()
        oldest_age = 0.0
        for row in await operations.backlog(db):
            self.backlog.labels(row.kind).set(row.count)
            oldest_age = max(oldest_age, (now - datetime.fromisoformat(row.oldest))
                             .total_seconds())
        self.oldest.set(oldest_age)
        if self.last_update is not None:
            self.last_update_age.set((now - self.last_update).total_seconds())
        self._figures.sent = await operations.sent_by_kind(db)
        return generate_latest(self.registry)


class InstrumentedApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, counting, timing and de-duplicating the updates it handles."""

    async def process_update(self, update: object) -> None:
        """Handle one update (once), then feed the heartbeat and the metrics."""
        monitor: Monitor | None = self.bot_data.get("monitor")
        if monitor is None or not isinstance(update, Update):
            await super().process_update(update)
            return
        if monitor.seen_before(update.update_id):
            log.info("update %s delivered again: dropped", update.update_id)
            return
        started = monitor.clock.monotonic()
        try:
            await super().process_update(update)
        finally:
            await monitor.update_handled(update_kind(update), monitor.clock.monotonic() - started)


def monitor_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Monitor:
    """The application's monitor (set by `bot.app.build_application`)."""
    monitor: Monitor = application.bot_data["monitor"]
    return monitor
