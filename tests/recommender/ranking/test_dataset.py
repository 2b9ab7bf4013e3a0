"""ChainData: from a generated world and from the store (the same firms), new outcomes."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.install import install_world
from recommender.demo.world import load_reference_firms, load_region
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.ranking.dataset import (
    LEAN_FIRM_COLUMNS,
    LEAN_LINK_COLUMNS,
    ChainData,
    chain_data_from_world,
    load_chain_data,
    outcome_model_of,
    with_outcomes,
)
from recommender.store import open_store


@pytest.fixture(scope="module")
def inputs():
    return {"chain": load_chain(), "region": load_region(), "reference": load_reference_firms()}


@pytest.fixture(scope="module")
def world(inputs):
    return generate_world(n_firms=1500, seed=3, **inputs)


@pytest.fixture(scope="module")
def from_world(world, inputs):
    return chain_data_from_world(world, chain=inputs["chain"], region=inputs["region"])


@pytest.fixture(scope="module")
def store(world, inputs, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'chainscout.db'}"
    with open_store(url) as store:
        install_world(store, world, inputs["region"], *inputs["reference"])
        yield store


@pytest.fixture(scope="module")
def from_store(store, inputs):
    return load_chain_data(store, chain=inputs["chain"], region=inputs["region"])


def test_world_bundle_keeps_the_tables_and_the_truth(from_world, world):
    data = from_world
    assert data.firms is world.firms and data.firm_nodes is world.firm_nodes
    assert data.truth is world.truth and data.data_version == 0
    assert data.outcome_model == {"thresholds": world.params["thresholds"],
                                  "noise_sd": world.params["noise_sd"]}
    assert len(data.outcomes) == len(world.outcomes)
    assert data.outcomes[C.DATE].dtype == "datetime64[ms]"
    assert data.outcomes[C.OUTCOME_STAGE].dtype == np.int64
    assert "firms=1680" in repr(data) and "truth=yes" in repr(data)


def test_store_bundle_holds_the_same_firms_links_and_history(from_store, from_world):
    a, b = from_store, from_world
    assert a.truth is None and a.outcome_model is None and a.data_version > 0
    assert sorted(a.firms[C.FIRM_ID]) == sorted(b.firms[C.FIRM_ID])
    assert len(a.firm_nodes) == len(b.firm_nodes)
    assert sorted(a.campaigns[C.CAMPAIGN_ID]) == sorted(b.campaigns[C.CAMPAIGN_ID])
    key = [C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID, C.DATE, C.OUTCOME_STAGE]
    pd.testing.assert_frame_equal(
        a.outcomes[key].sort_values(key, ignore_index=True),
        b.outcomes[key].sort_values(key, ignore_index=True), check_dtype=False)
    profile = [C.FIRM_ID, C.COUNTRY, C.LAT, C.LON, C.EMPLOYEES, C.IN_CHINA]
    pd.testing.assert_frame_equal(
        a.firms[profile].sort_values(C.FIRM_ID, ignore_index=True),
        b.firms[profile].sort_values(C.FIRM_ID, ignore_index=True), check_dtype=False)


def test_store_bundle_reads_the_region_tables_from_the_store(from_store, inputs):
    stored = from_store.region.export_controls
    given = inputs["region"].export_controls
    assert C.REGION_ID not in stored.columns
    pick = [C.ORIGIN, C.NODE_ID, C.CONTROL]
    pd.testing.assert_frame_equal(stored[pick].sort_values(pick[:2], ignore_index=True),
                                  given[pick].sort_values(pick[:2], ignore_index=True),
                                  check_dtype=False)
    assert from_store.region.id == inputs["region"].id


def test_campaigns_of_another_region_and_their_outcomes_stay_out(world, inputs, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    install_world(store, world, inputs["region"], *inputs["reference"])
    store.upsert_campaigns(pd.DataFrame({
        C.CAMPAIGN_ID: ["JS-1"], C.CAMPAIGN_NAME: ["elsewhere"], C.REGION_ID: ["jiangsu"],
        C.NODE_ID: ["lasers"], C.DATE: [pd.Timestamp("2024-03-01")]}))
    store.add_outcomes(pd.DataFrame({
        C.FIRM_ID: ["syn-0000001"], C.NODE_ID: ["lasers"], C.CAMPAIGN_ID: ["JS-1"],
        C.DATE: [pd.Timestamp("2024-04-01")], C.OUTCOME_STAGE: [2]}))
    data = load_chain_data(store, chain=inputs["chain"], region=inputs["region"])
    store.close()
    assert "JS-1" not in set(data.campaigns[C.CAMPAIGN_ID])
    assert "JS-1" not in set(data.outcomes[C.CAMPAIGN_ID])
    assert len(data.outcomes) == len(world.outcomes)


@pytest.mark.parametrize("params", [None, {}, {"thresholds": [0.0, 1.0, 2.0, 3.0]},
                                    {"noise_sd": 0.7}])
def test_an_outcome_model_needs_thresholds_and_noise(params):
    assert outcome_model_of(params) is None


def test_with_outcomes_appends_and_bumps_the_version(from_world):
    extra = pd.DataFrame({C.FIRM_ID: ["syn-0000001"], C.NODE_ID: ["lasers"],
                          C.CAMPAIGN_ID: ["C2026-06-01"], C.DATE: ["2026-06-20"],
                          C.OUTCOME_STAGE: [2]})
    new = with_outcomes(from_world, extra)
    assert isinstance(new, ChainData) and new is not from_world
    assert len(new.outcomes) == len(from_world.outcomes) + 1
    last = new.outcomes.iloc[-1]
    assert (last[C.FIRM_ID], last[C.DATE], last[C.OUTCOME_STAGE]) == (
        "syn-0000001", pd.Timestamp("2026-06-20"), 2)
    assert new.outcomes[C.DATE].dtype == "datetime64[ms]"
    assert new.data_version == from_world.data_version + 1
    assert with_outcomes(from_world, extra, data_version=42).data_version == 42
    assert new.firms is from_world.firms and new.truth is from_world.truth


def test_with_outcomes_refuses_a_bad_row(from_world):
    bad = pd.DataFrame({C.FIRM_ID: ["syn-0000001"], C.NODE_ID: ["lasers"],
                        C.CAMPAIGN_ID: ["C1"], C.DATE: ["2026-06-20"], C.OUTCOME_STAGE: [7]})
    before = len(from_world.outcomes)
    with pytest.raises(ValidationError, match="outcomes"):
        with_outcomes(from_world, bad)
    assert len(from_world.outcomes) == before


def test_a_lean_read_leaves_the_texts_unread(store, from_store, inputs):
    lean = load_chain_data(store, chain=inputs["chain"], region=inputs["region"],
                           firm_columns=LEAN_FIRM_COLUMNS, link_columns=LEAN_LINK_COLUMNS)
    assert list(lean.firms.columns) == list(LEAN_FIRM_COLUMNS)
    assert C.BUSINESS_SCOPE not in lean.firms.columns and C.FIRM_KEY not in lean.firms.columns
    pd.testing.assert_frame_equal(lean.firms, from_store.firms[list(LEAN_FIRM_COLUMNS)])
    assert list(lean.firm_nodes.columns) == [C.FIRM_ID, C.NODE_ID, C.CONFIDENCE]
    pd.testing.assert_frame_equal(lean.firm_nodes,  # the same links, in the same order
                                  from_store.firm_nodes[list(LEAN_LINK_COLUMNS)])
    assert lean.data_version == from_store.data_version
    pd.testing.assert_frame_equal(lean.outcomes, from_store.outcomes)
    few = load_chain_data(store, chain=inputs["chain"], region=inputs["region"],
                          firm_columns=[C.COUNTRY], link_columns=[C.NODE_ID])
    assert list(few.firms.columns) == [C.FIRM_ID, C.COUNTRY]
    assert list(few.firm_nodes.columns) == [C.FIRM_ID, C.NODE_ID]


def test_a_read_of_an_unknown_column_is_refused(store, inputs):
    with pytest.raises(InvalidArgument, match="firm_columns: not column.*nickname"):
        load_chain_data(store, chain=inputs["chain"], region=inputs["region"],
                        firm_columns=[C.COUNTRY, "nickname"])
    with pytest.raises(InvalidArgument, match="link_columns: not column.*nickname"):
        load_chain_data(store, chain=inputs["chain"], region=inputs["region"],
                        link_columns=["nickname"])
