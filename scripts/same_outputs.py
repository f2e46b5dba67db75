"""Check that a refactoring changed no output: same seed, byte-identical tables.

Runs the same reduced-cohort commands on the working tree and on a git revision (default
``HEAD``, checked out in a temporary worktree), then compares every CSV file the commands wrote,
byte by byte. Refactors must leave ``summary.csv``, ``outcomes.csv`` and the comparison tables
unchanged; a model change is not a refactor and must say so. Manifests, plots and reports are not
compared: they carry times, versions and the code hash, which differ by design.

The commands cover the whole policy library (a compare), a sweep, a Morris design, a
probabilistic sensitivity and a calibration wave, each on a small cohort so the check takes a
few minutes on the 2-core machine::

    python scripts/same_outputs.py                 # working tree against HEAD
    python scripts/same_outputs.py --base main~3   # against an older revision
    python scripts/same_outputs.py --only compare  # one command only

Exit code 0 when every file is identical, 1 when any differs or is missing (each is listed).
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMALL = ["--cohort-size", "2000", "-n", "2", "-w", "2", "--no-plots", "-q"]
"""Reduced cohort, two replications on two workers: enough to exercise pairing and pooling."""

TINY = ["--cohort-size", "300", "--horizon", "180", "-n", "2", "-w", "2", "--no-plots", "-q"]
"""For the design commands, whose points multiply the cost of one replication."""

COMMANDS: dict[str, list[str]] = {
    "compare": ["compare", "scenarios/baseline.yaml", "scenarios/*.yaml", *SMALL],
    "run": ["run", "scenarios/remote_reporting.yaml", "--horizon", "400", *SMALL],
    "sweep": ["sweep", "scenarios/baseline.yaml", "--param", "detention.beds=20,80", *TINY],
    "sensitivity": [
        "sensitivity",
        "scenarios/baseline.yaml",
        "scenarios/remote_reporting.yaml",
        "--groups",
        "section",
        "--trajectories",
        "2",
        *TINY,
    ],
    "uncertainty": [
        "uncertainty",
        "scenarios/baseline.yaml",
        "scenarios/remote_reporting.yaml",
        "--samples",
        "3",
        *TINY,
    ],
    "calibrate": ["calibrate", "--waves", "1", "--points", "8", *TINY],
}
"""Command name -> its arguments (globs expanded against the tree being checked)."""


def run_all(tree: Path, out: Path, names: list[str]) -> None:
    """Run each named command of ``COMMANDS`` in ``tree`` with its output under ``out/<name>``."""
    for name in names:
        args: list[str] = []
        for arg in COMMANDS[name]:
            args += sorted(str(p.relative_to(tree)) for p in tree.glob(arg)) if "*" in arg else [arg]
        cmd = [sys.executable, "run_sim.py", *args, "--out", str(out / name)]
        print(f"[{tree.name}] {name}", flush=True)
        # PYTHONPATH first: the tree's own sim/, not an editable install of another checkout.
        env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed in {tree} (exit {done.returncode}):\n{done.stderr[-3000:]}")


def compare_trees(base: Path, head: Path) -> list[str]:
    """Every CSV under either folder that is missing from the other or differs in any byte."""
    problems = []
    files = {p.relative_to(base) for p in base.rglob("*.csv")} | {
        p.relative_to(head) for p in head.rglob("*.csv")
    }
    for rel in sorted(files):
        a, b = base / rel, head / rel
        if not a.exists() or not b.exists():
            problems.append(f"only in {'base' if a.exists() else 'working tree'}: {rel}")
        elif not filecmp.cmp(a, b, shallow=False):
            problems.append(f"differs: {rel}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="HEAD", help="git revision to compare with (default: HEAD)")
    parser.add_argument("--only", action="append", choices=sorted(COMMANDS), help="run only these commands")
    ns = parser.parse_args()
    names = ns.only or list(COMMANDS)
    with tempfile.TemporaryDirectory(prefix="same_outputs_") as tmp:
        work = Path(tmp)
        base_tree = work / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base_tree), ns.base],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            run_all(base_tree, work / "out_base", names)
            run_all(ROOT, work / "out_head", names)
            problems = compare_trees(work / "out_base", work / "out_head")
            n_files = len(list((work / "out_head").rglob("*.csv")))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
    for line in problems:
        print(line)
    print(
        f"{n_files} CSV files compared with {ns.base}: "
        + ("identical" if not problems else f"{len(problems)} differ")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
