"""The ``uncertainty`` command: its sub-parser and how it runs (``sim.studies.base.StudyCli``)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.studies.base import Job, Load
from sim.studies.options import (
    EACH_RUN,
    PROG,
    add_run_options,
    add_valued,
    int_at_least,
    kpi_list,
    replicated,
    written,
)

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.experiment.engine import ExecutionOptions
    from sim.studies.uncertainty.run import UncertaintyResult

HELP = "how sure is each policy difference when the assumptions vary (probabilistic sensitivity)"
DESCRIPTION = (
    "Probabilistic sensitivity analysis. The reference's ranged parameters ('describe' lists them; a "
    "scenario's uncertainty: key narrows, widens or adds them) are drawn together by Latin hypercube, "
    "and the reference and every policy run under every draw with common random numbers (a drawn "
    "scale multiplies a policy's own values too; a single value a policy changes is its lever and "
    "keeps the policy's value, unless the policy's own uncertainty: key ranges it: then it is drawn "
    "too, for that policy only, as <policy>:<path>). Across draws: the distribution of each policy's "
    "paired difference, the probability that it beats the reference and that it is the best of those "
    "compared, acceptability curves, and the parameter ranges in which a difference changes sign."
)
EPILOG = f"""\
    examples:
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          scenarios/more_detention_capacity.yaml --samples 20 -n 2 --cohort-size 20000 -w 2
      {PROG} uncertainty scenarios/baseline.yaml scenarios/*.yaml --samples 50 -n 2 -w 2
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --from-calibration results/calibration/baseline/calibration.csv

    writes DIR: uncertainty.csv (each policy's paired difference from the reference per KPI and
    draw, the mean over the draw's replications), uncertainty_summary.csv (per policy and KPI
    across draws: mean_diff, p05, p50, p95, prob_better, prob_best; a tie counts half), ceac.csv
    (the share of draws in which value x extra departures and removals - extra cost > 0, GBP 0 to
    30,000 an outcome), discovery.csv (boxes of the ranges where a policy tends to do worse, from a
    shallow decision tree over the draws; only where a difference changes sign), uncertainty_draws.csv
    (each draw's parameter values; a scale is a multiplier), <name>__draw_<d>/ (each scenario and
    draw's results folder) and uncertainty_manifest.json, written last. Columns:
    docs/user-guide.md (uncertainty).

    how to read it: prob_better near 0.5 means the assumptions, not the policy, decide the
    sign; near 0 or 1, the sign holds across the ranges. The interval p05-p95 is the spread
    due to the assumptions (with a little simulation noise: raise -n to shrink that part).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The reference and policies, the draws, the options of a run, and draws from a calibration."""
    p.add_argument("reference", metavar="REFERENCE.yaml", help="the reference (its ranges are drawn)")
    p.add_argument("policies", nargs="+", metavar="POLICY.yaml", help="the policies compared with it")
    g = p.add_argument_group("the draws")
    samples = int_at_least(2, "draws of the ranged parameters")
    add_valued(
        g, {"samples": 20}, ("--samples -s", "N", samples, "Latin-hypercube draws of the ranged parameters")
    )
    g.add_argument(
        "--kpis",
        type=kpi_list,
        metavar="A,B,...",
        help="KPIs summarised (summary.csv columns or departures_and_removals) (default: the headline KPIs)",
    )
    add_run_options(p, sweep=True, folder="results/uncertainty")
    p.set_defaults(replications=2)
    g = p.add_argument_group("calibrated draws")
    g.add_argument(
        "--from-calibration",
        metavar="FILE",
        help="draw the parameters of FILE (a calibration.csv of 'calibrate') from its rows, the sets not "
        "ruled out, instead of their ranges (rows sampled with the seed, without replacement when FILE "
        "has at least --samples rows); the other ranged parameters are drawn as usual",
    )


def plan(args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job:
    """The draws of the reference's ranged parameters, applied to it and to every policy (their
    number checked against the budget before they are drawn)."""
    from sim.studies.options import check_kpis
    from sim.studies.uncertainty.run import LEVER_SEP, calibrated_design, run_uncertainty

    reference, *policies = load([args.reference, *args.policies])
    kpis = check_kpis(args.kpis) if args.kpis is not None else None
    estimate = budget.check([reference, *policies], args.replications, repeat=args.samples)
    params, draws, calibrated = calibrated_design(
        reference, policies, args.samples, args.seed, args.from_calibration
    )
    scenarios = [s for d in draws for s in (d.reference, *d.policies)]
    levers = sum(LEVER_SEP in u.path for u in params)
    own = f" ({levers} of them policies' own levers, drawn for that policy only)" if levers else ""
    intro = [
        f"Uncertainty: {len(params)} ranged parameters{own}, {args.samples} Latin-hypercube draws x "
        f"{1 + len(policies)} scenarios x {args.replications} replications = "
        f"{len(scenarios) * args.replications} simulations; {estimate.text()}."
    ]
    if (c := calibrated) is not None:
        how = "with replacement (fewer rows than draws)" if c.replace else "without replacement"
        intro.append(
            f"From {c.file}: {', '.join(c.parameters)} drawn from its {c.rows:,} parameter sets not ruled "
            f"out, {how}; the other {len(params) - len(c.parameters)} over their ranges."
        )

    def summary(result: UncertaintyResult, out: Path) -> str:
        labels = {p.name: p.label for p in policies}
        text = uncertainty_text(
            result.summary, labels, reference.label, args.samples, args.replications, args.seed
        )
        return f"\n{text}\n\nWritten: {written(out, result.files)} (and each draw's folder under {out})"

    def run(out: Path, options: ExecutionOptions) -> UncertaintyResult:
        return run_uncertainty(
            reference,
            policies,
            out,
            samples=args.samples,
            kpis=kpis,
            options=options,
            from_calibration=args.from_calibration,
            **replicated(args),
        )

    return Job(reference.name, "\n".join(intro), run, summary, EACH_RUN)


def uncertainty_text(
    summary: Any, labels: Mapping[str, str], reference: str, samples: int, replications: int, seed: int
) -> str:
    """Each policy's paired difference from the reference across the draws: median (p05 to p95),
    P(better), P(best), in the KPI's display unit."""
    from sim.analysis.kpis import kpi
    from sim.analysis.tables import render_table

    rows = [["Policy", "KPI", "Median (p05 to p95)", "P(better)", "P(best)"]]
    for r in summary.to_dict("records"):
        k = kpi(str(r["kpi"]))

        def show(x: float, k: Any = k) -> str:
            return f"{k.display(x):+,.2f}" if k.decimals else f"{k.display(x):+,.1f}"

        rows.append(
            [
                labels.get(str(r["scenario"]), str(r["scenario"])),
                k.label,
                f"{show(r['p50'])} ({show(r['p05'])} to {show(r['p95'])})",
                "n/a" if r["prob_better"] != r["prob_better"] else f"{r['prob_better']:.2f}",
                "n/a" if r["prob_best"] != r["prob_best"] else f"{r['prob_best']:.2f}",
            ]
        )
    intro = (
        f"Paired differences from {reference} across {samples} draws of the assumptions "
        f"({replications} replications each, seed {seed}): median (5th to 95th percentile), "
        "P(better than the reference), P(best of those compared)"
    )
    return "\n".join([intro, *render_table(rows[0], rows[1:], "llrrr").splitlines()])
