"""Benchmark: what running replications on a Dask LocalCluster costs against the process pool.

Runs the same ``--reps`` full-cohort replications (summary rows only, as design commands run them)
on: the local process pool (2 workers); a LocalCluster with Dask's default worker settings; and a
LocalCluster as ``--scheduler local`` starts it (``runners.LOCAL_CLUSTER_CONFIG``: the workers'
stack profiler off). The three are run in turn, ``--rounds`` times, so the machine's drifting load
falls on all of them; each one's wall time includes starting and stopping its workers. Prints the
median time of each and the ratios to the pool, and what each cluster's workers report for the
profiler setting (to show the setting reached them).

A script that prints figures, never a timed unit test. Usage::

    python benchmarks/dask_overhead.py                 # 8 replications, 2 rounds (~5 min)
    python benchmarks/dask_overhead.py --reps 4 --rounds 1 --cohort-size 20000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _profile_setting() -> object:
    import dask

    return dask.config.get("distributed.worker.profile.enabled")


def main() -> None:
    from sim.experiment import runners
    from sim.experiment.worker import run_summary
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
    seen: dict[str, object] = {}
    for r in range(args.rounds):
        for label in times:
            runners.LOCAL_CLUSTER_CONFIG.clear()
            if label == "dask_local":
                runners.LOCAL_CLUSTER_CONFIG.update(tuned)
            t0 = time.perf_counter()
            runner = runners.make_runner(2, None if label == "pool" else "local", replicate=run_summary)
            try:
                for _ in runner.results([(0, k) for k in range(args.reps)], payload, args.seed, False):
                    pass
                if isinstance(runner, runners.DaskRunner):
                    seen[label] = sorted(set(runner.client.run(_profile_setting).values()), key=str)
            finally:
                runner.close()
            times[label].append(time.perf_counter() - t0)
            print(f"round {r + 1}, {label}: {times[label][-1]:.1f} s", flush=True)
    runners.LOCAL_CLUSTER_CONFIG.clear()
    runners.LOCAL_CLUSTER_CONFIG.update(tuned)
    pool = statistics.median(times["pool"])
    print(f"{args.reps} replications of {scenario.cohort.initial_size:,} people, median of {args.rounds}:")
    for label, values in times.items():
        t = statistics.median(values)
        profile = f", workers' profiler enabled: {seen[label]}" if label in seen else ""
        print(f"  {label:<13} {t:7.1f} s  ({t / pool:.3f} x the pool){profile}")


if __name__ == "__main__":
    main()
