"""Retention by the app's clock: a request closed 366 days ago loses its phone number, text,
photos, voice note, exact location, notes and the notices that quoted it (every table and
every column read for them); one closed 364 days ago keeps them; the digest's counts do not
change; the daily job runs once a day; `tashilyar status` shows the last run."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.ops.status import status_lines
from bot.planning import labels_from
from bot.privacy import RETENTION_TIME, RetentionSchedule, daily_retention, retention_due
from bot.reports.digest import Digest, build_digest
from bot.reports.periods import period_of
from bot.sandbox import SandboxBot
from storage import drafts, offices, privacy
from storage import requests as store
from storage.db import Database
from storage.people import get_person, resolve_person
from storage.requests import Owed
from tests.privacy_scan import scan
from tests.test_requests import join

TZ = ZoneInfo("Asia/Tehran")


async def filed_and_resolved(bot: SandboxBot, user_id: int, n: int) -> store.Request:
    """Resident `user_id` files request number `n` (phone, two photos, a voice note, a
    location; staff told with its first line); a facilitator resolves it with a note."""
    db = bot.db
    assert db is not None
    resident = await resolve_person(db, user_id, f"ساکن{n}", frozenset())
    staff = await get_person(db, 900)
    if staff is None:  # Maryam, a facilitator of Sarasiab's office
        await join(db, bot.user(900, "مریم"), "sarasiab")
        staff = await get_person(db, 900)
        assert staff is not None
    office = await offices.office_by_slug(db, "sarasiab")
    assert office is not None
    hood = await db.fetchone("SELECT id FROM neighbourhoods WHERE office_id = ? LIMIT 1",
                             (office.id,))
    assert hood is not None
    new = store.NewRequest(
        draft_id=1000 + n, resident_id=resident.id, office_id=office.id,
        neighbourhood_id=hood[0], category="urban", description=f"متن شمارهٔ {n} دربارهٔ کوچه",
        phone=f"+98913000000{n}", photos=[(f"photo-{n}-a", f"u-{n}-a"), (f"photo-{n}-b", "ub")],
        location=(30.28 + n / 1000, 57.08), voices=[(f"voice-{n}", f"uv-{n}")])

    def tell(request_id: int, code: str) -> list[Owed]:
        return [Owed(f"staff:new:{request_id}:{staff.id}", staff.user_id,
                     f"درخواست تازه {code}: «{new.description}»")]

    request, _ = await store.file_request(db, new, max_open=9, max_per_day=9, notices=tell)
    return await store.change_status(db, request, "resolved", actor_id=staff.id,
                                     note=f"یادداشت حل شمارهٔ {n}", notices=[])


def personal(n: int) -> dict[str, list[str]]:
    """What scan looks for of request number `n`."""
    return {"phones": [f"+98913000000{n}"],
            "texts": [f"متن شمارهٔ {n}", f"photo-{n}-a", f"voice-{n}", f"یادداشت حل شمارهٔ {n}",
                      str(30.28 + n / 1000)]}


async def digest_of(bot: SandboxBot, day: datetime) -> Digest:
    """The office's digest of one day."""
    assert bot.db is not None
    office = await offices.office_by_slug(bot.db, "sarasiab")
    assert office is not None
    return await build_digest(
        bot.db, office_ids=[office.id], scope="سرآسیاب",
        period=period_of("day", day.astimezone(TZ).date()), tz=TZ,
        labels=labels_from(bot.services.forms), overdue_days=7, overdue_by_category={},
        now=bot.clock.now())


def next_local(clock: ManualClock, at: time) -> None:
    """Move the clock forward to the next `at` (local time)."""
    local = clock.now().astimezone(TZ)
    target = datetime.combine(local.date(), at, tzinfo=TZ)
    if target <= local:
        target += timedelta(days=1)
    clock.set(target)


async def test_a_request_closed_366_days_ago_loses_its_personal_data_364_keeps_it(
    sandbox: SandboxBot, clock: ManualClock
) -> None:
    db = sandbox.db
    assert db is not None
    next_local(clock, time(10, 0))
    old_day = clock.now()
    await filed_and_resolved(sandbox, 7001, 1)
    clock.advance(timedelta(days=2))
    young_day = clock.now()
    await filed_and_resolved(sandbox, 7002, 2)
    clock.advance(timedelta(days=364))
    old_digest, young_digest = await digest_of(sandbox, old_day), await digest_of(
        sandbox, young_day)
    assert old_digest.figures.requests_resolved == 1
    assert await scan(db, **personal(1))  # there before

    run = await daily_retention(sandbox.services, RetentionSchedule())
    assert run is not None
    assert run.removed == {"requests": 1, "phones": 1, "texts": 1, "photos": 2, "voices": 1,
                           "locations": 1, "notes": 1, "notices": 1}
    assert await scan(db, **personal(1)) == []
    kept = {f.what for f in await scan(db, **personal(2))}
    assert kept == {"phone", "text"}
    old = (await db.fetchall("SELECT * FROM requests ORDER BY id"))[0]
    assert (old["status"], old["category"], old["phone"], old["description"]) == (
        "resolved", "urban", None, "")
    assert old["neighbourhood_id"] is not None and old["personal_removed_at"] is not None
    assert (await digest_of(sandbox, old_day)).figures == old_digest.figures
    assert (await digest_of(sandbox, young_day)).text == young_digest.text

    clock.advance(timedelta(days=2))  # now the second one is 366 days closed
    run = await daily_retention(sandbox.services, RetentionSchedule())
    assert run is not None and run.removed["requests"] == 1
    assert await scan(db, **personal(2)) == []
    assert (await digest_of(sandbox, young_day)).figures == young_digest.figures

    lines, problem = await status_lines(db, sandbox.services.settings, clock.now())
    line = next(x for x in lines if x.startswith("last retention run"))
    assert "0 s ago" in line and "over 365 days" in line and "phones 1" in line
    assert not problem


async def test_the_daily_job_runs_once_a_day_after_four(
    sandbox: SandboxBot, clock: ManualClock
) -> None:
    db = sandbox.db
    assert db is not None
    lines, _ = await status_lines(db, sandbox.services.settings, clock.now())
    assert "last retention run: never (RETENTION_DAYS=365)" in lines
    next_local(clock, time(3, 0))
    schedule = RetentionSchedule()
    assert await daily_retention(sandbox.services, schedule) is None  # before 04:00
    next_local(clock, RETENTION_TIME)
    first = await daily_retention(sandbox.services, schedule)
    assert first is not None and first.removed == {}
    clock.advance(timedelta(hours=5))
    assert await daily_retention(sandbox.services, schedule) is None
    assert await daily_retention(sandbox.services, RetentionSchedule()) is None  # a restart
    clock.advance(timedelta(hours=20))
    assert await daily_retention(sandbox.services, schedule) is not None
    runs = await db.fetchall("SELECT days, removed FROM retention_runs")
    assert [(r["days"], json.loads(r["removed"])) for r in runs] == [(365, {}), (365, {})]
    last = await privacy.last_run(db)
    assert last is not None and not retention_due(clock.now(), TZ, None, last.at)


async def test_stale_drafts_and_orphan_conversations_go(
    sandbox: SandboxBot, clock: ManualClock
) -> None:
    db: Database | None = sandbox.db
    assert db is not None
    old = await resolve_person(db, 7101, "ساکن", frozenset())
    fresh = await resolve_person(db, 7102, "ساکن دیگر", frozenset())
    await drafts.start_draft(db, person_id=old.id, form="resident_request", form_version=1,
                             office_id=None, first_question="category", delivery="u:1")
    clock.advance(timedelta(days=31))
    await drafts.start_draft(db, person_id=fresh.id, form="resident_request", form_version=1,
                             office_id=None, first_question="category", delivery="u:2")
    await db.executemany("INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)",
                         [("forms", json.dumps([7101, 7101]), "1"),
                          ("forms", json.dumps([7102, 7102]), "1"),
                          ("forms", json.dumps([7103, 7103]), "1")])
    run = await privacy.retention(db, clock.now(), 365)
    assert run.removed == {"drafts": 1, "conversations": 2}
    assert await drafts.draft_of(db, fresh.id) is not None
    assert await drafts.draft_of(db, old.id) is None
    left = await db.fetchall("SELECT key FROM ptb_conversations")
    assert [json.loads(r["key"]) for r in left] == [[7102, 7102]]
