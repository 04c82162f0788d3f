"""A request on screen, for the resident's /track and the staff's triage alike: its card,
its trail in words, and the notices a change owed delivered beside the reply."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update

from bot import access
from bot.cases import category_label, hood_of, short, shown_code
from bot.delivery import deliver_due
from bot.locale.jalali import format_date, format_datetime, local_date
from bot.locale.phones import shown_phone
from bot.locale.text import t
from handlers.context import BotContext, beside
from storage import requests as store
from storage.requests import Request

log = logging.getLogger("tashilyar.requests")


def day_of(context: BotContext, instant: str) -> str:
    """A stored UTC instant as a Jalali date."""
    return format_date(local_date(datetime.fromisoformat(instant),
                                  context.services.settings.timezone))


def event_text(event: store.Event) -> str:
    """One entry of the trail, in words."""
    if event.kind == "filed":
        return t("request.trail_filed")
    if event.kind == "status":
        if event.new_status == "referred" and event.note:
            return event.note
        what = t(f"status.{event.new_status}")
        if event.other_code:
            what += " — " + t("case.trail_duplicate", code=shown_code(event.other_code))
        return what + (" — " + short(event.note) if event.note else "")
    if event.kind == "note":  # staff alone see internal ones: marked so on their card
        return t("request.trail_note" if event.public else "case_loop.trail_note_internal",
                 note=short(event.note or ""))
    if event.kind == "assign":
        return t("request.trail_assign", name=event.actor_name or "")
    if event.kind == "undo":
        return t("case.trail_undo", status=t(f"status.{event.new_status}"))
    if event.kind == "release":
        return t("case.trail_release", name=event.actor_name or "")
    if event.kind == "handover":
        return t("case.trail_handover", name=event.actor_name or "",
                 target=event.target_name or "")
    if event.kind == "addition":
        return (t("case.trail_addition", note=short(event.note)) if event.note
                else t("case.trail_addition_photo"))
    if event.kind == "moved":
        return t("case_loop.trail_moved", what=event.note or "")
    if event.kind == "withdraw":
        return t("case.trail_withdraw")
    if event.kind == "answer":
        return (t("case.trail_solved_yes") if event.new_status == "resolved"
                else t("case.trail_solved_no", note=short(event.note or "")))
    return t("request.trail_reopen")


async def trail(context: BotContext, request: Request, *, public_only: bool) -> list[str]:
    """The request's events as lines."""
    tz = context.services.settings.timezone
    return [t("request.trail_line", date=format_datetime(datetime.fromisoformat(e.at), tz),
              what=event_text(e))
            for e in await store.events(context.db, request.id, public_only=public_only)]


async def card_text(context: BotContext, request: Request, *, for_staff: bool) -> str:
    """The request as the resident or the staff see it, always under the message limit."""
    services = context.services
    text = t("request.card", code=shown_code(request.code),
             category=category_label(services, request.category),
             hood=hood_of(request), office=request.office_name,
             status=t(f"status.{request.status}"), date=day_of(context, request.created_at),
             description=short(request.description, 1600))
    if request.duplicate_of:
        text += "\n" + t("request.notice_duplicate", other=shown_code(request.duplicate_of))
    if for_staff:
        if request.anonymous:
            text += "\n" + t("inbox.resident_anonymous")
        else:
            text += "\n" + t("inbox.resident_named", name=request.resident_name)
            if access.sees_phone(context.me(), request) and request.phone:
                text += "\n" + t("inbox.resident_phone", phone=shown_phone(request.phone))
        if request.assignee_name:
            text += "\n" + t("inbox.assigned", name=request.assignee_name)
    lines = await trail(context, request, public_only=not for_staff)
    return (text + t("request.card_trail") + "\n" + "\n".join(lines[-8:]))[:4000]


async def deliver_now(update: Update, context: BotContext) -> None:
    """Deliver owed notices now, beside the reply: the person's next step does not wait
    behind them (or behind a digest round); the repeating tick retries failures."""
    beside(_deliver_quietly(context))


async def _deliver_quietly(context: BotContext) -> None:
    try:
        await deliver_due(context.bot, context.db)
    except Exception as error:  # the notices stay owed: the tick delivers them
        log.warning("delivery after a change failed (%s); the tick will retry",
                    type(error).__name__)
