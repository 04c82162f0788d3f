"""Aggregates for digests and charts: SQL does the counting, Python only formats.

Every query is limited to a list of office ids (a supervisor's scope) and a period given as
UTC instants [from, to): what arrived in the period, by its `created_at`. They read on
the database's readers (`Database.reader`), never holding up the bot's writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from storage import requests as _requests
from storage.db import Database, Queries

OPEN = _requests.OPEN  # the one list of open statuses (storage/requests.py)
OPEN_STATUSES = _requests.OPEN_SQL

# Needs counted as «فوری»: rated urgent or critical (not «زیاد»).
URGENT_SEVERITIES = "('urgent', 'critical')"
# A request's status at :as_of: its last status-changing event before then.
STATUS_AS_OF = (
    "coalesce((SELECT e.new_status FROM request_events e WHERE e.request_id = r.id "
    "AND e.new_status IS NOT NULL AND e.at < :as_of ORDER BY e.at DESC, e.id DESC LIMIT 1), "
    "'received')")


@dataclass
class Figures:
    """What a digest reports for one scope and period."""

    reports: int = 0
    participants: int = 0
    children: int = 0
    adolescents: int = 0
    by_hood: list[tuple[str, str, int, int]] = field(default_factory=list)
    by_domain: list[tuple[str, int]] = field(default_factory=list)
    needs: int = 0
    needs_by_category: list[tuple[str, int]] = field(default_factory=list)
    urgent: list[tuple[str, str, str, int]] = field(default_factory=list)
    requests_new: int = 0
    # the period's new requests by their status at the digest's moment; they add up to new
    requests_by_state: list[tuple[str, int]] = field(default_factory=list)
    requests_resolved: int = 0
    requests_open: int = 0
    requests_overdue: int = 0
    oldest_open: tuple[str, str, str] | None = None  # (code, created_at, category)
    silent: list[str] = field(default_factory=list)
    # (category, requests answered, average hours to the office's first response)
    first_response: list[tuple[str, int, float]] = field(default_factory=list)
    # requests whose resident answered «was it solved?» in the period, each once by its
    # latest answer
    solved_yes: int = 0
    solved_no: int = 0

    @property
    def empty(self) -> bool:
        """Nothing arrived and nothing is waiting."""
        return not (self.reports or self.needs or self.requests_new or self.requests_resolved
                    or self.requests_open)


@dataclass(frozen=True)
class Totals:
    """The headline numbers, to compare a period with the one before."""

    reports: int
    participants: int
    needs: int
    requests_new: int


def _in(ids: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(i)) for i in ids) + ")" if ids else "(NULL)"


async def totals(db: Database, office_ids: Sequence[int], start: str, end: str) -> Totals:
    """Headline numbers of one period."""
    offices = _in(office_ids)
    row = await db.read_fetchone(
        "SELECT sum(form = 'field_report') AS reports, "
        "coalesce(sum(CASE WHEN form = 'field_report' THEN participants END), 0) AS people, "
        "sum(form = 'needs_assessment') AS needs FROM submissions "
        f"WHERE office_id IN {offices} AND created_at >= ? AND created_at < ?", (start, end))
    new = await db.read_fetchone(
        f"SELECT count(*) FROM requests WHERE office_id IN {offices} "
        "AND created_at >= ? AND created_at < ?", (start, end))
    if row is None:
        return Totals(0, 0, 0, new[0] if new else 0)
    return Totals(reports=row["reports"] or 0, participants=row["people"] or 0,
                  needs=row["needs"] or 0, requests_new=new[0] if new else 0)


async def figures(
    db: Database, office_ids: Sequence[int], start: str, end: str, *, now: str,
    overdue_cutoffs: Mapping[str, str], default_cutoff: str,
) -> Figures:
    """Everything a digest shows. `now` is the moment the request figures describe (the end
    of a past period); open requests created before the cutoffs are overdue. Read on a
    reader, all from one snapshot, so the bot's writes go on meanwhile."""
    async with db.reader() as reader:
        return await _figures(reader, office_ids, start, end, now=now,
                              overdue_cutoffs=overdue_cutoffs, default_cutoff=default_cutoff)


async def _figures(
    db: Queries, office_ids: Sequence[int], start: str, end: str, *, now: str,
    overdue_cutoffs: Mapping[str, str], default_cutoff: str,
) -> Figures:
    offices = _in(office_ids)
    period = "AND s.created_at >= ? AND s.created_at < ?"
    f = Figures()
    row = await db.fetchone(
        "SELECT count(*) AS n, coalesce(sum(participants), 0) AS p, "
        "coalesce(sum(children), 0) AS c, coalesce(sum(adolescents), 0) AS a "
        f"FROM submissions s WHERE form = 'field_report' AND office_id IN {offices} {period}",
        (start, end))
    if row:
        f.reports, f.participants = row["n"], row["p"]
        f.children, f.adolescents = row["c"], row["a"]
    f.by_hood = [tuple(r) for r in await db.fetchall(  # type: ignore[misc]
        "SELECT o.name, coalesce(n.name, '—'), count(*) AS n, coalesce(sum(participants), 0) "
        "FROM submissions s JOIN offices o ON o.id = s.office_id "
        "LEFT JOIN neighbourhoods n ON n.id = s.neighbourhood_id "
        f"WHERE s.form = 'field_report' AND s.office_id IN {offices} {period} "
        "GROUP BY s.office_id, s.neighbourhood_id ORDER BY n DESC, o.name", (start, end))]
    f.by_domain = [tuple(r) for r in await db.fetchall(  # type: ignore[misc]
        "SELECT t.value, count(*) AS n FROM submission_tags t "
        "JOIN submissions s ON s.id = t.submission_id "
        f"WHERE t.question = 'domains' AND s.office_id IN {offices} {period} "
        "GROUP BY t.value ORDER BY n DESC", (start, end))]
    f.needs_by_category = [tuple(r) for r in await db.fetchall(  # type: ignore[misc]
        "SELECT category, count(*) AS n FROM submissions s "
        f"WHERE form = 'needs_assessment' AND office_id IN {offices} {period} "
        "GROUP BY category ORDER BY n DESC", (start, end))]
    f.needs = sum(n for _, n in f.needs_by_category)
    f.urgent = [tuple(r) for r in await db.fetchall(  # type: ignore[misc]
        "SELECT coalesce(n.name, '—'), s.category, s.severity, coalesce(s.households, 0) "
        "FROM submissions s LEFT JOIN neighbourhoods n ON n.id = s.neighbourhood_id "
        f"WHERE s.form = 'needs_assessment' AND s.office_id IN {offices} {period} "
        f"AND s.severity IN {URGENT_SEVERITIES} "
        "ORDER BY s.severity = 'critical' DESC, s.households DESC LIMIT 8", (start, end))]
    requests = await db.fetchone(
        "SELECT sum(created_at >= ? AND created_at < ?) AS new, "
        "sum(resolved_at >= ? AND resolved_at < ?) AS resolved "
        f"FROM requests WHERE office_id IN {offices}", (start, end, start, end))
    if requests:
        f.requests_new = requests["new"] or 0
        f.requests_resolved = requests["resolved"] or 0
    f.requests_by_state = [(r[0], r[1]) for r in await db.fetchall(
        f"SELECT {STATUS_AS_OF} AS state, count(*) FROM requests r "
        f"WHERE r.office_id IN {offices} AND r.created_at >= :start AND r.created_at < :end "
        "GROUP BY state ORDER BY state", {"as_of": now, "start": start, "end": end})]
    # Open at the end of the period (or now, if that is earlier): filed before it and not
    # closed before it. A closed request's closing time is its last status change.
    open_then = (
        f"office_id IN {offices} AND created_at < :as_of AND (status IN {OPEN_STATUSES} OR "
        "coalesce(resolved_at, (SELECT max(e.at) FROM request_events e WHERE e.request_id = "
        "requests.id AND e.kind = 'status')) >= :as_of)")
    cases = " ".join(f"WHEN :c{i} THEN :d{i}" for i in range(len(overdue_cutoffs)))
    cutoff = f"CASE category {cases} ELSE :default END" if cases else ":default"
    params: dict[str, str] = {"as_of": now, "default": default_cutoff}
    for i, (category, category_cutoff) in enumerate(overdue_cutoffs.items()):
        params[f"c{i}"], params[f"d{i}"] = category, category_cutoff
    counted = await db.fetchone(
        f"SELECT count(*) AS open, sum(created_at < {cutoff}) AS overdue FROM requests "
        f"WHERE {open_then}", params)
    if counted:
        f.requests_open, f.requests_overdue = counted["open"] or 0, counted["overdue"] or 0
    oldest = await db.fetchone(
        f"SELECT code, created_at, category FROM requests WHERE {open_then} "
        "ORDER BY created_at, id LIMIT 1", {"as_of": now})
    f.oldest_open = (oldest["code"], oldest["created_at"], oldest["category"]) if oldest else None
    f.first_response = [(r[0], r[1], r[2]) for r in await db.fetchall(
        "SELECT category, count(*) AS n, "
        "avg((julianday(first_response_at) - julianday(created_at)) * 24) FROM requests "
        f"WHERE office_id IN {offices} AND created_at >= ? AND created_at < ? "
        "AND first_response_at IS NOT NULL GROUP BY category ORDER BY n DESC, category",
        (start, end))]
    answers = await db.fetchone(
        "SELECT sum(last = 'resolved') AS yes, sum(last <> 'resolved') AS no FROM ("
        "SELECT (SELECT e.new_status FROM request_events e WHERE e.request_id = r.id "
        "AND e.kind = 'answer' AND e.at < :end ORDER BY e.at DESC, e.id DESC LIMIT 1) AS last "
        f"FROM requests r WHERE r.office_id IN {offices} AND EXISTS (SELECT 1 FROM "
        "request_events a WHERE a.request_id = r.id AND a.kind = 'answer' "
        "AND a.at >= :start AND a.at < :end))", {"start": start, "end": end})
    if answers:
        f.solved_yes, f.solved_no = answers["yes"] or 0, answers["no"] or 0
    f.silent = [r[0] for r in await db.fetchall(
        "SELECT p.display_name FROM people p "
        f"WHERE p.role = 'facilitator' AND p.active = 1 AND p.office_id IN {offices} "
        "AND (p.staff_since IS NULL OR p.staff_since < ?) "
        "AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.author_id = p.id "
        f"{period}) ORDER BY p.display_name", (end, start, end))]
    return f


async def silent_facilitators(
    db: Database, start: str, end: str
) -> list[tuple[int, str, int]]:
    """(user id, name, office id) of active facilitators who filed nothing in [start, end)."""
    rows = await db.read_fetchall(
        "SELECT p.user_id, p.display_name, p.office_id FROM people p "
        "WHERE p.role = 'facilitator' AND p.active = 1 AND NOT EXISTS (SELECT 1 FROM "
        "submissions s WHERE s.author_id = p.id AND s.created_at >= ? AND s.created_at < ?) "
        "ORDER BY p.id", (start, end))
    return [(r[0], r[1], r[2]) for r in rows]


async def overdue_by_office(
    db: Database, default_cutoff: str
) -> list[tuple[int, int, str]]:
    """(office id, open requests older than the cutoff, oldest code) per office."""
    rows = await db.read_fetchall(
        "SELECT office_id, count(*), min(code) FROM requests "
        f"WHERE status IN {OPEN_STATUSES} AND created_at < ? GROUP BY office_id",
        (default_cutoff,))
    return [(r[0], r[1], r[2]) for r in rows]


# ----- every form: submissions per form and office, answers of the questions a form marks --


async def submissions_per_form(
    db: Database, office_ids: Sequence[int], start: str, end: str,
    forms: Sequence[str],
) -> list[tuple[str, str, int]]:
    """(form, office name, submissions) of these forms in [start, end), most first."""
    if not forms:
        return []
    marks = ", ".join("?" for _ in forms)
    rows = await db.read_fetchall(
        "SELECT s.form, o.name, count(*) AS n FROM submissions s "
        "JOIN offices o ON o.id = s.office_id "
        f"WHERE s.form IN ({marks}) AND s.office_id IN {_in(office_ids)} "
        "AND s.created_at >= ? AND s.created_at < ? "
        "GROUP BY s.form, s.office_id ORDER BY s.form, n DESC, o.name",
        (*forms, start, end))
    return [(r[0], r[1], r[2]) for r in rows]


def _json_path(name: str) -> str:
    return '$."' + name.replace('"', "") + '"'


async def answer_counts(
    db: Database, office_ids: Sequence[int], start: str, end: str, form: str, name: str,
    *, multiple: bool,
) -> list[tuple[str, int]]:
    """(value, submissions) of one choice question's answers (each selected value of a
    multiple choice counts once per submission), most first."""
    period = "s.created_at >= ? AND s.created_at < ?"
    if multiple:
        sql = ("SELECT j.value, count(*) AS n FROM submissions s, json_each(s.answers, ?) j "
               f"WHERE s.form = ? AND s.office_id IN {_in(office_ids)} AND {period} "
               "GROUP BY j.value ORDER BY n DESC, j.value")
    else:
        sql = ("SELECT json_extract(s.answers, ?) AS v, count(*) AS n FROM submissions s "
               f"WHERE s.form = ? AND s.office_id IN {_in(office_ids)} AND {period} "
               "AND v IS NOT NULL GROUP BY v ORDER BY n DESC, v")
    rows = await db.read_fetchall(sql, (_json_path(name), form, start, end))
    return [(str(r[0]), r[1]) for r in rows]


async def answer_sum(
    db: Database, office_ids: Sequence[int], start: str, end: str, form: str, name: str,
) -> tuple[float, int]:
    """(sum, submissions answering) of one number question's answers."""
    row = await db.read_fetchone(
        "SELECT coalesce(sum(json_extract(s.answers, ?)), 0), "
        "count(json_extract(s.answers, ?)) FROM submissions s "
        f"WHERE s.form = ? AND s.office_id IN {_in(office_ids)} "
        "AND s.created_at >= ? AND s.created_at < ?",
        (_json_path(name), _json_path(name), form, start, end))
    return (row[0], row[1]) if row else (0, 0)
