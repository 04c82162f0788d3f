"""Planning what the bot owes: digests due to supervisors, reminders to facilitators and to
staff about requests (overdue, or waiting for a first response), each written to the
outbox once under its key; `tick` plans and then delivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from telegram.ext import Application

from bot import access, agencies
from bot.cases import hood_of, open_button, shown_code
from bot.config import Settings
from bot.delivery import deliver_due
from bot.forms.model import FormDefinition
from bot.locale.jalali import weekday_index
from bot.locale.text import t
from bot.privacy import owe_admin_looks
from bot.quiet_hours import quiet_until
from bot.reports.digest import Labels, build_digest, form_digests
from bot.reports.periods import DigestTimes, due_periods, period_of, send_moment
from bot.services import Services
from storage import offices, outbox, people, stats
from storage import requests as request_store
from storage.outbox import Owed
from storage.people import Person

LATE_AFTER = timedelta(hours=1)
FIRST_RESPONSE_EVERY = timedelta(minutes=10)  # how often waiting requests are looked for

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
    """A supervisor's offices (`bot.access.scope`) and how the digest names them."""
    db = services.db
    ids = await access.scope_ids(db, person)
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
                now=now, late=late, org=services.org)
            notices = []
            for chat, key in zip(chats, keys, strict=True):
                notices.append(Owed(key, chat, digest.text))
                if digest.chart is not None:
                    notices.append(Owed(key + ":chart", chat, period.label,
                                        photo=digest.chart))
            done = await outbox.owe_all(db, notices, now)
            owed += sum(new for new, notice in zip(done, notices, strict=True)
                        if notice.photo is None)
        if period.kind == "month":  # issue 23: the admins told how many looks, by whom
            owed += await owe_admin_looks(services, period.key, period.start, period.end, now)
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
    notices = [Owed(f"remind:{today}:{user_id}", user_id, t("remind.no_report"))
               for user_id, _name, _office in await stats.silent_facilitators(db, start, end)]
    for user_id, office_id in await people.facilitators(db):
        if office_id in overdue:
            count, code = overdue[office_id]
            text = t("remind.overdue", count=count, code=shown_code(code))
            notices.append(Owed(f"overdue:{today}:{user_id}", user_id, text))
    return sum(await outbox.owe_all(db, notices, now))


async def enqueue_first_response_reminders(services: Services, now: datetime) -> int:
    """Remind the office's staff of each open request nobody has answered within its
    category's first-response time (once per request and person; held in quiet hours
    unless the category is urgent)."""
    org, settings, db = services.org, services.settings, services.db
    cutoffs = {category: (now - timedelta(hours=hours)).isoformat(timespec="seconds")
               for category, hours in org.response_hours.items() if category != "default"}
    default = (now - timedelta(hours=org.first_response_hours(""))).isoformat(timespec="seconds")
    waiting = await request_store.waiting_first_response(db, cutoffs, default)
    if not waiting:
        return 0
    labels = labels_from(services.forms).request_categories
    hold = quiet_until(now, settings.quiet_hours, settings.timezone)
    staff = {office_id: await request_store.staff_of_office(db, office_id)
             for office_id in {request.office_id for request in waiting}}
    notices = []
    for request in waiting:
        text = t("case.staff_first_response", code=shown_code(request.code),
                 category=labels.get(request.category, request.category),
                 hood=hood_of(request), hours=org.first_response_hours(request.category))
        notices += [Owed(f"firstresp:{request.id}:{pid}", user_id, text,
                         open_button(request.id),
                         None if request.category in org.urgent else hold)
                    for pid, user_id, _name in staff[request.office_id]]
    return sum(await outbox.owe_all(db, notices, now))


async def case_tick(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """First-response reminders owed now, then the outbox."""
    services: Services = application.bot_data["services"]
    await enqueue_first_response_reminders(services, services.clock.now())
    await deliver_due(application.bot, services.db)


@dataclass
class _Planned:
    """What the last ticks owed already: due digests for this audience, today's reminders,
    and when first responses were last looked for."""

    digests: tuple[object, ...] | None = None
    reminders: date | None = None
    first_responses: datetime | None = None


async def tick(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Owe what is due now by the app's clock (digests, reminders, first-response and the
    agencies' service-level reminders every ten minutes), unless an earlier tick owed it
    already; then deliver."""
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
    if planned.first_responses is None or now - planned.first_responses >= FIRST_RESPONSE_EVERY:
        await enqueue_first_response_reminders(services, now)
        await enqueue_agency_reminders(services, now)
        planned.first_responses = now
    await deliver_due(application.bot, services.db)


async def enqueue_agency_reminders(services: Services, now: datetime) -> int:
    """The agencies' service-level reminders and their escalation (issue 22), owed once
    each, held through quiet hours."""
    settings = services.settings
    return await agencies.owe_reminders(services.db, services.org, now, tz=settings.timezone,
                                        quiet=settings.quiet_hours)
