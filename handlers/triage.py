"""The staff's request card and its buttons: take, release, hand over, move through the
statuses, refer to an agency, resolve and reject with a public note, mark a duplicate, add
a note, undo a slip; and the sink of the staff's one-question forms.

Every card button names a request and the version the staff member saw
(`req:ACTION:ID[:ARG]:VERSION`, read through `bot.callbacks`). The request is loaded and
checked against the actor's scope (`bot.access`) on every tap, and the change is made by
`bot.cases` (compare-and-set on the version: of two staff acting at once only one wins, the
other is shown what happened). `req:open:ID`, under a notice, sends the card as a new
message where `req:show:ID` edits the tapped one.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import access, cases
from bot.callbacks import Area, Tap, decode, encode, tap
from bot.cases import OTHER_AGENCY, NotAllowed, shown_code
from bot.forms.model import FormDefinition
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import t
from handlers.card import card_text, deliver_now
from handlers.context import BotContext, answer_once, inline, send, show
from handlers.forms import begin
from handlers.inbox import inbox_button, list_data
from storage import offices
from storage import requests as store
from storage.drafts import Draft, discard_draft
from storage.people import Person
from storage.requests import Conflict, Request

Rows = list[list[tuple[str, str]]]
INBOX_ACTIONS = ("list", "ls", "fs", "fh", "fc")
FORM_OF = {"rej": "request_reject", "dup": "request_duplicate", "not": "request_note"}
MOVES = ("mv", "mvk", "mvc", "mvh", "mvo")


def _data(action: str, request: Request, **fields: object) -> str:
    """A card button's data, stamped with the version the actor sees."""
    values: dict[str, object] = {"request": request.id, **fields, "version": request.version}
    return encode(Tap(Area.STAFF, action, {name: str(v) for name, v in values.items()}))


def staff_buttons(request: Request, me: Person, *, can_undo: bool = False) -> Rows:
    """The actions allowed from the request's state, stamped with its version."""
    rows: Rows = []
    first: list[tuple[str, str]] = []
    if request.is_open and request.assignee_id != me.id:
        first.append((t("inbox.take"), _data("take", request)))
    if request.is_open and request.assignee_id == me.id:
        first.append((t("case.release"), _data("rel", request)))
    if request.is_open:
        first.append((t("case.hand"), _data("hand", request)))
    if first:
        rows.append(first)
    moves = store.TRANSITIONS[request.status]
    row = [(t(f"inbox.to_{s}"), _data("st", request, status=s))
           for s in ("in_review", "resolved") if s in moves]
    if "referred" in moves:
        row.append((t("inbox.to_referred"), _data("ref", request)))
    if row:
        rows.append(row)
    extra = [(t(f"inbox.to_{s}"), _data(s[:3], request)) for s in ("rejected", "duplicate")
             if s in moves]
    rows.append([*extra, (t("inbox.note"), _data("not", request))])
    rows.append([(t("case_loop.move"), _data("mv", request))])
    if can_undo:
        rows.append([(t("case.undo"), _data("undo", request))])
    rows.append([(t("inbox.media"), encode(tap(Area.STAFF, "media", request=request.id))),
                 (t("inbox.back"), list_data())])
    return rows


def back_to_card(request: Request) -> list[tuple[str, str]]:
    """The «back to the card» row."""
    return [(t("inbox.back_to_card"), encode(tap(Area.STAFF, "show", request=request.id)))]


async def card_buttons(context: BotContext, request: Request) -> InlineKeyboardMarkup:
    """The staff card's buttons, with «undo» while the actor may still take back a change."""
    me = context.me()
    if not await access.may_act_on_request(context.db, me, request):  # moved away
        return inline([[(t("inbox.back"), list_data())]])
    return inline(staff_buttons(request, me, can_undo=await cases.may_undo(
        context.services, me, request)))


async def send_card(update: Update, context: BotContext, request: Request) -> None:
    """The staff card as a new message."""
    await send(update, context, await card_text(context, request, for_staff=True),
               await card_buttons(context, request))


async def refresh_card(update: Update, context: BotContext, request: Request,
                       note: str = "") -> None:
    """Show the request's current card in place of the tapped one."""
    text = await card_text(context, request, for_staff=True)
    await show(update, context, (note + "\n\n" if note else "") + text,
               await card_buttons(context, request))


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
    chat_id, caption = context.me().user_id, shown_code(request.code)
    for row in rows:
        if row["kind"] == "photo":
            await context.bot.send_photo(chat_id=chat_id, photo=row["file_id"], caption=caption)
        elif row["kind"] == "voice":
            await context.bot.send_voice(chat_id=chat_id, voice=row["file_id"], caption=caption)
        elif row["kind"] == "location":
            await context.bot.send_location(chat_id=chat_id, latitude=row["latitude"],
                                            longitude=row["longitude"])


async def staff_request(update: Update, context: BotContext, pressed: Tap) -> Request | None:
    """The request named by a button, if the actor may act on it (else refuse)."""
    number = pressed.number("request")
    request = await store.by_id(context.db, number) if number is not None else None
    if request is None or not await access.may_act_on_request(context.db, context.me(),
                                                              request):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return None
    return request


async def staff_button(update: Update, context: BotContext) -> None:
    """Every req: button."""
    pressed = decode(update.callback_query.data if update.callback_query else None)
    if pressed is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    if pressed.action in INBOX_ACTIONS:
        await inbox_button(update, context, pressed)
        return
    request = await staff_request(update, context, pressed)
    if request is None:
        return
    if pressed.action in ("show", "open"):
        await answer_once(update, context)
        if pressed.action == "show":
            await refresh_card(update, context, request)
        else:
            await send_card(update, context, request)
        return
    if pressed.action == "media":
        await send_media(update, context, request)
        return
    if pressed.number("version") != request.version:
        await conflict(update, context, Conflict(request, "changed"))
        return
    try:
        done = await triage(update, context, request, pressed)
    except Conflict as error:
        await conflict(update, context, error)
        return
    except NotAllowed:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    if done is None:
        return
    changed, note = done
    await answer_once(update, context)
    await refresh_card(update, context, changed, note)
    await deliver_now(update, context)


async def triage(update: Update, context: BotContext, request: Request,
                 pressed: Tap) -> tuple[Request, str] | None:
    """Apply one staff button; (the changed request, what was done), or None when it
    answered by itself (a form opened, a list of choices shown)."""
    me, services, action = context.me(), context.services, pressed.action
    code = shown_code(request.code)
    draft_context = {"request_id": request.id, "version": request.version}
    wanted = {"rej": "rejected", "dup": "duplicate", "st": pressed.text("status")}
    if action in wanted and wanted[action] not in store.TRANSITIONS[request.status]:
        raise Conflict(request, "transition")  # before asking for a note it cannot use
    if action == "take":
        return (await cases.take(services, me, request)).request, t("inbox.done_take", code=code)
    if action == "rel":
        return (await cases.release(services, me, request)).request, t("case.released",
                                                                         code=code)
    if action == "undo":
        changed = (await cases.undo(services, me, request)).request
        return changed, t("case.undone", code=code, status=t(f"status.{changed.status}"))
    if action == "st" and pressed.text("status") == "resolved":
        await begin(update, context, services.forms["request_resolve"], draft_context)
        return None
    if action == "st":
        status = pressed.text("status")
        changed = (await cases.move(services, me, request, status)).request
        return changed, t("inbox.done_status", code=code, status=t(f"status.{status}"))
    if action == "ref":
        await answer_once(update, context)
        rows = [[(a.name, _data("to", request, agency=a.slug))] for a in services.org.agencies]
        rows.append([(t("case.other_agency"), _data("to", request, agency=OTHER_AGENCY))])
        rows.append(back_to_card(request))
        await show(update, context, t("inbox.choose_agency"), inline(rows))
        return None
    if action == "to" and pressed.text("agency") == OTHER_AGENCY:
        await begin(update, context, services.forms["request_refer_other"], draft_context)
        return None
    if action == "to":
        changed = (await cases.refer(services, me, request, pressed.text("agency"))).request
        return changed, t("inbox.done_status", code=code, status=t("status.referred"))
    if action == "hand":
        await answer_once(update, context)
        colleagues = await cases.colleagues(services, me, request)
        rows = [[(name, _data("hto", request, person=pid))] for pid, name in colleagues]
        rows.append(back_to_card(request))
        await show(update, context, t("case.choose_colleague", code=code) if colleagues
                   else t("case.no_colleague"), inline(rows))
        return None
    if action in MOVES:
        return await relocate(update, context, request, pressed)
    if action == "hto":
        changed = (await cases.hand_over(services, me, request,
                                         pressed.number("person") or 0)).request
        return changed, t("case.handed", code=code, name=changed.assignee_name or "")
    await begin(update, context, services.forms[FORM_OF[action]], draft_context)
    return None


async def relocate(update: Update, context: BotContext, request: Request,
                   pressed: Tap) -> tuple[Request, str] | None:
    """«Change category, neighbourhood or office»: what to change, its choices, the change."""
    services, action, code = context.services, pressed.action, shown_code(request.code)
    if action in ("mvc", "mvh", "mvo"):
        changed = (await cases.relocate(
            services, context.me(), request,
            category=pressed.text("category") if action == "mvc" else None,
            hood_id=pressed.number("hood") if action == "mvh" else None,
            office_id=pressed.number("office") if action == "mvo" else None)).request
        if changed.office_id != request.office_id:
            return changed, t("case_loop.moved_away", code=code, office=changed.office_name)
        trail = await store.events(context.db, changed.id, public_only=True)
        return changed, t("case_loop.moved", code=code, what=trail[-1].note or "")
    await answer_once(update, context)
    kind = pressed.text("kind") if action == "mvk" else ""
    if kind == "c":
        rows = [[(label, _data("mvc", request, category=value))]
                for value, label in cases.category_labels(services).items()
                if value != request.category]
        text = t("case_loop.move_choose_category", code=code)
    elif kind == "h":
        rows = [[(h.name, _data("mvh", request, hood=h.id))]
                for h in await offices.neighbourhoods_of(context.db, request.office_id)
                if h.id != request.neighbourhood_id]
        text = t("case_loop.move_choose_hood", code=code)
    elif kind == "o":
        current = await offices.office_by_id(context.db, request.office_id)
        rows = [[(o.name, _data("mvo", request, office=o.id))]
                for o in (await offices.offices_in_province(context.db, current.province_id)
                          if current else []) if o.id != request.office_id]
        text = t("case_loop.move_choose_office", code=code) if rows else t(
            "case_loop.move_no_office")
    else:
        rows = [[(t(f"case_loop.move_{k}"), _data("mvk", request, kind=k[0]))
                 for k in ("category", "hood", "office")]]
        text = t("case_loop.move_what", code=code, category=cases.category_label(
            services, request.category), hood=cases.hood_of(request),
            office=request.office_name)
    rows.append(back_to_card(request))
    await show(update, context, text, inline(rows))
    return None


async def request_action(update: Update, context: BotContext, form: FormDefinition,
                         draft: Draft, answers: dict[str, Any]) -> str:
    """Sink of the staff forms (resolve, reject, duplicate, note, refer to another agency):
    apply to the request they were for."""
    await discard_draft(context.db, draft.id)
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    me, services = context.me(), context.services
    if request is None or not await access.may_act_on_request(context.db, me, request):
        return t("access.not_yours")
    if request.version != draft.context.get("version"):
        return t("inbox.conflict") + "\n" + t(f"status.{request.status}")
    code = shown_code(request.code)
    original: Request | None = None
    try:
        if form.name == "request_resolve":
            await cases.resolve(services, me, request, answers["note"])
            return t("inbox.done_status", code=code, status=t("status.resolved"))
        if form.name == "request_reject":
            await cases.reject(services, me, request, answers["reason"])
            return t("inbox.done_status", code=code, status=t("status.rejected"))
        if form.name == "request_refer_other":
            await cases.refer(services, me, request, OTHER_AGENCY, name=answers["agency"])
            return t("inbox.done_status", code=code, status=t("status.referred"))
        if form.name == "request_duplicate":
            original = await store.by_code(context.db, to_ascii_digits(answers["original"]))
            if original is not None and original.status == "duplicate" and \
                    original.duplicate_of:  # a duplicate's resident follows the first one
                original = await store.by_code(context.db, original.duplicate_of) or original
            await cases.duplicate(services, me, request, original)
            return t("inbox.done_status", code=code, status=t("status.duplicate"))
        public = bool(answers["public"])
        await cases.note(services, me, request, answers["note"], public=public)
        return t("inbox.done_note_public" if public else "inbox.done_note_internal", code=code)
    except NotAllowed as refusal:
        if refusal.reason == "self":
            return t("inbox.duplicate_self")
        if refusal.reason == "closed" and original is not None:
            return t("case_loop.duplicate_closed", code=shown_code(original.code),
                     status=t(f"status.{original.status}"))
        return t("inbox.duplicate_unknown", code=answers.get("original", ""))
    except Conflict as error:
        return t("inbox.conflict") + "\n" + t(f"status.{error.current.status}")


async def card_again(update: Update, context: BotContext, draft: Draft, done: bool) -> None:
    """After a staff form is confirmed or cancelled: the request's card again, and the owed
    notices delivered."""
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    if request is not None and await access.may_act_on_request(context.db, context.me(),
                                                                request):
        await send_card(update, context, request)
    if done:
        await deliver_now(update, context)
