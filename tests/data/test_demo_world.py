"""Checks of the embedded demo world in data/: Guangdong region, parks and reference firms."""

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from recommender import columns as C
from recommender.demo.world import (
    REFERENCE_FACTS,
    load_reference_facts,
    load_reference_firms,
    load_region,
)
from recommender.exceptions import DataError
from recommender.paths import data_dir, default_chain_path, default_region_dir

ROOT = Path(__file__).resolve().parents[2]
# Guangdong's bounding box, a little generous (the province spans about 20.2-25.5 N, 109.7-117.3 E)
LAT_RANGE = (20.2, 25.6)
LON_RANGE = (109.6, 117.4)
GBA = {"guangzhou", "shenzhen", "zhuhai", "foshan", "huizhou", "dongguan", "zhongshan",
       "jiangmen", "zhaoqing"}
ILLUSTRATIVE_TABLES = ["parks.csv", "imports.csv", "export_controls.csv", "leader_needs.csv"]
FIGURES = [C.REVENUE, C.EMPLOYEES, C.REVENUE_GROWTH, C.RD_INTENSITY, C.PATENTS,
           C.REGISTERED_CAPITAL, C.FOUNDED_YEAR, C.INTL_COUNTRIES]


@pytest.fixture(scope="module")
def region():
    return load_region()


@pytest.fixture(scope="module")
def reference():
    return load_reference_firms()


@pytest.fixture(scope="module")
def node_ids():
    with open(ROOT / "docs" / "chain_nodes.tsv", encoding="utf-8") as fh:
        return {row["node_id"] for row in csv.DictReader(fh, delimiter="\t")}


def _inside_guangdong(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.between(*LAT_RANGE) & lon.between(*LON_RANGE)


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(default_region_dir() / name, dtype=str, keep_default_na=False)


def test_all_21_prefecture_cities_inside_guangdong(region):
    cities = region.cities
    assert len(cities) == 21
    assert cities[C.CITY_ID].is_unique
    assert cities[C.CITY_ID].str.fullmatch(r"[a-z_]+").all()
    assert _inside_guangdong(cities[C.LAT], cities[C.LON]).all()
    assert cities[C.CITY_NAME_ZH].str.endswith("市").all()


def test_nine_greater_bay_area_cities(region):
    assert set(region.gba_cities) == GBA
    assert set(region.cities.loc[region.cities[C.IN_GBA], C.CITY_ID]) == GBA


def test_core_lies_between_guangzhou_and_shenzhen(region):
    xy = region.cities.set_index(C.CITY_ID)[[C.LAT, C.LON]]
    lats, lons = xy.loc[["guangzhou", "shenzhen"], C.LAT], xy.loc[["guangzhou", "shenzhen"], C.LON]
    assert lats.min() <= region.core_lat <= lats.max()
    assert lons.min() <= region.core_lon <= lons.max()
    assert region.radius_km == 150
    assert region.chain_id == "precision_instruments"


def test_region_facts_carry_values_and_sources(region):
    facts = region.facts
    assert facts["cluster_revenue_2022"]["value"] == 2114.57
    assert facts["listed_firms_2022"]["value"] == 67
    assert facts["listed_firms_with_overseas_business_2022"]["value"] == 58
    assert all(fact.get("source") for fact in facts.values())


def test_parks_are_real_places_inside_guangdong(region, reference, node_ids):
    parks = region.parks
    firms, _ = reference
    assert len(parks) >= 12
    assert parks[C.PARK_ID].is_unique
    assert _inside_guangdong(parks[C.LAT], parks[C.LON]).all()
    assert set(parks[C.CITY_ID]) <= set(region.cities[C.CITY_ID])
    focus = {n for nodes in parks[C.FOCUS_NODES] for n in nodes}
    assert focus <= node_ids
    assert all(nodes for nodes in parks[C.FOCUS_NODES])
    tenants = {t for ids in parks[C.TENANTS] for t in ids}
    assert tenants <= set(firms[C.FIRM_ID])
    assert parks[C.SOURCE].str.len().gt(0).all()


def test_reference_firms_are_many_unique_and_real(reference):
    firms, _ = reference
    assert len(firms) >= 90
    assert firms[C.FIRM_ID].is_unique and firms[C.FIRM_KEY].is_unique
    assert firms[C.FIRM_ID].str.startswith("ref-").all()
    assert firms[C.COUNTRY].str.fullmatch(r"[A-Z]{2}").all()
    assert (firms[C.SOURCE] == "reference").all()
    assert not firms[C.IS_SYNTHETIC].any()
    assert firms[C.LAT].between(-90, 90).all() and firms[C.LON].between(-180, 180).all()
    assert firms[C.BUSINESS_SCOPE].str.len().gt(5).all()
    assert firms[C.COUNTRY].nunique() >= 10


def test_at_least_25_guangdong_firms_located_in_the_province(region, reference):
    firms, _ = reference
    local = firms[(firms[C.COUNTRY] == "CN") & (firms[C.PROVINCE] == "Guangdong")]
    assert len(local) >= 25
    assert _inside_guangdong(local[C.LAT], local[C.LON]).all()
    assert set(local[C.CITY]) <= set(region.cities[C.CITY_NAME_EN])
    assert local[C.NAME_ZH].notna().all()


def test_reference_firms_carry_no_invented_figures(reference):
    """Figures come only from the sourced facts file; every other figure stays missing."""
    firms, _ = reference
    header = pd.read_csv(data_dir() / "firms" / "reference_firms.csv", nrows=0).columns
    assert set(header) <= set(C.FIRM_COLUMNS)
    assert not set(header) & set(FIGURES)
    facts = load_reference_facts()
    known = facts[facts[C.SOURCE] != "unknown"]
    sourced = {REFERENCE_FACTS[f][0] for f in known["fact"]}
    assert firms[[c for c in FIGURES if c not in sourced]].isna().all().all()
    for fact, (column, _) in REFERENCE_FACTS.items():
        given = set(known.loc[known["fact"] == fact, C.FIRM_ID])
        assert set(firms.loc[firms[column].notna(), C.FIRM_ID]) == given, fact


def test_reference_facts_carry_a_source_and_a_year_or_say_unknown(reference):
    firms, _ = reference
    facts = load_reference_facts()
    assert list(facts.columns) == [C.FIRM_ID, "fact", "value", "unit", "year", C.SOURCE]
    assert len(facts) == len(firms) * len(REFERENCE_FACTS)  # every firm, every fact
    assert not facts.duplicated([C.FIRM_ID, "fact"]).any()
    unknown = facts[C.SOURCE] == "unknown"
    assert facts.loc[unknown, ["value", "year"]].isna().all().all()
    known = facts[~unknown]
    assert known["value"].notna().all() and known[C.SOURCE].str.len().gt(10).all()
    assert known["year"].astype(int).between(1800, 2026).all()
    assert (known.loc[known["fact"] != "founded_year", "year"].astype(int) >= 2022).all()
    assert len(known) >= 300
    thermo = firms.set_index(C.FIRM_ID).loc["ref-thermo-fisher"]
    assert thermo[C.EMPLOYEES] > 100_000 and thermo[C.FOUNDED_YEAR] == 1956
    assert thermo[C.SIZE_CLASS] == "mega" and bool(thermo[C.IN_CHINA])
    assert pd.isna(firms.set_index(C.FIRM_ID).loc["ref-pfeiffer-vacuum", C.EMPLOYEES])


@pytest.mark.parametrize(("row", "message"), [
    ("ref-x,employees,12,people,,annual report", "needs a value, a year and a source"),
    ("ref-x,employees,12,people,2023,unknown", "an unknown fact has a value"),
    ("ref-x,staff,12,people,2023,annual report", "is not one of"),
    ("ref-x,in_china,yes,flag,2023,annual report", "is not true or false"),
    ("ref-x,revenue,lots,million USD,2023,annual report", "is not a number"),
])
def test_a_bad_fact_is_refused_with_its_row(tmp_path, row, message):
    (tmp_path / "firms").mkdir()
    (tmp_path / "firms" / "reference_facts.csv").write_text(
        f"firm_id,fact,value,unit,year,source\n{row}\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"row 2: .*{message}"):
        load_reference_facts(tmp_path)


def test_firm_nodes_use_chain_ids(reference, node_ids):
    firms, links = reference
    assert set(links[C.NODE_ID]) <= node_ids
    assert set(links[C.FIRM_ID]) == set(firms[C.FIRM_ID])
    per_firm = links.groupby(C.FIRM_ID).size()
    assert per_firm.between(1, 4).all()
    assert set(links[C.CONFIDENCE]) <= {1.0, 0.6}
    assert (links[C.METHOD] == "reference").all()
    assert not links.duplicated([C.FIRM_ID, C.NODE_ID]).any()


@pytest.mark.parametrize("name", ILLUSTRATIVE_TABLES)
def test_illustrative_tables_are_flagged(name):
    raw = _raw(name)
    assert len(raw) > 0
    assert (raw[C.IS_ILLUSTRATIVE] == "true").all()


def test_hs_codes_have_4_or_6_digits():
    codes = _raw("imports.csv")[C.HS_CODE]
    assert codes.str.fullmatch(r"\d{4}|\d{6}").all()


def test_imports_are_plausible(region):
    imports = region.imports
    assert set(imports[C.YEAR]) == {2022, 2023, 2024}
    assert (imports[C.VALUE_USD] > 0).all()
    assert imports[C.ORIGIN].str.fullmatch(r"[A-Z]{2}").all()
    assert "CN" not in set(imports[C.ORIGIN])
    assert not imports.duplicated([C.HS_CODE, C.ORIGIN, C.YEAR]).any()


def test_imports_cover_the_chains_upstream_and_midstream_codes(region):
    path = default_chain_path()
    if not path.is_file():
        pytest.skip("the chain definition is not there")
    chain = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes = {code for node in chain["nodes"] if node["stage"] != "downstream"
             for code in node.get("hs_codes") or []}
    assert codes <= set(region.imports[C.HS_CODE])


@pytest.mark.parametrize("code", ["841410", "901320", "854239", "902781", "901210", "854149"])
def test_named_weak_links_are_large_and_concentrated(region, code):
    imports = region.imports[region.imports[C.YEAR] == 2023]
    by_code = imports.groupby(C.HS_CODE)[C.VALUE_USD].sum()
    shares = imports[imports[C.HS_CODE] == code].groupby(C.ORIGIN)[C.VALUE_USD].sum()
    shares = shares / shares.sum()
    assert (shares**2).sum() > 0.2  # Herfindahl index of origins
    assert by_code[code] > by_code.median()


def test_export_controls_are_bounded_and_name_chain_nodes(region, node_ids):
    controls = region.export_controls
    assert controls[C.CONTROL].between(0, 1).all()
    assert set(controls[C.NODE_ID]) <= node_ids
    assert controls[C.ORIGIN].str.fullmatch(r"[A-Z]{2}").all()
    assert {"fpga_chips", "adc_chips", "wafer_inspection"} <= set(
        controls.loc[controls[C.ORIGIN] == "US", C.NODE_ID])


def test_leader_needs_name_guangdong_leaders_and_chain_nodes(region, reference, node_ids):
    needs = region.leader_needs
    firms, _ = reference
    leaders = firms.set_index(C.FIRM_ID).loc[needs[C.LEADER_FIRM_ID].unique()]
    assert (leaders[C.PROVINCE] == "Guangdong").all()
    assert {"ref-mgi-tech", "ref-hexin", "ref-mindray", "ref-zhengye", "ref-nanhua",
            "ref-zlg"} <= set(leaders.index)
    assert set(needs[C.NODE_ID]) <= node_ids
    assert needs[C.NEED].between(1, 5).all()


def test_readme_keeps_the_generator_section():
    text = (data_dir() / "README.md").read_text(encoding="utf-8")
    assert "\n## The synthetic generator\n" in text
