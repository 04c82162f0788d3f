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

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Area, Tap, decode
from bot.forms import engine, model
from bot.forms.engine import Step
from bot.forms.model import TYPES, FormDefinition, Question
from bot.locale.normalize import match_key
from bot.locale.text import t
from handlers.context import BotContext, answer_once, send
from handlers.form_hooks import State, hooks_of
from handlers.form_steps import (
    END,
    FILLING,
    ask_to_cancel,
    attachment_of,
    cancel_draft,
    carry_out,
    confirm,
    delivery_key,
    edit_handler,
    is_stale,
    mark_answered,
    offer_resume,
    open_form,
    save,
    shared_value,
    voice_of,
)
from handlers.form_views import (
    ask,
    choices_for,
    forms_of,
    markup_of,
    trail_shown,
)
from handlers.menu import FEATURES, feature_for_label, menu_for
from storage import drafts
from storage.drafts import Draft

__all__ = ["END", "FILLING", "begin", "conversation", "edit_handler", "forms_of",
           "mark_answered", "voice_of"]  # what other handlers use


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
        if not still_shown(update):  # a second tap, after the first already answered it
            return await answer_from_here(update, context, form, draft)
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
    if message.voice and "voice" in kind.inputs and form.sink != "request_action":
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
        if kind.trail_typed and step.answered is not None:  # one message: the next question
            return await go(step, model.format_answer(question, step.answered[1], choices))
        return await carry_out(update, context, form, draft, step,
                               echoed=read_as(question, text, step, choices))
    await ask(update, context, form, draft, note=model.expectation(question))
    return FILLING


def read_as(question: Question, text: str, step: Step,
            choices: list[model.Choice]) -> tuple[Question, str] | None:
    """A typed answer as it was read («پریروز» → «۱۴ آذر ۱۴۰۵», «خیلی زیاد» → «زیاد»), to
    echo on the question's message; None when it reads as typed (nothing to show)."""
    if step.answered is None or not TYPES[question.type].echo_typed:
        return None
    shown = model.format_answer(question, step.answered[1], choices)
    return None if match_key(shown) == match_key(text) else (question, shown)


# ----- opening, resuming, leaving --------------------------------------------------------------


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
        if not still_shown(update):  # the offer was already answered: nothing is discarded
            return await answer_from_here(update, context, form, draft)
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


def still_shown(update: Update) -> bool:
    """Whether the tapped button is still on its message as the messenger shows it now. A
    button an edit has already replaced (a double tap of «بله، پاک کن», an old offer) is
    not: a tap that would discard answers must come from what is on the screen."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return True  # a message too old to be shown to the bot: the draft check decides
    markup = query.message.reply_markup
    return markup is not None and any(
        button.callback_data == query.data for row in markup.inline_keyboard for button in row)


async def answer_from_here(update: Update, context: BotContext, form: FormDefinition,
                           draft: Draft) -> State:
    """An old discard button: nothing is lost; the person sees where their form stands."""
    await answer_once(update, context, t("access.stale_button"), alert=True)
    await ask(update, context, form, draft)
    return FILLING


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
    number, left = engine.counter(form, draft, first.id)
    if form.confirm and not form.short:  # a short form: its one question is the intro
        key = "form.intro_prefilled" if prefill else "form.intro"
        await send(update, context, t(key, title=form.title, count=number + left),
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
