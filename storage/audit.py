"""The audit log: one row per thing someone did that others may need to trace."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.db import Database


async def record(
    tx: aiosqlite.Connection,
    action: str,
    *,
    at: str,
    actor_id: int | None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry inside the caller's transaction (so it commits with the change)."""
    await tx.execute(
        "INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor_id, action, subject, json.dumps(detail or {}, ensure_ascii=False)),
    )


async def recent(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """The newest entries first."""
    rows = await db.fetchall(
        "SELECT at, actor_id, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [dict(row) | {"detail": json.loads(row["detail"])} for row in rows]
