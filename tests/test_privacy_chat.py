"""Privacy in the chat (issue 23), driven through the fake messenger: the «حریم خصوصی» note
at first contact and in a resident's help; /forget and «حذف اطلاعات من» with a
confirmation; after it, every table and every column of the database (sessions, referrals,
API keys, the outbox and PTB's persistence included) holds none of the resident's messenger
id, phone number (in any digits) or name, while the office keeps the requests and the
digest's counts; a sensitive category's note; a card that shows a phone logged."""

from __future__ import annotations

from bot.delivery import deliver_due
from bot.locale.text import t
from bot.privacy import unreachable_notice
from bot.sandbox import SandboxBot
from storage import privacy
from storage import requests as store
from tests.privacy_scan import scan
from tests.test_privacy_forget import (
    DESCRIPTION,
    NAME,
    PHONE,
    RESIDENT_ID,
    digest_of_today,
    file_with_everything,
)
from tests.test_requests import join, open_card, resolve

MUST_READ = {"people", "requests", "request_events", "attachments", "outbox", "drafts",
             "web_sessions", "web_login_links", "referrals", "api_keys", "ptb_conversations",
             "ptb_user_data", "ptb_chat_data", "access_log", "audit_log"}


async def test_the_note_at_first_contact_and_in_help_with_the_forget_button(
    sandbox: SandboxBot
) -> None:
    resident = sandbox.user(RESIDENT_ID, NAME)
    first = (await sandbox.say(resident, "/start"))[-1].text
    assert "حریم خصوصی" in first and "/forget" in first and "۳۶۵ روز" in first
    assert "حریم خصوصی" not in (await sandbox.say(resident, "سلام"))[-1].text  # told once
    helped = (await sandbox.say(resident, "/help"))[-1]
    assert "حریم خصوصی" in helped.text
    assert t("privacy_chat.forget_button") in helped.buttons()
    asked = (await sandbox.tap(resident, t("privacy_chat.forget_button")))[-1]
    assert asked.text == t("privacy_chat.confirm")
    kept = (await sandbox.tap(resident, t("privacy_chat.no")))[-1]
    assert kept.text == t("privacy_chat.kept")
    assert await sandbox.db.fetchone(  # type: ignore[union-attr]
        "SELECT 1 FROM people WHERE user_id = ?", (RESIDENT_ID,)) is not None
    staff = sandbox.user(200, "مریم")
    await join(sandbox.db, staff, "sarasiab")
    refused = (await sandbox.say(staff, "/forget"))[-1].text
    assert refused == t("access.denied", role=t("role.facilitator"))


async def test_forget_through_the_chat_leaves_nothing_of_her_in_any_table(
    sandbox: SandboxBot
) -> None:
    db = sandbox.db
    assert db is not None
    narges = sandbox.user(RESIDENT_ID, NAME, phone=PHONE)
    maryam = sandbox.user(200, "مریم")
    await join(db, maryam, "sarasiab")
    await sandbox.say(narges, "/start")
    closed = await file_with_everything(sandbox, narges)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    still_open = await file_with_everything(sandbox, narges)
    await sandbox.say(maryam, "/dashboard")  # a dashboard session (its table read too)
    await sandbox.say(narges, "ثبت درخواست")  # an unfinished form: a draft and a conversation
    await sandbox.deliver()
    await sandbox.application.update_persistence()
    needles = {"messenger_ids": [RESIDENT_ID], "phones": [PHONE], "names": [NAME]}
    assert {f.table for f in await scan(db, **needles)} >= {  # type: ignore[arg-type]
        "people", "requests", "outbox", "ptb_conversations"}
    assert await db.fetchone("SELECT 1 FROM drafts") is not None
    digest_before = await digest_of_today(sandbox)

    asked = (await sandbox.say(narges, "/forget"))[-1]
    assert asked.text == t("privacy_chat.confirm")
    told = (await sandbox.tap(narges, t("privacy_chat.yes")))[-1].text
    assert told.startswith("اطلاعات شما پاک شد") and "نسخه‌های پشتیبان تا ۷ روز" in told
    assert "شمارهٔ تماس: ۲" in told and "عکس: ۲" in told and "پیام صوتی: ۱" in told
    await deliver_due(sandbox.application.bot, db)
    await sandbox.application.update_persistence()

    tables = {r[0] for r in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert MUST_READ <= tables, MUST_READ - tables  # the scan reads every one of them
    findings = await scan(db, **needles)  # type: ignore[arg-type]
    assert findings == [], "\n".join(map(str, findings))
    assert await db.fetchone("SELECT 1 FROM drafts") is None

    kept_open, kept_closed = await store.by_code(db, still_open), await store.by_code(db, closed)
    assert kept_open is not None and kept_closed is not None
    assert (kept_open.status, kept_closed.status) == ("received", "resolved")
    assert kept_open.description == DESCRIPTION and kept_open.phone is None
    assert kept_closed.description == "" and kept_closed.neighbourhood_name == "سرآسیاب"
    assert await privacy.request_flags(db, kept_open.id) == (True, False)
    assert maryam.last.text == unreachable_notice(still_open)
    digest_after = await digest_of_today(sandbox)
    assert digest_after.figures == digest_before.figures

    # Her card, opened by the office, names «ساکن (حذف‌شده)»; a change tells her nothing.
    sent_before = len(narges.messages())
    card = await open_card(sandbox, maryam)
    assert "حذف‌شده" in card or "ناشناس" in card
    await resolve(sandbox, maryam)
    await sandbox.deliver()
    assert len(narges.messages()) == sent_before
    assert await db.fetchone("SELECT 1 FROM outbox WHERE chat_id < 0") is None

    # Writing again, she is a stranger with nothing of the old one.
    again = (await sandbox.say(narges, "سلام"))[-1].text
    assert "حریم خصوصی" in again
    assert (await sandbox.say(narges, "/track"))[-1].text != ""
    rows = await db.fetchall("SELECT id FROM people WHERE user_id = ?", (RESIDENT_ID,))
    assert len(rows) == 1 and await store.for_resident(db, rows[0]["id"]) == []


async def test_a_sensitive_category_tells_the_resident_who_will_see_it(
    sandbox: SandboxBot
) -> None:
    org = sandbox.services.org
    sensitive = next(c for c in _categories(sandbox) if org.is_sensitive(c[0]))
    ordinary = next(c for c in _categories(sandbox) if not org.is_sensitive(c[0]))
    resident = sandbox.user(RESIDENT_ID, NAME)
    await sandbox.say(resident, "ثبت درخواست")
    after = (await sandbox.tap(resident, sensitive[1]))[-1].text
    assert t("privacy.sensitive_category") in after
    await sandbox.say(resident, "/cancel")
    await sandbox.say(resident, "ثبت درخواست")
    after = (await sandbox.tap(resident, ordinary[1]))[-1].text
    assert t("privacy.sensitive_category") not in after


def _categories(bot: SandboxBot) -> list[tuple[str, str]]:
    form = bot.services.forms["resident_request"]
    question = form.question("category")
    assert question is not None
    return [(c.value, c.label) for c in question.choices]


async def test_a_card_with_a_phone_is_a_recorded_look(sandbox: SandboxBot) -> None:
    db = sandbox.db
    assert db is not None
    narges = sandbox.user(RESIDENT_ID, NAME, phone=PHONE)
    maryam = sandbox.user(200, "مریم")
    await join(db, maryam, "sarasiab")
    await file_with_everything(sandbox, narges)
    await open_card(sandbox, maryam)
    looks = await privacy.looks(db)
    assert [(x.kind, x.through, x.person_name) for x in looks] == [("phone", "chat", "مریم")]
    mine = await privacy.looks(db, person=looks[0].person_id)
    assert len(mine) == 1 and mine[0].request_code is not None


async def test_a_colleague_who_leaves_sees_nothing_and_their_requests_return(
    sandbox: SandboxBot
) -> None:
    """Deactivating Maryam ends her dashboard session, puts the request she took back in the
    office's pool (Reza told, through the outbox), and she sees nothing of it any more."""
    from bot.access import may_see_request, scope
    from bot.cases import shown_code
    from storage.people import get_person
    from storage.sessions import create_session, session_of
    from tests.conftest import ADMIN_ID

    db = sandbox.db
    assert db is not None
    admin = sandbox.user(ADMIN_ID, "مدیر")
    maryam, reza = sandbox.user(200, "مریم"), sandbox.user(201, "رضا")
    await join(db, maryam, "sarasiab")
    await join(db, reza, "sarasiab")
    code = await file_with_everything(sandbox, sandbox.user(RESIDENT_ID, NAME, phone=PHONE))
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.take"))
    person = await get_person(db, 200)
    assert person is not None
    token, _ = await create_session(db, person.id)
    assert await session_of(db, token) is not None
    request = await store.by_code(db, code)
    assert request is not None and request.assignee_id == person.id

    await sandbox.say(admin, "/people")
    await sandbox.tap(admin, "دفتر تسهیل‌گری سرآسیاب (۲ نفر)")
    await sandbox.tap(admin, t("people.deactivate", name="مریم"))
    await sandbox.deliver()

    assert await session_of(db, token) is None
    back = await store.by_code(db, code)
    assert back is not None and back.assignee_id is None and back.status == "received"
    assert reza.last.text == t("privacy_chat.returned", code=shown_code(code), name="مریم")
    left = await get_person(db, 200)
    assert left is not None and not left.active
    assert not await may_see_request(db, left, back)
    assert (await scope(db, left)).office_ids == set()
    assert [r.text for r in await sandbox.say(maryam, "/inbox")] == [t("access.deactivated")]


async def test_admins_are_told_each_month_how_many_looks_and_by_whom(
    sandbox: SandboxBot
) -> None:
    from bot.privacy import owe_admin_looks
    from tests.conftest import ADMIN_ID

    db = sandbox.db
    assert db is not None
    admin = sandbox.user(ADMIN_ID, "مدیر")
    await sandbox.say(admin, "/start")
    narges = sandbox.user(RESIDENT_ID, NAME, phone=PHONE)
    maryam = sandbox.user(200, "مریم")
    await join(db, maryam, "sarasiab")
    await file_with_everything(sandbox, narges)
    await open_card(sandbox, maryam)  # a card with her phone: one look
    today = sandbox.clock.now().astimezone(sandbox.services.settings.timezone).date()
    assert await owe_admin_looks(sandbox.services, "month:test", today, today,
                                 sandbox.clock.now()) == 1
    assert sandbox.application is not None
    await deliver_due(sandbox.application.bot, db)
    assert admin.last.text.startswith("🔍") and "مریم ۱" in admin.last.text
    assert await owe_admin_looks(sandbox.services, "month:test", today, today,
                                 sandbox.clock.now()) == 0  # owed once
    await sandbox.say(admin, "/digest")
    shown = (await sandbox.tap(admin, t("digest.this_month")))
    assert any("مریم ۱" in m.text for m in shown)
