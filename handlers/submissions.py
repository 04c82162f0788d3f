"""Field reports and needs assessments once completed: stored as submissions (key answers
as columns, multiple choices as tags, photos and locations as attachments), and /mine, the
facilitator's list of what they filed."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.forms.model import FormDefinition, is_voice
from bot.locale.jalali import format_date, local_date
from bot.locale.text import t
from bot.services import Services
from handlers.context import BotContext, send
from handlers.form_hooks import FormHooks
from handlers.menu import menu_for
from storage.drafts import Draft
from storage.submissions import NewSubmission, recent_by_author, submission_for_draft, submit


def to_submission(form: FormDefinition, draft: Draft, answers: dict[str, Any],
                  author_id: int) -> NewSubmission:
    """Sort the answers into columns, tags and attachments."""
    columns: dict[str, Any] = {}
    tags: list[tuple[str, str]] = []
    photos: list[tuple[str, str, str]] = []
    voices: list[tuple[str, str, str]] = []
    locations: list[tuple[str, float, float]] = []
    for question in form.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.store == "tags":
            tags += [(question.id, v) for v in value]
        elif question.store == "neighbourhood_id":
            columns["neighbourhood_id"] = int(value) if str(value).isdigit() else None
        elif question.store is not None:
            columns[question.store] = value
        if question.type == "photos":
            photos += [(question.id, p["file_id"], p["file_unique_id"]) for p in value
                       if p.get("kind") != "voice"]
            voices += [(question.id, p["file_id"], p["file_unique_id"]) for p in value
                       if p.get("kind") == "voice"]
        elif question.type == "location" and "latitude" in value:
            locations.append((question.id, value["latitude"], value["longitude"]))
        elif is_voice(value):
            voices.append((question.id, value["voice"], value["file_unique_id"]))
    return NewSubmission(
        draft_id=draft.id, form=form.name, form_version=form.version, author_id=author_id,
        office_id=draft.office_id or 0, answers=answers, columns=columns, tags=tags,
        photos=photos, locations=locations, voices=voices,
    )


async def save_submission(update: Update, context: BotContext, form: FormDefinition,
                          draft: Draft, answers: dict[str, Any]) -> str:
    """Store the completed form; the confirmation names its number and Jalali date."""
    new = to_submission(form, draft, answers, context.me().id)
    number, created = await submit(context.db, new)
    if not created:
        return t("form.already_saved", number=number)
    day = local_date(context.now(), context.services.settings.timezone)
    return t("form.saved", title=form.title, number=number, date=format_date(day))


async def saved_again(context: BotContext, draft_id: int) -> str | None:
    """«Already saved, number N» for a form of this person's that was stored."""
    number = await submission_for_draft(context.db, draft_id, context.me().id)
    return None if number is None else t("form.already_saved", number=number)


async def mine(update: Update, context: BotContext) -> None:
    """/mine: the facilitator's latest submissions."""
    rows = await recent_by_author(context.db, context.me().id)
    role = context.me().effective_role
    if not rows:
        await send(update, context, t("mine.empty"), menu_for(context, role))
        return
    forms = context.services.forms
    lines = [t("mine.title")]
    for row in rows:
        title = forms[row.form].title if row.form in forms else row.form
        day = format_date(date.fromisoformat(row.happened_on)) if row.happened_on else "—"
        lines.append(t("mine.line", number=row.id, title=title, hood=row.neighbourhood_name or "—",
                       date=day))
    await send(update, context, "\n".join(lines), menu_for(context, role))


def form_hooks(services: Services) -> FormHooks:
    """What field reports and needs assessments add to the forms: where they are stored,
    and the confirmation again for one already filed."""
    return FormHooks(sinks={"submission": save_submission}, receipts=[saved_again])


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/mine and its menu button."""
    return [
        CommandHandler("mine", mine),
        MessageHandler(filters.Text([t("menu.mine")]), mine),
    ]
