"""The chat side of the dashboard: `/dashboard` (and its menu button «داشبورد») sends staff
a one-time sign-in link for a desktop browser and, when PUBLIC_URL is https, a button that
opens the dashboard as a Mini App; on Telegram staff also get it as the chat's menu button
when they /start."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.access import STAFF_ROLES
from bot.locale.text import t
from handlers.context import BotContext, send
from storage.sessions import LINK_MINUTES, create_login_link

log = logging.getLogger("tashilyar.dashboard")


def web_app_markup(url: str) -> InlineKeyboardMarkup:
    """The «داشبورد» button that opens the dashboard inside the messenger."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t("dashboard.button"),
                                                       web_app=WebAppInfo(url))]])


async def dashboard(update: Update, context: BotContext) -> None:
    """/dashboard: the one-time link (and the Mini App button on https)."""
    settings = context.services.settings
    if not settings.public_url:
        await send(update, context, t("dashboard.not_set_up"))
        return
    token = await create_login_link(context.db, context.me().id)
    link = f"{settings.public_url}/app/login?token={token}"
    text = t("dashboard.link", url=link, minutes=LINK_MINUTES)
    markup = web_app_markup(f"{settings.public_url}/app/") if settings.mini_app else None
    await send(update, context, text, markup)


async def menu_button(update: Update, context: BotContext) -> None:
    """After /start: staff on Telegram get «داشبورد» as the chat's menu button."""
    settings = context.services.settings
    chat = update.effective_chat
    person = context.person
    if (not settings.mini_app or settings.is_bale or chat is None or chat.type != "private"
            or person is None or not person.active or person.role not in STAFF_ROLES):
        return
    try:
        await context.bot.set_chat_menu_button(chat_id=chat.id, menu_button=MenuButtonWebApp(
            t("dashboard.button"), WebAppInfo(f"{settings.public_url}/app/")))
    except TelegramError as error:
        log.info("the menu button was not set (%s)", type(error).__name__)


def handlers() -> dict[int, list[BaseHandler]]:  # type: ignore[type-arg]
    """/dashboard and its menu button (group 0); the menu button's set-up after /start
    (group 1, beside /start's own answer)."""
    return {
        0: [CommandHandler("dashboard", dashboard),
            MessageHandler(filters.Text([t("menu.dashboard")]), dashboard)],
        1: [CommandHandler("start", menu_button)],
    }
