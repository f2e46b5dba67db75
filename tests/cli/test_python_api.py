"""The Python API (``from sim import run, compare, load_scenario``) works as docs/python-api.md says:
every example on that page runs as a doctest, from the repository root, writing into a temporary
folder (``workdir``)."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import pytest

import sim
from sim.cli.parser import build_parser

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "python-api.md"


def test_the_python_api_page_runs_as_doctests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the examples name scenario files relative to the repository
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(
        str(PAGE), module_relative=False, globs={"workdir": tmp_path}, optionflags=flags, report=True
    )
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize("command, function", [("run", sim.run), ("compare", sim.compare)])
def test_every_default_matches_the_command_line(command: str, function: object) -> None:
    """A keyword of the API and the option of the same name default to the same value."""
    parser = build_parser()
    files = ["scenarios/baseline.yaml"] * (2 if command == "compare" else 1)
    args = parser.parse_args([command, *files])
    checked = 0
    for name, parameter in inspect.signature(function).parameters.items():  # type: ignore[arg-type]
        if parameter.default is inspect.Parameter.empty:
            continue
        if name in ("plots", "reuse"):  # --no-plots, --no-reuse
            assert parameter.default is not getattr(args, f"no_{name}")
        elif hasattr(args, name):
            assert parameter.default == getattr(args, name), name
        else:
            continue
        checked += 1
    assert checked >= 8
