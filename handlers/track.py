"""The resident's side of a request: /track (their requests, or one by its tracking code,
also when pasted on its own), and the buttons under it (`trk:ACTION:ID`, on their own
requests only): add a detail or photo, withdraw, answer «was it solved?», reopen, follow
the original of a duplicate; and the sink of the addition and «not solved» forms. The
changes and whom they tell are `bot.cases`'."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot import access, cases
from bot.callbacks import Area, decode, encode, tap
from bot.cases import NotAllowed, category_label, shown_code
from bot.forms.model import FormDefinition, is_voice
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import resident_status, t
from handlers.card import card_text, day_of, deliver_now
from handlers.context import BotContext, answer_once, inline, send
from handlers.forms import begin
from handlers.menu import menu_for
from handlers.triage import send_card
from storage import requests as store
from storage.drafts import Draft, discard_draft
from storage.requests import Conflict, Request

Rows = list[list[tuple[str, str]]]


def _data(action: str, request: Request) -> str:
    return encode(tap(Area.RESIDENT, action, request=request.id))


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
        await send(update, context, t("request.none"), menu_for(context))
        return
    lines = [t("request.list_title")]
    rows = []
    for request in mine:
        lines.append(t("request.list_line", code=shown_code(request.code),
                       category=category_label(context.services, request.category),
                       status=t(f"status.{request.status}"),
                       date=day_of(context, request.created_at)))
        public = [e for e in await store.events(context.db, request.id, public_only=True)
                  if e.note and e.actor_id != request.resident_id]
        if public:
            lines.append(t("request.latest_note", note=public[-1].note))
        rows.append([(t("request.details", code=shown_code(request.code)),
                      _data("show", request))])
    await send(update, context, "\n".join(lines), inline(rows))


async def my_duplicate_of(context: BotContext, original: Request) -> Request | None:
    """The person's own request marked a duplicate of `original`, if any."""
    return next((f for f in await store.followers(context.db, original.code)
                 if f.resident_id == context.me().id), None)


def follow_text(context: BotContext, original: Request, mine: Request) -> str:
    """The original of a duplicate as its follower sees it: status and dates only."""
    return t("case.follow_card", code=shown_code(original.code),
             status=t(f"status.{original.status}"), date=day_of(context, original.created_at),
             updated=day_of(context, original.updated_at), mine=shown_code(mine.code))


async def show_request(update: Update, context: BotContext, request: Request | None,
                       note: str = "") -> None:
    """One request's card (below `note`), or the same 'not found' for unknown and not-yours
    codes (the follower of a duplicate sees the original's status and dates)."""
    me = context.me()
    visible = request is not None and await access.may_see_request(context.db, me, request)
    if request is not None and not visible:
        mine = await my_duplicate_of(context, request)
        if mine is not None:
            await send(update, context, follow_text(context, request, mine))
            return
    if request is None or not visible:
        await send(update, context, t("request.not_found"))
        return
    if request.resident_id != me.id:
        await send_card(update, context, request)
        return
    rows = resident_buttons(context, request)
    text = await card_text(context, request, for_staff=False)
    await send(update, context, (note + "\n\n" if note else "") + text,
               inline(rows) if rows else None)


async def stale(update: Update, context: BotContext, request: Request) -> None:
    """A button about a state the request has left (an old «was it solved?» after an undone
    resolution, a withdrawal of a closed one): what it is now, and what can be done."""
    code = shown_code(request.code)
    status = resident_status(request.status)
    if request.is_open:
        note = t("case_loop.stale_open", code=code, status=status)
    elif request.status == "resolved" and request.solved == "yes" and not cases.can_reopen(
            context.services, request):
        note = t("case_loop.stale_closed_new", code=code, status=status)
    elif request.status == "resolved" or request.status == "duplicate":
        note = t("case_loop.stale_closed", code=code, status=status)
    else:
        note = t("case_loop.stale_closed_new", code=code, status=status)
    await answer_once(update, context)
    await show_request(update, context, request, note)


def resident_buttons(context: BotContext, request: Request) -> Rows:
    """What a resident may do with their own request from its state."""
    rows: Rows = []
    if request.is_open:
        rows.append([(t("case.add"), _data("add", request)),
                     (t("case.withdraw"), _data("wd", request))])
    if request.status == "resolved" and request.solved is None:
        rows += cases.solved_buttons(request.id)
    elif cases.can_reopen(context.services, request):  # one «not solved», with its reason
        rows.append([(t("case.solved_no"), _data("no", request))])
    if request.status == "duplicate" and request.duplicate_of:
        rows += cases.follow_button(request.id)
    return rows


async def resident_button(update: Update, context: BotContext) -> None:
    """trk:ACTION:ID, on the resident's own requests only."""
    pressed = decode(update.callback_query.data if update.callback_query else None)
    number = pressed.number("request") if pressed is not None else None
    request = await store.by_id(context.db, number) if number is not None else None
    me = context.me()
    if pressed is None or request is None or request.resident_id != me.id:
        await answer_once(update, context, t("request.not_found"), alert=True)
        return
    try:
        await _resident_tap(update, context, request, pressed.action)
    except Conflict as error:
        await stale(update, context, error.current)


async def _resident_tap(update: Update, context: BotContext, request: Request,
                        action: str) -> None:
    me, services = context.me(), context.services
    code = shown_code(request.code)
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
        changed = (await cases.reopen(services, me, request)).request
        await answer_once(update, context)
        await send(update, context, t("request.reopened", code=shown_code(changed.code)))
        await deliver_now(update, context)
    elif action in ("add", "no", "reply") and (
            request.is_open if action == "add" else request.status == "resolved"
            if action == "no" else cases.may_reply(request)):
        name = "request_not_solved" if action == "no" else "request_addition"
        await begin(update, context, services.forms[name],
                    {"request_id": request.id, "version": request.version})
    elif action == "wd" and request.is_open:
        await answer_once(update, context)
        await send(update, context, t("case.withdraw_confirm", code=code), inline([[
            (t("case.withdraw_yes"), _data("wdy", request)),
            (t("case.withdraw_no"), _data("show", request))]]))
    elif action == "wdy":
        await cases.withdraw(services, me, request)
        await answer_once(update, context)
        await send(update, context, t("case.withdrawn", code=code),
                   menu_for(context))
        await deliver_now(update, context)
    elif action == "yes" and request.status == "resolved" and request.solved is None:
        await cases.answer(services, me, request, solved=True)
        await answer_once(update, context)
        await send(update, context, t("case.thanks_solved", code=code))
    elif action in ("yes", "no") and request.status == "resolved":
        await answer_once(update, context, t("case.answered"), alert=True)
    else:  # add, wd, yes, no, reply on a request whose state moved
        await stale(update, context, request)


async def resident_action(update: Update, context: BotContext, form: FormDefinition,
                          draft: Draft, answers: dict[str, Any]) -> str:
    """Sink of the resident's addition and «not solved» forms."""
    await discard_draft(context.db, draft.id)
    me = context.me()
    request = await store.by_id(context.db, int(draft.context.get("request_id", 0)))
    if request is None or request.resident_id != me.id:
        return t("request.not_found")
    code = shown_code(request.code)
    note, photos, voices = split_media(answers.get("note"), answers.get("photos"))
    try:
        if form.name == "request_addition":
            await cases.add(context.services, me, request, note=note, photos=photos,
                            voices=voices)
            return t("case.added", code=code)
        reason, _, said = split_media(answers.get("reason"), None)
        changed = (await cases.answer(context.services, me, request, solved=False,
                                      reason=reason, voices=said)).request
        return t("case.not_solved_done", code=shown_code(changed.code))
    except NotAllowed:
        return t("case.nothing_added", code=code)
    except Conflict as error:
        return t("case.closed", status=t(f"status.{error.current.status}"))


def split_media(text: Any, items: Any) -> tuple[str | None, list[tuple[str, str]],
                                                list[tuple[str, str]]]:
    """A text answer (typed, or a voice note) and a photos answer (photos and voice notes)
    as (text, photos, voice notes), each file as (file id, unique id)."""
    photos: list[tuple[str, str]] = []
    voices: list[tuple[str, str]] = []
    if is_voice(text):
        voices.append((text["voice"], text.get("file_unique_id", "")))
        text = None
    for item in items or []:
        pair = (item["file_id"], item.get("file_unique_id", ""))
        (voices if item.get("kind") == "voice" else photos).append(pair)
    return (str(text) if text else None), photos, voices


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
