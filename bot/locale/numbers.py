"""Numbers as people type them: «۳۰ نفر», «حدود ۲۰», «بیست و پنج», «۱٬۲۰۰», «۳٫۵».

`read_number` turns one answer to a "how many" question into a `NumberReading`, or a
`NumberRefusal` that says what was understood and why it cannot be taken (two numbers or
a range, a unit that contradicts the question, a decimal where a whole number is asked).
Number words are read by a small table-driven parser (`words_to_number`): the maintained
Persian libraries on the package index either read «هزار و دویست» as 200 or ignore words
they do not know, which would turn «حدود بیست خانوار» into 20 without a second look.
No messenger code here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.locale.normalize import fa_number, normalize_text, to_ascii_digits

# --- tables ---------------------------------------------------------------------------------

UNITS_WORDS: dict[str, int] = {
    "صفر": 0, "یک": 1, "یه": 1, "دو": 2, "سه": 3, "چهار": 4, "چار": 4, "پنج": 5, "شش": 6,
    "شیش": 6, "هفت": 7, "هشت": 8, "نه": 9,
}
TEENS_WORDS: dict[str, int] = {
    "ده": 10, "یازده": 11, "دوازده": 12, "سیزده": 13, "چهارده": 14, "چارده": 14,
    "پانزده": 15, "پونزده": 15, "شانزده": 16, "شونزده": 16, "هفده": 17, "هیفده": 17,
    "هجده": 18, "هیجده": 18, "هژده": 18, "نوزده": 19,
}
TENS_WORDS: dict[str, int] = {
    "بیست": 20, "سی": 30, "چهل": 40, "چل": 40, "پنجاه": 50, "شصت": 60, "هفتاد": 70,
    "هشتاد": 80, "نود": 90,
}
HUNDREDS_WORDS: dict[str, int] = {
    "صد": 100, "یکصد": 100, "دویست": 200, "سیصد": 300, "چهارصد": 400, "چارصد": 400,
    "پانصد": 500, "پونصد": 500, "ششصد": 600, "شیشصد": 600, "هفتصد": 700, "هشتصد": 800,
    "نهصد": 900,
}
SCALE_WORDS: dict[str, int] = {"هزار": 1000, "میلیون": 1_000_000, "ملیون": 1_000_000}
HALF_WORD = "نیم"
ZERO_WORDS = {"هیچ", "هیچکس", "هیچکدام", "هیچی"}

# Ordinals: «پنجم», «بیست و پنجم», «یکم», «اول»; only the last word carries the suffix.
ORDINAL_SPECIAL: dict[str, int] = {"اول": 1, "یکم": 1, "سوم": 3, "سیم": 3}

# Words that say "about": the number is taken as given.
APPROXIMATE_WORDS = {"حدود", "حدودا", "درحدود", "تقریبا", "نزدیک", "نزدیکبه", "قریب",
                     "قریببه", "حدوده", "یهچیزی", "حدودای", "حدودی"}
# Words that mean "more/less than": the number is not the count; ask for it.
BOUND_WORDS = {"بیشاز", "بیشتراز", "بالای", "بالاتراز", "کمتراز", "زیر", "کمتر", "بیشتر",
               "حداقل", "حداکثر", "دستکم"}
RANGE_WORDS = {"تا", "الی", "یا", "-", "–", "~", "بین", "از"}

# Units people add after a count. Neutral counters fit any question.
NEUTRAL_UNITS = {"تا", "عدد", "مورد", "دونه", "دانه", "بار", "تایی"}
UNIT_WORDS: dict[str, str] = {
    "نفر": "people", "نفری": "people", "آدم": "people", "شرکتکننده": "people",
    "شرکتکنندگان": "people", "کودک": "people", "بچه": "people", "زن": "people",
    "مرد": "people", "سالمند": "people", "نوجوان": "people", "خانم": "people",
    "خانوار": "households", "خانواده": "households", "خانه": "households",
    "خونه": "households", "خانوارها": "households",
    "روز": "days", "ساعت": "hours", "دقیقه": "minutes",
    "تومان": "money", "تومن": "money", "ریال": "money",
    "سال": "years", "ساله": "years", "ماه": "months",
}
# Filler after the number that changes nothing («۳۰ نفر بودند»).
FILLER_WORDS = {"بودند", "بودن", "بودیم", "بود", "هستند", "هستن", "اومدن", "آمدند",
                "اومدند", "شرکتکردند", "شرکتکردن", "داشتیم", "داریم", "است", "هست",
                "میشه", "میشود", "میشن", "شد", "شدند", "نفرات", "کلا", "جمعا", "روهم",
                "همه", "فقط", "ولی", "در", "کل", "جمع", "آمده", "اومده", "داشتند", "حاضر",
                "حضورداشتند", "شرکت", "کردند"}

Reason = Literal["empty", "not_a_number", "several", "unit", "decimal", "bound", "too_long"]


@dataclass(frozen=True)
class NumberReading:
    """A number understood: its value, whether it was "about", and the unit written."""

    value: int | float
    approximate: bool = False
    unit: str | None = None


@dataclass(frozen=True)
class NumberRefusal:
    """A number answer that cannot be taken as it is; `numbers` are those understood."""

    reason: Reason
    numbers: tuple[int | float, ...] = ()
    unit: str | None = None


# --- tokenising -----------------------------------------------------------------------------

_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[^\W\d_])|(?<=[^\W\d_])(?=[0-9])")
_NUMBER = re.compile(r"[0-9]+(?:[,٬،][0-9]{3})+(?:[.٫][0-9]+)?|[0-9]+(?:[.٫/][0-9]+)?")
_TOKEN = re.compile(r"[0-9][0-9,٬،.٫/]*[0-9]|[0-9]|[^\s0-9]+")
_PUNCTUATION = re.compile(r"[.!؟?؛;:()«»\"'،,]+$")
_KEY_FOLD = str.maketrans({"ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "آ"})


def fold(text: str) -> str:
    """Digits to ASCII, Arabic letters folded, diacritics and tatweel dropped."""
    text = normalize_text(to_ascii_digits(text)).translate(_KEY_FOLD)
    return _DIACRITICS.sub("", text)


def tokens(text: str) -> list[str]:
    """Words and digit groups; ZWNJ joins nothing here, digits split from glued letters."""
    text = fold(text).replace("\u200c", " ")
    text = _DIGIT_LETTER.sub(" ", text)
    text = re.sub(r"(?<=[0-9])\s*[-–~]\s*(?=[0-9])", " - ", text)
    found = []
    for raw in _TOKEN.findall(text):
        token = _PUNCTUATION.sub("", raw) if not raw[:1].isdigit() else raw
        if token:
            found.append(token.casefold())
    return found


def _join_phrases(words: list[str]) -> list[str]:
    """«بیش از» → «بیشاز», «در حدود» → «درحدود»: two-word phrases of the tables as one."""
    joined: list[str] = []
    i = 0
    phrases = APPROXIMATE_WORDS | BOUND_WORDS | FILLER_WORDS | set(UNIT_WORDS)
    while i < len(words):
        for size in (3, 2):
            if i + size <= len(words) and "".join(words[i:i + size]) in phrases:
                joined.append("".join(words[i:i + size]))
                i += size
                break
        else:
            joined.append(words[i])
            i += 1
    return joined


def _split_counter(word: str) -> list[str]:
    """«دوتا» → «دو», «تا»; «وپنج» (of «بیست‌وپنج») → «و», «پنج»."""
    if word.startswith("و") and len(word) > 1 and (
            _word_value(word[1:]) is not None or word[1:] == HALF_WORD):
        return ["و", *_split_counter(word[1:])]
    for suffix in ("تایی", "تا", "نفر"):
        head = word[: -len(suffix)]
        if word.endswith(suffix) and head and _word_value(head) is not None:
            return [head, suffix]
    return [word]


def _word_value(word: str) -> int | None:
    for table in (UNITS_WORDS, TEENS_WORDS, TENS_WORDS, HUNDREDS_WORDS, SCALE_WORDS):
        if word in table:
            return table[word]
    return None


# --- numbers in words -------------------------------------------------------------------------


def _magnitude(value: int) -> int:
    if value >= 100:
        return 3
    if value >= 20:
        return 2
    return 1


def words_to_number(words: list[str]) -> int | None:
    """A whole number written in words (and digits before a scale: «۳ هزار»), or None.

    «بیست و پنج» → 25, «صد و دوازده» → 112, «هزار و دویست» → 1200, «دو میلیون و سیصد هزار»
    → 2300000. Within each group hundreds come before tens before units; anything else
    (two numbers side by side, an unknown word) gives None."""
    total, group, last = 0, 0, 4
    expecting = True  # a number word must come next (start, or after «و»)
    seen_any = False
    for word in words:
        if word == "و":
            if expecting:
                return None
            expecting = True
            continue
        value = _word_value(word)
        if value is None and word.isdigit():
            value = int(word)
            if value >= 1000 or (seen_any and value >= 0):
                return None
            group, last, expecting, seen_any = value, 0, False, True
            continue
        if value is None:
            return None
        if word in SCALE_WORDS:
            if group == 0 and seen_any and total == 0:
                return None
            total += (group or 1) * value
            group, last, expecting, seen_any = 0, 4, False, True
            continue
        magnitude = _magnitude(value) if value else 1
        if magnitude >= last:
            return None
        group += value
        last = magnitude if value >= 20 or value == 0 else 0
        expecting, seen_any = False, True
    if expecting or not seen_any:
        return None
    return total + group


def ordinal_value(word: str) -> int | None:
    """«پنجم» → 5, «بیست‌ویکم» is read by `read_ordinal`; «اول», «یکم», «سوم» → 1, 1, 3."""
    word = fold(word).replace("\u200c", "")
    if word in ORDINAL_SPECIAL:
        return ORDINAL_SPECIAL[word]
    if word.endswith("ام") and word[:-2].isdigit():
        return int(word[:-2])
    if word.endswith("م"):
        return _word_value(word[:-1]) if word[:-1] not in SCALE_WORDS else None
    return None


def read_ordinal(text: str) -> int | None:
    """A day number written as digits, words or an ordinal: «۵», «پنج», «پنجم», «بیست و یکم»."""
    words = [w for w in tokens(text) if w]
    if len(words) == 2 and words[0].isdigit() and words[1] == "ام":  # «۱۰ام»
        words = words[:1]
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    last = ordinal_value(words[-1])
    if last is not None:
        if len(words) == 1:
            return last
        return words_to_number([*words[:-1], _last_cardinal(words[-1])])
    return words_to_number(words)


def _last_cardinal(word: str) -> str:
    """The cardinal word under an ordinal (پنجم → پنج, سوم → سه, یکم/اول → یک)."""
    if word in ("سوم", "سیم"):
        return "سه"
    if word in ("اول", "یکم"):
        return "یک"
    return word[:-1] if word.endswith("م") else word


# --- one answer ---------------------------------------------------------------------------------


def _digits_value(token: str) -> int | float | None:
    """«1,200» → 1200, «3.5» / «۳٫۵» / «۳/۵» → 3.5; None when it is no number."""
    if not _NUMBER.fullmatch(token):
        return None
    if re.search(r"[,٬،][0-9]{3}", token) and not re.search(r"[.٫/]", token):
        return int(re.sub(r"[,٬،]", "", token))
    grouped = re.sub(r"[,٬،]", "", token)
    if re.search(r"[.٫/]", grouped):
        whole, _, part = re.split(r"([.٫/])", grouped, maxsplit=1)
        return float(f"{whole}.{part}")
    if len(grouped) > 18:
        return None
    return int(grouped)


def read_number(text: str, *, decimals: bool = False, unit: str | None = None,
                max_length: int = 80) -> NumberReading | NumberRefusal:
    """Read one count typed as a person would type it.

    `unit` is what the question counts ('people', 'households', …): a different unit
    written in the answer («۲۰ خانوار» to a question about people) is refused with reason
    'unit'. Counters such as «تا», «عدد», «مورد» fit any question. Two numbers or a range
    give 'several'; «بیش از ۲۰» gives 'bound'; «۳٫۵» where decimals are not allowed
    gives 'decimal' (with the number understood)."""
    if len(text) > max_length:
        return NumberRefusal("too_long")
    if zero_word(text):
        return NumberReading(0)
    words: list[str] = []
    for word in _join_phrases(tokens(text)):
        words += _split_counter(word)
    if not words:
        return NumberRefusal("empty")
    negative = words[0] in ("-", "منفی") and len(words) > 1
    if negative:
        words = words[1:]
    approximate = False
    bound = False
    written_unit: str | None = None
    numbers: list[int | float] = []
    pending: list[str] = []  # number words collected

    def flush() -> bool:
        if not pending:
            return True
        if pending == [HALF_WORD]:
            return False
        half = len(pending) >= 3 and pending[-1] == HALF_WORD and pending[-2] == "و"
        core = list(pending[:-2] if half else pending)
        value = words_to_number(core)
        pending.clear()
        if value is None:
            # «ده دوازده»: two numbers side by side, as people say a range
            for cut in range(1, len(core)):
                first, second = words_to_number(core[:cut]), words_to_number(core[cut:])
                if first is not None and second is not None and not half:
                    numbers.extend((first, second))
                    return True
            return False
        numbers.append(value + 0.5 if half else value)
        return True

    for index, word in enumerate(words):
        if word in APPROXIMATE_WORDS:
            approximate = True
            continue
        if word in BOUND_WORDS:
            bound = True
            continue
        value = _digits_value(word) if word[:1].isdigit() else None
        if value is not None:
            if pending and not (isinstance(value, int) and value < 1000
                                and index + 1 < len(words) and words[index + 1] in SCALE_WORDS):
                if not flush():
                    return NumberRefusal("not_a_number")
            if (index + 1 < len(words) and words[index + 1] in SCALE_WORDS
                    and isinstance(value, int)):
                pending.append(word)
                continue
            numbers.append(value)
            continue
        if word in SCALE_WORDS or _word_value(word) is not None or word == HALF_WORD or (
                word == "و" and (pending or numbers)):
            if word == "و" and not pending:
                if index + 1 < len(words) and words[index + 1] == HALF_WORD and numbers:
                    numbers[-1] = numbers[-1] + 0.5
                    words[index + 1] = ""
                continue  # «۲۰ و ۳۰»: a second number follows, and two are asked about
            if word == "نه" and not pending and not numbers and len(words) == 1:
                return NumberRefusal("not_a_number")
            pending.append(word)
            continue
        if word == "":
            continue
        if word in RANGE_WORDS:  # «۲۰ تا ۳۰» gives two numbers (asked); «۳۰ تا» a counter
            if not flush():
                return NumberRefusal("not_a_number")
            continue
        if not flush():
            return NumberRefusal("not_a_number")
        if word in NEUTRAL_UNITS:
            continue
        if word in UNIT_WORDS:
            written_unit = written_unit or UNIT_WORDS[word]
            continue
        if word in FILLER_WORDS:
            continue
        return NumberRefusal("not_a_number", tuple(numbers))
    if not flush():
        return NumberRefusal("not_a_number")
    if not numbers:
        return NumberRefusal("not_a_number")
    if len(numbers) > 1:
        return NumberRefusal("several", tuple(numbers))
    value = -numbers[0] if negative else numbers[0]
    if bound:
        return NumberRefusal("bound", (value,))
    if unit is not None and written_unit is not None and written_unit != unit:
        return NumberRefusal("unit", (value,), written_unit)
    if isinstance(value, float):
        if value.is_integer() and not decimals:
            value = int(value)
        elif not decimals:
            return NumberRefusal("decimal", (value,))
    return NumberReading(value, approximate, written_unit)


def zero_word(text: str) -> bool:
    """«هیچ», «هیچ‌کس»: nobody, i.e. 0."""
    return "".join(tokens(text)) in ZERO_WORDS


SMALL_NUMBER_WORDS = ("صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه", "ده")


def in_words(n: int) -> str:
    """Small counts in prose as Persian writes them («دست‌کم یک گزینه»): words up to ten,
    Persian digits above."""
    return SMALL_NUMBER_WORDS[n] if 0 <= n <= 10 else fa_number(n)
