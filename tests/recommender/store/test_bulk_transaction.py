"""A large load written in chunks pays for the secondary indexes once, at commit; bound
values are converted once per distinct value."""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from recommender import columns as C
from recommender.store import bulk
from recommender.store import models as M


def index_names(conn, table: sa.Table) -> set[str]:
    return {index["name"] for index in sa.inspect(conn).get_indexes(table.name)}


def firms(first: int, count: int) -> pd.DataFrame:
    ids = [f"syn-{i:07d}" for i in range(first, first + count)]
    return pd.DataFrame({C.FIRM_ID: ids, C.FIRM_KEY: ids, C.COUNTRY: ["DE", "JP"] * (count // 2),
                         C.IS_SYNTHETIC: True})


def test_chunks_of_one_transaction_keep_the_indexes_down_until_commit(store, monkeypatch):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the index-after-rows path is SQLite's (PostgreSQL copies)")
    monkeypatch.setattr(bulk, "BULK_ROWS", 4)
    with store.transaction() as conn:
        before = index_names(conn, M.FIRMS)
    assert before  # country, credit code, data version
    with store.transaction() as conn:
        store.upsert_firms(firms(1, 4), conn=conn)
        assert index_names(conn, M.FIRMS) == set()  # dropped by the first, empty-table chunk
        store.upsert_firms(firms(5, 4), conn=conn)  # the table is no longer empty
        assert index_names(conn, M.FIRMS) == set()
    with store.transaction() as conn:
        assert index_names(conn, M.FIRMS) == before
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert cache > -bulk.SQLITE_BULK_CACHE_KIB  # the page cache is back to its size
    assert len(store.firms()) == 8
    assert store.firms(countries=["JP"])[C.FIRM_ID].tolist() == [
        "syn-0000002", "syn-0000004", "syn-0000006", "syn-0000008"]


def test_a_failed_bulk_load_leaves_the_table_and_its_indexes(store, monkeypatch):
    monkeypatch.setattr(bulk, "BULK_ROWS", 4)
    with store.transaction() as conn:
        before = index_names(conn, M.FIRMS)
    with pytest.raises(RuntimeError, match="stop"), store.transaction() as conn:
        store.upsert_firms(firms(1, 4), conn=conn)
        raise RuntimeError("stop")
    with store.transaction() as conn:
        assert index_names(conn, M.FIRMS) == before
    assert len(store.firms()) == 0
    assert store.upsert_firms(firms(1, 4))["inserted"] == 4  # and a next load goes through


def test_bound_values_are_each_values_processor_output():
    when = [dt.datetime(2026, 1, 2, 3, 4, 5), None, dt.datetime(2026, 1, 2, 3, 4, 5)]
    frame = pd.DataFrame({"at": pd.to_datetime(when), "n": [1, None, 3.5]})
    calls = []

    def stamp(value):
        calls.append(value)
        return None if value is None else value.isoformat()

    (at, n), = bulk.bound_chunks(frame, [stamp, None])
    assert at == ["2026-01-02T03:04:05", None, "2026-01-02T03:04:05"]
    assert n == [1.0, None, 3.5]
    assert len(calls) == 2  # one distinct time and the missing value
    lists = pd.DataFrame({"tags": [["a"], None]})
    assert next(bulk.bound_chunks(lists, [lambda v: v and ",".join(v)])) == [["a", None]]
