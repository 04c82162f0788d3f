"""The dashboard over its ASGI app: sign-in (Mini App initData, the one-time link), sessions
and CSRF, who sees what (by page, API, export and photo URL), escaping, the headers, and
the overview's figures against the rows inserted."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.locale.jalali import local_date
from bot.reports.dashboard import jalali_iso
from storage import people, requests
from tests.web_world import SCRIPT, World, report, world_fixture  # noqa: F401 (fixture)


async def test_initdata_of_a_supervisor_opens_a_session(world: World) -> None:
    browser = world.client()
    assert (await browser.get("/api/me")).status_code == 401
    page = await browser.get("/app/")
    assert page.status_code == 401 and "/dashboard" in page.text
    answer = await browser.post("/app/session", data={
        "init_data": world.init_data(world.users["kerman_supervisor"])})
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    cookie = answer.headers["set-cookie"]
    assert "tsy_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower() and "Max-Age=43200" in cookie
    me = (await browser.get("/api/me")).json()
    assert me["role"] == "supervisor" and me["csrf"]
    assert {o["name"] for o in me["offices"]} == {"دفتر یک", "دفتر دو"}
    assert (await browser.get("/app/")).status_code == 200


async def test_forged_expired_foreign_and_non_staff_initdata_are_refused(world: World) -> None:
    browser = world.client()
    supervisor = world.users["kerman_supervisor"]
    good = world.init_data(supervisor)
    refused = [
        good.replace(str(supervisor), "1"),  # forged: the admin's id, the hash unchanged
        world.init_data(supervisor, age_seconds=25 * 3600),  # expired
        world.init_data(supervisor, token="999:ANOTHER_BOT"),  # signed for another bot
        world.init_data(world.users["resident"]),  # a resident
        world.init_data(world.users["former"]),  # a deactivated colleague
        world.init_data(4242),  # a stranger
        "",
    ]
    for raw in refused:
        answer = await browser.post("/app/session", data={"init_data": raw})
        assert answer.status_code == 403, raw
        assert answer.json()["ok"] is False and answer.json()["error"]
        assert "set-cookie" not in answer.headers
    assert (await browser.get("/api/me")).status_code == 401


async def test_a_supervisor_never_sees_another_provinces_request(world: World) -> None:
    browser = await world.signed_in("kerman_supervisor")
    yazd = world.codes["y1"]
    listed = (await browser.get("/api/requests")).json()
    assert listed["total"] == 3
    assert yazd not in {item["code"] for item in listed["items"]}
    assert {o["label"] for o in listed["filters"]["offices"]} == {"دفتر یک", "دفتر دو"}
    assert (await browser.get(f"/api/requests/{yazd}")).status_code == 404
    assert (await browser.get(f"/app/requests/{yazd}")).status_code == 404
    assert (await browser.get(f"/app/requests/{yazd}/photos/1")).status_code == 404
    assert world.files.fetched == []
    assert (await browser.get(f"/api/requests?q={yazd}")).json()["total"] == 0
    office = world.ids["y1"]
    assert (await browser.get(f"/api/requests?office={office}")).json()["total"] == 0
    for kind in ("csv", "xlsx"):
        exported = await browser.get(f"/app/export/requests.{kind}")
        assert exported.status_code == 200
        if kind == "csv":
            text = exported.content.decode("utf-8-sig")
            assert "آب یزد" not in text and "لوله شکسته" in text
    overview = (await browser.get(f"/api/overview?office={office}")).json()
    assert overview["figures"]["requests_new"]["value"] == 0
    # The Yazd supervisor sees it, and its photo comes through the bot.
    other = await world.signed_in("yazd_supervisor")
    assert (await other.get(f"/api/requests/{yazd}")).status_code == 200
    photo = await other.get(f"/app/requests/{yazd}/photos/1")
    assert photo.status_code == 200 and photo.content.endswith(b"photo-y1")
    assert (await other.get(f"/app/requests/{yazd}/photos/2")).status_code == 404


async def test_a_facilitator_sees_only_their_office(world: World) -> None:
    browser = await world.signed_in("facilitator")
    listed = (await browser.get("/api/requests")).json()
    assert {i["code"] for i in listed["items"]} == {world.codes["k1_script"],
                                                   world.codes["k1_plain"]}
    assert (await browser.get(f"/api/requests/{world.codes['k2']}")).status_code == 404
    detail = (await browser.get(f"/api/requests/{world.codes['k1_plain']}")).json()
    assert detail["request"]["phone"] == "09131234567"  # their office: as the chat shows it
    supervisor = await world.signed_in("kerman_supervisor")
    seen = (await supervisor.get(f"/api/requests/{world.codes['k1_plain']}")).json()
    assert "phone" not in seen["request"]  # a province's supervisor: never, as in the chat
    hood = world.ids["c"]
    assert (await browser.get(f"/api/hoods/{hood}")).status_code == 404
    shown = (await supervisor.get(f"/api/hoods/{hood}")).json()
    assert shown["hood"]["name"] == "محلهٔ ج" and shown["months"][-1]["requests_open"] == 1
    assert [r["code"] for r in shown["requests"]] == [world.codes["k2"]]


async def test_the_one_time_link_works_once_and_for_ten_minutes(world: World) -> None:
    bot = world.bot
    facilitator = bot.user(world.users["facilitator"], "facilitator")
    reply = (await bot.say(facilitator, "/dashboard"))[-1]
    link = re.search(r"https://dash\.example\.org/app/login\?token=(\S+)", reply.text)
    assert link, reply.text
    web_app = reply.inline_keyboard[0][0]
    assert web_app["web_app"] == {"url": "https://dash.example.org/app/"}
    browser = world.client()
    answer = await browser.get(f"/app/login?token={link.group(1)}")
    assert answer.status_code == 303 and answer.headers["location"] == "/app/"
    assert (await browser.get("/api/me")).json()["role"] == "facilitator"
    again = world.client()
    assert (await again.get(f"/app/login?token={link.group(1)}")).status_code == 403
    assert (await again.get("/api/me")).status_code == 401
    late = re.search(r"token=(\S+)", (await bot.say(facilitator, "/dashboard"))[-1].text)
    assert late
    world.clock.advance(timedelta(minutes=11))
    assert (await again.get(f"/app/login?token={late.group(1)}")).status_code == 403
    assert (await again.get("/app/login?token=guessed")).status_code == 403


async def test_residents_get_no_dashboard_and_staff_get_the_menu_button(world: World) -> None:
    bot = world.bot
    resident = bot.user(world.users["resident"], "زهرا")
    reply = (await bot.say(resident, "/dashboard"))[-1]
    assert "login" not in reply.text and not reply.inline_keyboard
    supervisor = bot.user(world.users["kerman_supervisor"], "kerman_supervisor")
    await bot.say(supervisor, "/start")
    button = bot.api.menu_buttons[supervisor.id]
    assert button["type"] == "web_app" and button["web_app"]["url"].endswith("/app/")
    assert resident.id not in bot.api.menu_buttons


async def test_posts_need_the_csrf_token_and_logout_ends_the_session(world: World) -> None:
    browser = await world.signed_in("kerman_supervisor")
    csrf = (await browser.get("/api/me")).json()["csrf"]
    assert (await browser.post("/app/logout")).status_code == 403
    assert (await browser.post("/app/logout", data={"csrf": "wrong"})).status_code == 403
    assert (await browser.get("/api/me")).status_code == 200
    answer = await browser.post("/app/logout", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/app/bye"
    assert (await browser.get("/api/me")).status_code == 401


async def test_deactivating_a_person_ends_their_sessions(world: World) -> None:
    browser = await world.signed_in("facilitator")
    admin = await people.get_person(world.db, world.users["admin"])
    person = await people.get_person(world.db, world.users["facilitator"])
    assert admin and person
    await people.set_active(world.db, person.id, False, actor_id=admin.id)
    assert (await browser.get("/api/me")).status_code == 401
    await people.set_active(world.db, person.id, True, actor_id=admin.id)
    assert (await browser.get("/api/me")).status_code == 401  # revoked, not just paused


async def test_typed_html_comes_back_as_data_and_shows_as_text(world: World) -> None:
    browser = await world.signed_in("kerman_supervisor")
    code = world.codes["k1_script"]
    detail = (await browser.get(f"/api/requests/{code}")).json()
    assert detail["request"]["text"] == SCRIPT  # JSON data, for textContent
    assert detail["request"]["location"] == {"lat": 30.291, "lon": 57.111}
    assert detail["request"]["photos"] == [f"/app/requests/{code}/photos/1"]
    assert detail["request"]["code_shown"] == f"{code[:4]}-{code[4:]}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    page = await browser.get(f"/app/requests/{code}")
    assert page.status_code == 200 and "<script>alert" not in page.text
    hostile = await world.signed_in("k2_facilitator")  # named <script>… in the messenger
    shown = await hostile.get("/app/")
    assert SCRIPT not in shown.text and "&lt;script&gt;alert(" in shown.text


async def test_every_answer_carries_the_security_headers(world: World) -> None:
    browser = world.client()
    for path in ("/app/", "/api/me", "/healthz", "/app/login?token=x"):
        headers = (await browser.get(path)).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "https://telegram.org" in csp
        assert "img-src 'self' data: https://tile.openstreetmap.org" in csp
        assert ("frame-ancestors https://web.telegram.org https://*.telegram.org "
                "https://web.bale.ai https://*.bale.ai") in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


async def test_the_overview_counts_what_was_filed(world: World) -> None:
    for draft, (hood, participants, children, adolescents) in enumerate(
            [("a", 12, 5, 2), ("b", 8, 0, 3)], start=1):
        await report(world, "k1", hood, "field_report", 5000 + draft,
                     participants=participants, children=children, adolescents=adolescents)
    await report(world, "k2", "c", "needs_assessment", 5100, category="water",
                 severity="critical")
    await report(world, "k1", "a", "needs_assessment", 5101, category="health", severity="low")
    await report(world, "y1", "d", "field_report", 5200, participants=99)  # another province
    supervisor = await people.get_person(world.db, world.users["kerman_supervisor"])
    assert supervisor
    plain = await requests.by_code(world.db, world.codes["k1_plain"])
    assert plain
    await requests.change_status(world.db, plain, "resolved", actor_id=supervisor.id,
                                 notices=[])
    browser = await world.signed_in("kerman_supervisor")
    answer = (await browser.get("/api/overview")).json()
    values = {name: figure["value"] for name, figure in answer["figures"].items()}
    assert values["reports"] == 2 and values["participants"] == 20
    assert values["children"] == 5 + 2 + 0 + 3
    assert values["needs"] == 2 and values["needs_urgent"] == 1
    assert values["requests_new"] == 3 and values["requests_resolved"] == 1
    assert values["requests_open"] == 2 and values["requests_overdue"] == 0
    assert values["first_response_median_hours"] == 0.0
    assert all(f["previous"] in (0, None) for f in answer["figures"].values())
    assert answer["period"]["kind"] == "month" and answer["period"]["label"]
    this_month = answer["trend"]["months"][-1]
    assert this_month["reports"] == 2 and this_month["needs_by_severity"]["critical"] == 1
    assert (this_month["requests_open"], this_month["requests_resolved"]) == (2, 1)
    assert answer["trend"]["weeks"][-1]["requests_open"] == 2
    assert [m["requests_open"] for m in answer["trend"]["months"][:-1]] == [0] * 5
    assert sum(w["requests_new"] for w in answer["trend"]["weeks"]) == 3
    filed_on = local_date(world.clock.now(), world.bot.settings.timezone)
    world.clock.advance(timedelta(days=8))  # a week and a day later: overdue (7 days)
    browser = await world.signed_in("kerman_supervisor")  # the first session has expired
    span = f"period=range&from={jalali_iso(filed_on)}&to={jalali_iso(filed_on + timedelta(8))}"
    later = (await browser.get(f"/api/overview?{span}")).json()["figures"]
    assert later["requests_new"]["value"] == 3
    assert later["requests_open"]["value"] == later["requests_overdue"]["value"] == 2
    assert (await browser.get("/api/overview?period=range&from=1405-01-01&to=۱۴۰۵-۰۱-۰۳")
            ).status_code == 200
    assert (await browser.get("/api/overview?period=range&from=bad")).status_code == 400


async def test_map_forms_activity_and_exports_answer(world: World) -> None:
    await report(world, "k1", "a", "field_report", 6001, participants=4)
    browser = await world.signed_in("kerman_supervisor")
    shown = (await browser.get("/api/map")).json()
    hoods = {h["name"]: h for h in shown["hoods"]}
    assert set(hoods) == {"محلهٔ الف", "محلهٔ ب", "محلهٔ ج"}
    assert hoods["محلهٔ الف"]["lat"] == 30.29 and hoods["محلهٔ الف"]["open_requests"] == 1
    assert hoods["محلهٔ ب"]["lat"] is None
    assert [p["kind"] for p in shown["points"]] == ["request"]
    assert shown["tiles"]["url"].startswith("https://tile.openstreetmap.org/")
    forms = {f["name"]: f["count"] for f in (await browser.get("/api/forms")).json()}
    assert forms["field_report"] == 1
    table = (await browser.get("/api/forms/field_report")).json()
    assert table["total"] == 1 and table["rows"][0]["_office"] == "دفتر یک"
    exported = await browser.get("/app/export/forms/field_report.csv")
    assert exported.status_code == 200 and "دفتر یک" in exported.content.decode("utf-8-sig")
    xlsx = await browser.get("/app/export/forms/field_report.xlsx")
    assert xlsx.content[:2] == b"PK"
    activity = (await browser.get("/api/activity?period=week")).json()
    counts = {p["name"]: sum(p["counts"]) for p in activity["people"]}
    assert counts["facilitator"] == 1 and "former" not in counts
    assert (await browser.get("/api/requests?status=resolved")).json()["total"] == 0


async def test_health_and_metrics_on_the_same_server(world: World) -> None:
    browser = world.client()
    await world.bot.say(world.bot.user(500, "زهرا"), "/help")
    health = await browser.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok\n")
    metrics = await browser.get("/metrics")
    assert 'tashilyar_updates_total{kind="command"}' in metrics.text
