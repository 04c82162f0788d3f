"""A resident answers the office, through the fake messenger over real PTB: a voice note
as the «not solved» reason and as an addition (the two crashes of issue 20, kept as
attachments now), «پاسخ به دفتر» under every notice, a plain message while a request is
open offered to that request first, status questions and a code inside a sentence answered
with the status, and the staff told of the reply with «باز کردن»."""

from __future__ import annotations

import pytest

from bot.locale.codes import shown_code
from bot.locale.text import t
from bot.sandbox import SandboxBot, SimUser
from storage import requests as store
from tests.test_requests import file_request, join, later, open_card, resolve


async def row(bot: SandboxBot, code: str) -> store.Request:
    """The request with this code, as stored."""
    assert bot.db is not None
    found = await store.by_code(bot.db, code)
    assert found is not None
    return found


async def kinds(bot: SandboxBot, code: str) -> list[tuple[str, str]]:
    """(question, kind) of the request's attachments, in order."""
    assert bot.db is not None
    rows = await bot.db.fetchall(
        "SELECT question, kind FROM attachments WHERE request_id = ? ORDER BY id",
        ((await row(bot, code)).id,))
    return [(r[0], r[1]) for r in rows]


@pytest.fixture
async def office(sandbox: SandboxBot) -> tuple[SimUser, SimUser]:
    """(resident Zahra, facilitator Maryam of Sarasiab)."""
    zahra, maryam = sandbox.user(500, "زهرا", phone="+989131112233"), sandbox.user(200, "مریم")
    await join(sandbox.db, maryam, "sarasiab")
    return zahra, maryam


async def test_a_voice_note_says_what_is_still_not_solved(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser]
) -> None:
    """Issue 20's first crash: binding a dict in the trail; the request stayed «حل شد»."""
    zahra, maryam = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    asked = (await sandbox.tap(zahra, t("case.solved_no")))[-1].text
    assert asked.startswith("چه چیزی هنوز حل نشده است؟")
    done = (await sandbox.act(zahra, "send_voice"))[-1].text
    assert done == t("case.not_solved_done", code=shown_code(code))
    request = await row(sandbox, code)
    assert (request.status, request.solved) == ("in_review", "no")
    assert await kinds(sandbox, code) == [("not_solved", "voice")]
    told = maryam.last
    assert told.text == t("case.staff_not_solved", code=shown_code(code),
                          reason=t("case_loop.voice_reason"))
    assert told.buttons() == [t("case.open")]
    card = (await sandbox.tap(maryam, t("case.open")))[-1]
    assert t("case_loop.voice_reason") in card.text
    await sandbox.tap(maryam, t("inbox.media"))
    assert [m.kind for m in maryam.messages()][-1] == "voice"


async def test_a_voice_note_and_a_photo_are_added_to_an_open_request(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser]
) -> None:
    """Issue 20's second crash: a dict concatenated to a str; both were lost."""
    zahra, maryam = office
    code = await file_request(sandbox, zahra, extras=False)
    await sandbox.say(zahra, f"/track {code}")
    await sandbox.tap(zahra, t("case.add"))
    await sandbox.act(zahra, "send_voice")
    await sandbox.act(zahra, "send_photo")
    done = (await sandbox.tap(zahra, t("form.done")))[-1].text
    assert done.endswith(t("case.added", code=shown_code(code)))
    assert sorted(await kinds(sandbox, code)) == [("addition", "photo"), ("addition", "voice")]
    assert maryam.last.text == t("case.staff_addition", code=shown_code(code), what=" + ".join(
        [t("case.staff_addition_photos", count=1),
         t("case_loop.staff_addition_voices", count=1)]))


async def test_every_notice_carries_reply_and_the_reply_reaches_the_office(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser]
) -> None:
    zahra, maryam = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "کدام کوچه؟ پلاک نزدیک را بنویسید")
    await sandbox.tap(maryam, t("form.yes"))
    await later(sandbox)
    asked = zahra.last
    assert asked.text.startswith(f"خبر از درخواست {shown_code(code)}")
    assert asked.buttons() == [t("case_loop.reply")]
    prompt = (await sandbox.tap(zahra, t("case_loop.reply")))[-1].text
    assert "چه چیزی به درخواست افزوده شود" in prompt
    await sandbox.say(zahra, "کوچهٔ لاله، روبه‌روی پلاک ۱۲")
    done = (await sandbox.tap(zahra, t("form.done")))[-1].text
    assert done.endswith(t("case.added", code=shown_code(code)))
    told = maryam.last
    assert told.text == t("case.staff_addition", code=shown_code(code),
                          what="«کوچهٔ لاله، روبه‌روی پلاک ۱۲»")
    assert told.buttons() == [t("case.open")]
    card = (await sandbox.tap(maryam, t("case.open")))[-1].text
    assert "ساکن افزود: کوچهٔ لاله، روبه‌روی پلاک ۱۲" in card

    await resolve(sandbox, maryam)
    assert zahra.last.buttons() == [t("case.solved_yes"), t("case.solved_no"),
                                    t("case_loop.reply")]
    # a reply on a resolved request reaches the office and leaves it resolved
    await sandbox.tap(zahra, t("case_loop.reply"))
    await sandbox.say(zahra, "دستتان درد نکند، روشن شد")
    await sandbox.tap(zahra, t("form.done"))
    assert (await row(sandbox, code)).status == "resolved"
    assert maryam.last.text.startswith("📎")


async def test_a_plain_message_is_offered_to_the_open_request_first(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser]
) -> None:
    zahra, maryam = office
    code = await file_request(sandbox, zahra, extras=False)
    offer = (await sandbox.say(zahra, "امشب هم کوچه تاریک بود و بچه‌ها ترسیدند"))[-1]
    assert shown_code(code) in offer.text
    assert offer.buttons() == [t("case_loop.offer_add_button", code=shown_code(code)),
                               t("case_loop.offer_new"), t("case_loop.offer_neither")]
    await sandbox.act(zahra, "send_voice")
    added = (await sandbox.tap(zahra, t("case_loop.offer_add_button",
                                        code=shown_code(code))))[-1].text
    assert added == t("case.added", code=shown_code(code))
    assert await kinds(sandbox, code) == [("addition", "voice")]
    assert maryam.last.text.startswith(f"📎 ساکن به درخواست {shown_code(code)}")
    assert "امشب هم کوچه تاریک بود" in maryam.last.text
    assert maryam.last.buttons() == [t("case.open")]
    # the same offer tapped again: nothing is added twice
    zahra.tap_data(f"trk:rpl:{(await row(sandbox, code)).id}")
    await sandbox.deliver()
    assert list(sandbox.api.callback_answers.values())[-1]["text"] == t("case_loop.offer_gone")

    # «a new request» takes the same message as its description
    await sandbox.say(zahra, "جوی آب سر کوچه گرفته و آب در کوچه راه افتاده است")
    started = (await sandbox.tap(zahra, t("case_loop.offer_new")))
    assert any("جوی آب" in m.text or "پرسش" in m.text for m in started)


async def test_status_questions_and_a_code_in_a_sentence_show_the_status(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser]
) -> None:
    zahra, _maryam = office
    code = await file_request(sandbox, zahra, extras=False)
    for question in ("درخواستم چی شد؟", "هنوز آب نداریم", "خبری نشد؟"):
        answer = (await sandbox.say(zahra, question))[-1]
        assert answer.text.startswith(t("case_loop.status_title")), question
        assert t("case_loop.status_line", code=shown_code(code),
                 category="آب، برق، گاز، کوچه و خیابان", status="دریافت شد") in answer.text
        assert answer.buttons() == [t("case_loop.offer_add_button", code=shown_code(code))]
    persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code)
    card = (await sandbox.say(zahra, f"سلام کد {persian[:4]}-{persian[4:]} چی شد؟"))[-1]
    assert card.text.startswith("درخواست " + shown_code(code)) and "وضعیت: دریافت شد" in card.text
    other = sandbox.user(502, "غریبه")
    assert (await sandbox.say(other, f"درخواست {code} چی شد"))[-1].text == t(
        "request.not_found")
    # a phone number is not a code, and a greeting is still a greeting
    assert t("case_loop.offer_new") in (await sandbox.say(
        zahra, "شمارهٔ من ۰۹۱۳۱۱۱۲۲۳۳ است، با من تماس بگیرید"))[-1].buttons()
    assert shown_code(code) not in (await sandbox.say(zahra, "سلام"))[-1].text
