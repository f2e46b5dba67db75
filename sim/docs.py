"""Generated parts of the docs: the parameter table with provenance and the policy library.

A page keeps each generated block between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
markers (``PAGES`` says which page holds which block). ``python -m sim.docs`` rewrites them;
``tests/cli/test_readme.py`` fails when they are stale, so the table an analyst reads is always the
schema and scenario files as they are.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario.describe import format_value, markdown_table, value_sources
from sim.scenario.loading import load_scenario
from sim.scenario.paths import flatten
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
LIBRARIES = {
    SCENARIOS: "the calibrated reference (seed 002 §4.2, §8.2)",
    SCENARIOS / "2024": "the present-day reference (FIGURES 'Present day'; GPS pilot declaration practice)",
}
"""Each policy library's folder (its reference is its ``baseline.yaml``) and what the reference is."""


def parameters_block() -> str:
    """Every parameter of the baseline with value, unit and source (and the file that set it)."""
    path = SCENARIOS / "baseline.yaml"
    sources = {k: Path(v).name for k, v in value_sources(path).items()}
    return markdown_table(load_scenario(path), sources)


NOT_COMPARED = {"name", "title", "description", "changes", "uncertainty"}
"""Scenario keys that are not parameter values (``changes`` are listed by day; ranges are not values)."""


def _differences(base: dict[str, Any], scenario: Scenario) -> list[str]:
    """```path` old → new`` for every parameter of ``scenario`` that differs from ``base``."""
    new = flatten(scenario.model_dump(exclude=NOT_COMPARED))
    return [
        f"`{k}` {format_value(base.get(k))} → {format_value(v)}" for k, v in new.items() if base.get(k) != v
    ]


def policies_block(folder: Path) -> str:
    """One row per scenario file of the library in ``folder``: its title and what it changes
    relative to the library's baseline (from the start, then from each change day)."""
    baseline = load_scenario(folder / "baseline.yaml")
    base = flatten(baseline.model_dump(exclude=NOT_COMPARED))
    rows = ["| file | policy | changes relative to the baseline |", "|---|---|---|"]
    for path in sorted(folder.glob("*.yaml"), key=lambda p: (p.name != "baseline.yaml", p.name)):
        s = load_scenario(path)
        if path.name == "baseline.yaml":
            changes = LIBRARIES[folder]
        else:
            parts = []
            if start := _differences(base, s):
                parts.append("; ".join(start))
            for day, regime in s.regimes():
                parts.append(f"from day {format_value(day)}: " + "; ".join(_differences(base, regime)))
            changes = "; ".join(parts)
        rows.append(f"| `{path.relative_to(SCENARIOS)}` | {s.label} | {changes.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


PAGES: dict[Path, dict[str, Callable[[], str]]] = {
    ROOT / "docs" / "parameters.md": {"PARAMETERS": parameters_block},
    ROOT / "docs" / "user-guide.md": {
        "POLICIES": lambda: policies_block(SCENARIOS),
        "POLICIES_2024": lambda: policies_block(SCENARIOS / "2024"),
    },
}
"""Each page with generated blocks, and the function that makes each block's content."""


def render(page: Path) -> str:
    """The text of ``page`` with every generated block it holds replaced by its current content."""
    text = page.read_text(encoding="utf-8")
    for name, make in PAGES[page].items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"{page.name} has no {name} block")
        text = _fill(pattern, make(), text)
    return text


def _fill(pattern: re.Pattern[str], content: str, text: str) -> str:
    """Every match of ``pattern`` (BEGIN marker, old content, END marker) with ``content`` inside."""

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + content + match.group(2)

    return pattern.sub(replace, text)


def main() -> int:
    for page in PAGES:
        updated = render(page)
        if updated != page.read_text(encoding="utf-8"):
            tmp = page.with_suffix(".md.tmp")
            tmp.write_text(updated, encoding="utf-8")
            tmp.replace(page)
            print(f"{page.relative_to(ROOT)} updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
