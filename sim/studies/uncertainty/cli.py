"""The ``uncertainty`` command's sub-parser: its options, help text and defaults, declared once here and
added to the command line by ``sim.cli`` from the registry."""

from __future__ import annotations

import textwrap
from typing import Any

from sim.studies.options import EXIT_CODES, PROG, Formatter, add_run_options, int_at_least, kpi_list, para

EPILOG = (
    textwrap.dedent(
        f"""\
    examples:
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          scenarios/more_detention_capacity.yaml --samples 20 -n 2 --cohort-size 20000 -w 2
      {PROG} uncertainty scenarios/baseline.yaml scenarios/*.yaml --samples 50 -n 2 -w 2
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --from-calibration results/calibration/baseline/calibration.csv

    writes DIR (default results/uncertainty/<reference name>):
      uncertainty.csv          scenario, kpi, draw, diff: each policy's paired difference
                               from the reference (mean over the draw's replications)
      uncertainty_summary.csv  scenario, kpi, mean_diff, p05, p50, p95, prob_better,
                               prob_best (across draws; a tie counts half; a KPI with no
                               better direction has none)
      ceac.csv                 scenario, outcome, value_per_outcome, prob_cost_effective:
                               the share of draws in which value x extra departures and
                               removals - extra cost > 0, GBP 0 to 30,000 an outcome
      discovery.csv            scenario, kpi, rule, share_worse, draws, parameter, low, high:
                               boxes of the ranges where a policy tends to do worse (a
                               shallow decision tree over the draws); only where the sign
                               of a difference changes between draws
      uncertainty_draws.csv    each draw's parameter values (a scale is a multiplier)
      <name>__draw_<d>/        each scenario and draw's results folder (--resume reuses it)
      uncertainty_manifest.json   parameters and ranges, draws, seed, code version, command
                               line; written last (DIR holds .incomplete until then)

    how to read it: prob_better near 0.5 means the assumptions, not the policy, decide the
    sign; near 0 or 1, the sign holds across the ranges. The interval p05-p95 is the spread
    due to the assumptions (with a little simulation noise: raise -n to shrink that part).

    """
    )
    + EXIT_CODES
)
"""The ``uncertainty --help`` epilog: examples, what it writes, how to read it, and the exit codes."""


def add_parser(sub: Any) -> None:
    """Add the ``uncertainty`` sub-parser to ``sub`` (the subparsers of ``run_sim.py``)."""
    unc = sub.add_parser(
        "uncertainty",
        formatter_class=Formatter,
        help="how sure is each policy difference when the assumptions vary (probabilistic sensitivity)",
        description=para(
            "Probabilistic sensitivity analysis. The reference's ranged parameters ('describe' lists "
            "them with their ranges; a scenario's uncertainty: key narrows, widens or adds them) are "
            "drawn together by Latin hypercube; the reference and every policy run under every draw "
            "(a drawn scale multiplies a policy's own values too; a single value a policy changes is "
            "its lever and keeps the policy's value), replication k "
            "of every scenario and draw with the same random numbers, so each draw gives each "
            "policy's paired difference under those assumptions. Across draws: the distribution of "
            "each difference, the probability that the policy beats the reference and that it is the "
            "best of those compared, acceptability curves, and the parameter ranges in which a "
            "difference changes sign. Prints how many simulations it will run and an estimate first."
        ),
        epilog=EPILOG,
    )
    unc.add_argument(
        "reference", metavar="REFERENCE.yaml", help="the reference scenario (its ranges are drawn)"
    )
    unc.add_argument("policies", nargs="+", metavar="POLICY.yaml", help="the policies compared with it")
    g = unc.add_argument_group("the draws")
    g.add_argument(
        "--samples",
        "-s",
        type=int_at_least(2, "draws of the ranged parameters"),
        default=20,
        metavar="N",
        help="Latin-hypercube draws of the ranged parameters",
    )
    g.add_argument(
        "--kpis",
        type=kpi_list,
        metavar="A,B,...",
        help="KPIs summarised (summary.csv columns or departures_and_removals) (default: the headline KPIs)",
    )
    add_run_options(unc, sweep=True, folder="results/uncertainty")
    unc.set_defaults(replications=2)
    g = unc.add_argument_group("calibrated draws")
    g.add_argument(
        "--from-calibration",
        metavar="FILE",
        help="draw the parameters of FILE (a calibration.csv of 'calibrate') from its rows, the sets "
        "not ruled out, instead of their raw ranges (rows sampled with the seed, without replacement "
        "when FILE has at least --samples rows); the other ranged parameters are drawn as usual",
    )
