"""Residents' requests: filing (with a random tracking code and abuse limits), reading,
and every change as an event with actor, time, old and new status.

Changes are compare-and-set on the request's `version`: of two staff acting on the same
request at once, exactly one wins and the other gets `Conflict` with the current state.
A notice to the resident is owed in the same transaction (see `outbox`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from storage import outbox
from storage.db import Database, Row, utc_now_iso

OPEN = ("received", "in_review", "referred")
CLOSED = ("resolved", "rejected", "duplicate")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_review", "referred", "resolved", "rejected", "duplicate"),
    "in_review": ("referred", "resolved", "rejected", "duplicate"),
    "referred": ("in_review", "resolved", "rejected"),
    "resolved": (),
    "rejected": (),
    "duplicate": (),
}
CODE_DIGITS = 8

NoticeSpec = tuple[str, int, str]  # (outbox key, chat id, text)


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
    )


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
        "SELECT sum(status IN ('received', 'in_review', 'referred')) AS open, "
        "sum(created_at > ?) AS today FROM requests WHERE resident_id = ?",
        (utc_now_iso(now - timedelta(days=1)), resident_id))
    return (row["open"] or 0, row["today"] or 0) if row else (0, 0)


async def file_request(
    db: Database, new: NewRequest, *, max_open: int, max_per_day: int,
    now: datetime | None = None,
) -> tuple[Request, bool]:
    """Store a request from its draft; return (request, filed now?). Raises RequestLimit."""
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
        try:
            async with db.transaction() as tx:
                cursor = await tx.execute(
                    "INSERT INTO requests (code, draft_id, resident_id, office_id, "
                    "neighbourhood_id, category, description, phone, anonymous, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (new_code(), new.draft_id, new.resident_id, new.office_id,
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


async def inbox(db: Database, office_ids: Sequence[int], limit: int = 20) -> list[Request]:
    """Open requests of these offices, oldest first."""
    if not office_ids:
        return []
    marks = ", ".join("?" for _ in office_ids)
    rows = await db.fetchall(
        _SELECT + f"WHERE r.office_id IN ({marks}) AND r.status IN "
        "('received', 'in_review', 'referred') ORDER BY r.created_at, r.id LIMIT ?",
        (*office_ids, limit))
    return [_request(r) for r in rows]


async def events(db: Database, request_id: int, *, public_only: bool) -> list[Event]:
    """The request's trail, oldest first."""
    where = "AND e.public = 1 " if public_only else ""
    rows = await db.fetchall(
        "SELECT e.*, p.display_name AS actor_name FROM request_events e "
        "LEFT JOIN people p ON p.id = e.actor_id WHERE e.request_id = ? " + where
        + "ORDER BY e.id", (request_id,))
    return [Event(r["at"], r["actor_name"], r["kind"], r["old_status"], r["new_status"],
                  r["note"], bool(r["public"])) for r in rows]


async def _apply(
    db: Database, request_id: int, expected_version: int, sets: dict[str, Any],
    event: dict[str, Any], notice: NoticeSpec | None, allowed_from: Sequence[str] | None,
) -> Request:
    """Change a request if it is still at `expected_version`; else raise Conflict."""
    now = db.now()
    stamp = utc_now_iso(now)
    assignments = ", ".join(f"{column} = ?" for column in sets)
    async with db.transaction() as tx:
        where = "id = ? AND version = ?"
        params: list[Any] = [*sets.values(), stamp, request_id, expected_version]
        if allowed_from is not None:
            where += f" AND status IN ({', '.join('?' for _ in allowed_from)})"
            params += list(allowed_from)
        cursor = await tx.execute(
            f"UPDATE requests SET {assignments + ', ' if assignments else ''}"
            f"version = version + 1, updated_at = ? WHERE {where}", params)
        if cursor.rowcount != 1:
            raise _Stale()
        await _event(tx, request_id, stamp, event)
        if notice is not None:
            await outbox.enqueue(tx, *notice, now=now)
    changed = await by_id(db, request_id)
    assert changed is not None
    return changed


class _Stale(Exception):
    pass


async def _event(tx: aiosqlite.Connection, request_id: int, stamp: str,
                 event: dict[str, Any]) -> None:
    await tx.execute(
        "INSERT INTO request_events (request_id, at, actor_id, kind, old_status, new_status, "
        "note, public) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (request_id, stamp, event["actor_id"], event["kind"], event.get("old_status"),
         event.get("new_status"), event.get("note"), int(event.get("public", True))))


async def _current_or_conflict(db: Database, request_id: int, reason: str) -> Conflict:
    current = await by_id(db, request_id)
    assert current is not None
    return Conflict(current, reason)


async def change_status(
    db: Database, request: Request, new_status: str, *, actor_id: int,
    note: str | None = None, duplicate_of: str | None = None,
    notice: NoticeSpec | None = None,
) -> Request:
    """Move a request to `new_status` (if allowed from the state the actor saw)."""
    if new_status not in TRANSITIONS.get(request.status, ()):
        raise await _current_or_conflict(db, request.id, "transition")
    sets: dict[str, Any] = {"status": new_status}
    if new_status == "resolved":
        sets["resolved_at"] = db.now_iso()
    if duplicate_of is not None:
        sets["duplicate_of"] = duplicate_of
    event = {"actor_id": actor_id, "kind": "status", "old_status": request.status,
             "new_status": new_status, "note": note, "public": True}
    try:
        return await _apply(db, request.id, request.version, sets, event, notice,
                            [request.status])
    except _Stale:
        raise await _current_or_conflict(db, request.id, "changed") from None


async def assign(db: Database, request: Request, *, actor_id: int) -> Request:
    """The actor takes the request (an internal event: the resident is not told)."""
    event = {"actor_id": actor_id, "kind": "assign", "note": None, "public": False}
    try:
        return await _apply(db, request.id, request.version, {"assignee_id": actor_id}, event,
                            None, None)
    except _Stale:
        raise await _current_or_conflict(db, request.id, "changed") from None


async def add_note(
    db: Database, request: Request, note: str, *, public: bool, actor_id: int,
    notice: NoticeSpec | None,
) -> Request:
    """Add a note, public to the resident (with a notice) or internal."""
    event = {"actor_id": actor_id, "kind": "note", "note": note, "public": public}
    try:
        return await _apply(db, request.id, request.version, {}, event,
                            notice if public else None, None)
    except _Stale:
        raise await _current_or_conflict(db, request.id, "changed") from None


async def reopen(
    db: Database, request: Request, *, resident_id: int, within_days: int,
    now: datetime | None = None,
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
    try:
        return await _apply(db, request.id, request.version,
                            {"status": "in_review", "resolved_at": None}, event, None,
                            ["resolved"])
    except _Stale:
        raise await _current_or_conflict(db, request.id, "changed") from None
