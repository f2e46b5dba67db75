"""Running a design: N scenario variants x R replications, common random numbers, resumable.

What sampling designs (``run_sim.py sensitivity``) and sweeps need: many variants of a scenario,
each replicated, where only one summary row per replication is wanted. ``run_design`` runs every
``(variant, replication)`` not yet stored through the usual executors (``make_runner``: this
process, a process pool, a Dask cluster), with the replication function ``run_summary`` (no tables
travel back), and appends each summary row to ``<folder>/.design/results.jsonl`` as it arrives
(flushed and fsynced line by line; a half-written last line from a killed run is ignored).

* Common random numbers: replication ``k`` of every variant uses the streams of ``(root_seed, k)``.
* Identical variants (two design points that round to the same scenario) run once.
* Each row is tagged with the variant's run key (hash of the resolved scenario, seed and model
  code), so ``resume`` reuses exactly the rows of identical variants and ignores the rest, whatever
  their position in the design.

``design_folder`` gives a design command (``sensitivity``, ``calibrate``) its executor and output
folder, checked and opened in the order that leaves nothing behind on bad input; ``estimate_seconds``
gives the up-front time estimate the commands print. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.errors import ExperimentError
from sim.experiment.files import begin_folder, remove
from sim.experiment.provenance import run_key
from sim.experiment.runners import Runner
from sim.experiment.worker import ReplicationFn, run_summary
from sim.scenario.schema import Scenario

DESIGN_DIR = ".design"
RESULTS_FILE = "results.jsonl"
SECONDS_PER_FULL_REPLICATION = 6.5
"""Measured seconds of one replication of the full baseline cohort (120,545 people, 548 days) on
the 2-core development machine (README "Performance": 6.3-6.9 s); estimates scale it by people
entering and by horizon."""
FULL_COHORT = 120_545
FULL_DAYS = 548.0
MIN_SECONDS_PER_REPLICATION = 0.02
"""A replication of a tiny cohort still costs its set-up (and the trip to a worker)."""

ProgressCallback = Callable[[int, int], None]
MessageCallback = Callable[[str], None]


@dataclass
class DesignResult:
    """Summary rows of every variant and replication: ``rows[i][k]`` for variant i, replication k."""

    rows: list[list[dict[str, Any]]]
    ran: int
    """Replications run this time (identical variants counted once)."""
    resumed: int
    """Replications reused from the store."""
    unique: int
    """Distinct variants (design points that are the same scenario count once)."""


def people(scenario: Scenario) -> float:
    """People entering over the horizon: the initial cohort and the inflow."""
    c = scenario.cohort
    return c.initial_size + c.inflow_per_week * scenario.horizon_days / 7.0


def estimate_seconds(scenarios: Sequence[Scenario], replications: int, workers: int) -> float:
    """Rough wall time of ``replications`` of each scenario on ``workers`` workers: the measured
    full-cohort replication scaled by people and by horizon (an estimate: cost is not exactly
    proportional, and depends on the machine and its load). The one estimate every command prints."""
    per = [
        max(
            MIN_SECONDS_PER_REPLICATION,
            SECONDS_PER_FULL_REPLICATION * (people(s) / FULL_COHORT) * (s.horizon_days / FULL_DAYS),
        )
        for s in scenarios
    ]
    return sum(per) * replications / max(1, workers)


class _Store:
    """``.design/results.jsonl``: one JSON line per finished (variant key, replication)."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / DESIGN_DIR
        self.path = self.dir / RESULTS_FILE

    def open(self, resume: bool) -> dict[tuple[str, int], dict[str, Any]]:
        """The stored rows (with ``resume``), else an empty store."""
        if not resume:
            remove(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        found: dict[tuple[str, int], dict[str, Any]] = {}
        if not self.path.is_file():
            return found
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                    key, k, summary = row["key"], row["replication"], row["summary"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a killed run
                if isinstance(key, str) and isinstance(k, int) and isinstance(summary, dict):
                    found[(key, k)] = summary
        return found

    def append(self, f: Any, key: str, replication: int, summary: dict[str, Any]) -> None:
        f.write(json.dumps({"key": key, "replication": replication, "summary": summary}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def run_design(
    scenarios: Sequence[Scenario],
    replications: int,
    folder: str | os.PathLike[str],
    runner: Runner,
    *,
    root_seed: int,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
    on_message: MessageCallback | None = None,
) -> DesignResult:
    """Run replications ``0..replications-1`` of every scenario on ``runner`` (made with
    ``make_runner(..., replicate=run_summary)``; the caller closes it), storing each summary row in
    ``folder/.design`` as it arrives; with ``resume``, rows stored by an earlier run of an identical
    variant (same resolved scenario, seed and model code) are reused."""
    progress = on_progress or (lambda done, total: None)
    keys = [run_key(s, root_seed, False) for s in scenarios]
    unique: dict[str, int] = {}
    for i, key in enumerate(keys):
        unique.setdefault(key, i)
    order = list(unique)
    store = _Store(Path(folder))
    stored = store.open(resume)
    have = {(key, k): row for (key, k), row in stored.items() if key in unique and k < replications}
    payloads = [scenarios[unique[key]].model_dump_json() for key in order]
    calls = [(j, k) for k in range(replications) for j, key in enumerate(order) if (key, k) not in have]
    total = len(order) * replications
    done = total - len(calls)
    resumed = done
    progress(done, total)
    with store.path.open("a", encoding="utf-8") as f:
        for (j, k), result in runner.results(calls, payloads, root_seed, False, notify=on_message):
            summary = dict(result.summary)
            have[(order[j], k)] = summary
            store.append(f, order[j], k, summary)
            done += 1
            progress(done, total)
    rows = [[have[(key, k)] for k in range(replications)] for key in keys]
    return DesignResult(rows=rows, ran=total - resumed, resumed=resumed, unique=len(order))


def design_runner(
    workers: int = 1, scheduler: str | None = None, replicate: ReplicationFn = run_summary
) -> Runner:
    """The executor for a design: ``make_runner`` with the summary-only replication function (or
    ``replicate``: calibration's ``run_measures``)."""
    from sim.experiment.runners import make_runner

    return make_runner(workers, scheduler, replicate=replicate)


@contextlib.contextmanager
def design_folder(
    out: Path,
    manifest: str,
    fixed: Sequence[str],
    workers: int = 1,
    scheduler: str | None = None,
    replicate: ReplicationFn = run_summary,
) -> Iterator[Runner]:
    """The executor of a design command writing into ``out`` (``sensitivity``, ``calibrate``).

    In this order, so a bad ``--out`` or ``--scheduler`` leaves nothing behind: ``out`` must be a
    folder or absent, then the executor starts (``ExperimentError`` if it cannot), and only then is
    ``out`` marked incomplete and cleared of the previous run's outputs (``begin_folder``; the
    ``.design`` store stays for ``--resume``). The executor is closed on the way out; after an error
    or Ctrl-C without waiting for replications in flight (they are stored or not; ``--resume``
    re-runs what is missing). The caller writes its outputs and ``finish_folder`` afterwards.
    """
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out: {out} exists and is not a folder")
    runner = design_runner(workers, scheduler, replicate)
    clean = False
    try:
        begin_folder(out, manifest, fixed)
        yield runner
        clean = True
    finally:
        runner.close(wait=clean)


__all__ = [
    "DESIGN_DIR",
    "FULL_COHORT",
    "FULL_DAYS",
    "SECONDS_PER_FULL_REPLICATION",
    "DesignResult",
    "design_folder",
    "design_runner",
    "estimate_seconds",
    "people",
    "run_design",
]
