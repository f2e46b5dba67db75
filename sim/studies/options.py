"""The command line's shared building blocks: exit codes, argument types, the help formatter and
the option groups that every study's sub-parser is made of.

They sit in the studies layer so that each study (``sim/studies/<name>/cli.py``) declares its own
options once, and ``sim.cli`` builds its parser by iterating over the registry. Argument types
raise ``ArgumentTypeError``, which argparse turns into exit code 2 before anything runs. The
defaults for replications and seed come from ``sim.experiment.defaults``, the one place they are
set. Only the standard library and light modules are imported, so ``--help`` starts quickly.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable
from typing import Any

from sim.experiment.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED

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


def int_at_least(low: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number ({what}), got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low} ({what}), got {value}")
        return value

    return parse


def positive_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number ({what}), got {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a positive number ({what}), got {text}")
        return value

    return parse


def non_negative_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number ({what}), got {text!r}") from None
        if not (value >= 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be zero or a positive number ({what}), got {text}")
        return value

    return parse


def para(text: str) -> str:
    return textwrap.fill(text, 90)


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-wrapped descriptions and epilogs; shows real defaults (not None/False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, False, [], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def kpi_list(text: str) -> list[str]:
    names = [k.strip() for k in text.split(",")]
    if not text.strip() or any(not k for k in names):
        raise argparse.ArgumentTypeError(
            "expected KPI names separated by commas, e.g. removed_enforced,detention_rejections, "
            f"got {text!r}"
        )
    return names


def add_executor_options(g: Any, what: str) -> None:
    """--workers and --scheduler, the same for every command that runs ``what`` (replications,
    simulations)."""
    g.add_argument(
        "--workers",
        "-w",
        type=int_at_least(1, "worker processes"),
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


def add_run_options(p: argparse.ArgumentParser, sweep: bool = False, folder: str = "results/sweep") -> None:
    g = p.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=int_at_least(1, "replications per scenario"),
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help="replications per scenario (replication k uses random streams (seed, k))"
        + (" and per grid point: the same streams at every point" if sweep else ""),
    )
    g.add_argument(
        "--seed",
        type=int_at_least(0, "root seed"),
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
        type=positive_float("days"),
        metavar="DAYS",
        help="override horizon_days, e.g. 120",
    )
    g.add_argument(
        "--cohort-size",
        type=int_at_least(0, "people"),
        metavar="N",
        help="override cohort.initial_size, e.g. 300",
    )
    add_executor_options(p.add_argument_group("execution"), "replications")
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


def add_design_options(
    p: argparse.ArgumentParser, replications: int, replications_help: str, seed_help: str, folder: str
) -> None:
    """The options ``sensitivity`` and ``calibrate`` share: a design of points, each replicated
    (``replications`` times by default, from the study's request), stored in ``DIR/.design`` as it
    runs."""
    g = p.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=int_at_least(1, "replications per design point"),
        default=replications,
        metavar="N",
        help=replications_help,
    )
    g.add_argument(
        "--seed",
        type=int_at_least(0, "root seed"),
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
    g.add_argument("--horizon", type=positive_float("days"), metavar="DAYS", help="override horizon_days")
    g.add_argument(
        "--cohort-size", type=int_at_least(0, "people"), metavar="N", help="override cohort.initial_size"
    )
    g = p.add_argument_group("execution and output")
    add_executor_options(g, "simulations")
    g.add_argument("--out", "-o", metavar="DIR", help=f"output folder (default: {folder}/<scenario name>)")
    g.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_WORKER_LOST",
    "PROG",
    "Formatter",
    "add_design_options",
    "add_executor_options",
    "add_run_options",
    "int_at_least",
    "kpi_list",
    "non_negative_float",
    "para",
    "positive_float",
]
