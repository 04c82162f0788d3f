"""Date ranges as people say them, for exports and reports: «اول آذر تا امروز», «از ۱ آذر تا
۱۵ آذر», «آذر», «ماه پیش», «این هفته», «۳۰ روز اخیر», «۱۴۰۵/۸/۱ ۱۴۰۵/۸/۳۰».

`read_range(text, today=...)` gives a `DateRange` (first and last Gregorian day, both
included; a range reaching past today ends today) or a `RangeRefusal`. "Today" comes from
the caller (the app's clock). No messenger code here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.locale.dates import _MONTHS, DateReading, DateRefusal, _key, jalali_day, read_date
from bot.locale.jalali import (
    from_jalali,
    jalali_month_bounds,
    previous_jalali_month_bounds,
    to_jalali,
    week_bounds,
)
from bot.locale.numbers import fold, read_number, tokens

Reason = Literal["format", "future", "start", "end"]


@dataclass(frozen=True)
class DateRange:
    """Days `start` to `end`, both included."""

    start: date
    end: date


@dataclass(frozen=True)
class RangeRefusal:
    """A range that cannot be taken: 'format' (not a range), 'future' (it starts after
    today), 'start'/'end' (that side is not a date; `side` says why)."""

    reason: Reason
    side: DateRefusal | None = None


_NOW_WORDS = {"امروز", "الان", "حالا", "اکنون", "کنون", "الآن", "امروزه", "حال"}
_AGO = {"پیش", "قبل", "گذشته"}
_RECENT = {"اخیر", "گذشته", "اخیره", "آخر", "اخر"}
_SEPARATOR = re.compile(r"\s+(?:تا|الی|لغایت|until|to)\s+|\s*[–—]\s*|\s+-\s+")
_LEADING = re.compile(r"^(?:/export\S*|از|from)\s+")


def _named(keys: list[str], today: date) -> DateRange | None:
    """A period named in words: «این هفته», «ماه پیش», «امسال», «۳۰ روز اخیر»."""
    joined = "".join(k for k in keys if k not in ("در", "طول", "توی", "تو", "کل"))
    year = to_jalali(today).year
    month_start, _ = jalali_month_bounds(today)
    week_start, _ = week_bounds(today)
    named = {
        "امروز": (today, today),
        "دیروز": (today - timedelta(days=1), today - timedelta(days=1)),
        "اینهفته": (week_start, today), "هفتهجاری": (week_start, today),
        "همینهفته": (week_start, today), "هفتهاخیر": (today - timedelta(days=6), today),
        "هفتهپیش": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "هفتهقبل": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "هفتهگذشته": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "اینماه": (month_start, today), "ماهجاری": (month_start, today),
        "همینماه": (month_start, today), "ماهاخیر": (today - timedelta(days=29), today),
        "ماهپیش": previous_jalali_month_bounds(today),
        "ماهقبل": previous_jalali_month_bounds(today),
        "ماهگذشته": previous_jalali_month_bounds(today),
        "امسال": (from_jalali(year, 1, 1), today), "سالجاری": (from_jalali(year, 1, 1), today),
        "پارسال": (from_jalali(year - 1, 1, 1), from_jalali(year, 1, 1) - timedelta(days=1)),
        "سالپیش": (from_jalali(year - 1, 1, 1), from_jalali(year, 1, 1) - timedelta(days=1)),
        "سالگذشته": (from_jalali(year - 1, 1, 1), from_jalali(year, 1, 1) - timedelta(days=1)),
    }
    if joined in named:
        return DateRange(*named[joined])
    # «۳۰ روز اخیر», «دو هفته گذشته», «۳ ماه اخیر»
    if len(keys) >= 3 and keys[-1] in _RECENT and keys[-2] in ("روز", "هفته", "ماه"):
        count = read_number(" ".join(keys[:-2]))
        value = getattr(count, "value", None)
        if isinstance(value, int) and 0 < value <= 3660:
            days = value * {"روز": 1, "هفته": 7, "ماه": 30}[keys[-2]]
            return DateRange(today - timedelta(days=days - 1), today)
    return None


def _month(keys: list[str], today: date) -> tuple[date, date] | None:
    """A month by name, with or without its year: «آذر», «آذر ماه», «آذر ۱۴۰۵». Without a
    year: this year's if it has begun, else last year's."""
    keys = [k for k in keys if k not in ("ماه", "سال")]
    if not keys or len(keys) > 2:
        return None
    name = keys[0].removesuffix("ماه") if keys[0] not in _MONTHS else keys[0]
    if name not in _MONTHS:
        return None
    month = _MONTHS[name]
    if len(keys) == 2:
        if not keys[1].isdigit():
            return None
        year = int(keys[1]) + (1400 if len(keys[1]) <= 2 else 0)
    else:
        year = to_jalali(today).year
        if jalali_day(year, month, 1) > today:  # type: ignore[operator]
            year -= 1
    first = jalali_day(year, month, 1)
    if not isinstance(first, date):
        return None
    return jalali_month_bounds(first)


def _side(text: str, today: date, *, end: bool) -> tuple[date, date] | DateRefusal:
    """One side of a range as the days it may stand for (a day, or a whole month)."""
    keys = [_key(w) for w in tokens(text)]
    if keys and all(k in _NOW_WORDS for k in keys):
        return today, today
    month = _month(keys, today)
    if month is not None:
        return month
    named = _named(keys, today)
    if named is not None:
        return named.start, named.end
    reading = read_date(text, today=today, allow_future=end)
    if isinstance(reading, DateReading):
        return reading.day, reading.day
    return reading


def _borrow_month(first: str, second: str) -> str:
    """«از ۱ تا ۱۵ آذر»: the first side, a day alone, takes the second's month (and year)."""
    first_words, second_words = tokens(first), tokens(second)
    if len(first_words) != 1 or not isinstance(
            getattr(read_number(first_words[0]), "value", None), int):
        return first
    month_at = next((i for i, w in enumerate(second_words) if _key(w) in _MONTHS), None)
    if month_at is None:
        return first
    return " ".join([first_words[0], *second_words[month_at:]])


def read_range(text: str, *, today: date) -> DateRange | RangeRefusal:
    """Read a range of days typed as a person would say it; `today` is the app's today.

    «اول آذر تا امروز», «از ۱ آذر تا ۱۵ آذر», «از ۱ تا ۱۵ آذر», «۱۴۰۵/۸/۱ تا ۱۴۰۵/۸/۳۰»,
    «۱۴۰۵/۸/۱ ۱۴۰۵/۸/۳۰» (two dates), «آذر» (the month), «آبان تا آذر», «ماه پیش»,
    «این هفته», «۳۰ روز اخیر», «دیروز», one date (that day). Sides typed backwards are
    swapped; a range reaching past today ends today. Used by /export (its arguments) and
    any report that asks for a period."""
    cleaned = _LEADING.sub("", fold(text).strip().rstrip(".!؟?")).strip()
    if not cleaned or len(cleaned) > 80:
        return RangeRefusal("format")
    parts = _SEPARATOR.split(cleaned, maxsplit=1)
    if len(parts) == 1:
        words = cleaned.split()
        numeric = [w for w in words if re.fullmatch(r"[0-9]{2,4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}",
                                                     w)]
        if len(words) == 2 and len(numeric) == 2:
            parts = words
    if len(parts) == 1:
        whole = _side(cleaned, today, end=False)
        if isinstance(whole, DateRefusal):
            reason: Reason = "start"
            if whole.reason in ("format", "future"):
                reason = whole.reason
            return RangeRefusal(reason, whole)
        return _finish(whole[0], whole[1], today)
    first_text, second_text = (_LEADING.sub("", p.strip()) for p in parts)
    first = _side(_borrow_month(first_text, second_text), today, end=False)
    if isinstance(first, DateRefusal):
        return RangeRefusal("future" if first.reason == "future" else "start", first)
    second = _side(second_text, today, end=True)
    if isinstance(second, DateRefusal):
        return RangeRefusal("end", second)
    start, finish = first[0], second[1]
    if start > finish:
        start, finish = second[0], first[1]
    return _finish(start, finish, today)


def _finish(start: date, end: date, today: date) -> DateRange | RangeRefusal:
    if start > today:
        return RangeRefusal("future")
    return DateRange(start, min(end, today))
