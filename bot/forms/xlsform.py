"""XLSForm workbooks (`.xlsx`: `survey`, `choices`, `settings`), the field's own format for
forms (ODK, KoBoToolbox, SurveyCTO), turned into the engine's `FormDefinition`.

pyxform reads the workbook (its aliases, `select one from LIST`, `label::Persian (fa)`,
`or_other`); this module maps each XLSForm type through `XLS_TYPES` onto a question the
chat engine can ask, translates the XPath of `relevant`, `constraint`, `required`,
`choice_filter` and `calculation` into the safe language of `bot/forms/expr.py` (never
`eval`), and unrolls a repeat into turns joined by «another one?» questions. Anything it
cannot do in a chat raises `FormDefinitionError` in one line: the file, the row, the type or
expression, and the reason. No messenger code here.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.forms.expr import FUNCTIONS, Expression, ExpressionError, compile_expression
from bot.forms.model import (
    CHOICE_SOURCES,
    STORE_COLUMNS,
    UNIT_OF_COLUMN,
    Calculation,
    Check,
    Choice,
    FormDefinition,
    FormDefinitionError,
    Question,
    computed,
)
from bot.locale.normalize import match_key, to_persian_digits
from bot.locale.text import catalogue, t

MAX_ID_BYTES = 20       # question ids travel in callback data (64 bytes in all)
MAX_VALUE_BYTES = 24    # and so do choice values
MAX_COMMAND = 32
DEFAULT_REPEAT_MAX = 10  # turns of a repeat without a fixed count (settings: repeat_max)
MAX_FIXED_TURNS = 50
METADATA = ("start", "end", "today", "deviceid", "username")
RESERVED_COMMANDS = frozenset({"start", "help", "cancel", "report", "need", "request", "inbox",
                               "mine", "digest", "export", "digest_here", "track", "invite",
                               "people"})


@dataclass(frozen=True)
class XlsType:
    """How one XLSForm type is asked: the engine's question type (None: not asked), what
    the row is (question, calculate, metadata, group, repeat), and limits."""

    engine: str | None
    role: str = "question"
    max: int | None = None


# pyxform's spelling of a type (after its aliases) → how the chat asks it.
XLS_TYPES: dict[str, XlsType] = {
    "text": XlsType("text"), "string": XlsType("text"),
    "phone number": XlsType("text"),
    "integer": XlsType("integer"), "int": XlsType("integer"),
    "decimal": XlsType("decimal"),
    "select one": XlsType("choice"), "select all that apply": XlsType("multi"),
    "date": XlsType("date"), "time": XlsType("time"),
    "geopoint": XlsType("location"), "gps": XlsType("location"),
    "location": XlsType("location"),
    "image": XlsType("photos", max=1), "photo": XlsType("photos", max=1),
    "audio": XlsType("audio"),
    "note": XlsType("choice"), "acknowledge": XlsType("choice"), "trigger": XlsType("choice"),
    "calculate": XlsType(None, "calculate"), "hidden": XlsType(None, "calculate"),
    "start": XlsType(None, "metadata"), "start time": XlsType(None, "metadata"),
    "end": XlsType(None, "metadata"), "end time": XlsType(None, "metadata"),
    "today": XlsType(None, "metadata"), "get today": XlsType(None, "metadata"),
    "deviceid": XlsType(None, "metadata"), "device id": XlsType(None, "metadata"),
    "imei": XlsType(None, "metadata"), "username": XlsType(None, "metadata"),
    "group": XlsType(None, "group"), "repeat": XlsType(None, "repeat"),
}
# What the chat cannot do, and why (the rest of pyxform's types: "not supported in a chat").
UNSUPPORTED: dict[str, str] = {
    "barcode": "a chat cannot scan a barcode",
    "video": "videos are not taken in a form",
    "file": "documents are not taken in a form",
    "osm": "OpenStreetMap questions need the ODK map",
    "select one external": "external selects need a device-side file",
    "geotrace": "a line on a map cannot be drawn in a chat",
    "geoshape": "a shape on a map cannot be drawn in a chat",
    "datetime": "use a date and a time question",
    "date time": "use a date and a time question",
    "dateTime": "use a date and a time question",
    "range": "use an integer with a constraint",
    "rank": "ranking is not offered in a chat",
    "loop": "loops over choices are not supported; use a repeat",
    "audit": "there is no device to audit",
    "background-audio": "the bot records nothing in the background",
    "background-geopoint": "the bot records nothing in the background",
    "start-geopoint": "the bot records nothing in the background",
    "simserial": "a bot cannot read the SIM", "sim id": "a bot cannot read the SIM",
    "subscriberid": "a bot cannot read the SIM", "subscriber id": "a bot cannot read the SIM",
    "phonenumber": "a bot cannot read the phone's own number",
    "email": "a bot cannot read the device's account",
}
_METADATA_KIND = {"start time": "start", "end time": "end", "get today": "today",
                  "device id": "deviceid", "imei": "deviceid"}
# Tashilyar's own survey columns (ODK ignores them): the submissions column a question fills
# (as `store` in TOML), how many photos an image question takes, the summary's short label.
EXTENSIONS = ("store", "max_photos", "summary_label")
# A form with one of these ids gives the shipped form's conversation, started by its command.
SHIPPED_COMMANDS = {"field_report": "report", "needs_assessment": "need"}
# Constraints the engine knows as bounds, with its own hints.
_NUMBER_BOUNDS = re.compile(r"^\.\s*>=\s*(\d+)\s+and\s+\.\s*<=\s*(\d+)(?:\s+and\s+(.+))?$")
_LENGTH_BOUNDS = re.compile(
    r"^string-length\(\s*\.\s*\)\s*>=\s*(\d+)\s+and\s+string-length\(\s*\.\s*\)\s*<=\s*(\d+)"
    r"(?:\s+and\s+(.+))?$")
_PAST_DATE = re.compile(r"^\.\s*<=\s*today\(\)(?:\s+and\s+\.\s*>=\s*today\(\)\s*-\s*(\d+))?$")
_FROM_FILE = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)
_YES = {"yes", "true", "true()", "1"}


def form_id_of(raw: str) -> str:
    """The command a form is reached by: lower case, [a-z0-9_], at most 32 characters."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", raw.strip().lower())[:MAX_COMMAND]
    return cleaned if cleaned and not cleaned[0].isdigit() else f"f_{cleaned}"[:MAX_COMMAND]


# ----- reading the sheets pyxform does not tell about: rows, extra columns, settings --------


@dataclass
class _Sheets:
    rows: dict[str, int] = field(default_factory=dict)          # name → survey row
    type_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, type as written)
    digest: set[str] = field(default_factory=set)
    extra: dict[str, dict[str, str]] = field(default_factory=dict)  # name → EXTENSIONS
    settings: dict[str, str] = field(default_factory=dict)


def _read_sheets(path: Path) -> _Sheets:
    import openpyxl  # pyxform's own reader; loaded only for workbooks

    sheets = _Sheets()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        by_name = {ws.title.strip().lower(): ws for ws in book.worksheets}
        survey = by_name.get("survey")
        if survey is not None:
            rows = survey.iter_rows(values_only=True)
            header = [str(c or "").strip().lower() for c in next(rows, ())]
            column = {name: i for i, name in enumerate(header)}
            for number, row in enumerate(rows, start=2):
                cells = {h: row[i] for h, i in column.items() if i < len(row)}
                name = str(cells.get("name") or "").strip()
                kind = str(cells.get("type") or "").strip()
                if kind:
                    sheets.type_rows.append((number, kind))
                if name:
                    sheets.rows.setdefault(name, number)
                    if str(cells.get("digest") or "").strip().lower() in _YES:
                        sheets.digest.add(name)
                    sheets.extra.setdefault(name, {
                        column: str(cells[column]).strip() for column in EXTENSIONS
                        if cells.get(column) not in (None, "")})
        settings = by_name.get("settings")
        if settings is not None:
            values = list(settings.iter_rows(values_only=True))
            if len(values) >= 2:
                sheets.settings = {str(h).strip().lower(): str(v).strip()
                                   for h, v in zip(values[0], values[1], strict=False)
                                   if h is not None and v is not None}
    finally:
        book.close()
    return sheets


# ----- languages --------------------------------------------------------------------------


def _is_persian(language: str) -> bool:
    key = language.strip().lower()
    return key in ("fa", "persian", "farsi", "فارسی") or key.endswith("(fa)") or \
        key.startswith(("persian", "farsi"))


def _pick(text: Any, default_language: str) -> str:
    """A label or hint in Persian if the form has it, else its default language, else any."""
    if text is None:
        return ""
    if not isinstance(text, Mapping):
        return str(text).strip()
    for language, value in text.items():
        if _is_persian(language) and value:
            return str(value).strip()
    for language in (default_language, "default"):
        if text.get(language):
            return str(text[language]).strip()
    return next((str(v).strip() for v in text.values() if v), "")


# ----- expressions: XPath → the safe language ---------------------------------------------

_TOKEN = re.compile(r"""
    \s+ | (?P<ref>\$\{[^}]*\}) | (?P<string>'[^']*'|"[^"]*") | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<path>(?:\.\./)+[A-Za-z_][\w.-]*) | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\|)
  | (?P<dot>\.(?![\w.])) | (?P<name>[A-Za-z_][\w.:-]*)
""", re.VERBOSE)
_FUNCTION_NAMES = {"if": "if_", "not": "not_", "count-selected": "count_selected",
                   "string-length": "string_length"}
_CONSTANTS = {"true": "True", "false": "False"}


class _Untranslatable(ValueError):
    pass


Resolve = Callable[[str], str]


def translate(source: str, resolve: Resolve, *, own: str | None = None,
              choice_columns: bool = False) -> str:
    """XLSForm XPath → the source of a safe expression; `resolve(name)` gives the
    expression `${name}` stands for; `own` is what `.` means; bare names are choice columns
    (`_c_<column>`) where `choice_columns`. Raises _Untranslatable with the reason."""
    out: list[str] = []
    position = 0
    text = source.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _Untranslatable(f"cannot read {text[position:position + 12]!r}")
        position = match.end()
        kind, value = match.lastgroup, match.group(0)
        following = text[position:].lstrip()
        if kind is None:
            continue
        if kind == "ref":
            out.append(resolve(value[2:-1].strip()))
        elif kind == "path":
            out.append(resolve(value.rsplit("/", 1)[-1]))
        elif kind == "string":
            out.append(repr(value[1:-1]))
        elif kind == "number":
            out.append(value)
        elif kind == "dot":
            if own is None:
                raise _Untranslatable("'.' means nothing here")
            out.append(own)
        elif kind == "op":
            if value == "|":
                raise _Untranslatable("'|' (node sets) is not supported")
            out.append({"=": "=="}.get(value, value))
        elif value in ("and", "or"):
            out.append(value)
        elif value == "div":
            out.append("/")
        elif value == "mod":
            out.append("%")
        elif following.startswith("("):
            function = _FUNCTION_NAMES.get(value, value)
            if value in _CONSTANTS:
                out.append(_CONSTANTS[value])
                position = text.index(")", position) + 1
            elif function not in FUNCTIONS:
                raise _Untranslatable(f"the function {value}() is not supported")
            else:
                out.append(function)
        elif choice_columns:
            out.append("_c_" + re.sub(r"\W", "_", value))
        else:
            raise _Untranslatable(f"'{value}' is not a ${{name}} reference")
    return _join(out)


def _join(tokens: list[str]) -> str:
    """Tokens as readable source: `f(a, b)`, `a == 'x'`."""
    text = ""
    for token in tokens:
        glued = (not text or text.endswith("(") or token in (")", ",")
                 or (token == "(" and (text[-1].isalnum() or text[-1] == "_")))
        text += token if glued else " " + token
    return text


# ----- the survey as nodes ------------------------------------------------------------------


@dataclass
class _Repeat:
    name: str
    label: str
    row: int
    relevant: list[str]
    count: str | None
    heading: list[str]


@dataclass
class _Node:
    data: dict[str, Any]
    kind: str            # the pyxform type
    spec: XlsType
    row: int
    heading: list[str]
    relevant: list[str]  # XPath of the enclosing groups, then its own
    repeat: _Repeat | None


class _Loader:
    """One workbook's translation, keeping what `where()` needs for its one-line errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sheets = _read_sheets(path)
        self.language = "default"
        self.ids: dict[tuple[str, int], str] = {}   # (name, turn) → question id
        self.kinds: dict[str, _Node] = {}          # name → node
        self.calcs: dict[str, str] = {}            # name → XPath of its calculation
        self.defaults: dict[str, Any] = {}
        self.used: set[str] = set()
        self.counter = 0

    def where(self, name: str = "", row: int = 0) -> str:
        row = row or self.sheets.rows.get(name, 0)
        return f"{self.path.name}: survey row {row}" if row else f"{self.path.name}"

    def fail(self, message: str, name: str = "", row: int = 0) -> FormDefinitionError:
        return FormDefinitionError(f"{self.where(name, row)}: {message}")

    # --- walking ---

    def nodes(self, children: list[dict[str, Any]], heading: list[str],
              relevant: list[str], repeat: _Repeat | None) -> Iterator[_Node]:
        for child in children:
            kind = str(child.get("type", ""))
            name = str(child.get("name", ""))
            row = self.sheets.rows.get(name, 0) or int(child.get("__row_number", 0) or 0)
            if kind == "group" and name == "meta" and child.get("control", {}).get("bodyless"):
                continue  # pyxform's instanceID and entity bookkeeping: nothing to ask
            itemset = str(child.get("itemset", ""))
            if _FROM_FILE.search(itemset):
                raise self.fail(f"type '{self._written_type(row, kind)}': choices from a file "
                                "are not supported (put them in the choices sheet)", row=row)
            if kind in UNSUPPORTED or kind not in XLS_TYPES:
                reason = UNSUPPORTED.get(kind, "is not supported in a chat")
                raise self.fail(f"type '{self._written_type(row, kind)}': {reason}", row=row)
            spec = XLS_TYPES[kind]
            own = str(child.get("bind", {}).get("relevant", "") or "")
            if spec.role == "group":
                label = _pick(child.get("label"), self.language)
                yield from self.nodes(child.get("children", []),
                                      heading + ([label] if label else []),
                                      relevant + ([own] if own else []), repeat)
            elif spec.role == "repeat":
                if repeat is not None:
                    raise self.fail("a repeat inside a repeat is not supported", row=row)
                label = _pick(child.get("label"), self.language) or name
                count = child.get("control", {}).get("jr:count")
                inner = _Repeat(name, label, row, relevant + ([own] if own else []),
                                str(count) if count else None, heading)
                yield _Node(child, kind, spec, row, heading, inner.relevant, inner)
                yield from self.nodes(child.get("children", []), [], [], inner)
            else:
                yield _Node(child, kind, spec, row, heading,
                            relevant + ([own] if own else []), repeat)

    def _written_type(self, row: int, kind: str) -> str:
        return next((written for r, written in self.sheets.type_rows if r == row), kind)

    # --- ids ---

    def new_id(self, preferred: str) -> str:
        fits = (preferred.isidentifier() and preferred.isascii() and not keyword.iskeyword(
            preferred) and len(preferred) <= MAX_ID_BYTES and preferred not in FUNCTIONS
            and not preferred.startswith("_c_") and preferred not in ("True", "False"))
        candidate = preferred if fits else ""
        while not candidate or candidate in self.used:
            self.counter += 1
            candidate = f"q{self.counter}"
        self.used.add(candidate)
        return candidate

    def id_for(self, name: str, turn: int) -> str:
        """The question id of `name` (in a repeat's `turn`), made when first needed."""
        if (name, turn) not in self.ids:
            self.ids[(name, turn)] = self.new_id(f"{name}_{turn}" if turn else name)
        return self.ids[(name, turn)]

    def resolver(self, turn: int, row: int, seen: tuple[str, ...] = ()) -> Resolve:
        def resolve(name: str) -> str:
            node = self.kinds.get(name)
            if node is None:
                raise _Untranslatable(f"${{{name}}} is not a question of this form")
            if node.repeat is not None and turn == 0:
                raise _Untranslatable(f"${{{name}}} is inside the repeat "
                                      f"'{node.repeat.name}' (use it only there)")
            inner_turn = turn if node.repeat is not None else 0
            if node.spec.role == "metadata":
                if _METADATA_KIND.get(node.kind, node.kind) == "today":
                    return "today()"
                raise _Untranslatable(f"${{{name}}} is filled in only when the form is saved")
            if node.spec.role == "calculate":
                if name in seen:
                    raise _Untranslatable(f"the calculation of ${{{name}}} refers to itself")
                return "(" + translate(self.calcs.get(name, "''") or "''",
                                       self.resolver(inner_turn, row, (*seen, name))) + ")"
            qid = self.id_for(name, inner_turn)
            if name in self.defaults:
                return f"coalesce({qid}, {self.defaults[name]!r})"
            return qid
        return resolve

    def expression(self, source: str, column: str, node: _Node, turn: int, *,
                   own: str | None = None, choice_columns: bool = False) -> Expression:
        name = str(node.data.get("name", ""))
        try:
            python = translate(source, self.resolver(turn, node.row), own=own,
                               choice_columns=choice_columns)
            return compile_expression(python)
        except (_Untranslatable, ExpressionError) as error:
            raise self.fail(f"{column} {source!r}: {error}", name, node.row) from None

    # --- questions ---

    def choices(self, node: _Node, or_other: bool) -> tuple[Choice, ...]:
        raw = node.data.get("choices") or []
        made = []
        for item in raw:
            value = str(item.get("name", ""))
            if len(value.encode()) > MAX_VALUE_BYTES:
                raise self.fail(f"choice '{value}' is over {MAX_VALUE_BYTES} bytes "
                                "(a shorter name keeps it in a button)", row=node.row)
            label = _pick(item.get("label"), self.language) or value
            if value == "other" and (or_other or label == "Other"):
                label = t("xls.other")
            extra = tuple((re.sub(r"\W", "_", str(k)), str(v)) for k, v in item.items()
                          if k not in ("name", "label", "media") and not isinstance(v, dict))
            made.append(Choice(value, label, extra))
        if not made:
            raise self.fail("a select needs choices in the choices sheet", row=node.row)
        if node.data.get("choice_filter") is None and len({c.value for c in made}) != len(made):
            raise self.fail("two choices of the list share a name", row=node.row)
        return tuple(made)

    def default_of(self, node: _Node) -> Any:
        raw = node.data.get("default")
        if raw in (None, ""):
            return None
        engine = node.spec.engine
        try:
            if engine == "integer":
                return int(str(raw))
            if engine == "decimal":
                return float(str(raw))
        except ValueError:
            raise self.fail(f"default {raw!r} is not a number", node.data.get("name", ""),
                            node.row) from None
        if engine == "multi":
            return str(raw).split()
        if engine in ("location", "photos", "audio"):
            raise self.fail("a default is supported only for typed and chosen answers",
                            row=node.row)
        return str(raw)

    def question(self, node: _Node, turn: int, when_extra: str | None) -> tuple[Question,
                                                                                 list[Check]]:
        data, spec = node.data, node.spec
        name = str(data.get("name", ""))
        qid = self.id_for(name, turn)
        bind = data.get("bind", {}) or {}
        label = _pick(data.get("label"), self.language) or name
        hint = _pick(data.get("hint"), self.language)
        heading = list(node.heading)
        if node.repeat is not None:
            turn_label = t("xls.iteration", label=node.repeat.label, number=turn)
            heading = [*node.repeat.heading, turn_label, *heading]
        lines = [f"▪️ {' › '.join(h for h in heading if h)}"] if heading else []
        lines.append(label)
        if hint:
            lines.append(hint)
        default = self.defaults.get(name)
        required_raw = str(bind.get("required", "") or "").strip()
        required = required_raw.lower() in _YES
        checks: list[Check] = []
        if required_raw and not required and required_raw.lower() not in ("no", "false",
                                                                          "false()", "0"):
            condition = self.expression(required_raw, "required", node, turn)
            rule = compile_expression(f"not_({condition.source}) or string_length({qid}) > 0")
            checks.append(Check(rule, _pick(bind.get("jr:requiredMsg"), self.language)
                                or t("xls.required"), qid))
        relevant = [self.expression(r, "relevant", node, turn).source for r in node.relevant]
        if when_extra:
            relevant.insert(0, when_extra)
        when = compile_expression(relevant[0] if len(relevant) == 1 else
                                  " and ".join(f"({r})" for r in relevant)) if relevant else None
        constraint = str(bind.get("constraint", "") or "").strip()
        low = high = max_age = None
        past_only = False
        bounds = (_NUMBER_BOUNDS.match(constraint) if spec.engine == "integer" else
                  _LENGTH_BOUNDS.match(constraint) if spec.engine == "text" else None)
        past = _PAST_DATE.match(constraint) if spec.engine == "date" else None
        if bounds and (bounds.group(3) or not bind.get("jr:constraintMsg")):
            # the bounds get the engine's own hint; the rest keeps the form's message
            low, high = int(bounds.group(1)), int(bounds.group(2))
            constraint = bounds.group(3) or ""
        elif past and not bind.get("jr:constraintMsg"):
            past_only, constraint = True, ""
            max_age = int(past.group(1)) if past.group(1) else None
        if constraint:
            rule = self.expression(constraint, "constraint", node, turn, own=qid)
            message = _pick(bind.get("jr:constraintMsg"), self.language) or t("xls.constraint")
            checks.append(Check(rule, message, qid))
        choice_filter = None
        if data.get("choice_filter"):
            choice_filter = self.expression(str(data["choice_filter"]), "choice_filter", node,
                                            turn, choice_columns=True)
        engine = spec.engine or "text"
        choices: tuple[Choice, ...] = ()
        choices_from = None
        extra = self.sheets.extra.get(name, {}) if not turn else {}
        store = extra.get("store")
        if store is not None and (store not in STORE_COLUMNS or (store == "tags") != (
                engine == "multi")):
            raise self.fail(f"store '{store}' is not a column for this type ({STORE_COLUMNS})",
                            name, node.row)
        maximum = spec.max
        if extra.get("max_photos") and engine == "photos":
            if not extra["max_photos"].isdigit():
                raise self.fail("max_photos must be a whole number", name, node.row)
            maximum = int(extra["max_photos"])
        if node.kind in ("note", "trigger"):
            choices = (Choice("ok", t("xls.continue")),)
        elif node.kind == "acknowledge":
            choices = (Choice("OK", t("xls.acknowledge")),)
        elif engine in ("choice", "multi") and str(data.get("itemset")) in CHOICE_SOURCES:
            choices_from = str(data.get("itemset"))
        elif engine in ("choice", "multi"):
            choices = self.choices(node, or_other="other" in {
                str(c.get("name")) for c in data.get("choices") or []}
                and f"{name}_other" in self.kinds)
        # an empty selection is a multiple choice's «not answered»: «done» with none ticked
        optional = (not required or default is not None) and node.kind not in (
            "note", "acknowledge", "trigger") and engine != "multi"
        short = (extra.get("summary_label") or label)[:60]
        if default is not None:
            names = default if isinstance(default, list) else [default]
            labels = {c.value: c.label for c in choices}
            lines.append(t("xls.default", value="، ".join(
                labels.get(str(v), to_persian_digits(str(v))) for v in names)))
        if engine == "multi" and low is None:
            low = None if required else 0
        question = Question(
            id=qid, type=engine, prompt="\n".join(lines),
            label=short if not turn else f"{short[:52]} ({to_persian_digits(str(turn))})",
            optional=optional, when=when, choices=choices, choices_from=choices_from,
            min=low, max=high if high is not None else maximum, past_only=past_only,
            max_age_days=max_age, store=store, name=name, xls_type=node.kind,
            required_message=_pick(bind.get("jr:requiredMsg"), self.language),
            default=default, choice_filter=choice_filter,
            repeat=node.repeat.name if node.repeat else "", iteration=turn,
            digest=name in self.sheets.digest, row=node.row,
            unit=UNIT_OF_COLUMN.get(str(store)) if engine in ("integer", "decimal") else None,
        )
        return question, checks

    # --- the whole form ---

    def load(self) -> FormDefinition:
        from pyxform.errors import PyXFormError
        from pyxform.xls2json import parse_file_to_json

        try:
            data = parse_file_to_json(str(self.path), warnings=[])
        except PyXFormError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
            raise FormDefinitionError(f"{self.path.name}: {first}") from None
        except Exception as error:  # a workbook that is not one (zip, xml) fails anywhere
            raise FormDefinitionError(f"{self.path.name}: not a readable XLSForm "
                                      f"({type(error).__name__})") from None
        self.language = str(data.get("default_language") or "default")
        nodes = list(self.nodes(data.get("children", []), [], [], None))
        for node in nodes:
            name = str(node.data.get("name", ""))
            if node.spec.role != "repeat":
                self.kinds[name] = node
            if node.spec.role == "calculate":
                self.calcs[name] = str(node.data.get("bind", {}).get("calculate", "") or "")
        for node in nodes:
            default = self.default_of(node) if node.spec.role == "question" else None
            if default is not None:
                self.defaults[str(node.data.get("name"))] = default
        settings = self.sheets.settings
        repeat_max = int(settings.get("repeat_max", DEFAULT_REPEAT_MAX) or DEFAULT_REPEAT_MAX)
        questions: list[Question] = []
        checks: list[Check] = []
        calculations: list[Calculation] = []
        metadata: list[tuple[str, str]] = []
        repeats: list[tuple[str, str]] = []
        index = 0
        while index < len(nodes):
            node = nodes[index]
            if node.spec.role == "repeat":
                assert node.repeat is not None
                inner = []
                index += 1
                while index < len(nodes) and nodes[index].repeat is node.repeat:
                    inner.append(nodes[index])
                    index += 1
                self.unroll(node, inner, repeat_max, questions, checks, calculations)
                repeats.append((node.repeat.name, node.repeat.label))
                continue
            self.add(node, 0, None, questions, checks, calculations, metadata)
            index += 1
        if not questions:
            raise FormDefinitionError(f"{self.path.name}: the survey has no questions")
        form_id = form_id_of(settings.get("form_id") or str(data.get("id_string") or "")
                             or self.path.stem)
        command = SHIPPED_COMMANDS.get(form_id, form_id)
        if form_id in RESERVED_COMMANDS:
            raise FormDefinitionError(f"{self.path.name}: form_id '{form_id}' is one of the "
                                      "bot's own commands; choose another")
        title = str(settings.get("form_title") or data.get("title") or self.path.stem)
        own_buttons = {match_key(v) for k, v in catalogue().items() if k.startswith("menu.")}
        if form_id not in SHIPPED_COMMANDS and match_key(title[:40]) in own_buttons:
            raise FormDefinitionError(f"{self.path.name}: form_title '{title}' is the name of "
                                      "one of the bot's own menu buttons; choose another")
        roles = tuple(r.strip() for r in re.split(r"[,\s]+", settings.get("roles", "")) if r)
        unknown_roles = set(roles) - {"facilitator", "supervisor", "admin", "resident"}
        if unknown_roles:
            raise FormDefinitionError(f"{self.path.name}: settings roles {sorted(unknown_roles)}"
                                      " are not facilitator, supervisor, admin or resident")
        version_digits = re.sub(r"\D", "", str(data.get("version") or ""))[:9]
        return FormDefinition(
            name=form_id, version=int(version_digits or 1), title=title, command=command,
            roles=roles or ("facilitator",), sink="xlsform", questions=tuple(questions),
            checks=tuple(checks), source=str(self.path),
            menu_label="" if form_id in SHIPPED_COMMANDS else title[:40],
            calculations=tuple(calculations), metadata=tuple(metadata),
            repeats=tuple(repeats),
        )

    def add(self, node: _Node, turn: int, gate: str | None, questions: list[Question],
            checks: list[Check], calculations: list[Calculation],
            metadata: list[tuple[str, str]]) -> None:
        name = str(node.data.get("name", ""))
        if node.spec.role == "metadata":
            metadata.append((name, _METADATA_KIND.get(node.kind, node.kind)))
            return
        if node.spec.role == "calculate":
            qid = self.id_for(name, turn)
            source = self.calcs.get(name, "")
            if source:
                calculations.append(Calculation(
                    qid, name, self.expression(source, "calculation", node, turn),
                    node.repeat.name if node.repeat else "", turn))
            return
        question, more = self.question(node, turn, gate)
        questions.append(question)
        checks.extend(more)

    def unroll(self, node: _Node, inner: list[_Node], repeat_max: int,
               questions: list[Question], checks: list[Check],
               calculations: list[Calculation]) -> None:
        repeat = node.repeat
        assert repeat is not None
        outer = [self.expression(r, "relevant", node, 0).source for r in repeat.relevant]
        count = None
        if repeat.count:
            count = self.expression(repeat.count, "repeat_count", node, 0).source
        metadata: list[tuple[str, str]] = []
        gate = " and ".join(f"({r})" for r in outer)
        turns = repeat_max
        if count is not None and re.fullmatch(r"\(?\d+\)?", count):
            turns = int(count.strip("()"))
            if not 1 <= turns <= MAX_FIXED_TURNS:
                raise self.fail(f"repeat_count {turns}: a chat asks 1 to {MAX_FIXED_TURNS} "
                                "turns", row=repeat.row)
            count = ""  # a fixed number of turns: no condition on each
        for turn in range(1, turns + 1):
            if count:
                turn_gate = f"coalesce({count}, 0) >= {turn}"
                this_gate = " and ".join(p for p in (gate, turn_gate) if p)
            else:
                this_gate = gate
            for child in inner:
                self.add(child, turn, this_gate or None, questions, checks, calculations,
                         metadata)
            if metadata:
                raise self.fail("metadata inside a repeat is not supported", row=repeat.row)
            if count is None and turn < turns:
                more_id = self.new_id(f"{repeat.name}_more_{turn}")
                questions.append(Question(
                    id=more_id, type="yesno", prompt=t("xls.add_another", label=repeat.label),
                    label=t("xls.add_another", label=repeat.label)[:60],
                    when=compile_expression(this_gate) if this_gate else None,
                    name=f"{repeat.name}_more", xls_type="add_another", repeat=repeat.name,
                    iteration=turn, row=repeat.row,
                ))
                gate = " and ".join(p for p in (this_gate, f"coalesce({more_id}, False)") if p)


def load_xlsform(path: Path) -> FormDefinition:
    """Read one XLSForm workbook; a form the chat cannot run raises one line."""
    try:
        return _Loader(path).load()
    except FormDefinitionError:
        raise
    except Exception as error:  # a file that is not a workbook fails anywhere in openpyxl
        raise FormDefinitionError(f"{path.name}: not a readable XLSForm "
                                  f"({type(error).__name__}: {error})") from None


# ----- a completed XLSForm as stored -------------------------------------------------------


def submission_answers(form: FormDefinition, answers: Mapping[str, Any],
                       metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The answers under their XLSForm names: defaults for skipped questions, the
    calculations, the metadata the bot fills in (`metadata`: kind → value), and each repeat
    as a list of its turns (`{name: [{...}, {...}]}`); notes and «another?» answers left out."""
    values = {**answers}
    for question in form.questions:
        if question.id in values and values[question.id] is None and question.default is not None:
            values[question.id] = question.default
    computed_values = model_computed(form, values)
    shaped: dict[str, Any] = {}
    turns: dict[str, dict[int, dict[str, Any]]] = {name: {} for name, _ in form.repeats}
    named = [(q.id, q.name, q.repeat, q.iteration, q.xls_type) for q in form.questions]
    for qid, name, repeat, turn, kind in named:
        if kind in ("note", "add_another", "trigger") or qid not in values:
            continue
        value = values[qid]
        target = turns[repeat].setdefault(turn, {}) if repeat else shaped
        target[name] = value
    for calc in form.calculations:
        if calc.id not in computed_values:
            continue
        if not calc.repeat:
            shaped[calc.name] = computed_values[calc.id]
        elif calc.iteration in turns[calc.repeat]:  # a turn that was filled in
            turns[calc.repeat][calc.iteration][calc.name] = computed_values[calc.id]
    for name, kind in form.metadata:
        if kind in metadata:
            shaped[name] = metadata[kind]
    for name, by_turn in turns.items():
        if by_turn:
            shaped[name] = [by_turn[turn] for turn in sorted(by_turn)]
    return shaped


def model_computed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The calculations' values over these answers."""
    return computed(form, answers)
