"""Calibrate the baseline to seed 002 §4.2 and §8.2, and check the result.

Targets: the three rows of ``validation/targets.yaml`` on the baseline with ``role: calibration`` (Capita MI
quoted in the Home Office response, seed 002 §4.2 and §8.2): the share of entrants contacted, the
share of those contacted confirmed departed, and complaints per entrant. Their published values
and tolerances are read from that table (``sim.studies.targets.run.read_targets``), the one
``run_sim.py targets`` and ``run_sim.py calibrate`` use, so the three cannot disagree.

Three parameters nobody has published are set so the model hits them:
  * a common scale on the per-attempt contact success table ``contact.success`` (the relative
    channel/data-quality values stay as they are in the current table);
  * ``cohort.already_departed_share`` (002 §4.2: many departures had left before contact);
  * ``contact.complaint_probability`` (given contact with a person listed in error).

Their values are the schema's defaults, read from ``sim/scenario/calibration.yaml`` (so every
scenario gets them, whether or not it extends the baseline). The calibration starts from those
values. Each iteration runs the full cohort for a few replications with common random numbers and
updates all three at once: the contact scale by a damped power of target/observed, the
already-departed share by solving the (linear) share of departures it causes, and the complaint
probability proportionally. Usage::

    python scripts/calibrate.py              # calibrate and print the values (nothing written)
    python scripts/calibrate.py --write      # ... check them with 20 reps, write calibration.yaml
    python scripts/calibrate.py --check-only # only the 20-replication check of baseline.yaml

How it relates to ``run_sim.py calibrate``: this script finds *one* set of the three values that
hits the three figures on the full cohort, and makes it every scenario's default. ``run_sim.py
calibrate`` (history matching, ``sim/studies/calibration/run.py``) asks which values of these and
related assumptions the published figures *do not rule out*, given the tolerances, the simulation
noise and the emulator's uncertainty; its calibration.csv feeds ``run_sim.py uncertainty
--from-calibration``. It writes nothing here: the point values stay the schema's defaults.

``--write`` replaces ``sim/scenario/calibration.yaml`` atomically (a complete new file, checked by
the same code the schema uses at import, then renamed over the old one), with a header giving the
targets, the date, the seed and the check.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model.results import run_replication  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.scenario.calibration import CALIBRATION_FILE, Calibration, check_calibration  # noqa: E402
from sim.scenario.schema import CALIBRATED_PATHS  # noqa: E402
from sim.studies.targets.run import read_targets  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
_TABLE = read_targets()
TARGETS = {
    t.id: t
    for t in _TABLE.targets
    if t.role == "calibration" and _TABLE.scenario_path(t) == BASELINE.resolve()
}
"""The published figures this script calibrates to, by id (also the column of ``run``'s table)."""
TARGET_CONTACTED = TARGETS["contacted_share"].published
TARGET_DEPARTED = TARGETS["departed_share_of_contacted"].published
TARGET_COMPLAINTS = TARGETS["complaint_share"].published
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
    """The calibrated values for the three knobs: exactly the paths of ``CALIBRATED_PATHS``."""
    success = base.contact.success.model_dump()
    scaled = {
        ch: {q: float(min(1.0, round(v * scale, 5))) for q, v in row.items()} for ch, row in success.items()
    }
    return {
        "cohort": {"already_departed_share": float(round(departed, 5))},
        "contact": {"complaint_probability": float(round(min(1.0, complaint), 5)), "success": scaled},
    }


def calibrate(reps: int, workers: int, iterations: int) -> dict[str, Any]:
    base = Scenario.model_validate({"name": "calibration"})  # the schema's values: the current calibration
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


def values_yaml(overrides: dict[str, Any]) -> str:
    """The calibrated values as YAML, in schema order."""
    return yaml.safe_dump(overrides, sort_keys=False, default_flow_style=False)


def calibration_text(overrides: dict[str, Any], reps: int, iterations: int, check_lines: list[str]) -> str:
    """The whole calibration file: a header (what, targets, date, seed, check) and the values."""
    today = datetime.date.today().isoformat()
    header = [
        "Calibrated parameter values. These are the schema's own defaults for exactly these fields:",
        "sim/scenario/schema.py reads this file at import (sim/scenario/calibration.py checks it), so every",
        "scenario runs with them unless it overrides them.",
        "Written by scripts/calibrate.py --write; re-run it rather than editing by hand.",
        "",
        "Targets (contractor MI quoted in the Home Office response, seed 002 §4.2 and §8.2):",
        *(f'  {t.title}: {t.published:.4g}, from "{t.figure}"' for t in TARGETS.values()),
        f"Calibrated on {today} with seed {SEED}, full cohort, {reps} replications per iteration, at most",
        f"{iterations} iterations. Check of the baseline with these values:",
        *(f"  {line}" for line in check_lines),
    ]
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + values_yaml(overrides)


def write_calibration(text: str, overrides: dict[str, Any]) -> None:
    """Replace the calibration file atomically, after checking the new one as the schema will.

    The new text goes to a temporary file in the same directory, which is read back, compared with
    ``overrides`` and checked against the schema (``check_calibration``: exactly the calibrated
    paths, valid values); only then is it renamed over the old file, so a failure leaves the old
    calibration in place and no half-written file.
    """
    tmp = CALIBRATION_FILE.with_name(f".{CALIBRATION_FILE.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        written = Calibration.read(tmp)
        if written.values != overrides:
            raise RuntimeError(f"{tmp} does not read back as the calibrated values")
        check_calibration(Scenario, written, {"name": "calibration"})
        os.replace(tmp, CALIBRATION_FILE)
    finally:
        tmp.unlink(missing_ok=True)


def check(scenario: Scenario, label: str, reps: int, workers: int) -> tuple[bool, list[str]]:
    """Whether ``reps`` replications of ``scenario`` meet the targets, and the lines reporting it."""
    df = run(scenario, reps, workers)
    ok = True
    lines = [
        f"{label}: {reps} replications, seed {SEED}, full cohort",
        f"{'measure':<30}{'mean':>10}{'sd':>10}{'published':>11}{'tolerance':>11}  result",
    ]
    for col, target in TARGETS.items():
        mean, sd = df[col].mean(), df[col].std(ddof=1)
        good = abs(mean - target.published) <= target.tolerance
        ok &= good
        verdict = "ok" if good else "MISS"
        lines.append(
            f"{col:<30}{mean:>10.4%}{sd:>10.4%}{target.published:>11.2%}{target.tolerance:>11.2%}  {verdict}"
        )
    means = df[["cohort_size", "contacted", "departed_contacted", "complaints"]].mean()
    lines.append("mean counts: " + ", ".join(f"{k} {v:,.0f}" for k, v in means.items()))
    return ok, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=4, help="replications per calibration iteration")
    ap.add_argument("--iterations", type=int, default=6)
    ap.add_argument("--check-reps", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--write", action="store_true", help=f"write the values to {CALIBRATION_FILE.relative_to(ROOT)}"
    )
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    baseline = load_scenario(BASELINE)
    if args.check_only:
        ok, lines = check(baseline, f"Check of {BASELINE.relative_to(ROOT)}", args.check_reps, args.workers)
        print("\n" + "\n".join(lines))
        return 0 if ok else 1
    overrides = calibrate(args.reps, args.workers, args.iterations)
    if set(CALIBRATED_PATHS) != {f"{top}.{key}" for top, group in overrides.items() for key in group}:
        raise RuntimeError(f"the knobs {sorted(overrides)} are not the calibrated fields {CALIBRATED_PATHS}")
    print("\n" + values_yaml(overrides))
    if not args.write:
        print("(not written; pass --write)")
        return 0
    # The baseline with the new values is what every scenario will get once the file is written.
    label = f"Check of {BASELINE.relative_to(ROOT)} with the new values"
    ok, lines = check(baseline.with_overrides(overrides), label, args.check_reps, args.workers)
    print("\n" + "\n".join(lines))
    write_calibration(calibration_text(overrides, args.reps, args.iterations, lines), overrides)
    print(f"\nwritten: {CALIBRATION_FILE.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
