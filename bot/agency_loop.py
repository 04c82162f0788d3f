"""The agencies in the case loop (issue 22): what a referral writes beside the request's
change (the referral's row and a card for each focal point in scope), and every answer to a
referral, by a focal point or recorded by hand by the office, with whom it tells.

- a referral: the agency's focal points whose scope holds the office get a card with the
  answer buttons (held through quiet hours);
- an answer: the office's staff (the request's assignee, or all of them; never the one
  acting) read it on a notice that opens the request's card; the resident reads «received»
  and «in progress until …» in plain words; «done» resolves the request and asks the
  resident «was it solved?» as a resolution does; «not ours» puts it back in review for the
  office to refer elsewhere (the resident is told); «more info» stays with the office.

No PTB here: the chat handlers call these; storage makes each change and owes its notices in
one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

import aiosqlite

from bot import access, agencies
from bot.callbacks import Area, encode, tap
from bot.locale.jalali import local_date
from bot.locale.text import t
from bot.quiet_hours import quiet_until
from bot.services import Services
from storage import outbox, referrals
from storage import requests as store
from storage.db import utc_now_iso
from storage.people import Person, get_person_by_id
from storage.referrals import ANSWERS, Referral
from storage.requests import Conflict, InTransaction, Owed, Request

Rows = list[list[tuple[str, str]]]
# A focal point's answer buttons: action → referral state it sets.
ACTION_KIND = {"ack": "acknowledged", "prog": "in_progress", "done": "done", "no": "not_ours",
               "ask": "more_info"}
KIND_ACTION = {kind: action for action, kind in ACTION_KIND.items()}
ALLOWED_AFTER = {"referred": ANSWERS, "acknowledged": ANSWERS[1:], "in_progress": ANSWERS[1:],
                 "more_info": ANSWERS}


def answers_allowed(referral: Referral) -> tuple[str, ...]:
    """The answers the referral's state allows (none once it is closed)."""
    return tuple(ALLOWED_AFTER.get(referral.state, ()))


def answer_rows(area: Area, referral: Referral) -> Rows:
    """The answer buttons a referral's state allows, stamped with its version."""
    def data(action: str) -> str:
        return encode(tap(area, action, referral=referral.id, version=referral.version))

    labels = [(t(f"agency_loop.button_{kind}"), data(KIND_ACTION[kind]))
              for kind in answers_allowed(referral)]
    return [labels[i:i + 2] for i in range(0, len(labels), 2)]


def today_of(services: Services) -> date:
    """The app's today, where the offices are."""
    return local_date(services.db.now(), services.settings.timezone)


def card_for_agency(services: Services, referral: Referral, request: Request,
                    category: str) -> str:
    """The card a focal point reads: no text, photos or phone of a sensitive category;
    the phone only with the resident's consent."""
    if not access.sees_details(_nobody(), request, services.org, through="agency"):
        request = replace(request, description=t("agency_loop.sensitive"), phone=None)
    text = agencies.card_text(referral, request, agencies.agency_of(services.org,
                                                                    referral.agency), category)
    if referral.taken_by_name and referral.state != "referred":
        text += "\n" + t("agency_loop.taken_by", name=referral.taken_by_name)
    if referral.promised_date:
        text += "\n" + t("agency_loop.promised", date=agencies.day_month(
            date.fromisoformat(referral.promised_date), today_of(services)))
    return text


def _nobody() -> Person:
    return Person(0, 0, "", "agency", None, None, True)


def fresh_referral(referral_id: int, version: int, request: Request, agency: str,
                   actor: Person, now: datetime, consent: bool) -> Referral:
    """The referral as `open_referral` just wrote it (for its first card)."""
    stamp = utc_now_iso(now)
    return Referral(referral_id, request.id, request.code, request.office_id, agency,
                    "referred", version, actor.id, stamp, consent, None, None, None, None,
                    None, None, None, None, stamp)


async def referral_writes(services: Services, actor: Person, request: Request, agency: str,
                          category: str, *, consent: bool) -> InTransaction:
    """What a referral to an agency of the organisation file writes in the request's own
    transaction: the referral's row, and a card with the answer buttons for each of the
    agency's focal points whose scope holds the office."""
    db, settings = services.db, services.settings
    focal = await referrals.focal_points(db, agency, request.office_id)
    hold = quiet_until(db.now(), settings.quiet_hours, settings.timezone)

    async def write(tx: aiosqlite.Connection, now: datetime) -> None:
        found = await referrals.open_referral(tx, request_id=request.id, agency=agency,
                                              referred_by=actor.id, now=now,
                                              phone_consent=consent)
        if found is None:
            return
        referral = fresh_referral(found, await referrals.version_in(tx, found), request,
                                  agency, actor, now, consent)
        text = card_for_agency(services, referral, request, category)
        buttons = card_rows(referral)
        for pid, user_id, _name in focal:
            await outbox.enqueue(tx, f"agency:card:{found}:v{referral.version}:{pid}", user_id,
                                 text, now=now, buttons=buttons, not_before=hold)

    return write


def card_rows(referral: Referral) -> Rows:
    """A focal point's card buttons: the answers, and the photos and place."""
    return [*answer_rows(Area.AGENCY, referral),
            [(t("agency_loop.button_media"), encode(tap(Area.AGENCY, "media",
                                                        referral=referral.id)))]]


async def office_notices(services: Services, actor: Person, request: Request,
                         referral: Referral, text: str) -> list[Owed]:
    """The office's staff told of an answer: the assignee, or every staff member; never the
    one acting (the office recording by hand)."""
    staff = await store.staff_of_office(services.db, request.office_id)
    chosen = [s for s in staff if s[0] == request.assignee_id] or staff
    button = [[(t("case.open"), encode(tap(Area.STAFF, "open", request=request.id)))]]
    return [Owed(f"agency:office:{referral.id}:v{referral.version + 1}:{pid}", user_id, text,
                 button) for pid, user_id, _ in chosen if pid != actor.id]


def solved_rows(request_id: int) -> Rows:
    """«Was it solved?»: yes / no (the resident's buttons)."""
    return [[(t("case.solved_yes"), encode(tap(Area.RESIDENT, "yes", request=request_id))),
             (t("case.solved_no"), encode(tap(Area.RESIDENT, "no", request=request_id)))]]


async def answer(services: Services, actor: Person, referral: Referral, kind: str, *,
                 by_hand: bool = False, promised: date | None = None, note: str | None = None,
                 photos: Sequence[str] = ()) -> Referral:
    """An agency's answer, by its focal point or recorded by hand by the office (the
    caller checked `access.may_answer_referral` / `may_record_referral`). Raises
    `referrals.ReferralConflict` when another focal point took it or it moved on."""
    db, org = services.db, services.org
    request = await store.by_id(db, referral.request_id)
    assert request is not None
    agency = agencies.agency_of(org, referral.agency)
    today = today_of(services)
    office_line = agencies.office_text(kind, agency, request.code, who=actor.display_name,
                                       by_hand=by_hand, today=today, promised=promised,
                                       note=note)
    notices = await office_notices(services, actor, request, referral, office_line)
    plain = agencies.resident_text(kind, agency, request.code, today=today, promised=promised,
                                   note=note)
    if plain and kind in ("acknowledged", "in_progress") and request.is_open:
        notices.append(Owed(f"agency:resident:{referral.id}:v{referral.version + 1}",
                            request.resident_user_id, plain))
    fresh = await referrals.answer(db, referral, kind, actor_id=actor.id, by_hand=by_hand,
                                   promised=promised, note=note, photos=photos,
                                   notices=notices)
    if kind in ("done", "not_ours") and plain:
        await _request_follows(services, actor, request, kind, plain, agency.short_name)
    return fresh


async def _request_follows(services: Services, actor: Person, request: Request, kind: str,
                           plain: str, agency_name: str) -> None:
    """«done» resolves the request (the resident asked «was it solved?»); «not ours» puts
    it back in review for the office to refer elsewhere. Only from «referred»: a request
    the office moved on meanwhile keeps its status."""
    current = await store.by_id(services.db, request.id)
    if current is None or current.status != "referred":
        return
    key = f"request:{current.id}:v{current.version + 1}"
    if kind == "done":
        text = plain + "\n" + t("request.notice_reopen_hint",
                                days=services.settings.reopen_days)
        text += "\n\n" + t("case.ask_solved")
        notice = Owed(key, current.resident_user_id, text, solved_rows(current.id))
        status, note = "resolved", t("agency_loop.trail_done", agency=agency_name)
    else:
        notice = Owed(key, current.resident_user_id, plain)
        status, note = "in_review", t("agency_loop.trail_not_ours", agency=agency_name)
    try:
        await store.change_status(services.db, current, status, actor_id=actor.id, note=note,
                                  notices=[notice])
    except Conflict:
        pass  # the office changed it at that moment: its status stands, the answer is kept


async def give_info(services: Services, actor: Person, referral: Referral,
                    note: str) -> Referral:
    """The office answers the agency's question; the focal point who asked is told."""
    notices = []
    if referral.taken_by is not None:
        person = await _person(services, referral.taken_by)
        if person is not None:
            text = t("agency_loop.info_given", code=agencies.shown_code(referral.request_code),
                     note=note)
            rows = [[(t("agency_loop.button_show"), encode(tap(Area.AGENCY, "show",
                                                               referral=referral.id)))]]
            notices.append(Owed(f"agency:info:{referral.id}:v{referral.version + 1}",
                                person.user_id, text, rows))
    return await referrals.give_info(services.db, referral, actor_id=actor.id, note=note,
                                     notices=notices)


async def _person(services: Services, person_id: int) -> Person | None:
    return await get_person_by_id(services.db, person_id)


def history_line(event: referrals.ReferralEvent, services: Services) -> str:
    """One entry of a referral's history, in words."""
    when = agencies.day_month(local_date(datetime.fromisoformat(event.at),
                                         services.settings.timezone), today_of(services))
    if event.kind in ("referred", "letter", "info", "withdrawn"):
        what = t(f"agency_loop.event_{event.kind}")
    else:
        what = agencies.state_name(event.kind)
    if event.promised_date:
        what += " — " + t("agency_loop.until", date=agencies.day_month(
            date.fromisoformat(event.promised_date), today_of(services)))
    if event.note and event.kind != "letter":
        what += f" — «{event.note}»"
    who = t("agency.by_hand") if event.by_hand and event.kind not in (
        "referred", "letter", "info") else (event.actor_name or "")
    return t("agency_loop.event_line", date=when, what=what, who=who)


async def card_lines(services: Services, found: Sequence[Referral]) -> list[str]:
    """The request card's lines about its referrals (the office's staff): each agency's
    state now, who answered and the promised date."""
    lines = []
    for referral in found:
        agency = agencies.agency_of(services.org, referral.agency)
        line = t("agency_loop.card_line", agency=agency.short_name,
                 state=agencies.state_name(referral.state))
        if referral.promised_date and referral.state == "in_progress":
            line += " — " + t("agency_loop.until", date=agencies.day_month(
                date.fromisoformat(referral.promised_date), today_of(services)))
        if referral.taken_by_name:
            line += " (" + referral.taken_by_name + ")"
        lines.append(line)
    return lines
