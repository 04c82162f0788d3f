"""Residents' requests: filing (with a random tracking code and abuse limits), reading,
and every change as an event with actor, time, old and new status: the case loop between
a resident and an office (undo, hand-over, the resident's additions, withdrawal and their
answer to «was it solved?»).

Changes are compare-and-set on the request's `version`: of two staff acting on the same
request at once, exactly one wins and the other gets `Conflict` with the current state.
Every notice a change causes (to the resident, to staff, to residents following a
duplicate) is owed in the same transaction (see `outbox`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from storage import outbox
from storage.db import Database, Row, utc_now_iso
from storage.outbox import Owed as Owed  # the notices a change owes

OPEN = ("received", "in_review", "referred")  # the one list of open statuses
OPEN_SQL = "(" + ", ".join(f"'{status}'" for status in OPEN) + ")"  # … as an SQL list
CLOSED = ("resolved", "rejected", "duplicate", "withdrawn")
STATUSES = OPEN + CLOSED
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_review", "referred", "resolved", "rejected", "duplicate"),
    "in_review": ("referred", "resolved", "rejected", "duplicate"),
    "referred": ("in_review", "resolved", "rejected"),
    "resolved": (),
    "rejected": (),
    "duplicate": (),
    "withdrawn": (),
}
CODE_DIGITS = 8  # shown as two halves of four (bot.cases.shown_code)
UNDO_MINUTES = 5  # a status change can be taken back this long by the one who made it


Notices = Sequence[Owed]
Files = Sequence[tuple[str, str, str, str]]  # (question, kind, file_id, file_unique_id)


class RequestLimit(Exception):
    """The resident reached a limit: `reason` is 'open' or 'daily'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Conflict(Exception):
    """Someone changed the request first (or the change is not allowed from its state)."""

    def __init__(self, current: Request, reason: str = "changed") -> None:
        super().__init__(reason)
        self.current = current
        self.reason = reason


@dataclass(frozen=True)
class Request:
    """A request with the names it is shown with."""

    id: int
    code: str
    resident_id: int
    resident_user_id: int
    resident_name: str
    office_id: int
    office_name: str
    neighbourhood_name: str | None
    category: str
    description: str
    phone: str | None
    anonymous: bool
    status: str
    version: int
    assignee_id: int | None
    assignee_name: str | None
    duplicate_of: str | None
    created_at: str
    updated_at: str
    resolved_at: str | None
    first_response_at: str | None = None
    solved: str | None = None
    neighbourhood_id: int | None = None
    agency: str | None = None  # the slug of the agency it is referred to now

    @property
    def is_open(self) -> bool:
        """Still waiting for the office."""
        return self.status in OPEN


@dataclass(frozen=True)
class Event:
    """One entry of a request's trail."""

    at: str
    actor_name: str | None
    kind: str
    old_status: str | None
    new_status: str | None
    note: str | None
    public: bool
    id: int = 0
    actor_id: int | None = None
    other_code: str | None = None
    target_name: str | None = None
    agency: str | None = None  # a referral's agency slug


@dataclass(frozen=True)
class NewRequest:
    """What a completed request form stores."""

    draft_id: int
    resident_id: int
    office_id: int
    neighbourhood_id: int | None
    category: str
    description: str
    phone: str | None
    photos: list[tuple[str, str]]          # (file_id, file_unique_id)
    location: tuple[float, float] | None
    voices: list[tuple[str, str]] = field(default_factory=list)  # (file_id, file_unique_id)


_SELECT = """
SELECT r.*, p.user_id AS resident_user_id, p.display_name AS resident_name,
       o.name AS office_name, n.name AS neighbourhood_name, a.display_name AS assignee_name
FROM requests r
JOIN people p ON p.id = r.resident_id
JOIN offices o ON o.id = r.office_id
LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id
LEFT JOIN people a ON a.id = r.assignee_id
"""


def _request(r: Row) -> Request:
    return Request(
        id=r["id"], code=r["code"], resident_id=r["resident_id"],
        resident_user_id=r["resident_user_id"], resident_name=r["resident_name"],
        office_id=r["office_id"], office_name=r["office_name"],
        neighbourhood_name=r["neighbourhood_name"], category=r["category"],
        description=r["description"], phone=r["phone"], anonymous=bool(r["anonymous"]),
        status=r["status"], version=r["version"], assignee_id=r["assignee_id"],
        assignee_name=r["assignee_name"], duplicate_of=r["duplicate_of"],
        created_at=r["created_at"], updated_at=r["updated_at"], resolved_at=r["resolved_at"],
        first_response_at=r["first_response_at"], solved=r["solved"],
        neighbourhood_id=r["neighbourhood_id"], agency=_agency(r),
    )


def _agency(r: Row) -> str | None:
    """The referral's agency slug (absent in a file not yet migrated to 0009)."""
    return r["agency"] if "agency" in r.keys() else None


def new_code() -> str:
    """Eight random digits, not starting with 0: easy to read aloud and type on a phone."""
    return str(secrets.randbelow(9 * 10 ** (CODE_DIGITS - 1)) + 10 ** (CODE_DIGITS - 1))


def canonical_code(text: str) -> str:
    """'1234-5678', '۱۲۳۴ ۵۶۷۸' (already ASCII digits) → '12345678'."""
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


async def by_code(db: Database, code: str) -> Request | None:
    """The request with this tracking code."""
    row = await db.fetchone(_SELECT + "WHERE r.code = ?", (canonical_code(code),))
    return _request(row) if row else None


async def by_id(db: Database, request_id: int) -> Request | None:
    """The request with this id."""
    row = await db.fetchone(_SELECT + "WHERE r.id = ?", (request_id,))
    return _request(row) if row else None


async def by_draft(db: Database, draft_id: int) -> Request | None:
    """The request a draft became, if it did."""
    row = await db.fetchone(_SELECT + "WHERE r.draft_id = ?", (draft_id,))
    return _request(row) if row else None


async def usage(db: Database, resident_id: int, now: datetime) -> tuple[int, int]:
    """(open requests, requests filed in the last 24 hours) of a resident."""
    row = await db.fetchone(
        f"SELECT sum(status IN {OPEN_SQL}) AS open, "
        "sum(created_at > ?) AS today FROM requests WHERE resident_id = ?",
        (utc_now_iso(now - timedelta(days=1)), resident_id))
    return (row["open"] or 0, row["today"] or 0) if row else (0, 0)


StaffNotices = Callable[[int, str], Notices]  # (request id, code) → notices to owe


async def file_request(
    db: Database, new: NewRequest, *, max_open: int, max_per_day: int,
    notices: StaffNotices, now: datetime | None = None,
) -> tuple[Request, bool]:
    """Store a request from its draft; return (request, filed now?). Raises RequestLimit.
    `notices(id, code)` are owed in the same transaction (the office's staff told)."""
    now = now or db.now()
    existing = await by_draft(db, new.draft_id)
    if existing is not None:
        return existing, False
    open_count, today_count = await usage(db, new.resident_id, now)
    if open_count >= max_open:
        raise RequestLimit("open")
    if today_count >= max_per_day:
        raise RequestLimit("daily")
    stamp = utc_now_iso(now)
    for _attempt in range(10):
        code = new_code()
        try:
            async with db.transaction() as tx:
                cursor = await tx.execute(
                    "INSERT INTO requests (code, draft_id, resident_id, office_id, "
                    "neighbourhood_id, category, description, phone, anonymous, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (code, new.draft_id, new.resident_id, new.office_id,
                     new.neighbourhood_id, new.category, new.description, new.phone,
                     int(new.phone is None), stamp, stamp))
                request_id = cursor.lastrowid
                await tx.execute(
                    "INSERT INTO request_events (request_id, at, actor_id, kind, new_status) "
                    "VALUES (?, ?, ?, 'filed', 'received')", (request_id, stamp, new.resident_id))
                await tx.executemany(
                    "INSERT INTO attachments (request_id, question, kind, file_id, "
                    "file_unique_id) VALUES (?, 'photos', 'photo', ?, ?)",
                    [(request_id, *p) for p in new.photos])
                await tx.executemany(
                    "INSERT INTO attachments (request_id, question, kind, file_id, "
                    "file_unique_id) VALUES (?, 'voice', 'voice', ?, ?)",
                    [(request_id, *v) for v in new.voices])
                if new.location is not None:
                    await tx.execute(
                        "INSERT INTO attachments (request_id, question, kind, latitude, "
                        "longitude) VALUES (?, 'location', 'location', ?, ?)",
                        (request_id, *new.location))
                await tx.execute("DELETE FROM drafts WHERE id = ?", (new.draft_id,))
                for owed in notices(int(request_id), code):  # type: ignore[arg-type]
                    await _owe(tx, owed, now)
            break
        except sqlite3.IntegrityError as error:
            if "requests.draft_id" in str(error):
                found = await by_draft(db, new.draft_id)
                assert found is not None
                return found, False
            if "requests.code" not in str(error):
                raise
    else:  # pragma: no cover - ten random collisions in a row
        raise RuntimeError("could not find a free tracking code")
    request = await by_id(db, int(request_id))  # type: ignore[arg-type]
    assert request is not None
    return request, True


async def for_resident(db: Database, resident_id: int, limit: int = 10) -> list[Request]:
    """A resident's requests, newest first."""
    rows = await db.fetchall(
        _SELECT + "WHERE r.resident_id = ? ORDER BY r.id DESC LIMIT ?", (resident_id, limit))
    return [_request(r) for r in rows]


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: open requests (or one status; with words, every status), of a
    neighbourhood, a category, with words in the text or a code; a page of them."""

    status: str | None = None        # None: every open status
    neighbourhood_id: int | None = None
    category: str | None = None
    words: str | None = None
    offset: int = 0


async def inbox(db: Database, office_ids: Sequence[int], limit: int = 20,
                where: InboxFilter | None = None) -> list[Request]:
    """Requests of these offices that pass the filter (open ones by default), oldest first."""
    return (await inbox_page(db, office_ids, where or InboxFilter(), limit))[0]


async def inbox_page(db: Database, office_ids: Sequence[int], where: InboxFilter,
                     limit: int = 10) -> tuple[list[Request], int]:
    """One page of the filtered inbox and how many requests pass the filter in all."""
    if not office_ids:
        return [], 0
    marks = ", ".join("?" for _ in office_ids)
    sql = f"WHERE r.office_id IN ({marks}) "
    params: list[Any] = list(office_ids)
    if where.status is not None:
        sql += "AND r.status = ? "
        params.append(where.status)
    elif not where.words:  # a search finds closed requests too
        sql += f"AND r.status IN {OPEN_SQL} "
    if where.neighbourhood_id is not None:
        sql += "AND r.neighbourhood_id = ? "
        params.append(where.neighbourhood_id)
    if where.category is not None:
        sql += "AND r.category = ? "
        params.append(where.category)
    if where.words:
        digits = canonical_code(where.words)
        sql += "AND (instr(r.description, ?) > 0" + (" OR r.code = ?)" if digits else ")")
        params += [where.words, digits] if digits else [where.words]
    total = await db.fetchone(
        "SELECT count(*) FROM requests r " + sql, params)
    rows = await db.fetchall(_SELECT + sql + "ORDER BY r.created_at, r.id LIMIT ? OFFSET ?",
                             (*params, limit, where.offset))
    return [_request(r) for r in rows], int(total[0]) if total else 0


async def events(db: Database, request_id: int, *, public_only: bool) -> list[Event]:
    """The request's trail, oldest first."""
    where = "AND e.public = 1 " if public_only else ""
    rows = await db.fetchall(
        "SELECT e.*, p.display_name AS actor_name, t.display_name AS target_name "
        "FROM request_events e LEFT JOIN people p ON p.id = e.actor_id "
        "LEFT JOIN people t ON t.id = e.target_id WHERE e.request_id = ? " + where
        + "ORDER BY e.id", (request_id,))
    return [Event(r["at"], r["actor_name"], r["kind"], r["old_status"], r["new_status"],
                  r["note"], bool(r["public"]), r["id"], r["actor_id"], r["other_code"],
                  r["target_name"], _agency(r)) for r in rows]


async def unheard(db: Database, request: Request) -> tuple[str, list[Event]]:
    """The status the resident last heard of (from a notice sent, or their own doing) and
    the public staff events since, oldest first: what their next notice must say."""
    row = await db.fetchone(
        "SELECT max(created_at) FROM outbox WHERE key LIKE ? AND status != 'pending'",
        (f"request:{request.id}:%",))
    since = row[0] if row is not None else None
    known, news = "received", []
    for event in await events(db, request.id, public_only=True):
        if event.kind in ("filed", "addition", "answer", "reopen", "withdraw") or (
                event.actor_id == request.resident_id) or (
                since is not None and event.at <= since):
            known = event.new_status or known
        else:
            news.append(event)
    return known, news


async def attachments(db: Database, request_id: int) -> list[Row]:
    """The request's photos (by file id) and location, in the order they came."""
    return await db.fetchall(
        "SELECT kind, file_id, latitude, longitude FROM attachments WHERE request_id = ? "
        "ORDER BY id", (request_id,))


async def staff_of_office(db: Database, office_id: int) -> list[tuple[int, int, str]]:
    """(person id, messenger user id, name) of the office's active staff: its facilitators
    and the supervisors of that one office."""
    rows = await db.fetchall(
        "SELECT id, user_id, display_name FROM people WHERE office_id = ? AND active = 1 "
        "AND role IN ('facilitator', 'supervisor') ORDER BY id", (office_id,))
    return [(r[0], r[1], r[2]) for r in rows]


async def followers(db: Database, code: str) -> list[Request]:
    """Requests marked duplicates of this code: their residents follow the original."""
    rows = await db.fetchall(_SELECT + "WHERE r.duplicate_of = ? AND r.status = 'duplicate' "
                             "ORDER BY r.id", (code,))
    return [_request(r) for r in rows]


async def waiting_first_response(db: Database, cutoffs: Mapping[str, str],
                                 default_cutoff: str) -> list[Request]:
    """Open requests no staff member has acted on, filed before their category's cutoff."""
    cases = " ".join(f"WHEN :c{i} THEN :d{i}" for i in range(len(cutoffs)))
    cutoff = f"CASE r.category {cases} ELSE :default END" if cases else ":default"
    params: dict[str, str] = {"default": default_cutoff}
    for i, (category, at) in enumerate(cutoffs.items()):
        params[f"c{i}"], params[f"d{i}"] = category, at
    rows = await db.fetchall(
        _SELECT + f"WHERE r.status IN {OPEN_SQL} "
        f"AND r.first_response_at IS NULL AND r.created_at < {cutoff} ORDER BY r.id", params)
    return [_request(r) for r in rows]


async def _owe(tx: aiosqlite.Connection, owed: Owed, now: datetime) -> None:
    await outbox.owe(tx, owed, now)


async def _apply(
    db: Database, request_id: int, expected_version: int, sets: dict[str, Any],
    event: dict[str, Any], notices: Notices, allowed_from: Sequence[str] | None,
    *, responds: bool = False, files: Files = (),
) -> Request:
    """Change a request if it is still at `expected_version`; else raise Conflict.
    `responds`: a staff action, the first of which is the office's first response;
    `files` are kept as the request's attachments in the same transaction."""
    now = db.now()
    stamp = utc_now_iso(now)
    assignments = "".join(f"{column} = ?, " for column in sets)
    if responds:
        assignments += "first_response_at = coalesce(first_response_at, ?), "
    async with db.transaction() as tx:
        where = "id = ? AND version = ?"
        params: list[Any] = [*sets.values(), *([stamp] if responds else []), stamp,
                             request_id, expected_version]
        if allowed_from is not None:
            where += f" AND status IN ({', '.join('?' for _ in allowed_from)})"
            params += list(allowed_from)
        cursor = await tx.execute(
            f"UPDATE requests SET {assignments}version = version + 1, updated_at = ? "
            f"WHERE {where}", params)
        if cursor.rowcount != 1:
            raise _Stale()
        await _event(tx, request_id, stamp, event)
        await _attach(tx, request_id, files)
        for owed in notices:
            if owed.key.startswith(f"request:{request_id}:"):  # the resident's one notice
                await tx.execute(
                    "DELETE FROM outbox WHERE key LIKE ? AND status = 'pending'",
                    (f"request:{request_id}:%",))
                if not owed.text:  # nothing left to say: the pending one is withdrawn
                    continue
            await _owe(tx, owed, now)
    changed = await by_id(db, request_id)
    assert changed is not None
    return changed


class _Stale(Exception):
    pass


async def _attach(tx: aiosqlite.Connection, request_id: int, files: Files) -> None:
    """Keep files (by the messenger's file id) as the request's attachments."""
    await tx.executemany(
        "INSERT INTO attachments (request_id, question, kind, file_id, file_unique_id) "
        "VALUES (?, ?, ?, ?, ?)", [(request_id, *f) for f in files])


async def _event(tx: aiosqlite.Connection, request_id: int, stamp: str,
                 event: dict[str, Any]) -> None:
    await tx.execute(
        "INSERT INTO request_events (request_id, at, actor_id, kind, old_status, new_status, "
        "note, public, other_code, target_id, agency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (request_id, stamp, event["actor_id"], event["kind"], event.get("old_status"),
         event.get("new_status"), event.get("note"), int(event.get("public", True)),
         event.get("other_code"), event.get("target_id"), event.get("agency")))


async def _current_or_conflict(db: Database, request_id: int, reason: str) -> Conflict:
    current = await by_id(db, request_id)
    assert current is not None
    return Conflict(current, reason)


async def _change(db: Database, request: Request, sets: dict[str, Any], event: dict[str, Any],
                  notices: Notices, allowed_from: Sequence[str] | None,
                  responds: bool = False, files: Files = ()) -> Request:
    try:
        return await _apply(db, request.id, request.version, sets, event, notices,
                            allowed_from, responds=responds, files=files)
    except _Stale:
        raise await _current_or_conflict(db, request.id, "changed") from None


async def change_status(
    db: Database, request: Request, new_status: str, *, actor_id: int,
    notices: Notices, note: str | None = None, duplicate_of: str | None = None,
    agency: str | None = None,
) -> Request:
    """Move a request to `new_status` (if allowed from the state the actor saw); a referral
    names its agency's slug (None: an agency typed by hand, named by the note only)."""
    if new_status not in TRANSITIONS.get(request.status, ()):
        raise await _current_or_conflict(db, request.id, "transition")
    sets: dict[str, Any] = {"status": new_status}
    if new_status == "resolved":  # a new resolution: «was it solved?» is asked again
        sets |= {"resolved_at": db.now_iso(), "solved": None, "solved_at": None}
    if duplicate_of is not None:
        sets["duplicate_of"] = duplicate_of
    if new_status == "referred":
        sets["agency"] = agency
    event = {"actor_id": actor_id, "kind": "status", "old_status": request.status,
             "new_status": new_status, "note": note, "public": True,
             "other_code": duplicate_of, "agency": agency}
    return await _change(db, request, sets, event, notices, [request.status], responds=True)


async def undoable(db: Database, request: Request, actor_id: int,
                   now: datetime | None = None) -> Event | None:
    """The status change this actor may still take back: the request's newest event, a
    status change of theirs less than UNDO_MINUTES old."""
    now = now or db.now()
    trail = await events(db, request.id, public_only=False)
    last = trail[-1] if trail else None
    if (last is None or last.kind != "status" or last.actor_id != actor_id
            or datetime.fromisoformat(last.at) <= now - timedelta(minutes=UNDO_MINUTES)):
        return None
    return last


async def undo(db: Database, request: Request, *, actor_id: int,
               notices: Callable[[str], Notices]) -> Request:
    """Take back the actor's last status change (see `undoable`); `notices(status)` tells
    of the status the request is back at. Raises Conflict if it can no longer be undone."""
    last = await undoable(db, request, actor_id)
    if last is None or last.old_status is None or last.new_status != request.status:
        raise await _current_or_conflict(db, request.id, "undo")
    sets: dict[str, Any] = {"status": last.old_status}
    if request.status == "resolved":
        sets["resolved_at"] = None
    if request.status == "duplicate":
        sets["duplicate_of"] = None
    if request.status == "referred":
        sets["agency"] = None
    event = {"actor_id": actor_id, "kind": "undo", "old_status": request.status,
             "new_status": last.old_status, "public": True}
    return await _change(db, request, sets, event, notices(last.old_status), [request.status])


async def assign(db: Database, request: Request, *, actor_id: int,
                 notices: Notices) -> Request:
    """The actor takes the request (an internal event)."""
    event = {"actor_id": actor_id, "kind": "assign", "note": None, "public": False}
    return await _change(db, request, {"assignee_id": actor_id}, event, notices, None,
                         responds=True)


async def release(db: Database, request: Request, *, actor_id: int,
                  notices: Notices) -> Request:
    """The assignee lets the request go back to the office (internal)."""
    if request.assignee_id != actor_id:
        raise await _current_or_conflict(db, request.id, "transition")
    event = {"actor_id": actor_id, "kind": "release", "public": False}
    return await _change(db, request, {"assignee_id": None}, event, notices, None)


async def hand_over(db: Database, request: Request, *, actor_id: int, to_id: int,
                    notices: Notices) -> Request:
    """Give the request to a colleague (internal; the colleague is told)."""
    event = {"actor_id": actor_id, "kind": "handover", "target_id": to_id, "public": False}
    return await _change(db, request, {"assignee_id": to_id}, event, notices, None,
                         responds=True)


async def add_note(
    db: Database, request: Request, note: str, *, public: bool, actor_id: int,
    notices: Notices,
) -> Request:
    """Add a note, public to the resident (with its notices) or internal."""
    event = {"actor_id": actor_id, "kind": "note", "note": note, "public": public}
    return await _change(db, request, {}, event, notices, None, responds=public)


async def add_from_resident(
    db: Database, request: Request, *, resident_id: int, note: str | None,
    photos: Sequence[tuple[str, str]], notices: Notices,
    voices: Sequence[tuple[str, str]] = (),
) -> Request:
    """The resident adds a detail, photos or voice notes to their request (staff are told;
    on a closed one it is their answer to the office, the status unchanged); kept as
    attachments of the request (question 'addition'). Not on a withdrawn request."""
    if request.status == "withdrawn" or request.resident_id != resident_id:
        raise await _current_or_conflict(db, request.id, "transition")
    event = {"actor_id": resident_id, "kind": "addition", "public": True,
             "note": note if note else None}
    files = [("addition", "photo", *p) for p in photos] + [
        ("addition", "voice", *v) for v in voices]
    return await _change(db, request, {}, event, notices, None, files=files)


async def move(
    db: Database, request: Request, *, actor_id: int, note: str, notices: Notices,
    category: str | None = None, neighbourhood_id: int | None = None,
    office_id: int | None = None,
) -> Request:
    """Staff move a request to another category, neighbourhood or office (to another office:
    its neighbourhood is `neighbourhood_id` or none, and nobody of the old office keeps
    it); `note` says what changed, in the trail (event 'moved', migration 0014)."""
    sets: dict[str, Any] = {}
    if category is not None:
        sets["category"] = category
    if office_id is not None and office_id != request.office_id:
        sets |= {"office_id": office_id, "neighbourhood_id": neighbourhood_id,
                 "assignee_id": None}
    elif neighbourhood_id is not None:
        sets["neighbourhood_id"] = neighbourhood_id
    event = {"actor_id": actor_id, "kind": "moved", "note": note, "public": True}
    return await _change(db, request, sets, event, notices, None, responds=True)


async def withdraw(db: Database, request: Request, *, resident_id: int,
                   notices: Notices) -> Request:
    """The resident withdraws their open request."""
    if not request.is_open or request.resident_id != resident_id:
        raise await _current_or_conflict(db, request.id, "transition")
    event = {"actor_id": resident_id, "kind": "withdraw", "old_status": request.status,
             "new_status": "withdrawn", "public": True}
    return await _change(db, request, {"status": "withdrawn"}, event, notices, OPEN)


async def answer(
    db: Database, request: Request, *, resident_id: int, solved: bool,
    notices: Notices, reason: str | None = None, voices: Sequence[tuple[str, str]] = (),
) -> Request:
    """The resident's answer to «was it solved?»: yes closes it with the answer recorded;
    no reopens it (in review) with their reason (typed, or voice notes kept as attachments
    of the request, question 'not_solved')."""
    if request.status != "resolved" or request.resident_id != resident_id:
        raise await _current_or_conflict(db, request.id, "transition")
    stamp = db.now_iso()
    sets: dict[str, Any] = {"solved": "yes" if solved else "no", "solved_at": stamp}
    event: dict[str, Any] = {"actor_id": resident_id, "kind": "answer", "public": True,
                             "note": reason, "old_status": "resolved",
                             "new_status": "resolved" if solved else "in_review"}
    if not solved:
        sets |= {"status": "in_review", "resolved_at": None}
    return await _change(db, request, sets, event, notices, ["resolved"],
                         files=[("not_solved", "voice", *v) for v in voices])


async def reopen(
    db: Database, request: Request, *, resident_id: int, within_days: int,
    notices: Notices, now: datetime | None = None,
) -> Request:
    """The resident reopens a resolved request within the allowed days."""
    now = now or db.now()
    if request.status != "resolved" or request.resident_id != resident_id or (
        request.resolved_at is None
        or datetime.fromisoformat(request.resolved_at) < now - timedelta(days=within_days)
    ):
        raise await _current_or_conflict(db, request.id, "transition")
    event = {"actor_id": resident_id, "kind": "reopen", "old_status": "resolved",
             "new_status": "in_review", "public": True}
    return await _change(db, request, {"status": "in_review", "resolved_at": None}, event,
                         notices, ["resolved"])
