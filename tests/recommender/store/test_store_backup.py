"""Backups: a consistent copy taken while writers go on, restored whole, on both databases;
and the session secret kept beside the store."""

from __future__ import annotations

import shutil
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.store.backup import backup, restore
from recommender.store.session_secret import SECRET_FILE, session_secret


def _outcome(i: int) -> pd.DataFrame:
    return pd.DataFrame([{C.FIRM_ID: "ref-zeiss", C.NODE_ID: "vacuum_pumps",
                          C.CAMPAIGN_ID: f"c-{i}", C.DATE: "2024-03-01", C.OUTCOME_STAGE: 1}])


@pytest.fixture
def needs_pg_tools(db_url):
    if db_url.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")


def test_a_backup_under_write_load_restores_a_consistent_store(
        store, firm_frame, tmp_path, needs_pg_tools):
    store.upsert_firms(firm_frame())
    base = store.data_version()  # every outcome below moves the version by one
    stop, written = threading.Event(), []

    def write() -> None:
        i = 0
        while not stop.is_set() or i < 5:
            store.add_outcomes(_outcome(i))
            written.append(i)
            i += 1

    with ThreadPoolExecutor(1) as pool:
        writer = pool.submit(write)
        while len(written) < 5:
            stop.wait(0.01)
        made = backup(store, tmp_path / "backup" / "store.bak")
        stop.set()
        writer.result(timeout=60)
    after = store.data_version()

    # the copy is one moment of the store: its outcomes match its data version
    restored = restore(store, made["file"])
    outcomes = store.outcomes()
    assert len(outcomes) == made["data_version"] - base
    assert 5 <= len(outcomes) < len(written)  # taken mid-way: later writes are not in it
    assert sorted(outcomes[C.CAMPAIGN_ID]) == sorted(f"c-{i}" for i in range(len(outcomes)))
    assert len(store.firms()) == 3
    assert restored["revision"] == store.revision() == made["revision"]
    assert restored["data_version"] == store.data_version() == after + 1  # moved past both
    store.add_outcomes(_outcome(10_000))  # the restored store takes writes
    assert len(store.outcomes()) == len(outcomes) + 1


def test_restore_refuses_what_is_not_a_backup(store, tmp_path, needs_pg_tools):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DataError, match="junk.bak"):
        restore(store, junk)
    with pytest.raises(DataError, match="no backup file"):
        restore(store, tmp_path / "missing.bak")


def test_restore_refuses_a_backup_from_a_newer_schema(tmp_path):
    from recommender.store import open_store

    url = f"sqlite:///{tmp_path / 'live.db'}"
    with open_store(url) as store:
        made = backup(store, tmp_path / "copy.db")
        import sqlite3

        with sqlite3.connect(made["file"]) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(DataError, match="revision '9999'"):
            restore(store, made["file"])


def test_the_session_secret_is_made_once_and_private(tmp_path):
    first = session_secret(tmp_path / "var")
    with ThreadPoolExecutor(8) as pool:
        again = set(pool.map(lambda _: session_secret(tmp_path / "var"), range(16)))
    path = tmp_path / "var" / SECRET_FILE
    assert again == {first} and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [SECRET_FILE]  # no temporary left


def test_a_damaged_secret_file_is_an_error_not_a_new_secret(tmp_path):
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(OSError, match="holds no secret"):
        session_secret(tmp_path)
