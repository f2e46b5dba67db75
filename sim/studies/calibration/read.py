"""Reading a calibration.csv back, for ``uncertainty --from-calibration``: the parameter sets a
calibration did not rule out, checked against the ranges of the scenario they will be applied to,
so a stale or edited file is refused with a message (exit 2) rather than misread."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment import output
from sim.experiment.errors import ExperimentError
from sim.scenario.uncertainty import Uncertain
from sim.studies.calibration.analysis import NROY_COLUMNS
from sim.studies.sensitivity.run import read_given_csv


def read_calibration(file: str | Path, available: Sequence[Uncertain]) -> pd.DataFrame:
    """The parameter columns of a calibration.csv, checked against the scenario's ranges
    (ExperimentError naming the file and what is wrong: missing, not a calibration.csv, a parameter
    the scenario has no range for, a value outside its range or not a number, no rows)."""
    opt = "--from-calibration"
    frame = read_given_csv(file, opt, f"the {output.CALIBRATION_FILE} of a 'calibrate' run")
    params = [c for c in frame.columns if c not in NROY_COLUMNS]
    if not set(NROY_COLUMNS) <= set(frame.columns) or not params:
        raise ExperimentError(
            f"{opt}: {file} is not a {output.CALIBRATION_FILE} (needs parameter columns and "
            f"{', '.join(NROY_COLUMNS)})"
        )
    by_path = {u.path: u for u in available}
    unknown = [p for p in params if p not in by_path]
    if unknown:
        raise ExperimentError(
            f"{opt}: {file}: the reference has no range for {', '.join(unknown)}; ranged parameters: "
            + ", ".join(by_path)
        )
    if frame.empty:
        raise ExperimentError(
            f"{opt}: {file} has no rows: the calibration ruled out every value (see its "
            f"{output.CALIBRATION_MANIFEST}); nothing to sample"
        )
    for p in params:
        col = pd.to_numeric(frame[p], errors="coerce")
        u = by_path[p]
        bad = ~np.isfinite(col.to_numpy(float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ExperimentError(
                f"{opt}: {file}: {p}, row {row + 2}: got {frame[p].iloc[row]!r}; must be a number"
            )
        eps = 1e-9 * max(1.0, abs(u.low), abs(u.high))
        outside = (col < u.low - eps) | (col > u.high + eps)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            raise ExperimentError(
                f"{opt}: {file}: {p}, row {row + 2}: {col.iloc[row]:g} is outside the reference's range "
                f"[{u.low:g}, {u.high:g}]"
            )
        frame[p] = col
    return frame[params].reset_index(drop=True)
