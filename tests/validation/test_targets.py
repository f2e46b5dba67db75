"""The validation targets table: the file, every measure on synthetic tables with a known answer,
the ``within`` rule, bad targets files (exit 2 with the path, nothing written) and the command end
to end on a tiny run."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim import cli
from sim.analysis import measures
from sim.analysis.measures import DAYS_PER_MONTH, MEASURES, MissingDataError, compute
from sim.scenario import ScenarioError
from sim.studies.targets.analysis import EXTRA_COLUMNS, TARGET_COLUMNS, ci_overlaps, within
from sim.studies.targets.report import TARGET_COLUMNS as REPORT_COLUMNS
from sim.studies.targets.report import TARGETS_FILE as REPORT_FILE
from sim.studies.targets.run import DEFAULT_TARGETS_FILE, read_targets

REPO = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------------------------
# The table under version control
# ----------------------------------------------------------------------------------------------


def test_the_targets_file_validates_and_names_known_measures_and_scenarios() -> None:
    table = read_targets(DEFAULT_TARGETS_FILE)
    assert DEFAULT_TARGETS_FILE == REPO / "validation" / "targets.yaml"
    assert len(table.targets) >= 10
    for t in table.targets:
        assert t.measure in MEASURES
        assert table.scenario_path(t).is_file()
        assert t.tolerance_reason.strip()
    roles = {t.role for t in table.targets}
    assert roles == {"calibration", "parameter", "validation"}
    assert [p.relative_to(REPO).as_posix() for p in table.scenario_files()] == [
        "scenarios/baseline.yaml",
        "validation/reporting_population_2016.yaml",
        "validation/gps_pilot_2022.yaml",
        "scenarios/2024/baseline.yaml",
        "validation/asylum_claims_2023.yaml",
    ]


def test_report_reads_the_columns_the_command_writes() -> None:
    assert tuple(REPORT_COLUMNS) == TARGET_COLUMNS
    assert REPORT_FILE == "targets.csv"
    assert EXTRA_COLUMNS[0] == "role"


# ----------------------------------------------------------------------------------------------
# Every measure on synthetic tables with a known answer
# ----------------------------------------------------------------------------------------------


def tables() -> dict[str, pd.DataFrame]:
    """Two replications of made-up results, with numbers that give round answers."""
    summary = pd.DataFrame(
        {
            "replication": [0, 1],
            "cohort_size": [1000, 1000],
            "contacted": [200, 250],
            "departed_contacted": [20, 50],
            "complaints": [2, 1],
            "recorded_removals": [38, 10],
            "removed_enforced": [10, 10],
            "departed_voluntary": [30, 20],
            "closed_already_departed": [30, 10],
            "missed_reports": [300, 0],
            "declared_absconders_end": [70, 35],
            "reporting_end": [100, 50],
            "detention_leavers": [50, 0],
            "detention_stays_under_29d": [30, 0],
            "detention_stays_under_122d": [45, 0],
            "declared_people": [140, 0],
            "declaration_lag_mean_days": [219.0, 0.0],
            "claims_granted": [350, 0],
            "claims_refused": [150, 0],
            "claims_withdrawn": [100, 0],
            "claims_withdrawn_out_of_contact": [32, 0],
        }
    )
    rows = [
        # replication 0: 100 recorded departures (40 + 20 + 40); 10 data-match closures
        (0, "in_contact", "departed_voluntary", "voluntary_departure", 40),
        (0, "reporting", "departed_voluntary", "assisted_return", 20),
        (0, "in_contact", "closed_already_departed", "evidence_of_departure_on_contact", 40),
        (0, "pool", "closed_already_departed", "data_match_departure_evidence", 10),
        (0, "in_contact", "casework", "barrier_referral", 42),
        (0, "in_contact", "casework", "barrier_found_at_tasking", 5),
        (0, "detained", "removed", "removed", 30),
        (0, "detained", "reporting", "released_removal_failed", 10),
        (0, "detained", "casework", "released_barrier_emerged", 20),
        (0, "reporting", "out_of_contact", "missed_reports", 6),
        (0, "reporting", "out_of_contact", "never_reported", 4),
        # replication 1: 50 recorded departures; no data matches, no detention
        (1, "in_contact", "departed_voluntary", "voluntary_departure", 50),
        (1, "in_contact", "casework", "barrier_referral", 25),
        (1, "reporting", "out_of_contact", "missed_reports", 3),
    ]
    transitions = pd.DataFrame(rows, columns=["replication", "from_state", "to_state", "cause", "count"])
    occupancy = pd.DataFrame(
        {
            "replication": [0, 0, 1],
            "state": ["reporting", "pool", "reporting"],
            "person_days": [10 * DAYS_PER_MONTH * 1000 / 5, 99.0, 3 * DAYS_PER_MONTH * 1000],
            "visits": [1, 1, 1],
        }
    )
    end_states = pd.DataFrame(
        {
            "replication": [0, 0, 0, 1, 1],
            "state": ["pool", "detained", "removed", "reporting", "detained"],
            "count": [90, 10, 500, 75, 25],
        }
    )
    # since_contact: 10 people; 2 depart on day 10, 1 is removed on day 20, 7 censored on day 300
    # (CIF of departure at 182 = 0.2); replication 1: 4 people, none departs
    life = pd.DataFrame(
        [
            (0, "since_contact", 10, "departed_voluntary", 2),
            (0, "since_contact", 20, "removed", 1),
            (0, "since_contact", 300, "censored", 7),
            (0, "since_entry", 5, "departed_voluntary", 9),
            (1, "since_contact", 30, "removed", 1),
            (1, "since_contact", 100, "censored", 3),
        ],
        columns=["replication", "clock", "day", "event", "count"],
    )
    # out of contact on day 483 (16 months): 660 and 500 of 1,000; other days and states ignored
    timeseries = pd.DataFrame(
        [
            (0, 483.0, "out_of_contact", 660),
            (0, 476.0, "out_of_contact", 1),
            (0, 483.0, "reporting", 7),
            (1, 483.0, "out_of_contact", 500),
        ],
        columns=["replication", "day", "state", "count"],
    )
    return {
        "summary": summary,
        "timeseries": timeseries,
        "transitions": transitions,
        "occupancy": occupancy,
        "end_states": end_states,
        "life_table": life,
    }


EXPECTED: dict[str, tuple[float, float]] = {
    "contacted_share": (0.2, 0.25),
    "departed_share_of_contacted": (0.1, 0.2),
    "complaint_share": (0.002, 0.001),
    "departures_recorded_as_removals_share": (28 / 100, 0 / 50),
    "service_level_departures_share": (60 / 210, 30 / 250),
    "service_level_barrier_referrals_share": (42 / 210, 25 / 250),
    "voluntary_departure_within_6_months_of_contact": (0.2, 0.0),
    "detention_leavers_removed_share": (0.5, math.nan),
    "loss_of_contact_per_1000_reporting_per_month": (5.0, 1.0),
    "missed_reports_per_1000_reporting_per_month": (150.0, 0.0),
    "declared_absconders_per_person_reporting": (0.7, 0.7),
    "detention_stays_under_29_days_share": (0.6, math.nan),
    "detention_stays_within_4_months_share": (0.9, math.nan),
    "not_detained_share_of_liable": (0.9, 0.75),
    "out_of_contact_share_at_16_months": (0.66, 0.5),
    "declared_share_of_entrants": (0.14, 0.0),
    "declaration_lag_mean_days": (219.0, 0.0),
    "withdrawn_out_of_contact_share": (0.32, math.nan),
    "grant_rate": (0.7, math.nan),
    "granted_share_of_entrants": (0.35, 0.0),
}


def test_every_measure_has_a_known_answer_here() -> None:
    assert set(EXPECTED) == set(MEASURES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_measure_on_synthetic_tables(name: str) -> None:
    got = compute(name, tables())
    assert list(got.index) == [0, 1]
    for value, want in zip(got.to_list(), EXPECTED[name], strict=True):
        if math.isnan(want):
            assert math.isnan(value), f"{name}: a zero denominator is NaN, got {value}"
        else:
            assert value == pytest.approx(want, rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("declared_absconders_per_person_reporting", "declared_absconders_end"),
        ("detention_stays_under_29_days_share", "detention_leavers"),
        ("detention_stays_within_4_months_share", "detention_stays_under_122d"),
        ("missed_reports_per_1000_reporting_per_month", "missed_reports"),
        ("contacted_share", "contacted"),
    ],
)
def test_a_missing_column_fails_loudly_naming_it(name: str, column: str) -> None:
    t = tables()
    t["summary"] = t["summary"].drop(columns=[column])
    with pytest.raises(MissingDataError, match=column):
        compute(name, t)


def test_a_missing_table_fails_loudly_naming_it() -> None:
    t = tables()
    del t["life_table"]
    with pytest.raises(MissingDataError, match="life_table"):
        compute("voluntary_departure_within_6_months_of_contact", t)


def test_transition_count_is_zero_where_nothing_matches() -> None:
    got = measures.transition_count(tables(), from_states=["detained"])
    assert got.to_list() == [60.0, 0.0]


# ----------------------------------------------------------------------------------------------
# within
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "published", "tol", "comparison", "expected"),
    [
        (0.3, 0.2, 0.1, "two_sided", True),  # exactly on the edge (0.3 - 0.2 is not 0.1 in binary)
        (0.1, 0.2, 0.1, "two_sided", True),
        (0.30001, 0.2, 0.1, "two_sided", False),
        (0.2, 0.2, 0.0, "two_sided", True),
        (0.2000001, 0.2, 0.0, "two_sided", False),
        (math.nan, 0.2, 1.0, "two_sided", False),
        (0.16, 0.18, 0.02, "at_least", True),
        (0.159, 0.18, 0.02, "at_least", False),
        (0.99, 0.18, 0.0, "at_least", True),
        (0.41, 0.39, 0.02, "at_most", True),
        (0.411, 0.39, 0.02, "at_most", False),
        (0.0, 0.39, 0.0, "at_most", True),
    ],
)
def test_within(mean: float, published: float, tol: float, comparison: str, expected: bool) -> None:
    assert within(mean, published, tol, comparison) is expected


def test_ci_overlaps_the_band() -> None:
    assert ci_overlaps(0.31, 0.35, 0.2, 0.1, "two_sided") is False
    assert ci_overlaps(0.29, 0.35, 0.2, 0.1, "two_sided") is True
    assert ci_overlaps(math.nan, math.nan, 0.2, 0.1, "two_sided") is False
    assert ci_overlaps(0.0, 0.15, 0.18, 0.02, "at_least") is False
    assert ci_overlaps(0.0, 0.17, 0.18, 0.02, "at_least") is True


# ----------------------------------------------------------------------------------------------
# Bad targets files
# ----------------------------------------------------------------------------------------------

GOOD = """\
targets:
  - id: contacted_share
    figure: "21% contacted"
    published: 0.2053
    source: "seed 002 §4.2"
    period: "2012-14"
    role: calibration
    measure: contacted_share
    scenario: tiny.yaml
    tolerance: 0.015
    tolerance_reason: "rounded"
"""

TINY = (
    f"extends: {REPO / 'scenarios' / 'baseline.yaml'}\n"
    "name: tiny\nhorizon_days: 90\ncohort:\n  initial_size: 300\n"
)


def targets_folder(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_small_file_reads(tmp_path: Path) -> None:
    t = read_targets(targets_folder(tmp_path, GOOD))
    assert [x.id for x in t.targets] == ["contacted_share"]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            ("measure: contacted_share", "measure: contacted_shares"),
            "targets[0] (id 'contacted_share').measure",
            "did you mean 'contacted_share'",
        ),
        (
            ("scenario: tiny.yaml", "scenario: missing.yaml"),
            "targets[0] (id 'contacted_share').scenario",
            "not found",
        ),
        (("published: 0.2053", "published: 21"), "targets[0] (id 'contacted_share')", "not a share"),
        (("published: 0.2053", "published: .nan"), "targets[0] (id 'contacted_share').published", "finite"),
        (
            ("tolerance: 0.015", "tolerance: -0.1"),
            "targets[0] (id 'contacted_share').tolerance",
            "greater than or equal",
        ),
        (("role: calibration", "role: check"), "targets[0] (id 'contacted_share').role", "calibration"),
        (
            ("id: contacted_share", "id: Contacted-Share"),
            "targets[0] (id 'Contacted-Share').id",
            "snake_case",
        ),
        (
            ('    tolerance_reason: "rounded"\n', '    tolerance_reason: "rounded"\n    tolerence: 1\n'),
            "targets[0] (id 'contacted_share').tolerence",
            "unknown key",
        ),
        (
            ('    tolerance_reason: "rounded"\n', ""),
            "targets[0] (id 'contacted_share').tolerance_reason",
            "missing",
        ),
    ],
)
def test_bad_targets_file_names_the_field(
    tmp_path: Path, change: tuple[str, str], path: str, words: str
) -> None:
    assert change[0] in GOOD
    file = targets_folder(tmp_path, GOOD.replace(*change))
    with pytest.raises(ScenarioError) as info:
        read_targets(file)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].file == str(file)
    assert problems[0].path == path
    assert words in str(problems[0])


def test_repeated_ids_are_rejected(tmp_path: Path) -> None:
    body = GOOD.split("targets:\n", 1)[1]
    with pytest.raises(ScenarioError, match="repeated: contacted_share"):
        read_targets(targets_folder(tmp_path, "targets:\n" + body + body))


def test_bad_targets_file_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = targets_folder(tmp_path, GOOD.replace("measure: contacted_share", "measure: nope"))
    out = tmp_path / "out"
    code = cli.main(["targets", "--targets-file", str(file), "--out", str(out), "-n", "2", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{file}: targets[0] (id 'contacted_share').measure: unknown measure 'nope'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_scenario_the_table_does_not_name_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = targets_folder(tmp_path, GOOD)
    out = tmp_path / "out"
    other = REPO / "scenarios" / "remote_reporting.yaml"
    code = cli.main(["targets", str(other), "--targets-file", str(file), "--out", str(out), "-q"])
    assert code == 2
    assert "no target" in capsys.readouterr().err
    assert not out.exists()


def test_help_explains_within(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["targets", "--help"]) == 0
    text = capsys.readouterr().out
    for words in (
        "|model_mean - published| <= tolerance",
        "targets.csv",
        "targets.png",
        "ci_overlaps",
        "exit code is 0",
    ):
        assert words in text


# ----------------------------------------------------------------------------------------------
# End to end on a tiny run
# ----------------------------------------------------------------------------------------------

TWO = (
    GOOD
    + """\
  - id: detention_stays_under_29_days
    figure: "62% held < 29 days"
    published: 0.62
    source: "FIGURES"
    period: "2015"
    role: parameter
    measure: detention_stays_under_29_days_share
    scenario: tiny.yaml
    tolerance: 0.1
    tolerance_reason: "rounded"
  - id: service_level_barrier_referrals
    figure: "<= 39%"
    published: 0.39
    source: "FIGURES"
    period: "2012-13"
    role: validation
    measure: service_level_barrier_referrals_share
    scenario: tiny.yaml
    comparison: at_most
    tolerance: 0.0
    tolerance_reason: "a ceiling"
"""
)


def test_command_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = targets_folder(tmp_path, TWO)
    out = tmp_path / "out"
    code = cli.main(["targets", "--targets-file", str(file), "--out", str(out), "-n", "3"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    frame = pd.read_csv(out / "targets.csv")
    assert list(frame.columns) == [*TARGET_COLUMNS, *EXTRA_COLUMNS]
    assert list(frame["target"]) == [
        "contacted_share",
        "detention_stays_under_29_days",
        "service_level_barrier_referrals",
    ]
    assert (out / "targets.png").stat().st_size > 10_000
    assert (out / "tiny" / "manifest.json").is_file()
    summary = pd.read_csv(out / "tiny" / "summary.csv")
    contacted = frame.set_index("target").loc["contacted_share"]
    assert contacted["model_mean"] == pytest.approx((summary.contacted / summary.cohort_size).mean())
    assert contacted["n"] == 3
    assert bool(contacted["within"]) == (abs(contacted["model_mean"] - 0.2053) <= 0.015)
    missing = frame.set_index("target").loc["detention_stays_under_29_days"]
    if "detention_leavers" not in summary.columns:  # this model version does not write it yet
        assert math.isnan(missing["model_mean"]) and not bool(missing["within"])
        assert "detention_leavers" in missing["note"]
        assert "detention_leavers" in printed.out
    assert "Within" in printed.out and "contacted_share" in printed.out
