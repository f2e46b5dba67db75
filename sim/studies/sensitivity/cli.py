"""The ``sensitivity`` command's sub-parser: its options, help text and defaults, declared once here and
added to the command line by ``sim.cli`` from the registry."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from sim.studies.options import EXIT_CODES, PROG, Formatter, add_design_options, int_at_least, kpi_list, para
from sim.studies.sensitivity.request import GROUPINGS, METHODS, SensitivityRequest

DEFAULTS = SensitivityRequest()
"""The request's defaults, which the options show and use (written once, in ``request.py``)."""

EPILOG = (
    textwrap.dedent(
        f"""\
    examples:
      {PROG} sensitivity scenarios/baseline.yaml --cohort-size 2000 --horizon 365 -w 2
      {PROG} sensitivity scenarios/baseline.yaml --params 'contact.*' --params 'costs.*' \\
          --kpis contacted,total_cost_gbp --trajectories 20
      {PROG} sensitivity scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --method sobol --shortlist results/sensitivity/baseline/sensitivity.csv --top 4

    two steps (Morris screens, Sobol quantifies):
      1. --method morris (the default) over all parameters: R x (k + 1) design points for
         k parameters; cheap, ranks them by mu*. On the full cohort, --groups section
         screens the 12 sections first (R x 13 points); a shortlist of groups expands
         to their parameters.
      2. --method sobol --shortlist DIR/sensitivity.csv --top K: Sobol on the union of the
         top K parameters of each KPI by mu* (those not within noise), N x (k + 2) points;
         or choose them yourself with --params.

    writes DIR (default results/sensitivity/<scenario name>):
      sensitivity.csv   Morris: method, kpi, parameter, mu_star, mu_star_ci, sigma;
                        Sobol: method, kpi, parameter, S1, S1_ci, ST, ST_ci;
                        then scenario (SCENARIO: the KPI itself; a policy: its paired
                        difference from SCENARIO), within_noise, n_points, replications, noise
      design.csv        the parameter values of each design point (scales are multipliers)
      outputs.csv       every replication's KPIs at every design point, per scenario
      morris_<scenario>.png           mu* against sigma per KPI, top parameters labelled
      tornado_<scenario>_<kpi>.png    mu* (or ST) per parameter, sorted, CI whiskers
      manifest.json     parameters and ranges, design, seed, replications, versions, git
                        commit, command line (written last)
      .design/          every finished simulation's summary row (used by --resume)

    how to read it:
      mu_star   mean absolute change in the KPI (its own unit) for a step of
                levels/(2(levels-1)) of the parameter's range (2/3 of it with 4 levels);
                sigma: spread of those changes (interactions, non-linearity)
      S1, ST    share of the KPI's variance over the design due to the parameter alone,
                and with all its interactions
      *_ci      SALib's 95% bootstrap CI half-widths over the design points
      within_noise  the index is no bigger than simulation noise alone would make it:
                Morris: mu_star <= noise = 2 x the RMS (over trajectories) of the standard
                error of an elementary effect, from its paired per-replication values;
                Sobol: ST <= noise + ST_ci, noise = the replication noise's share of the
                variance of the design points' means. Needs --replications 2 or more.

    The time estimate scales ~6.5 s per replication of the full baseline cohort by cohort
    size and divides by the workers; it is an estimate only.

    """
    )
    + EXIT_CODES
)
"""The ``sensitivity --help`` epilog: examples, what it writes, how to read it, and the exit codes."""


def add_parser(sub: Any) -> None:
    """Add the ``sensitivity`` sub-parser to ``sub`` (the subparsers of ``run_sim.py``)."""
    sen = sub.add_parser(
        "sensitivity",
        formatter_class=Formatter,
        help="which ranged parameters drive each KPI (global sensitivity: Morris or Sobol, with SALib)",
        description=para(
            "Global sensitivity of the KPIs to the parameters' plausible ranges ('describe' lists "
            "them; a scenario's uncertainty: key narrows, widens or adds them). SALib samples a design "
            "over the ranges, every design point is simulated --replications times (replication k of "
            "every point uses the same random numbers), each KPI is averaged over the replications of "
            "a point and SALib analyses it. Given POLICY files, each policy is run at the same design "
            "points (a value the policy changes is its lever and keeps the policy's value; a scale "
            "multiplies the policy's own values too) and its "
            "paired difference from SCENARIO is analysed too: which assumptions decide whether the "
            "policy helps. Prints how many simulations it will run and an estimate of the time first."
        ),
        epilog=EPILOG,
    )
    sen.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario whose assumptions are varied")
    sen.add_argument(
        "policies",
        nargs="*",
        metavar="POLICY.yaml",
        help="policies whose paired difference from SCENARIO is analysed too",
    )
    _add_design_group(sen)
    add_design_options(
        sen,
        DEFAULTS.replications,
        "replications per design point (2 or more to estimate the noise)",
        "root random seed, and SALib's sampling seed",
        "results/sensitivity",
    )


def _add_design_group(sen: argparse.ArgumentParser) -> None:
    """The options that choose the SALib method, the parameters varied, the KPIs and the design's size."""
    g = sen.add_argument_group("design")
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
        help="'section': move the parameters of each top-level section (contact.*, detention.*, "
        "...) together as one factor (SALib groups): (sections + 1) points per Morris trajectory "
        "instead of (parameters + 1); rows of sensitivity.csv are then the groups",
    )
    g.add_argument(
        "--shortlist",
        metavar="FILE",
        help="(sobol) vary the top --top parameters of each KPI of a Morris run's sensitivity.csv",
    )
    g.add_argument(
        "--top",
        type=int_at_least(1, "parameters per KPI"),
        default=DEFAULTS.top,
        metavar="K",
        help="parameters per KPI taken from --shortlist",
    )
    g.add_argument(
        "--kpis",
        type=kpi_list,
        metavar="A,B",
        help="KPIs to analyse, comma-separated (default: the headline KPIs of summary_stats.csv)",
    )
    g.add_argument(
        "--trajectories",
        type=int_at_least(1, "Morris trajectories"),
        default=DEFAULTS.trajectories,
        metavar="R",
        help="(morris) trajectories: R x (k + 1) design points",
    )
    g.add_argument(
        "--levels",
        type=int_at_least(2, "Morris grid levels"),
        default=DEFAULTS.levels,
        metavar="P",
        help="(morris) grid levels of each range (even)",
    )
    g.add_argument(
        "--samples",
        type=int_at_least(2, "Sobol base samples"),
        default=DEFAULTS.samples,
        metavar="N",
        help="(sobol) base sample, a power of 2: N x (k + 2) design points",
    )
