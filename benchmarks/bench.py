"""Benchmark: how fast and how lean is one full-cohort replication, and how well do runs scale?

Prints, for the scenario given (default: the calibrated baseline, 120,545 people):

* events scheduled, wall time and events per second of one replication (median of --reps runs);
* the same number of timeouts through a bare SimPy loop in the same run, and the ratio of the two
  (machines here are shared and noisy, so ratios measured together mean more than absolute times);
* peak resident memory of a fresh process running --memory-reps replications in a row, as a
  worker does (no per-person event log): a model the worker cannot free shows as growth;
* one replication of a policy that changes neither the cohort nor the contact process, right after
  the baseline's (so it reuses its contact phase), against the same without reuse;
* with ``--main-job``, the README's main job (the 2012-14 comparison, 15 scenarios x 20
  replications on 2 workers, with its report) with and without reuse (``--no-reuse``): ~20 min;
* parallel efficiency of --parallel-reps replications on 1 vs 2 worker processes, and the Dask
  distributed (LocalCluster) path against the process pool on the same machine.

This is a script that prints figures, never a timed unit test. Usage::

    python benchmarks/bench.py                       # everything, baseline
    python benchmarks/bench.py --skip-parallel       # single-replication figures only
    python benchmarks/bench.py --scenario scenarios/remote_reporting.yaml --reps 5
    python benchmarks/bench.py --skip-parallel --main-job   # and the main job, both ways
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simpy  # noqa: E402

from sim.model import kernels  # noqa: E402
from sim.model.results import run_replication  # noqa: E402
from sim.scenario.loading import load_scenario  # noqa: E402

MEMORY_PROBE = """
import json, sys
sys.path.insert(0, {root!r})

def hwm_kib():
    # VmHWM belongs to this address space; ru_maxrss would include the parent's at fork time
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

from sim.experiment.worker import run_one
from sim.scenario.loading import load_scenario
scenario = load_scenario({path!r}).model_dump_json()
before = hwm_kib()
peaks = []
for k in range({reps}):
    r = run_one(scenario, k, {seed}, False)  # as a worker runs them (with reuse: kept phase)
    del r
    peaks.append(hwm_kib())
print(json.dumps({{"peaks_kib": peaks, "before_kib": before}}))
"""


def bare_simpy(n_events: int, n_processes: int = 120_545) -> float:
    """Seconds for ``n_events`` timeouts spread over ``n_processes`` plain SimPy processes."""
    env = simpy.Environment()
    per = max(1, n_events // n_processes)

    def proc(env: simpy.Environment, k: int):  # type: ignore[no-untyped-def]
        for i in range(per):
            yield env.timeout(1.0 + (k * 7919 + i) % 97)

    for k in range(n_processes):
        env.process(proc(env, k))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def single(path: Path, reps: int, seed: int) -> dict[str, Any]:
    scenario = load_scenario(path)
    walls, events = [], 0
    bare = []
    for k in range(reps):
        t0 = time.perf_counter()
        r = run_replication(scenario, k, seed)
        walls.append(time.perf_counter() - t0)
        events = r.events
        bare.append(bare_simpy(r.events))
    wall = statistics.median(walls)
    bare_wall = statistics.median(bare)
    return {
        "cohort": int(r.summary["cohort_size"]),  # everyone entering before the horizon
        "events": events,
        "wall_s": wall,
        "wall_all": walls,
        "events_per_s": events / wall,
        "bare_wall_s": bare_wall,
        "bare_events_per_s": events / bare_wall,
        "ratio_to_bare": wall / bare_wall,
    }


def memory(path: Path, seed: int, reps: int) -> dict[str, Any]:
    """Peak resident memory (MiB) of a fresh process after each of ``reps`` replications."""
    code = MEMORY_PROBE.format(root=str(ROOT), path=str(path), seed=seed, reps=reps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    peaks = [kib / 1024 for kib in data["peaks_kib"]]
    return {
        "peak_mib": peaks[-1],
        "first_mib": peaks[0],
        "peaks_mib": peaks,
        "start_mib": data["before_kib"] / 1024,
    }


REUSER = ROOT / "scenarios" / "prioritised_tracing.yaml"
"""A policy whose contact phase is the baseline's (it changes tracing only)."""
MAIN_JOB = ["compare", "scenarios/baseline.yaml", "scenarios/*.yaml", "--workers", "2", "--report", "-q"]
"""The README's main job, its 2012-14 part (the shell expands the glob there; Python does here)."""


def reuse(seed: int) -> dict[str, float]:
    """Seconds for one replication of ``REUSER`` after the baseline's, with and without reuse."""
    from sim.model.model import PHASES

    base, policy = load_scenario(ROOT / "scenarios" / "baseline.yaml"), load_scenario(REUSER)
    out: dict[str, float] = {}
    for label, on in (("with", True), ("without", False)):
        PHASES.clear()
        run_replication(base, 0, seed, reuse=on)
        t0 = time.perf_counter()
        r = run_replication(policy, 0, seed, reuse=on)
        out[label] = time.perf_counter() - t0
        assert bool(r.reused) is on
    return out


def main_job(replications: int | None) -> dict[str, float]:
    """Wall seconds of the main job's comparison with and without reuse, into temporary folders."""
    argv = [a for a in MAIN_JOB if "*" not in a]
    argv[2:2] = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
    if replications is not None:
        argv += ["-n", str(replications)]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("with", []), ("without", ["--no-reuse"])):
            t0 = time.perf_counter()
            cmd = [sys.executable, "run_sim.py", *argv, *extra, "--out", f"{tmp}/{label}"]
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            out[label] = time.perf_counter() - t0
    return out


def parallel(path: Path, reps: int, seed: int) -> dict[str, float]:
    """Wall time of ``reps`` replications per executor, start-up and shutdown included."""
    from sim.experiment import make_runner  # the executors the CLI uses

    payload = [load_scenario(path).model_dump_json()]
    out: dict[str, float] = {}
    for label, workers, scheduler in (("serial", 1, None), ("pool2", 2, None), ("dask2", 2, "local")):
        t0 = time.perf_counter()
        runner = make_runner(workers, scheduler)
        try:
            for _ in runner.results([(0, k) for k in range(reps)], payload, seed, False):
                pass
        finally:
            runner.close()
        out[label] = time.perf_counter() - t0
    out["efficiency_pool2"] = out["serial"] / (2 * out["pool2"])
    out["dask_vs_pool"] = out["dask2"] / out["pool2"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    ap.add_argument("--reps", type=int, default=3, help="single-replication repeats (median reported)")
    ap.add_argument("--parallel-reps", type=int, default=8)
    ap.add_argument("--memory-reps", type=int, default=4, help="replications in a row for peak memory")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--skip-parallel", action="store_true")
    ap.add_argument("--main-job", action="store_true", help="time the main job with and without reuse")
    ap.add_argument("--main-job-replications", type=int, help="-n for the main job (default: its own, 20)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()

    s = single(args.scenario, args.reps, args.seed)
    walls = ", ".join(f"{w:.2f}" for w in s["wall_all"])
    rows = [
        ("scenario", f"{args.scenario.name} ({s['cohort']:,} people)"),
        ("model's loops (sim/model/kernels.py)", "compiled" if kernels.COMPILED else "run as Python"),
        ("events per replication", f"{s['events']:,}"),
        (f"wall time, median of {args.reps}", f"{s['wall_s']:.2f} s  (all: {walls})"),
        ("events per second", f"{s['events_per_s']:,.0f}"),
        ("bare SimPy, same events", f"{s['bare_wall_s']:.2f} s  ({s['bare_events_per_s']:,.0f} events/s)"),
        ("model time / bare SimPy", f"{s['ratio_to_bare']:.2f}"),
    ]
    m = memory(args.scenario, args.seed, args.memory_reps)
    peak = f"{m['peak_mib']:.0f} MiB (after the first: {m['first_mib']:.0f} MiB; at start: "
    peak += f"{m['start_mib']:.0f} MiB)"
    rows.append((f"peak memory (VmHWM), {args.memory_reps} replications in a row", peak))
    figures: dict[str, object] = {"single": s, "memory": m}
    r = reuse(args.seed)
    rows.append(
        (
            f"1 replication of {REUSER.stem}",
            f"{r['with']:.2f} s after the baseline's (reusing its contact phase), "
            f"{r['without']:.2f} s without",
        )
    )
    figures["reuse"] = r
    if args.main_job:
        j = main_job(args.main_job_replications)
        n = args.main_job_replications or 20
        rows += [
            (f"main job (2012-14, 15 x {n}), reuse", f"{j['with']:.0f} s"),
            (
                f"main job (2012-14, 15 x {n}), --no-reuse",
                f"{j['without']:.0f} s  (x{j['without'] / j['with']:.2f})",
            ),
        ]
        figures["main_job"] = j
    if not args.skip_parallel:
        p = parallel(args.scenario, args.parallel_reps, args.seed)
        n = args.parallel_reps
        pool = f"{p['pool2']:.1f} s  (efficiency {p['efficiency_pool2']:.0%})"
        dask = f"{p['dask2']:.1f} s  ({p['dask_vs_pool']:.2f} x the pool)"
        rows += [
            (f"{n} replications, serial", f"{p['serial']:.1f} s"),
            (f"{n} replications, 2 processes", pool),
            (f"{n} replications, Dask 2 workers", dask),
        ]
        figures["parallel"] = p
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
