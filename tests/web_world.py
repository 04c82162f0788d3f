"""A small organisation of two provinces for the dashboard's tests, its people, requests and
field reports seeded through the storage functions, and an HTTP client on the ASGI app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.ops.monitor import monitor_of
from bot.sandbox import FakeBotAPI, SandboxBot
from storage import offices, people, requests, submissions
from storage.requests import NewRequest
from storage.submissions import NewSubmission
from tests.conftest import ADMIN_ID, seat
from web.app import build_web_app
from web.initdata import sign

ORG = """
[organisation]
name = "آزمون"

[[provinces]]
slug = "kerman"
name = "کرمان"

[[provinces]]
slug = "yazd"
name = "یزد"

[[offices]]
slug = "k1"
name = "دفتر یک"
province = "kerman"
city = "کرمان"
neighbourhoods = [
  { slug = "a", name = "محلهٔ الف", lat = 30.29, lon = 57.11 },
  { slug = "b", name = "محلهٔ ب" },
]

[[offices]]
slug = "k2"
name = "دفتر دو"
province = "kerman"
city = "کرمان"
neighbourhoods = [{ slug = "c", name = "محلهٔ ج", lat = 30.25, lon = 57.04 }]

[[offices]]
slug = "y1"
name = "دفتر یزد"
province = "yazd"
city = "یزد"
neighbourhoods = [{ slug = "d", name = "محلهٔ د", lat = 31.89, lon = 54.36 }]
"""
SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
PUBLIC_URL = "https://dash.example.org"


class FakeFiles:
    """Stands in for the bot's getFile: the bytes of each file id, counted."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def get_file(self, file_id: str) -> Any:
        """A file whose download gives its id's bytes."""
        outer = self

        class File:
            async def download_as_bytearray(self) -> bytearray:
                outer.fetched.append(file_id)
                return bytearray(b"\xff\xd8JPEG " + file_id.encode())

        return File()


@dataclass
class World:
    """The running bot, its web app and who is who."""

    bot: SandboxBot
    app: Any
    clock: ManualClock
    files: FakeFiles
    ids: dict[str, int] = field(default_factory=dict)  # office and hood ids by slug
    users: dict[str, int] = field(default_factory=dict)  # messenger user ids by role name
    codes: dict[str, str] = field(default_factory=dict)  # request codes by name

    @property
    def db(self) -> Any:
        assert self.bot.db is not None
        return self.bot.db

    @property
    def token(self) -> str:
        return self.bot.settings.bot_token or ""

    def init_data(self, user_id: int, token: str | None = None,
                  age_seconds: int = 60) -> str:
        """initData as the messenger would sign it for this user."""
        fields = {"auth_date": str(int(self.clock.now().timestamp()) - age_seconds),
                  "query_id": "AAE1", "user": json.dumps({"id": user_id, "first_name": "x"})}
        fields["hash"] = sign(fields, token or self.token)
        return urlencode(fields)

    def client(self) -> httpx.AsyncClient:
        """A browser on the dashboard (cookies kept)."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                 base_url=PUBLIC_URL)

    async def signed_in(self, who: str) -> httpx.AsyncClient:
        """A browser signed in as one of the world's people."""
        browser = self.client()
        answer = await browser.post("/app/session",
                                    data={"init_data": self.init_data(self.users[who])})
        assert answer.status_code == 200, answer.text
        return browser


async def file(world: World, name: str, office: str, hood: str | None, text: str,
               category: str = "water", **extra: Any) -> None:
    """A resident's request, stored as the request form stores it."""
    resident = await people.get_person(world.db, world.users["resident"])
    assert resident is not None
    request, _ = await requests.file_request(world.db, NewRequest(
        draft_id=1000 + len(world.codes), resident_id=resident.id,
        office_id=world.ids[office], neighbourhood_id=world.ids[hood] if hood else None,
        category=category, description=text, phone="09131234567",
        photos=extra.get("photos", []), location=extra.get("location")),
        max_open=100, max_per_day=100, notices=lambda _id, _code: [])
    world.codes[name] = request.code


async def report(world: World, office: str, hood: str, form: str, draft: int,
                 **columns: Any) -> None:
    """A facilitator's field report or needs assessment."""
    author = await people.get_person(world.db, world.users["facilitator"])
    assert author is not None
    await submissions.submit(world.db, NewSubmission(
        draft_id=draft, form=form, form_version=1, author_id=author.id,
        office_id=world.ids[office], answers={}, tags=[], photos=[], locations=[],
        columns={"neighbourhood_id": world.ids[hood], **columns}))


@pytest.fixture(name="world")
async def world_fixture(settings: Settings, api: FakeBotAPI, clock: ManualClock,
                tmp_path: Path) -> AsyncIterator[World]:
    """Two provinces, their staff, a resident, requests and reports."""
    org_file = tmp_path / "org.toml"
    org_file.write_text(ORG, encoding="utf-8")
    settings = replace(settings, org_file=org_file, public_url=PUBLIC_URL)
    clock.set(clock.now().replace(microsecond=0))
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.application is not None and bot.db is not None
        files = FakeFiles()
        app = build_web_app(bot.services, bot=files, monitor=monitor_of(bot.application))
        found = World(bot, app, clock, files)
        db = bot.db
        for slug in ("k1", "k2", "y1"):
            office = await offices.office_by_slug(db, slug)
            assert office is not None
            found.ids[slug] = office.id
            for hood in await offices.neighbourhoods_of(db, office.id):
                found.ids[hood.slug] = hood.id
        kerman = await offices.province_by_slug(db, "kerman")
        yazd = await offices.province_by_slug(db, "yazd")
        assert kerman and yazd
        staff = {"kerman_supervisor": (600, "supervisor", None, kerman[0]),
                 "yazd_supervisor": (700, "supervisor", None, yazd[0]),
                 "facilitator": (800, "facilitator", "k1", None),
                 "k2_facilitator": (810, "facilitator", "k2", None),
                 "former": (900, "facilitator", "k1", None)}
        for name, (user_id, role, office_slug, province) in staff.items():
            shown = SCRIPT if name == "k2_facilitator" else name  # a hostile display name
            await seat(db, bot.user(user_id, shown), role, office=office_slug, province=province)
            found.users[name] = user_id
        found.users["admin"] = ADMIN_ID
        found.users["resident"] = 500
        await bot.say(bot.user(500, "زهرا"), "/start")
        admin = await people.get_person(db, ADMIN_ID)
        former = await people.get_person(db, 900)
        assert admin and former
        await people.set_active(db, former.id, False, actor_id=admin.id)
        await file(found, "k1_script", "k1", "a", SCRIPT,
                   photos=[("photo-k1", "u-k1")], location=(30.291, 57.111))
        await file(found, "k1_plain", "k1", "b", "لوله شکسته است", category="urban")
        await file(found, "k2", "k2", "c", "چراغ کوچه خاموش است", category="urban")
        await file(found, "y1", "y1", "d", "آب یزد قطع است", photos=[("photo-y1", "u-y1")])
        yield found
