"""Benchmark: what running replications on a Dask LocalCluster costs against the process pool.

Runs the same ``--reps`` full-cohort replications (summary rows only, as design commands run them)
on: the local process pool (2 workers); a LocalCluster with Dask's default worker settings; and a
LocalCluster as ``--scheduler local`` starts it (``runners.LOCAL_CLUSTER_CONFIG``: the workers'
stack profiler off). The three are run in turn, ``--rounds`` times, so the machine's drifting load
falls on all of them; each one's wall time includes starting and stopping its workers. Prints the
median time of each and the ratios to the pool, and what each cluster's workers report for the
profiler setting (to show the setting reached them).

And where the difference goes: each replication is timed inside its worker (wall and CPU seconds),
so the printout splits an executor's time into the replications themselves (summed over workers),
the idle time of a worker between two of its replications (the round trip through this process),
and the rest (starting and stopping the workers, and the last replication's wait). On 2026-11-27
(2 rounds): pool 31.7 s, Dask defaults 40.2 s, as ``--scheduler local`` starts it 35.4 s; one
replication 7.67 s in a pool worker, 9.28 s and 8.31 s in the Dask workers, which idled 11-13 ms
between two replications (the pool's ~0 ms).

A script that prints figures, never a timed unit test. Usage::

    python benchmarks/dask_overhead.py                 # 8 replications, 2 rounds (~5 min)
    python benchmarks/dask_overhead.py --reps 4 --rounds 1 --cohort-size 20000
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _profile_setting() -> object:
    import dask

    return dask.config.get("distributed.worker.profile.enabled")


def timed(payload: str, replication: int, root_seed: int, keep_log: bool) -> tuple[int, float, float, float]:
    """``run_summary`` timed where it runs: (worker pid, start and end on the wall clock, CPU
    seconds of the whole worker process meanwhile, its other threads included)."""
    import os

    from sim.experiment.worker import run_summary

    start, cpu = time.time(), time.process_time()
    run_summary(payload, replication, root_seed, keep_log)
    return os.getpid(), start, time.time(), time.process_time() - cpu


def breakdown(tasks: list[tuple[int, float, float, float]]) -> tuple[float, float, float]:
    """Seconds summed over workers: in replications (wall), their CPU, and idle between two
    replications of the same worker."""
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, start, end, _ in tasks:
        by_worker.setdefault(pid, []).append((start, end))
    gaps = 0.0
    for spans in by_worker.values():
        spans.sort()
        gaps += sum(max(0.0, b[0] - a[1]) for a, b in itertools.pairwise(spans))
    return sum(e - s for _, s, e, _ in tasks), sum(c for *_, c in tasks), gaps


def main() -> None:
    from sim.experiment import runners
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cohort-size", type=int, default=None)
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()

    scenario = load_scenario(args.scenario)
    if args.cohort_size is not None:
        scenario = scenario.with_overrides({"cohort": {"initial_size": args.cohort_size}})
    payload = [scenario.model_dump_json()]
    tuned = dict(runners.LOCAL_CLUSTER_CONFIG)
    times: dict[str, list[float]] = {"pool": [], "dask_default": [], "dask_local": []}
    parts: dict[str, list[tuple[float, float, float]]] = {label: [] for label in times}
    seen: dict[str, object] = {}
    for r in range(args.rounds):
        for label in times:
            runners.LOCAL_CLUSTER_CONFIG.clear()
            if label == "dask_local":
                runners.LOCAL_CLUSTER_CONFIG.update(tuned)
            t0 = time.perf_counter()
            runner = runners.make_runner(2, None if label == "pool" else "local", replicate=timed)
            tasks: list[tuple[int, float, float, float]] = []
            try:
                for _, task in runner.results([(0, k) for k in range(args.reps)], payload, args.seed, False):
                    tasks.append(task)
                if isinstance(runner, runners.DaskRunner):
                    seen[label] = sorted(set(runner.client.run(_profile_setting).values()), key=str)
            finally:
                runner.close()
            times[label].append(time.perf_counter() - t0)
            parts[label].append(breakdown(tasks))
            wall, cpu, gaps = parts[label][-1]
            print(
                f"round {r + 1}, {label}: {times[label][-1]:.1f} s (replications {wall:.1f} s of wall and "
                f"{cpu:.1f} s of CPU summed over workers, idle between them {gaps:.2f} s)",
                flush=True,
            )
    runners.LOCAL_CLUSTER_CONFIG.clear()
    runners.LOCAL_CLUSTER_CONFIG.update(tuned)
    pool = statistics.median(times["pool"])
    print(f"{args.reps} replications of {scenario.cohort.initial_size:,} people, median of {args.rounds}:")
    for label, values in times.items():
        t = statistics.median(values)
        wall = statistics.median(p[0] for p in parts[label])
        gap = statistics.median(p[2] for p in parts[label]) / max(args.reps - 2, 1)  # 2 workers
        profile = f", workers' profiler enabled: {seen[label]}" if label in seen else ""
        print(
            f"  {label:<13} {t:7.1f} s  ({t / pool:.3f} x the pool); one replication "
            f"{wall / args.reps:.2f} s, idle between two of a worker's {1000 * gap:.0f} ms"
            f"{profile}"
        )


if __name__ == "__main__":
    main()
