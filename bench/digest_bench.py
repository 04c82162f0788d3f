"""Benchmark (not a test): five years of a 22-province programme, then the time to build one
supervisor's daily, weekly and monthly digest and a province's monthly export.

    .venv/bin/python bench/digest_bench.py            # fills bench-data/bench.db once
    .venv/bin/python bench/digest_bench.py --refill   # starts from an empty database

About 2 million field reports, 200,000 needs assessments and 500,000 requests (with tags and
request events) are generated with a fixed seed; filling takes a few minutes and is done
once. The figures printed are wall-clock seconds on this machine and the process's peak
resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SYSTEM_CLOCK
from bot.forms.loader import load_forms
from bot.planning import labels_from
from bot.reports.digest import build_digest
from bot.reports.export import build_export
from bot.reports.periods import period_of
from storage.db import Database

TZ = ZoneInfo("Asia/Tehran")
PROVINCES, OFFICES_PER_PROVINCE, HOODS_PER_OFFICE, FACILITATORS_PER_OFFICE = 22, 5, 3, 6
REPORTS, NEEDS, REQUESTS = 2_000_000, 200_000, 500_000
DAYS = 5 * 365
END = date(2026, 11, 20)
BATCH = 50_000
ACTIVITIES = ["home_visit", "meeting", "workshop", "counselling", "skills", "event",
              "referral", "followup", "other"]
DOMAINS = ["social", "cultural", "economic", "urban", "capacity", "monitoring"]
CATEGORIES = ["addiction", "housing", "divorce", "child_labour", "livelihood", "dropout",
              "water", "safety"]
SEVERITIES = ["low", "medium", "high", "critical"]
REQUEST_CATEGORIES = ["urban", "welfare", "health", "education", "safety", "social_harm",
                      "employment", "other"]


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stamp(day: date, rng: random.Random) -> str:
    """A UTC instant during office hours of a Tehran day."""
    local = datetime.combine(day, datetime.min.time(), TZ) + timedelta(
        hours=rng.randint(8, 19), minutes=rng.randint(0, 59))
    return local.astimezone(UTC).isoformat(timespec="seconds")


async def fill(db: Database) -> None:
    """Organisation, people, submissions, tags, requests and events."""
    rng = random.Random(1405)
    now = SYSTEM_CLOCK.now().isoformat(timespec="seconds")
    async with db.transaction() as tx:
        for p in range(PROVINCES):
            await tx.execute("INSERT INTO provinces (slug, name) VALUES (?, ?)",
                             (f"p{p}", f"استان {p}"))
            for o in range(OFFICES_PER_PROVINCE):
                cursor = await tx.execute(
                    "INSERT INTO offices (slug, name, province_id, city) VALUES (?, ?, ?, ?)",
                    (f"p{p}-o{o}", f"دفتر {p}-{o}", p + 1, f"شهر {p}"))
                office = cursor.lastrowid
                for h in range(HOODS_PER_OFFICE):
                    await tx.execute(
                        "INSERT INTO neighbourhoods (office_id, slug, name) VALUES (?, ?, ?)",
                        (office, f"h{h}", f"محله {p}-{o}-{h}"))
                for f in range(FACILITATORS_PER_OFFICE):
                    await tx.execute(
                        "INSERT INTO people (user_id, display_name, role, office_id, "
                        "created_at, updated_at) VALUES (?, ?, 'facilitator', ?, ?, ?)",
                        (office * 100 + f, f"تسهیل‌گر {office}-{f}", office, now, now))
            await tx.execute(
                "INSERT INTO people (user_id, display_name, role, province_id, created_at, "
                "updated_at) VALUES (?, ?, 'supervisor', ?, ?, ?)",
                (900000 + p, f"ناظر {p}", p + 1, now, now))
        await tx.execute(
            "INSERT INTO people (user_id, display_name, role, created_at, updated_at) "
            "VALUES (999999, 'ساکنان', 'resident', ?, ?)", (now, now))
    offices = PROVINCES * OFFICES_PER_PROVINCE
    resident = (await db.fetchone("SELECT id FROM people WHERE user_id = 999999"))[0]  # type: ignore[index]
    facilitator_ids = {
        o: [r[0] for r in await db.fetchall(
            "SELECT id FROM people WHERE office_id = ? AND role = 'facilitator'", (o,))]
        for o in range(1, offices + 1)}
    started = time.perf_counter()
    for form, total in (("field_report", REPORTS), ("needs_assessment", NEEDS)):
        done = 0
        while done < total:
            size = min(BATCH, total - done)
            rows, tags = [], []
            first_id = done + (0 if form == "field_report" else REPORTS) + 1
            for n in range(size):
                office = rng.randint(1, offices)
                day = END - timedelta(days=rng.randrange(DAYS))
                hood = (office - 1) * HOODS_PER_OFFICE + rng.randint(1, HOODS_PER_OFFICE)
                sid = first_id + n
                if form == "field_report":
                    people = rng.randint(3, 60)
                    rows.append((sid, sid, form, 1, rng.choice(facilitator_ids[office]), office,
                                 hood, day.isoformat(), stamp(day, rng), rng.choice(ACTIVITIES),
                                 None, None, people, people // 4, people // 5, people // 2, 1,
                                 None, json.dumps({"summary": "گزارش نمونه"})))
                    tags += [(sid, "domains", d) for d in rng.sample(DOMAINS, 2)]
                else:
                    rows.append((sid, sid, form, 1, rng.choice(facilitator_ids[office]), office,
                                 hood, day.isoformat(), stamp(day, rng), None,
                                 rng.choice(CATEGORIES), rng.choice(SEVERITIES), None, None,
                                 None, None, None, rng.randint(1, 200),
                                 json.dumps({"description": "نیاز نمونه"})))
                    tags.append((sid, "groups", "children"))
            async with db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO submissions (id, draft_id, form, form_version, author_id, "
                    "office_id, neighbourhood_id, happened_on, created_at, activity, category, "
                    "severity, participants, children, adolescents, women, elderly, "
                    "households, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?)", rows)
                await tx.executemany(
                    "INSERT INTO submission_tags (submission_id, question, value) "
                    "VALUES (?, ?, ?)", tags)
            done += size
            print(f"  {form}: {done:,}/{total:,} ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    done = 0
    while done < REQUESTS:
        size = min(BATCH, REQUESTS - done)
        requests, events = [], []
        for n in range(size):
            rid = done + n + 1
            office = rng.randint(1, offices)
            day = END - timedelta(days=rng.randrange(DAYS))
            created = stamp(day, rng)
            status = rng.choices(["resolved", "rejected", "received", "in_review", "referred"],
                                 [70, 10, 8, 7, 5])[0]
            resolved = stamp(day + timedelta(days=rng.randint(1, 20)), rng) \
                if status == "resolved" else None
            requests.append((rid, f"{10_000_000 + rid}", -rid, resident, office,
                             (office - 1) * HOODS_PER_OFFICE + 1,
                             rng.choice(REQUEST_CATEGORIES), "درخواست نمونه", None, 1, status,
                             created, created, resolved))
            events.append((rid, created, resident, "filed", None, "received"))
            if status != "received":
                events.append((rid, resolved or created, None, "status", "received", status))
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO requests (id, code, draft_id, resident_id, office_id, "
                "neighbourhood_id, category, description, phone, anonymous, status, "
                "created_at, updated_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?)", requests)
            await tx.executemany(
                "INSERT INTO request_events (request_id, at, actor_id, kind, old_status, "
                "new_status) VALUES (?, ?, ?, ?, ?, ?)", events)
        done += size
        print(f"  requests: {done:,}/{REQUESTS:,} ({time.perf_counter() - started:.0f} s)",
              flush=True)
    await db.execute("ANALYZE")


async def timed(label: str, work: object) -> object:
    """Await `work`, print how long it took."""
    started = time.perf_counter()
    result = await work  # type: ignore[misc]
    print(f"{label:<46} {time.perf_counter() - started:8.3f} s")
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("bench-data/bench.db"))
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()
    if args.refill:
        for old in args.db.parent.glob(args.db.name + "*"):
            old.unlink()
    fresh = not args.db.exists()
    db = await Database.open(args.db, clock=SYSTEM_CLOCK.now)
    if fresh:
        print(f"filling {args.db} (once) …", flush=True)
        started = time.perf_counter()
        await fill(db)
        print(f"filled in {time.perf_counter() - started:.0f} s")
    counts = {form: n for form, n in await db.fetchall(
        "SELECT form, count(*) FROM submissions GROUP BY form")}
    requests = (await db.fetchone("SELECT count(*) FROM requests"))[0]  # type: ignore[index]
    print(f"database: {counts.get('field_report', 0):,} field reports, "
          f"{counts.get('needs_assessment', 0):,} needs, {requests:,} requests, "
          f"{args.db.stat().st_size / 2**30:.2f} GiB")
    forms = load_forms()
    labels = labels_from(forms)
    province_offices = [r[0] for r in await db.fetchall(
        "SELECT id FROM offices WHERE province_id = 1")]
    day = END
    now = datetime.combine(day, datetime.min.time(), TZ).replace(hour=20).astimezone(UTC)
    for scope_name, office_ids in (("one office", province_offices[:1]),
                                   ("a province (5 offices)", province_offices)):
        for kind in ("day", "week", "month"):
            await timed(f"{kind:>5} digest, {scope_name}", build_digest(
                db, office_ids=office_ids, scope="—", period=period_of(kind, day), tz=TZ,
                labels=labels, overdue_days=7, overdue_by_category={}, now=now))
    month = period_of("month", day).previous()
    data, rows = await timed("monthly export, a province", build_export(  # type: ignore[misc]
        db, forms, office_ids=province_offices, start=month.start, end=month.end, tz=TZ,
        with_phones=False))
    print(f"  export rows: {rows}, {len(data) / 1024:.0f} KiB")
    print(f"peak memory: {peak_mb():.0f} MB")
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
