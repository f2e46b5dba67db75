"""What a sensitivity analysis is asked to do, with its defaults written once: ``cli.py``'s options
take them from ``SensitivityRequest()``. Only light modules are imported, so ``--help`` stays quick."""

from __future__ import annotations

from dataclasses import dataclass

from sim.analysis.kpis import DEFAULT_KPIS

MORRIS, SOBOL = "morris", "sobol"
METHODS: tuple[str, ...] = (MORRIS, SOBOL)
NO_GROUPS, SECTION_GROUPS = "none", "section"
GROUPINGS: tuple[str, ...] = (NO_GROUPS, SECTION_GROUPS)


@dataclass(frozen=True)
class SensitivityRequest:
    """What to analyse and how (the command's options)."""

    method: str = MORRIS
    params: tuple[str, ...] = ()
    """Glob patterns on the dotted paths (fnmatch); empty: every ranged parameter."""
    shortlist: str | None = None
    """A Morris sensitivity.csv whose top parameters (``top`` per KPI, not within noise) to use."""
    top: int = 5
    kpis: tuple[str, ...] = DEFAULT_KPIS
    trajectories: int = 10
    levels: int = 4
    samples: int = 64
    replications: int = 2
    seed: int = 1
    groups: str = NO_GROUPS
    """``none``: every parameter is a factor; ``section``: the parameters of each top-level section
    of the scenario (``contact.*``, ``detention.*``, ...) move together as one factor (SALib
    groups: Campolongo et al. 2007), so a design costs (sections + 1) points per trajectory
    instead of (parameters + 1)."""
