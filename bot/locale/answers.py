"""Short answers people type at a step of a form, read as what they mean.

Each reader takes the typed text and says whether it is that kind of answer; none of them
knows about a form or a messenger. Words are compared by `match_key` (Arabic ي/ك, ZWNJ,
spaces, diacritics and digits folded), so «نمی‌دونم», «نمیدونم» and «نمي دونم» are one
word. The engine asks them in this order before judging a typed answer as a value:

* `back_word`   — at any question: «برگرد», «قبلی», «میخوام برگردم عقب» go back one
  question (so that a description question does not save them as the description);
* `skip_word`   — at an optional question («پیوست‌ها», «موقعیت», optional texts):
  «نه», «ندارم», «نمیخوام», «فعلاً نه» skip it;
* `done_word`   — at the photos/attachments question and a multiple choice: «تموم»,
  «تمام», «همین», «کافیه» finish it;
* `dont_know`   — at the neighbourhood question (the «مطمئن نیستم» choice) and any question
  with an «unsure» choice: «نمیدونم», «نمی‌دانم», «مطمئن نیستم»;
* `none_word`   — at a multiple choice whose prompt offers «اگر هیچ‌کدام»: «هیچکدوم»,
  «هیچ‌کدام», «هیچی»;
* `yes_no`      — at a yes/no question and the contact question («دفتر برای پیگیری با شما
  تماس بگیرد؟»): «آره زنگ بزنید» → True, «نه زنگ نزنید» → False;
* `contact_reply` — at the contact question: as `yes_no`, and a phone typed there means
  yes with that number («شمارم ۰۹۱۳… هست»);
* `severity`    — at a severity choice («شدت»): «خیلی زیاد», «شدید», «بحرانی» mapped onto
  the form's choice values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.locale.normalize import match_key
from bot.locale.phones import Phone, PhoneRefusal, find_phone

_WORD_SPLIT = re.compile(r"[\s،,.!?؟؛;:«»\"'()\-–—…]+")


def _keys(text: str) -> list[str]:
    """The typed words as comparison keys (punctuation dropped; ZWNJ joins its word)."""
    return [k for k in (match_key(w) for w in _WORD_SPLIT.split(text)) if k]


def _core(text: str, filler: Iterable[str]) -> str:
    """The words that are not filler, run together (so phrases compare as one key)."""
    skip = set(filler)
    return "".join(k for k in _keys(text) if k not in skip)


def _keyset(words: Iterable[str]) -> frozenset[str]:
    return frozenset(match_key(w) for w in words)


_POLITE = _keyset(["لطفا", "لطفاً", "ممنون", "مرسی", "متشکرم", "سپاس", "خواهش", "میکنم",
                   "دیگه", "خب", "خوب", "والا", "واقعا", "آقا", "خانم", "جان", "ام", "من",
                   "فعلا", "فعلاً", "اصلا", "اصلاً", "که"])

# --- yes / no ----------------------------------------------------------------------------------

_YES = _keyset(["بله", "بلی", "آره", "اره", "آری", "باشه", "باشد", "حتما", "حتماً", "چشم",
                "البته", "اوکی", "موافقم", "درسته", "آرع", "ok", "okay", "yes", "y", "بعله",
                "اوهوم", "آها"])
_YES_VERBS = _keyset(["بزنید", "بزنین", "بزن", "بگیرید", "بگیرین", "بگیر", "میفرستم",
                      "میدم", "میدهم", "بفرستم", "میخوام", "میخواهم", "میشه", "بشه"])
_NO = _keyset(["نه", "خیر", "نخیر", "نهخیر", "no", "n", "nope", "نچ", "نع", "بی‌نام",
               "ناشناس"])
_NO_VERBS = _keyset(["نزنید", "نزنین", "نزن", "نگیرید", "نگیرین", "نگیر", "نمیخوام",
                     "نمیخواهم", "نمیخام", "نمیخواد", "نمیخواهد", "نخواستم", "نمیدم",
                     "نمیدهم", "نفرستید", "ندارم"])
_CONTACT_FILLER = _POLITE | _keyset(["زنگ", "تماس", "با", "به", "بهم", "باهام", "باهام",
                                     "شماره", "شمارهام", "شمارم", "شمارمو", "را", "رو",
                                     "ممنونمیشم", "میشم", "لازم", "نیست", "نیازی", "بماند", "بمونه",
                                     "باشم", "بمانم"])


def yes_no(text: str) -> bool | None:
    """«آره», «بله زنگ بزنید», «باشه», «حتماً» → True; «نه», «خیر», «نه، زنگ نزنید»,
    «نه ممنون», «لازم نیست» → False; anything else (or both) → None.

    Used at yes/no questions and at the resident request's contact question
    (`contact_choice`: True = «share», False = «anonymous»)."""
    keys = _keys(text)
    if not keys:
        return None
    said_yes = said_no = False
    for key in keys:
        if key in _YES or key in _YES_VERBS:
            said_yes = True
        elif key in _NO or key in _NO_VERBS:
            said_no = True
        elif key not in _CONTACT_FILLER:
            return None
    if {"لازم", "نیست"} <= set(keys) or {"نیازی", "نیست"} <= set(keys):
        said_no = True
    if said_yes == said_no:
        return None
    return said_yes


@dataclass(frozen=True)
class ContactReply:
    """The answer to «may the office call you?»: whether to call, and the number if one was
    typed with it."""

    call: bool
    phone: Phone | None = None


def contact_reply(text: str, *, area_code: str | None = None
                  ) -> ContactReply | PhoneRefusal | None:
    """The contact question answered in words or with a number.

    A phone in the text («۰۹۱۳۱۲۳۴۵۶۷», «شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست», a landline with its area
    code) means yes with that number; something that looks like a phone but cannot be one
    gives the `PhoneRefusal` (too short, too long); yes/no words as `yes_no`; else None.
    The handler asks the resident to confirm a typed number before it is kept."""
    found = find_phone(text, area_code=area_code)
    if isinstance(found, Phone):
        return ContactReply(True, found)
    said = yes_no(text)
    if said is not None:
        return ContactReply(said)
    return found  # a refusal, or None


# --- skip, done, don't know, none, back --------------------------------------------------------

_SKIP = _keyset(["نه", "خیر", "نخیر", "ندارم", "نداریم", "نمیخوام", "نمیخواهم", "نمیخام",
                 "بعدا", "بعداً", "بگذر", "بگذرید", "بگذریم", "ردکن", "ردش", "رد", "بیخیال",
                 "بیخیالش", "ولش", "ولشکن", "نمیخواد", "نمیخواهد", "skip", "نیست", "نمیدم",
                 "نمیفرستم", "ندارد", "نداره", "هیچی", "لازمنیست", "نیازینیست", "نمیشه"])
_SKIP_FILLER = _POLITE | _keyset(["عکس", "عکسی", "پیوست", "پیوستی", "صدا", "پیام", "صوتی",
                                  "موقعیت", "لوکیشن", "نشانی", "آدرس", "ادرس", "شماره",
                                  "چیزی", "کن", "کنید", "کردن", "این", "رو", "را", "لازم",
                                  "نیازی"])


def skip_word(text: str) -> bool:
    """«نه», «ندارم», «نمیخوام», «عکس ندارم», «فعلاً نه», «بعداً», «لازم نیست» at an
    optional question: skip it. Used at the optional steps of every form (the resident
    request's «پیوست‌ها» and «موقعیت», optional texts and numbers)."""
    keys = [k for k in _keys(text) if k not in _SKIP_FILLER]
    return bool(keys) and all(k in _SKIP for k in keys)


_DONE = _keyset(["تموم", "تمام", "تمومه", "تمامه", "همین", "همینه", "همینا", "همینها",
                 "کافیه", "کافی", "بسه", "بس", "پایان", "اتمام", "خلاص", "done", "finish",
                 "فرستادم", "تمومشد", "تمامشد", "ندارم", "نه"])
_DONE_FILLER = _POLITE | _keyset(["شد", "بود", "است", "هست", "دیگه", "عکس", "عکسها",
                                  "همه", "رو", "را", "دیگر", "چیزی", "کردم"])


def done_word(text: str) -> bool:
    """«تموم», «تمام», «همین», «همینه», «کافیه», «دیگه ندارم» at the photos/attachments
    step or a multiple choice: finish it (as the «تمام» button)."""
    if _core(text, ()) in {"دیگهندارم", "دیگرندارم", "دیگهنه"}:
        return True
    keys = [k for k in _keys(text) if k not in _DONE_FILLER]
    return bool(keys) and all(k in _DONE for k in keys) and any(
        k not in ("ندارم", "نه") for k in keys)


_DONT_KNOW = _keyset(["نمیدونم", "نمیدانم", "نمیدونیم", "نمیدانیم", "نمیدونم‌", "مطمئننیستم",
                      "مطمیننیستم", "مطمننیستم", "مطمئننیستیم", "خبرندارم", "اطلاعندارم",
                      "نمیشناسم", "یادمنیست", "دقیقنمیدونم", "نمیدونمکجاست",
                      "نمیدونمکدومه", "نمیدانمکدام", "نمیدونمکدوم", "ایدهایندارم", "نمیدونمش"])
_DONT_KNOW_FILLER = _POLITE | _keyset(["نه", "والله", "راستش", "دقیقا", "دقیقاً", "هم",
                                       "اسمش", "اسمشو", "رو", "را"])


def dont_know(text: str) -> bool:
    """«نمیدونم», «نمی‌دانم», «مطمئن نیستم», «راستش نمیدونم», «خبر ندارم»: the person does not
    know. Used at the neighbourhood question (the «مطمئن نیستم» choice, which then asks for
    the office) and at any choice with an «unsure» value."""
    return _core(text, _DONT_KNOW_FILLER) in _DONT_KNOW


_NONE = _keyset(["هیچکدوم", "هیچکدام", "هیچی", "هیچ", "هیچیک", "هیچکدومشون", "هیچکدامشان",
                 "هیچکدومش", "هیچکدامش", "none", "هیچکدامازاینها", "هیچکدومازاینا",
                 "هیچکدوماینا", "هیچکدامنیست", "هیچکدومنیست", "هیچکدومنه"])
_NONE_FILLER = _POLITE | _keyset(["نه", "نیست", "نیستن", "نیستند"])


def none_word(text: str) -> bool:
    """«هیچکدوم», «هیچ‌کدام», «هیچی», «هیچ‌کدوم نیست»: none of the choices. Used at a
    multiple choice that allows none (its prompt says «اگر هیچ‌کدام…»)."""
    return _core(text, _NONE_FILLER) in _NONE


_BACK = _keyset(["برگرد", "برگردید", "برگردین", "برگردم", "برگردیم", "برگردون", "برگشت",
                 "بازگشت", "عقب", "قبلی", "قبل", "back", "undo", "قبلیرو", "قبلیو",
                 "اصلاح", "اصلاحکنم", "عوضکنم", "درستکنم", "اشتباهزدم", "اشتباهکردم",
                 "اشتباهشد", "اشتباهی"])
_BACK_FILLER = _POLITE | _keyset(["میخوام", "میخواهم", "میخام", "بریم", "برو", "برم",
                                  "به", "سوال", "سؤال", "پرسش", "مرحله", "مرحلهی", "صفحه",
                                  "دوباره", "یک", "یه", "رو", "را", "لطفا", "ی", "بر", "میشه",
                                  "باید", "بذار", "بزار", "جواب", "پاسخ", "گام"])


def back_word(text: str) -> bool:
    """«برگرد», «قبلی», «برو عقب», «میخوام برگردم عقب», «سؤال قبلی», «اشتباه زدم»: go back
    one question. Asked before a typed answer is judged at every question, so that a text
    question (the description) never saves it as the answer."""
    keys = [k for k in _keys(text) if k not in _BACK_FILLER]
    if not keys:
        return False
    if _core(text, _BACK_FILLER) in _BACK:
        return True
    return all(k in _BACK for k in keys)


# --- severity ------------------------------------------------------------------------------------

LOW, MEDIUM, HIGH, URGENT, CRITICAL = range(5)
_LEVEL_OF_VALUE = {"low": LOW, "medium": MEDIUM, "high": HIGH, "urgent": URGENT,
                   "critical": CRITICAL}
_SEVERITY_WORDS: dict[str, int] = {}
for _level, _words in (
    (LOW, ["کم", "خیلیکم", "کمه", "جزئی", "جزیی", "ناچیز", "زیادنیست", "پایین", "اندک",
           "کمی", "یهکم", "یکمی", "خفیف", "نهچندان", "چندانزیادنیست", "خیلینه"]),
    (MEDIUM, ["متوسط", "متوسطه", "معمولی", "معمولیه", "نسبتا", "نسبتازیاد", "تاحدی",
              "نهکمنهزیاد", "بینابین", "وسط", "میانه", "نسبی", "متوسطرو", "کموبیش"]),
    (HIGH, ["زیاد", "خیلی", "خیلیزیاد", "زیاده", "خیلیزیاده", "شدید", "خیلیشدید", "شدیده",
            "جدی", "خیلیجدی", "بالا", "خیلیبالا", "خیلیبد", "بد", "وحشتناک", "زیادی",
            "خیلیخیلیزیاد", "فراوان", "بسیار", "بسیارزیاد"]),
    (URGENT, ["فوری", "فوریه", "اضطراری", "عاجل", "خیلیفوری", "فورا", "فوراً", "همینالان"]),
    (CRITICAL, ["بحرانی", "بحران", "بحرانیه", "حاد", "خطرناک", "خیلیخطرناک", "اورژانسی",
                "خطرجانی", "جانی", "مرگبار", "فاجعه"]),
):
    for _word in _words:
        _SEVERITY_WORDS[match_key(_word)] = _level
_SEVERITY_FILLER = _POLITE | _keyset(["است", "هست", "هستش", "شدتش", "شدت", "مشکل",
                                      "خیلیخیلی", "واقعا", "کاملا", "کاملاً"])


def severity_level(text: str) -> int | None:
    """LOW … CRITICAL for «کم», «متوسط», «خیلی زیاد» (HIGH), «فوری» (URGENT), «بحرانی»."""
    return _SEVERITY_WORDS.get(_core(text, _SEVERITY_FILLER))


def severity(text: str, values: Sequence[str]) -> str | None:
    """The choice value of a severity question that a typed word means, or None.

    `values` are the question's choice values in order (mildest first). Values named low,
    medium, high, urgent, critical are matched by name: «خیلی زیاد» → «high» (the highest
    level that is not an emergency), «فوری» → «urgent» (or «critical» if the form has no
    «urgent»); other values by their place in the list. Used at the needs assessment's
    «شدت» question after its labels have been tried."""
    level = severity_level(text)
    if level is None or not values:
        return None
    known = [(v, _LEVEL_OF_VALUE[v]) for v in values if v in _LEVEL_OF_VALUE]
    if len(known) == len(values):
        exact = [v for v, lv in known if lv == level]
        if exact:
            return exact[0]
        # the nearest level: towards the emergency end for urgent/critical, else milder
        ordered = sorted(known, key=lambda item: (abs(item[1] - level),
                                                  -item[1] if level >= URGENT else item[1]))
        return ordered[0][0]
    index = round(level / CRITICAL * (len(values) - 1))
    if level == HIGH and len(values) >= 3:
        index = len(values) - 2  # the highest that is not the emergency one
    return values[index]


__all__ = ["ContactReply", "PhoneRefusal", "back_word", "contact_reply", "done_word",
           "dont_know", "none_word", "severity", "severity_level", "skip_word", "yes_no"]
