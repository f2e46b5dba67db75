"""Command line: run, compare, validate and describe scenario files.

    python run_sim.py run SCENARIO.yaml [options]
    python run_sim.py compare REFERENCE.yaml OTHER.yaml... [options]
    python run_sim.py validate SCENARIO.yaml...
    python run_sim.py describe SCENARIO.yaml [--markdown]

Exit codes: 0 success; 2 bad input (a scenario file or a command-line value), reported on stderr
without a traceback and before anything is written; 130 interrupted (finished replications are
kept for ``--resume``). Any other failure is a bug and shows a traceback.

This is the only module of ``sim`` that prints.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sim.experiment.defaults import DEFAULT_MAX_REPLICATIONS, DEFAULT_REPLICATIONS, DEFAULT_SEED
from sim.scenario.loading import ScenarioError, load_scenario, load_scenarios

if TYPE_CHECKING:
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario

# The simulation, pandas and scipy are imported only by the commands that run something, so
# 'validate' and '--help' start quickly.

PROG = "run_sim.py"
EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

EXIT_CODES = """\
exit codes:
  0    success
  2    bad input: a scenario file (YAML syntax, unknown key, value out of range, ...) or a
       command-line value; the message names the file and the parameter path, and nothing
       is written
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
  event_log.parquet    every person's state changes (only with --event-log)
  *.png                plots (state flow, outcome spread, cumulative outcomes)
  scenario.yaml        the fully resolved scenario (every parameter, overrides applied)
  manifest.json        seed, replications, versions, git commit, timings, command line
  .parts/              one file per finished replication (used by --resume)
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


def _add_run_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=_int_at_least(1, "replications per scenario"),
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
    g = p.add_argument_group("execution")
    g.add_argument(
        "--workers",
        "-w",
        type=_int_at_least(1, "worker processes"),
        default=1,
        metavar="W",
        help="run replications on W local processes (results do not depend on W)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run replications on a Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need this "
        "package installed); 'local' starts a local cluster of W worker processes",
    )
    g = p.add_argument_group("output")
    g.add_argument("--out", "-o", default="results", metavar="DIR", help="output folder")
    g.add_argument("--event-log", action="store_true", help="also write event_log.parquet (large)")
    g.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no result table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent(
            """\
            Simulate how the Home Office makes and keeps contact with people who have no leave
            to remain, for the policy variants described in scenario YAML files.

            A scenario file states only what differs from its parent ('extends: baseline.yaml')
            or from the documented defaults; 'describe' shows every parameter with its source."""
        ),
        epilog=textwrap.dedent(
            f"""\
            examples:
              {PROG} validate scenarios/*.yaml
              {PROG} describe scenarios/remote_reporting.yaml
              {PROG} run scenarios/baseline.yaml --horizon 120 --cohort-size 300 -n 5
              {PROG} compare scenarios/baseline.yaml scenarios/remote_reporting.yaml -w 4

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

            writes, in addition to each scenario's folder DIR/<scenario name>/ (see 'run --help'):
              DIR/comparison.csv   scenario, kpi, mean, ci_low, ci_high, diff_vs_reference,
                                   diff_ci_low, diff_ci_high (paired differences, 95% CI)
              DIR/*.png            comparison plots (outcomes, cumulative outcomes, differences,
                                   cost against outcomes)
              DIR/comparison_manifest.json   written last

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
        "every policy; repeatable",
    )
    g.add_argument(
        "--max-replications",
        type=_int_at_least(2, "replications per scenario"),
        metavar="N",
        help=f"cap for --target-halfwidth (default {DEFAULT_MAX_REPLICATIONS})",
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

    desc = sub.add_parser(
        "describe",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="print every parameter with its value, unit, source and the file that set it",
        description=_para(
            "Print the resolved scenario as a parameter table: value, unit, documented "
            "source, and '[set in FILE]' for values set by the scenario file or a file it extends "
            "(the last file in the chain that sets a value is named). Values without it are the "
            "documented defaults in sim/scenario/schema.py."
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


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


class _BadInput(Exception):
    """A command-line value that cannot be used (reported with exit code 2)."""


def _error(text: str) -> int:
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _scenario_error(exc: ScenarioError) -> int:
    print(str(exc), file=sys.stderr)
    return EXIT_BAD_INPUT


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.horizon is not None:
        overrides["horizon_days"] = args.horizon
    if args.cohort_size is not None:
        overrides["cohort"] = {"initial_size": args.cohort_size}
    return overrides


def _flat(overrides: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            out += _flat(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}={value:g}" if isinstance(value, float) else f"{prefix}{key}={value}")
    return out


def _apply_overrides(scenarios: Sequence[Scenario], overrides: Mapping[str, Any]) -> list[Scenario]:
    if not overrides:
        return list(scenarios)
    out = []
    for s in scenarios:
        try:
            out.append(s.with_overrides(dict(overrides)))
        except ValidationError as exc:
            lines = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise _BadInput(f"override {', '.join(_flat(overrides))} is invalid: {lines}") from None
    return out


class _Progress:
    """A tqdm bar over replications on stderr; off with --quiet or when stderr is not a terminal.

    The bar is created at the first report, when the number of replications is known.
    """

    def __init__(self, quiet: bool, desc: str) -> None:
        self.quiet = quiet
        self.desc = desc
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=total,
                initial=done,
                desc=self.desc,
                unit="rep",
                file=sys.stderr,
                disable=True if self.quiet else None,  # None: shown only when stderr is a terminal
                dynamic_ncols=True,
                leave=False,
            )
            return
        bar = self.bar
        if bar.total != total:
            bar.total = total
            bar.refresh()
        if done > bar.n:
            bar.update(done - bar.n)

    def message(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _name_problem(file: str, scenario: Scenario) -> str | None:
    """'.', '..' and hidden names pass the schema's pattern but cannot be output folders."""
    if not scenario.name.startswith("."):
        return None
    return (
        f"{file}: name: got {scenario.name!r}; the name is the output folder: use letters, digits, "
        "'_', '-' and '.' (not first)"
    )


def _prepare_run(
    files: Sequence[str], args: argparse.Namespace
) -> tuple[list[Scenario], dict[str, Any]] | int:
    """Every scenario loaded, validated and overridden, or the exit code after reporting why.

    A file named twice (``compare scenarios/baseline.yaml scenarios/*.yaml``) is run once, at
    its first position, so the reference stays first.
    """
    unique: dict[str, str] = {}
    for file in files:
        unique.setdefault(os.path.realpath(file), file)
    files = list(unique.values())
    try:
        scenarios = load_scenarios(files)
    except ScenarioError as exc:
        return _scenario_error(exc)
    for file, scenario in zip(files, scenarios, strict=True):
        problem = _name_problem(file, scenario)
        if problem:
            return _error(problem)
    overrides = _overrides(args)
    try:
        scenarios = _apply_overrides(scenarios, overrides)
    except _BadInput as exc:
        return _error(str(exc))
    return scenarios, overrides


def _execute(
    scenarios: Sequence[Scenario],
    overrides: dict[str, Any],
    args: argparse.Namespace,
    argv: Sequence[str],
    compare_mode: bool,
) -> ExperimentResult | int:
    from sim.experiment.output import PARTS_DIR
    from sim.experiment.run import ExperimentError, run_experiment

    targets = dict(getattr(args, "target_halfwidth", []) or [])
    progress = _Progress(args.quiet, "replications")
    try:
        return run_experiment(
            scenarios,
            args.out,
            replications=args.replications,
            root_seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            keep_log=args.event_log,
            resume=args.resume,
            plots=not args.no_plots,
            compare_mode=compare_mode,
            targets=targets,
            max_replications=getattr(args, "max_replications", None),
            overrides=overrides,
            command_line=[PROG, *argv],
            on_progress=progress,
            on_message=progress.message,
        )
    except ExperimentError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        progress.close()
        kept = ", ".join(str(Path(args.out) / s.name / PARTS_DIR) for s in scenarios)
        print(
            f"\n{PROG}: interrupted. Finished replications are kept in {kept}; "
            "re-run the same command with --resume to continue.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        progress.close()


def _header(scenario: Scenario, result: ExperimentResult, overrides: Mapping[str, Any]) -> str:
    bits = [
        f"{result.replications} replication{'s' if result.replications != 1 else ''}",
        f"seed {result.runs[0].manifest['root_seed']}",
        f"horizon {scenario.horizon_days:g} days",
        f"cohort {scenario.cohort.initial_size:,}",
    ]
    text = f"{scenario.label} ({scenario.name}): " + ", ".join(bits)
    if overrides:
        text += "\noverrides: " + ", ".join(_flat(overrides))
    return text


def _footer(result: ExperimentResult, where: Path) -> str:
    ran = result.ran_this_time
    resumed = result.replications * len(result.runs) - ran
    how = result.executor if result.executor == "serial" else f"{result.executor}, {result.workers} workers"
    text = f"Results in {where}{os.sep} ({ran} replication{'' if ran == 1 else 's'} run"
    if resumed:
        text += f", {resumed} resumed"
    return text + f"; {result.wall_seconds:.1f} s; {how})"


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    prepared = _prepare_run([args.scenario], args)
    if isinstance(prepared, int):
        return prepared
    scenarios, overrides = prepared
    result = _execute(scenarios, overrides, args, argv, compare_mode=False)
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.analysis.tables import format_kpi_table

        run = result.runs[0]
        print(_header(run.scenario, result, overrides))
        print()
        assert run.stats is not None
        print(format_kpi_table(run.stats), end="")
        print()
        print(_footer(result, run.folder))
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    prepared = _prepare_run([args.reference, *args.others], args)
    if isinstance(prepared, int):
        return prepared
    scenarios, overrides = prepared
    result = _execute(scenarios, overrides, args, argv, compare_mode=True)
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.analysis.tables import format_comparison_table

        ref = scenarios[0]
        print(
            f"Comparison with {result.labels[ref.name]} ({ref.name}): {result.replications} paired "
            f"replications per policy, seed {args.seed} (common random numbers)"
        )
        if overrides:
            print("overrides: " + ", ".join(_flat(overrides)))
        print(
            "Reference row: means per replication. Other rows: paired difference from the reference;"
            " * = its 95% CI excludes 0. Means and CIs of every KPI: comparison.csv"
        )
        print()
        assert result.comparison is not None
        names = [s.name for s in scenarios]
        print(format_comparison_table(result.comparison, names, result.labels), end="")
        if result.adaptive is not None:
            print()
            print(_adaptive_text(result.adaptive, result.replications))
        print()
        print(_footer(result, Path(args.out)))
    return EXIT_OK


def _adaptive_text(adaptive: Mapping[str, Any], n: int) -> str:
    state = "all targets met" if adaptive["met"] else f"stopped at the cap of {adaptive['max_replications']}"
    lines = [f"Adaptive replications: {state} after {n} replications per policy."]
    for name, widths in adaptive["halfwidths"].items():
        for kpi, width in widths.items():
            target = adaptive["targets"][kpi]
            mark = "ok" if width < target else "not met"
            lines.append(f"  {name}: {kpi} half-width {width:,.4g} (target {target:,.4g}) {mark}")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for file in args.files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"ERROR {problem}", file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        problem = _name_problem(file, scenario)
        if problem:
            print(f"ERROR {problem}", file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        print(f"OK {file} ({scenario.name})")
    return code


def cmd_describe(args: argparse.Namespace) -> int:
    from sim.scenario.describe import extends_chain, markdown_table, render_text, value_sources

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return _scenario_error(exc)
    chain = extends_chain(args.scenario)
    sources = value_sources(args.scenario)
    if args.markdown:
        print(f"# {scenario.label} (`{scenario.name}`)\n")
        if scenario.description:
            print(scenario.description.strip() + "\n")
        print("Files: " + " → ".join(f"`{f}`" for f in chain) + "\n")
        print(markdown_table(scenario, sources), end="")
        return EXIT_OK
    print(f"Scenario {scenario.name}" + (f": {scenario.title}" if scenario.title else ""))
    if scenario.description:
        print(textwrap.fill(" ".join(scenario.description.split()), 110))
    print("Files (each extends the previous): " + " -> ".join(str(f) for f in chain))
    print("'[set in FILE]' marks values set by a scenario file; the rest are documented defaults.")
    print()
    print(render_text(scenario, sources), end="")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a bad value (2, message already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "compare":
            return cmd_compare(args, argv)
        if args.command == "validate":
            return cmd_validate(args)
        return cmd_describe(args)
    except BrokenPipeError:  # output piped into e.g. 'head', which stopped reading: not an error
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return EXIT_OK


__all__ = ["build_parser", "main"]
