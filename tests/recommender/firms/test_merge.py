"""Ingest merges a firm it already holds: one id, empty fields filled, nodes joined."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.firms.firm_names import firm_name_key, maker_key, website_domain
from recommender.firms.ingest import ingest_firms
from recommender.firms.merge import match_stored
from recommender.pipeline.freshness import firm_sources

# Invented rows, written for these tests (names of real firms, made-up facts).
STORED = [
    {C.FIRM_ID: "ref-ulvac", C.FIRM_KEY: "nm:ulvac|JP", C.NAME: "ULVAC", C.COUNTRY: "JP",
     C.CITY: "Chigasaki", C.IS_LISTED: True, C.SOURCE: "reference", C.IS_SYNTHETIC: False},
    {C.FIRM_ID: "ref-pfeiffer", C.FIRM_KEY: "nm:pfeiffervacuum|DE",
     C.NAME: "Pfeiffer Vacuum Technology AG", C.COUNTRY: "DE", C.WEBSITE: "pfeiffer-vacuum.com",
     C.EMPLOYEES: 4000, C.SOURCE: "reference", C.IS_SYNTHETIC: False},
    {C.FIRM_ID: "syn-1", C.FIRM_KEY: "nm:edwards|GB", C.NAME: "Edwards Ltd", C.COUNTRY: "GB",
     C.SOURCE: "synthetic", C.IS_SYNTHETIC: True},
]
LINKS = [{C.FIRM_ID: "ref-ulvac", C.NODE_ID: "vacuum_components", C.CONFIDENCE: 1.0,
          C.EVIDENCE: "reference", C.METHOD: "reference"}]
LISTING = [
    {"symbol": "6728.T", "long_name": "ULVAC, Inc.", "country": "Japan", "city": "Kanagawa",
     "website": "https://www.ulvac.co.jp", "market_cap": "Mid Cap",
     "summary": "ULVAC makes vacuum pumps and vacuum equipment."},
    {"symbol": "PFV.DE", "long_name": "Pfeiffer Vacuum GmbH", "country": "Germany",
     "website": "http://www.Pfeiffer-Vacuum.com/en", "market_cap": "Small Cap",
     "summary": "Pfeiffer makes turbomolecular vacuum pumps."},
    {"symbol": "ULVK", "long_name": "ULVAC Inc.", "country": "United States",
     "market_cap": "Micro Cap", "summary": "Distributes vacuum pumps."},
    {"symbol": "EDW", "long_name": "Edwards Limited", "country": "United Kingdom",
     "market_cap": "Mid Cap", "summary": "Edwards makes dry vacuum pumps."},
]


def test_names_fold_legal_forms_but_keep_the_firm():
    assert firm_name_key("ULVAC, Inc.") == firm_name_key("ULVAC") == "ulvac"
    assert firm_name_key("Carl Zeiss AG") == firm_name_key("CARL ZEISS GmbH")
    assert firm_name_key("Air Liquide S.A.") == firm_name_key("Air Liquide")
    assert (firm_name_key("中微半导体设备(上海)股份有限公司")
            == firm_name_key("中微半导体设备有限公司") == "中微半导体设备")
    assert firm_name_key("Mitsubishi Electric Corp") != firm_name_key("Mitsubishi Corp")
    assert maker_key("Mitsubishi Electric Corp") == maker_key("Mitsubishi Corp")
    assert website_domain("https://www2.example.com:8080/x") == "example.com"
    assert website_domain("  ") is None


@pytest.fixture
def seeded(store, tmp_path):
    store.upsert_firms(pd.DataFrame(STORED))
    store.replace_firm_nodes(pd.DataFrame(LINKS), method="reference")
    path = tmp_path / "open_firms.csv"
    pd.DataFrame(LISTING).to_csv(path, index=False)
    return store, path


def test_a_listing_merges_into_the_firms_it_names(seeded):
    store, path = seeded
    result = ingest_firms(path, store, load_chain(), format="listing")
    assert result.counts["merged"] == 2 and result.counts["inserted"] == 2
    assert {(m["name"], m["into"], m["basis"]) for m in result.merged} == {
        ("ULVAC, Inc.", "ULVAC", "name"),
        ("Pfeiffer Vacuum GmbH", "Pfeiffer Vacuum Technology AG", "website")}
    firms = store.firms().set_index(C.FIRM_ID)
    assert len(firms) == 5  # the American near-namesake and the real Edwards are new firms
    assert sorted(firms.loc[firms[C.NAME].str.startswith("ULVAC"), C.COUNTRY]) == ["JP", "US"]
    assert pd.isna(firms.loc["syn-1", C.SIZE_CLASS])  # a synthetic firm takes nothing
    ulvac, pfeiffer = firms.loc["ref-ulvac"], firms.loc["ref-pfeiffer"]
    assert (ulvac[C.NAME], ulvac[C.CITY], ulvac[C.SOURCE]) == ("ULVAC", "Chigasaki", "reference")
    assert (ulvac[C.WEBSITE], ulvac[C.SYMBOL], ulvac[C.SIZE_CLASS]) == (
        "https://www.ulvac.co.jp", "6728.T", "mid")
    assert pfeiffer[C.WEBSITE] == "pfeiffer-vacuum.com" and pfeiffer[C.EMPLOYEES] == 4000
    assert pfeiffer[C.SIZE_CLASS] == "small"
    sources = firm_sources(store, "ref-ulvac")
    assert sources[C.SIZE_CLASS][C.SOURCE] == path.name
    assert sources.get(C.CITY, {}).get(C.SOURCE) != path.name
    links = store.firm_nodes(firm_ids=["ref-ulvac"])
    assert set(links[C.NODE_ID]) == {"vacuum_components", "vacuum_pumps"}
    assert set(links[C.METHOD]) >= {"reference"}


def test_a_second_import_of_the_listing_changes_nothing(seeded):
    store, path = seeded
    chain = load_chain()
    ingest_firms(path, store, chain, format="listing")
    firms, links, version = store.firms(), store.firm_nodes(), store.data_version()
    again = ingest_firms(path, store, chain, format="listing")
    assert again.counts["merged"] == 2 and again.counts["inserted"] == 0
    assert again.counts["updated"] == 0 and again.counts.get("filled", 0) == 0
    assert again.counts.get("merged_links", 0) == 0
    pd.testing.assert_frame_equal(store.firms(), firms)
    pd.testing.assert_frame_equal(store.firm_nodes(), links)
    assert store.data_version() == version


def test_two_listings_of_one_firm_in_a_file_become_one_but_sister_firms_do_not():
    incoming = pd.DataFrame({
        C.FIRM_ID: ["f-1", "f-2", "f-3", "f-4"],
        C.FIRM_KEY: ["sym:8035.T", "sym:TOELY", "sym:A1", "sym:A2"],
        C.NAME: ["Tokyo Electron Limited", "Tokyo Electron Ltd.", "Samwha Electric Co.,Ltd.",
                 "Samwha Electronics Co.,Ltd."], C.COUNTRY: ["JP", "JP", "KR", "KR"],
        C.WEBSITE: [None, None, "samwha.com", "www.samwha.com"], C.CREDIT_CODE: [None] * 4,
        C.ISIN: [None] * 4, C.IS_SYNTHETIC: [False] * 4})
    matches = match_stored(incoming, incoming.iloc[:0])
    assert matches[["row", "target_key", "basis"]].values.tolist() == [[1, "sym:8035.T", "name"]]
