"""The case loop between a resident and the office, through the fake messenger over real
PTB, from both phones: staff told of a new request at once; resolve and reject with a
public note and a confirmation; undo; hand-over and release; agencies from the
organisation file; a duplicate's resident following the original; the resident adding to,
withdrawing and answering «was it solved?»; emergency numbers; first-response reminders
and quiet hours; inbox filters, search and pages; nothing sent twice across a restart; and
the migration that rebuilds the request tables."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import deliver_due
from bot.locale.codes import shown_code
from bot.locale.text import t
from bot.planning import enqueue_first_response_reminders, labels_from
from bot.reports.digest import build_digest
from bot.reports.export import build_export
from bot.reports.periods import period_of
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage import requests as store
from storage.db import Database
from tests.test_requests import file_request, join, later, notices, open_card, resolve

TZ = ZoneInfo("Asia/Tehran")


def shown(code: str) -> str:
    """A tracking code as the bot writes it (isolated, so it keeps its order in a RTL line)."""
    return shown_code(code)


def staff_cards(staff: SimUser) -> list[str]:
    """The notices about requests a staff member received without asking."""
    return [m.text for m in staff.messages()
            if m.text.startswith(("📥", "🔁", "📎", "🤝", "⏰", "ساکن درخواست"))]


async def row(bot: SandboxBot, code: str) -> store.Request:
    """The request with this code, as stored."""
    assert bot.db is not None
    found = await store.by_code(bot.db, code)
    assert found is not None
    return found


async def filed_and_opened(bot: SandboxBot, resident: SimUser, staff: SimUser) -> str:
    """The resident files a request (no photo, place or phone); the staff member opens its
    card from the inbox. Its code."""
    code = await file_request(bot, resident, extras=False)
    await open_card(bot, staff)
    return code


@pytest.fixture
async def office(sandbox: SandboxBot) -> tuple[SimUser, SimUser, SimUser, SimUser]:
    """(resident Zahra, facilitators Maryam and Hamid of Sarasiab, Ali of Pamenar)."""
    zahra = sandbox.user(500, "زهرا", phone="+989131112233")
    maryam, hamid, ali = (sandbox.user(200, "مریم"), sandbox.user(202, "حمید"),
                          sandbox.user(201, "علی"))
    await join(sandbox.db, maryam, "sarasiab")
    await join(sandbox.db, hamid, "sarasiab")
    await join(sandbox.db, ali, "pamenar")
    return zahra, maryam, hamid, ali


async def test_the_facilitators_chat_receives_a_new_request_without_asking(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, hamid, ali = office
    code = await file_request(sandbox, zahra)
    filed = zahra.last.text
    # urban: the org file's times (the promise itself depends on the office's hours)
    assert "پاسخ می‌دهد و رسیدگی به درخواست‌های این موضوع تا ۱۴ روز" in filed
    for staff in (maryam, hamid):
        card = staff.last
        assert card.text.startswith("📥 درخواست تازه " + shown(code))
        assert "موضوع: آب، برق، گاز، کوچه و خیابان" in card.text and "محله: سرآسیاب" in card.text
        assert "«چراغ‌های کوچهٔ ما یک ماه است خاموش است" in card.text
        assert card.buttons() == [t("case.open")]
    assert staff_cards(ali) == []  # another office's staff are not told
    opened = (await sandbox.tap(maryam, t("case.open")))[-1]
    assert opened.text.startswith("درخواست " + shown(code)) and t("inbox.take") in opened.buttons()
    assert sandbox.db is not None
    sent = await sandbox.db.fetchall("SELECT key, status FROM outbox ORDER BY id")
    assert [tuple(r) for r in sent] == [
        (f"staff:new:{(await row(sandbox, code)).id}:{pid}", "sent")
        for pid in sorted([r[0] for r in await sandbox.db.fetchall(
            "SELECT id FROM people WHERE user_id IN (200, 202)")])]


async def test_an_emergency_number_is_shown_when_the_category_is_picked(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra = office[0]
    await sandbox.say(zahra, "ثبت درخواست")
    after = (await sandbox.tap(zahra, "آسیب اجتماعی در محله"))[-1].text
    assert t("case.emergency", numbers="اورژانس اجتماعی ۱۲۳") + "\n\nپرسش ۲" in after
    await sandbox.say(zahra, "/cancel")
    await sandbox.say(zahra, "ثبت درخواست")
    assert "☎️" not in (await sandbox.tap(zahra, "آموزش"))[-1].text


async def test_resolve_asks_for_a_note_and_a_confirmation_and_can_be_undone(
    sandbox: SandboxBot, clock: ManualClock,
    office: tuple[SimUser, SimUser, SimUser, SimUser],
) -> None:
    zahra, maryam, hamid, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    asked = (await sandbox.tap(maryam, t("inbox.to_resolved")))[-1].text
    assert asked.startswith("برای ساکن بنویسید چه کاری انجام شد")
    assert (await row(sandbox, code)).status == "received"
    summary = (await sandbox.say(maryam, "لامپ‌ها عوض شد"))[-1]
    assert t("form.confirm") in summary.buttons() and "لامپ‌ها عوض شد" in summary.text
    assert notices(zahra) == []
    done = await sandbox.tap(maryam, t("form.confirm"))
    assert done[-2].text == t("inbox.done_status", code=shown(code), status="حل شد")
    assert "وضعیت: حل شد" in done[-1].text and t("case.undo") in done[-1].buttons()
    assert notices(zahra) == []  # held for the undo window

    # A colleague sees no undo and cannot forge one.
    await sandbox.say(hamid, f"/track {code}")
    assert t("case.undo") not in hamid.last.buttons()
    request = await row(sandbox, code)
    hamid.tap_data(f"req:undo:{request.id}:{request.version}")
    await sandbox.deliver()
    assert hamid.last.text.startswith(t("case.undo_late", minutes=store.UNDO_MINUTES))

    clock.advance(timedelta(minutes=2))
    undone = (await sandbox.tap(maryam, t("case.undo")))[-1].text
    assert undone.startswith(t("case.undone", code=shown(code), status="دریافت شد"))
    assert (await row(sandbox, code)).status == "received"
    assert (await row(sandbox, code)).resolved_at is None
    assert "اصلاح: برگشت به «دریافت شد»" in undone
    await later(sandbox)
    assert notices(zahra) == []  # a slip and its undo inside the window: nothing to tell

    # Resolved again and left: one notice, with «was it solved?»
    await resolve(sandbox, maryam, "لامپ‌ها عوض شد")
    told = zahra.last
    assert told.text.startswith(f"خبر از درخواست {shown(code)}:\nوضعیت تازه: حل شد")
    assert "توضیح دفتر: لامپ‌ها عوض شد" in told.text and t("case.ask_solved") in told.text
    assert told.buttons() == [t("case.solved_yes"), t("case.solved_no"), t("case_loop.reply")]
    assert len(notices(zahra)) == 1
    await sandbox.say(maryam, f"/track {code}")
    assert t("case.undo") not in maryam.last.buttons()
    # Too late: an undo is for a few minutes (the notice went out then).


async def test_reject_asks_to_confirm_and_cancelling_it_shows_the_card_again(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    await sandbox.tap(maryam, t("inbox.to_rejected"))
    await sandbox.say(maryam, "در حوزهٔ کار دفتر نیست")
    await sandbox.tap(maryam, t("form.cancel"))
    back = await sandbox.tap(maryam, t("form.cancel_yes"))
    assert back[-1].text.startswith("درخواست " + shown(code))
    assert t("inbox.to_rejected") in back[-1].buttons()
    assert (await row(sandbox, code)).status == "received" and notices(zahra) == []


async def test_a_public_note_does_not_announce_an_unchanged_status(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "کارشناس شهرداری فردا بازدید می‌کند")
    await sandbox.tap(maryam, t("form.yes"))
    await later(sandbox)
    assert notices(zahra) == [t("case.notice_note", code=shown(code),
                                note="کارشناس شهرداری فردا بازدید می‌کند")]
    assert "وضعیت تازه" not in notices(zahra)[0]


async def test_agencies_come_from_the_org_file_and_other_asks_which(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    agencies = (await sandbox.tap(maryam, t("inbox.to_referred")))[-1].buttons()
    for name in ("شرکت آب و فاضلاب (آبفا)", "شرکت توزیع نیروی برق", "شرکت گاز", "شهرداری",
                 t("case.other_agency")):
        assert name in agencies
    asked = (await sandbox.tap(maryam, t("case.other_agency")))[-1].text
    assert asked.startswith("به کدام دستگاه ارجاع می‌دهید؟")
    await sandbox.say(maryam, "ادارهٔ ثبت احوال")
    assert (await row(sandbox, code)).status == "referred"
    await later(sandbox)
    told = notices(zahra)[-1]
    assert t("case.notice_referred", agency="ادارهٔ ثبت احوال") in told
    assert "ارجاع به سایر" not in told


async def test_hand_over_to_a_colleague_who_is_told_and_release(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, hamid, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    await sandbox.tap(maryam, t("inbox.take"))
    colleagues = (await sandbox.tap(maryam, t("case.hand")))[-1]
    assert colleagues.buttons() == ["حمید", t("inbox.back_to_card")]
    handed = (await sandbox.tap(maryam, "حمید"))[-1].text
    assert handed.startswith(t("case.handed", code=shown(code), name="حمید"))
    assert "مسئول پیگیری: حمید" in handed
    told = hamid.last
    assert told.text.startswith(f"🤝 مریم پیگیری درخواست {shown(code)} را به شما سپرد")
    assert told.buttons() == [t("case.open")]
    card = (await sandbox.tap(hamid, t("case.open")))[-1]
    released = (await sandbox.tap(hamid, t("case.release")))[-1].text
    assert card.text and released.startswith(t("case.released", code=shown(code)))
    assert (await row(sandbox, code)).assignee_id is None
    assert notices(zahra) == []  # hand-overs are internal
    assert sandbox.db is not None
    kinds = [r[0] for r in await sandbox.db.fetchall(
        "SELECT kind FROM request_events ORDER BY id")]
    assert kinds == ["filed", "assign", "handover", "release"]


async def test_a_duplicates_resident_follows_the_original(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    reza = sandbox.user(501, "رضا")
    original = await file_request(sandbox, zahra, extras=False)
    copy = await file_request(sandbox, reza, extras=False)
    await sandbox.say(maryam, "/inbox")
    await sandbox.tap(maryam, "۲")
    await sandbox.tap(maryam, t("inbox.to_duplicate"))
    await sandbox.say(maryam, original)
    await later(sandbox)
    told = reza.last
    assert "همسایه‌تان هم همین را خبر داده؛ درخواستتان همراه آن (" + shown(original) in told.text
    assert told.buttons() == [t("case.follow_button"), t("case_loop.reply")]

    followed = (await sandbox.say(reza, f"/track {original}"))[-1].text
    assert followed.startswith(f"درخواست {shown(original)}\nوضعیت: دریافت شد")
    for private in ("زهرا", "چراغ", "+98", "سرآسیاب"):
        assert private not in followed  # status and dates only
    assert (await sandbox.tap(reza, t("case.follow_button")))[-1].text == followed

    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam, told=False)
    assert reza.last.text == t("case.follow_notice", original=shown(original),
                               code=shown(copy), status="حل شد")
    assert (await sandbox.say(reza, f"/track {original}"))[-1].text.split("\n")[1] == (
        "وضعیت: حل شد")
    other = sandbox.user(502, "غریبه")
    assert (await sandbox.say(other, f"/track {original}"))[-1].text == t("request.not_found")

    # The link is kept in the trail and in the export.
    assert sandbox.db is not None
    card = (await sandbox.say(maryam, f"/track {copy}"))[-1].text
    assert "تکراری — تکراریِ " + shown(original) in card
    office_row = await offices.office_by_slug(sandbox.db, "sarasiab")
    assert office_row is not None
    today = sandbox.clock.now().astimezone(TZ).date()
    data, _ = await build_export(sandbox.db, sandbox.services.forms,
                                 office_ids=[office_row.id], start=today - timedelta(days=1),
                                 end=today + timedelta(days=1), tz=TZ, with_phones=False)
    book = load_workbook(io.BytesIO(data))
    events = list(book[t("export.events_sheet")].iter_rows(values_only=True))
    header = events[0]
    linked = [e for e in events[1:]
              if e[header.index(t("export.original"))] == shown_code(original, isolated=False)]
    # as residents quote it (a cell needs no isolates)
    assert len(linked) == 1 and linked[0][0] == shown_code(copy, isolated=False)
    requests = list(book[t("export.requests_sheet")].iter_rows(values_only=True))
    by_code = {r[0]: r for r in requests[1:]}
    assert by_code[shown_code(copy, isolated=False)][requests[0].index(
        t("export.original"))] == shown_code(original, isolated=False)

    # The resolution was a slip: the follower is told of the correction too.
    await sandbox.say(maryam, f"/track {original}")
    await sandbox.tap(maryam, t("case.undo"))
    assert reza.last.text == t("case.follow_notice", original=shown(original),
                               code=shown(copy), status="دریافت شد")


async def test_not_solved_reopens_with_the_reason_and_tells_the_office(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, hamid, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    await sandbox.tap(maryam, t("inbox.take"))
    await resolve(sandbox, maryam)
    asked = (await sandbox.tap(zahra, t("case.solved_no")))[-1].text
    assert asked.startswith("چه چیزی هنوز حل نشده است؟")
    done = (await sandbox.say(zahra, "فقط یکی از لامپ‌ها روشن شد"))[-1].text
    assert done == t("case.not_solved_done", code=shown(code))
    request = await row(sandbox, code)
    assert (request.status, request.solved, request.resolved_at) == ("in_review", "no", None)
    told = maryam.last  # the assignee is told; the colleague is not bothered
    assert told.text == t("case.staff_not_solved", code=shown(code),
                          reason="فقط یکی از لامپ‌ها روشن شد")
    assert told.buttons() == [t("case.open")]
    assert not [c for c in staff_cards(hamid) if c.startswith("🔁")]
    card = (await sandbox.tap(maryam, t("case.open")))[-1].text
    assert "ساکن: حل نشد — فقط یکی از لامپ‌ها روشن شد" in card

    # Resolved again; this time it was solved: the answer is recorded and counted.
    await resolve(sandbox, maryam, "همهٔ لامپ‌ها روشن شد")
    assert (await sandbox.tap(zahra, t("case.solved_yes")))[-1].text == t(
        "case.thanks_solved", code=shown(code))
    assert (await row(sandbox, code)).solved == "yes"
    assert (await row(sandbox, code)).status == "resolved"
    zahra.tap_data(f"trk:yes:{request.id}")
    await sandbox.deliver()
    assert list(sandbox.api.callback_answers.values())[-1]["text"] == t("case.answered")
    assert sandbox.db is not None
    office_row = await offices.office_by_slug(sandbox.db, "sarasiab")
    assert office_row is not None
    today = sandbox.clock.now().astimezone(TZ).date()
    digest = await build_digest(
        sandbox.db, office_ids=[office_row.id], scope="سرآسیاب", period=period_of("day", today),
        tz=TZ, labels=labels_from(sandbox.services.forms), overdue_days=7,
        overdue_by_category={}, now=sandbox.clock.now())
    # one request answered «حل نشد» then «حل شد»: counted once, by its latest answer
    assert (digest.figures.solved_yes, digest.figures.solved_no) == (1, 0)
    assert t("digest.solved", yes=1, no=0, rate=100, count=1) in digest.text
    assert digest.figures.first_response[0][:2] == ("urban", 1)
    assert ("اولین پاسخ دفتر: آب، برق، گاز، کوچه و خیابان: کمتر از یک ساعت (از ۱ درخواست)"
            in digest.text)


async def test_the_resident_adds_a_photo_and_withdraws(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    listing = (await sandbox.say(zahra, "پیگیری درخواست"))[-1]
    detail = (await sandbox.tap(zahra, listing.buttons()[0]))[-1]
    assert detail.buttons() == [t("case.add"), t("case.withdraw")]
    await sandbox.tap(zahra, t("case.add"))
    await sandbox.say(zahra, "امشب هم کوچه کاملاً تاریک بود")
    await sandbox.act(zahra, "send_photo")
    done = (await sandbox.tap(zahra, t("form.done")))[-1].text
    assert done.endswith("\n\n" + t("case.added", code=shown(code)))  # below the trail
    assert maryam.last.text == t("case.staff_addition", code=shown(code),
                                 what="«امشب هم کوچه کاملاً تاریک بود» + ۱ عکس")
    assert sandbox.db is not None
    photos = await store.attachments(sandbox.db, (await row(sandbox, code)).id)
    assert [p["kind"] for p in photos] == ["photo"]

    await sandbox.say(zahra, f"/track {code}")
    asked = (await sandbox.tap(zahra, t("case.withdraw")))[-1]
    assert asked.buttons() == [t("case.withdraw_yes"), t("case.withdraw_no")]
    assert (await sandbox.tap(zahra, t("case.withdraw_yes")))[-1].text == t(
        "case.withdrawn", code=shown(code))
    assert (await row(sandbox, code)).status == "withdrawn"
    assert maryam.last.text == t("case.staff_withdrawn", code=shown(code))
    assert (await sandbox.say(maryam, "/inbox"))[-1].text == t("inbox.empty")
    again = await sandbox.say(zahra, f"/track {code}")
    assert again[-1].buttons() == []  # nothing more to do with a withdrawn request


async def test_quiet_hours_hold_non_urgent_notices_and_first_responses_are_reminded(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    quiet = replace(settings, quiet_hours=(time(22, 0), time(7, 0)))
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=TZ))  # a Tuesday night
    async with SandboxBot(quiet, api, clock=clock) as bot:
        zahra, maryam = bot.user(500, "زهرا"), bot.user(200, "مریم")
        await join(bot.db, maryam, "sarasiab")
        code = await file_request(bot, zahra, extras=False)
        assert staff_cards(maryam) == []  # urban is not urgent: it waits for the morning
        assert bot.db is not None and bot.application is not None
        await bot.say(zahra, "ثبت درخواست")
        await bot.tap(zahra, "امنیت و ایمنی")  # urgent: never held
        await bot.tap(zahra, "سرآسیاب")
        await bot.say(zahra, "سیم برق کنده شده و روی زمین افتاده است، خطر برق‌گرفتگی دارد.")
        await bot.tap(zahra, t("form.skip"))
        await bot.tap(zahra, t("form.skip"))
        await bot.tap(zahra, "نه، زنگ نزنید")
        await bot.tap(zahra, t("form.confirm"))
        assert [c.split("\n")[1] for c in staff_cards(maryam)] == ["موضوع: امنیت و ایمنی"]

        clock.set(datetime(2026, 12, 2, 6, 59, tzinfo=TZ))
        assert (await deliver_due(bot.application.bot, bot.db)).sent == 0
        clock.set(datetime(2026, 12, 2, 7, 0, tzinfo=TZ))
        assert (await deliver_due(bot.application.bot, bot.db)).sent == 1
        assert staff_cards(maryam)[-1].startswith("📥 درخواست تازه " + shown(code))

        # Safety: 4 hours to a first response. Nobody answered: reminded once, by day.
        clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=TZ))
        assert await enqueue_first_response_reminders(bot.services, clock.now()) == 1
        assert await enqueue_first_response_reminders(bot.services, clock.now()) == 0
        await deliver_due(bot.application.bot, bot.db)
        reminder = maryam.last
        assert reminder.text.startswith("⏰ درخواست ") and "امنیت و ایمنی" in reminder.text
        assert reminder.buttons() == [t("case.open")]
        # Urban: 48 hours by default; taking it is a first response, so no reminder.
        await bot.say(maryam, f"/track {code}")
        await bot.tap(maryam, t("inbox.take"))
        clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=TZ))
        assert await enqueue_first_response_reminders(bot.services, clock.now()) == 0
        taken = await row(bot, code)
        assert taken.first_response_at is not None


async def test_inbox_filters_search_and_pages(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    db = sandbox.db
    assert db is not None
    sarasiab = await offices.office_by_slug(db, "sarasiab")
    assert sarasiab is not None
    hoods = await offices.neighbourhoods_of(db, sarasiab.id)
    resident = await db.fetchone("SELECT id FROM people WHERE user_id = 200")
    await sandbox.say(zahra, "/start")
    person = await db.fetchone("SELECT id FROM people WHERE user_id = 500")
    assert resident is not None and person is not None
    codes = []
    for n in range(13):
        filed, _ = await store.file_request(db, store.NewRequest(
            draft_id=-1 - n, resident_id=person[0], office_id=sarasiab.id,
            neighbourhood_id=hoods[n % len(hoods)].id,
            category="health" if n % 3 == 0 else "urban",
            description=f"شرح شمارهٔ {n}" + (" فاضلاب" if n == 7 else ""), phone=None,
            photos=[], location=None), max_open=100, max_per_day=100,
                notices=lambda _id, _code: ())
        codes.append(filed.code)
    first = (await sandbox.say(maryam, "/inbox"))[-1]
    assert first.text.startswith(t("inbox.title", count=13))
    assert t("case.page", page=1, pages=2) in first.text and t("case.next") in first.buttons()
    assert len([b for b in first.buttons() if b.isdigit() or b[0] in "۰۱۲۳۴۵۶۷۸۹"]) == 10
    second = (await sandbox.tap(maryam, t("case.next")))[-1]
    assert "۱۱. " in second.text and "۱۳. " in second.text
    assert t("case.previous") in second.buttons()
    assert "امروز" in second.text  # each line shows the request's age

    await sandbox.tap(maryam, t("case.filter_category", value="…"))
    health = (await sandbox.tap(maryam, "سلامت"))[-1].text
    assert health.startswith(t("case.title", count=5, filters="وضعیت: باز، موضوع: سلامت"))
    await sandbox.tap(maryam, t("case.filter_hood", value="…"))
    both = (await sandbox.tap(maryam, hoods[0].name))[-1].text
    expected = len([n for n in range(13) if n % 3 == 0 and n % len(hoods) == 0])
    assert both.startswith(t("case.title", count=expected, filters=(
        f"وضعیت: باز، محله: {hoods[0].name}، موضوع: سلامت")))
    await sandbox.tap(maryam, t("case.filter_status", value="…"))
    resolved = (await sandbox.tap(maryam, "حل شد"))[-1].text
    assert t("case.nothing_found") in resolved
    cleared = (await sandbox.tap(maryam, t("case.filter_clear")))[-1].text
    assert cleared.startswith(t("inbox.title", count=13))

    found = (await sandbox.say(maryam, "/inbox فاضلاب"))[-1]
    assert found.text.startswith(t("case.title_words", words="فاضلاب", count=1))
    assert shown(codes[7]) in found.text
    by_code = (await sandbox.say(maryam, f"/inbox {shown(codes[3])}"))[-1].text
    words = "\u2066" + f"{codes[3][:4]}-{codes[3][4:]}" + "\u2069"  # isolated, as typed
    assert by_code.startswith(t("case.title_words", words=words, count=1))
    assert shown(codes[3]) in by_code


async def test_nothing_is_sent_twice_across_a_restart(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    """The bot stops after the notices were owed and before they were delivered (the
    messenger failed them); the next start delivers each exactly once."""
    async with SandboxBot(settings, api, clock=clock) as bot:
        zahra, maryam = bot.user(500, "زهرا"), bot.user(200, "مریم")
        await join(bot.db, maryam, "sarasiab")
        api.fail_next(502, "injected: Bad Gateway", method="sendMessage", chat_id=maryam.id)
        code = await file_request(bot, zahra, extras=False)
        assert staff_cards(maryam) == []
    clock.advance(timedelta(minutes=5))
    async with SandboxBot(settings, api, clock=clock) as again:
        assert again.db is not None and again.application is not None
        assert (await deliver_due(again.application.bot, again.db)).sent == 1
        assert (await deliver_due(again.application.bot, again.db)).sent == 0
    clock.advance(timedelta(hours=1))
    async with SandboxBot(settings, api, clock=clock) as third:
        assert third.db is not None and third.application is not None
        assert (await deliver_due(third.application.bot, third.db)).sent == 0
        sent = await third.db.fetchall("SELECT status, attempts FROM outbox")
        assert [tuple(r) for r in sent] == [("sent", 2)]
    cards = staff_cards(maryam)
    assert len(cards) == 1 and cards[0].startswith("📥 درخواست تازه " + shown(code))


async def test_one_requests_whole_life_as_the_resident_and_the_facilitator_saw_it(
    sandbox: SandboxBot, clock: ManualClock,
    office: tuple[SimUser, SimUser, SimUser, SimUser],
) -> None:
    """A request from filing to «solved», both chats printed (`pytest -s` shows them: the
    transcript for the closing note)."""
    zahra, maryam, _, _ = office
    await sandbox.say(zahra, "/start")
    await sandbox.say(maryam, "/start")
    code = await file_request(sandbox, zahra)
    await sandbox.tap(maryam, t("case.open"))
    await sandbox.tap(maryam, t("inbox.take"))
    await sandbox.tap(maryam, t("inbox.to_referred"))
    await sandbox.tap(maryam, "شرکت توزیع نیروی برق")
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "کدام تیرها خاموش است؟ نزدیک چه پلاکی؟")
    await sandbox.tap(maryam, t("form.yes"))
    await later(sandbox)  # one notice: referred, and the office's question
    await sandbox.tap(zahra, t("case_loop.reply"))
    await sandbox.say(zahra, "سه تیر اول کوچه، روبه‌روی پلاک ۱۴")
    await sandbox.tap(zahra, t("form.done"))
    assert maryam.last.text.startswith(f"📎 ساکن به درخواست {shown(code)}")
    await sandbox.tap(maryam, t("case.open"))
    clock.advance(timedelta(hours=3))
    await sandbox.say(zahra, "پیگیری درخواست")
    await sandbox.tap(zahra, f"جزئیات {shown(code)}")
    await sandbox.tap(zahra, t("case.add"))
    await sandbox.say(zahra, "دیشب تیر چراغ کنار مدرسه هم خاموش بود")
    await sandbox.tap(zahra, t("form.done"))
    await sandbox.tap(maryam, t("case.open"))
    clock.advance(timedelta(days=1))
    await resolve(sandbox, maryam, "شرکت برق لامپ‌های کوچه را عوض کرد.")
    await sandbox.tap(zahra, t("case.solved_no"))
    await sandbox.say(zahra, "تیر کنار مدرسه هنوز خاموش است")
    await sandbox.tap(maryam, t("case.open"))
    clock.advance(timedelta(days=1))
    await resolve(sandbox, maryam, "تیر کنار مدرسه هم تعمیر شد.")
    await sandbox.tap(zahra, t("case.solved_yes"))
    request = await row(sandbox, code)
    assert (request.status, request.solved) == ("resolved", "yes")
    print("\n===== زهرا (ساکن) =====\n" + zahra.transcript())
    print("\n===== مریم (تسهیل‌گر) =====\n" + maryam.transcript())


async def test_migration_0007_keeps_every_request_its_trail_and_its_attachments(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The two rebuilt tables keep their rows, the links to them and the duplicate's
    original; the first response is taken from the trail; foreign keys still hold."""
    db = await Database.open(tmp_path / "old.db", clock=clock.now, target=6)
    try:
        await db.execute("INSERT INTO provinces VALUES (1, 'k', 'کرمان')")
        await db.execute("INSERT INTO offices (id, slug, name, province_id, city) "
                         "VALUES (1, 'o', 'دفتر', 1, 'کرمان')")
        await db.execute("INSERT INTO people (id, user_id, role, created_at, updated_at) "
                         "VALUES (1, 5, 'resident', 'x', 'x'), (2, 6, 'facilitator', 'x', 'x')")
        for rid, code, status, dup in ((1, "11112222", "received", None),
                                       (2, "33334444", "duplicate", "11112222")):
            await db.execute(
                "INSERT INTO requests (id, code, draft_id, resident_id, office_id, category, "
                "description, status, duplicate_of, created_at, updated_at) "
                "VALUES (?, ?, ?, 1, 1, 'urban', 'شرح', ?, ?, '2026-01-01T08:00:00+00:00', "
                "'2026-01-01T08:00:00+00:00')", (rid, code, rid, status, dup))
        await db.execute(
            "INSERT INTO request_events (request_id, at, actor_id, kind, new_status) VALUES "
            "(1, '2026-01-01T08:00:00+00:00', 1, 'filed', 'received'), "
            "(2, '2026-01-01T08:00:00+00:00', 1, 'filed', 'received'), "
            "(2, '2026-01-01T10:30:00+00:00', 2, 'status', 'duplicate')")
        await db.execute("INSERT INTO attachments (request_id, question, kind, file_id) "
                         "VALUES (2, 'photos', 'photo', 'f')")
        assert await db.migrate(target=7) == [7]
        copy = await store.by_id(db, 2)
        assert copy is not None and copy.duplicate_of == "11112222"
        assert copy.first_response_at == "2026-01-01T10:30:00+00:00"
        trail = await store.events(db, 2, public_only=False)
        assert [(e.kind, e.other_code) for e in trail] == [
            ("filed", None), ("status", "11112222")]
        assert [a["file_id"] for a in await store.attachments(db, 2)] == ["f"]
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk is not None and fk[0] == 1
    finally:
        await db.close()


async def test_a_closed_request_is_not_asked_for_a_note_it_cannot_take(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _, _ = office
    code = await filed_and_opened(sandbox, zahra, maryam)
    await resolve(sandbox, maryam)
    request = await row(sandbox, code)
    for data in (f"req:st:{request.id}:resolved:{request.version}",
                 f"req:rej:{request.id}:{request.version}"):
        maryam.tap_data(data)
        await sandbox.deliver()
        assert maryam.last.text.startswith(t("inbox.transition", status="حل شد"))
    assert sandbox.db is not None
    assert await sandbox.db.fetchall("SELECT id FROM drafts") == []
