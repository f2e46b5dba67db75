"""Reading scenario YAML files safely, and resolving their ``extends`` chain.

Everything that can go wrong before validation is caught here and reported as a ``Problem`` naming
the file: a path that is missing or is a directory, bytes that are not UTF-8 text, YAML syntax
errors, a key given twice (PyYAML would silently keep the last), an empty file, a top level that
is not a mapping, and ``extends`` pointing nowhere or round in a cycle.

A scenario file states only what differs from its parent (``extends: baseline.yaml``, relative to
the file that says it) or, without a parent, from the schema's defaults. The chain is merged root
first, each child deep-merged over its parent. Identity keys (``name``, ``title``,
``description``) describe one file, so they are never inherited: ``name`` defaults to the file stem
and ``title``/``description`` to empty (so ``Scenario.label`` falls back to the unique name
instead of repeating the parent's title in plots).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import Problem, ScenarioError, show
from sim.scenario.merge import deep_merge

IDENTITY_KEYS = ("name", "title", "description")
"""Keys that describe one file and are not inherited through ``extends``."""

MINIMAL_FILE = (
    "a minimal scenario file is 'extends: baseline.yaml' plus the parameters it changes, "
    "e.g. 'contact: {max_attempts: 9}'"
)
"""What an empty file should have said (quoted in the error for one)."""

SAVE_AS_UTF8 = "save the file as UTF-8 text (most editors offer the encoding under 'Save as' or 'Encoding')"

_MAX_CHAIN = 100  # files in one extends chain; a longer one is a mistake, not a policy


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys (PyYAML silently keeps the last one, which would
    drop, say, a whole first ``contact:`` block without a word)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise _DuplicateKeyError(
                None,
                None,
                f"duplicate key {key!r} (first given at line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# ----------------------------------------------------------------------------------------------
# One file
# ----------------------------------------------------------------------------------------------


def _show_dir(directory: Path) -> str:
    return str(directory) + os.sep if str(directory) != "." else "the current directory"


def _yaml_names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _yaml_files_hint(directory: Path, wanted: str) -> str:
    """What the user could have meant: close names first, else every .yaml file in the folder."""
    if not directory.is_dir():
        return f"directory {_show_dir(directory)} does not exist"
    names = _yaml_names(directory)
    if not names:
        return f"there are no .yaml files in {_show_dir(directory)}"
    by_stem = {Path(n).stem: n for n in names}
    close = difflib.get_close_matches(Path(wanted).stem, list(by_stem), n=3)
    if close:
        return "did you mean " + " or ".join(by_stem[c] for c in close) + "?"
    return f"files in {_show_dir(directory)}: " + ", ".join(names)


def _directory_hint(directory: Path) -> str:
    names = _yaml_names(directory)
    if not names:
        return f"give a scenario .yaml file; there are none in {directory}"
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"give one scenario .yaml file, e.g. {directory / names[0]} (files there: {shown})"


def _extended_by(referrer: str | None) -> str:
    return f" (this file is extended by {referrer})" if referrer else ""


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError, referrer: str | None) -> Problem:
    """Where the first undecodable byte is (line, column, offset) and what the file probably is."""
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    bad = data[exc.start : exc.end]
    shown = " ".join(f"0x{b:02x}" for b in bad)
    at = f"byte {shown} at line {line}, column {column} (byte offset {exc.start})"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        guess = "; the file is UTF-16 text (it starts with a UTF-16 byte-order mark)"
    elif b"\x00" in data[:4096]:
        guess = "; it contains NUL bytes, so it is not a text file (a spreadsheet or document?) or is UTF-16"
    else:
        char = bad[:1].decode("cp1252", errors="replace")
        guess = f"; it looks like {char!r} saved in a Windows/Latin-1 encoding" if char.isprintable() else ""
    return Problem(str(path), "", f"not UTF-8 text: {at}{guess}{_extended_by(referrer)}", SAVE_AS_UTF8)


def _read_text(path: Path, referrer: str | None) -> str:
    """The file's text, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    if path.is_dir():
        if referrer is not None:
            raise ScenarioError(
                [
                    Problem(
                        referrer,
                        "extends",
                        f"parent {path} is a directory, not a scenario file",
                        _directory_hint(path),
                    )
                ]
            )
        raise ScenarioError(
            [Problem(str(path), "", "is a directory, not a scenario file", _directory_hint(path))]
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        hint = _yaml_files_hint(path.parent, path.name)
        if referrer is not None:
            raise ScenarioError(
                [Problem(referrer, "extends", f"parent file {path} not found", hint)]
            ) from None
        raise ScenarioError([Problem(str(path), "", "file not found", hint)]) from None
    except PermissionError:
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    "cannot read file (permission denied)" + _extended_by(referrer),
                    "check the file's permissions",
                )
            ]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), "", f"cannot read file ({exc.strerror}){_extended_by(referrer)}")]
        ) from None
    try:
        text = data.decode("utf-8")  # not utf-8-sig: its error offsets would skip the mark
    except UnicodeDecodeError as exc:
        raise ScenarioError([_not_utf8(path, data, exc, referrer)]) from None
    return text.removeprefix("\ufeff")


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def read_yaml(path: str | os.PathLike[str], *, referrer: str | None = None) -> Any:
    """One YAML document from a UTF-8 file, or a ScenarioError naming the file and what is wrong.

    ``referrer`` is the file whose ``extends`` pointed here: a missing parent is reported against
    the file that names it, and other problems of the parent say which file extends it. The
    result may be anything YAML holds (None for an empty file); see ``read_mapping``.
    """
    return _parse(Path(path), referrer)[0]


def _parse(path: Path, referrer: str | None) -> tuple[Any, str]:
    """The YAML document and the text it was parsed from."""
    text = _read_text(path, referrer)
    file, context = str(path), _extended_by(referrer)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), text  # a SafeLoader subclass: no arbitrary objects
    except _DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ScenarioError(
            [
                Problem(
                    file,
                    "",
                    f"line {line}: {exc.problem}{context}",
                    "keep one (merge the two blocks into one)",
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        detail = f" ({exc.context})" if exc.context else ""
        hint = "check indentation, the ': ' after each key, and matching quotes and brackets"
        if "'\\t'" in str(exc.problem):
            hint = "indent with spaces, not tabs"
        raise ScenarioError(
            [Problem(file, "", f"YAML syntax error{where}: {exc.problem}{detail}{context}", hint)]
        ) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise ScenarioError(
            [
                Problem(
                    file,
                    "",
                    f"control character #x{code:04x} at line {line}, column {column} is not allowed in "
                    f"YAML{context}",
                    "remove it (control characters usually mean the file is not plain text)",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, "", f"YAML error: {exc}{context}")]) from None


def _only_comments(text: str) -> bool:
    lines = (line.strip() for line in text.splitlines())
    return all(not line or line.startswith("#") or line in ("---", "...") for line in lines)


def read_mapping(path: str | os.PathLike[str], *, referrer: str | None = None) -> dict[str, Any]:
    """One scenario file's own keys (``extends`` not resolved), or a ScenarioError.

    An empty file is an error, not an all-defaults scenario: an empty or all-comment file is far
    more often a file saved before it was written (or the wrong file) than a deliberate request
    for the defaults, and it would otherwise run silently.
    """
    path = Path(path)
    data, text = _parse(path, referrer)
    context = _extended_by(referrer)
    if data is None or data == {}:
        if not text.strip():
            what = "the file is empty"
        elif _only_comments(text):
            what = "the file has only comments, no keys"
        else:
            what = f"the file has no keys (its top level is {show(data)})"
        raise ScenarioError([Problem(str(path), "", what + context, MINIMAL_FILE)])
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    f"the top level must be a mapping of keys, got {show(data)} ({type(data).__name__})"
                    + context,
                    "write 'key: value' lines, not a list ('- ...'), e.g. 'extends: baseline.yaml' "
                    "and 'name: my_policy'",
                )
            ]
        )
    return data


# ----------------------------------------------------------------------------------------------
# The extends chain
# ----------------------------------------------------------------------------------------------


def read_chain(path: str | os.PathLike[str]) -> list[tuple[Path, dict[str, Any]]]:
    """The file and each file it extends with its own keys, root ancestor first.

    ``extends`` is removed from each mapping. Paths are as the user would write them (the file's
    path joined with each ``extends``, normalised), so messages and ``describe`` show them so.
    """
    chain: list[tuple[Path, dict[str, Any]]] = []
    current, referrer = Path(path), None
    while True:
        own = dict(read_mapping(current, referrer=referrer))
        target = own.pop("extends", None)
        chain.append((current, own))
        if target is None:
            return chain[::-1]
        file = str(current)
        if not isinstance(target, str) or not target.strip():
            raise ScenarioError(
                [
                    Problem(
                        file,
                        "extends",
                        f"got {show(target)}; expected one file name",
                        "e.g. 'extends: baseline.yaml' (relative to this file)",
                    )
                ]
            )
        parent = Path(os.path.normpath(current.parent / target.strip()))
        seen = [p.resolve() for p, _ in chain]
        if parent.resolve() in seen:
            start = seen.index(parent.resolve())
            loop = [p for p, _ in chain[start:]] + [parent]
            shown = " -> ".join(os.path.relpath(p, loop[0].parent) for p in loop)
            raise ScenarioError(
                [
                    Problem(
                        file,
                        "extends",
                        f"extends cycle: {shown}",
                        "remove one 'extends' so the chain ends at a file without one",
                    )
                ]
            )
        if len(chain) >= _MAX_CHAIN:
            raise ScenarioError(
                [Problem(file, "extends", f"more than {_MAX_CHAIN} files in the extends chain")]
            )
        current, referrer = parent, file


def load_raw(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The file's content with its ``extends`` chain resolved (not validated, no schema defaults).

    The parent is resolved first and the child deep-merged over it; ``extends`` is removed.
    ``name`` is the file's own or its stem; ``title``/``description`` are the file's own or absent.
    """
    chain = read_chain(path)
    merged: dict[str, Any] = {}
    for _, own in chain[:-1]:
        merged = deep_merge(merged, {k: v for k, v in own.items() if k not in IDENTITY_KEYS})
    file, own = chain[-1]
    merged = deep_merge(merged, own)
    merged.setdefault("name", file.stem)
    return merged


__all__ = [
    "IDENTITY_KEYS",
    "MINIMAL_FILE",
    "load_raw",
    "read_chain",
    "read_mapping",
    "read_yaml",
]
