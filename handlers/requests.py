"""Residents' requests: filing (the request form's sink, with limits; the office's staff are
told at once, by `bot.cases`), and the one place the request forms' sinks, guards and
notes are registered with the form engine and the request handlers listed.

The rest of the case loop lives by audience: the resident's /track and buttons in
`handlers.track`, the staff's inbox in `handlers.inbox`, the request card and its actions
in `handlers.triage`; shared rendering in `handlers.card`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import cases
from bot.cases import shown_code
from bot.forms.model import FormDefinition, is_voice
from bot.locale.text import t
from bot.office_hours import WorkingHours, response_promise
from bot.services import Services
from handlers.card import day_of, deliver_now
from handlers.context import BotContext
from handlers.form_hooks import FormHooks
from handlers.inbox import inbox
from handlers.replies import add_offered, resident_reply
from handlers.track import pasted_code, resident_action, resident_button, track
from handlers.triage import card_again, request_action, staff_button
from storage import offices
from storage import requests as store
from storage.drafts import Draft
from storage.requests import Request, RequestLimit


async def limits_guard(update: Update, context: BotContext) -> str | None:
    """Refuse a new request politely when the resident reached a limit."""
    settings = context.services.settings
    open_count, today_count = await store.usage(context.db, context.me().id, context.now())
    if open_count >= settings.max_open_requests:
        return t("request.limit_open", count=open_count)
    if today_count >= settings.max_requests_per_day:
        return t("request.limit_daily", count=today_count)
    return None


def emergency_note(context: BotContext, question: str, value: Any) -> str | None:
    """The emergency numbers of a category, shown as soon as the resident picks it."""
    numbers = context.services.org.emergency.get(str(value)) if question == "category" else None
    return t("case.emergency", numbers=numbers) if numbers else None


async def file_request(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, answers: dict[str, Any]) -> str:
    """The request form's sink: store it, owe the office's staff a card, give the code."""
    db = context.db
    hood = answers.get("hood")
    if hood is not None and str(hood).isdigit():
        office_id, hood_id = (await offices.office_of_neighbourhood(db, int(hood)) or 0,
                              int(hood))
    else:
        office_id, hood_id = int(answers.get("office") or 0), None
    phone = (answers.get("phone") or {}).get("phone")
    location = answers.get("location") or {}
    description, attached = answers["description"], list(answers.get("photos") or [])
    if is_voice(description):  # a voice note as the description: kept as an attachment
        attached.append({"kind": "voice", "file_id": description["voice"],
                         "file_unique_id": description["file_unique_id"]})
        description = t("request.voice_description")
    if "address" in location:
        description = f"{description}\n\n{t('request.address', address=location['address'])}"
    new = store.NewRequest(
        draft_id=draft.id, resident_id=context.me().id, office_id=office_id,
        neighbourhood_id=hood_id, category=answers["category"],
        description=description, phone=phone,
        photos=[(p["file_id"], p["file_unique_id"]) for p in attached
                if p.get("kind") != "voice"],
        location=(location["latitude"], location["longitude"]) if "latitude" in location
        else None,
        voices=[(p["file_id"], p["file_unique_id"]) for p in attached
                if p.get("kind") == "voice"],
    )
    try:
        change, _ = await cases.file(context.services, context.me(), new)
    except RequestLimit as limit:
        open_count, today_count = await store.usage(db, context.me().id, context.now())
        count = open_count if limit.reason == "open" else today_count
        return t(f"request.limit_{limit.reason}", count=count)
    return await filed_text(context, change.request)


async def filed_text(context: BotContext, request: Request) -> str:
    """«Your request is filed», with its tracking code, Jalali date, when the office will
    answer (a promise that respects its working hours: `office_hours.response_promise`),
    how long such requests take and the emergency numbers its category (or its words) call
    for (`org.emergency_text`)."""
    org, settings = context.services.org, context.services.settings
    text = t("request.filed", code=shown_code(request.code),
             date=day_of(context, request.created_at))
    row = await offices.office_by_id(context.db, request.office_id)
    office = org.office(row.slug) if row is not None else None
    promise = response_promise(
        datetime.fromisoformat(request.created_at), org.first_response_hours(request.category),
        office.hours if office is not None else WorkingHours(), org.holidays,
        settings.timezone)
    text += "\n" + t("office.expected", promise=promise,
                     days=org.overdue_days.get(request.category, settings.overdue_days))
    numbers = org.emergency_text(request.category, request.description)
    if numbers:
        text += "\n" + t("case.emergency", numbers=numbers)
    return text


async def filed_again(context: BotContext, draft_id: int) -> str | None:
    """The tracking code again, for a request of this resident's that was stored."""
    request = await store.by_draft(context.db, draft_id)
    if request is None or request.resident_id != context.me().id:
        return None
    return await filed_text(context, request)


async def after_resident_form(update: Update, context: BotContext, draft: Draft,
                              done: bool) -> None:
    """After a resident's filing or addition: the office's notices go out."""
    if done:
        await deliver_now(update, context)


def form_hooks(services: Services) -> FormHooks:
    """What requests add to the forms: the resident's request, the staff's actions and the
    resident's additions as sinks, what follows each, the resident's limits, the emergency
    number after a category, a pasted tracking code, a resident's message about their
    requests (`handlers.replies`), and the receipt of a filed request."""
    return FormHooks(
        sinks={"request": file_request, "request_action": request_action,
               "request_resident": resident_action},
        afters={"request": after_resident_form, "request_resident": after_resident_form,
                "request_action": card_again},
        guards={"resident_request": limits_guard},
        answer_notes={"resident_request": emergency_note},
        receipts=[filed_again], text_fallbacks=[pasted_code, resident_reply])


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/track, /inbox, their menu buttons and their buttons."""
    return [
        CommandHandler("track", track),
        MessageHandler(filters.Text([t("menu.track")]), track),
        CommandHandler("inbox", inbox),
        MessageHandler(filters.Text([t("menu.inbox")]), inbox),
        CallbackQueryHandler(add_offered, pattern=r"^trk:rpl:"),
        CallbackQueryHandler(resident_button, pattern=r"^trk:"),
        CallbackQueryHandler(staff_button, pattern=r"^req:"),
    ]
