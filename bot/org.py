"""The organisation data file (TOML): provinces, offices (with their phone, address and
working hours) and neighbourhoods; and for residents' requests, the agencies they are
referred to (with their service levels: hours to acknowledge, days to act), emergency
numbers per category (and per the words of a description), first-response and resolution
times, the urgent categories and the sensitive ones (whose details only the office's staff
and admins see).

`load_organisation(path)` reads and checks the file; any problem raises `OrgFileError`
with one line that names the file, the entry and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from bot.locale.jalali import JalaliDateError, parse_jalali_date
from bot.locale.normalize import match_key, to_persian_digits
from bot.locale.phones import Phone, read_phone, shown_phone
from bot.locale.text import t
from bot.office_hours import WorkingHours, parse_hours
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
    phone: str = ""          # E.164, for the resident's help
    address: str = ""
    hours: WorkingHours = field(default_factory=WorkingHours)


@dataclass(frozen=True)
class Province:
    """A province with offices in it."""

    slug: str
    name: str


DEFAULT_ACK_HOURS = 48  # an agency acknowledges a referral within this many hours
DEFAULT_ACT_DAYS = 14   # … and acts on it within this many days (unless it promised a date)


@dataclass(frozen=True)
class Agency:
    """A body a request is referred to (the water company, the municipality …), with its
    service level: hours to acknowledge a referral, days to act on it."""

    slug: str
    name: str
    short: str = ""  # the name residents know it by («آبفا»); the full name if not given
    ack_hours: int = DEFAULT_ACK_HOURS
    act_days: int = DEFAULT_ACT_DAYS

    @property
    def short_name(self) -> str:
        """The name a sentence to a resident uses."""
        return self.short or self.name


@dataclass(frozen=True)
class EmergencyService:
    """A number to call at once (آب ۱۲۲، برق ۱۲۱ …): its name, its number, and the words of a
    description that call for it whatever the category («تیر برق» → برق)."""

    slug: str
    name: str
    number: str
    words: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """«آب ۱۲۲»."""
        return f"{self.name} {to_persian_digits(self.number)}"


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
    services: tuple[EmergencyService, ...] = ()
    emergency_services: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category
    sensitive: frozenset[str] = frozenset()  # details seen only by the office and admins

    def emergency_for(self, category: str, description: str = "") -> tuple[EmergencyService,
                                                                          ...]:
        """The numbers to show: those whose words the description uses («آب نداریم» → آب
        ۱۲۲, «تیر برق کج شده» → برق ۱۲۱, «بوی گاز» → گاز ۱۹۴), else the category's own.
        Used at the category question (no description yet) and when a request is filed."""
        said = _words(description)
        named = tuple(s for s in self.services if any(
            tuple(match_key(p) for p in w.split()) in said for w in s.words))
        if named:
            return named
        return tuple(s for slug in self.emergency_services.get(category, ())
                     if (s := self.service(slug)) is not None)

    def emergency_text(self, category: str, description: str = "") -> str:
        """«آب ۱۲۲، برق ۱۲۱» for `case.emergency`; a category's plain text if the file gives
        one; empty if none."""
        found = self.emergency_for(category, description)
        if found:
            return "، ".join(s.shown for s in found)
        return self.emergency.get(category, "")

    def service(self, slug: str) -> EmergencyService | None:
        """The emergency service with this slug, if any."""
        return next((s for s in self.services if s.slug == slug), None)

    def is_sensitive(self, category: str) -> bool:
        """Whether a request category is sensitive (`[requests.sensitive]`, `cat = true`)."""
        return category in self.sensitive

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


def _words(text: str) -> set[tuple[str, ...]]:
    """Every run of one to three words of a text, as comparison keys."""
    keys = [k for k in (match_key(w) for w in re.split(r"[\s،,.!?؟؛:«»()]+", text)) if k]
    return {tuple(keys[i:i + n]) for n in (1, 2, 3) for i in range(len(keys) - n + 1)}


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

    contacts = data.get("contact", {})
    if not isinstance(contacts, dict):
        raise OrgFileError("[contact] must be a table of offices' phone, address and hours")
    hours = _hours("[contact]", contacts, WorkingHours())
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
        offices.append(Office(slug, _text(where, raw, "name"), province,
                              _text(where, raw, "city"), hoods,
                              *_contact(where, {**contacts.get(slug, {}), **raw}, hours)))
    if not offices:
        raise OrgFileError("no [[offices]] declared")
    _unique("offices", [o.slug for o in offices])
    for key, value in contacts.items():
        if key != "hours" and (not isinstance(value, dict)
                               or key not in {o.slug for o in offices}):
            raise OrgFileError(f"[contact.{key}]: {key!r} is not among [[offices]]")
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
    services = _services(data)
    emergency = requests.get("emergency", {})
    if not isinstance(emergency, dict):
        raise OrgFileError("[requests] emergency must map categories to services")
    by_service = {k: _emergency_entry(k, v, services) for k, v in emergency.items()
                  if not isinstance(v, str)}
    texts = {k: v for k, v in emergency.items() if isinstance(v, str)}
    if not all(v.strip() for v in texts.values()):
        raise OrgFileError("[requests] emergency: a category's text is empty")
    urgent = requests.get("urgent", [])
    if not isinstance(urgent, list) or not all(isinstance(v, str) for v in urgent):
        raise OrgFileError("[requests] urgent must be a list of categories")
    sensitive = requests.get("sensitive", {})
    if not isinstance(sensitive, dict) or not all(
            isinstance(v, bool) for v in sensitive.values()):
        raise OrgFileError("[requests] sensitive must map categories to true or false, "
                           "e.g. social_harm = true")
    defaults = data.get("agency_defaults", {})
    if not isinstance(defaults, dict):
        raise OrgFileError("[agency_defaults] must be a table (ack_hours, act_days)")
    ack = _whole("[agency_defaults]", defaults, "ack_hours", DEFAULT_ACK_HOURS)
    act = _whole("[agency_defaults]", defaults, "act_days", DEFAULT_ACT_DAYS)
    agencies = tuple(_agency(i, a, ack, act)
                     for i, a in enumerate(_table_list(data, "agencies"), start=1))
    _unique("agencies", [a.slug for a in agencies])
    org = Organisation(name, provinces, tuple(offices), frozenset(holidays), dict(overdue),
                       agencies, dict(hours), {k: v.strip() for k, v in texts.items()},
                       frozenset(urgent), services, by_service,
                       frozenset(k for k, v in sensitive.items() if v))
    return replace(org, emergency={**{c: org.emergency_text(c) for c in by_service},
                                   **org.emergency})


def _hours(where: str, raw: dict[str, Any], default: WorkingHours) -> WorkingHours:
    if "hours" not in raw:
        return default
    try:
        return parse_hours(where, raw["hours"])
    except ValueError as exc:
        raise OrgFileError(str(exc)) from None


def _contact(where: str, raw: dict[str, Any], default: WorkingHours
             ) -> tuple[str, str, WorkingHours]:
    """An office's phone (read as E.164), address and working hours, all optional."""
    phone = ""
    if "phone" in raw:
        found = read_phone(str(raw["phone"]))
        if not isinstance(found, Phone):
            raise OrgFileError(f"{where}: phone {raw['phone']!r} is not a phone number")
        phone = found.e164
    address = _text(where, raw, "address") if "address" in raw else ""
    return phone, address, _hours(where, raw, default)


def _services(data: dict[str, Any]) -> tuple[EmergencyService, ...]:
    """[[emergency_numbers]]: slug, name, number (digits), words (optional)."""
    found = []
    for i, raw in enumerate(_table_list(data, "emergency_numbers"), start=1):
        where = f"emergency number #{i}"
        slug = _slug(where, raw)
        where = f"emergency number {slug!r}"
        number = _text(where, raw, "number")
        if not number.isascii() or not number.isdigit():
            raise OrgFileError(f"{where}: number {number!r} must be digits, like \"122\"")
        words = raw.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip()
                                                  for w in words):
            raise OrgFileError(f"{where}: 'words' must be a list of texts")
        found.append(EmergencyService(slug, _text(where, raw, "name"), number,
                                      tuple(w.strip() for w in words)))
    _unique("emergency_numbers", [s.slug for s in found])
    return tuple(found)


def _emergency_entry(category: str, value: Any, services: tuple[EmergencyService, ...]
                     ) -> tuple[str, ...]:
    known = {s.slug for s in services}
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OrgFileError(f"[requests] emergency {category!r}: must be a list of "
                           "[[emergency_numbers]] slugs, like [\"water\", \"electricity\"]")
    for slug in value:
        if slug not in known:
            raise OrgFileError(f"[requests] emergency {category!r}: {slug!r} is not among "
                               "[[emergency_numbers]]")
    return tuple(value)


def _whole(where: str, entry: dict[str, Any], key: str, default: int) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000:
        raise OrgFileError(f"{where}: '{key}' must be a whole number above 0, not {value!r}")
    return value


def _agency(index: int, raw: dict[str, Any], ack_hours: int, act_days: int) -> Agency:
    slug = _slug(f"agency #{index}", raw)
    where = f"agency {slug!r}"
    short = raw.get("short", "")
    if not isinstance(short, str):
        raise OrgFileError(f"{where}: 'short' must be a text")
    return Agency(slug, _text(where, raw, "name"), short.strip(),
                  _whole(where, raw, "ack_hours", ack_hours),
                  _whole(where, raw, "act_days", act_days))


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


def resident_help(org: Organisation, office: Office | None) -> str:
    """The resident's «راهنما»: the buttons by name, then their office's phone, address and
    hours (when the resident's office is known: that of their latest request), then the
    emergency numbers of the organisation file. For the resident's «راهنما» button and
    /help."""
    lines = [t("resident_help.title"), t("resident_help.request"), t("resident_help.track"),
             t("resident_help.plain"), t("resident_help.moving"), ""]
    if office is not None and (office.phone or office.address):
        lines.append(t("resident_help.office", office=office.name,
                       phone=shown_phone(office.phone) if office.phone else "—",
                       address=office.address or "—", hours=office.hours.shown()))
    else:
        lines.append(t("resident_help.office_unknown"))
    if org.services:
        lines += ["", t("resident_help.emergency",
                        numbers="، ".join(s.shown for s in org.services))]
    return "\n".join(lines)
