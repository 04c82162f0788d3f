"""Privacy in the chat (issue 23): the «حریم خصوصی» note a resident reads at first contact
and in their help, with a «حذف اطلاعات من» button; /forget with a confirmation; the note
shown when a resident picks a sensitive category; the recorded looks of a card.

Forgetting runs `storage.privacy.forget_person` (the office's staff are told of open
requests through the outbox, in the same transaction); the resident's answer is a direct
reply, since nothing may be owed to them any more. PTB's in-memory data of the user is
dropped too, so persistence does not write it back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import access
from bot.callbacks import Area, encode, tap
from bot.cases import open_button, shown_code, staff_notices
from bot.locale.text import t
from bot.privacy import privacy_note, removed_message, unreachable_notice
from bot.services import Services
from handlers.context import BotContext, answer_once, inline, send, show, tapped
from handlers.form_hooks import FormHooks
from storage import privacy as store
from storage import requests as requests_store
from storage.people import Person, Returned
from storage.requests import Owed, Request

ASK = encode(tap(Area.PRIVACY, "ask"))
YES = encode(tap(Area.PRIVACY, "yes"))
NO = encode(tap(Area.PRIVACY, "no"))


def note(context: BotContext) -> str:
    """The «حریم خصوصی» note with this bot's RETENTION_DAYS."""
    return privacy_note(context.services.settings.retention_days)


TOLD_KEY = "privacy_told"  # user_data: the resident has read the note once


def first_contact(context: BotContext, text: str) -> str:
    """`text`, with the note below it the first time this resident hears from the bot."""
    data = context.user_data
    if data is None or data.get(TOLD_KEY):
        return text
    data[TOLD_KEY] = True
    return text + "\n\n" + note(context)


def forget_button() -> InlineKeyboardMarkup:
    """The «حذف اطلاعات من» button under the resident's help."""
    return inline([[(t("privacy_chat.forget_button"), ASK)]])


def resident_help(context: BotContext, text: str) -> tuple[str, InlineKeyboardMarkup]:
    """A resident's help: the note below it, and the button to erase their data."""
    return text + "\n\n" + note(context), forget_button()


async def forget_command(update: Update, context: BotContext) -> None:
    """/forget: ask before anything is removed."""
    await send(update, context, t("privacy_chat.confirm"), _confirm_buttons())


def _confirm_buttons() -> InlineKeyboardMarkup:
    return inline([[(t("privacy_chat.yes"), YES)], [(t("privacy_chat.no"), NO)]])


async def forget_button_tapped(update: Update, context: BotContext) -> None:
    """prv:ask (the help's button), prv:yes (confirmed), prv:no (kept)."""
    pressed = tapped(update)
    if pressed is None or pressed.area is not Area.PRIVACY:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    await answer_once(update, context)
    if pressed.action == "ask":
        await send(update, context, t("privacy_chat.confirm"), _confirm_buttons())
    elif pressed.action == "no":
        await show(update, context, t("privacy_chat.kept"))
    else:
        await forget(update, context)


async def forget(update: Update, context: BotContext) -> None:
    """Forget the person now; tell them what went, and their office's staff what stays."""
    me = context.me()
    services = context.services
    office_notices = await _office_notices(services, me.id)
    forgotten = await store.forget_person(
        services.db, me.id, notices=lambda rid, _code, _office: office_notices.get(rid, []))
    _drop_memory(context, me.user_id, update)
    await show(update, context, removed_message(forgotten.removed,
                                                services.settings.backup_keep))


async def _office_notices(services: Services, person_id: int) -> dict[int, list[Owed]]:
    """For each open request of the person: a notice to its assignee (or its office's
    staff) that the resident can no longer be reached (computed before the transaction)."""
    found: dict[int, list[Owed]] = {}
    for request in await requests_store.for_resident(services.db, person_id):
        if request.status in requests_store.CLOSED:
            continue
        found[request.id] = await _unreachable(services, request)
    return found


async def _unreachable(services: Services, request: Request) -> list[Owed]:
    return await staff_notices(services, None, request, "forgotten",
                               unreachable_notice(request.code))


def _drop_memory(context: BotContext, user_id: int, update: Update) -> None:
    """PTB's copies of the user's and their private chat's data, and their form
    conversation: gone from memory, so the next persistence write cannot bring them back."""
    application = context.application
    application.drop_user_data(user_id)
    chat = update.effective_chat
    if chat is not None:
        application.drop_chat_data(chat.id)
    conversations: dict[str, Any] = getattr(
        application, "_conversation_handler_conversations", {})
    for states in conversations.values():
        for key in [k for k in list(states) if user_id in k]:
            states.pop(key, None)  # the stored rows went in forget_person's transaction


async def returned_notices(context: BotContext, leaving: Person) -> Returned:
    """For deactivating a colleague: each of their open requests told to the office's other
    staff, as back in the pool (`storage.people.set_active(returned=…)`)."""
    colleagues = [s for s in await requests_store.staff_of_office(context.db, leaving.office_id)
                  if s[0] != leaving.id] if leaving.office_id is not None else []
    name = leaving.display_name or t("people.unnamed")
    stamp = context.db.now_iso()

    def returned(rows: Sequence[tuple[int, str, int]]) -> list[Owed]:
        return [Owed(f"staff:returned:{rid}:{stamp}:{pid}", user_id,
                     t("privacy_chat.returned", code=shown_code(code), name=name),
                     open_button(rid))
                for rid, code, _office in rows for pid, user_id, _n in colleagues]
    return returned


def sensitive_note(context: BotContext, question: str, value: Any) -> str | None:
    """Picking a sensitive category: who will see its details."""
    if question == "category" and context.services.org.is_sensitive(str(value)):
        return t("privacy.sensitive_category")
    return None


async def record_card_look(context: BotContext, request: Request, *, phone_shown: bool,
                           details_shown: bool) -> None:
    """A staff card that showed a phone number or a sensitive request's details: logged."""
    me = context.me()
    if request.resident_id == me.id or not (phone_shown or details_shown):
        return
    kind = "phone" if phone_shown else "details"
    await store.log_look(context.db, person_id=me.id, kind=kind, through="chat",
                         request_id=request.id)


def sees_details(context: BotContext, request: Request) -> bool:
    """Whether the person on this update sees the request's text, media, phone and place."""
    return access.sees_details(context.me(), request, context.services.org, through="chat")


def form_hooks(services: Services) -> FormHooks:
    """The note after a sensitive category is picked in the resident's request."""
    return FormHooks(answer_notes={"resident_request": sensitive_note})


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/forget and its buttons."""
    return [
        CommandHandler("forget", forget_command),
        CallbackQueryHandler(forget_button_tapped, pattern=r"^prv:"),
    ]
