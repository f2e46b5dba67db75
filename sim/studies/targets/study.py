"""The targets study as the registry lists it (``sim.studies.base.Study``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiment import output
from sim.studies.base import NOT_RECORDED, Study, listing, mapping, recorded
from sim.studies.targets import cli


def varied(m: Mapping[str, Any]) -> str:
    """Nothing: the published figures against the model on the named scenarios."""
    return (
        f"nothing varied: {len(listing(m, 'targets'))} published figures "
        f"({recorded(m.get('targets_file'))}) compared with the model on "
        f"{', '.join(map(str, mapping(m, 'scenarios'))) or NOT_RECORDED}, "
        f"{recorded(m.get('replications'))} replications per scenario"
    )


STUDY = Study(
    "targets",
    "targets",
    output.TARGETS_MANIFEST,
    varied,
    cli=cli,
    reference="scenarios",
    section="targets",
    report="sim.studies.targets.report",
)
