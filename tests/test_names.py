"""Every name once: column names live in ``recommender/columns.py``, feature names in the
feature registry, and no other module spells one out as a string literal.

A literal that repeats a name is a second definition: rename the column and it silently drifts.
Strings that are not references to a column are left alone: docstrings, ``__all__`` (names of Python
objects), attribute names given to ``getattr`` and its kin, click's parameter names (names of
function arguments) and the pieces of f-strings. Only compound names (with an underscore) count as
columns; ``name`` or ``date`` are words as well as columns. Every registered feature name counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

from recommender import columns as C
from recommender.ranking.feature_registry import FEATURES

ROOT = Path(__file__).resolve().parent.parent
DEFINED_IN = {"columns": ROOT / "recommender" / "columns.py",
              "features": ROOT / "recommender" / "ranking" / "feature_registry.py"}


def column_names() -> set[str]:
    return {v for k, v in vars(C).items() if k.isupper() and isinstance(v, str) and "_" in v}


def feature_names() -> set[str]:
    return {f.name for f in FEATURES}


def _ignored(tree: ast.AST) -> set[int]:
    """ids of the string constants that are not references: docstrings, ``__all__``,
    attribute names, click parameter names, f-string pieces."""
    ignored: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)):
            ignored.add(id(body[0].value))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            ignored |= {id(n) for n in ast.walk(node.value)}
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("option", "argument")
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "click"):
            ignored |= {id(a) for a in node.args}
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) > 1):
            ignored.add(id(node.args[1]))
        elif isinstance(node, ast.JoinedStr):
            ignored |= {id(n) for n in node.values}
    return ignored


def repeated_names(path: Path, names: set[str]) -> list[tuple[int, str]]:
    """(line, literal) of every string constant in ``path`` that spells out one of ``names``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ignored = _ignored(tree)
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and node.value in names and id(node) not in ignored)


def test_repeated_names_sees_references_and_skips_the_rest(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""firm_id in a docstring."""\n'
                      '__all__ = ["firm_id"]\n'
                      '@click.option("--firm", "firm_id")\n'
                      'def f(firm_id):\n'
                      '    """firm_id again."""\n'
                      '    getattr(frame, "firm_id")\n'
                      '    return frame["firm_id"], f"{firm_id} firm_id"\n')
    assert repeated_names(module, {"firm_id"}) == [(7, "firm_id")]


def test_no_module_spells_out_a_column_or_feature_name():
    columns, features = column_names(), feature_names()
    found = {}
    for package in ("recommender", "service"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path == DEFINED_IN["columns"]:
                continue
            names = columns if path == DEFINED_IN["features"] else columns | features
            if hits := repeated_names(path, names):
                found[str(path.relative_to(ROOT))] = hits
    assert found == {}
