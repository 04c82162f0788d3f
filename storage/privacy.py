"""Privacy in the store: the append-only access log (every look at personal data), forgetting
a person, and the retention job that removes the personal data of long-closed requests.

What stays after either: a request's code, office, category, neighbourhood, status, dates and
trail of status changes, so digests and counts do not change. What goes: names, messenger
ids, phone numbers, free text, photos, voice notes, documents and exact locations (a request's
place is then its neighbourhood), drafts, conversation state and the notices that quoted them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosqlite

from storage import audit, outbox
from storage.db import Database, utc_now_iso
from storage.requests import CLOSED, Owed, canonical_code

THROUGH = ("chat", "dashboard", "export", "agency", "cli")
MEDIA_KINDS = ("photo", "voice", "document", "location")
_MEDIA_COUNTED = {"photo": "photos", "voice": "voices", "document": "documents",
                  "location": "locations"}
FORGOTTEN_NAME = ""  # a forgotten person's display name: the chat shows «ساکن (حذف‌شده)»
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
STALE_DRAFT_DAYS = 30  # an unfinished form untouched this long is dropped by retention


# ----- the access log -----

@dataclass(frozen=True)
class Look:
    """One recorded look at personal data."""

    id: int
    at: str                 # UTC ISO
    person_id: int | None   # None: the operator on the command line
    person_name: str | None
    role: str | None
    kind: str               # phone, details, media, request, export …
    request_id: int | None
    request_code: str | None
    detail: str
    through: str


async def log_look(db: Database | aiosqlite.Connection, *, person_id: int | None, kind: str,
                   through: str, request_id: int | None = None, detail: str = "",
                   at: str | None = None) -> None:
    """Record a look: on the database (its own statement) or inside a caller's transaction
    (pass the connection and `at`). `detail` names an export or a file, never a phone
    number or a resident's text."""
    if through not in THROUGH:
        raise ValueError(f"through must be one of {THROUGH}, not {through!r}")
    sql = ("INSERT INTO access_log (at, person_id, kind, request_id, detail, through) "
           "VALUES (?, ?, ?, ?, ?, ?)")
    if isinstance(db, Database):
        await db.execute(sql, (at or db.now_iso(), person_id, kind, request_id, detail,
                               through))
    else:
        assert at is not None, "inside a transaction, pass the instant"
        await db.execute(sql, (at, person_id, kind, request_id, detail, through))


async def looks(db: Database, person: int | None = None, request_code: str | None = None,
                since: str | None = None, until: str | None = None,
                limit: int | None = None) -> list[Look]:
    """Recorded looks, oldest first: by one person, at one request (by code), from an
    instant (UTC ISO) on and before another."""
    where: list[str] = ["1"]
    params: list[object] = []
    if person is not None:
        where.append("l.person_id = ?")
        params.append(person)
    if request_code is not None:
        where.append("r.code = ?")
        params.append(canonical_code(request_code.translate(_DIGITS)))
    if since is not None:
        where.append("l.at >= ?")
        params.append(since)
    if until is not None:
        where.append("l.at < ?")
        params.append(until)
    sql = ("SELECT l.*, p.display_name, p.role, r.code FROM access_log l "
           "LEFT JOIN people p ON p.id = l.person_id LEFT JOIN requests r ON r.id = l.request_id "
           f"WHERE {' AND '.join(where)} ORDER BY l.at, l.id")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = await db.fetchall(sql, params)
    return [Look(r["id"], r["at"], r["person_id"], r["display_name"], r["role"], r["kind"],
                 r["request_id"], r["code"], r["detail"], r["through"]) for r in rows]


async def looks_by_person(db: Database, start: str, end: str
                          ) -> list[tuple[int | None, str | None, str | None, int]]:
    """(person id, name, role, looks) in [start, end) (UTC ISO), the most looks first: the
    admins' monthly digest line."""
    rows = await db.fetchall(
        "SELECT l.person_id, p.display_name, p.role, count(*) AS n FROM access_log l "
        "LEFT JOIN people p ON p.id = l.person_id WHERE l.at >= ? AND l.at < ? "
        "GROUP BY l.person_id ORDER BY n DESC, l.person_id", (start, end))
    return [(r["person_id"], r["display_name"], r["role"], r["n"]) for r in rows]


# ----- notices that quote a request -----

def request_of_notice(key: str) -> int | None:
    """The request an outbox key is about (`staff:<cause>:<id>:…`, `request:<id>:…`,
    `follow:<follower>:<id>:…`, `firstresp:<id>:…`), or None."""
    parts = key.split(":")
    position = {"staff": 2, "request": 1, "follow": 2, "firstresp": 1}.get(parts[0])
    if position is None or len(parts) <= position or not parts[position].isdigit():
        return None
    return int(parts[position])


async def _scrub_notices(tx: aiosqlite.Connection, request_ids: set[int]) -> int:
    """Notices about these requests: pending ones dropped, delivered ones emptied."""
    if not request_ids:
        return 0
    cursor = await tx.execute("SELECT id, key, status FROM outbox WHERE text != '' "
                              "OR status = 'pending'")
    rows = await cursor.fetchall()
    hit = [(r[0], r[2]) for r in rows if request_of_notice(r[1]) in request_ids]
    await tx.executemany("DELETE FROM outbox WHERE id = ?",
                         [(i,) for i, status in hit if status == "pending"])
    await tx.executemany("UPDATE outbox SET text = '', markup = NULL, photo = NULL "
                         "WHERE id = ?", [(i,) for i, status in hit if status != "pending"])
    return len(hit)


async def _remove_request_data(tx: aiosqlite.Connection, request_ids: Sequence[int],
                               stamp: str, removed: Counter[str]) -> None:
    """Everything personal of these (closed) requests: phone, text, media, exact place,
    every note of their trail, the notices that quoted them."""
    if not request_ids:
        return
    marks = ", ".join("?" for _ in request_ids)
    ids = list(request_ids)
    row = await (await tx.execute(
        f"SELECT sum(phone IS NOT NULL), sum(description != '') FROM requests "
        f"WHERE id IN ({marks})", ids)).fetchone()
    removed["phones"] += (row[0] or 0) if row else 0
    removed["texts"] += (row[1] or 0) if row else 0
    await tx.execute(
        f"UPDATE requests SET phone = NULL, anonymous = 1, description = '', "
        f"personal_removed_at = coalesce(personal_removed_at, ?), version = version + 1 "
        f"WHERE id IN ({marks})", [stamp, *ids])
    for kind, count in await (await tx.execute(
            f"SELECT kind, count(*) FROM attachments WHERE request_id IN ({marks}) "
            "GROUP BY kind", ids)).fetchall():
        removed[_MEDIA_COUNTED.get(kind, kind)] += count
    await tx.execute(f"DELETE FROM attachments WHERE request_id IN ({marks})", ids)
    cursor = await tx.execute(
        f"UPDATE request_events SET note = NULL WHERE request_id IN ({marks}) "
        "AND note IS NOT NULL", ids)
    removed["notes"] += cursor.rowcount
    removed["notices"] += await _scrub_notices(tx, set(ids))


# ----- forgetting a person -----

@dataclass(frozen=True)
class Forgotten:
    """What forgetting a person removed (kind → count), and their open requests, which the
    office keeps working on without a way to reach the resident: (id, code, office id)."""

    person_id: int
    removed: dict[str, int] = field(default_factory=dict)
    open_requests: tuple[tuple[int, str, int], ...] = ()


OfficeNotices = Callable[[int, str, int], Iterable[Owed]]  # (id, code, office) → notices


async def forget_person(db: Database, person_id: int, *,
                        notices: OfficeNotices | None = None) -> Forgotten:
    """Forget a person: their name and messenger id (the row stays, empty, for the requests
    that point at it), phone numbers, drafts, conversation state, and every notice to them;
    the notes they typed in any trail; their closed requests' text, media and exact place.
    Their open requests stay with the office, marked as from a resident who can no longer be
    reached; `notices(id, code, office)` tells the office, in the same transaction."""
    now = db.now()
    stamp = utc_now_iso(now)
    removed: Counter[str] = Counter()
    await db.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed in the file
    async with db.transaction() as tx:
        person = await (await tx.execute(
            "SELECT user_id, display_name, forgotten_at FROM people WHERE id = ?",
            (person_id,))).fetchone()
        if person is None or person[2] is not None:
            return Forgotten(person_id)
        user_id, name = int(person[0]), str(person[1])
        requests = await (await tx.execute(
            "SELECT id, code, office_id, status FROM requests WHERE resident_id = ? "
            "ORDER BY id", (person_id,))).fetchall()
        closed = [r[0] for r in requests if r[3] in CLOSED]
        still_open = tuple((r[0], r[1], r[2]) for r in requests if r[3] not in CLOSED)
        await _remove_request_data(tx, closed, stamp, removed)
        cursor = await tx.execute(
            "UPDATE requests SET phone = NULL, anonymous = 1, resident_forgotten_at = ?, "
            "version = version + 1 WHERE resident_id = ? AND phone IS NOT NULL", (stamp, person_id))
        removed["phones"] += cursor.rowcount
        await tx.execute("UPDATE requests SET resident_forgotten_at = ? WHERE resident_id = ?",
                         (stamp, person_id))
        cursor = await tx.execute(
            "UPDATE request_events SET note = NULL WHERE actor_id = ? AND note IS NOT NULL",
            (person_id,))
        removed["notes"] += cursor.rowcount
        removed["drafts"] += (await tx.execute(
            "DELETE FROM drafts WHERE person_id = ?", (person_id,))).rowcount
        removed["conversations"] += await _drop_conversations(tx, {user_id})
        removed["notices"] += (await tx.execute(
            "DELETE FROM outbox WHERE chat_id = ?", (user_id,))).rowcount
        await tx.execute("DELETE FROM digest_chats WHERE person_id = ?", (person_id,))
        await tx.execute(
            "UPDATE people SET user_id = ?, display_name = ?, active = 0, forgotten_at = ?, "
            "updated_at = ? WHERE id = ?", (-person_id, FORGOTTEN_NAME, stamp, stamp, person_id))
        removed["name"] += int(bool(name))
        removed["messenger_id"] += 1
        for request_id, code, office_id in still_open:
            for owed in notices(request_id, code, office_id) if notices else ():
                await outbox.enqueue(tx, owed.key, owed.chat_id, owed.text, now=now,
                                     buttons=owed.buttons, not_before=owed.not_before)
        counts = {k: v for k, v in removed.items() if v}
        await audit.record(tx, "person.forget", at=stamp, actor_id=person_id,
                           subject=f"person:{person_id}", detail=counts)
    return Forgotten(person_id, counts, still_open)


async def _drop_conversations(tx: aiosqlite.Connection, user_ids: set[int]) -> int:
    """PTB's stored state of these users: conversations (their key holds the chat and user
    ids), user data, and their private chats' data."""
    rows = await (await tx.execute("SELECT name, key FROM ptb_conversations")).fetchall()
    gone = [(r[0], r[1]) for r in rows if user_ids & set(_ints(r[1]))]
    await tx.executemany("DELETE FROM ptb_conversations WHERE name = ? AND key = ?", gone)
    count = len(gone)
    for user_id in user_ids:
        count += (await tx.execute("DELETE FROM ptb_user_data WHERE user_id = ?",
                                   (user_id,))).rowcount
        count += (await tx.execute("DELETE FROM ptb_chat_data WHERE chat_id = ?",
                                   (user_id,))).rowcount
    return count


def _ints(key_json: str) -> list[int]:
    try:
        key = json.loads(key_json)
    except ValueError:
        return []
    return [k for k in key if isinstance(k, int)] if isinstance(key, list) else []


async def is_forgotten(db: Database, person_id: int) -> bool:
    """Whether this person asked to be forgotten."""
    row = await db.fetchone("SELECT forgotten_at FROM people WHERE id = ?", (person_id,))
    return bool(row and row[0])


async def request_flags(db: Database, request_id: int) -> tuple[bool, bool]:
    """(its resident was forgotten and can't be reached, its personal data was removed)."""
    row = await db.fetchone("SELECT resident_forgotten_at, personal_removed_at FROM requests "
                            "WHERE id = ?", (request_id,))
    return (bool(row[0]), bool(row[1])) if row else (False, False)


# ----- retention -----

@dataclass(frozen=True)
class RetentionRun:
    """One run of the retention job: when, with which RETENTION_DAYS, what it removed."""

    at: str
    days: int
    removed: dict[str, int]


async def retention(db: Database, now: datetime, days: int, *,
                    draft_days: int = STALE_DRAFT_DAYS) -> RetentionRun:
    """Remove the phone numbers, free text, media and exact locations of requests closed
    more than `days` ago (their place is then their neighbourhood), unfinished forms left
    `draft_days` untouched and form conversations with no draft behind them; record the
    run. Closed means a closed status and no change since; a closed request of a forgotten
    resident loses them at the first run."""
    stamp = utc_now_iso(now)
    cutoff = utc_now_iso(now - timedelta(days=days))
    removed: Counter[str] = Counter()
    await db.execute("PRAGMA secure_delete = ON")
    async with db.transaction() as tx:
        marks = ", ".join("?" for _ in CLOSED)
        rows = await (await tx.execute(
            f"SELECT id FROM requests WHERE status IN ({marks}) AND personal_removed_at IS NULL "
            "AND (updated_at < ? OR resident_forgotten_at IS NOT NULL) ORDER BY id",
            (*CLOSED, cutoff))).fetchall()
        ids = [r[0] for r in rows]
        await _remove_request_data(tx, ids, stamp, removed)
        removed["requests"] += len(ids)
        removed["drafts"] += (await tx.execute(
            "DELETE FROM drafts WHERE updated_at < ?",
            (utc_now_iso(now - timedelta(days=draft_days)),))).rowcount
        removed["conversations"] += await _orphan_conversations(tx)
        counts = {k: v for k, v in removed.items() if v}
        await tx.execute("INSERT INTO retention_runs (at, days, removed) VALUES (?, ?, ?)",
                         (stamp, days, json.dumps(counts)))
    return RetentionRun(stamp, days, counts)


async def _orphan_conversations(tx: aiosqlite.Connection) -> int:
    """Form conversations whose user has no draft any more (the form ended or was dropped)."""
    rows = await (await tx.execute("SELECT key FROM ptb_conversations WHERE name = 'forms'"
                                   )).fetchall()
    with_draft = {r[0] for r in await (await tx.execute(
        "SELECT p.user_id FROM drafts d JOIN people p ON p.id = d.person_id")).fetchall()}
    gone = [(r[0],) for r in rows if not with_draft & set(_ints(r[0]))]
    await tx.executemany("DELETE FROM ptb_conversations WHERE name = 'forms' AND key = ?", gone)
    return len(gone)


async def last_run(db: Database) -> RetentionRun | None:
    """The newest retention run, if any."""
    row = await db.fetchone("SELECT at, days, removed FROM retention_runs "
                            "ORDER BY at DESC, id DESC LIMIT 1")
    return RetentionRun(row["at"], row["days"], json.loads(row["removed"])) if row else None
