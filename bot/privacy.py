"""Privacy, the pure side: what a resident is told (the «حریم خصوصی» note, what forgetting
removed), how a forgotten resident is named, the access log read as Persian lines, the
admins' digest line about looks, and the daily retention job the tick calls.

The store's side is `storage.privacy` (log_look, looks, forget_person, retention); the rule
for sensitive categories is `bot.access.sees_details`. No PTB here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.locale.codes import shown_code
from bot.locale.jalali import format_datetime, local_datetime
from bot.locale.normalize import to_persian_digits
from bot.locale.text import role_name, t
from bot.services import Services
from storage import outbox, people
from storage import privacy as store
from storage.db import utc_now_iso
from storage.outbox import Owed
from storage.privacy import Look, RetentionRun

RETENTION_TIME = time(4, 0)  # local: the daily run comes after the 03:30 backup
REMOVED_ORDER = ("name", "messenger_id", "phones", "texts", "photos", "voices", "documents",
                 "locations", "notes", "drafts", "conversations", "notices")


def resident_label(name: str, forgotten: bool) -> str:
    """How a request's resident is named on a card: «ساکن (حذف‌شده)» once forgotten."""
    return t("privacy.forgotten_resident") if forgotten or not name else name


def privacy_note(retention_days: int) -> str:
    """The short «حریم خصوصی» note: at first contact and in the resident's help."""
    return t("privacy.note", days=retention_days)


def unreachable_notice(code: str) -> str:
    """To the office's staff: an open request's resident was forgotten."""
    return t("privacy.unreachable", code=shown_code(code))


def removed_message(removed: dict[str, int], backup_keep: int) -> str:
    """To the resident after /forget: what was removed, and when backups age out."""
    items = [t("privacy.removed_item", what=t(f"privacy.item_{kind}"), count=removed[kind])
             for kind in REMOVED_ORDER if removed.get(kind)]
    if not items:
        return t("privacy.removed_nothing")
    return t("privacy.removed", items="\n".join(items), days=backup_keep)


def _kind(kind: str) -> str:
    try:
        return t(f"privacy.kind_{kind}")
    except KeyError:
        return kind


def _who(look: Look) -> str:
    if look.person_id is None:
        return t("privacy.audit_operator")
    name = resident_label(look.person_name or "", False)
    role = role_name(look.role) if look.role else "—"
    return t("privacy.audit_who", name=name, role=role, id=to_persian_digits(look.person_id))


def audit_line(look: Look, tz: ZoneInfo) -> str:
    """One look as a Persian line: Jalali date and time, who, what, which request, how."""
    when = format_datetime(datetime.fromisoformat(look.at), tz)
    request = t("privacy.audit_request", code=shown_code(look.request_code)) if (
        look.request_code) else ""
    detail = t("privacy.audit_detail", detail=look.detail) if look.detail else ""
    return t("privacy.audit_line", date=when, who=_who(look), what=_kind(look.kind) + detail,
             request=request, through=t(f"privacy.through_{look.through}"))


def audit_lines(looks: Sequence[Look], tz: ZoneInfo) -> list[str]:
    """The access log as `tashilyar audit` prints it."""
    return [audit_line(look, tz) for look in looks] or [t("privacy.audit_empty")]


def jalali_start(day: date, tz: ZoneInfo) -> str:
    """The UTC ISO instant at which a (Gregorian) day begins in tz: `--since`'s bound."""
    return utc_now_iso(datetime.combine(day, time(0), tzinfo=tz))


def looks_digest_line(by_person: Sequence[tuple[int | None, str | None, str | None, int]]
                      ) -> str | None:
    """The admins' digest line: how many looks at personal data, and by whom; None if none."""
    total = sum(count for *_, count in by_person)
    if not total:
        return None
    who = "، ".join(
        t("privacy.digest_looker",
          name=resident_label(name or "", False) if pid is not None
          else t("privacy.audit_operator"), count=count)
        for pid, name, _role, count in by_person)
    return t("privacy.digest_looks", count=total, who=who)


async def looks_digest(services: Services, start: datetime, end: datetime) -> str | None:
    """The admins' digest line for [start, end): wired into the monthly digest."""
    rows = await store.looks_by_person(services.db, utc_now_iso(start), utc_now_iso(end))
    return looks_digest_line(rows)


async def period_looks(services: Services, start: date, end: date) -> str | None:
    """The admins' line for the local days [start, end] (a Jalali month's digest)."""
    tz = services.settings.timezone
    return await looks_digest(services, datetime.combine(start, time(0), tzinfo=tz),
                              datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz))


async def owe_admin_looks(services: Services, period_key: str, start: date, end: date,
                          now: datetime) -> int:
    """With the monthly digests: each active admin owed the month's looks line (once)."""
    line = await period_looks(services, start, end)
    if line is None:
        return 0
    admins = await people.active_with_role(services.db, "admin")
    done = await outbox.owe_all(services.db, [
        Owed(f"looks:{period_key}:{person.id}", person.user_id, line)
        for person, _since in admins], now)
    return sum(done)


# ----- the daily retention job -----

@dataclass
class RetentionSchedule:
    """The local day the retention job last ran in this process (the tick asks each time)."""

    done_on: date | None = None


def retention_due(now: datetime, tz: ZoneInfo, done_on: date | None,
                  last_run_at: str | None) -> bool:
    """Whether the daily run is due: after RETENTION_TIME (local), not yet today."""
    local = local_datetime(now, tz)
    if local.time() < RETENTION_TIME or done_on == local.date():
        return False
    if last_run_at is not None:
        last = local_datetime(datetime.fromisoformat(last_run_at), tz)
        if last.date() == local.date() and last.time() >= RETENTION_TIME:
            return False
    return True


async def daily_retention(services: Services, schedule: RetentionSchedule,
                          now: datetime | None = None) -> RetentionRun | None:
    """The tick's hook: run retention once a day (RETENTION_DAYS); the run, if one ran."""
    settings = services.settings
    now = now or services.clock.now()
    local_day = local_datetime(now, settings.timezone).date()
    if schedule.done_on == local_day or local_datetime(
            now, settings.timezone).time() < RETENTION_TIME:
        return None
    last = await store.last_run(services.db)
    if not retention_due(now, settings.timezone, schedule.done_on, last.at if last else None):
        schedule.done_on = local_day
        return None
    run = await store.retention(services.db, now, settings.retention_days)
    schedule.done_on = local_day
    return run
