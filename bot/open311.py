"""Open311 GeoReport v2, read-only, as pure answers the web routes return: discovery, the
services (the request categories), an agency's service requests and a single one, in JSON
and XML with the specification's names (`<service_requests><request>…`).

Every requests answer is limited to the referrals of the agency whose key (`api_key`) was
given, and carries no personal data: no name, no phone, no text of the resident
(`description` is empty), and the neighbourhood's coarse location instead of the point. A
missing, wrong or revoked key gets a 403 answer; a bad date a 400; an unknown code a 404.
No Starlette here: a route turns an `Answer` into a response (`status`, `content_type`,
`render(fmt)`).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.agencies import agency_of, state_name
from bot.forms.model import FormDefinition
from bot.org import Organisation
from storage import apikeys, referrals
from storage.db import Database, utc_now_iso
from storage.referrals import PublicRow

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("text/xml", "application/json")
CONTENT_TYPES = {"json": "application/json; charset=utf-8",
                 "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90  # the specification's default range when no date is given
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url")
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group")
Point = tuple[float, float]


@dataclass(frozen=True)
class Answer:
    """What a route returns: an HTTP status and a body of lists and dicts, rendered as JSON
    or as XML under `root` (each list item an `item` element)."""

    status: int
    body: Any
    root: str
    item: str

    def json(self) -> str:
        """The body as JSON (UTF-8 text, Persian as is)."""
        return json.dumps(self.body, ensure_ascii=False)

    def xml(self) -> str:
        """The body as XML with its declaration."""
        top = ET.Element(self.root)
        for entry in self.body if isinstance(self.body, list) else [self.body]:
            _fill(ET.SubElement(top, self.item) if self.item else top, entry)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")

    def render(self, fmt: str) -> tuple[str, str]:
        """(content type, text) for 'json' or 'xml'."""
        return CONTENT_TYPES[fmt], self.json() if fmt == "json" else self.xml()


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):  # <formats><format>…</format></formats>
                holder = ET.SubElement(element, key)
                for item in inner:
                    _fill(ET.SubElement(holder, key[:-1]), item)
            else:
                _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def error(status: int, description: str) -> Answer:
    """The specification's error list: `[{"code": 403, "description": …}]`."""
    return Answer(status, [{"code": status, "description": description}], "errors", "error")


FORBIDDEN = "a valid api_key is required"


@dataclass(frozen=True)
class Service:
    """A request category offered as a service."""

    code: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    group: str = ""


def services_from_form(form: FormDefinition, question: str = "category") -> list[Service]:
    """The categories of the resident's request form as services."""
    found = form.question(question)
    if found is None:
        return []
    return [Service(c.value, c.label, c.label, (c.value,), form.title)
            for c in found.choices]


def discovery(base_url: str, changeset: datetime, contact: str, key_service: str) -> Answer:
    """`discovery.json`: where the GeoReport v2 endpoint is and what it speaks."""
    stamp = _w3c(changeset, ZoneInfo("UTC"))
    return Answer(200, {
        "changeset": stamp, "contact": contact, "key_service": key_service,
        "endpoints": [{"specification": SPECIFICATION, "url": base_url.rstrip("/"),
                       "changeset": stamp, "type": "production", "formats": list(FORMATS)}],
    }, "discovery", "")


def services_answer(services: Sequence[Service]) -> Answer:
    """`services.json`: every category as a realtime service without metadata."""
    return Answer(200, [{
        "service_code": s.code, "service_name": s.name, "description": s.description,
        "metadata": False, "type": "realtime", "keywords": ",".join(s.keywords),
        "group": s.group} for s in services], "services", "service")


def _w3c(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds").replace("+00:00", "Z")


def _stored(text: str, tz: ZoneInfo) -> str:
    return _w3c(datetime.fromisoformat(text), tz)


def _coarse(point: Point | None) -> tuple[float | None, float | None]:
    if point is None:
        return None, None
    return round(point[0], 3), round(point[1], 3)


def request_entry(row: PublicRow, org: Organisation, names: Mapping[str, str],
                  points: Mapping[tuple[str, str], Point], tz: ZoneInfo) -> dict[str, Any]:
    """One referral in the specification's fields, without personal data."""
    closed = row.state in ("done", "not_ours", "withdrawn") or row.request_status in (
        "resolved", "rejected", "duplicate", "withdrawn")
    expected = None
    if row.promised_date:
        end = datetime.combine(date.fromisoformat(row.promised_date), time(23, 59, 59), tz)
        expected = _w3c(end, tz)
    hood = (row.office_slug, row.neighbourhood_slug or "")
    lat, long = _coarse(points.get(hood))
    return {
        "service_request_id": row.code,
        "status": "closed" if closed else "open",
        "status_notes": state_name(row.state),
        "service_name": names.get(row.category, row.category),
        "service_code": row.category,
        "description": "",
        "agency_responsible": agency_of(org, row.agency).name,
        "service_notice": "",
        "requested_datetime": _stored(row.requested_at, tz),
        "updated_datetime": _stored(row.updated_at, tz),
        "expected_datetime": expected,
        "address": row.neighbourhood_name or "",
        "address_id": "/".join(hood) if row.neighbourhood_slug else "",
        "zipcode": "",
        "lat": lat,
        "long": long,
        "media_url": "",
    }


def _requests_answer(rows: Sequence[PublicRow], org: Organisation,
                     services: Sequence[Service], points: Mapping[tuple[str, str], Point],
                     tz: ZoneInfo) -> Answer:
    names = {s.code: s.name for s in services}
    return Answer(200, [request_entry(r, org, names, points, tz) for r in rows],
                  "service_requests", "request")


async def authorise(db: Database, params: Mapping[str, str]) -> str | Answer:
    """The agency of the `api_key` parameter, or the 403 answer."""
    agency = await apikeys.agency_of(db, params.get("api_key"))
    return agency if agency is not None else error(403, FORBIDDEN)


def _when(text: str, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _listed(params: Mapping[str, str], name: str) -> list[str]:
    return [v.strip() for v in params.get(name, "").split(",") if v.strip()]


def _canonical(code: str) -> str:
    return "".join(ch for ch in code if ch.isascii() and ch.isdigit())


async def service_requests(db: Database, org: Organisation, services: Sequence[Service],
                           params: Mapping[str, str], *, now: datetime, tz: ZoneInfo,
                           points: Mapping[tuple[str, str], Point] | None = None) -> Answer:
    """`requests.json`: the key's agency's referrals, newest first, at most 1,000; filters
    `service_request_id`, `service_code`, `status` (open, closed), `start_date`, `end_date`
    (W3C date-times; without either, the last 90 days)."""
    agency = await authorise(db, params)
    if isinstance(agency, Answer):
        return agency
    try:
        start = _when(params["start_date"], tz) if params.get("start_date") else None
        end = _when(params["end_date"], tz) if params.get("end_date") else None
    except ValueError:
        return error(400, "start_date and end_date must be W3C date-times, "
                          "e.g. 2026-12-01T00:00:00+03:30")
    if start is None:
        start = (end or now) - timedelta(days=DEFAULT_DAYS)
    statuses = set(_listed(params, "status"))
    if not statuses <= {"open", "closed"}:
        return error(400, "status is open or closed")
    closed = None if len(statuses) != 1 else statuses == {"closed"}
    rows = await referrals.public_rows(
        db, agency, codes=[_canonical(c) for c in _listed(params, "service_request_id")],
        categories=_listed(params, "service_code"), closed=closed, start=utc_now_iso(start),
        end=utc_now_iso(end) if end else None, limit=MAX_REQUESTS)
    return _requests_answer(rows, org, services, points or {}, tz)


async def service_request(db: Database, org: Organisation, services: Sequence[Service],
                          code: str, params: Mapping[str, str], *, tz: ZoneInfo,
                          points: Mapping[tuple[str, str], Point] | None = None) -> Answer:
    """`requests/{code}.json`: one referral of the key's agency (a list of one, as the
    specification has it); 404 when the agency has no referral with this code."""
    agency = await authorise(db, params)
    if isinstance(agency, Answer):
        return agency
    wanted = _canonical(code)
    rows = await referrals.public_rows(db, agency, codes=[wanted], limit=1) if wanted else []
    if not rows:
        return error(404, f"no service request {code!r}")
    return _requests_answer(rows, org, services, points or {}, tz)
