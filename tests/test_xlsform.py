"""XLSForm workbooks: the public corpus (pyxform's own examples, in tests/xlsforms/) each
runs to a stored submission in a chat or is refused in one line naming the row and the type;
every supported type, column and expression form against the pure loader; a repeat, a
cascading select, Persian and English labels in one form, through the fake messenger."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.config import Settings
from bot.forms import expr, model
from bot.forms.loader import load_forms
from bot.forms.model import FormDefinition, FormDefinitionError
from bot.forms.xlsform import XLS_TYPES, form_id_of, load_xlsform, submission_answers, translate
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import drafts, offices
from storage.db import Database
from storage.people import create_invite, get_person, redeem_invite

CORPUS = Path(__file__).parent / "xlsforms"
REFUSED = {  # file → (row, type as written) of the one line that refuses it
    "UCL_Biomass_Plot_Form.xlsx": (16, "select_one_from_file UCL_regions.csv"),
    "case_insensitivity.xlsx": (3, "select_one_external c1"),
    "flat_xlsform_test.xlsx": (33, "datetime"),
    "loop.xlsx": (3, "begin loop over toilet_type"),
    "xlsform_spec_test.xlsx": (33, "datetime"),
}
RUNS = sorted(p.name for p in CORPUS.glob("*.xlsx") if p.name not in REFUSED)


def workbook(path: Path, survey: list[dict[str, Any]], choices: list[dict[str, Any]] = (),  # type: ignore[assignment]
             settings: dict[str, Any] | None = None) -> Path:
    """Write a small XLSForm: one dict a row, the union of their keys as columns."""
    book = openpyxl.Workbook()
    sheets = [("survey", survey), ("choices", list(choices))]
    if settings:
        sheets.append(("settings", [settings]))
    first = True
    for title, rows in sheets:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title, first = title, False
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        if title == "choices" and not columns:
            columns = ["list_name", "name", "label"]
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    book.save(path)
    return path


def load(tmp_path: Path, survey: list[dict[str, Any]], choices: list[dict[str, Any]] = (),  # type: ignore[assignment]
         settings: dict[str, Any] | None = None, name: str = "form.xlsx") -> FormDefinition:
    return load_xlsform(workbook(tmp_path / name, survey, choices, settings))


def refusal(tmp_path: Path, survey: list[dict[str, Any]],
            choices: list[dict[str, Any]] = ()) -> str:  # type: ignore[assignment]
    with pytest.raises(FormDefinitionError) as caught:
        load(tmp_path, survey, choices)
    message = str(caught.value)
    assert "\n" not in message
    return message


YES_NO = [{"list_name": "yn", "name": "yes", "label": "Yes", "label::Persian (fa)": "بله"},
          {"list_name": "yn", "name": "no", "label": "No", "label::Persian (fa)": "خیر"}]


# ----- the corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_forms_the_chat_cannot_run_are_refused_in_one_line(name: str) -> None:
    row, kind = REFUSED[name]
    with pytest.raises(FormDefinitionError) as caught:
        load_xlsform(CORPUS / name)
    message = str(caught.value)
    assert message.startswith(f"{name}: survey row {row}: type '{kind}': ")
    assert "\n" not in message


@pytest.mark.parametrize("name", RUNS)
def test_corpus_forms_load(name: str) -> None:
    form = load_xlsform(CORPUS / name)
    assert form.command == form.name and re.fullmatch(r"[a-z0-9_]{1,32}", form.name)
    assert form.roles == ("facilitator",) and form.sink == "xlsform"
    for question in form.questions:
        assert len(f"frm:123456789:a:{question.id}:".encode()) + max(
            [len(c.value.encode()) for c in question.choices] or [0]) <= 64


async def join(db: Database, user: SimUser, office_slug: str = "qaleh-mahmoud") -> None:
    office = await offices.office_by_slug(db, office_slug)
    assert office is not None
    code = await create_invite(db, role="facilitator", office_id=office.id, created_by=None,
                               days=1)
    await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)


async def current(db: Database, user: SimUser) -> drafts.Draft | None:
    person = await get_person(db, user.id)
    assert person is not None
    return await drafts.draft_of(db, person.id)


SAMPLE_TEXT = {"integer": "۷", "decimal": "۲٫۵", "time": "۱۰:۳۰"}
SAMPLE_TAPS = {"yesno": "form.no", "date": "form.today"}
SAMPLE_ACTS = {"location": "send_location", "audio": "send_voice"}


async def answer_everything(bot: SandboxBot, user: SimUser, form: FormDefinition,
                            typed: dict[str, str] | None = None) -> None:
    """Answer whatever the form asks (the first choice, a sample text, ...) and confirm."""
    assert bot.db is not None
    typed = typed or {}
    for _ in range(200):
        draft = await current(bot.db, user)
        assert draft is not None, "the form ended before its summary"
        if draft.at_summary:
            await bot.tap(user, t("form.confirm"))
            return
        question = form.question(draft.current)
        assert question is not None
        choices = model.choices_now(question, draft.answers)
        if question.name in typed:
            await bot.say(user, typed[question.name])
        elif question.type == "choice":
            if choices:
                await bot.tap(user, choices[0].label)
            else:
                await bot.tap(user, t("form.skip"))
        elif question.type == "multi":
            await bot.tap(user, "▫️ " + choices[0].label)
            await bot.tap(user, t("form.done"))
        elif question.type in SAMPLE_TAPS:
            await bot.tap(user, t(SAMPLE_TAPS[question.type]))
        elif question.type in SAMPLE_ACTS:
            await bot.act(user, SAMPLE_ACTS[question.type])
        elif question.type == "photos":
            await bot.act(user, "send_photo")
            await bot.tap(user, t("form.done"))
        else:
            await bot.say(user, SAMPLE_TEXT.get(question.type, "پاسخ نمونه"))
        after = await current(bot.db, user)
        assert after is None or after.current != draft.current or after.answers != draft.answers
    raise AssertionError("the form never reached its summary")


def forms_dir(tmp_path: Path, *files: Path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir(exist_ok=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder


async def stored(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT form, answers FROM submissions ORDER BY id")
    return [{"form": r["form"], "answers": json.loads(r["answers"])} for r in rows]


@pytest.mark.parametrize("name", RUNS)
async def test_corpus_forms_can_be_completed_in_the_chat(
        name: str, settings: Settings, api: FakeBotAPI, tmp_path: Path) -> None:
    form = load_xlsform(CORPUS / name)
    folder = forms_dir(tmp_path, CORPUS / name)
    async with SandboxBot(replace(settings, forms_dir=folder), api) as bot:
        assert bot.db is not None
        user = bot.user(300, "زهرا")
        await join(bot.db, user)
        first = await bot.say(user, f"/{form.name}")
        assert first[0].text.startswith(f"{form.title} — ")
        await answer_everything(bot, user, form)
        rows = await stored(bot.db)
        assert [r["form"] for r in rows] == [form.name]
        asked = {q.name for q in form.questions if q.xls_type not in ("note", "add_another")}
        assert set(rows[0]["answers"]) <= asked | {c.name for c in form.calculations}
        assert rows[0]["answers"], "nothing was stored"


# ----- types, columns, languages ------------------------------------------------------------


def test_every_supported_type_becomes_a_question_the_chat_can_ask(tmp_path: Path) -> None:
    survey = [
        {"type": "text", "name": "t", "label": "T"},
        {"type": "integer", "name": "i", "label": "I"},
        {"type": "decimal", "name": "d", "label": "D"},
        {"type": "select_one yn", "name": "s1", "label": "S1"},
        {"type": "select_multiple yn", "name": "sm", "label": "SM"},
        {"type": "select_one yn or_other", "name": "so", "label": "SO"},
        {"type": "date", "name": "da", "label": "DA"},
        {"type": "time", "name": "ti", "label": "TI"},
        {"type": "geopoint", "name": "g", "label": "G"},
        {"type": "image", "name": "im", "label": "IM"},
        {"type": "audio", "name": "au", "label": "AU"},
        {"type": "note", "name": "no", "label": "NO"},
        {"type": "acknowledge", "name": "ack", "label": "ACK"},
        {"type": "calculate", "name": "c", "calculation": "${i} * 2"},
        {"type": "begin group", "name": "grp", "label": "Group"},
        {"type": "text", "name": "inside", "label": "Inside"},
        {"type": "end group"},
        {"type": "start", "name": "start"}, {"type": "end", "name": "end"},
        {"type": "today", "name": "today"}, {"type": "deviceid", "name": "deviceid"},
        {"type": "username", "name": "username"},
    ]
    form = load(tmp_path, survey, YES_NO)
    kinds = {q.name: q.type for q in form.questions}
    assert kinds == {"t": "text", "i": "integer", "d": "decimal", "s1": "choice",
                     "sm": "multi", "so": "choice", "so_other": "text", "da": "date",
                     "ti": "time", "g": "location", "im": "photos", "au": "audio",
                     "no": "choice", "ack": "choice", "inside": "text"}
    assert [c.value for c in form.question("so").choices] == ["yes", "no", "other"]  # type: ignore[union-attr]
    assert form.question("so").choices[-1].label == t("xls.other")  # type: ignore[union-attr]
    assert form.question("so_other").when.source == "selected(so, 'other')"  # type: ignore[union-attr]
    assert form.question("inside").prompt.startswith("▪️ Group\n")  # type: ignore[union-attr]
    assert [(c.name, c.expression.source) for c in form.calculations] == [("c", "i * 2")]
    assert dict(form.metadata) == {"start": "start", "end": "end", "today": "today",
                                   "deviceid": "deviceid", "username": "username"}
    assert all(q.optional for q in form.questions
               if q.xls_type not in ("note", "acknowledge") and q.type != "multi")
    assert form.question("sm").min == 0 and not form.question("sm").optional  # type: ignore[union-attr]
    assert set(XLS_TYPES) >= {"text", "integer", "decimal", "select one", "date", "time",
                              "geopoint", "image", "audio", "note", "acknowledge", "calculate"}


@pytest.mark.parametrize("kind, reason", [
    ("barcode", "a chat cannot scan a barcode"), ("video", "videos are not taken in a form"),
    ("geotrace", "a line on a map"), ("select_one_from_file places.csv", "choices from a file"),
    ("datetime", "use a date and a time question"), ("rank yn", "ranking"),
])
def test_an_unsupported_type_is_refused_with_file_row_and_type(
        tmp_path: Path, kind: str, reason: str) -> None:
    message = refusal(tmp_path, [{"type": "text", "name": "a", "label": "A"},
                                 {"type": kind, "name": "b", "label": "B"}], YES_NO)
    assert message.startswith(f"form.xlsx: survey row 3: type '{kind}': ")
    assert reason in message


def test_labels_prefer_persian_then_the_default_language_then_any(tmp_path: Path) -> None:
    survey = [{"type": "select_one yn", "name": "a", "label::English (en)": "Agree?",
               "label::Persian (fa)": "موافقید؟", "hint::English (en)": "Pick one",
               "hint::Persian (fa)": "یکی را بزنید"},
              {"type": "text", "name": "b", "label::English (en)": "Only English",
               "label::French (fr)": "Seulement"}]
    form = load(tmp_path, survey, YES_NO, {"default_language": "French (fr)"})
    assert form.questions[0].prompt == "موافقید؟\nیکی را بزنید"
    assert [c.label for c in form.questions[0].choices] == ["بله", "خیر"]
    assert form.questions[1].prompt == "Seulement"


def test_required_relevant_constraint_default_and_messages(tmp_path: Path) -> None:
    survey = [
        {"type": "integer", "name": "n", "label": "N", "required": "yes",
         "required_message": "N لازم است", "constraint": ". >= 1 and . <= 10",
         "constraint_message": "۱ تا ۱۰"},
        {"type": "text", "name": "why", "label": "Why ${n}?", "relevant": "${n} > 5"},
        {"type": "integer", "name": "k", "label": "K", "default": "3"},
        {"type": "text", "name": "need", "label": "Need", "required": "${k} = 4"},
    ]
    form = load(tmp_path, survey)
    n, why, k, _need = form.questions
    assert not n.optional and n.required_message == "N لازم است"
    assert model.not_skippable(n) == "N لازم است"
    assert why.optional and why.when is not None
    assert why.when.holds({"n": 6}, if_unknown=False)
    assert not why.when.holds({"n": 5}, if_unknown=False)
    assert model.prompt_for(form, why, {"n": 6}) == "Why ۶?"
    failing = model.failing_check(form, {"n": 11}, involving="n")
    assert failing is not None and failing.message == "۱ تا ۱۰" and failing.revisit == "n"
    assert model.failing_check(form, {"n": 3}, involving="n") is None
    assert k.default == 3 and k.optional and t("xls.default", value="۳") in k.prompt
    stored_answers = submission_answers(form, {"n": 3, "k": None}, {})
    assert stored_answers == {"n": 3, "k": 3}
    # required as an expression: a check that holds once the question has an answer
    assert model.failing_check(form, {"k": 4}, involving="need") is not None
    assert model.failing_check(form, {"k": 4, "need": "x"}, involving="need") is None
    assert model.failing_check(form, {"k": 5}, involving="need") is None


def test_a_cascading_select_filters_choices_by_earlier_answers(tmp_path: Path) -> None:
    choices = [
        {"list_name": "province", "name": "kerman", "label": "کرمان"},
        {"list_name": "province", "name": "yazd", "label": "یزد"},
        {"list_name": "city", "name": "bam", "label": "بم", "province": "kerman"},
        {"list_name": "city", "name": "rafsanjan", "label": "رفسنجان", "province": "kerman"},
        {"list_name": "city", "name": "meybod", "label": "میبد", "province": "yazd"},
    ]
    survey = [{"type": "select_one province", "name": "province", "label": "استان"},
              {"type": "select_one city", "name": "city", "label": "شهر",
               "choice_filter": "province=${province}"}]
    form = load(tmp_path, survey, choices)
    city = form.questions[1]
    assert city.choice_filter is not None and city.choice_filter.source == "_c_province == province"
    assert [c.value for c in model.choices_now(city, {"province": "kerman"})] == ["bam",
                                                                                 "rafsanjan"]
    assert [c.value for c in model.choices_now(city, {"province": "yazd"})] == ["meybod"]
    assert model.choices_now(city, {}) == []


@pytest.mark.parametrize("xpath, python, answers, value", [
    ("${a} > 3 and selected(${b}, 'x')", "a > 3 and selected(b, 'x')", {"a": 4, "b": ["x"]},
     True),
    ("count-selected(${b}) = 2", "count_selected(b) == 2", {"b": ["x", "y"]}, True),
    ("if(${a} > 1, 'big', 'small')", "if_(a > 1, 'big', 'small')", {"a": 0}, "small"),
    ("coalesce(${c}, 'none')", "coalesce(c, 'none')", {}, "none"),
    ("string-length(${c}) >= 3", "string_length(c) >= 3", {"c": "abcd"}, True),
    ("${a} div 2", "a / 2", {"a": 5}, 2.5),
    ("${a} mod 3", "a % 3", {"a": 7}, 1),
    ("round(${a} div 3, 1)", "round(a / 3, 1)", {"a": 10}, 3.3),
    ("not(${a} = 1)", "not_(a == 1)", {"a": 1}, False),
    ("${a} != 1", "a != 1", {"a": 2}, True),
    ("${c} = ''", "c == ''", {}, True),
    ("${a} = 1", "a == 1", {"a": "1"}, True),
    ("true() and ${a} >= 1", "True and a >= 1", {"a": 1}, True),
    ("selected(../b, 'y')", "selected(b, 'y')", {"b": ["y"]}, True),
    (". <= today()", "a <= today()", {"a": "2026-01-01"}, True),
])
def test_expressions_translate_to_the_safe_language(
        xpath: str, python: str, answers: dict[str, Any], value: Any) -> None:
    source = translate(xpath, lambda name: name, own="a")
    assert source == python
    compiled = expr.compile_expression(source, today=lambda: date(2026, 3, 1))
    assert compiled.evaluate(answers) == value


@pytest.mark.parametrize("constraint, reason", [
    ("pulldata('f', 'x', 'y', ${a})", "the function pulldata() is not supported"),
    ("${a} | ${a}", "node sets"),
    ("a > 1", "'a' is not a ${name} reference"),
])
def test_an_untranslatable_expression_is_one_line_with_the_row_and_reason(
        tmp_path: Path, constraint: str, reason: str) -> None:
    message = refusal(tmp_path, [{"type": "integer", "name": "a", "label": "A"},
                                 {"type": "integer", "name": "b", "label": "B",
                                  "constraint": constraint}])
    assert message.startswith("form.xlsx: survey row 3: constraint ")
    assert reason in message


def test_a_reference_to_no_question_is_refused_by_pyxform_in_one_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, [{"type": "integer", "name": "a", "label": "A"},
                                 {"type": "integer", "name": "b", "label": "B",
                                  "relevant": "${nowhere} > 1"}])
    assert message.startswith("form.xlsx: [row : 3]") and "'nowhere'" in message


def test_form_id_title_and_roles_come_from_the_settings(tmp_path: Path) -> None:
    survey = [{"type": "text", "name": "a", "label": "A"}]
    form = load(tmp_path, survey, settings={"form_id": "Household Survey-2026!",
                                            "form_title": "پیمایش خانوار",
                                            "roles": "facilitator, supervisor"})
    assert form.name == form.command == "household_survey_2026_"
    assert form.menu_label == form.title == "پیمایش خانوار"
    assert form.roles == ("facilitator", "supervisor")
    assert form_id_of("A" * 40) == "a" * 32
    assert load(tmp_path, survey, name="My Form.xlsx").name == "my_form"


def test_xlsforms_load_beside_toml_and_a_clash_is_one_line(tmp_path: Path) -> None:
    folder = forms_dir(tmp_path, CORPUS / "text_and_integer.xlsx", CORPUS / "loop.xlsx")
    with pytest.raises(FormDefinitionError, match=r"^loop.xlsx: survey row 3: "):
        load_forms(folder)
    (folder / "loop.xlsx").unlink()
    forms = load_forms(folder)
    assert {"field_report", "needs_assessment", "text_and_integer"} <= set(forms)
    workbook(folder / "clash.xlsx", [{"type": "text", "name": "a", "label": "A"}],
             settings={"form_id": "text_and_integer"})
    with pytest.raises(FormDefinitionError, match="a second form named 'text_and_integer'"):
        load_forms(folder)
    workbook(folder / "clash.xlsx", [{"type": "text", "name": "a", "label": "A"}],
             settings={"form_title": "text_and_integer"})
    with pytest.raises(FormDefinitionError, match="a second form titled 'text_and_integer'"):
        load_forms(folder)
    workbook(folder / "clash.xlsx", [{"type": "text", "name": "a", "label": "A"}],
             settings={"form_title": t("menu.inbox")})
    with pytest.raises(FormDefinitionError, match="one of the bot's own menu buttons"):
        load_forms(folder)


def test_a_repeat_is_unrolled_with_another_one_questions(tmp_path: Path) -> None:
    survey = [
        {"type": "integer", "name": "hh", "label": "Households"},
        {"type": "begin repeat", "name": "member", "label": "عضو خانوار"},
        {"type": "text", "name": "mname", "label": "نام"},
        {"type": "integer", "name": "age", "label": "سن ${mname}", "constraint": ". < 130"},
        {"type": "calculate", "name": "adult", "calculation": "if(${age} >= 18, 1, 0)"},
        {"type": "end repeat"},
    ]
    form = load(tmp_path, survey, settings={"repeat_max": "3"})
    ids = [q.id for q in form.questions]
    assert ids == ["hh", "mname_1", "age_1", "member_more_1", "mname_2", "age_2",
                   "member_more_2", "mname_3", "age_3"]
    answers: dict[str, Any] = {"hh": 2, "mname_1": "Ali", "age_1": 40, "member_more_1": True}
    assert model.next_question(form, answers, after="member_more_1").id == "mname_2"  # type: ignore[union-attr]
    assert model.prompt_for(form, form.questions[2], answers).endswith("سن Ali")
    assert t("xls.iteration", label="عضو خانوار", number=2) in form.questions[4].prompt
    answers |= {"mname_2": "Sara", "age_2": 9, "member_more_2": False}
    assert model.next_question(form, answers, after="member_more_2") is None
    assert model.progress(form, {"hh": 2}, "hh") == (1, 4)
    assert submission_answers(form, answers, {}) == {
        "hh": 2, "member": [{"mname": "Ali", "age": 40, "adult": 1},
                            {"mname": "Sara", "age": 9, "adult": 0}]}


def test_a_repeat_with_a_count_asks_that_many_turns(tmp_path: Path) -> None:
    survey = [
        {"type": "integer", "name": "n", "label": "N"},
        {"type": "begin repeat", "name": "child", "label": "Child", "repeat_count": "${n}"},
        {"type": "text", "name": "cname", "label": "Name"},
        {"type": "end repeat"},
    ]
    form = load(tmp_path, survey, settings={"repeat_max": "4"})
    relevant = [q.id for q in form.questions if model.is_relevant(q, {"n": 2})]
    assert relevant == ["n", "cname_1", "cname_2"]


# ----- through the fake messenger -----------------------------------------------------------


def household(tmp_path: Path) -> Path:
    """A Persian and English form with a group, a repeat, a calculation and a note."""
    survey = [
        {"type": "begin group", "name": "where", "label::English (en)": "Place",
         "label::Persian (fa)": "محل"},
        {"type": "select_one hood", "name": "hood", "label::English (en)": "Neighbourhood",
         "label::Persian (fa)": "محله", "required": "yes", "digest": "yes"},
        {"type": "select_one street", "name": "street", "label::English (en)": "Street",
         "label::Persian (fa)": "خیابان", "choice_filter": "hood=${hood}"},
        {"type": "end group"},
        {"type": "decimal", "name": "area", "label::English (en)": "Area",
         "label::Persian (fa)": "مساحت خانه (متر)", "constraint": ". > 0"},
        {"type": "time", "name": "at", "label::English (en)": "Time",
         "label::Persian (fa)": "ساعت بازدید"},
        {"type": "begin repeat", "name": "member", "label::English (en)": "Member",
         "label::Persian (fa)": "عضو"},
        {"type": "integer", "name": "age", "label::English (en)": "Age",
         "label::Persian (fa)": "سن", "required": "yes"},
        {"type": "end repeat"},
        {"type": "calculate", "name": "double", "calculation": "${area} * 2"},
        {"type": "note", "name": "done", "label::English (en)": "Thanks",
         "label::Persian (fa)": "دو برابر مساحت: ${double}"},
        {"type": "audio", "name": "voice", "label::English (en)": "Voice",
         "label::Persian (fa)": "پیام صوتی"},
        {"type": "start", "name": "start"}, {"type": "username", "name": "username"},
    ]
    choices = [
        {"list_name": "hood", "name": "qm", "label::English (en)": "Qaleh Mahmoud",
         "label::Persian (fa)": "قلعه محمود"},
        {"list_name": "hood", "name": "pm", "label::English (en)": "Pamenar",
         "label::Persian (fa)": "پامنار"},
        {"list_name": "street", "name": "s1", "label::Persian (fa)": "کوچه ۱", "hood": "qm",
         "label::English (en)": "Alley 1"},
        {"list_name": "street", "name": "s2", "label::Persian (fa)": "کوچه ۲", "hood": "pm",
         "label::English (en)": "Alley 2"},
    ]
    return workbook(tmp_path / "household.xlsx", survey, choices,
                    {"form_id": "household", "form_title": "پیمایش خانوار",
                     "default_language": "English (en)", "repeat_max": "3"})


async def test_a_persian_and_english_form_with_a_repeat_in_the_chat(
        settings: Settings, api: FakeBotAPI, tmp_path: Path) -> None:
    folder = forms_dir(tmp_path, household(tmp_path))
    async with SandboxBot(replace(settings, forms_dir=folder), api) as bot:
        assert bot.db is not None
        user = bot.user(301, "لیلا")
        await join(bot.db, user)
        menu = (await bot.say(user, "/start"))[-1]
        assert "پیمایش خانوار" in user.menu_labels(), menu.text
        replies = await bot.say(user, "پیمایش خانوار")
        assert replies[-1].text.endswith("▪️ محل\nمحله")
        assert replies[-1].buttons()[:2] == ["قلعه محمود", "پامنار"]
        street = (await bot.tap(user, "پامنار"))[-1]
        assert street.buttons()[0] == "کوچه ۲" and "کوچه ۱" not in street.buttons()
        await bot.tap(user, "کوچه ۲")
        assert (await bot.say(user, "بزرگ"))[-1].text.startswith(
            t("form.expect_decimal", low=0, high=1000000))
        assert "را نمی‌توانم ثبت کنم" in (await bot.say(user, "-۳"))[-1].text
        assert (await bot.say(user, "۰"))[-1].text.startswith(t("xls.constraint"))
        await bot.say(user, "۸۲٫۵")
        assert (await bot.say(user, "۲۵:۰۰"))[-1].text.startswith(t("xls.expect_time"))
        reply = (await bot.say(user, "۹:۰۵"))[-1]
        assert t("xls.iteration", label="عضو", number=1) in reply.text
        await bot.say(user, "۴۰")
        another = (await bot.tap(user, t("form.yes")))[-1]
        assert t("xls.iteration", label="عضو", number=2) in another.text
        note = (await bot.say(user, "۱۲"))[-1]
        assert note.text.endswith(t("xls.add_another", label="عضو"))
        note = (await bot.tap(user, t("form.no")))[-1]
        assert "دو برابر مساحت: ۱۶۵" in note.text and note.buttons()[0] == t("xls.continue")
        await bot.tap(user, t("xls.continue"))
        assert (await bot.act(user, "send_sticker"))[-1].text.startswith(t("xls.expect_audio"))
        assert (await bot.say(user, "سلام"))[-1].text.startswith(t("xls.expect_audio"))
        back = (await bot.tap(user, t("form.back")))[-1]
        assert "دو برابر مساحت: ۱۶۵" in back.text  # back to the note
        await bot.say(user, t("xls.continue"))  # a button's label typed works as well
        summary = (await bot.act(user, "send_voice"))[-1]
        assert summary.text.startswith(t("form.summary_title", title="پیمایش خانوار"))
        assert "۸۲٫۵" in summary.text and "۰۹:۰۵" in summary.text
        assert "دو برابر" not in summary.text  # notes are not answers
        await bot.tap(user, t("form.confirm"))
        rows = await stored(bot.db)
        assert len(rows) == 1 and rows[0]["form"] == "household"
        answers = rows[0]["answers"]
        assert {k: answers[k] for k in ("hood", "street", "area", "at", "double", "member",
                                        "username")} == {
            "hood": "pm", "street": "s2", "area": 82.5, "at": "09:05", "double": 165.0,
            "member": [{"age": 40}, {"age": 12}], "username": "لیلا"}
        assert answers["voice"]["file_id"] and answers["start"]


async def test_an_xlsform_is_only_for_its_roles(
        settings: Settings, api: FakeBotAPI, tmp_path: Path) -> None:
    folder = forms_dir(tmp_path, CORPUS / "text_and_integer.xlsx")
    async with SandboxBot(replace(settings, forms_dir=folder), api) as bot:
        resident = bot.user(302, "رضا")
        await bot.say(resident, "/start")
        assert "text_and_integer" not in resident.menu_labels()
        refused = (await bot.say(resident, "/text_and_integer"))[-1]
        assert refused.text == t("access.denied", role=t("role.resident"))
        assert bot.db is not None and await stored(bot.db) == []


async def test_every_form_counts_in_the_export_and_the_digest(
        settings: Settings, api: FakeBotAPI, tmp_path: Path) -> None:
    import io

    from bot.locale.jalali import local_date
    from bot.reports.digest import build_digest
    from bot.reports.export import build_export
    from bot.reports.periods import period_of
    from bot.schedule import labels_from

    folder = forms_dir(tmp_path, household(tmp_path))
    form = load_xlsform(folder / "household.xlsx")
    async with SandboxBot(replace(settings, forms_dir=folder), api) as bot:
        assert bot.db is not None
        tz = bot.settings.timezone
        users = [bot.user(310 + i, f"تسهیل‌گر {i}") for i in range(2)]
        for user in users:
            await join(bot.db, user)
            await bot.say(user, "/household")
            await answer_everything(bot, user, form, typed={"area": "۴۰٫۵"})
        rows = await stored(bot.db)
        assert [r["form"] for r in rows] == ["household", "household"]
        office = await offices.office_by_slug(bot.db, "qaleh-mahmoud")
        assert office is not None
        today = local_date(bot.clock.now(), tz)
        data, counts = await build_export(bot.db, bot.services.forms, office_ids=[office.id],
                                          start=today, end=today, tz=tz, with_phones=False)
        assert counts["household"] == 2
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        sheet = [list(r) for r in book["پیمایش خانوار"].iter_rows(values_only=True)]
        names, labels = sheet[0], sheet[1]
        assert names[:5] == ["_id", "_office", "_author", "_submitted_jalali", "_submitted_at"]
        assert names[5:] == ["hood", "street", "area", "at", "voice", "double", "start",
                             "username"]
        assert labels[5:8] == ["محله", "خیابان", "مساحت خانه (متر)"]
        first = dict(zip(names, sheet[2], strict=True))
        assert first["hood"] == "قلعه محمود" and first["area"] == 40.5 and first["double"] == 81
        members = [list(r) for r in book["پیمایش خانوار - عضو"].iter_rows(values_only=True)]
        assert members[0] == ["_parent_id", "_index", "age"] and members[1][2] == "سن"
        assert [m[:2] for m in members[2:]] == [[first["_id"], 1], [sheet[3][0], 1]]
        digest = await build_digest(
            bot.db, office_ids=[office.id], scope="قلعه محمود", period=period_of("day", today),
            tz=tz, labels=labels_from(bot.services.forms), overdue_days=7,
            overdue_by_category={}, now=bot.clock.now())
        assert t("digest.form", title="پیمایش خانوار", count=2) in digest.text
        assert t("digest.form_office", office=office.name, count=2) in digest.text
        assert t("digest.form_choices", label="محله", counts="قلعه محمود ۲") in digest.text


# ----- the shipped forms as XLSForms --------------------------------------------------------

SHIPPED_XLSX = Path(model.SHIPPED_FORMS_DIR) / "xlsx"
REPORT_STEPS: list[tuple[str, Any]] = [
    ("say", "گزارش میدانی"), ("tap", "میدان قلعه"), ("tap", "امروز"), ("tap", "سایر"),
    ("say", "ab"), ("say", "نمایش فیلم برای نوجوانان"), ("tap", "▫️ اجتماعی"),
    ("tap", "done"), ("say", "خیلی زیاد"), ("say", "۲۰"), ("say", "۱۲"), ("say", "۱۰"),
    ("say", "۸"), ("say", "۲۵"), ("say", "۱۱"), ("say", "۲"), ("tap", "done"),
    ("say", "گفت‌وگو با نوجوانان محله دربارهٔ فیلم"), ("tap", "بله"),
    ("say", "تماس با شهرداری"), ("act", "send_photo"), ("tap", "done"),
    ("act", "send_location"), ("tap", "confirm"),
]
NEED_STEPS: list[tuple[str, Any]] = [
    ("say", "نیازسنجی"), ("tap", "قلعه محمود"), ("tap", "دیروز"), ("tap", 0), ("tap", 0),
    ("say", "۳۵"), ("tap", "▫️ کودکان"), ("tap", "done"),
    ("say", "کودکان بازماندهٔ از تحصیل در کوچه‌های شمالی"), ("tap", 0),
    ("say", "کلاس جبرانی"), ("tap", 0), ("tap", "done"), ("tap", t("form.skip")),
    ("tap", "confirm"),
]


async def conversation(settings: Settings, api: FakeBotAPI, steps: list[tuple[str, Any]],
                       forms: Path | None) -> tuple[list[tuple[str, list[str]]], dict[str, Any]]:
    """What the bot says at each step, and the stored submission's columns."""
    said: list[tuple[str, list[str]]] = []
    async with SandboxBot(replace(settings, forms_dir=forms), api) as bot:
        assert bot.db is not None
        user = bot.user(320, "مریم")
        await join(bot.db, user)
        for action, value in steps:
            if action == "say":
                replies = await bot.say(user, value)
            elif action == "act":
                replies = await bot.act(user, value)
            else:
                label = ({"confirm": t("form.confirm"), "done": t("form.done")}.get(value, value)
                         if isinstance(value, str) else user.last.buttons()[value])
                replies = await bot.tap(user, label)
            said += [(m.text, m.buttons()) for m in replies]
        row = await bot.db.fetchone("SELECT * FROM submissions")
        assert row is not None
        columns = {k: row[k] for k in row.keys() if k not in ("answers", "id", "created_at")}
        tags = await bot.db.fetchall("SELECT question, value FROM submission_tags ORDER BY 1, 2")
        columns["tags"] = [tuple(r) for r in tags]
    return said, columns


@pytest.mark.parametrize("name, steps", [("field_report", REPORT_STEPS),
                                         ("needs_assessment", NEED_STEPS)])
async def test_the_shipped_forms_as_xlsforms_give_the_same_conversation(
        settings: Settings, tmp_path: Path, name: str, steps: list[tuple[str, Any]]) -> None:
    toml_said, toml_row = await conversation(
        replace(settings, database_path=tmp_path / "a.db"), FakeBotAPI(), steps, None)
    folder = forms_dir(tmp_path, SHIPPED_XLSX / f"{name}.xlsx")
    xls_said, xls_row = await conversation(
        replace(settings, database_path=tmp_path / "b.db"), FakeBotAPI(), steps, folder)
    assert load_forms(folder)[name].sink == "xlsform"  # the workbook replaced the TOML
    assert len(xls_said) == len(toml_said)
    for (xls_text, xls_buttons), (toml_text, toml_buttons) in zip(xls_said, toml_said,
                                                                  strict=True):
        assert xls_text == toml_text
        assert xls_buttons == toml_buttons
    assert toml_row["form"] == name and xls_row == toml_row


# ----- tashilyar check ----------------------------------------------------------------------


def test_check_loads_every_runnable_workbook(server: Any, tmp_path: Path) -> None:
    from tests.test_process import bot_env, tashilyar

    folder = forms_dir(tmp_path, *(CORPUS / name for name in RUNS))
    result = tashilyar("check", env=bot_env(tmp_path, server, FORMS_DIR=str(folder)),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("forms: ", 1)[1].splitlines()[0]
    for name in RUNS:
        assert f"{load_xlsform(CORPUS / name).name} v" in listed


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_check_refuses_a_workbook_in_one_line(server: Any, tmp_path: Path, name: str) -> None:
    from tests.test_process import bot_env, tashilyar

    folder = forms_dir(tmp_path, CORPUS / name, CORPUS / "text_and_integer.xlsx")
    result = tashilyar("check", env=bot_env(tmp_path, server, FORMS_DIR=str(folder)),
                       cwd=tmp_path)
    row, kind = REFUSED[name]
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(
        f"error: {name}: survey row {row}: type '{kind}': ")


def test_a_default_choice_shows_its_label_and_a_fixed_count_has_bounds(tmp_path: Path) -> None:
    form = load(tmp_path, [{"type": "select_one yn", "name": "ok", "label": "OK?",
                            "default": "no"}], YES_NO)
    assert form.questions[0].prompt.endswith(t("xls.default", value="خیر"))
    assert submission_answers(form, {"ok": None}, {}) == {"ok": "no"}
    message = refusal(tmp_path, [
        {"type": "begin repeat", "name": "r", "label": "R", "repeat_count": "60"},
        {"type": "text", "name": "x", "label": "X"}, {"type": "end repeat"}])
    assert message == "form.xlsx: survey row 2: repeat_count 60: a chat asks 1 to 50 turns"
    turns = load(tmp_path, [
        {"type": "begin repeat", "name": "r", "label": "R", "repeat_count": "2"},
        {"type": "text", "name": "x", "label": "X"}, {"type": "end repeat"}])
    assert [q.label for q in turns.questions] == ["X (۱)", "X (۲)"]
    assert all(q.when is None for q in turns.questions)


def test_a_file_that_is_not_a_workbook_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(FormDefinitionError, match=r"^broken.xlsx: not a readable XLSForm"):
        load_xlsform(tmp_path / "broken.xlsx")
    empty = openpyxl.Workbook()
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(FormDefinitionError, match=r"^empty.xlsx: .*survey"):
        load_xlsform(tmp_path / "empty.xlsx")
