"""One person's updates keep their order; other people's go on beside them.

The processor is checked on its own with events (deterministic, no sleeps), then the real bot
as a separate process: a facilitator whose five typed answers all arrive in one batch (sent
while the bot was down) gets each answer stored under its own question, while a neighbour
who wrote at the same time is answered too.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from telegram import Chat, Message, Update, User

from bot.ordering import PerSenderUpdateProcessor
from bot.sandbox import FakeHTTPServer, SimUser
from tests.test_process import ADMIN, RunningBot


def update_from(update_id: int, user_id: int) -> Update:
    """A text message update from `user_id` in their private chat."""
    user = User(user_id, f"u{user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_slow_update_holds_up_only_its_sender() -> None:
    processor = PerSenderUpdateProcessor(running_at_once=4)
    log: list[str] = []
    release_first = asyncio.Event()

    async def handle(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"{name} started")
        if gate is not None:
            await gate.wait()
        log.append(f"{name} finished")

    async with processor:
        slow = asyncio.create_task(
            processor.process_update(update_from(1, 10), handle("a1", release_first)))
        a2 = asyncio.create_task(processor.process_update(update_from(2, 10), handle("a2")))
        b1 = asyncio.create_task(processor.process_update(update_from(3, 20), handle("b1")))
        await b1  # the other person is served while a1 is still running
        assert log == ["a1 started", "b1 started", "b1 finished"]
        assert not a2.done()
        release_first.set()
        await asyncio.gather(slow, a2)
    assert log[3:] == ["a1 finished", "a2 started", "a2 finished"]


async def test_running_at_once_is_bounded_across_senders() -> None:
    processor = PerSenderUpdateProcessor(running_at_once=2)
    gate, two_running = asyncio.Event(), asyncio.Event()
    running: list[int] = []
    most = 0

    async def handle(sender: int) -> None:
        nonlocal most
        running.append(sender)
        most = max(most, len(running))
        if len(running) >= 2:
            two_running.set()
        await gate.wait()
        running.remove(sender)

    async with processor:
        tasks = [asyncio.create_task(processor.process_update(update_from(n, 100 + n),
                                                              handle(n)))
                 for n in range(6)]
        await two_running.wait()  # the six tasks were queued first: all have tried by now
        assert len(running) == 2
        gate.set()
        await asyncio.gather(*tasks)
    assert most == 2


def test_answers_typed_ahead_are_stored_in_order(server: FakeHTTPServer, tmp_path: Path) -> None:
    api = server.api
    admin, maryam = SimUser(api, ADMIN, "مدیر"), SimUser(api, 200, "مریم")
    neighbour = SimUser(api, 300, "زهرا")
    bot = RunningBot(server, tmp_path)
    assert "چند نفر" in bot.join_and_reach_participants(admin, maryam)
    assert bot.stop() == 0

    mark = api.last_seq
    for answer in ("۲۵", "٨", "10", "۱۵", "۲"):  # Persian, Arabic-Indic and ASCII digits
        maryam.send_text(answer)
    neighbour.send_text("/start")
    bot = RunningBot(server, tmp_path)  # its first poll takes all six at once
    try:
        arrived = api.wait_until(
            lambda: len(maryam.messages(mark)) >= 5 and bool(neighbour.messages(mark)),
            timeout=30)
        assert arrived, bot.log()
        asked = [m.text for m in maryam.messages(mark)]
        assert "دستگاه‌ها" in asked[-1], asked  # past the five number questions
        assert neighbour.messages(mark)[-1].text.startswith("سلام")
    finally:
        assert bot.stop() == 0
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        answers: dict[str, Any] = json.loads(
            db.execute("SELECT answers FROM drafts").fetchone()[0])
    numbers = {k: answers[k] for k in ("participants", "children", "adolescents", "women",
                                       "elderly")}
    assert numbers == {"participants": 25, "children": 8, "adolescents": 10, "women": 15,
                       "elderly": 2}
