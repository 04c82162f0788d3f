"""Drafts: an unfinished form, written after every accepted answer, so that a dropped
connection or a restarted bot (even a kill -9) loses nothing the person already answered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database, Row

RECENT = 20  # deliveries remembered per draft to recognise one delivered twice


@dataclass
class Draft:
    """A form being filled in by one person."""

    id: int
    person_id: int
    form: str
    form_version: int
    office_id: int | None
    answers: dict[str, Any] = field(default_factory=dict)
    current: str = ""
    history: list[str] = field(default_factory=list)
    mode: str = "forward"
    recent_updates: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)  # e.g. the request a note is for
    created_at: str = ""
    updated_at: str = ""

    @property
    def at_summary(self) -> bool:
        """All questions are answered and the summary is showing."""
        return self.current == ""

    def seen(self, delivery: str) -> bool:
        """Whether this delivery was already applied (Telegram may deliver one twice)."""
        return delivery in self.recent_updates

    def updated(self) -> datetime:
        """When it last changed (UTC)."""
        return datetime.fromisoformat(self.updated_at)


def _draft(row: Row) -> Draft:
    return Draft(
        id=row["id"], person_id=row["person_id"], form=row["form"],
        form_version=row["form_version"], office_id=row["office_id"],
        answers=json.loads(row["answers"]), current=row["current"],
        history=json.loads(row["history"]), mode=row["mode"],
        recent_updates=json.loads(row["recent_updates"]), context=json.loads(row["context"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def draft_of(db: Database, person_id: int) -> Draft | None:
    """The person's unfinished form, if any."""
    row = await db.fetchone("SELECT * FROM drafts WHERE person_id = ?", (person_id,))
    return _draft(row) if row else None


async def start_draft(
    db: Database, *, person_id: int, form: str, form_version: int, office_id: int | None,
    first_question: str, delivery: str, context: dict[str, Any] | None = None,
) -> Draft:
    """Begin a new draft (replacing none: the caller deals with an existing one)."""
    now = db.now_iso()
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT INTO drafts (person_id, form, form_version, office_id, current, history, "
            "recent_updates, context, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (person_id, form, form_version, office_id, first_question,
             json.dumps([first_question]), json.dumps([delivery]),
             json.dumps(context or {}), now, now),
        )
        draft_id = cursor.lastrowid
    draft = await draft_of(db, person_id)
    assert draft is not None and draft.id == draft_id
    return draft


async def save_draft(db: Database, draft: Draft) -> None:
    """Write the draft's answers and position (before the next question is sent)."""
    draft.updated_at = db.now_iso()
    await db.execute(
        "UPDATE drafts SET answers = ?, current = ?, history = ?, mode = ?, "
        "recent_updates = ?, updated_at = ? WHERE id = ?",
        (json.dumps(draft.answers, ensure_ascii=False), draft.current,
         json.dumps(draft.history), draft.mode, json.dumps(draft.recent_updates[-RECENT:]),
         draft.updated_at, draft.id),
    )


async def discard_draft(db: Database, draft_id: int) -> None:
    """Forget a draft (cancelled or replaced)."""
    await db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
