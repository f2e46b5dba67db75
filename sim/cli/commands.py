"""The commands and ``main``, which dispatches to them: run, compare, report, validate and
describe here, and every study of the registry through ``run_study``, the one driver that plans,
runs and summarises a study from what its ``cli.py`` declares.

Each command returns its exit code; bad input is reported on stderr without a traceback and before
anything is written. The simulation, pandas, scipy and matplotlib are imported only inside the
commands that run something, so ``validate`` and ``--help`` start quickly (tests/cli/test_cli.py).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from sim.cli.parser import build_parser
from sim.cli.progress import Progress
from sim.cli.text import adaptive_text, comparison_intro, cost_effectiveness_intro, header, selection_text
from sim.experiment.output import COMPARISON_OUTPUTS, PARTS_DIR
from sim.scenario.loading import Problem, ScenarioError, load_scenario, load_scenarios
from sim.studies.base import Job, Load
from sim.studies.options import (
    EXIT_BAD_INPUT,
    EXIT_DISK_FULL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SIGNAL,
    EXIT_WORKER_LOST,
    PROG,
    flat_overrides,
    footer,
    overrides_of,
    replicated,
)
from sim.studies.registry import STUDIES

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.experiment.engine import ExecutionOptions
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario
    from sim.studies.base import Study


class _BadInput(Exception):
    """A command-line value that cannot be used (reported with exit code 2)."""


def _error(text: str) -> int:
    """Report bad input the way argparse does, and return its exit code."""
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return EXIT_BAD_INPUT


T = TypeVar("T")


def _checked(work: Callable[[], T]) -> T | int:
    """``work()`` (loading and checking what a command was given), or exit code 2 after reporting
    why it cannot be used: a scenario or targets file's problems, or a bad option."""
    from sim.experiment.errors import ExperimentError

    try:
        return work()
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
    except (_BadInput, ExperimentError) as exc:
        _error(str(exc))
    return EXIT_BAD_INPUT


def _name_problem(file: str, scenario: Scenario) -> str | None:
    """'.', '..' and hidden names pass the schema's pattern but cannot be output folders, and a name
    of a file compare writes beside the scenario folders (``comparison.csv``) would make the
    comparison fail at its end, after every replication has run."""
    if scenario.name.startswith("."):
        return (
            f"{file}: name: got {scenario.name!r}; the name is the output folder: use letters, digits, "
            "'_', '-' and '.' (not first)"
        )
    if scenario.name in COMPARISON_OUTPUTS:
        return (
            f"{file}: name: got {scenario.name!r}, the name of a file compare writes beside the scenario "
            "folders; choose another name (the name is the output folder)"
        )
    return None


def _load(files: Sequence[str], overrides: Mapping[str, Any]) -> list[Scenario]:
    """Every scenario loaded, validated and overridden (ScenarioError or _BadInput says why not); a
    file named twice (``compare base.yaml *.yaml``) is run once, at its first position."""
    unique: dict[str, str] = {}
    for file in files:
        unique.setdefault(os.path.realpath(file), file)
    files = list(unique.values())
    scenarios = load_scenarios(files)
    for file, scenario in zip(files, scenarios, strict=True):
        problem = _name_problem(file, scenario)
        if problem:
            raise _BadInput(problem)
    if not overrides:
        return scenarios
    from sim.scenario.errors import validation_problems
    from sim.scenario.schema import Scenario

    given = f" (with the command line's {', '.join(flat_overrides(overrides))})"
    overridden, problems = [], []
    for file, scenario in zip(files, scenarios, strict=True):
        try:
            overridden.append(scenario.with_overrides(dict(overrides)))
        except ValidationError as exc:
            problems += [
                Problem(file, p.path, p.message + given, p.allowed)
                for p in validation_problems(file, exc, Scenario)
            ]
    if problems:
        raise ScenarioError(problems)
    return overridden


def _comparison_options(args: argparse.Namespace) -> dict[str, Any]:
    """``compare``'s statistics options as ``run_comparison`` keywords."""
    from sim.experiment.selection import SelectBest

    select = None
    if args.select_best is not None:
        if args.indifference is None:
            raise _BadInput("--select-best needs --indifference DELTA (in the KPI's unit)")
        select = SelectBest(args.select_best, args.indifference, args.maximize)
    elif args.indifference is not None or args.maximize is not None:
        raise _BadInput("--indifference, --maximize and --minimize go with --select-best KPI")
    return {
        "alpha": args.alpha,
        "value_per_outcome": args.value_per_outcome,
        "select": select,
        "targets": dict(args.target_halfwidth or []),
        "max_replications": args.max_replications,
    }


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""OS errors of a full disk (or quota): the run stopped part-way and can be resumed."""
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
"""OS errors of an output location that cannot be written: the user's to fix, like bad input."""


def _run_with_progress(
    work: Callable[[ExecutionOptions], T],
    args: argparse.Namespace,
    argv: Sequence[str],
    overrides: Mapping[str, Any],
    kept: str,
    workers: int,
) -> T | int:
    """``work(options)`` with the command line's execution options (``workers`` as capped by the
    budget) and progress: a request that cannot be carried out is exit code 2 (nothing written), and
    so is an output location that cannot be written (read-only, no permission); a replication that
    keeps killing its worker, or a disk that fills up, 3, Ctrl-C 130 (SIGTERM, SIGHUP: 128 + the
    signal), saying where finished replications are kept for ``--resume`` (``kept``)."""
    from sim.experiment.engine import ExecutionOptions
    from sim.experiment.errors import ExperimentError, Terminated
    from sim.experiment.runners import WorkerLostError

    progress = Progress(args.quiet, "replications")
    options = ExecutionOptions(
        workers=workers,
        scheduler=args.scheduler,
        resume=args.resume,
        force=args.force,
        plots=not args.no_plots,
        reuse=not args.no_reuse,
        overrides=dict(overrides),
        command_line=(PROG, *argv),
        on_progress=progress,
        on_message=progress.message,
    )
    try:
        return work(options)
    except ExperimentError as exc:
        return _error(str(exc))
    except WorkerLostError as exc:
        failure, code = f"{PROG}: error: {exc}", EXIT_WORKER_LOST
    except OSError as exc:
        why = f"{exc.filename}: " * bool(exc.filename) + (exc.strerror or os.strerror(exc.errno or 0))
        if exc.errno in _FULL:
            failure = (
                f"{PROG}: error: {why}: the disk is full. Finished replications are kept in {kept}; "
                "free some space and re-run the same command with --resume."
            )
            code = EXIT_DISK_FULL
        elif exc.errno in _NOT_WRITABLE:
            failure = f"{PROG}: error: {why}: cannot write there; choose another --out"
            code = EXIT_BAD_INPUT
        else:
            raise
    except KeyboardInterrupt as exc:
        how, code = "interrupted", EXIT_INTERRUPTED
        if isinstance(exc, Terminated):
            import signal

            how, code = f"stopped by {signal.Signals(exc.signum).name}", EXIT_SIGNAL + exc.signum
        failure = (
            f"\n{PROG}: {how}. Finished replications are kept in {kept}; "
            "re-run the same command with --resume to continue."
        )
    finally:
        progress.close()
    print(failure, file=sys.stderr)
    return code


def _write_report(results: str | Path, out: str | None, quiet: bool, with_: Sequence[str] = ()) -> int:
    """Write the briefing report of a results folder (with the analysis folders ``with_``); exit
    code 2 with the reason if it cannot."""
    from sim.report import ReportError, write_report

    try:
        path = write_report(results, out, with_=with_)
    except ReportError as exc:
        return _error(str(exc))
    if not quiet:
        print(f"Report: {path}")
    return EXIT_OK


def _check_with(args: argparse.Namespace) -> int | None:
    """``--with`` of ``run``/``compare``: it needs ``--report``, and each folder must be a finished
    analysis folder. Checked before anything runs (exit code 2, nothing written), so a long run does
    not end in a report that cannot be written; None when all is well."""
    dirs = args.with_dirs or []
    if not dirs:
        return None
    if not args.report:
        return _error(
            "--with DIR adds an analysis folder to the report: give --report too "
            "(or run 'report RESULTS --with DIR' afterwards)"
        )
    from sim.report import ReportError, open_analysis

    for d in dirs:
        try:
            open_analysis(d)
        except ReportError as exc:
            return _error(str(exc))
    return None


def _drive(
    plan: Callable[[Load, Budget], Job], args: argparse.Namespace, argv: Sequence[str], kind: str = ""
) -> Any:
    """Plan a command's job with ``plan(load, budget)`` (bad input, or past the budget without
    --yes: exit code 2, nothing written), print its intro, run it with progress and the
    interruption guard, print its summary (nothing printed with --quiet). Its folder is --out, or
    results/``kind``/<job name>. The job's result, or the exit code (an int) if it failed."""
    from sim.experiment.design import Budget

    overrides = overrides_of(args)
    budget = Budget(args.workers, args.scheduler, args.yes)
    job = _checked(lambda: plan(lambda files: _load(files, overrides), budget))
    if isinstance(job, int):
        return job
    assert budget.checked is not None, "every plan checks its size before it runs"
    out = Path(args.out) if args.out else Path("results") / kind / job.name
    if not args.quiet:
        for note in budget.notes:
            print(note, file=sys.stderr)
        if job.intro:
            print(job.intro, flush=True)
    kept = ", ".join(str(out / k) for k in job.kept)
    result = _run_with_progress(
        lambda options: job.run(out, options), args, argv, overrides, kept, budget.workers
    )
    if not isinstance(result, int) and not args.quiet:
        print(job.summary(result, out))
    return result


def run_study(study: Study, args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run a study's command, planned by its ``cli.py`` (``sim.studies.base.StudyCli``)."""
    result = _drive(lambda load, budget: study.cli.plan(args, argv, load, budget), args, argv, study.kind)
    return result if isinstance(result, int) else EXIT_OK


def _run_text(result: ExperimentResult, args: argparse.Namespace) -> str:
    """What ``run`` prints: the header, the mean and 95% CI of each headline KPI, the footer."""
    from sim.analysis.tables import format_kpi_table

    run = result.runs[0]
    assert run.stats is not None
    text = f"{header(run.scenario, result, overrides_of(args))}\n\n{format_kpi_table(run.stats)}\n"
    return text + footer(result, run.folder)


def _compare_text(result: ExperimentResult, args: argparse.Namespace) -> str:
    """What ``compare`` prints: the paired differences from the reference, cost-effectiveness
    (where it fits the terminal), the best policy and the adaptive replications if asked for."""
    from sim.analysis.kpis import CE_OUTCOMES
    from sim.analysis.tables import format_comparison_table, format_cost_effectiveness_table
    from sim.experiment.output import COST_EFFECTIVENESS_FILE

    assert result.comparison is not None and result.cost_effectiveness is not None
    names = [r.name for r in result.runs]
    table = format_cost_effectiveness_table(
        result.cost_effectiveness, names, result.labels, CE_OUTCOMES[-1], 1.0 - result.alpha
    )
    widest = max((len(line) for line in table.splitlines()), default=0)
    fits = not sys.stdout.isatty() or widest <= shutil.get_terminal_size().columns  # not a terminal: fits
    text = (
        f"{comparison_intro(result.runs[0].scenario, result, args.seed, overrides_of(args))}\n\n"
        f"{format_comparison_table(result.comparison, names, result.labels)}\n"
        f"{cost_effectiveness_intro(result, Path(args.out) / COST_EFFECTIVENESS_FILE, shown=fits)}\n"
    )
    if fits:
        text += "\n" + table
    if result.selection is not None:
        text += f"\n{selection_text(result.selection, result.labels)}\n"
    if result.adaptive is not None:
        text += f"\n{adaptive_text(result.adaptive, result.replications)}\n"
    return text + "\n" + footer(result, Path(args.out))


def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run one scenario; print the mean and 95% CI of each KPI of ``kpis.DEFAULT_KPIS``."""
    return _replicate(args, argv, [args.scenario], compare=False)


def cmd_compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run every scenario with common random numbers; print the paired differences from the first."""
    statistics = _checked(lambda: _comparison_options(args))  # bad combinations: before loading
    if isinstance(statistics, int):
        return statistics
    return _replicate(args, argv, [args.reference, *args.others], compare=True)


def _replicate(args: argparse.Namespace, argv: Sequence[str], files: list[str], compare: bool) -> int:
    """``run`` or ``compare`` of ``files``, each scenario's folder under --out, then with --report
    the report of the comparison folder or of the run's scenario folder."""
    from sim.experiment.compare import run_comparison
    from sim.experiment.run import run_experiment

    bad = _check_with(args)
    if bad is not None:
        return bad
    run: Callable[..., ExperimentResult] = run_comparison if compare else run_experiment
    statistics = _comparison_options(args) if compare else {}

    def plan(load: Load, budget: Budget) -> Job:
        scenarios = load(files)
        most = args.replications
        if compare:  # a stopping rule adds batches up to its cap: the estimate is of the most it may run
            from sim.experiment.compare import check_comparison

            _, most = check_comparison(scenarios, args.replications, **statistics)
        budget.check(scenarios, most, keep_log=args.event_log)
        return Job(
            "",
            "",
            lambda out, options: run(
                scenarios, out, keep_log=args.event_log, options=options, **replicated(args), **statistics
            ),
            lambda result, out: (_compare_text if compare else _run_text)(result, args),
            tuple(os.path.join(s.name, PARTS_DIR) for s in scenarios),
        )

    result = _drive(plan, args, argv)
    if isinstance(result, int):
        return result
    if args.report:
        folder = args.out if compare else result.runs[0].folder
        return _write_report(folder, None, args.quiet, args.with_dirs or ())
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the briefing report of a finished results folder."""
    return _write_report(args.results, args.out, quiet=False, with_=args.with_dirs or ())


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every file (all of them, not stopping at the first bad one); write nothing."""
    code = EXIT_OK
    for file in args.files:
        try:
            scenario = load_scenario(file)
            problems = [p for p in [_name_problem(file, scenario)] if p]
        except ScenarioError as exc:
            problems = [str(p) for p in exc.problems]
        for found in problems:
            print(f"ERROR {found}", file=sys.stderr)
        if problems:
            code = EXIT_BAD_INPUT
        else:
            print(f"OK {file} ({scenario.name})")
    return code


def cmd_describe(args: argparse.Namespace) -> int:
    """Print every resolved parameter with unit, source and the file that set it."""
    from sim.scenario.describe import extends_chain, markdown_table, render_text, value_sources

    scenario = _checked(lambda: load_scenario(args.scenario))
    if isinstance(scenario, int):
        return scenario
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
    print(
        "'[set in FILE]' marks values set by a scenario file; the rest are the schema's defaults "
        "(documented or calibrated, as the source says)."
    )
    print()
    print(render_text(scenario, sources), end="")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return the exit code:
    0 success, 2 bad input, 3 a worker lost repeatedly, 130 interrupted
    (``sim.studies.options.EXIT_CODES``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a bad value (2, message already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    commands: dict[str, Callable[[], int]] = {
        "run": lambda: cmd_run(args, argv),
        "compare": lambda: cmd_compare(args, argv),
        "report": lambda: cmd_report(args),
        "validate": lambda: cmd_validate(args),
        "describe": lambda: cmd_describe(args),
        **{s.command: functools.partial(run_study, s, args, argv) for s in STUDIES},
    }
    try:
        return commands[args.command]()
    except BrokenPipeError:  # output piped into e.g. 'head', which stopped reading: not an error
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return EXIT_OK
