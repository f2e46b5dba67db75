"""The briefing report in a real browser: Debian's headless Chromium opens report.html from disk,
every image loads, the console has no errors, nothing is fetched from anywhere, and the page is
not blank.

Chromium and chromedriver come from Debian's packages (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them when missing). Without them the test is skipped on a
developer's machine, saying why, and fails in CI (``CI`` set), where it must run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from report_data import add_optional_files, copy_folder

from sim.report import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1200,1600",
)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        why = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch a driver or browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def colours(png: bytes) -> int:
    """Number of distinct colours in a screenshot (a blank page has one)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = image.getcolors(maxcolors=1 << 20)
    assert found is not None
    return len(found)


def test_report_renders_in_chromium(report_comparison: Path, tmp_path: Path, browser: Any) -> None:
    folder = copy_folder(report_comparison, tmp_path / "results")
    add_optional_files(folder)  # every section of the report, with its tables
    uri = write_report(folder).resolve().as_uri()
    browser.get(uri)

    assert browser.title.startswith("2 policies compared with")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);"
    )
    assert all(complete and width > 0 and height > 0 for complete, width, height in images), images
    assert len(images) == 6  # five comparison plots and the reference's state flow

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []

    # every request made by the report's document (the browser's own start page is not ours)
    requests = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent" and message["params"].get("documentURL") == uri:
            requests.append(message["params"]["request"]["url"])
    assert uri in requests, "the performance log should show the page's own request"
    assert [u for u in requests if u != uri and not u.startswith("data:")] == []

    top = browser.get_screenshot_as_png()
    browser.execute_script("document.getElementById('headline').scrollIntoView();")
    headline = browser.get_screenshot_as_png()
    assert colours(top) > 20  # text, rules, the contents box
    assert colours(headline) > 200  # the headline table and a plot
