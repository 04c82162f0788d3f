"""Forms as data: definitions loaded from TOML, checked at start, and the pure rules of
filling one in (which question comes next, whether an answer is acceptable, the summary).

No messenger code here: the conversation in `handlers/forms.py` asks this module what to
do and stores what it says. A definition is a list of questions, each with a type, whether
it may be skipped, a condition on earlier answers (`when`), bounds, and the column it
fills; plus cross-field checks. A broken definition raises `FormDefinitionError` naming the
form, the question and the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.forms.expr import Expression, ExpressionError, Unknown, compile_expression
from bot.locale import answers as replies
from bot.locale.choices import match_choice, match_choices
from bot.locale.dates import DateRefusal, read_date
from bot.locale.jalali import MONTH_NAMES, format_date
from bot.locale.normalize import (
    fa_number,
    match_key,
    normalize_text,
    persian_digits_in_text,
    to_ascii_digits,
    to_persian_digits,
)
from bot.locale.numbers import NumberRefusal, in_words, read_number, zero_word
from bot.locale.phones import Phone, find_phone, shown_phone
from bot.locale.places import MAX_ADDRESS, Address, Coordinates, ShortLink, read_link, read_place
from bot.locale.text import t
from bot.textfile import EncodingProblem, read_text

SHIPPED_FORMS_DIR = Path(__file__).parent
QUESTION_TYPES = ("choice", "multi", "integer", "decimal", "text", "date", "location", "photos",
                  "yesno", "contact")
# What a count question counts, for noticing «۲۰ خانوار» typed to a question about people.
UNITS = ("people", "households", "days", "hours", "minutes", "money", "years", "months")
UNIT_OF_COLUMN = {"participants": "people", "children": "people", "adolescents": "people",
                  "women": "people", "elderly": "people", "households": "households"}
CHOICE_SOURCES = ("office_neighbourhoods", "all_neighbourhoods", "offices")
# Columns of the submissions table a question may fill (digests aggregate on these).
STORE_COLUMNS = ("neighbourhood_id", "happened_on", "activity", "category", "severity",
                 "participants", "children", "adolescents", "women", "elderly", "households",
                 "tags")
SINKS = ("submission", "request", "request_action", "request_resident")
YES_WORDS = {"بله", "بلی", "آره", "اره", "اری", "آری", "باشه", "حتما", "درسته", "بلهدرسته",
             "yes", "y", "ok", "1"}
NO_WORDS = {"خیر", "نه", "نخیر", "نهخیر", "اصلا", "no", "n", "0"}
MAX_TEXT_DEFAULT = 1500
UNSURE_VALUES = ("unsure", "dont_know")  # a choice meaning «I don't know» («نمیدونم»)
NONE_VALUES = ("none",)                  # a choice meaning «none of them» («هیچکدوم»)
MAX_PHOTOS_DEFAULT = 5


class FormDefinitionError(ValueError):
    """A form definition cannot be used; the message names form, question and reason."""


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: a short stored value and its Persian label."""

    value: str
    label: str
    extra: tuple[tuple[str, str], ...] = ()  # an XLSForm choice's other columns (choice_filter)


@dataclass(frozen=True)
class Question:
    """One question of a form."""

    id: str
    type: str
    prompt: str
    label: str
    optional: bool = False
    when: Expression | None = None
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None
    min: int | None = None
    max: int | None = None
    past_only: bool = True
    max_age_days: int | None = None
    store: str | None = None
    unit: str | None = None  # what an integer or decimal question counts
    # A choice whose first choice is «yes» and second «no» (the resident's «may the office
    # call you?»): yes/no words answer it, and a phone typed there is yes with that number,
    # the answer of the question named here.
    phone_question: str | None = None
    too_short: str = ""      # a text question's refusal of a too-short answer
    # XLSForm (bot/forms/xlsform.py); the defaults leave a TOML question as it was.
    name: str = ""                 # the XLSForm name (the id may be shorter)
    xls_type: str = ""             # note, acknowledge, decimal, ... as the sheet says
    required_message: str = ""
    default: Any = None            # taken when skipped
    choice_filter: Expression | None = None  # over answers and `_c_<column>` of a choice
    repeat: str = ""               # the repeat it belongs to, and which turn of it
    iteration: int = 0
    digest: bool = False           # digests count (choices) or sum (numbers) its answers
    row: int = 0

    @property
    def dynamic(self) -> bool:
        """Its choices come from the organisation's data at run time."""
        return self.choices_from is not None


@dataclass(frozen=True)
class Check:
    """A rule across answers, with the message shown and the question to revisit."""

    rule: Expression
    message: str
    revisit: str


@dataclass(frozen=True)
class Calculation:
    """An XLSForm `calculate`: a value computed from the answers, stored with them."""

    id: str
    name: str
    expression: Expression
    repeat: str = ""
    iteration: int = 0


@dataclass(frozen=True)
class FormDefinition:
    """A whole form."""

    name: str
    version: int
    title: str
    command: str | None  # None: started by a button of another feature, not a command
    roles: tuple[str, ...]
    sink: str
    questions: tuple[Question, ...]
    checks: tuple[Check, ...] = ()
    confirm: bool = True  # False: saved after the last answer, without a summary
    short: bool = False   # one note and its confirmation: no intro, no numbered summary
    source: str = ""
    # XLSForm: the menu button, values computed from the answers, what the bot fills in
    menu_label: str = ""
    calculations: tuple[Calculation, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()  # (name, kind: start end today deviceid username)
    repeats: tuple[tuple[str, str], ...] = ()  # (name, label)
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({q.id: i for i, q in enumerate(self.questions)})

    def question(self, question_id: str) -> Question | None:
        """The question with this id."""
        index = self._index.get(question_id)
        return None if index is None else self.questions[index]

    def position(self, question_id: str) -> int:
        """The question's place in the form (0-based); -1 if unknown."""
        return self._index.get(question_id, -1)


# ----- loading --------------------------------------------------------------------------


def _int(where: str, raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormDefinitionError(f"{where}: '{key}' must be a whole number")
    return value


def _parse_question(where: str, raw: Mapping[str, Any], earlier: set[str]) -> Question:
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.isidentifier() or len(qid) > 20:
        raise FormDefinitionError(f"{where}: 'id' must be a short identifier (a-z, 0-9, _)")
    where = f"{where.split(' question')[0]} question '{qid}'"
    if qid in earlier:
        raise FormDefinitionError(f"{where}: the id appears twice")
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        raise FormDefinitionError(f"{where}: type {kind!r} is not one of {QUESTION_TYPES}")
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise FormDefinitionError(f"{where}: needs a 'prompt'")
    choices: list[Choice] = []
    for item in raw.get("choices", []):
        if not isinstance(item, dict) or not item.get("value") or not item.get("label"):
            raise FormDefinitionError(f"{where}: each choice needs a 'value' and a 'label'")
        if len(str(item["value"]).encode()) > 16:
            raise FormDefinitionError(f"{where}: choice value {item['value']!r} is over 16 bytes")
        choices.append(Choice(str(item["value"]), str(item["label"])))
    if len({c.value for c in choices}) != len(choices):
        raise FormDefinitionError(f"{where}: two choices share a value")
    source = raw.get("choices_from")
    if source is not None and source not in CHOICE_SOURCES:
        raise FormDefinitionError(f"{where}: choices_from must be one of {CHOICE_SOURCES}")
    if kind in ("choice", "multi") and not choices and source is None:
        raise FormDefinitionError(f"{where}: a {kind} question needs 'choices' or 'choices_from'")
    low, high = _int(where, raw, "min"), _int(where, raw, "max")
    if low is not None and high is not None and low > high:
        raise FormDefinitionError(f"{where}: min {low} is above max {high}")
    when = None
    if raw.get("when"):
        try:
            when = compile_expression(str(raw["when"]))
        except ExpressionError as error:
            raise FormDefinitionError(f"{where}: 'when' {error}") from None
        unknown = when.names - earlier
        if unknown:
            raise FormDefinitionError(
                f"{where}: 'when' uses {sorted(unknown)}, which are not earlier questions")
    store = raw.get("store")
    if store is not None and store not in STORE_COLUMNS:
        raise FormDefinitionError(f"{where}: store {store!r} is not one of {STORE_COLUMNS}")
    phone_question = raw.get("phone_question")
    if phone_question is not None and (kind != "choice" or len(choices) != 2):
        raise FormDefinitionError(f"{where}: phone_question needs a choice of two (yes, no)")
    if store == "tags" and kind != "multi":
        raise FormDefinitionError(f"{where}: only multi questions can be stored as tags")
    unit = raw.get("unit", UNIT_OF_COLUMN.get(str(store)))
    if unit is not None and unit not in UNITS:
        raise FormDefinitionError(f"{where}: unit {unit!r} is not one of {UNITS}")
    return Question(
        id=qid, type=kind, prompt=prompt.strip(), label=str(raw.get("label") or qid),
        optional=bool(raw.get("optional", False)), when=when, choices=tuple(choices),
        choices_from=source, min=low, max=high, past_only=bool(raw.get("past_only", True)),
        max_age_days=_int(where, raw, "max_age_days"), store=store, unit=unit,
        phone_question=str(phone_question) if phone_question else None,
        too_short=str(raw.get("too_short") or ""),
    )


def parse_form(data: Mapping[str, Any], source: str = "") -> FormDefinition:
    """Check parsed TOML and build the definition."""
    header = data.get("form")
    if not isinstance(header, dict):
        raise FormDefinitionError(f"{source}: missing the [form] table")
    name = header.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise FormDefinitionError(f"{source}: [form] needs a 'name' (an identifier)")
    where = f"form '{name}'"
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise FormDefinitionError(f"{where}: 'version' must be a whole number from 1")
    sink = header.get("sink", "submission")
    if sink not in SINKS:
        raise FormDefinitionError(f"{where}: sink must be one of {SINKS}")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise FormDefinitionError(f"{where}: no [[questions]]")
    questions: list[Question] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_questions, start=1):
        question = _parse_question(f"{where} question #{number}", raw, seen)
        questions.append(question)
        seen.add(question.id)
    for question in questions:
        target = question.phone_question
        if target is not None and (
                not any(q.id == target and q.type == "contact" for q in questions)):
            raise FormDefinitionError(f"{where} question '{question.id}': phone_question "
                                      f"{target!r} is not a contact question of the form")
    checks = []
    for number, raw in enumerate(data.get("checks", []), start=1):
        try:
            rule = compile_expression(str(raw.get("rule", "")))
        except ExpressionError as error:
            raise FormDefinitionError(f"{where} check #{number}: {error}") from None
        if rule.names - seen:
            raise FormDefinitionError(
                f"{where} check #{number}: uses {sorted(rule.names - seen)}, not questions")
        revisit = raw.get("revisit") or sorted(rule.names, key=[q.id for q in questions].index)[0]
        if revisit not in seen or not raw.get("message"):
            raise FormDefinitionError(f"{where} check #{number}: needs a 'message' and a "
                                      "'revisit' naming a question")
        checks.append(Check(rule, str(raw["message"]), revisit))
    title = header.get("title")
    command = header.get("command")
    if not isinstance(title, str) or not title.strip():
        raise FormDefinitionError(f"{where}: needs a 'title'")
    if command is not None and (not isinstance(command, str) or not command.isidentifier()):
        raise FormDefinitionError(f"{where}: 'command' must be a word such as report")
    return FormDefinition(
        name=name, version=version, title=title, command=command,
        roles=tuple(header.get("roles", ())), sink=sink, questions=tuple(questions),
        checks=tuple(checks), source=source, confirm=bool(header.get("confirm", True)),
        short=bool(header.get("short", False)),
    )


def load_form(path: Path) -> FormDefinition:
    """Read one definition file."""
    try:
        data = tomllib.loads(read_text(path))
    except EncodingProblem as problem:
        raise FormDefinitionError(f"{path}: {problem}") from None
    except tomllib.TOMLDecodeError as error:
        raise FormDefinitionError(f"{path}: not valid TOML ({error})") from None
    try:
        return parse_form(data, str(path))
    except FormDefinitionError as error:
        raise FormDefinitionError(f"{path}: {error}") from None


# ----- filling a form in ------------------------------------------------------------------

Answers = dict[str, Any]


def is_relevant(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether the question is asked, given the answers so far."""
    return question.when is None or question.when.holds(answers, if_unknown=False)


def may_be_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Relevant, or not yet decidable (its condition needs answers not given yet)."""
    return question.when is None or question.when.holds(answers, if_unknown=True)


def progress(form: FormDefinition, answers: Mapping[str, Any], question_id: str) -> tuple[int, int]:
    """(number of this question, questions in all) as far as the answers so far tell."""
    counted = [q.id for q in form.questions if may_be_asked(q, answers)]
    number = counted.index(question_id) + 1 if question_id in counted else len(counted)
    return number, len(counted)


def next_question(
    form: FormDefinition, answers: Mapping[str, Any], after: str | None
) -> Question | None:
    """The first relevant question after `after` (from the start when None)."""
    start = 0 if after is None else form.position(after) + 1
    for question in form.questions[start:]:
        if is_relevant(question, answers):
            return question
    return None


def first_unanswered(form: FormDefinition, answers: Mapping[str, Any]) -> Question | None:
    """The first relevant question never answered (nor skipped)."""
    return next(
        (q for q in form.questions if q.id not in answers and is_relevant(q, answers)), None
    )


def failing_check(
    form: FormDefinition, answers: Mapping[str, Any], involving: str | None = None
) -> Check | None:
    """A check that fails with these answers (only those naming `involving`, if given)."""
    for check in form.checks:
        if involving is not None and involving not in check.rule.names:
            continue
        if not check.rule.holds(answers, if_unknown=True):
            return check
    return None


def final_answers(form: FormDefinition, answers: Mapping[str, Any]) -> Answers:
    """The answers to keep: those of questions still relevant, in form order."""
    return {q.id: answers[q.id] for q in form.questions
            if q.id in answers and is_relevant(q, answers) and q.xls_type != "note"}


Also = tuple[tuple[str, Any], ...]  # answers to later questions given with this one


@dataclass(frozen=True)
class Accepted:
    """An acceptable answer, as stored (`also`: later questions it answers too, e.g. the
    phone number typed at «may the office call you?»)."""

    value: Any
    also: Also = ()


@dataclass(frozen=True)
class Rejected:
    """An answer that cannot be taken, with the Persian hint to show."""

    hint: str


@dataclass(frozen=True)
class Confirm:
    """An answer understood that the person confirms before it is taken (a Gregorian date
    converted, a phone number typed instead of shared), with the question to ask."""

    value: Any
    prompt: str
    also: Also = ()


Judgement = Accepted | Rejected | Confirm


def _bounds(question: Question) -> tuple[int, int]:
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else 1000000
    return low, high


def expectation(question: Question) -> str:
    """What the question expects, in a short Persian phrase (its type's `expect`)."""
    kind = TYPES.get(question.type)
    if kind is not None and kind.expect is not None:
        return kind.expect(question)
    return t(f"form.expect_{question.type}")


def _expect_number(question: Question) -> str:
    low, high = _bounds(question)
    return t(f"form.expect_{question.type}", low=low, high=high)


def _expect_text(question: Question) -> str:
    return t("form.expect_text", low=question.min or 1, high=question.max or MAX_TEXT_DEFAULT)


def _expect_xls(question: Question) -> str:
    return t(f"xls.expect_{question.type}")


def show_number(value: float) -> str:
    """A number as the summary shows it: «۱۲٬۰۰۰», «۳٫۵»."""
    if isinstance(value, float) and not value.is_integer():
        return to_persian_digits(f"{value:g}".replace(".", "٫"))
    return fa_number(int(value))


def _choice_by_text(text: str, choices: Sequence[Choice]) -> Choice | None:
    index = match_choice(text, [c.label for c in choices])
    return None if index is None else choices[index]


def accept_number(question: Question, text: str) -> Accepted | Rejected:
    """A count as people write it, within the question's bounds."""
    reading = read_number(text, decimals=question.type == "decimal", unit=question.unit)
    if isinstance(reading, NumberRefusal):
        shown = [show_number(n) for n in reading.numbers]
        if reading.reason == "several" and len(shown) >= 2:
            return Rejected(t("form.number_several", numbers=t("form.or").join(shown)))
        if reading.reason == "unit" and shown:
            return Rejected(t("form.number_unit", number=shown[0],
                              unit=t(f"unit.{reading.unit}"),
                              expected=t(f"unit.{question.unit}")))
        if reading.reason == "bound" and shown:
            return Rejected(t("form.number_bound", number=shown[0]))
        if reading.reason == "decimal" and shown:
            return Rejected(t("form.number_decimal", number=shown[0]))
        return Rejected(expectation(question))
    low, high = _bounds(question)
    if not low <= reading.value <= high:
        return Rejected(t("form.number_out_of_range", number=show_number(reading.value),
                          low=low, high=high))
    return Accepted(reading.value)


def accept_text(
    question: Question, text: str, *, choices: Sequence[Choice], today: date
) -> Judgement:
    """Judge a typed answer to `question` (by its type's parser in `TYPES`)."""
    kind = TYPES.get(question.type)
    if kind is None or kind.parse is None:
        return Rejected(expectation(question))
    return kind.parse(question, text, choices, today)


def _parse_text(question: Question, text: str, choices: Sequence[Choice],
                today: date) -> Judgement:
    cleaned = persian_digits_in_text(normalize_text(text))
    visible = cleaned.replace("\u200c", "").replace(" ", "").replace("\n", "")
    if not any(c.isalnum() for c in visible):
        return Rejected(expectation(question))
    if len(visible) < (question.min or 1):
        return Rejected(question.too_short or expectation(question))
    if len(cleaned) > (question.max or MAX_TEXT_DEFAULT):
        return Rejected(t("input.text_too_long", high=fa_number(question.max or
                                                                MAX_TEXT_DEFAULT)))
    return Accepted(cleaned)


def _parse_choice(question: Question, text: str, choices: Sequence[Choice],
                  today: date) -> Judgement:
    choice = _choice_by_text(text, choices)
    if choice is not None:
        return Accepted(choice.value)
    if question.phone_question is not None and len(choices) == 2:
        return _contact_choice(question, text, choices)
    values = [c.value for c in choices]
    unsure = next((c for c in choices if c.value in UNSURE_VALUES), None)
    if unsure is not None and replies.dont_know(text):
        return Accepted(unsure.value)
    nothing = next((c for c in choices if c.value in NONE_VALUES), None)
    if nothing is not None and replies.none_word(text):
        return Accepted(nothing.value)
    if question.store == "severity" or question.id == "severity":
        level = replies.severity(text, values)
        if level is not None:
            return Accepted(level)
    return Rejected(expectation(question))


def _contact_choice(question: Question, text: str, choices: Sequence[Choice]) -> Judgement:
    """«May the office call you?» answered in words («آره زنگ بزنید», «نه») or with the
    number itself («شمارم ۰۹۱۳… هست»: yes, with that number, confirmed first)."""
    reply = replies.contact_reply(text)
    if isinstance(reply, replies.ContactReply):
        yes, no = choices[0].value, choices[1].value
        if reply.phone is None:
            return Accepted(yes if reply.call else no)
        assert question.phone_question is not None
        return Confirm(yes, t("form.phone_confirm", phone=shown_phone(reply.phone.e164)),
                       also=((question.phone_question,
                              {"phone": reply.phone.e164, "typed": True}),))
    if isinstance(reply, replies.PhoneRefusal) and reply.reason in ("too_short", "too_long"):
        return Rejected(t(f"form.phone_{reply.reason}"))
    return Rejected(expectation(question))


def _parse_multi(question: Question, text: str, choices: Sequence[Choice],
                 today: date) -> Judgement:
    if zero_word(text) or replies.none_word(text):  # «هیچ‌کدام»: none (if none is allowed)
        return multi_done(question, [])
    picked = match_choices(text, [c.label for c in choices])
    if picked is None:
        return Rejected(expectation(question))
    return multi_done(question, [choices[i].value for i in picked])


def yes_or_no(text: str, question: Question | None = None) -> Accepted | Rejected:
    """«بله», «آره», «نه», «خیر» … typed."""
    key = match_key(text).rstrip(".!؟?")
    if key in YES_WORDS:
        return Accepted(True)
    if key in NO_WORDS:
        return Accepted(False)
    said = replies.yes_no(text)  # «آره زنگ بزنید», «نه ممنون», «لازم نیست»
    if said is not None:
        return Accepted(said)
    return Rejected(expectation(question) if question else t("form.expect_yesno"))


def accept_date(question: Question, text: str, today: date) -> Judgement:
    """A date as people say it, within the question's limits; each refusal says what was
    understood and why it cannot be taken."""
    reading = read_date(text, today=today, allow_future=not question.past_only,
                        max_age_days=question.max_age_days)
    if isinstance(reading, DateRefusal):
        return Rejected(date_refusal(reading, text))
    if reading.gregorian:
        return Confirm(reading.day.isoformat(), t(
            "form.date_gregorian", typed=text.strip(), date=format_date(reading.day)))
    return Accepted(reading.day.isoformat())


def date_refusal(refusal: DateRefusal, typed: str) -> str:
    """The Persian reply to a date that cannot be taken."""
    if refusal.reason == "ambiguous":
        return t("form.date_ambiguous", dates=t("form.or").join(
            format_date(d) for d in refusal.candidates))
    if refusal.reason == "day" and refusal.month is not None:
        return t("form.date_day_in_month", month=MONTH_NAMES[refusal.month - 1],
                 days=refusal.days_in_month or 0)
    understood = format_date(refusal.understood, weekday=True) if refusal.understood else ""
    if refusal.reason in ("future", "too_old"):
        return t(f"form.date_{refusal.reason}", date=understood,
                 days=refusal.max_age_days or 0)
    return t(f"form.date_{refusal.reason}")


def accept_phone(text: str) -> Confirm | Rejected:
    """A phone number typed at the contact step: understood, then confirmed as consent."""
    phone = find_phone(text)  # «شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست», a landline with its area code
    if not isinstance(phone, Phone):
        if phone is not None and phone.reason in ("too_short", "too_long"):
            return Rejected(t(f"form.phone_{phone.reason}"))
        return Rejected(t("form.expect_contact"))
    return Confirm({"phone": phone.e164, "typed": True},
                   t("form.phone_confirm", phone=shown_phone(phone.e164)))




def accept_place(text: str) -> Accepted | Rejected | Confirm:
    """A map link (Google, OpenStreetMap, Neshan, Balad) or coordinates as a point; a short
    link that names no point is refused with what to do instead (or, when words came with
    it, those words are offered as the address); an address in words as the place's text."""
    link = read_link(text)
    if isinstance(link, Coordinates):
        return Accepted({"latitude": link.latitude, "longitude": link.longitude})
    if isinstance(link, ShortLink):
        app = t(f"input.app_{link.source}")
        if len(link.words) >= 5:
            words = persian_digits_in_text(link.words)[:MAX_ADDRESS]
            return Confirm({"address": words}, t("input.short_link_words", app=app,
                                                 words=words))
        return Rejected(t("input.short_link", app=app))
    place = read_place(text)
    if isinstance(place, Coordinates):
        return Accepted({"latitude": place.latitude, "longitude": place.longitude})
    if isinstance(place, Address):
        return Accepted({"address": persian_digits_in_text(place.text)})
    return Rejected(t(f"form.place_{place.reason}"))


def accept_voice(question: Question, file_id: str, unique_id: str,
                 duration: int) -> Accepted | Rejected:
    """A voice note as the answer to a text question."""
    if question.type != "text":
        return Rejected(expectation(question))
    return Accepted({"voice": file_id, "file_unique_id": unique_id, "duration": duration})


def is_voice(value: Any) -> bool:
    """The answer is a voice note (kept by the messenger's file id)."""
    return isinstance(value, dict) and "voice" in value


def accept_choice(question: Question, value: str, choices: Sequence[Choice]) -> Accepted | None:
    """A tapped choice value, if it is one of the allowed choices (forged data is not)."""
    return Accepted(value) if any(c.value == value for c in choices) else None


def toggle(current: Iterable[str], value: str, choices: Sequence[Choice]) -> list[str] | None:
    """The selection after tapping `value` in a multiple choice (None if not a choice)."""
    if not any(c.value == value for c in choices):
        return None
    selected = list(current)
    if value in selected:
        selected.remove(value)
    else:
        selected.append(value)
    order = [c.value for c in choices]
    return sorted(selected, key=order.index)


def multi_done(question: Question, selected: Sequence[str]) -> Accepted | Rejected:
    """Finishing a multiple choice: at least `min` (default 1) selected."""
    needed = question.min if question.min is not None else 1
    if len(selected) < needed:
        return Rejected(t("form.multi_too_few", count=in_words(needed)))
    return Accepted(list(selected))


def attachment_count(items: Sequence[Mapping[str, Any]]) -> str:
    """«۲ عکس»، «۱ پیام صوتی» or both, for a list of attachments."""
    voices = sum(1 for item in items if item.get("kind") == "voice")
    photos = len(items) - voices
    parts = []
    if photos:
        parts.append(t("form.photo_count", count=photos))
    if voices:
        parts.append(t("form.voice_count", count=voices))
    return "، ".join(parts)


def format_answer(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    """An answer as the summary shows it, in Persian (by its type's formatter in `TYPES`)."""
    if value is None:
        return t("form.skipped")
    kind = TYPES.get(question.type)
    return kind.show(question, value, choices) if kind is not None else _show_text(
        question, value, choices)


def _show_choice(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    return {c.value: c.label for c in choices}.get(str(value), str(value))


def _show_multi(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    labels = {c.value: c.label for c in choices}
    return "، ".join(labels.get(v, v) for v in value) or t("form.skipped")


def _show_location(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    if "address" in value:
        return str(value["address"])[:200]
    return t("form.location_given")


def _show_contact(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    """The number itself: the summary is shown only to its owner."""
    phone = value.get("phone") if isinstance(value, dict) else None
    return shown_phone(str(phone)) if phone else t("form.contact_given")


def _show_text(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    if is_voice(value):
        return t("form.voice_answer", seconds=int(value.get("duration") or 0))
    text = persian_digits_in_text(str(value))
    return text if len(text) <= 200 else text[:200] + "…"


# ----- the types XLSForm adds (typed decimals and times, voice notes) ------------------

_TIME = re.compile(r"^\s*(\d{1,2})\s*[:.٫]\s*(\d{2})\s*$")


def accept_extra(question: Question, text: str, choices: Sequence[Choice] = (),
                 today: date | None = None) -> Accepted | Rejected:
    """Judge a typed answer to a time question."""
    typed = to_ascii_digits(normalize_text(text)).replace("٫", ".").replace("/", ".")
    if question.type == "time":
        found = _TIME.match(typed)
        if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
            return Rejected(t("xls.expect_time"))
        return Accepted(f"{int(found.group(1)):02d}:{found.group(2)}")
    return Rejected(t(f"xls.expect_{question.type}"))


def format_extra(question: Question, value: Any, choices: Sequence[Choice] = ()) -> str:
    """A decimal, time or voice-note answer as the summary shows it."""
    if question.type == "audio":
        return t("xls.audio_given")
    if isinstance(value, float):
        return to_persian_digits(f"{value:g}").replace(".", "٫")
    return to_persian_digits(str(value))


def not_skippable(question: Question) -> str:
    """The hint for skipping a question that must be answered."""
    return question.required_message or t("form.not_skippable")


def choices_now(question: Question, answers: Mapping[str, Any]) -> list[Choice]:
    """The question's own choices that its `choice_filter` keeps, given the answers."""
    if question.choice_filter is None:
        return list(question.choices)
    kept = []
    for choice in question.choices:
        values = {**{n: "" for n in question.choice_filter.names if n.startswith("_c_")},
                  **answers, "_c_name": choice.value,
                  **{f"_c_{column}": value for column, value in choice.extra}}
        if question.choice_filter.holds(values, if_unknown=False):
            kept.append(choice)
    return kept


_REFERENCE = re.compile(r"\$\{([^}\s]+)\}")


def prompt_for(form: FormDefinition, question: Question, answers: Mapping[str, Any]) -> str:
    """The prompt with each `${name}` replaced by that answer (or computed value)."""
    if "${" not in question.prompt:
        return question.prompt
    return _REFERENCE.sub(lambda m: shown_value(form, question, m.group(1), answers),
                          question.prompt)


def shown_value(form: FormDefinition, asking: Question, name: str,
                answers: Mapping[str, Any]) -> str:
    """What `${name}` shows inside `asking`'s prompt (the same turn of a repeat first)."""
    candidates = [q for q in form.questions if q.name == name]
    same_turn = [q for q in candidates if q.iteration == asking.iteration]
    for question in same_turn or candidates:
        if question.id in answers:
            choices = choices_now(question, answers) if question.choices else []
            return format_answer(question, answers[question.id], choices)
    values = computed(form, answers)
    for calc in form.calculations:
        if calc.name == name and calc.id in values and calc.iteration in (0, asking.iteration):
            value = values[calc.id]
            return fa_number(value) if isinstance(value, int) else to_persian_digits(str(value))
    return t("xls.unknown_value")


def computed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The form's calculations over these answers (those that cannot be known are left out)."""
    values: dict[str, Any] = {}
    for calc in form.calculations:
        try:
            values[calc.id] = calc.expression.evaluate({**answers, **values})
        except Unknown:
            continue
    return values


# ----- question types: one table (pyxform's question_type_dictionary is the model) --------

# What can answer a question: typed text, a tapped button, a shared location or contact, a
# photo, a voice note, an audio file.
INPUT_KINDS = ("text", "tap", "location", "contact", "photo", "voice", "audio")
Parser = Callable[[Question, str, Sequence[Choice], date], Judgement]
Tapper = Callable[[Question, str, Sequence[Choice], date], Accepted | None]
Shower = Callable[[Question, Any, Sequence[Choice]], str]


@dataclass(frozen=True)
class QuestionType:
    """How the chat asks one type of question: the keyboard it shows, the inputs that may
    answer it, the parser of a typed answer, the meaning of a tapped button, how an answer
    is shown (summary, trail), and whether it collects (ticks, photos) until «done».

    Keyboards: `choices` (one button per choice), `toggles` (ticks and «done»), `yesno`,
    `date` (today, yesterday), `location` and `contact` (a share button on a reply
    keyboard), `collect` («done» under what was sent), `none` (the controls only)."""

    keyboard: str
    inputs: frozenset[str]
    parse: Parser | None
    show: Shower
    tap: Tapper | None = None
    collects: bool = False
    echo_typed: bool = False  # a typed answer shown as read on the message that asked it
    trail_typed: bool = False  # … or above the next question (a typed address, a phone)
    expect: Callable[[Question], str] | None = None  # the hint (default: form.expect_TYPE)


def _tap_choice(question: Question, value: str, choices: Sequence[Choice],
                today: date) -> Accepted | None:
    return accept_choice(question, value, choices)


def _tap_yesno(question: Question, value: str, choices: Sequence[Choice],
               today: date) -> Accepted | None:
    return Accepted(value == "1") if value in ("0", "1") else None


def _tap_date(question: Question, value: str, choices: Sequence[Choice],
              today: date) -> Accepted | None:
    if value not in ("today", "yesterday"):
        return None
    return Accepted((today - timedelta(days=0 if value == "today" else 1)).isoformat())


def _inputs(*kinds: str) -> frozenset[str]:
    return frozenset(("text", *kinds))


TYPES: dict[str, QuestionType] = {
    "text": QuestionType("none", _inputs("voice"), _parse_text, _show_text,
                         expect=_expect_text),
    "integer": QuestionType("none", _inputs(), lambda q, x, c, d: accept_number(q, x),
                            lambda q, v, c: show_number(v), expect=_expect_number,
                            echo_typed=True),
    "decimal": QuestionType("none", _inputs(), lambda q, x, c, d: accept_number(q, x),
                            lambda q, v, c: show_number(v), expect=_expect_number,
                            echo_typed=True),
    "choice": QuestionType("choices", _inputs("tap"), _parse_choice, _show_choice,
                           _tap_choice, echo_typed=True),
    "multi": QuestionType("toggles", _inputs("tap"), _parse_multi, _show_multi,
                          collects=True, echo_typed=True),
    "yesno": QuestionType("yesno", _inputs("tap"), lambda q, x, c, d: yes_or_no(x, q),
                          lambda q, v, c: t("form.yes") if v else t("form.no"), _tap_yesno,
                          echo_typed=True),
    "date": QuestionType("date", _inputs("tap"), lambda q, x, c, d: accept_date(q, x, d),
                         lambda q, v, c: format_date(date.fromisoformat(v)), _tap_date,
                         echo_typed=True),
    "location": QuestionType("location", _inputs("location"),
                             lambda q, x, c, d: accept_place(x), _show_location,
                             trail_typed=True),
    "contact": QuestionType("contact", _inputs("contact"), lambda q, x, c, d: accept_phone(x),
                            _show_contact, trail_typed=True),
    "photos": QuestionType("collect", frozenset(("photo", "voice")), None,
                           lambda q, v, c: attachment_count(v) if v else t("form.skipped"),
                           collects=True),
    "time": QuestionType("none", _inputs(), accept_extra, format_extra, expect=_expect_xls,
                         echo_typed=True),
    "audio": QuestionType("none", frozenset(("voice", "audio")), accept_extra, format_extra,
                          expect=_expect_xls),
}
