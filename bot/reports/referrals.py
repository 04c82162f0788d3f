"""The export's referrals sheet: one row per referral of a period (by when it was
referred) for a set of offices: the request's code, office, neighbourhood and category, the
agency, its state and dates (Jalali), the referral letter, the focal point who took it,
whether it is overdue now, and the last note of its history. No resident's name, phone or
text. Rows only: the workbook is `bot.reports.export`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.agencies import agency_of, is_overdue
from bot.locale.jalali import format_date_numeric, local_datetime
from bot.locale.normalize import persian_digits_in_text, to_persian_digits
from bot.locale.text import t
from bot.org import Organisation
from storage import referrals
from storage.db import Queries, utc_now_iso
from storage.referrals import SheetRow

COLUMNS = ("code", "office", "hood", "category", "agency", "state", "referred",
           "letter_number", "letter_date", "acknowledged", "promised", "done", "closed",
           "taken_by", "overdue", "note")


def headers() -> list[str]:
    """The sheet's Persian column headers."""
    return [t(f"agency.col_{name}") for name in COLUMNS]


def sheet_title() -> str:
    """The sheet's name."""
    return t("agency.sheet")


def _day(iso: str | None) -> str:
    return format_date_numeric(date.fromisoformat(iso)) if iso else ""


def _moment(iso: str | None, tz: ZoneInfo) -> str:
    if not iso:
        return ""
    local = local_datetime(datetime.fromisoformat(iso), tz)
    return f"{format_date_numeric(local.date())} {to_persian_digits(f'{local:%H:%M}')}"


def sheet_row(row: SheetRow, org: Organisation, categories: Mapping[str, str],
              now: datetime, tz: ZoneInfo) -> list[str]:
    """One referral as the sheet's cells."""
    overdue = is_overdue(row, agency_of(org, row.agency), now, tz)
    return [
        to_persian_digits(f"{row.request_code[:4]}-{row.request_code[4:]}"), row.office_name,
        row.neighbourhood_name or "", categories.get(row.category, row.category),
        agency_of(org, row.agency).name, t(f"agency.state_{row.state}"),
        _moment(row.referred_at, tz), persian_digits_in_text(row.letter_number or ""),
        _day(row.letter_date), _moment(row.acknowledged_at, tz), _day(row.promised_date),
        _moment(row.done_at, tz), _moment(row.closed_at, tz), row.taken_by_name or "",
        t("agency.yes") if overdue else t("agency.no"),
        "" if org.is_sensitive(row.category)  # a sensitive request's notes: issue 23
        else persian_digits_in_text(row.last_note or ""),
    ]


async def referral_rows(db: Queries, org: Organisation, office_ids: Sequence[int],
                        start: date, end: date, *, tz: ZoneInfo, now: datetime,
                        categories: Mapping[str, str]) -> list[list[str]]:
    """The rows of referrals made from `start` to `end` (local days, both included)."""
    first = utc_now_iso(datetime.combine(start, time(0), tz))
    after = utc_now_iso(datetime.combine(end + timedelta(days=1), time(0), tz))
    found = await referrals.sheet_rows(db, office_ids, first, after)
    return [sheet_row(row, org, categories, now, tz) for row in found]
