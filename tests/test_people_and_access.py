"""People, invites and the access gate, driven through the fake messenger over real PTB."""

from __future__ import annotations

import logging
import re

import pytest

from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage.people import get_person
from tests.conftest import ADMIN_ID

CODE = re.compile(r"/start ([0-9a-z]{16})")


def invite_code(text: str) -> str:
    """The code in an invite message."""
    found = CODE.search(text)
    assert found, f"no invite code in: {text}"
    return found.group(1)


async def invite(sandbox: SandboxBot, who: SimUser, command: str) -> str:
    """Send an /invite command and return the code the bot showed."""
    replies = await sandbox.say(who, command)
    return invite_code(replies[-1].text)


async def test_resident_is_greeted_in_persian_with_a_menu(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    replies = await sandbox.say(zahra, "/start")
    assert len(replies) == 1
    assert "سلام زهرا" in replies[0].text
    assert zahra.menu_labels() == [t("menu.request"), t("menu.track"), t("menu.help")]
    person = await get_person(sandbox.db, 500)  # type: ignore[arg-type]
    assert person is not None and person.role == "resident"


async def test_admin_invites_a_facilitator_who_joins_with_the_code(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    maryam = sandbox.user(200, "مریم")
    reply = (await sandbox.say(admin, "/invite facilitator pamenar"))[-1].text
    assert "دفتر تسهیل‌گری پامنار" in reply
    assert "https://t.me/tashilyar_test_bot?start=" in reply
    assert re.search(r"[۰-۹]{4}", reply), "expiry date is shown with Persian digits"
    code = invite_code(reply)

    replies = await sandbox.say(maryam, f"/start {code}")
    assert "تسهیل‌گر" in replies[0].text and "پامنار" in replies[0].text
    assert "شما تسهیل‌گر دفتر تسهیل‌گری پامنار هستید" in replies[-1].text
    person = await get_person(sandbox.db, 200)  # type: ignore[arg-type]
    office = await offices.office_by_slug(sandbox.db, "pamenar")  # type: ignore[arg-type]
    assert person is not None and office is not None
    assert (person.role, person.office_id, person.active) == ("facilitator", office.id, True)


async def test_a_used_code_is_refused_and_changes_nothing(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    code = await invite(sandbox, admin, "/invite facilitator pamenar")
    await sandbox.say(sandbox.user(200, "مریم"), f"/start {code}")
    intruder = sandbox.user(300, "غریبه")
    replies = await sandbox.say(intruder, f"/start {code}")
    assert replies[0].text == t("start.invite_used")
    person = await get_person(sandbox.db, 300)  # type: ignore[arg-type]
    assert person is not None and person.role == "resident"


async def test_unknown_code_gets_a_clear_answer(sandbox: SandboxBot) -> None:
    replies = await sandbox.say(sandbox.user(300, "غریبه"), "/start 0000000000000000")
    assert replies[0].text == t("start.invite_unknown")


async def test_code_typed_with_persian_digits_and_capitals_still_works(
    sandbox: SandboxBot,
) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    code = await invite(sandbox, admin, "/invite facilitator sarasiab")
    typed = code.upper().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    replies = await sandbox.say(sandbox.user(201, "علی"), f"/start {typed}")
    assert "سرآسیاب" in replies[-1].text


async def test_guessing_codes_is_slowed_down(sandbox: SandboxBot) -> None:
    guesser = sandbox.user(301, "حدس")
    answers = [(await sandbox.say(guesser, f"/start {n:016d}"))[0].text for n in range(7)]
    assert answers[:5] == [t("start.invite_unknown")] * 5
    assert answers[5].startswith("تلاش‌های ناموفق زیادی")


@pytest.mark.parametrize("command", ["/invite facilitator pamenar", "/invite", "/people",
                                     "دعوت همکار", "همکاران"])
async def test_resident_cannot_use_staff_commands(sandbox: SandboxBot, command: str) -> None:
    resident = sandbox.user(500, "زهرا")
    replies = await sandbox.say(resident, command)
    assert [r.text for r in replies] == [t("access.denied", role=t("role.resident"))]
    count = await sandbox.db.fetchone("SELECT count(*) FROM invites")  # type: ignore[union-attr]
    assert count is not None and count[0] == 0


async def test_forged_buttons_do_nothing_for_a_resident(
    sandbox: SandboxBot, api: FakeBotAPI
) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    maryam = sandbox.user(200, "مریم")
    code = await invite(sandbox, admin, "/invite facilitator pamenar")
    await sandbox.say(maryam, f"/start {code}")
    person = await get_person(sandbox.db, 200)  # type: ignore[arg-type]
    assert person is not None
    resident = sandbox.user(500, "زهرا")
    await sandbox.say(resident, "/start")
    for forged in (f"ppl:d:{person.id}:o", "inv:o:facilitator:1", "xyz:1"):
        resident.tap_data(forged)
        await sandbox.deliver()
    still = await get_person(sandbox.db, 200)  # type: ignore[arg-type]
    assert still is not None and still.active
    answers = [a.get("text") for a in api.callback_answers.values()]
    assert answers == [t("access.denied", role=t("role.resident"))] * 2 + [
        t("access.stale_button")
    ]


async def test_supervisor_invites_only_facilitators_of_their_own_office(
    sandbox: SandboxBot, api: FakeBotAPI
) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    sara = sandbox.user(400, "سارا")
    await sandbox.say(sara, f"/start {await invite(sandbox, admin, '/invite supervisor pamenar')}")
    # Buttons: a supervisor is offered their office only.
    replies = await sandbox.say(sara, "دعوت همکار")
    assert replies[-1].buttons() == ["دفتر تسهیل‌گری پامنار"]
    reply = (await sandbox.tap(sara, "دفتر تسهیل‌گری پامنار"))[-1]
    assert reply.edits == 1 and invite_code(reply.text)
    # Typed: another office, or a supervisor invite, is refused.
    assert (await sandbox.say(sara, "/invite facilitator sarasiab"))[-1].text == t(
        "invite.out_of_scope")
    assert (await sandbox.say(sara, "/invite supervisor pamenar"))[-1].text == t(
        "invite.supervisor_only_facilitators")
    # Forged: the button data of another office's id.
    other = await offices.office_by_slug(sandbox.db, "sarasiab")  # type: ignore[arg-type]
    assert other is not None
    before = await sandbox.db.fetchone("SELECT count(*) FROM invites")  # type: ignore[union-attr]
    sara.tap_data(f"inv:o:facilitator:{other.id}")
    await sandbox.deliver()
    after = await sandbox.db.fetchone("SELECT count(*) FROM invites")  # type: ignore[union-attr]
    assert before is not None and after is not None and before[0] == after[0]
    assert sara.last.text == t("invite.out_of_scope")


async def test_invite_with_buttons_for_a_province_supervisor(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    await sandbox.say(admin, "/invite")
    await sandbox.tap(admin, "ناظر")
    reply = (await sandbox.tap(admin, "کل استان کرمان"))[-1]
    code = invite_code(reply.text)
    replies = await sandbox.say(sandbox.user(401, "رضا"), f"/start {code}")
    assert "ناظر استان کرمان" in replies[-1].text


async def test_deactivated_staff_lose_access_at_once(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    sara = sandbox.user(400, "سارا")
    await sandbox.say(sara, f"/start {await invite(sandbox, admin, '/invite supervisor pamenar')}")
    assert invite_code((await sandbox.say(sara, "/invite facilitator pamenar"))[-1].text)

    await sandbox.say(admin, "/people")
    listing = (await sandbox.tap(admin, "دفتر تسهیل‌گری پامنار (۱ نفر)"))[-1]
    assert "۱. سارا — ناظر" in listing.text
    updated = (await sandbox.tap(admin, "غیرفعال کردن سارا"))[-1]
    assert "سارا — ناظر (غیرفعال)" in updated.text
    assert "فعال کردن دوبارهٔ سارا" in updated.buttons()

    replies = await sandbox.say(sara, "/invite facilitator pamenar")
    assert [r.text for r in replies] == [t("access.deactivated")]
    replies = await sandbox.say(sara, "/start")
    assert replies[0].text.startswith(t("access.deactivated"))
    assert t("menu.invite") not in sara.menu_labels()
    assert sara.menu_labels()[0] == t("menu.request")  # a resident's menu now

    await sandbox.tap(admin, "فعال کردن دوبارهٔ سارا")
    assert invite_code((await sandbox.say(sara, "/invite facilitator pamenar"))[-1].text)


async def test_commands_are_registered_per_role(sandbox: SandboxBot, api: FakeBotAPI) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    await sandbox.say(admin, "/start")
    default = api.commands['{"type": "default"}']
    assert [c["command"] for c in default] == ["request", "track", "help", "start", "cancel"]
    admin_scope = api.commands[f'{{"chat_id": {ADMIN_ID}, "type": "chat"}}']
    assert [c["command"] for c in admin_scope] == [
        "inbox", "digest", "export", "digest_here", "track", "invite", "people", "dashboard",
        "help", "start", "cancel"]


async def test_help_lists_what_the_role_can_do(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    text = (await sandbox.say(admin, "راهنما"))[-1].text
    assert t("help.invite") in text and t("help.people") in text
    resident_text = (await sandbox.say(sandbox.user(500, "زهرا"), "/help"))[-1].text
    assert t("help.invite") not in resident_text  # a resident's help names the buttons
    assert resident_text.startswith(t("resident_help.title")) and "/cancel" not in resident_text


async def test_cancel_returns_to_the_menu(sandbox: SandboxBot) -> None:
    admin = sandbox.user(ADMIN_ID, "مدیر")
    replies = await sandbox.say(admin, "/cancel")
    assert replies[-1].text == t("cancel.nothing")
    assert admin.menu_labels() == ["صندوق درخواست‌ها", "گزارش دوره‌ای", "خروجی اکسل",
                                   "دعوت همکار", "همکاران", "داشبورد", "راهنما"]


@pytest.mark.parametrize("action", ["send_sticker", "send_location", "send_document"])
async def test_unexpected_messages_get_a_persian_hint(sandbox: SandboxBot, action: str) -> None:
    resident = sandbox.user(500, "زهرا")
    replies = await sandbox.act(resident, action)
    assert [r.text for r in replies] == [t("general.not_understood")]


@pytest.mark.parametrize("action", ["send_voice", "send_photo"])
async def test_a_voice_or_photo_outside_a_form_is_offered_as_a_request(
    sandbox: SandboxBot, action: str
) -> None:
    resident = sandbox.user(500, "زهرا")
    replies = await sandbox.act(resident, action)
    assert [r.text for r in replies] == [t("start.offer")]


async def test_unknown_command_and_group_messages(sandbox: SandboxBot, api: FakeBotAPI) -> None:
    resident = sandbox.user(500, "زهرا")
    assert (await sandbox.say(resident, "/foo bar"))[-1].text == t("general.unknown_command")
    group = {"id": -100123, "type": "supergroup", "title": "محله"}
    mark = api.last_seq
    resident.send_in_group(group, "/people")
    resident.send_in_group(group, "سلام")
    await sandbox.deliver()
    assert api.bot_messages(-100123, mark) == []


async def test_an_edited_message_is_deliberately_ignored(sandbox: SandboxBot) -> None:
    resident = sandbox.user(500, "زهرا")
    await sandbox.say(resident, "/start")
    mark = sandbox.api.last_seq
    resident.edit_text(1, "/people")
    await sandbox.deliver()
    assert resident.messages(mark) == []


async def test_errors_are_logged_without_text_and_the_user_is_told(
    sandbox: SandboxBot, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    resident = sandbox.user(500, "زهرا")
    api.fail_next(500, "injected: Internal Server Error", method="sendMessage")
    with caplog.at_level(logging.INFO):
        replies = await sandbox.say(resident, "/start secret-words-here")
    assert [r.text for r in replies] == [t("general.error")]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "update 1 failed" in logged or "update 1:" in logged
    assert "secret-words-here" not in logged


async def test_bale_mode_sends_no_reply_parameters(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    bale = replace(settings, messenger="bale")
    api = FakeBotAPI(reject_reply_parameters=True)
    async with SandboxBot(bale, api) as bot:
        admin = bot.user(ADMIN_ID, "مدیر")
        reply = (await bot.say(admin, "/invite facilitator pamenar"))[-1].text
        assert "https://ble.ir/tashilyar_test_bot?start=" in reply
        await bot.say(bot.user(200, "مریم"), f"/start {invite_code(reply)}")
    assert api.rejected_calls() == []
    assert not any("reply_parameters" in c.params or "parse_mode" in c.params for c in api.calls)


async def test_buttons_with_huge_or_foreign_numbers_are_stale_not_errors(
    sandbox: SandboxBot, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Forged ids too big for SQLite, or in other digits, get «this button no longer works»
    (no traceback, no apology for an error)."""
    admin = sandbox.user(ADMIN_ID, "مدیر")
    resident = sandbox.user(500, "زهرا")
    await sandbox.say(admin, "/start")
    await sandbox.say(resident, "/start")
    forged = {admin: ["req:show:" + "9" * 30, "req:st:1:resolved:" + "9" * 30,
                      "ppl:d:" + "9" * 30 + ":o", "ppl:o:۱", "req:show:²"],
              resident: ["frm:" + "9" * 40 + ":ok", "trk:show:" + "9" * 30, "trk:reopen:۱"]}
    for person, datas in forged.items():
        for data in datas:
            mark = api.last_seq
            person.tap_data(data)
            await sandbox.deliver()
            said = [m.text for m in person.messages(mark)]
            assert t("general.error") not in said, data
    assert not [r for r in caplog.records if r.exc_info], "no traceback for forged numbers"
    assert api.open_callbacks == set()
