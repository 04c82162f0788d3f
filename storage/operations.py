"""Operations: the bot's heartbeat marks (last update handled, job runs, backups) and the
read-only queries `tashilyar status`, the health check and the metrics make of the outbox.

A mark is one row per name, overwritten in place, so recording one is a single small
statement; everything else here only reads, on the database's readers (the metrics
count the whole outbox: that never holds up the bot's writes).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

# The kind of an outbox notice is the first part of its key: request, digest, remind, …
_KIND = "substr(key, 1, instr(key || ':', ':') - 1)"


@dataclass(frozen=True)
class Mark:
    """When something last happened, and a short word about it."""

    at: str  # UTC ISO instant
    detail: str


@dataclass(frozen=True)
class Backlog:
    """Pending notices of one kind."""

    kind: str
    count: int
    oldest: str  # created_at of the oldest, UTC ISO
    attempts: int  # the most tries any of them has had


async def record(db: Database, name: str, at: str, detail: str = "") -> None:
    """Set the mark `name` to `at` (UTC ISO text)."""
    await db.execute(
        "INSERT INTO operations (name, at, detail) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET at = excluded.at, detail = excluded.detail",
        (name, at, detail))


async def marks(db: Database) -> dict[str, Mark]:
    """Every mark by name."""
    rows = await db.read_fetchall("SELECT name, at, detail FROM operations")
    return {r["name"]: Mark(r["at"], r["detail"]) for r in rows}


async def backlog(db: Database) -> list[Backlog]:
    """Pending notices by kind, the kind with the oldest first."""
    rows = await db.read_fetchall(
        f"SELECT {_KIND} AS kind, count(*) AS n, min(created_at) AS oldest, "
        "max(attempts) AS attempts FROM outbox WHERE status = 'pending' "
        "GROUP BY kind ORDER BY oldest")
    return [Backlog(r["kind"], r["n"], r["oldest"], r["attempts"]) for r in rows]


async def oldest_pending(db: Database) -> tuple[str, str, int] | None:
    """The oldest pending notice: its key, when it was owed, and how often it was tried."""
    row = await db.read_fetchone(
        "SELECT key, created_at, attempts FROM outbox WHERE status = 'pending' "
        "ORDER BY created_at, id LIMIT 1")
    return (row["key"], row["created_at"], row["attempts"]) if row else None


async def undeliverable(db: Database) -> tuple[int, str | None]:
    """How many notices were given up on, and when the newest of them was owed."""
    row = await db.read_fetchone(
        "SELECT count(*) AS n, max(created_at) AS newest FROM outbox "
        "WHERE status = 'undeliverable'")
    return (row["n"], row["newest"]) if row else (0, None)


async def last_owed(db: Database, kind: str) -> str | None:
    """When a notice of this kind (digest, remind …) was last owed."""
    row = await db.read_fetchone(
        "SELECT max(created_at) AS at FROM outbox WHERE key LIKE ? || ':%'", (kind,))
    return row["at"] if row else None


async def sent_by_kind(db: Database) -> dict[str, int]:
    """Notices delivered, by kind (a digest's chart is counted apart, as `digest-chart`)."""
    rows = await db.read_fetchall(
        f"SELECT {_KIND} || CASE WHEN key LIKE '%:chart' THEN '-chart' ELSE '' END AS kind, "
        "count(*) AS n FROM outbox WHERE status = 'sent' GROUP BY kind")
    return {r["kind"]: r["n"] for r in rows}
