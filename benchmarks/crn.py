"""Benchmark: how much do common random numbers reduce the variance of policy differences?

For each policy and KPI prints the variance-reduction ratio

    var(paired difference) / (2 var(single))

over ``--reps`` replications of the full cohort, where var(single) is the mean of the reference's
and the policy's between-replication variances. With independent random numbers the ratio is about
1; common random numbers push it towards 0, and a KPI the policy cannot change gives exactly 0.
A ratio of 0.1 means the paired comparison needs a tenth of the replications an unpaired one
would for the same precision.

This is a script that prints figures, never a timed unit test. Usage::

    python benchmarks/crn.py                              # 20 replications, three policies
    python benchmarks/crn.py --reps 10 --workers 2 --json crn.json
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POLICIES = ("integrated_voluntary_returns", "more_detention_capacity", "prioritised_tracing")
KPIS = (
    "contacted",
    "complaints",
    "departed_voluntary",
    "removed_enforced",
    "absconded",
    "out_of_contact_end",
    "detention_rejections",
    "total_cost_gbp",
)


def _one(job: tuple[str, int, int]) -> tuple[str, int, dict[str, float]]:
    from sim.model.results import run_replication
    from sim.scenario.loading import load_scenario

    path, rep, seed = job
    r = run_replication(load_scenario(path), rep, seed)
    return Path(path).stem, rep, {k: float(r.summary[k]) for k in KPIS}


def main() -> int:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--policies", nargs="+", default=list(POLICIES))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    names = ["baseline", *args.policies]
    jobs = [(str(ROOT / "scenarios" / f"{n}.yaml"), k, args.seed) for k in range(args.reps) for n in names]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    values = {n: np.full((args.reps, len(KPIS)), np.nan) for n in names}
    for name, rep, kpis in rows:
        values[name][rep] = [kpis[k] for k in KPIS]
    base = values["baseline"]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    print(f"var(paired difference) / (2 var(single)), {args.reps} replications, seed {args.seed}")
    print(f"{'policy':<30} {'kpi':<22} {'ratio':>8} {'sd diff':>10} {'sd single':>10} {'reps equal':>10}")
    for name in args.policies:
        other = values[name]
        figures[name] = {}
        for j, kpi in enumerate(KPIS):
            diff = other[:, j] - base[:, j]
            single = (np.var(base[:, j], ddof=1) + np.var(other[:, j], ddof=1)) / 2
            ratio = float(np.var(diff, ddof=1) / (2 * single)) if single > 0 else float("nan")
            equal = int(np.sum(diff == 0))
            figures[name][kpi] = {
                "ratio": ratio,
                "sd_diff": float(np.std(diff, ddof=1)),
                "sd_single": float(np.sqrt(single)),
                "replications_equal": equal,
            }
            print(
                f"{name:<30} {kpi:<22} {ratio:>8.3f} {np.std(diff, ddof=1):>10.1f} "
                f"{np.sqrt(single):>10.1f} {equal:>6}/{args.reps}"
            )
    if args.json:
        args.json.write_text(json.dumps({"reps": args.reps, "seed": args.seed, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
