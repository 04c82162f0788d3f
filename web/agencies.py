"""The dashboard's agency table (issue 22): `/api/agencies` (per agency in the period:
referred, acknowledged, done, «not ours», the median hours to acknowledge and to act,
overdue now; and its weekly trend of referrals and «done») and the page `/app/agencies`
that shows it. Limited to the offices the session's person may see (`web.access_web`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request as WebRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import agencies
from bot.reports import dashboard as figures
from storage.sessions import Session
from web.access_web import offices_in_view
from web.api import as_of, period_of
from web.pages import _page
from web.state import api, state_of


async def agency_table(web_request: WebRequest, found: Session) -> Response:
    """Per agency: the period's figures and the trend of the weeks up to its end."""
    web = state_of(web_request)
    db, org, tz = web.services.db, web.services.org, web.settings.timezone
    span = period_of(web_request)
    ids = await offices_in_view(web_request, found)
    now = as_of(web_request, span)

    async def of(which: figures.Span) -> dict[str, agencies.AgencyFigures]:
        start, end = which.utc_range(tz)
        found_here = await agencies.figures(db, org, ids, datetime.fromisoformat(start),
                                            datetime.fromisoformat(end), now, tz)
        return {f.agency: f for f in found_here}

    current = await of(span)
    weeks = figures.trend_weeks(span.end)
    trend = [await of(week) for week in weeks]
    slugs = list(current) + sorted({s for t in trend for s in t} - set(current))
    rows: list[dict[str, Any]] = []
    for slug in slugs:
        agency, here = agencies.agency_of(org, slug), current.get(slug)
        rows.append({
            "slug": slug, "name": agency.name, "short": agency.short_name,
            "referred": here.referred if here else 0,
            "acknowledged": here.acknowledged if here else 0,
            "done": here.done if here else 0, "not_ours": here.not_ours if here else 0,
            "median_ack_hours": here.median_ack_hours if here else None,
            "median_act_hours": here.median_act_hours if here else None,
            "overdue": here.overdue if here else 0,
            "trend": [{"referred": w[slug].referred if slug in w else 0,
                       "done": w[slug].done if slug in w else 0} for w in trend]})
    return JSONResponse({"period": span.as_json(),
                         "weeks": [{"label": w.label, "from": w.start.isoformat()}
                                   for w in weeks],
                         "agencies": rows})


def routes() -> list[Route]:
    """The API route and the page."""
    return [Route("/api/agencies", api(agency_table)),
            Route("/app/agencies", _page("agencies.html", "agencies"))]
