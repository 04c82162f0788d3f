"""Tracking codes as residents see and quote them: '63817450' → «۶۳۸۱-۷۴۵۰».

One function for the chat, the digests and the exports. In chat the code is wrapped in
Unicode isolates (see `isolate`) so a right-to-left line keeps «۶۳۸۱-۷۴۵۰» in order; a
spreadsheet cell, which has its own direction, takes it without them.
"""

from __future__ import annotations

from bot.locale.isolate import isolate
from bot.locale.normalize import to_persian_digits


def shown_code(code: str, *, isolated: bool = True) -> str:
    """'12345678' → '۱۲۳۴-۵۶۷۸' (read aloud in two halves), isolated for chat lines."""
    shown = to_persian_digits(f"{code[:4]}-{code[4:]}")
    return isolate(shown) if isolated else shown
