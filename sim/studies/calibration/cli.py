"""The ``calibrate`` command: its sub-parser (options, help text, defaults) and how it runs,
declared once here and run by ``sim.cli`` from the registry (``sim.studies.base.StudyCli``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.studies.base import Job, Load
from sim.studies.calibration.request import CalibrationRequest
from sim.studies.options import (
    DESIGN,
    PROG,
    add_design_options,
    add_valued,
    comma_list,
    int_at_least,
    non_negative_float,
    positive_float,
    request_of,
    written,
)

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.studies.calibration.plan import CalibrationPlan
    from sim.studies.calibration.run import CalibrationResult

DEFAULTS = CalibrationRequest()
"""The request's defaults, which the options show and use (written once, in ``request.py``)."""
BASELINE = "scenarios/baseline.yaml"
"""The scenario calibrated when none is named."""

HELP = "which parameter values the published figures do not rule out (history matching)"
DESCRIPTION = (
    "Calibration with uncertainty by history matching. The scenario's ranged parameters that the "
    "validation targets depend on (or --params) are run at a Latin hypercube of design points; a "
    "Gaussian-process emulator (scikit-learn) of each target's measure predicts it anywhere in the "
    "ranges, with its uncertainty, and every candidate whose implausibility exceeds the cut-off for "
    "any target is ruled out. Later waves run design points in what is left and refit. What is not "
    "ruled out is the set of parameter values that 'uncertainty --from-calibration' samples instead "
    "of the raw ranges. Prints the number of simulations and an estimate of the time and memory first."
)
EPILOG = f"""\
    examples:
      {PROG} calibrate --cohort-size 5000 --waves 3 -n 2 -w 2
      {PROG} calibrate scenarios/baseline.yaml --params 'contact.*' --roles calibration
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --from-calibration results/calibration/baseline/calibration.csv

    implausibility of x for a target with published value z (more: docs/validation.md):
      I(x) = |z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_sim)
      V_obs = (tolerance / 3)^2 (the tolerance read as 3 sd), V_disc = (DISCREPANCY x tolerance)^2,
      V_em(x) the emulator's variance of the mean, V_sim one replication's variance (the published
      figure is one realisation). x is ruled out if its largest I exceeds --cutoff (Pukelsheim's
      3-sigma rule). One-sided targets count only a shortfall or an excess.

    writes DIR (columns: docs/validation.md):
      calibration.csv          the parameter sets not ruled out, max_implausibility, wave
      calibration_runs.csv     every simulated point: parameters, each measure's mean and sd
      calibration_waves.csv    per wave and measure: the share of the space not ruled out, the
                               emulator's leave-one-out check, one replication's sd
      calibration_targets.csv  per target: the emulated range over the kept sets and the share of
                               them within tolerance, the last wave's simulated range
      calibration_waves.png, calibration_ranges.png, calibration_pairs.png
      calibration_manifest.json (written last); .parts/ (each simulation's measures, for --resume)

    If every candidate is ruled out, calibration.csv has no rows and the summary names the
    closest candidate and the target it misses (exit code 0: that is a finding).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The targets and parameters matched, the waves, the options of a design, then the scenario."""
    g = p.add_argument_group("targets and parameters")
    g.add_argument(
        "--targets-file", metavar="FILE", help="the targets table (default: validation/targets.yaml)"
    )
    g.add_argument(
        "--roles",
        type=comma_list("calibration,parameter", "roles"),
        metavar="A,B",
        help="roles of the targets matched, comma-separated: calibration, parameter, validation "
        "(default: calibration,parameter); the others on the scenario are checked out of sample",
    )
    g.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="TARGET",
        help="leave this target (its id) out of the fit; it is still checked afterwards (repeatable)",
    )
    g.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="GLOB",
        help="match only the ranged parameters whose dotted path matches (fnmatch; repeat for more) "
        "(default: the parameters the targets' measures depend on)",
    )
    g = p.add_argument_group("history matching")
    add_valued(
        g,
        DEFAULTS,
        ("--waves", "K", int_at_least(1, "waves of simulations"), "waves"),
        (
            "--points",
            "N",
            int_at_least(4, "design points per wave"),
            "design points per wave (default: 10 per parameter)",
        ),
        (
            "--candidates",
            "M",
            int_at_least(10, "candidate points per wave"),
            "candidates per wave at which the emulators are evaluated (cheap)",
        ),
        (
            "--cutoff",
            "C",
            positive_float("implausibility cut-off, in standard deviations"),
            "rule out a point whose largest implausibility exceeds C",
        ),
        (
            "--discrepancy",
            "F",
            non_negative_float("model-discrepancy sd as a fraction of the tolerance"),
            "model-discrepancy sd as a fraction of each target's tolerance",
        ),
    )
    add_design_options(
        p,
        DEFAULTS.replications,
        "replications per design point (replication k uses the streams (seed, k) at every point)",
        "root random seed, and the seed of the designs",
        "results/calibration",
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        default=[],
        metavar="SCENARIO.yaml",
        help="the scenario whose ranged parameters are matched to its targets; more scenarios: their "
        "targets are matched too, each design point running on every one (e.g. a cohort and a "
        f"steady-state population that share behaviour) (default: {BASELINE})",
    )


def plan(args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job:
    """The targets on the scenario, the parameters matched and the waves' design."""
    from sim.studies.calibration.plan import plan_calibration
    from sim.studies.calibration.run import candidate_bytes, run_calibration

    files = args.scenarios or [BASELINE]
    scenarios = load(files)
    scenario = scenarios[0]
    request = request_of(CalibrationRequest, args)
    plan = plan_calibration(scenarios, files, request)
    estimate = budget.check(
        plan.scenarios, request.replications, repeat=request.waves * plan.points, held=candidate_bytes(plan)
    )
    intro = (
        f"Calibration (history matching) of {' + '.join(s.name for s in scenarios)}: "
        f"{len(plan.targets)} targets "
        f"({', '.join(t.id for t in plan.targets)}), {len(plan.parameters)} parameters; up to "
        f"{request.waves} waves x {plan.points} points x {request.replications} replications = "
        f"{plan.simulations:,} simulations; {estimate.text()}, plus "
        "fitting the emulators and evaluating the candidates, ~5-30 s a wave."
    )

    def summary(result: CalibrationResult, out: Path) -> str:
        return (
            f"\n{calibration_text(plan, result)}{result.ran:,} simulations run, {result.resumed:,} resumed, "
            f"{result.wall_seconds:,.0f} s (emulators and candidates "
            f"{result.manifest['emulator_seconds']:,.0f} s). Written: {written(out, result.files)}"
        )

    return Job(
        scenario.name,
        "\n".join([intro, *(f"note: {note}" for note in plan.notes)]),
        lambda out, options: run_calibration(plan, out, options=options),
        summary,
        DESIGN,
    )


def _num(x: float) -> str:
    return "n/a" if x != x else f"{x:.4g}"


def _span(low: float, high: float) -> str:
    return f"{_num(low)} to {_num(high)}"


def calibration_text(plan: CalibrationPlan, result: CalibrationResult) -> str:
    """What a calibration kept: the waves, each parameter's original and non-implausible range,
    and each target's published figure against the emulated range over the sets kept."""
    from sim.analysis.tables import render_table

    lines = [
        f"Wave {w.wave}: {w.points} points, {w.simulations:,} simulations; {w.nroy_candidates:,} of "
        f"{w.candidates:,} candidates not ruled out: {100 * w.nroy_share:.3g}% of the space"
        for w in result.outcomes
    ]
    if result.status == "empty" and result.closest is not None:
        worst, target = result.closest
        lines.append(
            f"Every candidate is ruled out: no values within these ranges are consistent with the targets "
            f"at cut-off {plan.request.cutoff:g}. The closest has implausibility {worst:.2f}, worst on "
            f"{target}. Widen the ranges, add parameters, or question the target (or the reduced cohort)."
        )
    elif result.status == "stable":
        lines.append("Stopped early: the non-implausible share no longer shrinks.")
    lines += [f"Not matched ({m}): {why}" for m, why in result.skipped.items()]
    lines.append("")
    rows = [["Parameter", "Original range", "Not ruled out"]]
    for u in plan.parameters:
        col = result.nroy[u.path] if len(result.nroy) else None
        kept = _span(float(col.min()), float(col.max())) if col is not None else "none"
        rows.append([u.path + (" (scale)" if u.kind == "scale" else ""), _span(u.low, u.high), kept])
    lines += render_table(rows[0], rows[1:], "lrr").splitlines()
    lines.append("")
    rows = [["Target", "Role", "Published", "Emulated over kept sets", "Within", "Last wave simulated"]]
    for r in result.targets.to_dict("records"):
        sign = {"at_least": ">= ", "at_most": "<= "}.get(str(r["comparison"]), "")
        role = str(r["role"]) + ("" if r["used"] else " (check)")
        share = r["share_within"]
        rows.append(
            [
                str(r["target"]),
                role,
                f"{sign}{_num(r['published'])} ± {_num(r['tolerance'])}",
                _span(r["emulator_min"], r["emulator_max"]),
                "n/a" if share != share else f"{100 * share:.0f}%",
                _span(r["simulated_min"], r["simulated_max"]),
            ]
        )
    lines += render_table(rows[0], rows[1:], "llrrrr").splitlines()
    lines.append(
        "Within: share of the kept sets whose emulated mean is within the tolerance; (check): a "
        "validation target not used in the fit."
    )
    return "\n".join(lines) + "\n\n"
