"""What a calibration is asked to do, with its defaults written once: ``cli.py``'s options take them
from ``CalibrationRequest()``. Only the standard library is imported, so ``--help`` stays quick."""

from __future__ import annotations

from dataclasses import dataclass

CUTOFF = 3.0
"""Pukelsheim's 3-sigma rule: implausibility above this rules a point out."""
DEFAULT_DISCREPANCY = 0.1
"""Model-discrepancy sd as a fraction of the target's tolerance."""


@dataclass(frozen=True)
class CalibrationRequest:
    """What to match and how (the command's options)."""

    params: tuple[str, ...] = ()
    """Glob patterns on the dotted paths; empty: the drivers of the targets' measures."""
    roles: tuple[str, ...] = ("calibration", "parameter")
    exclude: tuple[str, ...] = ()
    """Target ids left out of the fit (still checked, like a validation target)."""
    waves: int = 3
    points: int | None = None
    """Design points per wave (default: 10 per parameter)."""
    replications: int = 2
    candidates: int = 20_000
    cutoff: float = CUTOFF
    discrepancy: float = DEFAULT_DISCREPANCY
    seed: int = 1
    targets_file: str | None = None
