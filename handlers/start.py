"""/start (with or without an invite code), /help, /cancel, and the answers to anything
the bot does not understand: the ways in and the ways back to the main menu."""

from __future__ import annotations

from collections import defaultdict, deque

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.locale.normalize import to_ascii_digits
from bot.locale.text import role_name, t
from handlers.context import BotContext, send
from handlers.menu import help_text, main_menu, register_commands
from storage import drafts, offices
from storage.people import InviteError, Person, redeem_invite

# Invite codes have 80 random bits; this limit also makes guessing pointless and quiet.
MAX_FAILED_INVITES = 5
FAILED_INVITE_WINDOW = 15 * 60


async def scope_name(context: BotContext, person: Person) -> str:
    """'دفتر …' or 'استان …' for a staff member; empty for others."""
    db = context.db
    if person.office_id is not None:
        office = await offices.office_by_id(db, person.office_id)
        return t("scope.office", office=office.name if office else "?")
    if person.province_id is not None:
        return t("scope.province", province=await offices.province_name(db, person.province_id))
    return ""


async def greet(update: Update, context: BotContext) -> None:
    """Greet by role and show the role's main menu."""
    person = context.me()
    role = person.effective_role
    name = person.display_name or t("people.unnamed")
    text = t(f"start.greet_{role}", name=name, scope=await scope_name(context, person))
    if not person.active and person.role != "resident":
        text = t("access.deactivated") + "\n\n" + text
    await send(update, context, text, main_menu(role))
    await register_commands(context.bot, person.user_id, role)


def _failed_invites(context: BotContext, user_id: int) -> deque[float]:
    """When this person last typed wrong invite codes (by the app's monotonic clock)."""
    failed: dict[int, deque[float]] = context.application.bot_data.setdefault(
        "failed_invites", defaultdict(deque))
    return failed[user_id]


def _too_many_failures(context: BotContext, user_id: int) -> bool:
    attempts = _failed_invites(context, user_id)
    now = context.services.clock.monotonic()
    while attempts and now - attempts[0] > FAILED_INVITE_WINDOW:
        attempts.popleft()
    return len(attempts) >= MAX_FAILED_INVITES


async def join_with_invite(update: Update, context: BotContext, code: str) -> None:
    """Redeem an invite code and welcome the new staff member."""
    person = context.me()
    if _too_many_failures(context, person.user_id):
        await send(update, context, t("start.invite_slow", minutes=FAILED_INVITE_WINDOW // 60))
        return
    try:
        joined = await redeem_invite(
            context.db, to_ascii_digits(code), user_id=person.user_id,
            display_name=person.display_name,
        )
    except InviteError as error:
        if error.reason != "admin":
            _failed_invites(context, person.user_id).append(
                context.services.clock.monotonic())
        await send(update, context, t(f"start.invite_{error.reason}"), main_menu(person.role))
        return
    context.person = joined
    await send(update, context, t(
        "start.joined", role=role_name(joined.role), scope=await scope_name(context, joined)
    ))
    await greet(update, context)


async def start(update: Update, context: BotContext) -> None:
    """/start: join with an invite code if one is given, else greet."""
    if context.args:
        await join_with_invite(update, context, context.args[0])
        return
    await greet(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    """/help: what each menu item does for this role."""
    role = context.me().effective_role
    await send(update, context, help_text(role), main_menu(role))


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel outside a conversation: drop a draft the database still holds, show the menu."""
    me = context.me()
    draft = await drafts.draft_of(context.db, me.id)
    if draft is not None:
        await drafts.discard_draft(context.db, draft.id)
    key = "cancel.done" if draft is not None else "cancel.nothing"
    await send(update, context, t(key), main_menu(me.effective_role))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    await send(update, context, t("general.unknown_command"))


async def not_understood(update: Update, context: BotContext) -> None:
    """Text, stickers, voice … outside any task: point to the menu."""
    await send(update, context, t("general.not_understood"),
               main_menu(context.me().effective_role))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/start, /help and /cancel (group 0, after the features)."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        MessageHandler(filters.Text([t("menu.help")]), help_command),
        CommandHandler("cancel", cancel),
    ]


def fallback_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Last resort answers, in their own group so they never shadow a feature."""
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, not_understood),
    ]
