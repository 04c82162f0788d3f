"""The organisation file's emergency numbers per category and per description, offices'
contact and working hours, and the response promise a resident reads at a given instant
(issue 20: no «ظرف ۴ ساعت» at midnight). Pure: no bot."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.locale.jalali import from_jalali
from bot.office_hours import WorkingHours, response_deadline, response_promise
from bot.org import OrgFileError, load_organisation, resident_help

TEHRAN = ZoneInfo("Asia/Tehran")
SAMPLE = Path(__file__).parent.parent / "bot" / "data" / "kerman.toml"
OFFICE = WorkingHours()  # Saturday to Wednesday, 8 to 14
# 10 Azar 1405 is a Tuesday; 12 Azar a Thursday, 13 a Friday, 14 a Saturday.


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime.combine(from_jalali(1405, month, day), time(hour, minute), TEHRAN)


@pytest.mark.parametrize(("received", "hours", "promise"), [
    (at(10, 9), 4, "ظرف ۴ ساعت"),                  # open all the time
    (at(10, 0, 5), 4, "تا امروز ساعت ۱۲"),         # just after midnight: opening + 4
    (at(9, 23, 50), 4, "تا فردا ساعت ۱۲"),         # at midnight: not «ظرف ۴ ساعت»
    (at(10, 13), 4, "تا فردا ساعت ۱۱"),            # one hour today, three tomorrow
    (at(10, 20), 4, "تا فردا ساعت ۱۲"),            # evening
    (at(11, 12), 4, "تا شنبه ۱۴ آذر ۱۴۰۵ ساعت ۱۰"),  # Wednesday noon: Thursday, Friday off
    (at(12, 10), 4, "تا پس‌فردا ساعت ۱۲"),          # Thursday: Saturday is two days on
    (at(10, 9), 24, "تا فردا ساعت ۱۴"),            # a day: the next working day's close
    (at(10, 9), 48, "تا شنبه ۱۴ آذر ۱۴۰۵ ساعت ۱۴"),  # two working days: Wednesday, Saturday
    (at(14, 10, 30), 1, "ظرف ۱ ساعت"),
])
def test_a_promise_respects_working_hours(received: datetime, hours: int,
                                          promise: str) -> None:
    assert response_promise(received, hours, OFFICE, (), TEHRAN) == promise


def test_a_holiday_is_skipped() -> None:
    holiday = from_jalali(1405, 9, 11)
    due = response_deadline(at(10, 20), 4, OFFICE, {holiday}, TEHRAN)
    assert due == at(14, 12)


def test_the_sample_file_has_the_numbers_of_iran_per_category() -> None:
    org = load_organisation(SAMPLE)
    assert org.emergency_text("urban") == "آب ۱۲۲، برق ۱۲۱، گاز ۱۹۴، شهرداری ۱۳۷"
    assert org.emergency_text("urban", "از دیروز آب نداریم") == "آب ۱۲۲"
    assert org.emergency_text("safety", "تیر برق کوچه کج شده") == "برق ۱۲۱"
    assert org.emergency_text("other", "بوی گاز میاد") == "گاز ۱۹۴"
    assert org.emergency_text("safety", "") == "پلیس ۱۱۰، آتش‌نشانی ۱۲۵"
    assert org.emergency_text("health") == "اورژانس ۱۱۵"
    assert org.emergency_text("social_harm") == "اورژانس اجتماعی ۱۲۳"
    assert org.emergency_text("education") == ""
    # the category's text as handlers read it today
    assert org.emergency["urban"].startswith("آب ۱۲۲")
    assert "شرف‌آباد" not in org.emergency_text("urban", "شرف‌آباد")  # «آب» inside a name


def test_offices_have_contact_and_hours_and_the_help_names_buttons() -> None:
    org = load_organisation(SAMPLE)
    office = org.office("qaleh-mahmoud")
    assert office is not None and office.phone.startswith("+9834")
    text = resident_help(org, office)
    assert "«ثبت درخواست»" in text and "«پیگیری درخواست»" in text and "/request" not in text
    assert "شنبه تا چهارشنبه، ساعت ۸ تا ۱۴" in text and office.address in text
    assert ("آب ۱۲۲، برق ۱۲۱، گاز ۱۹۴، آتش‌نشانی ۱۲۵، اورژانس ۱۱۵، پلیس ۱۱۰، "
            "اورژانس اجتماعی ۱۲۳، شهرداری ۱۳۷") in text
    assert "پس از ثبت اولین درخواست" in resident_help(org, None)


@pytest.mark.parametrize(("change", "message"), [
    (('urban = ["water", "electricity", "gas", "municipality"]', 'urban = ["watr"]'),
     "[requests] emergency 'urban': 'watr' is not among [[emergency_numbers]]"),
    (('number = "122"', 'number = "۱۲۲"'),
     "emergency number 'water': number '۱۲۲' must be digits"),
    (('phone = "034-0000-0001"  # sample', 'phone = "تلفن"'),
     "office 'qaleh-mahmoud': phone 'تلفن' is not a phone number"),
    (('close = "14:00"', 'close = "07:00"'), "[contact]: hours 'close' must be after 'open'"),
    (("[contact.sarasiab]", "[contact.nowhere]"),
     "[contact.nowhere]: 'nowhere' is not among [[offices]]"),
])
def test_a_bad_entry_is_one_line_naming_the_file(tmp_path: Path, change: tuple[str, str],
                                                 message: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "org.toml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(OrgFileError) as error:
        load_organisation(bad)
    assert str(error.value).startswith(str(bad) + ": ")
    assert message in str(error.value) and "\n" not in str(error.value)
