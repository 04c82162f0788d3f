"""Phone numbers as people type them: «۰۹۱۳ ۱۲۳ ۴۵۶۷», «+۹۸ ۹۱۳…», «۰۰۹۸۹۱۳…», with spaces,
dashes, dots or brackets, in any digits. `read_phone` gives the number in E.164
(+989131234567) or a `PhoneRefusal` saying why not; `find_phone` finds one inside a
sentence («شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست»). `shown_phone` writes it back for people, wrapped in
Unicode isolates so that its digit groups keep their order inside a Persian line. No
messenger code here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.locale.isolate import isolate
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
    """+989131234567 → ۰۹۱۳ ۱۲۳ ۴۵۶۷ (other countries as they are, in Persian digits),
    between Unicode isolates (LRI … PDI) so a right-to-left line does not reorder its
    groups."""
    if e164.startswith("+989") and len(e164) == 13:
        national = "0" + e164[3:]
        return isolate(to_persian_digits(f"{national[:4]} {national[4:7]} {national[7:]}"))
    if e164.startswith("+98") and len(e164) == 13:
        national = "0" + e164[3:]
        return isolate(to_persian_digits(f"{national[:3]} {national[3:]}"))
    return isolate(to_persian_digits(e164))


# A run of digits with the separators people put between groups, perhaps after a '+'.
_CANDIDATE = re.compile(r"\+?\(?[0-9][0-9\s\-.()\u200c]*[0-9]")
MIN_DIGITS = 7


def find_phone(text: str, *, area_code: str | None = None) -> Phone | PhoneRefusal | None:
    """The phone number inside a sentence: «شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست», «تلفن خونه ۰۳۴-۳۲۴۵۶۷۸۹»,
    «بله ۰۹۱۳۱۲۳۴۵۶۷». Digits in any script; spaces, dashes, dots and brackets between the
    groups. An eight-digit landline typed without its area code takes `area_code` (e.g.
    "34" for Kerman) when one is given. None when the text has no run of seven or more
    digits; the `PhoneRefusal` of the first such run when none of them is a phone.

    Used at the resident request's contact question (with `answers.contact_reply`) and at
    the phone question, where a sentence rather than a bare number was typed."""
    typed = to_ascii_digits(strip_invisible(text))
    first_refusal: PhoneRefusal | None = None
    for match in _CANDIDATE.finditer(typed):
        candidate = match.group(0)
        if sum(c.isdigit() for c in candidate) < MIN_DIGITS:
            continue
        found = _read_candidate(candidate, area_code)
        if isinstance(found, Phone):
            return found
        first_refusal = first_refusal or found
    return first_refusal


def _read_candidate(candidate: str, area_code: str | None) -> Phone | PhoneRefusal:
    """The whole run as a phone, else the longest run of its space-separated groups that is
    one (a number followed by another number: «۰۹۱۳۱۲۳۴۵۶۷ ۲ تا»)."""
    whole = _with_area(read_phone(candidate), candidate, area_code)
    if isinstance(whole, Phone):
        return whole
    groups = candidate.split()
    for size in range(len(groups) - 1, 0, -1):
        for start in range(len(groups) - size + 1):
            part = " ".join(groups[start:start + size])
            if sum(c.isdigit() for c in part) < MIN_DIGITS:
                continue
            found = _with_area(read_phone(part), part, area_code)
            if isinstance(found, Phone):
                return found
    return whole


def _with_area(found: Phone | PhoneRefusal, typed: str,
               area_code: str | None) -> Phone | PhoneRefusal:
    """A local eight-digit landline («۳۲۴۵ ۶۷۸۹») with the office's area code."""
    digits = _SEPARATORS.sub("", typed)
    if (isinstance(found, PhoneRefusal) and area_code and digits.isdigit()
            and len(digits) == 8 and digits[0] in "2345678"):
        return Phone("+98" + area_code.lstrip("0") + digits, mobile=False)
    return found
