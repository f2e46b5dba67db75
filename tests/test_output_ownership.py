"""Issue 19, part A: an output folder is owned, locked while written, and OS errors are input errors.

Every data-loss case of the adversarial round is here: the folder tree is hashed before and after,
and a refused command must leave it byte for byte as it was (exit code 2, a message saying what was
found and how to fix it, no traceback). Normal re-runs must still replace their own outputs, and
``--resume`` must stay byte-identical.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO, RUN_SIM, run_cli

from sim import cli
from sim.experiment import files, output
from sim.experiment.parts import PartStore

TINY = ["--horizon", "60", "--cohort-size", "200", "-n", "2", "-q"]
"""Replications of a few milliseconds."""
SENSITIVITY = ["--groups", "section", "--trajectories", "2", *TINY, "--no-plots"]
STEER = "enforcement:\n  hidden_barrier_probability: 0.0\n"


@pytest.fixture
def scen(tmp_path: Path) -> Path:
    """A folder with t.yaml (name t) and u.yaml (name u), small scenarios of the baseline."""
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "t.yaml").write_text(f"name: t\ntitle: First title\n{STEER}", encoding="utf-8")
    (d / "u.yaml").write_text(f"name: u\ncontact:\n  agents: 60\n{STEER}", encoding="utf-8")
    return d


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (relative path -> sha256 of the bytes, or 'dir')."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        found[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    """``run_sim.py ARGS`` in this process: exit code and stderr."""
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def refused(code: int, err: str, *expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


# ----------------------------------------------------------------------------------------------
# one command's --out pointed at another command's folder
# ----------------------------------------------------------------------------------------------


def test_run_into_the_parent_of_a_sensitivity_folder_is_refused(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sens = tmp_path / "R" / "sens"
    assert main(capsys, "sensitivity", scen / "t.yaml", *SENSITIVITY, "--out", sens / "t")[0] == 0
    before = tree(tmp_path / "R")
    code, err = main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", sens)
    refused(code, err, "is a 'sensitivity' folder", "not a 'run' one", "--force", "Nothing was changed")
    assert tree(tmp_path / "R") == before


def test_sensitivity_into_a_run_folder_is_refused(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    assert main(capsys, "run", scen / "t.yaml", *TINY, "--out", out)[0] == 0
    before = tree(out)
    code, err = main(capsys, "sensitivity", scen / "t.yaml", *SENSITIVITY, "--out", out / "t")
    refused(code, err, "is a 'run' folder", "not a 'sensitivity' one")
    assert tree(out) == before


@pytest.mark.parametrize(
    ("command", "owner"),
    [
        ("compare", "sweep"),
        ("sweep", "compare"),
        ("uncertainty", "calibrate"),
        ("calibrate", "uncertainty"),
        ("sensitivity", "targets"),
        ("compare", "sensitivity"),
    ],
)
def test_every_study_refuses_another_kinds_folder_before_running(
    command: str, owner: str, scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "other"
    out.mkdir()
    (out / output.OWNER).write_text(json.dumps({"kind": owner, "files": ["x.csv"]}), encoding="utf-8")
    (out / "x.csv").write_text("theirs\n", encoding="utf-8")
    before = tree(out)
    t, u = scen / "t.yaml", scen / "u.yaml"
    args = {
        "compare": [t, u],
        "sweep": [t, "--param", "contact.agents=40,60"],
        "uncertainty": [REPO / "scenarios" / "baseline.yaml", REPO / "scenarios" / "remote_reporting.yaml"],
        "calibrate": ["--waves", "1", "--points", "8"],
        "sensitivity": [t, "--groups", "section", "--trajectories", "2"],
    }[command]
    code, err = main(capsys, command, *args, *TINY, "--no-plots", "--out", out)
    refused(code, err, f"is a '{owner}' folder", f"not a '{command}' one")
    assert tree(out) == before


def test_an_edited_manifest_never_makes_a_command_delete_what_it_lists(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: manifest.json edited to {"files": ["notes"]}, then --resume."""
    out = tmp_path / "R"
    args = ["run", scen / "t.yaml", *TINY, "--no-plots", "--out", out]
    assert main(capsys, *args)[0] == 0
    folder = out / "t"
    (folder / "notes").mkdir()
    (folder / "notes" / "mine.txt").write_text("my notes\n", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"files": ["notes", "../t.yaml"]}), encoding="utf-8")
    assert main(capsys, *args, "--resume")[0] == 0
    assert (folder / "notes" / "mine.txt").read_text(encoding="utf-8") == "my notes\n"
    assert output.is_complete(folder) and (scen / "t.yaml").exists()

    # the owner marker edited the same way: the run's own tables no longer count as its own
    owner = json.loads((folder / output.OWNER).read_text(encoding="utf-8"))
    (folder / output.OWNER).write_text(json.dumps({**owner, "files": ["notes"]}), encoding="utf-8")
    before = tree(out)
    code, err = main(capsys, *args, "--resume")
    refused(code, err, "manifest.json", "not written by a 'run' command")
    assert tree(out) == before


# ----------------------------------------------------------------------------------------------
# --out pointed at an ordinary folder, at "", at a scenario file
# ----------------------------------------------------------------------------------------------


def test_an_ordinary_folder_with_same_named_files_is_refused(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "report.html").write_text("<html>my own report</html>\n", encoding="utf-8")
    (out / "comparison.csv").write_text("mine\n", encoding="utf-8")
    (out / "notes.txt").write_text("keep\n", encoding="utf-8")
    before = tree(out)
    code, err = main(capsys, "compare", scen / "t.yaml", scen / "u.yaml", *TINY, "--out", out)
    refused(code, err, "comparison.csv, report.html", "not written by a 'compare' command")
    assert tree(out) == before

    # files a command would not touch are no reason to refuse, and stay as they are
    (out / "report.html").unlink()
    (out / "comparison.csv").unlink()
    code, err = main(capsys, "compare", scen / "t.yaml", scen / "u.yaml", *TINY, "--no-plots", "--out", out)
    assert code == 0, err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep\n"
    assert output.is_complete(out, output.COMPARISON_MANIFEST)


def test_a_report_not_written_by_us_inside_a_run_folder_is_refused(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    args = ["run", scen / "t.yaml", *TINY, "--no-plots", "--out", out]
    assert main(capsys, *args, "--report")[0] == 0
    ours = out / "t" / "report.html"
    assert files.written_report(ours)
    assert main(capsys, *args)[0] == 0  # our own report is replaced (removed until written again)
    assert not ours.exists()
    ours.write_text("<html>the user's</html>\n", encoding="utf-8")
    before = tree(out)
    refused(*main(capsys, *args), "report.html")
    assert tree(out) == before


def test_empty_out_is_refused(
    scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "cwd"
    here.mkdir()
    (here / "report.html").write_text("mine\n", encoding="utf-8")
    monkeypatch.chdir(here)
    before = tree(here)
    for command in (["run", scen / "t.yaml"], ["compare", scen / "t.yaml", scen / "u.yaml"]):
        refused(*main(capsys, *command, *TINY, "--out", ""), "--out", "empty")
    refused(*main(capsys, "sensitivity", scen / "t.yaml", *SENSITIVITY, "--out", " "), "--out", "empty")
    refused(*main(capsys, "report", tmp_path, "--out", ""), "--out", "empty")
    assert tree(here) == before


def test_report_never_overwrites_a_file_it_did_not_write(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    assert main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", out)[0] == 0
    before = tree(scen)
    code, err = main(capsys, "report", out / "t", "--out", scen / "t.yaml")
    refused(code, err, "t.yaml", "not a report this program wrote")
    assert tree(scen) == before
    briefing = tmp_path / "briefing.html"
    assert main(capsys, "report", out / "t", "--out", briefing)[0] == 0
    assert files.written_report(briefing)
    assert main(capsys, "report", out / "t", "--out", briefing)[0] == 0  # our own report: replaced


# ----------------------------------------------------------------------------------------------
# --force, older folders, normal re-runs and --resume
# ----------------------------------------------------------------------------------------------


def test_force_moves_the_old_folder_aside_and_deletes_nothing(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sens = tmp_path / "R" / "sens"
    assert main(capsys, "sensitivity", scen / "t.yaml", *SENSITIVITY, "--out", sens / "t")[0] == 0
    before = tree(sens / "t")
    code, err = main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", sens, "--force")
    assert code == 0, err
    (aside,) = sens.glob("t.old-*")
    assert tree(aside) == before  # every file moved intact, lock and marker included
    assert json.loads((sens / "t" / output.OWNER).read_text(encoding="utf-8"))["kind"] == "run"
    assert output.is_complete(sens / "t")


def test_an_older_versions_folder_is_reused_only_if_its_manifest_shows_this_kind(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    args = ["run", scen / "t.yaml", *TINY, "--no-plots", "--out", out]
    assert main(capsys, *args)[0] == 0
    folder = out / "t"
    (folder / output.OWNER).unlink()  # as an older version left it: a run's manifest, no marker
    (folder / output.LOCK).unlink()
    assert main(capsys, *args)[0] == 0
    assert json.loads((folder / output.OWNER).read_text(encoding="utf-8"))["kind"] == "run"

    (folder / output.OWNER).unlink()  # a manifest that does not show a run: foreign
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["run_key"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = tree(out)
    refused(*main(capsys, *args), "manifest.json", "not written by a 'run' command")
    assert tree(out) == before


def test_rerun_replaces_its_own_outputs_and_keeps_the_rest(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    args = ["run", scen / "t.yaml", *TINY, "--out", out]
    assert main(capsys, *args)[0] == 0
    folder = out / "t"
    old_plots = {p.name for p in folder.glob("*.png")}
    assert "state_flow_first_title.png" in old_plots
    first = (folder / "summary.csv").read_bytes()
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    (scen / "t.yaml").write_text(f"name: t\ntitle: Second title\n{STEER}", encoding="utf-8")
    assert main(capsys, *args, "--seed", "7")[0] == 0
    assert (folder / "summary.csv").read_bytes() != first
    plots = {p.name for p in folder.glob("*.png")}
    assert "state_flow_second_title.png" in plots and not plots & (
        old_plots - plots - {"time_to_outcome.png"}
    )
    assert not any("first_title" in p for p in plots)  # the old label's plots were the run's own
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_resume_after_an_interrupted_compare_is_byte_identical(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", scen / "t.yaml", scen / "u.yaml", *TINY[:-3], "-n", "3", "-q", "--no-plots"]
    assert main(capsys, *args, "--out", tmp_path / "clean")[0] == 0
    out = tmp_path / "resumed"
    assert main(capsys, *args, "--out", out)[0] == 0
    # interrupted: a replication, a table and the manifests missing, the folders marked incomplete
    for name in ("t", "u"):
        (out / name / output.MARKER).write_text("", encoding="utf-8")
        (out / name / "manifest.json").unlink()
    (out / output.MARKER).write_text("", encoding="utf-8")
    (out / output.COMPARISON_MANIFEST).unlink()
    (out / "comparison.csv").unlink()
    files.remove(out / "u" / ".parts" / "rep_000001")
    assert main(capsys, *args, "--out", out, "--resume")[0] == 0
    clean = {p.relative_to(tmp_path / "clean"): p.read_bytes() for p in (tmp_path / "clean").rglob("*.csv")}
    resumed = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    assert resumed == clean and len(clean) >= 15
    assert json.loads((out / "u" / "manifest.json").read_text())["replications_run_this_time"] == 1


# ----------------------------------------------------------------------------------------------
# one lock per folder
# ----------------------------------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from sim.experiment import files
folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
files._lock(folder)
print("locked", flush=True)
time.sleep(60)
"""


def test_a_folder_in_use_is_refused_with_the_holders_pid(
    scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "R"
    assert main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", out)[0] == 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out / "t")], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        before = tree(out)
        for force in ([], ["--force"]):  # --force never moves a folder in use
            code, err = main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", out, *force)
            refused(code, err, f"folder in use by PID {holder.pid}")
            assert tree(out) == before
    finally:
        holder.kill()
        holder.wait()
    assert main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", out)[0] == 0


def test_a_failed_run_releases_its_locks(
    scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session that goes on after an error (a notebook) keeps no other process out."""
    import sim.analysis.plots

    def broken(*_args: object, **_kw: object) -> list[Path]:
        raise RuntimeError("plotting bug")

    monkeypatch.setattr(sim.analysis.plots, "plot_run", broken)
    out = tmp_path / "R"
    with pytest.raises(RuntimeError, match="plotting bug"):
        cli.main(["run", str(scen / "t.yaml"), *TINY, "--out", str(out)])
    done = run_cli("run", scen / "t.yaml", *TINY, "--no-plots", "--out", out, "--resume", timeout=300)
    assert done.returncode == 0, done.stderr
    assert output.is_complete(out / "t")


def test_two_runs_into_the_same_folder_at_once(scen: Path, tmp_path: Path) -> None:
    """Started together: each finishes or is refused as in use, never a traceback."""
    out = tmp_path / "R"
    args = [sys.executable, str(RUN_SIM), "run", str(scen / "t.yaml"), "--horizon", "200"]
    args += ["--cohort-size", "500", "-n", "6", "-q", "--no-plots", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in runs]
    for code, err in results:
        assert "Traceback" not in err
        assert code == 0 or (code == 2 and "folder in use by PID" in err), err
    assert any(code == 0 for code, _ in results)
    assert output.is_complete(out / "t")


# ----------------------------------------------------------------------------------------------
# OS errors: a read-only or full output location
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "number"),
    [("mkdir", errno.EROFS), ("mkstemp", errno.EACCES)],
)
def test_an_output_location_that_cannot_be_written_is_exit_2(
    target: str,
    number: int,
    scen: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Tests run as root here, where a read-only mode bit is not enforced: the OS's refusal is
    simulated where the folder is first written (a new folder, or a file in an existing one)."""
    out = tmp_path / "R"
    if target == "mkstemp":
        (out / "t").mkdir(parents=True)
    real_mkdir, real_mkstemp = os.mkdir, tempfile.mkstemp

    def mkdir(path: str | os.PathLike[str], *a: object, **k: object) -> None:
        if str(path).startswith(str(out)):
            raise OSError(number, os.strerror(number), str(path))
        real_mkdir(path, *a, **k)  # type: ignore[arg-type]

    def mkstemp(*a: object, dir: str | os.PathLike[str] | None = None, **k: object) -> tuple[int, str]:
        if dir is not None and str(dir).startswith(str(out)):
            raise OSError(number, os.strerror(number), str(dir))
        return real_mkstemp(*a, dir=dir, **k)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    before = tree(tmp_path / "scenarios")
    code, err = main(capsys, "run", scen / "t.yaml", *TINY, "--no-plots", "--out", out)
    refused(code, err, os.strerror(number), "cannot write there; choose another --out")
    assert tree(tmp_path / "scenarios") == before


def test_a_full_disk_part_way_is_exit_3_and_resume_completes_byte_identical(
    scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", scen / "t.yaml", *TINY[:-3], "-n", "4", "-q", "--no-plots"]
    assert main(capsys, *args, "--out", tmp_path / "clean")[0] == 0
    real_write = PartStore.write
    written: list[int] = []

    def write(self: PartStore, replication: int, result: object) -> Path:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path(replication)))
        written.append(replication)
        return real_write(self, replication, result)  # type: ignore[arg-type]

    monkeypatch.setattr(PartStore, "write", write)
    out = tmp_path / "full"
    code, err = main(capsys, *args, "--out", out)
    assert code == 3 and "Traceback" not in err
    assert "No space left on device" in err and "--resume" in err and str(out / "t" / ".parts") in err
    assert sorted(p.name for p in (out / "t" / ".parts").glob("rep_*")) == ["rep_000000", "rep_000001"]
    monkeypatch.setattr(PartStore, "write", real_write)
    assert main(capsys, *args, "--out", out, "--resume")[0] == 0
    manifest = json.loads((out / "t" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replications_resumed"] == 2
    for name in ("summary.csv", "outcomes.csv", "timeseries.csv", "summary_stats.csv", "time_to_outcome.csv"):
        assert (out / "t" / name).read_bytes() == (tmp_path / "clean" / "t" / name).read_bytes(), name
