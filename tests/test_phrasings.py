"""What people type, and what it must become: a table of phrasings run against the pure
parsers of bot/locale (numbers, dates, phones, places, choices, the short answers of
`answers`, date ranges), each with the value it must give or the refusal it must get.
Issue 20's refusals are here with more of the same kinds. No bot here."""

from __future__ import annotations

from datetime import date

import pytest

from bot.locale import answers
from bot.locale.choices import match_choice, match_choices
from bot.locale.dates import DateReading, DateRefusal, read_date
from bot.locale.jalali import from_jalali
from bot.locale.numbers import NumberReading, NumberRefusal, read_number
from bot.locale.phones import Phone, PhoneRefusal, find_phone, read_phone
from bot.locale.places import Address, Coordinates, PlaceRefusal, ShortLink, read_link, read_place
from bot.locale.ranges import DateRange, RangeRefusal, read_range

# A fixed "today" handed to the parsers, as the app's clock would: Tuesday 10 Azar 1405.
TODAY = date(2026, 12, 1)


def j(year: int, month: int, day: int) -> date:
    return from_jalali(year, month, day)


# --- numbers ----------------------------------------------------------------------------------
# (typed, question unit, decimals allowed, expected value or ("refused", reason))

NUMBERS: list[tuple[str, str | None, bool, object]] = [
    ("۳۰", None, False, 30),
    ("30", None, False, 30),
    ("٣٠", None, False, 30),
    ("۱2٣", None, False, 123),
    ("۳۰ نفر", "people", False, 30),
    ("۳۰نفر", "people", False, 30),
    ("۳۰ تا", "people", False, 30),
    ("۳۰تا", "people", False, 30),
    ("سی تا", "people", False, 30),
    ("دوتا", "people", False, 2),
    ("حدود ۲۰", "people", False, 20),
    ("حدوداً ۲۰", "people", False, 20),
    ("حدودا ۲۰", "people", False, 20),
    ("حدوداً ۲۰ نفر", "people", False, 20),
    ("در حدود ۴۰ نفر", "people", False, 40),
    ("تقریباً ۱۵", "people", False, 15),
    ("تقريبا ۱۵", "people", False, 15),
    ("نزدیک به ۵۰", "people", False, 50),
    ("نزدیک ۵۰ نفر", "people", False, 50),
    ("قریب ۱۰۰ نفر", "people", False, 100),
    ("بیست و پنج", None, False, 25),
    ("بیست‌وپنج", None, False, 25),
    ("بيست و پنج", None, False, 25),
    ("صد و دوازده", None, False, 112),
    ("یکصد و دوازده", None, False, 112),
    ("سیصد و چهل و پنج", None, False, 345),
    ("دویست و پنجاه و شش", None, False, 256),
    ("هزار و دویست", None, False, 1200),
    ("یک هزار و دویست", None, False, 1200),
    ("سه هزار", None, False, 3000),
    ("۳ هزار", None, False, 3000),
    ("دو میلیون و سیصد هزار", None, False, 2_300_000),
    ("پونزده", None, False, 15),
    ("شونزده نفر", "people", False, 16),
    ("هیجده", None, False, 18),
    ("یازده", None, False, 11),
    ("نود و نه", None, False, 99),
    ("صفر", None, False, 0),
    ("هیچ", "people", False, 0),
    ("هیچ‌کس", "people", False, 0),
    ("۰", None, False, 0),
    ("۱۲ خانوار", "households", False, 12),
    ("۱۲ خانواده", "households", False, 12),
    ("دوازده خانوار", "households", False, 12),
    ("۱۲ خانوار", None, False, 12),
    ("۱۲", "households", False, 12),
    ("۱٬۲۰۰", None, False, 1200),
    ("1,200", None, False, 1200),
    ("۱،۲۰۰", None, False, 1200),
    ("۱۲۰۰", None, False, 1200),
    ("۳۰ نفر بودیم", "people", False, 30),
    ("۳۰ نفر بودند", "people", False, 30),
    ("جمعاً ۳۰ نفر", "people", False, 30),
    ("  ۳۰  ", None, False, 30),
    ("۳۰.", None, False, 30),
    ("۳٫۵", None, True, 3.5),
    ("3.5", None, True, 3.5),
    ("۳/۵", None, True, 3.5),
    ("دو و نیم", None, True, 2.5),
    ("۲ و نیم", None, True, 2.5),
    ("۴٫۰", None, False, 4),
    ("۳٫۵", None, False, ("refused", "decimal")),
    ("3.5", None, False, ("refused", "decimal")),
    ("۲۰ تا ۳۰", "people", False, ("refused", "several")),
    ("۲۰ تا ۳۰ نفر", "people", False, ("refused", "several")),
    ("بین ۲۰ تا ۳۰", "people", False, ("refused", "several")),
    ("از ۲۰ تا ۳۰", "people", False, ("refused", "several")),
    ("۲۰-۳۰", "people", False, ("refused", "several")),
    ("۲۰ یا ۳۰", "people", False, ("refused", "several")),
    ("۲۰ الی ۳۰", "people", False, ("refused", "several")),
    ("۲۰ و ۳۰", "people", False, ("refused", "several")),
    ("بیست تا سی", "people", False, ("refused", "several")),
    ("۲۰ ۳۰", None, False, ("refused", "several")),
    ("۲۰ خانوار", "people", False, ("refused", "unit")),
    ("۲۰ نفر", "households", False, ("refused", "unit")),
    ("ده روز", "people", False, ("refused", "unit")),
    ("بیش از ۲۰", "people", False, ("refused", "bound")),
    ("بالای ۵۰ نفر", "people", False, ("refused", "bound")),
    ("کمتر از ۱۰", "people", False, ("refused", "bound")),
    ("دست‌کم ۳۰", "people", False, ("refused", "bound")),
    ("سی‌وپنج", None, False, 35),
    ("پونصد", None, False, 500),
    ("۳۰ نفر آمده بودند", "people", False, 30),
    ("۳۰ نفری", "people", False, 30),
    ("ده دوازده نفر", "people", False, ("refused", "several")),
    ("بیست و چند", "people", False, ("refused", "not_a_number")),
    ("چند نفر", "people", False, ("refused", "not_a_number")),
    ("یک دوجین", None, False, ("refused", "not_a_number")),
    ("۱.۲۰۰", None, False, ("refused", "decimal")),  # European grouping: read as 1.2
    ("-۳", None, False, -3),
    ("سلام", None, False, ("refused", "not_a_number")),
    ("زیاد بودند", "people", False, ("refused", "not_a_number")),
    ("نمی‌دانم", None, False, ("refused", "not_a_number")),
    ("نه", None, False, ("refused", "not_a_number")),
    ("سی و", None, False, ("refused", "not_a_number")),
    ("", None, False, ("refused", "empty")),
    ("۳۰ نفر " * 20, None, False, ("refused", "too_long")),
]


@pytest.mark.parametrize(("typed", "unit", "decimals", "expected"), NUMBERS)
def test_numbers(typed: str, unit: str | None, decimals: bool, expected: object) -> None:
    result = read_number(typed, decimals=decimals, unit=unit)
    if isinstance(expected, tuple):
        assert isinstance(result, NumberRefusal), result
        assert result.reason == expected[1]
    else:
        assert isinstance(result, NumberReading), result
        assert result.value == expected
        assert type(result.value) is type(expected)


def test_a_range_names_both_numbers_and_about_is_remembered() -> None:
    assert read_number("۲۰ تا ۳۰") == NumberRefusal("several", (20, 30))
    assert read_number("حدود ۲۰").approximate is True  # type: ignore[union-attr]
    assert read_number("۲۰ خانوار", unit="people") == NumberRefusal("unit", (20,),
                                                                    "households")


# --- dates --------------------------------------------------------------------------------------
# Limits as on the field report: not in the future, at most 90 days old.

DATES: list[tuple[str, object]] = [
    ("امروز", j(1405, 9, 10)),
    ("دیروز", j(1405, 9, 9)),
    ("دیروز بود", j(1405, 9, 9)),
    ("پریروز", j(1405, 9, 8)),
    ("پری روز", j(1405, 9, 8)),
    ("پری‌روز", j(1405, 9, 8)),
    ("پس پریروز", j(1405, 9, 7)),
    ("۳ روز پیش", j(1405, 9, 7)),
    ("3 روز قبل", j(1405, 9, 7)),
    ("سه روز پیش", j(1405, 9, 7)),
    ("ده روز پیش", j(1405, 8, 30)),
    ("یک هفته پیش", j(1405, 9, 3)),
    ("دو هفته قبل", j(1405, 8, 26)),
    ("شنبه", j(1405, 9, 7)),
    ("همین شنبه", j(1405, 9, 7)),
    ("یکشنبه", j(1405, 9, 8)),
    ("یک‌شنبه", j(1405, 9, 8)),
    ("دوشنبه", j(1405, 9, 9)),
    ("سه‌شنبه", j(1405, 9, 10)),  # today is a Tuesday: the latest one is today
    ("سه شنبه", j(1405, 9, 10)),
    ("چهارشنبه", j(1405, 9, 4)),
    ("چارشنبه", j(1405, 9, 4)),
    ("پنجشنبه", j(1405, 9, 5)),
    ("پنج‌شنبه", j(1405, 9, 5)),
    ("جمعه", j(1405, 9, 6)),
    ("جمعه پیش", j(1405, 9, 6)),
    ("شنبهٔ گذشته", j(1405, 9, 7)),
    ("شنبه گذشته", j(1405, 9, 7)),
    ("شنبه‌ی گذشته", j(1405, 9, 7)),
    ("شنبه پیش", j(1405, 9, 7)),
    ("سه‌شنبهٔ گذشته", j(1405, 9, 3)),  # before today
    ("شنبهٔ هفتهٔ پیش", j(1405, 8, 30)),
    ("شنبه هفته قبل", j(1405, 8, 30)),
    ("دوشنبهٔ هفتهٔ گذشته", j(1405, 9, 2)),
    ("۵ آذر", j(1405, 9, 5)),
    ("5 آذر", j(1405, 9, 5)),
    ("۵ اذر", j(1405, 9, 5)),
    ("پنج آذر", j(1405, 9, 5)),
    ("پنجم آذر", j(1405, 9, 5)),
    ("۵ آذرماه", j(1405, 9, 5)),
    ("۵ آذر ماه", j(1405, 9, 5)),
    ("۵ آذر ۱۴۰۵", j(1405, 9, 5)),
    ("۵ آذر سال ۱۴۰۵", j(1405, 9, 5)),
    ("۵ آذر ۰۵", j(1405, 9, 5)),
    ("شنبه ۷ آذر", j(1405, 9, 7)),
    ("سه شنبه ۳ آذر", j(1405, 9, 3)),
    ("بیست و پنجم آبان", j(1405, 8, 25)),
    ("۳۰ آبان", j(1405, 8, 30)),
    ("اول آذر", j(1405, 9, 1)),
    ("یکم آذر", j(1405, 9, 1)),
    ("۱۰ مهر", j(1405, 7, 10)),
    ("۱۴۰۵/۹/۵", j(1405, 9, 5)),
    ("۱۴۰۵/۰۹/۰۵", j(1405, 9, 5)),
    ("1405/9/5", j(1405, 9, 5)),
    ("۱۴۰۵-۰۹-۰۵", j(1405, 9, 5)),
    ("۱۴۰۵.۹.۵", j(1405, 9, 5)),
    ("۰۵/۹/۵", j(1405, 9, 5)),
    ("۵/۹/۱۴۰۵", j(1405, 9, 5)),
    ("۵/۹", j(1405, 9, 5)),
    ("۹/۹", j(1405, 9, 9)),
    ("۱/۹", j(1405, 9, 1)),
    ("۱۴۰۵ / ۹ / ۵", j(1405, 9, 5)),
    ("دیروز صبح", j(1405, 9, 9)),
    ("امروز عصر", j(1405, 9, 10)),
    ("دیشب", j(1405, 9, 9)),
    ("روز شنبه", j(1405, 9, 7)),
    ("آذر ۵", j(1405, 9, 5)),
    ("۱۰ام آذر", j(1405, 9, 10)),
    ("۱۴۰۵/۹/۵ چهارشنبه", j(1405, 9, 5)),
    ("شنبه ۱۴۰۵/۹/۷", j(1405, 9, 7)),
    ("یک ماه پیش", ("format", None)),  # which day of it?
    ("5 Azar", ("format", None)),
    # refused, with what was understood
    ("فردا", ("future", date(2026, 12, 2))),
    ("پس فردا", ("future", date(2026, 12, 3))),
    ("۱۵ آذر ۱۴۰۵", ("future", j(1405, 9, 15))),
    ("۱۴۰۵/۹/۲۰", ("future", j(1405, 9, 20))),
    ("۲۰ آذر", ("future", j(1405, 9, 20))),  # nine days ahead: this Azar, not come yet
    ("۵ بهمن", ("too_old", j(1404, 11, 5))),  # two months ahead: last Bahman
    ("۱ شهریور", ("too_old", j(1405, 6, 1))),
    ("۱۴۰۴/۱/۱", ("too_old", j(1404, 1, 1))),
    ("۱۰۰ روز پیش", ("too_old", date(2026, 8, 23))),
    ("۳۱ مهر", ("day", None)),
    ("۳۱ آبان ۱۴۰۵", ("day", None)),
    ("۳۰ اسفند", ("day", None)),
    ("۱۴۰۵/۸/۳۱", ("day", None)),
    ("۱۴۰۵/۱۳/۱", ("month", None)),
    ("۱۴۰۵/۰/۱", ("month", None)),
    ("۴۰ آذر", ("day", None)),
    ("سلام", ("format", None)),
    ("هفته پیش", ("format", None)),
    ("آذر", ("format", None)),
    ("۱۲۳", ("format", None)),
    ("", ("format", None)),
]


@pytest.mark.parametrize(("typed", "expected"), DATES)
def test_dates(typed: str, expected: object) -> None:
    result = read_date(typed, today=TODAY, allow_future=False, max_age_days=90)
    if isinstance(expected, tuple):
        assert isinstance(result, DateRefusal), result
        assert result.reason == expected[0]
        if expected[1] is not None:
            assert result.understood == expected[1]
    else:
        assert result == DateReading(expected), result  # type: ignore[arg-type]


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-11-26", date(2026, 11, 26)),
    ("2026/11/26", date(2026, 11, 26)),
    ("26/11/2026", date(2026, 11, 26)),
    ("۲۰۲۶-۱۱-۲۶", date(2026, 11, 26)),
])
def test_a_gregorian_date_is_converted_for_confirmation(typed: str, expected: date) -> None:
    assert read_date(typed, today=TODAY, max_age_days=90) == DateReading(expected, True)


def test_refusals_carry_what_they_need_for_the_message() -> None:
    no_day = read_date("۳۱ مهر", today=TODAY)
    assert isinstance(no_day, DateRefusal) and (no_day.month, no_day.days_in_month) == (7, 30)
    old = read_date("۱ شهریور", today=TODAY, max_age_days=90)
    assert isinstance(old, DateRefusal) and old.max_age_days == 90


def test_day_and_month_both_fitting_ask_which() -> None:
    # with no age limit, ۵/۹ is 5 Azar or 9 Mordad: both past, so the person is asked
    result = read_date("۵/۹", today=TODAY)
    assert isinstance(result, DateRefusal) and result.reason == "ambiguous"
    assert set(result.candidates) == {j(1405, 9, 5), j(1405, 5, 9)}


def test_the_future_when_allowed() -> None:
    assert read_date("فردا", today=TODAY, allow_future=True) == DateReading(date(2026, 12, 2))
    assert read_date("۲۰ آذر", today=TODAY, allow_future=True) == DateReading(j(1405, 9, 20))


# --- phones --------------------------------------------------------------------------------------

PHONES: list[tuple[str, object]] = [
    ("۰۹۱۳ ۱۲۳ ۴۵۶۷", "+989131234567"),
    ("۰۹۱۳۱۲۳۴۵۶۷", "+989131234567"),
    ("09131234567", "+989131234567"),
    ("٠٩١٣١٢٣٤٥٦٧", "+989131234567"),
    ("۰۹۱۳-۱۲۳-۴۵۶۷", "+989131234567"),
    ("0913-123-4567", "+989131234567"),
    ("۰۹۱۳.۱۲۳.۴۵۶۷", "+989131234567"),
    ("(0913) 123 4567", "+989131234567"),
    ("+۹۸ ۹۱۳ ۱۲۳ ۴۵۶۷", "+989131234567"),
    ("+989131234567", "+989131234567"),
    ("+98 913 123 4567", "+989131234567"),
    ("+98-913-123-4567", "+989131234567"),
    ("۰۰۹۸۹۱۳۱۲۳۴۵۶۷", "+989131234567"),
    ("0098 913 123 4567", "+989131234567"),
    ("989131234567", "+989131234567"),
    ("9131234567", "+989131234567"),
    ("۰۹۳۵ ۱۱۱ ۲۲ ۳۳", "+989351112233"),
    ("۰۹۰۱۲۳۴۵۶۷۸", "+989012345678"),
    ("۰۹۱۳ ۱۲۳ 4567", "+989131234567"),
    ("شماره: ۰۹۱۳۱۲۳۴۵۶۷", "+989131234567"),
    ("۰۳۴ ۳۲۴۵ ۶۷۸۹", "+983432456789"),
    ("034-32456789", "+983432456789"),
    ("۰۲۱ ۸۸۷۷ ۶۶۵۵", "+982188776655"),
    ("+44 20 7946 0958", "+442079460958"),
    ("۰۹۱۳۱۲۳", ("too_short",)),
    ("۱۲۳۴", ("too_short",)),
    ("۰۹۱۳۱۲۳۴۵۶۷۸", ("too_long",)),
    ("+۹۸۹۱۳۱۲۳۴۵۶۷۸۹", ("too_long",)),
    ("سلام", ("not_a_phone",)),
    ("شماره ندارم", ("not_a_phone",)),
    ("09a31234567", ("not_a_phone",)),
    ("", ("not_a_phone",)),
]


@pytest.mark.parametrize(("typed", "expected"), PHONES)
def test_phones(typed: str, expected: object) -> None:
    result = read_phone(typed)
    if isinstance(expected, tuple):
        assert isinstance(result, PhoneRefusal), result
        assert result.reason == expected[0]
    else:
        assert isinstance(result, Phone), result
        assert result.e164 == expected


# --- places --------------------------------------------------------------------------------------

POINT = (30.2839, 57.0834)
PLACES: list[tuple[str, object]] = [
    ("https://www.openstreetmap.org/#map=17/30.28390/57.08340", POINT),
    ("https://www.openstreetmap.org/?mlat=30.2839&mlon=57.0834#map=17/30.28390/57.08340",
     POINT),
    ("openstreetmap.org/?mlat=30.2839&mlon=57.0834", POINT),
    ("https://www.google.com/maps/@30.2839,57.0834,17z", POINT),
    ("https://maps.google.com/?q=30.2839,57.0834", POINT),
    ("https://www.google.com/maps?q=30.2839,57.0834&z=17", POINT),
    ("https://www.google.com/maps/search/?api=1&query=30.2839%2C57.0834", POINT),
    ("https://www.google.com/maps/place/Kerman/@30.28,57.08,17z/data=!3m1!4b1!4m6!3m5"
     "!1s0x0:0x0!8m2!3d30.2839!4d57.0834", POINT),
    ("https://neshan.org/maps/@30.2839,57.0834,15.0z,0.0p", POINT),
    ("https://neshan.org/maps/places/_bvCEYhvDcu7#c30.2839-57.0834-17z-0p", POINT),
    ("https://balad.ir/location?latitude=30.2839&longitude=57.0834&zoom=16", POINT),
    ("https://balad.ir/#15/30.2839/57.0834", POINT),
    ("اینجاست: https://www.google.com/maps/@30.2839,57.0834,17z", POINT),
    ("30.2839, 57.0834", POINT),
    ("۳۰.۲۸۳۹، ۵۷.۰۸۳۴", POINT),
    ("geo:30.2839,57.0834", POINT),
    ("کرمان، قلعه محمود، کوچهٔ ۱۲، روبه‌روی مسجد", "address"),
    ("خیابان شریعتی، نبش کوچه ۵", "address"),
    ("پشت مدرسهٔ شهید رجایی", "address"),
    ("https://maps.app.goo.gl/AbCdEf", ("short_link",)),
    ("https://goo.gl/maps/AbCdEf", ("short_link",)),
    ("https://nshn.ir/ab12", ("short_link",)),
    ("https://example.com/place", ("unknown_link",)),
    ("https://www.google.com/maps/@95.1,57.0,17z", ("bad_coordinates",)),
    ("کوچه", ("too_short",)),
    ("اینجا", ("too_short",)),
    ("۱۲", ("too_short",)),
]


@pytest.mark.parametrize(("typed", "expected"), PLACES)
def test_places(typed: str, expected: object) -> None:
    result = read_place(typed)
    if expected == "address":
        assert isinstance(result, Address), result
        assert result.text == typed
    elif isinstance(expected, tuple) and isinstance(expected[0], str):
        assert isinstance(result, PlaceRefusal), result
        assert result.reason == expected[0]
    else:
        assert isinstance(result, Coordinates), result
        assert (result.latitude, result.longitude) == pytest.approx(expected)


# --- choices -------------------------------------------------------------------------------------

ACTIVITIES = ["بازدید خانه به خانه", "جلسهٔ محلی یا شورا", "کارگاه یا آموزش", "مشاوره",
              "آموزش مهارت", "برنامهٔ فرهنگی یا ورزشی", "ارجاع به دستگاه",
              "پیگیری درخواست ساکنان", "سایر"]
HOODS = ["قلعه محمود", "میدان قلعه", "شهرک بنی‌هاشم", "سرآسیاب", "مطمئن نیستم"]

CHOICES: list[tuple[str, list[str], int | None]] = [
    ("مشاوره", ACTIVITIES, 3),
    ("مشاوره ", ACTIVITIES, 3),
    ("مشاوزه", ACTIVITIES, 3),
    ("مشاور", ACTIVITIES, 3),
    ("۴", ACTIVITIES, 3),
    ("4", ACTIVITIES, 3),
    ("٤", ACTIVITIES, 3),
    ("سایر", ACTIVITIES, 8),
    ("ساير", ACTIVITIES, 8),
    ("۹", ACTIVITIES, 8),
    ("کارگاه", ACTIVITIES, 2),
    ("جلسه محلی یا شورا", ACTIVITIES, 1),
    ("جلسه‌ی محلی یا شورا", ACTIVITIES, 1),
    ("جلسه‌ٔ محلی یا شورا", ACTIVITIES, 1),
    ("بازدید خانه‌به‌خانه", ACTIVITIES, 0),
    ("بازدید خانه بخانه", ACTIVITIES, 0),
    ("بازدید", ACTIVITIES, 0),
    ("ارجاع", ACTIVITIES, 6),
    ("برنامه فرهنگی یا ورزشی", ACTIVITIES, 5),
    ("پیگیری درخواست ساکنین", ACTIVITIES, 7),
    ("آموزش", ACTIVITIES, None),  # in two labels: ask again
    ("۱۰", ACTIVITIES, None),
    ("۰", ACTIVITIES, None),
    ("هیچ", ACTIVITIES, None),
    ("سلام", ACTIVITIES, None),
    ("", ACTIVITIES, None),
    ("قلعه محمود", HOODS, 0),
    ("قلعه‌محمود", HOODS, 0),
    ("قلعه محمد", HOODS, 0),
    ("میدان", HOODS, 1),
    ("بنی هاشم", HOODS, 2),
    ("بنيهاشم", HOODS, 2),
    ("شهرک بنی هاشم", HOODS, 2),
    ("سر آسیاب", HOODS, 3),
    ("سراسیاب", HOODS, 3),
    ("مطمئن نیستم", HOODS, 4),
    ("مطمین نیستم", HOODS, 4),
    ("قلعه", HOODS, None),  # two neighbourhoods
    ("۵", HOODS, 4),
    ("۶", HOODS, None),
]


@pytest.mark.parametrize(("typed", "labels", "expected"), CHOICES)
def test_choices(typed: str, labels: list[str], expected: int | None) -> None:
    assert match_choice(typed, labels) == expected


DOMAINS = ["اجتماعی", "فرهنگی", "اقتصادی", "شهری و عمرانی", "توانمندسازی", "پایش محله"]
MULTI: list[tuple[str, list[int] | None]] = [
    ("فرهنگی", [1]),
    ("اجتماعی، فرهنگی", [0, 1]),
    ("اجتماعی,فرهنگی", [0, 1]),
    ("اجتماعی و فرهنگی", [0, 1]),
    ("فرهنگی و اجتماعی", [0, 1]),
    ("شهری و عمرانی", [3]),
    ("اجتماعی و شهری و عمرانی", [0, 3]),
    ("۱ و ۳", [0, 2]),
    ("۲، ۵، ۶", [1, 4, 5]),
    ("اجتماعي و فرهنگي", [0, 1]),
    ("پایش محل", [5]),
    ("اجتماعی و سلام", None),
    ("همه", None),
]


@pytest.mark.parametrize(("typed", "expected"), MULTI)
def test_multiple_choices_typed(typed: str, expected: list[int] | None) -> None:
    assert match_choices(typed, DOMAINS) == expected


# --- phones inside a sentence (issue 20: «شمارم ۰۹۱۳… هست», a landline) ------------------------

PHONES_IN_TEXT: list[tuple[str, str | None, object]] = [
    ("شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست", None, "+989131234567"),
    ("شماره‌ام ۰۹۱۳۱۲۳۴۵۶۷ است", None, "+989131234567"),
    ("بله ۰۹۱۳۱۲۳۴۵۶۷", None, "+989131234567"),
    ("زنگ بزنید به ۰۹۱۳-۱۲۳-۴۵۶۷ لطفاً", None, "+989131234567"),
    ("موبایلم 09131234567 هست", None, "+989131234567"),
    ("شمارم ٠٩١٣١٢٣٤٥٦٧", None, "+989131234567"),
    ("با این شماره تماس بگیرید: +۹۸ ۹۱۳ ۱۲۳ ۴۵۶۷", None, "+989131234567"),
    ("۰۹۱۳ ۱۲۳ 4567 شماره منه", None, "+989131234567"),
    ("تلفن خونه ۰۳۴-۳۲۴۵۶۷۸۹", None, "+983432456789"),
    ("تلفن ثابت: ۰۳۴ ۳۲۴۵ ۶۷۸۹", None, "+983432456789"),
    ("(۰۳۴) ۳۲۴۵۶۷۸۹ منزل", None, "+983432456789"),
    ("خونه ۳۲۴۵ ۶۷۸۹", "34", "+983432456789"),
    ("۳۲۴۵۶۷۸۹", "034", "+983432456789"),
    ("بله ۰۹۱۳۱۲۳۴۵۶۷ ۲ تا شماره دارم", None, "+989131234567"),
    ("شمارم ۰۹۱۳۱۲۳ هست", None, ("too_short",)),
    ("۳۲۴۵ ۶۷۸۹", None, ("too_short",)),
    ("شمارم ۰۹۱۳۱۲۳۴۵۶۷۸ هست", None, ("too_long",)),
    ("آب نداریم", None, None),
    ("از ۱۴۰۵/۹/۵ آب نداریم", None, None),
    ("کوچه ۱۲ پلاک ۴", None, None),
]


@pytest.mark.parametrize(("typed", "area", "expected"), PHONES_IN_TEXT)
def test_a_phone_found_in_a_sentence(typed: str, area: str | None, expected: object) -> None:
    result = find_phone(typed, area_code=area)
    if expected is None:
        assert result is None
    elif isinstance(expected, tuple):
        assert isinstance(result, PhoneRefusal) and result.reason == expected[0], result
    else:
        assert isinstance(result, Phone) and result.e164 == expected, result


# --- the contact question: «دفتر برای پیگیری با شما تماس بگیرد؟» --------------------------------

CONTACT: list[tuple[str, object]] = [
    ("آره زنگ بزنید", True),
    ("آره", True),
    ("اره", True),
    ("بله", True),
    ("بله لطفاً", True),
    ("باشه", True),
    ("باشه زنگ بزنید", True),
    ("حتماً تماس بگیرید", True),
    ("زنگ بزنید", True),
    ("بله، با من تماس بگیرید", True),
    ("اوکی", True),
    ("نه", False),
    ("نه زنگ نزنید", False),
    ("نه، زنگ نزنید", False),
    ("خیر", False),
    ("نه ممنون", False),
    ("نه مرسی", False),
    ("فعلاً نه", False),
    ("لازم نیست", False),
    ("تماس نگیرید", False),
    ("نمیخوام", False),
    ("نه، بی‌نام بماند", False),
    ("ناشناس بمونه", False),
    ("بله، شماره‌ام را می‌فرستم", True),
    ("شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست", "+989131234567"),
    ("۰۹۱۳۱۲۳۴۵۶۷", "+989131234567"),
    ("آره ۰۹۱۳۱۲۳۴۵۶۷", "+989131234567"),
    ("تلفن خونه ۰۳۴ ۳۲۴۵ ۶۷۸۹", "+983432456789"),
    ("شمارم ۰۹۱۳۱۲۳", ("too_short",)),
    ("آره زنگ نزنید", None),  # both: ask again
    ("سلام", None),
    ("آب نداریم", None),
]


@pytest.mark.parametrize(("typed", "expected"), CONTACT)
def test_the_contact_question_answered_in_words_or_with_a_number(typed: str,
                                                                 expected: object) -> None:
    result = answers.contact_reply(typed)
    if expected is None:
        assert result is None
    elif isinstance(expected, bool):
        assert result == answers.ContactReply(expected), result
    elif isinstance(expected, tuple):
        assert isinstance(result, PhoneRefusal) and result.reason == expected[0], result
    else:
        assert isinstance(result, answers.ContactReply) and result.call, result
        assert result.phone is not None and result.phone.e164 == expected


# --- skip, done, don't know, none, back ----------------------------------------------------------
# (reader, typed, what it must read as)

SHORT_ANSWERS: list[tuple[str, str, bool]] = [
    ("skip_word", "نه", True),
    ("skip_word", "ندارم", True),
    ("skip_word", "نمیخوام", True),
    ("skip_word", "نمی‌خوام", True),
    ("skip_word", "نمی‌خواهم", True),
    ("skip_word", "عکس ندارم", True),
    ("skip_word", "موقعیت ندارم", True),
    ("skip_word", "آدرس نمیدم", True),
    ("skip_word", "فعلاً نه", True),
    ("skip_word", "بعداً", True),
    ("skip_word", "بگذر", True),
    ("skip_word", "لازم نیست", True),
    ("skip_word", "نه ممنون", True),
    ("skip_word", "آب نداریم", False),
    ("skip_word", "کوچه ۱۲", False),
    ("skip_word", "سلام", False),
    ("done_word", "تموم", True),
    ("done_word", "تمام", True),
    ("done_word", "تمومه", True),
    ("done_word", "همین", True),
    ("done_word", "همینه", True),
    ("done_word", "همین بود", True),
    ("done_word", "کافیه", True),
    ("done_word", "تموم شد", True),
    ("done_word", "دیگه ندارم", True),
    ("done_word", "بسه", True),
    ("done_word", "عکس بعدی", False),
    ("done_word", "تموم نشده هنوز آب نداریم", False),
    ("dont_know", "نمیدونم", True),
    ("dont_know", "نمی‌دونم", True),
    ("dont_know", "نمی‌دانم", True),
    ("dont_know", "نميدونم", True),
    ("dont_know", "مطمئن نیستم", True),
    ("dont_know", "مطمین نیستم", True),
    ("dont_know", "راستش نمیدونم", True),
    ("dont_know", "خبر ندارم", True),
    ("dont_know", "نمیدونم کدومه", True),
    ("dont_know", "قلعه محمود", False),
    ("none_word", "هیچکدوم", True),
    ("none_word", "هیچ‌کدام", True),
    ("none_word", "هیچ کدوم", True),
    ("none_word", "هیچی", True),
    ("none_word", "هیچکدومشون", True),
    ("none_word", "هیچ‌کدام نیست", True),
    ("none_word", "هیچکدوم از اینا", True),
    ("none_word", "همه", False),
    ("back_word", "برگرد", True),
    ("back_word", "برگردید", True),
    ("back_word", "قبلی", True),
    ("back_word", "سوال قبلی", True),
    ("back_word", "برو عقب", True),
    ("back_word", "میخوام برگردم عقب", True),
    ("back_word", "می‌خوام برگردم عقب", True),
    ("back_word", "بازگشت", True),
    ("back_word", "اشتباه زدم", True),
    ("back_word", "مرحله قبل", True),
    ("back_word", "دیروز برگشتم دیدم آب قطع است", False),
    ("back_word", "کوچه پشت مسجد", False),
    ("back_word", "آب نداریم", False),
]


@pytest.mark.parametrize(("reader", "typed", "expected"), SHORT_ANSWERS)
def test_short_answers(reader: str, typed: str, expected: bool) -> None:
    assert getattr(answers, reader)(typed) is expected


@pytest.mark.parametrize("typed", ["آب نداریم", "برق نداریم", "کوچه تاریکه", "تیر برق کجه"])
def test_a_short_description_is_none_of_the_short_answers(typed: str) -> None:
    for reader in ("skip_word", "done_word", "dont_know", "none_word", "back_word"):
        assert getattr(answers, reader)(typed) is False, reader
    assert answers.yes_no(typed) is None


# --- severity: the needs assessment's «شدت» (low, medium, high, critical) ----------------------

SEVERITY_VALUES = ["low", "medium", "high", "critical"]
SEVERITIES: list[tuple[str, list[str], str | None]] = [
    ("خیلی زیاد", SEVERITY_VALUES, "high"),
    ("خیلی خیلی زیاد", SEVERITY_VALUES, "high"),
    ("زیاده", SEVERITY_VALUES, "high"),
    ("شدید", SEVERITY_VALUES, "high"),
    ("خیلی", SEVERITY_VALUES, "high"),
    ("کم", SEVERITY_VALUES, "low"),
    ("خیلی کم", SEVERITY_VALUES, "low"),
    ("جزئی", SEVERITY_VALUES, "low"),
    ("متوسط", SEVERITY_VALUES, "medium"),
    ("معمولی", SEVERITY_VALUES, "medium"),
    ("نه کم نه زیاد", SEVERITY_VALUES, "medium"),
    ("بحرانی", SEVERITY_VALUES, "critical"),
    ("خطرناک", SEVERITY_VALUES, "critical"),
    ("فوری", SEVERITY_VALUES, "critical"),  # no «urgent» value: the emergency end
    ("فوری", ["low", "medium", "high", "urgent", "critical"], "urgent"),
    ("خیلی زیاد", ["low", "medium", "high", "urgent", "critical"], "high"),
    ("خیلی زیاد", ["a", "b", "c", "d"], "c"),  # by place: the highest but the last
    ("بحرانی", ["a", "b", "c", "d"], "d"),
    ("سلام", SEVERITY_VALUES, None),
]


@pytest.mark.parametrize(("typed", "values", "expected"), SEVERITIES)
def test_severity_words(typed: str, values: list[str], expected: str | None) -> None:
    assert answers.severity(typed, values) == expected


# --- map links in a message (Neshan, Google, OpenStreetMap) ------------------------------------

LINKS: list[tuple[str, object]] = [
    ("https://neshan.org/maps/@30.2839,57.0834,15.0z,0.0p", POINT),
    ("neshan.org/maps/@30.2839,57.0834,15.0z,0.0p", POINT),
    ("اینجاست https://neshan.org/maps/places/abc#c30.2839-57.0834-17z-0p", POINT),
    ("https://neshan.org/maps/@30.28,57.08,15z/routing/car/destination/@30.2839,57.0834",
     (30.28, 57.08)),
    ("https://www.google.com/maps/place/30.2839,57.0834", POINT),
    ("https://www.google.com/maps/search/30.2839,+57.0834", POINT),
    ("https://www.google.com/maps/@30.2839,57.0834,17z", POINT),
    ("https://www.openstreetmap.org/?mlat=30.2839&mlon=57.0834#map=17/30.28390/57.08340",
     POINT),
    ("https://www.openstreetmap.org/#map=17/30.28390/57.08340", POINT),
    ("https://nshn.ir/_bvCEYhvDcu7", ("short", "neshan", "")),
    ("nshn.ir/_bvCEYhvDcu7", ("short", "neshan", "")),
    ("مسجد جامع کرمان\nhttps://nshn.ir/_bvCEYhvDcu7", ("short", "neshan", "مسجد جامع کرمان")),
    ("https://maps.app.goo.gl/AbCdEf", ("short", "google", "")),
    ("https://example.com/place", ("refused", "unknown_link")),
    ("کوچه ۱۲ پشت مسجد", None),
]


@pytest.mark.parametrize(("typed", "expected"), LINKS)
def test_map_links(typed: str, expected: object) -> None:
    result = read_link(typed)
    if expected is None:
        assert result is None
    elif isinstance(expected, tuple) and expected[0] == "short":
        assert result == ShortLink(expected[1], result.url, expected[2])  # type: ignore[union-attr]
        assert "nshn.ir" in result.url or "goo.gl" in result.url  # type: ignore[union-attr]
    elif isinstance(expected, tuple) and expected[0] == "refused":
        assert isinstance(result, PlaceRefusal) and result.reason == expected[1]
    else:
        assert isinstance(result, Coordinates), result
        assert (result.latitude, result.longitude) == pytest.approx(expected)


# --- export ranges («/export اول آذر تا امروز») ---------------------------------------------------

RANGES: list[tuple[str, object]] = [
    ("اول آذر تا امروز", (j(1405, 9, 1), j(1405, 9, 10))),
    ("از اول آذر تا امروز", (j(1405, 9, 1), j(1405, 9, 10))),
    ("از ۱ آذر تا ۱۵ آذر", (j(1405, 9, 1), j(1405, 9, 10))),  # ends today
    ("از ۱ تا ۵ آذر", (j(1405, 9, 1), j(1405, 9, 5))),
    ("۱ آبان تا ۳۰ آبان", (j(1405, 8, 1), j(1405, 8, 30))),
    ("۱۴۰۵/۸/۱ ۱۴۰۵/۸/۳۰", (j(1405, 8, 1), j(1405, 8, 30))),
    ("۱۴۰۵/۸/۱ تا ۱۴۰۵/۸/۳۰", (j(1405, 8, 1), j(1405, 8, 30))),
    ("1405/8/30 - 1405/8/1", (j(1405, 8, 1), j(1405, 8, 30))),  # backwards: swapped
    ("آذر", (j(1405, 9, 1), j(1405, 9, 10))),
    ("آذر ماه", (j(1405, 9, 1), j(1405, 9, 10))),
    ("آبان", (j(1405, 8, 1), j(1405, 8, 30))),
    ("آبان ۱۴۰۴", (j(1404, 8, 1), j(1404, 8, 30))),
    ("دی", (j(1404, 10, 1), j(1404, 10, 30))),  # this Dey has not begun: last year's
    ("آبان تا آذر", (j(1405, 8, 1), j(1405, 9, 10))),
    ("ماه پیش", (j(1405, 8, 1), j(1405, 8, 30))),
    ("ماه گذشته", (j(1405, 8, 1), j(1405, 8, 30))),
    ("این ماه", (j(1405, 9, 1), j(1405, 9, 10))),
    ("این هفته", (j(1405, 9, 7), j(1405, 9, 10))),  # from Saturday
    ("هفته پیش", (j(1405, 8, 30), j(1405, 9, 6))),
    ("۳۰ روز اخیر", (j(1405, 8, 11), j(1405, 9, 10))),
    ("دیروز", (j(1405, 9, 9), j(1405, 9, 9))),
    ("امروز", (j(1405, 9, 10), j(1405, 9, 10))),
    ("۵ آذر", (j(1405, 9, 5), j(1405, 9, 5))),
    ("امسال", (j(1405, 1, 1), j(1405, 9, 10))),
    ("از ۲۰ آذر", ("refused", "future")),
    ("سلام", ("refused", "format")),
    ("از سلام تا امروز", ("refused", "start")),
    ("از ۱ آذر تا خداحافظ", ("refused", "end")),
]


@pytest.mark.parametrize(("typed", "expected"), RANGES)
def test_export_ranges(typed: str, expected: object) -> None:
    result = read_range(typed, today=TODAY)
    if isinstance(expected, tuple) and expected[0] == "refused":
        assert isinstance(result, RangeRefusal) and result.reason == expected[1], result
    else:
        assert result == DateRange(*expected), result  # type: ignore[misc]


def test_the_corpus_has_at_least_two_hundred_phrasings() -> None:
    total = (len(NUMBERS) + len(DATES) + len(PHONES) + len(PLACES) + len(CHOICES)
             + len(MULTI) + 4)
    assert total >= 200, total


def test_issue_20_added_at_least_sixty_phrasings() -> None:
    added = (len(PHONES_IN_TEXT) + len(CONTACT) + len(SHORT_ANSWERS) + len(SEVERITIES)
             + len(LINKS) + len(RANGES) + 4)
    assert added >= 60, added


# --- the same answers at the shipped forms' questions (the type table, bot/forms) ------------
# (form, question, typed, the stored value, or ("control", c) for back/skip/done, or
# ("confirm", value, also) for a reading asked back, or ("refused", text in the hint))

FORM_ANSWERS: list[tuple[str, str, str, object]] = [
    ("resident_request", "description", "میخوام برگردم عقب", ("control", "back")),
    ("resident_request", "description", "برگرد", ("control", "back")),
    ("resident_request", "description", "سؤال قبلی", ("control", "back")),
    ("resident_request", "description", "اشتباه زدم", ("control", "back")),
    ("resident_request", "category", "برو عقب", ("control", "back")),
    ("resident_request", "description", "آب نداریم", "آب نداریم"),
    ("resident_request", "description", "برق نداریم", "برق نداریم"),
    ("resident_request", "description", "آب", ("refused", "کمی بیشتر بنویسید")),
    ("resident_request", "photos", "تموم", ("control", "done")),
    ("resident_request", "photos", "همینه", ("control", "done")),
    ("resident_request", "photos", "کافیه", ("control", "done")),
    ("resident_request", "photos", "عکس ندارم", ("control", "skip")),
    ("resident_request", "location", "نه", ("control", "skip")),
    ("resident_request", "location", "ندارم", ("control", "skip")),
    ("resident_request", "location", "لازم نیست", ("control", "skip")),
    ("resident_request", "location", "https://neshan.org/maps/@30.2839,57.0834,15.0z,0.0p",
     {"latitude": 30.2839, "longitude": 57.0834}),
    ("resident_request", "location", "https://www.openstreetmap.org/?mlat=30.28&mlon=57.08",
     {"latitude": 30.28, "longitude": 57.08}),
    ("resident_request", "location", "https://nshn.ir/abc", ("refused", "نشان")),
    ("resident_request", "location", "https://maps.app.goo.gl/xyz", ("refused", "گوگل‌مپ")),
    ("resident_request", "hood", "نمیدونم", "unsure"),
    ("resident_request", "hood", "نمی‌دانم", "unsure"),
    ("resident_request", "hood", "راستش مطمئن نیستم", "unsure"),
    ("resident_request", "contact_choice", "آره زنگ بزنید", "share"),
    ("resident_request", "contact_choice", "بله", "share"),
    ("resident_request", "contact_choice", "باشه", "share"),
    ("resident_request", "contact_choice", "نه", "anonymous"),
    ("resident_request", "contact_choice", "نه زنگ نزنید", "anonymous"),
    ("resident_request", "contact_choice", "لازم نیست", "anonymous"),
    ("resident_request", "contact_choice", "۰۹۱۳۱۲۳۴۵۶۷",
     ("confirm", "share", {"phone": "+989131234567", "typed": True})),
    ("resident_request", "contact_choice", "شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست",
     ("confirm", "share", {"phone": "+989131234567", "typed": True})),
    ("resident_request", "contact_choice", "۰۳۴۳۲۴۵۶۷۸۹",
     ("confirm", "share", {"phone": "+983432456789", "typed": True})),
    ("resident_request", "contact_choice", "۰۹۱۳۱۲۳", ("refused", "کوتاه")),
    ("resident_request", "phone", "شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست",
     ("confirm", {"phone": "+989131234567", "typed": True}, None)),
    ("needs_assessment", "severity", "خیلی زیاد", "high"),
    ("needs_assessment", "severity", "شدید", "high"),
    ("needs_assessment", "severity", "فوری", "urgent"),
    ("needs_assessment", "severity", "اضطراری", "urgent"),
    ("needs_assessment", "severity", "خیلی خطرناک", "critical"),
    ("needs_assessment", "severity", "کمه", "low"),
    ("needs_assessment", "severity", "متوسطه", "medium"),
    ("field_report", "agencies", "هیچکدوم", []),
    ("field_report", "agencies", "هیچ‌کدام", []),
    ("field_report", "agencies", "تموم", ("control", "done")),
    ("field_report", "followup", "آره", True),
    ("field_report", "followup", "نه ممنون", False),
]


@pytest.mark.parametrize(("form_name", "qid", "typed", "expected"), FORM_ANSWERS)
def test_answers_at_the_shipped_forms(form_name: str, qid: str, typed: str,
                                      expected: object) -> None:
    from bot.forms import engine, model
    from bot.forms.loader import load_forms

    form = load_forms()[form_name]
    question = form.question(qid)
    assert question is not None, qid
    control = engine.control_in(typed, question)
    if isinstance(expected, tuple) and expected[0] == "control":
        assert control == expected[1]
        return
    assert control is None, control
    result = model.accept_text(question, typed, choices=model.choices_now(question, {}),
                               today=TODAY)
    if isinstance(expected, tuple) and expected[0] == "refused":
        assert isinstance(result, model.Rejected) and expected[1] in result.hint, result
    elif isinstance(expected, tuple) and expected[0] == "confirm":
        assert isinstance(result, model.Confirm) and result.value == expected[1], result
        if expected[2] is not None:
            assert dict(result.also) == {"phone": expected[2]}
    else:
        assert isinstance(result, model.Accepted) and result.value == expected, result
