"""The dashboard's pages in a real Chromium on a phone-sized window, against a stand-in
server that speaks the API contract (tests/browser/stub_app.py): what a supervisor sees
on each page, a request's `<script>` or `<img onerror>` text shown as text, the map's
markers, the filters and pages, and not one error in the browser's console (the CSP
included). The same pages against the real server and a seeded database:
tests/test_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import driver as d

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    d.need_browser()
    from tests.browser.stub_app import build_stub_app

    yield from d.serve_in_thread(build_stub_app())


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    b = d.chromium()
    try:
        b.get(site + "/app/login?token=ok")
        yield b
    finally:
        b.quit()


def open_page(browser: Any, url: str) -> None:
    browser.get(url)
    d.wait_ready(browser)


def texts(browser: Any, css: str) -> list[str]:
    return [e.text for e in browser.find_elements("css selector", css)]


def test_overview_shows_the_figures_in_persian(browser: Any, site: str) -> None:
    from tests.browser.stub_app import FIGURES

    open_page(browser, site + "/app/")
    value = browser.find_element("css selector", '[data-key="reports"] .value').text
    assert value == "۴۲" == "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in str(FIGURES["reports"][0]))
    assert browser.find_element("css selector", '[data-key="solved_rate"] .value').text == "۷۰٪"
    assert "آذر ۱۴۰۵" in browser.find_element("id", "period-label").text
    assert len(browser.find_elements("css selector", "#charts .uplot")) == 3
    browser.find_element("id", "by-month").click()
    assert browser.find_element("id", "by-month").get_attribute("aria-pressed") == "true"
    assert d.console_errors(browser) == []


def test_requests_filter_and_a_card_with_script_text_shown_as_text(browser: Any,
                                                                   site: str) -> None:
    open_page(browser, site + "/app/requests")
    assert len(browser.find_elements("css selector", "#requests .item")) == 25
    assert "۳۰" in browser.find_element("id", "total").text
    assert browser.find_element("id", "next").is_displayed()
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "status")).select_by_value("resolved")
    browser.find_element("css selector", "#filters button[type=submit]").click()
    d.wait_navigated(browser, "status=resolved")
    assert set(texts(browser, "#requests .item .badge:not(.late)")) == {"حل شد"}
    assert "status=resolved" in browser.find_element("id", "export-csv").get_attribute("href")

    open_page(browser, site + "/app/requests?q=script")
    first = browser.find_element("css selector", "#requests .item .summary")
    assert "<script>" in first.text
    browser.find_element("css selector", "#requests .item .code").click()
    d.wait_navigated(browser, "/app/requests/")
    assert "<script>document.title='pwned'</script>" in browser.find_element("id", "text").text
    assert browser.find_elements("css selector", "#text script, #trail script") == []
    assert "pwned" not in browser.title
    assert d.console_errors(browser) == []


def test_img_onerror_text_runs_nothing(browser: Any, site: str) -> None:
    open_page(browser, site + "/app/requests?q=onerror")
    assert "<img src=x onerror=" in browser.find_element("css selector", ".summary").text
    assert browser.find_elements("css selector", "#requests img") == []
    open_page(browser, site + "/app/hoods/1")
    assert browser.find_elements("css selector", "#needs img") == []
    assert "pwned" not in browser.title
    assert d.console_errors(browser) == []


def test_the_map_draws_neighbourhoods_and_clustered_points(browser: Any, site: str) -> None:
    from tests.browser.stub_app import HOODS, REQUESTS

    open_page(browser, site + "/app/map")
    box = browser.find_element("id", "map")
    assert box.get_attribute("data-hoods") == str(len(HOODS))
    assert box.get_attribute("data-points") == str(len(REQUESTS))
    assert len(browser.find_elements("css selector", "path.hood-marker")) == len(HOODS)
    clusters = texts(browser, ".marker-cluster span")
    assert clusters and all(c and c[0] in "۰۱۲۳۴۵۶۷۸۹" for c in clusters)
    assert "plain" in (box.get_attribute("class") or "")  # no tiles: a plain background
    assert d.console_errors(browser) == []


def test_every_other_page_draws_without_console_errors(browser: Any, site: str) -> None:
    for path in ("/app/hoods/1", "/app/forms/field_report", "/app/activity"):
        open_page(browser, site + path)
        assert d.console_errors(browser) == [], path
    open_page(browser, site + "/app/forms/field_report")
    assert "<script>" in browser.find_element("css selector", "#rows tbody").text
    assert browser.find_element("css selector", "html").get_attribute("dir") == "rtl"


def test_without_a_session_the_page_is_the_sign_in_shell(site: str) -> None:
    b = d.chromium()
    try:
        b.get(site + "/app/")
        text = b.find_element("id", "signin").text
        assert "/dashboard" in text  # outside the messenger: how to get a link
        # the console's one complaint is the page's own 401 status
        assert all("401" in e for e in d.console_errors(b))
    finally:
        b.quit()
