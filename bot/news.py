"""What a resident is told of their request: ONE message for the changes of one undo window.

A notice to a resident about a request is held for `UNDO_MINUTES` (the app's clock), so
that a slip and its undo inside the window tell them nothing, and several changes (a status,
a note, a correction) arrive as one message. Each new change re-owes the request's one
pending notice (storage drops the unsent one in the same transaction), written from what
the resident heard last and every public staff change since, plus this one (`News`): the
net status, the office's notes that still stand, a move. Nothing to say (the status back
where the resident knew it, no note): the pending notice is only withdrawn (`RETRACT`).
No PTB here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.callbacks import Area, encode, tap
from bot.locale.codes import shown_code
from bot.locale.text import resident_status, t
from bot.services import Services
from storage import requests as store
from storage.requests import Event, Owed, Request

Rows = list[list[tuple[str, str]]]
RETRACT = ""  # an owed text that only withdraws the request's pending notice


@dataclass(frozen=True)
class News:
    """One change the resident should hear of: a status (with the office's public note and a
    sentence such as the agency it was referred to), a note, an undo, or a move."""

    kind: str  # status, note, undo, moved
    status: str | None = None  # the status it leaves the request at (status, undo)
    note: str | None = None
    extra: str | None = None


def reply_button(request_id: int) -> Rows:
    """«Reply to the office» under every notice to a resident: the addition flow."""
    return [[(t("case_loop.reply"), encode(tap(Area.RESIDENT, "reply", request=request_id)))]]


def solved_buttons(request_id: int) -> Rows:
    """«Was it solved?»: yes / no."""
    return [[(t("case.solved_yes"), encode(tap(Area.RESIDENT, "yes", request=request_id))),
             (t("case.solved_no"), encode(tap(Area.RESIDENT, "no", request=request_id)))]]


def follow_button(request_id: int) -> Rows:
    """The follower of a duplicate: see the original."""
    return [[(t("case.follow_button"), encode(tap(Area.RESIDENT, "orig", request=request_id)))]]


def news_of(services: Services, event: Event) -> News:
    """A stored public staff event as news."""
    if event.kind == "status":
        extra = None
        if event.new_status == "referred":
            agency = services.org.agency(event.agency) if event.agency else None
            extra = t("case.notice_referred", agency=agency.name) if agency else event.note
            return News("status", event.new_status, extra=extra)
        if event.new_status == "duplicate" and event.other_code:
            extra = t("request.notice_duplicate", other=shown_code(event.other_code))
        return News("status", event.new_status, note=event.note, extra=extra)
    if event.kind == "undo":
        return News("undo", event.new_status)
    if event.kind == "moved":
        return News("moved", extra=t("case_loop.notice_moved_line", what=event.note or ""))
    return News("note", note=event.note)


def compose(services: Services, request: Request, known: str,
            parts: list[News]) -> tuple[str, Rows]:
    """The one message for these changes, from the status the resident knew (RETRACT when
    nothing is left to say), and its buttons."""
    final, lines, undone = known, [], False
    tags: list[int] = []  # the status parts still standing, by index
    tagged: list[tuple[int | None, str]] = []
    for index, part in enumerate(parts):
        if part.kind == "status":
            final = part.status or final
            tags.append(index)
        if part.kind == "undo":
            final, undone = part.status or final, True
            dropped = tags.pop() if tags else None
            tagged = [(tag, line) for tag, line in tagged if tag != dropped]
        tag = index if part.kind == "status" else None
        if part.note:
            tagged.append((tag, t("request.notice_note", note=part.note)))
        if part.extra:
            tagged.append((tag, part.extra))
    lines = [line for _tag, line in tagged]
    if final == known and not lines:
        return RETRACT, []
    body = [t("case_loop.notice_head", code=shown_code(request.code))]
    if final != known:
        body.append(t("case_loop.notice_corrected", status=resident_status(final)) if undone
                    and not tags else t("case_loop.notice_new_status",
                                        status=resident_status(final)))
    body += lines
    rows: Rows = []
    if final == "resolved" and final != known:
        body.append(t("case_loop.not_solved_hint", days=services.settings.reopen_days))
        body.append("\n" + t("case.ask_solved"))
        rows += solved_buttons(request.id)
    if final == "duplicate":
        rows += follow_button(request.id)
    return "\n".join(body), [*rows, *reply_button(request.id)]


async def resident_news(services: Services, request: Request, news: News) -> Owed:
    """The request's one pending notice to its resident, re-owed with this change (held
    for the undo window; RETRACT text when nothing is left to say)."""
    db = services.db
    known, earlier = await store.unheard(db, request)
    text, rows = compose(services, request, known,
                         [news_of(services, e) for e in earlier] + [news])
    return Owed(f"request:{request.id}:v{request.version + 1}", request.resident_user_id,
                text, rows or None, db.now() + timedelta(minutes=store.UNDO_MINUTES))
