"""Residents' requests: filing (the request form's sink, with limits), tracking (/track),
staff triage (/inbox: take, move through the statuses, refer, reject, mark duplicate, add
notes), and telling the resident of every change through the outbox.

Every staff button names a request and the version the staff member saw:
`req:ACTION:ID[:ARG]:VERSION`. The request is loaded and its office checked against the
actor's scope on every tap (forged data cannot reach another office's request), and the
change is compare-and-set on the version, so of two staff acting at once only one wins.
Resident buttons (`trk:`) act only on the resident's own requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.forms.model import FormDefinition, is_voice
from bot.locale.jalali import format_date, format_datetime, local_date
from bot.locale.normalize import to_ascii_digits, to_persian_digits
from bot.locale.text import t
from bot.schedule import deliver_due
from handlers.context import BotContext, answer_once, button, inline, number_in, send, show
from handlers.forms import (
    begin,
    register_guard,
    register_receipt,
    register_sink,
    register_text_fallback,
)
from handlers.menu import main_menu
from storage import offices
from storage import requests as store
from storage.drafts import Draft
from storage.people import Person
from storage.requests import Conflict, Request, RequestLimit

AGENCIES = ("behzisti", "emdad", "municipality", "roads", "education", "health", "police",
            "ngo", "barakat", "other")


def shown_code(code: str) -> str:
    """'12345678' → '۱۲۳۴-۵۶۷۸' (read aloud in two halves)."""
    return to_persian_digits(f"{code[:4]}-{code[4:]}")


def category_label(context: BotContext, value: str) -> str:
    """The Persian label of a request category, from the request form."""
    form = context.services.forms.get("resident_request")
    question = form.question("category") if form else None
    labels = {c.value: c.label for c in question.choices} if question else {}
    return labels.get(value, value)


def agency_label(context: BotContext, value: str) -> str:
    """The Persian name of an agency, from the field report's list."""
    form = context.services.forms.get("field_report")
    question = form.question("agencies") if form else None
    labels = {c.value: c.label for c in question.choices} if question else {}
    return labels.get(value, value)


def day_of(context: BotContext, instant: str) -> str:
    """A stored UTC instant as a Jalali date."""
    return format_date(local_date(datetime.fromisoformat(instant),
                                  context.services.settings.timezone))


async def office_ids_in_scope(context: BotContext, person: Person) -> list[int]:
    """The offices whose requests a staff member handles."""
    if not person.is_staff:
        return []
    return await offices.scope_office_ids(context.db, person.role, person.office_id,
                                          person.province_id)


# ----- filing ---------------------------------------------------------------------------


async def limits_guard(update: Update, context: BotContext) -> str | None:
    """Refuse a new request politely when the resident reached a limit."""
    settings = context.services.settings
    open_count, today_count = await store.usage(context.db, context.me().id, context.now())
    if open_count >= settings.max_open_requests:
        return t("request.limit_open", count=open_count)
    if today_count >= settings.max_requests_per_day:
        return t("request.limit_daily", count=today_count)
    return None


async def file_request(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, answers: dict[str, Any]) -> str:
    """The request form's sink: store it and give the tracking code."""
    db = context.db
    hood = answers.get("hood")
    if hood is not None and str(hood).isdigit():
        row = await db.fetchone("SELECT office_id FROM neighbourhoods WHERE id = ?", (int(hood),))
        office_id, hood_id = (row["office_id"] if row else 0), int(hood)
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
    settings = context.services.settings
    try:
        request, _ = await store.file_request(
            db, new, max_open=settings.max_open_requests,
            max_per_day=settings.max_requests_per_day)
    except RequestLimit as limit:
        open_count, today_count = await store.usage(db, context.me().id, context.now())
        count = open_count if limit.reason == "open" else today_count
        return t(f"request.limit_{limit.reason}", count=count)
    return filed_text(context, request)


def filed_text(context: BotContext, request: Request) -> str:
    """«Your request is filed», with its tracking code and Jalali date."""
    return t("request.filed", code=shown_code(request.code),
             date=day_of(context, request.created_at))


async def filed_again(context: BotContext, draft_id: int) -> str | None:
    """The tracking code again, for a request of this resident's that was stored."""
    request = await store.by_draft(context.db, draft_id)
    if request is None or request.resident_id != context.me().id:
        return None
    return filed_text(context, request)


# ----- showing ----------------------------------------------------------------------------


async def trail(context: BotContext, request: Request, *, public_only: bool) -> list[str]:
    """The request's events as lines."""
    lines = []
    for event in await store.events(context.db, request.id, public_only=public_only):
        if event.kind == "filed":
            what = t("request.trail_filed")
        elif event.kind == "status":
            what = event.note if event.new_status == "referred" and event.note else t(
                f"status.{event.new_status}")
            if event.note and event.new_status != "referred":
                what += " — " + short(event.note)
        elif event.kind == "note":
            what = t("request.trail_note", note=short(event.note or ""))
        elif event.kind == "assign":
            what = t("request.trail_assign", name=event.actor_name or "")
        else:
            what = t("request.trail_reopen")
        when = format_datetime(datetime.fromisoformat(event.at),
                               context.services.settings.timezone)
        lines.append(t("request.trail_line", date=when, what=what))
    return lines


def short(text: str, limit: int = 300) -> str:
    """A long text cut to fit a phone screen (and the messenger's 4096 characters)."""
    return text if len(text) <= limit else text[:limit] + "…"


async def card_text(context: BotContext, request: Request, *, for_staff: bool) -> str:
    """The request as the resident or the staff see it, always under the message limit."""
    text = t("request.card", code=shown_code(request.code),
             category=category_label(context, request.category),
             hood=request.neighbourhood_name or t("request.unsure"), office=request.office_name,
             status=t(f"status.{request.status}"), date=day_of(context, request.created_at),
             description=short(request.description, 1600))
    if request.duplicate_of:
        text += "\n" + t("request.notice_duplicate", other=shown_code(request.duplicate_of))
    if for_staff:
        if request.anonymous:
            text += "\n" + t("inbox.resident_anonymous")
        else:
            text += "\n" + t("inbox.resident_named", name=request.resident_name)
            if context.me().office_id == request.office_id and request.phone:
                # The form promises the number is shown to this office's staff only.
                text += "\n" + t("inbox.resident_phone", phone=request.phone)
        if request.assignee_name:
            text += "\n" + t("inbox.assigned", name=request.assignee_name)
    lines = await trail(context, request, public_only=not for_staff)
    return (text + t("request.card_trail") + "\n" + "\n".join(lines[-8:]))[:4000]


def staff_buttons(request: Request, me: Person) -> list[list[tuple[str, str]]]:
    """The actions allowed from the request's state, stamped with its version."""
    v, rid = request.version, request.id
    rows: list[list[tuple[str, str]]] = []
    if request.is_open and request.assignee_id != me.id:
        rows.append([(t("inbox.take"), f"req:take:{rid}:{v}")])
    moves = store.TRANSITIONS[request.status]
    row = [(t(f"inbox.to_{s}"), f"req:st:{rid}:{s}:{v}") for s in ("in_review", "resolved")
           if s in moves]
    if "referred" in moves:
        row.append((t("inbox.to_referred"), f"req:ref:{rid}:{v}"))
    if row:
        rows.append(row)
    extra = [(t(f"inbox.to_{s}"), f"req:{s[:3]}:{rid}:{v}") for s in ("rejected", "duplicate")
             if s in moves]
    rows.append([*extra, (t("inbox.note"), f"req:not:{rid}:{v}")])
    rows.append([(t("inbox.media"), f"req:media:{rid}"), (t("inbox.back"), "req:list")])
    return rows


def age_text(request: Request, now: datetime) -> str:
    """'امروز' or 'N روز': how long the request has waited."""
    days = (now - datetime.fromisoformat(request.created_at)).days
    return t("inbox.age_today") if days == 0 else t("inbox.age_days", days=days)


async def inbox_screen(context: BotContext) -> tuple[str, list[list[tuple[str, str]]]]:
    """Open requests in the actor's scope, oldest first, a button each."""
    me = context.me()
    open_requests = await store.inbox(context.db, await office_ids_in_scope(context, me))
    if not open_requests:
        return t("inbox.empty"), []
    lines = [t("inbox.title", count=len(open_requests))]
    buttons = []
    for index, request in enumerate(open_requests, start=1):
        assignee = t("inbox.assignee", name=request.assignee_name) if request.assignee_name else ""
        lines.append(t("inbox.line", index=index, code=shown_code(request.code),
                       category=category_label(context, request.category),
                       hood=request.neighbourhood_name or t("request.unsure"),
                       age=age_text(request, context.now()), status=t(f"status.{request.status}"),
                       assignee=assignee))
        buttons.append((to_persian_digits(index), f"req:show:{request.id}"))
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    return "\n".join(lines), rows


async def inbox(update: Update, context: BotContext) -> None:
    """/inbox."""
    text, rows = await inbox_screen(context)
    await send(update, context, text, inline(rows) if rows else None)


async def track(update: Update, context: BotContext) -> None:
    """/track [CODE]: a resident's requests, or one request by its code."""
    me = context.me()
    args = context.args or []
    if args:
        request = await store.by_code(context.db, to_ascii_digits("".join(args)))
        await show_request(update, context, request)
        return
    if me.is_staff:
        await send(update, context, t("request.staff_track_usage"))
        return
    mine = await store.for_resident(context.db, me.id)
    if not mine:
        await send(update, context, t("request.none"), main_menu(me.effective_role))
        return
    lines = [t("request.list_title")]
    rows = []
    for request in mine:
        lines.append(t("request.list_line", code=shown_code(request.code),
                       category=category_label(context, request.category),
                       status=t(f"status.{request.status}"),
                       date=day_of(context, request.created_at)))
        public = [e for e in await store.events(context.db, request.id, public_only=True)
                  if e.note]
        if public:
            lines.append(t("request.latest_note", note=public[-1].note))
        rows.append([(t("request.details", code=shown_code(request.code)),
                      f"trk:show:{request.id}")])
    await send(update, context, "\n".join(lines), inline(rows))


async def may_see(context: BotContext, request: Request | None) -> bool:
    """The resident who filed it, or staff whose scope holds its office."""
    if request is None:
        return False
    me = context.me()
    if request.resident_id == me.id:
        return True
    return request.office_id in await office_ids_in_scope(context, me)


async def show_request(update: Update, context: BotContext, request: Request | None) -> None:
    """One request's card, or the same 'not found' for unknown and not-yours codes."""
    if request is None or not await may_see(context, request):
        await send(update, context, t("request.not_found"))
        return
    me = context.me()
    staff_view = request.resident_id != me.id
    text = await card_text(context, request, for_staff=staff_view)
    if staff_view:
        await send(update, context, text, inline(staff_buttons(request, me)))
        return
    rows = []
    if can_reopen(context, request):
        rows.append([(t("request.reopen"), f"trk:reopen:{request.id}")])
    await send(update, context, text, inline(rows) if rows else None)


def can_reopen(context: BotContext, request: Request) -> bool:
    """Resolved within the configured number of days."""
    if request.status != "resolved" or request.resolved_at is None:
        return False
    resolved = datetime.fromisoformat(request.resolved_at)
    return (context.now() - resolved).days < context.services.settings.reopen_days


async def resident_button(update: Update, context: BotContext) -> None:
    """trk:show:ID and trk:reopen:ID, on the resident's own requests only."""
    _, parts = button(update)
    number = number_in(parts[2])
    request = await store.by_id(context.db, number) if number is not None and not parts[
        3] else None
    if request is None or request.resident_id != context.me().id:
        await answer_once(update, context, t("request.not_found"), alert=True)
        return
    if parts[1] == "show":
        await answer_once(update, context)
        await show_request(update, context, request)
        return
    if parts[1] == "reopen":
        try:
            request = await store.reopen(context.db, request, resident_id=context.me().id,
                                         within_days=context.services.settings.reopen_days)
        except Conflict:
            await answer_once(update, context, t("request.reopen_closed"), alert=True)
            return
        await answer_once(update, context)
        await send(update, context, t("request.reopened", code=shown_code(request.code)))
        return
    await answer_once(update, context, t("access.stale_button"), alert=True)


# ----- triage -----------------------------------------------------------------------------


def status_notice(context: BotContext, request: Request, status: str,
                  note: str | None = None) -> store.NoticeSpec:
    """A notice of a new status (and its public note), keyed by the version it produces."""
    text = t("request.notice_status", code=shown_code(request.code), status=t(f"status.{status}"))
    if note:
        text += "\n" + t("request.notice_note", note=note)
    if status == "resolved":
        text += "\n" + t("request.notice_reopen_hint",
                         days=context.services.settings.reopen_days)
    return (f"request:{request.id}:v{request.version + 1}", request.resident_user_id, text)


async def staff_request(update: Update, context: BotContext, request_id: str) -> Request | None:
    """The request named by a button, if it is in the actor's scope (else refuse)."""
    query = update.callback_query
    assert query is not None
    number = number_in(request_id)
    request = await store.by_id(context.db, number) if number is not None else None
    if request is None or request.office_id not in await office_ids_in_scope(
            context, context.me()):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return None
    return request


async def refresh_card(update: Update, context: BotContext, request: Request,
                       note: str = "") -> None:
    """Show the request's current card in place of the tapped one."""
    text = await card_text(context, request, for_staff=True)
    await show(update, context, (note + "\n\n" if note else "") + text,
               inline(staff_buttons(request, context.me())))


async def after_change(update: Update, context: BotContext) -> None:
    """Deliver owed notices now (the repeating job retries whatever fails)."""
    await deliver_due(context.bot, context.db)


async def conflict(update: Update, context: BotContext, error: Conflict) -> None:
    """Tell the second actor what happened and show the current state."""
    query = update.callback_query
    if query is not None:
        await answer_once(update, context)
    key = "inbox.conflict" if error.reason == "changed" else "inbox.transition"
    await refresh_card(update, context, error.current,
                       t(key, status=t(f"status.{error.current.status}")))


async def send_media(update: Update, context: BotContext, request: Request) -> None:
    """The resident's photos (by the messenger's file id) and location, to the staff member."""
    query = update.callback_query
    assert query is not None
    rows = await context.db.fetchall(
        "SELECT kind, file_id, latitude, longitude FROM attachments WHERE request_id = ? "
        "ORDER BY id", (request.id,))
    if not rows:
        await answer_once(update, context, t("inbox.no_media"), alert=True)
        return
    await answer_once(update, context)
    chat_id = context.me().user_id
    for row in rows:
        if row["kind"] == "photo":
            await context.bot.send_photo(chat_id=chat_id, photo=row["file_id"],
                                         caption=shown_code(request.code))
        elif row["kind"] == "voice":
            await context.bot.send_voice(chat_id=chat_id, voice=row["file_id"],
                                         caption=shown_code(request.code))
        elif row["kind"] == "location":
            await context.bot.send_location(chat_id=chat_id, latitude=row["latitude"],
                                            longitude=row["longitude"])


async def staff_button(update: Update, context: BotContext) -> None:
    """Every req: button."""
    _, parts = button(update)
    parts = [p for p in parts if p]  # the version is the last non-empty part
    action = parts[1] if len(parts) > 1 else ""
    if action == "list":
        await answer_once(update, context)
        text, rows = await inbox_screen(context)
        await show(update, context, text, inline(rows) if rows else None)
        return
    if len(parts) < 3:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    request = await staff_request(update, context, parts[2])
    if request is None:
        return
    if action == "show":
        await answer_once(update, context)
        await refresh_card(update, context, request)
        return
    if action == "media":
        await send_media(update, context, request)
        return
    version = parts[-1]
    if number_in(version) != request.version:
        await conflict(update, context, Conflict(request, "changed"))
        return
    me = context.me()
    try:
        if action == "take":
            changed = await store.assign(context.db, request, actor_id=me.id)
            note = t("inbox.done_take", code=shown_code(request.code))
        elif action == "st" and len(parts) == 5:
            changed = await store.change_status(
                context.db, request, parts[3], actor_id=me.id,
                notice=status_notice(context, request, parts[3]))
            note = t("inbox.done_status", code=shown_code(request.code),
                     status=t(f"status.{parts[3]}"))
        elif action == "ref":
            await answer_once(update, context)
            rows = [[(agency_label(context, a), f"req:to:{request.id}:{a}:{request.version}")]
                    for a in AGENCIES]
            rows.append([(t("inbox.back_to_card"), f"req:show:{request.id}")])
            await show(update, context, t("inbox.choose_agency"), inline(rows))
            return
        elif action == "to" and len(parts) == 5 and parts[3] in AGENCIES:
            referral = t("inbox.referred_to", agency=agency_label(context, parts[3]))
            changed = await store.change_status(
                context.db, request, "referred", actor_id=me.id, note=referral,
                notice=status_notice(context, request, "referred", referral))
            note = t("inbox.done_status", code=shown_code(request.code),
                     status=t("status.referred"))
        elif action in ("rej", "dup", "not"):
            name = {"rej": "request_reject", "dup": "request_duplicate",
                    "not": "request_note"}[action]
            form = context.services.forms[name]
            await begin(update, context, form,
                        {"request_id": request.id, "version": request.version})
            return
        else:
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return
    except Conflict as error:
        await conflict(update, context, error)
        return
    await answer_once(update, context)
    await refresh_card(update, context, changed, note)
    await after_change(update, context)


async def request_action(update: Update, context: BotContext, form: FormDefinition,
                         draft: Draft, answers: dict[str, Any]) -> str:
    """Sink of the reject / duplicate / note forms: apply to the request they were for."""
    from storage.drafts import discard_draft

    await discard_draft(context.db, draft.id)
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    me = context.me()
    if request is None or request.office_id not in await office_ids_in_scope(context, me):
        return t("access.not_yours")
    if request.version != draft.context.get("version"):
        return t("inbox.conflict") + "\n" + t(f"status.{request.status}")
    code = shown_code(request.code)
    try:
        if form.name == "request_reject":
            reason = answers["reason"]
            await store.change_status(context.db, request, "rejected", actor_id=me.id,
                                      note=reason,
                                      notice=status_notice(context, request, "rejected", reason))
            result = t("inbox.done_status", code=code, status=t("status.rejected"))
        elif form.name == "request_duplicate":
            original = await store.by_code(context.db, to_ascii_digits(answers["original"]))
            if original is None or not await may_see(context, original):
                return t("inbox.duplicate_unknown", code=answers["original"])
            if original.id == request.id:
                return t("inbox.duplicate_self")
            text = t("request.notice_status", code=code, status=t("status.duplicate"))
            text += "\n" + t("request.notice_duplicate", other=shown_code(original.code))
            await store.change_status(
                context.db, request, "duplicate", actor_id=me.id, duplicate_of=original.code,
                notice=(f"request:{request.id}:v{request.version + 1}",
                        request.resident_user_id, text))
            result = t("inbox.done_status", code=code, status=t("status.duplicate"))
        else:
            note, public = answers["note"], bool(answers["public"])
            notice = (f"request:{request.id}:v{request.version + 1}", request.resident_user_id,
                      t("request.notice_status", code=code,
                        status=t(f"status.{request.status}"))
                      + "\n" + t("request.notice_note", note=note))
            await store.add_note(context.db, request, note, public=public, actor_id=me.id,
                                 notice=notice)
            result = t("inbox.done_note_public" if public else "inbox.done_note_internal",
                       code=code)
    except Conflict as error:
        return t("inbox.conflict") + "\n" + t(f"status.{error.current.status}")
    await after_change(update, context)
    return result


async def pasted_code(update: Update, context: BotContext) -> bool:
    """A tracking code sent on its own (pasted from the confirmation): show that request."""
    message = update.message
    if message is None or not message.text:
        return False
    digits = store.canonical_code(to_ascii_digits(message.text))
    if len(digits) != store.CODE_DIGITS or len(message.text.strip()) > 12:
        return False
    await show_request(update, context, await store.by_code(context.db, digits))
    return True


register_text_fallback(pasted_code)
register_sink("request", file_request)
register_receipt(filed_again)
register_sink("request_action", request_action)
register_guard("resident_request", limits_guard)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/track, /inbox, their menu buttons and their buttons."""
    return [
        CommandHandler("track", track),
        MessageHandler(filters.Text([t("menu.track")]), track),
        CommandHandler("inbox", inbox),
        MessageHandler(filters.Text([t("menu.inbox")]), inbox),
        CallbackQueryHandler(resident_button, pattern=r"^trk:"),
        CallbackQueryHandler(staff_button, pattern=r"^req:"),
    ]

