"""A first load takes the bulk path; keys are looked up bound as one array, chunk by chunk."""

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.store import bulk
from recommender.store import models as M


def index_names(store, table: sa.Table) -> set[str]:
    with store.transaction() as conn:
        return {index["name"] for index in sa.inspect(conn).get_indexes(table.name)}


def test_a_bulk_load_into_an_empty_table_keeps_its_indexes(store, firm_frame, monkeypatch):
    monkeypatch.setattr(bulk, "BULK_ROWS", 2)
    before = index_names(store, M.FIRM_NODES)
    assert before  # the node index
    store.upsert_firms(firm_frame())
    ids = ["ref-zeiss", "ref-keyence", "syn-000001"]
    links = pd.DataFrame({C.FIRM_ID: ids * 2, C.NODE_ID: ["lasers"] * 3 + ["sensors"] * 3,
                          C.METHOD: "keyword"})
    assert store.replace_firm_nodes(links)["inserted"] == 6
    assert index_names(store, M.FIRM_NODES) == before
    stored = store.firm_nodes()
    assert sorted(zip(stored[C.FIRM_ID], stored[C.NODE_ID], strict=True)) == sorted(
        zip(links[C.FIRM_ID], links[C.NODE_ID], strict=True))
    again = store.replace_firm_nodes(links.iloc[:4], firm_ids=ids)  # not empty: no bulk path
    assert again == {"inserted": 0, "updated": 0, "deleted": 2, "unchanged": 4}


def test_keys_are_looked_up_in_chunks_bound_as_one_array(store, firm_frame, monkeypatch):
    monkeypatch.setattr(bulk, "KEYS_CHUNK", 2)
    frame = firm_frame()
    assert store.upsert_firms(frame)["inserted"] == 3
    assert store.upsert_firms(frame) == {"inserted": 0, "updated": 0, "unchanged": 3}
    picked = store.firms(firm_ids=["syn-000001", "ref-zeiss", "ref-keyence", "gone"])
    assert picked[C.FIRM_ID].tolist() == ["ref-keyence", "ref-zeiss", "syn-000001"]
    found = store.firm_ids_by_key(["keyence|JP", "nobody|XX", "carl zeiss|DE"])
    assert found == {"keyence|JP": "ref-keyence", "carl zeiss|DE": "ref-zeiss"}


def test_is_in_matches_pandas_isin():
    values = pd.Series(["b", None, "a", "zz", "b"], dtype="str")
    assert bulk.is_in(values, ["b", "zz"]).tolist() == values.isin(["b", "zz"]).tolist()
    assert bulk.is_in(pd.Series([1, 2, 3]), [2.5, 3]).tolist() == [False, False, True]
    assert bulk.is_in(values, []).tolist() == [False] * 5
