"""The up-front estimate of a command's time and memory (``estimate``), and the budget every
command that simulates checks it against before it builds or runs anything that grows with the
request (``Budget``): past ``MAX_SECONDS`` or half the machine's memory it stops (exit 2) unless
given ``--yes``.

The estimate needs only the scenarios and the counts, never the design itself, so a study checks
it before it samples a design of a million points. Designs themselves (N scenario variants x R
replications, summary rows only) run on the engine: ``sim.experiment.engine.run_design``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from sim.experiment.errors import ExperimentError
from sim.experiment.runners import useful_workers
from sim.scenario.schema import Scenario

SECONDS_PER_FULL_REPLICATION = 3.8
"""Seconds of one replication of the full 2012-14 baseline cohort (120,545 people, 548 days) on the
2-core development machine, as the 2024 baseline measures it: estimates scale it by people entering
and by horizon, and the 2024 baseline (201,949 people, 1,095 days: 3.35 times the person-days)
took 12.7-13.4 s, while the 2012-14 one took 2.1 s (docs/performance.md, 2026-12-06). The cost of a
person-day depends on how much reporting there is; fitting the larger run keeps estimates on the
safe side."""
FULL_COHORT = 120_545
FULL_DAYS = 548.0
FULL_ATTEMPTS = 6
"""Attempts per contact round in that measured replication (``contact.max_attempts``)."""
MIN_SECONDS_PER_REPLICATION = 0.02
"""A replication of a tiny cohort still costs its set-up (and the trip to a worker)."""

# Memory, measured on the development machine (2026-12-05) as the peak resident set size
# (``ru_maxrss``) of a fresh process running one replication of scenarios/baseline.yaml (worker
# ``run_one``), less the size before it ran:
PROCESS_BYTES = 130e6
"""A process with the model imported, before it runs anything: 129 MB (parent and each worker)."""
BYTES_PER_PERSON = 1_800.0
"""Per person entering: 214 MB for the full 120,545-person cohort (343 - 129 MB), 54 MB for 30,000
(183 - 129 MB): 1.78 and 1.80 kB a person."""
BYTES_PER_PERSON_WITH_LOG = 3_600.0
"""Per person entering with ``--event-log``: 108 MB for 30,000 (237 - 129 MB)."""
BYTES_PER_SNAPSHOT = 1_200.0
"""Per weekly count of people in each state (``timeseries.csv``): 93 MB for 200 people over
548,000 days, 78,286 snapshots (222 - 129 MB)."""
BYTES_PER_ATTEMPT_SLOT = 40.0
"""The contact plan holds arrays of (people in a chunk of ``PLAN_CHUNK``) x ``max_attempts``: 465
MB for 2,000 people at 6,000 attempts a round (601 - 136 MB at 6), 39 bytes a slot."""
SECONDS_PER_ATTEMPT_SLOT = 1.2e-7
"""Planning time per person and attempt slot per round beyond ``FULL_ATTEMPTS``: 1.4 s for 2,000
people at 6,000 attempts a round (0.03 s at 6)."""
# held by the parent, measured with tracemalloc:
BYTES_PER_VARIANT = 45_000.0
"""A scenario variant (design point) held by the parent: the Scenario (38 kB) and its JSON (5 kB)."""
BYTES_PER_SIMULATION = 1_600.0
"""A simulation's summary row kept by the parent (1,593 bytes, 59 values)."""

MAX_SECONDS = 30 * 60.0
"""Past this estimated wall time a command stops unless given ``--yes``."""
MEMORY_SHARE = 0.5
"""... or past this share of the machine's memory (all of it: refused even with ``--yes``)."""


def people(scenario: Scenario) -> float:
    """People entering over the horizon: the initial cohort and the inflow."""
    c = scenario.cohort
    return c.initial_size + c.inflow_per_week * scenario.horizon_days / 7.0


def replication_cost(scenario: Scenario, keep_log: bool = False) -> tuple[float, float]:
    """Seconds and peak bytes (beyond a process's own ``PROCESS_BYTES``) of one replication:
    people entering, weekly snapshots over the horizon and the contact plan's attempt slots."""
    from sim.model.model import SNAPSHOT_DAYS
    from sim.model.processes.contact import PLAN_CHUNK

    n, days = people(scenario), scenario.horizon_days
    attempts = scenario.contact.max_attempts
    rounds = scenario.contact.enrichment.max_rounds + 1
    seconds = SECONDS_PER_FULL_REPLICATION * (n / FULL_COHORT) * (days / FULL_DAYS)
    seconds += n * max(0, attempts - FULL_ATTEMPTS) * rounds * SECONDS_PER_ATTEMPT_SLOT
    memory = n * (BYTES_PER_PERSON_WITH_LOG if keep_log else BYTES_PER_PERSON)
    memory += days / SNAPSHOT_DAYS * BYTES_PER_SNAPSHOT
    memory += min(n, PLAN_CHUNK) * attempts * BYTES_PER_ATTEMPT_SLOT
    return max(MIN_SECONDS_PER_REPLICATION, seconds), memory


def machine_memory() -> float | None:
    """The machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def size_text(n: float) -> str:
    """Bytes as e.g. '1.2 GB' (powers of 1000; TB at most)."""
    unit = "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            break
        n /= 1000
    return f"{n:,.0f} {unit}" if n >= 100 else f"{n:.2g} {unit}"


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.1f} h"


@dataclass(frozen=True)
class Estimate:
    """What a command will take: wall ``seconds`` on ``workers`` and the peak ``memory`` (bytes)
    of this machine: the parent, and each worker running the most costly replication at once."""

    seconds: float
    memory: float
    simulations: int
    workers: int

    def text(self, why: bool = True) -> str:
        """'estimated 3 min and 1.2 GB of memory on 2 workers', and (``why``) what it rests on."""
        on = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        text = f"estimated {duration_text(self.seconds)} and {size_text(self.memory)} of memory on {on}"
        if not why:
            return text
        return text + (
            f" (an estimate: a full-cohort replication takes ~{SECONDS_PER_FULL_REPLICATION:g} s and "
            f"~{size_text(PROCESS_BYTES + FULL_COHORT * BYTES_PER_PERSON)} on the 2-core development "
            "machine, scaled by people, horizon and attempts; stored replications reused by --resume "
            "are not run again)"
        )


def estimate(
    scenarios: Sequence[Scenario],
    replications: int,
    workers: int,
    repeat: int = 1,
    keep_log: bool = False,
    held: float = 0.0,
) -> Estimate:
    """Time and memory of ``replications`` of each scenario, each at ``repeat`` design points (a
    design not yet sampled), on ``workers`` local workers (1: in this process), with ``held``
    bytes more in the parent (a study's own arrays, such as calibration's candidates): the measured
    costs above scaled by each scenario (an estimate: cost is not exactly proportional, and depends
    on the machine and its load). The one estimate every command prints and checks."""
    costs = [replication_cost(s, keep_log) for s in scenarios]
    simulations = len(scenarios) * repeat * replications
    workers = max(1, workers)
    seconds = sum(c[0] for c in costs) * repeat * replications / workers
    largest = max((c[1] for c in costs), default=0.0)
    parent = (
        held
        + PROCESS_BYTES
        + len(scenarios) * repeat * BYTES_PER_VARIANT
        + simulations * BYTES_PER_SIMULATION
    )
    running = min(workers, max(1, simulations))
    memory = parent + (largest if workers == 1 else running * (PROCESS_BYTES + largest))
    return Estimate(seconds, memory, simulations, workers)


@dataclass
class Budget:
    """What a command may spend before it stops to ask for ``--yes``: its ``--workers`` (capped
    at what helps by ``check``), ``--scheduler`` and ``--yes``. ``notes`` says what was capped."""

    workers: int = 1
    scheduler: str | None = None
    yes: bool = False
    notes: list[str] = field(default_factory=list)
    checked: Estimate | None = None

    def check(
        self,
        scenarios: Sequence[Scenario],
        replications: int,
        repeat: int = 1,
        keep_log: bool = False,
        held: float = 0.0,
    ) -> Estimate:
        """The estimate of the request (see ``estimate``), its workers capped at the simulations and
        CPUs (local processes only); ExperimentError, before anything is built or run, past
        ``MAX_SECONDS`` or ``MEMORY_SHARE`` of the memory without ``yes``, or past all the memory."""
        simulations = len(scenarios) * repeat * replications
        if self.scheduler in (None, "local"):
            workers, why = useful_workers(self.workers, simulations)
            if why:
                self.notes.append(f"note: --workers {self.workers} capped at {workers}: {why}")
                self.workers = workers
        est = estimate(scenarios, replications, self.workers, repeat, keep_log, held)
        self.checked = est
        afford(est, self.yes)
        return est


def afford(est: Estimate, yes: bool) -> None:
    """ExperimentError saying the estimate and what to do, for a request past the thresholds."""
    total = machine_memory()
    what = f"{est.simulations:,} simulations, {est.text(why=False)}"
    smaller = (
        "ask for less (fewer replications, design points, draws or candidates, a smaller --cohort-size or "
        "--horizon, fewer --workers, a lower --max-replications for a stopping rule)"
    )
    if total is not None and est.memory > total:
        raise ExperimentError(
            f"{what}: more than this machine's {size_text(total)} of memory, so it cannot run, even "
            f"with --yes; {smaller}"
        )
    over = []
    if est.seconds > MAX_SECONDS:
        over.append(f"over {MAX_SECONDS / 60:.0f} minutes")
    if total is not None and est.memory > MEMORY_SHARE * total:
        over.append(f"over {MEMORY_SHARE:.0%} of this machine's {size_text(total)} of memory")
    if over and not yes:
        raise ExperimentError(
            f"{what}: {' and '.join(over)}, so nothing was run; give --yes to run it anyway, or {smaller}"
        )
