"""Every relative link and every command in the README and docs/ resolves.

A newcomer follows the README's links and pastes its commands; a link to a moved page or a
command whose option was renamed fails them silently. So each relative Markdown link (and image)
must point to an existing file, and its ``#anchor`` to a heading of that file (GitHub's slugs);
each ``run_sim.py`` command in a code block must parse with the CLI's own argparse parser (nothing
is run); each script, module and repository file a command names must exist. Fast: no simulation.
"""

from __future__ import annotations

import glob
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
REPO_DIRS = ("benchmarks", "docs", "scenarios", "scripts", "sim", "tests", "validation")
"""Top-level folders of the repository: a command's path under one of them is an input that must
exist (other paths, such as ``results/...`` or ``/tmp/...``, are outputs or examples)."""

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_SCRIPT = re.compile(r"\b(?:scripts|benchmarks)/\w+\.py\b")
_CODE_PATH = re.compile(rf"`((?:{'|'.join(REPO_DIRS)})/[\w./-]+)`")
"""A repository path quoted in prose (``sim/model/streams.py``): the docs name modules by path."""
_PROGRAM = re.compile(r"(\S*/)?(python3?|pip|pytest|ruff|mypy|bash|dask) ")
"""The start of a command line in a block without prompts (a diagram or output is not one)."""


def doc_pages(root: Path = ROOT) -> list[Path]:
    """The README and every Markdown page under docs/."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _prose(text: str) -> str:
    """``text`` without its fenced code blocks (a ``#`` comment there is not a heading)."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``, repeated headings numbered as GitHub does (-1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", _prose(page.read_text(encoding="utf-8")), re.MULTILINE):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def link_problems(page: Path) -> list[str]:
    """A line for each relative link or image of ``page`` whose file or heading does not exist."""
    problems = []
    for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            problems.append(f"{page.name}: link to missing file {target}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{page.name}: link to missing heading {target}")
    return problems


def commands(text: str) -> list[str]:
    """The shell commands in the code blocks of ``text`` (not YAML or other data).

    In a block that shows prompts (``$ ``) only the prompted lines are commands, the rest is
    output; elsewhere a command starts with a program (``_PROGRAM``). A trailing backslash
    continues a command on the next line.
    """
    found = []
    for lang, body in _FENCE.findall(text):
        if lang not in ("", "bash", "sh", "console"):
            continue
        lines = body.replace("\\\n", " ").splitlines()
        prompted = [line[2:] for line in lines if line.startswith("$ ")]
        found += prompted or [line for line in lines if _PROGRAM.match(line)]
    return found


def _expand(token: str, root: Path) -> list[str]:
    """A repository glob (``scenarios/*.yaml``) expanded as the shell would, relative to ``root``."""
    if "*" not in token or token.split("/")[0] not in REPO_DIRS:
        return [token]
    return sorted(str(Path(p).relative_to(root)) for p in glob.glob(str(root / token))) or [token]


def command_problems(command: str, root: Path = ROOT) -> list[str]:
    """A line for each way ``command`` does not resolve: an unknown script, module or input file,
    or ``run_sim.py`` arguments its parser rejects. Commands using ``$VARS`` are skipped: their
    values are the reader's."""
    problems = []
    for part in re.split(r"&&|;|\|", command):
        tokens = [t for raw in shlex.split(part, comments=True) for t in _expand(raw, root)]
        if any("$" in t for t in tokens):
            continue
        for i, token in enumerate(tokens):
            if token.split("/")[0] in REPO_DIRS and not (root / token).exists():
                problems.append(f"{command}: no file {token}")
            if token == "-m" and i + 1 < len(tokens) and importlib.util.find_spec(tokens[i + 1]) is None:
                problems.append(f"{command}: no module {tokens[i + 1]}")
            if token.endswith("run_sim.py"):
                try:
                    build_parser().parse_args(tokens[i + 1 :])
                except SystemExit:
                    problems.append(f"{command}: run_sim.py rejects these arguments")
                break
    return problems


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.name)
def test_links_resolve(page: Path) -> None:
    assert link_problems(page) == []


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.name)
def test_commands_resolve(page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = page.read_text(encoding="utf-8")
    problems = [p for c in commands(text) for p in command_problems(c)]
    problems += [f"{page.name}: no file {s}" for s in _SCRIPT.findall(text) if not (ROOT / s).exists()]
    assert problems == [], capsys.readouterr().err


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.name)
def test_quoted_repository_paths_exist(page: Path) -> None:
    """A module or file the docs name by path still exists (a move must update the docs)."""
    missing = [p for p in _CODE_PATH.findall(page.read_text(encoding="utf-8")) if not (ROOT / p).exists()]
    assert missing == [], f"{page.name} names paths that do not exist"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in doc_pages()[1:]:
        assert f"(docs/{page.name})" in readme, f"README does not link {page.name}"


def test_the_checker_finds_broken_links_and_commands(tmp_path: Path) -> None:
    """The checks above can fail: a made-up page with one of each fault, and one without."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "scenarios").mkdir()
    for name in ("a", "b"):
        (tmp_path / "scenarios" / f"{name}.yaml").write_text(f"name: {name}\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# A page\n\n## Set-up (two steps)\n\n```yaml\n# not a heading\n```\n\n"
        "[ok](#set-up-two-steps) [ok](page.md#a-page) ![ok](../scenarios/a.yaml) [web](https://x.org)\n"
        "[gone](missing.md) [no heading](#not-a-heading) ![no image](nothing.png)\n",
        encoding="utf-8",
    )
    assert anchors(page) == {"a-page", "set-up-two-steps"}
    assert link_problems(page) == [
        "page.md: link to missing file missing.md",
        "page.md: link to missing heading #not-a-heading",
        "page.md: link to missing file nothing.png",
    ]
    text = (
        "```\n  4  sim/cli/   a diagram, not a command\n```\n"
        "```bash\npython run_sim.py compare scenarios/*.yaml --workers 2 \\\n    --report\n```\n"
        "```\n$ python run_sim.py run scenarios/a.yaml --no-such-option\nsome output\n"
        "$ python scripts/nothing.py && python -m no_such_module\n$ python run_sim.py run $SCENARIO\n```\n"
    )
    assert commands(text) == [
        "python run_sim.py compare scenarios/*.yaml --workers 2      --report",
        "python run_sim.py run scenarios/a.yaml --no-such-option",
        "python scripts/nothing.py && python -m no_such_module",
        "python run_sim.py run $SCENARIO",
    ]
    found = [p for c in commands(text) for p in command_problems(c, tmp_path)]
    assert found == [
        "python run_sim.py run scenarios/a.yaml --no-such-option: run_sim.py rejects these arguments",
        "python scripts/nothing.py && python -m no_such_module: no file scripts/nothing.py",
        "python scripts/nothing.py && python -m no_such_module: no module no_such_module",
    ]
