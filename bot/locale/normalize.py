"""Input normalisation and Persian digits.

Users type Persian (۰–۹), Arabic-Indic (٠–٩) or ASCII digits, and sometimes the Arabic
letters ي ى ك instead of the Persian ی ک. This module folds those variants:

* `to_ascii_digits` / `to_persian_digits` / `fa_number` convert digits for parsing and display;
* `normalize_text` cleans free text before it is stored (letters folded, invisible
  characters removed, whitespace tidied, digits untouched);
* `match_key` builds a comparison key for matching a typed answer with a button label or a name;
* `parse_int` reads a plain integer written in any of the three digit scripts.
"""

from __future__ import annotations

import re
import unicodedata

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"

ZWNJ = "\u200c"
TATWEEL = "\u0640"
PERSIAN_THOUSANDS_SEPARATOR = "٬"
MAX_INT_DIGITS = 18

_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, ASCII_DIGITS * 2)
_TO_PERSIAN = str.maketrans(ASCII_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_MATCH_LETTERS = str.maketrans({"ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا"})

# Arabic harakat, Quranic marks in the same block, and the superscript alef.
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
# Any horizontal whitespace (everything \s matches except the newline).
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")
_PLAIN_INT = re.compile(r"[+-]?[0-9]+")
_GROUPED_INT = re.compile(r"[+-]?[0-9]{1,3}(?:[,٬،][0-9]{3})+")
_GROUP_SEPARATORS = str.maketrans("", "", ",٬،")


def to_ascii_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits with ASCII digits; nothing else changes."""
    return text.translate(_TO_ASCII)


def to_persian_digits(value: str | int) -> str:
    """Replace ASCII and Arabic-Indic digits with Persian ones; an int is formatted first."""
    text = str(value) if isinstance(value, int) else value
    return text.translate(_TO_PERSIAN)


_ARABIC_TO_PERSIAN = str.maketrans(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS)


def persian_digits_in_text(text: str) -> str:
    """Arabic-Indic digits (٠–٩) in free text become Persian (۰–۹); ASCII digits, which may
    be codes or links, stay as typed."""
    return text.translate(_ARABIC_TO_PERSIAN)


def fa_number(n: int) -> str:
    """Format an int in Persian digits, grouping thousands with '٬' when |n| >= 10000."""
    if abs(n) >= 10_000:
        return to_persian_digits(f"{n:,}".replace(",", PERSIAN_THOUSANDS_SEPARATOR))
    return to_persian_digits(n)


def _is_invisible(char: str) -> bool:
    """True for format characters (bidi controls, ZWJ, BOM, ...) other than ZWNJ."""
    return char != ZWNJ and unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    """Remove invisible format characters (category Cf) except ZWNJ, which Persian needs."""
    return "".join(char for char in text if not _is_invisible(char))


def normalize_text(text: str) -> str:
    """Clean free text before storing it.

    Folds Arabic ي/ى to ی and ك to ک, removes bidi controls and other invisible format
    characters (ZWNJ is kept), turns CR/CRLF into newlines, collapses runs of spaces and
    tabs to one space, strips each line and the whole text, and collapses three or more
    consecutive newlines into two. Digits are left as typed.
    """
    text = strip_invisible(text.translate(_ARABIC_LETTERS))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def match_key(text: str) -> str:
    """Build a key for loose comparison of a typed answer with a label or a name.

    Applies `normalize_text`, converts digits to ASCII, removes ZWNJ, tatweel and Arabic
    diacritics, folds 'ة'/'ۀ' to 'ه' and 'أ'/'إ' to 'ا', removes all whitespace and
    casefolds. Because both ZWNJ and spaces are dropped, 'بنی هاشم', 'بنی‌هاشم' and
    'بنيهاشم' all give the same key. The key is for comparison only, never for display.
    """
    key = to_ascii_digits(normalize_text(text))
    key = key.replace(ZWNJ, "").replace(TATWEEL, "")
    key = _DIACRITICS.sub("", key).translate(_MATCH_LETTERS)
    return _ANY_SPACE.sub("", key).casefold()


def parse_int(text: str) -> int | None:
    """Read a plain integer typed in Persian, Arabic-Indic or ASCII digits.

    Accepts surrounding whitespace, one leading '+' or '-', and thousands separators
    (',', '٬', '،') between groups of three digits. Returns None for anything else
    (empty text, units, decimals) and for more than `MAX_INT_DIGITS` digits.
    """
    candidate = to_ascii_digits(strip_invisible(text)).strip()
    if _GROUPED_INT.fullmatch(candidate):
        candidate = candidate.translate(_GROUP_SEPARATORS)
    elif not _PLAIN_INT.fullmatch(candidate):
        return None
    if len(candidate.lstrip("+-")) > MAX_INT_DIGITS:
        return None
    return int(candidate)
