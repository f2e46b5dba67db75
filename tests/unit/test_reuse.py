"""Reusing a contact phase changes nothing: the same seed gives byte-identical tables with and
without reuse, across the policy library (issue 20), and reuse happens only between replications
whose phase has the same inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from sim.experiment.compare import run_comparison
from sim.experiment.engine import ExecutionOptions
from sim.model.model import PHASES
from sim.model.processes.contact import phase_inputs, phase_key
from sim.model.results import run_replication
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]
LIBRARY = sorted((REPO / "scenarios").glob("*.yaml"))


def small(path: Path, horizon: float = 400.0):  # type: ignore[no-untyped-def]
    return load_scenario(path).with_overrides({"horizon_days": horizon, "cohort": {"initial_size": 1500}})


def test_the_policy_library_gives_the_same_tables_with_and_without_reuse(tmp_path: Path) -> None:
    scenarios = [small(p) for p in LIBRARY]
    for reuse in (True, False):
        options = ExecutionOptions(plots=False, reuse=reuse)
        run_comparison(scenarios, tmp_path / str(reuse), replications=2, options=options)
    files = sorted(p.relative_to(tmp_path / "True") for p in (tmp_path / "True").rglob("*.csv"))
    assert len(files) >= 9 * len(LIBRARY)
    assert {"comparison.csv", "cost_effectiveness.csv"} <= {f.name for f in files}
    for name in files:
        assert (tmp_path / "True" / name).read_bytes() == (tmp_path / "False" / name).read_bytes(), name
    reused = {
        s.name: json.loads((tmp_path / "True" / s.name / "manifest.json").read_text())["sections_reused"]
        for s in scenarios
    }
    # each replication's phase is played once per group of scenarios with the same inputs (the
    # engine runs a group one after another; serially here, so exactly once) and reused by the rest
    groups = Counter(phase_inputs(s) for s in scenarios)
    assert groups[phase_inputs(scenarios[0])] >= 8  # the policies that change neither cohort nor contact
    assert sum(sum(r.values()) for r in reused.values()) == 2 * sum(n - 1 for n in groups.values())
    for s in scenarios:
        if groups[phase_inputs(s)] == 1:
            assert reused[s.name] == {}, s.name
    off = json.loads((tmp_path / "False" / scenarios[1].name / "manifest.json").read_text())
    assert off["reuse"] is False and off["sections_reused"] == {}


@pytest.mark.parametrize(
    "change, same",
    [
        ({"tracing": {"success_probability": 0.5}}, True),
        ({"costs": {"enrichment_check": 99.0}}, True),
        ({"contact": {"agents": 7}}, False),
        ({"contact": {"written_clarity": 0.5}}, False),
        ({"cohort": {"details": {"none": 0.3, "partial": 0.5, "good": 0.2}}}, False),
        ({"horizon_days": 401.0}, False),
        ({"changes": [{"from_day": 100, "set": {"contact": {"agents": 9}}}]}, False),
        ({"changes": [{"from_day": 100, "set": {"departure": {"assisted_share": 0.5}}}]}, False),
    ],
)
def test_the_key_reads_exactly_the_phase_inputs(change: dict, same: bool) -> None:  # type: ignore[type-arg]
    base = small(REPO / "scenarios" / "baseline.yaml")
    other = base.with_overrides(change)
    assert (phase_key(base, 1, 0) == phase_key(other, 1, 0)) is same
    assert phase_key(base, 1, 0) != phase_key(base, 2, 0) != phase_key(base, 1, 1)


def test_a_reused_phase_gives_the_run_the_same_people_and_results() -> None:
    base = small(REPO / "scenarios" / "baseline.yaml")
    policy = small(REPO / "scenarios" / "prioritised_tracing.yaml")
    PHASES.clear()
    first = run_replication(base, 3, 11)
    reused = run_replication(policy, 3, 11)
    assert first.reused == () and reused.reused == ("contact_phase",)
    assert reused.sections == first.sections
    PHASES.clear()
    alone = run_replication(policy, 3, 11, reuse=False)
    assert alone.reused == () and alone.sections == {}
    for name in (
        "summary",
        "end_states",
        "timeseries",
        "resources",
        "transitions",
        "occupancy",
        "life_table",
    ):
        a, b = getattr(reused, name), getattr(alone, name)
        assert a == b if isinstance(a, dict) else a.equals(b), name
    # with the event log, nothing is reused (the log is recorded as the phase is played)
    assert run_replication(base, 3, 11, keep_log=True).reused == ()


def test_designs_reuse_the_phase_across_points_that_leave_it_alone(tmp_path: Path) -> None:
    """A Sobol design of one contact parameter and one cost: the points that differ from another
    only in the cost (Saltelli's A_B matrix of that column) take its phase."""
    from sim.studies.sensitivity.request import SensitivityRequest
    from sim.studies.sensitivity.run import plan_sensitivity, run_sensitivity

    tiny = small(REPO / "scenarios" / "baseline.yaml", 180.0).with_overrides(
        {"cohort": {"initial_size": 300}}
    )
    params = ("costs.arrest", "contact.attempt_interval_days")
    request = SensitivityRequest(
        method="sobol", params=params, kpis=("contacted",), samples=4, replications=2
    )
    plan = plan_sensitivity(tiny, [], request)
    result = {}
    for reuse in (True, False):
        run_sensitivity(plan, tmp_path / str(reuse), options=ExecutionOptions(plots=False, reuse=reuse))
        result[reuse] = json.loads((tmp_path / str(reuse) / "manifest.json").read_text())
        PHASES.clear()
    phases = {phase_inputs(s) for s in plan.points[0]}
    assert result[True]["sections_reused"] == {"contact_phase": 2 * (plan.simulations // 2 - len(phases))}
    assert result[False]["sections_reused"] == {}
    on, off = (pd.read_csv(tmp_path / str(reuse) / "sensitivity.csv") for reuse in (True, False))
    assert on.equals(off)


def test_a_sweep_reuses_the_phase_only_across_points_that_leave_it_alone(tmp_path: Path) -> None:
    from conftest import run_cli

    common = ["--cohort-size", "300", "--horizon", "180", "-n", "2", "-w", "1", "--no-plots", "-q"]
    for param, expected in (("tracing.success_probability=0.1,0.3", 2), ("contact.agents=3,6", 0)):
        out = tmp_path / param.split("=")[0]
        result = run_cli("sweep", "scenarios/baseline.yaml", "--param", param, *common, "--out", str(out))
        assert result.returncode == 0, result.stderr
        manifests = sorted(out.glob("*/manifest.json"))
        assert len(manifests) == 2
        reused = [json.loads(m.read_text())["sections_reused"].get("contact_phase", 0) for m in manifests]
        assert sum(reused) == expected, param
