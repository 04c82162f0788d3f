"""The menus of each role, rendered from the roles → features table of `bot.access`: the
main menu, /help and the command list registered with the messenger.

A later feature adds one `Feature` line to `bot.access.FEATURES` and its own handler module.
"""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, ReplyKeyboardMarkup
from telegram.error import TelegramError

from bot.access import FEATURES, Feature, feature_for_label, features_for
from bot.locale.text import t
from handlers.context import reply_keyboard

__all__ = ["FEATURES", "Feature", "bot_commands", "feature_for_label", "features_for",
           "help_text", "main_menu", "register_commands", "set_form_buttons"]


def main_menu(role: str) -> ReplyKeyboardMarkup:
    """The role's main menu as a reply keyboard."""
    return reply_keyboard([f.label for f in features_for(role)
                           if f.in_menu and (f.menu_for is None or role in f.menu_for)]
                          + [label for label, roles in FORM_BUTTONS if role in roles])


# The menu buttons of forms added as data (XLSForms): (label, roles), set when the bot is built.
FORM_BUTTONS: list[tuple[str, frozenset[str]]] = []


def set_form_buttons(buttons: list[tuple[str, frozenset[str]]]) -> None:
    """The menu buttons of the loaded XLSForms (replacing those of a bot built before)."""
    FORM_BUTTONS[:] = buttons


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
