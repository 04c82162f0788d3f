"""The Excel export's queries: submissions of a form, requests and their events filed in a
period for a set of offices, and the names the sheets show.

Meant for a reader (`async with db.reader() as r:` in `bot/reports/export.py`), so a whole
export reads one snapshot and the bot's writes carry on meanwhile. Large results come in
batches by id (keyset pagination), not all at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from storage.db import Database, Queries, Row

BATCH = 2000


async def _batched(q: Queries, sql: str, params: Sequence[Any]) -> AsyncIterator[Row]:
    """Rows of `sql` (whose last two parameters are `id > ?` and `LIMIT ?`) in batches."""
    last = 0
    while True:
        batch = await q.fetchall(sql, (*params, last, BATCH))
        if not batch:
            return
        for row in batch:
            yield row
        last = batch[-1]["id"]


def _marks(office_ids: Sequence[int]) -> str:
    return ", ".join("?" for _ in office_ids) or "NULL"


async def neighbourhood_names(q: Queries) -> dict[str, str]:
    """Every neighbourhood's name by its id (as text, as answers store it)."""
    return {str(r["id"]): r["name"] for r in await q.fetchall(
        "SELECT id, name FROM neighbourhoods")}


async def form_rows(q: Queries, form: str, office_ids: Sequence[int], first: str,
                    last: str) -> AsyncIterator[Row]:
    """One form's submissions filed in [first, last) (UTC instants), with office and author
    names: id, happened_on, created_at, answers, office, author."""
    sql = ("SELECT s.id, s.happened_on, s.created_at, s.answers, o.name AS office, "
           "p.display_name AS author FROM submissions s JOIN offices o ON o.id = s.office_id "
           "JOIN people p ON p.id = s.author_id "
           f"WHERE s.form = ? AND s.office_id IN ({_marks(office_ids)}) "
           "AND s.created_at >= ? AND s.created_at < ? AND s.id > ? ORDER BY s.id LIMIT ?")
    async for row in _batched(q, sql, (form, *office_ids, first, last)):
        yield row


async def request_rows(q: Queries, office_ids: Sequence[int], first: str,
                       last: str) -> AsyncIterator[Row]:
    """Requests filed in [first, last) with their counts of photos and voices and the names
    of office, neighbourhood and assignee."""
    sql = ("SELECT r.id, r.code, r.created_at, r.category, r.status, r.description, r.phone, "
           "(SELECT COUNT(*) FROM attachments x WHERE x.request_id = r.id "
           " AND x.kind = 'photo') AS photos, "
           "(SELECT COUNT(*) FROM attachments x WHERE x.request_id = r.id "
           " AND x.kind = 'voice') AS voices, r.duplicate_of, r.first_response_at, r.solved, "
           "o.name AS office, n.name AS hood, a.display_name AS assignee FROM requests r "
           "JOIN offices o ON o.id = r.office_id "
           "LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id "
           "LEFT JOIN people a ON a.id = r.assignee_id "
           f"WHERE r.office_id IN ({_marks(office_ids)}) AND r.created_at >= ? "
           "AND r.created_at < ? AND r.id > ? ORDER BY r.id LIMIT ?")
    async for row in _batched(q, sql, (*office_ids, first, last)):
        yield row


async def request_events(q: Queries, request_id: int, anonymous: str) -> list[Row]:
    """One request's events in order, the actor's name replaced by `anonymous` where the
    resident asked to stay anonymous."""
    return await q.fetchall(
        "SELECT e.at, e.kind, e.old_status, e.new_status, e.note, e.public, "
        "e.other_code, g.display_name AS target, "
        "CASE WHEN r.anonymous = 1 AND e.actor_id = r.resident_id THEN ? "
        "ELSE p.display_name END AS actor FROM request_events e "
        "JOIN requests r ON r.id = e.request_id "
        "LEFT JOIN people p ON p.id = e.actor_id "
        "LEFT JOIN people g ON g.id = e.target_id WHERE e.request_id = ? ORDER BY e.id",
        (anonymous, request_id))


async def province_slugs(db: Database) -> list[str]:
    """The slugs of every province (for the export command's error message)."""
    return [r[0] for r in await db.read_fetchall("SELECT slug FROM provinces ORDER BY id")]
