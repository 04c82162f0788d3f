"""Phone numbers as people type them: «۰۹۱۳ ۱۲۳ ۴۵۶۷», «+۹۸ ۹۱۳…», «۰۰۹۸۹۱۳…», with spaces,
dashes, dots or brackets, in any digits. `read_phone` gives the number in E.164
(+989131234567) or a `PhoneRefusal` saying why not. No messenger code here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.locale.normalize import strip_invisible, to_ascii_digits, to_persian_digits

Reason = Literal["not_a_phone", "too_short", "too_long", "bad_mobile"]

_ALLOWED = re.compile(r"\+?[0-9\s\-.()\u200c]+")
_SEPARATORS = re.compile(r"[\s\-.()\u200c]")


@dataclass(frozen=True)
class Phone:
    """A phone number in E.164, and whether it is an Iranian mobile."""

    e164: str
    mobile: bool


@dataclass(frozen=True)
class PhoneRefusal:
    """A typed phone number that cannot be taken; `digits` as understood."""

    reason: Reason
    digits: str = ""


def read_phone(text: str) -> Phone | PhoneRefusal:
    """Read an Iranian mobile or landline (or any number written with its country code)."""
    typed = to_ascii_digits(strip_invisible(text)).strip()
    for prefix in ("تلفن:", "شماره:", "شماره", "تلفن", "موبایل", "همراه"):
        if typed.startswith(prefix):
            typed = typed[len(prefix):].strip(" :")
    if not typed or not _ALLOWED.fullmatch(typed):
        return PhoneRefusal("not_a_phone")
    plus = typed.startswith("+")
    digits = _SEPARATORS.sub("", typed).lstrip("+")
    if not digits.isdigit():
        return PhoneRefusal("not_a_phone")
    if plus or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("98"):
            return _iranian(digits[2:], digits)
        if not 8 <= len(digits) <= 15:
            return PhoneRefusal("too_short" if len(digits) < 8 else "too_long", digits)
        return Phone("+" + digits, mobile=False)
    if digits.startswith("98") and len(digits) == 12:
        return _iranian(digits[2:], digits)
    if digits.startswith("0"):
        return _iranian(digits[1:], digits)
    if digits.startswith("9") and len(digits) == 10:
        return _iranian(digits, digits)
    if len(digits) < 10:
        return PhoneRefusal("too_short", digits)
    return PhoneRefusal("not_a_phone", digits)


def _iranian(national: str, typed: str) -> Phone | PhoneRefusal:
    """A national number without its leading 0: 9XXXXXXXXX (mobile) or an area code and
    the line (10 digits in all)."""
    if len(national) < 10:
        return PhoneRefusal("too_short", typed)
    if len(national) > 10:
        return PhoneRefusal("too_long", typed)
    if national.startswith("9"):
        return Phone("+98" + national, mobile=True)
    if national[0] in "12345678":
        return Phone("+98" + national, mobile=False)
    return PhoneRefusal("not_a_phone", typed)


def looks_like_phone(text: str) -> bool:
    """Mostly digits: the person meant a phone number (even a wrong one)."""
    typed = to_ascii_digits(text)
    digits = sum(c.isdigit() for c in typed)
    return digits >= 7 and digits >= 0.6 * len(typed.replace(" ", ""))


def shown_phone(e164: str) -> str:
    """+989131234567 → ۰۹۱۳ ۱۲۳ ۴۵۶۷ (other countries as they are, in Persian digits)."""
    if e164.startswith("+989") and len(e164) == 13:
        national = "0" + e164[3:]
        return to_persian_digits(f"{national[:4]} {national[4:7]} {national[7:]}")
    if e164.startswith("+98") and len(e164) == 13:
        national = "0" + e164[3:]
        return to_persian_digits(f"{national[:3]} {national[3:]}")
    return "\u200e" + to_persian_digits(e164)
