"""Benchmark: a whole Morris screening on the full cohort, on the process pool and on Dask.

Issue 10's measured targets: a Morris screening with 10 trajectories over every ranged parameter
(SALib parameter groups allowed), for the baseline and one policy, on the full cohort, finishes on
the 2-core development machine in under 90 minutes, and the same design on a Dask LocalCluster
takes within 15% of the process pool's time.

This script runs exactly what ``run_sim.py sensitivity SCENARIO POLICY --groups section
--trajectories 10 -n 2 -w 2 [--scheduler local]`` runs (``plan_sensitivity`` and
``run_sensitivity``), once per executor, one after the other, into ``OUT/<executor>/``, and prints:

* the design (points, simulations) and the commands' own up-front estimate;
* the wall time of each executor and their ratio (Dask / process pool);
* whether the two sensitivity.csv files are byte-identical (they must be: common random numbers
  keyed by replication, whatever the executor);
* the top groups of each KPI (the screening's answer).

A script that prints figures, never a timed unit test: the machine is shared, so compare the two
executors as a ratio within one run. Usage::

    python benchmarks/morris_full.py                                   # the issue's target (~1 h)
    python benchmarks/morris_full.py --cohort-size 5000 --trajectories 4   # a quick look
    python benchmarks/morris_full.py --executors process               # the pool only
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from sim.analysis.sensitivity import top_parameters
    from sim.experiment.sensitivity import (
        SECTION_GROUPS,
        SENSITIVITY_FILE,
        SensitivityRequest,
        plan_sensitivity,
        run_sensitivity,
    )
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--policy", default=str(ROOT / "scenarios" / "remote_reporting.yaml"))
    ap.add_argument("--trajectories", type=int, default=10)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--groups", default=SECTION_GROUPS, choices=("none", "section"))
    ap.add_argument("--cohort-size", type=int, default=None)
    ap.add_argument("--horizon", type=float, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executors", default="process,dask", help="comma-separated: process, dask")
    ap.add_argument("--out", default=str(ROOT / "results" / "benchmark_morris"))
    args = ap.parse_args()

    overrides: dict = {}
    if args.cohort_size is not None:
        overrides["cohort"] = {"initial_size": args.cohort_size}
    if args.horizon is not None:
        overrides["horizon_days"] = args.horizon
    scenarios = [load_scenario(args.scenario), load_scenario(args.policy)]
    if overrides:
        scenarios = [s.with_overrides(overrides) for s in scenarios]
    request = SensitivityRequest(
        trajectories=args.trajectories, replications=args.replications, groups=args.groups
    )
    plan = plan_sensitivity(scenarios[0], scenarios[1:], request)
    factors = len(set(plan.problem.get("groups") or plan.problem["names"]))
    print(
        f"Morris: {args.trajectories} trajectories x ({factors} factors over {len(plan.parameters)} "
        f"parameters + 1) = {len(plan.X)} points x {len(plan.points)} scenarios x "
        f"{args.replications} replications = {plan.simulations:,} simulations; cohort "
        f"{scenarios[0].cohort.initial_size:,}, {scenarios[0].horizon_days:g} days; estimate "
        f"{plan.estimate(args.workers) / 60:.1f} min on {args.workers} workers",
        flush=True,
    )
    times: dict[str, float] = {}
    result = None
    for executor in [e.strip() for e in args.executors.split(",") if e.strip()]:
        out = Path(args.out) / executor
        last = [time.perf_counter()]

        def progress(done: int, total: int, last: list[float] = last, executor: str = executor) -> None:
            now = time.perf_counter()
            if done == total or now - last[0] > 60:
                last[0] = now
                print(f"  {executor}: {done:,}/{total:,} simulations", flush=True)

        started = time.perf_counter()
        result = run_sensitivity(
            plan,
            out,
            workers=args.workers,
            scheduler="local" if executor == "dask" else None,
            plots=False,
            overrides=overrides,
            command_line=sys.argv,
            on_progress=progress,
        )
        times[executor] = time.perf_counter() - started
        print(f"{executor}: {times[executor] / 60:.1f} min ({result.ran:,} simulations run)", flush=True)
    if {"process", "dask"} <= set(times):
        ratio = times["dask"] / times["process"]
        same = filecmp.cmp(
            Path(args.out) / "process" / SENSITIVITY_FILE,
            Path(args.out) / "dask" / SENSITIVITY_FILE,
            shallow=False,
        )
        print(f"Dask / process pool: {ratio:.3f} (target: within 1.15)")
        print(f"sensitivity.csv identical on both executors: {same}")
    if result is not None:
        top = top_parameters(result.frame, "morris", 3)
        print("top factors by mu* (per scenario and KPI):")
        for (scenario, kpi), part in top.groupby(["scenario", "kpi"], sort=False):
            shown = ", ".join(
                f"{p} {m:,.3g}{' (noise)' if n else ''}"
                for p, m, n in zip(part["parameter"], part["mu_star"], part["within_noise"], strict=True)
            )
            print(f"  {scenario} / {kpi}: {shown}")


if __name__ == "__main__":
    main()
