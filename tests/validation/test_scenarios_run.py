"""Every scenario file in ``scenarios/`` and its library folders (``scenarios/2024/``) loads, validates
and runs (short horizon, small cohort, and a small inflow for an open population).

Parametrised over the glob, so a new file is picked up without touching this test; with no files
yet the single case is skipped with a reason instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.results import run_replication
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIO_DIR.rglob("*.yaml"))
SMALL = {"horizon_days": 60.0, "cohort": {"initial_size": 200}}
SMALL_INFLOW = 25.0
"""People a week at most (--cohort-size leaves the inflow as it is: 1,291 a week in 2024)."""


@pytest.mark.parametrize(
    "path",
    FILES or [pytest.param(None, marks=pytest.mark.skip(reason=f"no scenario files in {SCENARIO_DIR} yet"))],
    ids=lambda p: str(p.relative_to(SCENARIO_DIR)) if isinstance(p, Path) else "none",
)
def test_scenario_file_loads_validates_and_runs(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    # a short horizon, but long enough for the scenario's changes from given days to happen
    last_change = max((c.from_day for c in scenario.changes), default=0.0)
    inflow = min(scenario.cohort.inflow_per_week, SMALL_INFLOW)
    small = scenario.with_overrides(
        {
            "horizon_days": max(SMALL["horizon_days"], last_change + 30.0),
            "cohort": {**SMALL["cohort"], "inflow_per_week": inflow},
        }
    )
    assert small.name == scenario.name
    result = run_replication(small, 0, 1)
    s = result.summary
    assert int(result.end_states["count"].sum()) == s["cohort_size"]
    assert s["total_cost_gbp"] >= 0


def test_baseline_present_when_folder_has_files() -> None:
    if not FILES:
        pytest.skip("scenarios/ is empty")
    for folder in {f.parent for f in FILES}:
        assert (folder / "baseline.yaml").exists(), [f.name for f in FILES if f.parent == folder]
