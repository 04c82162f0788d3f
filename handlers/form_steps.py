"""The forms conversation carrying out what the engine decided (`bot/forms/engine.py`): the
draft saved before anything is sent, the next question or the summary shown, a reading to
confirm asked, a completed form handed to its sink and what follows it, a cancel asked and
done; and what a message gives as an answer (a photo, a voice note, a shared location or
contact)."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ConversationHandler, MessageHandler, filters

from bot.forms import engine, model
from bot.forms.engine import Step
from bot.forms.model import TYPES, FormDefinition, Question
from bot.locale import jalali
from bot.locale.numbers import in_words
from bot.locale.phones import Phone, read_phone
from bot.locale.text import t
from handlers.context import BotContext, answer_once, send, show
from handlers.form_hooks import State, hooks_of
from handlers.form_views import (
    ask,
    button,
    choices_for,
    echo,
    forms_of,
    markup_of,
    put,
    question_view,
    trail_after,
)
from handlers.menu import menu_for
from storage import drafts
from storage.drafts import Draft

FILLING = "filling"
END = ConversationHandler.END


def delivery_key(update: Update) -> str:
    """What identifies an action however often it is delivered: the message (id and time),
    the edit of a message (id and edit time) or the button tap (its query id)."""
    if update.callback_query is not None:
        return f"c:{update.callback_query.id}"
    edited = update.edited_message
    if edited is not None:
        stamp = int((edited.edit_date or edited.date).timestamp())
        return f"e:{edited.message_id}:{stamp}:{zlib.crc32((edited.text or '').encode())}"
    message = update.effective_message
    if message is not None:
        return f"m:{message.message_id}:{int(message.date.timestamp())}"
    return f"u:{update.update_id}"


async def save(draft: Draft, update: Update, context: BotContext) -> None:
    """Write the draft before anything is sent, remembering the update that changed it."""
    if not draft.seen(delivery_key(update)):
        draft.recent_updates.append(delivery_key(update))
    await drafts.save_draft(context.db, draft)


async def carry_out(update: Update, context: BotContext, form: FormDefinition, draft: Draft,
                    step: Step, *, shown: str | None = None, in_place: bool = False,
                    echoed: tuple[Question, str] | None = None) -> State:
    """Save the draft if the step changed it, then show what it leads to. `shown`: the
    answer as tapped (or shared), for the trail above the next question; `in_place`: the
    tapped message becomes the next question; `echoed`: a typed answer as read, shown on
    the message that asked it (once saved)."""
    trail = None
    if shown is not None and step.answered is not None:
        trail = trail_after(update, step.answered[0].label, shown)
    if step.changed:
        await save(draft, update, context)
    if echoed is not None:
        await echo(update, context, draft, *echoed)
    if step.kind == engine.COMPLETE:
        return await confirm(update, context, form, draft, trail=trail)
    if step.kind == engine.PENDING:
        await send(update, context, step.prompt, InlineKeyboardMarkup([[
            button(t("form.confirm_yes"), draft, "py", draft.current),
            button(t("form.confirm_no"), draft, "pn", draft.current)]]))
        return FILLING
    if step.kind == engine.KEYBOARD:
        question = form.question(draft.current)
        assert question is not None
        await send(update, context, step.note,
                   markup_of(draft, await question_view(context, form, draft, question)))
        return FILLING
    note = step.note
    noting = hooks_of(context).answer_notes.get(form.name)  # e.g. an emergency number
    if noting is not None and step.answered is not None:
        note = noting(context, step.answered[0].id, step.answered[1]) or ""
    await ask(update, context, form, draft, note=note, in_place=in_place, trail=trail)
    return FILLING


async def ask_to_cancel(update: Update, context: BotContext, form: FormDefinition,
                        draft: Draft, in_place: bool = False) -> State:
    """One tap must not throw answers away: ask first (unless nothing was answered yet)."""
    if engine.cancel(draft).kind == engine.CANCELLED:
        return await cancel_draft(update, context, form.title, draft)
    markup = InlineKeyboardMarkup([[button(t("form.cancel_yes"), draft, "xx"),
                                    button(t("form.cancel_no"), draft, "r")]])
    await put(update, context, t("form.cancel_confirm", title=form.title,
                                  count=in_words(engine.answered_count(draft))), markup, in_place)
    return FILLING


async def cancel_draft(update: Update, context: BotContext, form_title: str,
                       draft: Draft) -> State:
    """Forget the draft and return to the menu."""
    await drafts.discard_draft(context.db, draft.id)
    await send(update, context, t("form.cancelled", title=form_title), menu_for(context))
    form = forms_of(context).get(draft.form)
    after = hooks_of(context).afters.get(form.sink) if form is not None else None
    if after is not None:
        await after(update, context, draft, False)
    return END


async def confirm(update: Update, context: BotContext, form: FormDefinition,
                  draft: Draft, trail: list[str] | None = None) -> State:
    """Store the completed form once (its sink decides where) and say what was saved.
    `trail`: a form without a summary ended by a tap on its live message: that message
    says it, under the answer."""
    step = engine.complete(form, draft)
    if step.kind != engine.COMPLETE:
        await save(draft, update, context)
        await ask(update, context, form, draft, note=step.note, in_place=trail is not None)
        return FILLING
    hooks = hooks_of(context)
    text = await hooks.sinks[form.sink](update, context, form, draft, step.answers)
    if trail is not None and not form.confirm:
        await show(update, context, "\n".join(trail) + "\n\n" + text)
    else:
        await send(update, context, text, menu_for(context))
    after = hooks.afters.get(form.sink)
    if after is not None:
        await after(update, context, draft, True)
    return END


async def mark_answered(update: Update, context: BotContext, label: str) -> None:
    """Turn a tapped yes/no prompt into a record of the answer (no stale buttons left)."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message) or not query.message.text:
        return
    try:
        await context.bot.edit_message_text(
            chat_id=query.message.chat.id, message_id=query.message.message_id,
            text=f"{query.message.text.split(chr(10) * 2)[-1]}\n← {label}",
        )
    except BadRequest:
        pass  # an old message may no longer be editable; the answer is stored regardless


def is_stale(context: BotContext, draft: Draft) -> bool:
    """Older than the configured age: offer to resume or discard."""
    return engine.is_stale(draft, context.now(), context.services.settings.draft_stale_hours)


async def offer_resume(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, text_key: str, new_form: str = "") -> State:
    """Ask whether to continue a draft or throw it away."""
    date = jalali.format_datetime(draft.updated(), context.services.settings.timezone)
    markup = InlineKeyboardMarkup([[button(t("form.resume"), draft, "r"),
                                    button(t("form.discard"), draft, "n", "", new_form)]])
    text = t(text_key, title=form.title, date=date,
             count=in_words(engine.answered_count(draft)))
    await answer_once(update, context)
    await send(update, context, text, markup)
    return FILLING


async def open_form(context: BotContext) -> tuple[FormDefinition, Draft] | None:
    """The person's open draft and its form, if both exist."""
    draft = await drafts.draft_of(context.db, context.me().id)
    form = forms_of(context).get(draft.form) if draft is not None else None
    return (form, draft) if form is not None and draft is not None else None


async def on_edit(update: Update, context: BotContext) -> None:
    """An edited message: if it gave one of the last answers of an unconfirmed form, the
    answer changes (with a note saying so); anything else edited changes nothing."""
    edited = update.edited_message
    if edited is None or not edited.text:
        raise ApplicationHandlerStop
    opened = await open_form(context)
    if opened is None or opened[1].seen(delivery_key(update)):
        raise ApplicationHandlerStop
    form, draft = opened
    question = engine.edited_question(form, draft, edited.message_id)
    if question is None:
        await send(update, context, t("form.edit_old"))
        raise ApplicationHandlerStop
    choices = await choices_for(context, draft, question)
    result = model.accept_text(question, edited.text, choices=choices, today=context.today())
    step = engine.edited(form, draft, question, result)
    if step.kind != engine.ASK or step.answered is None:
        await carry_out(update, context, form, draft, step)
        raise ApplicationHandlerStop
    await save(draft, update, context)
    shown = model.format_answer(question, step.answered[1], choices)
    await ask(update, context, form, draft, note=t("form.edited", label=question.label,
                                                    answer=shown))
    raise ApplicationHandlerStop


def edit_handler() -> MessageHandler[BotContext, None]:
    """Edited messages in private chats (before the conversation, in the same group)."""
    return MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE,
                          on_edit)


# ----- what a message gives ------------------------------------------------------------------


def voice_of(message: Message) -> tuple[str, str, int]:
    """A voice note's file id, unique id and length in seconds."""
    voice = message.voice
    assert voice is not None
    duration = voice.duration
    seconds = int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)
    return voice.file_id, voice.file_unique_id, seconds


def attachment_of(message: Message) -> dict[str, Any]:
    """A photo (its biggest size) or a voice note, as a photos question keeps it."""
    if message.voice:
        file_id, unique_id, seconds = voice_of(message)
        return {"kind": "voice", "file_id": file_id, "file_unique_id": unique_id,
                "duration": seconds}
    biggest = message.photo[-1]
    return {"file_id": biggest.file_id, "file_unique_id": biggest.file_unique_id}


def shared_value(update: Update, question: Question) -> dict[str, Any] | str | None:
    """A shared location or contact as the answer to a location or contact question (a
    refusal's text for someone else's contact); None when nothing of the kind was shared."""
    message = update.message
    assert message is not None
    inputs = TYPES[question.type].inputs
    if "location" in inputs and message.location:
        return {"latitude": message.location.latitude, "longitude": message.location.longitude}
    if "contact" in inputs and message.contact:
        user = update.effective_user
        if user is None or message.contact.user_id != user.id:
            return t("form.contact_not_own")
        phone = read_phone(message.contact.phone_number)
        return {"phone": phone.e164 if isinstance(phone, Phone)
                else message.contact.phone_number}
    return None
