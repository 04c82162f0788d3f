"""Referrals: a request referred to an agency (the office keeps the case), one row per
request and agency, and the agency's answers as events with actor and time.

An answer is a compare-and-set on the referral's `version`, and the first focal point who
answers takes the referral (`taken_by`): another focal point's later answer raises
`ReferralConflict('taken')` carrying who took it. The office may record an agency's answer
by hand (`by_hand=True`, for agencies that are not in the bot); that takes nothing. Every
notice an answer causes is owed in the same transaction (`storage.outbox`).

Also here: the focal points and supervisors a referral concerns, the rows behind the
per-agency figures, the referrals sheet and the Open311 answers. Dates are ISO dates,
instants UTC ISO text; nothing Persian.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from storage import outbox
from storage.db import Database, Queries, Row, utc_now_iso
from storage.requests import Owed

OPEN_STATES = ("referred", "acknowledged", "in_progress", "more_info")
CLOSED_STATES = ("done", "not_ours", "withdrawn")
ANSWERS = ("acknowledged", "in_progress", "done", "not_ours", "more_info")
_AFTER_ANSWER = {"referred": ANSWERS, "acknowledged": ANSWERS[1:], "in_progress": ANSWERS[1:],
                 "more_info": ANSWERS}


class ReferralConflict(Exception):
    """The answer cannot be applied. `reason`: 'taken' (another focal point answered
    first; `current.taken_by_name` says who), 'changed' (the referral moved on since it was
    shown), 'state' (not an answer its state allows), 'exists' (already open)."""

    def __init__(self, current: Referral, reason: str) -> None:
        super().__init__(reason)
        self.current = current
        self.reason = reason


@dataclass(frozen=True)
class Referral:
    """A referral with the request's code and office."""

    id: int
    request_id: int
    request_code: str
    office_id: int
    agency: str
    state: str
    version: int
    referred_by: int | None
    referred_at: str
    phone_consent: bool
    taken_by: int | None
    taken_by_name: str | None
    acknowledged_at: str | None
    promised_date: str | None
    done_at: str | None
    closed_at: str | None
    letter_number: str | None
    letter_date: str | None
    updated_at: str

    @property
    def is_open(self) -> bool:
        """Still waiting for the agency (or for the office's answer to its question)."""
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class ReferralEvent:
    """One entry of a referral's history."""

    id: int
    at: str
    actor_id: int | None
    actor_name: str | None
    by_hand: bool
    kind: str
    promised_date: str | None
    note: str | None
    photos: tuple[str, ...]


_SELECT = """
SELECT f.*, r.code AS request_code, r.office_id, t.display_name AS taken_by_name
FROM referrals f
JOIN requests r ON r.id = f.request_id
LEFT JOIN people t ON t.id = f.taken_by
"""


def _referral(r: Row) -> Referral:
    return Referral(
        id=r["id"], request_id=r["request_id"], request_code=r["request_code"],
        office_id=r["office_id"], agency=r["agency"], state=r["state"], version=r["version"],
        referred_by=r["referred_by"], referred_at=r["referred_at"],
        phone_consent=bool(r["phone_consent"]), taken_by=r["taken_by"],
        taken_by_name=r["taken_by_name"], acknowledged_at=r["acknowledged_at"],
        promised_date=r["promised_date"], done_at=r["done_at"], closed_at=r["closed_at"],
        letter_number=r["letter_number"], letter_date=r["letter_date"],
        updated_at=r["updated_at"])


async def get(db: Database, referral_id: int) -> Referral | None:
    """The referral with this id."""
    row = await db.fetchone(_SELECT + "WHERE f.id = ?", (referral_id,))
    return _referral(row) if row else None


async def of_request(db: Database, request_id: int) -> list[Referral]:
    """Every referral of one request, oldest first."""
    rows = await db.fetchall(_SELECT + "WHERE f.request_id = ? ORDER BY f.id", (request_id,))
    return [_referral(r) for r in rows]


async def history(db: Database, referral_id: int) -> list[ReferralEvent]:
    """A referral's events, oldest first."""
    rows = await db.fetchall(
        "SELECT e.*, p.display_name AS actor_name FROM referral_events e "
        "LEFT JOIN people p ON p.id = e.actor_id WHERE e.referral_id = ? ORDER BY e.id",
        (referral_id,))
    return [ReferralEvent(r["id"], r["at"], r["actor_id"], r["actor_name"], bool(r["by_hand"]),
                          r["kind"], r["promised_date"], r["note"],
                          tuple(json.loads(r["photos"]))) for r in rows]


async def _event(tx: aiosqlite.Connection, referral_id: int, stamp: str, kind: str, *,
                 actor_id: int | None, by_hand: bool = False, promised: str | None = None,
                 note: str | None = None, photos: Sequence[str] = ()) -> None:
    await tx.execute(
        "INSERT INTO referral_events (referral_id, at, actor_id, by_hand, kind, promised_date, "
        "note, photos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (referral_id, stamp, actor_id, int(by_hand), kind, promised, note,
         json.dumps(list(photos))))


async def _owe(tx: aiosqlite.Connection, notices: Sequence[Owed], now: datetime) -> None:
    for owed in notices:
        if owed.chat_id < 0:  # a forgotten resident (storage.privacy): nobody to tell
            continue
        await outbox.enqueue(tx, owed.key, owed.chat_id, owed.text, now=now,
                             buttons=owed.buttons, not_before=owed.not_before)


async def open_referral(tx: aiosqlite.Connection, *, request_id: int, agency: str,
                        referred_by: int | None, now: datetime, phone_consent: bool = False,
                        by_hand: bool = False) -> int | None:
    """Inside the caller's transaction (the request's own change to 'referred'): refer the
    request to the agency, or refer it again after «done»/«not ours»; the referral's id, or
    None when it is open there already."""
    stamp = utc_now_iso(now)
    cursor = await tx.execute(
        "SELECT id, state FROM referrals WHERE request_id = ? AND agency = ?",
        (request_id, agency))
    found = await cursor.fetchone()
    if found is not None and found["state"] in OPEN_STATES:
        return None
    if found is None:
        cursor = await tx.execute(
            "INSERT INTO referrals (request_id, agency, referred_by, referred_at, phone_consent, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, agency, referred_by, stamp, int(phone_consent), stamp))
        referral_id = cursor.lastrowid
        assert referral_id is not None
    else:
        referral_id = found["id"]
        await tx.execute(
            "UPDATE referrals SET state = 'referred', version = version + 1, referred_by = ?, "
            "referred_at = ?, phone_consent = ?, taken_by = NULL, acknowledged_at = NULL, "
            "promised_date = NULL, done_at = NULL, closed_at = NULL, updated_at = ? "
            "WHERE id = ?", (referred_by, stamp, int(phone_consent), stamp, referral_id))
    await _event(tx, referral_id, stamp, "referred", actor_id=referred_by, by_hand=by_hand)
    return referral_id


async def version_in(tx: aiosqlite.Connection, referral_id: int) -> int:
    """Inside a transaction: the referral's version now (the one its buttons carry)."""
    cursor = await tx.execute("SELECT version FROM referrals WHERE id = ?", (referral_id,))
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def of_agency(db: Database, agency: str, office_ids: Sequence[int], *,
                    open_only: bool = True, limit: int = 20) -> list[Referral]:
    """An agency's referrals from these offices, newest first (open ones only by default)."""
    ids = list(office_ids)
    states = OPEN_STATES if open_only else OPEN_STATES + CLOSED_STATES
    rows = await db.fetchall(
        _SELECT + f"WHERE f.agency = ? AND r.office_id IN ({_in(ids)}) "
        f"AND f.state IN ({_in(list(states))}) ORDER BY f.referred_at DESC, f.id DESC LIMIT ?",
        (agency, *ids, *states, limit))
    return [_referral(r) for r in rows]


async def refer(db: Database, *, request_id: int, agency: str, referred_by: int | None,
                phone_consent: bool = False, notices: Sequence[Owed] = ()) -> Referral:
    """Refer a request to an agency on its own (the request's status is the caller's);
    ReferralConflict('exists') when it is open there already."""
    now = db.now()
    async with db.transaction() as tx:
        referral_id = await open_referral(tx, request_id=request_id, agency=agency,
                                          referred_by=referred_by, now=now,
                                          phone_consent=phone_consent)
        if referral_id is not None:
            await _owe(tx, notices, now)
    if referral_id is None:
        rows = await db.fetchall(_SELECT + "WHERE f.request_id = ? AND f.agency = ?",
                                 (request_id, agency))
        raise ReferralConflict(_referral(rows[0]), "exists")
    found = await get(db, referral_id)
    assert found is not None
    return found


async def _conflict(db: Database, referral_id: int, reason: str) -> ReferralConflict:
    current = await get(db, referral_id)
    assert current is not None
    return ReferralConflict(current, reason)


async def answer(db: Database, referral: Referral, kind: str, *, actor_id: int,
                 by_hand: bool = False, promised: date | None = None, note: str | None = None,
                 photos: Sequence[str] = (), notices: Sequence[Owed] = ()) -> Referral:
    """The agency's answer: 'acknowledged', 'in_progress' (with `promised`), 'done' (note,
    photos), 'not_ours' (note: the reason) or 'more_info' (note: the question). Applied only
    if `referral` is still the current version; a focal point's first answer takes it."""
    if kind not in ANSWERS:
        raise ValueError(f"not an answer: {kind!r}")
    if kind == "in_progress" and promised is None:
        raise ValueError("'in_progress' needs the promised date")
    if referral.taken_by is not None and not by_hand and referral.taken_by != actor_id:
        raise await _conflict(db, referral.id, "taken")
    if kind not in _AFTER_ANSWER.get(referral.state, ()):
        raise await _conflict(db, referral.id, "state")
    now = db.now()
    stamp = utc_now_iso(now)
    promised_iso = promised.isoformat() if promised else None
    sets = ["state = ?", "version = version + 1", "updated_at = ?",
            "acknowledged_at = coalesce(acknowledged_at, ?)"]
    params: list[Any] = [kind, stamp, stamp]
    if not by_hand:
        sets.append("taken_by = coalesce(taken_by, ?)")
        params.append(actor_id)
    if promised_iso:
        sets.append("promised_date = ?")
        params.append(promised_iso)
    if kind == "done":
        sets.append("done_at = ?")
        params.append(stamp)
    if kind in CLOSED_STATES:
        sets.append("closed_at = ?")
        params.append(stamp)
    taken_guard = "" if by_hand else " AND (taken_by IS NULL OR taken_by = ?)"
    params += [referral.id, referral.version] + ([] if by_hand else [actor_id])
    async with db.transaction() as tx:
        cursor = await tx.execute(
            f"UPDATE referrals SET {', '.join(sets)} WHERE id = ? AND version = ?{taken_guard}",
            params)
        if cursor.rowcount == 1:
            await _event(tx, referral.id, stamp, kind, actor_id=actor_id, by_hand=by_hand,
                         promised=promised_iso, note=note, photos=photos)
            await _owe(tx, notices, now)
    if cursor.rowcount != 1:
        current = await get(db, referral.id)
        assert current is not None
        taken = current.taken_by is not None and not by_hand and current.taken_by != actor_id
        raise ReferralConflict(current, "taken" if taken else "changed")
    fresh = await get(db, referral.id)
    assert fresh is not None
    return fresh


async def _office_change(db: Database, referral: Referral, kind: str, sets: dict[str, Any], *,
                         actor_id: int, note: str | None = None,
                         notices: Sequence[Owed] = ()) -> Referral:
    now = db.now()
    stamp = utc_now_iso(now)
    columns = ", ".join(f"{name} = ?" for name in sets)
    async with db.transaction() as tx:
        cursor = await tx.execute(
            f"UPDATE referrals SET {columns}, version = version + 1, updated_at = ? "
            "WHERE id = ? AND version = ?",
            (*sets.values(), stamp, referral.id, referral.version))
        if cursor.rowcount == 1:
            await _event(tx, referral.id, stamp, kind, actor_id=actor_id, by_hand=True,
                         note=note)
            await _owe(tx, notices, now)
    if cursor.rowcount != 1:
        raise await _conflict(db, referral.id, "changed")
    fresh = await get(db, referral.id)
    assert fresh is not None
    return fresh


async def record_letter(db: Database, referral: Referral, *, actor_id: int, number: str,
                        letter_date: date) -> Referral:
    """The office records the referral letter's number and date (by hand)."""
    return await _office_change(
        db, referral, "letter", {"letter_number": number.strip(),
                                 "letter_date": letter_date.isoformat()},
        actor_id=actor_id, note=f"{number.strip()} {letter_date.isoformat()}")


async def give_info(db: Database, referral: Referral, *, actor_id: int, note: str,
                    notices: Sequence[Owed] = ()) -> Referral:
    """The office answers the agency's question: the ball is back with the agency."""
    if referral.state != "more_info":
        raise await _conflict(db, referral.id, "state")
    back = "in_progress" if referral.promised_date else "acknowledged"
    return await _office_change(db, referral, "info", {"state": back}, actor_id=actor_id,
                                note=note, notices=notices)


async def withdraw(db: Database, referral: Referral, *, actor_id: int,
                   note: str | None = None) -> Referral:
    """The office takes the referral back (the request was solved otherwise)."""
    if not referral.is_open:
        raise await _conflict(db, referral.id, "state")
    return await _office_change(db, referral, "withdrawn",
                                {"state": "withdrawn", "closed_at": db.now_iso()},
                                actor_id=actor_id, note=note)


async def open_for_reminders(db: Database) -> list[Referral]:
    """Open referrals of requests still open, for the service-level reminders."""
    rows = await db.fetchall(
        _SELECT + "WHERE f.state IN ('referred', 'acknowledged', 'in_progress', 'more_info') "
        "AND r.status IN ('received', 'in_review', 'referred') ORDER BY f.id")
    return [_referral(r) for r in rows]


async def focal_points(db: Database, agency: str, office_id: int) -> list[tuple[int, int, str]]:
    """(person id, messenger user id, name) of the agency's active focal points whose scope
    holds the office: its province, or the office among theirs."""
    rows = await db.fetchall(
        "SELECT p.id, p.user_id, p.display_name FROM people p WHERE p.role = 'agency' "
        "AND p.active = 1 AND p.agency = ? AND ("
        "p.province_id = (SELECT province_id FROM offices WHERE id = ?) "
        "OR EXISTS (SELECT 1 FROM agency_offices a WHERE a.person_id = p.id "
        "AND a.office_id = ?)) ORDER BY p.id", (agency, office_id, office_id))
    return [(r[0], r[1], r[2]) for r in rows]


async def focal_point_offices(db: Database, person_id: int) -> list[int]:
    """The offices a focal point's scope holds (their province's, or their own list)."""
    rows = await db.fetchall(
        "SELECT o.id FROM offices o JOIN people p ON p.id = ? "
        "WHERE p.role = 'agency' AND p.active = 1 AND o.active = 1 AND "
        "(o.province_id = p.province_id OR o.id IN "
        "(SELECT office_id FROM agency_offices WHERE person_id = p.id)) ORDER BY o.id",
        (person_id,))
    return [r[0] for r in rows]


async def supervisors_of_office(db: Database, office_id: int) -> list[tuple[int, int, str]]:
    """(person id, messenger user id, name) of the active supervisors of the office: of it
    alone or of its whole province."""
    rows = await db.fetchall(
        "SELECT id, user_id, display_name FROM people WHERE role = 'supervisor' AND active = 1 "
        "AND (office_id = ? OR province_id = (SELECT province_id FROM offices WHERE id = ?)) "
        "ORDER BY id", (office_id, office_id))
    return [(r[0], r[1], r[2]) for r in rows]


@dataclass(frozen=True)
class FigureRow:
    """What the per-agency figures are computed from (one referral)."""

    agency: str
    state: str
    referred_at: str
    acknowledged_at: str | None
    promised_date: str | None
    done_at: str | None
    request_open: bool = True


def _in(ids: Sequence[object]) -> str:
    return ",".join("?" * len(ids)) or "NULL"


async def figure_rows(db: Queries, office_ids: Sequence[int], end: str
                      ) -> tuple[list[FigureRow], list[tuple[str, str]]]:
    """The referrals of these offices referred before `end` (UTC ISO), and the
    (agency, at) of every «not ours» answer before it."""
    ids = list(office_ids)
    rows = await db.fetchall(
        "SELECT f.agency, f.state, f.referred_at, f.acknowledged_at, f.promised_date, "
        "f.done_at, r.status IN ('received', 'in_review', 'referred') "
        f"FROM referrals f JOIN requests r ON r.id = f.request_id "
        f"WHERE r.office_id IN ({_in(ids)}) AND f.referred_at < ? ORDER BY f.id",
        (*ids, end))
    not_ours = await db.fetchall(
        "SELECT f.agency, e.at FROM referral_events e JOIN referrals f ON f.id = e.referral_id "
        f"JOIN requests r ON r.id = f.request_id WHERE r.office_id IN ({_in(ids)}) "
        "AND e.kind = 'not_ours' AND e.at < ? ORDER BY e.id", (*ids, end))
    return ([FigureRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows],
            [(r[0], r[1]) for r in not_ours])


@dataclass(frozen=True)
class SheetRow:
    """One referral as the export shows it (no resident's name or phone)."""

    request_code: str
    office_name: str
    neighbourhood_name: str | None
    category: str
    agency: str
    state: str
    referred_at: str
    letter_number: str | None
    letter_date: str | None
    acknowledged_at: str | None
    promised_date: str | None
    done_at: str | None
    closed_at: str | None
    taken_by_name: str | None
    last_note: str | None


async def sheet_rows(db: Queries, office_ids: Sequence[int], start: str, end: str
                     ) -> list[SheetRow]:
    """Referrals of these offices referred in [start, end) (UTC ISO), oldest first, with the
    last note of their history (a reason, a question, a done note)."""
    ids = list(office_ids)
    rows = await db.fetchall(
        "SELECT r.code, o.name AS office_name, n.name AS hood, r.category, f.agency, f.state, "
        "f.referred_at, f.letter_number, f.letter_date, f.acknowledged_at, f.promised_date, "
        "f.done_at, f.closed_at, t.display_name AS taken, "
        "(SELECT e.note FROM referral_events e WHERE e.referral_id = f.id "
        " AND e.note IS NOT NULL AND e.kind != 'letter' ORDER BY e.id DESC LIMIT 1) AS note "
        "FROM referrals f JOIN requests r ON r.id = f.request_id "
        "JOIN offices o ON o.id = r.office_id LEFT JOIN neighbourhoods n "
        "ON n.id = r.neighbourhood_id LEFT JOIN people t ON t.id = f.taken_by "
        f"WHERE r.office_id IN ({_in(ids)}) AND f.referred_at >= ? AND f.referred_at < ? "
        "ORDER BY f.referred_at, f.id", (*ids, start, end))
    return [SheetRow(*tuple(r)) for r in rows]


@dataclass(frozen=True)
class PublicRow:
    """One referral as Open311 may show it: no name, phone or text of the resident."""

    code: str
    agency: str
    category: str
    state: str
    request_status: str
    neighbourhood_slug: str | None
    neighbourhood_name: str | None
    office_slug: str
    requested_at: str
    referred_at: str
    updated_at: str
    promised_date: str | None


_PUBLIC = (
    "SELECT r.code, f.agency, r.category, f.state, r.status, n.slug, n.name, o.slug, r.created_at, "
    "f.referred_at, max(f.updated_at, r.updated_at), f.promised_date "
    "FROM referrals f JOIN requests r ON r.id = f.request_id "
    "JOIN offices o ON o.id = r.office_id "
    "LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id WHERE f.agency = ? ")


async def public_rows(db: Database, agency: str, *, codes: Sequence[str] = (),
                      categories: Sequence[str] = (), closed: bool | None = None,
                      start: str | None = None, end: str | None = None,
                      limit: int = 1000) -> list[PublicRow]:
    """An agency's referrals, newest referral first: optionally only these tracking codes
    or categories, only open or only closed ones (closed: the agency answered «done» or «not
    ours», the office withdrew it, or the request itself is closed), referred in
    [start, end) (UTC ISO)."""
    sql, params = _PUBLIC, [agency]
    for column, values in (("r.code", codes), ("r.category", categories)):
        if values:
            sql += f"AND {column} IN ({_in(list(values))}) "
            params += list(values)
    if closed is not None:
        sql += ("AND " + ("" if closed else "NOT ") + "(f.state IN ('done', 'not_ours', "
                "'withdrawn') OR r.status NOT IN ('received', 'in_review', 'referred')) ")
    if start is not None:
        sql += "AND f.referred_at >= ? "
        params.append(start)
    if end is not None:
        sql += "AND f.referred_at < ? "
        params.append(end)
    sql += "ORDER BY f.referred_at DESC, f.id DESC LIMIT ?"
    rows = await db.fetchall(sql, (*params, limit))
    return [PublicRow(*tuple(r)) for r in rows]
