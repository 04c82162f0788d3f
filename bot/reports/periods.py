"""Reporting periods on the Jalali calendar, and which digests are due at a given moment.

A day, a week (Saturday to Friday) or a Jalali month. Each period's digest has a send
moment in the bot's time zone: a day's at DIGEST_TIME that evening, a week's and a month's
on the morning after it ends (Saturday morning; the 1st of the next Jalali month).
APScheduler only knows Gregorian months, so this arithmetic is the project's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.locale.jalali import (
    format_date,
    jalali_month_bounds,
    jalali_month_name,
    to_jalali,
    week_bounds,
)
from bot.locale.normalize import to_persian_digits
from bot.locale.text import t

KINDS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """A closed range of local dates [start, end] of one kind."""

    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        """Stable text naming the period, e.g. 'week:2026-11-21'."""
        return f"{self.kind}:{self.start.isoformat()}"

    @property
    def label(self) -> str:
        """The period in Persian: a day with its weekday, a week's first and last day, a month."""
        if self.kind == "day":
            return format_date(self.start, weekday=True)
        if self.kind == "week":
            first, last = to_jalali(self.start), to_jalali(self.end)
            if first.month == last.month:
                return t("digest.week_label", first=to_persian_digits(first.day),
                         last=format_date(self.end))
            return t("digest.week_label", first=format_date(self.start),
                     last=format_date(self.end))
        return jalali_month_name(self.start)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        return period_of(self.kind, self.end + timedelta(days=1))

    def utc_range(self, tz: ZoneInfo) -> tuple[str, str]:
        """[from, to) as UTC ISO instants: local midnight of start to that after end."""
        begin = datetime.combine(self.start, time(0), tz).astimezone(UTC)
        finish = datetime.combine(self.end + timedelta(days=1), time(0), tz).astimezone(UTC)
        return begin.isoformat(timespec="seconds"), finish.isoformat(timespec="seconds")


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` containing `day`."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        return Period("week", *week_bounds(day))
    if kind == "month":
        return Period("month", *jalali_month_bounds(day))
    raise ValueError(f"unknown period kind {kind!r}")


@dataclass(frozen=True)
class DigestTimes:
    """When digests go out, in local time."""

    daily: time = time(20, 0)
    morning: time = time(8, 0)  # weekly (Saturday) and monthly (1st of the Jalali month)


def send_moment(period: Period, times: DigestTimes, tz: ZoneInfo) -> datetime:
    """When the period's digest is due (aware, in `tz`)."""
    if period.kind == "day":
        return datetime.combine(period.end, times.daily, tz)
    return datetime.combine(period.end + timedelta(days=1), times.morning, tz)


def latest_due(kind: str, now: datetime, times: DigestTimes, tz: ZoneInfo) -> Period:
    """The newest period of `kind` whose digest is due at `now` (aware)."""
    local_now = now.astimezone(tz)
    period = period_of(kind, local_now.date())
    while send_moment(period, times, tz) > local_now:
        period = period.previous()
    return period


def due_periods(now: datetime, times: DigestTimes, tz: ZoneInfo) -> list[Period]:
    """The newest due day, week and month at `now`: what a (re)started bot owes."""
    return [latest_due(kind, now, times, tz) for kind in KINDS]
