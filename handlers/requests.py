"""Residents' requests and the case loop between a resident and an office: filing (the
request form's sink, with limits; the office's staff are told at once), tracking (/track:
add a detail or photo, withdraw, answer «was it solved?», follow the original of a
duplicate), and staff triage (/inbox with filters and pages: take, release, hand over,
move through the statuses, refer to an agency, resolve and reject with a public note,
mark duplicate, add notes, undo a slip). Every notice goes through the outbox.

Every staff button names a request and the version the staff member saw:
`req:ACTION:ID[:ARG]:VERSION`. The request is loaded and its office checked against the
actor's scope on every tap (forged data cannot reach another office's request), and the
change is compare-and-set on the version, so of two staff acting at once only one wins.
Resident buttons (`trk:ACTION:ID`) act only on the resident's own requests. Inbox views
are `req:ls:STATUS:HOOD:CATEGORY:OFFSET` ('-' for no filter); `req:open:ID`, under a
notice, sends the card as a new message where `req:show:ID` edits the tapped one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.delivery import deliver_due
from bot.forms.model import FormDefinition, is_voice
from bot.locale.jalali import format_date, format_datetime, local_date
from bot.locale.normalize import to_ascii_digits, to_persian_digits
from bot.locale.phones import shown_phone
from bot.locale.text import t
from bot.quiet_hours import quiet_until
from bot.services import Services
from handlers.context import (
    BotContext,
    answer_once,
    beside,
    button,
    inline,
    number_in,
    send,
    show,
)
from handlers.form_hooks import FormHooks
from handlers.forms import begin
from handlers.menu import main_menu
from storage import offices
from storage import requests as store
from storage.drafts import Draft, discard_draft
from storage.people import Person
from storage.requests import Conflict, InboxFilter, Owed, Request, RequestLimit

Rows = list[list[tuple[str, str]]]
PAGE = 10
OTHER_AGENCY = "other"

log = logging.getLogger("tashilyar.requests")


def shown_code(code: str) -> str:
    """'12345678' → '۱۲۳۴-۵۶۷۸' (read aloud in two halves)."""
    return to_persian_digits(f"{code[:4]}-{code[4:]}")


def category_labels(context: BotContext) -> dict[str, str]:
    """Request categories and their Persian labels, from the request form."""
    form = context.services.forms.get("resident_request")
    question = form.question("category") if form else None
    return {c.value: c.label for c in question.choices} if question else {}


def category_label(context: BotContext, value: str) -> str:
    """The Persian label of a request category."""
    return category_labels(context).get(value, value)


def agency_name(context: BotContext, slug: str) -> str:
    """The Persian name of an agency of the organisation file."""
    agency = context.services.org.agency(slug)
    return agency.name if agency else slug


def day_of(context: BotContext, instant: str) -> str:
    """A stored UTC instant as a Jalali date."""
    return format_date(local_date(datetime.fromisoformat(instant),
                                  context.services.settings.timezone))


def hood_of(request: Request) -> str:
    """The request's neighbourhood, or «not sure»."""
    return request.neighbourhood_name or t("request.unsure")


def short(text: str, limit: int = 300) -> str:
    """A long text cut to fit a phone screen (and the messenger's 4096 characters)."""
    return text if len(text) <= limit else text[:limit] + "…"


async def office_ids_in_scope(context: BotContext, person: Person) -> list[int]:
    """The offices whose requests a staff member handles."""
    if not person.is_staff:
        return []
    return await offices.scope_office_ids(context.db, person.role, person.office_id,
                                          person.province_id)


# ----- notices ----------------------------------------------------------------------------


def held_until(context: BotContext, category: str) -> datetime | None:
    """When a non-urgent notice to staff may go out (None: now)."""
    if category in context.services.org.urgent:
        return None
    settings = context.services.settings
    return quiet_until(context.now(), settings.quiet_hours, settings.timezone)


def open_button(request_id: int) -> Rows:
    """The «open» button under a notice to staff (the card comes as a new message, so the
    notice stays in the chat)."""
    return [[(t("case.open"), f"req:open:{request_id}")]]


async def staff_notices(context: BotContext, request: Request, cause: str, text: str,
                        *, only: int | None = None) -> list[Owed]:
    """A notice to the request's assignee (or, with none, every staff member of its office),
    or to the one person `only`; never to the one acting."""
    staff = await store.staff_of_office(context.db, request.office_id)
    if only is not None:
        chosen = [s for s in staff if s[0] == only]
    elif request.assignee_id is not None and any(s[0] == request.assignee_id for s in staff):
        chosen = [s for s in staff if s[0] == request.assignee_id]
    else:
        chosen = staff
    me = context.person.id if context.person is not None else None
    hold = held_until(context, request.category)
    return [Owed(f"staff:{cause}:{request.id}:v{request.version + 1}:{pid}", user_id, text,
                 open_button(request.id), hold)
            for pid, user_id, _name in chosen if pid != me]


def resident_notice(request: Request, text: str, buttons: Rows | None = None) -> Owed:
    """The notice of a change, keyed by the version it produces."""
    return Owed(f"request:{request.id}:v{request.version + 1}", request.resident_user_id, text,
                buttons)


async def follower_notices(context: BotContext, request: Request, status: str) -> list[Owed]:
    """Residents whose requests are duplicates of this one follow its status."""
    return [Owed(f"follow:{f.id}:{request.id}:v{request.version + 1}", f.resident_user_id,
                 t("case.follow_notice", original=shown_code(request.code),
                   code=shown_code(f.code), status=t(f"status.{status}")),
                 [[(t("case.follow_button"), f"trk:orig:{f.id}")]])
            for f in await store.followers(context.db, request.code)
            if f.resident_id != request.resident_id]  # told as the original's resident


def status_notice(context: BotContext, request: Request, status: str,
                  note: str | None = None, extra: str | None = None) -> Owed:
    """A notice of a new status (and its public note); after a resolution it asks
    «was it solved?» with two buttons."""
    text = t("request.notice_status", code=shown_code(request.code), status=t(f"status.{status}"))
    if note:
        text += "\n" + t("request.notice_note", note=note)
    if extra:
        text += "\n" + extra
    buttons = None
    if status == "resolved":
        text += "\n" + t("request.notice_reopen_hint",
                         days=context.services.settings.reopen_days)
        text += "\n\n" + t("case.ask_solved")
        buttons = [[(t("case.solved_yes"), f"trk:yes:{request.id}"),
                    (t("case.solved_no"), f"trk:no:{request.id}")]]
    return resident_notice(request, text, buttons)


async def change_notices(context: BotContext, request: Request, status: str,
                         note: str | None = None, extra: str | None = None) -> list[Owed]:
    """Everyone told of a status change: the resident and the followers of a duplicate."""
    return [status_notice(context, request, status, note, extra),
            *await follower_notices(context, request, status)]


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


def emergency_note(context: BotContext, question: str, value: Any) -> str | None:
    """The emergency numbers of a category, shown as soon as the resident picks it."""
    numbers = context.services.org.emergency.get(str(value)) if question == "category" else None
    return t("case.emergency", numbers=numbers) if numbers else None


async def file_request(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, answers: dict[str, Any]) -> str:
    """The request form's sink: store it, owe the office's staff a card, give the code."""
    db = context.db
    hood = answers.get("hood")
    hood_name = t("request.unsure")
    if hood is not None and str(hood).isdigit():
        office_id, hood_id = (await offices.office_of_neighbourhood(db, int(hood)) or 0,
                              int(hood))
        hood_name = next((h.name for h in await offices.neighbourhoods_of(db, office_id)
                          if h.id == hood_id), hood_name)
    else:
        office_id, hood_id = int(answers.get("office") or 0), None
    phone = (answers.get("phone") or {}).get("phone")
    location = answers.get("location") or {}
    category = answers["category"]
    description, attached = answers["description"], list(answers.get("photos") or [])
    if is_voice(description):  # a voice note as the description: kept as an attachment
        attached.append({"kind": "voice", "file_id": description["voice"],
                         "file_unique_id": description["file_unique_id"]})
        description = t("request.voice_description")
    if "address" in location:
        description = f"{description}\n\n{t('request.address', address=location['address'])}"
    new = store.NewRequest(
        draft_id=draft.id, resident_id=context.me().id, office_id=office_id,
        neighbourhood_id=hood_id, category=category,
        description=description, phone=phone,
        photos=[(p["file_id"], p["file_unique_id"]) for p in attached
                if p.get("kind") != "voice"],
        location=(location["latitude"], location["longitude"]) if "latitude" in location
        else None,
        voices=[(p["file_id"], p["file_unique_id"]) for p in attached
                if p.get("kind") == "voice"],
    )
    staff = await store.staff_of_office(db, office_id)
    hold = held_until(context, category)
    first_line = short(description.strip().splitlines()[0], 120)

    def tell_staff(request_id: int, code: str) -> list[Owed]:
        text = t("case.staff_new", code=shown_code(code), category=category_label(
            context, category), hood=hood_name, line=first_line)
        return [Owed(f"staff:new:{request_id}:{pid}", user_id, text, open_button(request_id),
                     hold) for pid, user_id, _ in staff]

    settings = context.services.settings
    try:
        request, _ = await store.file_request(
            db, new, max_open=settings.max_open_requests,
            max_per_day=settings.max_requests_per_day, notices=tell_staff)
    except RequestLimit as limit:
        open_count, today_count = await store.usage(db, context.me().id, context.now())
        count = open_count if limit.reason == "open" else today_count
        return t(f"request.limit_{limit.reason}", count=count)
    return filed_text(context, request)


def filed_text(context: BotContext, request: Request) -> str:
    """«Your request is filed», with its tracking code, Jalali date, the expected response
    time of its category and, where there is one, its emergency number."""
    org = context.services.org
    text = t("request.filed", code=shown_code(request.code),
             date=day_of(context, request.created_at))
    text += "\n" + t("case.expected", hours=org.first_response_hours(request.category),
                     days=org.overdue_days.get(request.category,
                                               context.services.settings.overdue_days))
    numbers = org.emergency.get(request.category)
    if numbers:
        text += "\n" + t("case.emergency", numbers=numbers)
    return text


async def filed_again(context: BotContext, draft_id: int) -> str | None:
    """The tracking code again, for a request of this resident's that was stored."""
    request = await store.by_draft(context.db, draft_id)
    if request is None or request.resident_id != context.me().id:
        return None
    return filed_text(context, request)


# ----- showing ----------------------------------------------------------------------------


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
    if event.kind == "note":
        return t("request.trail_note", note=short(event.note or ""))
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
    text = t("request.card", code=shown_code(request.code),
             category=category_label(context, request.category),
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
            if context.me().office_id == request.office_id and request.phone:
                # The form promises the number is shown to this office's staff only.
                text += "\n" + t("inbox.resident_phone", phone=shown_phone(request.phone))
        if request.assignee_name:
            text += "\n" + t("inbox.assigned", name=request.assignee_name)
    lines = await trail(context, request, public_only=not for_staff)
    return (text + t("request.card_trail") + "\n" + "\n".join(lines[-8:]))[:4000]


def staff_buttons(request: Request, me: Person, *, can_undo: bool = False) -> Rows:
    """The actions allowed from the request's state, stamped with its version."""
    v, rid = request.version, request.id
    rows: Rows = []
    first: list[tuple[str, str]] = []
    if request.is_open and request.assignee_id != me.id:
        first.append((t("inbox.take"), f"req:take:{rid}:{v}"))
    if request.is_open and request.assignee_id == me.id:
        first.append((t("case.release"), f"req:rel:{rid}:{v}"))
    if request.is_open:
        first.append((t("case.hand"), f"req:hand:{rid}:{v}"))
    if first:
        rows.append(first)
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
    if can_undo:
        rows.append([(t("case.undo"), f"req:undo:{rid}:{v}")])
    rows.append([(t("inbox.media"), f"req:media:{rid}"), (t("inbox.back"), "req:list")])
    return rows


def age_text(request: Request, now: datetime) -> str:
    """'امروز' or 'N روز': how long the request has waited."""
    days = (now - datetime.fromisoformat(request.created_at)).days
    return t("inbox.age_today") if days == 0 else t("inbox.age_days", days=days)


@dataclass(frozen=True)
class View:
    """What the inbox shows: a filter and a page, carried in the buttons' data."""

    status: str | None = None
    hood: int | None = None
    category: str | None = None
    offset: int = 0

    def data(self, **changes: Any) -> str:
        """`req:ls:…` for this view with some fields changed."""
        values = {"status": self.status, "hood": self.hood, "category": self.category,
                  "offset": self.offset, **changes}
        parts = ["-" if values[k] is None else str(values[k])
                 for k in ("status", "hood", "category")]
        return f"req:ls:{':'.join(parts)}:{values['offset']}"

    @classmethod
    def parse(cls, parts: list[str]) -> View | None:
        """The view of `req:ls:S:H:C:O` (None if the data is not a valid view)."""
        status, hood, category, offset = ([*parts, "", "", "", ""])[2:6]
        hood_id = None if hood == "-" else number_in(hood)
        page = number_in(offset)
        if (status != "-" and status not in store.STATUSES) or page is None or (
                hood != "-" and hood_id is None) or not category:
            return None
        return cls(None if status == "-" else status, hood_id,
                   None if category == "-" else category, page)


async def scope_hoods(context: BotContext) -> dict[int, str]:
    """The neighbourhoods of the offices in the actor's scope."""
    ids = await office_ids_in_scope(context, context.me())
    return {h.id: h.name for office_id in ids
            for h in await offices.neighbourhoods_of(context.db, office_id)}


async def inbox_screen(context: BotContext, view: View | None = None,
                       words: str | None = None) -> tuple[str, Rows]:
    """A page of the actor's requests passing the filter (open ones, oldest first): a line
    each with its age, a button each, the filters and the pages."""
    view = view or View()
    me = context.me()
    where = InboxFilter(view.status, view.hood, view.category, words, view.offset)
    found, total = await store.inbox_page(
        context.db, await office_ids_in_scope(context, me), where, PAGE)
    filtered = view != View() or words is not None
    if not found and not filtered and view.offset == 0:
        return t("inbox.empty"), []
    labels = category_labels(context)
    hoods = await scope_hoods(context) if view.hood is not None else {}
    if words is not None:
        lines = [t("case.title_words", words=words, count=total)]
    elif filtered:
        names = [t("case.filter_status", value=t(f"status.{view.status}")
                   if view.status else t("case.filter_open"))]
        if view.hood is not None:
            names.append(t("case.filter_hood", value=hoods.get(view.hood, "—")))
        if view.category is not None:
            names.append(t("case.filter_category", value=labels.get(view.category, "—")))
        lines = [t("case.title", count=total, filters="، ".join(names))]
    else:
        lines = [t("inbox.title", count=total)]
    if not found:
        lines.append(t("case.nothing_found"))
    numbers = []
    for index, request in enumerate(found, start=view.offset + 1):
        assignee = t("inbox.assignee", name=request.assignee_name) if request.assignee_name else ""
        lines.append(t("inbox.line", index=index, code=shown_code(request.code),
                       category=labels.get(request.category, request.category),
                       hood=hood_of(request), age=age_text(request, context.now()),
                       status=t(f"status.{request.status}"), assignee=assignee))
        numbers.append((to_persian_digits(index), f"req:show:{request.id}"))
    rows = [numbers[i:i + 5] for i in range(0, len(numbers), 5)]
    if total > PAGE and words is None:
        pages = (total + PAGE - 1) // PAGE
        lines.append(t("case.page", page=view.offset // PAGE + 1, pages=pages))
        paging = []
        if view.offset > 0:
            paging.append((t("case.previous"), view.data(offset=max(0, view.offset - PAGE))))
        if view.offset + PAGE < total:
            paging.append((t("case.next"), view.data(offset=view.offset + PAGE)))
        rows.append(paging)
    if words is None:
        rows.append([(t("case.filter_status", value="…"), filter_data("fs", view)),
                     (t("case.filter_hood", value="…"), filter_data("fh", view)),
                     (t("case.filter_category", value="…"), filter_data("fc", view))])
    if filtered:
        rows.append([(t("case.filter_clear"), "req:list")])
    lines.append(t("case.search_hint"))
    return "\n".join(lines)[:4000], rows


def filter_data(kind: str, view: View) -> str:
    """`req:fs|fh|fc:S:H:C`: choose one filter, keeping the others."""
    return View(view.status, view.hood, view.category).data().replace("req:ls:", f"req:{kind}:")


async def filter_screen(context: BotContext, kind: str, view: View) -> tuple[str, Rows]:
    """The choices of one filter, each a view."""
    if kind == "fs":
        options = [(t("case.filter_open"), view.data(status=None, offset=0))] + [
            (t(f"status.{s}"), view.data(status=s, offset=0)) for s in store.STATUSES]
        title = t("case.choose_status")
    elif kind == "fh":
        options = [(t("case.filter_any"), view.data(hood=None, offset=0))] + [
            (name, view.data(hood=hid, offset=0))
            for hid, name in list((await scope_hoods(context)).items())[:40]]
        title = t("case.choose_hood")
    else:
        options = [(t("case.filter_any"), view.data(category=None, offset=0))] + [
            (label, view.data(category=value, offset=0))
            for value, label in category_labels(context).items()]
        title = t("case.choose_category")
    return title, [options[i:i + 2] for i in range(0, len(options), 2)]


async def inbox(update: Update, context: BotContext) -> None:
    """/inbox [WORDS OR CODE]."""
    words = " ".join(context.args or []).strip() if update.message and context.args else ""
    text, rows = await inbox_screen(context, words=to_ascii_digits(words) if words else None)
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
                  if e.note and e.actor_id != request.resident_id]
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


async def my_duplicate_of(context: BotContext, original: Request) -> Request | None:
    """The person's own request marked a duplicate of `original`, if any."""
    return next((f for f in await store.followers(context.db, original.code)
                 if f.resident_id == context.me().id), None)


def follow_text(context: BotContext, original: Request, mine: Request) -> str:
    """The original of a duplicate as its follower sees it: status and dates only."""
    return t("case.follow_card", code=shown_code(original.code),
             status=t(f"status.{original.status}"), date=day_of(context, original.created_at),
             updated=day_of(context, original.updated_at), mine=shown_code(mine.code))


async def show_request(update: Update, context: BotContext, request: Request | None) -> None:
    """One request's card, or the same 'not found' for unknown and not-yours codes (the
    follower of a duplicate sees the original's status and dates)."""
    if request is not None and not await may_see(context, request):
        mine = await my_duplicate_of(context, request)
        if mine is not None:
            await send(update, context, follow_text(context, request, mine))
            return
    if request is None or not await may_see(context, request):
        await send(update, context, t("request.not_found"))
        return
    me = context.me()
    if request.resident_id != me.id:
        await send(update, context, await card_text(context, request, for_staff=True),
                   inline(await card_buttons(context, request)))
        return
    rows = resident_buttons(context, request)
    await send(update, context, await card_text(context, request, for_staff=False),
               inline(rows) if rows else None)


def resident_buttons(context: BotContext, request: Request) -> Rows:
    """What a resident may do with their own request from its state."""
    rid = request.id
    rows: Rows = []
    if request.is_open:
        rows.append([(t("case.add"), f"trk:add:{rid}"), (t("case.withdraw"), f"trk:wd:{rid}")])
    if request.status == "resolved" and request.solved is None:
        rows.append([(t("case.solved_yes"), f"trk:yes:{rid}"),
                     (t("case.solved_no"), f"trk:no:{rid}")])
    if can_reopen(context, request):
        rows.append([(t("request.reopen"), f"trk:reopen:{rid}")])
    if request.status == "duplicate" and request.duplicate_of:
        rows.append([(t("case.follow_button"), f"trk:orig:{rid}")])
    return rows


def can_reopen(context: BotContext, request: Request) -> bool:
    """Resolved within the configured number of days."""
    if request.status != "resolved" or request.resolved_at is None:
        return False
    resolved = datetime.fromisoformat(request.resolved_at)
    return (context.now() - resolved).days < context.services.settings.reopen_days


# ----- the resident's side ----------------------------------------------------------------


async def resident_button(update: Update, context: BotContext) -> None:
    """trk:ACTION:ID, on the resident's own requests only."""
    _, parts = button(update)
    number = number_in(parts[2])
    request = await store.by_id(context.db, number) if number is not None and not parts[
        3] else None
    me = context.me()
    if request is None or request.resident_id != me.id:
        await answer_once(update, context, t("request.not_found"), alert=True)
        return
    action = parts[1]
    code = shown_code(request.code)
    try:
        if action == "show":
            await answer_once(update, context)
            await show_request(update, context, request)
        elif action == "orig":
            original = (await store.by_code(context.db, request.duplicate_of)
                        if request.status == "duplicate" and request.duplicate_of else None)
            if original is None:
                await answer_once(update, context, t("request.not_found"), alert=True)
                return
            await answer_once(update, context)
            await send(update, context, follow_text(context, original, request))
        elif action == "reopen":
            changed = await store.reopen(
                context.db, request, resident_id=me.id,
                within_days=context.services.settings.reopen_days,
                notices=[*await staff_notices(context, request, "reopen", t(
                    "case.staff_reopened", code=code,
                    category=category_label(context, request.category),
                    hood=hood_of(request))),
                    *await follower_notices(context, request, "in_review")])
            await answer_once(update, context)
            await send(update, context, t("request.reopened", code=shown_code(changed.code)))
            await deliver_now(update, context)
        elif action in ("add", "no") and (request.is_open if action == "add"
                                          else request.status == "resolved"):
            name = "request_addition" if action == "add" else "request_not_solved"
            await begin(update, context, context.services.forms[name],
                        {"request_id": request.id, "version": request.version})
        elif action == "wd" and request.is_open:
            await answer_once(update, context)
            await send(update, context, t("case.withdraw_confirm", code=code), inline([[
                (t("case.withdraw_yes"), f"trk:wdy:{request.id}"),
                (t("case.withdraw_no"), f"trk:show:{request.id}")]]))
        elif action == "wdy":
            await store.withdraw(context.db, request, resident_id=me.id, notices=[
                *await staff_notices(context, request, "withdrawn",
                                     t("case.staff_withdrawn", code=code)),
                *await follower_notices(context, request, "withdrawn")])
            await answer_once(update, context)
            await send(update, context, t("case.withdrawn", code=code),
                       main_menu(me.effective_role))
            await deliver_now(update, context)
        elif action == "yes" and request.status == "resolved" and request.solved is None:
            await store.answer(context.db, request, resident_id=me.id, solved=True)
            await answer_once(update, context)
            await send(update, context, t("case.thanks_solved", code=code))
        elif action in ("yes", "no") and request.status == "resolved":
            await answer_once(update, context, t("case.answered"), alert=True)
        elif action in ("add", "wd", "yes", "no"):
            await answer_once(update, context, t("case.closed", status=t(
                f"status.{request.status}")), alert=True)
        else:
            await answer_once(update, context, t("access.stale_button"), alert=True)
    except Conflict as error:
        await answer_once(update, context, t("case.closed", status=t(
            f"status.{error.current.status}")), alert=True)


async def resident_action(update: Update, context: BotContext, form: FormDefinition,
                          draft: Draft, answers: dict[str, Any]) -> str:
    """Sink of the resident's addition and «not solved» forms."""
    await discard_draft(context.db, draft.id)
    me = context.me()
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    if request is None or request.resident_id != me.id:
        return t("request.not_found")
    code = shown_code(request.code)
    try:
        if form.name == "request_addition":
            note = answers.get("note")
            photos = [(p["file_id"], p["file_unique_id"]) for p in answers.get("photos") or []]
            if not note and not photos:
                return t("case.nothing_added", code=code)
            what = ("«" + short(note, 200) + "»" if note else "") + (
                (" + " if note else "") + t("case.staff_addition_photos", count=len(photos))
                if photos else "")
            await store.add_from_resident(
                context.db, request, resident_id=me.id, note=note, photos=photos,
                notices=await staff_notices(context, request, "addition", t(
                    "case.staff_addition", code=code, what=what)))
            return t("case.added", code=code)
        reason = answers["reason"]
        changed = await store.answer(
            context.db, request, resident_id=me.id, solved=False, reason=reason,
            notices=[*await staff_notices(context, request, "not_solved", t(
                "case.staff_not_solved", code=code, reason=short(reason, 300))),
                *await follower_notices(context, request, "in_review")])
        return t("case.not_solved_done", code=shown_code(changed.code))
    except Conflict as error:
        return t("case.closed", status=t(f"status.{error.current.status}"))


# ----- triage -----------------------------------------------------------------------------


async def staff_request(update: Update, context: BotContext, request_id: str) -> Request | None:
    """The request named by a button, if it is in the actor's scope (else refuse)."""
    number = number_in(request_id)
    request = await store.by_id(context.db, number) if number is not None else None
    if request is None or request.office_id not in await office_ids_in_scope(
            context, context.me()):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return None
    return request


async def card_buttons(context: BotContext, request: Request) -> Any:
    """The staff card's buttons, with «undo» while the actor may still take back a change."""
    me = context.me()
    can_undo = await store.undoable(context.db, request, me.id) is not None
    return staff_buttons(request, me, can_undo=can_undo)


async def refresh_card(update: Update, context: BotContext, request: Request,
                       note: str = "") -> None:
    """Show the request's current card in place of the tapped one."""
    text = await card_text(context, request, for_staff=True)
    await show(update, context, (note + "\n\n" if note else "") + text,
               inline(await card_buttons(context, request)))


async def conflict(update: Update, context: BotContext, error: Conflict) -> None:
    """Tell the second actor what happened and show the current state."""
    if update.callback_query is not None:
        await answer_once(update, context)
    if error.reason == "undo":
        text = t("case.undo_late", minutes=store.UNDO_MINUTES)
    elif error.reason == "changed":
        text = t("inbox.conflict")
    else:
        text = t("inbox.transition", status=t(f"status.{error.current.status}"))
    await refresh_card(update, context, error.current, text)


async def send_media(update: Update, context: BotContext, request: Request) -> None:
    """The resident's photos (by the messenger's file id) and location, to the staff member."""
    rows = await store.attachments(context.db, request.id)
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


async def inbox_button(update: Update, context: BotContext, parts: list[str]) -> None:
    """req:list, req:ls:… (a view), req:fs|fh|fc:… (choose a filter)."""
    action = parts[1]
    view = View() if action == "list" else View.parse([*parts[:5], "0"] if action != "ls"
                                                      else parts)
    if view is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    await answer_once(update, context)
    if action in ("fs", "fh", "fc"):
        text, rows = await filter_screen(context, action, view)
    else:
        text, rows = await inbox_screen(context, view)
    await show(update, context, text, inline(rows) if rows else None)


async def staff_button(update: Update, context: BotContext) -> None:
    """Every req: button."""
    _, parts = button(update, width=7)
    if parts[1] in ("list", "ls", "fs", "fh", "fc"):
        await inbox_button(update, context, parts)
        return
    parts = [p for p in parts if p]  # the version is the last non-empty part
    action = parts[1] if len(parts) > 1 else ""
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
    if action == "open":
        await answer_once(update, context)
        await send(update, context, await card_text(context, request, for_staff=True),
                   inline(await card_buttons(context, request)))
        return
    if action == "media":
        await send_media(update, context, request)
        return
    if number_in(parts[-1]) != request.version:
        await conflict(update, context, Conflict(request, "changed"))
        return
    try:
        done = await triage(update, context, request, action, parts)
    except Conflict as error:
        await conflict(update, context, error)
        return
    if done is None:
        return
    changed, note = done
    await answer_once(update, context)
    await refresh_card(update, context, changed, note)
    await deliver_now(update, context)


async def triage(update: Update, context: BotContext, request: Request, action: str,
                 parts: list[str]) -> tuple[Request, str] | None:
    """Apply one staff button; (the changed request, what was done), or None when it
    answered by itself (a form opened, a list of choices shown, a refusal)."""
    me, db = context.me(), context.db
    code = shown_code(request.code)
    forms = context.services.forms
    draft_context = {"request_id": request.id, "version": request.version}
    wanted = {"rej": "rejected", "dup": "duplicate", "st": parts[3] if len(parts) == 5 else ""}
    if action in wanted and wanted[action] not in store.TRANSITIONS[request.status]:
        raise Conflict(request, "transition")  # before asking for a note it cannot use
    if action == "take":
        return (await store.assign(db, request, actor_id=me.id),
                t("inbox.done_take", code=code))
    if action == "rel":
        return (await store.release(db, request, actor_id=me.id),
                t("case.released", code=code))
    if action == "undo":
        last = await store.undoable(db, request, me.id)
        followers = await follower_notices(context, request, last.old_status) if (
            last is not None and last.old_status) else []
        changed = await store.undo(
            db, request, actor_id=me.id,
            notices=lambda status: [resident_notice(request, t(
                "case.notice_undo", code=code, status=t(f"status.{status}"))), *followers])
        return changed, t("case.undone", code=code, status=t(f"status.{changed.status}"))
    if action == "st" and len(parts) == 5 and parts[3] == "resolved":
        await begin(update, context, forms["request_resolve"], draft_context)
        return None
    if action == "st" and len(parts) == 5:
        status = parts[3]
        changed = await store.change_status(
            db, request, status, actor_id=me.id,
            notices=await change_notices(context, request, status))
        return changed, t("inbox.done_status", code=code, status=t(f"status.{status}"))
    if action == "ref":
        await answer_once(update, context)
        rows = [[(a.name, f"req:to:{request.id}:{a.slug}:{request.version}")]
                for a in context.services.org.agencies]
        rows.append([(t("case.other_agency"),
                      f"req:to:{request.id}:{OTHER_AGENCY}:{request.version}")])
        rows.append([(t("inbox.back_to_card"), f"req:show:{request.id}")])
        await show(update, context, t("inbox.choose_agency"), inline(rows))
        return None
    if action == "to" and len(parts) == 5 and parts[3] == OTHER_AGENCY:
        await begin(update, context, forms["request_refer_other"], draft_context)
        return None
    if action == "to" and len(parts) == 5 and context.services.org.agency(parts[3]):
        return await refer(context, request, agency_name(context, parts[3])), t(
            "inbox.done_status", code=code, status=t("status.referred"))
    if action == "hand" and len(parts) == 4:
        await answer_once(update, context)
        colleagues = [(pid, name) for pid, _uid, name in
                      await store.staff_of_office(db, request.office_id) if pid != me.id]
        rows = [[(name, f"req:hto:{request.id}:{pid}:{request.version}")]
                for pid, name in colleagues]
        rows.append([(t("inbox.back_to_card"), f"req:show:{request.id}")])
        await show(update, context, t("case.choose_colleague", code=code) if colleagues
                   else t("case.no_colleague"), inline(rows))
        return None
    if action == "hto" and len(parts) == 5:
        target = number_in(parts[3])
        colleague = next((s for s in await store.staff_of_office(db, request.office_id)
                          if s[0] == target and s[0] != me.id), None)
        if colleague is None:
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return None
        text = t("case.staff_handover", name=me.display_name, code=code,
                 category=category_label(context, request.category), hood=hood_of(request))
        changed = await store.hand_over(
            db, request, actor_id=me.id, to_id=colleague[0],
            notices=await staff_notices(context, request, "handover", text, only=colleague[0]))
        return changed, t("case.handed", code=code, name=colleague[2])
    if action in ("rej", "dup", "not"):
        name = {"rej": "request_reject", "dup": "request_duplicate",
                "not": "request_note"}[action]
        await begin(update, context, forms[name], draft_context)
        return None
    await answer_once(update, context, t("access.stale_button"), alert=True)
    return None


async def refer(context: BotContext, request: Request, agency: str) -> Request:
    """Refer the request to an agency; the resident reads a sentence that names it."""
    referral = t("inbox.referred_to", agency=agency)
    return await store.change_status(
        context.db, request, "referred", actor_id=context.me().id, note=referral,
        notices=await change_notices(context, request, "referred",
                                     extra=t("case.notice_referred", agency=agency)))


async def request_action(update: Update, context: BotContext, form: FormDefinition,
                         draft: Draft, answers: dict[str, Any]) -> str:
    """Sink of the staff forms (resolve, reject, duplicate, note, refer to another agency):
    apply to the request they were for."""
    await discard_draft(context.db, draft.id)
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    me = context.me()
    if request is None or request.office_id not in await office_ids_in_scope(context, me):
        return t("access.not_yours")
    if request.version != draft.context.get("version"):
        return t("inbox.conflict") + "\n" + t(f"status.{request.status}")
    code = shown_code(request.code)
    db = context.db
    try:
        if form.name in ("request_reject", "request_resolve"):
            status = "rejected" if form.name == "request_reject" else "resolved"
            note = answers["reason" if status == "rejected" else "note"]
            await store.change_status(db, request, status, actor_id=me.id, note=note,
                                      notices=await change_notices(context, request, status,
                                                                   note))
            return t("inbox.done_status", code=code, status=t(f"status.{status}"))
        if form.name == "request_refer_other":
            await refer(context, request, answers["agency"].strip())
            return t("inbox.done_status", code=code, status=t("status.referred"))
        if form.name == "request_duplicate":
            original = await store.by_code(db, to_ascii_digits(answers["original"]))
            if original is None or not await may_see(context, original):
                return t("inbox.duplicate_unknown", code=answers["original"])
            if original.id == request.id:
                return t("inbox.duplicate_self")
            text = t("request.notice_status", code=code, status=t("status.duplicate"))
            text += "\n" + t("request.notice_duplicate", other=shown_code(original.code))
            await store.change_status(
                db, request, "duplicate", actor_id=me.id, duplicate_of=original.code,
                notices=[resident_notice(request, text, [[
                    (t("case.follow_button"), f"trk:orig:{request.id}")]])])
            return t("inbox.done_status", code=code, status=t("status.duplicate"))
        note, public = answers["note"], bool(answers["public"])
        notice = resident_notice(request, t("case.notice_note", code=code, note=note))
        await store.add_note(db, request, note, public=public, actor_id=me.id,
                             notices=[notice])
        return t("inbox.done_note_public" if public else "inbox.done_note_internal", code=code)
    except Conflict as error:
        return t("inbox.conflict") + "\n" + t(f"status.{error.current.status}")


async def card_again(update: Update, context: BotContext, draft: Draft, done: bool) -> None:
    """After a staff form is confirmed or cancelled: the request's card again, and the owed
    notices delivered."""
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    if request is not None and request.office_id in await office_ids_in_scope(
            context, context.me()):
        await send(update, context, await card_text(context, request, for_staff=True),
                   inline(await card_buttons(context, request)))
    if done:
        await deliver_now(update, context)


async def after_resident_form(update: Update, context: BotContext, draft: Draft,
                              done: bool) -> None:
    """After a resident's filing or addition: the office's notices go out."""
    if done:
        await deliver_now(update, context)


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


def form_hooks(services: Services) -> FormHooks:
    """What requests add to the forms: the resident's request, the staff's actions and the
    resident's additions as sinks, what follows each, the resident's limits, the emergency
    number after a category, a pasted tracking code, and the receipt of a filed request."""
    return FormHooks(
        sinks={"request": file_request, "request_action": request_action,
               "request_resident": resident_action},
        afters={"request": after_resident_form, "request_resident": after_resident_form,
                "request_action": card_again},
        guards={"resident_request": limits_guard},
        answer_notes={"resident_request": emergency_note},
        receipts=[filed_again], text_fallbacks=[pasted_code])


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
