"""The sweep study as the registry lists it (``sim.studies.base.Study``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiment import output
from sim.studies.base import NOT_RECORDED, Study, listing, recorded
from sim.studies.sweep import cli


def varied(m: Mapping[str, Any]) -> str:
    """The grid: each swept path and its number of values, from the manifest."""
    grid = " x ".join(
        f"{p.get('path')} at {len(p.get('values') or [])} values"
        for p in listing(m, "params")
        if isinstance(p, Mapping)
    )
    return (
        f"one parameter at a time on a grid: {grid or NOT_RECORDED}; "
        f"{recorded(m.get('replications'))} paired replications per point"
    )


STUDY = Study(
    "sweep",
    "sweep",
    output.SWEEP_MANIFEST,
    varied,
    cli=cli,
    reference="scenario",
    section="sweep",
    report="sim.studies.sweep.report",
)
