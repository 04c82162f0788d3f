"""Open311 GeoReport v2 on the web server (issue 22), over the ASGI app: discovery,
services, an agency's requests and one request in JSON and XML; the key rules (403 missing,
wrong, revoked, another agency's referral is a 404); no phone or name in any answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from bot import open311
from bot.sandbox import SandboxBot, SimUser
from storage import apikeys
from tests.test_agency_loop import ABFA, clock, phones, refer  # noqa: F401 (fixtures)
from tests.test_requests import file_request, open_card
from web.app import build_web_app


def browser(sandbox: SandboxBot) -> httpx.AsyncClient:
    """An agency's system calling the web server."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(
        sandbox.services)), base_url="https://bot.example.org")


async def test_open311_answers_an_agencys_referrals_without_personal_data(
    sandbox: SandboxBot, phones: tuple[SimUser, SimUser, SimUser, SimUser]  # noqa: F811
) -> None:
    zahra, maryam, _, _ = phones
    assert sandbox.db is not None
    code = await file_request(sandbox, zahra)
    await open_card(sandbox, maryam)
    await refer(sandbox, maryam, ABFA, consent=True)
    other = await file_request(sandbox, zahra, share=False)
    await sandbox.say(maryam, f"/track {other}")
    await refer(sandbox, maryam, "شرکت گاز", consent=None)
    key, gas_key = await apikeys.create(sandbox.db, "abfa"), await apikeys.create(sandbox.db,
                                                                                   "gas")
    async with browser(sandbox) as web:
        found = await web.get("/open311/v2/discovery.json")
        assert found.status_code == 200
        assert found.json()["endpoints"][0]["specification"] == open311.SPECIFICATION
        assert (await web.get("/open311/v2/services.xml")).text.startswith("<?xml")
        for params in ({}, {"api_key": "wrong"}):
            assert (await web.get("/open311/v2/requests.json", params=params)).status_code \
                == 403
        answer = await web.get("/open311/v2/requests.json", params={"api_key": key})
        assert answer.status_code == 200
        (entry,) = answer.json()
        assert tuple(entry) == open311.REQUEST_FIELDS
        assert entry["service_request_id"] == code and entry["status"] == "open"
        assert entry["service_code"] == "urban" and entry["requested_datetime"]
        assert entry["updated_datetime"] and "lat" in entry and "long" in entry
        body = answer.text + (await web.get(f"/open311/v2/requests/{code}.xml",
                                            params={"api_key": key})).text
        for private in ("زهرا", "09131112233", "9131112233", "چراغ‌های کوچهٔ ما"):
            assert private not in body
        xml = await web.get("/open311/v2/requests.xml", params={"api_key": key,
                                                                 "status": "open"})
        root = ET.fromstring(xml.text)
        assert root.tag == "service_requests" and [r.findtext("service_request_id")
                                                   for r in root] == [code]
        # Another agency's referral is not found with this key; the gas key finds it.
        assert (await web.get(f"/open311/v2/requests/{other}.json",
                              params={"api_key": key})).status_code == 404
        assert (await web.get(f"/open311/v2/requests/{other}.json",
                              params={"api_key": gas_key})).status_code == 200
        # A revoked key: 403.
        assert await apikeys.revoke(sandbox.db, key, agency="abfa")
        assert (await web.get("/open311/v2/requests.json", params={"api_key": key})
                ).status_code == 403
