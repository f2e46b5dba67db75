"""Derive the detention parameters from the published length-of-detention and removal figures.

Prints, for the schema's detention values and for a grid around them, what the competing exits of
``sim/model/processes/detention.py`` imply for people leaving detention: the share removed and the
shares held under 29 days and up to 4 months, next to FIGURES.md:

* removed share of leavers: 64% (2011), 45% (2015); ~55% taken for 2012-14;
* 62% of 2015 leavers held < 29 days; 91% of 2017 leavers left within 4 months.

It simulates stays alone (no bed limit, no time horizon), with numpy, so it shows what the
parameters do, not what a whole run produces (``run_sim.py targets`` measures that on the model).
The grid shows why the values were chosen: the removed share and the short stays can both be met;
no value in the grid also reaches 91% within 4 months, because with at most a few removal attempts
and a release limit of about 4 months almost everyone leaves by then (the published figure covers
the whole detained population, including foreign offenders held for long). Usage:

    python scripts/detention_exits.py [--people N] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from sim.scenario.schema import Gamma, Scenario

TARGETS = {"removed": 0.55, "under_29": 0.62, "within_122": 0.91}


def stays(
    rng: np.random.Generator,
    n: int,
    planning_mean: float,
    planning_cv: float,
    release_rate: float,
    limit_mean: float,
    limit_cv: float,
    attempts: int,
    cancellation: float,
    barrier: float,
) -> dict[str, float]:
    """Shares of leavers removed, held < 29 days and <= 122 days."""
    k = 1.0 / planning_cv**2
    kl = 1.0 / limit_cv**2
    limit = rng.gamma(kl, limit_mean / kl, n)
    release = rng.exponential(1.0 / release_rate, n) if release_rate > 0 else np.full(n, np.inf)
    release = np.minimum(release, limit)
    t = np.zeros(n)
    stay = np.zeros(n)
    removed = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    for _ in range(attempts):
        end = t + rng.gamma(k, planning_mean / k, n)
        released = alive & (release < end)
        stay[released] = release[released]
        alive &= ~released
        done = alive & (rng.random(n) >= cancellation)
        removed |= done
        stay[done] = end[done]
        alive &= ~done
        to_casework = alive & (rng.random(n) < barrier)
        stay[to_casework] = end[to_casework]
        alive &= ~to_casework
        t = end
    stay[alive] = t[alive]
    return {
        "removed": float(removed.mean()),
        "under_29": float((stay < 29).mean()),
        "within_122": float((stay <= 122).mean()),
        "mean_days": float(stay.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2015)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    d = Scenario(name="defaults").detention
    planning, limit = d.removal_planning_days, d.no_prospect_days
    assert isinstance(planning, Gamma) and isinstance(limit, Gamma), "the script assumes Gamma delays"
    fixed = {"attempts": d.max_removal_attempts, "cancellation": d.cancellation_probability}
    fixed["barrier"] = d.barrier_on_cancellation
    rate = d.bail_hazard_per_day + d.vulnerability_hazard_per_day
    now = stays(rng, args.people, planning.mean, planning.cv, rate, limit.mean, limit.cv, **fixed)
    print("targets:", ", ".join(f"{k} {v:.0%}" for k, v in TARGETS.items()))
    print(
        f"schema values (planning mean {planning.mean:g} cv {planning.cv:g}, release {rate:g}/day, "
        f"no-prospect mean {limit.mean:g}):",
        ", ".join(f"{k} {v:.3f}" for k, v in now.items()),
    )
    rows = []
    for pm, pcv, lam, lm in itertools.product(
        (14, 20, 30, 40), (0.7, 1.0, 1.2), (0.004, 0.008, 0.016), (60, 120, 180)
    ):
        r = stays(rng, args.people // 10, pm, pcv, lam, lm, limit.cv, **fixed)
        err = sum(abs(r[k] - v) for k, v in TARGETS.items() if k != "within_122")
        rows.append((err, pm, pcv, lam, lm, r))
    rows.sort(key=lambda row: row[0])
    print("\nbest of the grid on the removed share and stays under 29 days (sum of absolute errors):")
    print(f"{'err':>6} {'plan':>5} {'cv':>4} {'release':>8} {'limit':>6}  removed  <29d  <=122d  mean")
    for err, pm, pcv, lam, lm, r in rows[:8]:
        print(
            f"{err:6.3f} {pm:5g} {pcv:4g} {lam:8g} {lm:6g}  {r['removed']:.3f}  {r['under_29']:.3f}  "
            f"{r['within_122']:.3f}  {r['mean_days']:.1f}"
        )


if __name__ == "__main__":
    main()
