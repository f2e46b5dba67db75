"""``report RESULTS --with DIR``: the briefing report includes the folders ``sensitivity``,
``uncertainty``, ``sweep``, ``targets`` and ``calibrate`` write, as readable summaries (not whole
CSVs), with their figures and a methods line; a folder that is not a finished analysis, or whose
tables are not what its command writes, is refused with exit code 2 and nothing written.

The analysis folders are made once per module by the real commands on a tiny cohort (300 people,
120 days; the calibration on 1,000 people and 200 days, so that its measures are defined); the
targets folder is made by hand, since ``targets`` runs its scenarios at full size."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pandas as pd
import pytest
from report_data import TARGETS, copy_folder, read_json, write_json
from test_report import Page, section, table_by_header, text_of

from sim import cli
from sim.analysis import numbers
from sim.analysis.kpis import kpi
from sim.studies import report_parts
from sim.studies.report_parts import AnalysisFolder, analysis_figures
from sim.studies.sensitivity.report import sensitivity_tables
from sim.studies.sweep.report import figure as sweep_figure
from sim.studies.uncertainty.report import discovery_table

REPO = Path(__file__).resolve().parents[2]
BASELINE = str(REPO / "scenarios" / "baseline.yaml")
REMOTE = str(REPO / "scenarios" / "remote_reporting.yaml")
TINY = ["--cohort-size", "300", "--horizon", "120", "-q"]
REMOTE_LABEL = "Telephone and digital reporting"
KPIS = "contacted,total_cost_gbp"
CALIBRATE_ARGS = [
    *("--cohort-size", "1000", "--horizon", "200", "--points", "8", "--waves", "2", "-n", "1"),
    *("--candidates", "500", "--roles", "calibration", "--cutoff", "10", "-q"),
    *("--params", "contact.success", "--params", "cohort.already_departed_share"),
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One finished folder of each analysis (about 25 s in all)."""
    root = tmp_path_factory.mktemp("with")
    out = {k: root / k for k in ("sensitivity", "uncertainty", "sweep", "targets", "calibration")}
    sens = ["sensitivity", BASELINE, REMOTE, "--params", "contact.*", "--trajectories", "2", "-n", "2"]
    assert cli.main([*sens, "--kpis", KPIS, *TINY, "--out", str(out["sensitivity"])]) == 0
    unc = ["uncertainty", BASELINE, REMOTE, "--samples", "4", "-n", "1", *TINY]
    assert cli.main([*unc, "--out", str(out["uncertainty"])]) == 0
    sweep = ["sweep", BASELINE, "--param", "contact.max_attempts=2,6", "-n", "2", *TINY]
    assert cli.main([*sweep, "--out", str(out["sweep"])]) == 0
    cal = ["calibrate", BASELINE, *CALIBRATE_ARGS]
    assert cli.main([*cal, "--out", str(out["calibration"])]) == 0
    out["targets"].mkdir()
    TARGETS.to_csv(out["targets"] / "targets.csv", index=False)
    write_json(
        out["targets"] / "targets_manifest.json",
        {
            "targets_file": "validation/targets.yaml",
            "targets": list(TARGETS["target"]),
            "scenarios": {"baseline": BASELINE},
            "root_seed": 12345,
            "replications": 2,
            "files": ["targets.csv"],
            "command_line": ["run_sim.py", "targets", "-n", "2"],
        },
    )
    return out


@pytest.fixture
def results(report_comparison: Path, tmp_path: Path) -> Path:
    return copy_folder(report_comparison, tmp_path / "results")


@pytest.fixture
def mine(made: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Private copies of the analysis folders, for tests that spoil them."""
    return {k: copy_folder(v, tmp_path / k) for k, v in made.items()}


def rows_of(table: list[list[tuple[str, set[str]]]]) -> list[list[str]]:
    return [[text for text, _ in row] for row in table]


def report_with(results: Path, *folders: Path) -> str:
    args = ["report", str(results)]
    for f in folders:
        args += ["--with", str(f)]
    assert cli.main(args) == 0
    return (results / "report.html").read_text(encoding="utf-8")


def refused(results: Path, folder: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    before = sorted(p.name for p in results.iterdir())
    assert cli.main(["report", str(results), "--with", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("run_sim.py: error: ") and f"--with {folder}" in err, err
    assert all(w in err for w in words), err
    assert "Traceback" not in err
    assert sorted(p.name for p in results.iterdir()) == before  # nothing written
    return err


def listed_pngs(folder: Path, manifest: str) -> list[Path]:
    return [folder / f for f in read_json(folder / manifest)["files"] if f.endswith(".png")]


# ----------------------------------------------------------------------------------------------
# The report with every kind of analysis
# ----------------------------------------------------------------------------------------------


def test_report_with_every_analysis_has_readable_sections_and_their_figures(
    results: Path, made: dict[str, Path]
) -> None:
    before = {p.name for p in results.iterdir()}
    html = report_with(results, made["sensitivity"], made["uncertainty"], made["sweep"], made["targets"])
    assert {p.name for p in results.iterdir()} == before | {"report.html"}  # one file
    page = Page(html)
    assert {"sensitivity", "uncertainty", "sweep", "targets", "methods"} <= page.ids
    assert page.scripts == 0
    for anchor in ("sensitivity", "uncertainty", "sweep", "targets"):
        assert "not run" not in text_of(section(html, anchor)).lower(), anchor

    # sensitivity: per scenario and KPI, the parameter with the largest mu* heads its group
    frame = pd.read_csv(made["sensitivity"] / "sensitivity.csv")
    sens = section(html, "sensitivity")
    tables = [t for t in Page(sens).tables if t and t[0][0][0].startswith("KPI")]
    assert len(tables) == 2  # baseline, then the policy's difference
    assert f"{REMOTE_LABEL} minus Baseline (2012-14 contract)" in text_of(sens)
    for table, scenario in zip(tables, ("baseline", "remote_reporting"), strict=True):
        for name in KPIS.split(","):
            part = frame[(frame.scenario == scenario) & (frame.kpi == name)]
            top = part.sort_values("mu_star", ascending=False, kind="stable").iloc[0]
            start = next(i for i, r in enumerate(table) if r[0][0] == kpi(name).label)
            if top["mu_star"] == 0:
                assert table[start][1][0].startswith("none"), (scenario, name)
            else:
                assert table[start][1][0] == top["parameter"], (scenario, name)
            rest = [r for r in table[start + 1 :]][:4]
            assert len([r for r in rest if r[0][0] == ""]) <= 4  # at most five per KPI
    assert "2 trajectories over 4 levels" in text_of(sens)
    assert len(frame) > 2 * len(tables[0]) + 2 * len(tables[1])  # a summary, not the CSV

    # uncertainty: the policy's label, median (p05 to p95), P(better), P(best)
    unc = table_by_header(section(html, "uncertainty"), "Policy")
    summary = pd.read_csv(made["uncertainty"] / "uncertainty_summary.csv")
    assert len(unc) == 1 + len(summary)
    assert [r[0][0] for r in unc[1:]] == [REMOTE_LABEL] + [""] * (len(summary) - 1)
    assert [r[1][0] for r in unc[1:]] == [kpi(k).label for k in summary["kpi"]]
    assert [r[3][0] for r in unc[1:]] == [f"{p:.2f}" for p in summary["prob_better"]]
    assert "4 Latin-hypercube draws" in text_of(section(html, "uncertainty"))
    assert "£11,000" in text_of(section(html, "uncertainty"))  # acceptability at a few values
    # the findings name the rankings that hold in at least 95% of the draws, or say none does
    findings = text_of(section(html, "findings"))
    held = summary[(summary["prob_better"] >= 0.95) | (summary["prob_better"] <= 0.05)]
    for r in held.head(6).to_dict("records"):
        assert f"{kpi(r['kpi']).label} (P(better) {r['prob_better']:.2f})" in findings
    assert ("No policy's ranking against the reference holds" in findings) == held.empty

    # sweep: one row per value, a column per KPI
    sweep = table_by_header(section(html, "sweep"), "contact.max_attempts")
    assert [r[0][0] for r in sweep[1:]] == ["2", "6"]
    assert kpi("total_cost_gbp").label in [c for c, _ in sweep[0]]

    # targets: the existing table
    assert "1 of 2 targets within tolerance." in text_of(section(html, "targets"))

    # figures: the comparison's six and every PNG each analysis lists, byte for byte
    pngs = listed_pngs(made["sensitivity"], "manifest.json")
    pngs += listed_pngs(made["uncertainty"], "uncertainty_manifest.json")
    pngs += listed_pngs(made["sweep"], "sweep_manifest.json")
    assert len(pngs) == 2 * 3 + 2 + 6  # per scenario: morris, a tornado per KPI; differences, CEAC; 6 curves
    assert len(page.images) == 6 + len(pngs)
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in page.images}
    assert {p.read_bytes() for p in pngs} <= embedded

    # methods: what each analysis varied, and its command line
    methods = text_of(section(html, "methods"))
    assert "The design analyses included" in methods
    assert "Morris elementary effects" in methods and "drawn together by Latin hypercube, 4 draws" in methods
    assert "contact.max_attempts at 2 values" in methods and "2 published figures" in methods
    assert "--trajectories 2" in methods
    assert "--with" not in text_of(section(html, "question"))  # same reference and cohort: no warning


def test_report_with_a_calibration_shows_its_waves_kept_ranges_and_targets(
    results: Path, made: dict[str, Path]
) -> None:
    folder = made["calibration"]
    html = report_with(results, folder)
    targets = section(html, "targets")
    assert f"Calibration: history matching ({folder})" in text_of(targets)
    manifest = read_json(folder / "calibration_manifest.json")
    kept = pd.read_csv(folder / "calibration.csv")
    waves = pd.read_csv(folder / "calibration_waves.csv")
    matched = pd.read_csv(folder / "calibration_targets.csv")
    used = manifest["targets"]  # the targets fitted; calibration_targets.csv also has those checked
    assert len(used) < len(matched)
    ids = ", ".join(t["id"] for t in used)
    assert f"of Baseline (2012-14 contract) to {len(used)} targets ({ids})" in text_of(targets)

    # a row per wave (the file has a row per wave and measure), with its share of the space
    table = rows_of(table_by_header(targets, "Wave"))
    per_wave = waves.groupby("wave").first()
    assert [r[0] for r in table[1:]] == [str(w) for w in per_wave.index]
    assert [r[4] for r in table[1:]] == [f"{n:,}" for n in per_wave["nroy_candidates"]]
    assert [r[5] for r in table[1:]] == [f"{numbers.significant(100 * x)}%" for x in per_wave["nroy_share"]]

    # each parameter: its searched range from the manifest, its kept range from calibration.csv
    table = rows_of(table_by_header(targets, "Parameter"))
    assert len(table) == 1 + len(manifest["parameters"]) and len(kept)
    for row, par in zip(table[1:], manifest["parameters"], strict=True):
        col = kept[par["path"]]
        assert row[0].startswith(par["path"])
        assert row[1] == f"{numbers.value_text(par['low'])} to {numbers.value_text(par['high'])}"
        assert row[2] == f"{numbers.value_text(col.min())} to {numbers.value_text(col.max())}"
    assert f"{len(kept):,} parameter sets kept" in text_of(targets)

    # each target against the emulated range over the sets kept
    heads = "Emulated over the sets kept"
    (table,) = [rows_of(t) for t in Page(targets).tables if heads in [c for c, _ in t[0]]]
    assert [r[0] for r in table[1:]] == list(matched["target"])

    # the three plots, byte for byte, and a line under Methods
    pngs = listed_pngs(folder, "calibration_manifest.json")
    assert len(pngs) == 3
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in Page(targets).images}
    assert {p.read_bytes() for p in pngs} <= embedded
    assert "searched by history matching against" in text_of(section(html, "methods"))


def test_a_run_folder_takes_with_too(report_comparison: Path, made: dict[str, Path], tmp_path: Path) -> None:
    run = copy_folder(report_comparison / "baseline", tmp_path / "run")
    html = report_with(run, made["sweep"])
    assert "sweep" in Page(html).ids and "Parameter sweeps" in html


def test_compare_report_with_checks_the_folders_first_and_includes_them(
    made: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def compare(out: Path, *extra: str) -> int:
        args = ["compare", BASELINE, REMOTE, "-n", "2", *TINY, "--no-plots", "--out", str(out)]
        return cli.main([*args, *extra])

    # refused before anything runs: no results folder at all
    bad = tmp_path / "bad"
    assert compare(bad, "--report", "--with", str(tmp_path / "missing")) == 2
    assert "--with" in capsys.readouterr().err and not bad.exists()
    assert compare(bad, "--with", str(made["sweep"])) == 2
    assert "give --report too" in capsys.readouterr().err and not bad.exists()

    out = tmp_path / "cmp"
    assert compare(out, "--report", "--with", str(made["sweep"]), "--with", str(made["calibration"])) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert {"sweep", "targets"} <= Page(html).ids
    assert f"Calibration: history matching ({made['calibration']})" in text_of(section(html, "targets"))


def test_another_reference_or_cohort_is_a_warning_not_an_error(results: Path, mine: dict[str, Path]) -> None:
    manifest = read_json(mine["uncertainty"] / "uncertainty_manifest.json")
    manifest["reference"] = "another_reference"
    manifest["overrides"] = {"cohort": {"initial_size": 5000}}
    write_json(mine["uncertainty"] / "uncertainty_manifest.json", manifest)
    question = text_of(section(report_with(results, mine["uncertainty"]), "findings"))
    assert f"--with {mine['uncertainty']}: its reference scenario is another_reference" in question
    assert "cohort.initial_size = 5000" in question


# ----------------------------------------------------------------------------------------------
# What --with refuses
# ----------------------------------------------------------------------------------------------


def test_what_is_not_a_finished_analysis_folder_is_refused(
    results: Path, mine: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allowed = "--with takes the finished folder of 'sensitivity'"
    refused(results, tmp_path / "missing", capsys, "no such folder", allowed)
    (tmp_path / "a_file.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    refused(results, tmp_path / "a_file.csv", capsys, "not a folder", allowed)
    (tmp_path / "random").mkdir()
    (tmp_path / "random" / "notes.txt").write_text("hello", encoding="utf-8")
    refused(results, tmp_path / "random", capsys, "not an analysis folder", allowed)
    (mine["sweep"] / ".incomplete").write_text("", encoding="utf-8")
    refused(results, mine["sweep"], capsys, ".incomplete", "--resume")
    refused(results, results, capsys, "comparison or run folder", "RESULTS_DIR")
    refused(results, results / "baseline", capsys, "comparison or run folder")


def test_tables_without_the_columns_their_command_writes_are_refused(
    results: Path, mine: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = mine["sensitivity"] / "sensitivity.csv"
    frame = pd.read_csv(path)
    frame.drop(columns=["mu_star_ci"]).to_csv(path, index=False)
    refused(results, mine["sensitivity"], capsys, "sensitivity.csv", "missing column(s) mu_star_ci")

    # the same file with a number spoilt is read (shown n/a), not a crash
    frame["mu_star"] = frame["mu_star"].astype(object)
    frame.loc[0, "mu_star"] = "not a number"
    frame.to_csv(path, index=False)
    assert cli.main(["report", str(results), "--with", str(mine["sensitivity"])]) == 0

    pd.DataFrame({"policy": ["x"], "effect": [1.0]}).to_csv(
        mine["uncertainty"] / "uncertainty_summary.csv", index=False
    )
    refused(results, mine["uncertainty"], capsys, "uncertainty_summary.csv", "missing column(s) scenario")
    pd.DataFrame({"param": ["x"], "value": [1]}).to_csv(mine["sweep"] / "sweep.csv", index=False)
    refused(results, mine["sweep"], capsys, "sweep.csv", "missing column(s) kpi")
    (mine["targets"] / "targets.csv").write_bytes(b"\x00\xff\x00 not a table \x89PNG")
    refused(results, mine["targets"], capsys, "targets.csv")

    kept = pd.read_csv(mine["calibration"] / "calibration.csv")
    kept.drop(columns=["contact.success"]).to_csv(mine["calibration"] / "calibration.csv", index=False)
    refused(results, mine["calibration"], capsys, "calibration.csv", "missing column(s) contact.success")
    kept.to_csv(mine["calibration"] / "calibration.csv", index=False)
    calibration = read_json(mine["calibration"] / "calibration_manifest.json")
    write_json(mine["calibration"] / "calibration_manifest.json", {**calibration, "parameters": "all"})
    refused(results, mine["calibration"], capsys, "does not list the parameters")

    manifest = read_json(mine["sensitivity"] / "manifest.json")
    manifest["method"] = "fast"
    write_json(mine["sensitivity"] / "manifest.json", manifest)
    refused(results, mine["sensitivity"], capsys, "method 'fast'", "morris")


def test_symlinked_and_hidden_files_are_not_read(
    results: Path, mine: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = mine["uncertainty"]
    # a listed hidden PNG and a listed symlink to a PNG outside the folder are not embedded
    png = (folder / "ceac.png").read_bytes()
    (folder / ".hidden.png").write_bytes(png + b"hidden")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png + b"outside")
    (folder / "link.png").symlink_to(outside)
    manifest = read_json(folder / "uncertainty_manifest.json")
    manifest["files"] += [".hidden.png", "link.png", "../outside.png", str(outside)]
    write_json(folder / "uncertainty_manifest.json", manifest)
    images = Page(section(report_with(results, folder), "uncertainty")).images
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in images]
    assert len(embedded) == 2 and not any(e.endswith((b"hidden", b"outside")) for e in embedded)

    # the table itself a symlink to a file outside: not read, so the folder is refused
    summary = folder / "uncertainty_summary.csv"
    shutil.move(summary, tmp_path / "elsewhere.csv")
    summary.symlink_to(tmp_path / "elsewhere.csv")
    refused(results, folder, capsys, "no readable uncertainty_summary.csv")


# ----------------------------------------------------------------------------------------------
# The summaries themselves
# ----------------------------------------------------------------------------------------------


def test_sobol_tables_rank_by_total_order_and_show_shares() -> None:
    frame = pd.DataFrame(
        {
            "method": "sobol",
            "kpi": "removed_enforced",
            "parameter": [f"p{i}" for i in range(7)],
            "S1": [0.01, 0.2, 0.0, 0.05, 0.1, 0.0, 0.3],
            "S1_ci": 0.01,
            "ST": [0.02, 0.25, 0.0, 0.07, 0.4, 0.001, 0.35],
            "ST_ci": 0.02,
            "scenario": "baseline",
            "within_noise": [True, False, True, False, False, True, False],
        }
    )
    (table,) = sensitivity_tables(frame, "sobol", {}, "baseline")
    assert table.columns[2:4] == ["ST", "S1"]
    assert [r[1].text for r in table.rows] == ["p4", "p6", "p1", "p3", "p0"]
    assert [r[2].text for r in table.rows][:2] == ["0.400", "0.350"]
    assert table.rows[4][4].text == "within noise" and table.rows[0][2].mark


def test_figures_beyond_the_size_budget_are_named_not_embedded(
    made: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = made["sweep"]
    pngs = listed_pngs(folder, "sweep_manifest.json")
    monkeypatch.setattr(report_parts, "MAX_ANALYSIS_IMAGE_BYTES", pngs[0].stat().st_size + 1)
    figures, notes = analysis_figures(
        AnalysisFolder(folder, "sweep", read_json(folder / "sweep_manifest.json"), str(folder)), sweep_figure
    )
    assert len(figures) == 1
    assert figures[0].title == f"{kpi('departed_voluntary').label} against the swept parameter"
    assert len(notes) == 1 and all(p.name in notes[0] for p in pngs[1:])


def test_discovery_boxes_read_as_one_row_each() -> None:
    frame = pd.DataFrame(
        {
            "scenario": "remote_reporting",
            "kpi": "out_of_contact_end",
            "rule": [1, 1, 2],
            "share_worse": [0.9, 0.9, 0.6],
            "draws": [12, 12, 10],
            "parameter": ["reporting.interval_days", "contact.agents", "tracing.team_size"],
            "low": [1.25, 3.0, 40.0],
            "high": [2.0, 5.5, 60.0],
        }
    )
    table = discovery_table(frame, {"remote_reporting": REMOTE_LABEL})
    assert [[c.text for c in r] for r in table.rows] == [
        [
            REMOTE_LABEL,
            kpi("out_of_contact_end").label,
            "reporting.interval_days from 1.25 to 2; contact.agents from 3 to 5.50",
            "90%",
            "12",
        ],
        [REMOTE_LABEL, kpi("out_of_contact_end").label, "tracing.team_size from 40 to 60", "60%", "10"],
    ]
