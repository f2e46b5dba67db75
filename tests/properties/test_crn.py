"""Common random numbers hold exactly: what a policy cannot change does not change.

Random numbers are keyed by (replication, purpose, person, index), so a person's draws never
depend on anyone else's path or on other decisions. These tests compare replication k of the
baseline with replication k of a policy and require *exact* equality (not a small difference)
wherever the policy cannot reach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.model.person import Person
from sim.model.processes.enforcement import Enforcement
from sim.model.results import run_replication
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SMALL = {"cohort": {"initial_size": 3000}}
REPLICATIONS = (0, 1, 2)
SEED = 4242
# A 3,000-person cohort fills few beds: scale the estate down with it so beds bind, and compare
# the policy's +50% (more_detention_capacity.yaml: 40 -> 60 beds) at this scale.
FEW_BEDS = {"detention": {"beds": 2}}
MORE_BEDS = {"detention": {"beds": 3}}

# Policies that leave contact management alone: nothing in the pool may change.
CONTACT_UNTOUCHED = (
    "prioritised_tracing",
    "better_tasking",
    "more_detention_capacity",
    "family_returns_focus",
    "integrated_voluntary_returns",
    "compliant_environment_checks",
    "five_day_further_submissions",
    "remote_reporting",
)


def scenario(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    s = load_scenario(SCENARIOS / f"{name}.yaml").with_overrides(SMALL)
    return s.with_overrides(overrides) if overrides else s


def pool_history(log: pd.DataFrame) -> pd.DataFrame:
    """Every move out of the pool: who, when, where to and why."""
    rows = log[log.from_state.astype(str) == "pool"]
    return rows[["person", "time", "to_state", "cause"]].astype({"to_state": str, "cause": str})


@pytest.fixture(scope="module")
def baseline_runs() -> dict[int, Any]:
    return {k: run_replication(scenario("baseline"), k, SEED, keep_log=True) for k in REPLICATIONS}


@pytest.mark.parametrize("policy", CONTACT_UNTOUCHED)
def test_contact_phase_identical_under_policies_that_do_not_touch_it(
    policy: str, baseline_runs: dict[int, Any]
) -> None:
    for k in REPLICATIONS:
        base = baseline_runs[k]
        other = run_replication(scenario(policy), k, SEED, keep_log=True)
        for kpi in ("contacted", "complaints", "contact_attempts", "cost_contact_gbp", "cost_enrichment_gbp"):
            assert other.summary[kpi] == base.summary[kpi], (policy, k, kpi)
        b, o = pool_history(base.event_log), pool_history(other.event_log)
        pd.testing.assert_frame_equal(b.reset_index(drop=True), o.reset_index(drop=True))


def test_policies_do_change_what_they_target(baseline_runs: dict[int, Any]) -> None:
    """The exact equalities above are not vacuous: each policy moves its own KPIs."""
    moved = {
        "integrated_voluntary_returns": "departed_voluntary",
        "remote_reporting": "reports",
        "prioritised_tracing": "tracing_actions",
    }
    for policy, kpi in moved.items():
        diffs = [
            run_replication(scenario(policy), k, SEED).summary[kpi] - baseline_runs[k].summary[kpi]
            for k in REPLICATIONS
        ]
        assert any(d != 0 for d in diffs), (policy, kpi)
    few = [run_replication(scenario("baseline", FEW_BEDS), k, SEED).summary for k in REPLICATIONS]
    more = [run_replication(scenario("baseline", MORE_BEDS), k, SEED).summary for k in REPLICATIONS]
    assert any(m["detention_days"] != f["detention_days"] for f, m in zip(few, more, strict=True))


# Shared queues that a tasked person can also join (tracers, caseworkers, reporting centres) are
# made ample here, so the only link between tasked and never-tasked people is the random numbers.
AMPLE = {
    "tracing": {"team_size": 100_000},
    "casework": {"caseworkers": 100_000},
    "reporting": {"centre": {"desks": 100_000}},
}


def run_recording_tasked(s: Scenario, k: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, set[int]]:
    """A replication and the people who were ever considered for arrest (every tasking referral
    and every detention on reporting goes through the tasking check)."""
    tasked: set[int] = set()
    original = Enforcement.tasking_check

    def recording(self: Enforcement, p: Person) -> bool:
        tasked.add(p.pid)
        return original(self, p)

    monkeypatch.setattr(Enforcement, "tasking_check", recording)
    result = run_replication(s, k, SEED, keep_log=True)
    monkeypatch.setattr(Enforcement, "tasking_check", original)
    return result, tasked


def untasked_lives(result: Any, tasked: set[int]) -> pd.DataFrame:
    """The event log of everyone not in ``tasked``, with plain string columns."""
    log = result.event_log
    log = log[~log.person.isin(tasked)]
    return log.astype({"from_state": str, "to_state": str, "cause": str}).reset_index(drop=True)


def test_never_tasked_people_have_identical_lives_under_a_detention_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k in REPLICATIONS:
        base, tasked_base = run_recording_tasked(scenario("baseline", {**AMPLE, **FEW_BEDS}), k, monkeypatch)
        beds, tasked_beds = run_recording_tasked(scenario("baseline", {**AMPLE, **MORE_BEDS}), k, monkeypatch)
        assert beds.summary["detention_days"] != base.summary["detention_days"]  # the policy bites
        tasked = tasked_base | tasked_beds
        assert tasked, "no one was tasked: the test would prove nothing"

        b, o = untasked_lives(base, tasked), untasked_lives(beds, tasked)
        assert len(b) > 1000
        pd.testing.assert_frame_equal(b, o)
