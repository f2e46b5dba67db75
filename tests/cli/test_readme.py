"""The README's promises: generated tables are current, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import docs

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.DOTALL)]


@pytest.mark.parametrize("page", list(docs.PAGES), ids=lambda p: p.name)
def test_generated_blocks_are_current(page: Path) -> None:
    assert docs.render(page) == page.read_text(encoding="utf-8"), (
        f"{page.name} is stale: run `python -m sim.docs`"
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    setup, test_command = _bash_blocks(README)[:2]
    assert "run_sim.py compare" in setup and "pip install" in setup
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci, f"{test_command!r} is not a line of .ci/run"


def test_readme_is_short_and_keeps_no_diary() -> None:
    """A newcomer reads the README in one sitting; dated measurements and the commits they were
    made on belong in docs/performance.md and docs/studies.md (issue 17)."""
    assert len(README.splitlines()) <= 200
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", README), "a date in the README"
    hashes = [
        h for h in re.findall(r"\b[0-9a-f]{7,40}\b", README) if re.search(r"[a-f]", h) and re.search(r"\d", h)
    ]
    assert hashes == [], f"commit hashes in the README: {hashes}"


def test_every_parameter_row_has_unit_and_source() -> None:
    page = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    block = page.split("<!-- BEGIN PARAMETERS -->")[1].split("<!-- END PARAMETERS -->")[0]
    rows = [r for r in block.strip().splitlines()[2:]]
    assert len(rows) > 100
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] and cells[4], row  # path, value, unit, range, source
