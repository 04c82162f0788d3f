"""The form engine: a draft's state machine, without a messenger.

Every function takes the form, the draft (`storage.drafts.Draft`: answers, the current
question, the questions asked so far, edit or forward mode) and one input (an answer's
value, a tap's value, a typed text, a control) and changes the draft in place; it returns
a `Step` saying what to show next: the current question or the summary (`ASK`, with an
optional note above), a reading to confirm (`PENDING`), the form complete (`COMPLETE`: its
answers go to the form's sink), «really cancel?» (`CANCEL_ASK`) or cancelled. `view` and
`summary` describe the screen as plain data (progress, prompt, choices as values, which
controls), which the chat handler (`handlers/forms.py`) renders as keyboards.

The draft's answers also hold two notes of the engine's, under keys that no question id can
take: an answer waiting for the person's «yes» (`PENDING_KEY`) and which typed messages gave
the last answers (`ANSWERED_BY`, so that editing one of them changes that answer).

XLSForm repeats are unrolled into questions when the form is loaded (one question per turn,
and an «another?» question between turns), so a repeat turn is answering those questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.forms import model
from bot.forms.model import (
    TYPES,
    Accepted,
    Choice,
    Confirm,
    FormDefinition,
    Judgement,
    Question,
    Rejected,
)
from bot.locale import answers as replies
from bot.locale.normalize import fa_number, match_key
from bot.locale.numbers import in_words, zero_word
from bot.locale.text import t
from storage.drafts import Draft

PENDING_KEY = "~pending"
ANSWERED_BY = "~by"
REMEMBERED_MESSAGES = 2
SKIP_WORDS = ("رد کردن", "بعدا", "فعلا نه", "بگذر", "ردکن", "نمیخوام", "ندارم")
SUMMARY_LIMIT = 3900

# What a step leads to.
ASK = "ask"                # show the current question (or the summary), `note` above it
PENDING = "pending"        # ask «is this what you meant?» (`prompt`)
COMPLETE = "complete"      # the form is complete: `answers` go to its sink
CANCEL_ASK = "cancel_ask"  # ask whether to throw the answers away
CANCELLED = "cancelled"    # the draft is to be discarded
STALE = "stale"            # the input is for a question no longer asked (an old button)
KEYBOARD = "keyboard"      # the `note` alone, with the question's keyboard (photos kept)


@dataclass(frozen=True)
class Step:
    """What to do after an input: `kind` (above), a `note` or `prompt` to show, whether the
    draft changed (save it before anything is sent), `answered` (the question and value an
    answer was taken for, for the trail and the features' notes)."""

    kind: str
    note: str = ""
    prompt: str = ""
    changed: bool = False
    answered: tuple[Question, Any] | None = None
    answers: dict[str, Any] = field(default_factory=dict)


# ----- what to show ------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """A choice as a button: its value (what a tap carries), label and whether ticked."""

    value: str
    label: str
    ticked: bool = False


@dataclass(frozen=True)
class QuestionView:
    """One question as the chat shows it."""

    question: Question
    keyboard: str                 # the type's keyboard kind (model.QuestionType)
    progress: tuple[int, int]     # (number, at most this many after it): `counter`
    prompt: str
    current: str | None           # the answer given before, when asked again
    buttons: tuple[Button, ...]   # choices (`choices`, `toggles`); yes/no and dates are fixed
    back: bool
    skip: bool
    done: bool                    # «done» under ticks or photos


@dataclass(frozen=True)
class SummaryView:
    """The summary before confirming: its lines and the questions each «edit» opens."""

    title: str
    lines: tuple[str, ...]
    editable: tuple[str, ...]

    @property
    def text(self) -> str:
        """The summary as one message (cut to the messenger's limit)."""
        text = "\n".join((t("form.summary_title", title=self.title), *self.lines))
        return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT] + "…"


def view(form: FormDefinition, draft: Draft, question: Question,
         choices: Sequence[Choice]) -> QuestionView:
    """The question with its progress, prompt, answer so far, buttons and controls."""
    kind = TYPES[question.type]
    selected = draft.answers.get(question.id) or [] if kind.keyboard == "toggles" else []
    buttons = tuple(Button(c.value, c.label, c.value in selected) for c in choices) \
        if kind.keyboard in ("choices", "toggles") else ()
    current = None
    if question.id in draft.answers and not kind.collects:
        current = model.format_answer(question, draft.answers[question.id], choices)
    collected = kind.keyboard == "collect" and bool(draft.answers.get(question.id))
    return QuestionView(
        question=question, keyboard=kind.keyboard,
        progress=counter(form, draft, question.id),
        prompt=model.prompt_for(form, question, draft.answers), current=current,
        buttons=buttons, back=len(draft.history) > 1 or draft.mode == "edit",
        skip=question.optional and not collected, done=kind.collects)


def counter(form: FormDefinition, draft: Draft, question_id: str) -> tuple[int, int]:
    """(this question's number, at most how many questions follow it): the questions asked
    so far count once each, and those still to come that may be asked (their condition
    holds or is not decided yet), leaving out what the person already gave (a first
    message as the description). The number never jumps and the rest only shrinks, so
    two counters never contradict each other."""
    given = {q for q in draft.context.get("prefilled") or [] if q in draft.answers}
    counted = [q.id for q in form.questions
               if model.may_be_asked(q, draft.answers) and q.id not in given]
    if question_id not in counted:
        return len(counted), 0
    place = counted.index(question_id)
    return place + 1, len(counted) - place - 1


def summary(form: FormDefinition, draft: Draft,
            choices: Mapping[str, Sequence[Choice]]) -> SummaryView:
    """The answers to keep, numbered, each with an «edit»; `choices` by question id."""
    final = model.final_answers(form, draft.answers)
    lines, editable = [], []
    for question in form.questions:
        if question.id not in final:
            continue
        editable.append(question.id)
        shown = model.format_answer(question, final[question.id], choices.get(question.id, ()))
        lines.append(f"{fa_number(len(editable))}. {question.label}: {shown}")
    return SummaryView(form.title, tuple(lines), tuple(editable))


def shown_questions(form: FormDefinition, draft: Draft) -> list[Question]:
    """The questions whose answers the summary shows (their choices are needed)."""
    final = model.final_answers(form, draft.answers)
    return [q for q in form.questions if q.id in final]


def answered_count(draft: Draft) -> int:
    """How many questions have an answer (not counting the engine's own notes)."""
    return sum(1 for key in draft.answers if not key.startswith("~"))


# ----- answers -------------------------------------------------------------------------------


def answer(form: FormDefinition, draft: Draft, question: Question, value: Any,
           message_id: int | None = None, also: model.Also = ()) -> Step:
    """Take an answer: check it against the form's rules, store it, move to what comes
    next (in edit mode: the first question never answered). `message_id`: the typed
    message that gave it; `also`: later questions the same input answered (not asked)."""
    given = {qid: v for qid, v in also if form.question(qid) is not None}
    candidate = {**draft.answers, **given, question.id: value}
    candidate.pop(PENDING_KEY, None)
    failed = model.failing_check(form, candidate, involving=question.id)
    if failed is not None:
        return Step(ASK, note=failed.message)
    draft.answers = candidate
    remember_message(draft, question.id, message_id)
    if draft.mode == "edit":
        following = model.first_unanswered(form, draft.answers)
    else:
        following = model.next_question(form, draft.answers, after=question.id)
        prefilled = [*(draft.context.get("prefilled") or []), *given]
        while following is not None and following.id in prefilled \
                and following.id in draft.answers:
            following = model.next_question(form, draft.answers, after=following.id)
    answered = (question, value)
    if following is None:
        draft.current = ""
        if not form.confirm:
            return Step(COMPLETE, changed=True, answered=answered)
    else:
        draft.current = following.id
        if following.id not in draft.history:
            draft.history.append(following.id)
    return Step(ASK, changed=True, answered=answered)


def remember_message(draft: Draft, question_id: str, message_id: int | None) -> None:
    """Note which typed message answered the question (the last few only)."""
    if message_id is None:
        return
    by = [pair for pair in draft.answers.get(ANSWERED_BY, []) if pair[1] != question_id]
    by.append([message_id, question_id])
    draft.answers[ANSWERED_BY] = by[-REMEMBERED_MESSAGES:]


def judge(form: FormDefinition, draft: Draft, question: Question, result: Judgement,
          message_id: int | None = None) -> Step:
    """Act on what the model made of an answer: take it, ask to confirm it, or hint."""
    if isinstance(result, Accepted):
        return answer(form, draft, question, result.value, message_id, result.also)
    if isinstance(result, Confirm):
        draft.answers[PENDING_KEY] = {"question": question.id, "value": result.value,
                                      "also": [list(pair) for pair in result.also]}
        remember_message(draft, question.id, message_id)
        return Step(PENDING, prompt=result.prompt, changed=True)
    return Step(ASK, note=result.hint)


def settle(form: FormDefinition, draft: Draft, question: Question, agreed: bool) -> Step:
    """The person said yes (take the waiting answer) or no (ask the question again)."""
    pending = draft.answers.pop(PENDING_KEY, None)
    if pending is None or pending.get("question") != question.id:
        return Step(ASK)
    if agreed:
        also = tuple((str(qid), value) for qid, value in pending.get("also") or [])
        return answer(form, draft, question, pending["value"], also=also)
    return Step(ASK, note=t("form.confirm_declined"), changed=True)


def tapped(question: Question, value: str, choices: Sequence[Choice],
           today: date) -> Accepted | None:
    """The answer a button stands for, or None for data no button of this person carries."""
    tap = TYPES[question.type].tap
    return tap(question, value, choices, today) if tap is not None else None


def toggle(draft: Draft, question: Question, value: str, choices: Sequence[Choice]) -> bool:
    """Tick or untick a choice of a multiple choice; False for a value not among them."""
    selected = model.toggle(draft.answers.get(question.id) or [], value, choices)
    if selected is None:
        return False
    draft.answers[question.id] = selected
    return True


def done(form: FormDefinition, draft: Draft, question: Question,
         message_id: int | None = None) -> Step:
    """«Done» under the ticks of a multiple choice or the photos sent."""
    if TYPES[question.type].keyboard == "toggles":
        result = model.multi_done(question, draft.answers.get(question.id) or [])
        if isinstance(result, Rejected):
            return Step(ASK, note=result.hint)
        return answer(form, draft, question, result.value, message_id)
    return answer(form, draft, question, draft.answers.get(question.id) or None, message_id)


def skip(form: FormDefinition, draft: Draft, question: Question,
         message_id: int | None = None) -> Step:
    """«Skip»: an optional question's answer is none (photos already sent are kept)."""
    if not question.optional:
        return Step(ASK, note=model.not_skippable(question))
    kept = draft.answers.get(question.id) if TYPES[question.type].keyboard == "collect" \
        else None
    return answer(form, draft, question, kept or None, message_id)


def attach(draft: Draft, question: Question, item: dict[str, Any]) -> Step:
    """A photo or voice note sent to a photos question, kept by its file id, within the
    question's limit."""
    items = list(draft.answers.get(question.id) or [])
    limit = question.max or model.MAX_PHOTOS_DEFAULT
    if len(items) >= limit:
        return Step(KEYBOARD, note=t("form.photo_limit", count=in_words(limit)))
    items.append(item)
    draft.answers[question.id] = items
    return Step(KEYBOARD, changed=True,
                note=t("form.attachment_received", what=model.attachment_count(items)))


# ----- controls ------------------------------------------------------------------------------


def back(form: FormDefinition, draft: Draft) -> Step:
    """Back one question (from the summary: to the last question; from an answer being
    edited: to the summary)."""
    if draft.mode == "edit" and not draft.at_summary:
        draft.mode, draft.current = "forward", ""
    elif draft.at_summary:
        draft.current = draft.history[-1] if draft.history else form.questions[0].id
    else:
        if draft.current in draft.history and len(draft.history) > 1:
            draft.history.remove(draft.current)
        while len(draft.history) > 1:
            previous = form.question(draft.history[-1])
            if previous is not None and model.is_relevant(previous, draft.answers):
                break
            draft.history.pop()
        draft.current = draft.history[-1]
    return Step(ASK, changed=True)


def edit(form: FormDefinition, draft: Draft, question_id: str) -> Step:
    """«Edit» on the summary: that question again, then back to the summary (or the first
    question never answered)."""
    if not draft.at_summary or form.question(question_id) is None:
        return Step(STALE)
    draft.mode, draft.current = "edit", question_id
    return Step(ASK, changed=True)


def cancel(draft: Draft) -> Step:
    """«Cancel»: asks first when something was answered (one tap must not lose answers)."""
    return Step(CANCEL_ASK) if draft.answers else Step(CANCELLED)


def complete(form: FormDefinition, draft: Draft) -> Step:
    """«Confirm» on the summary: the final answers, or back to a question still missing or
    a check that fails."""
    missing = model.first_unanswered(form, draft.answers)
    final = model.final_answers(form, draft.answers)
    failed = model.failing_check(form, final)
    if missing is None and failed is None:
        return Step(COMPLETE, answers=final)
    draft.mode = "edit"
    draft.current = missing.id if missing is not None else failed.revisit  # type: ignore[union-attr]
    return Step(ASK, note=failed.message if failed else "", changed=True)


def is_stale(draft: Draft, now: datetime, stale_hours: float) -> bool:
    """Older than the configured age: offer to resume or discard."""
    return now - draft.updated() > timedelta(hours=stale_hours)


# ----- typed text ------------------------------------------------------------------------------

CANCEL, BACK, SKIP, DONE = "cancel", "back", "skip", "done"


def control_in(text: str, question: Question) -> str | None:
    """The control a typed text stands for at this question (cancel, back, skip, done),
    as its button's label or the way people say it («میخوام برگردم عقب» at any question,
    never saved as an answer; «نه», «ندارم» at an optional one; «تموم» under photos or
    ticks); None for an answer."""
    key = match_key(text) if text else ""
    if not key:
        return None
    if key in (match_key(t("form.cancel")), match_key("لغو")):
        return CANCEL
    collects = TYPES[question.type].collects
    if collects and (key in (match_key(t("form.done")), match_key("تمام"))
                     or replies.done_word(text)):
        return DONE
    if key in (match_key(t("form.back")), match_key("بازگشت")) or replies.back_word(text):
        return BACK
    if key == match_key(t("form.skip")):
        return SKIP
    if question.optional and (is_skip(key) or replies.skip_word(text)) \
            and not (question.type in ("integer", "decimal") and zero_word(text)):
        return SKIP
    return None


def is_skip(key: str) -> bool:
    """The skip button's label typed, or the way people say it («بعداً», «فعلاً نه» …)."""
    return key == match_key(t("form.skip")) or key in {match_key(w) for w in SKIP_WORDS}


def typed(form: FormDefinition, draft: Draft, question: Question, text: str,
          choices: Sequence[Choice], today: date, message_id: int | None = None) -> Step:
    """A typed answer judged by the question type's parser."""
    return judge(form, draft, question,
                 model.accept_text(question, text, choices=choices, today=today), message_id)


def edited(form: FormDefinition, draft: Draft, question: Question, result: Judgement) -> Step:
    """An edited message that gave one of the last answers: the answer changes (the form
    stays where it was, or moves past a question that is no longer asked)."""
    if isinstance(result, Rejected):
        return Step(ASK, note=t("form.edit_refused", label=question.label, hint=result.hint))
    if isinstance(result, Confirm):
        if draft.current != question.id:  # back to that question until it is confirmed,
            draft.current, draft.mode = question.id, "edit"  # then on to the first unanswered
        return judge(form, draft, question, result)
    candidate = {**draft.answers, question.id: result.value}
    failed = model.failing_check(form, candidate, involving=question.id)
    if failed is not None:
        return Step(ASK, note=t("form.edit_refused", label=question.label, hint=failed.message))
    draft.answers = candidate
    if PENDING_KEY in draft.answers and draft.answers[PENDING_KEY].get("question") == question.id:
        draft.answers.pop(PENDING_KEY)
    current = form.question(draft.current) if draft.current else None
    if current is not None and not model.is_relevant(current, draft.answers):
        following = model.next_question(form, draft.answers, after=question.id)
        draft.current = following.id if following is not None else ""
        if following is not None and following.id not in draft.history:
            draft.history.append(following.id)
    elif current is not None and current.id == question.id:
        following = model.next_question(form, draft.answers, after=question.id)
        draft.current = following.id if following is not None else ""
    return Step(ASK, changed=True, answered=(question, result.value))


def edited_question(form: FormDefinition, draft: Draft, message_id: int) -> Question | None:
    """The question a typed message answered, if it was one of the last few."""
    qid = next((q for m, q in draft.answers.get(ANSWERED_BY, []) if m == message_id), None)
    return form.question(qid) if qid else None
