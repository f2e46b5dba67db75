"""The uncertainty study as the registry lists it (``sim.studies.base.Study``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiment import output
from sim.studies.base import Study, manifest_paths, parameter_count, recorded
from sim.studies.uncertainty import cli


def varied(m: Mapping[str, Any]) -> str:
    """The Latin-hypercube draws the reference and policies ran under, from the manifest."""
    return (
        f"{parameter_count(m)} ranged parameters ({manifest_paths(m)}) drawn "
        f"together by Latin hypercube, {recorded(m.get('samples'))} draws; the reference and each "
        f"policy under every draw, {recorded(m.get('replications'))} replication(s) each, common "
        "random numbers"
    )


STUDY = Study(
    "uncertainty",
    "uncertainty",
    output.UNCERTAINTY_MANIFEST,
    varied,
    cli=cli,
    reference="reference",
    section="uncertainty",
    report="sim.studies.uncertainty.report",
)
