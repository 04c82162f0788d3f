"""Dates as people say them: «دیروز», «۳ روز پیش», «شنبه», «۵ آذر», «۱۴۰۵/۹/۵», «۵/۹».

`read_date(text, today=...)` gives a `DateReading` (the Gregorian day; `gregorian=True`
when a Gregorian date was typed by mistake and converted, to be confirmed) or a
`DateRefusal` naming what was understood and why it cannot be taken: 'future', 'too_old',
'day' (no such day in that month), 'month', 'ambiguous' (۵/۹: 5 Azar or 9 Mordad?) or
'format'. "Today" always comes from the caller (the app's clock): nothing here reads the
time. No messenger code here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.locale.jalali import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    from_jalali,
    jalali_days_in_month,
    to_jalali,
    week_bounds,
    weekday_index,
)
from bot.locale.numbers import fold, read_ordinal, tokens, words_to_number

Reason = Literal["format", "month", "day", "future", "too_old", "ambiguous"]
NEAR_FUTURE = timedelta(days=31)  # a day-and-month this close ahead means this year's

GREGORIAN_YEARS = range(1900, 2200)
JALALI_YEARS = range(1300, 1500)


@dataclass(frozen=True)
class DateReading:
    """A day understood; `gregorian`: it was typed as a Gregorian date and converted."""

    day: date
    gregorian: bool = False


@dataclass(frozen=True)
class DateRefusal:
    """A date that cannot be taken: why, and what was understood (for the message)."""

    reason: Reason
    understood: date | None = None
    candidates: tuple[date, ...] = ()
    month: int | None = None          # the Jalali month named, for 'day'
    days_in_month: int | None = None  # how many days it has, for 'day'
    max_age_days: int | None = field(default=None, compare=False)


def _key(word: str) -> str:
    return fold(word).replace("\u200c", "").replace(" ", "").replace("آ", "ا").casefold()


_MONTHS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    _MONTHS[_key(_name)] = _number
    _MONTHS[_key(_name) + "ماه"] = _number
_MONTHS.update({"امرداد": 5, "امردادماه": 5, "اردبهشت": 2, "شهرور": 6})

_WEEKDAYS: dict[str, int] = {_key(name): index for index, name in enumerate(WEEKDAY_NAMES)}
_WEEKDAYS.update({"سشنبه": 3, "چارشنبه": 4, "پنجشنبه": 5, "پنشنبه": 5, "جمعه": 6})

_RELATIVE_DAYS = {"امروز": 0, "امروزه": 0, "همینامروز": 0, "امشب": 0, "دیشب": 1,
                  "دیروز": 1, "دیروزی": 1,
                  "پریروز": 2, "پریروزی": 2, "پسپریروز": 3, "فردا": -1, "پسفردا": -2}
_AGO = {"پیش", "قبل", "گذشته", "پیشتر", "قبلتر"}
_THIS = {"همین", "این"}
_FILLER = {"بود", "روز", "تاریخ", "در", "سال", "ماه", "شمسی", "هجری", "تو", "توی"}
_TIME_OF_DAY = {"صبح", "ظهر", "بعدازظهر", "عصر", "غروب", "شب", "ساعت"}

_SEP = r"\s*[/\-.٫]\s*"
_YMD = re.compile(rf"([0-9]{{4}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{1,2}})")
_DMY = re.compile(rf"([0-9]{{1,2}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{4}})")
_SHORT_YMD = re.compile(rf"([0-9]{{2}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{1,2}})")
_DM = re.compile(rf"([0-9]{{1,2}}){_SEP}([0-9]{{1,2}})")


def _limits(day: date, today: date, allow_future: bool,
            max_age_days: int | None) -> DateRefusal | None:
    if not allow_future and day > today:
        return DateRefusal("future", day, max_age_days=max_age_days)
    if max_age_days is not None and (today - day).days > max_age_days:
        return DateRefusal("too_old", day, max_age_days=max_age_days)
    return None


def _checked(day: date, today: date, allow_future: bool, max_age_days: int | None,
             gregorian: bool = False) -> DateReading | DateRefusal:
    return _limits(day, today, allow_future, max_age_days) or DateReading(day, gregorian)


def jalali_day(year: int, month: int, day: int) -> date | DateRefusal:
    """The Gregorian date of a Jalali day, or the refusal for a month or day that is not."""
    if not 1 <= month <= 12:
        return DateRefusal("month")
    if year not in JALALI_YEARS:
        return DateRefusal("format")
    length = jalali_days_in_month(year, month)
    if not 1 <= day <= length:
        return DateRefusal("day", month=month, days_in_month=length)
    return from_jalali(year, month, day)


def _without_year(month: int, day: int, today: date, allow_future: bool) -> date | DateRefusal:
    """A day and month in the current Jalali year, or the year before when this year's is
    months away and the future is not allowed («۵ دی» typed on ۱۱ آذر is last Dey; «۲۰
    آذر» is this Azar, refused as not come yet)."""
    year = to_jalali(today).year
    result = jalali_day(year, month, day)
    if isinstance(result, DateRefusal) and result.reason == "day" and month == 12:
        result = jalali_day(year - 1, month, day)  # 30 Esfand of the last leap year
    if isinstance(result, date) and result - today > NEAR_FUTURE and not allow_future:
        return jalali_day(year - 1, month, day)
    return result


def _full_date(year: int, month: int, day: int, today: date, allow_future: bool,
               max_age_days: int | None) -> DateReading | DateRefusal:
    """A date with its year: Gregorian (converted, to be confirmed) or Jalali."""
    if year in GREGORIAN_YEARS:
        try:
            return _checked(date(year, month, day), today, allow_future, max_age_days,
                            gregorian=True)
        except ValueError:
            return DateRefusal("day" if 1 <= month <= 12 else "month")
    result = jalali_day(year, month, day)
    return result if isinstance(result, DateRefusal) else _checked(
        result, today, allow_future, max_age_days)


def _numeric(text: str, today: date, allow_future: bool,
             max_age_days: int | None) -> DateReading | DateRefusal | None:
    """Dates in digits; None when the text is not one."""
    compact = text.strip()
    if found := _YMD.fullmatch(compact):
        year, month, day = (int(g) for g in found.groups())
        return _full_date(year, month, day, today, allow_future, max_age_days)
    if found := _DMY.fullmatch(compact):
        day, month, year = (int(g) for g in found.groups())
        return _full_date(year, month, day, today, allow_future, max_age_days)
    if found := _SHORT_YMD.fullmatch(compact):
        year, month, day = (int(g) for g in found.groups())
        return _full_date(1400 + year, month, day, today, allow_future, max_age_days)
    if found := _DM.fullmatch(compact):
        first, second = (int(g) for g in found.groups())
        return _day_and_month(first, second, today, allow_future, max_age_days)
    return None


def _day_and_month(first: int, second: int, today: date, allow_future: bool,
                   max_age_days: int | None) -> DateReading | DateRefusal:
    """«۵/۹»: day/month (5 Azar) or month/day (9 Mordad): the one that fits the limits; both
    fitting and different: ask."""
    readings = [_without_year(second, first, today, allow_future),
                _without_year(first, second, today, allow_future)]
    fitting: list[date] = []
    for reading in readings:
        if isinstance(reading, date) and _limits(reading, today, allow_future,
                                                 max_age_days) is None:
            if reading not in fitting:
                fitting.append(reading)
    if len(fitting) == 1:
        return DateReading(fitting[0])
    if len(fitting) > 1:
        return DateRefusal("ambiguous", candidates=tuple(fitting))
    primary = readings[0]
    if isinstance(primary, DateRefusal):
        other = readings[1]
        if isinstance(other, date):
            return _limits(other, today, allow_future, max_age_days) or DateRefusal("format")
        return primary
    return _limits(primary, today, allow_future, max_age_days) or DateRefusal("format")


def _words(words: list[str], today: date, allow_future: bool,
           max_age_days: int | None) -> DateReading | DateRefusal | None:
    """Dates in words; None when the words are not a date."""
    keys = [_key(w) for w in words]
    joined = "".join(k for k in keys if k not in ("بود", "تاریخ") and k not in _TIME_OF_DAY)
    if joined in _RELATIVE_DAYS:
        return _checked(today - timedelta(days=_RELATIVE_DAYS[joined]), today,
                        allow_future, max_age_days)
    # «۳ روز پیش», «سه روز قبل», «دو هفته پیش»
    if len(keys) >= 2 and keys[-1] in _AGO:
        unit_days = 7 if keys[-2] == "هفته" else 1 if keys[-2] in ("روز",) else 0
        count_words = words[:-2] if unit_days else []
        if unit_days and count_words:
            count = (int(count_words[0]) if len(count_words) == 1 and count_words[0].isdigit()
                     else words_to_number(count_words))
            if count is not None:
                return _checked(today - timedelta(days=count * unit_days), today,
                                allow_future, max_age_days)
    words = [w for w in words if _key(w) not in _FILLER and _key(w) not in _TIME_OF_DAY]
    keys = [_key(w) for w in words]
    weekday = _weekday(keys, today)
    if weekday is not None:
        return _checked(weekday, today, allow_future, max_age_days)
    return _day_month_year(words, keys, today, allow_future, max_age_days)


def _weekday(keys: list[str], today: date) -> date | None:
    """«شنبه» (the latest, today included), «شنبهٔ گذشته» (the latest before today),
    «شنبهٔ هفتهٔ پیش» (that day of last week)."""
    rest = [k.removesuffix("ی") if k.endswith("هی") else k for k in keys]
    rest = [k for k in rest if k not in _THIS]
    if not rest:
        return None
    # «سه شنبه» / «پنج شنبه» / «یک شنبه» arrive as two words
    head = rest[0]
    if len(rest) >= 2 and rest[0] + rest[1] in _WEEKDAYS:
        head, rest = rest[0] + rest[1], [rest[0] + rest[1], *rest[2:]]
    head = head.removesuffix("ی") if head.removesuffix("ی") in _WEEKDAYS else head
    if head not in _WEEKDAYS:
        return None
    index = _WEEKDAYS[head]
    tail = [k.removesuffix("ی") if k.removesuffix("ی") in ("هفته",) else k for k in rest[1:]]
    latest = today - timedelta(days=(weekday_index(today) - index) % 7)
    if not tail:
        return latest
    if len(tail) == 1 and tail[0] in _AGO:
        return latest if latest < today else latest - timedelta(days=7)
    if len(tail) == 2 and tail[0] == "هفته" and tail[1] in _AGO:
        start, _ = week_bounds(today)
        return start - timedelta(days=7) + timedelta(days=index)
    return None


def _day_month_year(words: list[str], keys: list[str], today: date, allow_future: bool,
                    max_age_days: int | None) -> DateReading | DateRefusal | None:
    """«۵ آذر», «پنجم آذر ۱۴۰۵», «شنبه ۵ آذرماه»: a day, a month name, perhaps a year."""
    month_at = next((i for i, k in enumerate(keys) if k in _MONTHS), None)
    if month_at is None and len(keys) >= 2:
        for i in range(len(keys) - 1):  # «آذر ماه» in two words
            if keys[i] + keys[i + 1] in _MONTHS:
                month_at = i
                words = [*words[:i], words[i] + words[i + 1], *words[i + 2:]]
                keys = [*keys[:i], keys[i] + keys[i + 1], *keys[i + 2:]]
                break
    if month_at is None:
        return None
    month = _MONTHS[keys[month_at]]
    before, before_keys = words[:month_at], keys[:month_at]
    # a weekday before the day («شنبه ۵ آذر», «سه شنبه ۵ آذر») is dropped
    if len(before_keys) > 2 and before_keys[0] + before_keys[1] in _WEEKDAYS:
        before = before[2:]
    elif len(before_keys) > 1 and before_keys[0].removesuffix("ی") in _WEEKDAYS:
        before = before[1:]
    after = [w for w in words[month_at + 1:] if _key(w) not in ("سال",)]
    if not before and len(after) == 1 and after[0].isdigit() and int(after[0]) <= 31:
        before, after = after, []  # «آذر ۵»: the day after the month
    if not before:
        return DateRefusal("format")
    day = read_ordinal(" ".join(before))
    if day is None:
        return DateRefusal("format")
    if after:
        if len(after) != 1 or not after[0].isdigit():
            return DateRefusal("format")
        year = int(after[0])
        if year < 100:
            year += 1400
        result = jalali_day(year, month, day)
    else:
        result = _without_year(month, day, today, allow_future)
    if isinstance(result, DateRefusal):
        return result
    return _checked(result, today, allow_future, max_age_days)


def read_date(text: str, *, today: date, allow_future: bool = False,
              max_age_days: int | None = None) -> DateReading | DateRefusal:
    """Read a date typed as a person would say it; `today` is the app's today."""
    if len(text) > 60:
        return DateRefusal("format")
    folded = fold(text).strip().rstrip(".!؟?")
    numeric = _numeric(_without_weekday(folded), today, allow_future, max_age_days)
    if numeric is not None:
        return _with_age(numeric, max_age_days)
    words = [w for w in tokens(text) if w and w not in ("ی", "ٔ")]  # a written ezafe
    if not words:
        return DateRefusal("format")
    found = _words(words, today, allow_future, max_age_days)
    return _with_age(found, max_age_days) if found is not None else DateRefusal("format")


def _without_weekday(text: str) -> str:
    """«شنبه ۱۴۰۵/۹/۸» or «۱۴۰۵/۹/۸ شنبه»: the digits, the weekday dropped."""
    parts = text.replace("\u200c", " ").split()
    digits = [p for p in parts if p[:1].isdigit()]
    rest = "".join(p for p in parts if not p[:1].isdigit())
    if len(digits) == 1 and rest and _key(rest).removesuffix("ی") in _WEEKDAYS:
        return digits[0]
    return text


def _with_age(result: DateReading | DateRefusal, max_age_days: int | None
              ) -> DateReading | DateRefusal:
    if isinstance(result, DateRefusal) and result.max_age_days is None:
        return DateRefusal(result.reason, result.understood, result.candidates, result.month,
                           result.days_in_month, max_age_days)
    return result
