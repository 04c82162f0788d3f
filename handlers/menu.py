"""The features each role may use: one table drives the main menu, /help, the command list
registered with the messenger, and the access gate's checks.

A later feature adds one `Feature` line here and its own handler module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from telegram import Bot, BotCommand, BotCommandScopeChat, ReplyKeyboardMarkup
from telegram.error import TelegramError

from bot.locale.normalize import match_key
from bot.locale.text import t
from handlers.context import reply_keyboard

EVERYONE = frozenset({"admin", "supervisor", "facilitator", "resident"})
STAFF = frozenset({"admin", "supervisor", "facilitator"})


@dataclass(frozen=True)
class Feature:
    """One thing the bot does: its command, who may use it, its menu button and help line."""

    command: str
    roles: frozenset[str]
    in_menu: bool = True
    callback_prefix: str | None = None
    in_help: bool = True
    menu_for: frozenset[str] | None = None  # roles that get the menu button (default: all)

    @property
    def label(self) -> str:
        """The menu button's Persian label."""
        return t(f"menu.{self.command}")

    @property
    def help_line(self) -> str:
        """The /help line."""
        return t(f"help.{self.command}")


FEATURES: tuple[Feature, ...] = (
    Feature("request", frozenset({"resident"})),
    Feature("report", frozenset({"facilitator"})),
    Feature("need", frozenset({"facilitator"})),
    Feature("inbox", STAFF, callback_prefix="req"),
    Feature("mine", frozenset({"facilitator"})),
    Feature("digest", frozenset({"supervisor", "admin"}), callback_prefix="dig"),
    Feature("export", frozenset({"supervisor", "admin"}), callback_prefix="exp"),
    Feature("digest_here", frozenset({"supervisor", "admin"}), in_menu=False),
    Feature("track", EVERYONE, callback_prefix="trk", menu_for=frozenset({"resident"})),
    # Form buttons of any form; the engine checks each tap against the person's own draft.
    Feature("form", EVERYONE, in_menu=False, callback_prefix="frm", in_help=False),
    Feature("invite", frozenset({"admin", "supervisor"}), callback_prefix="inv"),
    Feature("people", frozenset({"admin"}), callback_prefix="ppl"),
    Feature("dashboard", STAFF),
    Feature("help", EVERYONE),
    Feature("start", EVERYONE, in_menu=False),
    Feature("cancel", EVERYONE, in_menu=False),
)
BY_COMMAND = {f.command: f for f in FEATURES}
BY_PREFIX = {f.callback_prefix: f for f in FEATURES if f.callback_prefix}


def features_for(role: str) -> list[Feature]:
    """The features a role may use, in menu order."""
    return [f for f in FEATURES if role in f.roles]


@cache
def _by_label_key() -> dict[str, Feature]:
    """Menu features by the match key of their label (labels never change while running)."""
    by_key: dict[str, Feature] = {}
    for feature in FEATURES:
        if feature.in_menu:
            by_key.setdefault(match_key(feature.label), feature)
    return by_key


def feature_for_label(text: str) -> Feature | None:
    """The feature whose menu button has this label (typed or tapped)."""
    return _by_label_key().get(match_key(text))


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
