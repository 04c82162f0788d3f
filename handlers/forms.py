"""One conversation engine for every form (field report, needs assessment, resident request).

Built on PTB's `ConversationHandler` (persistent, named "forms"), but the database draft is
the truth: every accepted answer is saved before the next question is sent, and any update
from someone with a draft resumes it at the same question, whether or not PTB remembered the
conversation across a restart. One question at a time with the right keyboard; «back»,
«skip» where allowed, «cancel» everywhere; a hint and the question again for anything
unexpected; a summary where any answer can be changed; confirm stores it once.

Callback data: `frm:DRAFT:ACTION:QUESTION:VALUE`. The draft is always looked up by the
person tapping, and a choice value must be one of that person's choices, so forged data
cannot act on anyone else's draft or pick another office's neighbourhood.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Coroutine
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

from bot.forms import model
from bot.forms.model import Accepted, Choice, Confirm, FormDefinition, Question, Rejected
from bot.locale import jalali
from bot.locale.normalize import fa_number, match_key
from bot.locale.numbers import in_words
from bot.locale.phones import Phone, read_phone
from bot.locale.text import t
from handlers.context import BotContext, answer_once, number_in, send, show
from handlers.menu import FEATURES, feature_for_label, main_menu
from storage import drafts, offices
from storage.drafts import Draft

FILLING = "filling"
END = ConversationHandler.END
# Kept in the draft's answers beside the questions' ids (which are identifiers, so these
# keys can never clash): an answer waiting for the person's «yes», and which messages gave
# the last answers (so that editing one of them changes that answer).
PENDING = "~pending"
ANSWERED_BY = "~by"
REMEMBERED_MESSAGES = 2
SKIP_WORDS = ("رد کردن", "بعدا", "فعلا نه", "بگذر", "ردکن", "نمیخوام", "ندارم")
State = str | int  # FILLING, or END
SUMMARY_LIMIT = 3900

# What a completed form becomes, by its definition's `sink`; returns the confirmation text.
Sink = Callable[[Update, BotContext, FormDefinition, Draft, dict[str, Any]], Awaitable[str]]
SINKS: dict[str, Sink] = {}


# A check before a form starts (e.g. a resident's request limits); returns a refusal or None.
Guard = Callable[[Update, BotContext], Awaitable[str | None]]
GUARDS: dict[str, Guard] = {}


def register_sink(name: str, sink: Sink) -> None:
    """Let a feature module receive completed forms of its kind."""
    SINKS[name] = sink


# The confirmation again for a draft this person already filed (their «ثبت نهایی» tapped a
# second time after the first answer was lost with a dropped connection or a restart).
Receipt = Callable[[BotContext, int], Awaitable[str | None]]
RECEIPTS: list[Receipt] = []


def register_receipt(receipt: Receipt) -> None:
    """Let a feature say again what one of its completed forms became."""
    RECEIPTS.append(receipt)


# Something typed outside any form that a feature recognises (a pasted tracking code).
TextFallback = Callable[[Update, BotContext], Awaitable[bool]]
TEXT_FALLBACKS: list[TextFallback] = []


def register_text_fallback(fallback: TextFallback) -> None:
    """Let a feature answer free text sent outside a form before «not understood»."""
    TEXT_FALLBACKS.append(fallback)


def register_guard(form_name: str, guard: Guard) -> None:
    """Let a feature module refuse to start a form (limits, permissions)."""
    GUARDS[form_name] = guard


# What follows a completed or cancelled form of a sink (the request card shown again);
# `done` is False after a cancel.
After = Callable[[Update, BotContext, Draft, bool], Awaitable[None]]
AFTERS: dict[str, After] = {}


def register_after(sink: str, after: After) -> None:
    """Let a feature act once its form was confirmed (and answered) or cancelled."""
    AFTERS[sink] = after


# A line shown above the next question after an answer (an emergency number for a category).
AnswerNote = Callable[[BotContext, str, Any], str | None]
ANSWER_NOTES: dict[str, AnswerNote] = {}


def register_answer_note(form_name: str, note: AnswerNote) -> None:
    """Let a feature say something about an answer of one of its forms."""
    ANSWER_NOTES[form_name] = note


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


def _data(draft: Draft, action: str, question: str = "", value: str = "") -> str:
    return f"frm:{draft.id}:{action}:{question}:{value}"


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def _controls(draft: Draft, question: Question) -> list[InlineKeyboardButton]:
    row = []
    if len(draft.history) > 1 or draft.mode == "edit":
        row.append(InlineKeyboardButton(t("form.back"),
                                        callback_data=_data(draft, "b", question.id)))
    if question.optional and not (question.type == "photos" and draft.answers.get(question.id)):
        row.append(InlineKeyboardButton(t("form.skip"),
                                        callback_data=_data(draft, "s", question.id)))
    row.append(InlineKeyboardButton(t("form.cancel"),
                                    callback_data=_data(draft, "x", question.id)))
    return row


def question_markup(
    draft: Draft, question: Question, choices: list[Choice]
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup:
    """The keyboard for a question: choices, toggles or a share button, and the controls."""
    kind, qid = question.type, question.id
    if kind in ("location", "contact"):
        share = KeyboardButton(t(f"form.send_{kind}"), request_location=kind == "location",
                               request_contact=kind == "contact")
        keys = [[share]]
        if question.optional:
            keys.append([KeyboardButton(t("form.skip"))])
        keys.append([KeyboardButton(t("form.back")), KeyboardButton(t("form.cancel"))])
        return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)
    buttons: list[InlineKeyboardButton] = []
    per_row = 2
    if kind == "choice":
        buttons = [InlineKeyboardButton(c.label, callback_data=_data(draft, "a", qid, c.value))
                   for c in choices]
        per_row = 1 if any(len(c.label) > 18 for c in choices) else 2
    elif kind == "yesno":
        buttons = [InlineKeyboardButton(t("form.yes"), callback_data=_data(draft, "a", qid, "1")),
                   InlineKeyboardButton(t("form.no"), callback_data=_data(draft, "a", qid, "0"))]
    elif kind == "date":
        buttons = [
            InlineKeyboardButton(t("form.today"), callback_data=_data(draft, "a", qid, "today")),
            InlineKeyboardButton(t("form.yesterday"),
                                 callback_data=_data(draft, "a", qid, "yesterday")),
        ]
    elif kind == "multi":
        selected = draft.answers.get(qid) or []
        buttons = [InlineKeyboardButton(("✅ " if c.value in selected else "▫️ ") + c.label,
                                        callback_data=_data(draft, "t", qid, c.value))
                   for c in choices]
    rows = _rows(buttons, per_row)
    if kind in ("multi", "photos"):
        rows.append([InlineKeyboardButton(t("form.done"), callback_data=_data(draft, "d", qid))])
    rows.append(_controls(draft, question))
    return InlineKeyboardMarkup(rows)


def question_text(
    form: FormDefinition, draft: Draft, question: Question, choices: list[Choice]
) -> str:
    """'پرسش ۳ از ۱۶' and the prompt, with the current answer when re-asking."""
    number, total = model.progress(form, draft.answers, question.id)
    lines = [t("form.progress", number=number, total=total)] if total > 1 else []
    lines.append(model.prompt_for(form, question, draft.answers))
    if question.id in draft.answers and question.type not in ("multi", "photos"):
        answer = model.format_answer(question, draft.answers[question.id], choices)
        lines.append(t("form.current_answer", answer=answer))
    return "\n".join(lines)


async def summary(context: BotContext, form: FormDefinition, draft: Draft) -> tuple[str, Any]:
    """The summary text and its edit and confirm buttons."""
    lines = [t("form.summary_title", title=form.title)]
    edit_buttons = []
    final = model.final_answers(form, draft.answers)
    number = 0
    for question in form.questions:
        if question.id not in final:
            continue
        number += 1
        choices = await choices_for(context, draft, question)
        shown = model.format_answer(question, final[question.id], choices)
        lines.append(f"{fa_number(number)}. {question.label}: {shown}")
        edit_buttons.append(InlineKeyboardButton(
            t("form.edit", number=number), callback_data=_data(draft, "e", question.id)))
    text = "\n".join(lines)
    if len(text) > SUMMARY_LIMIT:
        text = text[:SUMMARY_LIMIT] + "…"
    rows = _rows(edit_buttons, 4)
    rows.append([InlineKeyboardButton(t("form.confirm"), callback_data=_data(draft, "ok")),
                 InlineKeyboardButton(t("form.cancel"), callback_data=_data(draft, "x"))])
    return text, InlineKeyboardMarkup(rows)


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
    """The trail the tapped message showed above its question, with this answer added (the
    same question answered again replaces its line), the newest `TRAIL_LENGTH` kept."""
    lines = trail_shown(update)
    same = trail_line(label, "")
    lines = [line for line in lines if not line.startswith(same)] + [trail_line(label, answer)]
    return lines[-TRAIL_LENGTH:]


async def ask(
    update: Update, context: BotContext, form: FormDefinition, draft: Draft, note: str = "",
    *, in_place: bool = False, trail: list[str] | None = None,
) -> None:
    """Show the current question (or the summary), after an optional note: one call.

    `in_place` (a tap on the live question message): that message is edited into the next
    question, under a short trail of the answers tapped on it, so a person who only taps
    sees one message move on; otherwise (a typed answer, a command) a new message is sent,
    below what the person wrote. The summary is shown without a trail, as it always was."""
    prefix = f"{note}\n\n" if note else ""
    if draft.at_summary:
        text, markup = await summary(context, form, draft)
        await _put(update, context, prefix + text, markup, in_place)
        return
    question = form.question(draft.current)
    assert question is not None
    choices = await choices_for(context, draft, question)
    above = "\n".join(trail) + "\n\n" if trail else ""
    await _put(update, context, above + prefix + question_text(form, draft, question, choices),
               question_markup(draft, question, choices), in_place)


async def _put(update: Update, context: BotContext, text: str,
               markup: InlineKeyboardMarkup | ReplyKeyboardMarkup, in_place: bool) -> None:
    """Edit the tapped message (inline keyboards only: a reply keyboard needs a new
    message) or send a new one."""
    if in_place and isinstance(markup, InlineKeyboardMarkup):
        await show(update, context, text, markup)
    else:
        await send(update, context, text, markup)


def answered_count(draft: Draft) -> int:
    """How many questions have an answer (not counting the engine's own notes)."""
    return sum(1 for key in draft.answers if not key.startswith("~"))


def delivery_key(update: Update) -> str:
    """What identifies an action however often it is delivered: the message (its id and
    time never repeat in a chat), the edit of a message (its id and edit time) or the button
    tap (its query id). Update ids are not used: Telegram may restart their numbering after
    a quiet week."""
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


async def advance(
    update: Update, context: BotContext, form: FormDefinition, draft: Draft,
    question: Question, value: Any, tapped: str | None = None,
) -> State:
    """Take an answer: check it against the form's rules, store it, ask what comes next.
    `tapped`: the answer as shown, for the trail above the next question: when a button on
    the live question message gave it, that message becomes the next question; when a
    shared location or contact did, the next question is sent with it."""
    in_place = tapped is not None and update.callback_query is not None
    trail = trail_after(update, question.label, tapped) if tapped is not None else None
    candidate = {**draft.answers, question.id: value}
    candidate.pop(PENDING, None)
    failed = model.failing_check(form, candidate, involving=question.id)
    if failed is not None:
        await ask(update, context, form, draft, note=failed.message, in_place=in_place)
        return FILLING
    draft.answers = candidate
    remember_message(update, draft, question.id)
    if draft.mode == "edit":
        following = model.first_unanswered(form, draft.answers)
    else:
        following = model.next_question(form, draft.answers, after=question.id)
        prefilled = draft.context.get("prefilled") or []
        while following is not None and following.id in prefilled \
                and following.id in draft.answers:
            following = model.next_question(form, draft.answers, after=following.id)
    if following is None:
        draft.current = ""
        if not form.confirm:
            await save(draft, update, context)
            return await confirm(update, context, form, draft, trail=trail)
    else:
        draft.current = following.id
        if following.id not in draft.history:
            draft.history.append(following.id)
    await save(draft, update, context)
    noting = ANSWER_NOTES.get(form.name)  # e.g. the emergency number of a category
    await ask(update, context, form, draft, in_place=in_place, trail=trail,
              note=(noting(context, question.id, value) or "") if noting else "")
    return FILLING


def remember_message(update: Update, draft: Draft, question_id: str) -> None:
    """Note which typed message answered the question (the last few only)."""
    message = update.message
    if message is None:
        return
    by = [pair for pair in draft.answers.get(ANSWERED_BY, []) if pair[1] != question_id]
    by.append([message.message_id, question_id])
    draft.answers[ANSWERED_BY] = by[-REMEMBERED_MESSAGES:]


async def take_judgement(
    update: Update, context: BotContext, form: FormDefinition, draft: Draft,
    question: Question, result: Accepted | Rejected | Confirm,
) -> State:
    """Act on what the model made of an answer: take it, ask to confirm it, or hint."""
    if isinstance(result, Accepted):
        shown = (model.format_answer(question, result.value, [])
                 if question.type in ("location", "contact") else None)  # above the next one
        return await advance(update, context, form, draft, question, result.value, shown)
    if isinstance(result, Confirm):
        draft.answers[PENDING] = {"question": question.id, "value": result.value}
        remember_message(update, draft, question.id)
        await save(draft, update, context)
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(t("form.confirm_yes"),
                                 callback_data=_data(draft, "py", question.id)),
            InlineKeyboardButton(t("form.confirm_no"),
                                 callback_data=_data(draft, "pn", question.id)),
        ]])
        await send(update, context, result.prompt, markup)
        return FILLING
    await ask(update, context, form, draft, note=result.hint)
    return FILLING


async def settle_pending(update: Update, context: BotContext, form: FormDefinition,
                         draft: Draft, question: Question, agreed: bool,
                         tapped: str | None = None) -> State:
    """The person said yes (take the waiting answer) or no (ask the question again)."""
    pending = draft.answers.pop(PENDING, None)
    if pending is None or pending.get("question") != question.id:
        await ask(update, context, form, draft)
        return FILLING
    if agreed:
        return await advance(update, context, form, draft, question, pending["value"], tapped)
    await save(draft, update, context)
    if tapped is not None:
        await mark_answered(update, context, tapped)
    await ask(update, context, form, draft, note=t("form.confirm_declined"))
    return FILLING


async def go_back(update: Update, context: BotContext, form: FormDefinition,
                  draft: Draft, in_place: bool = False) -> State:
    """Back one question (from the summary: to the last question); `in_place`: tapped on
    the live message, which shows the question again."""
    if draft.mode == "edit" and not draft.at_summary:
        draft.mode, draft.current = "forward", ""
    elif draft.at_summary:
        draft.current = draft.history[-1] if draft.history else form.questions[0].id
    else:
        if draft.current in draft.history and len(draft.history) > 1:
            draft.history.remove(draft.current)
        while len(draft.history) > 1:
            previous = form.question(draft.history[-1])
            if previous is not None and model.is_relevant(previous, draft.answers):
                break
            draft.history.pop()
        draft.current = draft.history[-1]
    await save(draft, update, context)
    await ask(update, context, form, draft, in_place=in_place)
    return FILLING


async def ask_to_cancel(update: Update, context: BotContext, form: FormDefinition,
                        draft: Draft, in_place: bool = False) -> State:
    """One tap must not throw answers away: ask first (unless nothing was answered yet);
    `in_place`: on the live question message, which «no, go on» turns back."""
    if not draft.answers:
        return await cancel_draft(update, context, form.title, draft)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t("form.cancel_yes"), callback_data=_data(draft, "xx")),
        InlineKeyboardButton(t("form.cancel_no"), callback_data=_data(draft, "r")),
    ]])
    await _put(update, context, t("form.cancel_confirm", title=form.title,
                                  count=in_words(answered_count(draft))), markup, in_place)
    return FILLING


async def cancel_draft(update: Update, context: BotContext, form_title: str,
                       draft: Draft) -> State:
    """Forget the draft and return to the menu."""
    await drafts.discard_draft(context.db, draft.id)
    await send(update, context, t("form.cancelled", title=form_title),
               main_menu(context.me().effective_role))
    form = forms_of(context).get(draft.form)
    after = AFTERS.get(form.sink) if form is not None else None
    if after is not None:
        await after(update, context, draft, False)
    return END


async def confirm(update: Update, context: BotContext, form: FormDefinition,
                  draft: Draft, trail: list[str] | None = None) -> State:
    """Store the completed form once (its sink decides where) and say what was saved.
    `trail`: a form without a summary ended by a tap on its live message: that message
    says it, under the answer, with the menu still on screen (no summary removed it)."""
    missing = model.first_unanswered(form, draft.answers)
    final = model.final_answers(form, draft.answers)
    failed = model.failing_check(form, final)
    if missing is not None or failed is not None:
        draft.mode = "edit"
        draft.current = missing.id if missing is not None else failed.revisit  # type: ignore[union-attr]
        await save(draft, update, context)
        await ask(update, context, form, draft, note=failed.message if failed else "",
                  in_place=trail is not None)
        return FILLING
    text = await SINKS[form.sink](update, context, form, draft, final)
    if trail is not None and not form.confirm:
        await show(update, context, "\n".join(trail) + "\n\n" + text)
    else:
        await send(update, context, text, main_menu(context.me().effective_role))
    after = AFTERS.get(form.sink)
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


async def on_button(update: Update, context: BotContext, form: FormDefinition,
                    draft: Draft) -> State:
    """A tap on a form button of the person's own draft."""
    query = update.callback_query
    assert query is not None
    parts = [*(query.data or "").split(":", 4), "", "", "", "", ""]
    draft_id, action, qid, value = parts[1], parts[2], parts[3], parts[4]
    if draft_id != str(draft.id):
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
    if action == "e" and draft.at_summary and form.question(qid) is not None:
        await answer_once(update, context)
        draft.mode, draft.current = "edit", qid
        await save(draft, update, context)
        await ask(update, context, form, draft, in_place=live)
        return FILLING
    if action == "b":
        await answer_once(update, context)
        return await go_back(update, context, form, draft, in_place=live)
    question = form.question(draft.current)
    if question is None or qid != question.id:
        await answer_once(update, context, t("form.stale_button").split("\n")[0])
        return FILLING
    choices = await choices_for(context, draft, question)

    def shown(value: Any) -> str | None:
        """The answer for the live message's trail (None: not tapped on the live one)."""
        return model.format_answer(question, value, choices) if live else None

    if action in ("py", "pn"):
        await answer_once(update, context)
        label = t("form.confirm_yes") if action == "py" else t("form.confirm_no")
        return await settle_pending(update, context, form, draft, question, action == "py",
                                    label)
    if action == "s":
        await answer_once(update, context)
        if not question.optional:
            await ask(update, context, form, draft, note=model.not_skippable(question),
                      in_place=live)
            return FILLING
        kept = draft.answers.get(qid) if question.type == "photos" else None
        return await advance(update, context, form, draft, question, kept or None,
                             shown(kept or None))
    if action == "t" and question.type == "multi":
        selected = model.toggle(draft.answers.get(qid) or [], value, choices)
        if selected is None:
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return FILLING
        await answer_once(update, context)
        draft.answers[qid] = selected
        await save(draft, update, context)
        if live:  # one edit: the ticks change, a hint above the question goes
            await ask(update, context, form, draft, in_place=True,
                      trail=trail_shown(update) or None)
        elif isinstance(query.message, Message):
            await context.bot.edit_message_reply_markup(
                chat_id=query.message.chat.id, message_id=query.message.message_id,
                reply_markup=question_markup(draft, question, choices))  # type: ignore[arg-type]
        return FILLING
    if action == "d" and question.type == "multi":
        result = model.multi_done(question, draft.answers.get(qid) or [])
        await answer_once(update, context)
        if isinstance(result, Rejected):
            await ask(update, context, form, draft, note=result.hint, in_place=live)
            return FILLING
        return await advance(update, context, form, draft, question, result.value,
                             shown(result.value))
    if action == "d" and question.type == "photos":
        await answer_once(update, context)
        photos = draft.answers.get(qid) or []
        return await advance(update, context, form, draft, question, photos or None,
                             shown(photos or None))
    if action == "a":
        accepted = tapped_answer(question, value, choices, context.today())
        if accepted is None:
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return FILLING
        await answer_once(update, context)
        return await advance(update, context, form, draft, question, accepted.value,
                             shown(accepted.value))
    await answer_once(update, context, t("access.stale_button"), alert=True)
    return FILLING


def tapped_answer(question: Question, value: str, choices: list[Choice],
                  day: Any) -> Accepted | None:
    """The answer a button stands for, or None for data no button of this person carries."""
    if question.type == "choice":
        return model.accept_choice(question, value, choices)
    if question.type == "yesno" and value in ("0", "1"):
        return Accepted(value == "1")
    if question.type == "date" and value in ("today", "yesterday"):
        shift = 0 if value == "today" else 1
        return Accepted((day - timedelta(days=shift)).isoformat())
    return None


def is_skip(control: str) -> bool:
    """The skip button's label typed, or the way people say it («بعداً», «فعلاً نه» …)."""
    return control == match_key(t("form.skip")) or control in {match_key(w) for w in SKIP_WORDS}


async def on_message(update: Update, context: BotContext, form: FormDefinition,
                     draft: Draft) -> State:
    """Anything typed or sent while a form is open."""
    message = update.message
    assert message is not None
    if draft.at_summary:
        await ask(update, context, form, draft, note=t("form.expect_choice"))
        return FILLING
    question = form.question(draft.current)
    assert question is not None
    text = message.text or ""
    control = match_key(text) if text else ""
    if control == match_key(t("form.cancel")) or control == match_key("لغو"):
        return await ask_to_cancel(update, context, form, draft)
    if PENDING in draft.answers and text:
        said = model.yes_or_no(text)
        if isinstance(said, Accepted):
            return await settle_pending(update, context, form, draft, question, said.value)
        draft.answers.pop(PENDING, None)  # something else typed: judge it afresh
    if control in (match_key(t("form.done")), match_key("تمام")) and question.type == "multi":
        result = model.multi_done(question, draft.answers.get(question.id) or [])
        if isinstance(result, Rejected):
            await ask(update, context, form, draft, note=result.hint)
            return FILLING
        return await advance(update, context, form, draft, question, result.value)
    if control in (match_key(t("form.done")), match_key("تمام")) and question.type == "photos":
        return await advance(update, context, form, draft, question,
                             draft.answers.get(question.id) or None)
    if text and feature_for_label(text) is not None:
        await ask(update, context, form, draft, note=t("form.mid_form", title=form.title))
        return FILLING
    if control in (match_key(t("form.back")), match_key("بازگشت")):
        return await go_back(update, context, form, draft)
    skipping = control == match_key(t("form.skip")) or (question.optional and is_skip(control))
    if text and skipping:
        if not question.optional:
            await ask(update, context, form, draft, note=model.not_skippable(question))
            return FILLING
        return await advance(update, context, form, draft, question, None)
    if question.type == "photos" and (message.photo or message.voice):
        return await add_attachment(update, context, form, draft, question)
    if message.voice and question.type == "text" and form.sink != "request_action":
        # a voice note answers a text question of a report or a request (kept as an
        # attachment); staff notes to a resident are delivered as text, so they stay typed
        return await take_judgement(update, context, form, draft, question,
                                    model.accept_voice(question, *voice_of(message)))
    if question.type == "location" and message.location:
        # One message: the next question, «✔ location: given» above it (the share keyboard is
        # one-time: the phone hides it once used; the form's end brings the menu back).
        value = {"latitude": message.location.latitude, "longitude": message.location.longitude}
        return await advance(update, context, form, draft, question, value,
                             model.format_answer(question, value, []))
    if question.type == "contact" and message.contact:
        user = update.effective_user
        if user is None or message.contact.user_id != user.id:
            await ask(update, context, form, draft, note=t("form.contact_not_own"))
            return FILLING
        shared = read_phone(message.contact.phone_number)
        phone = {"phone": shared.e164 if isinstance(shared, Phone)
                 else message.contact.phone_number}
        return await advance(update, context, form, draft, question, phone,
                             model.format_answer(question, phone, []))
    if text and question.type in ("choice", "multi", "integer", "decimal", "text", "date",
                                  "yesno", "contact", "location"):
        choices = await choices_for(context, draft, question)
        judged = model.accept_text(question, text, choices=choices, today=context.today())
        return await take_judgement(update, context, form, draft, question, judged)
    if question.type in model.EXTRA_TYPES:
        return await on_extra_message(update, context, form, draft, question)
    await ask(update, context, form, draft, note=model.expectation(question))
    return FILLING


async def on_extra_message(update: Update, context: BotContext, form: FormDefinition,
                           draft: Draft, question: Question) -> State:
    """An answer to a type XLSForm adds: a typed decimal or time, a voice note."""
    message = update.message
    assert message is not None
    if question.type == "audio" and (message.voice or message.audio):
        sound = message.voice or message.audio
        assert sound is not None
        return await advance(update, context, form, draft, question,
                             {"file_id": sound.file_id, "file_unique_id": sound.file_unique_id})
    result = model.accept_extra(question, message.text or "")
    if isinstance(result, Accepted):
        return await advance(update, context, form, draft, question, result.value)
    await ask(update, context, form, draft, note=result.hint)
    return FILLING


def voice_of(message: Message) -> tuple[str, str, int]:
    """A voice note's file id, unique id and length in seconds."""
    voice = message.voice
    assert voice is not None
    duration = voice.duration
    seconds = int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)
    return voice.file_id, voice.file_unique_id, seconds


async def add_attachment(update: Update, context: BotContext, form: FormDefinition,
                         draft: Draft, question: Question) -> State:
    """A photo or a voice note sent to a photos question: kept by its file id."""
    message = update.message
    assert message is not None
    items = list(draft.answers.get(question.id) or [])
    limit = question.max or model.MAX_PHOTOS_DEFAULT
    if len(items) >= limit:
        await send(update, context, t("form.photo_limit", count=in_words(limit)),
                   question_markup(draft, question, []))
        return FILLING
    if message.voice:
        file_id, unique_id, seconds = voice_of(message)
        items.append({"kind": "voice", "file_id": file_id, "file_unique_id": unique_id,
                      "duration": seconds})
    else:
        biggest = message.photo[-1]
        items.append({"file_id": biggest.file_id, "file_unique_id": biggest.file_unique_id})
    draft.answers[question.id] = items
    await save(draft, update, context)
    await send(update, context, t("form.attachment_received", what=model.attachment_count(items)),
               question_markup(draft, question, []))
    return FILLING


async def on_edit(update: Update, context: BotContext) -> None:
    """An edited message: if it gave one of the last answers of an unconfirmed form, the
    answer changes (with a note saying so); anything else edited changes nothing."""
    edited = update.edited_message
    if edited is None or not edited.text:
        raise ApplicationHandlerStop
    draft = await drafts.draft_of(context.db, context.me().id)
    form = forms_of(context).get(draft.form) if draft is not None else None
    if draft is None or form is None or draft.seen(delivery_key(update)):
        raise ApplicationHandlerStop
    qid = next((q for m, q in draft.answers.get(ANSWERED_BY, []) if m == edited.message_id),
               None)
    question = form.question(qid) if qid else None
    if question is None:
        await send(update, context, t("form.edit_old"))
        raise ApplicationHandlerStop
    choices = await choices_for(context, draft, question)
    result = model.accept_text(question, edited.text, choices=choices, today=context.today())
    if isinstance(result, Rejected):
        await ask(update, context, form, draft, note=t("form.edit_refused", label=question.label,
                                                         hint=result.hint))
        raise ApplicationHandlerStop
    if isinstance(result, Confirm):
        if draft.current != question.id:  # back to that question until it is confirmed,
            draft.current, draft.mode = question.id, "edit"  # then on to the first unanswered
        await take_judgement(update, context, form, draft, question, result)
        raise ApplicationHandlerStop
    candidate = {**draft.answers, question.id: result.value}
    failed = model.failing_check(form, candidate, involving=question.id)
    if failed is not None:
        await ask(update, context, form, draft, note=t(
            "form.edit_refused", label=question.label, hint=failed.message))
        raise ApplicationHandlerStop
    draft.answers = candidate
    if PENDING in draft.answers and draft.answers[PENDING].get("question") == question.id:
        draft.answers.pop(PENDING)
    current = form.question(draft.current) if draft.current else None
    if current is not None and not model.is_relevant(current, draft.answers):
        following = model.next_question(form, draft.answers, after=question.id)
        draft.current = following.id if following is not None else ""
        if following is not None and following.id not in draft.history:
            draft.history.append(following.id)
    elif current is not None and current.id == question.id:
        following = model.next_question(form, draft.answers, after=question.id)
        draft.current = following.id if following is not None else ""
    await save(draft, update, context)
    shown = model.format_answer(question, result.value, choices)
    await ask(update, context, form, draft, note=t("form.edited", label=question.label,
                                                    answer=shown))
    raise ApplicationHandlerStop


def edit_handler() -> MessageHandler[BotContext, None]:
    """Edited messages in private chats (before the conversation, in the same group)."""
    return MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE,
                          on_edit)


def is_stale(context: BotContext, draft: Draft) -> bool:
    """Older than the configured age: offer to resume or discard."""
    hours = context.services.settings.draft_stale_hours
    return context.now() - draft.updated() > timedelta(hours=hours)


async def offer_resume(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, text_key: str, new_form: str = "") -> State:
    """Ask whether to continue a draft or throw it away."""
    date = jalali.format_datetime(draft.updated(), context.services.settings.timezone)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t("form.resume"), callback_data=_data(draft, "r")),
        InlineKeyboardButton(t("form.discard"), callback_data=_data(draft, "n", "", new_form)),
    ]])
    text = t(text_key, title=form.title, date=date, count=in_words(answered_count(draft)))
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
    action = (query.data or "").split(":")[2:3] if query is not None else []
    if action == ["r"]:
        await answer_once(update, context)
        await save(draft, update, context)
        await ask(update, context, form, draft, note=t("form.resumed", title=form.title),
                  in_place=True)  # the tapped offer (or «abandon?») becomes the question
        return FILLING
    if action == ["n"]:
        await answer_once(update, context)
        await drafts.discard_draft(context.db, draft.id)
        new_form = forms_of(context).get((query.data or "").split(":", 4)[4])  # type: ignore[union-attr]
        if new_form is not None and me.effective_role in new_form.roles:
            return await begin(update, context, new_form)
        await send(update, context, t("form.cancelled", title=form.title),
                   main_menu(me.effective_role))
        return END
    if is_stale(context, draft):
        return await offer_resume(update, context, form, draft, "form.resume_offer")
    if query is not None:
        return await on_button(update, context, form, draft)
    return await on_message(update, context, form, draft)


async def no_draft(update: Update, context: BotContext) -> State:
    """No form open: a form button is from the past, anything else is not understood."""
    from handlers.start import plain_message, take_offer

    query = update.callback_query
    if query is not None:
        parts = (query.data or "").split(":")
        if len(parts) > 2 and parts[1] == "0" and parts[2] in ("new", "nonew"):
            return await take_offer(update, context, agreed=parts[2] == "new")
        draft_id = number_in(parts[1]) if len(parts) > 2 and parts[2] == "ok" else None
        if draft_id is not None:
            for receipt in RECEIPTS:
                text = await receipt(context, draft_id)
                if text is not None:
                    await answer_once(update, context)
                    await send(update, context, text)
                    return END
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return END
    for fallback in TEXT_FALLBACKS:
        if await fallback(update, context):
            return END
    await plain_message(update, context)
    return END


async def begin(
    update: Update, context: BotContext, form: FormDefinition,
    draft_context: dict[str, Any] | None = None, prefill: dict[str, Any] | None = None,
) -> State:
    """Open a new draft of `form` and ask its first question (`draft_context` travels with
    the draft to its sink, e.g. the request a note is for; `prefill` answers questions
    already, e.g. a resident's first message as the description: they are not asked)."""
    me = context.me()
    guard = GUARDS.get(form.name)
    refusal = await guard(update, context) if guard else None
    if refusal is not None:
        await send(update, context, refusal, main_menu(me.effective_role))
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
        await send(update, context, t("form.no_office"), main_menu(me.effective_role))
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
        me = context.me()
        draft = await drafts.draft_of(context.db, me.id)
        if draft is not None:
            if draft.form == form.name and not is_stale(context, draft):
                await save(draft, update, context)
                await ask(update, context, form, draft, note=t("form.resumed", title=form.title))
                return FILLING
            current = forms_of(context).get(draft.form, form)
            key = "form.resume_offer" if draft.form == form.name else "form.other_draft"
            return await offer_resume(update, context, current, draft, key, form.name)
        return await begin(update, context, form)

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
    entry: list[BaseHandler[Update, BotContext, Any]] = []
    form_commands: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler(f.command, start_command(f.name)) for f in forms.values() if f.command]
    entry += form_commands
    form_labels = set()
    for form in forms.values():
        if form.menu_label:  # an XLSForm: its title is its menu button
            form_labels.add(form.menu_label)
            entry.append(MessageHandler(filters.Text([form.menu_label]),
                                        start_command(form.name)))
        if not form.command:
            continue
        label_key = f"menu.{form.command}"
        try:
            label = t(label_key)
        except KeyError:
            continue
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
