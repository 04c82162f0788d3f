"""An agency's focal point in the chat (issue 22): «ارجاع‌ها» (the referrals to their agency
in their scope), a referral's card, its photos and place, and the answers: «دریافت شد» at
once; «در دست اقدام» (a promised date), «انجام شد» (a note, photos), «مربوط به ما نیست»
(a reason), «اطلاعات بیشتر لازم است» (a question) through one-question forms whose sink,
`agency_answer`, also takes what the office records by hand (`handlers.referral_card`).

Every button names a referral (and the version it showed); the referral is loaded and
checked (`bot.access.may_answer_referral`) on every tap. The first focal point to answer
takes it; a second one is shown who did (`bot.agencies.conflict_text`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import access, agencies, agency_loop
from bot.callbacks import Area, Tap, decode, encode, tap
from bot.cases import category_label
from bot.forms.model import FormDefinition
from bot.locale.text import t
from bot.services import Services
from handlers.card import deliver_now
from handlers.context import BotContext, answer_once, inline, send, show
from handlers.form_hooks import FormHooks
from handlers.forms import begin
from storage import referrals
from storage import requests as store
from storage.drafts import Draft, discard_draft
from storage.privacy import log_look
from storage.referrals import Referral, ReferralConflict

FORM_OF = {"prog": "agency_progress", "done": "agency_done", "no": "agency_not_ours",
           "ask": "agency_more_info"}


async def referral_list(update: Update, context: BotContext) -> None:
    """«ارجاع‌ها»: the open referrals to the focal point's agency in their scope."""
    me = context.me()
    offices = (await access.agency_scope(context.db, me)).office_ids
    found = await referrals.of_agency(context.db, me.agency or "", sorted(offices))
    if not found:
        await send(update, context, t("agency_loop.list_empty"))
        return
    rows = [[(t("agency_loop.list_item", code=agencies.shown_code(r.request_code),
                state=agencies.state_name(r.state)),
              encode(tap(Area.AGENCY, "show", referral=r.id)))] for r in found]
    await send(update, context, t("agency_loop.list_title", count=len(found)), inline(rows))


async def card(context: BotContext, referral: Referral) -> str:
    """The referral's card as the focal point reads it now."""
    request = await store.by_id(context.db, referral.request_id)
    assert request is not None
    services = context.services
    sensitive = services.org.is_sensitive(request.category)
    if agencies.card_shows_phone(referral, request, sensitive=sensitive):  # a recorded look
        await log_look(context.db, person_id=context.me().id, kind="phone", through="agency",
                       request_id=request.id)
    return agency_loop.card_for_agency(services, referral, request,
                                       category_label(services, request.category))


async def show_card(update: Update, context: BotContext, referral: Referral,
                    note: str = "") -> None:
    """The card with its current buttons, in place of the tapped message."""
    text = (note + "\n\n" if note else "") + await card(context, referral)
    await show(update, context, text, inline(agency_loop.card_rows(referral)))


async def my_referral(update: Update, context: BotContext, pressed: Tap) -> Referral | None:
    """The referral a button names, if this focal point may answer it (else refuse)."""
    number = pressed.number("referral")
    referral = await referrals.get(context.db, number) if number is not None else None
    if referral is None or not await access.may_answer_referral(context.db, context.me(),
                                                                referral):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return None
    return referral


async def agency_button(update: Update, context: BotContext) -> None:
    """Every agy: button."""
    pressed = decode(update.callback_query.data if update.callback_query else None)
    if pressed is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    if pressed.action == "list":
        await answer_once(update, context)
        await referral_list(update, context)
        return
    referral = await my_referral(update, context, pressed)
    if referral is None:
        return
    if pressed.action == "media":
        await send_media(update, context, referral)
        return
    if pressed.action != "show" and pressed.number("version") != referral.version:
        await conflict(update, context, await _stale(context, referral))
        return
    await answer_once(update, context)
    if pressed.action == "show":
        await show_card(update, context, referral)
    elif pressed.action == "ack":
        await acknowledge(update, context, referral)
    else:
        await begin(update, context, context.services.forms[FORM_OF[pressed.action]],
                    {"referral_id": referral.id, "version": referral.version,
                     "kind": agency_loop.ACTION_KIND[pressed.action], "by_hand": False})


async def _stale(context: BotContext, referral: Referral) -> ReferralConflict:
    taken = referral.taken_by is not None and referral.taken_by != context.me().id
    return ReferralConflict(referral, "taken" if taken else "changed")


async def conflict(update: Update, context: BotContext, error: ReferralConflict) -> None:
    """Another focal point answered first, or the referral moved on: say so, show it now."""
    await answer_once(update, context)
    await show_card(update, context, error.current, agencies.conflict_text(error))


async def acknowledge(update: Update, context: BotContext, referral: Referral) -> None:
    """«دریافت شد»: at once."""
    try:
        fresh = await agency_loop.answer(context.services, context.me(), referral,
                                         "acknowledged")
    except ReferralConflict as error:
        await conflict(update, context, error)
        return
    await show_card(update, context, fresh, t("agency_loop.done_ack"))
    await deliver_now(update, context)


async def send_media(update: Update, context: BotContext, referral: Referral) -> None:
    """The resident's photos and place (not of a sensitive category)."""
    request = await store.by_id(context.db, referral.request_id)
    rows = await store.attachments(context.db, referral.request_id) if request else []
    if request is None or not access.sees_details(context.me(), request, context.services.org,
                                                  through="agency"):
        rows = []
    if not rows:
        await answer_once(update, context, t("agency_loop.no_media"), alert=True)
        return
    await answer_once(update, context)
    chat_id, caption = context.me().user_id, agencies.shown_code(referral.request_code)
    for row in rows:
        if row["kind"] == "photo":
            await context.bot.send_photo(chat_id=chat_id, photo=row["file_id"], caption=caption)
        elif row["kind"] == "location":
            await context.bot.send_location(chat_id=chat_id, latitude=row["latitude"],
                                            longitude=row["longitude"])


# ----- the forms' sink: a focal point's answer, or the office's by-hand record -------------


async def agency_answer(update: Update, context: BotContext, form: FormDefinition,
                        draft: Draft, answers: dict[str, Any]) -> str:
    """Apply a completed answer form to the referral it was for (checked again now)."""
    await discard_draft(context.db, draft.id)
    me, services = context.me(), context.services
    referral = await referrals.get(context.db, int(draft.context.get("referral_id", 0)))
    by_hand = bool(draft.context.get("by_hand"))
    if referral is None or not await (access.may_record_referral if by_hand
                                      else access.may_answer_referral)(context.db, me, referral):
        return t("access.not_yours")
    if referral.version != draft.context.get("version"):
        return agencies.conflict_text(await _stale(context, referral))
    code = agencies.shown_code(referral.request_code)
    try:
        if form.name == "referral_letter":
            await referrals.record_letter(context.db, referral, actor_id=me.id,
                                          number=answers["number"],
                                          letter_date=date.fromisoformat(answers["day"]))
            return t("agency_loop.done_letter", code=code)
        if form.name == "referral_info":
            await agency_loop.give_info(services, me, referral, answers["note"])
            return t("agency_loop.done_info", code=code)
        kind = str(draft.context.get("kind"))
        photos = [p["file_id"] for p in answers.get("photos") or []]
        promised = answers.get("promised")
        fresh = await agency_loop.answer(services, me, referral, kind, by_hand=by_hand,
                                         promised=date.fromisoformat(promised) if promised
                                         else None,
                                         note=answers.get("note"), photos=photos)
    except ReferralConflict as error:
        return agencies.conflict_text(error)
    return t("agency_loop.done_answer", code=code, state=agencies.state_name(fresh.state))


async def after_answer(update: Update, context: BotContext, draft: Draft, done: bool) -> None:
    """After an answer form: the referral's card again (the focal point's or the office's),
    and the notices delivered."""
    referral = await referrals.get(context.db, int(draft.context.get("referral_id", 0)))
    me = context.me()
    if referral is not None and draft.context.get("by_hand"):
        from handlers.referral_card import send_office_card  # the office's side
        if await access.may_record_referral(context.db, me, referral):
            await send_office_card(update, context, referral)
    elif referral is not None and await access.may_answer_referral(context.db, me, referral):
        await send(update, context, await card(context, referral),
                   inline(agency_loop.card_rows(referral)))
    if done:
        await deliver_now(update, context)


def form_hooks(services: Services) -> FormHooks:
    """The answer forms' sink and what follows them."""
    return FormHooks(sinks={"agency_answer": agency_answer},
                     afters={"agency_answer": after_answer})


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/referrals, its menu button and the agy: buttons."""
    return [
        CommandHandler("referrals", referral_list),
        MessageHandler(filters.Text([t("menu.referrals")]), referral_list),
        CallbackQueryHandler(agency_button, pattern=r"^agy:"),
    ]
