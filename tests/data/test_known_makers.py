"""The known makers of the chain's nodes (data/firms/known_makers.csv) and their name match."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.known_makers import (
    MAKER,
    MAKER_COLUMNS,
    load_known_makers,
    maker_key,
    match_makers,
)
from recommender.demo.world import load_reference_firms
from recommender.exceptions import DataError
from recommender.paths import shared_data_dir


@pytest.fixture(scope="module")
def makers():
    return load_known_makers()


def test_at_least_25_upstream_or_midstream_nodes_with_sources(makers):
    chain = load_chain()
    stage = {v: chain.node(v)["stage"] for v in chain.node_ids}
    assert set(makers[C.NODE_ID]) <= set(chain.node_ids)
    assert {stage[v] for v in makers[C.NODE_ID]} <= {"upstream", "midstream"}
    assert makers[C.NODE_ID].nunique() >= 25
    assert makers[C.SOURCE].str.strip().str.len().gt(5).all()
    assert makers[C.COUNTRY].str.fullmatch(r"[A-Z]{2}").all()
    assert not makers.duplicated([C.NODE_ID, MAKER]).any()


def test_most_makers_match_a_reference_firm_of_their_country(makers):
    firms, _ = load_reference_firms()
    matched = match_makers(makers, firms)
    assert matched[MAKER].nunique() >= 0.7 * makers[MAKER].nunique()
    pfeiffer = matched[(matched[C.NODE_ID] == "vacuum_pumps")
                       & (matched[MAKER] == "Pfeiffer Vacuum")]
    assert pfeiffer[C.FIRM_ID].tolist() == ["ref-pfeiffer-vacuum"]


def test_match_needs_the_same_country_and_ignores_legal_words():
    firms = pd.DataFrame({C.FIRM_ID: ["a", "b", "c"], C.COUNTRY: ["US", "DE", "US"],
                          C.NAME: ["Analog Devices, Inc.", "Analog Devices GmbH",
                                   "Analog Devices Trading"]})
    makers = pd.DataFrame({C.NODE_ID: ["adc_chips"], MAKER: ["Analog Devices"],
                           C.COUNTRY: ["US"], C.SOURCE: ["x"]})
    assert match_makers(makers, firms)[C.FIRM_ID].tolist() == ["a"]
    assert maker_key("HIOKI E.E. Corporation") == maker_key("HIOKI E.E.")


def test_a_row_without_source_is_refused(tmp_path):
    path = tmp_path / "makers.csv"
    path.write_text("node_id,maker,country,source\nlasers,Coherent,US,\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2"):
        load_known_makers(path)
    assert MAKER_COLUMNS[0] == C.NODE_ID


@pytest.mark.realdata
@pytest.mark.skipif(shared_data_dir() is None, reason="needs ../shared/data")
def test_nearly_all_makers_match_a_reference_or_listed_firm(makers):
    from recommender.firms.countries import normalise_countries
    from recommender.firms.listings import read_listing

    listing = read_listing(shared_data_dir() / "open_firms_2022.csv")
    listing[C.COUNTRY] = normalise_countries(listing[C.COUNTRY]).to_numpy()
    listing[C.FIRM_ID] = listing[C.SYMBOL]
    firms, _ = load_reference_firms()
    found = set(match_makers(makers, firms)[MAKER]) | set(match_makers(makers, listing)[MAKER])
    assert len(found) >= 0.85 * makers[MAKER].nunique()
