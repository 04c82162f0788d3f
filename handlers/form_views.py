"""How the forms conversation looks in the chat: the engine's plain description of a
question or a summary (`bot/forms/engine.py`) rendered as text and keyboards, the short trail
of tapped answers above the live question, and the choices the database gives (an office's
neighbourhoods). Every button's data through the codec (`bot/callbacks.py`,
`frm:DRAFT:ACTION:QUESTION:VALUE`)."""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest

from bot.callbacks import Area, encode, tap
from bot.forms import engine, model
from bot.forms.engine import QuestionView
from bot.forms.model import Choice, FormDefinition, Question
from bot.locale.normalize import persian_digits_in_text
from bot.locale.text import t
from handlers.context import BotContext, send, show
from storage import offices
from storage.drafts import Draft

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


def button(label: str, draft: Draft, action: str, question: str = "",
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
        buttons = [button(b.label, draft, "a", qid, b.value) for b in shown.buttons]
        per_row = 1 if any(len(b.label) > 18 for b in shown.buttons) else 2
    elif kind == "yesno":
        buttons = [button(t("form.yes"), draft, "a", qid, "1"),
                   button(t("form.no"), draft, "a", qid, "0")]
    elif kind == "date":
        buttons = [button(t("form.today"), draft, "a", qid, "today"),
                   button(t("form.yesterday"), draft, "a", qid, "yesterday")]
    elif kind == "toggles":
        buttons = [button(("✅ " if b.ticked else "▫️ ") + b.label, draft, "t", qid, b.value)
                   for b in shown.buttons]
    rows = _rows(buttons, per_row)
    if shown.done:
        rows.append([button(t("form.done"), draft, "d", qid)])
    controls = [button(t("form.back"), draft, "b", qid)] if shown.back else []
    if shown.skip:
        controls.append(button(t("form.skip"), draft, "s", qid))
    controls.append(button(t("form.cancel"), draft, "x", qid))
    rows.append(controls)
    return InlineKeyboardMarkup(rows)


def text_of(shown: QuestionView) -> str:
    """«پرسش ۳ — حداکثر ۱۲ پرسش دیگر» (none in a one-question form) and the prompt, with
    the current answer when re-asking."""
    number, left = shown.progress
    lines = []
    if left:
        lines.append(t("form.progress", number=number, left=left))
    elif number > 1:
        lines.append(t("form_input.progress_last", number=number))
    lines.append(shown.prompt)
    if shown.current is not None:
        lines.append(t("form.current_answer", answer=shown.current))
    return "\n".join(lines)


async def question_view(context: BotContext, form: FormDefinition, draft: Draft,
                        question: Question) -> QuestionView:
    """The engine's view of a question, with the choices the database gives."""
    return engine.view(form, draft, question, await choices_for(context, draft, question))


async def summary(context: BotContext, form: FormDefinition, draft: Draft) -> tuple[str, Any]:
    """The summary text and its edit and confirm buttons (a short form: the note itself,
    to confirm, change or drop)."""
    choices = {q.id: await choices_for(context, draft, q)
               for q in engine.shown_questions(form, draft)}
    if form.short:
        return short_summary(form, draft, choices)
    shown = engine.summary(form, draft, choices)
    rows = _rows([button(t("form.edit", number=n), draft, "e", qid)
                  for n, qid in enumerate(shown.editable, start=1)], 4)
    rows.append([button(t("form.confirm"), draft, "ok"), button(t("form.cancel"), draft, "x")])
    return shown.text, InlineKeyboardMarkup(rows)


def short_summary(form: FormDefinition, draft: Draft,
                  choices: dict[str, list[Choice]]) -> tuple[str, InlineKeyboardMarkup]:
    """A one-note form's confirmation: «حل درخواست — این توضیح فرستاده شود؟ «…»»."""
    final = model.final_answers(form, draft.answers)
    shown = [persian_digits_in_text(final[q.id]) if isinstance(final[q.id], str)
             else model.format_answer(q, final[q.id], choices.get(q.id, ()))
             for q in form.questions if q.id in final]
    first = form.questions[0].id
    text = t("form_input.short_confirm", title=form.title, note="\n".join(shown))
    return text[:engine.SUMMARY_LIMIT], InlineKeyboardMarkup([
        [button(t("form.confirm"), draft, "ok")],
        [button(t("form_input.short_edit"), draft, "e", first),
         button(t("form.cancel"), draft, "x")]])


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
        await put(update, context, prefix + text, markup, in_place)
        return
    question = form.question(draft.current)
    assert question is not None
    shown = await question_view(context, form, draft, question)
    above = "\n".join(trail) + "\n\n" if trail else ""
    text = above + prefix + text_of(shown)
    sent = await put(update, context, text, markup_of(draft, shown), in_place)
    if sent is not None and context.user_data is not None:
        context.user_data[ASKED_KEY] = {"draft": draft.id, "question": question.id,
                                        "message": sent, "text": text}


ASKED_KEY = "form_asked"  # user_data: the message that asks the current question


async def put(update: Update, context: BotContext, text: str, markup: Markup,
               in_place: bool) -> int | None:
    """Edit the tapped message (inline keyboards only) or send a new one; the id of the
    message that now shows the text."""
    query = update.callback_query
    if in_place and isinstance(markup, InlineKeyboardMarkup):
        await show(update, context, text, markup)
        message = query.message if query is not None else None
        return message.message_id if isinstance(message, Message) else None
    return (await send(update, context, text, markup)).message_id


async def echo(update: Update, context: BotContext, draft: Draft, question: Question,
               answer: str) -> None:
    """A typed answer shown as read on the message that asked it («✔ تاریخ: ۱۴ آذر ۱۴۰۵»
    under the question, its buttons gone): one edit, before the next question."""
    asked = context.user_data.get(ASKED_KEY) if context.user_data is not None else None
    chat = update.effective_chat
    if not isinstance(asked, dict) or chat is None or asked.get("draft") != draft.id \
            or asked.get("question") != question.id:
        return
    context.user_data.pop(ASKED_KEY, None)  # type: ignore[union-attr]
    text = f"{asked['text']}\n\n{trail_line(question.label, answer)}"
    try:
        await context.bot.edit_message_text(chat_id=chat.id, message_id=asked["message"],
                                            text=text[:4096])
    except BadRequest:
        pass  # an old message may no longer be editable; the answer is stored regardless
