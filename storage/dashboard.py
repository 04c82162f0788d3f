"""The dashboard's reads: requests filtered and paged, counts per period for the trends,
neighbourhoods' figures and points for the map, one form's submissions, facilitators'
activity. Plain parameterised SQL, every query limited to a list of office ids (the scope
`bot.access` gives), periods as UTC instants [from, to). Every read goes to a reader
connection (`Database.read_fetchall`), never the bot's writer; counts are grouped in SQL
(migration 0015 holds the indexes these queries were planned with)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database, Row

OPEN = ("received", "in_review", "referred")
PAGE_SIZE = 25


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


@dataclass(frozen=True)
class Overdue:
    """When an open request is overdue: filed before its category's cutoff (UTC ISO)."""

    cutoffs: Mapping[str, str]
    default: str

    def sql(self) -> tuple[str, list[Any]]:
        """The cutoff of `r.category` as an SQL expression and its parameters."""
        if not self.cutoffs:
            return "?", [self.default]
        cases = " ".join("WHEN ? THEN ?" for _ in self.cutoffs)
        params: list[Any] = []
        for category, cutoff in self.cutoffs.items():
            params += [category, cutoff]
        return f"CASE r.category {cases} ELSE ? END", [*params, self.default]


@dataclass(frozen=True)
class RequestFilter:
    """What the requests page filters by; `office_ids` is already the scope's."""

    office_ids: Sequence[int]
    overdue_rule: Overdue
    statuses: Sequence[str] = ()
    category: str | None = None
    hood_id: int | None = None
    overdue: bool = False
    code: str | None = None  # digits of a tracking code, or part of one
    words: str | None = None
    unsearchable: Sequence[str] = ()  # categories whose text `words` never matches
    sort: str = "new"
    start: str | None = None
    end: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters."""
        clauses = [f"r.office_id IN ({_marks(self.office_ids)})"]
        params: list[Any] = list(self.office_ids)
        if self.statuses:
            clauses.append(f"r.status IN ({_marks(self.statuses)})")
            params += list(self.statuses)
        if self.category:
            clauses.append("r.category = ?")
            params.append(self.category)
        if self.hood_id is not None:
            clauses.append("r.neighbourhood_id = ?")
            params.append(self.hood_id)
        if self.overdue:
            cutoff, cutoff_params = self.overdue_rule.sql()
            clauses.append(f"r.status IN {OPEN} AND r.created_at < {cutoff}")
            params += cutoff_params
        if self.code:
            clauses.append("r.code LIKE ? ESCAPE '\\'")
            params.append(f"%{self.code}%")
        if self.words:
            clauses.append("r.description LIKE ? ESCAPE '\\'")
            if self.unsearchable:  # a sensitive category's text: not even by a search
                clauses.append(f"r.category NOT IN ({_marks(self.unsearchable)})")
            escaped = self.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
            params += list(self.unsearchable)
        if self.start and self.end:
            clauses.append("r.created_at >= ? AND r.created_at < ?")
            params += [self.start, self.end]
        return " AND ".join(clauses), params

    def order(self) -> str:
        """ORDER BY of the sort asked for."""
        if self.sort == "old":
            return "r.created_at, r.id"
        if self.sort == "overdue":
            return f"r.status IN {OPEN} DESC, r.created_at, r.id"
        return "r.created_at DESC, r.id DESC"


_REQUEST_COLUMNS = (
    "r.id, r.code, r.category, r.status, r.created_at, r.description, r.office_id, "
    "r.neighbourhood_id, o.name AS office, n.name AS hood FROM requests r "
    "JOIN offices o ON o.id = r.office_id "
    "LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id ")


async def requests_page(db: Database, where: RequestFilter, page: int,
                        size: int = PAGE_SIZE) -> tuple[int, list[Row]]:
    """(how many match, the rows of one page, 1-based)."""
    clause, params = where.where()
    total = await db.read_fetchone(f"SELECT count(*) FROM requests r WHERE {clause}", params)
    # The page's ids first, sorted on what an index holds; then only their rows are read.
    rows = await db.read_fetchall(
        f"SELECT {_REQUEST_COLUMNS} WHERE r.id IN (SELECT r.id FROM requests r WHERE {clause} "
        f"ORDER BY {where.order()} LIMIT ? OFFSET ?) ORDER BY {where.order()}",
        [*params, size, (page - 1) * size])
    return (int(total[0]) if total else 0), rows


async def requests_all(db: Database, where: RequestFilter, limit: int = 100_000) -> list[Row]:
    """Every matching request (the export of exactly what the page lists)."""
    clause, params = where.where()
    return await db.read_fetchall(
        f"SELECT {_REQUEST_COLUMNS} WHERE {clause} ORDER BY {where.order()} LIMIT ?",
        [*params, limit])


# ----- counts of one period (trends) ------------------------------------------------------


@dataclass
class Counts:
    """What arrived in one period, and the requests open (and overdue) at its end."""

    reports: int = 0
    participants: int = 0
    children: int = 0
    needs: int = 0
    needs_by_severity: dict[str, int] = field(default_factory=dict)
    requests_new: int = 0
    requests_resolved: int = 0
    requests_open: int = 0
    requests_overdue: int = 0


@dataclass(frozen=True)
class Bucket:
    """One period of a trend: [start, end) and the moment its open requests are counted
    at (UTC ISO), with the overdue rule at that moment."""

    start: str
    end: str
    as_of: str
    overdue: Overdue


def _which(column: str, bounds: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    """A CASE giving the index of the [from, to) pair `column` falls in (NULL: none)."""
    cases = " ".join(f"WHEN {column} >= ? AND {column} < ? THEN {i}"
                     for i in range(len(bounds)))
    return f"CASE {cases} END", [v for pair in bounds for v in pair]


async def counts_many(db: Database, office_ids: Sequence[int], buckets: Sequence[Bucket], *,
                      hood_id: int | None = None) -> list[Counts]:
    """The counts of each bucket for these offices (and one neighbourhood), in three
    queries whatever the number of buckets (they must not overlap)."""
    found = [Counts() for _ in buckets]
    if not buckets:
        return found
    marks = _marks(office_ids)
    first, last = min(b.start for b in buckets), max(b.end for b in buckets)
    hood = " AND neighbourhood_id = ?" if hood_id is not None else ""
    extra: list[Any] = [hood_id] if hood_id is not None else []
    bounds = [(b.start, b.end) for b in buckets]
    which, which_params = _which("created_at", bounds)
    for row in await db.read_fetchall(
            f"SELECT {which} AS b, form, severity, count(*) AS n, "
            "coalesce(sum(participants), 0) AS p, "
            "coalesce(sum(children), 0) + coalesce(sum(adolescents), 0) AS c "
            f"FROM submissions WHERE office_id IN ({marks}) AND created_at >= ? "
            f"AND created_at < ?{hood} AND form IN ('field_report', 'needs_assessment') "
            "GROUP BY b, form, severity",
            [*which_params, *office_ids, first, last, *extra]):
        if row["b"] is None:
            continue
        bucket = found[row["b"]]
        if row["form"] == "field_report":
            bucket.reports += row["n"]
            bucket.participants += row["p"]
            bucket.children += row["c"]
        else:
            bucket.needs += row["n"]
            severity = row["severity"] or "low"
            bucket.needs_by_severity[severity] = (
                bucket.needs_by_severity.get(severity, 0) + row["n"])
    for row in await db.read_fetchall(
            f"SELECT {which} AS b, count(*) FROM requests WHERE office_id IN ({marks}){hood} "
            "AND created_at >= ? AND created_at < ? GROUP BY b",
            [*which_params, *office_ids, *extra, first, last]):
        if row["b"] is not None:
            found[row["b"]].requests_new += row[1]
    resolved, resolved_params = _which("resolved_at", bounds)
    for row in await db.read_fetchall(
            f"SELECT {resolved} AS b, count(*) FROM requests WHERE office_id IN ({marks})"
            f"{hood} AND resolved_at >= ? AND resolved_at < ? GROUP BY b",
            [*resolved_params, *office_ids, *extra, first, last]):
        if row["b"] is not None:
            found[row["b"]].requests_resolved += row[1]
    columns, params = [], []
    for i, bucket in enumerate(buckets):
        cutoff, cutoff_params = bucket.overdue.sql()
        cutoff = cutoff.replace("r.category", "category")
        still = "created_at < ? AND (is_open OR closed >= ?)"
        columns.append(f"sum({still}) AS open{i}, sum({still} AND created_at < {cutoff}) "
                       f"AS overdue{i}")
        params += [bucket.as_of, bucket.as_of, bucket.as_of, bucket.as_of, *cutoff_params]
    latest, earliest = max(b.as_of for b in buckets), min(b.as_of for b in buckets)
    # Open at a moment: filed before it, and open now or closed after it. A request closed
    # before the earliest moment was last changed before it too, so it is left out early.
    at_ends = await db.read_fetchone(
        f"SELECT {', '.join(columns)} FROM ("
        "SELECT created_at, category, 1 AS is_open, NULL AS closed FROM requests "
        f"WHERE office_id IN ({marks}){hood} AND status IN {OPEN} AND created_at < ? "
        "UNION ALL SELECT created_at, category, 0, coalesce(resolved_at, (SELECT max(e.at) "
        "FROM request_events e WHERE e.request_id = requests.id AND e.kind = 'status')) "
        f"FROM requests WHERE office_id IN ({marks}){hood} AND updated_at >= ? "
        f"AND status NOT IN {OPEN} AND created_at < ?)",
        [*params, *office_ids, *extra, latest, *office_ids, *extra, earliest, latest])
    if at_ends is not None:
        for i, bucket in enumerate(found):
            bucket.requests_open = at_ends[f"open{i}"] or 0
            bucket.requests_overdue = at_ends[f"overdue{i}"] or 0
    return found


async def counts(db: Database, office_ids: Sequence[int], start: str, end: str, *,
                 as_of: str, overdue: Overdue, hood_id: int | None = None) -> Counts:
    """The counts of [start, end) for these offices (and one neighbourhood)."""
    return (await counts_many(db, office_ids, [Bucket(start, end, as_of, overdue)],
                              hood_id=hood_id))[0]


async def first_response_hours(db: Database, office_ids: Sequence[int], start: str,
                               end: str) -> list[float]:
    """Hours to the office's first response of each request filed in [start, end)."""
    rows = await db.read_fetchall(
        "SELECT (julianday(first_response_at) - julianday(created_at)) * 24 FROM requests "
        f"WHERE office_id IN ({_marks(office_ids)}) AND created_at >= ? AND created_at < ? "
        "AND first_response_at IS NOT NULL", [*office_ids, start, end])
    return [float(r[0]) for r in rows]


async def solved_answers(db: Database, office_ids: Sequence[int], start: str,
                         end: str) -> tuple[int, int]:
    """Residents' answers to «was it solved?» given in [start, end): (yes, no)."""
    row = await db.read_fetchone(
        "SELECT sum(e.new_status = 'resolved'), sum(e.new_status <> 'resolved') "
        "FROM request_events e CROSS JOIN requests r ON r.id = e.request_id "  # answers first
        f"WHERE e.kind = 'answer' AND r.office_id IN ({_marks(office_ids)}) "
        "AND e.at >= ? AND e.at < ?", [*office_ids, start, end])
    return (row[0] or 0, row[1] or 0) if row else (0, 0)


async def urgent_needs(db: Database, office_ids: Sequence[int], start: str, end: str) -> int:
    """Needs of high or critical severity filed in [start, end)."""
    row = await db.read_fetchone(
        "SELECT count(*) FROM submissions WHERE form = 'needs_assessment' "
        f"AND office_id IN ({_marks(office_ids)}) AND created_at >= ? AND created_at < ? "
        "AND severity IN ('high', 'critical')", [*office_ids, start, end])
    return int(row[0]) if row else 0


# ----- neighbourhoods and the map ---------------------------------------------------------


async def hoods(db: Database, office_ids: Sequence[int]) -> list[Row]:
    """(id, slug, name, office_id, office, office_slug) of the active neighbourhoods of
    these offices."""
    return await db.read_fetchall(
        "SELECT n.id, n.slug, n.name, n.office_id, o.name AS office, o.slug AS office_slug "
        "FROM neighbourhoods n "
        f"JOIN offices o ON o.id = n.office_id WHERE n.office_id IN ({_marks(office_ids)}) "
        "AND n.active = 1 ORDER BY o.id, n.id", list(office_ids))


async def hood_figures(db: Database, office_ids: Sequence[int], start: str, end: str, *,
                       category: str | None = None,
                       statuses: Sequence[str] = OPEN) -> dict[int, tuple[int, int]]:
    """Per neighbourhood id: (requests of these statuses (and category), needs in
    [start, end))."""
    marks = _marks(office_ids)
    where = f"office_id IN ({marks}) AND status IN ({_marks(statuses)})"
    params: list[Any] = [*office_ids, *statuses]
    if category:
        where += " AND category = ?"
        params.append(category)
    found: dict[int, tuple[int, int]] = {}
    for row in await db.read_fetchall(
            f"SELECT neighbourhood_id, count(*) FROM requests WHERE {where} "
            "AND neighbourhood_id IS NOT NULL GROUP BY neighbourhood_id", params):
        found[row[0]] = (row[1], 0)
    for row in await db.read_fetchall(
            "SELECT neighbourhood_id, count(*) FROM submissions WHERE form = 'needs_assessment' "
            f"AND office_id IN ({marks}) AND created_at >= ? AND created_at < ? "
            "AND neighbourhood_id IS NOT NULL GROUP BY neighbourhood_id",
            [*office_ids, start, end]):
        found[row[0]] = (found.get(row[0], (0, 0))[0], row[1])
    return found


async def located(db: Database, office_ids: Sequence[int], start: str, end: str, *,
                  category: str | None = None, statuses: Sequence[str] = (),
                  limit: int = 2000) -> list[Row]:
    """Requests, reports and needs of [start, end) that carry a location: (kind, lat, lon,
    code, form, id, category)."""
    marks = _marks(office_ids)
    rwhere, rparams = "", []
    if category:
        rwhere += " AND r.category = ?"
        rparams.append(category)
    if statuses:
        rwhere += f" AND r.status IN ({_marks(statuses)})"
        rparams += list(statuses)
    rows = await db.read_fetchall(
        "SELECT 'request' AS kind, a.latitude AS lat, a.longitude AS lon, r.code, NULL AS form, "
        "r.id, r.category FROM attachments a JOIN requests r ON r.id = a.request_id "
        f"WHERE a.kind = 'location' AND r.office_id IN ({marks}) AND r.created_at >= ? "
        f"AND r.created_at < ?{rwhere} LIMIT ?", [*office_ids, start, end, *rparams, limit])
    rows += await db.read_fetchall(
        "SELECT CASE s.form WHEN 'needs_assessment' THEN 'need' ELSE 'report' END AS kind, "
        "a.latitude AS lat, a.longitude AS lon, NULL AS code, s.form, s.id, s.category "
        "FROM attachments a JOIN submissions s ON s.id = a.submission_id "
        f"WHERE a.kind = 'location' AND s.office_id IN ({marks}) AND s.created_at >= ? "
        "AND s.created_at < ? LIMIT ?", [*office_ids, start, end, limit])
    return rows


async def hood_submissions(db: Database, hood_id: int, form: str, start: str, end: str,
                           limit: int = 200) -> list[Row]:
    """A neighbourhood's submissions of one form in [start, end), newest first."""
    return await db.read_fetchall(
        "SELECT s.id, s.created_at, s.happened_on, s.category, s.severity, s.participants, "
        "s.activity, p.display_name AS author FROM submissions s "
        "JOIN people p ON p.id = s.author_id WHERE s.neighbourhood_id = ? AND s.form = ? "
        "AND s.created_at >= ? AND s.created_at < ? ORDER BY s.created_at DESC LIMIT ?",
        (hood_id, form, start, end, limit))


# ----- forms and activity -----------------------------------------------------------------


async def form_counts(db: Database, office_ids: Sequence[int], start: str,
                      end: str) -> dict[str, int]:
    """Submissions per form in [start, end)."""
    rows = await db.read_fetchall(
        f"SELECT form, count(*) FROM submissions WHERE office_id IN ({_marks(office_ids)}) "
        "AND created_at >= ? AND created_at < ? GROUP BY form", [*office_ids, start, end])
    return {r[0]: r[1] for r in rows}


async def form_rows(db: Database, form: str, office_ids: Sequence[int], start: str, end: str,
                    limit: int = 100_000) -> list[Row]:
    """One form's submissions in [start, end), newest first, with office, author and
    neighbourhood names. The newest `limit` are chosen on the index alone, and only their
    rows are read."""
    return await db.read_fetchall(
        "SELECT s.id, s.created_at, s.happened_on, s.answers, o.name AS office, "
        "p.display_name AS author, n.name AS hood FROM submissions s "
        "JOIN offices o ON o.id = s.office_id JOIN people p ON p.id = s.author_id "
        "LEFT JOIN neighbourhoods n ON n.id = s.neighbourhood_id WHERE s.id IN ("
        f"SELECT id FROM submissions WHERE form = ? AND office_id IN ({_marks(office_ids)}) "
        "AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?) "
        "ORDER BY s.created_at DESC, s.id DESC",
        [form, *office_ids, start, end, limit])


async def activity(db: Database, office_ids: Sequence[int],
                   weeks: Sequence[tuple[str, str]]) -> list[Row]:
    """Per active facilitator of these offices and week (contiguous UTC [from, to) pairs):
    (id, name, office, b: the week's index, n: their submissions in it); people with none
    appear once with b NULL and n 0. Counted in SQL, people in the page's order."""
    which, which_params = _which("s.created_at", weeks)
    return await db.read_fetchall(
        f"SELECT p.id, p.display_name AS name, o.name AS office, {which} AS b, "
        "count(s.id) AS n FROM people p JOIN offices o ON o.id = p.office_id "
        "LEFT JOIN submissions s ON s.author_id = p.id AND s.created_at >= ? "
        "AND s.created_at < ? WHERE p.role = 'facilitator' AND p.active = 1 AND p.office_id "
        f"IN ({_marks(office_ids)}) GROUP BY p.id, b ORDER BY o.id, p.display_name, p.id, b",
        [*which_params, weeks[0][0], weeks[-1][1], *office_ids])
