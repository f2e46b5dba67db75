"""The command line's shared building blocks: exit codes, argument types (``ArgumentTypeError``:
exit 2 before anything runs), the option groups every sub-parser is made of, and the wording the
summaries share; in the studies layer so each ``sim/studies/<name>/cli.py`` can use them. Only
light modules are imported, so ``--help`` starts quickly.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sim.experiment.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED
from sim.experiment.output import PARTS_DIR
from sim.scenario.paths import flatten

if TYPE_CHECKING:
    from sim.experiment.run import ExperimentResult

PROG = "run_sim.py"
"""Program name shown in help, messages and manifests (the documented way to run the tool)."""
EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_WORKER_LOST = 3
EXIT_DISK_FULL = 3
"""Like a lost worker, a full disk stops a run part-way: finished replications are kept for --resume."""
EXIT_INTERRUPTED = 130
EXIT_SIGNAL = 128
"""Plus the signal's number: stopped by a signal (130 for Ctrl-C's SIGINT, 143 SIGTERM, 129 SIGHUP)."""

EXIT_CODES = """\
exit codes:
  0    success
  2    bad input: a scenario file (YAML syntax, unknown key, value out of range, ...) or a
       command-line value; the message names the file and the parameter path, and nothing
       is written; or a request estimated past 30 minutes or half the memory without --yes.
       Also an output folder of another command, or holding files this command would
       replace but did not write (--force moves it aside, deleting nothing), in use by
       another process, or that cannot be written
  3    a replication kept killing its worker process (out of memory, or killed), or the
       disk filled up; finished replications are kept, re-run the same command with
       --resume (e.g. with fewer --workers, or after freeing space)
  130  interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP); the workers are ended, finished
       replications are kept, re-run with --resume"""

DESIGN = (PARTS_DIR,)
"""Where a design study (one folder of simulations) keeps finished replications, under its folder."""
EACH_RUN = (os.path.join("*", PARTS_DIR),)
"""Where a study with a run folder per scenario or point keeps them, under its folder."""

N = TypeVar("N", int, float)


def _number(
    convert: Callable[[str], N], expected: str, ok: Callable[[N], bool], must: str
) -> Callable[[str], N]:
    """An argument type: ``text`` converted, or ``ArgumentTypeError`` saying what was expected."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {must}, got {value if convert is int else text}")
        return value

    return parse


def int_at_least(low: int, what: str) -> Callable[[str], int]:
    return _number(int, f"a whole number ({what})", lambda v: v >= low, f"at least {low} ({what})")


def positive_float(what: str) -> Callable[[str], float]:
    return _number(
        float, f"a number ({what})", lambda v: v > 0 and math.isfinite(v), f"a positive number ({what})"
    )


def non_negative_float(what: str) -> Callable[[str], float]:
    must = f"zero or a positive number ({what})"
    return _number(float, f"a number ({what})", lambda v: v >= 0 and math.isfinite(v), must)


def comma_list(example: str, what: str = "KPI names") -> Callable[[str], list[str]]:
    """An argument type: names separated by commas, none empty."""

    def parse(text: str) -> list[str]:
        names = [k.strip() for k in text.split(",")]
        if not text.strip() or any(not k for k in names):
            raise argparse.ArgumentTypeError(
                f"expected {what} separated by commas, e.g. {example}, got {text!r}"
            )
        return names

    return parse


kpi_list = comma_list("removed_enforced,detention_rejections")


def check_kpis(names: Sequence[str], option: str = "--kpis") -> list[str]:
    """Each name a KPI of the registry (summary.csv column or derived), once; ExperimentError if not."""
    from sim.analysis.kpis import resolve
    from sim.experiment.errors import ExperimentError

    out: list[str] = []
    for name in resolve(names, option=option, error=ExperimentError):
        if name in out:
            raise ExperimentError(f"{option}: KPI {name!r} given twice")
        out.append(name)
    if not out:
        raise ExperimentError(f"{option}: give at least one KPI, e.g. removed_enforced")
    return out


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-wrapped descriptions and epilogs; shows real defaults (not None/False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, False, [], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def add_valued(g: Any, defaults: object, *rows: tuple[str, str, Callable[[str], Any], str]) -> None:
    """Options that take a value, one per row: flags ("--samples -s"), metavar, type and help; the
    default is the field (or key) of ``defaults`` named as the option, else None."""
    for flags, metavar, kind, text in rows:
        name = flags.split()[0][2:].replace("-", "_")
        default = defaults.get(name) if isinstance(defaults, Mapping) else getattr(defaults, name, None)
        g.add_argument(*flags.split(), type=kind, default=default, metavar=metavar, help=text)


R = TypeVar("R")


def request_of(cls: Callable[..., R], args: argparse.Namespace) -> R:
    """A study's request (a dataclass) from the options named as its fields: a list becomes a tuple,
    and an option not given (None) leaves the request's own default."""
    given = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if v is not None})


def replicated(args: argparse.Namespace) -> dict[str, int]:
    """The replications per scenario and the root seed given, as the engine's keywords."""
    return {"replications": args.replications, "root_seed": args.seed}


def add_executor_options(g: Any, what: str, scheduler: bool = True) -> None:
    """--workers, --yes, --no-reuse and --scheduler for a command that runs ``what`` (replications,
    simulations)."""
    help = (
        f"run {what} on W local processes (results do not depend on W; at most one per {what[:-1]} "
        "and per CPU)"
    )
    add_valued(g, {"workers": 1}, ("--workers -w", "W", int_at_least(1, "worker processes"), help))
    g.add_argument(
        "--yes",
        action="store_true",
        help="run even if the estimate is over 30 minutes or half of the machine's memory (without it "
        "the command prints the estimate and stops)",
    )
    g.add_argument(
        "--no-reuse",
        action="store_true",
        help="draw, plan and play every replication's contact phase itself rather than reuse the one "
        "an earlier replication with the same cohort, contact settings and seed played (the results "
        "are the same: this is for checking that, and it is slower)",
    )
    if scheduler:
        g.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help=f"run {what} on a Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need this "
            "package installed); 'local' starts a local cluster of W worker processes",
        )


def add_replications(
    p: argparse.ArgumentParser,
    n: str,
    resume: str,
    seed: str = "root random seed",
    per: str = "replications per scenario",
    low: int = 1,
    default: int = DEFAULT_REPLICATIONS,
) -> None:
    """The "replications" group: --replications (at least ``low``), --seed and --resume."""
    g = p.add_argument_group("replications")
    g.add_argument("--replications", "-n", type=int_at_least(low, per), default=default, metavar="N", help=n)
    g.add_argument("--seed", type=int_at_least(0, "root seed"), default=DEFAULT_SEED, metavar="S", help=seed)
    g.add_argument("--resume", action="store_true", help=resume)


def add_quick_looks(p: argparse.ArgumentParser, where: str, horizon: str = "", cohort: str = "") -> None:
    """--horizon (days) and --cohort-size (people): overrides of the scenario recorded in ``where``."""
    g = p.add_argument_group(f"quick looks (recorded in {where})")
    g.add_argument(
        "--horizon", type=positive_float("days"), metavar="DAYS", help="override horizon_days" + horizon
    )
    size = int_at_least(0, "people")
    g.add_argument("--cohort-size", type=size, metavar="N", help="override cohort.initial_size" + cohort)


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The quick looks given as a nested override of the scenario (recorded in the manifest)."""
    found: dict[str, Any] = {}
    if args.horizon is not None:
        found["horizon_days"] = args.horizon
    if args.cohort_size is not None:
        found["cohort"] = {"initial_size": args.cohort_size}
    return found


def path_text(text: str) -> str:
    """An argument type for --out: a path, not empty (an unset shell variable would otherwise mean
    the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty one (is a shell variable unset?)")
    return text


def add_out(g: Any, help: str, default: str | None = None) -> None:
    """--out DIR (not empty) and --force, which moves aside a folder the command may not write into."""
    g.add_argument("--out", "-o", type=path_text, default=default, metavar="DIR", help=help)
    g.add_argument(
        "--force",
        action="store_true",
        help="if DIR (or a scenario folder in it) holds another command's results or files this "
        "command did not write, move it aside to DIR.old-<date-time>/ instead of stopping (nothing "
        "is deleted)",
    )


def add_output(g: Any, out: str, quiet: str, plots: str = "skip the PNG plots") -> None:
    """--out (``out``: a study's folder, the default named in the help), --force, --no-plots and --quiet."""
    add_out(g, f"output folder (default: {out}/<scenario name>)")
    g.add_argument("--no-plots", action="store_true", help=plots)
    g.add_argument("--quiet", "-q", action="store_true", help=quiet)


RUN_RESUME = (
    "reuse replications stored in DIR/<name>/.parts by an {} with the same scenario, seed and model code"
)


def add_run_options(p: argparse.ArgumentParser, sweep: bool = False, folder: str = "results/sweep") -> None:
    """The options of ``run`` and ``compare``, or (``sweep``) of a study that runs scenarios as they do."""
    add_replications(
        p,
        "replications per scenario (replication k uses random streams (seed, k))"
        + (" and per grid point or draw: the same streams at every one" if sweep else ""),
        RUN_RESUME.format("interrupted run") + " (others are discarded with a warning)",
    )
    add_quick_looks(p, "manifest.json", ", e.g. 120", ", e.g. 300")
    add_executor_options(p.add_argument_group("execution"), "replications")
    g = p.add_argument_group("output")
    if sweep:
        add_output(g, folder, "no estimate, progress bar or result table")
        p.set_defaults(event_log=False, report=False, with_dirs=None)
        return
    add_out(g, "output folder", "results")
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


def add_design_options(p: argparse.ArgumentParser, replications: int, n: str, seed: str, folder: str) -> None:
    """The options ``sensitivity`` and ``calibrate`` share: a design of replicated points."""
    resume = (
        "reuse the simulations stored in DIR/.parts by an interrupted run (same design, seed and model code)"
    )
    add_replications(p, n, resume, seed, "replications per design point", default=replications)
    add_quick_looks(p, "the manifest")
    g = p.add_argument_group("execution and output")
    add_executor_options(g, "simulations")
    add_output(g, folder, "no progress bar and no summary")


def flat_overrides(overrides: Mapping[str, Any]) -> list[str]:
    """``path=value`` for each overridden parameter, e.g. ``cohort.initial_size=300``."""
    return [f"{p}={v:g}" if isinstance(v, float) else f"{p}={v}" for p, v in flatten(overrides).items()]


def footer(result: ExperimentResult, where: Path) -> str:
    """Where the files are, how many replications ran or were resumed, and the wall time."""
    ran = result.ran_this_time
    resumed = result.replications * len(result.runs) - ran
    how = result.executor if result.executor == "serial" else f"{result.executor}, {result.workers} workers"
    text = f"Results in {where}{os.sep} ({ran} replication{'' if ran == 1 else 's'} run"
    if resumed:
        text += f", {resumed} resumed"
    return text + f"; {result.wall_seconds:.1f} s; {how})"


def written(out: Path, files: list[str]) -> str:
    """The files a study wrote, as paths under its folder ``out``."""
    return ", ".join(str(out / f) for f in files)
