"""Benchmark: how many simulations a Morris design needs, and what each costs.

Builds the Morris design of ``run_sim.py sensitivity`` over every ranged parameter of the baseline
(``--trajectories`` x (k + 1) points x ``--replications``), prints the number of simulations, then
times ``--sample`` of them (design points taken evenly through the design, replication 0, in this
process) at the given cohort size and horizon, and prints seconds per simulation and the projected
time of the whole design on ``--workers`` workers. It does not run the whole design (at the full
cohort that is ~90 minutes on 2 cores).

This is a script that prints figures, never a timed unit test. Usage::

    python benchmarks/sensitivity.py                       # full cohort, 10 trajectories, 3 timed
    python benchmarks/sensitivity.py --cohort-size 5000 --sample 10 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from sim.experiment.design import estimate_seconds
    from sim.model.results import run_replication
    from sim.scenario import load_scenario
    from sim.studies.sensitivity.request import SensitivityRequest
    from sim.studies.sensitivity.run import plan_sensitivity

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--trajectories", type=int, default=10)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--cohort-size", type=int, default=None)
    ap.add_argument("--horizon", type=float, default=None)
    ap.add_argument("--sample", type=int, default=3, help="simulations actually timed")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    scenario = load_scenario(args.scenario)
    overrides: dict = {}
    if args.cohort_size is not None:
        overrides["cohort"] = {"initial_size": args.cohort_size}
    if args.horizon is not None:
        overrides["horizon_days"] = args.horizon
    if overrides:
        scenario = scenario.with_overrides(overrides)
    request = SensitivityRequest(trajectories=args.trajectories, replications=args.replications)
    plan = plan_sensitivity(scenario, [], request)
    points = plan.points[0]
    k = len(plan.parameters)
    print(
        f"Morris design: {args.trajectories} trajectories x ({k} parameters + 1) = {len(points)} points "
        f"x {args.replications} replications = {plan.simulations:,} simulations "
        f"(cohort {scenario.cohort.initial_size:,}, {scenario.horizon_days:g} days)"
    )
    chosen = [points[round(i * (len(points) - 1) / max(1, args.sample - 1))] for i in range(args.sample)]
    times = []
    for s in chosen:
        t = time.perf_counter()
        run_replication(s, 0, 1, keep_log=False)
        times.append(time.perf_counter() - t)
    per = sum(times) / len(times)
    print(
        f"timed {len(times)} simulations: {per:.2f} s each on average "
        f"(min {min(times):.2f}, max {max(times):.2f})"
    )
    projected = per * plan.simulations / args.workers
    estimate = estimate_seconds(points, args.replications, args.workers)
    print(
        f"whole design on {args.workers} workers: ~{projected / 60:.1f} min from this timing; "
        f"the command's up-front estimate says ~{estimate / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
