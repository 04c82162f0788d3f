"""/start (with or without an invite code), /help, /cancel, and the answers to anything
said outside a task: the ways in and the ways back to the main menu.

A resident's first message is usually the problem itself: free text (or a voice note, or
a photo) outside any form is offered, with one tap, as a new request that already has it
as its description (or attachment). A greeting gets a greeting and the menu; staff get a
short pointer to what they can do."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import Area, encode, tap
from bot.forms import model
from bot.forms.model import Accepted
from bot.locale.normalize import match_key, to_ascii_digits
from bot.locale.numbers import tokens
from bot.locale.text import role_name, t
from bot.org import resident_help
from bot.services import Services
from handlers import forms
from handlers.context import BotContext, answer_once, send
from handlers.form_hooks import FormHooks
from handlers.menu import features_for, help_text, menu_for, register_commands
from storage import drafts, offices, requests
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
    await send(update, context, text, menu_for(context, role))
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
        await send(update, context, t(f"start.invite_{error.reason}"),
                   menu_for(context, person.role))
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
    """/help: what each menu item does for this role; a resident's names the buttons and
    gives their office's phone, address and hours (`org.resident_help`)."""
    role = context.me().effective_role
    text = await resident_help_text(context) if role == "resident" else help_text(role)
    await send(update, context, text, menu_for(context, role))


async def resident_help_text(context: BotContext) -> str:
    """The resident's help, with the office of their latest request (if any)."""
    latest = await requests.for_resident(context.db, context.me().id, limit=1)
    row = await offices.office_by_id(context.db, latest[0].office_id) if latest else None
    org = context.services.org
    return resident_help(org, org.office(row.slug) if row is not None else None)


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel outside a conversation: drop a draft the database still holds, show the menu."""
    me = context.me()
    draft = await drafts.draft_of(context.db, me.id)
    if draft is not None:
        await drafts.discard_draft(context.db, draft.id)
    key = "cancel.done" if draft is not None else "cancel.nothing"
    await send(update, context, t(key), menu_for(context, me.effective_role))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    await send(update, context, t("general.unknown_command"))


async def not_understood(update: Update, context: BotContext) -> None:
    """Stickers, places, files … outside any task: point to the menu."""
    await send(update, context, t("general.not_understood"),
               menu_for(context))


GREETING_WORDS = {"سلام", "سلامعلیکم", "علیکم", "درود", "وقت", "وقتتون", "وقتتان", "بخیر",
                  "به", "خیر", "صبح", "عصر", "شب", "روز", "ظهر", "خسته", "نباشید", "نباشین",
                  "عرض", "ادب", "hi", "hello", "salam", "slm", "سلاااام", "سلامم"}
THANKS_WORDS = {"ممنون", "ممنونم", "مرسی", "متشکرم", "متشکر", "سپاس", "سپاسگزارم", "تشکر",
                "دستتون", "دستتان", "درد", "نکنه", "باشه", "اوکی", "ok", "خیلی", "لطف", "دارید"}
OFFER_KEY = "first_contact"  # user_data: what a resident sent before tapping «yes»
MAX_OFFER_ITEMS = 3
OFFER_MINUTES = 60  # messages further apart than this are not one description


def _only(words: set[str], text: str) -> bool:
    said = [match_key(w) for w in tokens(text)]
    return bool(said) and all(w in words for w in said)


def is_greeting(text: str) -> bool:
    """«سلام», «سلام، وقت بخیر», «درود» … and nothing else."""
    return _only(GREETING_WORDS, text)


def is_thanks(text: str) -> bool:
    """«ممنون», «مرسی», «باشه» … and nothing else."""
    return _only(THANKS_WORDS | GREETING_WORDS, text) and not is_greeting(text)


async def plain_message(update: Update, context: BotContext) -> None:
    """Something said outside any form: a greeting, a resident's problem, a staff member's
    question; anything else gets the menu."""
    message = update.message
    role = context.me().effective_role
    if message is None:
        await not_understood(update, context)
        return
    text = message.text or message.caption or ""
    if message.text and is_greeting(text):
        await greet(update, context)
        return
    if message.text and is_thanks(text):
        await send(update, context, t("start.thanks"), menu_for(context, role))
        return
    if role != "resident":
        if message.text:
            labels = "، ".join(f"«{f.label}»" for f in features_for(role)
                              if f.in_menu and f.command != "help"
                              and (f.menu_for is None or role in f.menu_for))
            await send(update, context, t("start.staff_pointer", features=labels),
                       menu_for(context, role))
        else:
            await not_understood(update, context)
        return
    if message.voice or message.photo or message.text:
        await offer_request(update, context)
        return
    await not_understood(update, context)


async def offer_request(update: Update, context: BotContext) -> None:
    """Keep what the resident sent and offer it, with one tap, as a new request."""
    message = update.message
    assert message is not None
    form = forms.forms_of(context).get("resident_request")
    if form is None or context.user_data is None:
        await not_understood(update, context)
        return
    offer = context.user_data.get(OFFER_KEY)
    if offer is None or context.now() - offer["at"] > timedelta(minutes=OFFER_MINUTES):
        offer = context.user_data[OFFER_KEY] = {"texts": [], "items": [], "at": context.now()}
    offer["at"] = context.now()
    text = message.text or message.caption or ""
    description = form.question("description")
    if text and description is not None:
        judged = model.accept_text(description, text, choices=[], today=context.today())
        if isinstance(judged, Accepted):
            offer["texts"].append(judged.value)
        elif not message.voice and not message.photo:
            if not offer["texts"] and not offer["items"]:
                context.user_data.pop(OFFER_KEY, None)
            await send(update, context, t("start.too_short"),
                       menu_for(context))
            return
    if message.voice and len(offer["items"]) < MAX_OFFER_ITEMS:
        file_id, unique_id, seconds = forms.voice_of(message)
        offer["items"].append({"kind": "voice", "file_id": file_id,
                               "file_unique_id": unique_id, "duration": seconds})
    if message.photo and len(offer["items"]) < MAX_OFFER_ITEMS:
        biggest = message.photo[-1]
        offer["items"].append({"file_id": biggest.file_id,
                               "file_unique_id": biggest.file_unique_id})
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t("start.offer_yes"), callback_data=encode(tap(Area.FORM, "new"))),
        InlineKeyboardButton(t("start.offer_no"), callback_data=encode(tap(Area.FORM, "nonew"))),
    ]])
    await send(update, context, t("start.offer"), markup)


def prefill_from(offer: dict[str, Any]) -> dict[str, object]:
    """The answers an offer gives the request form: the description (the texts, or the
    first voice note) and the photos question (photos and the other voice notes)."""
    texts = [str(x) for x in offer.get("texts", [])]
    items = [dict(x) for x in offer.get("items", []) if isinstance(x, dict)]
    answers: dict[str, object] = {}
    if texts:
        answers["description"] = "\n".join(texts)[:model.MAX_TEXT_DEFAULT]
    else:
        voice = next((i for i in items if i.get("kind") == "voice"), None)
        if voice is not None:
            items.remove(voice)
            answers["description"] = {"voice": voice["file_id"],
                                      "file_unique_id": voice["file_unique_id"],
                                      "duration": voice.get("duration", 0)}
    if items:
        answers["photos"] = items
    return answers


async def take_offer(update: Update, context: BotContext, agreed: bool) -> forms.State:
    """The resident tapped «yes» (start the request with what they sent) or «no»."""
    offer = context.user_data.pop(OFFER_KEY, None) if context.user_data is not None else None
    role = context.me().effective_role
    label = t("start.offer_yes") if agreed else t("start.offer_no")
    form = forms.forms_of(context).get("resident_request")
    stale = offer is not None and context.now() - offer["at"] > timedelta(days=1)
    if offer is None or stale or form is None or role not in form.roles:
        await answer_once(update, context, t("start.offer_gone"), alert=True)
        return forms.END
    await answer_once(update, context)
    await forms.mark_answered(update, context, label)
    if not agreed:
        await send(update, context, t("start.offer_declined"), menu_for(context, role))
        return forms.END
    return await forms.begin(update, context, form, prefill=prefill_from(offer))


def form_hooks(services: Services) -> FormHooks:
    """What the start module adds to the forms conversation: the answer to a message when no
    form is open, and the offer's tap (a new request with what the resident sent)."""
    return FormHooks(plain_message=plain_message, take_offer=take_offer)


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
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, plain_message),
    ]
