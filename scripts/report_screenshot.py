"""Screenshot a briefing report for the README: its title, findings and contents, then its headline table.

Opens the report in Debian's headless Chromium (``apt-get install chromium chromium-driver``;
selenium is a test dependency), takes two screenshots (the top of the page, findings included, down
to the contents list, and the headline section down to the end of its table) and stacks them into one PNG::

    python scripts/report_screenshot.py results/2024/report.html docs/report.png

The README embeds ``docs/report.png``; refresh it after the main job has run.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
RULE = (200, 200, 200)
"""Colour of the line between the two parts of the picture."""


def _shot(driver: webdriver.Chrome) -> Image.Image:
    return Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")


def screenshot(report: Path, out: Path, width: int, height: int) -> Path:
    """Write the stacked screenshot of ``report`` to ``out`` and return it."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(report.resolve().as_uri())
            top_end = driver.execute_script(
                "return document.querySelector('nav').getBoundingClientRect().bottom;"
            )
            top = _shot(driver).crop((0, 0, width, min(int(top_end) + 16, height)))
            driver.execute_script(
                "const h = document.querySelector('#headline h2');"
                "window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 12);"
            )
            table_end = driver.execute_script(
                "return document.querySelector('#headline .table-wrap').getBoundingClientRect().bottom;"
            )
            headline = _shot(driver).crop((0, 0, width, min(int(table_end) + 12, height)))
        finally:
            driver.quit()
    picture = Image.new("RGB", (width, top.height + 3 + headline.height), "white")
    picture.paste(top, (0, 0))
    picture.paste(Image.new("RGB", (width, 1), RULE), (0, top.height + 1))
    picture.paste(headline, (0, top.height + 3))
    picture.save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("report", type=Path, help="the report.html to photograph")
    parser.add_argument("out", type=Path, help="the PNG to write, e.g. docs/report.png")
    parser.add_argument("--width", type=int, default=1200, help="browser window width in pixels")
    parser.add_argument("--height", type=int, default=2400, help="browser window height in pixels")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"{args.report}: no such file", file=sys.stderr)
        return 2
    print(screenshot(args.report, args.out, args.width, args.height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
