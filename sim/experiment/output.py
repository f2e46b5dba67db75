"""What a results folder contains, and how a reader tells that it is finished (``is_complete``):
the contract between the writer (``sim.experiment``) and every reader (CLI, docs, tests,
notebooks). The writer creates ``.incomplete`` first, writes the manifest last and removes the
marker after it (``sim.experiment.files``). Standard library only (and the figure names), so
reading it costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.analysis.figures import COMPARISON_PLOTS

MARKER = ".incomplete"
"""Present while a folder is being written."""
MANIFEST = "manifest.json"
"""Written last in a scenario folder: the resolved scenario, seed, code version and files."""
COMPARISON_MANIFEST = "comparison_manifest.json"
"""Written last in the comparison folder (the ``--out`` folder of ``compare``)."""
OWNER = ".owner.json"
"""Written first in every results folder: its kind (``run`` for a scenario folder, else the command
whose folder it is: compare, sweep, sensitivity, uncertainty, calibrate, targets), when and by which
command line it was begun, and the files that kind wrote in it. A command writes only into a folder
of its own kind and replaces only those files (``sim.experiment.files.begin_folder``)."""
LOCK = ".lock"
"""Locked (``fcntl.flock``) by the process writing the folder, which writes its PID in it."""
PARTS_DIR = ".parts"
"""Per-replication results of a scenario folder, kept for ``--resume`` (see ``sim.experiment.parts``)."""

SUMMARY_FILE = "summary.csv"
STATS_FILE = "summary_stats.csv"
SCENARIO_FILE = "scenario.yaml"
EVENT_LOG_FILE = "event_log.parquet"
"""With ``--event-log``: every person's state changes (replication, person, time, from, to, cause)."""
ACTIVITY_LOG_FILE = "activity_log.parquet"
"""With ``--event-log``: every activity (replication, person, time, activity, resource, outcome,
after; ``sim.model.recorder.ACTIVITIES``)."""
PROCESS_LOG_FILE = "process_log.parquet"
"""With ``--event-log``: both logs as one process-mining log (``sim.analysis.process_log``)."""
PROCESS_XES_FILE = "process_log.xes.gz"
"""With ``--event-log``: the process-mining log as gzipped XES 1.0 (``pm4py.read_xes`` reads it)."""
LOG_FILES: tuple[str, ...] = (EVENT_LOG_FILE, ACTIVITY_LOG_FILE, PROCESS_LOG_FILE, PROCESS_XES_FILE)
"""The files ``--event-log`` adds to a scenario folder."""
COMPARISON_FILE = "comparison.csv"
TIME_TO_OUTCOME_FILE = "time_to_outcome.csv"
"""Cumulative incidence of each outcome by day since entry and since contact (stacked in a comparison)."""
REPORT_FILE = "report.html"
"""The briefing report (``run_sim.py report``, ``--report``), written after the manifest; removed
when the folder is rewritten, so a report never describes results that are no longer there."""
COST_EFFECTIVENESS_FILE = "cost_effectiveness.csv"
"""Written by ``compare`` next to comparison.csv: each policy's cost per extra outcome and net benefit."""
TARGETS_FILE = "targets.csv"
"""``run_sim.py targets``: published figures against the model (``targets.analysis.TARGET_COLUMNS``)."""
TARGETS_MANIFEST = "targets_manifest.json"
SWEEP_FILE = "sweep.csv"
"""Written by ``run_sim.py sweep`` in its output folder: each KPI against the swept parameter(s)
(columns ``sim.studies.sweep.analysis.sweep_columns``); the grid points' folders sit beside it."""
SWEEP_MANIFEST = "sweep_manifest.json"
"""Written last in a sweep folder: the parameters and values, grid points, seed, code version."""
UNCERTAINTY_FILE = "uncertainty.csv"
"""Each policy's paired difference per KPI and draw (``uncertainty.analysis.UNCERTAINTY_COLUMNS``)."""
UNCERTAINTY_SUMMARY_FILE = "uncertainty_summary.csv"
"""Its distribution across draws, probability better and best (``psa.SUMMARY_COLUMNS``)."""
CEAC_FILE = "ceac.csv"
"""Cost-effectiveness acceptability curves (``psa.CEAC_COLUMNS``)."""
DISCOVERY_FILE = "discovery.csv"
"""Scenario discovery: where in the ranges a difference changes sign (``psa.DISCOVERY_COLUMNS``)."""
UNCERTAINTY_DRAWS_FILE = "uncertainty_draws.csv"
"""The parameter values of each draw (a scale is a multiplier)."""
UNCERTAINTY_MANIFEST = "uncertainty_manifest.json"
"""Written last in an uncertainty folder: parameters and ranges, draws, seed, code version."""
CALIBRATION_FILE = "calibration.csv"
"""Written by ``run_sim.py calibrate``: the parameter sets not ruled out, one row each (the parameter
paths, then ``sim.studies.calibration.analysis.NROY_COLUMNS``); what ``uncertainty --from-calibration``
samples."""
CALIBRATION_RUNS_FILE = "calibration_runs.csv"
"""Every simulated design point of a calibration, with each measure's mean and sd."""
CALIBRATION_WAVES_FILE = "calibration_waves.csv"
"""A calibration's waves, a row per wave and measure (``history_matching.WAVE_COLUMNS``)."""
CALIBRATION_TARGETS_FILE = "calibration_targets.csv"
"""Each target against the emulated range over the sets kept (``history_matching.TARGET_COLUMNS``)."""
CALIBRATION_MANIFEST = "calibration_manifest.json"
"""Written last in a calibration folder: targets, parameters, design, implausibility, seeds."""
CALIBRATION_CSVS = (CALIBRATION_FILE, CALIBRATION_RUNS_FILE, CALIBRATION_WAVES_FILE, CALIBRATION_TARGETS_FILE)
"""A calibration folder's tables, in the order written."""
UNCERTAINTY_CSVS = (
    UNCERTAINTY_FILE,
    UNCERTAINTY_SUMMARY_FILE,
    CEAC_FILE,
    DISCOVERY_FILE,
    UNCERTAINTY_DRAWS_FILE,
)
"""An uncertainty folder's tables, in the order written."""
TABLE_FILES: dict[str, str] = {
    "end_states": "outcomes.csv",
    "timeseries": "timeseries.csv",
    "resources": "resources.csv",
    "transitions": "transitions.csv",
    "occupancy": "occupancy.csv",
    "life_table": "life_table.csv",
}
"""ReplicationResult attribute -> CSV file holding it for every replication."""

COMPARISON_OUTPUTS = frozenset(
    {
        COMPARISON_FILE,
        COST_EFFECTIVENESS_FILE,
        TIME_TO_OUTCOME_FILE,
        REPORT_FILE,
        COMPARISON_MANIFEST,
        MARKER,
        *COMPARISON_PLOTS,
    }
)
"""Every name compare writes in its own folder, beside the scenario folders: no scenario may be
named after one (its folder would stop the file being written at the end of the comparison)."""

RUN_FILES: tuple[str, ...] = (
    SUMMARY_FILE,
    *TABLE_FILES.values(),
    STATS_FILE,
    TIME_TO_OUTCOME_FILE,
    *LOG_FILES,
    SCENARIO_FILE,
    MANIFEST,
    REPORT_FILE,
)
"""Fixed file names a scenario folder may contain (plots are listed by name in the manifest)."""


REPORT_GENERATOR = "contact-sim run_sim.py report"
"""The ``<meta name="generator">`` of every report (``sim/report/templates/report.html.j2``): how a
report.html this program wrote is told from a user's file of that name, which is never replaced."""


def is_report_text(head: str) -> bool:
    """Whether ``head`` (the start of an HTML file) is the start of a report this program wrote."""
    return f'<meta name="generator" content="{REPORT_GENERATOR}">' in head


def is_complete(folder: str | os.PathLike[str], manifest: str = MANIFEST) -> bool:
    """Whether ``folder`` was finished: its manifest exists and its ``.incomplete`` marker does not."""
    folder = Path(folder)
    return (folder / manifest).is_file() and not (folder / MARKER).exists()
