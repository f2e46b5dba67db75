"""Shared helpers for the model tests: a quiet base scenario, running, and paired statistics.

``quiet(overrides)`` is a scenario in which nothing random happens unless a test switches it on:
one overstayer with good details, phone contact that always succeeds, no absconding, no barriers,
every optional branch at probability 0 and every delay fixed. Micro-tests add only the overrides
that drive the path they check, so each expected time can be computed by hand.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.model.results import ReplicationResult, run_replication
from sim.scenario.loading import deep_merge
from sim.scenario.schema import BARRIERS, CASE_TYPES, CONTACT_CHANNELS, QUALITIES, REPORT_CHANNELS, Scenario

REPO = Path(__file__).resolve().parents[1]
RUN_SIM = REPO / "run_sim.py"


def run_cli(
    *args: str | Path, cwd: Path | None = None, flags: tuple[str, ...] = (), timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python [FLAGS] run_sim.py ARGS`` in a fresh interpreter (exit codes and stderr as users
    see them), stopped after ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *flags, str(RUN_SIM), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def fixed(value: float) -> dict[str, Any]:
    return {"dist": "fixed", "value": value}


def expo(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def shares(keys: tuple[str, ...], one: str) -> dict[str, float]:
    """A mix with all weight on ``one``."""
    return {k: float(k == one) for k in keys}


def by(keys: tuple[str, ...], value: float) -> dict[str, float]:
    return dict.fromkeys(keys, value)


QUIET: dict[str, Any] = {
    "horizon_days": 1000.0,
    "cohort": {
        "initial_size": 1,
        "entry_ramp_days": 0.0,
        "inflow_per_week": 0.0,
        "case_type": shares(CASE_TYPES, "overstayer"),
        "details": shares(QUALITIES, "good"),
        "already_departed_share": 0.0,
        "in_pool_in_error_share": 0.0,
        "barrier": shares(BARRIERS, "none"),
        "high_priority_share": 0.0,
        "compliance": fixed(0.5),
    },
    "contact": {
        "agents": 1,
        "call_minutes": fixed(360.0),  # a quarter of a day
        "attempt_interval_days": fixed(10.0),
        "max_attempts": 3,
        "channel_mix": shares(CONTACT_CHANNELS, "phone"),
        "success": {
            "phone": {"none": 0.0, "partial": 0.0, "good": 1.0},
            "text": by(QUALITIES, 0.0),
            "letter": by(QUALITIES, 0.0),
            "email": by(QUALITIES, 0.0),
        },
        "written_clarity": 1.0,
        "departed_reach_factor": 1.0,
        "complaint_probability": 0.0,
        "enrichment": {
            "check_probability": 0.0,
            "delay_days": fixed(30.0),
            "refresh_probability": 0.0,
            "departure_evidence_probability": 0.0,
            "max_rounds": 0,
        },
    },
    "correspondence": {"delivery_days": fixed(2.0), "not_received": by(QUALITIES, 0.0), "clarity": 1.0},
    "departure": {
        "agree_on_contact": by(CASE_TYPES, 0.0),
        "delay_days": fixed(20.0),
        "follow_through_probability": 1.0,
        "assisted_share": 0.0,
        "family_engagement_multiplier": 1.0,
        "family_offer_interval_days": fixed(30.0),
        "family_offers_before_enforcement": 0,
    },
    "reporting": {
        "channel_mix": shares(REPORT_CHANNELS, "in_person"),
        "interval_days": {"in_person": 14.0, "telephone": 7.0, "digital": 7.0},
        "miss_probability": by(REPORT_CHANNELS, 0.0),
        "misses_to_out_of_contact": 3,
        "promotion_agree": by(REPORT_CHANNELS, 0.0),
        "detention_on_reporting": 0.0,
        "abscond_hazard_per_day": 0.0,
        "abscond_hazard_shape": 1.0,
        "abscond_propensity": fixed(1.0),
    },
    "asylum": {"decision_days": fixed(1e9)},  # claims are never decided within a horizon
    "absconding": {
        "hazard_per_day": 0.0,
        "adverse_notice_multiplier": 1.0,
        "declaration_lag_days": fixed(30.0),
    },
    "tracing": {
        "team_size": 1,
        "referral_probability_high": 0.0,
        "referral_probability_normal": 0.0,
        "action_days": fixed(1.0),
        "interval_days": fixed(5.0),
        "max_actions": 2,
        "success_probability": 0.0,
        "passive_rate_per_day": 0.0,
        "arrest_on_trace_probability": 0.0,
        "details_refreshed_probability": 0.0,
    },
    "casework": {
        "caseworkers": 1,
        "further_submission_days": fixed(40.0),
        "further_submission_grant": 0.0,
        "travel_document_days": fixed(50.0),
        "travel_document_success": 1.0,
        "legal_days": fixed(60.0),
        "legal_grant": 0.0,
        "enforcement_after_resolution": 0.0,
    },
    "enforcement": {
        "teams": 1,
        "visit_days": fixed(3.0),
        "referral_on_refusal": by(CASE_TYPES, 0.0),
        "arrest_success": 1.0,
        "pre_arrest_check": 0.0,
        "hidden_barrier_probability": 0.0,
        "check_detects_hidden_barrier": 0.0,
        "ensured_return_probability": 0.0,
    },
    "detention": {
        "beds": 1,
        "removal_planning_days": fixed(7.0),
        "cancellation_probability": 0.0,
        "barrier_on_cancellation": 0.0,
        "max_removal_attempts": 2,
        "bail_hazard_per_day": 0.0,
        "vulnerability_hazard_per_day": 0.0,
        "no_prospect_days": fixed(10_000.0),
    },
    "recording": {"departure_recorded_as_removal": 0.0},
    # unit costs stated here so hand-computed totals do not depend on the documented defaults;
    # staff are paid per day whatever the workload, so they are 0 except where a test sets them
    "costs": {
        "contact_attempt": {"phone": 6.0, "text": 0.5, "letter": 2.0, "email": 0.5},
        "staff_day": {"agent": 0.0, "caseworker": 0.0, "tracer": 0.0},
        "enrichment_check": 5.0,
        "notice": 3.0,
        "missed_report": 10.0,
        "report": {"in_person": 15.0, "telephone": 5.0, "digital": 1.0},
        "tracing_action": 250.0,
        "arrest": 2800.0,
        "detention_day": 97.0,
        "removal": 2400.0,
        "assisted_return": 1100.0,
    },
}


def quiet(overrides: dict[str, Any] | None = None, name: str = "quiet") -> Scenario:
    """The quiet base scenario with ``overrides`` (nested) applied and validated."""
    return Scenario(name=name).with_overrides(deep_merge(QUIET, overrides or {}))


def run(scenario: Scenario, replication: int = 0, seed: int = 12345, log: bool = True) -> ReplicationResult:
    return run_replication(scenario, replication, seed, keep_log=log)


def paired_halfwidth(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean of paired differences and the half-width of its t confidence interval."""
    diffs = np.asarray(diffs, dtype=float)
    n = len(diffs)
    sd = float(diffs.std(ddof=1)) if n > 1 else math.inf
    return float(diffs.mean()), float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))


def ci_factor(n: int, z: float = 4.0) -> float:
    """Multiplier of a standard error estimated from ``n`` replications with the two-sided coverage
    of ``z`` normal standard errors (4 SE: 1 in 16,000), i.e. the Student t quantile with n - 1
    degrees of freedom. With few replications the estimated SE is itself noisy, so 4 x SE alone
    would fail far more often than the nominal rate."""
    return float(stats.t.ppf(stats.norm.cdf(z), n - 1))


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError (rather than hang) if the block runs longer than ``seconds``."""

    def _raise(signum: int, frame: Any) -> None:
        raise TimeoutError(f"ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session")
def report_comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished comparison with plots, shared by the report tests: copy it before changing it
    (``report_data.copy_folder``)."""
    from report_data import build_comparison

    return build_comparison(tmp_path_factory.mktemp("report") / "results")
