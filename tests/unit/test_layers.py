"""Architecture: the packages of ``sim`` are layers, and imports only point down.

Layers, bottom to top: scenario (0) < model (1) < analysis (2) < experiment (3) < studies (4) <
cli, docs, report (5); ``sim/__init__.py`` is neutral. Every import counts, at any depth: inside functions
(the lazy imports that keep the command line fast) and under ``if TYPE_CHECKING:`` (a type-only
dependency is still a dependency of the design). The module import graph must have no cycles, and within
sim/model the state processes must not import the model or its results, which import them.

The parsing and cycle finding are themselves tested on small made-up sources, so a green run
means the rules hold, not that the checker saw nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIM = REPO / "sim"

LAYERS: dict[str, int] = {
    "scenario": 0,
    "model": 1,
    "analysis": 2,
    "experiment": 3,
    "studies": 4,
    "cli": 5,
    "docs": 5,
    "report": 5,
}
"""Layer of each top-level part of ``sim`` (a package or, for docs, a module)."""


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.target}"


def module_name(path: Path, root: Path = REPO) -> str:
    """Dotted name of a source file: ``sim/model/__init__.py`` -> ``sim.model``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int | None:
    """Layer of a module of ``sim``; None for the neutral root package ``sim``."""
    parts = module.split(".")
    return None if len(parts) == 1 else LAYERS[parts[1]]


def _resolve(name: str, known: set[str]) -> str | None:
    """The module a dotted import name refers to: itself, or its nearest enclosing known module
    (``sim.model.results.COST_ITEMS`` is an attribute of ``sim.model.results``)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, source: str, known: set[str], is_package: bool = False) -> list[Import]:
    """Every import of a module of ``sim`` in ``source``, at any depth, resolved to known modules."""
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # 'from sim.model import results' imports the module sim.model.results
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        for name in names:
            if name != "sim" and not name.startswith("sim."):
                continue
            target = _resolve(name, known)
            if target is not None and target != module:
                found.append(Import(module, target, node.lineno))
    return sorted(found, key=lambda imp: imp.line)


def sim_sources() -> dict[str, tuple[Path, bool]]:
    """Every module of ``sim``: name -> (file, whether it is a package ``__init__``)."""
    return {module_name(p): (p, p.name == "__init__.py") for p in sorted(SIM.rglob("*.py"))}


def all_imports() -> list[Import]:
    sources = sim_sources()
    known = set(sources)
    out: list[Import] = []
    for module, (path, is_package) in sources.items():
        out += imports_of(module, path.read_text(encoding="utf-8"), known, is_package)
    return out


def graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        edges.setdefault(imp.importer, set()).add(imp.target)
        edges.setdefault(imp.target, set())
    return edges


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) through each strongly connected component that has one.

    Tarjan's algorithm finds the components; a breadth-first search inside each gives the shortest
    way back to its first module, which is what an engineer needs to see to break it.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)

    found = []
    for component in components:
        start = component[0]
        if len(component) == 1 and start not in edges.get(start, ()):
            continue
        members = set(component)
        previous: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in previous:
            nxt = []
            for v in frontier:
                for w in sorted(edges.get(v, ())):
                    if w in members and w not in previous:
                        previous[w] = v
                        nxt.append(w)
            frontier = nxt
        path = [start]
        v = previous[start]
        while v != start:
            path.append(v)
            v = previous[v]
        found.append([start, *reversed(path[1:]), start])
    return sorted(found)


def in_model(module: str) -> bool:
    return module == "sim.model" or module.startswith("sim.model.")


# ----------------------------------------------------------------------------------------------
# The checker checks
# ----------------------------------------------------------------------------------------------

KNOWN = {"sim", "sim.a", "sim.a.x", "sim.a.y", "sim.b", "sim.b.z"}


def test_imports_found_at_any_depth_and_relative() -> None:
    source = """
from __future__ import annotations
import os
from typing import TYPE_CHECKING
import sim.b.z as zed
from sim.b import z
from sim.b.z import thing
from . import y
from .y import helper
from .. import b
if TYPE_CHECKING:
    from sim.b.z import Type
def f():
    from sim.a.y import lazy
    class C:
        def g(self):
            import sim.b
"""
    found = imports_of("sim.a.x", source, KNOWN)
    assert [(i.target, i.line) for i in found] == [
        ("sim.b.z", 5),
        ("sim.b.z", 6),
        ("sim.b.z", 7),
        ("sim.a.y", 8),
        ("sim.a.y", 9),
        ("sim.b", 10),
        ("sim.b.z", 12),
        ("sim.a.y", 14),
        ("sim.b", 17),
    ]
    # a package's own relative imports resolve from the package itself
    assert [i.target for i in imports_of("sim.a", "from . import x\nfrom .y import f\n", KNOWN, True)] == [
        "sim.a.x",
        "sim.a.y",
    ]


def test_cycle_finder() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"g"}, "g": set()}
    assert cycles(edges) == [["a", "b", "c", "a"], ["e", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_module_names_and_layers() -> None:
    assert module_name(SIM / "__init__.py") == "sim"
    assert module_name(SIM / "model" / "processes" / "__init__.py") == "sim.model.processes"
    assert layer("sim") is None
    assert layer("sim.model.processes.contact") == 1
    assert layer("sim.studies.sweep.run") == 4
    assert layer("sim.docs") == layer("sim.cli.parser") == 5


# ----------------------------------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------------------------------


def test_every_module_belongs_to_a_layer() -> None:
    parts = {name.split(".")[1] for name in sim_sources() if name != "sim"}
    assert parts <= set(LAYERS), f"assign a layer to {sorted(parts - set(LAYERS))}"
    assert len(all_imports()) > 50  # the scan sees the real imports


def test_imports_only_point_down() -> None:
    upward = []
    for imp in all_imports():
        low, high = layer(imp.importer), layer(imp.target)
        # the neutral root package (layer None) may import and be imported by anything
        if low is not None and high is not None and high > low:
            upward.append(f"{imp} (layer {low} -> {high})")
    assert upward == []


def test_no_import_cycles_outside_model() -> None:
    found = [c for c in cycles(graph(all_imports())) if not all(in_model(m) for m in c)]
    assert found == [], "\n".join(" -> ".join(c) for c in found)


def test_no_import_cycles_within_model() -> None:
    found = [c for c in cycles(graph(all_imports())) if all(in_model(m) for m in c)]
    assert found == [], "\n".join(" -> ".join(c) for c in found)


def test_processes_do_not_import_the_model_or_its_results() -> None:
    forbidden = {"sim.model.model", "sim.model.results"}
    found = [
        str(imp)
        for imp in all_imports()
        if imp.importer.startswith("sim.model.processes.") and imp.target in forbidden
    ]
    assert found == []
