"""The views' readers and writer on tiny hand-made data, on SQLite and on PostgreSQL."""

import datetime as dt

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import NotFoundError, ValidationError
from service.answers import queries


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture
def small(store):
    """Three firms (a Chinese name, a 100% name), four links, three outcomes, two parks."""
    store.upsert_firms(pd.DataFrame({
        C.FIRM_ID: ["f-a", "f-b", "f-c"],
        C.FIRM_KEY: ["a|DE", "b|CN", "c|US"],
        C.NAME: ["Alpha Optics", "Beta Scopes", "100% Gamma_Labs"],
        C.NAME_ZH: [None, "贝塔示波器", None],
        C.COUNTRY: ["DE", "CN", "US"],
        C.SOURCE: ["reference", "synthetic", "firms.csv"],
        C.IS_SYNTHETIC: [False, True, False],
    }))
    store.replace_firm_nodes(pd.DataFrame({
        C.FIRM_ID: ["f-a", "f-a", "f-b", "f-c"],
        C.NODE_ID: ["optical_elements", "lasers", "oscilloscopes", "oscilloscopes"],
        C.CONFIDENCE: [1.0, 0.5, None, 0.8],
        C.EVIDENCE: ["lenses", "laser", None, "scopes"],
        C.METHOD: ["reference", "keyword", "synthetic", "keyword"],
    }))
    store.add_outcomes(pd.DataFrame({
        C.FIRM_ID: ["f-a", "f-b", "f-a"],
        C.NODE_ID: ["lasers", "oscilloscopes", "optical_elements"],
        C.CAMPAIGN_ID: ["c1", "c1", "c2"],
        C.DATE: ["2024-01-10", "2024-01-11", "2024-03-01"],
        C.OUTCOME_STAGE: [1, 0, 3],
    }))
    store.upsert_parks(pd.DataFrame({C.PARK_ID: ["p1", "p2"], C.PARK_NAME_EN: ["One", "Two"],
                                     C.FOCUS_NODES: [["lasers"], []]}))
    return store


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["f-a", "f-b", "f-c"]),
    ({"country": "cn"}, ["f-b"]),
    ({"node_id": "oscilloscopes"}, ["f-b", "f-c"]),
    ({"q": "SCOPES"}, ["f-b"]),
    ({"q": "示波"}, ["f-b"]),
    ({"q": "100%"}, ["f-c"]),
    ({"q": "a_o"}, []),  # "_" is no wildcard: "Alpha Optics" does not match
    ({"q": "a_l"}, ["f-c"]),
    ({"country": "US", "node_id": "oscilloscopes", "q": "gamma"}, ["f-c"]),
])
def test_firm_page_filters(small, chain, filters, expected):
    page = queries.firm_page(small, chain, **filters, page_size=10)
    assert [f[C.FIRM_ID] for f in page["items"]] == expected
    assert page["pagination"]["total"] == len(expected)


def test_firm_page_pages_and_lists_nodes(small, chain):
    second = queries.firm_page(small, chain, page=2, page_size=2)
    assert [f[C.FIRM_ID] for f in second["items"]] == ["f-c"]
    assert second["items"][0]["nodes"] == ["oscilloscopes"]
    assert second["pagination"] == {"page": 2, "page_size": 2, "total": 3, "pages": 2}


def test_firm_page_refuses_an_unknown_node(small, chain):
    with pytest.raises(ValidationError, match="not a node"):
        queries.firm_page(small, chain, node_id="warp_drives")


def test_firm_portrait(small, chain):
    portrait = queries.firm_portrait(small, chain, "f-a")

    assert portrait["profile"][C.NAME] == "Alpha Optics"
    assert [(n[C.NODE_ID], n[C.EVIDENCE]) for n in portrait["nodes"]] == [
        ("lasers", "laser"), ("optical_elements", "lenses")]
    assert portrait["nodes"][0][C.STAGE] == "upstream"
    assert portrait["provenance"][C.SOURCE] == "reference"
    assert portrait["provenance"]["link_methods"] == ["keyword", "reference"]
    assert [o[C.OUTCOME_STAGE] for o in portrait["outcomes"]] == [1, 3]
    assert queries.firm_portrait(small, chain, "f-a", with_outcomes=False)["outcomes"] is None
    with pytest.raises(NotFoundError, match="no firm"):
        queries.firm_portrait(small, chain, "f-zzz")


def test_outcome_page_is_newest_first_and_filters(small):
    every = queries.outcome_page(small, page_size=10)
    of_a = queries.outcome_page(small, firm_id="f-a", node_id="lasers")

    assert [o[C.DATE] for o in every["items"]] == [
        dt.date(2024, 3, 1), dt.date(2024, 1, 11), dt.date(2024, 1, 10)]
    assert [(o[C.FIRM_ID], o[C.NODE_ID]) for o in of_a["items"]] == [("f-a", "lasers")]


def test_record_outcome_stores_it_once(small, chain):
    kwargs = {"firm_id": "f-c", "node_id": "oscilloscopes", "stage": 2,
              "date": dt.date(2025, 6, 1), "note": "visit", "recorded_by": "csABCDEF"}

    first, created = queries.record_outcome(small, chain, **kwargs)
    again, created_again = queries.record_outcome(small, chain, **kwargs)

    assert created and not created_again and again == first
    assert first[C.CAMPAIGN_ID] == "manual-2025" and first["recorded_by"] == "csABCDEF"
    assert first[C.SOURCE] == "api"
    assert len(small.outcomes(firm_id="f-c")) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"firm_id": "f-zzz"}, "firm_id"),
    ({"node_id": "warp_drives"}, "node_id"),
])
def test_record_outcome_refuses_unknown_firms_and_nodes(small, chain, change, field):
    kwargs = {"firm_id": "f-c", "node_id": "oscilloscopes", "stage": 2,
              "date": dt.date(2025, 6, 1), **change}
    with pytest.raises(ValidationError) as caught:
        queries.record_outcome(small, chain, **kwargs)
    assert [p["field"] for p in caught.value.problems] == [field]


def test_parks_within_a_scope(small):
    assert queries.park_page(small)["pagination"]["total"] == 2
    scoped = queries.park_page(small, visible=("p2",))
    assert [p[C.PARK_ID] for p in scoped["items"]] == ["p2"]
    assert queries.park_profile(small, "p2", visible=("p2",))[C.PARK_NAME_EN] == "Two"
    with pytest.raises(NotFoundError, match="no park 'p1'"):
        queries.park_profile(small, "p1", visible=("p2",))


def test_readiness(small):
    answer = queries.readiness(small)
    assert answer["status"] == "ready" and answer["schema_revision"] == answer["schema_head"]
    assert answer["data_version"] == small.data_version()
