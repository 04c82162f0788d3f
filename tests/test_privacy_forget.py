"""Forgetting a resident: they file requests through the chat (a phone number, photos, a
voice note, a location), one is resolved, they add a note to the other; then they are
forgotten, and every table and every column of the database is read for their messenger id,
phone number (in any digits) and name. None is left; the office keeps both requests (the
open one marked as from a resident who can no longer be reached) and the digest's counts do
not change."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.delivery import deliver_due
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import t
from bot.planning import labels_from
from bot.privacy import removed_message, resident_label, unreachable_notice
from bot.reports.digest import Digest, build_digest
from bot.reports.periods import period_of
from bot.sandbox import SandboxBot, SimUser
from storage import offices, privacy
from storage import requests as store
from storage.requests import Owed
from tests.privacy_scan import national, scan
from tests.test_requests import CODE, join, open_card, resolve

TZ = ZoneInfo("Asia/Tehran")
RESIDENT_ID = 735912468
NAME = "نرگس"
PHONE = "+989137654321"
DESCRIPTION = "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها کوچه تاریک است."


async def file_with_everything(bot: SandboxBot, resident: SimUser) -> str:
    """A request through the chat with two photos, a voice note, a location and the
    resident's phone; its code (ASCII digits)."""
    await bot.say(resident, "ثبت درخواست")
    await bot.tap(resident, "آب، برق، گاز، کوچه و خیابان")
    await bot.tap(resident, "سرآسیاب")
    await bot.say(resident, DESCRIPTION)
    await bot.act(resident, "send_photo")
    await bot.act(resident, "send_photo")
    await bot.act(resident, "send_voice")
    await bot.tap(resident, t("form.done"))
    await bot.tap(resident, t("form.send_location"))
    await bot.tap(resident, "بله، شماره‌ام را می‌فرستم")
    await bot.tap(resident, t("form.send_contact"))
    filed = (await bot.tap(resident, t("form.confirm")))[-1].text
    found = CODE.search(filed)
    assert found, filed
    return to_ascii_digits(found.group(1)).replace("-", "")


async def digest_of_today(bot: SandboxBot) -> Digest:
    """Today's digest of Sarasiab's office."""
    assert bot.db is not None
    office = await offices.office_by_slug(bot.db, "sarasiab")
    assert office is not None
    today = bot.clock.now().astimezone(TZ).date()
    return await build_digest(
        bot.db, office_ids=[office.id], scope="سرآسیاب", period=period_of("day", today),
        tz=TZ, labels=labels_from(bot.services.forms), overdue_days=7,
        overdue_by_category={}, now=bot.clock.now())


@pytest.fixture
async def filed(sandbox: SandboxBot) -> tuple[SimUser, SimUser, str, str]:
    """(resident Narges, facilitator Maryam, the resolved request's code, the open one's):
    both filed with photos, a voice note, a location and her phone; to the open one she added
    a photo and a note with her number in Persian digits."""
    narges = sandbox.user(RESIDENT_ID, NAME, phone=PHONE)
    maryam = sandbox.user(200, "مریم")
    await join(sandbox.db, maryam, "sarasiab")
    closed = await file_with_everything(sandbox, narges)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    still_open = await file_with_everything(sandbox, narges)
    assert sandbox.db is not None
    request = await store.by_code(sandbox.db, still_open)
    assert request is not None
    await store.add_from_resident(sandbox.db, request, resident_id=request.resident_id,
                                  note="شمارهٔ دیگرم: ۰۹۱۳ ۷۶۵ ۴۳۲۱، عصرها خانه‌ام.",
                                  photos=[("extra-photo-id", "extra-unique")], notices=[])
    await sandbox.deliver()
    return narges, maryam, closed, still_open


async def test_a_forgotten_resident_leaves_no_id_phone_or_name_in_any_table(
    sandbox: SandboxBot, filed: tuple[SimUser, SimUser, str, str]
) -> None:
    narges, maryam, closed_code, open_code = filed
    db = sandbox.db
    assert db is not None
    before = await scan(db, messenger_ids=[RESIDENT_ID], phones=[PHONE], names=[NAME])
    tables = {f.table for f in before}
    assert {"people", "requests", "outbox", "request_events"} <= tables  # the scan sees them
    digest_before = await digest_of_today(sandbox)
    person = await store.by_code(db, open_code)
    assert person is not None

    def tell_office(request_id: int, code: str, office_id: int) -> list[Owed]:
        return [Owed(f"staff:forgotten:{request_id}:200", maryam.id, unreachable_notice(code))]

    forgotten = await privacy.forget_person(db, person.resident_id, notices=tell_office)
    await deliver_due(sandbox.application.bot, db)

    assert await scan(db, messenger_ids=[RESIDENT_ID], phones=[PHONE], names=[NAME]) == []
    assert forgotten.removed["phones"] == 2 and forgotten.removed["photos"] == 2
    assert forgotten.removed["voices"] == 1 and forgotten.removed["locations"] == 1
    assert forgotten.removed["texts"] == 1 and forgotten.removed["name"] == 1
    assert [code for _id, code, _office in forgotten.open_requests] == [open_code]
    told = removed_message(forgotten.removed, backup_keep=7)
    assert "شمارهٔ تماس: ۲" in told and "۷ روز" in told

    # The office keeps both requests; the open one still has its text and photos.
    kept_open = await store.by_code(db, open_code)
    kept_closed = await store.by_code(db, closed_code)
    assert kept_open is not None and kept_closed is not None
    assert (kept_open.status, kept_closed.status) == ("received", "resolved")
    assert kept_open.description == DESCRIPTION and kept_open.phone is None
    assert kept_closed.description == "" and kept_closed.category == "urban"
    assert kept_closed.neighbourhood_name == "سرآسیاب"
    assert [r["kind"] for r in await store.attachments(db, kept_closed.id)] == []
    assert len(await store.attachments(db, kept_open.id)) == 5  # 2+1 photos, voice, place
    assert resident_label(kept_open.resident_name, True) == "ساکن (حذف‌شده)"
    assert await privacy.request_flags(db, kept_open.id) == (True, False)
    assert await privacy.request_flags(db, kept_closed.id) == (True, True)
    assert maryam.last.text == unreachable_notice(open_code)

    digest_after = await digest_of_today(sandbox)
    assert digest_after.figures == digest_before.figures
    assert digest_after.text == digest_before.text

    # Writing again, she is a new resident with nothing of the old one.
    await sandbox.say(narges, "/start")
    again = await db.fetchall("SELECT id FROM people WHERE user_id = ?", (RESIDENT_ID,))
    assert len(again) == 1 and again[0]["id"] != person.resident_id
    assert await store.for_resident(db, again[0]["id"]) == []
    assert (await privacy.forget_person(db, person.resident_id)).removed == {}


async def test_the_scan_finds_a_phone_in_any_digits_and_a_name_as_a_word(
    sandbox: SandboxBot
) -> None:
    db = sandbox.db
    assert db is not None
    await db.execute("CREATE TABLE later_added (id INTEGER PRIMARY KEY, a TEXT, b BLOB, c INT)")
    rows = [("تماس: ۰۹۱۳-۷۶۵-۴۳۲۱", None, None), ("٠٩١٣٧٦٥٤٣٢١", None, None),
            ("0098 913 765 4321", None, None), ("نرگسستان", None, None),
            ("خانم نرگس گفت", None, None), (None, b"id 735912468", None),
            (None, None, RESIDENT_ID), ("کد ۱۲۳۴-۵۶۷۸ و ۹۱۳۷۶", None, None)]
    await db.executemany("INSERT INTO later_added (a, b, c) VALUES (?, ?, ?)", rows)
    found = [(f.row, f.what) for f in await scan(db, messenger_ids=[RESIDENT_ID],
                                                  phones=["۰۹۱۳ ۷۶۵ ۴۳۲۱"], names=[NAME])
             if f.table == "later_added"]
    assert found == [(1, "phone"), (2, "phone"), (3, "phone"), (5, f"name {NAME}"),
                     (6, "messenger id"), (7, "messenger id")]
    assert national("+98 913 765 4321") == national("09137654321") == "9137654321"


async def test_forgetting_by_the_store_alone_scrubs_the_residents_reasons(
    sandbox: SandboxBot
) -> None:
    """The same without the chat: a resolved request the resident answered «حل نشد» (with a
    reason naming her number) and which was resolved again."""
    from tests.test_privacy_retention import filed_and_resolved, personal

    db = sandbox.db
    assert db is not None
    request = await filed_and_resolved(sandbox, 7001, 1)
    reopened = await store.answer(db, request, resident_id=request.resident_id, solved=False,
                                  reason="هنوز خاموش است؛ با ۰۹۱۳۰۰۰۰۰۰۱ تماس بگیرید",
                                  notices=[])
    staff = await db.fetchone("SELECT id FROM people WHERE user_id = 900")
    assert staff is not None
    await store.change_status(db, reopened, "resolved", actor_id=staff[0], note="درست شد",
                              notices=[])
    needles = personal(1) | {"messenger_ids": [7001], "names": ["ساکن1"]}
    found = {f.table for f in await scan(db, **needles)}
    assert found >= {"people", "requests", "request_events", "attachments"}
    forgotten = await privacy.forget_person(db, request.resident_id)
    assert await scan(db, **needles) == []
    assert forgotten.open_requests == () and forgotten.removed["notes"] == 3
    kept = await store.by_code(db, request.code)
    assert kept is not None and (kept.status, kept.category) == ("resolved", "urban")
