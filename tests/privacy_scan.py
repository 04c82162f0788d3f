"""Every table, every column: where does a person's data still sit in the database?

`scan(db, ...)` reads the table list from `sqlite_master` and each table's columns from
`pragma table_info`, so tables added later (the dashboard's, the agencies') are read too,
and reports each cell holding a messenger id (as a whole number), a phone number (in any
digits: Persian ۰-۹, Arabic-Indic ٠-٩ or ASCII; with or without +98, 0098 or 0; with spaces,
dashes or dots), a name (as a whole word) or any other exact text (a file id, a sentence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Database

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_NUMBER_RUN = re.compile(r"\+?\d(?:[\d\s\-.()\u200c\u200f\u200e]*\d)?")


@dataclass(frozen=True)
class Finding:
    """One cell holding something looked for."""

    table: str
    column: str
    row: int
    what: str      # messenger id, phone, name, text
    value: str     # the cell (cut to 120 characters)

    def __str__(self) -> str:
        return f"{self.table}.{self.column} (row {self.row}): {self.what} in {self.value!r}"


def national(phone: str) -> str:
    """A phone number's digits without a country or trunk prefix: '+98 913-111 2233',
    '۰۹۱۳۱۱۱۲۲۳۳', '00989131112233' → '9131112233'."""
    digits = "".join(c for c in phone.translate(_DIGITS) if c.isdigit())
    for prefix in ("0098", "98", "0"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            return digits[len(prefix):]
    return digits.lstrip("0")


def digit_runs(text: str) -> list[str]:
    """The numbers in a text as runs of ASCII digits, separators inside a run dropped."""
    return ["".join(c for c in run if c.isdigit())
            for run in _NUMBER_RUN.findall(text.translate(_DIGITS))]


def _text(cell: object) -> str:
    if isinstance(cell, bytes):
        return cell.decode("utf-8", errors="ignore")
    return str(cell)


async def scan(db: Database, *, messenger_ids: Iterable[int] = (), phones: Iterable[str] = (),
               names: Iterable[str] = (), texts: Iterable[str] = ()) -> list[Finding]:
    """Every cell of every table that holds one of these."""
    ids = {str(i) for i in messenger_ids}
    wanted_phones = {national(p) for p in phones}
    name_patterns = [(n, re.compile(rf"(?<!\w){re.escape(n)}(?!\w)")) for n in names if n]
    wanted_texts = [t for t in texts if t]
    found: list[Finding] = []
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    for (table,) in tables:
        columns = [c["name"] for c in await db.fetchall(f'PRAGMA table_info("{table}")')]
        select = ", ".join(f'"{c}"' for c in columns)
        for index, row in enumerate(await db.fetchall(f'SELECT {select} FROM "{table}"')):
            for column, cell in zip(columns, row, strict=True):
                if cell is None:
                    continue
                text = _text(cell)
                what = _what(text, ids, wanted_phones, name_patterns, wanted_texts)
                if what:
                    found.append(Finding(table, column, index + 1, what, text[:120]))
    return found


def _what(text: str, ids: set[str], phones: set[str],
          names: list[tuple[str, re.Pattern[str]]], texts: list[str]) -> str | None:
    runs = digit_runs(text) if ids or phones else []
    if ids & set(runs) or any(re.search(rf"(?<!\d){i}(?!\d)", text) for i in ids):
        return "messenger id"
    if any(p and p in run for run in runs for p in phones):
        return "phone"
    for name, pattern in names:
        if pattern.search(text):
            return f"name {name}"
    for wanted in texts:
        if wanted in text:
            return "text"
    return None


async def assert_clean(db: Database, **needles: Iterable[object]) -> None:
    """Fail with every finding listed if any cell holds one of the needles (see `scan`)."""
    findings = await scan(db, **needles)  # type: ignore[arg-type]
    assert not findings, "personal data left:\n" + "\n".join(map(str, findings))
