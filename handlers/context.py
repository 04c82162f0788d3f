"""What every handler gets: the services (settings, database, organisation) and the person
behind the update, resolved once by the access gate; and the small helpers to answer."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Coroutine
from datetime import date, datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from bot.callbacks import Tap, decode
from bot.locale.jalali import local_date
from bot.services import Services
from storage.db import Database
from storage.people import Person

log = logging.getLogger("tashilyar.handlers")


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus the services and the person the gate resolved."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None, user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: Person | None = None
        self.answered = False  # the update's button tap was answered

    @property
    def services(self) -> Services:
        """Settings, database and organisation."""
        return self.application.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def db(self) -> Database:
        """The database."""
        return self.services.db

    def now(self) -> datetime:
        """The current instant by the app's one clock (UTC)."""
        return self.services.clock.now()

    def today(self) -> date:
        """Today's date in the bot's time zone, by the same clock."""
        return local_date(self.now(), self.services.settings.timezone)

    def me(self) -> Person:
        """The person behind this update (the gate guarantees one in private chats)."""
        assert self.person is not None, "the access gate did not run"
        return self.person


async def answer_once(update: Update, context: BotContext, text: str | None = None,
                      alert: bool = False) -> None:
    """Answer the button tap unless already answered (a second answer is a 400).

    A plain acknowledgement (no text) goes out beside the work the tap starts rather than
    before it: the button stops spinning as soon as possible, and on a slow connection the
    answer itself arrives one round trip sooner."""
    query = update.callback_query
    if query is None or already_answered(context, query.id):
        return
    context.answered = True
    if text is None and not alert and len(_acknowledging) < ACKNOWLEDGING_AT_ONCE:
        task = asyncio.create_task(_acknowledge(query))
        _acknowledging.add(task)
        task.add_done_callback(_acknowledging.discard)
        return
    await query.answer(text, show_alert=alert)


# Plain acknowledgements in flight beside their updates' work; beyond this many (a burst of
# taps, a slow messenger) they are awaited in turn. With the 32 updates handled at once
# (bot/ordering.py), at most 64 of PTB's 256 pooled connections are ever in use.
ACKNOWLEDGING_AT_ONCE = 32
_acknowledging: set[asyncio.Task[None]] = set()


def beside(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` beside the update's reply (delivering the notices a change owed), so the
    person's next update does not wait for it; it is awaited with the acknowledgements."""
    task = asyncio.create_task(work)
    _acknowledging.add(task)
    task.add_done_callback(_acknowledging.discard)


async def acknowledgements_sent() -> None:
    """Wait until every plain acknowledgement (and work run `beside` an update) started so
    far has finished: before the bot shuts down, and in the in-process sandbox to know the
    bot is done with an update."""
    while _acknowledging:
        await asyncio.gather(*_acknowledging, return_exceptions=True)


async def _acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner; a tap too old to answer needs nothing more."""
    try:
        await query.answer()
    except Exception as error:  # a lost acknowledgement costs a spinner, nothing more
        log.info("tap not acknowledged (%s)", type(error).__name__)


def already_answered(context: CallbackContext[Any, Any, Any, Any], query_id: str) -> bool:
    """True if this tap was answered; records it otherwise. Shared by every context of the
    update (the error handler gets a context of its own)."""
    answered: OrderedDict[str, None] = context.application.bot_data.setdefault(
        "answered", OrderedDict())
    if query_id in answered:
        return True
    answered[query_id] = None
    while len(answered) > 1000:
        answered.popitem(last=False)
    return False


def number_in(part: str) -> int | None:
    """A record id or version from button data: ASCII digits that fit SQLite's integers,
    else None (forged data must not reach the database as an overflow)."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 18 else None


def tapped(update: Update) -> Tap | None:
    """The tapped button's meaning, through the codec (None for data this bot does not
    write: garbled, forged or from an older version)."""
    query = update.callback_query
    return decode(query.data) if query is not None else None


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def reply_keyboard(labels: list[str], per_row: int = 2) -> ReplyKeyboardMarkup:
    """A phone-sized reply keyboard, `per_row` buttons a row."""
    rows = [labels[i:i + per_row] for i in range(0, len(labels), per_row)]
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label) for label in row] for row in rows], resize_keyboard=True
    )


async def send(
    update: Update, context: BotContext, text: str,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
) -> Message:
    """Send a plain message to the update's chat: no quoting, no parse mode (Bale-safe)."""
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat_id=chat.id, text=text, reply_markup=markup)


async def show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a button tap by editing its message in place (or sending, if that fails)."""
    query = update.callback_query
    if query is None or query.message is None:
        await send(update, context, text, markup)
        return
    current = query.message
    if isinstance(current, Message) and current.text == text and current.reply_markup == markup:
        return  # an identical edit is a 400 "message is not modified"
    try:
        await context.bot.edit_message_text(
            chat_id=query.message.chat.id, message_id=query.message.message_id,
            text=text, reply_markup=markup,
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            await send(update, context, text, markup)
