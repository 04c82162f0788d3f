"""The agencies in the case loop (issue 22), through the fake messenger over real PTB, from
three phones: the resident (Zahra), the facilitator (Maryam of Sarasiab) and آبفا's focal
point for the province (Reza): a referral acknowledged, given a promised date, done, and the
resident's «حل شد»; «not ours» going back and being referred elsewhere; a referral to an
agency with no focal point recorded by hand; the service-level reminders and their
escalation by the app's ManualClock. One referral's life as each phone saw it is printed
(`pytest -s`); with TRANSCRIPT_FILE set, also written there (docs/agency-transcript.txt is
one such run)."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from bot.agencies import shown_code as plain
from bot.cases import category_label
from bot.clock import ManualClock
from bot.config import Settings
from bot.locale.text import role_name, t
from bot.planning import tick
from bot.reports.export import build_export
from bot.sandbox import SandboxBot, SimUser
from storage import offices, referrals
from storage import requests as store
from storage.people import create_invite, get_person, redeem_invite
from storage.sessions import create_session
from tests.conftest import ADMIN_ID, seat
from tests.test_requests import file_request, join, open_card
from web.app import build_web_app
from web.state import COOKIE

# 10:00 in Tehran on Wednesday 11 Azar 1405 (2 December 2026).
START = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
ABFA = "شرکت آب و فاضلاب (آبفا)"
TRANSCRIPT = os.environ.get("TRANSCRIPT_FILE", "")  # a test run writes nothing into the tree


@pytest.fixture
def clock() -> ManualClock:
    """The app's clock at a fixed Wednesday morning (the promised dates are read from it)."""
    return ManualClock(START)


async def focal_point(bot: SandboxBot, user: SimUser, agency: str, *,
                      office: str | None = None) -> None:
    """Seat a focal point of `agency` through a real invite: the whole province of Kerman,
    or one office."""
    db = bot.db
    assert db is not None
    sarasiab = await offices.office_by_slug(db, "sarasiab")
    assert sarasiab is not None
    office_id = None
    if office is not None:
        found = await offices.office_by_slug(db, office)
        assert found is not None
        office_id = found.id
    code = await create_invite(db, role="agency", office_id=office_id,
                               province_id=None if office_id else sarasiab.province_id,
                               created_by=None, days=1, agency=agency)
    await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)


@pytest.fixture
async def phones(sandbox: SandboxBot) -> tuple[SimUser, SimUser, SimUser, SimUser]:
    """(resident Zahra, facilitator Maryam of Sarasiab, Reza and Saeed of آبفا for the
    province)."""
    zahra = sandbox.user(500, "زهرا", phone="+989131112233")
    maryam, reza, saeed = (sandbox.user(200, "مریم"), sandbox.user(700, "رضا"),
                           sandbox.user(701, "سعید"))
    await join(sandbox.db, maryam, "sarasiab")
    await focal_point(sandbox, reza, "abfa")
    await focal_point(sandbox, saeed, "abfa")
    return zahra, maryam, reza, saeed


def told(user: SimUser, start: str) -> list[str]:
    """The messages a person received that begin so."""
    return [m.text for m in user.messages() if m.text.startswith(start)]


async def refer(bot: SandboxBot, staff: SimUser, agency: str, consent: bool | None) -> None:
    """From the open card: «ارجاع به دستگاه», the agency, and the resident's consent."""
    await bot.tap(staff, t("inbox.to_referred"))
    await bot.tap(staff, agency)
    if consent is not None:
        await bot.tap(staff, t("agency_loop.consent_yes" if consent
                               else "agency_loop.consent_no"))


async def test_a_referral_acknowledged_promised_done_and_solved_from_three_phones(
    sandbox: SandboxBot, phones: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, reza, saeed = phones
    greeting = (await sandbox.say(reza, "/start"))[-1]
    assert "نمایندهٔ دستگاه در استان کرمان" in greeting.text
    assert reza.menu_labels() == [t("menu.referrals"), "راهنما"]
    assert (await sandbox.say(reza, t("menu.referrals")))[-1].text == t(
        "agency_loop.list_empty")

    code = await file_request(sandbox, zahra)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.to_referred"))
    asked = (await sandbox.tap(maryam, ABFA))[-1]
    assert asked.text == t("agency_loop.consent_ask", agency=ABFA)
    done = await sandbox.tap(maryam, t("agency_loop.consent_yes"))
    assert "وضعیت: ارجاع به دستگاه مسئول" in done[-1].text
    assert "📨 ارجاع به آبفا: ارجاع شد، منتظر دریافت" in done[-1].text

    # Both focal points get the card: code, category, neighbourhood, text, the phone (she
    # agreed), the answers.
    await sandbox.deliver()
    for focal in (reza, saeed):
        card = focal.last
        assert card.text.startswith("📨 ارجاع از دفتر تسهیل‌گری سرآسیاب به آبفا")
        assert plain(code) in card.text and category_label(sandbox.services, "urban") in card.text
        assert "چراغ‌های کوچهٔ ما" in card.text and "۹۱۳۱۱۱۲۲۳۳" in card.text
        assert card.buttons() == [
            t("agency_loop.button_acknowledged"), t("agency_loop.button_in_progress"),
            t("agency_loop.button_done"), t("agency_loop.button_not_ours"),
            t("agency_loop.button_more_info"), t("agency_loop.button_media")]
    photos = await sandbox.tap(reza, t("agency_loop.button_media"))
    assert [m.kind for m in photos] == ["photo", "location"]

    # «دریافت شد»: Reza takes it; the office and the resident are told.
    acked = await sandbox.tap(reza, t("agency_loop.button_acknowledged"))
    assert acked[-1].text.startswith(t("agency_loop.done_ack"))
    assert "پاسخ‌دهنده: رضا" in acked[-1].text
    await sandbox.deliver()
    assert told(zahra, "خبر از درخواست")[-1] == t(
        "agency.resident_acknowledged", code=plain(code), agency="آبفا")
    assert told(maryam, "📨 آبفا")[-1].startswith(f"📨 آبفا ارجاع درخواست {plain(code)}")

    # Saeed, second, is shown who took it; nothing changes.
    second = await sandbox.tap(saeed, t("agency_loop.button_in_progress"))
    assert second[-1].text.startswith(t("agency.taken", name="رضا"))
    assert sandbox.db is not None
    request = await store.by_code(sandbox.db, code)
    assert request is not None
    (referral,) = await referrals.of_request(sandbox.db, request.id)
    assert referral.state == "acknowledged"

    # «در دست اقدام» with a date as people write it.
    await sandbox.tap(reza, t("agency_loop.button_in_progress"))
    promised = await sandbox.say(reza, "۲۰ آذر")
    if promised and promised[-1].buttons() and promised[-1].buttons()[0] != t(
            "agency_loop.button_in_progress"):
        promised = await sandbox.tap(reza, promised[-1].buttons()[0])  # the date confirmed
    await sandbox.deliver()
    assert told(zahra, "خبر از درخواست")[-1] == t(
        "agency.resident_in_progress", code=plain(code), agency="آبفا", date="۲۰ آذر")
    assert "تا ۲۰ آذر" in told(maryam, "🛠 آبفا")[-1]
    card = (await sandbox.say(maryam, f"/track {code}"))[-1].text
    assert "📨 ارجاع به آبفا: در دست اقدام — تا ۲۰ آذر (رضا)" in card

    # «انجام شد» with a note: the resident is asked «was it solved?» and says yes.
    await sandbox.tap(reza, t("agency_loop.button_done"))
    await sandbox.say(reza, "لولهٔ فرسوده عوض شد و چراغ‌ها روشن است")
    await sandbox.tap(reza, t("form.skip"))
    await sandbox.deliver()
    last = zahra.last
    assert last.text.startswith(t("agency.resident_done_note", code=plain(code),
                                  agency="آبفا", note="لولهٔ فرسوده عوض شد و چراغ‌ها روشن است"))
    assert t("case.ask_solved") in last.text
    assert last.buttons() == [t("case.solved_yes"), t("case.solved_no")]
    await sandbox.tap(zahra, t("case.solved_yes"))
    request = await store.by_code(sandbox.db, code)
    assert request is not None and request.status == "resolved" and request.solved == "yes"
    (referral,) = await referrals.of_request(sandbox.db, request.id)
    assert referral.state == "done" and referral.promised_date == "2026-12-11"

    life = "\n\n".join(f"===== {title} =====\n{user.transcript()}" for title, user in (
        ("ساکن (زهرا)", zahra), ("تسهیل‌گر (مریم، دفتر سرآسیاب)", maryam),
        ("نمایندهٔ آبفا (رضا)", reza)))
    print("\n" + life)
    if TRANSCRIPT:
        Path(TRANSCRIPT).write_text(life + "\n", encoding="utf-8")


async def test_not_ours_goes_back_to_the_office_which_refers_it_elsewhere(
    sandbox: SandboxBot, phones: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, reza, _ = phones
    code = await file_request(sandbox, zahra, share=False)
    await open_card(sandbox, maryam)
    await refer(sandbox, maryam, ABFA, consent=None)  # no phone: nothing to consent to
    await sandbox.deliver()
    assert "تلفن ساکن" not in reza.last.text
    await sandbox.tap(reza, t("agency_loop.button_not_ours"))
    await sandbox.say(reza, "چراغ کوچه با شهرداری است، نه آبفا")
    await sandbox.deliver()
    back = told(maryam, "↩️ آبفا")[-1]
    assert "«چراغ کوچه با شهرداری است، نه آبفا»" in back and "دستگاه دیگری" in back
    assert told(zahra, "خبر از درخواست")[-1] == t(
        "agency.resident_not_ours", code=plain(code), agency="آبفا")
    assert sandbox.db is not None
    request = await store.by_code(sandbox.db, code)
    assert request is not None and request.status == "in_review"

    # The office refers it to the municipality: the request is referred again.
    await sandbox.tap(maryam, t("case.open"))
    await refer(sandbox, maryam, "شهرداری", consent=None)
    request = await store.by_code(sandbox.db, code)
    assert request is not None and request.status == "referred"
    assert [(r.agency, r.state) for r in await referrals.of_request(sandbox.db, request.id)] \
        == [("abfa", "not_ours"), ("municipality", "referred")]
    # Reza's old card changes nothing now.
    late = await sandbox.tap(reza, t("agency_loop.button_done"))
    assert late[-1].text.startswith(t("agency.changed", state="مربوط به ما نیست"))


async def test_an_agency_with_no_focal_point_is_recorded_by_hand_on_the_same_card(
    sandbox: SandboxBot, phones: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, reza, _ = phones
    code = await file_request(sandbox, zahra)
    await open_card(sandbox, maryam)
    await refer(sandbox, maryam, "شرکت گاز", consent=False)
    await sandbox.deliver()
    assert not [m for m in reza.messages() if "ارجاع از" in m.text]  # not آبفا's

    card = (await sandbox.tap(maryam, t("agency_loop.office_button")))[-1]
    assert t("agency_loop.no_focal_point") in card.text
    assert card.buttons()[:3] == [t("agency_loop.button_letter"),
                                  t("agency_loop.hand_acknowledged"),
                                  t("agency_loop.hand_in_progress")]
    await sandbox.tap(maryam, t("agency_loop.button_letter"))
    await sandbox.say(maryam, "۴۵۶۷/ت")
    after = await sandbox.say(maryam, "دیروز")
    if after and t("agency_loop.office_card").split("{")[0] not in after[-1].text:
        after = await sandbox.tap(maryam, after[-1].buttons()[0])
    assert "نامهٔ ارجاع: شمارهٔ ۴۵۶۷/ت، ۱۰ آذر" in maryam.last.text

    await sandbox.tap(maryam, t("agency_loop.hand_in_progress"))
    answered = await sandbox.say(maryam, "۲۵ آذر")
    if answered and "موعد دستگاه" not in answered[-1].text:
        await sandbox.tap(maryam, answered[-1].buttons()[0])
    await sandbox.deliver()
    assert told(zahra, "خبر از درخواست")[-1] == t(
        "agency.resident_in_progress", code=plain(code), agency="شرکت گاز", date="۲۵ آذر")
    office = maryam.last.text
    assert "موعد دستگاه: ۲۵ آذر" in office and t("agency.by_hand") in office

    await sandbox.tap(maryam, t("agency_loop.hand_done"))
    await sandbox.say(maryam, "کنتور گاز جابه‌جا شد")
    await sandbox.tap(maryam, t("form.skip"))
    await sandbox.deliver()
    assert zahra.last.buttons() == [t("case.solved_yes"), t("case.solved_no")]
    assert sandbox.db is not None
    request = await store.by_code(sandbox.db, code)
    assert request is not None and request.status == "resolved"
    (referral,) = await referrals.of_request(sandbox.db, request.id)
    assert (referral.state, referral.letter_date, referral.taken_by) == (
        "done", "2026-12-01", None), referral
    assert referral.letter_number in ("۴۵۶۷/ت", "4567/ت")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Quiet hours 22:00–07:00 (the reminders wait for the morning)."""
    return replace(settings, quiet_hours=(time(22, 0), time(7, 0)))


async def test_reminders_at_the_service_level_and_the_escalation_by_the_apps_clock(
    sandbox: SandboxBot, clock: ManualClock,
    phones: tuple[SimUser, SimUser, SimUser, SimUser],
) -> None:
    zahra, maryam, reza, saeed = phones
    assert sandbox.db is not None and sandbox.application is not None
    boss = sandbox.user(800, "ناظر استان")
    sarasiab = await offices.office_by_slug(sandbox.db, "sarasiab")
    assert sarasiab is not None
    await seat(sandbox.db, boss, "supervisor", province=sarasiab.province_id)
    code = await file_request(sandbox, zahra, share=False)
    await open_card(sandbox, maryam)
    await refer(sandbox, maryam, ABFA, consent=None)  # 11 Azar 10:00; آبفا: 24 hours
    await sandbox.deliver()
    line = t("agency.remind_ack", elapsed="۱ روز", code=plain(code), agency="آبفا")

    async def tick_at(moment: datetime) -> None:
        clock.set(moment)
        await tick(sandbox.application)
        await sandbox.deliver()

    await tick_at(START + timedelta(hours=23, minutes=50))  # not yet due
    assert [told(p, "⏰") for p in (reza, saeed, maryam)] == [[], [], []]
    await tick_at(START + timedelta(hours=24, minutes=5))  # 12 Azar 10:05: due
    for person in (reza, saeed, maryam):
        assert told(person, "⏰") == [line]
    assert told(boss, "⚠️") == []
    await tick_at(START + timedelta(hours=30))  # owed once only
    assert told(reza, "⏰") == [line]

    # Still unacknowledged a second period later: 13 Azar 10:05, the supervisor.
    await tick_at(START + timedelta(hours=48, minutes=5))
    (escalated,) = told(boss, "⚠️")
    assert escalated.startswith("⚠️ پیگیری ناظر لازم است — دفتر تسهیل‌گری سرآسیاب")
    assert "⏰ ۲ روز از ارجاع درخواست" in escalated

    # In progress with a promise for 15 Azar: the reminder is due when that day
    # ends, at midnight (quiet hours): it waits for 07:00.
    await sandbox.tap(reza, t("agency_loop.button_in_progress"))
    answered = await sandbox.say(reza, "۱۵ آذر")
    if answered and answered[-1].buttons() and "موعد" not in answered[-1].text:
        await sandbox.tap(reza, answered[-1].buttons()[0])
    request = await store.by_code(sandbox.db, code)
    assert request is not None
    (referral,) = await referrals.of_request(sandbox.db, request.id)
    assert referral.promised_date == "2026-12-06"
    promised = t("agency.remind_promised", agency="آبفا", code=plain(code), date="۱۵ آذر")
    await tick_at(datetime(2026, 12, 6, 20, 0, tzinfo=UTC))  # 15 Azar 23:30: not yet due
    await tick_at(datetime(2026, 12, 6, 21, 0, tzinfo=UTC))  # 16 Azar 00:30: due, quiet
    assert promised not in told(reza, "⏰")
    held = await sandbox.db.fetchall("SELECT next_attempt_at FROM outbox WHERE status = 'pending'")
    assert {r[0] for r in held} == {"2026-12-07T03:30:00+00:00"}
    await tick_at(datetime(2026, 12, 7, 3, 40, tzinfo=UTC))  # 16 Azar 07:10
    assert told(reza, "⏰")[-1] == promised and told(maryam, "⏰")[-1] == promised


async def test_forged_answers_from_another_agency_office_or_a_resident_change_nothing(
    sandbox: SandboxBot, phones: tuple[SimUser, SimUser, SimUser, SimUser]
) -> None:
    zahra, maryam, reza, _ = phones
    assert sandbox.db is not None
    gas, pamenar_abfa, ali = (sandbox.user(710, "گاز"), sandbox.user(711, "آبفا پامنار"),
                              sandbox.user(201, "علی"))
    await focal_point(sandbox, gas, "gas")
    await focal_point(sandbox, pamenar_abfa, "abfa", office="pamenar")
    await join(sandbox.db, ali, "pamenar")
    code = await file_request(sandbox, zahra, share=False)
    await open_card(sandbox, maryam)
    await refer(sandbox, maryam, ABFA, consent=None)
    await sandbox.deliver()
    assert [m for m in pamenar_abfa.messages() if "ارجاع از" in m.text] == []  # not theirs
    request = await store.by_code(sandbox.db, code)
    assert request is not None
    (before,) = await referrals.of_request(sandbox.db, request.id)
    told_before = (len(zahra.messages()), len(maryam.messages()), len(reza.messages()))
    forged = [f"agy:{a}:{before.id}:{before.version}" for a in ("ack", "prog", "done", "no",
                                                                "ask")]
    forged += [f"agy:show:{before.id}", f"agy:media:{before.id}"]
    for person in (gas, pamenar_abfa, zahra, ali, maryam):
        for data in [*forged, f"rfl:ack:{before.id}:{before.version}",
                     f"rfl:show:{before.id}"]:
            if person is maryam and data.startswith("rfl:"):
                continue  # her own office's side
            person.tap_data(data)
            await sandbox.deliver()
    (after,) = await referrals.of_request(sandbox.db, request.id)
    assert after == before
    assert (len(zahra.messages()), len(reza.messages())) == told_before[::2]
    assert len(await referrals.history(sandbox.db, before.id)) == 1


async def test_an_admin_and_a_supervisor_invite_focal_points_who_are_greeted_with_their_menu(
    sandbox: SandboxBot,
) -> None:
    assert sandbox.db is not None
    admin, boss, newcomer, other = (sandbox.user(ADMIN_ID, "مدیر"), sandbox.user(800, "ناظر"),
                                    sandbox.user(720, "مهدی"), sandbox.user(721, "نرگس"))
    kerman = await offices.province_by_slug(sandbox.db, "kerman")
    assert kerman is not None
    await seat(sandbox.db, boss, "supervisor", province=kerman[0])
    await sandbox.say(admin, t("menu.invite"))
    await sandbox.tap(admin, role_name("agency"))
    await sandbox.tap(admin, ABFA)
    created = (await sandbox.tap(admin, t("invite.whole_province", province="کرمان")))[-1]
    assert created.text.startswith("کد دعوت نمایندهٔ دستگاه (آبفا) برای استان کرمان")
    code = created.text.split("کد: ")[1].split("\n")[0]
    joined = await sandbox.say(newcomer, f"/start {code}")
    assert "نمایندهٔ دستگاه در استان کرمان" in joined[-1].text
    assert newcomer.menu_labels() == [t("menu.referrals"), "راهنما"]

    # A supervisor of the province: facilitators or focal points, for an office of theirs.
    assert (await sandbox.say(boss, t("menu.invite")))[-1].buttons() == [
        role_name("facilitator"), role_name("agency")]
    await sandbox.tap(boss, role_name("agency"))
    await sandbox.tap(boss, "شرکت گاز")
    created = (await sandbox.tap(boss, "دفتر تسهیل‌گری پامنار"))[-1]
    code = created.text.split("کد: ")[1].split("\n")[0]
    await sandbox.say(other, f"/start {code}")
    person = await get_person(sandbox.db, 721)
    assert person is not None and (person.role, person.agency) == ("agency", "gas")


async def test_the_digest_and_the_export_count_per_agency_as_computed_by_hand(
    sandbox: SandboxBot, clock: ManualClock,
    phones: tuple[SimUser, SimUser, SimUser, SimUser],
) -> None:
    """Two referrals on 11 Azar at 10:00: آبفا acknowledges one at 12:00 and does it at 16:00;
    the gas company (no focal point, by hand) says «not ours» at 13:00. By hand: آبفا
    referred 1, acknowledged 1, done 1, median 2 and 6 hours; شرکت گاز referred 1, acknowledged
    1 (its first answer), «not ours» 1, median 3 hours; nothing overdue."""
    zahra, maryam, reza, _ = phones
    assert sandbox.db is not None
    boss = sandbox.user(800, "ناظر")
    sarasiab = await offices.office_by_slug(sandbox.db, "sarasiab")
    assert sarasiab is not None
    await seat(sandbox.db, boss, "supervisor", province=sarasiab.province_id)
    first = await file_request(sandbox, zahra, share=False)
    second = await file_request(sandbox, zahra, share=False)
    await sandbox.say(maryam, f"/track {first}")
    await refer(sandbox, maryam, ABFA, consent=None)
    await sandbox.say(maryam, f"/track {second}")
    await refer(sandbox, maryam, "شرکت گاز", consent=None)
    await sandbox.deliver()
    clock.set(START + timedelta(hours=2))
    await sandbox.tap(reza, t("agency_loop.button_acknowledged"))
    clock.set(START + timedelta(hours=3))
    await sandbox.say(maryam, f"/track {second}")
    await sandbox.tap(maryam, t("agency_loop.office_button"))
    await sandbox.tap(maryam, t("agency_loop.hand_not_ours"))
    await sandbox.say(maryam, "کار شهرداری است")
    clock.set(START + timedelta(hours=6))
    await sandbox.tap(reza, t("agency_loop.button_done"))
    await sandbox.say(reza, "انجام شد")
    await sandbox.tap(reza, t("form.skip"))

    await sandbox.say(boss, "/digest")
    text = (await sandbox.tap(boss, t("digest.today")))[-1].text
    assert t("agency.figures_title") in text
    assert t("agency.figures_line", agency="آبفا", referred=1, acknowledged=1, done=1,
             not_ours=0, ack=t("agency.elapsed_hours", hours=2),
             act=t("agency.elapsed_hours", hours=6), overdue=0) in text
    assert t("agency.figures_line", agency="شرکت گاز", referred=1, acknowledged=1, done=0,
             not_ours=1, ack=t("agency.elapsed_hours", hours=3), act=t("agency.no_median"),
             overdue=0) in text

    today = START.astimezone(sandbox.settings.timezone).date()
    data, counts = await build_export(
        sandbox.db, sandbox.services.forms, office_ids=[sarasiab.id], start=today, end=today,
        tz=sandbox.settings.timezone, with_phones=False, org=sandbox.services.org)
    assert counts["referrals"] == 2
    rows = list(load_workbook(io.BytesIO(data))[t("agency.sheet")].iter_rows(values_only=True))
    assert rows[0][0] == t("agency.col_code") and len(rows) == 3
    body = "".join(str(cell) for row in rows for cell in row)
    assert "کار شهرداری است" in body and "زهرا" not in body

    # The dashboard's agency table, for the same supervisor: the same figures, and the page.
    person = await get_person(sandbox.db, 800)
    assert person is not None
    token, _ = await create_session(sandbox.db, person.id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(
            sandbox.services)), base_url="https://bot.example.org",
            cookies={COOKIE: token}) as web:
        table = (await web.get("/api/agencies", params={"period": "week"})).json()
        by_slug = {a["slug"]: a for a in table["agencies"]}
        assert {k: by_slug["abfa"][k] for k in ("referred", "acknowledged", "done", "not_ours",
                                                "median_ack_hours", "median_act_hours",
                                                "overdue")} == {
            "referred": 1, "acknowledged": 1, "done": 1, "not_ours": 0,
            "median_ack_hours": 2.0, "median_act_hours": 6.0, "overdue": 0}
        assert by_slug["gas"]["not_ours"] == 1 and by_slug["gas"]["median_ack_hours"] == 3.0
        assert by_slug["abfa"]["trend"][-1] == {"referred": 1, "done": 1}
        assert len(by_slug["abfa"]["trend"]) == len(table["weeks"])
        page = await web.get("/app/agencies")
        assert page.status_code == 200 and "agencies.js" in page.text
        assert (await web.get("/static/agencies.js")).status_code == 200
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(
            sandbox.services)), base_url="https://bot.example.org") as stranger:
        assert (await stranger.get("/api/agencies")).status_code == 401
