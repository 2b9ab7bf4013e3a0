"""Large frames go through in chunks; tiny chunk sizes make these tiny frames take that path."""

import datetime as dt
import doctest

import pandas as pd
import pytest

import recommender.store.database
import recommender.store.store
import recommender.store.writes
from recommender import columns as C
from recommender.store import bulk, frames, writes


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(writes, "WRITE_CHUNK", 2)
    monkeypatch.setattr(bulk, "IN_CHUNK", 2)
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    monkeypatch.setattr(frames, "CHUNK_ROWS", 2)


def test_firms_upsert_and_read_back_in_chunks(store, firm_frame, tiny_chunks):
    extra = pd.DataFrame(
        {C.FIRM_KEY: ["a|CN", "b|CN"], C.NAME: ["A", "B"], C.COUNTRY: "CN", C.IS_SYNTHETIC: False}
    )
    frame = pd.concat([firm_frame(), extra], ignore_index=True)

    assert store.upsert_firms(frame) == {"inserted": 5, "updated": 0, "unchanged": 0}
    assert store.upsert_firms(frame) == {"inserted": 0, "updated": 0, "unchanged": 5}
    names = ["Carl Zeiss AG", "Keyence", "Synthetic Optics 1", "A", "B2"]
    changed = frame.assign(**{C.NAME: names})
    assert store.upsert_firms(changed) == {"inserted": 0, "updated": 2, "unchanged": 3}

    assert store.data_version() == 2
    assert len(store.firms()) == 5
    picked = store.firms(firm_ids=["syn-000001", "ref-zeiss", "ref-keyence", "gone"])
    assert picked[C.FIRM_ID].tolist() == ["ref-keyence", "ref-zeiss", "syn-000001"]
    assert store.firms(countries=["CN"])[C.NAME].tolist() == ["A", "B2"]


def test_links_and_outcomes_in_chunks(store, firm_frame, tiny_chunks):
    store.upsert_firms(firm_frame())
    ids = ["ref-zeiss", "ref-keyence", "syn-000001"]
    links = pd.DataFrame(
        {C.FIRM_ID: ids * 2, C.NODE_ID: ["lasers"] * 3 + ["sensors"] * 3, C.METHOD: "keyword"}
    )
    assert store.replace_firm_nodes(links)["inserted"] == 6
    zeiss_only = store.replace_firm_nodes(links.iloc[[0, 3]])
    assert zeiss_only == {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 2}
    fewer = store.replace_firm_nodes(links.iloc[:4], firm_ids=ids)
    assert fewer == {"inserted": 0, "updated": 0, "deleted": 2, "unchanged": 4}

    day = dt.date(2024, 1, 1)
    outcomes = pd.DataFrame(
        {C.FIRM_ID: ids + ids[:1], C.NODE_ID: "lasers", C.CAMPAIGN_ID: "c1", C.DATE: day,
         C.OUTCOME_STAGE: [0, 1, 2, 0]}
    )
    assert store.add_outcomes(outcomes) == {"inserted": 3, "duplicate": 1}
    assert len(store.outcomes()) == 3


def test_the_package_examples_hold():
    for module in (
        recommender.store, recommender.store.store, recommender.store.writes,
        recommender.store.database,
    ):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__
