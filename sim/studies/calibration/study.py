"""The calibration study (``run_sim.py calibrate``) as the registry lists it
(``sim.studies.base.Study``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiment import output
from sim.studies.base import Study, listing, manifest_paths, mapping, parameter_count, recorded
from sim.studies.calibration import cli


def varied(m: Mapping[str, Any]) -> str:
    """The history-matching waves over the ranged parameters, from the manifest."""
    design = mapping(m, "design")
    return (
        f"{parameter_count(m)} ranged parameters ({manifest_paths(m)}) searched by "
        f"history matching against {len(listing(m, 'targets'))} published figures "
        f"({recorded(m.get('targets_file'))}): {recorded(design.get('waves_run'))} wave(s) of "
        f"{recorded(design.get('points_per_wave'))} Latin-hypercube points x "
        f"{recorded(m.get('replications'))} replication(s), Gaussian-process emulators, values "
        "ruled out by implausibility"
    )


STUDY = Study(
    "calibration",
    "calibrate",
    output.CALIBRATION_MANIFEST,
    varied,
    cli=cli,
    reference="scenario",
    section="targets",
    report="sim.studies.calibration.report",
)
