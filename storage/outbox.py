"""The outbox: every message the bot owes someone outside a direct reply (a status notice,
later digests and reminders). A notice is written in the same transaction as the change
that causes it, under a unique key, so it is owed exactly once; delivery marks it sent,
schedules a retry after a failure, or gives up on a recipient who blocked the bot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from storage.db import Database, utc_now_iso


@dataclass(frozen=True)
class Notice:
    """One owed message."""

    id: int
    key: str
    chat_id: int
    text: str
    attempts: int
    photo: bytes | None = None
    buttons: list[list[tuple[str, str]]] | None = None  # inline rows of (label, data)


@dataclass(frozen=True)
class Owed:
    """A notice to owe: outbox key, chat, text; buttons (rows of label and codec data) or a
    photo (then `text` is its caption); held until `not_before`."""

    key: str
    chat_id: int
    text: str
    buttons: list[list[tuple[str, str]]] | None = None
    not_before: datetime | None = None
    photo: bytes | None = None


async def owe(tx: aiosqlite.Connection, owed: Owed, now: datetime) -> bool:
    """Owe one notice inside the caller's transaction; False if its key is owed already."""
    return await enqueue(tx, owed.key, owed.chat_id, owed.text, now=now, photo=owed.photo,
                         buttons=owed.buttons, not_before=owed.not_before)


async def owe_all(db: Database, notices: Sequence[Owed], now: datetime) -> list[bool]:
    """Owe these notices in one transaction; for each, whether it is newly owed."""
    async with db.transaction() as tx:
        return [await owe(tx, owed, now) for owed in notices]


async def enqueue(tx: aiosqlite.Connection, key: str, chat_id: int, text: str, *,
                  now: datetime, photo: bytes | None = None,
                  buttons: list[list[tuple[str, str]]] | None = None,
                  not_before: datetime | None = None) -> bool:
    """Owe a message from `now` on (or from `not_before`, e.g. the end of quiet hours),
    inside the caller's transaction; False if this key is already owed. With `photo`, a PNG
    is sent and `text` is its caption; `buttons` go under the message."""
    stamp = utc_now_iso(now)
    due_at = utc_now_iso(max(now, not_before)) if not_before is not None else stamp
    markup = json.dumps(buttons, ensure_ascii=False) if buttons else None
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO outbox (key, chat_id, text, photo, markup, next_attempt_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, chat_id, text, photo, markup, due_at, stamp))
    return cursor.rowcount == 1


async def enqueue_all(db: Database, messages: Sequence[tuple[str, int, str, datetime | None]],
                      now: datetime) -> int:
    """Owe several messages, (key, chat id, text, not before), in one transaction; the
    number newly owed (a key already owed is not owed again)."""
    owed = 0
    async with db.transaction() as tx:
        for key, chat_id, text, not_before in messages:
            owed += await enqueue(tx, key, chat_id, text, now=now, not_before=not_before)
    return owed


async def owed(db: Database, key: str) -> bool:
    """Whether a notice with this key exists already (sent or not)."""
    return await db.fetchone("SELECT 1 FROM outbox WHERE key = ?", (key,)) is not None


async def due(db: Database, now: datetime, limit: int = 100) -> list[Notice]:
    """Pending notices whose time has come, oldest first."""
    rows = await db.fetchall(
        "SELECT id, key, chat_id, text, attempts, photo, markup FROM outbox "
        "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (utc_now_iso(now), limit))
    return [Notice(r["id"], r["key"], r["chat_id"], r["text"], r["attempts"], r["photo"],
                   [[(label, data) for label, data in row] for row in json.loads(r["markup"])]
                   if r["markup"] else None)
            for r in rows]


async def mark_sent(db: Database, notice_id: int, now: datetime) -> None:
    """Delivered."""
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
        (utc_now_iso(now), notice_id))


async def retry_later(db: Database, notice_id: int, at: datetime, error: str) -> None:
    """A failure worth retrying (network, server, rate limit): try again at `at`."""
    await db.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
        "WHERE id = ?", (utc_now_iso(at), error[:200], notice_id))


async def give_up(db: Database, notice_id: int, error: str) -> None:
    """The recipient blocked the bot or is gone: never retried."""
    await db.execute(
        "UPDATE outbox SET status = 'undeliverable', attempts = attempts + 1, last_error = ? "
        "WHERE id = ?", (error[:200], notice_id))


async def counts(db: Database) -> dict[str, int]:
    """How many notices are in each state."""
    rows = await db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 5 s, 10 s, 20 s … at most 30 minutes."""
    return timedelta(seconds=min(5 * 2 ** attempts, 1800))
