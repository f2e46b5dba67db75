"""The per-replication part store: each finished replication on disk as soon as it arrives.

Each finished replication is stored at once as ``.parts/rep_<k>.pkl`` (with the key of the run it
belongs to), so memory does not grow with the number of replications and an interrupted run can
be resumed. The final CSVs are assembled from the parts in replication order, so they do not
depend on the order in which replications finished.
"""

from __future__ import annotations

import contextlib
import json
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.experiment.files import atomic_open, remove, write_json
from sim.experiment.output import PARTS_DIR
from sim.model.results import ReplicationResult

PARTS_KEY = "key.json"
PART_FORMAT = 1
"""Version of the part-file layout; bump it when the stored structure changes."""


class PartStore:
    """``<folder>/.parts``: one pickle per finished replication, tagged with the run's key.

    The key identifies everything a replication's result depends on (the resolved scenario, the
    root seed, whether the event log is kept, the model code); parts with another key are never
    reused.
    """

    def __init__(self, folder: Path, key: str, info: Mapping[str, Any] | None = None) -> None:
        self.dir = folder / PARTS_DIR
        self.key = key
        self.info = dict(info or {})

    def path(self, replication: int) -> Path:
        return self.dir / f"rep_{replication:06d}.pkl"

    def stored_key(self) -> str | None:
        """The key recorded in ``.parts/key.json`` (None if absent or unreadable)."""
        try:
            return str(json.loads((self.dir / PARTS_KEY).read_text(encoding="utf-8"))["key"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def existing(self) -> list[int]:
        """Replication indices that have a part file (not yet checked for their key)."""
        found = []
        for p in self.dir.glob("rep_*.pkl"):
            with contextlib.suppress(ValueError):
                found.append(int(p.stem.removeprefix("rep_")))
        return sorted(found)

    def reset(self) -> None:
        """Delete every part and start a store for this key."""
        remove(self.dir)
        self.dir.mkdir(parents=True)
        write_json(self.dir / PARTS_KEY, {"key": self.key, "format": PART_FORMAT, **self.info})

    def open(self, resume: bool) -> str | None:
        """Prepare the store; returns why earlier parts were discarded, if they were.

        Without ``resume`` the store is emptied. With ``resume`` the parts are kept when
        ``key.json`` matches this run's key, and discarded (with a reason) when it does not.
        """
        if not resume:
            self.reset()
            return None
        if not self.dir.exists():
            self.reset()
            return None
        stored = self.stored_key()
        if stored == self.key:
            return None
        n = len(self.existing())
        self.reset()
        if n == 0:
            return None
        what = (
            "an unreadable key"
            if stored is None
            else "a different scenario, seed, event-log setting or model"
        )
        return f"{n} stored replication(s) in {self.dir} belong to {what}; starting over"

    def write(self, replication: int, result: ReplicationResult) -> Path:
        path = self.path(replication)
        payload = {"key": self.key, "format": PART_FORMAT, "replication": replication, "result": result}
        with atomic_open(path, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def read(self, replication: int) -> ReplicationResult | None:
        """The stored result, or None when the part is missing, unreadable or from another run."""
        try:
            with open(self.path(replication), "rb") as fh:
                payload = pickle.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        if (
            not isinstance(payload, dict)
            or payload.get("key") != self.key
            or payload.get("format") != PART_FORMAT
            or payload.get("replication") != replication
            or not isinstance(payload.get("result"), ReplicationResult)
        ):
            return None
        return payload["result"]


__all__ = ["PART_FORMAT", "PartStore"]
