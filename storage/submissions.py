"""Submissions: completed field reports and needs assessments, with their tags (multiple
choice answers) and attachments (file ids and locations). A draft becomes a submission in
one transaction that also deletes the draft; the draft id is unique among submissions, so
confirming twice stores one thing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database

COLUMNS = ("neighbourhood_id", "happened_on", "activity", "category", "severity",
           "participants", "children", "adolescents", "women", "elderly", "households")


@dataclass(frozen=True)
class NewSubmission:
    """Everything a completed form stores."""

    draft_id: int
    form: str
    form_version: int
    author_id: int
    office_id: int
    answers: dict[str, Any]
    columns: dict[str, Any]                    # of COLUMNS
    tags: list[tuple[str, str]]                # (question, value)
    photos: list[tuple[str, str, str]]         # (question, file_id, file_unique_id)
    locations: list[tuple[str, float, float]]  # (question, latitude, longitude)
    voices: list[tuple[str, str, str]] = field(default_factory=list)  # as photos


@dataclass(frozen=True)
class SubmissionRow:
    """A stored submission, as listed."""

    id: int
    form: str
    office_id: int
    neighbourhood_name: str | None
    happened_on: str | None
    created_at: str


async def submit(db: Database, new: NewSubmission) -> tuple[int, bool]:
    """Store the submission and delete its draft; return (id, created now?)."""
    unknown = set(new.columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not submission columns: {sorted(unknown)}")
    names = ", ".join(new.columns)
    marks = ", ".join("?" for _ in new.columns)
    async with db.transaction() as tx:
        cursor = await tx.execute("SELECT id FROM submissions WHERE draft_id = ?", (new.draft_id,))
        existing = await cursor.fetchone()
        if existing is not None:
            return existing["id"], False
        cursor = await tx.execute(
            f"INSERT INTO submissions (draft_id, form, form_version, author_id, office_id, "
            f"created_at, answers{', ' + names if names else ''}) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?{', ' + marks if marks else ''})",
            (new.draft_id, new.form, new.form_version, new.author_id, new.office_id,
             db.now_iso(), json.dumps(new.answers, ensure_ascii=False),
             *new.columns.values()),
        )
        submission_id = cursor.lastrowid
        await tx.executemany(
            "INSERT OR IGNORE INTO submission_tags (submission_id, question, value) "
            "VALUES (?, ?, ?)", [(submission_id, q, v) for q, v in new.tags])
        await tx.executemany(
            "INSERT INTO attachments (submission_id, question, kind, file_id, file_unique_id) "
            "VALUES (?, ?, 'photo', ?, ?)", [(submission_id, *p) for p in new.photos])
        await tx.executemany(
            "INSERT INTO attachments (submission_id, question, kind, file_id, file_unique_id) "
            "VALUES (?, ?, 'voice', ?, ?)", [(submission_id, *v) for v in new.voices])
        await tx.executemany(
            "INSERT INTO attachments (submission_id, question, kind, latitude, longitude) "
            "VALUES (?, ?, 'location', ?, ?)", [(submission_id, *loc) for loc in new.locations])
        await tx.execute("DELETE FROM drafts WHERE id = ?", (new.draft_id,))
    assert submission_id is not None
    return submission_id, True


async def submission_for_draft(db: Database, draft_id: int, author_id: int) -> int | None:
    """The submission this author's draft became, if it did."""
    row = await db.fetchone("SELECT id FROM submissions WHERE draft_id = ? AND author_id = ?",
                            (draft_id, author_id))
    return row["id"] if row else None


async def recent_by_author(db: Database, author_id: int, limit: int = 10) -> list[SubmissionRow]:
    """The person's latest submissions, newest first."""
    rows = await db.fetchall(
        "SELECT s.id, s.form, s.office_id, n.name AS hood, s.happened_on, s.created_at "
        "FROM submissions s LEFT JOIN neighbourhoods n ON n.id = s.neighbourhood_id "
        "WHERE s.author_id = ? ORDER BY s.id DESC LIMIT ?",
        (author_id, limit),
    )
    return [SubmissionRow(r["id"], r["form"], r["office_id"], r["hood"], r["happened_on"],
                          r["created_at"]) for r in rows]
