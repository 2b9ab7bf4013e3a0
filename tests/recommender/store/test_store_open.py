import subprocess
import sys

import pytest
import sqlalchemy as sa

import recommender.store
from recommender.exceptions import ConfigError, DependencyError
from recommender.store import POSTGRES_HINT, database_url, open_store


def test_public_names_exist():
    for name in recommender.store.__all__:
        assert hasattr(recommender.store, name), name


def test_importing_the_store_loads_no_database_driver():
    code = (
        "import sys, recommender.store;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_sqlite_store_creates_its_folder_and_sets_its_pragmas(tmp_path):
    path = tmp_path / "var" / "nested" / "chainscout.db"

    with open_store(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        assert store.url == f"sqlite:///{path}"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert path.is_file()


def test_the_default_url_comes_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CHAINSCOUT_DATABASE_URL", raising=False)

    with open_store() as store:
        assert store.engine.url.database == str(tmp_path / "var" / "chainscout.db")
    assert (tmp_path / "var" / "chainscout.db").is_file()


def test_open_store_without_upgrade_leaves_the_database_empty(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'a.db'}", upgrade=False) as store:
        assert sa.inspect(store.engine).get_table_names() == []
        assert store.revision() is None


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@db:5432/cs", "postgresql+psycopg"),
        ("postgres://u@db/cs", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/cs", "postgresql+psycopg"),
        ("sqlite:///var/chainscout.db", "sqlite"),
    ],
)
def test_postgresql_urls_get_the_psycopg_driver(url, driver):
    assert database_url(url).drivername == driver


def test_a_missing_psycopg_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)

    with pytest.raises(DependencyError, match=r"pip install 'chainscout\[postgres\]'"):
        open_store("postgresql://u@127.0.0.1:1/cs")
    assert "chainscout[postgres]" in POSTGRES_HINT


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "cannot read 'not a url'"), ("mysql://u@db/cs", "not 'mysql'")],
)
def test_an_unusable_url_is_a_config_error(url, message):
    with pytest.raises(ConfigError, match=message):
        open_store(url)
