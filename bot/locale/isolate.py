"""Unicode isolates for left-to-right pieces inside a Persian line.

A tracking code («۶۳۸۱-۷۴۵۰») or a phone number («۰۹۱۳ ۱۲۳ ۴۵۶۷») inside right-to-left text
may have its groups reordered by the phone's bidi algorithm. `isolate` wraps such a piece
in LEFT-TO-RIGHT ISOLATE (U+2066) … POP DIRECTIONAL ISOLATE (U+2069), so it is laid out on
its own, left to right, wherever it stands. `strip_invisible` removes these again from
anything a person types back.
"""

from __future__ import annotations

LRI = "\u2066"
PDI = "\u2069"


def isolate(text: str) -> str:
    """`text` between LRI and PDI (once: an isolated text is returned as it is)."""
    if not text or (text.startswith(LRI) and text.endswith(PDI)):
        return text
    return f"{LRI}{text}{PDI}"


def unisolate(text: str) -> str:
    """`text` without the isolates `isolate` added (for tests and copies into files)."""
    return text.replace(LRI, "").replace(PDI, "")
