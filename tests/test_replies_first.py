"""Replies first (issue 15): people's replies never wait behind the outbox's bulk sends,
429s are obeyed by both, groups keep 20 a minute; and a form costs about one counted call
(a send or an edit; a tap's acknowledgement does not count) per thing the person does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.locale.text import t
from bot.ratelimit import BULK, BULK_ARGS, BULK_LANE, RepliesFirstLimiter
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from bot.schedule import deliver_due
from storage import outbox

NOTICE = "خبر آزمایشی صف"


async def until(api: FakeBotAPI, predicate: Callable[[], bool]) -> None:
    """Wait (on the event loop, woken by the messenger) until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def waker() -> None:
        loop.call_soon_threadsafe(changed.set)

    api.add_waker(waker)
    try:
        while not predicate():
            changed.clear()
            await asyncio.wait_for(changed.wait(), 30)
    finally:
        api.remove_waker(waker)


def notice_calls(api: FakeBotAPI) -> list[int]:
    """Indexes in `api.calls` of the bulk notices the messenger accepted."""
    return [n for n, c in enumerate(api.calls)
            if c.status == 200 and c.params.get("text") == NOTICE]


async def owe_notices(bot: SandboxBot, people: list[SimUser]) -> None:
    assert bot.db is not None
    async with bot.db.transaction() as tx:
        for person in people:
            await outbox.enqueue(tx, f"queue:{person.id}", person.id, NOTICE,
                                 now=bot.clock.now())


def overtaken(bot: SandboxBot) -> list[int]:
    """Watch the bot's limiter: for each reply (a call with a chat and no bulk mark), how
    many bulk sends were let through between the reply asking for a slot and its going
    out (filled in as replies go)."""
    assert bot.application is not None
    limiter = bot.application.bot.rate_limiter
    assert isinstance(limiter, RepliesFirstLimiter)
    through = limiter.process_request
    counts: list[int] = []

    async def watched(callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                      data: dict[str, Any], rate_limit_args: Any) -> Any:
        if rate_limit_args or "chat_id" not in data:
            return await through(callback, args, kwargs, endpoint, data, rate_limit_args)
        asked = limiter.granted[BULK_LANE]

        async def call(*a: Any, **k: Any) -> Any:
            counts.append(limiter.granted[BULK_LANE] - asked)
            return await callback(*a, **k)

        return await through(call, args, kwargs, endpoint, data, rate_limit_args)

    limiter.process_request = watched  # type: ignore[method-assign]
    return counts


async def write_meanwhile(bot: SandboxBot, writers: list[SimUser]) -> list[int]:
    """Each writer sends /start, all handled at once; how many bulk sends overtook each
    reply (one reply each)."""
    counts = overtaken(bot)
    for writer in writers:
        writer.send_text("/start")
    await bot.deliver_concurrently()
    ids = {w.id for w in writers}
    assert len([c for c in bot.api.calls if c.method == "sendMessage"
                and c.params.get("chat_id") in ids]) == len(writers)
    assert len(counts) == len(writers)
    return counts


async def test_a_reply_goes_out_before_the_rest_of_a_queued_bulk(
    settings: Settings, clock: ManualClock
) -> None:
    """80 notices are being delivered at the messenger's pace when eight people write: no
    notice goes out while one of their replies waits, every notice still arrives once, and
    the messenger never says 429."""
    api = FakeBotAPI(max_rate=30)
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.db is not None and bot.application is not None
        readers = [bot.user(3000 + n, f"خواننده {n}") for n in range(80)]
        writers = [bot.user(4000 + n, f"نویسنده {n}") for n in range(8)]
        await owe_notices(bot, readers)
        delivery = asyncio.create_task(deliver_due(bot.application.bot, bot.db))
        await until(api, lambda: len(notice_calls(api)) >= 10)
        assert await write_meanwhile(bot, writers) == [0] * 8, "a reply waited for the bulk"
        assert len(notice_calls(api)) < 80, "the bulk had not finished when people wrote"
        report = await delivery
    assert report.sent == 80 and len(notice_calls(api)) == 80
    assert all(len([m for m in r.messages() if m.text == NOTICE]) == 1 for r in readers)
    assert api.rejected_calls(429) == []
    gaps = [api.calls[b].at - api.calls[a].at for a, b in pairwise(notice_calls(api))]
    assert sum(gaps) >= 79 / 30, "more than 30 sends in a second"


async def test_replies_overtake_bulk_sends_already_waiting_in_the_limiter(
    settings: Settings, clock: ManualClock
) -> None:
    """Sixty bulk sends wait in the limiter at once (as many senders of notices would
    queue); people who write meanwhile are answered next, not after the sixty."""
    api = FakeBotAPI(max_rate=30)
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.application is not None
        readers = [bot.user(3000 + n, f"خواننده {n}") for n in range(60)]
        writers = [bot.user(4000 + n, f"نویسنده {n}") for n in range(8)]
        sender = bot.application.bot
        bulk = [asyncio.create_task(sender.send_message(r.id, NOTICE, **BULK))
                for r in readers]
        await until(api, lambda: len(notice_calls(api)) >= 5)
        assert await write_meanwhile(bot, writers) == [0] * 8, "a reply waited for the bulk"
        assert len(notice_calls(api)) < 60, "the bulk had not finished when people wrote"
        await asyncio.gather(*bulk)
    assert len(notice_calls(api)) == 60 and api.rejected_calls(429) == []


async def test_a_429_holds_replies_and_bulk_alike_and_loses_nothing(
    settings: Settings, clock: ManualClock
) -> None:
    """The messenger answers 429 (retry after 1 s) twice: the limiter waits it out for
    everyone, the notice and the reply are both tried again, and both arrive once."""
    api = FakeBotAPI(max_rate=30)
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.db is not None and bot.application is not None
        readers = [bot.user(3000 + n, f"خواننده {n}") for n in range(5)]
        writer = bot.user(4000, "نویسنده")
        await owe_notices(bot, readers)
        api.fail_next(429, "injected: Too Many Requests: retry after 1", method="sendMessage",
                      retry_after=1, count=2)
        delivery = asyncio.create_task(deliver_due(bot.application.bot, bot.db))
        writer.send_text("/start")
        await bot.deliver()
        report = await delivery
    assert report.sent == 5
    assert all(len([m for m in r.messages() if m.text == NOTICE]) == 1 for r in readers)
    assert len(writer.messages()) == 1
    limited = api.rejected_calls(429)
    assert len(limited) == 2
    after = [c for c in api.calls if c.method == "sendMessage" and c.status == 200]
    assert min(c.at for c in after) - max(c.at for c in limited) >= 1.0


async def test_the_limiter_orders_replies_before_bulk_and_keeps_the_group_minute() -> None:
    """The limiter alone, with a fast pace and a short group window: bulk calls queued
    first still go after every reply queued behind them; a group gets its limit and no
    more within the window."""
    limiter = RepliesFirstLimiter(per_second=200, group_per_minute=3)
    limiter.group_period = 0.5
    loop = asyncio.get_running_loop()
    order: list[tuple[str, float]] = []

    def call(name: str) -> Callable[[], Any]:
        async def send() -> bool:
            order.append((name, loop.time()))
            return True
        return send

    async def through(name: str, chat: int, bulk: bool) -> Any:
        return await limiter.process_request(call(name), (), {}, "sendMessage",
                                             {"chat_id": chat}, BULK_ARGS if bulk else None)

    bulk = [asyncio.create_task(through(f"b{n}", 10 + n, True)) for n in range(10)]
    await asyncio.sleep(0)  # let the bulk calls queue first (ordering, not timing)
    replies = [asyncio.create_task(through(f"r{n}", 100 + n, False)) for n in range(5)]
    await asyncio.gather(*bulk, *replies)
    names = [name for name, _ in order]
    assert names[0] == "b0"  # the one already under way
    assert names[1:6] == [f"r{n}" for n in range(5)]
    assert names[6:] == [f"b{n}" for n in range(1, 10)]
    assert limiter.granted == [5, 10]

    order.clear()
    group = [asyncio.create_task(through(f"g{n}", -100777, n % 2 == 0)) for n in range(5)]
    await asyncio.gather(*group)
    times = [moment for _, moment in order]
    assert times[3] - times[0] >= 0.5 and times[2] - times[0] < 0.5


@pytest.mark.parametrize("bulk", [False, True])
async def test_the_limiter_retries_after_a_429_then_gives_up_to_the_caller(
    bulk: bool
) -> None:
    from telegram.error import RetryAfter

    limiter = RepliesFirstLimiter(per_second=200, max_retries=2)
    loop = asyncio.get_running_loop()
    attempts: list[float] = []

    async def refused() -> bool:
        attempts.append(loop.time())
        raise RetryAfter(0.2)  # type: ignore[arg-type]

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 5},
                                      BULK_ARGS if bulk else None)
    assert len(attempts) == 3
    assert all(b - a >= 0.3 for a, b in pairwise(attempts))


# ----- one counted call per step --------------------------------------------------------------


class Counted:
    """A person whose every update is counted, beside the calls the bot made meanwhile
    that count against the messenger's limit (those with a chat: sends and edits; a tap's
    acknowledgement has none)."""

    def __init__(self, bot: SandboxBot, user: SimUser) -> None:
        self.bot, self.user = bot, user
        self.updates = 0
        self.mark = len(bot.api.calls)

    async def say(self, text: str) -> None:
        self.updates += 1
        await self.bot.say(self.user, text)

    async def tap(self, label: str) -> None:
        self.updates += 1
        await self.bot.tap(self.user, label)

    async def act(self, action: str) -> None:
        self.updates += 1
        await self.bot.act(self.user, action)

    async def walk(self, steps: list[tuple[str, str]]) -> None:
        """Each step: ("say", text), ("tap", label) or ("act", a SimUser action)."""
        for kind, value in steps:
            await getattr(self, kind)(value)

    def calls(self) -> list[str]:
        return [c.method for c in self.bot.api.calls[self.mark:] if "chat_id" in c.params]

    def per_update(self) -> float:
        return len(self.calls()) / self.updates


@pytest.fixture
async def limited(settings: Settings, clock: ManualClock) -> Any:
    """The bot with the fake messenger's own rate limit on (30 a second)."""
    api = FakeBotAPI(max_rate=30)
    async with SandboxBot(settings, api, clock=clock) as bot:
        yield bot
    assert api.rejected_calls() == []


async def facilitator(bot: SandboxBot, user_id: int, name: str) -> SimUser:
    from tests.conftest import seat

    assert bot.db is not None
    user = bot.user(user_id, name)
    await seat(bot.db, user, "facilitator", "qaleh-mahmoud")
    return user


async def test_a_field_report_costs_about_one_call_per_step_and_shows_its_answers(
    limited: SandboxBot
) -> None:
    maryam = await facilitator(limited, 20, "مریم")
    person = Counted(limited, maryam)
    await person.say(t("menu.report"))
    await person.tap("قلعه محمود")
    await person.tap(t("form.today"))
    live, shown = maryam.last, maryam.last.text  # (the message object follows its edits)
    assert shown.startswith("✔ محله: قلعه محمود\n✔ تاریخ: ")  # one message moves on
    assert len([m for m in maryam.messages() if m.text.startswith("✔")]) == 1
    await person.tap("کارگاه یا آموزش")
    await person.tap("▫️ اجتماعی")
    await person.tap("▫️ توانمندسازی")
    await person.tap(t("form.done"))
    assert maryam.last.message_id == live.message_id
    assert maryam.last.text.split("\n\n")[0].split("\n") == [
        shown.split("\n")[1],
        "✔ نوع فعالیت: کارگاه یا آموزش", "✔ حوزه‌ها: اجتماعی، توانمندسازی"]
    for number in ("۲۴", "6", "۹", "14", "۲"):
        await person.say(number)  # a typed answer: a new message below it
    await person.tap("▫️ بهزیستی")
    await person.tap(t("form.done"))
    await person.say("کارگاه مهارت‌های زندگی برای نوجوانان محله با همکاری بهزیستی")
    await person.tap(t("form.no"))
    await person.act("send_photo")
    await person.tap(t("form.done"))
    await person.tap(t("form.send_location"))
    summary = maryam.last
    assert summary.text.startswith(t("form.summary_title", title="گزارش میدانی"))
    assert "قلعه محمود" in summary.text and "۲۴" in summary.text and "بهزیستی" in summary.text
    await person.tap(t("form.confirm"))
    assert "ثبت شد" in maryam.last.text
    assert person.updates == 20
    assert person.per_update() <= 1.15, person.calls()


async def test_a_needs_assessment_costs_about_one_call_per_step(limited: SandboxBot) -> None:
    ali = await facilitator(limited, 21, "علی")
    person = Counted(limited, ali)
    await person.walk([
        ("say", t("menu.need")), ("tap", "قلعه محمود"), ("tap", t("form.yesterday")),
        ("tap", "کار کودک و کودکان خیابانی"), ("tap", "بحرانی"), ("say", "۴۵"),
        ("tap", "▫️ کودکان"), ("tap", "▫️ مهاجران"), ("tap", t("form.done")),
        ("say", "کودکان در چهارراه‌ها دست‌فروشی می‌کنند و به مدرسه نمی‌روند."),
        ("tap", "مشاهده"), ("say", "جلسه با خانواده‌ها و ثبت‌نام مدرسه"), ("tap", "بهزیستی"),
        ("tap", t("form.skip")), ("tap", t("form.skip")), ("tap", t("form.confirm"))])
    assert "ثبت شد" in ali.last.text
    assert person.per_update() <= 1.15, person.calls()


@pytest.mark.parametrize("share", [False, True])
async def test_a_residents_request_costs_about_one_call_per_step(
    limited: SandboxBot, share: bool
) -> None:
    zahra = limited.user(30, "زهرا")
    person = Counted(limited, zahra)
    contact = ([("tap", "بله، شماره‌ام را می‌فرستم"), ("tap", t("form.send_contact"))] if share
               else [("tap", "نه، زنگ نزنید")])
    await person.walk([
        ("say", "/start"), ("say", t("menu.request")), ("tap", "آب، برق، گاز، کوچه و خیابان"),
        ("tap", "قلعه محمود"),
        ("say", "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها تاریک است."),
        ("act", "send_photo"), ("tap", t("form.done")),
        ("tap", t("form.skip")),  # the location, on the share keyboard
        *contact, ("tap", t("form.confirm"))])
    assert zahra.last.text.startswith("درخواست شما ثبت شد")
    assert person.per_update() <= 1.15, person.calls()


async def test_the_pace_never_puts_more_than_its_rate_in_a_window() -> None:
    """Sixty-one calls at once through a limiter of 100 a second: any 31 in a row span at
    least 30 slots, less the catch-up a late timer may take back (half a slot here)."""
    limiter = RepliesFirstLimiter(per_second=100)
    loop = asyncio.get_running_loop()
    moments: list[float] = []

    async def send() -> bool:
        moments.append(loop.time())
        return True

    await asyncio.gather(*(limiter.process_request(send, (), {}, "sendMessage",
                                                   {"chat_id": n}, None)
                           for n in range(61)))
    spans = [b - a for a, b in zip(moments, moments[30:], strict=False)]
    assert min(spans) >= 30 * 0.01 - 0.005
