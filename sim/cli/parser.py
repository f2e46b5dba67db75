"""The argument parser: the commands, their options, help texts and argument types.

Help is written for policy analysts: each command's help has examples, what it writes and the
exit codes. Each study's sub-parser is declared in its own ``sim/studies/<name>/cli.py`` and added
from the registry. This module imports nothing heavy, so ``--help`` starts quickly.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from sim.experiment.defaults import DEFAULT_ALPHA, DEFAULT_MAX_REPLICATIONS, DEFAULT_VALUE_PER_OUTCOME_GBP
from sim.studies.options import (
    EXIT_CODES,
    PROG,
    Formatter,
    add_run_options,
    int_at_least,
    non_negative_float,
    path_text,
    positive_float,
)
from sim.studies.registry import STUDIES

RUN_WRITES = """\
writes DIR/<scenario name>/:
  summary.csv          one row per replication: KPIs, activity counts, costs (GBP)
  summary_stats.csv    mean, 95% CI, sd and n of each headline KPI
  outcomes.csv         people in each state at the horizon, per replication
  timeseries.csv       people in each state every 7 days, per replication
  resources.csv        utilisation and queues of agents, caseworkers, tracers, teams, beds
  transitions.csv      moves between states by cause, per replication
  occupancy.csv        person-days and visits per state, per replication
  life_table.csv       outcomes and censorings by day since entry / first contact, per replication
  time_to_outcome.csv  cumulative incidence of each outcome by day (Aalen-Johansen, censored at
                       the horizon): clock, outcome, day, cumulative_incidence, 95% CI
  event_log.parquet    every person's state changes (only with --event-log)
  activity_log.parquet every contact attempt, offer, decision, visit... (only with --event-log)
  process_log.parquet  both logs as one process-mining log (case:concept:name, concept:name,
  process_log.xes.gz   time:timestamp, org:resource), as Parquet and gzipped XES (--event-log)
  *.png                plots (state flow, outcome spread, cumulative outcomes, time to outcome)
  .parts/              one folder per finished replication (used by --resume)
  .owner.json, .lock   whose folder this is (a run's), and its lock while being written
  scenario.yaml        the fully resolved scenario (every parameter, overrides applied)
  manifest.json        seed, replications, versions, git commit, timings, command line
A folder still containing .incomplete was not finished; manifest.json is written last."""


def command(sub: Any, name: str, help: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """Add command ``name``'s sub-parser: ``description`` (one paragraph) wrapped to 90 columns, the
    exit codes after ``epilog`` (examples, what it writes)."""
    return sub.add_parser(
        name,
        formatter_class=Formatter,
        help=help,
        description=textwrap.fill(description, 90),
        epilog=textwrap.dedent(epilog).rstrip("\n") + "\n\n" + EXIT_CODES,
    )


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05, got {text!r}") from None
    if not 0.0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"must lie in (0, 0.5], e.g. 0.05 for 95% intervals, got {text}")
    return value


def _target(text: str) -> tuple[str, float]:
    kpi, sep, width = text.partition("=")
    if not sep or not kpi.strip():
        raise argparse.ArgumentTypeError(f"expected KPI=WIDTH, e.g. departed_voluntary=50, got {text!r}")
    return kpi.strip(), positive_float("half-width in the KPI's unit")(width)


def _add_run(sub: Any) -> None:
    examples = f"""\
        examples:
          {PROG} run scenarios/baseline.yaml
          {PROG} run scenarios/baseline.yaml --horizon 120 --cohort-size 300 -n 5   (quick look)
          {PROG} run scenarios/baseline.yaml -n 100 --workers 8 --out results/big
          {PROG} run scenarios/baseline.yaml -n 100 --workers 8 --out results/big --resume

        """
    run = command(
        sub,
        "run",
        "run replications of one scenario and write its results",
        "Run replications of one scenario, write its tables, plots and manifest, and "
        "print the mean and 95% confidence interval of each headline KPI.",
        textwrap.dedent(examples) + RUN_WRITES,
    )
    run.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    add_run_options(run)


def _add_compare(sub: Any) -> None:
    cmp = command(
        sub,
        "compare",
        "run several scenarios with common random numbers and compare them with the first",
        "Run every scenario with the same seed and replication indices (common random "
        "numbers, so differences are measured on paired replications), write each scenario's "
        "folder as 'run' does, and compare each policy with the first file (the reference).",
        f"""\
        examples:
          {PROG} compare scenarios/baseline.yaml scenarios/remote_reporting.yaml
          {PROG} compare base.yaml a.yaml b.yaml -n 10 --workers 4 --out results/policies
          {PROG} compare base.yaml a.yaml --target-halfwidth departed_voluntary=50 \\
              --target-halfwidth total_cost_gbp=100000 --max-replications 300
          {PROG} compare scenarios/baseline.yaml scenarios/*.yaml --alpha 0.1
          {PROG} compare scenarios/baseline.yaml scenarios/*.yaml --select-best \\
              departed_voluntary --indifference 50 --max-replications 100
          {PROG} compare base.yaml a.yaml b.yaml --value-per-outcome 6000

        writes, in addition to each scenario's folder DIR/<scenario name>/ (see 'run --help'):
          DIR/comparison.csv   scenario, kpi, mean, ci_low, ci_high, diff_vs_reference,
                               diff_ci_low, diff_ci_high, diff_sim_ci_low, diff_sim_ci_high:
                               means and paired differences from the reference with
                               unadjusted and simultaneous (all policies of a KPI at once)
                               intervals at level 1 - ALPHA; the table's * and the forest
                               plot's filled dots use the simultaneous interval
          DIR/cost_effectiveness.csv   per policy and outcome (voluntary departures,
                               removals, both): d_cost, d_outcome with CIs, cost per extra
                               outcome (ratio of mean differences, Fieller CI; NaN bounds and
                               a cpo_note where the outcome difference is not distinguishable
                               from 0), net benefit at --value-per-outcome with CI
          DIR/time_to_outcome.csv   every scenario's time_to_outcome.csv, stacked
          DIR/*.png            comparison plots: outcomes, cumulative outcomes, differences
                               (forest plot), cost-effectiveness plane (cost_vs_outcomes.png),
                               time to outcome
          DIR/comparison_manifest.json   alpha, how the simultaneous intervals were made,
                               the --select-best outcome; written last
          DIR/report.html      the briefing report (with --report; see 'report --help')
        """,
    )
    cmp.add_argument("reference", metavar="REFERENCE.yaml", help="the reference scenario")
    cmp.add_argument("others", nargs="+", metavar="OTHER.yaml", help="scenarios to compare with it")
    add_run_options(cmp)
    _add_compare_statistics(cmp)


def _add_compare_statistics(cmp: argparse.ArgumentParser) -> None:
    """The options of ``compare`` that decide how many replications and how intervals, the best
    policy and the net benefit are computed."""
    g = cmp.add_argument_group("adaptive replications")
    g.add_argument(
        "--target-halfwidth",
        type=_target,
        action="append",
        default=[],
        metavar="KPI=WIDTH",
        help="keep adding batches of --replications until the 95%% CI half-width of the paired "
        "difference from the reference is below WIDTH for this KPI (a summary.csv column) for "
        "every policy; WIDTH is in the column's own unit (people, or GBP for costs); repeatable",
    )
    g.add_argument(
        "--max-replications",
        type=int_at_least(2, "replications per scenario"),
        metavar="N",
        help=f"cap for --target-halfwidth and --select-best (default {DEFAULT_MAX_REPLICATIONS})",
    )
    g = cmp.add_argument_group("statistics")
    g.add_argument(
        "--alpha",
        type=_alpha,
        default=DEFAULT_ALPHA,
        metavar="A",
        help="every interval of the comparison is at level 1 - A: comparison.csv (unadjusted and "
        "simultaneous), cost_effectiveness.csv, the forest plot and the cost-effectiveness plane; "
        "--select-best picks the best with probability at least 1 - A (scenario folders keep "
        "95%%)",
    )
    g = cmp.add_argument_group("which policy is best")
    g.add_argument(
        "--select-best",
        metavar="KPI",
        help="add batches of --replications until the KN ranking-and-selection procedure (valid "
        "with common random numbers) can name the best scenario on this KPI (a summary.csv column "
        "or departures_and_removals), or until --max-replications, when it says which are still "
        "in contention; the first batch estimates the variances (at least 10 advised)",
    )
    g.add_argument(
        "--indifference",
        type=positive_float("the KPI's unit"),
        metavar="DELTA",
        help="indifference zone for --select-best, in the KPI's unit (people, or GBP for costs): "
        "a scenario within DELTA of the best counts as best; required with --select-best",
    )
    direction = g.add_mutually_exclusive_group()
    direction.add_argument(
        "--maximize",
        dest="maximize",
        action="store_const",
        const=True,
        help="higher is better (default: the KPI's own direction, e.g. departures up, cost down)",
    )
    direction.add_argument(
        "--minimize", dest="maximize", action="store_const", const=False, help="lower is better"
    )
    g = cmp.add_argument_group("cost-effectiveness")
    g.add_argument(
        "--value-per-outcome",
        type=non_negative_float("GBP"),
        default=DEFAULT_VALUE_PER_OUTCOME_GBP,
        metavar="GBP",
        help="what one voluntary departure or removal is worth in the net benefit (value x extra "
        "outcomes - extra cost); the default is an assumption: the NAO's cost of one enforced "
        "removal (HC 76, 2005)",
    )


def _add_validate(sub: Any) -> None:
    val = command(
        sub,
        "validate",
        "check scenario files without running them",
        "Load and check each scenario file (and the files it extends): YAML syntax, "
        "known keys, types, ranges, distributions, shares summing to 1.",
        f"""\
        examples:
          {PROG} validate scenarios/baseline.yaml
          {PROG} validate scenarios/*.yaml

        prints 'OK <file> (<name>)' for each good file and each problem (file: parameter path:
        what is wrong; what is allowed) on stderr. Writes nothing.
        """,
    )
    val.add_argument("files", nargs="+", metavar="SCENARIO.yaml", help="scenario files")


def _add_report(sub: Any) -> None:
    rep = command(
        sub,
        "report",
        "write the briefing report (one self-contained HTML file) of a results folder",
        "Write one self-contained HTML file from a finished results folder of 'compare' (or "
        "'run'): the question and the policies compared, exactly which parameters each changes "
        "(with unit and source), the headline table with its intervals, the plots, "
        "cost-effectiveness, outcomes over time, sensitivity, uncertainty and calibration "
        "targets where the folder has them, the analyses of --with folders (sensitivity, "
        "uncertainty, sweep, targets, calibrate), the methods and a STRESS-DES checklist. Images are "
        "embedded and the styles inline: the file can be emailed and opened anywhere, offline.",
        f"""\
        examples:
          {PROG} report results
          {PROG} report results/policies --out briefing.html
          {PROG} compare scenarios/baseline.yaml scenarios/*.yaml --report   (run, then report)
          {PROG} report results --with results/sensitivity/baseline \\
              --with results/uncertainty/baseline

        writes RESULTS_DIR/report.html (or --out FILE), atomically. Each --with DIR adds a
        readable summary of that analysis to its section (sensitivity: the top 5 parameters of
        each KPI; uncertainty: each policy's difference across draws, P(better), P(best);
        sweep: each KPI at each value; targets: published against model; calibrate: the waves,
        the ranges not ruled out, each target against the emulated range), its figures, and a
        line under Methods saying what it varied. Exit code 2, and nothing written, if
        RESULTS_DIR is not a complete comparison or run folder (missing, or still holding
        .incomplete), or a --with DIR is not a finished folder of one of those five commands
        or its tables lack the columns that command writes.
        """,
    )
    rep.add_argument("results", metavar="RESULTS_DIR", help="results folder written by compare or run")
    rep.add_argument(
        "--out",
        "-o",
        type=path_text,
        metavar="FILE",
        help="where to write the report (default: RESULTS_DIR/report.html); an existing file is "
        "replaced only if it is a report this program wrote",
    )
    rep.add_argument(
        "--with",
        dest="with_dirs",
        action="append",
        metavar="DIR",
        help="also include a finished folder of 'sensitivity', 'uncertainty', 'sweep', 'targets' or "
        "'calibrate' (its kind is read from its manifest); repeat for several",
    )


def _add_describe(sub: Any) -> None:
    desc = command(
        sub,
        "describe",
        "print every parameter with its value, unit, source and the file that set it",
        "Print the resolved scenario as a parameter table: value, unit, documented "
        "source, and '[set in FILE]' for values set by the scenario file or a file it extends "
        "(the last file in the chain that sets a value is named). Values without it are the "
        "schema's defaults in sim/scenario/parameters.yaml: documented values, or calibrated ones "
        "(sim/scenario/calibration.yaml), as their source says.",
        f"""\
        examples:
          {PROG} describe scenarios/remote_reporting.yaml
          {PROG} describe scenarios/baseline.yaml --markdown > docs/parameters.md

        Writes nothing.
        """,
    )
    desc.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    desc.add_argument("--markdown", action="store_true", help="print a markdown table instead")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent(
            """\
            Simulate how the Home Office makes and keeps contact with people who have no leave
            to remain, for the policy variants described in scenario YAML files.

            A scenario file states only what differs from its parent ('extends: baseline.yaml')
            or from the schema's defaults (documented or calibrated values); 'describe' shows every
            parameter with its source."""
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} validate scenarios/*.yaml
              {PROG} describe scenarios/remote_reporting.yaml
              {PROG} run scenarios/baseline.yaml --horizon 120 --cohort-size 300 -n 5
              {PROG} compare scenarios/baseline.yaml scenarios/remote_reporting.yaml -w 4 --report
              {PROG} report results
              {PROG} targets -w 2
              {PROG} sweep scenarios/baseline.yaml --param detention.beds=10,20,40,80 -n 5 -w 2
              {PROG} sensitivity scenarios/baseline.yaml --cohort-size 2000 -w 2
              {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml -s 20 -n 2 -w 2
              {PROG} calibrate --cohort-size 5000 -w 2

            Use '{PROG} COMMAND --help' for each command's options and outputs.

            """
        )
        + EXIT_CODES,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_compare(sub)
    _add_validate(sub)
    _add_report(sub)
    for study in STUDIES:
        cli = study.cli
        cli.add_arguments(command(sub, study.command, cli.HELP, cli.DESCRIPTION, cli.EPILOG))
    _add_describe(sub)
    return parser
