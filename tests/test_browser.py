"""The dashboard in a real Chromium (Debian's, through Selenium) on a phone-sized window,
served by the bot's own web server over a database seeded through the bot itself: a
supervisor signs in through the one-time link, the overview's numbers are the database's,
the requests are filtered and one opened, a request written as `<script>` or
`<img onerror>` is shown as text, the map draws its markers, and the browser's console
stays free of errors (the server's CSP included). Then the pages on their own against a
stand-in server with a fuller picture. Without Chromium, chromedriver or Selenium the whole
file skips with one line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import driver as d

if d.binaries() is None:  # one line, once, for the whole file
    pytest.skip(d.SKIP, allow_module_level=True)

from bot.locale.text import t
from bot.sandbox import SandboxBot, SimUser
from tests.conftest import seat

SCRIPT_TEXT = "<script>document.title='pwned'</script> آب کوچهٔ ما سه روز است قطع است"
IMG_TEXT = "<img src=x onerror=\"document.title='pwned'\"> برق کوچه رفته و تاریک است"
PLAIN_TEXT = "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها کوچه تاریک است."
CODE = re.compile(r"([۰-۹]{4}-[۰-۹]{4})")
FA_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


async def file_request(bot: SandboxBot, resident: SimUser, text: str, hood: str) -> str:
    """A resident files an anonymous request with `text`; its code (ASCII digits)."""
    await bot.say(resident, "ثبت درخواست")
    await bot.tap(resident, "آب، برق، گاز، کوچه و خیابان")
    await bot.tap(resident, hood)
    await bot.say(resident, text)
    await bot.tap(resident, t("form.skip"))
    await bot.tap(resident, t("form.skip"))
    await bot.tap(resident, "نه، زنگ نزنید")
    filed = (await bot.tap(resident, t("form.confirm")))[-1].text
    found = CODE.search(filed)
    assert found, filed
    return found.group(1).translate(FA_DIGITS).replace("-", "")


async def seed(bot: SandboxBot, live: Any) -> None:
    """A supervisor of the province (Kerman) and three residents' requests (two hostile texts), the
    one-time link the supervisor signs in with."""
    from storage.sessions import create_login_link

    assert bot.db is not None
    boss = bot.user(700, "مریم")
    province = await bot.db.fetchone("SELECT id FROM provinces ORDER BY id LIMIT 1")
    assert province is not None
    boss_id = await seat(bot.db, boss, "supervisor", province=province[0])
    codes = [await file_request(bot, bot.user(800 + n, f"ساکن{n}"), text, "سرآسیاب")
             for n, text in enumerate((SCRIPT_TEXT, IMG_TEXT, PLAIN_TEXT))]
    live.facts.update(codes=codes, link=await create_login_link(bot.db, boss_id),
                      own_link=await create_login_link(bot.db, boss_id))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from zoneinfo import ZoneInfo

    from bot.config import SHIPPED_ORG_FILE, Settings
    from tests.browser.live import live_server

    folder: Path = tmp_path_factory.mktemp("dashboard")
    settings = Settings(bot_token=None, database_path=folder / "tashilyar.db",
                        admin_ids=frozenset({1}), org_file=SHIPPED_ORG_FILE,
                        timezone=ZoneInfo("Asia/Tehran"),
                        map_tiles_url="")  # loopback only: the map on a plain background
    yield from live_server(settings, seed)


@pytest.fixture(scope="module")
def browser(live: Any) -> Iterator[Any]:
    """The supervisor's phone, signed in by a link of its own (each test stands alone)."""
    b = d.chromium()
    try:
        b.get(f"{live.base}/app/login?token={live.facts['own_link']}")
        d.wait_ready(b)
        yield b
    finally:
        b.quit()


def fa(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_sign_in_by_the_one_time_link_and_the_overview_is_the_database(browser: Any,
                                                                      live: Any) -> None:
    browser.get(f"{live.base}/app/login?token={live.facts['link']}")
    d.wait_ready(browser)
    assert browser.current_url.rstrip("/").endswith("/app")
    db = live.bot.db
    row = live.run(db.fetchone("SELECT count(*) FROM requests"))
    shown = browser.find_element("css selector", '[data-key="requests_new"] .value').text
    assert shown == fa(row[0]) == "۳"
    reports = live.run(db.fetchone(
        "SELECT count(*) FROM submissions WHERE form = 'field_report'"))
    assert browser.find_element("css selector", '[data-key="reports"] .value').text == \
        fa(reports[0])
    assert d.console_errors(browser) == []
    # the link works once: a second browser with the same link is refused
    other = d.chromium()
    try:
        other.get(f"{live.base}/app/login?token={live.facts['link']}")
        assert other.find_elements("css selector", "#figures") == []
    finally:
        other.quit()


def mini_app_browser(live: Any, user_id: int, name: str) -> Any:
    """A Chromium whose pages see `window.Telegram.WebApp.initData` signed with the bot's
    token for `user_id`, as Telegram's script would hand it to the Mini App."""
    import json
    from urllib.parse import urlencode

    from web.initdata import sign

    now = live.run(_now(live))
    fields = {"auth_date": str(int(now.timestamp())), "query_id": "AAE",
              "user": json.dumps({"id": user_id, "first_name": name}, ensure_ascii=False)}
    fields["hash"] = sign(fields, live.bot.settings.bot_token)
    init_data = json.dumps(urlencode(fields))
    script = ("window.Telegram = {WebApp: {initData: " + init_data +
              ", ready: function () {}, expand: function () {}}};")
    b = d.chromium()
    b.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})
    return b


async def _now(live: Any) -> Any:
    return live.bot.clock.now()


def test_inside_the_messenger_the_mini_app_signs_in_by_init_data(live: Any) -> None:
    b = mini_app_browser(live, 700, "مریم")  # the supervisor
    try:
        b.get(f"{live.base}/app/")  # no session yet: the sign-in shell, which posts initData
        d.wait_ready(b)
        assert b.find_element("css selector", '[data-key="requests_new"] .value').text == "۳"
    finally:
        b.quit()
    b = mini_app_browser(live, 800, "ساکن0")  # a resident: refused, and told so
    try:
        b.get(f"{live.base}/app/")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(b, 15).until(lambda x: "error" in (
            x.find_element("id", "signin").get_attribute("class") or ""))
        assert b.find_element("id", "signin").text == t("dashboard.refused")
        assert b.find_elements("css selector", "#figures") == []
    finally:
        b.quit()


def test_requests_filtered_and_one_opened_with_its_script_text_shown(browser: Any,
                                                                     live: Any) -> None:
    browser.get(f"{live.base}/app/requests")
    d.wait_ready(browser)
    items = browser.find_elements("css selector", "#requests .item")
    assert len(items) == 3
    browser.find_element("id", "q").send_keys("pwned")  # the filter form, as a person would
    browser.find_element("css selector", "#filters button[type=submit]").click()
    d.wait_navigated(browser, "q=pwned")
    assert "q=pwned" in browser.find_element("id", "export-csv").get_attribute("href")
    summaries = [e.text for e in browser.find_elements("css selector", "#requests .summary")]
    assert len(summaries) == 2 and any("<script>" in s for s in summaries)
    assert any("<img src=x onerror=" in s for s in summaries)
    assert browser.find_elements("css selector", "#requests img, #requests script") == []
    code = live.facts["codes"][0]
    browser.find_element("css selector", f'#requests .item[data-code="{code}"] .code').click()
    d.wait_navigated(browser, f"/app/requests/{code}")
    assert SCRIPT_TEXT in browser.find_element("id", "text").text
    assert "pwned" not in browser.title
    assert browser.find_elements("css selector", "#trail .item")
    assert d.console_errors(browser) == []


def test_the_map_draws_its_markers(browser: Any, live: Any) -> None:
    browser.get(f"{live.base}/app/map")
    d.wait_ready(browser)
    box = browser.find_element("id", "map")
    assert int(box.get_attribute("data-hoods") or 0) > 0
    assert browser.find_elements("css selector", "path.hood-marker")
    assert "plain" in (box.get_attribute("class") or "")
    assert d.console_errors(browser) == []


def test_every_page_without_console_errors(browser: Any, live: Any) -> None:
    for path in ("/app/forms/field_report", "/app/forms/needs_assessment", "/app/activity",
                 "/app/?period=range&from=1405-01-01&to=1405-12-29"):
        browser.get(live.base + path)
        d.wait_ready(browser)
        assert d.console_errors(browser) == [], path


# The pages on their own, against a stand-in server that speaks the API contract with
# fixed data (tests/browser/stub_app.py): what a supervisor sees on each page, hostile
# texts in every place they can appear, the map's clusters, the filters and pages.


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    from tests.browser.stub_app import build_stub_app

    yield from d.serve_in_thread(build_stub_app())


@pytest.fixture(scope="module")
def phone(stub: str) -> Iterator[Any]:
    b = d.chromium()
    try:
        b.get(stub + "/app/login?token=ok")
        yield b
    finally:
        b.quit()


def open_page(browser: Any, url: str) -> None:
    browser.get(url)
    d.wait_ready(browser)


def texts(browser: Any, css: str) -> list[str]:
    return [e.text for e in browser.find_elements("css selector", css)]


def test_overview_shows_the_figures_in_persian(phone: Any, stub: str) -> None:
    from tests.browser.stub_app import FIGURES

    open_page(phone, stub + "/app/")
    value = phone.find_element("css selector", '[data-key="reports"] .value').text
    assert value == "۴۲" == "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in str(FIGURES["reports"][0]))
    assert phone.find_element("css selector", '[data-key="solved_rate"] .value').text == "۷۰٪"
    assert "آذر ۱۴۰۵" in phone.find_element("id", "period-label").text
    assert len(phone.find_elements("css selector", "#charts .uplot")) == 3
    phone.find_element("id", "by-month").click()
    assert phone.find_element("id", "by-month").get_attribute("aria-pressed") == "true"
    assert d.console_errors(phone) == []


def test_requests_filter_and_a_card_with_script_text_shown_as_text(
        phone: Any, stub: str) -> None:
    open_page(phone, stub + "/app/requests")
    assert len(phone.find_elements("css selector", "#requests .item")) == 25
    assert "۳۰" in phone.find_element("id", "total").text
    assert phone.find_element("id", "next").is_displayed()
    from selenium.webdriver.support.ui import Select

    Select(phone.find_element("id", "status")).select_by_value("resolved")
    phone.find_element("css selector", "#filters button[type=submit]").click()
    d.wait_navigated(phone, "status=resolved")
    assert set(texts(phone, "#requests .item .badge:not(.late)")) == {"حل شد"}
    assert "status=resolved" in phone.find_element("id", "export-csv").get_attribute("href")

    open_page(phone, stub + "/app/requests?q=script")
    first = phone.find_element("css selector", "#requests .item .summary")
    assert "<script>" in first.text
    phone.find_element("css selector", "#requests .item .code").click()
    d.wait_navigated(phone, "/app/requests/")
    assert "<script>document.title='pwned'</script>" in phone.find_element("id", "text").text
    assert phone.find_elements("css selector", "#text script, #trail script") == []
    assert "pwned" not in phone.title
    assert d.console_errors(phone) == []


def test_img_onerror_text_runs_nothing(phone: Any, stub: str) -> None:
    open_page(phone, stub + "/app/requests?q=onerror")
    assert "<img src=x onerror=" in phone.find_element("css selector", ".summary").text
    assert phone.find_elements("css selector", "#requests img") == []
    open_page(phone, stub + "/app/hoods/1")
    assert phone.find_elements("css selector", "#needs img") == []
    assert "pwned" not in phone.title
    assert d.console_errors(phone) == []


def test_the_map_draws_neighbourhoods_and_clustered_points(phone: Any,
                                                          stub: str) -> None:
    from tests.browser.stub_app import HOODS, REQUESTS

    open_page(phone, stub + "/app/map")
    box = phone.find_element("id", "map")
    assert box.get_attribute("data-hoods") == str(len(HOODS))
    assert box.get_attribute("data-points") == str(len(REQUESTS))
    assert len(phone.find_elements("css selector", "path.hood-marker")) == len(HOODS)
    clusters = texts(phone, ".marker-cluster span")
    assert clusters and all(c and c[0] in "۰۱۲۳۴۵۶۷۸۹" for c in clusters)
    assert "plain" in (box.get_attribute("class") or "")  # no tiles: a plain background
    assert d.console_errors(phone) == []


def test_every_other_page_draws_without_console_errors(phone: Any,
                                                       stub: str) -> None:
    for path in ("/app/hoods/1", "/app/forms/field_report", "/app/activity"):
        open_page(phone, stub + path)
        assert d.console_errors(phone) == [], path
    open_page(phone, stub + "/app/forms/field_report")
    assert "<script>" in phone.find_element("css selector", "#rows tbody").text
    assert phone.find_element("css selector", "html").get_attribute("dir") == "rtl"


def test_without_a_session_the_page_is_the_sign_in_shell(stub: str) -> None:
    b = d.chromium()
    try:
        b.get(stub + "/app/")
        text = b.find_element("id", "signin").text
        assert "/dashboard" in text  # outside the messenger: how to get a link
        # the console's one complaint is the page's own 401 status
        assert all("401" in e for e in d.console_errors(b))
    finally:
        b.quit()
