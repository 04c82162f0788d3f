"""The error handler: log the failure with the update id only (never message text or
phone numbers), and tell the person in Persian that something went wrong."""

from __future__ import annotations

import logging
import sqlite3

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.locale.text import t
from handlers.context import BotContext, already_answered

log = logging.getLogger("tashilyar.errors")


async def on_error(update: object | None, context: BotContext) -> None:
    """Log and apologise; a failure to apologise is only logged."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    storage_trouble = isinstance(error, sqlite3.OperationalError | OSError)
    if isinstance(error, NetworkError | Forbidden):
        log.warning("update %s: messenger error %s", update_id, type(error).__name__)
    elif storage_trouble:
        # A locked, read-only or full database: the transaction was rolled back, nothing is
        # half-written; the person is asked to try again.
        log.warning("update %s: storage error %s: %s", update_id, type(error).__name__, error)
    else:
        log.error("update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    if update.callback_query is not None and not already_answered(
            context, update.callback_query.id):
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass
    try:
        await context.bot.send_message(
            update.effective_chat.id, t("general.storage" if storage_trouble else "general.error"))
    except TelegramError as apology_error:
        log.warning("update %s: could not apologise (%s)", update_id,
                    type(apology_error).__name__)
