"""Jobs: owing digests and reminders when they fall due, and delivering the outbox.

One repeating job ticks every few seconds. Each tick asks the app's clock what is due
(the newest day, week and month digest; today's reminders) and owes what is not owed yet,
then delivers. Nothing hangs on the scheduler's own clock: a bot whose clock is moved (a
test, a rehearsal with CLOCK_START) or that was down at digest time catches up on the next
tick. A tick with nothing new to owe costs two small queries.

`deliver_due` sends every owed notice whose time has come, one at a time through the bot
(and so through PTB's rate limiter, which obeys `retry_after` a few times itself). A notice
is marked sent only after the messenger accepted it; a network or server failure schedules
a retry; a blocked or vanished recipient makes it undeliverable for good. A rate limit that
outlasts the limiter's own retries ends the round, and no notice goes out until its
`retry_after` has passed. The repeating job also catches up after downtime: what was owed
is still in the table.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.forms.model import FormDefinition
from bot.locale.jalali import weekday_index
from bot.locale.normalize import to_persian_digits
from bot.locale.text import t
from bot.ratelimit import BULK
from bot.reports.digest import Labels, build_digest, form_digests
from bot.reports.periods import DigestTimes, due_periods, period_of, send_moment
from bot.services import Services
from storage import offices, outbox, people, stats
from storage.db import Database
from storage.people import Person

log = logging.getLogger("tashilyar.outbox")
LATE_AFTER = timedelta(hours=1)
TICK_INTERVAL = 5.0


@dataclass
class _Planned:
    """What the last ticks owed already: due digests for this audience, today's reminders."""

    digests: tuple[object, ...] | None = None
    reminders: date | None = None


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
        if notice.photo is not None:
            await bot.send_photo(chat_id=notice.chat_id, photo=notice.photo,
                                 caption=notice.text[:1024], **BULK)
        else:  # BULK: the limiter's bulk lane, behind every reply (bot/ratelimit.py)
            await bot.send_message(chat_id=notice.chat_id, text=notice.text, **BULK)
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


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: owe what fell due, deliver the outbox."""
    await tick(context.application)


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the one repeating tick (the first a second after start: the catch-up)."""
    queue = application.job_queue
    assert queue is not None
    queue.run_repeating(_tick_job, interval=TICK_INTERVAL, first=1.0, name="tick",
                        job_kwargs={"misfire_grace_time": 30, "coalesce": True,
                                    "max_instances": 1})


# ----- digests and reminders ----------------------------------------------------------------


def labels_from(forms: dict[str, FormDefinition]) -> Labels:
    """The Persian labels digests need, read from the form definitions."""

    def choices(form: str, question: str) -> dict[str, str]:
        definition = forms.get(form)
        found = definition.question(question) if definition else None
        return {c.value: c.label for c in found.choices} if found else {}

    return Labels(
        domains=choices("field_report", "domains"),
        need_categories=choices("needs_assessment", "category"),
        severities=choices("needs_assessment", "severity"),
        request_categories=choices("resident_request", "category"),
        forms=form_digests(forms),
    )


async def scope_of(services: Services, person: Person) -> tuple[list[int], str]:
    """A supervisor's offices and how the digest names them."""
    db = services.db
    ids = await offices.scope_office_ids(db, person.role, person.office_id, person.province_id)
    if person.province_id is not None:
        province = await offices.province_name(db, person.province_id)
        return ids, t("scope.province", province=province)
    names = [o.name for o in await offices.list_offices(db) if o.id in ids]
    return ids, "، ".join(names) or "—"


def digest_times(settings: Settings) -> DigestTimes:
    """When digests are due, from the settings."""
    return DigestTimes(daily=settings.digest_time, morning=settings.morning_digest_time)


async def enqueue_due_digests(services: Services, now: datetime) -> int:
    """Owe each supervisor the newest due day, week and month digest (each once, ever)."""
    settings, db = services.settings, services.db
    tz = settings.timezone
    labels = labels_from(services.forms)
    owed = 0
    supervisors = await people.active_with_role(db, "supervisor")
    for period in due_periods(now, digest_times(settings), tz):
        moment = send_moment(period, digest_times(settings), tz)
        late = now - moment > LATE_AFTER
        for person, staff_since in supervisors:
            if staff_since is not None and datetime.fromisoformat(staff_since) > moment:
                continue  # joined after this digest was due: nothing to catch up
            chats = [person.user_id] + await people.digest_chats(db, person.id)
            keys = [f"digest:{period.key}:{person.id}:{chat}" for chat in chats]
            if all([await outbox.owed(db, key) for key in keys]):
                continue
            office_ids, scope = await scope_of(services, person)
            digest = await build_digest(
                db, office_ids=office_ids, scope=scope, period=period, tz=tz, labels=labels,
                overdue_days=settings.overdue_days, overdue_by_category=services.org.overdue_days,
                now=now, late=late)
            async with db.transaction() as tx:
                for chat, key in zip(chats, keys, strict=True):
                    if await outbox.enqueue(tx, key, chat, digest.text, now=now):
                        owed += 1
                    if digest.chart is not None:
                        await outbox.enqueue(tx, key + ":chart", chat, period.label,
                                             now=now, photo=digest.chart)
    return owed


def reminder_due(settings: Settings, holidays: frozenset[date], now: datetime) -> date | None:
    """Today's date if reminders are due now (a working day, not a holiday, after the time)."""
    local = now.astimezone(settings.timezone)
    today = local.date()
    if weekday_index(today) not in settings.work_days or today in holidays:
        return None
    return today if local.time() >= settings.reminder_time else None


async def enqueue_reminders(services: Services, now: datetime) -> int:
    """Remind facilitators who filed nothing today, and about overdue requests (once a day)."""
    settings, db = services.settings, services.db
    today = reminder_due(settings, services.org.holidays, now)
    if today is None:
        return 0
    start, end = period_of("day", today).utc_range(settings.timezone)
    cutoff = (now - timedelta(days=settings.overdue_days)).isoformat(timespec="seconds")
    overdue = {office: (count, code) for office, count, code in
               await stats.overdue_by_office(db, cutoff)}
    notices = [(f"remind:{today}:{user_id}", user_id, t("remind.no_report"))
               for user_id, _name, _office in await stats.silent_facilitators(db, start, end)]
    for user_id, office_id in await people.facilitators(db):
        if office_id in overdue:
            count, code = overdue[office_id]
            text = t("remind.overdue", count=count,
                     code=to_persian_digits(f"{code[:4]}-{code[4:]}"))
            notices.append((f"overdue:{today}:{user_id}", user_id, text))
    owed = 0
    async with db.transaction() as tx:
        for key, chat, text in notices:
            owed += await outbox.enqueue(tx, key, chat, text, now=now)
    return owed


async def tick(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Owe what is due now by the app's clock (digests, reminders), unless the last tick
    owed it already; then deliver the outbox."""
    services: Services = application.bot_data["services"]
    planned: _Planned = application.bot_data.setdefault("planned", _Planned())
    settings, now = services.settings, services.clock.now()
    due = (tuple(p.key for p in due_periods(now, digest_times(settings), settings.timezone)),
           await people.digest_audience(services.db))
    if due != planned.digests:
        await enqueue_due_digests(services, now)
        planned.digests = due
    today = reminder_due(settings, services.org.holidays, now)
    if today is not None and today != planned.reminders:
        await enqueue_reminders(services, now)
        planned.reminders = today
    await deliver_due(application.bot, services.db)
