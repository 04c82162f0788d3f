"""Residents' requests through the fake messenger over real PTB: filing with photo, location
and phone; triage in /inbox; notices to the resident through the outbox (failures,
retry_after, blocked residents); privacy between offices and residents; abuse limits; two
staff acting on one request at once."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import deliver_due
from bot.locale.codes import shown_code
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage.db import Database
from storage.people import create_invite, redeem_invite
from storage.requests import UNDO_MINUTES

CODE = re.compile(r"کد پیگیری: \u2066?([۰-۹]{4}-[۰-۹]{4})")


async def join(db: Database | None, user: SimUser, office_slug: str) -> None:
    """Make `user` a facilitator of the office through a real invite."""
    assert db is not None
    office = await offices.office_by_slug(db, office_slug)
    assert office is not None
    code = await create_invite(db, role="facilitator", office_id=office.id, created_by=None,
                               days=1)
    await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)


async def file_request(bot: SandboxBot, resident: SimUser, *, hood: str = "سرآسیاب",
                       share: bool = True, extras: bool = True) -> str:
    """Walk the request form as a resident; return the tracking code (ASCII digits)."""
    await bot.say(resident, "ثبت درخواست")
    await bot.tap(resident, "آب، برق، گاز، کوچه و خیابان")
    await bot.tap(resident, hood)
    await bot.say(resident, "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها کوچه تاریک است.")
    if extras:
        await bot.act(resident, "send_photo")
        await bot.tap(resident, t("form.done"))
        await bot.tap(resident, t("form.send_location"))
    else:
        await bot.tap(resident, t("form.skip"))
        await bot.tap(resident, t("form.skip"))
    if share:
        await bot.tap(resident, "بله، شماره‌ام را می‌فرستم")
        await bot.tap(resident, t("form.send_contact"))
    else:
        await bot.tap(resident, "نه، زنگ نزنید")
    filed = (await bot.tap(resident, t("form.confirm")))[-1].text
    found = CODE.search(filed)
    assert found, filed
    return to_ascii_digits(found.group(1)).replace("-", "")


async def resolve(bot: SandboxBot, staff: SimUser,
                  note: str = "لامپ‌های کوچه عوض شد و روشن است.", *, told: bool = True) -> str:
    """Tap «حل شد» on the card, write what was done, confirm; return the card shown after.
    `told`: the undo window passes, and the resident's notice goes out."""
    await bot.tap(staff, t("inbox.to_resolved"))
    await bot.say(staff, note)
    card = (await bot.tap(staff, t("form.confirm")))[-1].text
    if told:
        await later(bot)
    return card


async def later(bot: SandboxBot, minutes: int = UNDO_MINUTES) -> None:
    """The undo window passes: the resident's held notice (one for the window) goes out."""
    assert isinstance(bot.clock, ManualClock)
    bot.clock.advance(timedelta(minutes=minutes))
    assert bot.application is not None and bot.db is not None
    await deliver_due(bot.application.bot, bot.db)


async def open_card(bot: SandboxBot, staff: SimUser) -> str:
    """/inbox, then the first request's card; return the card text."""
    await bot.say(staff, "/inbox")
    return (await bot.tap(staff, "۱"))[-1].text


async def request_row(db: Database | None) -> dict[str, object]:
    """The only request, as stored."""
    assert db is not None
    rows = await db.fetchall("SELECT * FROM requests")
    assert len(rows) == 1
    return dict(rows[0])


def notices(resident: SimUser) -> list[str]:
    """The status notices the resident received."""
    return [m.text for m in resident.messages() if m.text.startswith("خبر از درخواست")]


@pytest.fixture
async def people(sandbox: SandboxBot) -> tuple[SimUser, SimUser, SimUser]:
    """(resident Zahra, facilitator Maryam of Sarasiab, facilitator Ali of Pamenar)."""
    zahra = sandbox.user(500, "زهرا", phone="+989131112233")
    maryam = sandbox.user(200, "مریم")
    ali = sandbox.user(201, "علی")
    await join(sandbox.db, maryam, "sarasiab")
    await join(sandbox.db, ali, "pamenar")
    return zahra, maryam, ali


async def test_a_request_from_filing_to_resolution_told_to_the_resident(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    db = sandbox.db
    assert db is not None
    first = await sandbox.say(zahra, "/start")
    assert zahra.menu_labels()[0] == "ثبت درخواست" and first
    code = await file_request(sandbox, zahra)
    filed = zahra.last.text
    assert re.search(r"تاریخ: [۰-۹]+ [^ ]+ [۰-۹]{4}", filed)
    row = await request_row(db)
    assert (row["code"], row["phone"], row["anonymous"], row["status"]) == (
        code, "+989131112233", 0, "received")
    kinds = [r["kind"] for r in await db.fetchall(
        "SELECT kind FROM attachments WHERE request_id = ? ORDER BY id", (row["id"],))]
    assert kinds == ["photo", "location"]

    card = await open_card(sandbox, maryam)
    assert "ثبت‌کننده: زهرا" in card and "تلفن: \u2066۰۹۱۳ ۱۱۱ ۲۲۳۳\u2069" in card
    assert "وضعیت: دریافت شد" in card
    taken = (await sandbox.tap(maryam, t("inbox.take")))[-1].text
    assert taken.startswith(t("inbox.done_take", code=card.split("\n")[0].split()[-1]))
    assert notices(zahra) == []  # taking a request is internal
    await sandbox.tap(maryam, t("inbox.to_in_review"))
    await sandbox.tap(maryam, t("inbox.to_referred"))
    await sandbox.tap(maryam, "شهرداری")
    resolved = await resolve(sandbox, maryam)
    assert "وضعیت: حل شد" in resolved

    told = notices(zahra)  # three changes inside one undo window: one message
    assert [n.split("\n")[1] for n in told] == ["وضعیت تازه: حل شد"]
    assert t("case.notice_referred", agency="شهرداری") in told[0]
    assert "توضیح دفتر: لامپ‌های کوچه عوض شد و روشن است." in told[0]
    trail = [tuple(r) for r in await db.fetchall(
        "SELECT e.kind, e.old_status, e.new_status, p.display_name FROM request_events e "
        "JOIN people p ON p.id = e.actor_id ORDER BY e.id")]
    assert trail == [("filed", None, "received", "زهرا"), ("assign", None, None, "مریم"),
                     ("status", "received", "in_review", "مریم"),
                     ("status", "in_review", "referred", "مریم"),
                     ("status", "referred", "resolved", "مریم")]

    # The resident tracks it and reopens it.
    listing = (await sandbox.say(zahra, "پیگیری درخواست"))[-1]
    assert "حل شد" in listing.text
    assert "آخرین توضیح دفتر: لامپ‌های کوچه عوض شد و روشن است." in listing.text
    detail = (await sandbox.tap(zahra, listing.buttons()[0]))[-1]
    # one «not solved» (not also «reopen»): it asks what is left and reopens the request
    assert detail.buttons() == [t("case.solved_yes"), t("case.solved_no")]
    assert "تلفن" not in detail.text
    await sandbox.tap(zahra, t("case.solved_no"))
    reopened = (await sandbox.say(zahra, "یکی از لامپ‌ها هنوز خاموش است"))[-1].text
    assert reopened.startswith("درخواست") and "دوباره باز شد" in reopened
    assert (await request_row(db))["status"] == "in_review"


async def test_another_office_cannot_see_or_change_it(
    sandbox: SandboxBot, api: FakeBotAPI, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, _, ali = people
    code = await file_request(sandbox, zahra)
    row = await request_row(sandbox.db)
    assert (await sandbox.say(ali, "/inbox"))[-1].text == t("inbox.empty")
    assert (await sandbox.say(ali, f"/track {code}"))[-1].text == t("request.not_found")
    for forged in (f"req:show:{row['id']}", f"req:st:{row['id']}:resolved:{row['version']}",
                   f"req:to:{row['id']}:police:{row['version']}"):
        ali.tap_data(forged)
    await sandbox.deliver()
    answers = [a.get("text") for a in api.callback_answers.values()]
    assert answers[-3:] == [t("access.not_yours")] * 3
    assert (await request_row(sandbox.db))["status"] == "received"


async def test_a_resident_cannot_track_someone_elses_code(
    sandbox: SandboxBot, api: FakeBotAPI, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra = people[0]
    code = await file_request(sandbox, zahra)
    reza = sandbox.user(501, "رضا")
    typed = "۱۲۳۴-۵۶۷۸" if code != "12345678" else "۸۷۶۵-۴۳۲۱"
    assert (await sandbox.say(reza, f"/track {typed}"))[-1].text == t("request.not_found")
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert (await sandbox.say(reza, f"/track {persian}"))[-1].text == t("request.not_found")
    row = await request_row(sandbox.db)
    reza.tap_data(f"trk:show:{row['id']}")
    reza.tap_data(f"trk:reopen:{row['id']}")
    await sandbox.deliver()
    answers = [a.get("text") for a in api.callback_answers.values()]
    assert answers[-2:] == [t("request.not_found")] * 2
    own = (await sandbox.say(zahra, f"/track {persian[:4]}-{persian[4:]}"))[-1].text
    assert own.startswith("درخواست ")


async def test_an_anonymous_request_shows_staff_no_name_or_number(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    await file_request(sandbox, zahra, share=False, extras=False)
    row = await request_row(sandbox.db)
    assert (row["phone"], row["anonymous"]) == (None, 1)
    card = await open_card(sandbox, maryam)
    assert "ثبت‌کننده: بی‌نام" in card
    assert "زهرا" not in card and "+98" not in card and "تلفن" not in card


async def test_limits_answer_politely(
    settings: Settings, api: FakeBotAPI
) -> None:
    strict = replace(settings, max_open_requests=2, max_requests_per_day=3)
    async with SandboxBot(strict, api) as bot:
        zahra = bot.user(500, "زهرا")
        await file_request(bot, zahra, share=False, extras=False)
        await file_request(bot, zahra, share=False, extras=False)
        refused = (await bot.say(zahra, "ثبت درخواست"))[-1].text
        assert refused == t("request.limit_open", count=2)
        assert bot.db is not None
        await bot.db.execute("UPDATE requests SET status = 'resolved'")
        await file_request(bot, zahra, share=False, extras=False)
        refused = (await bot.say(zahra, "/request"))[-1].text
        assert refused == t("request.limit_daily", count=3)
        count = await bot.db.fetchone("SELECT count(*) FROM requests")
        assert count is not None and count[0] == 3


async def test_reject_duplicate_and_notes(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    db = sandbox.db
    assert db is not None
    first = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    question = (await sandbox.tap(maryam, t("inbox.note")))[-1].text
    assert "توضیح را بنویسید" in question
    await sandbox.say(maryam, "با همسایه‌ها هم صحبت شد")
    done = await sandbox.tap(maryam, t("form.no"))  # the question edited, the card again
    assert done[-2].text.startswith(f"✔ به ساکن نشان داده شود: {t('form.no')}\n\nتوضیح داخلی")
    assert done[-1].text.startswith("درخواست ") and t("inbox.note") in done[-1].buttons()
    assert notices(zahra) == []
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "کارشناس شهرداری فردا بازدید می‌کند")
    await sandbox.tap(maryam, t("form.yes"))
    await later(sandbox)
    assert "توضیح دفتر: کارشناس شهرداری فردا بازدید می‌کند" in notices(zahra)[-1]

    second = await file_request(sandbox, zahra, extras=False)
    await sandbox.say(maryam, "/inbox")
    await sandbox.tap(maryam, "۲")
    await sandbox.tap(maryam, t("inbox.to_duplicate"))
    assert (await sandbox.say(maryam, "۹۹۹۹۹۹۹۹"))[-2].text == t(
        "inbox.duplicate_unknown", code="۹۹۹۹۹۹۹۹")
    await sandbox.say(maryam, "/inbox")
    await sandbox.tap(maryam, "۲")
    await sandbox.tap(maryam, t("inbox.to_duplicate"))
    await sandbox.say(maryam, first)
    await later(sandbox)
    assert "همسایه‌تان هم همین را خبر داده؛ درخواستتان همراه آن" in notices(zahra)[-1]

    await sandbox.say(maryam, "/inbox")
    await sandbox.tap(maryam, "۱")
    await sandbox.tap(maryam, t("inbox.to_rejected"))
    await sandbox.say(maryam, "این مورد در حوزهٔ کار دفتر نیست")
    await sandbox.tap(maryam, t("form.confirm"))
    await later(sandbox)
    assert "توضیح دفتر: این مورد در حوزهٔ کار دفتر نیست" in notices(zahra)[-1]
    statuses = {r["code"]: r["status"] for r in await db.fetchall(
        "SELECT code, status FROM requests")}
    assert statuses == {first: "rejected", second: "duplicate"}


async def test_two_staff_resolve_and_reject_at_once_and_one_wins(
    sandbox: SandboxBot, api: FakeBotAPI, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    hamid = sandbox.user(202, "حمید")
    await join(sandbox.db, hamid, "sarasiab")
    await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await open_card(sandbox, hamid)
    await sandbox.tap(hamid, t("inbox.to_rejected"))  # asks for the reason
    await sandbox.say(hamid, "این مورد در حوزهٔ کار دفتر نیست")
    await sandbox.tap(maryam, t("inbox.to_resolved"))  # asks what was done
    await sandbox.say(maryam, "لامپ‌های کوچه عوض شد.")
    mark = api.last_seq
    maryam.tap(t("form.confirm"))
    hamid.tap(t("form.confirm"))
    assert await sandbox.deliver_concurrently() == 2

    row = await request_row(sandbox.db)
    assert row["status"] in ("resolved", "rejected")
    changes = await sandbox.db.fetchall(  # type: ignore[union-attr]
        "SELECT new_status FROM request_events WHERE kind = 'status'")
    assert [r[0] for r in changes] == [row["status"]]
    told = [m.text for m in maryam.messages(mark) + hamid.messages(mark)
            if t("inbox.conflict").split("؛")[0] in m.text]
    assert len(told) == 1
    await later(sandbox)
    assert len(notices(zahra)) == 1


async def test_notices_survive_failures_and_arrive_exactly_once(
    sandbox: SandboxBot, clock: ManualClock, api: FakeBotAPI,
    people: tuple[SimUser, SimUser, SimUser],
) -> None:
    zahra, maryam, _ = people
    db = sandbox.db
    assert db is not None and sandbox.application is not None
    bot = sandbox.application.bot
    await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    api.fail_next(502, "injected: Bad Gateway", method="sendMessage", chat_id=zahra.id)
    await resolve(sandbox, maryam)
    assert notices(zahra) == []
    row = await db.fetchone("SELECT status, attempts, last_error FROM outbox WHERE chat_id = ?",
                            (zahra.id,))
    assert row is not None and tuple(row) == ("pending", 1, "NetworkError")

    # Before its retry time nothing is sent; afterwards a 429 is obeyed and it arrives once.
    assert (await deliver_due(bot, db)).sent == 0
    api.fail_next(429, "injected: Too Many Requests: retry after 1", method="sendMessage",
                  retry_after=1, chat_id=zahra.id)
    clock.advance(timedelta(minutes=1))
    assert (await deliver_due(bot, db)).sent == 1
    clock.advance(timedelta(hours=1))
    assert (await deliver_due(bot, db)).sent == 0
    assert len(notices(zahra)) == 1 and "حل شد" in notices(zahra)[0]
    row = await db.fetchone("SELECT status, attempts FROM outbox WHERE chat_id = ?",
                            (zahra.id,))
    assert row is not None and tuple(row) == ("sent", 2)
    assert [c.status for c in api.calls if c.method == "sendMessage"
            and c.params.get("chat_id") == zahra.id and c.description.startswith("injected")
            ] == [502, 429]


async def test_a_rate_limit_that_outlasts_the_retries_pauses_the_whole_outbox(
    sandbox: SandboxBot, clock: ManualClock, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """PTB's limiter sleeps through three 429s itself; the fourth reaches the outbox, which
    must then send nothing to anyone until `retry_after` has passed, and log no traceback."""
    from storage import outbox

    db = sandbox.db
    assert db is not None and sandbox.application is not None
    residents = [sandbox.user(600 + n, f"ساکن {n}") for n in range(3)]
    for resident in residents:
        await sandbox.say(resident, "/start")
    async with db.transaction() as tx:
        for resident in residents:
            await outbox.enqueue(tx, f"pause:{resident.id}", resident.id, "خبر آزمایشی",
                                 now=sandbox.clock.now())
    api.fail_next(429, "injected: Too Many Requests: retry after 1", method="sendMessage",
                  retry_after=1, count=4)
    first = await deliver_due(sandbox.application.bot, db)
    sends = [c for c in api.calls if c.method == "sendMessage"
             and c.params.get("text") == "خبر آزمایشی"]
    assert [c.status for c in sends] == [429] * 4 and (first.sent, first.retried) == (0, 1)
    gaps = [b.at - a.at for a, b in pairwise(sends)]
    assert min(gaps) >= 1.0, gaps  # the limiter waited retry_after between its attempts

    calls_before = len(api.calls)
    paused = await deliver_due(sandbox.application.bot, db)
    assert paused.sent == 0 and api.calls[calls_before:] == []  # not even another resident
    assert [len([m for m in r.messages() if m.text == "خبر آزمایشی"]) for r in residents] == [
        0, 0, 0]
    clock.advance(1.5)
    resumed = await deliver_due(sandbox.application.bot, db)
    assert resumed.sent == 3
    assert [len([m for m in r.messages() if m.text == "خبر آزمایشی"]) for r in residents] == [
        1, 1, 1]
    assert not [r for r in caplog.records if r.exc_info], "a rate limit is not a traceback"


async def test_a_blocked_resident_is_marked_undeliverable_not_retried(
    sandbox: SandboxBot, clock: ManualClock, api: FakeBotAPI,
    people: tuple[SimUser, SimUser, SimUser],
) -> None:
    zahra, maryam, _ = people
    db = sandbox.db
    assert db is not None and sandbox.application is not None
    await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    api.block(zahra.id)
    await sandbox.tap(maryam, t("inbox.to_in_review"))
    await later(sandbox)
    row = await db.fetchone("SELECT status, last_error FROM outbox WHERE chat_id = ?",
                            (zahra.id,))
    assert row is not None and tuple(row) == ("undeliverable", "Forbidden")
    before = len(api.calls)
    clock.advance(timedelta(days=1))
    report = await deliver_due(sandbox.application.bot, db)
    assert report.sent == report.retried == 0
    assert not [c for c in api.calls[before:] if c.params.get("chat_id") == zahra.id]


async def test_long_requests_still_fit_and_media_reach_staff(
    sandbox: SandboxBot, api: FakeBotAPI, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    await sandbox.say(zahra, "ثبت درخواست")
    await sandbox.tap(zahra, "سلامت")
    await sandbox.tap(zahra, "سرآسیاب")
    await sandbox.say(zahra, "آب آشامیدنی کوچه آلوده است و بچه‌ها بیمار شده‌اند. " * 28)
    await sandbox.act(zahra, "send_photo")
    await sandbox.tap(zahra, t("form.done"))
    await sandbox.tap(zahra, t("form.send_location"))
    await sandbox.tap(zahra, "نه، زنگ نزنید")
    await sandbox.tap(zahra, t("form.confirm"))
    for number in range(4):
        await open_card(sandbox, maryam)
        await sandbox.tap(maryam, t("inbox.note"))
        await sandbox.say(maryam, f"بازدید {number}: " + "نمونه‌برداری از آب انجام شد. " * 25)
        await sandbox.tap(maryam, t("form.yes"))
    card = await open_card(sandbox, maryam)
    assert len(card) <= 4096 and card.startswith("درخواست ")
    media = await sandbox.tap(maryam, t("inbox.media"))
    assert [m.kind for m in media] == ["photo", "location"]
    detail = (await sandbox.say(zahra, "پیگیری درخواست"))[-1]
    assert len((await sandbox.tap(zahra, detail.buttons()[0]))[-1].text) <= 4096


async def test_a_pasted_code_is_tracked_and_only_the_office_sees_the_phone(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, _, _ = people
    code = await file_request(sandbox, zahra, extras=False)
    shown = f"{code[:4]}-{code[4:]}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert (await sandbox.say(zahra, shown))[-1].text.startswith(
        f"درخواست {shown_code(code)}")
    admin = sandbox.user(1, "مدیر")
    card = await open_card(sandbox, admin)
    assert "ثبت‌کننده: زهرا" in card and "تلفن" not in card


async def test_staff_mid_form_tapping_reject_is_offered_to_finish_first(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = people
    await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await sandbox.say(maryam, "/report")
    offer = (await sandbox.tap(maryam, t("inbox.to_rejected")))[-1]
    assert offer.text.startswith("اول «گزارش میدانی» نیمه‌تمام")
    assert (await request_row(sandbox.db))["status"] == "received"


async def test_confirm_tapped_again_gives_the_same_tracking_code_to_its_owner_only(
    sandbox: SandboxBot, people: tuple[SimUser, SimUser, SimUser]
) -> None:
    """The confirmation was lost (dropped connection, restarted bot): the resident taps
    «ثبت نهایی» again and is told the same code; nothing is filed twice, and nobody else
    can fetch the code with the same button data."""
    zahra = people[0]
    code = await file_request(sandbox, zahra, share=False, extras=False)
    summary = next(m for m in reversed(zahra.messages()) if t("form.confirm") in m.buttons())
    data = next(b["callback_data"] for row in summary.inline_keyboard for b in row
                if b["text"] == t("form.confirm"))
    again = (await sandbox.tap(zahra, t("form.confirm")))[-1].text
    found = CODE.search(again)
    assert found and to_ascii_digits(found.group(1)).replace("-", "") == code
    assert (await request_row(sandbox.db))["code"] == code  # still exactly one request

    stranger = sandbox.user(777, "غریبه")
    await sandbox.say(stranger, "/start")
    mark = sandbox.api.last_seq
    stranger.tap_data(data)
    await sandbox.deliver()
    assert not any(CODE.search(m.text) for m in stranger.messages(mark))
    toast = [c.params.get("text") for c in sandbox.api.calls
             if c.method == "answerCallbackQuery"][-1]
    assert toast == t("access.stale_button")
