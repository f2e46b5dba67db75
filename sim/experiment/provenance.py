"""Where a result came from: the run key that decides whether stored parts can be reused, and the
code version, git commit and package version written into each manifest."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.experiment.parts import PART_FORMAT
from sim.scenario.schema import Scenario

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The ``sim`` package folder."""
MODEL_CODE = ("model", "scenario")
"""Sub-packages of ``sim`` whose source decides a replication's result: hashed into the run key,
so stored replications are never reused after any of their files changes (an include list: a new
module in either package is covered without anyone remembering to add it)."""
MODEL_SUFFIXES = (".py", ".yaml", ".json")
"""File types of those packages that are hashed (sources and data; not caches)."""


@functools.lru_cache(maxsize=1)
def model_code_hash() -> str:
    """SHA-256 of every source and data file of the ``sim/model`` and ``sim/scenario`` packages,
    so parts computed by changed model code are never reused."""
    h = hashlib.sha256()
    files = (p for sub in MODEL_CODE for p in (PACKAGE_DIR / sub).rglob("*") if p.suffix in MODEL_SUFFIXES)
    for path in sorted(p for p in files if p.is_file()):
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def run_key(scenario: Scenario, root_seed: int, keep_log: bool) -> str:
    """Everything a stored replication depends on, hashed: the resolved scenario (without its
    title and description), the root seed, whether the event log is kept, the model code and the
    layout of stored parts (``PART_FORMAT``)."""
    payload = {
        "scenario": scenario.model_dump(mode="json", exclude={"title", "description"}),
        "root_seed": root_seed,
        "keep_log": keep_log,
        "model_code": model_code_hash(),
        "part_format": PART_FORMAT,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _installed(name: str) -> str | None:
    """The installed version of distribution ``name``, None if it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_version() -> str | None:
    """The installed distribution's version, else pyproject.toml's."""
    if (installed := _installed("contact-sim")) is not None:
        return installed
    if sys.version_info >= (3, 11):  # tomllib is 3.11+; an installed package has metadata anyway
        import tomllib

        with contextlib.suppress(OSError, KeyError, TypeError, ValueError):
            data = tomllib.loads((PACKAGE_DIR.parent / "pyproject.toml").read_text(encoding="utf-8"))
            return str(data["project"]["version"])
    return None


RECORDED_LIBRARIES = ("simpy", "numpy", "pandas", "scipy", "pydantic", "matplotlib", "pyarrow")
"""Libraries whose versions a manifest records: the simulation engine and what the numbers pass
through (a report's STRESS-DES implementation section names them)."""


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def git_state() -> tuple[str | None, bool | None]:
    """(commit, whether tracked files differ from it); (None, None) outside a git checkout."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit, (bool(status) if status is not None else None)


@functools.lru_cache(maxsize=1)
def repository() -> str | None:
    """Where the code came from: the git remote ``origin`` if set, else the checkout's top-level
    folder; None outside a git checkout."""
    return _git("config", "--get", "remote.origin.url") or _git("rev-parse", "--show-toplevel")


def environment(
    executor: str, workers: int, scheduler: str | None, start_time: str, command_line: Sequence[str] | None
) -> dict[str, Any]:
    """What every manifest records about where and how a run was made: executor, workers, start
    time, package version, git commit (and whether the tree had changes), repository, Python,
    library versions, platform and the command line (``sys.argv`` when none is given)."""
    commit, dirty = git_state()
    return {
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "start_time": start_time,
        "package_version": package_version(),
        "git_commit": commit,
        "git_dirty": dirty,
        "repository": repository(),
        "python_version": platform.python_version(),
        "library_versions": {name: _installed(name) for name in RECORDED_LIBRARIES},
        "platform": platform.platform(),
        "command_line": shlex.join(command_line) if command_line is not None else shlex.join(sys.argv),
    }
