"""Benchmark: a whole Morris screening on the full cohort, on the process pool and on Dask.

Issue 10's measured targets: a Morris screening with 10 trajectories over every ranged parameter
(SALib parameter groups allowed), for the baseline and one policy, on the full cohort, finishes on
the 2-core development machine in under 90 minutes, and the same design on a Dask LocalCluster
takes within 15% of the process pool's time.

Each executor runs exactly the simulations of ``run_sim.py sensitivity SCENARIO POLICY --groups
section --trajectories 10 -n 2 -w 2 [--scheduler local]`` (``plan_sensitivity``, then
``run_design`` on ``make_runner(..., replicate=run_summary)``, the executor the command uses), into
``OUT/<executor>/``; the command's own ``run_sensitivity`` then finds every row stored (``resume``) and writes
sensitivity.csv.

Interleaved, because the machine is shared. Run one after the other, each executor would take
about 40 minutes and the host's load drifts over that time: two earlier whole-design runs done that
way put Dask at 1.17 x and 1.21 x the pool, while 52 of the same simulations timed task by task a
few minutes apart put it at 1.19 x and 1.05 x. So the design is cut into blocks of one trajectory
(every point of the trajectory, both scenarios, every replication) and the two executors take turns
block by block, in the order pool-Dask, Dask-pool, pool-Dask... so that a drift in the machine's
speed falls on both alike. Each block starts a fresh executor and closes it, and its time includes
both: ten cluster starts instead of one, which costs Dask (slower to start) more than the pool, so
the ratio printed is if anything unfavourable to Dask.

Prints:

* the design (points, simulations) and the command's own up-front estimate;
* each block's time on each executor (how much the machine drifted) and each executor's total;
* the ratio Dask / process pool, against the 1.15 target, and the pool's total against 90 minutes;
* whether the two sensitivity.csv files are byte-identical (they must be: common random numbers
  keyed by replication, whatever the executor);
* the top groups of each KPI (the screening's answer).

A script that prints figures, never a timed unit test. Usage::

    python benchmarks/morris_full.py                                   # the issue's target (~90 min)
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
    from sim.experiment.engine import ExecutionOptions, run_design
    from sim.experiment.runners import make_runner
    from sim.experiment.worker import run_summary
    from sim.scenario import load_scenario
    from sim.studies.sensitivity.analysis import top_parameters
    from sim.studies.sensitivity.request import SECTION_GROUPS, SensitivityRequest
    from sim.studies.sensitivity.run import SENSITIVITY_FILE, plan_sensitivity, run_sensitivity

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
    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    unknown = sorted(set(executors) - {"process", "dask"})
    if unknown:
        ap.error(f"--executors: unknown {', '.join(unknown)} (allowed: process, dask)")
    per_block = len(plan.X) // args.trajectories  # a trajectory's points (factors + 1)
    blocks = [
        [variants[i] for variants in plan.points for i in range(t * per_block, (t + 1) * per_block)]
        for t in range(args.trajectories)
    ]
    times: dict[str, list[float]] = {e: [] for e in executors}
    for t, block in enumerate(blocks):
        for executor in executors if t % 2 == 0 else executors[::-1]:
            started = time.perf_counter()
            runner = make_runner(args.workers, "local" if executor == "dask" else None, run_summary)
            try:
                out = Path(args.out) / executor
                run_design(
                    block, args.replications, out, runner, request.seed, ExecutionOptions(resume=t > 0)
                )
            finally:
                runner.close()
            times[executor].append(time.perf_counter() - started)
        shown = ", ".join(f"{e} {times[e][-1]:6.1f} s" for e in executors)
        sims = len(block) * args.replications
        print(f"  trajectory {t + 1:>2}/{args.trajectories} ({sims} simulations): {shown}", flush=True)
    result = None
    for executor in executors:
        started = time.perf_counter()
        result = run_sensitivity(
            plan,
            Path(args.out) / executor,
            options=ExecutionOptions(
                workers=args.workers,
                scheduler="local" if executor == "dask" else None,
                resume=True,
                plots=False,
                overrides=overrides,
                command_line=tuple(sys.argv),
            ),
        )
        assert result.ran == 0, f"{executor}: {result.ran} simulations were not stored by the blocks"
        times[executor].append(time.perf_counter() - started)
        minutes = sum(times[executor]) / 60
        print(f"{executor}: {minutes:.1f} min in all ({len(blocks)} blocks and the analysis)", flush=True)
    total = {e: sum(v) for e, v in times.items()}
    if "process" in total:
        print(f"process pool: {total['process'] / 60:.1f} min (target: under 90)")
    if {"process", "dask"} <= set(total):
        ratio = total["dask"] / total["process"]
        blockwise = [d / p for d, p in zip(times["dask"][:-1], times["process"][:-1], strict=True)]
        print(f"Dask / process pool, block by block: {', '.join(f'{r:.2f}' for r in blockwise)}")
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
