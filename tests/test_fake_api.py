"""The fake messenger answers like the real Bot API, in process and over HTTP, so the
bot's own mistakes (too long, empty, unchanged, bad button data) show up in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.clock import ManualClock
from bot.sandbox import FakeBotAPI, FakeHTTPServer, FakeRequest, SimUser

TOKEN = "123:FAKE"


@pytest.fixture(params=["in-process", "http"])
async def bot_and_api(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Bot, FakeBotAPI]]:
    """A plain PTB Bot talking to the fake server in process or over loopback HTTP."""
    api = FakeBotAPI()
    if request.param == "in-process":
        fake = FakeRequest(api)
        bot = Bot(TOKEN, base_url="http://fake/bot", request=fake, get_updates_request=fake)
        async with bot:
            yield bot, api
        return
    with FakeHTTPServer(api, token=TOKEN) as server:
        bot = Bot(TOKEN, base_url=server.api_url, base_file_url=server.file_url)
        async with bot:
            yield bot, api


async def test_messages_keyboards_edits_and_documents(bot_and_api: tuple[Bot, FakeBotAPI]) -> None:
    bot, api = bot_and_api
    assert (await bot.get_me()).username == "tashilyar_test_bot"
    user = SimUser(api, 10, "مریم")
    user.send_text("/start")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message.text == "/start"  # type: ignore[union-attr]
    assert updates[0].message.entities[0].type == "bot_command"  # type: ignore[union-attr]

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("بله", callback_data="yes")]])
    sent = await bot.send_message(10, "سلام", reply_markup=markup)
    assert user.last.text == "سلام" and user.last.buttons() == ["بله"]
    await bot.edit_message_text("سلام دوباره", chat_id=10, message_id=sent.message_id,
                                reply_markup=markup)
    assert user.last.text == "سلام دوباره" and user.last.edits == 1

    user.tap("بله")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    query = updates[0].callback_query
    assert query is not None and query.data == "yes"
    assert await bot.answer_callback_query(query.id)

    await bot.send_document(10, document=b"%PDF-1.4 fake", filename="export.xlsx",
                            caption="خروجی")
    assert user.last.kind == "document" and user.last.file_bytes == b"%PDF-1.4 fake"
    assert user.last.file_name == "export.xlsx" and user.last.text == "خروجی"


async def test_long_poll_returns_when_an_update_arrives(
    bot_and_api: tuple[Bot, FakeBotAPI]
) -> None:
    import asyncio

    bot, api = bot_and_api
    user = SimUser(api, 10, "مریم")
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0)  # let the poll start before the person types (yield, not a wait)
    user.send_text("سلام")
    updates = await asyncio.wait_for(poll, timeout=10)
    assert [u.message.text for u in updates] == ["سلام"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda bot: bot.send_message(10, "x" * 4097), "message is too long"),
        (lambda bot: bot.send_message(10, "   "), "message text is empty"),
        (lambda bot: bot.send_message(10, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("b", callback_data="d" * 65)]])), "BUTTON_DATA_INVALID"),
        (lambda bot: bot.send_message(99, "x"), "chat not found"),
        (lambda bot: bot.edit_message_text("same", chat_id=10, message_id=1), "not modified"),
    ],
)
async def test_rejects_what_telegram_rejects(
    bot_and_api: tuple[Bot, FakeBotAPI], call, error: str  # type: ignore[no-untyped-def]
) -> None:
    bot, api = bot_and_api
    SimUser(api, 10, "مریم")
    await bot.send_message(10, "same")
    with pytest.raises(BadRequest, match="(?i)" + error):
        await call(bot)
    assert api.rejected_calls(400)


async def test_failures_and_retry_after_look_like_the_real_api(
    bot_and_api: tuple[Bot, FakeBotAPI]
) -> None:
    bot, api = bot_and_api
    SimUser(api, 10, "مریم")
    api.fail_next(502, "Bad Gateway", method="sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(10, "x")
    api.fail_next(429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(10, "x")
    assert caught.value.retry_after in (3, timedelta(seconds=3))
    api.block(10)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(10, "x")


async def test_rate_limit_answers_429() -> None:
    clock = ManualClock(datetime(2026, 3, 20, 20, 29, tzinfo=UTC))
    api = FakeBotAPI(max_rate=3, clock=clock)
    fake = FakeRequest(api)
    SimUser(api, 10, "مریم")
    async with Bot(TOKEN, request=fake, get_updates_request=fake) as bot:
        for _ in range(3):
            await bot.send_message(10, "x")
        with pytest.raises(RetryAfter):
            await bot.send_message(10, "x")
        clock.advance(1.5)
        await bot.send_message(10, "x")
