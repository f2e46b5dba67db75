"""Every scenario file in ``scenarios/`` loads, validates and runs (short horizon, small cohort).

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
FILES = sorted(SCENARIO_DIR.glob("*.yaml"))
SMALL = {"horizon_days": 60.0, "cohort": {"initial_size": 200}}


@pytest.mark.parametrize(
    "path",
    FILES or [pytest.param(None, marks=pytest.mark.skip(reason=f"no scenario files in {SCENARIO_DIR} yet"))],
    ids=lambda p: p.name if isinstance(p, Path) else "none",
)
def test_scenario_file_loads_validates_and_runs(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    # a short horizon, but long enough for the scenario's changes from given days to happen
    last_change = max((c.from_day for c in scenario.changes), default=0.0)
    small = scenario.with_overrides({**SMALL, "horizon_days": max(SMALL["horizon_days"], last_change + 30.0)})
    assert small.name == scenario.name
    result = run_replication(small, 0, 1)
    s = result.summary
    assert int(result.end_states["count"].sum()) == s["cohort_size"]
    assert s["total_cost_gbp"] >= 0


def test_baseline_present_when_folder_has_files() -> None:
    if not FILES:
        pytest.skip("scenarios/ is empty")
    assert (SCENARIO_DIR / "baseline.yaml").exists(), [f.name for f in FILES]
