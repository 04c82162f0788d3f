"""Jalali (Solar Hijri) calendar helpers for display and parsing.

The bot stores Gregorian `datetime.date` values and timezone-aware `datetime` instants;
the Jalali calendar is used only to show dates to people and to read dates they type.
jdatetime's locale setting is per thread, so every jdatetime object made here gets
`locale="fa_IR"` explicitly and the process-wide locale is never touched. jdatetime's
strftime prints ASCII digits, so output is built from numbers and Persian digits here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import jdatetime

from bot.locale.normalize import strip_invisible, to_ascii_digits, to_persian_digits

LOCALE = "fa_IR"

MONTH_NAMES: tuple[str, ...] = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
# Saturday first, like the Iranian week (and jdatetime's weekday(): 0 = Saturday).
WEEKDAY_NAMES: tuple[str, ...] = (
    "شنبه",
    "یکشنبه",
    "دوشنبه",
    "سه‌شنبه",
    "چهارشنبه",
    "پنج‌شنبه",
    "جمعه",
)

JalaliDateReason = Literal["format", "month", "day", "future", "too_old"]

_SEPARATOR = r"\s*[/\-.٫]\s*"
_DATE_PATTERN = re.compile(
    rf"(?P<year>[0-9]{{4}}|[0-9]{{2}}){_SEPARATOR}(?P<month>[0-9]{{1,2}}){_SEPARATOR}"
    r"(?P<day>[0-9]{1,2})"
)


class JalaliDateError(ValueError):
    """A typed Jalali date was rejected; `reason` says why (for choosing the reply)."""

    def __init__(self, reason: JalaliDateReason, message: str | None = None) -> None:
        super().__init__(message or f"invalid Jalali date: {reason}")
        self.reason: JalaliDateReason = reason


def to_jalali(d: date) -> jdatetime.date:
    """The Jalali date (locale fa_IR) for a Gregorian date."""
    return jdatetime.date.fromgregorian(date=d, locale=LOCALE)


def from_jalali(year: int, month: int, day: int) -> date:
    """The Gregorian date for a valid Jalali year, month and day."""
    return jdatetime.date(year, month, day, locale=LOCALE).togregorian()


def is_jalali_leap(year: int) -> bool:
    """True when the Jalali year has a 30-day Esfand (as jdatetime computes it)."""
    return bool(jdatetime.date(year, 1, 1, locale=LOCALE).isleap())


def jalali_days_in_month(year: int, month: int) -> int:
    """Days in a Jalali month: 31 for months 1–6, 30 for 7–11, Esfand 30 or 29."""
    if not 1 <= month <= 12:
        raise ValueError(f"Jalali month out of range: {month}")
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if is_jalali_leap(year) else 29


def weekday_index(d: date) -> int:
    """Index into WEEKDAY_NAMES: 0 = Saturday ... 6 = Friday."""
    return (d.weekday() + 2) % 7


def format_date(d: date, *, weekday: bool = False) -> str:
    """'۳۰ آبان ۱۴۰۵', or 'شنبه ۳۰ آبان ۱۴۰۵' with weekday=True."""
    jd = to_jalali(d)
    text = f"{to_persian_digits(jd.day)} {MONTH_NAMES[jd.month - 1]} {to_persian_digits(jd.year)}"
    if weekday:
        return f"{WEEKDAY_NAMES[weekday_index(d)]} {text}"
    return text


def format_date_numeric(d: date) -> str:
    """'۱۴۰۵/۰۸/۳۰': zero-padded Jalali year/month/day in Persian digits."""
    jd = to_jalali(d)
    return to_persian_digits(f"{jd.year:04d}/{jd.month:02d}/{jd.day:02d}")


def local_datetime(instant: datetime, tz: ZoneInfo) -> datetime:
    """The aware instant converted to tz; a naive datetime raises ValueError."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return instant.astimezone(tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The Gregorian calendar date of the instant in tz."""
    return local_datetime(instant, tz).date()


def format_datetime(instant: datetime, tz: ZoneInfo) -> str:
    """'۳۰ آبان ۱۴۰۵، ساعت ۱۴:۰۵': Jalali date and 24-hour time in tz."""
    local = local_datetime(instant, tz)
    clock = to_persian_digits(f"{local.hour:02d}:{local.minute:02d}")
    return f"{format_date(local.date())}، ساعت {clock}"


def today(tz: ZoneInfo, now: datetime) -> date:
    """The Gregorian date of "today" in tz at the instant `now` (the app's clock)."""
    return local_date(now, tz)


def _expand_year(year_text: str) -> int:
    """A 2-digit year 'YY' means 14YY; a 4-digit year is taken as written."""
    year = int(year_text)
    return 1400 + year if len(year_text) == 2 else year


def parse_jalali_date(
    text: str,
    *,
    today: date | None = None,
    allow_future: bool = True,
    max_age_days: int | None = None,
) -> date:
    """Read a typed Jalali date 'YYYY/M/D' (or 'YY/M/D') and return the Gregorian date.

    Separators may be '/', '-', '.' or '٫', digits may be Persian, Arabic-Indic or ASCII,
    and surrounding spaces are ignored. Raises JalaliDateError with reason 'format',
    'month', 'day', 'future' (allow_future=False and after `today`) or 'too_old' (more
    than max_age_days before `today`). The period checks only run when `today` is given.
    """
    match = _DATE_PATTERN.fullmatch(to_ascii_digits(strip_invisible(text)).strip())
    if match is None:
        raise JalaliDateError("format")
    year = _expand_year(match["year"])
    month, day = int(match["month"]), int(match["day"])
    if not 1 <= month <= 12:
        raise JalaliDateError("month")
    try:
        days_in_month = jalali_days_in_month(year, month)
        if not 1 <= day <= days_in_month:
            raise JalaliDateError("day")
        result = from_jalali(year, month, day)
    except JalaliDateError:
        raise
    except (ValueError, OverflowError) as error:
        raise JalaliDateError("format") from error
    if today is not None:
        if not allow_future and result > today:
            raise JalaliDateError("future")
        if max_age_days is not None and (today - result).days > max_age_days:
            raise JalaliDateError("too_old")
    return result


def week_bounds(d: date) -> tuple[date, date]:
    """The Saturday and the Friday of the Iranian week containing d."""
    start = d - timedelta(days=weekday_index(d))
    return start, start + timedelta(days=6)


def jalali_month_bounds(d: date) -> tuple[date, date]:
    """First and last Gregorian dates of the Jalali month containing d."""
    jd = to_jalali(d)
    first = from_jalali(jd.year, jd.month, 1)
    last = first + timedelta(days=jalali_days_in_month(jd.year, jd.month) - 1)
    return first, last


def previous_jalali_month_bounds(d: date) -> tuple[date, date]:
    """First and last Gregorian dates of the Jalali month before the one containing d."""
    first, _ = jalali_month_bounds(d)
    return jalali_month_bounds(first - timedelta(days=1))


def jalali_month_name(d: date) -> str:
    """The Jalali month and year containing d, like 'آبان ۱۴۰۵'."""
    jd = to_jalali(d)
    return f"{MONTH_NAMES[jd.month - 1]} {to_persian_digits(jd.year)}"
