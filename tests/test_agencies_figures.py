"""Per-agency figures of a period against a hand-computed case, the digest's lines, the
export's referrals sheet, and the agencies' API keys."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import agencies
from bot.reports import referrals as sheet
from storage import apikeys, referrals
from tests.agency_world import PHONE, RESIDENT_NAME, World, make_world, new_request

TEHRAN = ZoneInfo("Asia/Tehran")
DAY1 = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # 10:00 on 11 Azar 1405 in Tehran
PERIOD = (datetime.combine(date(2026, 12, 2), time(0), TEHRAN),  # 11 to 17 Azar
          datetime.combine(date(2026, 12, 9), time(0), TEHRAN))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The agencies' world."""
    made = await make_world(tmp_path)
    yield made
    await made.db.close()


async def _at(world: World, moment: datetime) -> None:
    world.clock.set(moment)


async def hand_computed_week(world: World) -> None:
    """Five referrals (the hours are from each referral):
    R5 آبفا: referred two days before the week, done 72 h later (inside it);
    R1 آبفا: acknowledged after 2 h, done after 50 h;
    R2 آبفا: in progress after 6 h with a promise for 13 Azar, not done: overdue;
    R3 آبفا: «not ours» after 10 h;
    R4 گاز: never answered: overdue (12 h to acknowledge)."""
    db, focal = world.db, world.focal.id
    requests = [world.request] + [await new_request(db, world.resident, world.office_id, n)
                                  for n in range(2, 6)]
    r1, r2, r3, r4, r5 = requests
    await _at(world, DAY1 - timedelta(days=2))
    f5 = await referrals.refer(db, request_id=r5.id, agency="abfa", referred_by=None)
    await _at(world, DAY1)
    f1 = await referrals.refer(db, request_id=r1.id, agency="abfa", referred_by=None)
    await _at(world, DAY1 + timedelta(hours=1))
    f2 = await referrals.refer(db, request_id=r2.id, agency="abfa", referred_by=None)
    await _at(world, DAY1 + timedelta(hours=2))
    f3 = await referrals.refer(db, request_id=r3.id, agency="abfa", referred_by=None)
    f1 = await referrals.answer(db, f1, "acknowledged", actor_id=focal)
    await _at(world, DAY1 + timedelta(hours=3))
    await referrals.refer(db, request_id=r4.id, agency="gas", referred_by=None)
    await _at(world, DAY1 + timedelta(hours=7))
    await referrals.answer(db, f2, "in_progress", actor_id=focal, promised=date(2026, 12, 4))
    await _at(world, DAY1 + timedelta(hours=12))
    await referrals.answer(db, f3, "not_ours", actor_id=focal, note="مال شهرداری")
    await _at(world, DAY1 + timedelta(days=1))
    await referrals.answer(db, f5, "done", actor_id=focal)
    await _at(world, DAY1 + timedelta(hours=50))
    await referrals.answer(db, f1, "done", actor_id=focal, note="تعمیر شد")
    await _at(world, DAY1 + timedelta(days=6))


async def test_per_agency_figures_match_the_hand_computed_week(world: World) -> None:
    await hand_computed_week(world)
    found = await agencies.figures(world.db, world.org, [world.office_id], *PERIOD,
                                   world.clock.now(), TEHRAN)
    assert found == [
        # acknowledged in the week: R1 2 h, R2 6 h, R3 10 h, R5 72 h → median 8;
        # done in it: R1 50 h, R5 72 h → median 61
        agencies.AgencyFigures("abfa", referred=3, acknowledged=4, done=2, not_ours=1,
                               median_ack_hours=8.0, median_act_hours=61.0, overdue=1),
        agencies.AgencyFigures("gas", referred=1, acknowledged=0, done=0, not_ours=0,
                               median_ack_hours=None, median_act_hours=None, overdue=1),
    ]
    assert agencies.figures_lines(found, world.org) == [
        "ارجاع به دستگاه‌ها:",
        "• آبفا: ارجاع ۳، دریافت ۴، انجام ۲، «مربوط به ما نیست» ۱؛ میانهٔ زمان دریافت "
        "۸ ساعت، انجام ۳ روز؛ از موعد گذشته اکنون ۱",
        "• شرکت گاز: ارجاع ۱، دریافت ۰، انجام ۰، «مربوط به ما نیست» ۰؛ میانهٔ زمان دریافت "
        "—، انجام —؛ از موعد گذشته اکنون ۱",
    ]
    # Another office's figures hold none of them.
    assert await agencies.figures(world.db, world.org, [world.other_office_id], *PERIOD,
                                  world.clock.now(), TEHRAN) == []


async def test_the_referrals_sheet_has_a_row_per_referral_and_no_personal_data(
        world: World) -> None:
    await hand_computed_week(world)
    rows = await sheet.referral_rows(world.db, world.org, [world.office_id],
                                     date(2026, 12, 2), date(2026, 12, 8), tz=TEHRAN,
                                     now=world.clock.now(), categories={"urban": "شهری"})
    assert len(sheet.headers()) == len(rows[0]) == 16
    assert sheet.sheet_title() == "ارجاع‌ها"
    assert [(r[4], r[5], r[14]) for r in rows] == [
        ("شرکت آب و فاضلاب (آبفا)", "انجام شد", "خیر"),
        ("شرکت آب و فاضلاب (آبفا)", "در دست اقدام", "بله"),
        ("شرکت آب و فاضلاب (آبفا)", "مربوط به ما نیست", "خیر"),
        ("شرکت گاز", "ارجاع شد، منتظر دریافت", "بله"),
    ]
    first = rows[0]
    assert first[3] == "شهری" and first[6] == "۱۴۰۵/۰۹/۱۱ ۱۰:۰۰"
    assert first[13] == "رضا (آبفا)" and first[15] == "تعمیر شد"
    assert rows[1][10] == "۱۴۰۵/۰۹/۱۳"
    cells = " ".join(str(c) for row in rows for c in row)
    assert RESIDENT_NAME not in cells and "۰۹۱۲" not in cells and PHONE not in cells
    assert "لوله" not in cells  # no text of the resident's


async def test_an_api_key_is_stored_hashed_used_and_revoked(world: World) -> None:
    key = await apikeys.create(world.db, "abfa")
    assert len(key) >= 40
    with sqlite3.connect(world.db.path) as conn:
        stored = " ".join(str(v) for row in conn.execute("SELECT * FROM api_keys")
                          for v in row)
    assert key not in stored and key[:8] in stored
    assert await apikeys.agency_of(world.db, None) is None
    assert await apikeys.agency_of(world.db, "") is None
    assert await apikeys.agency_of(world.db, key + "x") is None
    world.clock.advance(60)
    assert await apikeys.agency_of(world.db, key) == "abfa"
    listed = await apikeys.list_keys(world.db, "abfa")
    assert listed[0].last_used_at == "2026-12-02T06:31:00+00:00" and listed[0].revoked_at is None
    other = await apikeys.create(world.db, "gas")
    assert await apikeys.revoke(world.db, key[:5]) == []  # too short to name a key
    assert await apikeys.revoke(world.db, key[:8], agency="gas") == []
    revoked = await apikeys.revoke(world.db, key[:8])
    assert [k.agency for k in revoked] == ["abfa"]
    assert await apikeys.agency_of(world.db, key) is None
    assert await apikeys.agency_of(world.db, other) == "gas"
