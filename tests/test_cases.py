"""The case service without a bot: every action on a request, whom it tells and with what
(the notices owed in the outbox in the same change), two staff acting on one version, and
undo inside and outside its window by the app's clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot import access, cases
from bot.app import open_services
from bot.callbacks import Area, decode
from bot.cases import Change, NotAllowed, shown_code
from bot.clock import ManualClock
from bot.config import Settings
from bot.locale.text import t
from bot.services import Services
from storage import offices
from storage import requests as store
from storage.db import Database
from storage.people import Person, create_invite, redeem_invite, resolve_person
from storage.requests import Conflict, NewRequest, Request


@dataclass
class Office:
    """The people of one test: two facilitators and the supervisor of pamenar, a
    facilitator of sarasiab, two residents."""

    services: Services
    maryam: Person   # facilitator, pamenar
    hamid: Person    # facilitator, pamenar
    sup: Person      # supervisor, pamenar
    other: Person    # facilitator, sarasiab
    zahra: Person    # resident
    ali: Person      # resident
    pamenar: int


async def _staff(services: Services, user_id: int, name: str, role: str, office: int) -> Person:
    code = await create_invite(services.db, role=role, office_id=office, province_id=None,
                               created_by=None, days=1)
    return await redeem_invite(services.db, code, user_id=user_id, display_name=name)


@pytest.fixture
async def office(settings: Settings, clock: ManualClock) -> AsyncIterator[Office]:
    services = await open_services(settings, clock)
    db = services.db
    try:
        pamenar = await offices.office_by_slug(db, "pamenar")
        sarasiab = await offices.office_by_slug(db, "sarasiab")
        assert pamenar is not None and sarasiab is not None
        yield Office(
            services,
            maryam=await _staff(services, 300, "مریم", "facilitator", pamenar.id),
            hamid=await _staff(services, 301, "حمید", "facilitator", pamenar.id),
            sup=await _staff(services, 302, "سرپرست", "supervisor", pamenar.id),
            other=await _staff(services, 400, "نرگس", "facilitator", sarasiab.id),
            zahra=await resolve_person(db, 500, "زهرا", frozenset()),
            ali=await resolve_person(db, 501, "علی", frozenset()),
            pamenar=pamenar.id,
        )
    finally:
        await db.close()


_drafts = iter(range(-1, -1000, -1))


async def filed(o: Office, resident: Person | None = None, category: str = "urban") -> Change:
    resident = resident or o.zahra
    hoods = await offices.neighbourhoods_of(o.services.db, o.pamenar)
    change, new = await cases.file(o.services, resident, NewRequest(
        draft_id=next(_drafts), resident_id=resident.id, office_id=o.pamenar,
        neighbourhood_id=hoods[0].id, category=category,
        description="چراغ کوچه خاموش است\nاز دیشب", phone=None, photos=[], location=None))
    assert new
    return change


async def outbox_rows(o: Office) -> dict[str, tuple[int, str, list[list[list[str]]] | None]]:
    rows = await o.services.db.fetchall("SELECT key, chat_id, text, markup FROM outbox")
    return {r["key"]: (r["chat_id"], r["text"],
                       json.loads(r["markup"]) if r["markup"] else None) for r in rows}


def chats(change: Change) -> list[int]:
    return sorted(n.chat_id for n in change.notices)


def taps(change: Change) -> list[tuple[str, str, int | None]]:
    """Every button under the notices, decoded: (area, action, request)."""
    found = []
    for notice in change.notices:
        for row in notice.buttons or []:
            for _label, data in row:
                pressed = decode(data)
                assert pressed is not None, data
                found.append((str(pressed.area), pressed.action, pressed.number("request")))
    return found


async def owed_with_the_change(o: Office, change: Change) -> None:
    """Each notice of the change is in the outbox, as it says."""
    rows = await outbox_rows(o)
    for notice in change.notices:
        assert notice.key in rows
        assert rows[notice.key][:2] == (notice.chat_id, notice.text)


async def test_filing_tells_every_staff_member_of_the_office_and_no_one_else(
        office: Office) -> None:
    change = await filed(office)
    request = change.request
    assert request.status == "received"
    assert chats(change) == [office.maryam.user_id, office.hamid.user_id, office.sup.user_id]
    text = change.notices[0].text
    assert text.startswith(f"📥 درخواست تازه {shown_code(request.code)}")
    assert "«چراغ کوچه خاموش است»" in text
    assert taps(change) == [("req", "open", request.id)] * 3
    await owed_with_the_change(office, change)


async def test_take_and_release_tell_nobody(office: Office) -> None:
    request = (await filed(office)).request
    taken = await cases.take(office.services, office.maryam, request)
    assert taken.notices == () and taken.request.assignee_id == office.maryam.id
    released = await cases.release(office.services, office.maryam, taken.request)
    assert released.notices == () and released.request.assignee_id is None


async def test_two_staff_take_the_same_version_one_wins_the_other_is_told(
        office: Office) -> None:
    seen = (await filed(office)).request  # both see version v
    won = await cases.take(office.services, office.maryam, seen)
    with pytest.raises(Conflict) as lost:
        await cases.take(office.services, office.hamid, seen)
    assert lost.value.reason == "changed"
    assert lost.value.current.assignee_id == office.maryam.id
    assert lost.value.current.version == won.request.version


async def test_hand_over_tells_the_colleague_only(office: Office) -> None:
    request = (await filed(office)).request
    change = await cases.hand_over(office.services, office.maryam, request, office.hamid.id)
    assert change.request.assignee_id == office.hamid.id
    assert chats(change) == [office.hamid.user_id]
    assert change.notices[0].text.startswith("🤝 مریم پیگیری درخواست")
    with pytest.raises(NotAllowed) as refused:  # not a colleague of this office
        await cases.hand_over(office.services, office.hamid, change.request, office.other.id)
    assert refused.value.reason == "colleague"


async def test_staff_of_another_office_and_residents_may_not_act(office: Office) -> None:
    request = (await filed(office)).request
    for outsider in (office.other, office.ali, office.zahra):
        with pytest.raises(NotAllowed):
            await cases.take(office.services, outsider, request)
    with pytest.raises(NotAllowed):  # a resident acts on their own requests only
        await cases.withdraw(office.services, office.ali, request)
    assert (await store.by_id(office.services.db, request.id)) == request


async def test_review_resolve_and_reject_tell_the_resident(office: Office) -> None:
    request = (await filed(office)).request
    code = shown_code(request.code)
    review = await cases.review(office.services, office.maryam, request)
    assert chats(review) == [office.zahra.user_id]
    assert review.notices[0].text == t("request.notice_status", code=code,
                                       status=t("status.in_review"))
    resolved = await cases.resolve(office.services, office.maryam, review.request,
                                   "لامپ عوض شد")
    assert resolved.request.status == "resolved"
    assert "توضیح دفتر: لامپ عوض شد" in resolved.notices[0].text
    assert t("case.ask_solved") in resolved.notices[0].text
    assert taps(resolved) == [("trk", "yes", request.id), ("trk", "no", request.id),
                              ("trk", "reply", request.id)]
    await owed_with_the_change(office, resolved)

    other = (await filed(office)).request
    rejected = await cases.reject(office.services, office.maryam, other, "در حیطهٔ دفتر نیست")
    assert rejected.request.status == "rejected"
    assert "در حیطهٔ دفتر نیست" in rejected.notices[0].text
    with pytest.raises(Conflict) as closed:  # no way on from a closed status
        await cases.review(office.services, office.maryam, rejected.request)
    assert closed.value.reason == "transition"


async def test_referral_stores_the_agency_slug_and_names_it_to_the_resident(
        office: Office) -> None:
    request = (await filed(office)).request
    change = await cases.refer(office.services, office.maryam, request, "abfa")
    assert change.request.status == "referred" and change.request.agency == "abfa"
    trail = await store.events(office.services.db, request.id, public_only=True)
    assert (trail[-1].agency, trail[-1].note) == ("abfa", "ارجاع به شرکت آب و فاضلاب (آبفا)")
    assert chats(change) == [office.zahra.user_id]
    assert "«شرکت آب و فاضلاب (آبفا)»" in change.notices[0].text

    by_hand = await cases.refer(office.services, office.maryam, (await filed(office)).request,
                                cases.OTHER_AGENCY, name=" دهیاری ")
    assert by_hand.request.agency is None and "«دهیاری»" in by_hand.notices[0].text
    with pytest.raises(NotAllowed) as unknown:
        await cases.refer(office.services, office.maryam, (await filed(office)).request, "xyz")
    assert unknown.value.reason == "agency"


async def test_duplicate_tells_its_resident_and_then_follows_the_original(
        office: Office) -> None:
    original = (await filed(office, office.ali)).request
    copy = (await filed(office)).request
    with pytest.raises(NotAllowed) as itself:
        await cases.duplicate(office.services, office.maryam, copy, copy)
    assert itself.value.reason == "self"
    with pytest.raises(NotAllowed):
        await cases.duplicate(office.services, office.maryam, copy, None)
    marked = await cases.duplicate(office.services, office.maryam, copy, original)
    assert marked.request.duplicate_of == original.code
    assert chats(marked) == [office.zahra.user_id]
    assert taps(marked) == [("trk", "orig", copy.id), ("trk", "reply", copy.id)]
    # The original's next change tells its own resident and the follower.
    review = await cases.review(office.services, office.hamid, original)
    assert chats(review) == sorted([office.ali.user_id, office.zahra.user_id])
    follow = next(n for n in review.notices if n.chat_id == office.zahra.user_id)
    assert follow.text.startswith(f"خبر از درخواست {shown_code(original.code)} (درخواست شما")


async def test_public_notes_tell_the_resident_internal_ones_nobody(office: Office) -> None:
    request = (await filed(office)).request
    public = await cases.note(office.services, office.maryam, request, "فردا می‌آییم",
                              public=True)
    assert chats(public) == [office.zahra.user_id]
    assert public.notices[0].text.endswith("توضیح دفتر: فردا می‌آییم")
    internal = await cases.note(office.services, office.maryam, public.request, "کلید با حمید",
                                public=False)
    assert internal.notices == ()
    trail = await store.events(office.services.db, request.id, public_only=True)
    assert [e.note for e in trail if e.kind == "note"] == ["فردا می‌آییم"]


async def test_undo_inside_the_window_tells_the_resident_nothing_outside_it_is_refused(
        office: Office, clock: ManualClock) -> None:
    request = (await filed(office)).request
    resolved = await cases.resolve(office.services, office.maryam, request, "انجام شد")
    held = resolved.notices[0]
    assert held.not_before == clock.now() + timedelta(minutes=store.UNDO_MINUTES)
    assert not await cases.may_undo(office.services, office.hamid, resolved.request)
    with pytest.raises(Conflict):  # a colleague cannot take back Maryam's change
        await cases.undo(office.services, office.hamid, resolved.request)
    clock.advance(timedelta(minutes=store.UNDO_MINUTES - 1))
    undone = await cases.undo(office.services, office.maryam, resolved.request)
    assert undone.request.status == "received" and undone.request.resolved_at is None
    assert chats(undone) == []  # the slip and its undo inside the window: nothing to tell
    assert held.key not in await outbox_rows(office)  # the held notice is withdrawn

    referred = await cases.refer(office.services, office.maryam, undone.request, "gas")
    clock.advance(timedelta(minutes=store.UNDO_MINUTES + 1))
    assert not await cases.may_undo(office.services, office.maryam, referred.request)
    with pytest.raises(Conflict) as late:
        await cases.undo(office.services, office.maryam, referred.request)
    assert late.value.reason == "undo" and late.value.current.status == "referred"


async def test_undoing_a_referral_clears_its_agency(office: Office) -> None:
    request = (await filed(office)).request
    referred = await cases.refer(office.services, office.maryam, request, "gas")
    undone = await cases.undo(office.services, office.maryam, referred.request)
    assert (undone.request.status, undone.request.agency) == ("received", None)


async def resolved_for(office: Office) -> Request:
    request = (await filed(office)).request
    taken = await cases.take(office.services, office.hamid, request)
    return (await cases.resolve(office.services, office.maryam, taken.request, "شد")).request


async def test_the_residents_answer_yes_tells_nobody_no_tells_the_assignee(
        office: Office) -> None:
    yes = await cases.answer(office.services, office.zahra, await resolved_for(office),
                             solved=True)
    assert (yes.request.status, yes.request.solved, yes.notices) == ("resolved", "yes", ())
    no = await cases.answer(office.services, office.zahra, await resolved_for(office),
                            solved=False, reason="هنوز خاموش است")
    assert (no.request.status, no.request.solved) == ("in_review", "no")
    assert chats(no) == [office.hamid.user_id]  # the assignee, not the whole office
    assert "«هنوز خاموش است»" in no.notices[0].text


async def test_reopen_withdraw_and_additions_tell_the_office(office: Office,
                                                             clock: ManualClock) -> None:
    reopened = await cases.reopen(office.services, office.zahra, await resolved_for(office))
    assert reopened.request.status == "in_review"
    assert chats(reopened) == [office.hamid.user_id]
    assert reopened.notices[0].text.startswith("🔁 ساکن درخواست")

    request = (await filed(office)).request
    added = await cases.add(office.services, office.zahra, request, note="عکس تازه",
                            photos=[("file", "unique")])
    assert chats(added) == [office.maryam.user_id, office.hamid.user_id, office.sup.user_id]
    assert "«عکس تازه»" in added.notices[0].text
    assert [a["file_id"] for a in await store.attachments(office.services.db, request.id)] == [
        "file"]
    with pytest.raises(NotAllowed) as empty:
        await cases.add(office.services, office.zahra, added.request, note=None, photos=[])
    assert empty.value.reason == "empty"

    gone = await cases.withdraw(office.services, office.zahra, added.request)
    assert gone.request.status == "withdrawn"
    assert gone.notices[0].text == t("case.staff_withdrawn", code=shown_code(request.code))
    with pytest.raises(Conflict):
        await cases.add(office.services, office.zahra, gone.request, note="x", photos=[])

    late = await resolved_for(office)
    clock.advance(timedelta(days=office.services.settings.reopen_days + 1))
    assert not cases.can_reopen(office.services, late)
    with pytest.raises(Conflict):
        await cases.reopen(office.services, office.zahra, late)


async def test_storage_changes_nothing_without_the_notices_argument(office: Office) -> None:
    request = (await filed(office)).request
    with pytest.raises(TypeError):
        await store.change_status(office.services.db, request, "in_review",  # type: ignore[call-arg]
                                  actor_id=office.maryam.id)
    assert (await store.by_id(office.services.db, request.id)) == request


def test_the_tracking_code_is_shown_in_two_halves() -> None:
    assert shown_code("12345678") == "\u2066۱۲۳۴-۵۶۷۸\u2069"  # isolated in a RTL line
    assert Area.STAFF == "req"


async def test_one_access_question_for_features_and_records(office: Office) -> None:
    db = office.services.db
    request = (await filed(office)).request
    assert await access.permitted(db, office.zahra, "request")
    assert not await access.permitted(db, office.zahra, Area.STAFF)
    assert await access.permitted(db, office.sup, "digest")
    assert await access.permitted(db, office.zahra, "see", request)
    assert not await access.permitted(db, office.zahra, "take", request)
    assert not await access.permitted(db, office.ali, "see", request)
    assert not await access.permitted(db, office.other, "see", request)
    assert await access.permitted(db, office.maryam, "take", request)
    assert (await access.scope(db, office.sup)).office_ids == {office.pamenar}
    assert [o.id for o in await access.invitable_offices(db, office.sup)] == [office.pamenar]
    assert access.may_invite(office.sup, "facilitator")
    assert not access.may_invite(office.sup, "supervisor")
    assert not access.may_invite(office.maryam, "facilitator")


async def test_migration_0009_names_the_agency_of_earlier_referrals(
        tmp_path: Path, clock: ManualClock) -> None:
    """A referral to an agency of the shipped organisation file gets its slug; one typed by
    hand keeps its note and no slug."""
    db = await Database.open(tmp_path / "old.db", clock=clock.now, target=8)
    try:
        await db.execute("INSERT INTO provinces VALUES (1, 'k', 'کرمان')")
        await db.execute("INSERT INTO offices (id, slug, name, province_id, city) "
                         "VALUES (1, 'o', 'دفتر', 1, 'کرمان')")
        await db.execute("INSERT INTO people (id, user_id, role, created_at, updated_at) "
                         "VALUES (1, 5, 'resident', 'x', 'x'), (2, 6, 'facilitator', 'x', 'x')")
        stamp = "2026-01-01T08:00:00+00:00"
        for rid, note in ((1, "ارجاع به شرکت آب و فاضلاب (آبفا)"), (2, "ارجاع به دهیاری")):
            await db.execute(
                "INSERT INTO requests (id, code, draft_id, resident_id, office_id, category, "
                "description, status, created_at, updated_at) "
                "VALUES (?, ?, ?, 1, 1, 'urban', 'شرح', 'referred', ?, ?)",
                (rid, f"1111222{rid}", rid, stamp, stamp))
            await db.execute(
                "INSERT INTO request_events (request_id, at, actor_id, kind, old_status, "
                "new_status, note) VALUES (?, ?, 2, 'status', 'received', 'referred', ?)",
                (rid, stamp, note))
        assert await db.migrate(target=9) == [9]
        for rid, agency in ((1, "abfa"), (2, None)):
            request = await store.by_id(db, rid)
            assert request is not None and request.agency == agency
            trail = await store.events(db, rid, public_only=False)
            assert trail[-1].agency == agency and trail[-1].note
    finally:
        await db.close()
