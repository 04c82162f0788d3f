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

    .venv/bin/python bench/throughput.py --shipped  # only table 5 (issue 15), ~2.5 minutes

Table 5 runs Tashilyar as shipped (its replies-first limiter on) against a messenger that
answers 429 past 30 sends a second, with people filing the three forms in turn (request,
needs assessment, field report with a photo and the location): a closed loop of 20 and of
50 people; an open loop at 15 updates a second during which 300 supervisors' daily digests
fall due (reply latency then, seconds until the last digest is delivered, 429s), beside the
same run with one lane for replies and the outbox; and the counted calls (sends and edits,
not acknowledgements) per update of each form.
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
from dataclasses import replace
from datetime import timedelta
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

import bot.app as bot_app
from bot.app import ALLOWED_UPDATES, build_application, open_services
from bot.config import SHIPPED_ORG_FILE, Settings
from bot.locale.text import t
from bot.ratelimit import RepliesFirstLimiter
from bot.sandbox import FakeBotAPI, FakeRequest, SimUser
from bot.sandbox.fake_api import Call
from bot.schedule import deliver_due, enqueue_due_digests
from bot.services import Services
from storage import offices, outbox
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


# ("say", "tap" or "photo", text or label, whether a new message follows: a tap on the live
# question message edits it into the next question instead)
Step = tuple[str, str, bool]


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
        self.started: list[float] = []  # when each of those steps was due
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
            await asyncio.wait_for(event.wait(), 120)  # a bench that hangs says so
        except TimeoutError:
            raise AssertionError(f"{user.first_name} got no answer; last: {user.last.text!r}"
                                 ) from None
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
        if kind == "photo":
            user.send_photo()
        else:
            user.tap(value) if kind == "tap" else user.send_text(value)
        await self._changed_since(user, seen)
        self.started.append(started)
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
    """A resident files an anonymous request: 8 updates. In پامنار, an office with no staff
    in the bench: the facilitators filing forms in قلعه محمود are not sent a card for every
    request (a card on top of the question they are answering would stall the driver,
    which waits for the next button on the newest message)."""
    return [("say", "/request", True), ("tap", "آب، برق، گاز، کوچه و خیابان", False),
            ("tap", "پامنار", False),
            ("say", f"چراغ‌های کوچهٔ {user.first_name} خاموش است و شب‌ها تاریک است.", True),
            ("tap", t("form.skip"), True),  # no photos: the location question has the share
            ("tap", t("form.skip"), True),  # keyboard, so a new message; then skip typed
            ("tap", "نه، زنگ نزنید", False), ("tap", t("form.confirm"), True)]


def facilitator_steps(user: SimUser) -> list[Step]:
    """A facilitator files a needs assessment: 16 updates, two of them ticks on one message."""
    return [("say", "/need", True), ("tap", "قلعه محمود", False),
            ("tap", t("form.yesterday"), False), ("tap", "کار کودک و کودکان خیابانی", False),
            ("tap", "بحرانی", False), ("say", "۴۵", True),
            ("tap", "▫️ کودکان", False), ("tap", "▫️ مهاجران", False),
            ("tap", t("form.done"), False),
            ("say", "کودکان در چهارراه‌ها دست‌فروشی می‌کنند و به مدرسه نمی‌روند.", True),
            ("say", "مصاحبه", True), ("say", "جلسه با خانواده‌ها و ثبت‌نام مدرسه", True),
            ("tap", "بهزیستی", False), ("tap", t("form.skip"), True),
            ("tap", t("form.skip"), True), ("tap", t("form.confirm"), True)]


def field_report_steps(user: SimUser) -> list[Step]:
    """A facilitator files a field report with a photo and the location: 20 updates."""
    return [("say", "/report", True), ("tap", "قلعه محمود", False),
            ("tap", t("form.today"), False), ("tap", "کارگاه یا آموزش", False),
            ("tap", "▫️ اجتماعی", False), ("tap", "▫️ توانمندسازی", False),
            ("tap", t("form.done"), False), ("say", "۲۴", True), ("say", "۶", True),
            ("say", "۹", True), ("say", "۱۴", True), ("say", "۲", True),
            ("tap", "▫️ بهزیستی", False), ("tap", t("form.done"), False),
            ("say", f"کارگاه مهارت‌های زندگی با {user.first_name} برای نوجوانان محله", True),
            ("tap", t("form.no"), False), ("photo", "", True), ("tap", t("form.done"), True),
            ("tap", t("form.send_location"), True), ("tap", t("form.confirm"), True)]


FORMS = {"request": resident_steps, "needs assessment": facilitator_steps,
         "field report": field_report_steps}


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
    figures["done_p50_ms"] = 1000 * percentile(driver.completions, 0.50)
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
        self.form_of: dict[int, str] = {}  # user id → the form they file

    def make(self, count: int) -> list[tuple[SimUser, list[Step]]]:
        made = []
        for _ in range(count):
            n = self.made = self.made + 1
            user = SimUser(self.api, 10_000 + n, f"نفر{n}")
            if self.kind.startswith("bare"):
                made.append((user, bare_steps(user)))
                continue
            # as shipped: the three forms in turn; tables 1-4: requests and needs in turn
            form = list(FORMS)[n % 3] if self.kind == "shipped" else list(FORMS)[1 - n % 2]
            if form != "request":
                self.facilitators.append(user)
            self.form_of[user.id] = form
            made.append((user, FORMS[form](user)))
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


def counted(api: FakeBotAPI, since: int = 0) -> list[Call]:
    """Calls that count against the messenger's limit: those with a chat (sends, edits);
    a tap's acknowledgement has none."""
    return [c for c in api.calls[since:] if "chat_id" in c.params]


def calls_by_form(api: FakeBotAPI, people: People, flows: list[tuple[SimUser, list[Step]]],
                  since: int) -> dict[str, dict[str, float]]:
    """Per form: people, updates, counted calls in their chats, and calls per update."""
    per_chat: dict[int, int] = {}
    for call in counted(api, since):
        per_chat[call.params["chat_id"]] = per_chat.get(call.params["chat_id"], 0) + 1
    figures: dict[str, dict[str, float]] = {}
    for user, steps in flows:
        row = figures.setdefault(people.form_of[user.id],
                                 {"people": 0, "updates": 0, "calls": 0})
        row["people"] += 1
        row["updates"] += len(steps)
        row["calls"] += per_chat.get(user.id, 0)
    for row in figures.values():
        row["per_update"] = row["calls"] / row["updates"]
    return figures


async def add_supervisors(services: Services, api: FakeBotAPI, count: int) -> list[SimUser]:
    """`count` supervisors of قلعه محمود's office, through real invites, each with a chat."""
    db = services.db
    office = await offices.office_by_slug(db, "qaleh-mahmoud")
    assert office is not None
    made = []
    for n in range(count):
        user = SimUser(api, 900_000 + n, f"ناظر{n}")
        code = await create_invite(db, role="supervisor", office_id=office.id,
                                   created_by=None, days=1)
        await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)
        made.append(user)
    return made


async def digests_fall_due(application: Any, services: Services, api: FakeBotAPI,
                           supervisors: list[SimUser]) -> dict[str, Any]:
    """The daily digest time comes: owe every supervisor their digest (as the tick job
    does) and deliver the outbox until nothing is left (coming back after a 429 as the
    repeating outbox job would). Seconds from the digest time to the last one delivered."""
    due = time.perf_counter()
    owed = await enqueue_due_digests(services, services.clock.now())
    while True:
        await deliver_due(application.bot, services.db)
        if not await outbox.due(services.db, services.clock.now() + timedelta(days=1)):
            break
        await asyncio.sleep(1.0)  # the repeating job's next round (every 5 s as shipped)
    delivered = sum(1 for u in supervisors for m in u.messages() if m.text.startswith("📋"))
    return {"owed": owed, "delivered": delivered, "seconds": time.perf_counter() - due,
            "due_at": due}


async def run_shipped(people_count: int, rate: float, seconds: float,
                      supervisors: int) -> dict[str, Any]:
    """Tashilyar as shipped (its limiter on) against a messenger that answers 429 past 30
    sends a second: a closed loop of `people_count` people filing the three forms; then,
    with `seconds`, an open loop at `rate` updates a second during which `supervisors`'
    daily digests fall due."""
    api = FakeBotAPI(max_rate=30)
    people = People(api, "shipped")
    closed_people = people.make(people_count)
    folder = Path(tempfile.mkdtemp(prefix="tashilyar-bench-"))
    settings = Settings(bot_token=TOKEN, database_path=folder / "bench.db",
                        org_file=SHIPPED_ORG_FILE, timezone=ZoneInfo("Asia/Tehran"),
                        flood_per_minute=1_000_000, max_requests_per_day=1_000,
                        max_open_requests=1_000)
    services = await open_services(settings)
    application = build_application(services, request=FakeRequest(api), rate_limit=True)
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10,
                                            allowed_updates=ALLOWED_UPDATES)
    await application.start()
    driver = Driver(api)
    await add_facilitators(services, people.facilitators)
    since, started = len(api.calls), time.perf_counter()
    counts = await asyncio.gather(*(driver.flow(u, steps) for u, steps in closed_people))
    elapsed = time.perf_counter() - started
    updates = sum(counts)
    figures = latency_figures(driver)
    result: dict[str, Any] = {"closed": {
        "people": people_count, "updates": updates, "seconds": elapsed,
        "per_second": updates / elapsed, **figures,
        "counted_per_update": len(counted(api, since)) / updates,
        "rejected_429": len(api.rejected_calls(429))},
        "forms": calls_by_form(api, people, closed_people, since)}
    if seconds:
        upcoming = People(api, "shipped")
        upcoming.made = people.made
        upcoming.make(int(rate * seconds) + int(rate * 3))
        await add_facilitators(services, upcoming.facilitators)
        bosses = await add_supervisors(services, api, supervisors)
        now = services.clock.now().astimezone(settings.timezone)
        # The digest time is one second from now (the supervisors joined before it).
        services.settings = replace(settings, digest_time=(now + timedelta(seconds=1)).time())
        driver.latencies.clear()
        driver.completions.clear()
        driver.started.clear()
        limited_before = len(api.rejected_calls(429))

        async def digests_later() -> dict[str, Any]:
            await asyncio.sleep(2.0)  # two seconds into the open loop (pacing, not a wait)
            return await digests_fall_due(application, services, api, bosses)

        digesting = asyncio.create_task(digests_later())
        result["open"] = await open_loop(driver, people, rate, seconds)
        digest = await digesting
        during = [(first, done) for at, first, done in zip(
            driver.started, driver.latencies, driver.completions, strict=True)
            if digest["due_at"] <= at <= digest["due_at"] + digest["seconds"]]
        result["open"].update({
            "digests_owed": digest["owed"], "digests_delivered": digest["delivered"],
            "last_digest_s": digest["seconds"],
            "during_updates": len(during),
            "during_p95_ms": 1000 * percentile([f for f, _ in during], 0.95) if during else 0,
            "during_done_p95_ms": 1000 * percentile([d for _, d in during], 0.95)
            if during else 0,
            "rejected_429": len(api.rejected_calls(429)) - limited_before})
    result["saved"] = {
        table: (await services.db.fetchall(f"SELECT count(*) FROM {table}"))[0][0]
        for table in ("submissions", "requests")}
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await services.db.close()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_in_child(kind: str, people: int, rate: float, seconds: float,
                 round_trip_ms: float, supervisors: int = 0) -> dict[str, Any]:
    """One bot's run in a fresh process, so neither inherits the other's memory or state."""
    out = subprocess.run([sys.executable, __file__, "--bot", kind, "--people", str(people),
                          "--rate", str(rate), "--seconds", str(seconds),
                          "--round-trip-ms", str(round_trip_ms),
                          "--supervisors", str(supervisors)],
                         capture_output=True, text=True, env={**os.environ})
    if out.returncode:
        sys.exit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


KINDS = ("bare", "bare-concurrent", "tashilyar", "tashilyar-limited", "shipped", "one-lane")


class OneLane(RepliesFirstLimiter):
    """For comparison only: the shipped limiter with its bulk mark ignored, so replies and
    the outbox wait in one lane, first come first served (the pace is the same)."""

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: dict[str, Any] | None) -> Any:
        return await super().process_request(callback, args, kwargs, endpoint, data, None)


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


SHIPPED_CLOSED: list[Column] = [
    ("people", "people", ">7"), ("updates", "updates", ">8"),
    ("updates/s", "per_second", ">10.1f"), ("p50 ms", "p50_ms", ">8.0f"),
    ("p95 ms", "p95_ms", ">8.0f"), ("done p50", "done_p50_ms", ">9.0f"),
    ("done p95", "done_p95_ms", ">9.0f"), ("counted/upd", "counted_per_update", ">12.3f"),
    ("429s", "rejected_429", ">6")]
SHIPPED_OPEN: list[Column] = [
    ("updates", "updates", ">8"), ("achieved/s", "achieved_per_second", ">11.1f"),
    ("p50 ms", "p50_ms", ">8.0f"), ("p95 ms", "p95_ms", ">8.0f"), ("p99 ms", "p99_ms", ">8.0f"),
    ("done p95", "done_p95_ms", ">9.0f"), ("late", "late_arrivals", ">6")]
SHIPPED_DIGESTS: list[Column] = [
    ("digests", "digests_delivered", ">8"), ("last s", "last_digest_s", ">8.1f"),
    ("updates", "during_updates", ">8"), ("p95 ms", "during_p95_ms", ">8.0f"),
    ("done p95", "during_done_p95_ms", ">9.0f"), ("429s", "rejected_429", ">6")]
FORM_COLUMNS: list[Column] = [
    ("people", "people", ">7"), ("updates", "updates", ">8"), ("counted", "calls", ">8"),
    ("per update", "per_update", ">11.3f")]


def run_shipped_tables(rate: float, seconds: float, supervisors: int) -> None:
    """Table 5: as shipped, the limiter on and a messenger that says 429 past 30 a second."""
    print(f"running as shipped: 20 people; then 50 people, then {rate:.0f} updates/s for "
          f"{seconds:.0f} s while {supervisors} digests fall due …", file=sys.stderr,
          flush=True)
    twenty = run_in_child("shipped", 20, rate, 0, 0)
    fifty = run_in_child("shipped", 50, rate, seconds, 0, supervisors)
    one_lane = run_in_child("one-lane", 50, rate, seconds, 0, supervisors)
    print("\n5a. as shipped, closed loop: the replies-first limiter on (29 sends a second), "
          "the messenger answering 429 past 30; people filing the three forms in turn")
    print_table({f"{r['closed']['people']} people": r["closed"] for r in (twenty, fifty)},
                SHIPPED_CLOSED)
    print(f"\n5b. as shipped, open loop: {rate:.0f} updates/s for {seconds:.0f} s; two "
          f"seconds in, the daily digests of {supervisors} supervisors fall due")
    print_table({"all updates": fifty["open"], "one lane": one_lane["open"]}, SHIPPED_OPEN)
    print("while the digests were delivered (from their time to the last one):")
    print_table({"replies first": fifty["open"], "one lane": one_lane["open"]},
                SHIPPED_DIGESTS)
    print("(one lane: the same limiter with the outbox's bulk mark ignored, for comparison)")
    print("\n5c. counted calls (sends and edits; no acknowledgements) per update, by form, "
          "50-people closed loop")
    print_table(fifty["forms"], FORM_COLUMNS)
    saved = fifty["saved"]
    print(f"saved {saved['submissions']} reports and assessments, {saved['requests']} "
          "requests")


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
    parser.add_argument("--shipped", action="store_true",
                        help="only table 5: as shipped, replies first (issue 15's figures)")
    parser.add_argument("--shipped-rate", type=float, default=15.0,
                        help="table 5's open loop, updates a second")
    parser.add_argument("--shipped-seconds", type=float, default=40.0,
                        help="table 5's open loop duration")
    parser.add_argument("--supervisors", type=int, default=300,
                        help="table 5: supervisors whose digests fall due in the open loop")
    args = parser.parse_args()
    if args.bot in ("shipped", "one-lane"):
        if args.bot == "one-lane":
            bot_app.RepliesFirstLimiter = OneLane  # type: ignore[misc]
        print(json.dumps(asyncio.run(run_shipped(args.people, args.rate, args.seconds,
                                                 args.supervisors))))
        return
    if args.bot:
        print(json.dumps(asyncio.run(run(args.bot, args.people, args.rate, args.seconds,
                                         args.round_trip_ms / 1000))))
        return
    if args.shipped:
        run_shipped_tables(args.shipped_rate, args.shipped_seconds, args.supervisors)
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
    run_shipped_tables(args.shipped_rate, args.shipped_seconds, args.supervisors)


if __name__ == "__main__":
    main()
