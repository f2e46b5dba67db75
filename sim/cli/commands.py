"""The ten commands (run, compare, sweep, report, targets, sensitivity, uncertainty, calibrate,
validate, describe) and ``main``, which dispatches to them.

Each command returns its exit code (``sim.studies.options.EXIT_*``): bad input is reported on stderr without a
traceback and before anything is written. The simulation, pandas, scipy and matplotlib are
imported only inside the commands that run something, so ``validate`` and ``--help`` start
quickly (tests/cli/test_cli.py checks which modules they load).
"""

from __future__ import annotations

import argparse
import contextlib
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
from sim.cli.text import (
    adaptive_text,
    comparison_intro,
    cost_effectiveness_intro,
    flat_overrides,
    footer,
    header,
    selection_text,
)
from sim.scenario.loading import ScenarioError, load_scenario, load_scenarios
from sim.studies.options import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_WORKER_LOST, PROG
from sim.studies.sweep.grid import FORMS as GRID_FORMS

if TYPE_CHECKING:
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario

# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


class _BadInput(Exception):
    """A command-line value that cannot be used (reported with exit code 2)."""


def _error(text: str) -> int:
    """Report bad input the way argparse does, and return its exit code."""
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _scenario_error(exc: ScenarioError) -> int:
    print(str(exc), file=sys.stderr)
    return EXIT_BAD_INPUT


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The quick-look options as a nested override of the scenario (recorded in the manifest)."""
    overrides: dict[str, Any] = {}
    if args.horizon is not None:
        overrides["horizon_days"] = args.horizon
    if args.cohort_size is not None:
        overrides["cohort"] = {"initial_size": args.cohort_size}
    return overrides


def _apply_overrides(scenarios: Sequence[Scenario], overrides: Mapping[str, Any]) -> list[Scenario]:
    if not overrides:
        return list(scenarios)
    out = []
    for s in scenarios:
        try:
            out.append(s.with_overrides(dict(overrides)))
        except ValidationError as exc:
            lines = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise _BadInput(f"override {', '.join(flat_overrides(overrides))} is invalid: {lines}") from None
    return out


def _name_problem(file: str, scenario: Scenario) -> str | None:
    """'.', '..' and hidden names pass the schema's pattern but cannot be output folders."""
    if not scenario.name.startswith("."):
        return None
    return (
        f"{file}: name: got {scenario.name!r}; the name is the output folder: use letters, digits, "
        "'_', '-' and '.' (not first)"
    )


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


def _fits_terminal(text: str) -> bool:
    """Whether every line of ``text`` fits the terminal (always, when output is not a terminal)."""
    if not sys.stdout.isatty():
        return True
    width = shutil.get_terminal_size().columns
    return max((len(line) for line in text.splitlines()), default=0) <= width


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
    from sim.experiment.compare import run_comparison
    from sim.experiment.output import PARTS_DIR
    from sim.experiment.run import run_experiment

    plan: Callable[..., ExperimentResult] = run_comparison if compare_mode else run_experiment
    kept = ", ".join(str(Path(args.out) / s.name / PARTS_DIR) for s in scenarios)
    return _run_with_progress(
        plan,
        args,
        argv,
        overrides,
        kept,
        scenarios,
        args.out,
        replications=args.replications,
        root_seed=args.seed,
        keep_log=args.event_log,
        **(_comparison_options(args) if compare_mode else {}),
    )


T = TypeVar("T")


def _guarded(work: Callable[[], T], progress: Progress, kept: str) -> T | int:
    """Run a long command's work (replications), turning its known failures into exit codes: a
    request that cannot be carried out is bad input (2, nothing written), a replication that keeps
    killing its worker is 3, Ctrl-C is 130 and says where finished replications are kept for
    ``--resume``. The progress bar is closed whatever happens."""
    from sim.experiment.errors import ExperimentError
    from sim.experiment.runners import WorkerLostError

    try:
        return work()
    except ExperimentError as exc:
        return _error(str(exc))
    except WorkerLostError as exc:
        progress.close()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_WORKER_LOST
    except KeyboardInterrupt:
        progress.close()
        print(
            f"\n{PROG}: interrupted. Finished replications are kept in {kept}; "
            "re-run the same command with --resume to continue.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        progress.close()


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


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run one scenario; print the mean and 95% CI of each KPI of ``kpis.DEFAULT_KPIS``."""
    bad = _check_with(args)
    if bad is not None:
        return bad
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
        print(header(run.scenario, result, overrides))
        print()
        assert run.stats is not None
        print(format_kpi_table(run.stats), end="")
        print()
        print(footer(result, run.folder))
    if args.report:
        return _write_report(result.runs[0].folder, None, args.quiet, args.with_dirs or ())
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run every scenario with common random numbers; print the paired differences from the first."""
    try:
        _comparison_options(args)  # bad combinations of options: before anything is loaded
    except _BadInput as exc:
        return _error(str(exc))
    bad = _check_with(args)
    if bad is not None:
        return bad
    prepared = _prepare_run([args.reference, *args.others], args)
    if isinstance(prepared, int):
        return prepared
    scenarios, overrides = prepared
    result = _execute(scenarios, overrides, args, argv, compare_mode=True)
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.analysis.kpis import CE_OUTCOMES
        from sim.analysis.tables import format_comparison_table, format_cost_effectiveness_table
        from sim.experiment.output import COST_EFFECTIVENESS_FILE

        print(comparison_intro(scenarios[0], result, args.seed, overrides))
        print()
        assert result.comparison is not None and result.cost_effectiveness is not None
        names = [s.name for s in scenarios]
        print(format_comparison_table(result.comparison, names, result.labels), end="")
        print()
        ce_file = Path(args.out) / COST_EFFECTIVENESS_FILE
        table = format_cost_effectiveness_table(
            result.cost_effectiveness, names, result.labels, CE_OUTCOMES[-1], 1.0 - result.alpha
        )
        fits = _fits_terminal(table)
        print(cost_effectiveness_intro(result, ce_file, shown=fits))
        if fits:
            print()
            print(table, end="")
        if result.selection is not None:
            print()
            print(selection_text(result.selection, result.labels))
        if result.adaptive is not None:
            print()
            print(adaptive_text(result.adaptive, result.replications))
        print()
        print(footer(result, Path(args.out)))
    if args.report:
        return _write_report(args.out, None, args.quiet, args.with_dirs or ())
    return EXIT_OK


def cmd_targets(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the scenarios of the validation targets table; write and print targets.csv.

    Exit code 0 whatever the targets' ``within`` say; 2 for a bad targets or scenario file.
    """
    from sim.studies.targets.run import DEFAULT_TARGETS_FILE, read_targets

    targets_file = Path(args.targets_file) if args.targets_file else DEFAULT_TARGETS_FILE
    try:
        table = read_targets(targets_file)
    except ScenarioError as exc:
        return _scenario_error(exc)
    named = table.scenario_files()
    if args.scenarios:
        wanted = []
        for file in args.scenarios:
            path = Path(file).resolve()
            if path not in named:
                listed = ", ".join(os.path.relpath(p) for p in named)
                return _error(
                    f"{file}: no target in {targets_file} is computed on this scenario; "
                    f"the table names: {listed}"
                )
            wanted.append(path)
        named = [p for p in named if p in wanted]
    chosen = [t for t in table.targets if table.scenario_path(t) in named]
    prepared = _prepare_run([str(p) for p in named], args)
    if isinstance(prepared, int):
        return prepared
    scenarios, overrides = prepared
    name_of = {path: s.name for path, s in zip(named, scenarios, strict=True)}
    result = _execute(scenarios, overrides, args, argv, compare_mode=False)
    if isinstance(result, int):
        return result

    from sim.analysis.measures import MEASURES
    from sim.experiment.files import write_json
    from sim.experiment.output import TARGETS_MANIFEST
    from sim.studies.targets.analysis import format_targets_table
    from sim.studies.targets.run import FolderTables, evaluate_targets, write_targets

    tables = {run.name: FolderTables(run.folder) for run in result.runs}
    frame = evaluate_targets(chosen, tables, {t.id: name_of[table.scenario_path(t)] for t in chosen})
    out = Path(args.out)
    files = write_targets(out, frame, chosen, plot=not args.no_plots)
    write_json(
        out / TARGETS_MANIFEST,
        {
            "targets_file": str(table.file),
            "targets": [t.id for t in chosen],
            "scenarios": {s.name: str(p) for p, s in zip(named, scenarios, strict=True)},
            "root_seed": args.seed,
            "replications": result.replications,
            "files": files,
            "wall_time_seconds": round(result.wall_seconds, 3),
            "command_line": [PROG, *argv],
        },
    )
    if not args.quiet:
        shares = {t.id for t in chosen if MEASURES[t.measure].is_share}
        n_within = int(frame["within"].sum())
        print(
            f"Validation targets ({table.file}): {n_within} of {len(frame)} within tolerance; "
            f"{result.replications} replications per scenario, seed {args.seed}, "
            f"{result.wall_seconds:,.0f} s."
        )
        print()
        print(format_targets_table(frame, shares), end="")
        for r in frame.to_dict("records"):
            if r["note"]:
                print(f"  {r['target']}: {r['note']}")
        print()
        print(f"Written: {', '.join(str(out / f) for f in files)} (and each scenario's folder under {out})")
    return EXIT_OK


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _estimate(seconds: float, workers: int) -> str:
    """The time estimate every design command prints before it starts, in one wording."""
    from sim.experiment.design import SECONDS_PER_FULL_REPLICATION

    on = f"{workers} worker{'s' if workers != 1 else ''}"
    return (
        f"estimated {_duration(seconds)} on {on} (an estimate: a full-cohort replication takes "
        f"~{SECONDS_PER_FULL_REPLICATION:g} s on the 2-core development machine, scaled by people and "
        "horizon; stored replications reused by --resume are not run again)"
    )


def _sweep_intro(
    params: Sequence[Any], n_points: int, replications: int, workers: int, seconds: float
) -> str:
    """How many simulations a sweep will run and roughly how long it will take."""
    what = "; ".join(f"{p.path} at {len(p.values)} values" for p in params)
    sims = n_points * replications
    return (
        f"Sweep of {what}: {n_points} grid points x {replications} replications = {sims} simulations; "
        f"{_estimate(seconds, workers)}."
    )


def _run_with_progress(
    run: Callable[..., T],
    args: argparse.Namespace,
    argv: Sequence[str],
    overrides: Mapping[str, Any],
    kept: Path | str,
    *positional: Any,
    **study: Any,
) -> T | int:
    """Run an experiment command's work, ``run(*positional, **study, options=<ExecutionOptions>)``,
    with progress reports and the interruption guard; ``kept`` says where finished replications are
    kept on Ctrl-C or a lost worker (what ``--resume`` reads). The execution options are the ones
    every command that runs replications takes from its command line."""
    from sim.experiment.engine import ExecutionOptions

    progress = Progress(args.quiet, "replications")
    options = ExecutionOptions(
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        plots=not args.no_plots,
        overrides=dict(overrides),
        command_line=(PROG, *argv),
        on_progress=progress,
        on_message=progress.message,
    )
    return _guarded(lambda: run(*positional, **study, options=options), progress, str(kept))


def cmd_sensitivity(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Global sensitivity of the KPIs to the ranged parameters; write and summarise sensitivity.csv.

    Exit code 2, before anything is run or written, for a bad scenario or policy file or option.
    """
    from sim.experiment.errors import ExperimentError
    from sim.studies.sensitivity.request import SensitivityRequest
    from sim.studies.sensitivity.run import plan_sensitivity

    prepared = _prepare_run([args.scenario, *args.policies], args)
    if isinstance(prepared, int):
        return prepared
    scenarios, overrides = prepared
    if len(scenarios) < 1 + len(args.policies):
        return _error("a POLICY file is the SCENARIO file or named twice; give each policy once")
    request = SensitivityRequest(
        method=args.method,
        params=tuple(args.params),
        shortlist=args.shortlist,
        top=args.top,
        **({"kpis": tuple(args.kpis)} if args.kpis is not None else {}),
        trajectories=args.trajectories,
        levels=args.levels,
        samples=args.samples,
        replications=args.replications,
        seed=args.seed,
        groups=args.groups,
    )
    if args.shortlist is None and args.method == "morris" and "--top" in argv:
        return _error("--top goes with --shortlist FILE (--method sobol)")
    try:
        plan = plan_sensitivity(scenarios[0], scenarios[1:], request)
    except ExperimentError as exc:
        return _error(str(exc))
    out = Path(args.out) if args.out else Path("results") / "sensitivity" / scenarios[0].name
    if not args.quiet:
        k, points = len(plan.parameters), len(plan.X)
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
        print(
            f"Sensitivity ({request.method}) of {scenarios[0].name}{policies}: {design} = {points} "
            f"design points x {len(plan.points)} scenario(s) x "
            f"{request.replications} replications = {plan.simulations:,} simulations; "
            f"{_estimate(plan.estimate(args.workers), args.workers)}."
        )
        for note in plan.notes:
            print(f"note: {note}")
    from sim.experiment.output import PARTS_DIR
    from sim.studies.sensitivity.run import run_sensitivity

    result = _run_with_progress(run_sensitivity, args, argv, overrides, out / PARTS_DIR, plan, out)
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.cli.text import sensitivity_text

        print(sensitivity_text(result.frame, request.method, plan.reference.name), end="")
        print(
            f"{result.ran:,} simulations run, {result.resumed:,} resumed"
            + (
                " (identical design points run once)"
                if result.ran + result.resumed < plan.simulations
                else ""
            )
            + f", {result.wall_seconds:,.0f} s. "
            f"Written: {', '.join(str(out / f) for f in result.files)}"
        )
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """History matching of the scenario's ranged parameters to its validation targets; write the
    parameter sets not ruled out and print what was kept.

    Exit code 2, before anything is run or written, for a bad scenario file, targets file or
    option; 0 also when every value is ruled out (that is a finding, printed).
    """
    from sim.experiment.errors import ExperimentError
    from sim.studies.calibration.plan import plan_calibration
    from sim.studies.calibration.request import CalibrationRequest

    prepared = _prepare_run([args.scenario], args)
    if isinstance(prepared, int):
        return prepared
    (scenario,), overrides = prepared
    request = CalibrationRequest(
        params=tuple(args.params),
        **({"roles": tuple(args.roles)} if args.roles is not None else {}),
        exclude=tuple(args.exclude),
        waves=args.waves,
        points=args.points,
        replications=args.replications,
        candidates=args.candidates,
        cutoff=args.cutoff,
        discrepancy=args.discrepancy,
        seed=args.seed,
        targets_file=args.targets_file,
    )
    try:
        plan = plan_calibration(scenario, args.scenario, request)
    except ExperimentError as exc:
        return _error(str(exc))
    except ScenarioError as exc:
        return _scenario_error(exc)
    out = Path(args.out) if args.out else Path("results") / "calibration" / scenario.name
    if not args.quiet:
        k = len(plan.parameters)
        print(
            f"Calibration (history matching) of {scenario.name}: {len(plan.targets)} targets "
            f"({', '.join(t.id for t in plan.targets)}), {k} parameters; up to {request.waves} waves x "
            f"{plan.points} points x {request.replications} replications = {plan.simulations:,} "
            f"simulations; {_estimate(plan.estimate(args.workers), args.workers)}, plus fitting the "
            "emulators and evaluating the candidates, ~5-30 s a wave.",
            flush=True,
        )
        for note in plan.notes:
            print(f"note: {note}")
    from sim.experiment.output import PARTS_DIR
    from sim.studies.calibration.run import run_calibration

    result = _run_with_progress(run_calibration, args, argv, overrides, out / PARTS_DIR, plan, out)
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.cli.text import calibration_text

        print()
        print(calibration_text(plan, result), end="")
        print(
            f"{result.ran:,} simulations run, {result.resumed:,} resumed, {result.wall_seconds:,.0f} s "
            f"(emulators and candidates {result.manifest['emulator_seconds']:,.0f} s). "
            f"Written: {', '.join(str(out / f) for f in result.files)}"
        )
    return EXIT_OK


def cmd_uncertainty(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the reference and every policy under every draw of the ranged parameters; summarise."""
    from sim.experiment.design import estimate_seconds
    from sim.experiment.errors import ExperimentError
    from sim.experiment.output import PARTS_DIR
    from sim.studies.sweep.run import check_kpis
    from sim.studies.uncertainty.run import calibrated_design, run_uncertainty

    prepared = _prepare_run([args.reference, *args.policies], args)
    if isinstance(prepared, int):
        return prepared
    (reference, *policies), overrides = prepared
    try:
        kpis = check_kpis(args.kpis) if args.kpis is not None else None
        params, draws, calibrated = calibrated_design(
            reference, policies, args.samples, args.seed, args.from_calibration
        )
    except ExperimentError as exc:
        return _error(str(exc))
    out = Path(args.out) if args.out else Path("results") / "uncertainty" / reference.name
    if not args.quiet:
        scenarios = [s for d in draws for s in (d.reference, *d.policies)]
        seconds = estimate_seconds(scenarios, args.replications, args.workers)
        print(
            f"Uncertainty: {len(params)} ranged parameters, {args.samples} Latin-hypercube draws x "
            f"{1 + len(policies)} scenarios x {args.replications} replications = "
            f"{len(scenarios) * args.replications} simulations; {_estimate(seconds, args.workers)}.",
            flush=True,
        )
        if calibrated is not None:
            how = "with replacement (fewer rows than draws)" if calibrated.replace else "without replacement"
            print(
                f"From {calibrated.file}: {', '.join(calibrated.parameters)} drawn from its "
                f"{calibrated.rows:,} parameter sets not ruled out, {how}; the other "
                f"{len(params) - len(calibrated.parameters)} over their ranges.",
                flush=True,
            )
    result = _run_with_progress(
        run_uncertainty,
        args,
        argv,
        overrides,
        out / ("*" + os.sep + PARTS_DIR),
        reference,
        policies,
        out,
        samples=args.samples,
        replications=args.replications,
        root_seed=args.seed,
        kpis=kpis,
        from_calibration=args.from_calibration,
    )
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.cli.text import uncertainty_text

        labels = {p.name: p.label for p in policies}
        print()
        print(
            uncertainty_text(
                result.summary, labels, reference.label, args.samples, args.replications, args.seed
            )
        )
        print()
        print(
            f"Written: {', '.join(str(out / f) for f in result.files)} (and each draw's folder under {out})"
        )
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the scenario at every grid point with common random numbers; write sweep.csv and plots."""
    from sim.experiment.errors import ExperimentError
    from sim.studies.sweep.grid import build_grid, resolve

    if not args.param:
        return _error(f"sweep needs --param PATH=VALUES ({GRID_FORMS})")
    prepared = _prepare_run([args.scenario], args)
    if isinstance(prepared, int):
        return prepared
    (scenario,), overrides = prepared
    overridden = {path.partition("=")[0]: path for path in flat_overrides(overrides)}
    option_of = {"horizon_days": "--horizon", "cohort.initial_size": "--cohort-size"}
    for spec in args.param:
        if spec.path in overridden:
            return _error(
                f"--param {spec.text}: {spec.path} is also set by {option_of.get(spec.path, 'an override')}; "
                "use one of them"
            )
    try:
        from sim.experiment.design import estimate_seconds
        from sim.studies.sweep.run import check_kpis

        kpis = check_kpis(args.kpis) if args.kpis is not None else None
        params = resolve(scenario, args.param)
        points = build_grid(scenario, params)
    except ExperimentError as exc:
        return _error(str(exc))
    out = Path(args.out) if args.out else Path("results") / "sweep" / scenario.name
    if not args.quiet:
        seconds = estimate_seconds([p.scenario for p in points], args.replications, args.workers)
        print(_sweep_intro(params, len(points), args.replications, args.workers, seconds), flush=True)

    from sim.experiment.output import PARTS_DIR
    from sim.studies.sweep.run import run_sweep

    result = _run_with_progress(
        run_sweep,
        args,
        argv,
        overrides,
        out / ("*" + os.sep + PARTS_DIR),
        scenario,
        params,
        points,
        out,
        kpis=kpis,
        replications=args.replications,
        root_seed=args.seed,
    )
    if isinstance(result, int):
        return result
    if not args.quiet:
        from sim.analysis.kpis import TABLE_KPIS
        from sim.studies.sweep.analysis import format_sweep_table

        experiment = result.experiment
        print()
        print(
            f"{scenario.label} ({scenario.name}): {experiment.replications} paired replications per "
            f"grid point, seed {args.seed} (common random numbers)"
            + (f"; overrides: {', '.join(flat_overrides(overrides))}" if overrides else "")
        )
        print(
            "Means per cohort; * = the 95% CI of the paired difference from the first row excludes 0. "
            "Every KPI with its CI: sweep.csv"
        )
        print()
        shown = list(kpis) if kpis is not None else list(TABLE_KPIS)
        print(format_sweep_table(result.table, shown), end="")
        print()
        written = ", ".join(str(out / f) for f in result.files)
        print(f"Written: {written} (and each grid point's folder under {out})")
        print(
            footer(experiment, out).replace(
                f"; {experiment.wall_seconds:.1f} s", f"; {result.wall_seconds:.1f} s"
            )
        )
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
        except ScenarioError as exc:
            for found in exc.problems:
                print(f"ERROR {found}", file=sys.stderr)
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
    """Print every resolved parameter with unit, source and the file that set it."""
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
    try:
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "compare":
            return cmd_compare(args, argv)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "targets":
            return cmd_targets(args, argv)
        if args.command == "sweep":
            return cmd_sweep(args, argv)
        if args.command == "uncertainty":
            return cmd_uncertainty(args, argv)
        if args.command == "sensitivity":
            return cmd_sensitivity(args, argv)
        if args.command == "calibrate":
            return cmd_calibrate(args, argv)
        if args.command == "validate":
            return cmd_validate(args)
        return cmd_describe(args)
    except BrokenPipeError:  # output piped into e.g. 'head', which stopped reading: not an error
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return EXIT_OK


__all__ = [
    "cmd_calibrate",
    "cmd_compare",
    "cmd_describe",
    "cmd_report",
    "cmd_run",
    "cmd_sensitivity",
    "cmd_sweep",
    "cmd_targets",
    "cmd_uncertainty",
    "cmd_validate",
    "main",
]
