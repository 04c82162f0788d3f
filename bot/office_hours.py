"""An office's working hours, and the response promise a resident is given.

`response_deadline` turns "the office answers within N hours" into an instant that respects
working hours, Fridays, holidays and quiet nights: a short time (under a day) counts
working hours only, starting at the next opening if the office is closed; a day or more
counts whole working days and ends at closing time. `response_promise` says it in Persian:
«ظرف ۴ ساعت» when the office is open the whole time, else «تا فردا ساعت ۱۲», «تا شنبه ۱۴
آذر ۱۴۰۵ ساعت ۱۴». Pure: the instant comes from the caller (the app's clock).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.locale.jalali import WEEKDAY_NAMES, format_date, weekday_index
from bot.locale.normalize import to_persian_digits
from bot.locale.text import t

DAY_KEYS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")  # weekday_index order
MAX_SEARCH_DAYS = 60


@dataclass(frozen=True)
class WorkingHours:
    """Open on `days` (0 = Saturday … 6 = Friday) from `opens` to `closes`, local time."""

    days: frozenset[int] = frozenset(range(5))  # Saturday to Wednesday
    opens: time = time(8, 0)
    closes: time = time(14, 0)

    def open_on(self, day: date, holidays: Collection[date] = ()) -> bool:
        """The office works that day (not a day off, not a holiday)."""
        return weekday_index(day) in self.days and day not in holidays

    def shown(self) -> str:
        """«شنبه تا چهارشنبه، ساعت ۸ تا ۱۴» for the resident's help."""
        ordered = sorted(self.days)
        if not ordered:
            return t("office.hours_none")
        runs = ordered == list(range(ordered[0], ordered[-1] + 1))
        if runs and len(ordered) > 2:
            days = t("office.hours_days_range", first=WEEKDAY_NAMES[ordered[0]],
                     last=WEEKDAY_NAMES[ordered[-1]])
        else:
            days = "، ".join(WEEKDAY_NAMES[d] for d in ordered)
        return t("office.hours_line", days=days, opens=clock(self.opens),
                 closes=clock(self.closes))


def clock(moment: time) -> str:
    """۸, ۱۲:۳۰: an hour of the day as said in Persian, in Persian digits."""
    text = f"{moment.hour}" if moment.minute == 0 else f"{moment.hour}:{moment.minute:02d}"
    return to_persian_digits(text)


def _window(day: date, hours: WorkingHours, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.combine(day, hours.opens, tz), datetime.combine(day, hours.closes, tz))


def response_deadline(received: datetime, within_hours: int, hours: WorkingHours,
                      holidays: Collection[date], tz: ZoneInfo) -> datetime:
    """When a response promised "within `within_hours` hours" is due (aware, in `tz`)."""
    local = received.astimezone(tz)
    if not hours.days or hours.closes <= hours.opens:
        return local + timedelta(hours=within_hours)
    if within_hours >= 24:
        wanted, day, found = math.ceil(within_hours / 24), local.date(), 0
        for _ in range(MAX_SEARCH_DAYS):
            day += timedelta(days=1)
            if hours.open_on(day, holidays):
                found += 1
                if found == wanted:
                    return _window(day, hours, tz)[1]
        return local + timedelta(hours=within_hours)
    left = timedelta(hours=within_hours)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        if hours.open_on(day, holidays):
            opens, closes = _window(day, hours, tz)
            start = max(opens, local)
            if start < closes:
                if start + left <= closes:
                    return start + left
                left -= closes - start
        day += timedelta(days=1)
    return local + timedelta(hours=within_hours)


def response_promise(received: datetime, within_hours: int, hours: WorkingHours,
                     holidays: Collection[date], tz: ZoneInfo) -> str:
    """The promise in words: «ظرف ۴ ساعت» if the office is open all that time, else the
    day and hour («تا فردا ساعت ۱۲»). Shown when a request is filed (`case.expected`)."""
    local = received.astimezone(tz)
    due = response_deadline(received, within_hours, hours, holidays, tz)
    if within_hours < 24 and due == local + timedelta(hours=within_hours):
        return t("office.promise_within", hours=within_hours)
    days = (due.date() - local.date()).days
    at = clock(due.time())
    if days == 0:
        return t("office.promise_today", time=at)
    if days == 1:
        return t("office.promise_tomorrow", time=at)
    if days == 2:
        return t("office.promise_day_after", time=at)
    return t("office.promise_day", day=format_date(due.date(), weekday=True), time=at)


def parse_hours(where: str, raw: object) -> WorkingHours:
    """`{ days = ["sat", …], open = "08:00", close = "14:00" }` from the organisation file;
    ValueError naming `where` and the problem."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: 'hours' must be {{ days = [...], open = \"08:00\", "
                         "close = \"14:00\" }")
    days_raw = raw.get("days")
    if not isinstance(days_raw, list) or not days_raw or not all(
            isinstance(d, str) and d.lower() in DAY_KEYS for d in days_raw):
        raise ValueError(f"{where}: hours 'days' must list some of {', '.join(DAY_KEYS)}")
    opens, closes = _time(where, raw, "open"), _time(where, raw, "close")
    if closes <= opens:
        raise ValueError(f"{where}: hours 'close' must be after 'open'")
    return WorkingHours(frozenset(DAY_KEYS.index(d.lower()) for d in days_raw), opens, closes)


def _time(where: str, raw: dict[str, object], key: str) -> time:
    value = raw.get(key)
    try:
        hour, minute = str(value).split(":")
        return time(int(hour), int(minute))
    except ValueError:
        raise ValueError(f"{where}: hours {key!r} must be a time like \"08:00\"") from None
