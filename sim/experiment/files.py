"""Writing files so that a reader never sees half of one, marking folders under construction, and
never touching a folder or file that is not ours.

Every file (and part folder) is written under a temporary name and moved into place with
``os.replace`` (atomic within one file system), so a final name never holds half a file even if the
process is killed. A results folder holds ``.incomplete`` from ``begin_folder`` until
``finish_folder`` has written its manifest (``sim.experiment.output``).

A results folder is owned: its owner marker (``output.OWNER``) says which kind of command's folder
it is, and a command writes only into a folder of its own kind, under the folder's lock, replacing
only the files it wrote there. Anything else is refused before anything is written (``--force``
moves the folder aside, never deletes it). Standard library only (and the figure names).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sim.analysis import figures
from sim.experiment.errors import ExperimentError
from sim.experiment.output import (
    CALIBRATION_MANIFEST,
    COMPARISON_MANIFEST,
    LOCK,
    MANIFEST,
    MARKER,
    OWNER,
    PARTS_DIR,
    REPORT_FILE,
    RUN_FILES,
    SWEEP_MANIFEST,
    TARGETS_MANIFEST,
    UNCERTAINTY_MANIFEST,
    is_report_text,
)

if TYPE_CHECKING:
    import pandas as pd

TMP_SUFFIX = ".tmp"
"""Suffix of every temporary file or folder written here (removed by ``begin_folder`` if left)."""
_PLOTS_TMP = ".plots.tmp"


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path in ``path``'s folder that replaces ``path`` when the block succeeds (on an
    exception it is removed and ``path`` is left untouched)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; final files get the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """An open temporary file that replaces ``path`` when the block succeeds (``atomic_path``), flushed
    to disk before the rename, so after a crash ``path`` holds the old file or the complete new one."""
    with atomic_path(path) as tmp:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else ""
        with open(tmp, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder next to ``path`` that becomes ``path`` when the block succeeds (the caller
    flushes its files, ``fsync_file``). An existing ``path`` is removed just before the rename (a
    folder cannot be renamed over a non-empty one), so readers must treat a missing folder as "not
    written yet". On an exception the temporary folder is removed and ``path`` is left untouched."""
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        yield tmp
        remove(path)
        os.rename(tmp, path)
    except BaseException:
        remove(tmp)
        raise


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a file written by a library that does not (e.g. Parquet) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=json_default) + "\n")


def json_default(value: Any) -> Any:
    """JSON for the few non-JSON types results contain: paths and numpy scalars."""
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    with atomic_open(path) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")
    return Path(path)


def write_tables(folder: Path, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Write each table as ``folder/<file name>`` (``write_csv``); the file names, in order."""
    for name, frame in tables.items():
        write_csv(folder / name, frame)
    return list(tables)


def remove(path: Path) -> None:
    """Remove a file or a folder tree; nothing if it does not exist."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def begin_folder(
    folder: Path,
    kind: str,
    manifest: str = MANIFEST,
    fixed: Collection[str] = RUN_FILES,
    force: bool = False,
    command_line: Sequence[str] | None = None,
) -> Path | None:
    """Claim ``folder`` for a command of ``kind``, mark it incomplete and remove that kind's previous
    outputs; with ``force``, a folder it may not use is first moved aside (its new path returned).

    Under the folder's lock (``ExperimentError`` if another process holds it): the folder is
    checked (``check_folder``), its owner marker written, then ``.incomplete``, then the old
    manifest removed, so at no moment does it look like a finished run with a mix of old and new
    files. Only names the code computes (``manifest``, ``fixed`` and figure names) that the owner
    marker says this kind wrote (or a report we wrote) are removed, never a list read from disk.
    ``.parts`` is kept: whether it can be reused is the part store's decision.
    """
    fixed = {*fixed, manifest}
    aside = None
    problem = _ownership_problem(folder, kind, fixed)
    if problem is not None:
        if not force:
            raise ExperimentError(_refusal(folder, problem))
        aside = _move_aside(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _lock(folder)
    problem = _ownership_problem(folder, kind, fixed)  # again under the lock: another run may have begun
    if problem is not None:
        raise ExperimentError(_refusal(folder, problem))
    owner = _read_owner(folder) or _legacy_owner(folder)
    mine = owner.files if owner is not None else frozenset()
    old = [n for n in os.listdir(folder) if _replaceable(n, fixed) and (n in mine or _our_report(folder / n))]
    _write_owner(folder, kind, sorted(fixed), command_line)
    write_text(folder / MARKER, "This folder is being written; it is complete when this file is gone.\n")
    remove(folder / manifest)
    for name in old:
        remove(folder / name)
    for leftover in [*folder.glob(f".*{TMP_SUFFIX}"), folder / _PLOTS_TMP]:
        remove(leftover)
    return aside


def finish_folder(folder: Path, manifest: Mapping[str, Any], name: str = MANIFEST) -> Path:
    """Write the manifest (last of all files), record its ``files`` in the owner marker, remove the
    ``.incomplete`` marker and release the folder's lock."""
    path = write_json(folder / name, manifest)
    owner = _read_owner(folder)
    if owner is not None:
        _write_owner(folder, owner.kind, [str(f) for f in manifest.get("files", [])], None, owner)
    remove(folder / MARKER)
    _unlock(folder)
    return path


# ----------------------------------------------------------------------------------------------
# Ownership: which kind of command a folder belongs to, and one lock per folder
# ----------------------------------------------------------------------------------------------

_INTERNAL = frozenset({MARKER, PARTS_DIR, OWNER, LOCK, _PLOTS_TMP})
"""Names of the machinery in every results folder, never a user's output."""
_FIGURES = frozenset(v for k, v in vars(figures).items() if k.isupper() and isinstance(v, str))
_LEGACY: dict[str, tuple[str, str]] = {
    "run": (MANIFEST, "run_key"),
    "sensitivity": (MANIFEST, "method"),
    "compare": (COMPARISON_MANIFEST, "scenarios"),
    "sweep": (SWEEP_MANIFEST, "params"),
    "uncertainty": (UNCERTAINTY_MANIFEST, "samples"),
    "calibrate": (CALIBRATION_MANIFEST, "nroy_sets"),
    "targets": (TARGETS_MANIFEST, "targets"),
}
"""Folders written before owner markers: kind -> (its manifest, a key only that kind's manifest has)."""
_LOCKS: dict[Path, int] = {}
"""Folders this process has locked (resolved path -> the lock file's descriptor)."""


@dataclass(frozen=True)
class Owner:
    """A folder's owner marker (``output.OWNER``)."""

    kind: str
    """``run`` for a scenario folder, else the command whose folder it is (compare, sweep, ...)."""
    started: str
    command_line: str
    files: frozenset[str]
    """The names this kind has written (or claimed while writing) in the folder."""


def _replaceable(name: str, fixed: Collection[str]) -> bool:
    """Whether a command whose folder has the files ``fixed`` may write ``name``: one of them, or a
    figure (``sim.analysis.figures``: a fixed name or a prefix plus ``.png``)."""
    if name in fixed:
        return True
    return name.endswith(".png") and any(
        name == f or (f.endswith("_") and name.startswith(f)) for f in _FIGURES
    )


def written_report(path: Path) -> bool:
    """Whether ``path`` is a briefing report this program wrote (its generator tag near the top): only
    such a file is ever replaced by a report."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return is_report_text(head.decode("utf-8", "replace"))


def _our_report(path: Path) -> bool:
    return path.name == REPORT_FILE and written_report(path)


def _read_owner(folder: Path) -> Owner | None:
    try:
        data = json.loads((folder / OWNER).read_text(encoding="utf-8"))
        kind, files = data["kind"], data["files"]
        if not (isinstance(kind, str) and isinstance(files, list)):
            return None
        return Owner(
            kind, str(data.get("started", "")), str(data.get("command_line", "")), frozenset(map(str, files))
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _legacy_owner(folder: Path) -> Owner | None:
    """The owner of a folder written before owner markers, from a manifest that shows its kind."""
    for kind, (manifest, key) in _LEGACY.items():
        try:
            data = json.loads((folder / manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and key in data and isinstance(data.get("files"), list):
            files = frozenset(str(f) for f in data["files"])
            return Owner(kind, str(data.get("start_time", "")), str(data.get("command_line", "")), files)
    return None


def _write_owner(
    folder: Path,
    kind: str,
    files: Sequence[str],
    command_line: Sequence[str] | None,
    old: Owner | None = None,
) -> None:
    started = old.started if old else datetime.now().astimezone().isoformat(timespec="seconds")
    line = old.command_line if old else shlex.join(command_line) if command_line else shlex.join(sys.argv)
    record = {"kind": kind, "started": started, "command_line": line, "files": list(files)}
    write_json(folder / OWNER, record)


def _ownership_problem(folder: Path, kind: str, fixed: Collection[str]) -> str | None:
    """Why a command of ``kind`` writing ``fixed`` may not use ``folder`` (None if it may): it is
    another kind's folder, or holds files that this kind would replace but did not write. Files it
    would not touch (a README, other commands' folders inside) are no reason to refuse."""
    if not folder.exists():
        return None
    if not folder.is_dir():
        return "exists and is not a folder"
    holder = _holder(folder)
    if holder is not None:
        raise ExperimentError(
            f"{folder}: folder in use by PID {holder or '(unknown)'}, which is writing into it; "
            "wait for it to finish or choose another --out"
        )
    owner = _read_owner(folder) or _legacy_owner(folder)
    if owner is not None and owner.kind != kind:
        by = f" by '{owner.command_line}'" if owner.command_line else ""
        when = f" on {owner.started}" if owner.started else ""
        return f"is a '{owner.kind}' folder (written{when}{by}), not a '{kind}' one"
    mine = owner.files if owner is not None else frozenset()
    foreign = sorted(
        n
        for n in os.listdir(folder)
        if n not in _INTERNAL and _replaceable(n, fixed) and n not in mine and not _our_report(folder / n)
    )
    if foreign:
        shown = ", ".join(foreign[:6]) + (f" and {len(foreign) - 6} more" if len(foreign) > 6 else "")
        return f"holds {shown}, not written by a '{kind}' command, which would replace them"
    return None


def check_folder(folder: Path, kind: str, fixed: Collection[str] = RUN_FILES, force: bool = False) -> None:
    """``ExperimentError`` if a command of ``kind`` may not write into ``folder`` (another process
    is writing into it, or, without ``force``, ``_ownership_problem``); reads only, so a plan can
    check every folder it will write before it writes any."""
    problem = _ownership_problem(folder, kind, fixed)
    if problem is not None and not force:
        raise ExperimentError(_refusal(folder, problem))


def _refusal(folder: Path, problem: str) -> str:
    if problem == "exists and is not a folder":
        return f"--out: {folder} {problem}"
    return (
        f"cannot write into {folder}: it {problem}. Nothing was changed. Choose another --out, or add "
        f"--force to move that folder aside to {folder.name}.old-<date-time>/ beside it (nothing is deleted)"
    )


def _move_aside(folder: Path) -> Path:
    """Rename ``folder`` to ``<folder>.old-<date-time>`` beside it (``--force``: never deleted)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = folder.with_name(f"{folder.name}.old-{stamp}")
    n = 1
    while aside.exists():
        aside, n = folder.with_name(f"{folder.name}.old-{stamp}-{n}"), n + 1
    os.rename(folder, aside)
    return aside


def _holder(folder: Path) -> int | None:
    """The PID of another process holding ``folder``'s lock (0 if it did not say), else None."""
    if folder.resolve() in _LOCKS:
        return None
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _lock_pid(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _lock_pid(fd: int) -> int:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else 0


def _lock(folder: Path) -> None:
    """Hold ``folder``'s lock (``fcntl.flock`` on ``.lock``, released by ``finish_folder`` or when the
    process ends) or raise ``ExperimentError`` naming the process that holds it."""
    key = folder.resolve()
    if key in _LOCKS:
        return
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _lock_pid(fd)
        os.close(fd)
        raise ExperimentError(
            f"{folder}: folder in use by PID {pid or '(unknown)'}, which is writing into it; "
            "wait for it to finish or choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    _LOCKS[key] = fd


def _unlock(folder: Path) -> None:
    fd = _LOCKS.pop(folder.resolve(), None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def locks_released_on_error() -> Iterator[None]:
    """Release the folder locks taken inside the block if it fails, so a session that goes on after
    an error (a notebook) does not keep other processes out of folders it is no longer writing."""
    before = set(_LOCKS)
    try:
        yield
    except BaseException:
        for key in set(_LOCKS) - before:
            os.close(_LOCKS.pop(key))
        raise


def claim(folder: Path, names: Sequence[str]) -> None:
    """Record in ``folder``'s owner marker that this command writes ``names`` (before writing them)."""
    owner = _read_owner(folder)
    if owner is not None and not owner.files.issuperset(names):
        _write_owner(folder, owner.kind, sorted(owner.files.union(names)), None, owner)


def write_plots(folder: Path, make: Callable[..., Sequence[str | os.PathLike[str]]], *args: Any) -> list[str]:
    """Run ``make(*args, outdir)`` (which returns the paths it wrote) into a temporary folder and move
    each figure into ``folder`` with ``os.replace``, atomic like every other file."""
    tmp = folder / _PLOTS_TMP
    remove(tmp)
    tmp.mkdir()
    try:
        paths = [Path(p) for p in make(*args, tmp)]
        claim(folder, [p.name for p in paths])
        for p in paths:
            os.replace(p, folder / p.name)
        return [p.name for p in paths]
    finally:
        remove(tmp)
