"""The studies, in the order the report and its messages list them: adding a study is its own
folder and one line here (nothing else branches on a study's name)."""

from __future__ import annotations

from sim.studies.base import Study
from sim.studies.calibration.study import STUDY as CALIBRATION
from sim.studies.sensitivity.study import STUDY as SENSITIVITY
from sim.studies.sweep.study import STUDY as SWEEP
from sim.studies.targets.study import STUDY as TARGETS
from sim.studies.uncertainty.study import STUDY as UNCERTAINTY

STUDIES: tuple[Study, ...] = (SENSITIVITY, UNCERTAINTY, SWEEP, TARGETS, CALIBRATION)
BY_KIND: dict[str, Study] = {s.kind: s for s in STUDIES}
"""Each study by its report name (``AnalysisFolder.kind``)."""

__all__ = ["BY_KIND", "STUDIES"]
