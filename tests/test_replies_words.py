"""The pure reading of a resident's message about their requests (`bot.replies`)."""

from __future__ import annotations

import pytest

from bot.replies import asks_status, code_in


@pytest.mark.parametrize(("text", "code"), [
    ("کد ۶۳۸۱-۷۴۵۰ چی شد؟", "63817450"),
    ("درخواست 63817450 رو پیگیری کنید", "63817450"),
    ("سلام \u2066۶۳۸۱-۷۴۵۰\u2069 خبری نشد", "63817450"),
    ("۶۳۸۱ ۷۴۵۰", "63817450"),
    ("شمارهٔ من ۰۹۱۳۱۱۱۲۲۳۳ است", None),
    ("از ۱۴۰۳ تا حالا آب نداریم", None),
    ("۱۲۳۴۵۶۷۸ یا ۸۷۶۵۴۳۲۱", None),
])
def test_a_code_inside_a_sentence(text: str, code: str | None) -> None:
    assert code_in(text) == code


@pytest.mark.parametrize("text", [
    "درخواستم چی شد؟", "چیشد", "هنوز آب نداریم", "خبری نشد؟", "وضعیت درخواستم",
    "کی درست میشه؟", "چه خبر از درخواست", "هنوز کاری نکردید",
])
def test_status_questions(text: str) -> None:
    assert asks_status(text)


@pytest.mark.parametrize("text", [
    "آب نداریم", "چراغ کوچه خاموش است", "جوی آب گرفته", "سلام",
])
def test_not_status_questions(text: str) -> None:
    assert not asks_status(text)
