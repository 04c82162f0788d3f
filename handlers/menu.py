"""The menus of each role, rendered from the roles → features table of `bot.access`: the
main menu, /help and the command list registered with the messenger.

A later feature adds one `Feature` line to `bot.access.FEATURES` and its own handler module.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram import Bot, BotCommand, BotCommandScopeChat, ReplyKeyboardMarkup
from telegram.error import TelegramError

from bot.access import FEATURES, Feature, feature_for_label, features_for
from bot.forms.model import FormDefinition
from bot.locale.text import t
from handlers.context import BotContext, reply_keyboard

__all__ = ["FEATURES", "Feature", "bot_commands", "feature_for_label", "features_for",
           "help_text", "main_menu", "menu_for", "register_commands"]


def main_menu(role: str, forms: Mapping[str, FormDefinition] | None = None) -> ReplyKeyboardMarkup:
    """The role's main menu as a reply keyboard; `forms` (the application's): the menu
    buttons of the forms added as data (XLSForms) this role may fill in."""
    return reply_keyboard([f.label for f in features_for(role)
                           if f.in_menu and (f.menu_for is None or role in f.menu_for)]
                          + [f.menu_label for f in (forms or {}).values()
                             if f.sink == "xlsform" and f.menu_label and role in f.roles])


def menu_for(context: BotContext, role: str | None = None) -> ReplyKeyboardMarkup:
    """The main menu of `role` (default: the person's) with this application's forms."""
    return main_menu(role or context.me().effective_role, context.services.forms)


def help_text(role: str) -> str:
    """The /help answer for a role."""
    lines = [t("help.title", role=t(f"role.{role}"))]
    lines += [f.help_line for f in features_for(role) if f.in_help]
    lines.append(t("help.footer"))
    return "\n".join(lines)


def bot_commands(role: str) -> list[BotCommand]:
    """The command list the messenger shows this role."""
    return [BotCommand(f.command, f.help_line.split("—", 1)[-1].strip()[:256])
            for f in features_for(role) if f.in_help]


async def register_commands(bot: Bot, chat_id: int, role: str) -> None:
    """Show this chat the commands of its role, where the messenger supports it."""
    try:
        await bot.set_my_commands(bot_commands(role), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        pass  # Bale and older servers may not know per-chat command lists: not essential.
