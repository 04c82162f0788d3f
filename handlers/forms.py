"""The forms conversation in the chat: updates turned into calls of the form engine
(`bot/forms/engine.py`, which holds the draft's state machine) and its answers rendered.

Built on PTB's `ConversationHandler` (persistent, named "forms"), but the database draft is
the truth: every accepted answer is saved before the next question is sent, and any update
from someone with a draft resumes it at the same question, whether or not PTB remembered the
conversation across a restart. What completed forms become, guards and notes are the
application's `FormHooks` (`handlers/form_hooks.py`), wired in `bot/app.py`.

Button data through the codec (`bot/callbacks.py`, `frm:DRAFT:ACTION:QUESTION:VALUE`). The
draft is always looked up by the person tapping, and a choice value must be one of that
person's choices, so forged data cannot act on anyone else's draft or pick another office's
neighbourhood.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Area, Tap, decode, encode, tap
from bot.forms import engine, model
from bot.forms.engine import QuestionView, Step
from bot.forms.model import TYPES, Choice, FormDefinition, Question
from bot.locale import jalali
from bot.locale.numbers import in_words
from bot.locale.phones import Phone, read_phone
from bot.locale.text import t
from handlers.context import BotContext, answer_once, send, show
from handlers.form_hooks import State, hooks_of
from handlers.menu import FEATURES, feature_for_label, menu_for
from storage import drafts, offices
from storage.drafts import Draft

FILLING = "filling"
END = ConversationHandler.END
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def forms_of(context: BotContext) -> dict[str, FormDefinition]:
    """The loaded form definitions."""
    return context.services.forms


async def choices_for(context: BotContext, draft: Draft, question: Question) -> list[Choice]:
    """The question's choices; neighbourhoods come from the draft's office (or all offices)."""
    if question.choices_from == "office_neighbourhoods":
        hoods = await offices.neighbourhoods_of(context.db, draft.office_id or 0)
        return [Choice(str(h.id), h.name) for h in hoods]
    if question.choices_from == "offices":
        return [Choice(str(o.id), o.name) for o in await offices.list_offices(context.db)]
    if question.choices_from == "all_neighbourhoods":
        hoods = await offices.all_neighbourhoods(context.db)
        return [Choice(str(h.id), h.name) for h in hoods] + list(question.choices)
    return model.choices_now(question, draft.answers)


# ----- rendering -----------------------------------------------------------------------------


def _button(label: str, draft: Draft, action: str, question: str = "",
            value: str = "") -> InlineKeyboardButton:
    data = encode(tap(Area.FORM, action, draft=draft.id, question=question, value=value))
    return InlineKeyboardButton(label, callback_data=data)


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def markup_of(draft: Draft, shown: QuestionView) -> Markup:
    """The keyboard of a question: choices, toggles or a share button, and the controls."""
    kind, qid = shown.keyboard, shown.question.id
    if kind in ("location", "contact"):
        share = KeyboardButton(t(f"form.send_{kind}"), request_location=kind == "location",
                               request_contact=kind == "contact")
        keys = [[share]]
        if shown.question.optional:
            keys.append([KeyboardButton(t("form.skip"))])
        keys.append([KeyboardButton(t("form.back")), KeyboardButton(t("form.cancel"))])
        return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)
    buttons: list[InlineKeyboardButton] = []
    per_row = 2
    if kind == "choices":
        buttons = [_button(b.label, draft, "a", qid, b.value) for b in shown.buttons]
        per_row = 1 if any(len(b.label) > 18 for b in shown.buttons) else 2
    elif kind == "yesno":
        buttons = [_button(t("form.yes"), draft, "a", qid, "1"),
                   _button(t("form.no"), draft, "a", qid, "0")]
    elif kind == "date":
        buttons = [_button(t("form.today"), draft, "a", qid, "today"),
                   _button(t("form.yesterday"), draft, "a", qid, "yesterday")]
    elif kind == "toggles":
        buttons = [_button(("✅ " if b.ticked else "▫️ ") + b.label, draft, "t", qid, b.value)
                   for b in shown.buttons]
    rows = _rows(buttons, per_row)
    if shown.done:
        rows.append([_button(t("form.done"), draft, "d", qid)])
    controls = [_button(t("form.back"), draft, "b", qid)] if shown.back else []
    if shown.skip:
        controls.append(_button(t("form.skip"), draft, "s", qid))
    controls.append(_button(t("form.cancel"), draft, "x", qid))
    rows.append(controls)
    return InlineKeyboardMarkup(rows)


def text_of(shown: QuestionView) -> str:
    """'پرسش ۳ از ۱۶' and the prompt, with the current answer when re-asking."""
    number, total = shown.progress
    lines = [t("form.progress", number=number, total=total)] if total > 1 else []
    lines.append(shown.prompt)
    if shown.current is not None:
        lines.append(t("form.current_answer", answer=shown.current))
    return "\n".join(lines)


async def question_view(context: BotContext, form: FormDefinition, draft: Draft,
                        question: Question) -> QuestionView:
    """The engine's view of a question, with the choices the database gives."""
    return engine.view(form, draft, question, await choices_for(context, draft, question))


async def summary(context: BotContext, form: FormDefinition, draft: Draft) -> tuple[str, Any]:
    """The summary text and its edit and confirm buttons."""
    choices = {q.id: await choices_for(context, draft, q)
               for q in engine.shown_questions(form, draft)}
    shown = engine.summary(form, draft, choices)
    rows = _rows([_button(t("form.edit", number=n), draft, "e", qid)
                  for n, qid in enumerate(shown.editable, start=1)], 4)
    rows.append([_button(t("form.confirm"), draft, "ok"), _button(t("form.cancel"), draft, "x")])
    return shown.text, InlineKeyboardMarkup(rows)


def trail_line(label: str, answer: str) -> str:
    """One answer as the live question message keeps it: '✔ محله: قلعه محمود'."""
    return t("form.trail", label=label, answer=answer)


TRAIL_MARK = trail_line("\0", "\0").split("\0")[0]
TRAIL_LENGTH = 3


def trail_shown(update: Update) -> list[str]:
    """The trail the tapped message shows above its question."""
    query = update.callback_query
    shown = query.message.text if query is not None and isinstance(query.message, Message) \
        else None
    lines = []
    for line in (shown or "").split("\n"):
        if not line.startswith(TRAIL_MARK):
            break
        lines.append(line)
    return lines


def trail_after(update: Update, label: str, answer: str) -> list[str]:
    """The trail above the tapped question with this answer added (the same question
    answered again replaces its line), the newest `TRAIL_LENGTH` kept."""
    same = trail_line(label, "")
    lines = [line for line in trail_shown(update) if not line.startswith(same)]
    return [*lines, trail_line(label, answer)][-TRAIL_LENGTH:]


async def ask(
    update: Update, context: BotContext, form: FormDefinition, draft: Draft, note: str = "",
    *, in_place: bool = False, trail: list[str] | None = None,
) -> None:
    """Show the current question (or the summary), after an optional note: one call.
    `in_place` (a tap on the live question message): that message is edited into the next
    question, under a short trail of the answers tapped on it; otherwise a new message."""
    prefix = f"{note}\n\n" if note else ""
    if draft.at_summary:
        text, markup = await summary(context, form, draft)
        await _put(update, context, prefix + text, markup, in_place)
        return
    question = form.question(draft.current)
    assert question is not None
    shown = await question_view(context, form, draft, question)
    above = "\n".join(trail) + "\n\n" if trail else ""
    await _put(update, context, above + prefix + text_of(shown), markup_of(draft, shown),
               in_place)


async def _put(update: Update, context: BotContext, text: str, markup: Markup,
               in_place: bool) -> None:
    """Edit the tapped message (inline keyboards only) or send a new one."""
    if in_place and isinstance(markup, InlineKeyboardMarkup):
        await show(update, context, text, markup)
    else:
        await send(update, context, text, markup)


# ----- carrying out the engine's steps -------------------------------------------------------


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


def _message_id(update: Update) -> int | None:
    return update.message.message_id if update.message is not None else None


async def carry_out(update: Update, context: BotContext, form: FormDefinition, draft: Draft,
                    step: Step, *, shown: str | None = None, in_place: bool = False) -> State:
    """Save the draft if the step changed it, then show what it leads to. `shown`: the
    answer as tapped (or shared), for the trail above the next question; `in_place`: the
    tapped message becomes the next question."""
    trail = None
    if shown is not None and step.answered is not None:
        trail = trail_after(update, step.answered[0].label, shown)
    if step.changed:
        await save(draft, update, context)
    if step.kind == engine.COMPLETE:
        return await confirm(update, context, form, draft, trail=trail)
    if step.kind == engine.PENDING:
        await send(update, context, step.prompt, InlineKeyboardMarkup([[
            _button(t("form.confirm_yes"), draft, "py", draft.current),
            _button(t("form.confirm_no"), draft, "pn", draft.current)]]))
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
    markup = InlineKeyboardMarkup([[_button(t("form.cancel_yes"), draft, "xx"),
                                    _button(t("form.cancel_no"), draft, "r")]])
    await _put(update, context, t("form.cancel_confirm", title=form.title,
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


# ----- taps ----------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext, form: FormDefinition,
                    draft: Draft, pressed: Tap) -> State:
    """A tap on a form button of the person's own draft."""
    query = update.callback_query
    assert query is not None
    action, qid = pressed.action, pressed.text("question")
    if pressed.draft != draft.id:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return FILLING
    # The tapped message shows the draft's current question (or, qid "", its summary): it
    # is the live one, and becomes whatever comes next; a tap on an older one gets a new
    # message below, where the person is.
    live = isinstance(query.message, Message) and bool(query.message.text) and (
        qid == draft.current or (action == "e" and draft.at_summary))
    if action == "x":
        await answer_once(update, context)
        return await ask_to_cancel(update, context, form, draft, in_place=live)
    if action == "xx":
        await answer_once(update, context)
        return await cancel_draft(update, context, form.title, draft)
    if action == "ok" and draft.at_summary:
        await answer_once(update, context)
        return await confirm(update, context, form, draft)
    if action == "b" or (action == "e" and draft.at_summary and form.question(qid) is not None):
        await answer_once(update, context)
        step = engine.back(form, draft) if action == "b" else engine.edit(form, draft, qid)
        return await carry_out(update, context, form, draft, step, in_place=live)
    question = form.question(draft.current)
    if question is None or qid != question.id:
        await answer_once(update, context, t("form.stale_button").split("\n")[0])
        return FILLING
    return await on_question_button(update, context, form, draft, question, pressed, live)


async def on_question_button(update: Update, context: BotContext, form: FormDefinition,
                             draft: Draft, question: Question, pressed: Tap,
                             live: bool) -> State:
    """A tap on the current question's buttons: an answer, a tick, done, skip, yes/no."""
    action, value = pressed.action, pressed.text("value")
    kind = TYPES[question.type]
    choices = await choices_for(context, draft, question)

    async def go(step: Step, in_place: bool = live, label: str | None = None) -> State:
        """Carry the step out; the trail shows the answer (as tapped) on the live message."""
        if label is None and live and step.answered is not None:
            label = model.format_answer(question, step.answered[1], choices)
        return await carry_out(update, context, form, draft, step, shown=label,
                               in_place=in_place)

    if action in ("py", "pn"):
        await answer_once(update, context)
        label = t("form.confirm_yes") if action == "py" else t("form.confirm_no")
        step = engine.settle(form, draft, question, action == "py")
        if action == "pn" and step.changed:  # the prompt records the «no»
            await save(draft, update, context)
            await mark_answered(update, context, label)
            await ask(update, context, form, draft, note=step.note)
            return FILLING
        if step.changed or step.note:  # the waiting answer taken (or a check refused it)
            return await go(step, in_place=True, label=label)
        return await go(step, in_place=False)
    if action == "s":
        await answer_once(update, context)
        return await go(engine.skip(form, draft, question))
    if action == "t" and kind.keyboard == "toggles":
        if not engine.toggle(draft, question, value, choices):
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return FILLING
        await answer_once(update, context)
        await save(draft, update, context)
        message = update.callback_query.message if update.callback_query else None
        if live:  # one edit: the ticks change, a hint above the question goes
            await ask(update, context, form, draft, in_place=True,
                      trail=trail_shown(update) or None)
        elif isinstance(message, Message):
            await context.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id,
                reply_markup=markup_of(draft, engine.view(form, draft, question, choices)))  # type: ignore[arg-type]
        return FILLING
    if action == "d" and kind.collects:
        await answer_once(update, context)
        return await go(engine.done(form, draft, question))
    accepted = engine.tapped(question, value, choices, context.today()) if action == "a" \
        else None
    if accepted is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return FILLING
    await answer_once(update, context)
    return await go(engine.answer(form, draft, question, accepted.value))


# ----- messages ------------------------------------------------------------------------------


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


async def on_message(update: Update, context: BotContext, form: FormDefinition,
                     draft: Draft) -> State:
    """Anything typed or sent while a form is open: a control, or an answer by the kinds
    of input the question's type takes."""
    message = update.message
    assert message is not None
    if draft.at_summary:
        await ask(update, context, form, draft, note=t("form.expect_choice"))
        return FILLING
    question = form.question(draft.current)
    assert question is not None
    text, kind, by = message.text or "", TYPES[question.type], message.message_id

    def go(step: Step, shown: str | None = None) -> Coroutine[Any, Any, State]:
        return carry_out(update, context, form, draft, step, shown=shown)

    control = engine.control_in(text, question)
    if control == engine.CANCEL:
        return await ask_to_cancel(update, context, form, draft)
    if engine.PENDING_KEY in draft.answers and text:
        said = model.yes_or_no(text)
        if isinstance(said, model.Accepted):
            return await go(engine.settle(form, draft, question, said.value))
        draft.answers.pop(engine.PENDING_KEY, None)  # something else typed: judge it afresh
    if control == engine.DONE:
        return await go(engine.done(form, draft, question, by))
    if text and feature_for_label(text) is not None:
        await ask(update, context, form, draft, note=t("form.mid_form", title=form.title))
        return FILLING
    if control == engine.BACK:
        return await go(engine.back(form, draft))
    if control == engine.SKIP:
        return await go(engine.skip(form, draft, question, by))
    if kind.keyboard == "collect" and (message.photo or message.voice):
        return await go(engine.attach(draft, question, attachment_of(message)))
    if "audio" in kind.inputs and (message.voice or message.audio):
        sound = message.voice or message.audio
        assert sound is not None
        return await go(engine.answer(form, draft, question, {
            "file_id": sound.file_id, "file_unique_id": sound.file_unique_id}, by))
    if message.voice and question.type == "text" and form.sink != "request_action":
        # a voice note answers a text question of a report or a request (kept as an
        # attachment); staff notes to a resident are delivered as text, so they stay typed
        return await go(engine.judge(form, draft, question,
                                     model.accept_voice(question, *voice_of(message)), by))
    shared = shared_value(update, question)
    if isinstance(shared, str):
        await ask(update, context, form, draft, note=shared)
        return FILLING
    if shared is not None:
        # One message: the next question, «✔ location: given» above it (the share keyboard is
        # one-time: the phone hides it once used; the form's end brings the menu back).
        step = engine.answer(form, draft, question, shared, by)
        return await go(step, model.format_answer(question, shared, []))
    if text and kind.parse is not None:
        choices = await choices_for(context, draft, question)
        step = engine.typed(form, draft, question, text, choices, context.today(), by)
        echo = kind.echo_typed and step.answered is not None
        return await go(step, model.format_answer(question, step.answered[1], [])  # type: ignore[index]
                        if echo else None)
    await ask(update, context, form, draft, note=model.expectation(question))
    return FILLING


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


# ----- opening, resuming, leaving --------------------------------------------------------------


def is_stale(context: BotContext, draft: Draft) -> bool:
    """Older than the configured age: offer to resume or discard."""
    return engine.is_stale(draft, context.now(), context.services.settings.draft_stale_hours)


async def offer_resume(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, text_key: str, new_form: str = "") -> State:
    """Ask whether to continue a draft or throw it away."""
    date = jalali.format_datetime(draft.updated(), context.services.settings.timezone)
    markup = InlineKeyboardMarkup([[_button(t("form.resume"), draft, "r"),
                                    _button(t("form.discard"), draft, "n", "", new_form)]])
    text = t(text_key, title=form.title, date=date,
             count=in_words(engine.answered_count(draft)))
    await answer_once(update, context)
    await send(update, context, text, markup)
    return FILLING


async def handle(update: Update, context: BotContext) -> State:
    """Every update while a form may be open: resume from the draft the database holds."""
    me = context.me()
    draft = await drafts.draft_of(context.db, me.id)
    query = update.callback_query
    if draft is None:
        return await no_draft(update, context)
    form = forms_of(context).get(draft.form)
    if form is None or me.effective_role not in form.roles:
        await drafts.discard_draft(context.db, draft.id)
        return await no_draft(update, context)
    if draft.seen(delivery_key(update)):
        if query is not None:
            await answer_once(update, context)
        return FILLING  # the same update delivered twice: it was handled the first time
    pressed = decode(query.data) if query is not None else None
    action = pressed.action if pressed is not None and pressed.area is Area.FORM else ""
    if action == "r":
        await answer_once(update, context)
        await save(draft, update, context)
        await ask(update, context, form, draft, note=t("form.resumed", title=form.title),
                  in_place=True)  # the tapped offer (or «abandon?») becomes the question
        return FILLING
    if action == "n" and pressed is not None:
        await answer_once(update, context)
        await drafts.discard_draft(context.db, draft.id)
        new_form = forms_of(context).get(pressed.text("value"))
        if new_form is not None and me.effective_role in new_form.roles:
            return await begin(update, context, new_form)
        await send(update, context, t("form.cancelled", title=form.title), menu_for(context))
        return END
    if is_stale(context, draft):
        return await offer_resume(update, context, form, draft, "form.resume_offer")
    if query is None:
        return await on_message(update, context, form, draft)
    if pressed is None or not action:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return FILLING
    return await on_button(update, context, form, draft, pressed)


async def no_draft(update: Update, context: BotContext) -> State:
    """No form open: a form button is from the past, anything else is not understood."""
    hooks = hooks_of(context)
    query = update.callback_query
    if query is not None:
        pressed = decode(query.data)
        action = pressed.action if pressed is not None and pressed.area is Area.FORM else ""
        if pressed is not None and pressed.draft == 0 and action in ("new", "nonew") \
                and hooks.take_offer is not None:
            return await hooks.take_offer(update, context, action == "new")
        if pressed is not None and action == "ok":
            for receipt in hooks.receipts:
                text = await receipt(context, pressed.draft)
                if text is not None:
                    await answer_once(update, context)
                    await send(update, context, text)
                    return END
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return END
    for fallback in hooks.text_fallbacks:
        if await fallback(update, context):
            return END
    if hooks.plain_message is not None:
        await hooks.plain_message(update, context)
    return END


async def begin(
    update: Update, context: BotContext, form: FormDefinition,
    draft_context: dict[str, Any] | None = None, prefill: dict[str, Any] | None = None,
) -> State:
    """Open a new draft of `form` and ask its first question (`draft_context` travels with
    the draft to its sink, e.g. the request a note is for; `prefill` answers questions
    already, e.g. a resident's first message as the description: they are not asked)."""
    me = context.me()
    guard = hooks_of(context).guards.get(form.name)
    refusal = await guard(update, context) if guard else None
    if refusal is not None:
        await send(update, context, refusal, menu_for(context))
        return END
    existing = await drafts.draft_of(context.db, me.id)
    await answer_once(update, context)
    if existing is not None:
        current = forms_of(context).get(existing.form, form)
        return await offer_resume(update, context, current, existing, "form.other_draft")
    first = model.next_question(form, {}, after=None)
    assert first is not None
    needs_office = any(q.choices_from == "office_neighbourhoods" for q in form.questions)
    if needs_office and me.office_id is None:
        await send(update, context, t("form.no_office"), menu_for(context))
        return END
    prefill = {k: v for k, v in (prefill or {}).items() if form.question(k) is not None}
    if prefill:
        draft_context = {**(draft_context or {}), "prefilled": sorted(prefill)}
    draft = await drafts.start_draft(
        context.db, person_id=me.id, form=form.name, form_version=form.version,
        office_id=me.office_id, first_question=first.id, delivery=delivery_key(update),
        context=draft_context,
    )
    if prefill:
        draft.answers.update(prefill)
        await drafts.save_draft(context.db, draft)
    total = model.progress(form, {}, first.id)[1] - len(prefill)
    if form.confirm:
        key = "form.intro_prefilled" if prefill else "form.intro"
        await send(update, context, t(key, title=form.title, count=total),
                   ReplyKeyboardRemove())
    await ask(update, context, form, draft)
    return FILLING


def start_command(form_name: str) -> Callable[[Update, BotContext], Coroutine[Any, Any, State]]:
    """The entry callback of one form's command and menu button."""

    async def start_form(update: Update, context: BotContext) -> State:
        """Start the form, or offer to continue an unfinished one."""
        form = forms_of(context)[form_name]
        draft = await drafts.draft_of(context.db, context.me().id)
        if draft is None:
            return await begin(update, context, form)
        if draft.form == form.name and not is_stale(context, draft):
            await save(draft, update, context)
            await ask(update, context, form, draft, note=t("form.resumed", title=form.title))
            return FILLING
        current = forms_of(context).get(draft.form, form)
        key = "form.resume_offer" if draft.form == form.name else "form.other_draft"
        return await offer_resume(update, context, current, draft, key, form.name)

    return start_form


async def open_form(context: BotContext) -> tuple[FormDefinition, Draft] | None:
    """The person's open draft and its form, if both exist."""
    draft = await drafts.draft_of(context.db, context.me().id)
    form = forms_of(context).get(draft.form) if draft is not None else None
    return (form, draft) if form is not None and draft is not None else None


async def command_mid_form(update: Update, context: BotContext) -> State:
    """A command (other than /cancel) while a form is open: say how to go on."""
    opened = await open_form(context)
    if opened is None:
        return await no_draft(update, context)
    form, draft = opened
    await ask(update, context, form, draft, note=t("form.mid_form", title=form.title))
    return FILLING


async def cancel_command(update: Update, context: BotContext) -> State:
    """/cancel inside a form."""
    opened = await open_form(context)
    if opened is None:
        return await no_draft(update, context)
    form, draft = opened
    return await cancel_draft(update, context, form.title, draft)


def conversation(forms: dict[str, FormDefinition]) -> ConversationHandler[BotContext]:
    """The one conversation handler for all forms."""
    form_commands: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler(f.command, start_command(f.name)) for f in forms.values() if f.command]
    entry: list[BaseHandler[Update, BotContext, Any]] = list(form_commands)
    form_labels = set()
    for form in forms.values():
        labels = [form.menu_label] if form.menu_label else []  # an XLSForm: its title
        if form.command:
            try:
                labels.append(t(f"menu.{form.command}"))
            except KeyError:
                pass
        for label in labels:
            form_labels.add(label)
            entry.append(MessageHandler(filters.Text([label]), start_command(form.name)))
    other_labels = [f.label for f in FEATURES if f.in_menu and f.label not in form_labels]
    entry += [
        CallbackQueryHandler(handle, pattern=r"^frm:"),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND
                       & ~filters.Text(other_labels) & ~filters.StatusUpdate.ALL, handle),
    ]
    return ConversationHandler(
        entry_points=entry,
        states={FILLING: [
            CommandHandler("cancel", cancel_command),
            *form_commands,
            MessageHandler(filters.COMMAND, command_mid_form),
            CallbackQueryHandler(handle, pattern=r"^frm:"),
            MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, handle),
        ]},
        fallbacks=[],
        name="forms",
        persistent=True,
        allow_reentry=False,
    )
