"""The office's side of a referral (issue 22), under the request's card («ارجاع به دستگاه‌ها»):
each referral's state, letter, promised date and history; the referral letter's number and
date; an agency's answer recorded by hand (for agencies not in the bot: «دریافت شد», «در
دست اقدام» with the promised date, «انجام شد», «مربوط به ما نیست»); and the answer to an
agency's question. Staff whose scope holds the request's office only
(`bot.access.may_record_referral`); the forms' sink is `handlers.agency.agency_answer`."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import access, agencies, agency_loop
from bot.callbacks import Area, decode, encode, tap
from bot.locale.text import t
from handlers.context import BotContext, answer_once, inline, send, show
from handlers.forms import begin
from storage import referrals
from storage import requests as store
from storage.referrals import Referral

Rows = list[list[tuple[str, str]]]
FORM_OF = {"letter": "referral_letter", "info": "referral_info", "prog": "agency_progress",
           "done": "agency_done", "no": "agency_not_ours"}
BY_HAND = {"ack": "acknowledged", "prog": "in_progress", "done": "done", "no": "not_ours"}


async def office_text(context: BotContext, referral: Referral) -> str:
    """A referral as the office reads it: agency, state, letter, promise, history."""
    services = context.services
    agency = agencies.agency_of(services.org, referral.agency)
    lines = [t("agency_loop.office_card", agency=agency.name,
               code=agencies.shown_code(referral.request_code),
               state=agencies.state_name(referral.state))]
    if referral.letter_number and referral.letter_date:
        lines.append(t("agency_loop.letter", number=referral.letter_number,
                       date=agencies.day_month(date.fromisoformat(referral.letter_date),
                                               agency_loop.today_of(services))))
    if referral.promised_date:
        lines.append(t("agency_loop.promised", date=agencies.day_month(
            date.fromisoformat(referral.promised_date), agency_loop.today_of(services))))
    if not await referrals.focal_points(context.db, referral.agency, referral.office_id):
        lines.append(t("agency_loop.no_focal_point"))
    lines += [agency_loop.history_line(e, services)
              for e in (await referrals.history(context.db, referral.id))[-8:]]
    return "\n".join(lines)


async def office_rows(context: BotContext, referral: Referral) -> Rows:
    """The letter; by hand, the answers of an agency with no focal point in the bot; the
    answer to a question; back to the request."""
    def data(action: str) -> str:
        return encode(tap(Area.REFERRAL, action, referral=referral.id,
                          version=referral.version))

    rows: Rows = [[(t("agency_loop.button_letter"), data("letter"))]]
    if referral.state == "more_info":
        rows.append([(t("agency_loop.button_info"), data("info"))])
    in_bot = await referrals.focal_points(context.db, referral.agency, referral.office_id)
    if not in_bot:
        allowed = agency_loop.answers_allowed(referral)
        hand = [(t(f"agency_loop.hand_{kind}"), data(action)) for action, kind in
                BY_HAND.items() if kind in allowed]
        rows += [hand[i:i + 2] for i in range(0, len(hand), 2)]
    rows.append([(t("inbox.back_to_card"), encode(tap(Area.STAFF, "show",
                                                      request=referral.request_id)))])
    return rows


async def send_office_card(update: Update, context: BotContext, referral: Referral) -> None:
    """The office's view of one referral, as a new message."""
    await send(update, context, await office_text(context, referral),
               inline(await office_rows(context, referral)))


async def show_office_card(update: Update, context: BotContext, referral: Referral,
                           note: str = "") -> None:
    """The office's view of one referral, in place of the tapped message."""
    await show(update, context, (note + "\n\n" if note else "") +
               await office_text(context, referral), inline(await office_rows(context, referral)))


async def request_referrals(update: Update, context: BotContext, request_id: int) -> None:
    """A request's referrals, one button each (one alone is shown at once)."""
    request = await store.by_id(context.db, request_id)
    if request is None or not await access.may_act_on_request(context.db, context.me(),
                                                              request):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return
    await answer_once(update, context)
    found = await referrals.of_request(context.db, request_id)
    if len(found) == 1:
        await show_office_card(update, context, found[0])
        return
    rows = [[(t("agency_loop.list_item", code=agencies.agency_of(
        context.services.org, r.agency).short_name, state=agencies.state_name(r.state)),
        encode(tap(Area.REFERRAL, "show", referral=r.id)))] for r in found]
    rows.append([(t("inbox.back_to_card"), encode(tap(Area.STAFF, "show", request=request_id)))])
    await show(update, context, t("agency_loop.office_list") if found
               else t("agency_loop.office_none"), inline(rows))


async def referral_button(update: Update, context: BotContext) -> None:
    """Every rfl: button."""
    pressed = decode(update.callback_query.data if update.callback_query else None)
    if pressed is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    if pressed.action == "req":
        await request_referrals(update, context, pressed.number("request") or 0)
        return
    number = pressed.number("referral")
    referral = await referrals.get(context.db, number) if number is not None else None
    if referral is None or not await access.may_record_referral(context.db, context.me(),
                                                                referral):
        await answer_once(update, context, t("access.not_yours"), alert=True)
        return
    await answer_once(update, context)
    if pressed.action == "show":
        await show_office_card(update, context, referral)
        return
    if pressed.number("version") != referral.version:
        await show_office_card(update, context, referral, t("agency_loop.office_changed"))
        return
    if pressed.action == "ack":
        try:
            referral = await agency_loop.answer(context.services, context.me(), referral,
                                                "acknowledged", by_hand=True)
        except referrals.ReferralConflict as error:
            referral = error.current
        await show_office_card(update, context, referral)
        return
    await begin(update, context, context.services.forms[FORM_OF[pressed.action]],
                {"referral_id": referral.id, "version": referral.version,
                 "kind": BY_HAND.get(pressed.action, pressed.action), "by_hand": True})


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """The rfl: buttons."""
    return [CallbackQueryHandler(referral_button, pattern=r"^rfl:")]
