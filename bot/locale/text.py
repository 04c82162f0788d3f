"""The Persian text catalogue: `t("section.key", name=...)` returns a message to send.

Texts live in `fa.toml` beside this file, not in code. Integer placeholders are printed
with Persian digits; text placeholders are inserted as they are (codes and links stay
latin so that they work when tapped or copied).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from bot.locale.normalize import fa_number

CATALOGUE_FILE = Path(__file__).with_name("fa.toml")


@cache
def catalogue() -> dict[str, str]:
    """All texts keyed 'section.key'."""
    data = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {
        f"{section}.{key}": value
        for section, entries in data.items()
        for key, value in entries.items()
    }


def t(key: str, **values: object) -> str:
    """The text for `key` with its placeholders filled; unknown keys raise KeyError."""
    text = catalogue()[key]
    if not values:
        return text
    shown = {
        name: fa_number(value) if isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return text.format(**shown)


def resident_status(status: str) -> str:
    """A request's status as its resident reads it: «رد شد» is said «در حیطهٔ دفتر نیست؛
    راهنمایی شد» (staff keep `status.*`). For the resident's notices, list and card."""
    return t(f"resident_status.{status}")


def role_name(role: str) -> str:
    """The Persian name of a role."""
    return t(f"role.{role}")
