"""Debian's Chromium and chromedriver through Selenium, phone-sized, console collected.

No browser is ever downloaded: without /usr/bin/chromium and chromedriver the tests skip
with one line saying what to install."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Generator
from typing import Any

import pytest

SKIP = ("browser tests need Debian's chromium and chromium-driver: "
        "apt-get install chromium chromium-driver")
PHONE = (390, 844)


def binaries() -> tuple[str, str] | None:
    """Chromium and chromedriver on this machine, or None."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        return None
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return browser, driver


def need_browser() -> tuple[str, str]:
    """Skip the test (one line) unless Chromium, chromedriver and Selenium are here."""
    found = binaries()
    if found is None:
        pytest.skip(SKIP)
    return found


def chromium() -> Any:
    """A headless Chromium with a phone's window whose console log we can read."""
    from selenium import webdriver

    browser, driver = need_browser()
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never fetches a browser
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-extensions", "--no-first-run", "--lang=fa",
                 "--force-device-scale-factor=1", f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0,
                          "touch": True}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver)
    return webdriver.Chrome(options=options, service=service)


def console_errors(browser: Any) -> list[str]:
    """The console's errors since the last call (CSP refusals and uncaught errors included)."""
    return [entry["message"] for entry in browser.get_log("browser")
            if entry.get("level") == "SEVERE"]


def wait_ready(browser: Any, timeout: float = 15.0) -> None:
    """Until the page's script says it has drawn its data (body[data-ready])."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(
        lambda b: b.find_element("tag name", "body").get_attribute("data-ready") == "1")


def serve_in_thread(app: Any) -> Generator[str, None, None]:
    """Serve an ASGI app with uvicorn in a thread on a loopback socket bound and listening
    before the thread starts (a browser's first request waits in its backlog); yields the
    base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_navigated(browser: Any, fragment: str, timeout: float = 15.0) -> None:
    """Until the address holds `fragment` and the new page has drawn its data."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(lambda b: fragment in b.current_url)
    wait_ready(browser, timeout)
