"""The sensitivity study as the registry lists it (``sim.studies.base.Study``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiment import output
from sim.studies.base import Study, manifest_paths, mapping, parameter_count, recorded
from sim.studies.sensitivity import cli


def varied(m: Mapping[str, Any]) -> str:
    """The Morris or Sobol design over the ranged parameters, from the manifest."""
    design = mapping(m, "design")
    if m.get("method") == "morris":
        how = (
            f"Morris elementary effects (SALib), {recorded(design.get('trajectories'))} trajectories "
            f"over {recorded(design.get('levels'))} levels, one factor moved per step"
        )
    else:
        how = f"Sobol indices (SALib, Saltelli's design, N = {recorded(design.get('samples'))})"
    groups = design.get("groups")
    grouped = f", moved as {len(groups)} groups by section" if isinstance(groups, Mapping) and groups else ""
    return (
        f"{parameter_count(m)} ranged parameters over their plausible ranges "
        f"({manifest_paths(m)}){grouped}; {how}; "
        f"{recorded(design.get('points'))} design points x {recorded(m.get('replications'))} "
        "replications, the same random numbers at every point"
    )


STUDY = Study(
    "sensitivity",
    "sensitivity",
    output.MANIFEST,
    varied,
    cli=cli,
    reference="reference",
    section="sensitivity",
    report="sim.studies.sensitivity.report",
    key="method",
)
