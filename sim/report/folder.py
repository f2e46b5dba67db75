"""Opening a finished results folder, or a study's folder given with ``--with``, for the report.
A folder may come from someone else and the report is emailed on: nothing read here may execute
code or reach outside the folder (``json``, the scenario loader's safe YAML reader with its size and
alias limits, pandas, and only the files ``report_parts.safe_file`` allows). When a folder is
complete is the writer's contract (``sim.experiment.output``; a study's manifest:
``sim.studies.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError

from sim.experiment import output
from sim.scenario.errors import ScenarioError, error_text
from sim.scenario.files import read_yaml
from sim.scenario.schema import Scenario
from sim.studies.registry import STUDIES
from sim.studies.report_parts import AnalysisFolder, ReportError, plain, read_csv, read_json, safe_file

Kind = Literal["comparison", "run"]
_TAKES = [f"'{s.command}' ({s.wrote})" for s in STUDIES]
WITH_ALLOWED = f"--with takes the finished folder of {', '.join(_TAKES[:-1])} or {_TAKES[-1]}"
"""What ``--with`` accepts, for every message refusing a folder: each study and its manifest."""
INTERRUPTED = "(being written, or the run was interrupted: re-run the same command with --resume)"


@dataclass(frozen=True)
class ScenarioFolder:
    """One scenario's finished folder. ``scenario`` is None when ``scenario.yaml`` does not validate
    against this version's schema (another version wrote it): ``raw`` still holds its mapping and
    ``problem`` says what failed, so the report can show the values without units and sources."""

    name: str
    label: str
    path: Path
    manifest: dict[str, Any]
    raw: dict[str, Any]
    scenario: Scenario | None
    problem: str = ""


@dataclass(frozen=True)
class ResultsFolder:
    """A complete results folder of ``compare`` (``kind="comparison"``) or ``run`` (``"run"``);
    ``scenarios`` in the manifest's order, the first the reference (a run's own scenario, whose
    folder is the results folder itself)."""

    path: Path
    kind: Kind
    manifest: dict[str, Any]
    scenarios: list[ScenarioFolder]

    @property
    def reference(self) -> ScenarioFolder:
        return self.scenarios[0]

    @property
    def labels(self) -> dict[str, str]:
        """Display label of each scenario name."""
        return {s.name: s.label for s in self.scenarios}

    def csv(self, name: str) -> pd.DataFrame | None:
        """The table ``name``; None if absent; ReportError if it cannot be parsed."""
        return read_csv(self.path, name)


def _read_scenario(folder: Path, name: str, label: str, manifest: dict[str, Any]) -> ScenarioFolder:
    path = safe_file(folder, output.SCENARIO_FILE)
    if path is None:
        raise ReportError(f"{folder}: no {output.SCENARIO_FILE}: the resolved scenario is needed")
    try:
        raw = read_yaml(path)  # the one YAML reader: safe, with the size, depth and alias limits
    except ScenarioError as exc:
        raise ReportError("; ".join(str(p) for p in exc.problems)) from None
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: expected a mapping of parameters")
    try:
        scenario: Scenario | None = Scenario.model_validate(raw)
        problem = ""
    except ValidationError as exc:
        scenario = None
        problem = (
            f"{output.SCENARIO_FILE} does not match this version's parameter schema "
            f"({exc.error_count()} problem(s), e.g. {error_text(exc.errors()[0])})"
        )
    return ScenarioFolder(name, label, folder, manifest, raw, scenario, problem)


def _plain_name(value: Any, what: str, manifest: Path) -> str:
    text = str(value) if value is not None else ""
    if not plain(text):
        raise ReportError(f"{manifest}: {what} {text!r} is not a folder name inside the results folder")
    return text


def _incomplete(folder: Path, manifest: str) -> str:
    if (folder / output.MARKER).exists():
        return f"{folder} is not complete: it still holds {output.MARKER} {INTERRUPTED}"
    return f"{folder} has no {manifest}: it is not a finished results folder"


def open_folder(path: str | Path) -> ResultsFolder:
    """The results folder at ``path``, checked complete; ReportError saying why it cannot be used."""
    folder = Path(path)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    if output.is_complete(folder, output.COMPARISON_MANIFEST):
        return _open_comparison(folder)
    if output.is_complete(folder, output.MANIFEST):
        manifest = read_json(folder / output.MANIFEST)
        name = str(manifest.get("scenario_name") or folder.name)
        label = str(manifest.get("label") or name)
        return ResultsFolder(folder, "run", manifest, [_read_scenario(folder, name, label, manifest)])
    for manifest_name in (output.COMPARISON_MANIFEST, output.MANIFEST):
        if (folder / manifest_name).exists():
            raise ReportError(_incomplete(folder, manifest_name))
    raise ReportError(
        f"{folder} is not a complete comparison or run folder: it has neither "
        f"{output.COMPARISON_MANIFEST} (written by compare) nor {output.MANIFEST} (written by run)"
        + (f"; it still holds {output.MARKER}" if (folder / output.MARKER).exists() else "")
    )


def _open_comparison(folder: Path) -> ResultsFolder:
    manifest_path = folder / output.COMPARISON_MANIFEST
    manifest = read_json(manifest_path)
    entries = manifest.get("scenarios")
    if not isinstance(entries, list) or len(entries) < 2:
        raise ReportError(f"{manifest_path}: 'scenarios' must list the reference and at least one policy")
    scenarios = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ReportError(f"{manifest_path}: each entry of 'scenarios' must be an object")
        name = _plain_name(entry.get("name"), "scenario name", manifest_path)
        sub = folder / _plain_name(entry.get("folder", name), "scenario folder", manifest_path)
        if not output.is_complete(sub, output.MANIFEST):
            raise ReportError(_incomplete(sub, output.MANIFEST))
        label = str(entry.get("label") or name)
        scenarios.append(_read_scenario(sub, name, label, read_json(sub / output.MANIFEST)))
    if safe_file(folder, output.COMPARISON_FILE) is None:
        raise ReportError(f"{folder}: no {output.COMPARISON_FILE}")
    return ResultsFolder(folder, "comparison", manifest, scenarios)


def _analysis_kind(folder: Path) -> tuple[str, str] | None:
    """The kind of study whose manifest the folder holds, and that manifest's name: a manifest
    only that study writes first, then one it shares with a run folder told apart by its key."""
    for study in sorted(STUDIES, key=lambda s: bool(s.key)):
        if not study.key:
            if (folder / study.manifest).exists():
                return study.kind, study.manifest
            continue
        manifest = safe_file(folder, study.manifest)
        if manifest is not None and study.key in read_json(manifest):
            return study.kind, study.manifest
    return None


def open_analysis(path: str | Path) -> AnalysisFolder:
    """The finished analysis folder at ``path``; ReportError naming it and what ``--with`` takes
    if it is missing, not a folder, incomplete, or not an analysis folder."""
    given = str(path)
    folder = Path(path)
    if not folder.exists():
        raise ReportError(f"--with {given}: no such folder; {WITH_ALLOWED}")
    if not folder.is_dir():
        raise ReportError(f"--with {given}: not a folder; {WITH_ALLOWED}")
    if (folder / output.MARKER).exists():
        raise ReportError(f"--with {given}: not complete: it still holds {output.MARKER} {INTERRUPTED}")
    try:
        found = _analysis_kind(folder)
    except ReportError as exc:
        raise ReportError(f"--with {given}: {exc}") from None
    if found is None:
        if output.is_complete(folder, output.COMPARISON_MANIFEST) or output.is_complete(folder):
            raise ReportError(
                f"--with {given}: a comparison or run folder, not an analysis: give it as "
                f"RESULTS_DIR; {WITH_ALLOWED}"
            )
        raise ReportError(f"--with {given}: not an analysis folder; {WITH_ALLOWED}")
    kind, name = found
    manifest_path = safe_file(folder, name)
    if manifest_path is None:
        raise ReportError(f"--with {given}: {name} is not a regular file inside the folder")
    return AnalysisFolder(folder, kind, read_json(manifest_path), given)
