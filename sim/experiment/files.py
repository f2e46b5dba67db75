"""Writing files so that a reader never sees half of one, and marking folders under construction.

Every file (and part folder) is written under a temporary name and moved into place with
``os.replace`` (atomic within one file system), so a final name never holds half a file even if the
process is killed. A results folder holds ``.incomplete`` from ``begin_folder`` until
``finish_folder`` has written its manifest (``sim.experiment.output``). Standard library only.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sim.experiment.output import MANIFEST, MARKER, PARTS_DIR, RUN_FILES

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


def begin_folder(folder: Path, manifest: str = MANIFEST, fixed: Sequence[str] = RUN_FILES) -> None:
    """Create ``folder`` (if needed), mark it incomplete and remove the previous run's outputs.

    The marker goes first and the old manifest next, so at no moment does the folder look like a
    finished run with a mix of old and new files. Files listed in the old manifest (plots, whose
    names depend on the label) are removed too, as are leftover temporary files. ``.parts`` is kept:
    whether it can be reused is the part store's decision.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / MARKER, "This folder is being written; it is complete when this file is gone.\n")
    old_files: list[str] = []
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        old = json.loads((folder / manifest).read_text(encoding="utf-8")).get("files", [])
        old_files = [str(f) for f in old]
    remove(folder / manifest)
    for name in [*fixed, *old_files]:
        if name in (MARKER, PARTS_DIR) or Path(name).name != name:  # never leave the folder
            continue
        remove(folder / name)
    for leftover in [*folder.glob(f".*{TMP_SUFFIX}"), folder / _PLOTS_TMP]:
        remove(leftover)


def finish_folder(folder: Path, manifest: Mapping[str, Any], name: str = MANIFEST) -> Path:
    """Write the manifest (last of all files) and remove the ``.incomplete`` marker."""
    path = write_json(folder / name, manifest)
    remove(folder / MARKER)
    return path


def write_plots(folder: Path, make: Callable[..., Sequence[str | os.PathLike[str]]], *args: Any) -> list[str]:
    """Run ``make(*args, outdir)`` (which returns the paths it wrote) into a temporary folder and move
    each figure into ``folder`` with ``os.replace``, atomic like every other file."""
    tmp = folder / _PLOTS_TMP
    remove(tmp)
    tmp.mkdir()
    try:
        names = []
        for p in map(Path, make(*args, tmp)):
            os.replace(p, folder / p.name)
            names.append(p.name)
        return names
    finally:
        remove(tmp)
