"""A small world for the agencies' tests, on a real database file: Kerman's offices, a
resident's request in قلعه محمود, a facilitator of its office, a supervisor of the province,
and focal points of آبفا (one for the province, one for another office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.config import SHIPPED_ORG_FILE
from bot.org import Organisation, load_organisation
from storage import offices
from storage.db import Database
from storage.offices import OfficeSpec
from storage.people import Person, create_invite, redeem_invite, resolve_person
from storage.requests import NewRequest, Request, file_request

# 10:00 in Tehran on Tuesday 11 Azar 1405 (2 December 2026).
START = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
PHONE = "09121234567"
RESIDENT_NAME = "مریم رضایی"


@dataclass
class World:
    """Everyone and everything a test needs."""

    db: Database
    clock: ManualClock
    org: Organisation
    office_id: int
    other_office_id: int
    province_id: int
    resident: Person
    facilitator: Person
    supervisor: Person
    focal: Person         # آبفا, the whole province
    focal_other: Person   # آبفا, another office only
    request: Request


async def person(db: Database, role: str, user_id: int, name: str, *,
                 office_id: int | None = None, province_id: int | None = None,
                 agency: str | None = None) -> Person:
    """Someone who joined by an invite."""
    code = await create_invite(db, role=role, office_id=office_id, province_id=province_id,
                               created_by=None, days=7, agency=agency)
    return await redeem_invite(db, code, user_id=user_id, display_name=name)


async def new_request(db: Database, resident: Person, office_id: int, draft_id: int,
                      category: str = "urban") -> Request:
    """A resident's request with a phone number and a sentence naming them."""
    hoods = await offices.neighbourhoods_of(db, office_id)
    request, _ = await file_request(
        db, NewRequest(draft_id, resident.id, office_id, hoods[0].id, category,
                       f"لولهٔ آب کوچه ترکیده. من {RESIDENT_NAME} هستم، {PHONE}", PHONE, [],
                       None),
        max_open=50, max_per_day=50, notices=lambda _id, _code: [])
    return request


async def make_world(tmp_path: Path) -> World:
    """The world at START."""
    clock = ManualClock(START)
    org = load_organisation(SHIPPED_ORG_FILE)
    db = await Database.open(tmp_path / "agencies.db", clock=clock.now)
    await offices.sync_organisation(
        db, [(p.slug, p.name) for p in org.provinces],
        [OfficeSpec(o.slug, o.name, o.province, o.city,
                    tuple((h.slug, h.name) for h in o.neighbourhoods)) for o in org.offices])
    office = await offices.office_by_slug(db, "qaleh-mahmoud")
    other = await offices.office_by_slug(db, "pamenar")
    assert office is not None and other is not None
    resident = await resolve_person(db, 500, RESIDENT_NAME, frozenset())
    return World(
        db, clock, org, office.id, other.id, office.province_id, resident,
        await person(db, "facilitator", 600, "سارا", office_id=office.id),
        await person(db, "supervisor", 800, "ناظر استان", province_id=office.province_id),
        await person(db, "agency", 700, "رضا (آبفا)", province_id=office.province_id,
                     agency="abfa"),
        await person(db, "agency", 701, "سعید (آبفا پامنار)", office_id=other.id,
                     agency="abfa"),
        await new_request(db, resident, office.id, 1),
    )
