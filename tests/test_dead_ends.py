"""The dead ends of issue 20, through the fake messenger over real PTB: no duplicate of a
closed request; stale buttons answered with the present state and the next step; one
«حل نشد»; the inbox search over closed requests; filters on an empty inbox; staff moving a
request to another category, neighbourhood or office."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.locale.codes import shown_code
from bot.locale.text import t
from bot.sandbox import SandboxBot, SimUser
from storage import requests as store
from tests.test_requests import file_request, join, later, notices, open_card, resolve


async def row(bot: SandboxBot, code: str) -> store.Request:
    """The request with this code, as stored."""
    assert bot.db is not None
    found = await store.by_code(bot.db, code)
    assert found is not None
    return found


@pytest.fixture
async def office(sandbox: SandboxBot) -> tuple[SimUser, SimUser, SimUser]:
    """(resident Zahra, facilitator Maryam of Sarasiab, facilitator Ali of Pamenar)."""
    zahra = sandbox.user(500, "زهرا", phone="+989131112233")
    maryam, ali = sandbox.user(200, "مریم"), sandbox.user(201, "علی")
    await join(sandbox.db, maryam, "sarasiab")
    await join(sandbox.db, ali, "pamenar")
    return zahra, maryam, ali


async def test_no_duplicate_of_a_closed_request(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = office
    reza = sandbox.user(501, "رضا")
    original = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    copy = await file_request(sandbox, reza, extras=False)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.to_duplicate"))
    refused = await sandbox.say(maryam, original)
    assert any(m.text.startswith(t("case_loop.duplicate_closed", code=shown_code(original),
                                   status="حل شد")) for m in refused)
    assert (await row(sandbox, copy)).status == "received"
    assert notices(reza) == []
    assert refused[-1].text.startswith("درخواست " + shown_code(copy))  # the card again


async def test_an_old_was_it_solved_says_what_now(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    """The old «was it solved?» of a resolution the resident already answered «not solved»
    to: the present state and its next steps, not a bare refusal."""
    zahra, maryam, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    asked = zahra.last
    await sandbox.tap(zahra, t("case.solved_no"))
    await sandbox.say(zahra, "هنوز یکی از چراغ‌ها خاموش است")
    zahra.tap_data(next(b["callback_data"] for r in asked.inline_keyboard for b in r
                        if b["text"] == t("case.solved_yes")), asked.message_id)
    await sandbox.deliver()
    answer = zahra.last
    assert answer.text.startswith(t("case_loop.stale_open", code=shown_code(code),
                                    status="در حال بررسی"))
    assert "وضعیت: در حال بررسی" in answer.text
    assert answer.buttons() == [t("case.add"), t("case.withdraw")]  # the next steps
    assert (await row(sandbox, code)).solved == "no"


async def test_a_slip_and_its_undo_tell_the_resident_nothing_and_changes_come_as_one(
    sandbox: SandboxBot, clock: ManualClock, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam, told=False)
    clock.advance(timedelta(minutes=1))
    await sandbox.tap(maryam, t("case.undo"))
    await later(sandbox)
    assert notices(zahra) == []
    await sandbox.tap(maryam, t("inbox.to_in_review"))
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "فردا کارشناس می‌آید")
    await sandbox.tap(maryam, t("form.yes"))
    await later(sandbox)
    assert notices(zahra) == ["\n".join([
        t("case_loop.notice_head", code=shown_code(code)),
        t("case_loop.notice_new_status", status="در حال بررسی"),
        t("request.notice_note", note="فردا کارشناس می‌آید")])]


async def test_one_not_solved_button_and_a_withdrawn_requests_old_buttons(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    await sandbox.tap(zahra, t("case.solved_yes"))
    card = (await sandbox.say(zahra, f"/track {code}"))[-1]
    assert card.buttons() == [t("case.solved_no")]
    assert t("request.reopen") not in card.buttons()

    other = await file_request(sandbox, zahra, extras=False)
    await sandbox.say(zahra, f"/track {other}")
    await sandbox.tap(zahra, t("case.withdraw"))
    await sandbox.tap(zahra, t("case.withdraw_yes"))
    request = await row(sandbox, other)
    zahra.tap_data(f"trk:add:{request.id}")
    await sandbox.deliver()
    assert zahra.last.text.startswith(t("case_loop.stale_closed_new", code=shown_code(other),
                                        status="پس گرفته شد"))


async def test_the_inbox_search_finds_closed_requests_and_filters_are_always_there(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, ali = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await resolve(sandbox, maryam)
    empty = (await sandbox.say(maryam, "/inbox"))[-1]
    assert empty.text == t("inbox.empty")
    assert t("case.filter_status", value="…") in empty.buttons()
    found = (await sandbox.say(maryam, "/inbox چراغ"))[-1]
    assert found.text.startswith(t("case.title_words", words="چراغ", count=1))
    assert shown_code(code) in found.text and "حل شد" in found.text
    by_code = (await sandbox.say(maryam, f"/inbox {code}"))[-1].text
    assert shown_code(code) in by_code
    assert t("case.title_words", words="چراغ", count=0) in (
        await sandbox.say(ali, "/inbox چراغ"))[-1].text  # another office's stay hidden
    await sandbox.tap(maryam, t("case.filter_status", value="…"))
    resolved = (await sandbox.tap(maryam, "حل شد"))[-1].text
    assert shown_code(code) in resolved


async def test_staff_correct_the_category_neighbourhood_and_office(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, ali = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    what = (await sandbox.tap(maryam, t("case_loop.move")))[-1]
    assert what.text.startswith(t("case_loop.move_what", code=shown_code(code),
                                  category="آب، برق، گاز، کوچه و خیابان", hood="سرآسیاب",
                                  office=(await row(sandbox, code)).office_name))
    await sandbox.tap(maryam, t("case_loop.move_category"))
    done = (await sandbox.tap(maryam, "سلامت"))[-1].text
    change = t("case_loop.moved_category", old="آب، برق، گاز، کوچه و خیابان", new="سلامت")
    assert done.startswith(t("case_loop.moved", code=shown_code(code), what=change))
    assert "موضوع: سلامت" in done and t("case_loop.trail_moved", what=change) in done
    assert (await row(sandbox, code)).category == "health"
    await later(sandbox)
    assert zahra.last.text == t("case_loop.notice_head", code=shown_code(code)) + "\n" + t(
        "case_loop.notice_moved_line", what=change)
    assert zahra.last.buttons() == [t("case_loop.reply")]

    # to another office: its staff told with «open»; the first office lets it go
    await sandbox.tap(maryam, t("case_loop.move"))
    await sandbox.tap(maryam, t("case_loop.move_office"))
    pamenar = next(b for b in maryam.last.buttons() if "پامنار" in b)
    moved = (await sandbox.tap(maryam, pamenar))[-1]
    assert moved.text.startswith(t("case_loop.moved_away", code=shown_code(code),
                                   office=pamenar))
    assert moved.buttons() == [t("inbox.back")]
    request = await row(sandbox, code)
    assert (request.office_name, request.neighbourhood_id, request.assignee_id) == (
        pamenar, None, None)
    told = ali.last
    assert told.text.startswith(f"📥 درخواست {shown_code(code)} از ")
    assert told.buttons() == [t("case.open")]
    card = (await sandbox.tap(ali, t("case.open")))[-1]
    assert t("inbox.take") in card.buttons()
    assert (await sandbox.say(maryam, "/inbox"))[-1].text == t("inbox.empty")
    await later(sandbox)
    assert "دفتر از" in zahra.last.text
    # a forged move back by the old office is refused
    maryam.tap_data(f"req:mvo:{request.id}:{request.version}:{request.version}")
    await sandbox.deliver()
    assert (await row(sandbox, code)).office_name == pamenar


async def test_internal_notes_are_marked_on_the_staff_card_and_hidden_from_the_resident(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "کلید انبار پیش حمید است")
    card = (await sandbox.tap(maryam, t("form.no")))[-1].text
    assert t("case_loop.trail_note_internal", note="کلید انبار پیش حمید است") in card
    await sandbox.tap(maryam, t("inbox.note"))
    await sandbox.say(maryam, "فردا بازدید داریم")
    card = (await sandbox.tap(maryam, t("form.yes")))[-1].text
    assert t("request.trail_note", note="فردا بازدید داریم") in card
    mine = (await sandbox.say(zahra, f"/track {code}"))[-1].text
    assert "کلید انبار" not in mine and "فردا بازدید داریم" in mine


async def test_a_corrected_request_exports_with_its_correction_named(
    sandbox: SandboxBot, office: tuple[SimUser, SimUser, SimUser]
) -> None:
    """The trail's «moved» event has its own column label in the export (a KeyError once
    broke /export after a correction)."""
    import io
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from bot.reports.export import build_export

    zahra, maryam, _ = office
    code = await file_request(sandbox, zahra, extras=False)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("case_loop.move"))
    await sandbox.tap(maryam, t("case_loop.move_category"))
    await sandbox.tap(maryam, "سلامت")
    request = await row(sandbox, code)
    tz = ZoneInfo("Asia/Tehran")
    today = sandbox.clock.now().astimezone(tz).date()
    data, _ = await build_export(sandbox.db, sandbox.services.forms,
                                 office_ids=[request.office_id], start=today - timedelta(days=1),
                                 end=today + timedelta(days=1), tz=tz, with_phones=False)
    book = load_workbook(io.BytesIO(data))
    cells = {c for r in book[t("export.events_sheet")].iter_rows(values_only=True) for c in r}
    assert t("export.kind_moved") in cells
