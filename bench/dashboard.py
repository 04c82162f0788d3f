"""Benchmark (not a test): the dashboard's JSON API on the five-year database of
`bench/digest_bench.py`, the bot's replies while the dashboard is read, and the weight of
each page without map tiles.

    .venv/bin/python bench/digest_bench.py     # once: fills bench-data/bench.db
    .venv/bin/python bench/dashboard.py        # about three minutes

1. **API calls**: a province's supervisor (5 offices, 15 neighbourhoods, ~23,000 requests
   over five years) signed in; each API call `--repeat` times over loopback HTTP (uvicorn
   in this process, as the bot serves it) for a Jalali month (Mehr 1405) and for a year
   (Aban 1404 to Mehr 1405). Printed: p50, p95 and max in ms (goals: p95 under 100 ms
   for a month, 500 ms for a year).
2. **The bot beside it**: Tashilyar at 15 updates a second through the fake messenger
   (the open loop of `bench/throughput.py`: residents filing requests, facilitators needs
   assessments, on a fresh database) for `--seconds`, once alone and once while
   `--readers` supervisors read the dashboard (month and year calls in turn, served in the
   same process and event loop): without pause (the worst case), and with a second's
   pause between calls (people reading pages). Printed: the bot's reply p50/p95 each way
   (goal: no worse with the dashboard), the dashboard calls answered meanwhile.
3. **Page weight**: each page's HTML and the scripts, style sheets and fonts it loads (tiles
   are not counted), as sent and gzipped (goal: under 300 KB).

The database is opened as it is (its offices are not synced with an organisation file).
Everything stays on loopback; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.throughput import TOKEN, Driver, People, add_facilitators, open_loop, percentile
from bot.app import ALLOWED_UPDATES, build_application, open_services
from bot.clock import SYSTEM_CLOCK
from bot.config import SHIPPED_ORG_FILE, Settings
from bot.forms.loader import load_forms
from bot.org import load_organisation
from bot.sandbox import FakeBotAPI, FakeRequest
from bot.services import Services
from storage.db import Database
from storage.sessions import create_session
from web.app import build_web_app
from web.server import WebServer

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Tehran")
COOKIE = "tsy_session"
MONTH = "period=range&from=1405-07-01&to=1405-07-30"
YEAR = "period=range&from=1404-08-01&to=1405-07-30"
PAGES = ["/app/", "/app/map", "/app/requests", "/app/requests/{code}", "/app/hoods/{hood}",
         "/app/forms/field_report", "/app/activity"]


def calls(code: str, hood: int, period: str) -> list[tuple[str, str]]:
    """(name, path) of every API call a supervisor's pages make, for one period."""
    return [
        ("me", "/api/me"),
        ("overview", f"/api/overview?{period}"),
        ("map", f"/api/map?{period}"),
        ("requests", f"/api/requests?{period}"),
        ("requests filtered", f"/api/requests?{period}&status=resolved&category=urban"
                              "&sort=old&page=2"),
        ("requests search", f"/api/requests?{period}&q=نمونه"),
        ("request card", f"/api/requests/{code}"),
        ("neighbourhood", f"/api/hoods/{hood}?{period}"),
        ("forms", "/api/forms"),
        ("field reports", f"/api/forms/field_report?{period}"),
        ("needs", f"/api/forms/needs_assessment?{period}"),
        ("activity", f"/api/activity?{period}"),
        ("export csv", f"/app/export/requests.csv?{period}"),
    ]


async def dashboard_on(path: Path) -> tuple[Services, WebServer, str, str, int]:
    """The dashboard served on loopback from the bench database, and a province
    supervisor's session: (services, server, cookie, a request's code, a hood's id)."""
    settings = Settings(bot_token=TOKEN, database_path=path, org_file=SHIPPED_ORG_FILE,
                        timezone=TZ)
    db = await Database.open(path, clock=SYSTEM_CLOCK.now)
    services = Services(settings=settings, db=db, org=load_organisation(SHIPPED_ORG_FILE),
                        forms=load_forms(), clock=SYSTEM_CLOCK)
    person = await db.fetchone("SELECT id, province_id FROM people WHERE user_id = 900000")
    assert person is not None, "no supervisor 900000: fill with bench/digest_bench.py"
    token, _ = await create_session(db, person[0])
    code = await db.fetchone(
        "SELECT r.code, r.neighbourhood_id FROM requests r JOIN offices o ON o.id = r.office_id "
        "WHERE o.province_id = ? AND r.created_at >= '2026-10-01' ORDER BY r.id LIMIT 1",
        (person[1],))
    assert code is not None
    server = WebServer(build_web_app(services), "127.0.0.1", 0)
    await server.start()
    return services, server, token, str(code[0]), int(code[1])


async def timed_get(client: httpx.AsyncClient, path: str) -> float:
    """One GET, its wall time in ms; anything but 200 stops the bench."""
    started = time.perf_counter()
    answer = await client.get(path)
    elapsed = 1000 * (time.perf_counter() - started)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: HTTP {answer.status_code} {answer.text[:200]}")
    return elapsed


async def api_latency(client: httpx.AsyncClient, code: str, hood: int, repeat: int
                      ) -> dict[str, dict[str, list[float]]]:
    """Every call `repeat` times for the month and for the year."""
    found: dict[str, dict[str, list[float]]] = {}
    for period_name, period in (("month", MONTH), ("year", YEAR)):
        for name, path in calls(code, hood, period):
            await timed_get(client, path)  # a first call warms SQLite's page cache
            times = [await timed_get(client, path) for _ in range(repeat)]
            found.setdefault(name, {})[period_name] = times
            print(f"  {name:<18} {period_name:<5} p95 {percentile(times, 0.95):7.1f} ms",
                  flush=True)
    return found


def print_latency(found: dict[str, dict[str, list[float]]]) -> None:
    print("\nAPI calls, a province's supervisor (ms)")
    print(f"{'':<20}{'month p50':>10}{'p95':>8}{'max':>8}{'year p50':>11}{'p95':>8}{'max':>8}")
    for name, periods in found.items():
        row = f"{name:<20}"
        for period_name in ("month", "year"):
            times = periods[period_name]
            row += (f"{percentile(times, 0.5):{11 if period_name == 'year' else 10}.1f}"
                    f"{percentile(times, 0.95):8.1f}{max(times):8.1f}")
        print(row)


async def bot_run(rate: float, seconds: float, reader: Any) -> dict[str, Any]:
    """Tashilyar on a fresh database at `rate` updates a second for `seconds`; `reader`
    (an async function taking a stop event) reads the dashboard meanwhile, or None."""
    api = FakeBotAPI()
    people = People(api, "tashilyar")
    folder = Path(tempfile.mkdtemp(prefix="tashilyar-bench-"))
    settings = Settings(bot_token=TOKEN, database_path=folder / "bot.db",
                        org_file=SHIPPED_ORG_FILE, timezone=TZ, flood_per_minute=1_000_000,
                        max_requests_per_day=1_000, max_open_requests=1_000)
    services = await open_services(settings)
    application = build_application(services, request=FakeRequest(api), rate_limit=False)
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10,
                                            allowed_updates=ALLOWED_UPDATES)
    await application.start()
    driver = Driver(api)
    upcoming = People(api, "tashilyar")
    upcoming.make(int(rate * seconds) + int(rate * 3))
    await add_facilitators(services, upcoming.facilitators)
    stop = asyncio.Event()
    reading = asyncio.create_task(reader(stop)) if reader else None
    try:
        figures = await open_loop(driver, people, rate, seconds)
    finally:
        stop.set()
        read = await reading if reading else 0
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await services.db.close()
    figures["dashboard_calls"] = read
    return figures


def reader_of(client: httpx.AsyncClient, code: str, hood: int, readers: int,
              pause: float = 0.0) -> Any:
    """`readers` supervisors reading the dashboard's month and year calls in turn until
    stopped, `pause` seconds between one answer and their next call; returns how many
    calls were answered (their times on the function's `times`)."""
    paths = [p for period in (MONTH, YEAR) for _, p in calls(code, hood, period)
             if "export" not in p]
    times: list[float] = []

    async def one(stop: asyncio.Event, offset: int) -> None:
        n = offset
        while not stop.is_set() and n < offset + 100_000:  # bounded
            times.append(await timed_get(client, paths[n % len(paths)]))
            n += 1
            if pause:
                await asyncio.sleep(pause)  # a person reading the page, not a wait

    async def read(stop: asyncio.Event) -> int:
        await asyncio.gather(*(one(stop, k * 5) for k in range(readers)))
        read.times = times  # type: ignore[attr-defined]
        return len(times)

    return read


async def page_weight(client: httpx.AsyncClient, code: str, hood: int
                      ) -> dict[str, tuple[int, int]]:
    """Each page: (bytes as sent, bytes gzipped) of its HTML and same-origin assets."""
    weights: dict[str, tuple[int, int]] = {}
    asset_re = re.compile(r'(?:src|href)="(/static/[^"]+)"')
    for page in PAGES:
        path = page.format(code=code, hood=hood)
        html = (await client.get(path)).content
        assets = list(dict.fromkeys(asset_re.findall(html.decode())))
        bodies = [html]
        for asset in assets:
            body = (await client.get(asset)).content
            bodies.append(body)
            if asset.endswith(".css"):  # its fonts (url(...) relative to the sheet)
                base = asset.rsplit("/", 1)[0] + "/"
                for url in re.findall(r'url\("?([^")]+\.woff2)"?\)', body.decode()):
                    font = base + url if not url.startswith("/") else url
                    if font not in assets:
                        assets.append(font)
                        bodies.append((await client.get(font)).content)
        weights[page] = (sum(len(b) for b in bodies),
                         sum(len(b) if b[:4] == b"wOF2" else len(gzip.compress(b, 6))
                             for b in bodies))
    return weights


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench-data/bench.db")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rate", type=float, default=15.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} is missing: run bench/digest_bench.py first")
    services, server, token, code, hood = await dashboard_on(args.db)
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base, cookies={COOKIE: token}, timeout=60) as client:
        print("page weight without tiles (KB: as sent / gzipped)", flush=True)
        weights = await page_weight(client, code, hood)
        for page, (raw, packed) in weights.items():
            print(f"  {page:<28} {raw / 1024:7.1f} {packed / 1024:7.1f}")
        print(f"API calls, {args.repeat} of each, month and year …", flush=True)
        found = await api_latency(client, code, hood, args.repeat)
        print_latency(found)
        print(f"\nthe bot at {args.rate:g} updates a second for {args.seconds:g} s, alone …",
              flush=True)
        alone = await bot_run(args.rate, args.seconds, None)
        print(f"… with {args.readers} supervisors reading the dashboard without pause",
              flush=True)
        busy = reader_of(client, code, hood, args.readers)
        beside = await bot_run(args.rate, args.seconds, busy)
        print(f"… with {args.readers} supervisors reading a page a second", flush=True)
        paced = reader_of(client, code, hood, args.readers, pause=1.0)
        beside_paced = await bot_run(args.rate, args.seconds, paced)
    print(f"\nreplies at {args.rate:g} updates/s (ms)   p50     p95     p99  done p95   "
          "late  dashboard calls (p95 ms)")
    for name, f, reader in (("bot alone", alone, None), ("dashboard read nonstop", beside, busy),
                            ("dashboard read, 1 s pauses", beside_paced, paced)):
        extra = ""
        if reader is not None and f["dashboard_calls"]:
            extra = f"{f['dashboard_calls']:>6} ({percentile(reader.times, 0.95):.0f})"
        print(f"{name:<31}{f['p50_ms']:6.1f}{f['p95_ms']:8.1f}{f['p99_ms']:8.1f}"
              f"{f['done_p95_ms']:10.1f}{f['late_arrivals']:7d}  {extra}")
    await server.stop()
    await services.db.close()


if __name__ == "__main__":
    asyncio.run(main())
