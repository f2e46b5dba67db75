"""The ``sensitivity`` command: its sub-parser and how it runs (``sim.studies.base.StudyCli``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.kpis import kpi
from sim.studies.base import Job, Load
from sim.studies.options import (
    DESIGN,
    PROG,
    add_design_options,
    add_valued,
    int_at_least,
    kpi_list,
    request_of,
    written,
)
from sim.studies.sensitivity.request import GROUPINGS, METHODS, SensitivityRequest

if TYPE_CHECKING:
    from sim.experiment.design import Budget, Estimate
    from sim.studies.sensitivity.run import SensitivityPlan, SensitivityResult

DEFAULTS = SensitivityRequest()
"""The request's defaults, which the options show and use (written once, in ``request.py``)."""
SUMMARY_TOP = 5
"""Parameters printed per KPI."""

HELP = "which ranged parameters drive each KPI (global sensitivity: Morris or Sobol, with SALib)"
DESCRIPTION = (
    "Global sensitivity of the KPIs to the parameters' plausible ranges ('describe' lists them; a "
    "scenario's uncertainty: key narrows, widens or adds them). SALib samples a design over the "
    "ranges; each point is simulated --replications times (replication k of every point with the "
    "same random numbers), its KPIs averaged, and SALib analyses them. Each POLICY is run at the same "
    "points (a value it changes is its lever and keeps the policy's value; a scale multiplies its "
    "own values too) and its paired difference from SCENARIO analysed: which assumptions decide "
    "whether the policy helps. Prints the number of simulations and an estimate of the time and memory "
    "first."
)
EPILOG = f"""\
    examples:
      {PROG} sensitivity scenarios/baseline.yaml --cohort-size 2000 --horizon 365 -w 2
      {PROG} sensitivity scenarios/baseline.yaml --params 'contact.*' --params 'costs.*' \\
          --kpis contacted,total_cost_gbp --trajectories 20
      {PROG} sensitivity scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --method sobol --shortlist results/sensitivity/baseline/sensitivity.csv --top 4

    two steps (Morris screens, Sobol quantifies):
      1. --method morris: R x (k + 1) design points for k parameters, ranked by mu*; on the full
         cohort, --groups section screens the 12 sections first (R x 13 points; a shortlist of
         groups expands to their parameters).
      2. --method sobol --shortlist DIR/sensitivity.csv --top K: the top K parameters of each KPI
         by mu* (those not within noise), N x (k + 2) points; or choose them with --params.

    writes DIR: sensitivity.csv (per scenario, KPI and parameter: Morris mu_star, sigma or Sobol
    S1, ST, with CIs and within_noise; a policy's rows are its paired difference from SCENARIO),
    design.csv (each point's parameter values; scales are multipliers), outputs.csv (every
    replication's KPIs), morris_<scenario>.png (mu* against sigma), tornado_<scenario>_<kpi>.png
    (mu* or ST per parameter), manifest.json (written last) and .parts/ (used by --resume).
    Columns: docs/user-guide.md (sensitivity).

    how to read it (more: docs/user-guide.md): mu_star is the mean absolute change in the KPI (its
    own unit) for a step of P/(2(P-1)) of a range (2/3 with 4 levels), sigma their spread
    (interactions, non-linearity); S1 and ST the share of the KPI's variance due to the parameter
    alone and with all its interactions; *_ci SALib's 95% bootstrap CI half-widths; within_noise:
    no bigger than simulation noise alone would make it (needs --replications 2 or more).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The scenario and policies, the SALib design, then the options of a design."""
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario whose assumptions are varied")
    p.add_argument(
        "policies",
        nargs="*",
        metavar="POLICY.yaml",
        help="policies whose paired difference from SCENARIO is analysed too",
    )
    g = p.add_argument_group("design")
    g.add_argument("--method", choices=METHODS, default=DEFAULTS.method, help="SALib method")
    g.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="GLOB",
        help="vary only the ranged parameters whose dotted path matches (fnmatch; repeat for more), "
        "e.g. 'contact.*' (default: all of them)",
    )
    g.add_argument(
        "--groups",
        choices=GROUPINGS,
        default=DEFAULTS.groups,
        help="'section': the parameters of each top-level section (contact.*, ...) move as one factor "
        "(SALib groups), and the rows of sensitivity.csv are the groups",
    )
    g.add_argument(
        "--kpis",
        type=kpi_list,
        metavar="A,B",
        help="KPIs to analyse, comma-separated (default: the headline KPIs of summary_stats.csv)",
    )
    g.add_argument(
        "--shortlist",
        metavar="FILE",
        help="(sobol) vary the top --top parameters of each KPI of a Morris run's sensitivity.csv",
    )
    add_valued(
        g,
        DEFAULTS,
        ("--top", "K", int_at_least(1, "parameters per KPI"), "parameters per KPI taken from --shortlist"),
        ("--trajectories", "R", int_at_least(1, "Morris trajectories"), "(morris) R x (k + 1) design points"),
        ("--levels", "P", int_at_least(2, "Morris grid levels"), "(morris) grid levels of each range (even)"),
        ("--samples", "N", int_at_least(2, "Sobol base samples"), "(sobol) a power of 2: N x (k + 2) points"),
    )
    add_design_options(
        p,
        DEFAULTS.replications,
        "replications per design point (2 or more to estimate the noise)",
        "root random seed, and SALib's sampling seed",
        "results/sensitivity",
    )


def plan(args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job:
    """The design over the ranged parameters of SCENARIO, run on it and on each policy."""
    from sim.experiment.errors import ExperimentError
    from sim.studies.sensitivity.run import plan_sensitivity, run_sensitivity

    scenarios = load([args.scenario, *args.policies])
    if len(scenarios) < 1 + len(args.policies):
        raise ExperimentError("a POLICY file is the SCENARIO file or named twice; give each policy once")
    request = request_of(SensitivityRequest, args)
    if args.shortlist is None and args.method == "morris" and "--top" in argv:
        raise ExperimentError("--top goes with --shortlist FILE (--method sobol)")
    plan = plan_sensitivity(scenarios[0], scenarios[1:], request, budget)
    assert budget.checked is not None

    def summary(result: SensitivityResult, out: Path) -> str:
        once = " (identical design points run once)" if result.ran + result.resumed < plan.simulations else ""
        return (
            sensitivity_text(result.frame, request.method, plan.reference.name)
            + f"{result.ran:,} simulations run, {result.resumed:,} resumed{once}, "
            f"{result.wall_seconds:,.0f} s. Written: {written(out, result.files)}"
        )

    return Job(
        plan.reference.name,
        _intro(plan, budget.checked),
        lambda out, options: run_sensitivity(plan, out, options=options),
        summary,
        DESIGN,
    )


def _intro(plan: SensitivityPlan, estimate: Estimate) -> str:
    """The design's size, the simulations it takes and the time they may take; the plan's notes."""
    request, k = plan.request, len(plan.parameters)
    factors = f"{k} parameters"
    if request.groups != "none":
        factors = f"{len(set(plan.problem['groups']))} groups of {k} parameters"
    design = (
        f"{request.trajectories} trajectories x ({factors} + 1)"
        if request.method == "morris"
        else f"{request.samples} samples x ({factors} + 2)"
    )
    n_pol = len(plan.policies)
    policies = f" and {n_pol} {'policy' if n_pol == 1 else 'policies'}" if plan.policies else ""
    return "\n".join(
        [
            f"Sensitivity ({request.method}) of {plan.reference.name}{policies}: {design} = {len(plan.X)} "
            f"design points x {len(plan.points)} scenario(s) x {request.replications} replications = "
            f"{plan.simulations:,} simulations; {estimate.text()}.",
            *(f"note: {note}" for note in plan.notes),
        ]
    )


def _index(x: float, scale: float) -> str:
    return "nan" if x != x else f"{x / scale:.3g}"


def sensitivity_text(frame: Any, method: str, reference: str) -> str:
    """The top parameters of each KPI (and each policy's difference), with their index and CI;
    '(noise)' marks an index within simulation noise."""
    col = "mu_star" if method == "morris" else "ST"
    lines = []
    for (scenario, name), part in frame.groupby(["scenario", "kpi"], sort=False):
        k = kpi(name)
        scale = k.scale if method == "morris" else 1.0
        what = k.title if scenario == reference else f"{k.title}, {scenario} - {reference}"
        unit = f" ({k.display_unit})" if method == "morris" else ""
        lines.append(f"{what}: top parameters by {col}{unit}")
        ranked = part.sort_values(col, ascending=False, kind="stable").head(SUMMARY_TOP)
        for r in ranked.to_dict("records"):
            flag = "  (noise)" if r["within_noise"] else ""
            extra = (
                f"  sigma {_index(r['sigma'], scale)}" if method == "morris" else f"  S1 {_index(r['S1'], 1)}"
            )
            lines.append(
                f"  {r['parameter']:<48} {_index(r[col], scale):>9} ± {_index(r[col + '_ci'], scale):<8}"
                f"{extra}{flag}"
            )
    return "\n".join(lines) + "\n\n"
