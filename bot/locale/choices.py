"""A typed answer to a choice question: the label (with or without ZWNJ or spaces, Arabic
ي/ك, a small typo, or a unique part of it) or its number in the list. No messenger code."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.locale.normalize import match_key
from bot.locale.numbers import read_number

MIN_PART = 3  # a typed part of a label counts from this many letters


_LIST_SEPARATORS = re.compile(r"[،,؛;\n]+")
_AND = re.compile(r"\s+و\s+|\s+و(?=\S)")


def match_choices(text: str, labels: Sequence[str]) -> list[int] | None:
    """The labels a typed list names («اجتماعی، فرهنگی», «اجتماعی و فرهنگی», «۱ و ۳»), in
    the order of the labels; None if any part names nothing (or more than one thing). A
    label with «و» in it («شهری و عمرانی») is tried whole before its parts."""
    whole = match_choice(text, labels)
    if whole is not None:
        return [whole]
    found: list[int] = []
    for chunk in _LIST_SEPARATORS.split(text):
        parts = [p for p in _AND.split(chunk.strip()) if p.strip()]
        start = 0
        while start < len(parts):
            for end in range(len(parts), start, -1):  # the longest run that is one label
                index = match_choice(" و ".join(parts[start:end]), labels)
                if index is not None:
                    found.append(index)
                    start = end
                    break
            else:
                return None
    return sorted(set(found)) or None


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, cut off at `limit` (enough to tell a typo from a word)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
        if min(previous) >= limit:
            return limit
    return min(previous[-1], limit)


def allowed_typos(key: str) -> int:
    """One wrong letter from four letters on, two from nine."""
    return 0 if len(key) < 4 else 1 if len(key) < 9 else 2


def match_choice(text: str, labels: Sequence[str]) -> int | None:
    """The index of the label the text names, or None (nothing, or more than one, fits)."""
    key = match_key(text)
    if not key:
        return None
    keys = [match_key(label) for label in labels]
    exact = [i for i, k in enumerate(keys) if k == key]
    if len(exact) == 1:
        return exact[0]
    number = read_number(text)
    if hasattr(number, "value") and isinstance(number.value, int) \
            and 1 <= number.value <= len(labels) and key.isdigit():
        return number.value - 1
    close = [i for i, k in enumerate(keys) if edit_distance(key, k) <= allowed_typos(k)]
    if len(close) == 1:
        return close[0]
    if len(key) >= MIN_PART:
        parts = [i for i, k in enumerate(keys) if key in k]
        if len(parts) == 1:
            return parts[0]
        if parts:
            return None
        starts = [i for i, k in enumerate(keys)
                  if edit_distance(key, k[:len(key)]) <= allowed_typos(key)]
        if len(starts) == 1 and len(key) >= 5:
            return starts[0]
    return None
