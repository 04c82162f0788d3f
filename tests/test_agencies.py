"""Agencies without a bot: focal points joining by invite, a referral's life (first to act
takes it, a second focal point sees who did, answers recorded by hand, the letter), the
service-level reminders and their escalation by the app's clock, the plain words the
resident and the office read, and the organisation file's service levels."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import agencies
from bot.locale.jalali import from_jalali
from bot.org import DEFAULT_ACK_HOURS, DEFAULT_ACT_DAYS, OrgFileError, load_organisation
from storage import outbox, referrals
from storage.people import create_invite, get_person
from storage.referrals import ReferralConflict
from tests.agency_world import World, make_world, new_request, person

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
async def world(tmp_path: Path) -> World:
    """The agencies' world at 10:00 on 11 Azar 1405."""
    made = await make_world(tmp_path)
    yield made  # type: ignore[misc]
    await made.db.close()


async def refer(world: World, agency: str = "abfa") -> referrals.Referral:
    """The facilitator refers the world's request."""
    return await referrals.refer(world.db, request_id=world.request.id, agency=agency,
                                 referred_by=world.facilitator.id)


async def pending(world: World) -> list[outbox.Notice]:
    """Every notice owed by now, far in the future included (quiet hours)."""
    return await outbox.due(world.db, world.clock.now() + timedelta(days=2), limit=1000)


# --- focal points -------------------------------------------------------------------------


async def test_a_focal_point_joins_by_invite_with_an_agency_and_a_scope(world: World) -> None:
    assert world.focal.role == "agency" and world.focal.agency == "abfa"
    assert not world.focal.is_staff
    province_offices = await referrals.focal_point_offices(world.db, world.focal.id)
    assert world.office_id in province_offices and world.other_office_id in province_offices
    assert await referrals.focal_point_offices(world.db, world.focal_other.id) == [
        world.other_office_id]
    # A second office invite for the same agency adds the office to their scope.
    again = await person(world.db, "agency", 701, "سعید", office_id=world.office_id,
                         agency="abfa")
    assert sorted(await referrals.focal_point_offices(world.db, again.id)) == sorted(
        [world.office_id, world.other_office_id])
    # Another agency starts afresh.
    gas = await person(world.db, "agency", 701, "سعید", office_id=world.office_id,
                       agency="gas")
    assert gas.agency == "gas"
    assert await referrals.focal_point_offices(world.db, gas.id) == [world.office_id]


async def test_an_agency_invite_must_name_its_agency_and_only_it(world: World) -> None:
    with pytest.raises(ValueError):
        await create_invite(world.db, role="agency", office_id=world.office_id,
                            created_by=None, days=7)
    with pytest.raises(ValueError):
        await create_invite(world.db, role="facilitator", office_id=world.office_id,
                            created_by=None, days=7, agency="abfa")


async def test_focal_points_of_a_referral_are_those_whose_scope_holds_its_office(
        world: World) -> None:
    found = await referrals.focal_points(world.db, "abfa", world.office_id)
    assert [user for _, user, _ in found] == [700]  # not the one of پامنار
    assert await referrals.focal_points(world.db, "gas", world.office_id) == []
    supervisors = await referrals.supervisors_of_office(world.db, world.office_id)
    assert [user for _, user, _ in supervisors] == [800]


async def test_who_may_answer_a_referral(world: World) -> None:
    referral = await refer(world)
    assert await agencies.may_answer(world.db, world.focal, referral)
    assert not await agencies.may_answer(world.db, world.focal_other, referral)  # other office
    assert not await agencies.may_answer(world.db, world.facilitator, referral)
    assert not await agencies.may_answer(world.db, world.resident, referral)
    gas = await person(world.db, "agency", 702, "گاز", province_id=world.province_id,
                       agency="gas")
    assert not await agencies.may_answer(world.db, gas, referral)  # another agency


# --- a referral's life --------------------------------------------------------------------


async def test_first_to_act_takes_it_and_a_second_sees_who_did(world: World) -> None:
    referral = await refer(world)
    assert referral.state == "referred" and referral.taken_by is None
    second = await person(world.db, "agency", 703, "نادر (آبفا)",
                          office_id=world.office_id, agency="abfa")
    world.clock.advance(timedelta(hours=3))
    acked = await referrals.answer(world.db, referral, "acknowledged", actor_id=world.focal.id)
    assert acked.state == "acknowledged" and acked.taken_by == world.focal.id
    assert acked.acknowledged_at == "2026-12-02T09:30:00+00:00"
    # The second focal point taps on the card they had: told who took it.
    with pytest.raises(ReferralConflict) as caught:
        await referrals.answer(world.db, referral, "acknowledged", actor_id=second.id)
    assert caught.value.reason == "taken"
    assert agencies.conflict_text(caught.value) == (
        "این ارجاع را رضا (آبفا) برعهده گرفته و پاسخ او ثبت شده است.")
    # The one who took it, on an old card: changed since, nothing stored twice.
    with pytest.raises(ReferralConflict) as caught:
        await referrals.answer(world.db, referral, "done", actor_id=world.focal.id)
    assert caught.value.reason == "changed"
    promised = from_jalali(1405, 9, 20)
    going = await referrals.answer(world.db, acked, "in_progress", actor_id=world.focal.id,
                                   promised=promised)
    assert going.promised_date == "2026-12-11"
    done = await referrals.answer(world.db, going, "done", actor_id=world.focal.id,
                                  note="لوله تعویض شد", photos=["AgADph0t0"])
    assert done.state == "done" and done.closed_at and done.done_at
    kinds = [(e.kind, e.actor_name, e.by_hand) for e in
             await referrals.history(world.db, referral.id)]
    assert kinds == [("referred", "سارا", False), ("acknowledged", "رضا (آبفا)", False),
                     ("in_progress", "رضا (آبفا)", False), ("done", "رضا (آبفا)", False)]
    last = (await referrals.history(world.db, referral.id))[-1]
    assert last.photos == ("AgADph0t0",) and last.note == "لوله تعویض شد"
    with pytest.raises(ReferralConflict) as caught:  # nothing after done
        await referrals.answer(world.db, done, "not_ours", actor_id=world.focal.id, note="x")
    assert caught.value.reason == "state"


async def test_in_progress_needs_its_promised_date(world: World) -> None:
    referral = await refer(world)
    with pytest.raises(ValueError):
        await referrals.answer(world.db, referral, "in_progress", actor_id=world.focal.id)


async def test_not_ours_goes_back_and_the_office_refers_elsewhere_or_again(
        world: World) -> None:
    referral = await refer(world)
    back = await referrals.answer(world.db, referral, "not_ours", actor_id=world.focal.id,
                                  note="شبکهٔ فرعی مال شهرداری است")
    assert back.state == "not_ours" and not back.is_open
    elsewhere = await refer(world, "municipality")
    assert elsewhere.state == "referred" and elsewhere.id != referral.id
    with pytest.raises(ReferralConflict) as caught:  # open already
        await refer(world, "municipality")
    assert caught.value.reason == "exists"
    again = await refer(world)  # back to آبفا: the same row, afresh
    assert again.id == referral.id and again.state == "referred" and again.taken_by is None
    assert [r.agency for r in await referrals.of_request(world.db, world.request.id)] == [
        "abfa", "municipality"]


async def test_more_info_goes_to_the_office_and_its_answer_back(world: World) -> None:
    referral = await refer(world)
    asked = await referrals.answer(world.db, referral, "more_info", actor_id=world.focal.id,
                                   note="پلاک دقیق خانه؟")
    assert asked.state == "more_info"
    assert agencies.deadline(asked, agencies.agency_of(world.org, "abfa"), TEHRAN) is None
    answered = await referrals.give_info(world.db, asked, actor_id=world.facilitator.id,
                                         note="پلاک ۱۲")
    assert answered.state == "acknowledged" and answered.taken_by == world.focal.id


async def test_an_agency_not_in_the_bot_is_recorded_by_hand(world: World) -> None:
    referral = await refer(world, "roads")
    with_letter = await referrals.record_letter(
        world.db, referral, actor_id=world.facilitator.id, number="۱۲۳/ک/۴۵",
        letter_date=date(2026, 12, 1))
    assert with_letter.letter_number == "۱۲۳/ک/۴۵" and with_letter.letter_date == "2026-12-01"
    promised = await referrals.answer(world.db, with_letter, "in_progress",
                                      actor_id=world.facilitator.id, by_hand=True,
                                      promised=date(2026, 12, 20))
    assert promised.taken_by is None and promised.state == "in_progress"
    events = await referrals.history(world.db, referral.id)
    assert [(e.kind, e.by_hand) for e in events] == [
        ("referred", False), ("letter", True), ("in_progress", True)]
    text = agencies.office_text("in_progress", agencies.agency_of(world.org, "roads"),
                                world.request.code, who=None, by_hand=True,
                                today=date(2026, 12, 2), promised=date(2026, 12, 20))
    assert "ثبت دستی دفتر" in text and "۲۹ آذر" in text


async def test_the_card_shows_the_phone_only_with_the_residents_consent(world: World) -> None:
    from tests.agency_world import PHONE

    abfa = agencies.agency_of(world.org, "abfa")
    referral = await refer(world)
    card = agencies.card_text(referral, world.request, abfa, "آب، برق، گاز، کوچه و خیابان")
    assert card.startswith("📨 ارجاع از دفتر تسهیل‌گری قلعه محمود به آبفا\nدرخواست ")
    assert "وضعیت: ارجاع شد، منتظر دریافت" in card
    assert "تلفن ساکن" not in card and PHONE not in card  # not even typed in the text
    assert "هستم، [شماره پنهان]»" in card
    assert agencies.mask_phones("تماس: ۰۹۱۲ ۱۲۳ ۴۵۶۷ یا 0341-3222222، پلاک ۱۲") == (
        "تماس: [شماره پنهان] یا [شماره پنهان]، پلاک ۱۲")
    await referrals.answer(world.db, referral, "not_ours", actor_id=world.focal.id, note="-")
    agreed = await referrals.refer(world.db, request_id=world.request.id, agency="abfa",
                                   referred_by=world.facilitator.id, phone_consent=True)
    card = agencies.card_text(agreed, world.request, abfa, "آب، برق، گاز، کوچه و خیابان")
    assert "تلفن ساکن (با رضایت خودش برای تماس دستگاه): ۰۹۱۲۱۲۳۴۵۶۷" in card
    assert PHONE in card  # the resident's own text, as typed


# --- plain words ---------------------------------------------------------------------------


def test_the_resident_reads_the_answer_in_plain_words(tmp_path: Path) -> None:
    org = load_organisation(Path(agencies.__file__).parent / "data" / "kerman.toml")
    abfa = agencies.agency_of(org, "abfa")
    today = date(2026, 12, 2)
    text = agencies.resident_text("in_progress", abfa, "12345678", today=today,
                                  promised=from_jalali(1405, 9, 20))
    assert text == ("خبر از درخواست \u2066۱۲۳۴-۵۶۷۸\u2069:\n"
                    "آبفا درخواست شما را دریافت کرد و تا ۲۰ آذر رسیدگی می‌کند.")
    assert agencies.resident_text("acknowledged", abfa, "12345678", today=today) == (
        "خبر از درخواست \u2066۱۲۳۴-۵۶۷۸\u2069:\nآبفا درخواست شما را دریافت کرد.")
    assert "حوزهٔ آن نیست" in (agencies.resident_text("not_ours", abfa, "12345678",
                                                       today=today) or "")
    assert agencies.resident_text("more_info", abfa, "12345678", today=today) is None
    next_year = agencies.resident_text("in_progress", abfa, "12345678", today=today,
                                       promised=from_jalali(1406, 1, 15))
    assert next_year is not None and "۱۵ فروردین ۱۴۰۶" in next_year


# --- reminders -----------------------------------------------------------------------------


async def test_reminders_at_the_service_level_then_the_supervisor(world: World) -> None:
    abfa = world.org.agency("abfa")
    assert abfa is not None and abfa.ack_hours == 24
    await refer(world)
    remind = agencies.owe_reminders
    world.clock.advance(timedelta(hours=23, minutes=59))
    assert await remind(world.db, world.org, world.clock.now(), tz=TEHRAN, quiet=None) == 0
    world.clock.advance(timedelta(minutes=1))
    assert await remind(world.db, world.org, world.clock.now(), tz=TEHRAN, quiet=None) == 2
    assert await remind(world.db, world.org, world.clock.now(), tz=TEHRAN, quiet=None) == 0
    notices = await pending(world)
    assert sorted(n.chat_id for n in notices) == [600, 700]  # the office and the focal point
    assert notices[0].text == ("⏰ ۱ روز از ارجاع درخواست "
                               f"{agencies.shown_code(world.request.code)} به آبفا گذشت و "
                               "هنوز دریافت آن اعلام نشده است.")
    world.clock.advance(timedelta(days=2))  # a second period: the supervisor too
    assert await remind(world.db, world.org, world.clock.now(), tz=TEHRAN, quiet=None) == 1
    escalation = [n for n in await pending(world) if n.chat_id == 800]
    assert escalation[0].text.startswith("⚠️ پیگیری ناظر لازم است — دفتر تسهیل‌گری قلعه محمود")
    assert "۳ روز از ارجاع درخواست" in escalation[0].text


async def test_a_promised_date_passed_reminds_once_per_promise(world: World) -> None:
    referral = await refer(world)
    going = await referrals.answer(world.db, referral, "in_progress", actor_id=world.focal.id,
                                   promised=date(2026, 12, 5))
    world.clock.set(world.clock.now().replace(day=5, hour=20, minute=0))  # 23:30 that day
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 0
    world.clock.advance(timedelta(hours=1))  # 00:30 the day after, in Tehran
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 2
    texts = {n.text for n in await pending(world)}
    assert texts == {f"⏰ موعد آبفا برای درخواست {agencies.shown_code(world.request.code)} "
                     "(۱۴ آذر) گذشت و هنوز انجام نشده است."}
    # A new promise is a new deadline: reminded again when it passes, not before.
    await referrals.answer(world.db, going, "in_progress", actor_id=world.focal.id,
                           promised=date(2026, 12, 9))
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 0
    world.clock.advance(timedelta(days=4))
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 2


async def test_without_a_promise_the_agency_has_its_days_to_act(world: World) -> None:
    referral = await refer(world)
    await referrals.answer(world.db, referral, "acknowledged", actor_id=world.focal.id)
    world.clock.advance(timedelta(days=7))  # آبفا acts within 7 days
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 2
    assert {n.text for n in await pending(world)} == {
        f"⏰ ۷ روز از ارجاع درخواست {agencies.shown_code(world.request.code)} به آبفا گذشت "
        "و هنوز انجام نشده است."}


async def test_quiet_hours_hold_the_reminders(world: World) -> None:
    from datetime import time

    await refer(world)
    world.clock.advance(timedelta(hours=36))  # 22:00 the next day in Tehran: due since 10:00
    owed = await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=(time(21), time(7)))
    assert owed == 2
    assert await outbox.due(world.db, world.clock.now()) == []
    morning = world.clock.now() + timedelta(hours=9)
    assert len(await outbox.due(world.db, morning)) == 2


async def test_closed_requests_and_answered_referrals_owe_nothing(world: World) -> None:
    referral = await refer(world)
    await referrals.answer(world.db, referral, "done", actor_id=world.focal.id)
    world.clock.advance(timedelta(days=30))
    assert await agencies.owe_reminders(world.db, world.org, world.clock.now(), tz=TEHRAN,
                                        quiet=None) == 0


# --- the organisation file -----------------------------------------------------------------


def test_service_levels_come_from_the_organisation_file(tmp_path: Path) -> None:
    org = load_organisation(Path(agencies.__file__).parent / "data" / "kerman.toml")
    abfa, municipality = org.agency("abfa"), org.agency("municipality")
    assert abfa is not None and municipality is not None
    assert (abfa.ack_hours, abfa.act_days, abfa.short_name) == (24, 7, "آبفا")
    assert (municipality.ack_hours, municipality.act_days) == (48, 14)
    assert municipality.short_name == "شهرداری"


def _org_file(tmp_path: Path, agencies_toml: str) -> Path:
    base = (Path(agencies.__file__).parent / "data" / "kerman.toml").read_text(encoding="utf-8")
    head, _, rest = base.partition("\n[agency_defaults]\n")
    rest = rest[rest.index("[[provinces]]"):]
    path = tmp_path / "org.toml"
    path.write_text(head + "\n" + agencies_toml + "\n" + rest, encoding="utf-8")
    return path


@pytest.mark.parametrize("entry", [
    'ack_hours = 0', 'act_days = "هفت"', 'ack_hours = 2.5', 'act_days = true'])
def test_a_bad_service_level_is_one_line_naming_the_file(tmp_path: Path, entry: str) -> None:
    path = _org_file(tmp_path, f'[[agencies]]\nslug = "abfa"\nname = "آبفا"\n{entry}\n')
    with pytest.raises(OrgFileError) as caught:
        load_organisation(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "agency 'abfa'" in message
    assert "\n" not in message


def test_without_service_levels_the_defaults_apply(tmp_path: Path) -> None:
    org = load_organisation(_org_file(tmp_path, '[[agencies]]\nslug = "abfa"\nname = "آبفا"\n'))
    abfa = org.agency("abfa")
    assert abfa is not None
    assert (abfa.ack_hours, abfa.act_days) == (DEFAULT_ACK_HOURS, DEFAULT_ACT_DAYS)
    with pytest.raises(OrgFileError, match=r"\[agency_defaults\]"):
        load_organisation(_org_file(tmp_path, "[agency_defaults]\nack_hours = -1\n"))


async def test_the_person_row_keeps_the_agency(world: World) -> None:
    again = await get_person(world.db, 700)
    assert again is not None and again.agency == "abfa"
    other = await new_request(world.db, world.resident, world.office_id, 2)
    assert other.code != world.request.code


async def test_migration_0012_widens_the_role_in_place_keeping_peoples_triggers(
        tmp_path: Path) -> None:
    import sqlite3

    from bot.clock import ManualClock
    from storage.db import Database
    from tests.agency_world import START

    clock = ManualClock(START)
    path = tmp_path / "before.db"
    db = await Database.open(path, clock=clock.now, target=11)
    await db.execute("INSERT INTO people (user_id, display_name, role, created_at, updated_at) "
                     "VALUES (5, 'زهرا', 'resident', 'x', 'x')")
    await db.execute("CREATE TABLE seen (person_id INTEGER)")
    await db.execute("CREATE TRIGGER people_seen AFTER UPDATE OF role ON people "
                     "BEGIN INSERT INTO seen VALUES (NEW.id); END")
    await db.close()
    db = await Database.open(path, clock=clock.now)  # migrates on to the latest
    try:
        await db.execute("UPDATE people SET role = 'agency', agency = 'abfa' WHERE user_id = 5")
        assert await db.fetchall("SELECT person_id FROM seen") != []  # the trigger is there
        with pytest.raises(sqlite3.IntegrityError):  # the CHECK still holds other roles
            await db.execute("UPDATE people SET role = 'mayor' WHERE user_id = 5")
        check = await db.fetchone("PRAGMA integrity_check")
        assert check is not None and check[0] == "ok"
    finally:
        await db.close()
