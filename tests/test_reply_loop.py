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
from tests.test_requests import file_request, join, open_card, resolve


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
