"""Calibrate the baseline to seed 002 §4.2 and §8.2, and check the result.

Targets (Capita MI quoted in the Home Office response, seed 002):
  * contact made with 24,753 of 120,545 people put into the contact process (20.5%; "21%");
  * 2,474 of those contacted confirmed departed (10.0%);
  * 210 complaints, 0.18% of those entering the contact process (to end Q1 2014).

Three parameters nobody has published are set so the model hits them:
  * a common scale on the per-attempt contact success table ``contact.success`` (the relative
    channel/data-quality values stay as assumed);
  * ``cohort.already_departed_share`` (002 §4.2: many departures had left before contact);
  * ``contact.complaint_probability`` (given contact with a person listed in error).

Each iteration runs the full cohort for a few replications with common random numbers and
updates all three at once: the contact scale by a damped power of target/observed, the
already-departed share by solving the (linear) share of departures it causes, and the complaint
probability proportionally. Usage::

    python scripts/calibrate.py              # calibrate, print the block, check with 20 reps
    python scripts/calibrate.py --write      # ... and write it into scenarios/baseline.yaml
    python scripts/calibrate.py --check-only # only the 20-replication check of baseline.yaml
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model.results import run_replication  # noqa: E402
from sim.scenario.loading import load_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
BEGIN, END = "# BEGIN CALIBRATED", "# END CALIBRATED"
TARGET_CONTACTED = 24_753 / 120_545
TARGET_DEPARTED = 2_474 / 24_753
TARGET_COMPLAINTS = 210 / 120_545
TOLERANCE = {"contacted_share": 0.015, "departed_share_of_contacted": 0.015, "complaint_share": 0.0005}
STATED = {"contacted_share": 0.21, "departed_share_of_contacted": 0.10, "complaint_share": 0.0018}
SEED = 2014


def _one(args: tuple[Scenario, int, int]) -> dict[str, Any]:
    scenario, rep, seed = args
    r = run_replication(scenario, rep, seed)
    row = dict(r.summary)
    on_contact = r.transitions.query("cause == 'evidence_of_departure_on_contact'")["count"].sum()
    row["already_departed_on_contact"] = int(on_contact)
    return row


def run(scenario: Scenario, reps: int, workers: int, seed: int = SEED) -> pd.DataFrame:
    jobs = [(scenario, k, seed) for k in range(reps)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(_one, jobs))
    else:
        rows = [_one(j) for j in jobs]
    df = pd.DataFrame(rows)
    df["contacted_share"] = df.contacted / df.cohort_size
    df["departed_share_of_contacted"] = df.departed_contacted / df.contacted
    df["complaint_share"] = df.complaints / df.cohort_size
    return df


def knobs_to_overrides(base: Scenario, scale: float, departed: float, complaint: float) -> dict[str, Any]:
    success = base.contact.success.model_dump()
    scaled = {
        ch: {q: float(min(1.0, round(v * scale, 5))) for q, v in row.items()} for ch, row in success.items()
    }
    return {
        "cohort": {"already_departed_share": float(round(departed, 5))},
        "contact": {"complaint_probability": float(round(min(1.0, complaint), 5)), "success": scaled},
    }


def calibrate(reps: int, workers: int, iterations: int) -> dict[str, Any]:
    base = Scenario(name="calibration")  # documented (uncalibrated) values from the schema
    scale, departed, complaint = 1.0, base.cohort.already_departed_share, base.contact.complaint_probability
    overrides: dict[str, Any] = {}
    for it in range(iterations):
        overrides = knobs_to_overrides(base, scale, departed, complaint)
        df = run(base.with_overrides(overrides), reps, workers).mean(numeric_only=True)
        c, d, k = df.contacted_share, df.departed_share_of_contacted, df.complaint_share
        print(
            f"iter {it}: scale={scale:.4f} already_departed={departed:.4f} complaint_p={complaint:.4f}"
            f" -> contacted {c:.4f} departed/contacted {d:.4f} complaints {k:.5f}",
            flush=True,
        )
        if (
            abs(c - TARGET_CONTACTED) < 0.002
            and abs(d - TARGET_DEPARTED) < 0.002
            and abs(k - TARGET_COMPLAINTS) < 0.00005
        ):
            break
        scale *= (TARGET_CONTACTED / c) ** 1.2
        per_share = df.already_departed_on_contact / departed  # departures per unit of the share
        others = df.departed_contacted - df.already_departed_on_contact
        target_departures = TARGET_DEPARTED * df.contacted * TARGET_CONTACTED / c
        departed = min(0.5, max(0.0, (target_departures - others) / per_share))
        complaint *= TARGET_COMPLAINTS / max(k, 1e-9) * (c / TARGET_CONTACTED)
    return knobs_to_overrides(base, scale, departed, complaint)


def block(overrides: dict[str, Any]) -> str:
    body = yaml.safe_dump(overrides, sort_keys=True, default_flow_style=False)
    return f"{BEGIN} (written by scripts/calibrate.py; re-run it rather than editing by hand)\n{body}{END}\n"


def write_block(text: str) -> None:
    current = BASELINE.read_text(encoding="utf-8")
    start, end = current.index(BEGIN), current.index(END) + len(END) + 1
    tmp = BASELINE.with_suffix(".yaml.tmp")
    tmp.write_text(current[:start] + text + current[end:], encoding="utf-8")
    tmp.replace(BASELINE)


def check(reps: int, workers: int) -> bool:
    scenario = load_scenario(BASELINE)
    df = run(scenario, reps, workers)
    ok = True
    print(f"\nCheck of {BASELINE.relative_to(ROOT)}: {reps} replications, seed {SEED}, full cohort")
    print(f"{'measure':<30}{'mean':>10}{'sd':>10}{'published':>11}{'tolerance':>11}  result")
    for col, stated in STATED.items():
        mean, sd = df[col].mean(), df[col].std(ddof=1)
        good = abs(mean - stated) <= TOLERANCE[col]
        ok &= good
        verdict = "ok" if good else "MISS"
        print(f"{col:<30}{mean:>10.4%}{sd:>10.4%}{stated:>11.2%}{TOLERANCE[col]:>11.2%}  {verdict}")
    means = df[["cohort_size", "contacted", "departed_contacted", "complaints"]].mean()
    print("mean counts:", ", ".join(f"{k} {v:,.0f}" for k, v in means.items()))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=4, help="replications per calibration iteration")
    ap.add_argument("--iterations", type=int, default=6)
    ap.add_argument("--check-reps", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="write the block into scenarios/baseline.yaml")
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    if not args.check_only:
        text = block(calibrate(args.reps, args.workers, args.iterations))
        print("\n" + text)
        if not args.write:
            print("(not written; pass --write)")
            return 0
        write_block(text)
    return 0 if check(args.check_reps, args.workers) else 1


if __name__ == "__main__":
    raise SystemExit(main())
