"""Places typed instead of shared: a map link (OpenStreetMap, Google Maps, Neshan, Balad),
bare coordinates, or an address in words. `read_place` gives `Coordinates`, an `Address`
(the text as the place) or a `PlaceRefusal`. Short links (goo.gl, nshn.ir …) name no
coordinates and cannot be opened here, so they are refused with a hint. `read_link` finds a
map link in a message (a share from Neshan often carries the place's name too) and tells a
point from a short link apart. No messenger code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from bot.locale.normalize import normalize_text, to_ascii_digits

Reason = Literal["short_link", "unknown_link", "bad_coordinates", "too_short", "too_long"]

MAX_ADDRESS = 300
_NUM = r"[-+]?[0-9]{1,3}(?:\.[0-9]+)?"
_PAIR = re.compile(rf"({_NUM})\s*[,،/ ]\s*({_NUM})")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:ir|org|com|app\.goo\.gl|"
                  r"gl)/\S*", re.IGNORECASE)
_SHORT_HOSTS = ("goo.gl", "maps.app.goo.gl", "nshn.ir", "osm.org/go", "balad.ir/p/", "g.co")


@dataclass(frozen=True)
class Coordinates:
    """A point, and where it was read from ('osm', 'google', 'neshan', 'balad', 'geo',
    'typed')."""

    latitude: float
    longitude: float
    source: str


@dataclass(frozen=True)
class Address:
    """A place described in words, kept as typed (cleaned)."""

    text: str


@dataclass(frozen=True)
class PlaceRefusal:
    """A place answer that cannot be taken."""

    reason: Reason


def _point(lat: str, lon: str, source: str) -> Coordinates | PlaceRefusal:
    latitude, longitude = float(lat), float(lon)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return PlaceRefusal("bad_coordinates")
    return Coordinates(round(latitude, 6), round(longitude, 6), source)


def _source(host: str) -> str:
    if "openstreetmap" in host or host.endswith("osm.org"):
        return "osm"
    if "google" in host:
        return "google"
    if "neshan" in host or host.startswith("nshn."):
        return "neshan"
    if "balad" in host:
        return "balad"
    return ""


@dataclass(frozen=True)
class ShortLink:
    """A share link that names no coordinates (nshn.ir/…, maps.app.goo.gl/…): the app that
    made it, the link, and the words sent with it (a place's name, often), if any."""

    source: str  # 'neshan', 'google', 'osm', 'balad' or ''
    url: str
    words: str = ""


def read_link(text: str) -> Coordinates | ShortLink | PlaceRefusal | None:
    """The map link in a message, read: its point (`Coordinates`), a `ShortLink` when it
    names none (the handler says so: «this Neshan link has no coordinates; tap 📎 →
    location, or write the address», and may keep `words` as the address), a
    `PlaceRefusal` for a link that is not a map's or whose point is impossible; None when
    the message has no link.

    Used at every location question (the resident request's «موقعیت», the field report's
    place) before the text is read as an address."""
    plain = to_ascii_digits(normalize_text(text))
    link = _URL.search(plain)
    if link is None:
        if plain.strip().lower().startswith("geo:"):
            return read_place(plain)  # type: ignore[return-value]
        return None
    url = link.group(0).rstrip(".,،)»")
    found = _read_url(url)
    if isinstance(found, PlaceRefusal) and found.reason == "short_link":
        host = urlsplit(url if re.match(r"https?://", url, re.IGNORECASE)
                        else "https://" + url).netloc.lower().removeprefix("www.")
        source = "neshan" if host.startswith("nshn") else _source(host) or (
            "google" if "goo.gl" in host or host == "g.co" else "")
        words = " ".join((plain[:link.start()] + " " + plain[link.end():]).split())
        return ShortLink(source, url, words.strip(" :،,-–—"))
    return found


def _read_url(url: str) -> Coordinates | PlaceRefusal:
    """The point a map link shows."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        url = "https://" + url
    parts = urlsplit(unquote(url))
    host = parts.netloc.lower().removeprefix("www.")
    whole = f"{host}{parts.path}"
    if any(whole.startswith(s) or host == s for s in _SHORT_HOSTS):
        return PlaceRefusal("short_link")
    source = _source(host)
    if not source:
        return PlaceRefusal("unknown_link")
    query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
    fragment = parts.fragment
    path = parts.path
    # exact pin of a Google place: …!3d30.28!4d57.08
    if found := re.search(rf"!3d({_NUM})!4d({_NUM})", url):
        return _point(found[1], found[2], source)
    for lat_key, lon_key in (("mlat", "mlon"), ("latitude", "longitude"), ("lat", "lng"),
                             ("lat", "lon")):
        if lat_key in query and lon_key in query:
            try:
                return _point(query[lat_key], query[lon_key], source)
            except ValueError:
                return PlaceRefusal("bad_coordinates")
    for key in ("q", "query", "ll", "center", "destination"):
        if key in query and (found := _PAIR.fullmatch(query[key].strip())):
            return _point(found[1], found[2], source)
    # …/place/30.2839,57.0834 or …/search/30.2839,+57.0834 (Google)
    if found := re.search(rf"/(?:place|search|dir)/(?:[^/]*/)?({_NUM}),\s*\+?({_NUM})(?:/|$)",
                          path):
        return _point(found[1], found[2], source)
    # …/@30.2839,57.0834,17z (Google, Neshan)
    if found := re.search(rf"@({_NUM}),({_NUM})", path + "#" + fragment):
        return _point(found[1], found[2], source)
    # #map=17/30.28390/57.08340 (OpenStreetMap), #15/30.28/57.08 (Balad)
    if found := re.search(rf"(?:map=)?[0-9.]+/({_NUM})/({_NUM})", fragment):
        return _point(found[1], found[2], source)
    # Neshan place: #c30.283-57.083-17z-0p
    if found := re.search(r"c([0-9.]+)-([0-9.]+)-", fragment):
        return _point(found[1], found[2], source)
    return PlaceRefusal("unknown_link")


def read_place(text: str) -> Coordinates | Address | PlaceRefusal:
    """A map link or coordinates as a point; other text of a few words as an address."""
    cleaned = normalize_text(text)
    plain = to_ascii_digits(cleaned).strip()
    link = _URL.search(plain)
    if link is not None:
        return _read_url(link.group(0).rstrip(".,،)»"))
    if plain.lower().startswith("geo:"):
        found = _PAIR.match(plain[4:].split("?")[0].replace(",", " , "))
        return _point(found[1], found[2], "geo") if found else PlaceRefusal("bad_coordinates")
    if found := _PAIR.fullmatch(plain):
        if "." in found[1] and "." in found[2]:
            return _point(found[1], found[2], "typed")
    letters = sum(c.isalpha() for c in cleaned)
    if letters < 6 or len(cleaned.split()) < 2:
        return PlaceRefusal("too_short")
    if len(cleaned) > MAX_ADDRESS:
        return PlaceRefusal("too_long")
    return Address(cleaned)
