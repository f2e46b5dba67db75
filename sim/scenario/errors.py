"""Problems with scenario input, and pydantic's validation errors turned into plain English.

A policy analyst who gets a scenario wrong needs four things: the file, the dotted path of the
key, what was found there and what would be accepted. ``Problem`` holds exactly those; a
``ScenarioError`` carries every problem found (one per line, so a file is fixed in one pass) and
its text is what the CLI prints, with no traceback.

The translation walks the schema along pydantic's error location, so it can quote the allowed
range from the field's own constraints, the keys a group accepts, or the families a distribution
may take. It is given the root model as an argument instead of importing the schema, which keeps
this module below ``schema.py`` (the schema reports problems in its calibration file with it).
"""

from __future__ import annotations

import difflib
import functools
import math
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

_MAX_SHOWN = 100  # longest value representation quoted in a message, in characters


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
    ``subject`` names what was being read, for the heading line.
    """

    def __init__(self, problems: Iterable[Problem], subject: str = "scenario files") -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {subject}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


def show(value: Any) -> str:
    """A value as the user would have written it in YAML, shortened if long."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)  # inf, -inf, nan
    elif isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    else:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


# ----------------------------------------------------------------------------------------------
# Where a pydantic error location points in the schema
# ----------------------------------------------------------------------------------------------


@dataclass
class _Located:
    """Where a pydantic ``loc`` points in the schema."""

    path: list[str]  # keys, and list positions as '[0]'
    owner: type[BaseModel] | None  # model whose key the last element is (None if off the schema)
    field: FieldInfo | None  # the last element's field (None if unknown)
    dist: str | None  # family, when the error is in a distribution or one of its parameters
    unit: str  # the field's unit, or the nearest enclosing group's ("" if none)
    annotation: Any = None  # the type expected there (a field's, a list's item's, a mapping's value's)

    @property
    def dotted(self) -> str:
        """The path as the messages write it: ``changes[0].set.detention.beds``."""
        return "".join(p if p.startswith("[") else f".{p}" for p in self.path).lstrip(".")


def union_members(field: FieldInfo) -> dict[str, type[BaseModel]]:
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


def model_of(field: FieldInfo) -> type[BaseModel] | None:
    """The nested model a field holds (None for a leaf or a distribution union)."""
    ann = field.annotation
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    return None


def _unit(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def _locate(root: type[BaseModel], loc: tuple[int | str, ...]) -> _Located:
    """Walk ``root`` along ``loc``, dropping the union tags pydantic inserts into it."""
    model: type[BaseModel] | None = root
    owner: type[BaseModel] | None = None
    field: FieldInfo | None = None
    tags: dict[str, type[BaseModel]] = {}
    dist: str | None = None
    unit = ""
    path: list[str] = []
    annotation: Any = root
    container: Any = None  # the annotation of the mapping or list the last part is in
    for part in loc:
        if part in tags:  # the tag pydantic adds after a discriminated union: not a user key
            model, dist, tags = tags[str(part)], str(part), {}
            continue
        tags = {}
        if model is None or "dist" not in model.model_fields:
            dist = None
        if part == "[key]":  # pydantic's mark for a mapping's key (the previous part) being wrong
            annotation = (typing.get_args(container) or (None,))[0]
            continue
        container = annotation
        is_index = isinstance(part, int) and typing.get_origin(annotation) in (tuple, list)
        path.append(f"[{part}]" if is_index else str(part))
        owner, field = model, None
        if model is not None:
            field = model.model_fields.get(str(part))
            annotation = field.annotation if field is not None else None
        else:
            annotation = _item_type(annotation, part)
        model = None
        if field is not None:
            unit = _unit(field) or unit
            model = model_of(field)
            tags = union_members(field)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation  # an item of a list of models (a change)
    return _Located(path, owner, field, dist, unit, annotation)


def _item_type(annotation: Any, part: int | str) -> Any:
    """The type of a mapping's value or of a list's item at ``part`` (None if not known)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (tuple, list) and args:
        if Ellipsis not in args and isinstance(part, int) and 0 <= part < len(args):
            return args[part]
        return args[0]
    return None


def describe_type(annotation: Any) -> str | None:
    """What a value of ``annotation`` looks like in YAML (None if it has no plain description)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping of keys"
    plain = {float: "a number", int: "a whole number", str: "text", bool: "true or false"}
    if annotation in plain:
        return plain[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return "a mapping of keys"
    if origin in (tuple, list) and args:
        item = describe_type(args[0])
        if Ellipsis in args or origin is list:
            return f"a list, each item {item}" if item else "a list"
        if item and len(set(args)) == 1:
            return (
                f"a list of {len(args)} values, each {item} (e.g. [low, high])"
                if len(args) == 2
                else (f"a list of {len(args)} values, each {item}")
            )
        return f"a list of {len(args)} values"
    return None


# ----------------------------------------------------------------------------------------------
# One pydantic error in plain English
# ----------------------------------------------------------------------------------------------


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _bounds(field: FieldInfo | None, ctx: Mapping[str, Any], unit: str) -> str:
    """The allowed range, from the field's constraints (both ends) or else from pydantic's ctx."""
    lo: Any = None
    hi: Any = None
    lo_closed = hi_closed = True
    for m in list(field.metadata) if field is not None else []:
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

_DIST_EXAMPLE = "a distribution mapping like {dist: exponential, mean: 14}"


def _close(word: str, options: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word.lower(), list(options), n=1)
    return found[0] if found else None


def _unknown_key(file: str, where: _Located, value: Any, file_keys: Sequence[str]) -> Problem:
    """A key the schema does not have here: the closest allowed key, or the allowed keys."""
    key = where.path[-1]
    allowed_keys = [k for k in (where.owner.model_fields if where.owner else {}) if k != "dist"]
    if len(where.path) == 1:
        allowed_keys = [*file_keys, *allowed_keys]
    candidates = [*allowed_keys, "dist"] if where.dist else allowed_keys
    similar = difflib.get_close_matches(key, candidates, n=1)
    if similar:
        hint = f"did you mean {similar[0]!r}?"
    elif where.dist:
        hint = f"dist: {where.dist} takes " + ", ".join(allowed_keys)
    else:
        hint = "allowed keys here: " + ", ".join(allowed_keys)
    return Problem(file, where.dotted, f"unknown key {key!r} (value {show(value)})", hint)


def _wrong_type(
    file: str, where: _Located, kind: str, value: Any, distribution: bool, msg: str = ""
) -> Problem:
    """A value of the wrong type: what was expected there (with the unit of a number)."""
    expected = (
        _EXPECTED.get(kind.rsplit("_", 1)[0])
        or describe_type(where.annotation)
        or msg.removeprefix("Input should be ").rstrip(".")  # pydantic's own words, not "a different type"
    )
    if distribution:
        expected = _DIST_EXAMPLE
    elif expected in ("a number", "a whole number") and where.unit and not where.dist:
        expected += f" (unit: {where.unit})"
    got = "nothing (the key has no value)" if value is None else f"{show(value)} ({type(value).__name__})"
    if isinstance(value, str) and value.strip().endswith("%"):
        expected += "; write a percentage as a fraction, e.g. 25% as 0.25"
    return Problem(file, where.dotted, f"got {got}", f"expected {expected}")


def _problem(
    file: str, root: type[BaseModel], err: Mapping[str, Any], file_keys: Sequence[str] = ()
) -> Problem:
    """One pydantic error entry in plain English."""
    where = _locate(root, tuple(err["loc"]))
    path = where.dotted
    kind: str = err["type"]
    value = err.get("input")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    members = union_members(where.field) if where.field is not None else {}

    if kind == "extra_forbidden":
        return _unknown_key(file, where, value, file_keys)
    if kind in ("too_short", "too_long") or (kind == "missing" and where.path[-1].startswith("[")):
        parent = _locate(root, tuple(err["loc"])[:-1]) if kind == "missing" else where
        expected = describe_type(parent.annotation) or err["msg"]
        return Problem(file, parent.dotted, f"got {show(value)}", f"expected {expected}")
    if kind == "missing":
        if where.dist and where.owner is not None:
            params = [k for k in where.owner.model_fields if k != "dist"]
            return Problem(file, path, "missing", f"dist: {where.dist} needs " + ", ".join(params))
        return Problem(file, path, "missing", "add this key")
    if kind == "finite_number":
        return Problem(file, path, f"got {show(value)}", "must be a finite number")
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        tags = ", ".join(members) or str(ctx.get("expected_tags", "")).replace("'", "")
        close = _close(str(tag), members)
        hint = f"did you mean {close!r}? " if close else ""
        return Problem(
            file, path, f"unknown distribution dist: {tag!r}", f"{hint}dist must be one of: {tags}"
        )
    if kind == "union_tag_not_found":
        keys = [str(k) for k in value] if isinstance(value, Mapping) else []
        misspelt = [k for k in keys if _close(k, ["dist"])]
        hint = f"did you mean 'dist' instead of {misspelt[0]!r}? " if misspelt else ""
        return Problem(
            file,
            path,
            f"got {show(value)}; a distribution needs a 'dist' key",
            hint + "set 'dist' to one of: " + ", ".join(members),
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        allowed = _bounds(where.field, ctx, where.unit)
        if "probability" in allowed and isinstance(value, (int, float)) and value in range(2, 101):
            allowed += f" (a percentage? write {_num(value)}% as {_num(value / 100)})"
        return Problem(file, path, f"got {show(value)}", allowed)
    if kind == "int_from_float":
        return Problem(file, path, f"got {show(value)}", "expected a whole number")
    if kind.endswith(("_type", "_parsing")):
        return _wrong_type(file, where, kind, value, bool(members), str(err.get("msg", "")))
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        # A group's whole mapping is too long to quote (and shares validators list their values);
        # a distribution's few parameters are worth showing.
        quote = not isinstance(value, dict) or where.dist is not None
        return Problem(file, path, msg + (f" (got {show(value)})" if quote else ""))
    if kind == "string_too_long":
        return Problem(
            file,
            path,
            f"is {len(str(value))} characters long",
            f"at most {ctx.get('max_length')} characters (it is part of output file names, which are "
            "limited to 255 bytes)",
        )
    if kind in ("string_pattern_mismatch", "string_too_short") and path == "name":
        return Problem(
            file,
            path,
            f"got {show(value)}",
            "use only letters, digits, '_', '.' and '-' (the name is a folder name; it defaults to "
            "the file name without .yaml)",
        )
    return Problem(file, path, f"got {show(value)}", err["msg"])


@functools.cache
def _adapter(owner: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator of one field's values alone: its type with its constraints (bounds)."""
    field = owner.model_fields[name]
    union = [Field(discriminator=field.discriminator)] if field.discriminator else []
    args = (field.annotation, *field.metadata, *union, Field())
    annotated: Any = typing.Annotated[args]
    return TypeAdapter(annotated)


def value_problem(root: type[BaseModel], path: str, value: Any) -> Problem | None:
    """Why ``value`` cannot be the parameter (or group) at dotted ``path`` of ``root``, checked by the
    field's own type and constraints as pydantic checks them (``got 20.5``, ``expected a whole
    number``; ``got -5``, ``must be >= 0``), or None if it can (or ``path`` is not a field). The
    problem's ``path`` is the value at fault, below ``path`` for a group."""
    where = _locate(root, tuple(path.split(".")))
    if where.owner is None or where.field is None:
        return None
    try:
        _adapter(where.owner, where.path[-1]).validate_python(value)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        return _problem("", root, {**err, "loc": (*where.path, *err["loc"])})
    return None


def validation_problems(
    file: str, exc: ValidationError, root: type[BaseModel], file_keys: Sequence[str] = ()
) -> list[Problem]:
    """Every error of a failed ``root.model_validate`` as a Problem against ``file``.

    ``file_keys`` are top-level keys a file may hold besides the schema's (``extends``), offered
    when an unknown top-level key is close to one (``extend:``).
    """
    return [_problem(file, root, err, file_keys) for err in exc.errors(include_url=False)]


def yes_no_problems(file: str, raw: Mapping[str, Any], root: type[BaseModel]) -> list[Problem]:
    """A YAML yes/no/true/false/on/off given where the schema wants a number or text, at any depth.

    Pydantic reads ``true`` as 1 and ``false`` as 0 for a number, so ``pre_arrest_check: yes``
    would silently become a probability of 1. No parameter is a yes/no switch, so every boolean
    in a scenario file is a mistake (unless the schema one day declares a ``bool`` field). The walk
    follows the schema's own field types: nested groups, the distribution a ``dist`` names, lists
    (``changes``, an ``uncertainty`` range's two ends) and mappings (``uncertainty``); a mapping of
    anything (``changes[].set``) holds the root's parameters, as a file does. ``raw`` should be
    merged onto the defaults first, so that every distribution names its family.
    """
    problems: list[Problem] = []

    def flag(value: bool, path: str, text: bool) -> None:
        key = path.rsplit(".", 1)[-1]
        wanted = (
            f"for text, put it in quotes: {key}: '{'Yes' if value else 'No'}'"
            if text
            else "expected a number (write 1 or 0 if that is what you meant)"
        )
        problems.append(
            Problem(
                file,
                path,
                f"got {show(value)} (YAML reads an unquoted yes/no/on/off/true/false as a yes/no value)",
                wanted,
            )
        )

    def walk_model(tree: Mapping[Any, Any], models: Sequence[type[BaseModel]], path: str) -> None:
        for key, value in tree.items():
            field = next((m.model_fields[str(key)] for m in models if str(key) in m.model_fields), None)
            if field is None:  # an unknown key: validation reports it
                continue
            here = f"{path}.{key}" if path else str(key)
            members = union_members(field)
            if members and isinstance(value, Mapping):  # a distribution: its family's fields
                named = members.get(str(value.get("dist")))
                walk_model(value, [named] if named else list(members.values()), here)
            else:
                walk(value, field.annotation, here)

    def walk(value: Any, annotation: Any, path: str) -> None:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if isinstance(value, bool):
            if annotation is not bool:
                flag(value, path, annotation is str)
        elif isinstance(value, Mapping):
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk_model(value, [annotation], path)
            elif origin is dict and args[1:] == (Any,):  # a change's 'set': the root's parameters
                walk_model(value, [root], path)
            elif origin is dict and len(args) == 2:
                for key, item in value.items():
                    walk(item, args[1], f"{path}.{key}")
        elif isinstance(value, (list, tuple)) and origin in (tuple, list):
            items = args[:1] * len(value) if len(args) != len(value) or Ellipsis in args else args
            for i, (item, kind) in enumerate(zip(value, items, strict=False)):
                walk(item, kind, f"{path}[{i}]")

    walk_model(raw, [root], "")
    return problems


def error_text(error: Mapping[str, Any]) -> str:
    """One pydantic error as ``dotted.path: message``: how a message about a derived scenario (a
    design point, a draw, a saved scenario.yaml) names the value at fault."""
    return f"{'.'.join(map(str, error['loc']))}: {error['msg']}"


__all__ = [
    "Problem",
    "ScenarioError",
    "describe_type",
    "error_text",
    "model_of",
    "show",
    "union_members",
    "validation_problems",
    "value_problem",
    "yes_no_problems",
]
