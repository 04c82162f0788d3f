"""The agencies' service levels and what they owe: deadlines, overdue, reminders and their
escalation, the sentences an answer becomes (for the resident, for the office), and the
per-agency figures of a period.

The pure part takes referrals, the organisation's service levels (`Agency.ack_hours`,
`Agency.act_days`), the app's `now`, the time zone and the quiet hours; `owe_reminders`
and `figures` read storage and write the outbox. No PTB here.

A referral's deadline: unacknowledged, `ack_hours` after it was referred; acknowledged
(or in progress), the end of the promised day, or `act_days` after it was referred when
no date was promised. While the agency waits for the office's answer («more info») it has
none. At its deadline the agency's focal points and the office's staff are reminded; a
second period later (as long again) the office's supervisors. Each reminder has its own
outbox key (referral, deadline, level, person): owed once, and again only for a new
deadline (a new promised date, a new referral).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from bot.locale.codes import shown_code
from bot.locale.jalali import MONTH_NAMES, to_jalali
from bot.locale.normalize import to_persian_digits
from bot.locale.text import t
from bot.org import Agency, Organisation
from bot.quiet_hours import quiet_until
from storage import offices, outbox, referrals
from storage.db import Database, utc_now_iso
from storage.people import Person
from storage.referrals import FigureRow, Referral
from storage.requests import Owed, Request, staff_of_office

Kind = Literal["ack", "act"]


def agency_of(org: Organisation, slug: str) -> Agency:
    """The agency of the organisation file, or one with the default service level named
    by its slug (an agency typed by hand)."""
    return org.agency(slug) or Agency(slug, slug)


def day_month(day: date, today: date) -> str:
    """«۲۰ آذر», with the year when it is not this Jalali year («۲ فروردین ۱۴۰۶»)."""
    jd, now = to_jalali(day), to_jalali(today)
    text = f"{to_persian_digits(jd.day)} {MONTH_NAMES[jd.month - 1]}"
    return text if jd.year == now.year else f"{text} {to_persian_digits(jd.year)}"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Deadline:
    """When the agency's next step is due, and how long a period is (for escalation)."""

    kind: Kind
    due: datetime
    period: timedelta


class Timed(Protocol):
    """What a deadline is computed from (a `Referral`, a `FigureRow`)."""

    @property
    def state(self) -> str: ...
    @property
    def referred_at(self) -> str: ...
    @property
    def promised_date(self) -> str | None: ...


def deadline(referral: Timed, agency: Agency, tz: ZoneInfo) -> Deadline | None:
    """The referral's current deadline, or None (closed, or waiting for the office)."""
    if referral.state == "referred":
        period = timedelta(hours=agency.ack_hours)
        return Deadline("ack", _instant(referral.referred_at) + period, period)
    if referral.state in ("acknowledged", "in_progress"):
        period = timedelta(days=agency.act_days)
        if referral.promised_date:
            day_after = date.fromisoformat(referral.promised_date) + timedelta(days=1)
            return Deadline("act", datetime.combine(day_after, time(0), tz), period)
        return Deadline("act", _instant(referral.referred_at) + period, period)
    return None


def is_overdue(referral: Timed, agency: Agency, now: datetime, tz: ZoneInfo) -> bool:
    """Past its deadline at `now`."""
    found = deadline(referral, agency, tz)
    return found is not None and now >= found.due


@dataclass(frozen=True)
class DueReminder:
    """A reminder owed now: level 1 to focal points and office, 2 to the supervisors."""

    referral: Referral
    deadline: Deadline
    level: int

    def key(self, person_id: int) -> str:
        """The outbox key: one per referral, deadline, level and person."""
        return (f"agency:{self.deadline.kind}{self.level}:{self.referral.id}:"
                f"{utc_now_iso(self.deadline.due)}:{person_id}")


def due_reminders(open_referrals: Iterable[Referral], org: Organisation, now: datetime,
                  tz: ZoneInfo) -> list[DueReminder]:
    """Every reminder due at `now` (both levels once the second period has passed too)."""
    due = []
    for referral in open_referrals:
        found = deadline(referral, agency_of(org, referral.agency), tz)
        if found is None or now < found.due:
            continue
        due.append(DueReminder(referral, found, 1))
        if now >= found.due + found.period:
            due.append(DueReminder(referral, found, 2))
    return due


def elapsed(since: datetime, now: datetime) -> str:
    """«۳ روز» from a day on, else «۵ ساعت»."""
    hours = int((now - since).total_seconds() // 3600)
    return t("agency.elapsed_days", days=hours // 24) if hours >= 24 else t(
        "agency.elapsed_hours", hours=max(hours, 1))


def reminder_line(reminder: DueReminder, agency: Agency, now: datetime, tz: ZoneInfo) -> str:
    """«⏰ ۳ روز از ارجاع درخواست ۱۲۳۴-۵۶۷۸ به آبفا گذشت …»."""
    referral = reminder.referral
    code, name = shown_code(referral.request_code), agency.short_name
    if reminder.deadline.kind == "act" and referral.promised_date:
        promised = date.fromisoformat(referral.promised_date)
        return t("agency.remind_promised", agency=name, code=code,
                 date=day_month(promised, now.astimezone(tz).date()))
    key = "agency.remind_ack" if reminder.deadline.kind == "ack" else "agency.remind_act"
    return t(key, elapsed=elapsed(_instant(referral.referred_at), now), code=code, agency=name)


@dataclass(frozen=True)
class Audience:
    """Who a referral's reminders go to: (person id, messenger user id) pairs."""

    focal_points: Sequence[tuple[int, int]]
    office: Sequence[tuple[int, int]]
    supervisors: Sequence[tuple[int, int]]


def reminder_notices(reminder: DueReminder, audience: Audience, agency: Agency,
                     office_name: str, now: datetime, tz: ZoneInfo,
                     quiet: tuple[time, time] | None) -> list[Owed]:
    """The outbox notices of one due reminder, held until quiet hours end."""
    line = reminder_line(reminder, agency, now, tz)
    hold = quiet_until(now, quiet, tz)
    if reminder.level == 1:
        people = list(dict.fromkeys([*audience.focal_points, *audience.office]))
        text = line
    else:
        people = list(audience.supervisors)
        text = t("agency.escalate", office=office_name, line=line)
    return [Owed(reminder.key(pid), user_id, text, not_before=hold) for pid, user_id in people]


async def owe_reminders(db: Database, org: Organisation, now: datetime, *, tz: ZoneInfo,
                        quiet: tuple[time, time] | None) -> int:
    """Write every service-level reminder due at `now` to the outbox (each once); how
    many were new."""
    due = due_reminders(await referrals.open_for_reminders(db), org, now, tz)
    if not due:
        return 0
    notices: list[Owed] = []
    audiences: dict[tuple[str, int], Audience] = {}
    names: dict[int, str] = {}
    for reminder in due:
        ref = reminder.referral
        if (ref.agency, ref.office_id) not in audiences:
            audiences[ref.agency, ref.office_id] = Audience(
                [(p, u) for p, u, _ in await referrals.focal_points(db, ref.agency,
                                                                    ref.office_id)],
                [(p, u) for p, u, _ in await staff_of_office(db, ref.office_id)],
                [(p, u) for p, u, _ in await referrals.supervisors_of_office(db, ref.office_id)])
        if ref.office_id not in names:
            office = await offices.office_by_id(db, ref.office_id)
            names[ref.office_id] = office.name if office else ""
        notices += reminder_notices(reminder, audiences[ref.agency, ref.office_id],
                                    agency_of(org, ref.agency), names[ref.office_id], now, tz,
                                    quiet)
    return await outbox.enqueue_all(
        db, [(n.key, n.chat_id, n.text, n.not_before) for n in notices], now)


def resident_text(kind: str, agency: Agency, code: str, *, today: date,
                  promised: date | None = None, note: str | None = None) -> str | None:
    """What the resident reads of an agency's answer, in plain words; None for the
    answers that stay between the agency and the office («more info»)."""
    values = {"agency": agency.short_name, "code": shown_code(code)}
    if kind == "acknowledged":
        return t("agency.resident_acknowledged", **values)
    if kind == "in_progress" and promised is not None:
        return t("agency.resident_in_progress", date=day_month(promised, today), **values)
    if kind == "done":
        return t("agency.resident_done_note", note=note, **values) if note else t(
            "agency.resident_done", **values)
    if kind == "not_ours":
        return t("agency.resident_not_ours", **values)
    return None


def office_text(kind: str, agency: Agency, code: str, *, who: str | None, by_hand: bool,
                today: date, promised: date | None = None, note: str | None = None) -> str:
    """What the office reads of an agency's answer (on the request's card, as a notice)."""
    values = {"agency": agency.short_name, "code": shown_code(code),
              "who": t("agency.by_hand") if by_hand or not who else who}
    if kind == "in_progress":
        shown = day_month(promised, today) if promised else "—"
        return t("agency.office_in_progress", date=shown, **values)
    if kind == "done" and note:
        return t("agency.office_done_note", note=note, **values)
    if kind in ("not_ours", "more_info"):
        return t(f"agency.office_{kind}", note=note or "—", **values)
    return t(f"agency.office_{kind}", **values)


def state_name(state: str) -> str:
    """The Persian name of a referral's state."""
    return t(f"agency.state_{state}")


def conflict_text(conflict: referrals.ReferralConflict) -> str:
    """What a focal point who acted second (or on an old card) reads."""
    current = conflict.current
    if conflict.reason == "taken" and current.taken_by_name is not None:
        return t("agency.taken", name=current.taken_by_name)
    return t("agency.changed", state=state_name(current.state))


async def may_answer(db: Database, person: Person, referral: Referral) -> bool:
    """An active focal point of the referral's agency whose scope holds its office."""
    if not person.active or person.role != "agency" or person.agency != referral.agency:
        return False
    return referral.office_id in await referrals.focal_point_offices(db, person.id)


def focal_point_sees_phone(referral: Referral, request: Request) -> bool:
    """A focal point sees the resident's phone only if the resident agreed to be called
    by the agency when the office referred it."""
    return referral.phone_consent and bool(request.phone)


_PHONE_LIKE = re.compile(r"\+?[0-9۰-۹٠-٩](?:[\s\-.\u200c]?[0-9۰-۹٠-٩]){6,}")


def mask_phones(text: str) -> str:
    """The text with every run of seven digits or more (a phone number typed in it, in any
    digits) hidden."""
    return _PHONE_LIKE.sub(t("agency.hidden_phone"), text)


def card_text(referral: Referral, request: Request, agency: Agency, category: str, *,
              sensitive: bool = False) -> str:
    """The referral's card in a focal point's chat: code, category, neighbourhood, the
    resident's text, its state; the phone (and a number typed in the text) only if the
    resident agreed to the agency's call. (Photos and the location go as their own
    messages.) A `sensitive` category (`org.is_sensitive`, issue 23): category,
    neighbourhood and state only; no text, phone, photos or place."""
    consent = card_shows_phone(referral, request, sensitive=sensitive)
    text = (t("privacy_chat.hidden_details") if sensitive else request.description if consent
            else mask_phones(request.description))
    lines = [t("agency.card", office=request.office_name, agency=agency.short_name,
               code=shown_code(request.code), category=category,
               hood=request.neighbourhood_name or t("agency.unsure_hood"), text=text)]
    if consent:
        lines.append(t("agency.card_phone", phone=to_persian_digits(request.phone or "")))
    lines.append(t("agency.card_state", state=state_name(referral.state)))
    return "\n".join(lines)


def card_shows_phone(referral: Referral, request: Request, *, sensitive: bool = False) -> bool:
    """Whether the focal point's card shows the resident's phone: a recorded look
    (`storage.privacy.log_look(kind="phone", through="agency")`)."""
    return not sensitive and focal_point_sees_phone(referral, request)


@dataclass(frozen=True)
class AgencyFigures:
    """One agency's referrals in a period; medians in hours (None: nothing to measure)."""

    agency: str
    referred: int
    acknowledged: int
    done: int
    not_ours: int
    median_ack_hours: float | None
    median_act_hours: float | None
    overdue: int


def _hours(start: str, end: str) -> float:
    return (_instant(end) - _instant(start)).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def agency_figures(rows: Sequence[FigureRow], not_ours: Sequence[tuple[str, str]],
                   start: datetime, end: datetime, now: datetime, org: Organisation,
                   tz: ZoneInfo) -> list[AgencyFigures]:
    """Per agency, in [start, end): referred, acknowledged (first answer of any kind),
    done and «not ours» answers in the period; the median hours from referral to the
    first answer and to «done» of those answered or done in it; overdue at `now`. Agencies
    in the organisation file's order, then any other; those with nothing left out."""
    lo, hi = utc_now_iso(start), utc_now_iso(end)

    def inside(stamp: str | None) -> bool:
        return stamp is not None and lo <= stamp < hi

    slugs = [a.slug for a in org.agencies]
    slugs += sorted({r.agency for r in rows} - set(slugs))
    result = []
    for slug in slugs:
        mine = [r for r in rows if r.agency == slug]
        agency = agency_of(org, slug)
        acked = [r for r in mine if inside(r.acknowledged_at)]
        done = [r for r in mine if inside(r.done_at)]
        overdue = sum(1 for r in mine if r.request_open and is_overdue(r, agency, now, tz))
        figures = AgencyFigures(
            slug, sum(1 for r in mine if inside(r.referred_at)), len(acked), len(done),
            sum(1 for a, at in not_ours if a == slug and inside(at)),
            _median([_hours(r.referred_at, r.acknowledged_at or "") for r in acked]),
            _median([_hours(r.referred_at, r.done_at or "") for r in done]), overdue)
        if (figures.referred or figures.acknowledged or figures.done or figures.not_ours
                or figures.overdue):
            result.append(figures)
    return result


async def figures(db: Database, org: Organisation, office_ids: Sequence[int], start: datetime,
                  end: datetime, now: datetime, tz: ZoneInfo) -> list[AgencyFigures]:
    """The per-agency figures of these offices for [start, end), overdue counted at `now`."""
    rows, not_ours = await referrals.figure_rows(db, office_ids, utc_now_iso(max(end, now)))
    return agency_figures(rows, not_ours, start, end, now, org, tz)


def _hours_text(hours: float | None) -> str:
    if hours is None:
        return t("agency.no_median")
    if hours < 1:
        return t("digest.under_an_hour")
    if hours >= 48:
        return t("agency.elapsed_days", days=round(hours / 24))
    return t("agency.elapsed_hours", hours=round(hours))


def figures_lines(found: Sequence[AgencyFigures], org: Organisation) -> list[str]:
    """The digest's lines: a title and one line per agency (none when there is nothing)."""
    if not found:
        return []
    return [t("agency.figures_title")] + [
        t("agency.figures_line", agency=agency_of(org, f.agency).short_name,
          referred=f.referred, acknowledged=f.acknowledged, done=f.done, not_ours=f.not_ours,
          ack=_hours_text(f.median_ack_hours), act=_hours_text(f.median_act_hours),
          overdue=f.overdue)
        for f in found]
