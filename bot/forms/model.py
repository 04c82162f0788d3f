"""Forms as data: definitions loaded from TOML, checked at start, and the pure rules of
filling one in (which question comes next, whether an answer is acceptable, the summary).

No messenger code here: the conversation in `handlers/forms.py` asks this module what to
do and stores what it says. A definition is a list of questions, each with a type, whether
it may be skipped, a condition on earlier answers (`when`), bounds, and the column it
fills; plus cross-field checks. A broken definition raises `FormDefinitionError` naming the
form, the question and the reason.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.forms.expr import Expression, ExpressionError, compile_expression
from bot.locale.jalali import JalaliDateError, format_date, parse_jalali_date
from bot.locale.normalize import fa_number, match_key, normalize_text, parse_int
from bot.locale.text import t

SHIPPED_FORMS_DIR = Path(__file__).parent
QUESTION_TYPES = ("choice", "multi", "integer", "text", "date", "location", "photos", "yesno",
                  "contact")
CHOICE_SOURCES = ("office_neighbourhoods", "all_neighbourhoods", "offices")
# Columns of the submissions table a question may fill (digests aggregate on these).
STORE_COLUMNS = ("neighbourhood_id", "happened_on", "activity", "category", "severity",
                 "participants", "children", "adolescents", "women", "elderly", "households",
                 "tags")
SINKS = ("submission", "request", "request_action", "request_resident")
YES_WORDS = {"بله", "بلی", "آره", "اره", "اری", "yes", "y", "1"}
NO_WORDS = {"خیر", "نه", "نخیر", "no", "n", "0"}
MAX_TEXT_DEFAULT = 1500
MAX_PHOTOS_DEFAULT = 5


class FormDefinitionError(ValueError):
    """A form definition cannot be used; the message names form, question and reason."""


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: a short stored value and its Persian label."""

    value: str
    label: str


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
    source: str = ""
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
    if store == "tags" and kind != "multi":
        raise FormDefinitionError(f"{where}: only multi questions can be stored as tags")
    return Question(
        id=qid, type=kind, prompt=prompt.strip(), label=str(raw.get("label") or qid),
        optional=bool(raw.get("optional", False)), when=when, choices=tuple(choices),
        choices_from=source, min=low, max=high, past_only=bool(raw.get("past_only", True)),
        max_age_days=_int(where, raw, "max_age_days"), store=store,
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
    )


def load_form(path: Path) -> FormDefinition:
    """Read one definition file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise FormDefinitionError(f"{path}: not valid TOML ({error})") from None
    try:
        return parse_form(data, str(path))
    except FormDefinitionError as error:
        raise FormDefinitionError(f"{path}: {error}") from None


def load_forms(override_dir: Path | None = None) -> dict[str, FormDefinition]:
    """The shipped forms, each replaced by a file of the same name in `override_dir`."""
    files = {p.name: p for p in sorted(SHIPPED_FORMS_DIR.glob("*.toml"))}
    if override_dir is not None:
        files.update({p.name: p for p in sorted(override_dir.glob("*.toml"))})
    forms: dict[str, FormDefinition] = {}
    for path in files.values():
        form = load_form(path)
        if form.name in forms:
            raise FormDefinitionError(f"{path}: a second form named '{form.name}'")
        forms[form.name] = form
    return forms


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
            if q.id in answers and is_relevant(q, answers)}


@dataclass(frozen=True)
class Accepted:
    """An acceptable answer, as stored."""

    value: Any


@dataclass(frozen=True)
class Rejected:
    """An answer that cannot be taken, with the Persian hint to show."""

    hint: str


def expectation(question: Question) -> str:
    """What the question expects, in a short Persian phrase."""
    if question.type == "integer":
        return t("form.expect_integer", low=question.min if question.min is not None else 0,
                 high=question.max if question.max is not None else 1000000)
    if question.type == "text":
        return t("form.expect_text", low=question.min or 1,
                 high=question.max or MAX_TEXT_DEFAULT)
    return t(f"form.expect_{question.type}")


def _choice_by_text(text: str, choices: Sequence[Choice]) -> Choice | None:
    key = match_key(text)
    for choice in choices:
        if match_key(choice.label) == key:
            return choice
    number = parse_int(text)
    if number is not None and 1 <= number <= len(choices):
        return choices[number - 1]
    return None


def accept_text(
    question: Question, text: str, *, choices: Sequence[Choice], today: date
) -> Accepted | Rejected:
    """Judge a typed answer to `question`."""
    kind = question.type
    if kind == "integer":
        number = parse_int(text)
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else 1000000
        if number is None or not low <= number <= high:
            return Rejected(expectation(question))
        return Accepted(number)
    if kind == "text":
        cleaned = normalize_text(text)
        visible = cleaned.replace("\u200c", "").replace(" ", "").replace("\n", "")
        long_enough = len(visible) >= (question.min or 1) and any(c.isalnum() for c in visible)
        if not long_enough or len(cleaned) > (question.max or MAX_TEXT_DEFAULT):
            return Rejected(expectation(question))
        return Accepted(cleaned)
    if kind == "choice":
        choice = _choice_by_text(text, choices)
        return Accepted(choice.value) if choice else Rejected(expectation(question))
    if kind == "yesno":
        key = match_key(text)
        if key in YES_WORDS:
            return Accepted(True)
        if key in NO_WORDS:
            return Accepted(False)
        return Rejected(expectation(question))
    if kind == "date":
        return accept_date(question, text, today)
    return Rejected(expectation(question))


def accept_date(question: Question, text: str, today: date) -> Accepted | Rejected:
    """A typed Jalali date, within the question's limits."""
    key = match_key(text)
    if key == match_key(t("form.today")):
        return Accepted(today.isoformat())
    if key == match_key(t("form.yesterday")):
        return Accepted(date.fromordinal(today.toordinal() - 1).isoformat())
    try:
        day = parse_jalali_date(text, today=today, allow_future=not question.past_only,
                                max_age_days=question.max_age_days)
    except JalaliDateError as error:
        return Rejected(t(f"form.date_{error.reason}", days=question.max_age_days or 0))
    return Accepted(day.isoformat())


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
        return Rejected(t("form.multi_too_few", count=needed))
    return Accepted(list(selected))


def format_answer(question: Question, value: Any, choices: Sequence[Choice]) -> str:
    """An answer as the summary shows it, in Persian."""
    if value is None:
        return t("form.skipped")
    labels = {c.value: c.label for c in choices}
    if question.type == "choice":
        return labels.get(str(value), str(value))
    if question.type == "multi":
        return "، ".join(labels.get(v, v) for v in value) or t("form.skipped")
    if question.type == "integer":
        return fa_number(int(value))
    if question.type == "yesno":
        return t("form.yes") if value else t("form.no")
    if question.type == "date":
        return format_date(date.fromisoformat(value))
    if question.type == "location":
        return t("form.location_given")
    if question.type == "photos":
        return t("form.photo_count", count=len(value)) if value else t("form.skipped")
    if question.type == "contact":
        return t("form.contact_given")
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"
