"""The validation targets table (``validation/targets.yaml``), checked with every problem reported
in one ``ScenarioError`` (exit 2, before anything runs), and evaluated on finished results
folders into targets.csv and targets.png. Nothing here prints.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.analysis.figures import TARGETS_PLOT
from sim.analysis.measures import MEASURES, MissingDataError, Tables, compute
from sim.experiment import output
from sim.experiment.files import write_csv, write_plots
from sim.scenario.errors import Problem, ScenarioError, show
from sim.scenario.files import read_yaml
from sim.studies.targets.analysis import EXTRA_COLUMNS, TARGET_COLUMNS, ci_overlaps, evaluate, within

DEFAULT_TARGETS_FILE = Path(__file__).resolve().parents[3] / "validation" / "targets.yaml"
"""The table under version control: every published figure the model can be compared with."""
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Target(BaseModel):
    """One published figure and the model measure it is compared with."""

    model_config = _FROZEN
    id: str = Field(description="stable snake_case id: the 'target' column of targets.csv")
    title: str = Field("", description="short name for the plot (default: the measure's title)")
    figure: str = Field(min_length=1, description="the published figure, as published")
    published: float = Field(description="the figure on the model's scale (a share as 0.45)")
    source: str = Field(min_length=1, description="seed file and paragraph, or FIGURES row and its source")
    period: str = Field(min_length=1, description="the period the figure describes")
    role: Literal["calibration", "parameter", "validation"]
    measure: str = Field(description="a measure of sim.analysis.measures.MEASURES")
    scenario: str = Field(min_length=1, description="scenario file, relative to the targets file")
    tolerance: float = Field(ge=0, description="absolute, on the model's scale")
    tolerance_reason: str = Field(min_length=1)
    comparison: Literal["two_sided", "at_least", "at_most"] = "two_sided"
    caveat: str = ""

    @field_validator("id")
    @classmethod
    def _snake_case(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"got {v!r}; use lower-case snake_case: letters, digits and '_', a letter first")
        return v

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, v: str) -> str:
        if v not in MEASURES:
            close = difflib.get_close_matches(v, MEASURES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown measure {v!r}; {hint}known measures: {', '.join(MEASURES)}")
        return v

    @field_validator("scenario")
    @classmethod
    def _scenario_exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base")
        if base is not None and not (Path(base) / v).is_file():
            raise ValueError(
                f"scenario file {v!r} not found (looked for {Path(base) / v}); paths are relative to "
                "the targets file's folder"
            )
        return v

    @model_validator(mode="after")
    def _share_in_unit_interval(self) -> Target:
        if self.measure in MEASURES and MEASURES[self.measure].is_share and not 0.0 <= self.published <= 1.0:
            raise ValueError(
                f"published: {self.published:g} is not a share in [0, 1] (measure {self.measure} is a "
                "share; write 45% as 0.45)"
            )
        return self

    @property
    def name(self) -> str:
        return self.title or MEASURES[self.measure].title


class TargetsFile(BaseModel):
    """The whole table."""

    model_config = _FROZEN
    targets: tuple[Target, ...]

    @field_validator("targets")
    @classmethod
    def _not_empty(cls, v: tuple[Target, ...]) -> tuple[Target, ...]:
        if not v:
            raise ValueError("the list is empty; list at least one target")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> TargetsFile:
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids must be unique, repeated: {', '.join(dup)}")
        return self


@dataclass(frozen=True)
class Targets:
    """A checked targets file and where its scenario paths point."""

    file: Path
    targets: tuple[Target, ...]

    def scenario_path(self, target: Target) -> Path:
        return (self.file.parent / target.scenario).resolve()

    def scenario_files(self) -> list[Path]:
        """Each scenario file the table names, once, in the order of first mention."""
        return list(dict.fromkeys(self.scenario_path(t) for t in self.targets))


def _where(loc: Sequence[int | str], raw: Mapping[str, Any]) -> str:
    """An error's path, a target named by its index and id: ``targets[0] (id 'x').measure``."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return ".".join(map(str, loc))
    items = raw.get(str(loc[0]))
    item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
    ident = f" (id {item.get('id')!r})" if isinstance(item, Mapping) and item.get("id") else ""
    return ".".join([f"{loc[0]}[{loc[1]}]{ident}", *map(str, loc[2:])])


def _problems(file: str, exc: ValidationError, raw: Mapping[str, Any]) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _where(loc, raw)
        kind, got = err["type"], f"got {show(err.get('input'))}"
        allowed: str | None = err["msg"]
        if kind == "extra_forbidden":
            owner = TargetsFile if len(loc) == 1 else Target
            got, allowed = f"unknown key {str(loc[-1])!r}", "allowed keys: " + ", ".join(owner.model_fields)
        elif kind == "missing":
            got, allowed = "missing", "add this key"
        elif kind == "value_error":
            got, allowed = str((err.get("ctx") or {}).get("error", err["msg"])), None
        elif kind == "literal_error":
            allowed = err["msg"].replace("Input should be", "must be")
        elif kind == "finite_number":
            allowed = "must be a finite number"
        out.append(Problem(file, path, got, allowed))
    return out


def read_targets(path: str | os.PathLike[str] = DEFAULT_TARGETS_FILE) -> Targets:
    """The checked targets file, or a ScenarioError listing every problem (file, path, what)."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise ScenarioError(
            [Problem(file, "", "targets file not found", "give an existing YAML file")], "targets file"
        )
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise ScenarioError(
            [Problem(file, "", f"the top level must be a mapping with a 'targets' list, got {show(raw)}")],
            "targets file",
        )
    try:
        checked = TargetsFile.model_validate(raw, context={"base": path.parent})
    except ValidationError as exc:
        raise ScenarioError(_problems(file, exc, raw), "targets file") from None
    return Targets(path.resolve(), checked.targets)


class FolderTables(Mapping[str, pd.DataFrame]):
    """The tables of a finished scenario folder, each read from CSV when a measure first needs it."""

    def __init__(self, folder: Path) -> None:
        files = {"summary": output.SUMMARY_FILE, **output.TABLE_FILES}
        self.paths = {name: folder / file for name, file in files.items() if (folder / file).is_file()}
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = pd.read_csv(self.paths[name])
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def evaluate_targets(
    targets: Sequence[Target], tables_of: Mapping[str, Tables], scenario_names: Mapping[str, str]
) -> pd.DataFrame:
    """targets.csv's rows: each target's measure on its scenario's tables (``scenario_names``: by
    target id). A measure whose data is missing gives NaN, ``within`` False and a note saying why."""
    rows = []
    for t in targets:
        name = scenario_names[t.id]
        note = ""
        try:
            values = compute(t.measure, tables_of[name])
            mean, low, high, n = evaluate(values)
            if n == 0:
                note = "the measure is undefined in every replication (its denominator was 0)"
        except MissingDataError as exc:
            mean = low = high = math.nan
            n = 0
            note = f"not computed: {exc}"
        verdicts = (
            within(mean, t.published, t.tolerance, t.comparison),
            t.role,
            t.comparison,
            ci_overlaps(low, high, t.published, t.tolerance, t.comparison),
        )
        rows.append(
            (t.id, t.source, t.published, mean, low, high, t.tolerance, *verdicts, n, t.measure, name, note)
        )
    return pd.DataFrame(rows, columns=[*TARGET_COLUMNS, *EXTRA_COLUMNS])


def write_targets(out: Path, frame: pd.DataFrame, targets: Sequence[Target], plot: bool = True) -> list[str]:
    """Write ``out/targets.csv`` (and ``targets.png``) atomically; the names written."""
    from sim.studies.targets.plots import plot_targets

    write_csv(out / output.TARGETS_FILE, frame)
    written = [output.TARGETS_FILE]
    if plot:
        units = [MEASURES[m].unit for m in frame["measure"]]
        titles = {t.id: t.name for t in targets}
        written += write_plots(
            out, lambda outdir: [plot_targets(frame.assign(unit=units), outdir / TARGETS_PLOT, titles)]
        )
    return written
