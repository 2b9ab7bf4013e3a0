"""Loading a region folder and the reference firms: shapes, dtypes and errors naming files."""

import shutil
import textwrap

import pandas as pd
import pytest

from recommender import columns as C
from recommender.demo.world import (
    POPULATION_10K,
    REGION_TABLES,
    Region,
    load_reference_firms,
    load_region,
)
from recommender.exceptions import DataError

REGION_YAML = """\
id: tiny
name_zh: 小区
name_en: Tiny
country: CN
chain: precision_instruments
core: {lat: 22.5, lon: 113.9}
radius_km: 100
gba_cities: [alpha]
facts:
  revenue: {value: 1.5, unit: 亿元, source: test}
tables:
  cities: cities.csv
  parks: parks.csv
  imports: imports.csv
  export_controls: export_controls.csv
  leader_needs: leader_needs.csv
"""

TABLES = {
    "cities.csv": """\
        city_id,name_zh,name_en,lat,lon,in_gba,population_10k
        alpha,甲市,Alpha,22.5,114.0,true,100.5
        beta,乙市,Beta,23.0,113.0,false,
        """,
    "parks.csv": """\
        park_id,name_zh,name_en,city_id,lat,lon,focus_nodes,land_available_ha,building_available_m2,power_capacity_mva,clean_room_m2,rent_cny_m2_month,incentives_zh,incentives_en,max_new_firms,tenants,is_illustrative,source
        p1,一园,P1,alpha,22.51,114.01,lasers;vacuum_pumps,10,5000,20,0,40,免租,Free,3,ref-acme,true,t
        p2,二园,Park Two,beta,23.01,113.01,,,,,,,,,2,,false,test
        """,
    "imports.csv": """\
        hs_code,origin_country,year,value_usd,is_illustrative
        841410,DE,2023,1000000,true
        9027,JP,2024,250000,true
        """,
    "export_controls.csv": """\
        origin_country,node_id,control,note,is_illustrative
        US,fpga_chips,0.9,test,true
        """,
    "leader_needs.csv": """\
        leader_firm_id,node_id,need,note,is_illustrative
        ref-acme,vacuum_pumps,5,test,true
        """,
}

FIRMS_CSV = """\
    firm_id,name,name_zh,country,province,city,lat,lon,is_listed,website,business_scope,source,is_synthetic
    ref-acme,"Acme Instruments, Inc.",,DE,,Jena,50.9288,11.5899,true,acme.de,Lasers.,reference,false
    ref-beta,Beta Optics,贝塔光学,CN,Guangdong,Shenzhen,22.5455,114.0683,,,光学。,reference,false
    """
LINKS_CSV = """\
    firm_id,node_id,confidence,evidence,method
    ref-acme,lasers,1.0,lasers,reference
    ref-beta,optical_elements,0.6,lenses,reference
    """


def _write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def region_dir(tmp_path):
    folder = tmp_path / "regions" / "tiny"
    folder.mkdir(parents=True)
    (folder / "region.yaml").write_text(REGION_YAML, encoding="utf-8")
    for name, text in TABLES.items():
        _write(folder / name, text)
    return folder


@pytest.fixture
def data_dir(tmp_path):
    firms = tmp_path / "data" / "firms"
    firms.mkdir(parents=True)
    _write(firms / "reference_firms.csv", FIRMS_CSV)
    _write(firms / "reference_firm_nodes.csv", LINKS_CSV)
    return tmp_path / "data"


def test_load_region_reads_identity_core_and_facts(region_dir):
    region = load_region(region_dir)
    assert isinstance(region, Region)
    assert (region.id, region.name_zh, region.name_en, region.country) == (
        "tiny", "小区", "Tiny", "CN")
    assert region.chain_id == "precision_instruments"
    assert (region.core_lat, region.core_lon, region.radius_km) == (22.5, 113.9, 100.0)
    assert region.gba_cities == ["alpha"]
    assert region.facts["revenue"]["value"] == 1.5


def test_region_is_frozen(region_dir):
    region = load_region(region_dir)
    with pytest.raises(AttributeError):
        region.id = "other"


def test_region_tables_have_documented_dtypes(region_dir):
    region = load_region(region_dir)
    cities = region.cities
    assert list(cities[C.CITY_ID]) == ["alpha", "beta"]
    assert cities[C.IN_GBA].dtype == bool and list(cities[C.IN_GBA]) == [True, False]
    assert cities[C.LAT].dtype == "float64"
    assert cities[POPULATION_10K].iloc[0] == 100.5 and pd.isna(cities[POPULATION_10K].iloc[1])

    parks = region.parks
    assert parks.loc[0, C.FOCUS_NODES] == ["lasers", "vacuum_pumps"]
    assert parks.loc[1, C.FOCUS_NODES] == [] and parks.loc[1, C.TENANTS] == []
    assert parks.loc[0, C.TENANTS] == ["ref-acme"]
    assert parks[C.IS_ILLUSTRATIVE].dtype == bool
    assert list(parks[C.IS_ILLUSTRATIVE]) == [True, False]
    assert parks[C.RENT].dtype == "float64" and pd.isna(parks.loc[1, C.RENT])
    assert parks[C.MAX_NEW_FIRMS].tolist() == [3, 2]

    imports = region.imports
    assert imports[C.HS_CODE].tolist() == ["841410", "9027"]
    assert imports[C.YEAR].dtype == "int64"
    assert imports[C.VALUE_USD].dtype == "float64"
    assert imports[C.VALUE_USD].sum() == 1_250_000
    assert region.export_controls[C.CONTROL].tolist() == [0.9]
    assert region.leader_needs[C.NEED].tolist() == [5.0]
    for table in (parks, imports, region.export_controls, region.leader_needs):
        assert table[C.IS_ILLUSTRATIVE].dtype == bool


def test_missing_illustrative_flag_reads_as_false(region_dir):
    _write(region_dir / "export_controls.csv", """\
        origin_country,node_id,control
        US,fpga_chips,0.5
        """)
    assert load_region(region_dir).export_controls[C.IS_ILLUSTRATIVE].tolist() == [False]


@pytest.mark.parametrize("name", ["region.yaml", *REGION_TABLES.values()])
def test_missing_region_file_is_a_data_error_naming_it(region_dir, name):
    (region_dir / name).unlink()
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        load_region(region_dir)


def test_missing_yaml_key_is_named(region_dir):
    text = REGION_YAML.replace("radius_km: 100\n", "")
    (region_dir / "region.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="region.yaml: missing key.*radius_km"):
        load_region(region_dir)


def test_gba_list_and_city_flags_must_agree(region_dir):
    text = REGION_YAML.replace("gba_cities: [alpha]", "gba_cities: [alpha, beta]")
    (region_dir / "region.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="in_gba disagrees.*beta"):
        load_region(region_dir)


def test_park_in_unknown_city_is_named(region_dir):
    text = (region_dir / "parks.csv").read_text(encoding="utf-8").replace(",beta,", ",gamma,")
    (region_dir / "parks.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="parks.csv: city_id.*gamma"):
        load_region(region_dir)


def test_bad_value_names_file_row_and_column(region_dir):
    _write(region_dir / "imports.csv", """\
        hs_code,origin_country,year,value_usd,is_illustrative
        84141,DE,2023,1000,true
        """)
    with pytest.raises(DataError, match="imports.csv") as info:
        load_region(region_dir)
    assert info.value.problems[0]["column"] == C.HS_CODE
    assert info.value.problems[0]["row"] == 2


def test_default_region_dir_follows_the_data_dir_setting(region_dir, monkeypatch):
    target = region_dir.parent / "guangdong"
    shutil.copytree(region_dir, target)
    monkeypatch.setenv("CHAINSCOUT_DATA_DIR", str(region_dir.parent.parent))
    assert load_region().id == "tiny"


def test_load_reference_firms_returns_all_firm_columns(data_dir):
    firms, links = load_reference_firms(data_dir)
    assert list(firms.columns) == C.FIRM_COLUMNS
    assert firms[C.FIRM_KEY].tolist() == ["nm:acmeinstrumentsinc|DE", "nm:betaoptics|CN"]
    assert firms[C.REVENUE].isna().all() and firms[C.EMPLOYEES].isna().all()
    assert firms[C.REVENUE].dtype == "float64" and firms[C.FOUNDED_YEAR].dtype == "Int64"
    assert firms[C.IS_LISTED].dtype == "boolean"
    assert firms[C.IS_LISTED].iloc[0] and pd.isna(firms[C.IS_LISTED].iloc[1])
    assert firms[C.IS_SYNTHETIC].dtype == bool and not firms[C.IS_SYNTHETIC].any()
    assert firms[C.LAT].dtype == "float64" and firms[C.LAT].iloc[1] == 22.5455
    assert firms[C.GEO_QUALITY].tolist() == ["given", "given"]
    assert pd.isna(firms[C.NAME_ZH].iloc[0]) and firms[C.NAME_ZH].iloc[1] == "贝塔光学"

    assert list(links.columns) == C.FIRM_NODE_COLUMNS
    assert links[C.CONFIDENCE].dtype == "float64"
    assert links[C.CONFIDENCE].tolist() == [1.0, 0.6]


@pytest.mark.parametrize("name", ["reference_firms.csv", "reference_firm_nodes.csv"])
def test_missing_reference_file_is_a_data_error_naming_it(data_dir, name):
    (data_dir / "firms" / name).unlink()
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        load_reference_firms(data_dir)


def test_link_to_unknown_firm_is_named(data_dir):
    _write(data_dir / "firms" / "reference_firm_nodes.csv", """\
        firm_id,node_id,confidence,evidence,method
        ref-ghost,lasers,1.0,lasers,reference
        """)
    with pytest.raises(DataError, match="reference_firm_nodes.csv.*ref-ghost"):
        load_reference_firms(data_dir)


def test_missing_firm_column_is_named(data_dir):
    _write(data_dir / "firms" / "reference_firms.csv", """\
        firm_id,name
        ref-acme,Acme
        """)
    with pytest.raises(DataError, match="reference_firms.csv: missing column.*country"):
        load_reference_firms(data_dir)


def test_embedded_world_loads():
    region = load_region()
    firms, links = load_reference_firms()
    assert region.id == "guangdong" and len(region.cities) == 21
    assert set(links[C.FIRM_ID]) <= set(firms[C.FIRM_ID])
