"""Tests for bot.locale.normalize (digits, text folding, integers) and bot.locale.jalali."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import jdatetime
import pytest

from bot.locale.codes import shown_code
from bot.locale.isolate import LRI, PDI, isolate, unisolate
from bot.locale.jalali import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    JalaliDateError,
    format_date,
    format_date_numeric,
    format_datetime,
    jalali_month_bounds,
    jalali_month_name,
    local_date,
    local_datetime,
    parse_jalali_date,
    previous_jalali_month_bounds,
    to_jalali,
    today,
    week_bounds,
)
from bot.locale.normalize import (
    fa_number,
    match_key,
    normalize_text,
    parse_int,
    strip_invisible,
    to_ascii_digits,
    to_persian_digits,
)
from bot.locale.phones import shown_phone
from bot.locale.text import catalogue, resident_status, t

TEHRAN = ZoneInfo("Asia/Tehran")
NOV_21 = date(2026, 11, 21)  # 1405/08/30, a Saturday


def jalali_leap_years(years: range) -> list[int]:
    return [y for y in years if jdatetime.date(y, 1, 1, locale="fa_IR").isleap()]


def gregorian(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day, locale="fa_IR").togregorian()


# --- digits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("0123456789", "0123456789"),
        ("کد ۱۲ و ٣٤ و 56", "کد 12 و 34 و 56"),
    ],
)
def test_to_ascii_digits(text: str, expected: str) -> None:
    assert to_ascii_digits(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"),
        ("۰۱۲۳۴۵۶۷۸۹", "۰۱۲۳۴۵۶۷۸۹"),
        ("ساعت 14:05", "ساعت ۱۴:۰۵"),
        (1405, "۱۴۰۵"),
        (-37, "-۳۷"),
        (0, "۰"),
    ],
)
def test_to_persian_digits(value: str | int, expected: str) -> None:
    assert to_persian_digits(value) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "۰"),
        (9999, "۹۹۹۹"),
        (10000, "۱۰٬۰۰۰"),
        (101132, "۱۰۱٬۱۳۲"),
        (1234567, "۱٬۲۳۴٬۵۶۷"),
        (-9999, "-۹۹۹۹"),
        (-25000, "-۲۵٬۰۰۰"),
    ],
)
def test_fa_number(n: int, expected: str) -> None:
    assert fa_number(n) == expected


# --- normalize_text -------------------------------------------------------------------------


def test_normalize_text_folds_arabic_letters() -> None:
    assert normalize_text("علي كريمى") == "علی کریمی"


def test_normalize_text_keeps_zwnj() -> None:
    assert normalize_text("می\u200cخواهم") == "می\u200cخواهم"


@pytest.mark.parametrize(
    "control",
    [
        "\u200e",
        "\u200f",
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u200d",
        "\ufeff",
        "\u200b",
    ],
)
def test_normalize_text_removes_invisible_controls(control: str) -> None:
    assert normalize_text(f"{control}سلام{control} دنیا{control}") == "سلام دنیا"


def test_normalize_text_whitespace() -> None:
    raw = "  سلام \t  دنیا  \r\n\r\n\r\n\n  خط   دوم \nخط سوم  "
    assert normalize_text(raw) == "سلام دنیا\n\nخط دوم\nخط سوم"


def test_normalize_text_keeps_digits() -> None:
    assert normalize_text("۱۲ ١٢ 12") == "۱۲ ١٢ 12"


# --- match_key ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("بنی هاشم", "بنی\u200cهاشم"),
        ("بنی هاشم", "بنيهاشم"),
        ("شهرک  بني\u200cهاشم", "شهرک بنی هاشم"),
        ("كرمان", "کرمان"),
        ("مصطفى", "مصطفی"),
        ("محله ۱۲", "محله 12"),
        ("محله ١٢", "محله۱۲"),
        ("\u200fگزینه\u200e", "گزینه"),
        ("مدرسة", "مدرسه"),
        ("أحمد", "احمد"),
        ("إسلام", "اسلام"),
        ("كـــرمان", "کرمان"),
        ("مُحَمَّد", "محمد"),
        ("Yes", "yes"),
    ],
)
def test_match_key_equivalences(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


@pytest.mark.parametrize(("a", "b"), [("کرمان", "تهران"), ("محله ۱۲", "محله ۱۳")])
def test_match_key_distinguishes(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


# --- parse_int ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("۱۲", 12),
        ("١٢", 12),
        ("12", 12),
        (" ۱٬۲۰۰ ", 1200),
        ("1,200", 1200),
        ("۱،۲۰۰،۰۰۰", 1200000),
        ("-3", -3),
        ("+۷", 7),
        ("0", 0),
        ("\u200f۱۲", 12),
        ("9" * 18, int("9" * 18)),
    ],
)
def test_parse_int_accepts(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "۱۲ نفر",
        "1.5",
        "۱٫۵",
        "12a",
        "-",
        "+-3",
        "1 200",
        "1,20",
        "12,",
        ",12",
        "1" * 19,
        "۱" * 19,
        "1" * 16 + ",000",
    ],
)
def test_parse_int_rejects(text: str) -> None:
    assert parse_int(text) is None


# --- Jalali conversion and formatting -------------------------------------------------------


def test_to_jalali_and_numeric_format() -> None:
    jd = to_jalali(NOV_21)
    assert (jd.year, jd.month, jd.day) == (1405, 8, 30)
    assert format_date_numeric(NOV_21) == "۱۴۰۵/۰۸/۳۰"


def test_parse_back_to_gregorian() -> None:
    assert parse_jalali_date("۱۴۰۵/۰۸/۳۰") == NOV_21


def test_format_date() -> None:
    assert format_date(NOV_21) == "۳۰ آبان ۱۴۰۵"
    assert format_date(NOV_21, weekday=True) == "شنبه ۳۰ آبان ۱۴۰۵"
    assert format_date(NOV_21 + timedelta(days=6), weekday=True) == "جمعه ۶ آذر ۱۴۰۵"


def test_weekday_names_match_jdatetime() -> None:
    for offset in range(7):
        d = NOV_21 + timedelta(days=offset)
        assert format_date(d, weekday=True).startswith(WEEKDAY_NAMES[to_jalali(d).weekday()] + " ")


def test_month_names_order() -> None:
    assert len(MONTH_NAMES) == 12
    assert MONTH_NAMES[0] == "فروردین"
    assert MONTH_NAMES[7] == "آبان"
    assert MONTH_NAMES[11] == "اسفند"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 11, 21, 10, 35, tzinfo=UTC), "۳۰ آبان ۱۴۰۵، ساعت ۱۴:۰۵"),
        (datetime(2026, 11, 21, 20, 0, tzinfo=UTC), "۳۰ آبان ۱۴۰۵، ساعت ۲۳:۳۰"),
        (datetime(2026, 11, 21, 21, 0, tzinfo=UTC), "۱ آذر ۱۴۰۵، ساعت ۰۰:۳۰"),
        (datetime(2026, 6, 21, 21, 0, tzinfo=UTC), "۱ تیر ۱۴۰۵، ساعت ۰۰:۳۰"),  # no DST
    ],
)
def test_format_datetime_in_tehran(instant: datetime, expected: str) -> None:
    assert format_datetime(instant, TEHRAN) == expected


def test_local_datetime_and_date() -> None:
    instant = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
    local = local_datetime(instant, TEHRAN)
    assert local.utcoffset() == timedelta(hours=3, minutes=30)
    assert (local.hour, local.minute) == (0, 30)
    assert local_date(instant, TEHRAN) == date(2026, 11, 22)
    other = datetime(2026, 11, 22, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert local_date(other, TEHRAN) == date(2026, 11, 22)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError):
        local_datetime(datetime(2026, 11, 21, 12, 0), TEHRAN)
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 11, 21, 12, 0), TEHRAN)


def test_today_uses_timezone() -> None:
    assert today(TEHRAN, datetime(2026, 11, 21, 20, 0, tzinfo=UTC)) == NOV_21
    assert today(TEHRAN, datetime(2026, 11, 21, 21, 0, tzinfo=UTC)) == date(2026, 11, 22)
    assert today(ZoneInfo("UTC"), datetime(2026, 11, 21, 21, 0, tzinfo=UTC)) == NOV_21


# --- parse_jalali_date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1405/08/30",
        "1405/8/30",
        "۱۴۰۵/۸/۳۰",
        "١٤٠٥/٠٨/٣٠",
        "1405-08-30",
        "1405.8.30",
        "۱۴۰۵٫۰۸٫۳۰",
        "  ۱۴۰۵ / ۸ / ۳۰  ",
        "05/8/30",
        "۰۵/۰۸/۳۰",
    ],
)
def test_parse_jalali_date_accepts(text: str) -> None:
    assert parse_jalali_date(text) == NOV_21


def _reason(text: str, **kwargs: object) -> str:
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(text, **kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    return caught.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1405/08",
        "1405/08/30/1",
        "30/08/1405",
        "14050830",
        "1405/0008/30",
        "۱۴۰۵ آبان ۳۰",
        "405/8/30",
        "0000/01/01",
    ],
)
def test_parse_jalali_date_format_errors(text: str) -> None:
    assert _reason(text) == "format"


@pytest.mark.parametrize("text", ["1405/13/01", "1405/0/10", "۱۴۰۵/۱۳/۱"])
def test_parse_jalali_date_month_errors(text: str) -> None:
    assert _reason(text) == "month"


@pytest.mark.parametrize("text", ["1405/07/31", "1405/01/32", "1405/08/0", "1405/11/31"])
def test_parse_jalali_date_day_errors(text: str) -> None:
    assert _reason(text) == "day"


def test_leap_esfand() -> None:
    leap = jalali_leap_years(range(1403, 1409))
    assert 1403 in leap and 1404 not in leap  # sanity check of the calendar assumption
    non_leap = [y for y in range(1403, 1409) if y not in leap]
    for year in leap:
        assert parse_jalali_date(f"{year}/12/30") == gregorian(year, 12, 30)
    for year in non_leap:
        assert parse_jalali_date(f"{year}/12/29") == gregorian(year, 12, 29)
        assert _reason(f"{year}/12/30") == "day"


def test_parse_jalali_date_future_and_age() -> None:
    tomorrow = "1405/09/01"
    assert parse_jalali_date(tomorrow, today=NOV_21) == NOV_21 + timedelta(days=1)
    assert _reason(tomorrow, today=NOV_21, allow_future=False) == "future"
    assert parse_jalali_date("1405/08/30", today=NOV_21, allow_future=False) == NOV_21
    # Without today there is nothing to compare with.
    assert parse_jalali_date(tomorrow, allow_future=False) == NOV_21 + timedelta(days=1)
    assert parse_jalali_date("1405/08/20", today=NOV_21, max_age_days=10) == date(2026, 11, 11)
    assert _reason("1405/08/19", today=NOV_21, max_age_days=10) == "too_old"


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", range(-3, 10))
def test_week_bounds_saturday_to_friday(offset: int) -> None:
    d = NOV_21 + timedelta(days=offset)
    start, end = week_bounds(d)
    assert start <= d <= end
    assert end - start == timedelta(days=6)
    assert to_jalali(start).weekday() == 0  # Saturday
    assert start.weekday() == 5 and end.weekday() == 4  # Python: Saturday, Friday


def test_week_bounds_of_known_week() -> None:
    assert week_bounds(NOV_21) == (NOV_21, date(2026, 11, 27))
    assert week_bounds(date(2026, 11, 27)) == (NOV_21, date(2026, 11, 27))
    assert week_bounds(date(2026, 11, 20)) == (date(2026, 11, 14), date(2026, 11, 20))


def test_jalali_month_bounds_aban() -> None:
    assert jalali_month_bounds(NOV_21) == (gregorian(1405, 8, 1), NOV_21)
    assert (NOV_21 - gregorian(1405, 8, 1)).days == 29
    assert jalali_month_bounds(gregorian(1405, 1, 15)) == (
        gregorian(1405, 1, 1),
        gregorian(1405, 1, 31),
    )


def test_jalali_month_bounds_leap_esfand() -> None:
    year = jalali_leap_years(range(1400, 1410))[0]
    first, last = jalali_month_bounds(gregorian(year, 12, 10))
    assert (first, last) == (gregorian(year, 12, 1), gregorian(year, 12, 30))
    assert last + timedelta(days=1) == gregorian(year + 1, 1, 1)


def test_jalali_month_bounds_across_year_end() -> None:
    last_of_1405 = jdatetime.date(1406, 1, 1, locale="fa_IR") - jdatetime.timedelta(days=1)
    first_of_1406 = jdatetime.date(1406, 1, 1, locale="fa_IR").togregorian()
    last_of_1405_g = last_of_1405.togregorian()
    assert last_of_1405.month == 12
    assert jalali_month_bounds(last_of_1405_g) == (gregorian(1405, 12, 1), last_of_1405_g)
    assert jalali_month_bounds(first_of_1406)[0] == first_of_1406
    assert previous_jalali_month_bounds(first_of_1406) == (gregorian(1405, 12, 1), last_of_1405_g)
    assert (last_of_1405_g - gregorian(1405, 12, 1)).days + 1 == 29  # 1405 is not leap


def test_previous_jalali_month_bounds() -> None:
    assert previous_jalali_month_bounds(NOV_21) == (gregorian(1405, 7, 1), gregorian(1405, 7, 30))
    assert previous_jalali_month_bounds(gregorian(1405, 1, 1)) == jalali_month_bounds(
        gregorian(1404, 12, 1)
    )


def test_jalali_month_name() -> None:
    assert jalali_month_name(NOV_21) == "آبان ۱۴۰۵"
    assert jalali_month_name(gregorian(1406, 1, 1)) == "فروردین ۱۴۰۶"


# ----- issue 20: isolates, codes and phones as shown, the wording a native would use -------


def test_codes_and_phones_are_isolated_in_chat_lines() -> None:
    assert shown_code("63817450") == LRI + "۶۳۸۱-۷۴۵۰" + PDI
    assert shown_code("63817450", isolated=False) == "۶۳۸۱-۷۴۵۰"
    assert shown_phone("+989131234567") == LRI + "۰۹۱۳ ۱۲۳ ۴۵۶۷" + PDI
    assert unisolate(shown_phone("+983432456789")) == "۰۳۴ ۳۲۴۵۶۷۸۹"
    assert isolate(isolate("x")) == isolate("x")  # once
    assert isolate("") == ""
    # typed back (copied from a message), the isolates are dropped before reading
    assert strip_invisible(shown_code("63817450")) == "۶۳۸۱-۷۴۵۰"


@pytest.mark.parametrize(("key", "text"), [
    ("start.offer_no", "نه، فعلاً نه"),
    ("form.cancel_yes", "بله، پاک کن"),
    ("input.text_too_short", "کمی بیشتر بنویسید: از کی؟ کجای محله؟"),
    ("input.date_future_tomorrow", "فردا هنوز نیامده؛ روزی را بنویسید که کار انجام شد."),
    ("resident_status.rejected", "در حیطهٔ دفتر نیست؛ راهنمایی شد"),
])
def test_issue_20_wording(key: str, text: str) -> None:
    assert t(key) == text


def test_issue_20_wording_with_values() -> None:
    assert t("form.cancel_confirm", title="درخواست", count="یک") == "درخواست ثبت نشود و پاک شود؟"
    assert t("request.notice_duplicate", other="۱۲۳۴-۵۶۷۸").startswith(
        "همسایه‌تان هم همین را خبر داده؛ درخواستتان همراه آن")
    assert t("digest.first_response_line", category="سلامت", hours="۲ ساعت",
             count=1).endswith("(از ۱ درخواست)")
    assert "از موعد گذشته" in t("digest_requests.open", open=1, overdue=1)
    assert t("digest.silent", names="حمید").startswith("بدون گزارش")
    assert resident_status("rejected") == "در حیطهٔ دفتر نیست؛ راهنمایی شد"
    words = " ".join(catalogue().values())
    for old in ("فقط منو", "بله، رها کن", "عقب‌افتاده", "بی‌گزارش", "(میانگین"):
        assert old not in words, old
