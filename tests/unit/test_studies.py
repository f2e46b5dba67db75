"""The study registry: each study is told apart by the folder it writes, and says what it varied
even from a manifest that records nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.report.folder import WITH_ALLOWED, open_analysis
from sim.studies.base import NOT_RECORDED, Study
from sim.studies.registry import BY_KIND, STUDIES
from sim.studies.report_parts import StudyReport, study_report


def test_names_are_unique_and_every_command_is_offered_to_with() -> None:
    assert len(BY_KIND) == len({s.command for s in STUDIES}) == len(STUDIES)
    for study in STUDIES:
        assert f"'{study.command}' ({study.wrote})" in WITH_ALLOWED


@pytest.mark.parametrize("study", STUDIES, ids=lambda s: s.kind)
def test_a_folder_is_recognised_by_its_manifest(study: Study, tmp_path: Path) -> None:
    manifest = {study.key: "x"} if study.key else {}
    (tmp_path / study.manifest).write_text(json.dumps(manifest), encoding="utf-8")
    assert open_analysis(tmp_path).kind == study.kind


@pytest.mark.parametrize("study", STUDIES, ids=lambda s: s.kind)
def test_what_was_varied_says_not_recorded_for_an_empty_manifest(study: Study) -> None:
    assert NOT_RECORDED in study.varied({})


@pytest.mark.parametrize("study", STUDIES, ids=lambda s: s.kind)
def test_the_report_reads_the_folder_of_every_study(study: Study) -> None:
    assert isinstance(study_report(study), StudyReport)
