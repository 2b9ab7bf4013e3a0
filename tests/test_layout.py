"""The house rules of the layout: no import cycles, floors import downward, modules stay readable.

The library's wings follow the data flow (``docs/architecture.md``). A module may import its own
wing and the floors below it, never a floor above; nothing in ``recommender`` imports
``service``. Every import counts, including those inside functions (they run too, only later).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower floors first. The root modules (chain, config, columns, exceptions, paths) are floor 0;
# ``recommender/__init__.py`` is the public facade and may import any floor.
FLOORS: dict[str, int] = {
    "recommender": 0,
    "recommender.store": 1,
    "recommender.firms": 1,
    "recommender.diagnosis": 2,
    "recommender.ranking": 3,
    "recommender.targeting": 4,
    "recommender.parks": 4,
    "recommender.maps": 4,
    "recommender.pipeline": 4,
    "recommender.demo": 5,
    "recommender.cli": 6,
}
MAX_LINES = 520


def modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (packages by their own name)."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` at ``path`` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in known} - {name}


def import_graph() -> dict[str, set[str]]:
    mods = modules("recommender") | modules("service")
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def floor(name: str) -> tuple[str, int]:
    """The wing ``name`` belongs to and its floor (the longest prefix in FLOORS)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        wing = ".".join(parts[:i])
        if wing in FLOORS and (i > 1 or len(parts) <= 2):
            return wing, FLOORS[wing]
    return "recommender", 0


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("recommender.chain", ("recommender", 0)),
    ("recommender.firms.ingest", ("recommender.firms", 1)),
    ("recommender.ranking", ("recommender.ranking", 3)),
    ("recommender.cli.ranking", ("recommender.cli", 6)),
])
def test_floor_of_a_module(name, expected):
    assert floor(name) == expected


def test_no_import_cycles():
    graph = {name: deps - {"recommender"} for name, deps in import_graph().items()
             if name not in ("recommender", "service")}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_library_never_imports_the_service():
    offenders = {name: sorted(d for d in deps if d.startswith("service"))
                 for name, deps in import_graph().items() if name.startswith("recommender")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_library_floors_import_only_downward():
    upward = []
    for name, deps in import_graph().items():
        if not name.startswith("recommender") or name == "recommender":
            continue
        wing, level = floor(name)
        for dep in deps:
            if dep == "recommender" or not dep.startswith("recommender"):
                continue
            dep_wing, dep_level = floor(dep)
            if dep_wing != wing and dep_level >= level:
                upward.append(f"{name} ({wing}, floor {level}) imports {dep} "
                              f"({dep_wing}, floor {dep_level})")
    assert upward == []


def test_every_wing_says_what_it_owns():
    for wing in FLOORS:
        init = ROOT / wing.replace(".", "/") / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init} has no docstring saying what the wing owns"


def test_no_module_runs_past_the_length_of_one_sitting():
    long = {str(path.relative_to(ROOT)): n
            for path in list((ROOT / "recommender").rglob("*.py"))
            + list((ROOT / "service").rglob("*.py"))
            if "migrations" not in path.parts
            and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_architecture_document_names_every_module():
    """docs/architecture.md has a line for each module (by its path below its top package,
    e.g. ``firms/tables.py``, ``recommender/chain.py`` or a wing's listed ``name.py``)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    quoted = set(re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", doc, flags=re.S)))
    missing = []
    for package in ("recommender", "service"):
        for path in sorted((ROOT / package).rglob("*.py")):
            wing_init = path.name == "__init__.py" and path.parent.name != package
            if "migrations" in path.parts or wing_init:
                continue
            rel = path.relative_to(ROOT).as_posix()
            inner = path.relative_to(ROOT / package).as_posix()
            if not ({rel, inner, path.name} & quoted):
                missing.append(rel)
    assert missing == []
