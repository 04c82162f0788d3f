"""A resident answers the office: what they say outside any form while they have requests.

- a tracking code inside a sentence («کد ۱۲۳۴-۵۶۷۸ چی شد؟»): that request's card;
- a question about the status («درخواستم چی شد؟», «هنوز آب نداریم»): the status of their
  open requests (or of the latest), and a button to add the message to an open one;
- anything else (text, voice, photo) while a request is open: the offer to add it to that
  request, naming its code, before the offer of a new request (`trk:rpl:ID`; «درخواست
  تازه» is the start module's offer, fed with the same message).

The message waits in the user's data under the start module's offer key, so «new request»
and «add to the request» take the same thing. The staff are told by `bot.cases.add`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from bot import cases, replies
from bot.callbacks import Area, decode, encode, tap
from bot.cases import NotAllowed, category_label, shown_code
from bot.forms import model
from bot.forms.model import Accepted
from bot.locale.text import resident_status, t
from handlers.card import deliver_now
from handlers.context import BotContext, answer_once, inline, send
from handlers.forms import forms_of, mark_answered, voice_of
from handlers.start import OFFER_KEY, OFFER_MINUTES, is_greeting, is_thanks
from handlers.track import show_request
from storage import requests as store
from storage.requests import Conflict, Request

Rows = list[list[tuple[str, str]]]
MAX_OFFERED = 3  # open requests named in one offer
OFFER_DAYS = 1  # an offer tapped later than this is gone


def _data(action: str, request: Request) -> str:
    return encode(tap(Area.RESIDENT, action, request=request.id))


async def resident_reply(update: Update, context: BotContext) -> bool:
    """The text fallback: a resident's message about their requests (True: answered)."""
    message = update.message
    if message is None or context.me().effective_role != "resident":
        return False
    text = message.text or message.caption or ""
    if message.text and (is_greeting(text) or is_thanks(text)):
        return False
    if not (message.text or message.voice or message.photo):
        return False
    code = replies.code_in(text) if text else None
    if code is not None:
        request = await store.by_code(context.db, code)
        if request is not None or replies.asks_status(text) or len(text) < 40:
            await show_request(update, context, request)
            return True
    mine = await store.for_resident(context.db, context.me().id)
    open_ones = [r for r in mine if r.is_open][:MAX_OFFERED]
    if text and replies.asks_status(text) and mine:
        keep(context, update)
        await send(update, context, status_text(context, open_ones or mine[:1]),
                   inline(add_rows(open_ones)) if open_ones else None)
        return True
    if not open_ones:
        return False
    keep(context, update)
    await send(update, context, offer_text(context, open_ones), inline([
        *add_rows(open_ones),
        [(t("case_loop.offer_new"), encode(tap(Area.FORM, "new"))),
         (t("case_loop.offer_neither"), encode(tap(Area.FORM, "nonew")))]]))
    return True


def add_rows(requests: list[Request]) -> Rows:
    """«Add to CODE» under an offer, one row per open request."""
    return [[(t("case_loop.offer_add_button", code=shown_code(r.code)), _data("rpl", r))]
            for r in requests]


def status_text(context: BotContext, requests: list[Request]) -> str:
    """The status of these requests, each with its category and the office's latest note."""
    lines = [t("case_loop.status_title")]
    for request in requests:
        lines.append(t("case_loop.status_line", code=shown_code(request.code),
                       category=category_label(context.services, request.category),
                       status=resident_status(request.status)))
    if any(r.is_open for r in requests):
        lines.append(t("case_loop.status_add_hint"))
    return "\n".join(lines)


def offer_text(context: BotContext, requests: list[Request]) -> str:
    """The offer to add the message to an open request (naming it) or start a new one."""
    first = requests[0]
    key = "case_loop.offer_one" if len(requests) == 1 else "case_loop.offer_many"
    return t(key, code=shown_code(first.code),
             category=category_label(context.services, first.category),
             status=resident_status(first.status), count=len(requests))


def keep(context: BotContext, update: Update) -> None:
    """Keep the message under the offer key: its text as typed (`notes`), as a request's
    description if it would be one (`texts`), and its photo or voice note (`items`)."""
    message = update.message
    if message is None or context.user_data is None:
        return
    now = context.now()
    offer: dict[str, Any] | None = context.user_data.get(OFFER_KEY)
    if offer is None or now - offer["at"] > timedelta(minutes=OFFER_MINUTES):
        offer = context.user_data[OFFER_KEY] = {"texts": [], "items": [], "at": now}
    offer["at"] = now
    text = message.text or message.caption or ""
    if text:
        offer.setdefault("notes", []).append(text)
        form = forms_of(context).get("resident_request")
        question = form.question("description") if form is not None else None
        if question is not None:
            judged = model.accept_text(question, text, choices=[], today=context.today())
            if isinstance(judged, Accepted):
                offer["texts"].append(judged.value)
    if message.voice:
        file_id, unique_id, seconds = voice_of(message)
        offer["items"].append({"kind": "voice", "file_id": file_id,
                               "file_unique_id": unique_id, "duration": seconds})
    if message.photo:
        biggest = message.photo[-1]
        offer["items"].append({"file_id": biggest.file_id,
                               "file_unique_id": biggest.file_unique_id})


async def add_offered(update: Update, context: BotContext) -> None:
    """trk:rpl:ID: the message kept under the offer, added to the resident's request."""
    pressed = decode(update.callback_query.data if update.callback_query else None)
    number = pressed.number("request") if pressed is not None else None
    request = await store.by_id(context.db, number) if number is not None else None
    me = context.me()
    if request is None or request.resident_id != me.id:
        await answer_once(update, context, t("request.not_found"), alert=True)
        return
    offer = context.user_data.pop(OFFER_KEY, None) if context.user_data is not None else None
    if offer is None or context.now() - offer["at"] > timedelta(days=OFFER_DAYS):
        await answer_once(update, context, t("case_loop.offer_gone"), alert=True)
        return
    note = "\n".join(str(n) for n in offer.get("notes", []))[:1500] or None
    items = [i for i in offer.get("items", []) if isinstance(i, dict)]
    photos = [(i["file_id"], i["file_unique_id"]) for i in items if i.get("kind") != "voice"]
    voices = [(i["file_id"], i["file_unique_id"]) for i in items if i.get("kind") == "voice"]
    code = shown_code(request.code)
    try:
        await cases.add(context.services, me, request, note=note, photos=photos,
                        voices=voices)
    except (NotAllowed, Conflict):
        await answer_once(update, context)
        await send(update, context, t("case_loop.reply_closed", code=code,
                                      status=resident_status(request.status)))
        return
    await answer_once(update, context)
    await mark_answered(update, context, t("case_loop.offer_add_button", code=code))
    await send(update, context, t("case.added", code=code))
    await deliver_now(update, context)
