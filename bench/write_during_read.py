"""Benchmark (not a test): how long the bot's small writes wait while a long read runs on
the five-year database (issue 19: readers on connections of their own).

    .venv/bin/python bench/digest_bench.py          # once: fills bench-data/bench.db
    .venv/bin/python bench/write_during_read.py     # prints the figures

While a province's monthly export (and then a province's monthly digest) is built, one
heartbeat-sized write (an upsert of one `operations` row, as the monitor writes) is made
every 5 ms and timed from its call to its commit. The same writes with nothing else going
on are the baseline. The row is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SYSTEM_CLOCK
from bot.forms.model import load_forms
from bot.planning import labels_from
from bot.reports.digest import build_digest
from bot.reports.export import build_export
from bot.reports.periods import period_of
from storage import operations
from storage.db import Database

TZ = ZoneInfo("Asia/Tehran")
END = date(2026, 11, 20)
MARK = "bench.write_during_read"


async def writes_while(db: Database, work: Awaitable[object] | None,
                       count: int = 200) -> tuple[list[float], float]:
    """(each write's wait in ms, the work's seconds); `count` writes when there is no work."""
    task = asyncio.ensure_future(work) if work is not None else None
    started = time.perf_counter()
    waits = []
    while (task is not None and not task.done()) or (task is None and len(waits) < count):
        before = time.perf_counter()
        await operations.record(db, MARK, datetime.now(UTC).isoformat(), "")
        waits.append((time.perf_counter() - before) * 1000)
        await asyncio.sleep(0.005)
    if task is not None:
        await task
    return waits, time.perf_counter() - started


def row(label: str, waits: list[float], seconds: float) -> str:
    cuts = statistics.quantiles(waits, n=100) if len(waits) > 1 else waits * 99
    return (f"{label:<34}{len(waits):>7}{statistics.median(waits):>8.1f}{cuts[94]:>8.1f}"
            f"{max(waits):>8.1f}{seconds:>8.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("bench-data/bench.db"))
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} is missing: run bench/digest_bench.py first")
    db = await Database.open(args.db, clock=SYSTEM_CLOCK.now)
    try:
        forms = load_forms()
        offices = [r[0] for r in await db.fetchall(
            "SELECT id FROM offices WHERE province_id = 1")]
        month = period_of("month", END).previous()
        now = datetime.combine(END, datetime.min.time(), TZ).replace(hour=20).astimezone(UTC)
        print(f"{'writes (ms from call to commit)':<34}{'writes':>7}{'p50':>8}{'p95':>8}"
              f"{'max':>8}{'read s':>8}")
        print(row("nothing else running", *await writes_while(db, None)), flush=True)
        print(row("during a province's month export", *await writes_while(db, build_export(
            db, forms, office_ids=offices, start=month.start, end=month.end, tz=TZ,
            with_phones=False))), flush=True)
        print(row("during a province's month digest", *await writes_while(db, build_digest(
            db, office_ids=offices, scope="—", period=month, tz=TZ, labels=labels_from(forms),
            overdue_days=7, overdue_by_category={}, now=now))), flush=True)
        await db.execute("DELETE FROM operations WHERE name = ?", (MARK,))
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
