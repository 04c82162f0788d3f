"""Benchmark (not a test): throughput and latency of the real application against a bare
PTB bot, both driven the same way through the in-process fake messenger with polling.

    .venv/bin/python bench/throughput.py            # both bots, each in its own process

Tashilyar runs with its real SQLite file (a fresh one) and its persistence; half the
simulated people are residents filing a request (8 updates: command, taps, typed text,
confirm), half facilitators filing a needs assessment (16 updates). The bare
bot has an echo handler and a plain 5-step ConversationHandler with no database; its
users send /go and five answers. Each person sends an update, waits for the reply, sends
the next (closed loop, many people at once). Printed: updates per second, p50/p95/p99
latency from an update becoming available to the bot's first reply to it, peak memory;
then an open-loop run at a fixed rate (100 updates a second) for the latency target.
Telegram's 30-messages-a-second limiter is off in tables 1-3: it caps the bot's sends, not
its own speed, and would make every run measure the limiter; table 4 runs Tashilyar as
shipped, with it on. The bare bot runs twice: with PTB's default (one update at a time)
and with 32 updates at once, as many as Tashilyar's own processor runs. "done p95" is the
time until the bot has finished answering (the next question on screen), not just its first
reaction; in the open loop every latency counts from the moment the update was due.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.app import ALLOWED_UPDATES, build_application, open_services
from bot.config import SHIPPED_ORG_FILE, Settings
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, FakeRequest, SimUser
from bot.services import Services
from storage import offices
from storage.people import create_invite, redeem_invite

TOKEN = "123456:BENCH"


def bare_application(api: FakeBotAPI, round_trip: float, concurrent: bool
                     ) -> Application[Any, Any, Any, Any, Any, Any]:
    """An echo handler and a 5-step conversation, no database, no persistence; PTB's
    defaults otherwise: updates handled one at a time, or with `concurrent` up to 32 at
    once (as many as Tashilyar's processor runs)."""
    request = FakeRequest(api, round_trip=round_trip)
    application = (Application.builder().token(TOKEN).request(request)
                   .get_updates_request(request).concurrent_updates(32 if concurrent else 1)
                   .build())

    def step(number: int) -> Any:
        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            assert update.effective_chat is not None
            await context.bot.send_message(update.effective_chat.id, f"پرسش {number + 1}")
            return number + 1 if number < 4 else ConversationHandler.END
        return answer

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "پرسش ۱")
        return 0

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.message is not None
        await context.bot.send_message(update.effective_chat.id, update.message.text or ".")

    application.add_handler(ConversationHandler(
        entry_points=[CommandHandler("go", start)],
        states={n: [MessageHandler(filters.TEXT & ~filters.COMMAND, step(n))]
                for n in range(5)},
        fallbacks=[]))
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


Step = tuple[str, str, bool]  # ("say" or "tap", text or label, whether a new message follows)


class Driver:
    """Simulated people: each sends an update, waits for the bot to react, then goes on.

    Latency is from the update being queued at the fake messenger (where the bot's long
    poll picks it up) to the bot's first send or edit in that person's chat. The person's
    next step waits until the bot has finished reacting: a new message has arrived, and
    the button they will tap next is on screen.
    """

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.latencies: list[float] = []  # to the bot's first send or edit
        self.completions: list[float] = []  # to the bot having finished (next step on screen)
        self.waiting: dict[int, tuple[int, asyncio.Event]] = {}
        loop = asyncio.get_running_loop()
        api.add_waker(lambda: loop.call_soon_threadsafe(self._dispatch))

    def _dispatch(self) -> None:
        for chat_id, (seen, event) in list(self.waiting.items()):
            if self.api.bot_seq.get(chat_id, 0) > seen:
                event.set()

    async def _changed_since(self, user: SimUser, seen: int) -> None:
        if self.api.bot_seq.get(user.id, 0) > seen:
            return
        event = asyncio.Event()
        self.waiting[user.id] = (seen, event)
        try:
            await event.wait()
        finally:
            del self.waiting[user.id]

    async def act(self, user: SimUser, step: Step, next_label: str | None,
                  since: float | None = None) -> None:
        """Do one step, time the bot's first reaction and its completion (from `since`, the
        moment the step was due, if given), wait until it has finished."""
        kind, value, new_message = step
        mine = user.messages()
        newest = max((m.message_id for m in mine), default=0)
        seen = self.api.last_seq
        started = time.perf_counter() if since is None else since
        user.tap(value) if kind == "tap" else user.send_text(value)
        await self._changed_since(user, seen)
        self.latencies.append(time.perf_counter() - started)
        while True:
            seen = self.api.bot_seq.get(user.id, 0)
            fresh = not new_message or any(m.message_id > newest for m in user.messages())
            if fresh and (next_label is None or next_label in user.visible_buttons()):
                self.completions.append(time.perf_counter() - started)
                return
            await self._changed_since(user, seen)

    async def flow(self, user: SimUser, steps: list[Step]) -> int:
        """Walk `user` through `steps`; return how many updates that was."""
        for n, step in enumerate(steps):
            following = steps[n + 1] if n + 1 < len(steps) else None
            label = following[1] if following and following[0] == "tap" else None
            await self.act(user, step, label)
        return len(steps)


def resident_steps(user: SimUser) -> list[Step]:
    """A resident files an anonymous request: 8 updates."""
    return [("say", "/request", True), ("tap", "خدمات شهری و زیرساخت", True),
            ("tap", "قلعه محمود", True),
            ("say", f"چراغ‌های کوچهٔ {user.first_name} خاموش است و شب‌ها تاریک است.", True),
            ("tap", t("form.skip"), True), ("tap", t("form.skip"), True),
            ("tap", "نه، بی‌نام بماند", True), ("tap", t("form.confirm"), True)]


def facilitator_steps(user: SimUser) -> list[Step]:
    """A facilitator files a needs assessment: 16 updates, two of them ticks on one message."""
    return [("say", "/need", True), ("tap", "قلعه محمود", True),
            ("tap", t("form.yesterday"), True), ("tap", "کار کودک و کودکان خیابانی", True),
            ("tap", "بحرانی", True), ("say", "۴۵", True),
            ("tap", "▫️ کودکان", False), ("tap", "▫️ مهاجران", False),
            ("tap", t("form.done"), True),
            ("say", "کودکان در چهارراه‌ها دست‌فروشی می‌کنند و به مدرسه نمی‌روند.", True),
            ("say", "مصاحبه", True), ("say", "جلسه با خانواده‌ها و ثبت‌نام مدرسه", True),
            ("tap", "بهزیستی", True), ("tap", t("form.skip"), True),
            ("tap", t("form.skip"), True), ("tap", t("form.confirm"), True)]


def bare_steps(user: SimUser) -> list[Step]:
    """/go and five answers, then one echo: 7 updates."""
    return [("say", text, True) for text in ("/go", "الف", "ب", "پ", "ت", "ث", "سلام")]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of them fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_figures(driver: Driver) -> dict[str, float]:
    """p50/p95/p99 in milliseconds to the first reaction, and p95 to the step's completion."""
    figures = {f"p{n}_ms": 1000 * percentile(driver.latencies, n / 100) for n in (50, 95, 99)}
    figures["done_p95_ms"] = 1000 * percentile(driver.completions, 0.95)
    return figures


async def add_facilitators(services: Services, users: list[SimUser]) -> None:
    """Make each of `users` a facilitator of قلعه محمود's office through a real invite."""
    db = services.db
    office = await offices.office_by_slug(db, "qaleh-mahmoud")
    assert office is not None, "the shipped org file has no qaleh-mahmoud office"
    for user in users:
        code = await create_invite(db, role="facilitator", office_id=office.id,
                                   created_by=None, days=1)
        await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)


class People:
    """Hands out simulated people with their steps: Tashilyar alternates residents and
    facilitators; the bare bot has one kind."""

    def __init__(self, api: FakeBotAPI, kind: str) -> None:
        self.api, self.kind = api, kind
        self.made = 0
        self.facilitators: list[SimUser] = []

    def make(self, count: int) -> list[tuple[SimUser, list[Step]]]:
        made = []
        for _ in range(count):
            n = self.made = self.made + 1
            user = SimUser(self.api, 10_000 + n, f"نفر{n}")
            if self.kind.startswith("bare"):
                made.append((user, bare_steps(user)))
            elif n % 2:
                made.append((user, resident_steps(user)))
            else:
                self.facilitators.append(user)
                made.append((user, facilitator_steps(user)))
        return made


async def open_loop(driver: Driver, people: People, rate: float, seconds: float) -> dict[str, Any]:
    """Updates arrive at `rate` a second from whoever is ready for their next step (each
    person still waits for the bot before their next update), for `seconds`."""
    ready: asyncio.Queue[tuple[SimUser, list[Step], int]] = asyncio.Queue()
    for user, steps in people.make(int(rate * 3)):
        ready.put_nowait((user, steps, 0))
    tasks: set[asyncio.Task[None]] = set()
    late = 0

    async def one(user: SimUser, steps: list[Step], index: int, due: float) -> None:
        following = steps[index + 1] if index + 1 < len(steps) else None
        label = following[1] if following and following[0] == "tap" else None
        await driver.act(user, steps[index], label, since=due)
        ready.put_nowait((user, steps, index + 1) if following else (*people.make(1)[0], 0))

    total = int(rate * seconds)
    started = time.perf_counter()
    for n in range(total):
        due = started + n / rate
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())  # pacing the load, not a wait
        if ready.empty():
            late += 1  # nobody ready: the bot is behind; the wait counts in the latency
        user, steps, index = await ready.get()
        task = asyncio.create_task(one(user, steps, index, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return {"rate": rate, "updates": total, "late_arrivals": late,
            "achieved_per_second": total / (time.perf_counter() - started),
            **latency_figures(driver)}


def api_calls(api: FakeBotAPI) -> int:
    """Calls the bot has made so far, polls not counted."""
    return sum(1 for call in api.calls if call.method != "getUpdates")


async def run(kind: str, people_count: int, rate: float, seconds: float,
              round_trip: float) -> dict[str, Any]:
    """Start the bot with polling, drive it, stop it; return the figures."""
    api = FakeBotAPI()
    people = People(api, kind)
    closed_people = people.make(people_count)
    services = None
    if kind.startswith("tashilyar"):
        folder = Path(tempfile.mkdtemp(prefix="tashilyar-bench-"))
        settings = Settings(bot_token=TOKEN, database_path=folder / "bench.db",
                            org_file=SHIPPED_ORG_FILE, timezone=ZoneInfo("Asia/Tehran"),
                            flood_per_minute=1_000_000, max_requests_per_day=1_000,
                            max_open_requests=1_000)
        services = await open_services(settings)
        application = build_application(
            services, request=FakeRequest(api, round_trip=round_trip),
            rate_limit=kind == "tashilyar-limited")
    else:
        application = bare_application(api, round_trip, concurrent=kind == "bare-concurrent")
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10,
                                            allowed_updates=ALLOWED_UPDATES)
    await application.start()
    driver = Driver(api)
    if services is not None:
        await add_facilitators(services, people.facilitators)
    calls_before, cpu_before = api_calls(api), time.process_time()
    started = time.perf_counter()
    counts = await asyncio.gather(*(driver.flow(u, steps) for u, steps in closed_people))
    elapsed = time.perf_counter() - started
    updates = sum(counts)
    closed = {"people": people_count, "updates": updates, "seconds": elapsed,
              "per_second": updates / elapsed, **latency_figures(driver),
              "calls_per_update": (api_calls(api) - calls_before) / updates,
              "cpu_ms_per_update": 1000 * (time.process_time() - cpu_before) / updates}
    driver.latencies.clear()
    driver.completions.clear()
    result: dict[str, Any] = {"kind": kind, "closed": closed}
    if seconds:
        if services is not None:  # the open loop's facilitators must exist before they act
            upcoming = People(api, kind)
            upcoming.made = people.made
            upcoming.make(int(rate * seconds) + int(rate * 3))
            await add_facilitators(services, upcoming.facilitators)
        result["open"] = await open_loop(driver, people, rate, seconds)
    if services is not None:
        result["saved"] = {
            table: (await services.db.fetchall(f"SELECT count(*) FROM {table}"))[0][0]
            for table in ("submissions", "requests")}
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    if services is not None:
        await services.db.close()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_in_child(kind: str, people: int, rate: float, seconds: float,
                 round_trip_ms: float) -> dict[str, Any]:
    """One bot's run in a fresh process, so neither inherits the other's memory or state."""
    out = subprocess.run([sys.executable, __file__, "--bot", kind, "--people", str(people),
                          "--rate", str(rate), "--seconds", str(seconds),
                          "--round-trip-ms", str(round_trip_ms)],
                         capture_output=True, text=True, env={**os.environ})
    if out.returncode:
        sys.exit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


KINDS = ("bare", "bare-concurrent", "tashilyar", "tashilyar-limited")


# A table column: heading, the figure's key, its format.
Column = tuple[str, str, str]
CLOSED_COLUMNS: list[Column] = [
    ("updates", "updates", ">8"), ("updates/s", "per_second", ">10.0f"),
    ("p50 ms", "p50_ms", ">8.1f"), ("p95 ms", "p95_ms", ">8.1f"), ("p99 ms", "p99_ms", ">8.1f"),
    ("done p95", "done_p95_ms", ">9.1f"), ("calls/upd", "calls_per_update", ">10.2f"),
    ("CPU ms/upd", "cpu_ms_per_update", ">11.2f"), ("peak MB", "peak_mb", ">8.0f")]
OPEN_COLUMNS: list[Column] = [
    ("updates", "updates", ">8"), ("achieved/s", "achieved_per_second", ">11.1f"),
    ("p50 ms", "p50_ms", ">8.1f"), ("p95 ms", "p95_ms", ">8.1f"), ("p99 ms", "p99_ms", ">8.1f"),
    ("done p95", "done_p95_ms", ">9.1f"), ("late", "late_arrivals", ">6")]


def _width(spec: str) -> str:
    """The field width in a format spec such as '>10.2f'."""
    return spec.lstrip(">").split(".")[0].rstrip("f")


def print_table(rows: dict[str, dict[str, Any]], columns: list[Column]) -> None:
    """One line per bot, the figures right-aligned under their headings."""
    print(f"{'':<18}" + "".join(f"{head:>{_width(spec)}}" for head, _, spec in columns))
    for kind, figures in rows.items():
        print(f"{kind:<18}" + "".join(f"{figures[key]:{spec}}" for _, key, spec in columns))


def print_closed(results: dict[str, dict[str, Any]]) -> None:
    """A closed-loop table, and Tashilyar's throughput against each bare bot's."""
    print_table({kind: {**r["closed"], "peak_mb": r["peak_mb"]} for kind, r in results.items()},
                CLOSED_COLUMNS)
    ours = results["tashilyar"]["closed"]["per_second"]
    for bare in ("bare", "bare-concurrent"):
        if bare in results:
            ratio = ours / results[bare]["closed"]["per_second"]
            print(f"ratio tashilyar / {bare} PTB throughput: {ratio:.2f}")


def run_all(kinds: tuple[str, ...], people: int, rate: float, seconds: float,
            round_trip_ms: float) -> dict[str, dict[str, Any]]:
    """Each bot in its own process, one after the other."""
    results = {}
    for kind in kinds:
        print(f"running {kind}: {people} people at once"
              + (f", then {rate:.0f} updates/s for {seconds:.0f} s" if seconds else "")
              + (f", {round_trip_ms:.0f} ms per call" if round_trip_ms else "") + " …",
              file=sys.stderr, flush=True)
        results[kind] = run_in_child(kind, people, rate, seconds, round_trip_ms)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bot", choices=KINDS, help="run one bot, print JSON")
    parser.add_argument("--people", type=int, default=100, help="people at once, closed loop")
    parser.add_argument("--rate", type=float, default=100.0, help="open loop, updates a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="open loop duration")
    parser.add_argument("--round-trip-ms", type=float, default=0.0,
                        help="with --bot: simulated network time per call")
    parser.add_argument("--network-ms", type=float, default=100.0,
                        help="round trip for the networked comparison (0 skips it)")
    args = parser.parse_args()
    if args.bot:
        print(json.dumps(asyncio.run(run(args.bot, args.people, args.rate, args.seconds,
                                         args.round_trip_ms / 1000))))
        return
    results = run_all(("bare", "bare-concurrent", "tashilyar"), args.people, args.rate,
                      args.seconds, 0)
    print(f"\n1. closed loop, in process: {args.people} people at once, each waiting for "
          "the bot to finish answering before their next update")
    print_closed(results)
    print(f"\n2. open loop: {args.rate:.0f} updates/s for {args.seconds:.0f} s from people "
          "part-way through their forms; latency from the moment each update was due")
    print_table({kind: r["open"] for kind, r in results.items()}, OPEN_COLUMNS)
    saved = results["tashilyar"]["saved"]
    print(f"tashilyar saved {saved['submissions']} needs assessments and {saved['requests']} "
          "requests in all")
    if args.network_ms:
        people = max(10, args.people // 2)
        networked = run_all(("bare", "bare-concurrent", "tashilyar"), people, args.rate, 0,
                            args.network_ms)
        print(f"\n3. closed loop, {people} people, each call to the messenger taking "
              f"{args.network_ms:.0f} ms")
        print_closed(networked)
    shipped = run_all(("tashilyar-limited",), 20, args.rate, 0, 0)
    print("\n4. as shipped: Telegram's 30-messages-a-second limiter on, 20 people at once, "
          "in process")
    print_closed({"tashilyar": shipped["tashilyar-limited"]})


if __name__ == "__main__":
    main()
