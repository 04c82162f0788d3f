"""The dashboard's JSON API (`/api/…`, documented in the README and the contract): every
answer limited to what `bot.access` lets the session's person see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request as WebRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import access
from bot.forms.model import FormDefinition
from bot.locale.jalali import today as local_today
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import role_name, t
from bot.planning import labels_from
from bot.privacy import resident_label
from bot.reports import dashboard as figures
from bot.reports.export import cell, form_cell, form_columns, jalali_instant
from storage import dashboard as reads
from storage import offices as office_store
from storage import requests as request_store
from storage.db import Row
from storage.sessions import Session
from web import privacy_web
from web.access_web import offices_in_view, visible_request
from web.state import api, error_json, state_of

MAX_PAGE = 10_000


def period_of(web_request: WebRequest) -> figures.Span:
    """The period the query string asks for (PeriodError if unreadable)."""
    web = state_of(web_request)
    today = local_today(web.settings.timezone, web.services.clock.now())
    return figures.read_period(web_request.query_params, today)


def as_of(web_request: WebRequest, span: figures.Span) -> datetime:
    """The moment request figures describe: now, or the end of a period already over."""
    web = state_of(web_request)
    _, end = span.utc_range(web.settings.timezone)
    return min(web.services.clock.now() + timedelta(seconds=1), datetime.fromisoformat(end))


def overdue_rule(web_request: WebRequest, moment: datetime) -> reads.Overdue:
    """The overdue rule of the organisation at `moment`."""
    web = state_of(web_request)
    return figures.overdue_rule(moment, web.settings.overdue_days, web.services.org.overdue_days)


def category_labels(web_request: WebRequest) -> dict[str, str]:
    """Request categories and their labels."""
    return dict(labels_from(state_of(web_request).services.forms).request_categories)


def buckets(web_request: WebRequest, spans: Sequence[figures.Span]) -> list[reads.Bucket]:
    """The spans as the storage's trend buckets."""
    tz = state_of(web_request).settings.timezone
    found = []
    for span in spans:
        start, end = span.utc_range(tz)
        moment = as_of(web_request, span)
        found.append(reads.Bucket(start, end, moment.isoformat(timespec="seconds"),
                                  overdue_rule(web_request, moment)))
    return found


# ----- /api/me ------------------------------------------------------------------------------


async def me(web_request: WebRequest, found: Session) -> Response:
    """Who is signed in, their CSRF token and their offices."""
    db = state_of(web_request).services.db
    scope = await access.scope(db, found.person)
    listed = [o for o in await office_store.list_offices(db) if scope.holds(o.id)]
    return JSONResponse({"name": found.person.display_name, "role": found.person.role,
                         "role_label": role_name(found.person.role), "csrf": found.csrf,
                         "offices": [{"id": o.id, "slug": o.slug, "name": o.name}
                                     for o in listed]})


# ----- /api/overview ------------------------------------------------------------------------


async def overview(web_request: WebRequest, found: Session) -> Response:
    """The figures of a period against the one before, and the trends."""
    web = state_of(web_request)
    db, tz = web.services.db, web.settings.timezone
    span = period_of(web_request)
    ids = await offices_in_view(web_request, found)

    async def values(of: figures.Span, counted: reads.Counts) -> dict[str, Any]:
        start, end = of.utc_range(tz)
        return figures.figure_values(
            counted, figures.urgent(counted),
            await reads.first_response_hours(db, ids, start, end),
            await reads.solved_answers(db, ids, start, end))

    async def trend(spans: Sequence[figures.Span]) -> list[dict[str, Any]]:
        counted = await reads.counts_many(db, ids, buckets(web_request, spans))
        return [figures.trend_json(b, c) for b, c in zip(spans, counted, strict=True)]

    before = span.previous()  # the period and the one before: adjacent, counted at once
    then, now = await reads.counts_many(db, ids, buckets(web_request, [before, span]))
    return JSONResponse({
        "period": span.as_json(),
        "figures": figures.figures_json(await values(span, now), await values(before, then)),
        "trend": {"weeks": await trend(figures.trend_weeks(span.end)),
                  "months": await trend(figures.trend_months(span.end))}})


# ----- /api/requests ------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    text = to_ascii_digits(text or "")
    return int(text) if text.isdigit() else None


async def request_filter(web_request: WebRequest, found: Session) -> reads.RequestFilter:
    """The requests page's filters from the query string, within the person's scope."""
    query = web_request.query_params
    now = state_of(web_request).services.clock.now()
    status = query.get("status", "")
    statuses: tuple[str, ...] = ()
    if status == "open":
        statuses = request_store.OPEN
    elif status:
        statuses = (status,)
    q = to_ascii_digits(query.get("q", "")).strip()
    digits = q.replace("-", "").replace(" ", "")
    code = digits if digits.isdigit() and len(digits) >= 4 else None
    return reads.RequestFilter(
        office_ids=await offices_in_view(web_request, found),
        overdue_rule=overdue_rule(web_request, now), statuses=statuses,
        category=query.get("category") or None, hood_id=_int(query.get("hood")),
        overdue=query.get("overdue") == "1", code=code,
        words=None if code or not q else query.get("q", "").strip()[:100],
        unsearchable=tuple(sorted(state_of(web_request).services.org.sensitive)),
        sort=query.get("sort", "new") if query.get("sort") in ("new", "old", "overdue")
        else "new")


def request_item(web_request: WebRequest, row: Row, rule: reads.Overdue,
                 categories: dict[str, str]) -> dict[str, Any]:
    """One request as the list shows it."""
    tz = state_of(web_request).settings.timezone
    return {"id": row["id"], "code": row["code"], "code_shown": figures.shown_code(row["code"]),
            "category": row["category"],
            "category_label": categories.get(row["category"], row["category"]),
            "hood": row["hood"] or t("request.unsure"), "office": row["office"],
            "status": row["status"], "status_label": t(f"status.{row['status']}"),
            "created": row["created_at"],
            "created_jalali": jalali_instant(row["created_at"], tz),
            "overdue": figures.is_overdue(row["status"], row["category"], row["created_at"],
                                          rule),
            "summary": "" if privacy_web.sensitive(web_request, row["category"])
            else row["description"][:140]}


async def filters_json(web_request: WebRequest, found: Session) -> dict[str, Any]:
    """The choices of the requests page's filters (the scope's own)."""
    db = state_of(web_request).services.db
    scope = await access.scope(db, found.person)
    ids = sorted(scope.office_ids)
    return {
        "statuses": [{"value": "open", "label": t("dashboard.status_open")}]
        + [{"value": s, "label": t(f"status.{s}")} for s in request_store.STATUSES],
        "categories": [{"value": k, "label": v}
                       for k, v in category_labels(web_request).items()],
        "hoods": [{"value": r["id"], "label": r["name"], "office": r["office"]}
                  for r in await reads.hoods(db, ids)],
        "offices": [{"value": o.id, "label": o.name}
                    for o in await office_store.list_offices(db) if scope.holds(o.id)]}


async def request_list(web_request: WebRequest, found: Session) -> Response:
    """A page of the requests the person may see, filtered and sorted."""
    db = state_of(web_request).services.db
    where = await request_filter(web_request, found)
    page = min(max(_int(web_request.query_params.get("page")) or 1, 1), MAX_PAGE)
    total, rows = await reads.requests_page(db, where, page)
    categories = category_labels(web_request)
    return JSONResponse({
        "total": total, "page": page, "pages": max(1, -(-total // reads.PAGE_SIZE)),
        "items": [request_item(web_request, r, where.overdue_rule, categories) for r in rows],
        "filters": await filters_json(web_request, found)})


async def request_detail(web_request: WebRequest, found: Session) -> Response:
    """One request, its trail and its photos' URLs (404 if the person may not see it)."""
    web = state_of(web_request)
    db, tz = web.services.db, web.settings.timezone
    request = await visible_request(web_request, found, web_request.path_params["code"])
    if request is None:
        return error_json(404, "dashboard.not_found")
    where = await request_filter(web_request, found)
    rows = await reads.requests_all(db, reads.RequestFilter(
        office_ids=[request.office_id], overdue_rule=where.overdue_rule, code=request.code))
    item = request_item(web_request, rows[0], where.overdue_rule, category_labels(web_request))
    attachments = await request_store.attachments(db, request.id)
    photos = [a for a in attachments if a["kind"] == "photo" and a["file_id"]]
    place = next((a for a in attachments if a["kind"] == "location"), None)
    item.update(
        text=request.description,
        resident=t("export.anonymous") if request.anonymous else resident_label(
            request.resident_name, request.resident_user_id < 0),
        location={"lat": place["latitude"], "lon": place["longitude"]} if place else None,
        photos=[f"/app/requests/{request.code}/photos/{n}" for n in range(1, len(photos) + 1)])
    if access.sees_phone(found.person, request):
        item["phone"] = request.phone
    trail = []
    for event in await request_store.events(db, request.id, public_only=False):
        label = t(f"export.kind_{event.kind}")
        if event.new_status:
            label = f"{label}: {t(f'status.{event.new_status}')}"
        actor = event.actor_name or ""
        if event.actor_id == request.resident_id and request.anonymous:
            actor = t("export.anonymous")
        trail.append({"when": event.at, "when_jalali": jalali_instant(event.at, tz),
                      "kind": event.kind, "label": label, "actor": actor,
                      "note": event.note or "", "public": event.public})
    if not privacy_web.sees_details(web_request, found, request):
        privacy_web.withhold(item, trail)  # a sensitive category: no look at a person
    else:
        await privacy_web.record(web_request, found, "phone" if "phone" in item else "request",
                                 request)
    return JSONResponse({"request": item, "trail": trail})


# ----- /api/map and /api/hoods/{id} ---------------------------------------------------------


async def map_data(web_request: WebRequest, found: Session) -> Response:
    """Neighbourhoods with their figures and coordinates, located points, the tiles."""
    web = state_of(web_request)
    db, settings = web.services.db, web.settings
    span = period_of(web_request)
    start, end = span.utc_range(settings.timezone)
    ids = await offices_in_view(web_request, found)
    category = web_request.query_params.get("category") or None
    status = web_request.query_params.get("status", "")
    statuses = request_store.OPEN if status in ("", "open") else (status,)
    per_hood = await reads.hood_figures(db, ids, start, end, category=category,
                                        statuses=statuses)
    places = web.services.org.coordinates()
    hoods = []
    for row in await reads.hoods(db, ids):
        place = places.get((row["office_slug"], row["slug"]))
        open_requests, needs = per_hood.get(row["id"], (0, 0))
        hoods.append({"id": row["id"], "name": row["name"], "office": row["office"],
                      "lat": place[0] if place else None, "lon": place[1] if place else None,
                      "approximate": True, "open_requests": open_requests, "needs": needs})
    categories = category_labels(web_request)
    titles = {name: form.title for name, form in web.services.forms.items()}
    points = []
    for row in await reads.located(db, ids, start, end, category=category,
                                   statuses=() if not status else statuses):
        if row["kind"] == "request" and privacy_web.sensitive(web_request, row["category"]):
            continue  # a sensitive request's exact place stays off the map
        if row["kind"] == "request":
            label = categories.get(row["category"], row["category"])
            url = f"/app/requests/{row['code']}"
        else:
            label = titles.get(row["form"], row["form"])
            url = f"/app/forms/{row['form']}"
        points.append({"kind": row["kind"], "lat": row["lat"], "lon": row["lon"],
                       "label": label, "url": url})
    return JSONResponse({"period": span.as_json(), "hoods": hoods, "points": points,
                         "tiles": {"url": settings.map_tiles_url,
                                   "attribution": settings.map_tiles_attribution
                                   if settings.map_tiles_url else ""}})


async def hood(web_request: WebRequest, found: Session) -> Response:
    """A neighbourhood's months side by side, its needs, requests and reports."""
    web = state_of(web_request)
    db, tz = web.services.db, web.settings.timezone
    hood_id = int(web_request.path_params["id"])
    scope = await access.scope(db, found.person)
    row = next((r for r in await reads.hoods(db, sorted(scope.office_ids))
                if r["id"] == hood_id), None)
    if row is None:
        return error_json(404, "dashboard.not_found")
    span = period_of(web_request)
    spans = figures.trend_months(span.end)
    months = [{"label": bucket.label, "reports": c.reports, "participants": c.participants,
               "needs": c.needs, "requests_new": c.requests_new,
               "requests_resolved": c.requests_resolved, "requests_open": c.requests_open}
              for bucket, c in zip(spans, await reads.counts_many(
                  db, [row["office_id"]], buckets(web_request, spans), hood_id=hood_id),
                  strict=True)]
    start, end = span.utc_range(tz)
    labels = labels_from(web.services.forms)
    rule = overdue_rule(web_request, web.services.clock.now())
    _, rows = await reads.requests_page(db, reads.RequestFilter(
        office_ids=[row["office_id"]], overdue_rule=rule, hood_id=hood_id), 1)
    categories = category_labels(web_request)

    def submission(r: Row) -> dict[str, Any]:
        return {"id": r["id"], "created": r["created_at"],
                "created_jalali": jalali_instant(r["created_at"], tz),
                "category": r["category"],
                "category_label": labels.need_categories.get(r["category"] or "", ""),
                "severity": r["severity"],
                "severity_label": labels.severities.get(r["severity"] or "", ""),
                "participants": r["participants"], "author": r["author"]}

    return JSONResponse({
        "period": span.as_json(),
        "hood": {"id": hood_id, "name": row["name"], "office": row["office"]},
        "months": months,
        "needs": [submission(r) for r in await reads.hood_submissions(
            db, hood_id, "needs_assessment", start, end)],
        "requests": [request_item(web_request, r, rule, categories) for r in rows],
        "reports": [submission(r) for r in await reads.hood_submissions(
            db, hood_id, "field_report", start, end)]})


# ----- /api/forms, /api/activity ------------------------------------------------------------


def listed_forms(web_request: WebRequest) -> dict[str, FormDefinition]:
    """The forms whose answers are submissions (not residents' requests)."""
    return {name: form for name, form in state_of(web_request).services.forms.items()
            if form.sink in ("submission", "xlsform")}


async def form_list(web_request: WebRequest, found: Session) -> Response:
    """Each form with its submissions in the period."""
    web = state_of(web_request)
    span = period_of(web_request)
    start, end = span.utc_range(web.settings.timezone)
    counted = await reads.form_counts(web.services.db, await offices_in_view(
        web_request, found), start, end)
    return JSONResponse([{"name": name, "title": form.title, "count": counted.get(name, 0)}
                         for name, form in listed_forms(web_request).items()])


FORM_ROWS_SHOWN = 500  # the page shows the newest; the export has them all


async def form_table(web_request: WebRequest, found: Session, form: FormDefinition,
                     limit: int = 100_000
                     ) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(columns as (name, label), rows) of one form's submissions in the period, newest
    first (at most `limit`)."""
    web = state_of(web_request)
    db, tz = web.services.db, web.settings.timezone
    span = period_of(web_request)
    start, end = span.utc_range(tz)
    fixed = [("_id", t("export.number")), ("_created", t("export.created_jalali")),
             ("_office", t("export.office")), ("_author", t("export.author")),
             ("_hood", t("export.hood"))]
    rows = await reads.form_rows(db, form.name, await offices_in_view(web_request, found),
                                 start, end, limit)
    if form.sink == "xlsform":
        xls = form_columns(form)
        columns = [*fixed, *[(c[0], c[1]) for c in xls]]

        def answers_of(answers: dict[str, Any]) -> dict[str, Any]:
            return {c[0]: form_cell(c, answers.get(c[0])) for c in xls}
    else:
        hoods = {str(r["id"]): r["name"] for r in await reads.hoods(db, sorted(
            (await access.scope(db, found.person)).office_ids))}
        questions = [q for q in form.questions if q.type != "contact"
                     and q.store != "happened_on"]
        columns = [*fixed, *[(q.id, q.label) for q in questions]]

        def answers_of(answers: dict[str, Any]) -> dict[str, Any]:
            return {q.id: cell(q, answers.get(q.id), hoods) for q in questions}

    def convert() -> list[dict[str, Any]]:
        table = []
        for row in rows:
            values = answers_of(json.loads(row["answers"]))
            table.append({"_id": row["id"], "_created": jalali_instant(row["created_at"], tz),
                          "_office": row["office"], "_author": row["author"], "_hood":
                          row["hood"] or "", **{k: _plain(v) for k, v in values.items()}})
        return table

    # up to `limit` rows of JSON (an export's are tens of thousands): off the bot's loop
    return columns, await asyncio.to_thread(convert)


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) or value is None else str(value)


async def form_data(web_request: WebRequest, found: Session) -> Response:
    """One form's submissions with its own columns."""
    form = listed_forms(web_request).get(web_request.path_params["form"])
    if form is None:
        return error_json(404, "dashboard.not_found")
    columns, rows = await form_table(web_request, found, form, FORM_ROWS_SHOWN)
    total = len(rows)
    if total == FORM_ROWS_SHOWN:
        web = state_of(web_request)
        start, end = period_of(web_request).utc_range(web.settings.timezone)
        total = (await reads.form_counts(web.services.db, await offices_in_view(
            web_request, found), start, end)).get(form.name, total)
    return JSONResponse({"period": period_of(web_request).as_json(),
                         "form": {"name": form.name, "title": form.title},
                         "columns": [{"name": n, "label": label} for n, label in columns],
                         "rows": rows, "total": total})


async def activity(web_request: WebRequest, found: Session) -> Response:
    """Facilitators' submissions per week of the period."""
    web = state_of(web_request)
    tz = web.settings.timezone
    span = period_of(web_request)
    weeks = figures.weeks_of(span)
    people: dict[int, dict[str, Any]] = {}
    for row in await reads.activity(web.services.db, await offices_in_view(web_request, found),
                                    [w.utc_range(tz) for w in weeks]):
        person = people.setdefault(row["id"], {"name": row["name"], "office": row["office"],
                                               "counts": [0] * len(weeks)})
        if row["b"] is not None:
            person["counts"][row["b"]] = row["n"]
    return JSONResponse({"period": span.as_json(),
                         "weeks": [{"label": w.label, "from": w.start.isoformat()}
                                   for w in weeks],
                         "people": list(people.values())})


def routes() -> list[Route]:
    """The API's routes."""
    return [
        Route("/api/me", api(me)),
        Route("/api/overview", api(overview)),
        Route("/api/map", api(map_data)),
        Route("/api/hoods/{id:int}", api(hood)),
        Route("/api/requests", api(request_list)),
        Route("/api/requests/{code}", api(request_detail)),
        Route("/api/forms", api(form_list)),
        Route("/api/forms/{form}", api(form_data)),
        Route("/api/activity", api(activity)),
    ]
