"""The organisation data file (TOML): provinces, offices and neighbourhoods; and for
residents' requests, the agencies they are referred to, emergency numbers, first-response and
resolution times, and the urgent categories.

`load_organisation(path)` reads and checks the file; any problem raises `OrgFileError`
with one line that names the file, the entry and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.locale.jalali import JalaliDateError, parse_jalali_date
from bot.textfile import EncodingProblem, read_text

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class OrgFileError(ValueError):
    """The organisation file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Neighbourhood:
    """A neighbourhood an office serves."""

    slug: str
    name: str
    lat: float | None = None  # approximate, for the dashboard's map
    lon: float | None = None


@dataclass(frozen=True)
class Office:
    """A facilitation office."""

    slug: str
    name: str
    province: str
    city: str
    neighbourhoods: tuple[Neighbourhood, ...]


@dataclass(frozen=True)
class Province:
    """A province with offices in it."""

    slug: str
    name: str


@dataclass(frozen=True)
class Agency:
    """A body a request is referred to (the water company, the municipality …)."""

    slug: str
    name: str


DEFAULT_RESPONSE_HOURS = 48


@dataclass(frozen=True)
class Organisation:
    """Everything the organisation file declares."""

    name: str
    provinces: tuple[Province, ...]
    offices: tuple[Office, ...]
    holidays: frozenset[date] = frozenset()
    overdue_days: dict[str, int] = field(default_factory=dict)  # request category → days
    agencies: tuple[Agency, ...] = ()
    response_hours: dict[str, int] = field(default_factory=dict)  # category → hours
    emergency: dict[str, str] = field(default_factory=dict)       # category → numbers
    urgent: frozenset[str] = frozenset()                          # never held by quiet hours

    def office(self, slug: str) -> Office | None:
        """The office with this slug, if any."""
        return next((o for o in self.offices if o.slug == slug), None)

    def coordinates(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(office slug, neighbourhood slug) → (lat, lon), for those that have them."""
        return {(o.slug, h.slug): (h.lat, h.lon) for o in self.offices for h in o.neighbourhoods
                if h.lat is not None and h.lon is not None}

    def agency(self, slug: str) -> Agency | None:
        """The agency with this slug, if any."""
        return next((a for a in self.agencies if a.slug == slug), None)

    def first_response_hours(self, category: str) -> int:
        """Hours within which the office should first answer a request of this category."""
        return self.response_hours.get(
            category, self.response_hours.get("default", DEFAULT_RESPONSE_HOURS))


def _text(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OrgFileError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _slug(where: str, entry: dict[str, Any]) -> str:
    slug = _text(where, entry, "slug")
    if not _SLUG.match(slug):
        raise OrgFileError(
            f"{where}: slug {slug!r} must be lower-case latin letters, digits and '-' (max 40)"
        )
    return slug


def _table_list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OrgFileError(f"'{key}' must be a list of tables ([[{key}]])")
    return value


def _unique(where: str, slugs: list[str]) -> None:
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise OrgFileError(f"{where}: slug {slug!r} appears twice")
        seen.add(slug)


def parse_organisation(data: dict[str, Any]) -> Organisation:
    """Check parsed TOML and turn it into an `Organisation`."""
    header = data.get("organisation")
    if not isinstance(header, dict):
        raise OrgFileError("missing the [organisation] table with its name")
    name = _text("[organisation]", header, "name")

    provinces = tuple(
        Province(_slug(f"province #{i}", p), _text(f"province #{i}", p, "name"))
        for i, p in enumerate(_table_list(data, "provinces"), start=1)
    )
    if not provinces:
        raise OrgFileError("no [[provinces]] declared")
    _unique("provinces", [p.slug for p in provinces])
    province_slugs = {p.slug for p in provinces}

    offices = []
    for i, raw in enumerate(_table_list(data, "offices"), start=1):
        where = f"office #{i}"
        slug = _slug(where, raw)
        where = f"office {slug!r}"
        province = _text(where, raw, "province")
        if province not in province_slugs:
            raise OrgFileError(f"{where}: province {province!r} is not among [[provinces]]")
        hoods_raw = raw.get("neighbourhoods", [])
        if not isinstance(hoods_raw, list) or not hoods_raw:
            raise OrgFileError(f"{where}: needs a non-empty 'neighbourhoods' list")
        hoods = tuple(
            Neighbourhood(
                _slug(f"{where} neighbourhood #{j}", h),
                _text(f"{where} neighbourhood #{j}", h, "name"),
                *_place(f"{where} neighbourhood #{j}", h),
            )
            if isinstance(h, dict)
            else _bad_neighbourhood(where, j)
            for j, h in enumerate(hoods_raw, start=1)
        )
        _unique(f"{where} neighbourhoods", [h.slug for h in hoods])
        offices.append(
            Office(slug, _text(where, raw, "name"), province, _text(where, raw, "city"), hoods)
        )
    if not offices:
        raise OrgFileError("no [[offices]] declared")
    _unique("offices", [o.slug for o in offices])
    holidays = set()
    for text in header.get("holidays", []):
        try:
            holidays.add(parse_jalali_date(str(text)))
        except JalaliDateError:
            raise OrgFileError(f"holidays: {text!r} is not a Jalali date like 1405/01/01") from None
    requests = data.get("requests", {})
    overdue = requests.get("overdue_days", {})
    if not isinstance(overdue, dict) or not all(
            isinstance(v, int) and v > 0 for v in overdue.values()):
        raise OrgFileError("[requests] overdue_days must map categories to whole days")
    hours = requests.get("response_hours", {})
    if not isinstance(hours, dict) or not all(
            isinstance(v, int) and v > 0 for v in hours.values()):
        raise OrgFileError("[requests] response_hours must map categories to whole hours")
    emergency = requests.get("emergency", {})
    if not isinstance(emergency, dict) or not all(
            isinstance(v, str) and v.strip() for v in emergency.values()):
        raise OrgFileError("[requests] emergency must map categories to texts")
    urgent = requests.get("urgent", [])
    if not isinstance(urgent, list) or not all(isinstance(v, str) for v in urgent):
        raise OrgFileError("[requests] urgent must be a list of categories")
    agencies = tuple(
        Agency(_slug(f"agency #{i}", a), _text(f"agency #{i}", a, "name"))
        for i, a in enumerate(_table_list(data, "agencies"), start=1))
    _unique("agencies", [a.slug for a in agencies])
    return Organisation(name, provinces, tuple(offices), frozenset(holidays), dict(overdue),
                        agencies, dict(hours), {k: v.strip() for k, v in emergency.items()},
                        frozenset(urgent))


def _place(where: str, entry: dict[str, Any]) -> tuple[float | None, float | None]:
    """A neighbourhood's optional (lat, lon): both or neither, in degrees."""
    lat, lon = entry.get("lat"), entry.get("lon")
    if lat is None and lon is None:
        return None, None
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)
            and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise OrgFileError(f"{where}: 'lat' and 'lon' must both be degrees, such as "
                           "lat = 30.2839, lon = 57.0834")
    return float(lat), float(lon)


def _bad_neighbourhood(where: str, index: int) -> Neighbourhood:
    raise OrgFileError(f"{where} neighbourhood #{index}: must be {{ slug = ..., name = ... }}")


def load_organisation(path: Path) -> Organisation:
    """Read and check the organisation file."""
    try:
        data = tomllib.loads(read_text(path))
    except FileNotFoundError:
        raise OrgFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OrgFileError(f"{path}: is a folder; name the organisation file itself") from None
    except EncodingProblem as problem:
        raise OrgFileError(f"{path}: {problem}") from None
    except tomllib.TOMLDecodeError as exc:
        raise OrgFileError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_organisation(data)
    except OrgFileError as exc:
        raise OrgFileError(f"{path}: {exc}") from None
