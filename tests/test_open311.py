"""Open311 GeoReport v2 answers against the specification's fields, in JSON and XML: the
key rules (missing, wrong, revoked → 403), each agency sees only its own referrals, the
filters and order, and no name, phone or text of the resident in any answer."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import open311
from bot.forms.loader import load_forms
from bot.locale.normalize import to_persian_digits
from storage import apikeys, referrals
from storage.requests import Request
from tests.agency_world import PHONE, RESIDENT_NAME, World, make_world, new_request

TEHRAN = ZoneInfo("Asia/Tehran")
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
POINTS = {("qaleh-mahmoud", "qaleh-mahmoud"): (30.2839123, 57.0834567)}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The agencies' world."""
    made = await make_world(tmp_path)
    yield made
    await made.db.close()


@pytest.fixture
def services() -> list[open311.Service]:
    """The resident form's categories as services."""
    return open311.services_from_form(load_forms()["resident_request"])


async def three_referrals(world: World) -> tuple[Request, Request, Request]:
    """آبفا: one in progress (promised 20 Azar), one done a day later; گاز: one."""
    db, focal = world.db, world.focal.id
    first = world.request
    second = await new_request(db, world.resident, world.office_id, 2, category="health")
    third = await new_request(db, world.resident, world.office_id, 3)
    ref = await referrals.refer(db, request_id=first.id, agency="abfa", referred_by=None)
    await referrals.answer(db, ref, "in_progress", actor_id=focal, promised=date(2026, 12, 11))
    world.clock.advance(timedelta(days=1))
    ref = await referrals.refer(db, request_id=second.id, agency="abfa", referred_by=None)
    await referrals.answer(db, ref, "done", actor_id=focal, note=f"با {RESIDENT_NAME} تماس گرفتیم")
    await referrals.refer(db, request_id=third.id, agency="gas", referred_by=None)
    return first, second, third


async def ask(world: World, services: list[open311.Service], **params: str) -> open311.Answer:
    """requests.json with these parameters."""
    return await open311.service_requests(world.db, world.org, services, params,
                                          now=world.clock.now(), tz=TEHRAN, points=POINTS)


def no_personal_data(text: str) -> None:
    """No name, phone (either digits) or text of the resident's."""
    for secret in (RESIDENT_NAME, "مریم", PHONE, to_persian_digits(PHONE), "9121234567",
                   "لوله", "ترکیده", "تماس گرفتیم"):
        assert secret not in text


async def test_requests_carry_the_specifications_fields_in_json_and_xml(
        world: World, services: list[open311.Service]) -> None:
    first, second, _third = await three_referrals(world)
    key = await apikeys.create(world.db, "abfa")
    answer = await ask(world, services, api_key=key)
    assert answer.status == 200
    content_type, text = answer.render("json")
    assert content_type == "application/json; charset=utf-8"
    entries = json.loads(text)
    assert [e["service_request_id"] for e in entries] == [second.code, first.code]  # newest
    for entry in entries:
        assert tuple(entry) == open311.REQUEST_FIELDS
        assert W3C.match(entry["requested_datetime"]) and W3C.match(entry["updated_datetime"])
        assert entry["description"] == "" and entry["media_url"] == ""
        assert entry["agency_responsible"] == "شرکت آب و فاضلاب (آبفا)"
        assert entry["address"] == "قلعه محمود"
        assert entry["address_id"] == "qaleh-mahmoud/qaleh-mahmoud"
        assert (entry["lat"], entry["long"]) == (30.284, 57.083)  # coarse, not the point
    done, going = entries
    assert (done["status"], done["service_code"], done["service_name"]) == (
        "closed", "health", "سلامت")
    assert done["status_notes"] == "انجام شد" and done["expected_datetime"] is None
    assert (going["status"], going["status_notes"]) == ("open", "در دست اقدام")
    assert going["expected_datetime"] == "2026-12-11T23:59:59+03:30"
    assert going["requested_datetime"] == "2026-12-02T10:00:00+03:30"
    no_personal_data(text)

    content_type, xml = answer.render("xml")
    assert content_type == "text/xml; charset=utf-8"
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.split("\n", 1)[1])
    assert root.tag == "service_requests"
    assert [r.tag for r in root] == ["request", "request"]
    assert tuple(child.tag for child in root[0]) == open311.REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == second.code
    assert root[0].findtext("status") == "closed"
    assert root[1].findtext("lat") == "30.284" and root[1].findtext("long") == "57.083"
    assert root[1].findtext("expected_datetime") == "2026-12-11T23:59:59+03:30"
    no_personal_data(xml)


async def test_each_agency_sees_only_its_own_referrals(
        world: World, services: list[open311.Service]) -> None:
    first, _second, third = await three_referrals(world)
    gas = await apikeys.create(world.db, "gas")
    entries = json.loads((await ask(world, services, api_key=gas)).json())
    assert [e["service_request_id"] for e in entries] == [third.code]
    single = await open311.service_request(world.db, world.org, services, first.code,
                                           {"api_key": gas}, tz=TEHRAN)
    assert single.status == 404
    mine = await open311.service_request(world.db, world.org, services,
                                         f"{third.code[:4]}-{third.code[4:]}",
                                         {"api_key": gas}, tz=TEHRAN)
    assert mine.status == 200
    assert [e["service_request_id"] for e in json.loads(mine.json())] == [third.code]
    root = ET.fromstring(mine.xml().split("\n", 1)[1])
    assert root.tag == "service_requests" and root[0].tag == "request"
    no_personal_data(mine.json() + mine.xml())


async def test_filters_status_service_code_and_dates(
        world: World, services: list[open311.Service]) -> None:
    first, second, _ = await three_referrals(world)
    key = await apikeys.create(world.db, "abfa")

    async def codes(**params: str) -> list[str]:
        answer = await ask(world, services, api_key=key, **params)
        assert answer.status == 200
        return [e["service_request_id"] for e in json.loads(answer.json())]

    assert await codes(status="open") == [first.code]
    assert await codes(status="closed") == [second.code]
    assert await codes(status="open,closed") == [second.code, first.code]
    assert await codes(service_code="health") == [second.code]
    assert await codes(service_code="urban,health") == [second.code, first.code]
    assert await codes(start_date="2026-12-03T00:00:00+03:30") == [second.code]
    assert await codes(end_date="2026-12-03T00:00:00Z") == [first.code]
    assert await codes(service_request_id=f"{first.code},9999") == [first.code]
    world.clock.advance(timedelta(days=120))  # no dates: the last 90 days only
    assert await codes() == []
    assert await codes(start_date="2026-12-01T00:00:00+03:30") == [second.code, first.code]
    bad = await ask(world, services, api_key=key, start_date="۱۴۰۵/۰۹/۱۱")
    assert bad.status == 400 and json.loads(bad.json())[0]["code"] == 400
    assert (await ask(world, services, api_key=key, status="pending")).status == 400


async def test_at_most_a_thousand_newest_first(world: World,
                                               services: list[open311.Service]) -> None:
    db = world.db
    now = world.clock.now().isoformat()
    async with db.transaction() as tx:
        for n in range(1, 1002):
            await tx.execute(
                "INSERT INTO requests (code, draft_id, resident_id, office_id, category, "
                "description, created_at, updated_at) VALUES (?, ?, ?, ?, 'urban', '', ?, ?)",
                (str(20000000 + n), 1000 + n, world.resident.id, world.office_id, now, now))
            await tx.execute(
                "INSERT INTO referrals (request_id, agency, referred_at, updated_at) VALUES "
                "((SELECT id FROM requests WHERE code = ?), 'abfa', ?, ?)",
                (str(20000000 + n),
                 (world.clock.now() + timedelta(seconds=n)).isoformat(), now))
    key = await apikeys.create(db, "abfa")
    entries = json.loads((await ask(world, services, api_key=key)).json())
    assert len(entries) == open311.MAX_REQUESTS
    assert entries[0]["service_request_id"] == "20001001"


async def test_a_missing_wrong_or_revoked_key_gets_403(
        world: World, services: list[open311.Service]) -> None:
    await three_referrals(world)
    key = await apikeys.create(world.db, "abfa")
    await apikeys.revoke(world.db, key[:8])
    for params in ({}, {"api_key": ""}, {"api_key": "not-a-key"}, {"api_key": key}):
        answer = await ask(world, services, **params)
        assert answer.status == 403
        assert json.loads(answer.json()) == [{"code": 403,
                                              "description": "a valid api_key is required"}]
        root = ET.fromstring(answer.xml().split("\n", 1)[1])
        assert root.tag == "errors" and root[0].tag == "error"
        assert root[0].findtext("code") == "403"
        single = await open311.service_request(world.db, world.org, services,
                                               world.request.code, params, tz=TEHRAN)
        assert single.status == 403
        no_personal_data(answer.json() + single.json())


def test_services_are_the_request_categories(services: list[open311.Service]) -> None:
    answer = open311.services_answer(services)
    entries = json.loads(answer.json())
    assert [e["service_code"] for e in entries][:3] == ["urban", "welfare", "health"]
    for entry in entries:
        assert tuple(entry) == open311.SERVICE_FIELDS
        assert entry["metadata"] is False and entry["type"] == "realtime"
    root = ET.fromstring(answer.xml().split("\n", 1)[1])
    assert root.tag == "services" and root[0].tag == "service"
    assert root[0].findtext("metadata") == "false"
    assert root[0].findtext("service_name") == "آب، برق، گاز، کوچه و خیابان"


def test_discovery_names_the_endpoint_and_its_formats() -> None:
    answer = open311.discovery("https://bot.example.org/open311/v2/",
                               datetime(2026, 12, 1, tzinfo=UTC), "دفتر تسهیل‌گری",
                               "کلید را از مدیر سامانه بگیرید")
    body = json.loads(answer.json())
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://bot.example.org/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert body["changeset"] == "2026-12-01T00:00:00Z"
    root = ET.fromstring(answer.xml().split("\n", 1)[1])
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/type") is not None
