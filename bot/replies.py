"""What a resident's message outside any form says about their requests, as people write
it: a tracking code inside a sentence («کد ۱۲۳۴-۵۶۷۸ چی شد؟»), or a question about the
status («درخواستم چی شد؟», «خبری نشد؟», «هنوز آب نداریم»). Pure: no messenger, no storage."""

from __future__ import annotations

import re

from bot.locale.normalize import match_key, to_ascii_digits

# Eight digits, maybe split in two halves by a dash or a space, not part of a longer number
# (a phone number is eleven digits).
_CODE = re.compile(r"(?<![0-9])([0-9]{4})[-\s\u2010-\u2015]?([0-9]{4})(?![0-9])")
_MARKS = "[\u2066-\u2069\u200e\u200f]+"  # isolates and direction marks around a code
_SPLIT_DIGITS = re.compile(f"(?<=[0-9]){_MARKS}|{_MARKS}(?=[0-9])")

# Loose keys (see `match_key`: no spaces, no ZWNJ) of phrases that ask about a request.
STATUS_PHRASES = (
    "چیشد", "چهشد", "چطورشد", "چیشده", "چهخبر", "خبرینشد", "خبریشد", "خبرندادید",
    "خبرنشد", "خبری", "وضعیت", "پیگیری", "کیدرستمیشه", "کیدرستمیشود", "کیحلمیشه",
    "کیحلمیشود", "کیمیاید", "کیمیان", "رسیدگینشد", "رسیدگیشد", "هنوز", "بازم", "اتفاقینیفتاد",
    "کاریکردید", "کارینکردید", "جوابندادید", "جوابنداد", "منتظرم", "منتظریم",
)


def code_in(text: str) -> str | None:
    """The tracking code written inside a sentence, as eight ASCII digits (None if none)."""
    plain = _SPLIT_DIGITS.sub("", to_ascii_digits(text))
    found = _CODE.findall(plain)
    return found[0][0] + found[0][1] if len(found) == 1 else None


def asks_status(text: str) -> bool:
    """The message asks what became of a request («درخواستم چی شد؟», «هنوز آب نداریم»)."""
    key = match_key(text)
    return bool(key) and any(phrase in key for phrase in STATUS_PHRASES)
