"""A sensitive request through every interface (issue 23), for every kind of person: the
chat's card (the resident, the office's facilitator, the office's and the province's
supervisors, an admin, another office's facilitator, a deactivated colleague), the
dashboard (detail, list, map, photo, export), the Excel export (with and without
`--with-text`), an agency's card and Open311. Each shows the category, neighbourhood, dates
and status to everyone who may see the request, and its text, phone, photos and place only
to those `bot.access.sees_details` names. Then every kind of look fills the access log,
which `tashilyar audit` prints."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot import open311
from bot.__main__ import audit, export, parser
from bot.agencies import card_shows_phone, card_text
from bot.forms.loader import load_forms
from bot.locale.jalali import format_date_numeric
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import t
from bot.reports.export import build_export
from bot.sandbox import SandboxBot
from storage import apikeys, privacy, referrals
from storage import requests as store
from tests import web_world
from tests.agency_world import PHONE, World, make_world, new_request
from tests.test_privacy_forget import NAME, RESIDENT_ID
from tests.test_requests import join
from tests.web_world import world_fixture  # noqa: F401 (fixture)

SECRET = "ترکیده"  # a word of the resident's text in agency_world's requests
FAMILY = "خانواده"  # the sample's sensitive family category's label starts so


def _texts_of(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(
        values_only=True) for c in row if c is not None)


async def test_export_agency_card_and_open311_leave_a_sensitive_requests_details_out(
    tmp_path: Path
) -> None:
    world: World = await make_world(tmp_path)
    try:
        db, org = world.db, world.org
        sensitive = await new_request(db, world.resident, world.office_id, 9, category="family")
        assert org.is_sensitive("family") and not org.is_sensitive("urban")
        forms = load_forms()
        today = world.clock.now().date()
        args: dict[str, Any] = {"office_ids": [world.office_id], "start": today, "end": today,
                                "tz": ZoneInfo("Asia/Tehran")}

        # Export: an ordinary request's text is there; the sensitive one's only with --with-text.
        plain, _ = await build_export(db, forms, with_phones=True, withheld=org.sensitive,
                                      **args)
        text = _texts_of(plain)
        # the ordinary request's text (which names the number) and phone; nothing of the other
        assert text.count(SECRET) == 1 and text.count(PHONE) == 2
        assert sensitive.code[:4] in to_ascii_digits(text).replace("-", "")  # still listed
        full, _ = await build_export(db, forms, with_phones=True, withheld=(), **args)
        assert _texts_of(full).count(SECRET) == 2 and _texts_of(full).count(PHONE) == 4

        # An agency's card: category, neighbourhood and state; no text, no phone.
        agency = org.agency("abfa")
        assert agency is not None
        ref = await referrals.refer(db, request_id=sensitive.id, agency="abfa",
                                    referred_by=world.facilitator.id, phone_consent=True)
        card = card_text(ref, sensitive, agency, "خانواده", sensitive=True)
        assert SECRET not in card and PHONE not in card and "قلعه محمود" in card
        assert t("privacy_chat.hidden_details") in card
        assert not card_shows_phone(ref, sensitive, sensitive=True)
        ordinary = await referrals.refer(db, request_id=world.request.id, agency="abfa",
                                         referred_by=world.facilitator.id, phone_consent=True)
        assert card_shows_phone(ordinary, world.request)
        assert SECRET in card_text(ordinary, world.request, agency, "خدمات شهری")

        # Open311: the agency's key gets category, place and status, never the text.
        key = await apikeys.create(db, "abfa")
        services = open311.services_from_form(forms["resident_request"])
        answer = await open311.service_request(db, org, services, sensitive.code,
                                               {"api_key": key}, tz=args["tz"])
        assert answer.status == 200
        entry = json.loads(answer.render("json")[1])[0]
        assert entry["service_code"] == "family" and entry["description"] == ""
        assert entry["media_url"] == "" and SECRET not in json.dumps(entry, ensure_ascii=False)
    finally:
        await world.db.close()


@pytest.fixture
def sensitive_water(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's world marks «water» sensitive (its k1_script request is one)."""
    monkeypatch.setattr(web_world, "ORG", web_world.ORG + "\n[requests.sensitive]\nwater = true\n")


async def test_the_dashboard_shows_a_sensitive_request_to_nobody(
    sensitive_water: None, world: web_world.World
) -> None:
    code, plain = world.codes["k1_script"], world.codes["k1_plain"]
    for who in ("facilitator", "kerman_supervisor", "admin"):
        browser = await world.signed_in(who)
        detail = (await browser.get(f"/api/requests/{code}")).json()["request"]
        assert detail["text"] == t("privacy_chat.hidden_details") and "phone" not in detail
        assert detail["photos"] == [] and detail["location"] is None
        assert detail["category"] == "water" and detail["hood"] == "محلهٔ الف"
        assert (await browser.get(f"/app/requests/{code}/photos/1")).status_code == 404
        listed = {i["code"]: i for i in (await browser.get("/api/requests")).json()["items"]}
        assert listed[code]["summary"] == "" and listed[plain]["summary"] == "لوله شکسته است"
        found = (await browser.get("/api/requests", params={"q": "script"})).json()["total"]
        assert found == 0  # its text is not even searched
        points = (await browser.get("/api/map?period=month")).json()["points"]
        assert all(code not in p["url"] for p in points)
        exported = (await browser.get("/app/export/requests.csv")).content.decode("utf-8-sig")
        assert "<script>" not in exported and "لوله شکسته" in exported
    assert world.files.fetched == []
    looks = await privacy.looks(world.db)
    assert {(x.kind, x.through) for x in looks} == {("export", "dashboard")}  # no detail


async def test_the_chat_card_of_a_sensitive_request_for_every_kind_of_person(
    sandbox: SandboxBot
) -> None:
    from tests.conftest import ADMIN_ID, seat

    db = sandbox.db
    assert db is not None
    org = sandbox.services.org
    narges = sandbox.user(RESIDENT_ID, NAME, phone="+989137654321")
    people = {"facilitator": sandbox.user(200, "مریم"), "other": sandbox.user(300, "رضا"),
              "supervisor": sandbox.user(400, "سارا"), "province": sandbox.user(500, "نادر"),
              "admin": sandbox.user(ADMIN_ID, "مدیر"), "former": sandbox.user(201, "لیلا")}
    await join(db, people["facilitator"], "sarasiab")
    await join(db, people["former"], "sarasiab")
    await join(db, people["other"], "pamenar")
    await seat(db, people["supervisor"], "supervisor", office="sarasiab")
    province = await db.fetchone("SELECT province_id FROM offices WHERE slug = 'sarasiab'")
    assert province is not None
    await seat(db, people["province"], "supervisor", province=province[0])
    code = await _file_sensitive(sandbox, narges)
    request = await store.by_code(db, code)
    assert request is not None and org.is_sensitive(request.category)
    from storage.people import get_person, set_active
    former = await get_person(db, 201)
    assert former is not None
    await set_active(db, former.id, False, actor_id=former.id)

    shown = {who: await _card(sandbox, user, code) for who, user in people.items()}
    shown["resident"] = await _card(sandbox, narges, code)
    sees = {who: _DESCRIPTION in text for who, text in shown.items()}
    assert sees == {"facilitator": True, "admin": True, "resident": True, "supervisor": False,
                    "province": False, "other": False, "former": False}
    for who in ("supervisor", "province"):  # the category, place and status: yes
        assert t("privacy_chat.hidden_details") in shown[who] and "سرآسیاب" in shown[who]
        assert "۷۶۵" not in shown[who]
    assert "۰۹۱۳" in shown["facilitator"] or "۹۱۳" in shown["facilitator"]
    looks = [(x.person_name, x.kind) for x in await privacy.looks(db)]
    assert ("مریم", "phone") in looks and ("مدیر", "details") in looks
    assert all(name not in ("سارا", "نادر", "رضا", "لیلا") for name, _ in looks)


_DESCRIPTION = "همسایه بچه‌هایش را کتک می‌زند و صدای گریه تا صبح می‌آید."


async def _file_sensitive(bot: SandboxBot, resident: Any) -> str:
    from bot.locale.normalize import to_ascii_digits
    from tests.test_requests import CODE

    await bot.say(resident, "ثبت درخواست")
    form = bot.services.forms["resident_request"]
    question = form.question("category")
    assert question is not None
    label = next(c.label for c in question.choices if bot.services.org.is_sensitive(c.value))
    await bot.tap(resident, label)
    await bot.tap(resident, "سرآسیاب")
    await bot.say(resident, _DESCRIPTION)
    await bot.tap(resident, t("form.done"))
    await bot.tap(resident, t("form.send_location"))
    await bot.tap(resident, "بله، شماره‌ام را می‌فرستم")
    await bot.tap(resident, t("form.send_contact"))
    filed = (await bot.tap(resident, t("form.confirm")))[-1].text
    found = CODE.search(filed)
    assert found, filed
    return to_ascii_digits(found.group(1)).replace("-", "")


async def _card(bot: SandboxBot, user: Any, code: str) -> str:
    """What /track CODE shows this person (their card, or a refusal)."""
    return "\n".join(m.text for m in await bot.say(user, f"/track {code}"))


async def test_every_kind_of_look_is_logged_and_audit_prints_it(
    world: web_world.World, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, yazd = world.codes["k1_plain"], world.codes["y1"]
    facilitator = await world.signed_in("facilitator")
    assert (await facilitator.get(f"/api/requests/{plain}")).json()["request"]["phone"]
    yazd_supervisor = await world.signed_in("yazd_supervisor")
    assert (await yazd_supervisor.get(f"/app/requests/{yazd}/photos/1")).status_code == 200
    await facilitator.get("/app/export/requests.xlsx")
    settings = replace(world.bot.settings)
    out = Path(str(settings.database_path)).parent / "x.xlsx"
    today = to_ascii_digits(format_date_numeric(
        world.clock.now().astimezone(settings.timezone).date()))
    await export(settings, parser().parse_args(
        ["export", "--from", today, "--to", today, "--with-phones", "--out", str(out)]))
    looks = await privacy.looks(world.db)
    kinds = {(x.kind, x.through) for x in looks}
    assert {("phone", "dashboard"), ("media", "dashboard"), ("export", "dashboard"),
            ("export", "cli")} <= kinds
    capsys.readouterr()
    assert await audit(settings, parser().parse_args(["audit"]), world.bot.clock) == 0
    printed = capsys.readouterr().out
    for through in ("dashboard", "cli"):
        assert t(f"privacy.through_{through}") in printed
    assert t("privacy.kind_phone") in printed and t("privacy.kind_media") in printed
    assert "--with-phones" in printed
    capsys.readouterr()
    await audit(settings, parser().parse_args(["audit", "--request", plain]), world.bot.clock)
    assert printed.count("\n") > capsys.readouterr().out.count("\n") > 0
