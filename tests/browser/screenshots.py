"""The README's screenshots: the overview and the map on a phone-sized window, drawn by the
stand-in server's picture (tests/browser/stub_app.py), saved as small palette PNGs.

    .venv/bin/python -m tests.browser.screenshots docs/
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from tests.browser import driver as d
from tests.browser.stub_app import build_stub_app

SHOTS = (("/app/", "dashboard-overview.png", True), ("/app/map", "dashboard-map.png", False))


def main(folder: Path) -> None:
    """Draw each page, whole (the overview) or one screen (the map), and save it."""
    serving = d.serve_in_thread(build_stub_app())
    base = next(serving)
    browser = d.chromium()
    try:
        browser.get(base + "/app/login?token=ok")
        for path, name, whole in SHOTS:
            browser.set_window_size(*d.PHONE)
            browser.get(base + path)
            d.wait_ready(browser)
            if whole:
                height = browser.execute_script("return document.body.scrollHeight")
                browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": d.PHONE[0], "height": int(height), "deviceScaleFactor": 1,
                    "mobile": True})
            target = folder / name
            browser.save_screenshot(str(target))
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            Image.open(target).convert("RGB").quantize(colors=96).save(target, optimize=True)
            print(f"{target}: {target.stat().st_size // 1024} KB")
    finally:
        browser.quit()
        serving.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
