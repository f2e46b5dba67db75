"""Reading scenario YAML files safely, and resolving their ``extends`` chain.

Everything that can go wrong before validation is caught here and reported as a ``Problem`` naming
the file: a path that is missing, a directory or not a regular file (reading /dev/zero never ends and
opening a FIFO waits for a writer, so the type and size are checked with ``os.stat`` first),
a file over ``MAX_FILE_BYTES``, bytes that are not UTF-8 text, YAML syntax errors, a key given twice
(PyYAML would silently keep the last), a list or mapping used as a key, nesting deeper than
``MAX_DEPTH``, more than ``MAX_NODES`` values once aliases are expanded (an "alias bomb" of a few
lines expands to millions), YAML 1.1 numbers a reader would not expect (``010`` is octal 8,
``1:30`` is base 60, 90), an empty file, a top level that is not a mapping, and ``extends``
pointing nowhere or round in a cycle. The limits apply to every file this module reads, at every
depth (``changes``, ``uncertainty``), because they are checked on the YAML tree before any value
is built from it.

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
import re
import stat
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

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest YAML file read, in bytes: the largest file of the project (parameters.yaml) is under
40 KiB, so a bigger file is the wrong file, and a pure-Python parser takes seconds per MiB."""
MAX_NODES = 100_000
"""Most values (mappings, lists, keys and scalars) a file may hold once its aliases are expanded:
parameters.yaml, the largest, holds a few thousand; 15 lines of nested aliases expand to millions,
which took 35 s and 3.8 GB before they reached validation."""
MAX_DEPTH = 30
"""Deepest nesting of mappings and lists: a scenario needs about 7 (``changes[0].set.departure.
delay_days.mean``); 1,000 levels overflowed Python's recursion limit in the parser."""

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
"""A YAML 1.1 octal integer (``010`` is 8): a leading zero a reader takes for a decimal number."""


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys (PyYAML silently keeps the last one, which would
    drop, say, a whole first ``contact:`` block without a word) and checks the composed tree
    against the limits and YAML 1.1 surprises before building any value from it (``_check``).

    ``file`` and ``context`` name the file in the problems it raises."""

    def __init__(self, text: str, file: str, context: str) -> None:
        super().__init__(text)
        self.file, self.context = file, context
        self._depth = 0
        self._composed = 0

    def _limit(self, mark: yaml.Mark | None, what: str, allowed: str, path: str = "") -> ScenarioError:
        at = f"line {mark.line + 1}: " if mark is not None else ""
        return ScenarioError([Problem(self.file, path, f"{at}{what}{self.context}", allowed)])

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing too deep a nesting before the parser's recursion overflows and
        too many nodes before a huge file is held in memory (aliases are counted in ``_check``)."""
        self._composed += 1
        if self._depth >= MAX_DEPTH or self._composed > MAX_NODES:
            mark = self.peek_event().start_mark
            raise (self._too_deep(mark) if self._depth >= MAX_DEPTH else self._too_many(mark))
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _too_deep(self, mark: yaml.Mark | None, path: str = "") -> ScenarioError:
        return self._limit(
            mark,
            f"nested more than {MAX_DEPTH} levels deep",
            "a scenario needs only a few levels; check the indentation and that every '[' and '{' is closed",
            path,
        )

    def _too_many(self, mark: yaml.Mark | None) -> ScenarioError:
        return self._limit(
            mark,
            f"holds more than {MAX_NODES:,} values (aliases '*name' counted each time they are used)",
            "a scenario file holds a few hundred values; remove the repeated aliases, or check that "
            "this is the right file",
        )

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            self._check(node)
        return node

    def _check(self, root: yaml.Node) -> None:
        """Refuse the tree (ScenarioError) if, with its aliases expanded, it is deeper than
        ``MAX_DEPTH``, holds more than ``MAX_NODES`` values or refers to itself, if a key is a list or
        a mapping, or if a plain number is YAML 1.1 octal or base 60. Each shared (aliased) node is
        walked once, so a bomb is refused in milliseconds."""
        sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values below and including it, height)
        walking: set[int] = set()
        problems: list[Problem] = []

        def visit(node: yaml.Node, path: str, depth: int) -> tuple[int, int]:
            if id(node) in sizes:
                size, height = sizes[id(node)]
                if depth + height > MAX_DEPTH:
                    raise self._too_deep(node.start_mark, path)
                return size, height
            if id(node) in walking:
                raise self._limit(
                    node.start_mark,
                    "an alias ('*name') refers to a mapping or list that contains it",
                    "remove the alias",
                    path,
                )
            if depth > MAX_DEPTH:
                raise self._too_deep(node.start_mark, path)
            walking.add(id(node))
            size, height = 1, 0
            children: list[tuple[yaml.Node, str]] = []
            if isinstance(node, yaml.SequenceNode):
                children = [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if not isinstance(key, yaml.ScalarNode):
                        problems.append(self._bad_key(key, path))
                        continue
                    size += 1
                    children.append((value, f"{path}.{key.value}" if path else str(key.value)))
            elif isinstance(node, yaml.ScalarNode):
                surprise = self._surprise(node, path)
                if surprise is not None:
                    problems.append(surprise)
            for child, where in children:
                s, h = visit(child, where, depth + 1)
                size, height = size + s, max(height, h + 1)
                if size > MAX_NODES:
                    raise self._too_many(child.start_mark)
            walking.discard(id(node))
            sizes[id(node)] = (size, height)
            return size, height

        visit(root, "", 0)
        if problems:
            raise ScenarioError(problems)

    def _bad_key(self, key: yaml.Node, path: str) -> Problem:
        kind = "list" if isinstance(key, yaml.SequenceNode) else "mapping"
        return Problem(
            self.file,
            path,
            f"line {key.start_mark.line + 1}: a {kind} is used as a key{self.context}",
            "a key is a name followed by ':' (e.g. 'beds: 40'); a list is written after the key, "
            "'key: [a, b]'",
        )

    def _surprise(self, node: yaml.ScalarNode, path: str) -> Problem | None:
        """A plain number that YAML 1.1 reads as something else than it looks: ``010`` (octal, 8)
        and ``1:30`` (base 60, 90). Quoted text is never a number, so only plain scalars."""
        text = str(node.value)
        if node.tag == _INT_TAG and _OCTAL.fullmatch(text):
            kind = "an octal number, base 8"
            sign, digits = ("-" if text.startswith("-") else ""), text.lstrip("+-").replace("_", "")
            meant = f"write {sign}{digits.lstrip('0') or '0'} for the decimal number"
        elif node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in text:
            kind = "base 60, like a time in minutes:seconds"
            meant = "write the number you mean"
        else:
            return None
        return Problem(
            self.file,
            path,
            f"line {node.start_mark.line + 1}: got {text}, which YAML reads as "
            f"{self.construct_object(node)} ({kind}){self.context}",
            f"{meant}, or put it in quotes ('{text}') for text",
        )


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


def _file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words."""
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_a_file(path: Path, mode: int, referrer: str | None) -> ScenarioError:
    """A directory, device, FIFO or socket given as a scenario file (reported against the file that
    extends it, if one does)."""
    if stat.S_ISDIR(mode):
        what, hint = "a directory", _directory_hint(path)
    else:
        what, hint = _file_kind(mode), "give a scenario .yaml file"
    if referrer is not None:
        return ScenarioError(
            [Problem(referrer, "extends", f"parent {path} is {what}, not a scenario file", hint)]
        )
    return ScenarioError([Problem(str(path), "", f"is {what}, not a scenario file", hint)])


def _too_big(path: Path, size: str, referrer: str | None) -> ScenarioError:
    return ScenarioError(
        [
            Problem(
                str(path),
                "",
                f"is {size} bytes; a YAML file read here may be at most {MAX_FILE_BYTES:,} bytes"
                + _extended_by(referrer),
                "check that this is the right file (a scenario file states only what it changes)",
            )
        ]
    )


def _read_bytes(path: Path, referrer: str | None) -> bytes:
    """The file's bytes: a regular file of at most ``MAX_FILE_BYTES``, checked with ``os.stat``
    before opening (opening a FIFO blocks until something writes to it; /dev/zero never ends)."""
    info = os.stat(path)  # OSError (not found, permission) is handled by the caller
    if not stat.S_ISREG(info.st_mode):
        raise _not_a_file(path, info.st_mode, referrer)
    if info.st_size > MAX_FILE_BYTES:
        raise _too_big(path, f"{info.st_size:,}", referrer)
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows, or stat says 0 (/proc)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(path, f"over {MAX_FILE_BYTES:,}", referrer)
    return data


def _read_text(path: Path, referrer: str | None) -> str:
    """The file's text, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    try:
        data = _read_bytes(path, referrer)
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
        loader = _UniqueKeyLoader(text, file, context)  # a SafeLoader subclass: no arbitrary objects
        try:
            return loader.get_single_data(), text
        finally:
            loader.dispose()
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
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MINIMAL_FILE",
    "load_raw",
    "read_chain",
    "read_mapping",
    "read_yaml",
]
