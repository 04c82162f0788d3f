"""The pure form model, without a bot: definitions are checked when loaded, expressions are
safe, answers are judged (digits in any script, Jalali dates at their edges), and the next
question follows the conditions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jdatetime
import pytest

from bot.forms import model
from bot.forms.expr import ExpressionError, compile_expression
from bot.forms.loader import load_forms
from bot.forms.model import Accepted, Choice, Confirm, FormDefinitionError, Rejected
from bot.locale.jalali import format_date
from bot.locale.text import t

FORMS = load_forms()
REPORT = FORMS["field_report"]
NEED = FORMS["needs_assessment"]


def gregorian(y: int, m: int, d: int) -> date:
    """The Gregorian date of a Jalali one."""
    return jdatetime.date(y, m, d).togregorian()


def test_shipped_forms_load_with_every_question_type() -> None:
    assert set(FORMS) >= {"field_report", "needs_assessment"}
    types = {q.type for q in REPORT.questions}
    assert types >= {"choice", "multi", "integer", "text", "date", "location", "photos",
                     "yesno"}
    assert REPORT.command == "report" and NEED.command == "need"


@pytest.mark.parametrize("source", ["a + 1 > b", "x in ['a', 'b']", "not flag or n <= 3",
                                    "'m' in groups", "-n < 0"])
def test_expressions_in_the_small_language_compile(source: str) -> None:
    compile_expression(source)


@pytest.mark.parametrize("source", ["__import__('os')", "a.b", "f(x)", "a[0]", "x if y else z",
                                    "lambda: 1", "a @ b", "a ** 2", "open(x)"])
def test_anything_else_is_refused(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source)


def test_unknown_answers_make_conditions_false_and_checks_pass() -> None:
    rule = compile_expression("children + adolescents <= participants")
    assert rule.holds({"participants": 5}, if_unknown=True)
    assert not rule.holds({"participants": 5, "children": 4, "adolescents": 2},
                          if_unknown=True)
    when = compile_expression("followup")
    assert not when.holds({}, if_unknown=False)


def test_conditions_decide_the_next_question() -> None:
    assert model.next_question(REPORT, {"activity": "workshop"}, "activity").id == "domains"
    assert model.next_question(REPORT, {"activity": "other"}, "activity").id == (
        "activity_other")
    answers = {"participants": 0}
    assert model.next_question(REPORT, answers, "participants").id == "agencies"
    final = model.final_answers(REPORT, {"participants": 0, "children": 3, "summary": "x"})
    assert final == {"participants": 0, "summary": "x"}


@pytest.mark.parametrize(("typed", "value"), [("۱۲", 12), ("١٢", 12), ("12", 12),
                                              (" ۱٬۲۰۰ ", 1200), ("0", 0)])
def test_integers_in_any_digits(typed: str, value: int) -> None:
    question = REPORT.question("participants")
    assert question is not None
    assert model.accept_text(question, typed, choices=[], today=date(2026, 11, 21)) == (
        Accepted(value))


@pytest.mark.parametrize(("typed", "value"), [("بیست", 20), ("۱۲ نفر", 12),
                                              ("حدود ۳۰", 30), ("بیست و پنج نفر", 25)])
def test_integers_as_people_write_them(typed: str, value: int) -> None:
    question = REPORT.question("participants")
    assert question is not None
    assert model.accept_text(question, typed, choices=[], today=date(2026, 11, 21)) == (
        Accepted(value))


@pytest.mark.parametrize(("typed", "hint"), [
    ("", t("form.expect_integer", low=0, high=5000)),
    ("سلام", t("form.expect_integer", low=0, high=5000)),
    ("-3", t("form.number_out_of_range", number="-۳", low=0, high=5000)),
    ("5001", t("form.number_out_of_range", number="۵۰۰۱", low=0, high=5000)),
    ("1.5", t("form.number_decimal", number="۱٫۵")),
    ("۱۲ خانوار", t("form.number_unit", number="۱۲", unit="خانوار", expected="نفر")),
    ("۲۰ تا ۳۰", t("form.number_several", numbers="۲۰ یا ۳۰")),
])
def test_bad_integers_say_what_was_understood(typed: str, hint: str) -> None:
    question = REPORT.question("participants")
    assert question is not None
    result = model.accept_text(question, typed, choices=[], today=date(2026, 11, 21))
    assert result == Rejected(hint)


def test_choices_typed_by_label_with_arabic_letters_or_by_number() -> None:
    question = REPORT.question("hood")
    assert question is not None
    choices = [Choice("7", "شهرک بنی‌هاشم"), Choice("8", "شرف‌آباد")]
    today = date(2026, 11, 21)
    assert model.accept_text(question, "شهرك بني هاشم", choices=choices, today=today) == (
        Accepted("7"))
    assert model.accept_text(question, "۲", choices=choices, today=today) == Accepted("8")
    assert isinstance(model.accept_text(question, "پامنار", choices=choices, today=today),
                      Rejected)
    assert model.accept_choice(question, "9", choices) is None  # forged value


@pytest.mark.parametrize(
    ("typed", "today", "expected"),
    [
        ("۱۴۰۳/۱۲/۳۰", gregorian(1404, 1, 10), gregorian(1403, 12, 30)),  # leap Esfand
        ("1403-12-30", gregorian(1404, 1, 10), gregorian(1403, 12, 30)),
        ("١٤٠٥/٠٨/٣٠", gregorian(1405, 8, 30), gregorian(1405, 8, 30)),
        ("امروز", gregorian(1405, 1, 1), gregorian(1405, 1, 1)),
        ("دیروز", gregorian(1405, 1, 1), gregorian(1404, 12, 29)),  # across the year end
    ],
)
def test_dates_accepted(typed: str, today: date, expected: date) -> None:
    question = NEED.question("day")
    assert question is not None
    assert model.accept_date(question, typed, today) == Accepted(expected.isoformat())


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("۱۴۰۴/۱۲/۳۰", "اسفند ۲۹ روز دارد؛ این روز در آن ماه نیست."),  # 1404 is no leap year
        ("۱۴۰۵/۱۳/۱", t("form.date_month")),
        ("۱۴۰۵/۷/۳۱", "مهر ۳۰ روز دارد؛ این روز در آن ماه نیست."),
        ("۱۴۰۵/۹/۵", t("form.date_future", date=format_date(gregorian(1405, 9, 5), weekday=True),
                                 days=365)),
        ("دیروز نه، فکر کنم", t("form.date_format")),
        ("۱۴۰۳/۱/۱", t("form.date_too_old", date=format_date(gregorian(1403, 1, 1), weekday=True),
                                  days=365)),
    ],
)
def test_dates_refused_saying_what_was_understood(typed: str, hint: str) -> None:
    question = NEED.question("day")
    assert question is not None
    result = model.accept_date(question, typed, gregorian(1405, 8, 30))
    assert result == Rejected(hint)


def test_a_gregorian_date_is_converted_and_confirmed() -> None:
    question = NEED.question("day")
    assert question is not None
    result = model.accept_date(question, "2026-11-16", gregorian(1405, 8, 30))
    assert result == Confirm("2026-11-16", t("form.date_gregorian", typed="2026-11-16",
                                             date="۲۵ آبان ۱۴۰۵"))


def test_multi_toggles_in_choice_order_and_needs_the_minimum() -> None:
    question = REPORT.question("domains")
    assert question is not None
    choices = list(question.choices)
    picked = model.toggle([], "economic", choices)
    picked = model.toggle(picked or [], "social", choices)
    assert picked == ["social", "economic"]
    assert model.toggle(picked, "social", choices) == ["economic"]
    assert model.toggle(picked, "forged", choices) is None
    assert isinstance(model.multi_done(question, []), Rejected)


def write_form(tmp_path: Path, questions: str, checks: str = "") -> Path:
    path = tmp_path / "f.toml"
    path.write_text(
        '[form]\nname = "f"\nversion = 1\ntitle = "فرم"\ncommand = "f"\nroles = ["facilitator"]\n'
        + questions + checks, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("questions", "reason"),
    [
        ('[[questions]]\nid = "a"\ntype = "slider"\nprompt = "?"\n', "type 'slider'"),
        ('[[questions]]\nid = "a"\ntype = "text"\nprompt = "?"\n'
         '[[questions]]\nid = "a"\ntype = "text"\nprompt = "?"\n', "the id appears twice"),
        ('[[questions]]\nid = "a"\ntype = "text"\nprompt = "?"\nwhen = "b > 1"\n'
         '[[questions]]\nid = "b"\ntype = "integer"\nprompt = "?"\n', "not earlier questions"),
        ('[[questions]]\nid = "a"\ntype = "choice"\nprompt = "?"\n', "needs 'choices'"),
        ('[[questions]]\nid = "a"\ntype = "integer"\nprompt = "?"\nmin = 5\nmax = 1\n',
         "min 5 is above max 1"),
        ('[[questions]]\nid = "a"\ntype = "text"\nprompt = "?"\nstore = "password"\n',
         "store 'password'"),
        ('[[questions]]\nid = "a"\ntype = "text"\nprompt = "?"\nwhen = "open(a)"\n',
         "is not allowed"),
        ('[[questions]]\nid = "a"\ntype = "integer"\nprompt = "?"\nunit = "sheep"\n',
         "unit 'sheep'"),
    ],
)
def test_a_broken_definition_names_form_question_and_reason(
    tmp_path: Path, questions: str, reason: str
) -> None:
    path = write_form(tmp_path, questions)
    with pytest.raises(FormDefinitionError) as caught:
        model.load_form(path)
    message = str(caught.value)
    assert "form 'f'" in message and "question" in message and reason in message
    assert str(path) in message


def test_a_check_on_unknown_questions_is_refused(tmp_path: Path) -> None:
    path = write_form(tmp_path, '[[questions]]\nid = "a"\ntype = "integer"\nprompt = "?"\n',
                      '[[checks]]\nrule = "a < b"\nmessage = "x"\n')
    with pytest.raises(FormDefinitionError, match="check #1"):
        model.load_form(path)


def test_an_organisation_folder_overrides_a_shipped_form(tmp_path: Path) -> None:
    text = (model.SHIPPED_FORMS_DIR / "field_report.toml").read_text(encoding="utf-8")
    (tmp_path / "field_report.toml").write_text(text.replace("version = 1", "version = 2"),
                                                encoding="utf-8")
    forms = load_forms(tmp_path)
    assert forms["field_report"].version == 2 and forms["needs_assessment"].version == 1


def test_a_decimal_question_takes_a_persian_decimal(tmp_path: Path) -> None:
    form = model.load_form(write_form(
        tmp_path, '[[questions]]\nid = "hours"\ntype = "decimal"\nprompt = "چند ساعت؟"\n'
        'min = 0\nmax = 24\nunit = "hours"\n'))
    question = form.questions[0]
    today = date(2026, 11, 21)
    for typed in ("۳٫۵", "3.5", "۳/۵", "سه و نیم ساعت", "حدود ۳٫۵"):
        assert model.accept_text(question, typed, choices=[], today=today) == Accepted(3.5)
    assert model.accept_text(question, "۲ ساعت", choices=[], today=today) == Accepted(2)
    assert model.format_answer(question, 3.5, []) == "۳٫۵"
    assert model.accept_text(question, "۳ روز", choices=[], today=today) == Rejected(
        t("form.number_unit", number="۳", unit="روز", expected="ساعت"))


def test_the_unit_of_a_head_count_comes_from_its_column() -> None:
    participants, households = REPORT.question("participants"), NEED.question("households")
    assert participants is not None and households is not None
    assert (participants.unit, households.unit) == ("people", "households")


def test_voice_notes_and_places_as_answers() -> None:
    text = REPORT.question("summary")
    location = REPORT.question("location")
    assert text is not None and location is not None
    voice = model.accept_voice(text, "voice-1", "u-1", 4)
    assert isinstance(voice, Accepted) and model.is_voice(voice.value)
    assert model.format_answer(text, voice.value, []) == t("form.voice_answer", seconds=4)
    place = model.accept_text(location, "کوچهٔ ۱۲، پشت مسجد جامع", choices=[],
                              today=date(2026, 11, 21))
    assert place == Accepted({"address": "کوچهٔ ۱۲، پشت مسجد جامع"})
    assert model.format_answer(location, {"address": "کوچهٔ ۱۲"}, []) == "کوچهٔ ۱۲"
    items = [{"file_id": "p"}, {"kind": "voice", "file_id": "v"}]
    assert model.attachment_count(items) == "۱ عکس، ۱ پیام صوتی"


def test_arabic_indic_digits_in_free_text_become_persian() -> None:
    question = REPORT.question("summary")
    assert question is not None
    typed = "جلسه با ٢٠ نفر از اهالی برگزار شد"
    result = model.accept_text(question, typed, choices=[], today=date(2026, 11, 21))
    assert result == Accepted("جلسه با ۲۰ نفر از اهالی برگزار شد")
    assert model.format_answer(question, typed, []) == "جلسه با ۲۰ نفر از اهالی برگزار شد"
