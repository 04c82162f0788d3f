"""The access gate (handler group -1): resolve the person once per update, then stop any
command, menu button or button tap that their role may not use, with a short answer.

Private chats only: updates from groups and channels and updates from bots are
deliberately ignored here, and so are edited messages other than edited texts (an edited
text may change a form's answer: `handlers.form_steps.on_edit` decides). Handlers still
re-check ownership of what a button names (the gate knows roles, not which office a
record belongs to).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.access import BY_COMMAND, Feature, allowed, feature_for_label, feature_of_button
from bot.locale.text import role_name, t
from handlers.context import BotContext, answer_once, send
from storage.people import resolve_person

GATE_GROUP = -1
FLOOD_WINDOW = 60.0


class FloodGuard:
    """Per-person sliding window: past the limit, updates are dropped (one notice per
    window), so one person's flood costs others almost nothing."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.seen: dict[int, deque[float]] = defaultdict(deque)
        self.warned: set[int] = set()

    def admit(self, user_id: int, limit: int) -> tuple[bool, bool]:
        """(let this update through?, send the one notice now?)"""
        now = self.clock()
        recent = self.seen[user_id]
        while recent and now - recent[0] > FLOOD_WINDOW:
            recent.popleft()
        if len(recent) < limit:
            recent.append(now)
            self.warned.discard(user_id)
            return True, False
        first_time = user_id not in self.warned
        self.warned.add(user_id)
        return False, first_time



def command_of(text: str) -> str | None:
    """'/Invite@bot a b' → 'invite'; None when the text is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()


GROUP_COMMANDS = ("digest_here",)


def is_group_command(update: Update) -> bool:
    """A command that is meant to be sent in a group chat."""
    message = update.message
    return bool(message and message.text and command_of(message.text) in GROUP_COMMANDS)


def requested_feature(update: Update) -> tuple[Feature | None, bool]:
    """The feature an update asks for, and whether it is a button family nobody owns."""
    query = update.callback_query
    if query is not None:
        return feature_of_button(query.data)
    message = update.message
    if message is None or not message.text:
        return None, False
    command = command_of(message.text)
    if command is not None:
        return BY_COMMAND.get(command), False
    return feature_for_label(message.text), False


async def gate(update: Update, context: BotContext) -> None:
    """Resolve the person; refuse what their role may not do."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        raise ApplicationHandlerStop
    if chat.type != "private" and not is_group_command(update):
        raise ApplicationHandlerStop  # groups only receive digests; everything else is silence
    if update.edited_message is not None and not update.edited_message.text:
        raise ApplicationHandlerStop  # an edited caption or place changes nothing: silence
    services = context.services
    guard: FloodGuard = context.application.bot_data.setdefault(
        "flood", FloodGuard(services.clock.monotonic))
    admitted, warn = guard.admit(user.id, services.settings.flood_per_minute)
    if not admitted:
        if update.callback_query is not None:
            await answer_once(update, context, t("access.slow_down") if warn else None)
        elif warn and chat.type == "private":
            await context.bot.send_message(chat_id=chat.id, text=t("access.slow_down"))
        raise ApplicationHandlerStop
    context.person = await resolve_person(
        services.db, user.id, user.full_name[:64], services.settings.admin_ids
    )
    feature, unknown_button = requested_feature(update)
    if unknown_button and update.callback_query is not None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        raise ApplicationHandlerStop
    person = context.person
    if allowed(person, feature):
        return
    refusal = (
        t("access.deactivated") if not person.active
        else t("access.denied", role=role_name(person.effective_role))
    )
    if update.callback_query is not None:
        await answer_once(update, context, refusal, alert=True)
    elif chat.type == "private":
        await send(update, context, refusal)
    raise ApplicationHandlerStop


def handlers() -> list[tuple[int, TypeHandler[Update, BotContext, None]]]:
    """The gate, in its group."""
    return [(GATE_GROUP, TypeHandler(Update, gate))]
