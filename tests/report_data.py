"""Results folders for the report tests: a small real comparison, and hand-made files for the
analyses other parts of the tool add (cost-effectiveness, time to outcome, sensitivity,
uncertainty, calibration targets), so every section of the report is exercised."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.compare import run_comparison
from sim.experiment.engine import ExecutionOptions
from sim.scenario.loading import load_scenarios

REPO = Path(__file__).resolve().parents[1]
POLICIES = ("baseline", "remote_reporting", "more_detention_capacity")
"""The reference and two policies: one that changes reporting, one whose extra beds a small cohort
never needs (every paired difference exactly 0: common random numbers)."""
SMALL: dict[str, Any] = {"horizon_days": 120.0, "cohort": {"initial_size": 300}}


def build_comparison(out: Path) -> Path:
    """Run a small comparison of ``POLICIES`` with plots into ``out`` (a few seconds)."""
    files = [REPO / "scenarios" / f"{p}.yaml" for p in POLICIES]
    scenarios = [s.with_overrides(SMALL) for s in load_scenarios(files)]
    run_comparison(
        scenarios,
        out,
        replications=3,
        options=ExecutionOptions(
            overrides=SMALL,
            command_line=("run_sim.py", "compare", *(f"scenarios/{p}.yaml" for p in POLICIES), "-n", "3"),
        ),
    )
    return out


def copy_folder(source: Path, target: Path) -> Path:
    """A private copy of a results folder (the session's comparison is shared and read-only)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


COST_EFFECTIVENESS = pd.DataFrame(
    {
        "scenario": ["remote_reporting", "more_detention_capacity"],
        "outcome": ["departed_voluntary", "removed_enforced"],
        "d_cost": [-20_000.0, 150_000.0],
        "d_cost_ci_low": [-30_000.0, 120_000.0],
        "d_cost_ci_high": [-10_000.0, 180_000.0],
        "d_outcome": [0.6, 12.5],
        "d_outcome_ci_low": [-1.8, 8.0],
        "d_outcome_ci_high": [3.0, 17.0],
        "cost_per_outcome": [float("nan"), 12_000.0],
        "cpo_ci_low": [float("nan"), 8_000.0],
        "cpo_ci_high": [float("nan"), 19_500.0],
        "net_benefit": [32_000.0, 100_000.0],
        "nb_ci_low": [-60_000.0, 20_000.0],
        "nb_ci_high": [120_000.0, 180_000.0],
        "value_per_outcome": [20_000.0, 20_000.0],
        "method": ["fieller", "fieller"],
    }
)
TIME_TO_OUTCOME = pd.DataFrame(
    [
        (s, o, day, share, max(share - 0.01, 0.0), share + 0.01)
        for s in POLICIES
        for o in ("departed_voluntary", "removed")
        for day, share in ((0, 0.0), (60, 0.004), (100, 0.012), (120, 0.0175))
    ],
    columns=["scenario", "outcome", "day", "cumulative_incidence", "ci_low", "ci_high"],
)
MORRIS_PARAMETERS = (
    "reporting.miss_probability.digital",
    "reporting.interval_days",
    "tracing.team_size",
    "contact.agents",
    "detention.beds",
    "costs.staff_day",
    "absconding.hazard_per_day",
)
SENSITIVITY = pd.DataFrame(
    [
        # out of contact: seven parameters, mu* 60, 50, ..., 0 (the last exactly 0); the fourth
        # within noise; total cost in GBP (shown in £ million)
        ("morris", kpi, p, scale * (60 - 10 * i), scale * 2.5, scale * 3.0, scenario, i == 3, 16, 2, 5.0)
        for scenario in ("baseline", "remote_reporting")
        for kpi, scale in (("out_of_contact_end", 1.0), ("total_cost_gbp", 1e5))
        for i, p in enumerate(MORRIS_PARAMETERS)
    ],
    columns=[
        "method",
        "kpi",
        "parameter",
        "mu_star",
        "mu_star_ci",
        "sigma",
        "scenario",
        "within_noise",
        "n_points",
        "replications",
        "noise",
    ],
)
"""A Morris sensitivity.csv as ``sensitivity`` writes it (``sim.studies.sensitivity.analysis.columns``)."""
UNCERTAINTY_SUMMARY = pd.DataFrame(
    {
        "scenario": ["remote_reporting", "remote_reporting"],
        "kpi": ["out_of_contact_end", "total_cost_gbp"],
        "mean_diff": [10.0, -120_000.0],
        "p50": [9.5, -110_000.0],
        "p05": [2.5, -250_000.0],
        "p95": [17.5, 50_000.0],
        "prob_better": [0.05, 0.85],
        "prob_best": [0.0, 0.75],
    }
)
UNCERTAINTY = pd.DataFrame(
    {
        "scenario": "remote_reporting",
        "kpi": "out_of_contact_end",
        "draw": range(75),
        "diff": [float(k % 20) for k in range(75)],
    }
)
TARGETS = pd.DataFrame(
    {
        "target": ["share contacted", "complaints"],
        "source": ["seed 002 §4.2", "seed 002 §8.2"],
        "published": [0.21, 210.0],
        "model_mean": [0.2055, 215.0],
        "model_ci_low": [0.2041, 201.0],
        "model_ci_high": [0.2069, 229.0],
        "tolerance": [0.01, 20.0],
        "within": [True, False],
    }
)
OPTIONAL_FILES: dict[str, pd.DataFrame] = {
    "cost_effectiveness.csv": COST_EFFECTIVENESS,
    "time_to_outcome.csv": TIME_TO_OUTCOME,
    "sensitivity.csv": SENSITIVITY,
    "uncertainty_summary.csv": UNCERTAINTY_SUMMARY,
    "uncertainty.csv": UNCERTAINTY,
    "targets.csv": TARGETS,
}


def add_optional_files(folder: Path) -> None:
    """Write the hand-made optional analysis files into a comparison folder."""
    for name, frame in OPTIONAL_FILES.items():
        frame.to_csv(folder / name, index=False)


def add_simultaneous_intervals(folder: Path, widen: float) -> pd.DataFrame:
    """Add diff_sim_ci_low/high to comparison.csv: the unadjusted interval widened ``widen``-fold
    about the difference (as a simultaneous interval is wider than the unadjusted one)."""
    path = folder / "comparison.csv"
    frame = pd.read_csv(path)
    centre = frame["diff_vs_reference"]
    frame["diff_sim_ci_low"] = centre - widen * (centre - frame["diff_ci_low"])
    frame["diff_sim_ci_high"] = centre + widen * (frame["diff_ci_high"] - centre)
    frame.to_csv(path, index=False)
    return frame
