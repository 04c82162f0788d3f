"""Button data: one typed codec for every inline keyboard and every button handler.

A button's `callback_data` is `AREA:ACTION:FIELD:…` (the form area puts the draft first:
`frm:DRAFT:ACTION:QUESTION:VALUE`). Which fields an action carries, and of what type, is the
data table `SCHEMA` below, pyxform-style, rather than string splitting spread over handlers.
`encode` builds the data of a `Tap`; `decode` reads it back, or returns None for anything
garbled, forged or from a version that no longer has the action (the handler then answers
«this button is old»). The wire format is the one the bot has always written, so buttons
already sent (and those the outbox stored before an upgrade) keep working.

Field types: `int` (ASCII digits that fit SQLite's integers), `int?` (the same, or `-` for
none), `str` (no `:`), `str?` (may be empty; trailing empty ones are left off), `rest` (the
last field, may hold `:`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_BYTES = 64  # Telegram's and Bale's limit for callback_data


class Area(StrEnum):
    """Who a button belongs to: the first part of its data, and the gate's feature key."""

    FORM = "frm"
    STAFF = "req"
    RESIDENT = "trk"
    INVITE = "inv"
    DIGEST = "dig"
    EXPORT = "exp"
    PEOPLE = "ppl"


Fields = tuple[tuple[str, str], ...]

_CARD: Fields = (("request", "int"), ("version", "int"))
_REQUEST: Fields = (("request", "int"),)
_VIEW: Fields = (("status", "str"), ("hood", "str"), ("category", "str"))
_FORM: Fields = (("question", "str?"), ("value", "rest"))

# (area, action) → its fields in order. The form area's actions all share one layout.
SCHEMA: dict[tuple[Area, str], Fields] = {
    # the form engine's buttons: frm:DRAFT:ACTION:QUESTION:VALUE
    **{(Area.FORM, action): _FORM for action in (
        "a",      # answer a choice / yes-no / date button
        "t",      # toggle a multi choice
        "d",      # done with a multi choice or photos
        "b",      # back
        "s",      # skip
        "x",      # cancel (asks)
        "xx",     # cancel, confirmed
        "r",      # resume / don't cancel
        "n",      # discard the old draft and start the form in `value`
        "e",      # edit an answer from the summary
        "ok",     # confirm the summary
        "py",     # a pending reading confirmed
        "pn",     # a pending reading refused
        "new",    # the offer to start a request from a plain message: yes
        "nonew",  # … no
    )},
    # the staff's inbox and card
    (Area.STAFF, "list"): (),
    (Area.STAFF, "ls"): (*_VIEW, ("offset", "int")),
    (Area.STAFF, "fs"): _VIEW,
    (Area.STAFF, "fh"): _VIEW,
    (Area.STAFF, "fc"): _VIEW,
    (Area.STAFF, "open"): _REQUEST,
    (Area.STAFF, "show"): _REQUEST,
    (Area.STAFF, "media"): _REQUEST,
    (Area.STAFF, "take"): _CARD,
    (Area.STAFF, "rel"): _CARD,
    (Area.STAFF, "hand"): _CARD,
    (Area.STAFF, "ref"): _CARD,
    (Area.STAFF, "rej"): _CARD,
    (Area.STAFF, "dup"): _CARD,
    (Area.STAFF, "not"): _CARD,
    (Area.STAFF, "undo"): _CARD,
    (Area.STAFF, "st"): (("request", "int"), ("status", "str"), ("version", "int")),
    (Area.STAFF, "to"): (("request", "int"), ("agency", "str"), ("version", "int")),
    (Area.STAFF, "hto"): (("request", "int"), ("person", "int"), ("version", "int")),
    # moving a request: what to change, then the new category, neighbourhood or office
    (Area.STAFF, "mv"): _CARD,
    (Area.STAFF, "mvk"): (("request", "int"), ("kind", "str"), ("version", "int")),
    (Area.STAFF, "mvc"): (("request", "int"), ("category", "str"), ("version", "int")),
    (Area.STAFF, "mvh"): (("request", "int"), ("hood", "int"), ("version", "int")),
    (Area.STAFF, "mvo"): (("request", "int"), ("office", "int"), ("version", "int")),
    # the resident's own requests
    **{(Area.RESIDENT, action): _REQUEST for action in (
        "show", "orig", "yes", "no", "add", "wd", "wdy", "reopen",
        "reply",  # «پاسخ به دفتر» under a notice: the addition flow for that request
        "rpl",    # a plain message the resident sent: added to this request
    )},
    # invites
    (Area.INVITE, "r"): (("role", "str"),),
    (Area.INVITE, "o"): (("role", "str"), ("office", "int")),
    (Area.INVITE, "p"): (("province", "int"),),
    # digests and exports on demand
    **{(Area.DIGEST, kind): (("when", "str?"),) for kind in ("day", "week", "month")},
    **{(Area.EXPORT, kind): () for kind in ("week", "month", "last")},
    # people
    (Area.PEOPLE, "list"): (),
    (Area.PEOPLE, "o"): (("office", "int"),),
    (Area.PEOPLE, "p"): (("province", "int"),),
    (Area.PEOPLE, "d"): (("person", "int"), ("kind", "str")),
    (Area.PEOPLE, "a"): (("person", "int"), ("kind", "str")),
}


@dataclass(frozen=True)
class Tap:
    """A button's meaning: its area, its action and its named fields (as text)."""

    area: Area
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    draft: int = 0  # the form area's draft id

    def number(self, name: str) -> int | None:
        """An `int`/`int?` field (None when absent or `-`)."""
        value = self.fields.get(name, "")
        return int(value) if _is_number(value) else None

    def text(self, name: str) -> str:
        """A text field ('' when absent)."""
        return self.fields.get(name, "")


def tap(area: Area, action: str, /, draft: int = 0, **values: object) -> Tap:
    """A `Tap` from Python values: None becomes `-`, numbers their digits."""
    fields = {name: "-" if value is None else str(value) for name, value in values.items()}
    return Tap(area, action, fields, draft)


def encode(value: Tap) -> str:
    """The callback data of a tap; raises ValueError for a tap the schema does not know or
    data over the messenger's 64 bytes (a programming error, not a user's)."""
    schema = SCHEMA.get((value.area, value.action))
    if schema is None:
        raise ValueError(f"no button {value.area}:{value.action}")
    unknown = set(value.fields) - {name for name, _ in schema}
    if unknown:
        raise ValueError(f"button {value.area}:{value.action} has no field {sorted(unknown)}")
    parts = [value.fields.get(name, "") for name, _ in schema]
    while schema and parts and not parts[-1] and schema[len(parts) - 1][1] == "str?":
        parts.pop()
    head = ([str(value.area), str(value.draft), value.action] if value.area is Area.FORM
            else [str(value.area), value.action])
    data = ":".join([*head, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Tap | None:
    """The tap behind callback data, or None if it is not one this bot writes."""
    if not data:
        return None
    head, _, rest = data.partition(":")
    try:
        area = Area(head)
    except ValueError:
        return None
    draft = 0
    if area is Area.FORM:
        draft_text, _, rest = rest.partition(":")
        if not _is_number(draft_text):
            return None
        draft = int(draft_text)
    action, _, rest = rest.partition(":")
    schema = SCHEMA.get((area, action))
    if schema is None:
        return None
    fields: dict[str, str] = {}
    for name, kind in schema:
        if kind == "rest":
            value, rest = rest, ""
        else:
            value, _, rest = rest.partition(":")
        if not _valid(value, kind):
            return None
        fields[name] = value
    if rest:
        return None  # more parts than the action carries
    return Tap(area, action, fields, draft)


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


def _valid(value: str, kind: str) -> bool:
    if kind == "int":
        return _is_number(value)
    if kind == "int?":
        return value == "-" or _is_number(value)
    if kind == "str":
        return bool(value) and ":" not in value
    if kind == "str?":
        return ":" not in value
    return True  # rest
