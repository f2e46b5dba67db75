"""The argument parser: commands, options, help texts and argument types.

Help is written for policy analysts: each command's help has examples, what it writes and the
exit codes. Argument types reject bad values with a message naming what was expected; argparse
turns that into exit code 2 before anything runs. The defaults for replications and seed come
from ``sim.experiment.defaults``, the one place they are set. This module imports nothing heavy,
so ``--help`` starts quickly.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable
from typing import Any

from sim.experiment.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_MAX_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_VALUE_PER_OUTCOME_GBP,
)
from sim.studies.sweep.grid import FORMS, ParamSpec, parse_spec

PROG = "run_sim.py"
"""Program name shown in help, messages and manifests (the documented way to run the tool)."""
EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_WORKER_LOST = 3
EXIT_INTERRUPTED = 130

EXIT_CODES = """\
exit codes:
  0    success
  2    bad input: a scenario file (YAML syntax, unknown key, value out of range, ...) or a
       command-line value; the message names the file and the parameter path, and nothing
       is written
  3    a replication kept killing its worker process (out of memory, or killed); finished
       replications are kept, re-run the same command with --resume (e.g. with fewer
       --workers)
  130  interrupted (Ctrl-C); finished replications are kept, re-run with --resume"""

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
  scenario.yaml        the fully resolved scenario (every parameter, overrides applied)
  manifest.json        seed, replications, versions, git commit, timings, command line
A folder still containing .incomplete was not finished; manifest.json is written last."""


# ----------------------------------------------------------------------------------------------
# Argument types (each raises ArgumentTypeError, which argparse turns into exit code 2)
# ----------------------------------------------------------------------------------------------


def _int_at_least(low: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number ({what}), got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low} ({what}), got {value}")
        return value

    return parse


def _positive_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number ({what}), got {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a positive number ({what}), got {text}")
        return value

    return parse


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05, got {text!r}") from None
    if not 0.0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"must lie in (0, 0.5], e.g. 0.05 for 95% intervals, got {text}")
    return value


def _non_negative_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number ({what}), got {text!r}") from None
        if not (value >= 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be zero or a positive number ({what}), got {text}")
        return value

    return parse


def _target(text: str) -> tuple[str, float]:
    kpi, sep, width = text.partition("=")
    if not sep or not kpi.strip():
        raise argparse.ArgumentTypeError(f"expected KPI=WIDTH, e.g. departed_voluntary=50, got {text!r}")
    return kpi.strip(), _positive_float("half-width in the KPI's unit")(width)


# ----------------------------------------------------------------------------------------------
# The parser
# ----------------------------------------------------------------------------------------------


def _para(text: str) -> str:
    return textwrap.fill(text, 90)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-wrapped descriptions and epilogs; shows real defaults (not None/False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, False, [], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _param(text: str) -> ParamSpec:
    try:
        return parse_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _kpi_list(text: str) -> list[str]:
    names = [k.strip() for k in text.split(",")]
    if not text.strip() or any(not k for k in names):
        raise argparse.ArgumentTypeError(
            "expected KPI names separated by commas, e.g. removed_enforced,detention_rejections, "
            f"got {text!r}"
        )
    return names


def _add_executor_options(g: Any, what: str) -> None:
    """--workers and --scheduler, the same for every command that runs ``what`` (replications,
    simulations)."""
    g.add_argument(
        "--workers",
        "-w",
        type=_int_at_least(1, "worker processes"),
        default=1,
        metavar="W",
        help=f"run {what} on W local processes (results do not depend on W)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"run {what} on a Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need this "
        "package installed); 'local' starts a local cluster of W worker processes",
    )


def _add_run_options(p: argparse.ArgumentParser, sweep: bool = False, folder: str = "results/sweep") -> None:
    g = p.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=_int_at_least(1, "replications per scenario"),
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help="replications per scenario (replication k uses random streams (seed, k))"
        + (" and per grid point: the same streams at every point" if sweep else ""),
    )
    g.add_argument(
        "--seed",
        type=_int_at_least(0, "root seed"),
        default=DEFAULT_SEED,
        metavar="S",
        help="root random seed",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="reuse replications stored in DIR/<name>/.parts by an interrupted run with the same "
        "scenario, seed and model code (others are discarded with a warning)",
    )
    g = p.add_argument_group("quick looks (recorded in manifest.json)")
    g.add_argument(
        "--horizon",
        type=_positive_float("days"),
        metavar="DAYS",
        help="override horizon_days, e.g. 120",
    )
    g.add_argument(
        "--cohort-size",
        type=_int_at_least(0, "people"),
        metavar="N",
        help="override cohort.initial_size, e.g. 300",
    )
    _add_executor_options(p.add_argument_group("execution"), "replications")
    g = p.add_argument_group("output")
    if sweep:
        g.add_argument(
            "--out", "-o", metavar="DIR", help=f"output folder (default: {folder}/<scenario name>)"
        )
        g.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
        g.add_argument("--quiet", "-q", action="store_true", help="no estimate, progress bar or result table")
        p.set_defaults(event_log=False, report=False, with_dirs=None)
        return
    g.add_argument("--out", "-o", default="results", metavar="DIR", help="output folder")
    g.add_argument(
        "--event-log",
        action="store_true",
        help="also write the per-person logs (large): event_log.parquet (state changes), "
        "activity_log.parquet (contact attempts, offers, decisions, visits...) and both combined for "
        "process mining as process_log.parquet and process_log.xes.gz (pm4py.read_xes reads it)",
    )
    g.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    g.add_argument(
        "--report",
        action="store_true",
        help="also write DIR/report.html, the self-contained briefing report (as the 'report' command)",
    )
    g.add_argument(
        "--with",
        dest="with_dirs",
        action="append",
        metavar="DIR",
        help="with --report: also include this finished folder of 'sensitivity', 'uncertainty', "
        "'sweep', 'targets' or 'calibrate' in the report (checked before anything runs; repeatable)",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no result table")


def _add_design_options(
    p: argparse.ArgumentParser, replications_help: str, seed_help: str, folder: str
) -> None:
    """The options ``sensitivity`` and ``calibrate`` share: a design of points, each replicated,
    stored in ``DIR/.design`` as it runs."""
    g = p.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=_int_at_least(1, "replications per design point"),
        default=2,
        metavar="N",
        help=replications_help,
    )
    g.add_argument(
        "--seed",
        type=_int_at_least(0, "root seed"),
        default=DEFAULT_SEED,
        metavar="S",
        help=seed_help,
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="reuse the simulations stored in DIR/.design by an interrupted run (same design, seed "
        "and model code)",
    )
    g = p.add_argument_group("quick looks (recorded in the manifest)")
    g.add_argument("--horizon", type=_positive_float("days"), metavar="DAYS", help="override horizon_days")
    g.add_argument(
        "--cohort-size", type=_int_at_least(0, "people"), metavar="N", help="override cohort.initial_size"
    )
    g = p.add_argument_group("execution and output")
    _add_executor_options(g, "simulations")
    g.add_argument("--out", "-o", metavar="DIR", help=f"output folder (default: {folder}/<scenario name>)")
    g.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


def _add_sensitivity(sub: Any) -> None:
    sen = sub.add_parser(
        "sensitivity",
        formatter_class=_Formatter,
        help="which ranged parameters drive each KPI (global sensitivity: Morris or Sobol, with SALib)",
        description=_para(
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
        epilog=textwrap.dedent(
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
        + EXIT_CODES,
    )
    sen.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario whose assumptions are varied")
    sen.add_argument(
        "policies",
        nargs="*",
        metavar="POLICY.yaml",
        help="policies whose paired difference from SCENARIO is analysed too",
    )
    g = sen.add_argument_group("design")
    g.add_argument("--method", choices=("morris", "sobol"), default="morris", help="SALib method")
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
        choices=("none", "section"),
        default="none",
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
        type=_int_at_least(1, "parameters per KPI"),
        default=5,
        metavar="K",
        help="parameters per KPI taken from --shortlist",
    )
    g.add_argument(
        "--kpis",
        type=_kpi_list,
        metavar="A,B",
        help="KPIs to analyse, comma-separated (default: the headline KPIs of summary_stats.csv)",
    )
    g.add_argument(
        "--trajectories",
        type=_int_at_least(1, "Morris trajectories"),
        default=10,
        metavar="R",
        help="(morris) trajectories: R x (k + 1) design points",
    )
    g.add_argument(
        "--levels",
        type=_int_at_least(2, "Morris grid levels"),
        default=4,
        metavar="P",
        help="(morris) grid levels of each range (even)",
    )
    g.add_argument(
        "--samples",
        type=_int_at_least(2, "Sobol base samples"),
        default=64,
        metavar="N",
        help="(sobol) base sample, a power of 2: N x (k + 2) design points",
    )
    _add_design_options(
        sen,
        "replications per design point (2 or more to estimate the noise)",
        "root random seed, and SALib's sampling seed",
        "results/sensitivity",
    )


def _role_list(text: str) -> list[str]:
    names = [k.strip() for k in text.split(",")]
    if not text.strip() or any(not k for k in names):
        raise argparse.ArgumentTypeError(
            f"expected roles separated by commas, e.g. calibration,parameter, got {text!r}"
        )
    return names


def _add_calibrate(sub: Any) -> None:
    cal = sub.add_parser(
        "calibrate",
        formatter_class=_Formatter,
        help="which parameter values the published figures do not rule out (history matching)",
        description=_para(
            "Calibration with uncertainty by history matching. The scenario's ranged parameters that "
            "the validation targets depend on (or those chosen with --params) are run at a Latin "
            "hypercube of design points; a Gaussian-process emulator (scikit-learn) of each target's "
            "measure predicts it anywhere in the ranges, with its uncertainty; every candidate whose "
            "implausibility (distance from the published figure in standard deviations of the "
            "observation, model-discrepancy, emulator and simulation uncertainty) exceeds the cut-off "
            "for any target is ruled out. Later waves run design points in what is left and refit. "
            "The result is the set of parameter values not ruled out, which 'uncertainty "
            "--from-calibration' samples instead of the raw ranges. Prints how many simulations it "
            "will run and an estimate of the time first."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} calibrate --cohort-size 5000 --waves 3 -n 2 -w 2
              {PROG} calibrate scenarios/baseline.yaml --params 'contact.*' --roles calibration
              {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
                  --from-calibration results/calibration/baseline/calibration.csv

            targets: those of --targets-file (validation/targets.yaml) computed on SCENARIO, with a
            role of --roles (calibration and parameter by default: validation targets stay out of
            the fit and are checked afterwards, out of sample).
            parameters: by default the ones each target's measure depends on directly (for the
            baseline: the three calibrated values and six related assumptions); an emulator in many
            more dimensions needs far more simulations than a calibration can afford.

            implausibility of x for a target with published value z:
              I(x) = |z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_sim)
              V_obs   (tolerance / 3)^2: the target's tolerance read as 3 sd, so with no other
                      uncertainty the cut-off 3 keeps exactly the means within tolerance
              V_disc  (DISCREPANCY x tolerance)^2: model discrepancy
              V_em    the emulator's variance of the mean at x
              V_sim   the variance of one replication (the published figure is one realisation)
              x is ruled out if the largest I over the targets exceeds --cutoff (3: Pukelsheim's
              3-sigma rule). One-sided targets count only a shortfall or an excess.

            writes DIR (default results/calibration/<scenario name>):
              calibration.csv          the parameter sets not ruled out (one row per kept
                                       candidate): parameter paths, max_implausibility, wave
              calibration_runs.csv     every simulated point: wave, point, parameters,
                                       replications, <measure>_mean and <measure>_sd
              calibration_waves.csv    per wave and measure: points, simulations, candidates,
                                       box_share, nroy_candidates, nroy_share (estimated share of
                                       the original space not ruled out), loo_within_3sd and
                                       loo_rmse (leave-one-out check of the emulator),
                                       replication_sd
              calibration_targets.csv  per target: role, used, published, tolerance, the emulated
                                       range over the sets kept and the share of them within
                                       tolerance, the last wave's simulated range
              calibration_waves.png, calibration_ranges.png, calibration_pairs.png
              calibration_manifest.json   targets, parameters, design, implausibility terms, seeds,
                                       versions, command line (written last)
              .design/                 every finished simulation's measures (used by --resume)

            If every candidate is ruled out, calibration.csv has no rows and the summary names the
            closest candidate and the target it misses (exit code 0: that is a finding).

            """
        )
        + EXIT_CODES,
    )
    cal.add_argument(
        "scenario",
        nargs="?",
        default="scenarios/baseline.yaml",
        metavar="SCENARIO.yaml",
        help="the scenario whose ranged parameters are matched to its targets",
    )
    g = cal.add_argument_group("targets and parameters")
    g.add_argument(
        "--targets-file", metavar="FILE", help="the targets table (default: validation/targets.yaml)"
    )
    g.add_argument(
        "--roles",
        type=_role_list,
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
    g = cal.add_argument_group("history matching")
    g.add_argument(
        "--waves", type=_int_at_least(1, "waves of simulations"), default=3, metavar="K", help="waves"
    )
    g.add_argument(
        "--points",
        type=_int_at_least(4, "design points per wave"),
        metavar="N",
        help="design points per wave (default: 10 per parameter)",
    )
    g.add_argument(
        "--candidates",
        type=_int_at_least(10, "candidate points per wave"),
        default=20_000,
        metavar="M",
        help="candidates per wave at which the emulators are evaluated (cheap)",
    )
    g.add_argument(
        "--cutoff",
        type=_positive_float("implausibility cut-off, in standard deviations"),
        default=3.0,
        metavar="C",
        help="rule out a point whose largest implausibility exceeds C",
    )
    g.add_argument(
        "--discrepancy",
        type=_non_negative_float("model-discrepancy sd as a fraction of the tolerance"),
        default=0.1,
        metavar="F",
        help="model-discrepancy sd as a fraction of each target's tolerance",
    )
    _add_design_options(
        cal,
        "replications per design point (replication k uses the streams (seed, k) at every point)",
        "root random seed, and the seed of the designs",
        "results/calibration",
    )


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

    run = sub.add_parser(
        "run",
        formatter_class=_Formatter,
        help="run replications of one scenario and write its results",
        description=_para(
            "Run replications of one scenario, write its tables, plots and manifest, and "
            "print the mean and 95% confidence interval of each headline KPI."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} run scenarios/baseline.yaml
              {PROG} run scenarios/baseline.yaml --horizon 120 --cohort-size 300 -n 5   (quick look)
              {PROG} run scenarios/baseline.yaml -n 100 --workers 8 --out results/big
              {PROG} run scenarios/baseline.yaml -n 100 --workers 8 --out results/big --resume

            """
        )
        + RUN_WRITES
        + "\n\n"
        + EXIT_CODES,
    )
    run.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    _add_run_options(run)

    cmp = sub.add_parser(
        "compare",
        formatter_class=_Formatter,
        help="run several scenarios with common random numbers and compare them with the first",
        description=_para(
            "Run every scenario with the same seed and replication indices (common random "
            "numbers, so differences are measured on paired replications), write each scenario's "
            "folder as 'run' does, and compare each policy with the first file (the reference)."
        ),
        epilog=textwrap.dedent(
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

            """
        )
        + EXIT_CODES,
    )
    cmp.add_argument("reference", metavar="REFERENCE.yaml", help="the reference scenario")
    cmp.add_argument("others", nargs="+", metavar="OTHER.yaml", help="scenarios to compare with it")
    _add_run_options(cmp)
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
        type=_int_at_least(2, "replications per scenario"),
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
        type=_positive_float("the KPI's unit"),
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
        type=_non_negative_float("GBP"),
        default=DEFAULT_VALUE_PER_OUTCOME_GBP,
        metavar="GBP",
        help="what one voluntary departure or removal is worth in the net benefit (value x extra "
        "outcomes - extra cost); the default is an assumption: the NAO's cost of one enforced "
        "removal (HC 76, 2005)",
    )

    val = sub.add_parser(
        "validate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="check scenario files without running them",
        description=_para(
            "Load and check each scenario file (and the files it extends): YAML syntax, "
            "known keys, types, ranges, distributions, shares summing to 1."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} validate scenarios/baseline.yaml
              {PROG} validate scenarios/*.yaml

            prints 'OK <file> (<name>)' for each good file and each problem (file: parameter path:
            what is wrong; what is allowed) on stderr. Writes nothing.

            """
        )
        + EXIT_CODES,
    )
    val.add_argument("files", nargs="+", metavar="SCENARIO.yaml", help="scenario files")

    rep = sub.add_parser(
        "report",
        formatter_class=_Formatter,
        help="write the briefing report (one self-contained HTML file) of a results folder",
        description=_para(
            "Write one self-contained HTML file from a finished results folder of 'compare' (or "
            "'run'): the question and the policies compared, exactly which parameters each changes "
            "(with unit and source), the headline table with its intervals, the plots, "
            "cost-effectiveness, outcomes over time, sensitivity, uncertainty and calibration "
            "targets where the folder has them, the analyses of --with folders (sensitivity, "
            "uncertainty, sweep, targets, calibrate), the methods and a STRESS-DES checklist. Images are "
            "embedded and the styles inline: the file can be emailed and opened anywhere, offline."
        ),
        epilog=textwrap.dedent(
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

            """
        )
        + EXIT_CODES,
    )
    rep.add_argument("results", metavar="RESULTS_DIR", help="results folder written by compare or run")
    rep.add_argument(
        "--out", "-o", metavar="FILE", help="where to write the report (default: RESULTS_DIR/report.html)"
    )
    rep.add_argument(
        "--with",
        dest="with_dirs",
        action="append",
        metavar="DIR",
        help="also include a finished folder of 'sensitivity', 'uncertainty', 'sweep', 'targets' or "
        "'calibrate' (its kind is read from its manifest); repeat for several",
    )

    tgt = sub.add_parser(
        "targets",
        formatter_class=_Formatter,
        help="compare the model with every published figure in the validation targets table",
        description=_para(
            "Run the scenarios named in the validation targets table (validation/targets.yaml: "
            "each published figure, its source and period, the model measure that corresponds, the "
            "scenario it is computed on, and a tolerance with its reason), compute each measure per "
            "replication from the scenario's results folder, and compare its mean and 95% t interval "
            "with the published figure. With no SCENARIO every scenario of the table is run; with "
            "some, only the targets on those scenarios are evaluated. Each scenario's folder is "
            "written as 'run' does (so --resume reuses finished replications)."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} targets
              {PROG} targets scenarios/baseline.yaml -n 10 --workers 2
              {PROG} targets --out results/targets --resume

            writes:
              DIR/targets.csv      one row per target: target, source, published, model_mean,
                                   model_ci_low, model_ci_high, tolerance, within, then role
                                   (calibration: the model was calibrated to it; parameter: a
                                   parameter was set from it; validation: used for nothing, an
                                   out-of-sample check), comparison, ci_overlaps, n (replications
                                   used), measure, scenario and note (e.g. a column this model
                                   version does not write: the row is then not computed). Values
                                   are on the model's scale (shares as 0.45)
              DIR/targets.png      per target: the published figure (diamond), the model mean with
                                   its 95% CI, the tolerance band (shares in %)
              DIR/targets_manifest.json   targets file, scenarios, seed, replications, command
              DIR/<scenario name>/ each scenario's results folder (see 'run --help')

            how to read 'within' (decided on the model mean, not its interval):
              two_sided  |model_mean - published| <= tolerance
              at_least   model_mean >= published - tolerance  (a published floor, e.g. a contract
                         service level "at least 18%")
              at_most    model_mean <= published + tolerance  (a published ceiling)
              A mean that cannot be computed is not within. 'ci_overlaps' says whether the 95% CI
              meets the tolerance band at all: 'within' false with 'ci_overlaps' true is a near
              miss. The tolerance (and its reason, in the targets file) says how far the published
              figure can be trusted to describe what the model measures; a calibration target
              being within says little, a validation target being within says more.

            The exit code is 0 whatever 'within' says (the table is there to be read); 2 for a bad
            targets file or scenario file (file, field path, what is wrong; nothing run or written).

            """
        )
        + EXIT_CODES,
    )
    tgt.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO.yaml",
        help="evaluate only the targets on these scenario files (default: every scenario the table names)",
    )
    tgt.add_argument(
        "--targets-file",
        metavar="FILE",
        help="the targets table (default: validation/targets.yaml of this repository)",
    )
    g = tgt.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=_int_at_least(2, "replications per scenario; 2 or more for an interval"),
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help="replications per scenario (replication k uses random streams (seed, k))",
    )
    g.add_argument(
        "--seed",
        type=_int_at_least(0, "root seed"),
        default=DEFAULT_SEED,
        metavar="S",
        help="root random seed",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="reuse replications stored in DIR/<name>/.parts by an earlier run with the same scenario, "
        "seed and model code",
    )
    g = tgt.add_argument_group("execution and output")
    g.add_argument(
        "--workers",
        "-w",
        type=_int_at_least(1, "worker processes"),
        default=1,
        metavar="W",
        help="run replications on W local processes (results do not depend on W)",
    )
    g.add_argument("--out", "-o", default="results/targets", metavar="DIR", help="output folder")
    g.add_argument(
        "--no-plots", action="store_true", help="skip the PNG plots (targets.png and each scenario's)"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no result table")
    tgt.set_defaults(scheduler=None, event_log=False, horizon=None, cohort_size=None, report=False)

    swp = sub.add_parser(
        "sweep",
        formatter_class=_Formatter,
        help="response curves: each KPI against one parameter (or a grid of two), with 95%% bands",
        description=_para(
            "Run the scenario at every value of one parameter (or every pair of values of two), with "
            "the same seed and replication indices at every grid point (common random numbers, so "
            "differences between points are measured on paired replications), and write each KPI's "
            "mean and 95% t interval against the value: sweep.csv and one plot per KPI. Before "
            "starting it prints how many simulations it will run and an estimate of the time."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} sweep scenarios/baseline.yaml --param detention.beds=10,20,40,80 \\
                  --replications 5 --cohort-size 20000 --workers 2
              {PROG} sweep scenarios/baseline.yaml --param detention.beds=20:120:6 \\
                  --kpis removed_enforced,detention_rejections_no_bed
              {PROG} sweep scenarios/baseline.yaml --param reporting.abscond_hazard_per_day=0.001,0.002 \\
                  --param detention.beds=20,60 -n 10 -w 2
              {PROG} sweep scenarios/baseline.yaml --param detention.removal_planning_days.mean=15,30,60

            --param PATH=V1,V2,...  or  PATH=LO:HI:N (N evenly spaced values from LO to HI)
              PATH is a numeric parameter as 'describe' lists it (detention.beds,
              cohort.already_departed_share, ...) or a field of a distribution
              (detention.removal_planning_days.mean keeps the distribution's other fields). A whole
              number parameter takes whole numbers (a range is rounded). Each value must be one the
              scenario file could hold. Give --param twice for a 2-D grid (every pair of values).
              The value in force is the scenario's from day 0; 'changes' from a later day still apply.

            writes DIR (default results/sweep/<scenario name>):
              DIR/sweep.csv        param, value, [param2, value2,] kpi, mean, ci_low, ci_high, n, then
                                   diff_vs_first, diff_ci_low, diff_ci_high (the paired difference
                                   from the first grid point, 95% t interval) and scenario (the grid
                                   point's folder); every KPI of the registry, or --kpis
              DIR/sweep_<kpi>.png  mean and 95% band against the value, one per KPI (--kpis, else the
                                   headline KPIs of 'compare'); a 2-D grid has one labelled line per
                                   value of the second parameter
              DIR/<scenario>__<path>_<value>/   each grid point's results folder, as 'run' writes
                                   it (tables and manifest, no plots; --resume reuses its .parts)
              DIR/sweep_manifest.json   parameters, values, grid points, seed, code version,
                                   command line; written last (DIR holds .incomplete until then)

            """
        )
        + EXIT_CODES,
    )
    swp.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    g = swp.add_argument_group("the sweep")
    g.add_argument(
        "--param",
        "-p",
        type=_param,
        action="append",
        default=[],
        metavar="PATH=VALUES",
        help=f"the parameter and its values: {FORMS}; twice for a 2-D grid",
    )
    g.add_argument(
        "--kpis",
        type=_kpi_list,
        metavar="A,B,...",
        help="KPIs of sweep.csv and the plots (summary.csv columns or departures_and_removals) "
        "(default: every KPI in sweep.csv, the headline KPIs plotted)",
    )
    _add_run_options(swp, sweep=True)

    unc = sub.add_parser(
        "uncertainty",
        formatter_class=_Formatter,
        help="how sure is each policy difference when the assumptions vary (probabilistic sensitivity)",
        description=_para(
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
        epilog=textwrap.dedent(
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
        + EXIT_CODES,
    )
    unc.add_argument(
        "reference", metavar="REFERENCE.yaml", help="the reference scenario (its ranges are drawn)"
    )
    unc.add_argument("policies", nargs="+", metavar="POLICY.yaml", help="the policies compared with it")
    g = unc.add_argument_group("the draws")
    g.add_argument(
        "--samples",
        "-s",
        type=_int_at_least(2, "draws of the ranged parameters"),
        default=20,
        metavar="N",
        help="Latin-hypercube draws of the ranged parameters",
    )
    g.add_argument(
        "--kpis",
        type=_kpi_list,
        metavar="A,B,...",
        help="KPIs summarised (summary.csv columns or departures_and_removals) (default: the headline KPIs)",
    )
    _add_run_options(unc, sweep=True, folder="results/uncertainty")
    unc.set_defaults(replications=2)
    g = unc.add_argument_group("calibrated draws")
    g.add_argument(
        "--from-calibration",
        metavar="FILE",
        help="draw the parameters of FILE (a calibration.csv of 'calibrate') from its rows, the sets "
        "not ruled out, instead of their raw ranges (rows sampled with the seed, without replacement "
        "when FILE has at least --samples rows); the other ranged parameters are drawn as usual",
    )
    _add_sensitivity(sub)
    _add_calibrate(sub)

    desc = sub.add_parser(
        "describe",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="print every parameter with its value, unit, source and the file that set it",
        description=_para(
            "Print the resolved scenario as a parameter table: value, unit, documented "
            "source, and '[set in FILE]' for values set by the scenario file or a file it extends "
            "(the last file in the chain that sets a value is named). Values without it are the "
            "schema's defaults in sim/scenario/schema.py: documented values, or calibrated ones "
            "(sim/scenario/calibration.yaml), as their source says."
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} describe scenarios/remote_reporting.yaml
              {PROG} describe scenarios/baseline.yaml --markdown > docs/parameters.md

            Writes nothing.

            """
        )
        + EXIT_CODES,
    )
    desc.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    desc.add_argument("--markdown", action="store_true", help="print a markdown table instead")
    return parser


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "PROG",
    "RUN_WRITES",
    "build_parser",
]
