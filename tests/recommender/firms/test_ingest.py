"""Ingest: Chinese and English files, all-or-nothing validation, idempotent re-import, export."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import DataError, InvalidArgument, ValidationError
from recommender.firms.ingest import (
    export_firms,
    ingest_firms,
    ingest_outcomes,
    parse_founded_year,
    parse_registered_capital,
    read_table,
)
from recommender.store import open_store

# Invented firms, written for these tests.
ZH_ROWS = [
    {"企业名称": "深圳市测试示波科技有限公司", "统一社会信用代码": "914403000000000017",
     "注册资本": "5000万元人民币", "成立日期": "2008-05-12", "所属省份": "广东省",
     "所属城市": "深圳市", "国标行业": "4028",
     "经营范围": "数字示波器、频谱分析仪的研发、生产和销售"},
    {"企业名称": "东莞市样例真空设备有限公司", "统一社会信用代码": "91441900MA4W000010",
     "注册资本": "1.2亿元", "成立日期": "2015年3月", "所属省份": "广东省",
     "所属城市": "东莞", "国标行业": "3442", "经营范围": "真空泵、分子泵及真空阀门的制造"},
    {"企业名称": "佛山市示例贸易有限公司", "统一社会信用代码": "91440600MA52000020",
     "注册资本": "100万美元", "成立日期": "2019", "所属省份": "广东省",
     "所属城市": "佛山市", "国标行业": "5179", "经营范围": "日用百货销售"},
]
EN_ROWS = [
    {"Company Name": "Example Optics GmbH", "Country": "Germany", "City": "Jena",
     "Business Description": "Makes precision optical lenses and fiber lasers.",
     "Employees": "420", "Website": "example-optics.test"},
    {"Company Name": "Sample Analytical Inc.", "Country": "United States", "City": "Boston",
     "Business Description": "Develops mass spectrometers and chromatography systems.",
     "Employees": "1,200"},
]


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture
def zh_xlsx(tmp_path):
    path = tmp_path / "企业名单.xlsx"
    pd.DataFrame(ZH_ROWS).to_excel(path, index=False)
    return path


@pytest.fixture
def en_csv(tmp_path):
    path = tmp_path / "partners.csv"
    pd.DataFrame(EN_ROWS).to_csv(path, index=False)
    return path


def test_chinese_header_xlsx_is_normalised_geocoded_and_classified(store, chain, zh_xlsx):
    result = ingest_firms(zh_xlsx, store, chain)
    assert result.counts["inserted"] == 3 and result.counts["updated"] == 0
    firms = store.firms().set_index(C.CREDIT_CODE)
    scope = firms.loc["914403000000000017"]
    assert scope[C.COUNTRY] == "CN"
    assert scope[C.CITY] == "Shenzhen"
    assert scope[C.REGISTERED_CAPITAL] == pytest.approx(5e7)
    assert scope[C.FOUNDED_YEAR] == 2008
    assert scope[C.LAT] == pytest.approx(22.54, abs=0.2)
    assert firms.loc["91441900MA4W000010", C.REGISTERED_CAPITAL] == pytest.approx(1.2e8)
    assert firms.loc["91440600MA52000020", C.REGISTERED_CAPITAL] == pytest.approx(7.1e6)
    links = store.firm_nodes()
    by_firm = links.groupby(C.FIRM_ID)[C.NODE_ID].agg(set)
    assert "oscilloscopes" in by_firm[scope[C.FIRM_ID]]
    assert "vacuum_pumps" in by_firm[firms.loc["91441900MA4W000010", C.FIRM_ID]]
    assert firms.loc["91440600MA52000020", C.FIRM_ID] not in by_firm.index  # not in the chain
    evidence = links.set_index([C.FIRM_ID, C.NODE_ID]).loc[(scope[C.FIRM_ID], "oscilloscopes")]
    assert "示波器" in evidence[C.EVIDENCE]


def test_english_csv_maps_countries_and_cities(store, chain, en_csv):
    result = ingest_firms(en_csv, store, chain)
    assert result.counts["inserted"] == 2
    firms = store.firms().set_index(C.NAME)
    assert firms.loc["Example Optics GmbH", C.COUNTRY] == "DE"
    assert firms.loc["Sample Analytical Inc.", C.COUNTRY] == "US"
    assert firms.loc["Sample Analytical Inc.", C.EMPLOYEES] == 1200
    assert firms.loc["Example Optics GmbH", C.GEO_QUALITY] in {"exact", "alias"}
    counts = result.geocoding["counts"]
    assert counts.get("exact", 0) + counts.get("alias", 0) == 2
    nodes = set(store.firm_nodes()[C.NODE_ID])
    assert {"mass_spectrometers", "lasers"} <= nodes


def test_reimporting_the_same_file_changes_nothing(store, chain, zh_xlsx):
    ingest_firms(zh_xlsx, store, chain)
    version = store.data_version()
    links_before = store.firm_nodes().sort_values([C.FIRM_ID, C.NODE_ID]).reset_index(drop=True)
    again = ingest_firms(zh_xlsx, store, chain)
    assert again.counts["inserted"] == 0 and again.counts["updated"] == 0
    assert again.counts["unchanged"] == 3
    assert store.data_version() == version
    links_after = store.firm_nodes().sort_values([C.FIRM_ID, C.NODE_ID]).reset_index(drop=True)
    pd.testing.assert_frame_equal(links_before, links_after)
    assert len(store.import_batches()) == 2


def test_an_edited_row_updates_its_firm_in_place(store, chain, zh_xlsx, tmp_path):
    ingest_firms(zh_xlsx, store, chain)
    ids = set(store.firms()[C.FIRM_ID])
    rows = [dict(r) for r in ZH_ROWS]
    rows[0]["注册资本"] = "8000万元人民币"
    pd.DataFrame(rows).to_excel(zh_xlsx, index=False)  # the same file, edited
    result = ingest_firms(zh_xlsx, store, chain)
    assert result.counts["updated"] == 1 and result.counts["unchanged"] == 2
    assert set(store.firms()[C.FIRM_ID]) == ids


def test_a_file_with_one_bad_row_loads_nothing(store, chain, tmp_path):
    rows = [dict(r) for r in ZH_ROWS]
    rows[1]["统一社会信用代码"] = "12345"
    bad = tmp_path / "bad.xlsx"
    pd.DataFrame(rows).to_excel(bad, index=False)
    with pytest.raises(ValidationError, match="nothing was loaded") as info:
        ingest_firms(bad, store, chain)
    (problem,) = info.value.problems
    assert problem == {"file": "bad.xlsx", "row": 3, "column": C.CREDIT_CODE,
                       "message": problem["message"]}
    assert store.firms().empty


def test_unknown_country_names_the_row(store, chain, tmp_path):
    rows = [dict(r) for r in EN_ROWS]
    rows[1]["Country"] = "Atlantis"
    path = tmp_path / "atlantis.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(ValidationError) as info:
        ingest_firms(path, store, chain)
    assert info.value.problems[0]["row"] == 3
    assert "Atlantis" in info.value.problems[0]["message"]
    assert store.firms().empty


def test_dry_run_validates_without_writing(store, chain, en_csv):
    result = ingest_firms(en_csv, store, chain, dry_run=True)
    assert result.counts["valid"] == 2
    assert store.firms().empty


def _outcome_file(tmp_path, rows, name="outcomes.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=[C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE,
                                C.OUTCOME_STAGE]).to_csv(path, index=False)
    return path


def test_outcomes_load_whole_and_idempotently(store, chain, en_csv, tmp_path):
    ingest_firms(en_csv, store, chain)
    firm = store.firms()[C.FIRM_ID].iloc[0]
    path = _outcome_file(tmp_path, [[firm, "lasers", "c-1", "2024-03-01", 1],
                                    [firm, "lasers", "c-1", "2024-05-01", 2]])
    assert ingest_outcomes(path, store, chain).counts["inserted"] == 2
    assert ingest_outcomes(path, store, chain).counts["inserted"] == 0
    assert len(store.outcomes()) == 2


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["nobody", "lasers", "c-1", "2024-03-01", 1], C.FIRM_ID),
        (["FIRM", "nowhere", "c-1", "2024-03-01", 1], C.NODE_ID),
        (["FIRM", "lasers", "c-1", "2024-03-01", 5], C.OUTCOME_STAGE),
        (["FIRM", "lasers", "c-1", "March", 1], C.DATE),
    ],
)
def test_a_bad_outcome_row_loads_nothing(store, chain, en_csv, tmp_path, row, column):
    ingest_firms(en_csv, store, chain)
    firm = store.firms()[C.FIRM_ID].iloc[0]
    good = [firm, "lasers", "c-1", "2024-01-01", 0]
    row = [firm if v == "FIRM" else v for v in row]
    with pytest.raises(ValidationError) as info:
        ingest_outcomes(_outcome_file(tmp_path, [good, row]), store, chain)
    assert info.value.problems[0]["row"] == 3
    assert info.value.problems[0]["column"] == column
    assert store.outcomes().empty


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_firms_carries_ids_nodes_and_attributes(tmp_path, chain, en_csv, suffix):
    store = open_store(f"sqlite:///{tmp_path / 'e.db'}")
    ingest_firms(en_csv, store, chain)
    out = export_firms(store, tmp_path / f"firms{suffix}")
    back = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert len(back) == 2
    assert {C.FIRM_ID, C.NAME, C.COUNTRY, "node_ids"} <= set(back.columns)
    row = back.set_index(C.NAME).loc["Sample Analytical Inc."]
    assert "mass_spectrometers" in row["node_ids"].split(";")


def test_export_refuses_other_formats(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'e.db'}")
    with pytest.raises(InvalidArgument, match=r"\.parquet or \.csv"):
        export_firms(store, tmp_path / "firms.json")


@pytest.mark.parametrize(
    ("text", "yuan"),
    [("5000万元人民币", 5e7), ("1.2亿元", 1.2e8), ("100万美元", 7.1e6), ("3,000万", 3e7),
     ("800 万港元", 8e6 * 0.91), ("", None), ("未知", None)],
)
def test_registered_capital(text, yuan):
    value = parse_registered_capital(pd.Series([text]))[0]
    assert (pd.isna(value) if yuan is None else value == pytest.approx(yuan))


@pytest.mark.parametrize(("text", "year"), [("2003-05-12", 2003), ("2003年5月", 2003),
                                            ("1999", 1999), ("unknown", None)])
def test_founded_year(text, year):
    value = parse_founded_year(pd.Series([text]))[0]
    assert (pd.isna(value) if year is None else value == year)


def test_gb18030_csv_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    pd.DataFrame(ZH_ROWS).to_csv(path, index=False, encoding="gb18030")
    assert read_table(path)["企业名称"].iloc[0] == ZH_ROWS[0]["企业名称"]


def test_unsupported_or_missing_files_are_named(tmp_path):
    with pytest.raises(DataError, match=r"firms\.json: unsupported file type"):
        read_table(tmp_path / "firms.json")
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "absent.csv")


def test_listing_format_keeps_identifiers_and_keys_by_isin_or_symbol(store, chain, tmp_path):
    # invented listed firms, in the layout of public listing exports
    path = tmp_path / "listing.csv"
    pd.DataFrame({
        "symbol": ["OPTX", "VACU.DE"], "name": ["Optix Lenses Inc.", "Vacuwerk AG"],
        "summary": ["Optix makes optical lenses and prisms.", "Vacuwerk builds vacuum pumps."],
        "country": ["United States", "Germany"], "city": ["Rochester", "Munich"],
        "market_cap": ["Small Cap", "Mid Cap"], "isin": ["", "DE0000000001"],
        "website": ["optix.test", "vacuwerk.test"],
    }).to_csv(path, index=False)
    result = ingest_firms(path, store, chain, format="listing")
    assert result.counts["inserted"] == 2
    # the reader's own source column is not one of the file's headers
    assert C.SOURCE not in result.unmapped_headers
    assert "website" not in result.unmapped_headers
    firms = store.firms().set_index(C.SYMBOL)
    assert firms.loc["OPTX", C.FIRM_KEY] == "sym:OPTX"
    assert firms.loc["VACU.DE", C.FIRM_KEY] == "isin:DE0000000001"
    assert firms.loc["VACU.DE", C.SIZE_CLASS] == "mid"
    assert firms.loc["OPTX", C.WEBSITE] == "optix.test"
    assert bool(firms.loc["OPTX", C.IS_LISTED])
    assert ingest_firms(path, store, chain, format="listing").counts["unchanged"] == 2
    assert "vacuum_pumps" in set(store.firm_nodes()[C.NODE_ID])


def test_unknown_source_format_is_refused(store, chain, en_csv):
    with pytest.raises(InvalidArgument, match="unknown format 'xml'"):
        ingest_firms(en_csv, store, chain, format="xml")


def test_a_fitted_classifier_assigns_nodes_on_ingest(store, chain, tmp_path):
    from recommender.firms.node_classifier import NodeClassifier

    # a tiny invented corpus: pump makers and lens makers
    pumps = [f"Firm {i} designs and manufactures rotary vane pumps and turbomolecular pumps."
             for i in range(6)]
    lenses = [f"Firm {i} grinds precision lenses, prisms and optical windows." for i in range(6)]
    model = NodeClassifier(chain=chain, min_df=1).fit(
        pd.Series(pumps + lenses), [["vacuum_pumps"]] * 6 + [["optical_elements"]] * 6)
    path = tmp_path / "firms.csv"
    pd.DataFrame({"name": ["Rotavac GmbH", "Prismatic Oy"], "country": ["DE", "FI"],
                  "description": ["Rotavac builds turbomolecular pumps.",
                                  "Prismatic grinds precision prisms."]}).to_csv(path,
                                                                                   index=False)
    result = ingest_firms(path, store, chain, classifier=model)
    links = store.firm_nodes().merge(store.firms()[[C.FIRM_ID, C.NAME]], on=C.FIRM_ID)
    by_name = links.groupby(C.NAME)[C.NODE_ID].agg(set)
    assert "vacuum_pumps" in by_name["Rotavac GmbH"]
    assert "optical_elements" in by_name["Prismatic Oy"]
    assert "classifier" in set(links[C.METHOD])
    assert result.counts["links"] == len(links)
