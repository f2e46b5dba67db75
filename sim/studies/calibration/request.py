"""What a calibration is asked to do, with its defaults: the one place they are written.

The command line's options (``cli.py``) take their defaults from ``CalibrationRequest()``, and
``run.py`` plans from the request; this module imports only the standard library, so ``--help``
stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ROLES = ("calibration", "parameter")
DEFAULT_WAVES = 3
DEFAULT_REPLICATIONS = 2
DEFAULT_CANDIDATES = 20_000
CUTOFF = 3.0
"""Pukelsheim's 3-sigma rule: implausibility above this rules a point out."""
DEFAULT_DISCREPANCY = 0.1
"""Model-discrepancy sd as a fraction of the target's tolerance."""


@dataclass(frozen=True)
class CalibrationRequest:
    """What to match and how (the command's options)."""

    params: tuple[str, ...] = ()
    """Glob patterns on the dotted paths; empty: the drivers of the targets' measures."""
    roles: tuple[str, ...] = DEFAULT_ROLES
    exclude: tuple[str, ...] = ()
    """Target ids left out of the fit (still checked, like a validation target)."""
    waves: int = DEFAULT_WAVES
    points: int | None = None
    """Design points per wave (default: 10 per parameter)."""
    replications: int = DEFAULT_REPLICATIONS
    candidates: int = DEFAULT_CANDIDATES
    cutoff: float = CUTOFF
    discrepancy: float = DEFAULT_DISCREPANCY
    seed: int = 1
    targets_file: str | None = None


__all__ = [
    "CUTOFF",
    "DEFAULT_CANDIDATES",
    "DEFAULT_DISCREPANCY",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_ROLES",
    "DEFAULT_WAVES",
    "CalibrationRequest",
]
