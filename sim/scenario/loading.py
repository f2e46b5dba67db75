"""Reading scenario files: YAML with ``extends``, merged, validated, with errors a policy analyst can act on.

A scenario file states only what differs from its parent (``extends: baseline.yaml``) or, without a
parent, from the schema defaults in ``sim.params``. Loading it goes:

1. ``load_raw`` reads the YAML and resolves the ``extends`` chain by deep merge (child wins).
2. ``load_scenario`` merges the result onto the schema defaults and validates it with pydantic.
3. Every problem found on the way becomes a ``Problem`` (file, dotted path, what was wrong, what is
   allowed) and is raised as one ``ScenarioError``, whose text the CLI prints as-is (no traceback).

Identity keys (``name``, ``title``, ``description``) describe one file, so they are never inherited
through ``extends``: ``name`` defaults to the file stem and ``title``/``description`` default to empty
(so ``Scenario.label`` falls back to the unique name instead of repeating the parent's title in plots).
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.scenario.merge import deep_merge
from sim.scenario.schema import Scenario

IDENTITY_KEYS = ("name", "title", "description")
"""Keys that describe one file and are not inherited through ``extends``."""

_MAX_SHOWN = 100  # longest value representation quoted in a message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file: where it is, what was found, what would be accepted."""

    file: str
    path: str
    message: str
    allowed: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        return where + self.message + (f"; {self.allowed}" if self.allowed else "")


class ScenarioError(Exception):
    """All the problems found while loading scenario files, one per line.

    Collecting them (instead of stopping at the first) lets an analyst fix a file in one pass.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario files:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


# ----------------------------------------------------------------------------------------------
# Reading files
# ----------------------------------------------------------------------------------------------


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


def _yaml_files_hint(directory: Path, wanted: str) -> str:
    """What the user could have meant: close names first, else every .yaml file in the folder."""
    if not directory.is_dir():
        return f"directory {_show_dir(directory)} does not exist"
    names = sorted(p.name for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not names:
        return f"there are no .yaml files in {_show_dir(directory)}"
    by_stem = {Path(n).stem: n for n in names}
    close = difflib.get_close_matches(Path(wanted).stem, list(by_stem), n=3)
    if close:
        return "did you mean " + " or ".join(by_stem[c] for c in close) + "?"
    return f"files in {_show_dir(directory)}: " + ", ".join(names)


def _show_dir(directory: Path) -> str:
    return str(directory) + os.sep if str(directory) != "." else "the current directory"


def _read_yaml(path: Path, *, referrer: str | None = None) -> dict[str, Any]:
    """One file parsed to a mapping, or a ScenarioError naming the file and what is wrong.

    ``referrer`` is the file whose ``extends`` pointed here, so a missing parent is reported
    against the file that names it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = _yaml_files_hint(path.parent, path.name)
        if referrer is not None:
            raise ScenarioError(
                [Problem(referrer, "extends", f"parent file {path} not found", hint)]
            ) from None
        raise ScenarioError([Problem(str(path), "", "file not found", hint)]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(path), "", f"cannot read file ({exc.strerror})")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects
    except _DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ScenarioError(
            [
                Problem(
                    str(path), "", f"line {line}: {exc.problem}", "keep one (merge the two blocks into one)"
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f" ({exc.context})" if exc.context else ""
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    f"YAML syntax error{where}: {exc.problem}{context}",
                    "check indentation, the ': ' after each key, and matching quotes and brackets",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(str(path), "", f"YAML error: {exc}")]) from None
    if data is None:  # an empty file: every value from the parent or the schema defaults
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    f"the top level must be a mapping of keys, got {_show(data)} ({type(data).__name__})",
                    "write 'key: value' lines, e.g. 'name: my_policy'",
                )
            ]
        )
    return data


def load_raw(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The file's content with its ``extends`` chain resolved (not validated, no schema defaults).

    ``extends: other.yaml`` is relative to the file that says it; the parent is resolved first and
    the child deep-merged over it. The ``extends`` key is removed. ``name`` is the file's own or
    its stem; ``title``/``description`` are the file's own or absent (see the module docstring).
    """
    return _resolve(Path(path), [])


def _resolve(path: Path, chain: list[Path]) -> dict[str, Any]:
    data = _read_yaml(path, referrer=str(chain[-1]) if chain else None)
    own = dict(data)
    target = own.pop("extends", None)
    merged: dict[str, Any] = {}
    if target is not None:
        if not isinstance(target, str) or not target.strip():
            raise ScenarioError(
                [
                    Problem(
                        str(path),
                        "extends",
                        f"got {_show(target)}; expected one file name",
                        "e.g. 'extends: baseline.yaml' (relative to this file)",
                    )
                ]
            )
        parent = path.parent / target
        seen = [p.resolve() for p in [*chain, path]]
        if parent.resolve() in seen:
            start = seen.index(parent.resolve())
            loop = [*chain, path][start:]
            loop.append(parent)
            shown = " -> ".join(os.path.relpath(p, loop[0].parent) for p in loop)
            raise ScenarioError(
                [
                    Problem(
                        str(path),
                        "extends",
                        f"extends cycle: {shown}",
                        "remove one 'extends' so the chain ends at a file without one",
                    )
                ]
            )
        merged = {k: v for k, v in _resolve(parent, [*chain, path]).items() if k not in IDENTITY_KEYS}
    merged = deep_merge(merged, own)
    merged.setdefault("name", path.stem)
    return merged


# ----------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """A validated scenario from a file: ``load_raw``, merged onto the schema defaults, validated.

    Merging onto the defaults (rather than validating the file's mapping directly) is what lets a
    file override one key of a group: pydantic alone would reject ``miss_probability: {digital:
    0.2}`` for missing ``in_person``/``telephone``, since those groups have no per-key defaults.
    """
    raw = load_raw(path)
    defaults = Scenario.model_validate({"name": "defaults"}).model_dump()
    try:
        return Scenario.model_validate(deep_merge(defaults, raw))
    except ValidationError as exc:
        raise ScenarioError(_problems(str(path), exc)) from None


def load_scenarios(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Every file's scenario, or one ScenarioError with the problems of all files.

    Also rejects two files with the same ``name``: outputs are written per name and would collide.
    """
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    first_file: dict[str, str] = {}
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if scenario.name in first_file:
            problems.append(
                Problem(
                    str(path),
                    "name",
                    f"{scenario.name!r} is also the name of {first_file[scenario.name]}",
                    "give each scenario a unique name (outputs are stored by name); "
                    "the name defaults to the file name without .yaml",
                )
            )
        else:
            first_file[scenario.name] = str(path)
        scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def scenario_to_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML (every parameter, defaults included), for run manifests.

    Loading the text back gives an equal scenario, so a manifest reproduces its run.
    """
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


# ----------------------------------------------------------------------------------------------
# Turning pydantic errors into Problems
# ----------------------------------------------------------------------------------------------


@dataclass
class _Located:
    """Where a pydantic ``loc`` points in the schema."""

    path: list[str]
    owner: type[BaseModel] | None  # model whose key the last element is (None if off the schema)
    field: FieldInfo | None  # the last element's field (None if unknown)
    dist: str | None  # family, when the error is in a distribution or one of its parameters


def _union_members(field: FieldInfo) -> dict[str, type[BaseModel]]:
    """The tagged members of a discriminated-union field, by tag ({} for any other field)."""
    if not field.discriminator:
        return {}
    members: dict[str, type[BaseModel]] = {}
    for cls in typing.get_args(field.annotation):
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            tag_field = cls.model_fields.get(str(field.discriminator))
            if tag_field is not None and isinstance(tag_field.default, str):
                members[tag_field.default] = cls
    return members


def _model_of(field: FieldInfo) -> type[BaseModel] | None:
    ann = field.annotation
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    return None


def _locate(loc: tuple[int | str, ...]) -> _Located:
    """Walk ``Scenario`` along ``loc``, dropping the union tags pydantic inserts into it."""
    model: type[BaseModel] | None = Scenario
    owner: type[BaseModel] | None = None
    field: FieldInfo | None = None
    tags: dict[str, type[BaseModel]] = {}
    dist: str | None = None
    path: list[str] = []
    for part in loc:
        if part in tags:  # the tag pydantic adds after a discriminated union: not a user key
            model, dist, tags = tags[str(part)], str(part), {}
            continue
        tags = {}
        if model is None or "dist" not in model.model_fields:
            dist = None
        path.append(str(part))
        owner, field = model, None
        if model is not None:
            field = model.model_fields.get(str(part))
        model = None
        if field is not None:
            model = _model_of(field)
            tags = _union_members(field)
    return _Located(path, owner, field, dist)


def _show(value: Any) -> str:
    """A value as the user would have written it, shortened if long."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    else:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _bounds(field: FieldInfo | None, ctx: Mapping[str, Any]) -> str:
    """The allowed range, from the field's constraints (both ends) or else from pydantic's ctx."""
    lo = hi = None
    lo_closed = hi_closed = True
    sources: list[Any] = list(field.metadata) if field is not None else []
    for m in sources:
        if isinstance(m, annotated_types.Ge):
            lo, lo_closed = m.ge, True
        elif isinstance(m, annotated_types.Gt):
            lo, lo_closed = m.gt, False
        elif isinstance(m, annotated_types.Le):
            hi, hi_closed = m.le, True
        elif isinstance(m, annotated_types.Lt):
            hi, hi_closed = m.lt, False
    if lo is None and hi is None:
        for key, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if key in ctx:
                return f"must be {op} {_num(ctx[key])}"
        return "out of range"
    if lo is not None and hi is not None:
        interval = f"{'[' if lo_closed else '('}{_num(lo)}, {_num(hi)}{']' if hi_closed else ')'}"
        unit = str((field.json_schema_extra or {}).get("unit", "")) if field is not None else ""
        if (lo, hi, lo_closed, hi_closed) == (0, 1, True, True) and (
            not unit or "probab" in unit or "share" in unit
        ):
            return f"must be a probability in {interval}"
        return f"must be in {interval}"
    if lo is not None:
        return f"must be {'>=' if lo_closed else '>'} {_num(lo)}"
    return f"must be {'<=' if hi_closed else '<'} {_num(hi)}"


_EXPECTED = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "text",
    "dict": "a mapping of keys",
    "model": "a mapping of keys",
    "model_attributes": "a mapping of keys",
}


def _dist_hint(members: Mapping[str, type[BaseModel]]) -> str:
    return "set 'dist' to one of: " + ", ".join(members)


def _problem(file: str, err: Mapping[str, Any]) -> Problem:
    """One pydantic error entry in plain English."""
    where = _locate(tuple(err["loc"]))
    path = ".".join(where.path)
    kind: str = err["type"]
    value = err.get("input")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    members = _union_members(where.field) if where.field is not None else {}

    if kind == "extra_forbidden":
        key = where.path[-1]
        allowed_keys = [k for k in (where.owner.model_fields if where.owner else {}) if k != "dist"]
        close = difflib.get_close_matches(key, allowed_keys, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif where.dist:
            hint = f"dist: {where.dist} takes " + ", ".join(allowed_keys)
        else:
            hint = "allowed keys here: " + ", ".join(allowed_keys)
        return Problem(file, path, f"unknown key {key!r} (value {_show(value)})", hint)
    if kind == "missing":
        if where.dist and where.owner is not None:
            params = [k for k in where.owner.model_fields if k != "dist"]
            return Problem(file, path, "missing", f"dist: {where.dist} needs " + ", ".join(params))
        return Problem(file, path, "missing", "add this key")
    if kind == "union_tag_invalid":
        tags = ", ".join(members) or str(ctx.get("expected_tags", "")).replace("'", "")
        return Problem(
            file, path, f"unknown distribution dist: {ctx.get('tag')!r}", f"dist must be one of: {tags}"
        )
    if kind == "union_tag_not_found":
        return Problem(
            file, path, f"got {_show(value)}; a distribution needs a 'dist' key", _dist_hint(members)
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return Problem(file, path, f"got {_show(value)}", _bounds(where.field, ctx))
    if kind == "int_from_float":
        return Problem(file, path, f"got {_show(value)}", "expected a whole number")
    if kind.endswith(("_type", "_parsing")):
        expected = _EXPECTED.get(kind.rsplit("_", 1)[0], "a different type")
        if members:
            expected = "a distribution mapping like {dist: exponential, mean: 14}"
        got = (
            "nothing (the key has no value)" if value is None else f"{_show(value)} ({type(value).__name__})"
        )
        return Problem(file, path, f"got {got}", f"expected {expected}")
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        # A group's whole mapping is too long to quote (and shares validators list their values);
        # a distribution's few parameters are worth showing.
        quote = not isinstance(value, dict) or where.dist is not None
        return Problem(file, path, msg + (f" (got {_show(value)})" if quote else ""))
    if kind == "string_pattern_mismatch" and path == "name":
        return Problem(
            file,
            path,
            f"got {_show(value)}",
            "use only letters, digits, '_', '.' and '-' (the name is a folder name; it defaults to "
            "the file name without .yaml)",
        )
    return Problem(file, path, f"got {_show(value)}", err["msg"])


def _problems(file: str, exc: ValidationError) -> list[Problem]:
    return [_problem(file, err) for err in exc.errors(include_url=False)]


__all__ = [
    "IDENTITY_KEYS",
    "Problem",
    "ScenarioError",
    "deep_merge",
    "load_raw",
    "load_scenario",
    "load_scenarios",
    "scenario_to_yaml",
]
