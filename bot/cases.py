"""The case service: every action on a resident's request, by an actor, and whom it tells.

Each action takes the services, the actor (a `Person`) and the request as the actor saw it
(its `version`), checks the actor may do it (`bot.access`), decides who is told and with
what Persian text and buttons (codec data, `bot.callbacks`), and hands both to storage,
which makes the change and owes the notices in ONE transaction (the outbox delivers
them). It returns a `Change`: the request as it is now and the notices owed. Two staff
acting on one version: one wins, the other gets `storage.requests.Conflict` with the
current state. No PTB here: the chat handlers and the dashboard both call these.

Who is told:
- a new request: every active staff member of its office (held in quiet hours unless its
  category is urgent);
- a status change by staff: the resident (after a resolution with «was it solved?»), and
  the residents whose requests are duplicates of it; a duplicate: its resident, with a
  button to follow the original; a public note: the resident; an internal note, taking and
  releasing: nobody; a hand-over: the colleague; an undo: the resident and followers;
- the resident's addition, withdrawal, reopening and «not solved»: the request's assignee,
  or with none every staff member of its office (never the actor); followers of a
  withdrawal, reopening or «not solved» too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot import access
from bot.callbacks import Area, encode, tap
from bot.locale.codes import shown_code
from bot.locale.text import resident_status, t
from bot.news import News, resident_news
from bot.news import follow_button as follow_button  # the buttons, as handlers name them
from bot.news import reply_button as reply_button
from bot.news import solved_buttons as solved_buttons
from bot.quiet_hours import quiet_until
from bot.services import Services
from storage import offices
from storage import requests as store
from storage.people import Person
from storage.requests import Conflict, NewRequest, Owed, Request

Rows = list[list[tuple[str, str]]]
OTHER_AGENCY = "other"  # the «another agency» button: its name is typed


class NotAllowed(Exception):
    """The actor may not do this: `reason` is 'scope' (not their request or office),
    'colleague' (no such colleague), 'agency' (no such agency), 'unknown' (no such original
    for a duplicate), 'self' (a duplicate of itself), 'closed' (a duplicate of a closed
    request), 'empty' (an addition of nothing) or 'same' (a move to where it is)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Change:
    """What an action did: the request as it is now, and the notices it owed."""

    request: Request
    notices: tuple[Owed, ...]


# ----- names and formats ------------------------------------------------------------------


def category_labels(services: Services) -> dict[str, str]:
    """Request categories and their Persian labels, from the request form."""
    form = services.forms.get("resident_request")
    question = form.question("category") if form else None
    return {c.value: c.label for c in question.choices} if question else {}


def category_label(services: Services, value: str) -> str:
    """The Persian label of a request category."""
    return category_labels(services).get(value, value)


def agency_name(services: Services, slug: str) -> str:
    """The Persian name of an agency of the organisation file."""
    agency = services.org.agency(slug)
    return agency.name if agency else slug


def hood_of(request: Request) -> str:
    """The request's neighbourhood, or «not sure»."""
    return request.neighbourhood_name or t("request.unsure")


def short(text: str, limit: int = 300) -> str:
    """A long text cut to fit a phone screen (and the messenger's 4096 characters)."""
    return text if len(text) <= limit else text[:limit] + "…"


# ----- notices ----------------------------------------------------------------------------


def held_until(services: Services, category: str, now: datetime) -> datetime | None:
    """When a non-urgent notice to staff may go out (None: now)."""
    if category in services.org.urgent:
        return None
    settings = services.settings
    return quiet_until(now, settings.quiet_hours, settings.timezone)


def open_button(request_id: int) -> Rows:
    """The «open» button under a notice to staff (the card comes as a new message, so the
    notice stays in the chat)."""
    return [[(t("case.open"), encode(tap(Area.STAFF, "open", request=request_id)))]]


async def staff_notices(services: Services, actor: Person | None, request: Request,
                        cause: str, text: str, *, only: int | None = None) -> list[Owed]:
    """A notice to the request's assignee (or, with none, every staff member of its office),
    or to the one person `only`; never to the one acting."""
    staff = await store.staff_of_office(services.db, request.office_id)
    if only is not None:
        chosen = [s for s in staff if s[0] == only]
    elif request.assignee_id is not None and any(s[0] == request.assignee_id for s in staff):
        chosen = [s for s in staff if s[0] == request.assignee_id]
    else:
        chosen = staff
    me = actor.id if actor is not None else None
    hold = held_until(services, request.category, services.db.now())
    return [Owed(f"staff:{cause}:{request.id}:v{request.version + 1}:{pid}", user_id, text,
                 open_button(request.id), hold)
            for pid, user_id, _name in chosen if pid != me]


def may_reply(request: Request) -> bool:
    """A resident may answer the office on any request of theirs but a withdrawn one."""
    return request.status != "withdrawn"


async def follower_notices(services: Services, request: Request, status: str) -> list[Owed]:
    """Residents whose requests are duplicates of this one follow its status."""
    return [Owed(f"follow:{f.id}:{request.id}:v{request.version + 1}", f.resident_user_id,
                 t("case.follow_notice", original=shown_code(request.code),
                   code=shown_code(f.code), status=resident_status(status)),
                 [*follow_button(f.id), *reply_button(f.id)])
            for f in await store.followers(services.db, request.code)
            if f.resident_id != request.resident_id]  # told as the original's resident


async def change_notices(services: Services, request: Request, status: str,
                         note: str | None = None, extra: str | None = None) -> list[Owed]:
    """Everyone told of a status change: the resident (held, one message per undo window)
    and the followers of a duplicate."""
    return [await resident_news(services, request, News("status", status, note, extra)),
            *await follower_notices(services, request, status)]


# ----- checks ----------------------------------------------------------------------------


async def _staff(services: Services, actor: Person, request: Request) -> None:
    if not await access.may_act_on_request(services.db, actor, request):
        raise NotAllowed("scope")


def _resident(actor: Person, request: Request) -> None:
    if request.resident_id != actor.id:
        raise NotAllowed("scope")


def _allowed(request: Request, status: str) -> None:
    if status not in store.TRANSITIONS.get(request.status, ()):
        raise Conflict(request, "transition")


def _change(request: Request, notices: Sequence[Owed]) -> Change:
    return Change(request, tuple(n for n in notices if n.text))  # not a bare retraction


# ----- the resident's actions ------------------------------------------------------------


async def file(services: Services, actor: Person, new: NewRequest) -> tuple[Change, bool]:
    """File a request from its confirmed draft; (the change, filed now?). The office's staff
    are told at once. Raises `RequestLimit` past the resident's limits."""
    db, settings = services.db, services.settings
    if new.resident_id != actor.id:
        raise NotAllowed("scope")
    staff = await store.staff_of_office(db, new.office_id)
    hood_name = t("request.unsure")
    if new.neighbourhood_id is not None:
        hood_name = next((h.name for h in await offices.neighbourhoods_of(db, new.office_id)
                          if h.id == new.neighbourhood_id), hood_name)
    hold = held_until(services, new.category, db.now())
    first_line = short(new.description.strip().splitlines()[0], 120)
    text_of = {"category": category_label(services, new.category), "hood": hood_name,
               "line": first_line}
    owed: list[Owed] = []

    def tell_staff(request_id: int, code: str) -> list[Owed]:
        text = t("case.staff_new", code=shown_code(code), **text_of)
        owed[:] = [Owed(f"staff:new:{request_id}:{pid}", user_id, text,
                        open_button(request_id), hold) for pid, user_id, _ in staff]
        return owed

    request, filed = await store.file_request(
        db, new, max_open=settings.max_open_requests,
        max_per_day=settings.max_requests_per_day, notices=tell_staff)
    return _change(request, owed if filed else ()), filed


async def add(services: Services, actor: Person, request: Request, *, note: str | None,
              photos: Sequence[tuple[str, str]],
              voices: Sequence[tuple[str, str]] = ()) -> Change:
    """The resident adds a detail, photos or voice notes to their request, or answers the
    office on a closed one (not a withdrawn one): staff are told, with what came."""
    _resident(actor, request)
    if not note and not photos and not voices:
        raise NotAllowed("empty")
    parts = ["«" + short(note, 200) + "»"] if note else []
    if photos:
        parts.append(t("case.staff_addition_photos", count=len(photos)))
    if voices:
        parts.append(t("case_loop.staff_addition_voices", count=len(voices)))
    notices = await staff_notices(services, actor, request, "addition",
                                  t("case.staff_addition", code=shown_code(request.code),
                                    what=" + ".join(parts)))
    changed = await store.add_from_resident(services.db, request, resident_id=actor.id,
                                            note=note, photos=photos, voices=voices,
                                            notices=notices)
    return _change(changed, notices)


async def withdraw(services: Services, actor: Person, request: Request) -> Change:
    """The resident withdraws their open request (staff and followers are told)."""
    _resident(actor, request)
    notices = [*await staff_notices(services, actor, request, "withdrawn", t(
        "case.staff_withdrawn", code=shown_code(request.code))),
        *await follower_notices(services, request, "withdrawn")]
    changed = await store.withdraw(services.db, request, resident_id=actor.id, notices=notices)
    return _change(changed, notices)


async def reopen(services: Services, actor: Person, request: Request) -> Change:
    """The resident reopens a resolved request within the allowed days."""
    _resident(actor, request)
    notices = [*await staff_notices(services, actor, request, "reopen", t(
        "case.staff_reopened", code=shown_code(request.code),
        category=category_label(services, request.category), hood=hood_of(request))),
        *await follower_notices(services, request, "in_review")]
    changed = await store.reopen(services.db, request, resident_id=actor.id,
                                 within_days=services.settings.reopen_days, notices=notices)
    return _change(changed, notices)


def can_reopen(services: Services, request: Request) -> bool:
    """Resolved within the configured number of days."""
    if request.status != "resolved" or request.resolved_at is None:
        return False
    resolved = datetime.fromisoformat(request.resolved_at)
    return (services.db.now() - resolved).days < services.settings.reopen_days


async def answer(services: Services, actor: Person, request: Request, *, solved: bool,
                 reason: str | None = None, voices: Sequence[tuple[str, str]] = ()) -> Change:
    """The resident's answer to «was it solved?»: yes closes it (nobody told); no reopens it
    in review with their reason, typed or as voice notes (staff and followers told)."""
    _resident(actor, request)
    notices: list[Owed] = []
    if not solved:
        said = short(reason or "", 300) if reason else t("case_loop.voice_reason")
        notices = [*await staff_notices(services, actor, request, "not_solved", t(
            "case.staff_not_solved", code=shown_code(request.code), reason=said)),
            *await follower_notices(services, request, "in_review")]
    changed = await store.answer(services.db, request, resident_id=actor.id, solved=solved,
                                 reason=reason or (t("case_loop.voice_reason") if voices
                                                   else None),
                                 voices=voices, notices=notices)
    return _change(changed, notices)


# ----- the staff's actions ---------------------------------------------------------------


async def take(services: Services, actor: Person, request: Request) -> Change:
    """The actor takes the request (internal: nobody is told)."""
    await _staff(services, actor, request)
    return _change(await store.assign(services.db, request, actor_id=actor.id, notices=()), ())


async def release(services: Services, actor: Person, request: Request) -> Change:
    """The assignee lets the request go back to the office (internal)."""
    await _staff(services, actor, request)
    return _change(await store.release(services.db, request, actor_id=actor.id, notices=()),
                   ())


async def colleagues(services: Services, actor: Person, request: Request) -> list[tuple[int, str]]:
    """(person id, name) of the staff of the request's office the actor may hand it to."""
    return [(pid, name) for pid, _uid, name in
            await store.staff_of_office(services.db, request.office_id) if pid != actor.id]


async def hand_over(services: Services, actor: Person, request: Request, to_id: int) -> Change:
    """Give the request to a colleague of its office (the colleague is told)."""
    await _staff(services, actor, request)
    if to_id not in {pid for pid, _name in await colleagues(services, actor, request)}:
        raise NotAllowed("colleague")
    text = t("case.staff_handover", name=actor.display_name, code=shown_code(request.code),
             category=category_label(services, request.category), hood=hood_of(request))
    notices = await staff_notices(services, actor, request, "handover", text, only=to_id)
    changed = await store.hand_over(services.db, request, actor_id=actor.id, to_id=to_id,
                                    notices=notices)
    return _change(changed, notices)


async def move(services: Services, actor: Person, request: Request, status: str,
               note: str | None = None) -> Change:
    """Move the request to a status (with a public note): the resident and followers told."""
    await _staff(services, actor, request)
    _allowed(request, status)
    notices = await change_notices(services, request, status, note)
    changed = await store.change_status(services.db, request, status, actor_id=actor.id,
                                        note=note, notices=notices)
    return _change(changed, notices)


async def review(services: Services, actor: Person, request: Request) -> Change:
    """In review."""
    return await move(services, actor, request, "in_review")


async def resolve(services: Services, actor: Person, request: Request, note: str) -> Change:
    """Resolved, with a public note; the resident is asked «was it solved?»."""
    return await move(services, actor, request, "resolved", note)


async def reject(services: Services, actor: Person, request: Request, reason: str) -> Change:
    """Rejected, with the reason the resident reads."""
    return await move(services, actor, request, "rejected", reason)


async def refer(services: Services, actor: Person, request: Request, agency: str,
                *, name: str | None = None) -> Change:
    """Refer the request to an agency of the organisation file by its slug, or with
    `OTHER_AGENCY` to one named by hand (`name`); the resident reads a sentence naming it."""
    await _staff(services, actor, request)
    if agency == OTHER_AGENCY and name:
        slug, shown = None, name.strip()
    elif services.org.agency(agency) is not None:
        slug, shown = agency, agency_name(services, agency)
    else:
        raise NotAllowed("agency")
    _allowed(request, "referred")
    notices = await change_notices(services, request, "referred",
                                   extra=t("case.notice_referred", agency=shown))
    changed = await store.change_status(
        services.db, request, "referred", actor_id=actor.id, agency=slug,
        note=t("inbox.referred_to", agency=shown), notices=notices)
    return _change(changed, notices)


async def duplicate(services: Services, actor: Person, request: Request,
                    original: Request | None) -> Change:
    """Mark the request a duplicate of another the actor may see; its resident is told,
    with a button to follow the original."""
    await _staff(services, actor, request)
    if original is None or not await access.may_see_request(services.db, actor, original):
        raise NotAllowed("unknown")
    if original.id == request.id:
        raise NotAllowed("self")
    if not original.is_open:  # its resident would follow a request nobody works on
        raise NotAllowed("closed")
    _allowed(request, "duplicate")
    notices = [await resident_news(services, request, News(
        "status", "duplicate", extra=t("request.notice_duplicate",
                                       other=shown_code(original.code))))]
    changed = await store.change_status(services.db, request, "duplicate", actor_id=actor.id,
                                        duplicate_of=original.code, notices=notices)
    return _change(changed, notices)


async def note(services: Services, actor: Person, request: Request, text: str, *,
               public: bool) -> Change:
    """A note on the trail: public (the resident is told) or internal (nobody is)."""
    await _staff(services, actor, request)
    notices = [await resident_news(services, request, News("note", note=text))] if public \
        else []
    changed = await store.add_note(services.db, request, text, public=public,
                                   actor_id=actor.id, notices=notices)
    return _change(changed, notices)


async def relocate(services: Services, actor: Person, request: Request, *,
                   category: str | None = None, hood_id: int | None = None,
                   office_id: int | None = None) -> Change:
    """Correct where a request belongs: its category (response times, reminders and digests
    follow it), its neighbourhood (of its office), or its office (one of the same province;
    its staff are told, with «open», and the old office lets it go). The resident is told;
    the trail keeps from what to what."""
    await _staff(services, actor, request)
    db, code = services.db, shown_code(request.code)
    labels = category_labels(services)
    lines: list[str] = []
    new_office = None
    if category is not None:
        if category not in labels or category == request.category:
            raise NotAllowed("same" if category == request.category else "unknown")
        lines.append(t("case_loop.moved_category", old=labels.get(request.category,
                                                                  request.category),
                       new=labels[category]))
    if office_id is not None:
        current = await offices.office_by_id(db, request.office_id)
        new_office = await offices.office_by_id(db, office_id)
        if new_office is None or current is None or not new_office.active or (
                new_office.province_id != current.province_id):
            raise NotAllowed("unknown")
        if office_id == request.office_id:
            raise NotAllowed("same")
        lines.append(t("case_loop.moved_office", old=request.office_name,
                       new=new_office.name))
    elif hood_id is not None:
        hoods = {h.id: h.name for h in await offices.neighbourhoods_of(db, request.office_id)}
        if hood_id not in hoods:
            raise NotAllowed("unknown")
        if hood_id == request.neighbourhood_id:
            raise NotAllowed("same")
        lines.append(t("case_loop.moved_hood", old=hood_of(request), new=hoods[hood_id]))
    if not lines:
        raise NotAllowed("empty")
    what = "؛ ".join(lines)
    notices = [await resident_news(services, request, News(
        "moved", extra=t("case_loop.notice_moved_line", what=what)))]
    if new_office is not None:
        text = t("case_loop.staff_moved_in", code=code, old=request.office_name,
                 category=labels.get(category or request.category, request.category),
                 line=short(request.description.strip().splitlines()[0], 120))
        hold = held_until(services, category or request.category, db.now())
        notices += [Owed(f"staff:moved:{request.id}:v{request.version + 1}:{pid}", user_id,
                         text, open_button(request.id), hold)
                    for pid, user_id, _ in await store.staff_of_office(db, new_office.id)
                    if pid != actor.id]
    changed = await store.move(db, request, actor_id=actor.id, note=what, notices=notices,
                               category=category, neighbourhood_id=hood_id,
                               office_id=office_id)
    return _change(changed, notices)


async def may_undo(services: Services, actor: Person, request: Request) -> bool:
    """Whether the actor may still take back their last status change."""
    return await store.undoable(services.db, request, actor.id) is not None


async def undo(services: Services, actor: Person, request: Request) -> Change:
    """Take back the actor's last status change within `UNDO_MINUTES`: the resident (and the
    followers) told of the status it is back at. Conflict('undo') once it is too late."""
    await _staff(services, actor, request)
    last = await store.undoable(services.db, request, actor.id)
    followers = await follower_notices(services, request, last.old_status) if (
        last is not None and last.old_status) else []
    told = await resident_news(services, request, News("undo", last.old_status)) if (
        last is not None and last.old_status) else None
    owed: list[Owed] = []

    def notices(status: str) -> list[Owed]:
        owed[:] = [*([told] if told is not None else []), *followers]
        return owed

    changed = await store.undo(services.db, request, actor_id=actor.id, notices=notices)
    return _change(changed, owed)
