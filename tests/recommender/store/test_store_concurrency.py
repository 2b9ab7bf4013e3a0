"""Writers that meet: none is refused for contention, racing duplicates are told apart, and
transient failures are tried again briefly (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from recommender import columns as C
from recommender.store import bulk, database, open_store


def outcome(i: int, *, stage: int = 2) -> dict:
    return {C.FIRM_ID: "ref-zeiss", C.NODE_ID: "vacuum_pumps", C.CAMPAIGN_ID: f"c-{i}",
            C.DATE: "2024-03-01", C.OUTCOME_STAGE: stage}


@pytest.fixture
def firm_store(store, firm_frame):
    store.upsert_firms(firm_frame())
    return store


def test_many_writers_at_once_all_land(firm_store, db_url):
    """8 threads x 10 outcomes, each thread with its own store (its own connections)."""
    stores = [open_store(db_url, upgrade=False) for _ in range(8)]

    def write(n: int) -> list[int]:
        return [stores[n].add_outcomes(pd.DataFrame([outcome(n * 100 + i)]))["inserted"]
                for i in range(10)]

    try:
        with ThreadPoolExecutor(8) as pool:
            inserted = [x for xs in pool.map(write, range(8)) for x in xs]
    finally:
        for s in stores:
            s.close()
    assert inserted == [1] * 80
    assert len(firm_store.outcomes()) == 80
    assert firm_store.data_version() == 1 + 80  # the firms, then one version per outcome


def test_a_writer_waits_for_the_write_lock_rather_than_failing(firm_store, db_url):
    """A transaction that read, wrote and holds its lock: another writer waits, then lands."""
    other = open_store(db_url, upgrade=False)
    result = {}
    try:
        with firm_store.transaction() as conn:
            firm_store.add_outcomes(pd.DataFrame([outcome(1)]), conn=conn)
            thread = threading.Thread(target=lambda: result.update(
                other.add_outcomes(pd.DataFrame([outcome(2)]))))
            thread.start()
            thread.join(0.5)
            assert thread.is_alive()  # waiting for the lock, not refused
        thread.join(20)
    finally:
        other.close()
    assert result == {"inserted": 1, "duplicate": 0}
    assert sorted(firm_store.outcomes()[C.CAMPAIGN_ID]) == ["c-1", "c-2"]


def test_racing_duplicates_store_one_and_call_the_other_a_duplicate(
        firm_store, db_url, monkeypatch):
    """Both writers read "not stored" before either inserts (a barrier holds them there);
    the one that loses the insert tries again, sees the row and reports a duplicate."""
    barrier = threading.Barrier(2)
    real = bulk.load_rows

    def load_then_meet(*args, **kwargs):
        rows = real(*args, **kwargs)
        try:
            barrier.wait(timeout=2)  # on SQLite the second writer is still waiting to BEGIN
        except threading.BrokenBarrierError:
            pass
        return rows

    monkeypatch.setattr(bulk, "load_rows", load_then_meet)
    stores = [open_store(db_url, upgrade=False) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(lambda s: s.add_outcomes(pd.DataFrame([outcome(7)])), stores))
    finally:
        for s in stores:
            s.close()
    assert sorted(c["inserted"] for c in counts) == [0, 1]
    assert sorted(c["duplicate"] for c in counts) == [0, 1]
    assert len(firm_store.outcomes()) == 1


def _failure(cls, orig: Exception, *, invalidated: bool = False):
    return cls("INSERT ...", {}, orig, connection_invalidated=invalidated)


class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("error", "expected"), [
    (_failure(sa_exc.OperationalError, _PgError("40001")), True),  # serialization failure
    (_failure(sa_exc.OperationalError, _PgError("40P01")), True),  # deadlock
    (_failure(sa_exc.OperationalError, _PgError("57P03")), True),  # cannot connect now
    (_failure(sa_exc.OperationalError, _PgError(None)), True),  # connection refused
    (_failure(sa_exc.OperationalError, _PgError("53300")), False),  # too many connections
    (_failure(sa_exc.DBAPIError, ValueError("x"), invalidated=True), True),
    (_failure(sa_exc.IntegrityError, _PgError("23503")), False),  # foreign key
])
def test_which_failures_are_tried_again(error, expected):
    assert database.retriable(error) is expected


def test_sqlite_locked_is_not_tried_again():
    import sqlite3

    locked = _failure(sa_exc.OperationalError, sqlite3.OperationalError("database is locked"))
    assert database.retriable(locked) is False
    unique = _failure(sa_exc.IntegrityError,
                      sqlite3.IntegrityError("UNIQUE constraint failed: t.a"))
    assert database.is_unique_violation(unique)


def test_a_transient_failure_is_tried_again_a_bounded_number_of_times(monkeypatch):
    engine = sa.create_engine("sqlite://")
    slept = []
    monkeypatch.setattr(database.time, "sleep", slept.append)
    calls = []

    def flaky(conn):
        calls.append(1)
        if len(calls) < 3:
            raise _failure(sa_exc.OperationalError, _PgError("40001"))
        return "done"

    assert database.run_transaction(engine, flaky) == "done"
    assert slept == list(database.RETRY_DELAYS[:2])

    calls.clear()

    def always(conn):
        calls.append(1)
        raise _failure(sa_exc.OperationalError, _PgError("40001"))

    with pytest.raises(sa_exc.OperationalError):
        database.run_transaction(engine, always)
    assert len(calls) == len(database.RETRY_DELAYS) + 1
    engine.dispose()


def test_sqlite_writers_begin_immediate_and_readers_do_not(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    seen = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: seen.append(statement))
    with store.transaction():
        pass
    with store.snapshot():
        pass
    store.close()
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]
