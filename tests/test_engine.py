"""The form engine without a bot: every control (answer, back, skip, edit from the summary,
a reading to confirm, confirm, cancel, resume, the turns of a repeat) for the shipped TOML
field report and its XLSForm twin, and a workbook with a repeat."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.forms import engine, model
from bot.forms.loader import load_forms
from bot.forms.model import TYPES, Choice, FormDefinition, Question
from bot.locale.text import t
from storage.drafts import Draft

TODAY = date(2026, 3, 10)
HOODS = [Choice("1", "قلعه محمود"), Choice("2", "پامنار")]
XLSX = Path(__file__).parent.parent / "bot" / "forms" / "xlsx"


@pytest.fixture(params=["toml", "xlsform"])
def form(request: pytest.FixtureRequest, tmp_path: Path) -> FormDefinition:
    """The field report as shipped (TOML), and as its XLSForm workbook."""
    if request.param == "xlsform":
        shutil.copy(XLSX / "field_report.xlsx", tmp_path / "field_report.xlsx")
        loaded = load_forms(tmp_path, today=lambda: TODAY)["field_report"]
        assert loaded.sink == "xlsform"
        return loaded
    return load_forms(today=lambda: TODAY)["field_report"]


def new_draft(form: FormDefinition) -> Draft:
    """A draft at its first question, as `storage.drafts.start_draft` opens one."""
    first = model.next_question(form, {}, after=None)
    assert first is not None
    return Draft(id=7, person_id=1, form=form.name, form_version=form.version, office_id=1,
                 current=first.id, history=[first.id], updated_at="2026-03-10T08:00:00+00:00")


def choices(draft: Draft, question: Question) -> list[Choice]:
    """What the handler gives: the office's neighbourhoods, or the question's own."""
    return HOODS if question.dynamic else model.choices_now(question, draft.answers)


def current(form: FormDefinition, draft: Draft) -> Question:
    question = form.question(draft.current)
    assert question is not None, "at the summary"
    return question


def say(form: FormDefinition, draft: Draft, text: str) -> engine.Step:
    """A typed message, as the chat handler passes it on (controls first)."""
    question = current(form, draft)
    control = engine.control_in(text, question)
    if control == engine.BACK:
        return engine.back(form, draft)
    if control == engine.SKIP:
        return engine.skip(form, draft, question)
    if control == engine.DONE:
        return engine.done(form, draft, question)
    if control == engine.CANCEL:
        return engine.cancel(draft)
    return engine.typed(form, draft, question, text, choices(draft, question), TODAY)


def typical(question: Question, options: Sequence[Choice]) -> str:
    """A plausible typed answer to any question of the field report."""
    if question.type in ("choice", "multi"):
        return options[-1].label if question.id == "followup" else options[0].label
    if question.type == "integer":
        return "۱۰" if question.id == "participants" else "۰"
    return {"date": "دیروز", "yesno": "نه",
            "text": "جلسه با اهالی محله برای پاکسازی کوچه"}.get(question.type, "")


def fill(form: FormDefinition, draft: Draft) -> None:
    """Answer (or skip) every question until the summary."""
    for _ in range(len(form.questions) + 1):
        if draft.at_summary:
            return
        question = current(form, draft)
        if question.optional and question.type in ("photos", "location"):
            step = engine.skip(form, draft, question)
        else:
            step = say(form, draft, typical(question, choices(draft, question)))
        assert step.kind == engine.ASK and step.changed, (question.id, step)
    raise AssertionError("the form never reached its summary")


def test_every_type_of_both_forms_is_in_the_one_table(form: FormDefinition) -> None:
    assert {q.type for q in form.questions} <= set(TYPES)
    assert set(model.QUESTION_TYPES) <= set(TYPES)
    for kind in TYPES.values():
        assert kind.inputs <= set(model.INPUT_KINDS)


def test_an_answer_moves_on_and_the_view_is_plain_data(form: FormDefinition) -> None:
    draft = new_draft(form)
    hood = current(form, draft)
    shown = engine.view(form, draft, hood, HOODS)
    assert (shown.keyboard, shown.progress[0], shown.back, shown.skip) == ("choices", 1, False,
                                                                           False)
    assert [b.value for b in shown.buttons] == ["1", "2"]
    accepted = engine.tapped(hood, "2", HOODS, TODAY)
    assert accepted is not None
    step = engine.answer(form, draft, hood, accepted.value)
    assert step.changed and step.answered == (hood, "2")
    assert (draft.current, draft.history) == ("day", ["hood", "day"])
    day = engine.view(form, draft, current(form, draft), [])
    assert (day.keyboard, day.progress[0], day.back) == ("date", 2, True)
    # the summary line of the neighbourhood shows its name, not its value
    assert model.format_answer(hood, draft.answers["hood"], HOODS) == "پامنار"


def test_a_forged_or_old_tap_is_not_an_answer(form: FormDefinition) -> None:
    draft = new_draft(form)
    hood = current(form, draft)
    assert engine.tapped(hood, "99", HOODS, TODAY) is None  # another office's neighbourhood
    assert engine.tapped(hood, "today", HOODS, TODAY) is None


def test_back_goes_to_the_question_before(form: FormDefinition) -> None:
    draft = new_draft(form)
    say(form, draft, "قلعه محمود")
    say(form, draft, "دیروز")
    assert draft.current == "activity"
    step = say(form, draft, t("form.back"))
    assert step.kind == engine.ASK and draft.current == "day"
    shown = engine.view(form, draft, current(form, draft), [])
    assert shown.current is not None  # the answer given before is shown when re-asked
    say(form, draft, "بازگشت")
    assert draft.current == "hood" and draft.history == ["hood"]


def test_skip_only_where_allowed_and_photos_sent_are_kept(form: FormDefinition) -> None:
    draft = new_draft(form)
    step = say(form, draft, t("form.skip"))
    assert (step.kind, step.note, step.changed) == (engine.ASK, model.not_skippable(
        current(form, draft)), False)
    assert draft.current == "hood"
    fill(form, draft)
    draft.current, draft.mode = "photos", "edit"
    photos = current(form, draft)
    kept = engine.attach(draft, photos, {"file_id": "p1", "file_unique_id": "u1"})
    assert kept.kind == engine.KEYBOARD and kept.changed
    assert not engine.view(form, draft, photos, []).skip  # «done» now, not «skip»
    engine.skip(form, draft, photos)
    assert draft.answers["photos"] == [{"file_id": "p1", "file_unique_id": "u1"}]
    assert draft.at_summary


def test_the_photo_limit(form: FormDefinition) -> None:
    draft = new_draft(form)
    photos = form.question("photos")
    assert photos is not None
    for n in range(photos.max or model.MAX_PHOTOS_DEFAULT):
        assert engine.attach(draft, photos, {"file_id": f"p{n}", "file_unique_id": "u"}).changed
    refused = engine.attach(draft, photos, {"file_id": "one too many", "file_unique_id": "u"})
    assert refused.kind == engine.KEYBOARD and not refused.changed


def test_edit_from_the_summary_and_back_to_it(form: FormDefinition) -> None:
    draft = new_draft(form)
    fill(form, draft)
    summary = engine.summary(form, draft, {"hood": HOODS})
    assert summary.editable[0] == "hood" and "قلعه محمود" in summary.lines[0]
    assert engine.edit(form, draft, "no such question").kind == engine.STALE
    step = engine.edit(form, draft, "hood")
    assert step.kind == engine.ASK and (draft.current, draft.mode) == ("hood", "edit")
    say(form, draft, "پامنار")
    assert draft.at_summary and draft.answers["hood"] == "2"
    engine.edit(form, draft, "day")
    engine.back(form, draft)  # back while editing: the summary again, the answer unchanged
    assert draft.at_summary and draft.mode == "forward"
    engine.back(form, draft)  # back from the summary: the last question
    assert draft.current == draft.history[-1]


def test_an_answer_that_opens_a_question_is_asked_after_an_edit(form: FormDefinition) -> None:
    draft = new_draft(form)
    fill(form, draft)
    assert "followup_what" not in draft.answers
    engine.edit(form, draft, "followup")
    question = current(form, draft)
    yes = "بله" if question.type == "yesno" else choices(draft, question)[0].label
    say(form, draft, yes)
    assert draft.current == "followup_what"  # the first question never answered, then the end
    say(form, draft, "پیگیری با شهرداری")
    assert draft.at_summary


def test_a_reading_to_confirm_yes_and_no(form: FormDefinition) -> None:
    draft = new_draft(form)
    say(form, draft, "قلعه محمود")
    step = say(form, draft, "2026-03-05")  # Gregorian: understood, confirmed before it counts
    assert step.kind == engine.PENDING and step.changed and step.prompt
    assert "day" not in draft.answers and draft.current == "day"
    no = engine.settle(form, draft, current(form, draft), agreed=False)
    assert (no.kind, no.note) == (engine.ASK, t("form.confirm_declined"))
    assert "day" not in draft.answers and engine.PENDING_KEY not in draft.answers
    say(form, draft, "2026-03-05")
    yes = engine.settle(form, draft, current(form, draft), agreed=True)
    assert yes.kind == engine.ASK and draft.answers["day"] == "2026-03-05"
    assert draft.current == "activity"
    # a «yes» for a question no longer waiting changes nothing
    assert not engine.settle(form, draft, current(form, draft), agreed=True).changed


def test_confirm_gives_the_final_answers_or_goes_back_to_a_failing_check(
        form: FormDefinition) -> None:
    draft = new_draft(form)
    fill(form, draft)
    done = engine.complete(form, draft)
    assert done.kind == engine.COMPLETE
    assert done.answers["hood"] == "1" and not any(k.startswith("~") for k in done.answers)
    draft.answers["children"] = 50  # more children than participants
    again = engine.complete(form, draft)
    assert again.kind == engine.ASK and again.note and draft.mode == "edit"
    assert draft.current in ("children", "participants", "adolescents")


def test_cancel_asks_only_when_something_was_answered(form: FormDefinition) -> None:
    draft = new_draft(form)
    assert engine.cancel(draft).kind == engine.CANCELLED
    say(form, draft, "قلعه محمود")
    assert say(form, draft, t("form.cancel")).kind == engine.CANCEL_ASK
    assert say(form, draft, "لغو").kind == engine.CANCEL_ASK
    assert engine.answered_count(draft) == 1


def test_resume_where_it_was_and_an_old_draft_is_offered_again(form: FormDefinition) -> None:
    draft = new_draft(form)
    say(form, draft, "قلعه محمود")
    say(form, draft, "دیروز")
    stored = Draft(**json.loads(json.dumps(asdict(draft))))  # as the database keeps it
    assert engine.view(form, stored, current(form, stored), []) == engine.view(
        form, draft, current(form, draft), [])
    written = datetime(2026, 3, 10, 8, 0, tzinfo=datetime.fromisoformat(
        draft.updated_at).tzinfo)
    assert not engine.is_stale(stored, written + timedelta(hours=1), stale_hours=24)
    assert engine.is_stale(stored, written + timedelta(hours=25), stale_hours=24)


def test_several_choices_ticked_then_done(form: FormDefinition) -> None:
    draft = new_draft(form)
    draft.current = "domains"
    domains = current(form, draft)
    options = choices(draft, domains)
    assert engine.done(form, draft, domains).kind == engine.ASK  # none ticked: a hint
    assert draft.current == "domains"
    assert not engine.toggle(draft, domains, "forged", options)
    assert engine.toggle(draft, domains, options[1].value, options)
    assert engine.toggle(draft, domains, options[0].value, options)
    shown = engine.view(form, draft, domains, options)
    assert shown.keyboard == "toggles" and shown.done and [b.ticked for b in shown.buttons][:2] \
        == [True, True]
    step = engine.done(form, draft, domains)
    assert step.changed and draft.answers["domains"] == [options[0].value, options[1].value]


# ----- a repeat (an XLSForm of its own) -------------------------------------------------------


def members_form(tmp_path: Path) -> FormDefinition:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    rows = [("type", "name", "label", "constraint"),
            ("integer", "hh", "خانوار", None),
            ("begin repeat", "member", "عضو خانوار", None),
            ("text", "mname", "نام", None),
            ("date", "born", "تاریخ تولد", ". <= today()"),
            ("end repeat", None, None, None),
            ("calculate", "asof", None, None)]
    for row in rows:
        survey.append(row)
    survey.cell(row=len(rows), column=5, value="today()")
    survey.cell(row=1, column=5, value="calculation")
    book.create_sheet("choices").append(("list_name", "name", "label"))
    settings = book.create_sheet("settings")
    settings.append(("form_id", "form_title", "repeat_max"))
    settings.append(("members", "اعضای خانوار", "3"))
    book.save(tmp_path / "members.xlsx")
    return load_forms(tmp_path, today=lambda: TODAY)["members"]


def test_the_turns_of_a_repeat(tmp_path: Path) -> None:
    form = members_form(tmp_path)
    draft = new_draft(form)
    for text in ("۲", "علی", "دیروز"):
        say(form, draft, text)
    assert draft.current == "member_more_1"
    another = current(form, draft)
    yes = engine.tapped(another, "1", choices(draft, another), TODAY) or model.Accepted(True)
    if another.type == "choice":
        yes = model.Accepted(choices(draft, another)[0].value)
    engine.answer(form, draft, another, yes.value)
    assert draft.current == "mname_2"
    assert t("xls.iteration", label="عضو خانوار", number=2) in current(form, draft).prompt
    engine.back(form, draft)  # back into the first turn's «another?»
    assert draft.current == "member_more_1"
    engine.answer(form, draft, another, yes.value)
    say(form, draft, "سارا")
    assert say(form, draft, "2030-01-01").kind == engine.ASK  # refused: not yet come
    assert draft.current == "born_2"
    say(form, draft, "دیروز")
    more = current(form, draft)
    no = model.Accepted(False) if more.type == "yesno" else model.Accepted(
        choices(draft, more)[-1].value)
    engine.answer(form, draft, more, no.value)
    assert draft.at_summary
    done = engine.complete(form, draft)
    assert done.kind == engine.COMPLETE
    assert [done.answers[q] for q in ("mname_1", "mname_2")] == ["علی", "سارا"]


def test_today_reads_the_clock_each_load_was_given(tmp_path: Path) -> None:
    form = members_form(tmp_path)
    other = load_forms(tmp_path, today=lambda: date(2020, 1, 1))["members"]
    assert model.computed(form, {}) == {form.calculations[0].id: "2026-03-10"}
    assert model.computed(other, {}) == {other.calculations[0].id: "2020-01-01"}
