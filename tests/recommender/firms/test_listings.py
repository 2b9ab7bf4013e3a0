import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.listings import (
    EXTRA_COLUMNS,
    LISTING_COLUMNS,
    SIZE_ORDER,
    isins_by_symbol,
    listing_key,
    read_listing,
    repair_mojibake,
    size_rank,
)
from recommender.paths import shared_data_dir

# Invented firms in the two layouts of the public listing exports.
OLD_LAYOUT = pd.DataFrame({
    "symbol": ["LUMX", "qtz.t", "NOCAP"],
    "short_name": ["LUMEX OPTICS", "QUARTZWERK", "NOCAP LAB"],
    "long_name": ["Lumex Optics Inc.", "Quartzwerk K.K.", ""],
    "summary": ["Lumex designs fiber lasers.", "Quartzwerk grows quartz crystals.",
                "Nocap Lab makes reagents."],
    "currency": ["USD", "JPY", "SEK"],
    "sector": ["Technology", "Technology", "Healthcare"],
    "industry": ["Scientific & Technical Instruments", "Electronic Components",
                 "Diagnostics & Research"],
    "exchange": ["NMS", "JPX", "STO"],
    "market": ["us_market", "jp_market", "se_market"],
    "country": ["United States", "Japan", "Sweden"],
    "state": ["CA", None, None],
    "city": ["San Jose", "Kyoto", "MalmÃ¶"],
    "zipcode": ["95110", "600-8001", "211 20"],
    "website": ["http://lumex.example", "http://quartzwerk.example", None],
    "market_cap": ["Small Cap", "Mega Cap", None],
})

NEW_LAYOUT = pd.DataFrame({
    "symbol": ["LUMX", "LUMX.DE", "NOVA.PA"],
    "name": ["Lumex Optics Inc.", "Lumex Optics Inc.", "Novaspec SA"],
    "summary": ["Lumex designs fiber lasers.", "Lumex designs fiber lasers.",
                "Novaspec builds spectrometers."],
    "currency": ["USD", "EUR", "EUR"],
    "sector": ["Information Technology", "Information Technology", "Health Care"],
    "industry_group": ["Technology Hardware & Equipment"] * 2 + ["Health Care Equipment"],
    "industry": ["Electronic Equipment, Instruments & Components"] * 2
    + ["Health Care Equipment & Supplies"],
    "exchange": ["NMS", "GER", "PAR"],
    "mic": ["XNAS", "XETR", "XPAR"],
    "market": ["NASDAQ", "XETRA", "Euronext Paris"],
    "country": ["United States", "United States", "France"],
    "state": ["CA", "CA", None],
    "city": ["San Jose", "San Jose", "Grenoble"],
    "zipcode": ["95110", "95110", "38000"],
    "website": ["http://lumex.example"] * 2 + ["http://novaspec.example"],
    "market_cap": ["Mid Cap", "Mid Cap", "Nano Cap"],
    "isin": ["US0000LUMX01", "US0000LUMX01", None],
    "delisted": ["False", "False", "False"],
})


def test_old_layout_maps_to_our_columns():
    firms = read_listing(OLD_LAYOUT, file="old.csv")
    assert list(firms.columns) == LISTING_COLUMNS
    first = firms.iloc[0]
    assert first[C.NAME] == "Lumex Optics Inc."
    assert first[C.BUSINESS_SCOPE] == "Lumex designs fiber lasers."
    assert first[C.COUNTRY] == "United States"  # ingest turns it into ISO codes
    assert first[C.PROVINCE] == "CA"
    assert first[C.CITY] == "San Jose"
    assert first[C.INDUSTRY_CODE] == "Scientific & Technical Instruments"
    assert first[C.SIZE_CLASS] == "small"
    assert first["exchange"] == "NMS" and first["sector"] == "Technology"
    assert firms[C.IS_LISTED].tolist() == [True, True, True]
    assert firms[C.SOURCE].tolist() == ["old.csv"] * 3
    assert firms.attrs["duplicates_dropped"] == 0


def test_empty_long_name_falls_back_to_short_name():
    assert read_listing(OLD_LAYOUT)[C.NAME].iloc[2] == "NOCAP LAB"


def test_new_layout_maps_name_isin_and_extra_columns():
    firms = read_listing(NEW_LAYOUT)
    assert firms[C.NAME].tolist() == ["Lumex Optics Inc.", "Novaspec SA"]
    assert firms[C.ISIN].iloc[0] == "US0000LUMX01"
    assert firms["industry_group"].iloc[1] == "Health Care Equipment"
    assert set(EXTRA_COLUMNS) <= set(firms.columns)
    assert firms[C.SIZE_CLASS].tolist() == ["mid", "nano"]


def test_identifiers_are_kept():
    firms = read_listing(OLD_LAYOUT)
    assert firms[C.SYMBOL].tolist() == ["LUMX", "QTZ.T", "NOCAP"]  # upper case
    assert firms[C.WEBSITE].iloc[1] == "http://quartzwerk.example"
    assert firms[C.WEBSITE].isna().iloc[2]
    assert firms[C.ISIN].isna().all()  # the old layout has no ISIN


@pytest.mark.parametrize(("label", "size"), [
    ("Nano Cap", "nano"), ("Micro Cap", "micro"), ("Small Cap", "small"), ("Mid Cap", "mid"),
    ("Large Cap", "large"), ("Mega Cap", "mega"), (" mega  cap ", "mega"),
])
def test_market_cap_labels_become_size_classes(label, size):
    frame = OLD_LAYOUT.iloc[[0]].assign(market_cap=label)
    assert read_listing(frame)[C.SIZE_CLASS].iloc[0] == size


def test_empty_market_cap_stays_missing():
    assert read_listing(OLD_LAYOUT)[C.SIZE_CLASS].isna().tolist() == [False, False, True]


def test_size_rank_orders_the_classes():
    ranks = size_rank(pd.Series(["mega", "nano", "Mid Cap", None, "mid"]))
    assert ranks.dtype == "Int64"
    assert ranks.tolist() == [5, 0, 3, pd.NA, 3]
    assert size_rank(pd.Series(SIZE_ORDER)).tolist() == [0, 1, 2, 3, 4, 5]


def test_listing_key_prefers_isin_and_is_stable_across_snapshots():
    old, new = read_listing(OLD_LAYOUT), read_listing(NEW_LAYOUT)
    assert listing_key(old).tolist() == ["sym:LUMX", "sym:QTZ.T", "sym:NOCAP"]
    assert listing_key(new).tolist() == ["isin:US0000LUMX01", "sym:NOVA.PA"]
    # keyed with the ISINs the newer snapshot knows, the older one joins on the same key
    old_keys = listing_key(old, isins=isins_by_symbol(new))
    assert old_keys.iloc[0] == listing_key(new).iloc[0]
    assert old_keys.iloc[1] == "sym:QTZ.T"


def test_a_firm_listed_twice_under_one_isin_is_kept_once():
    firms = read_listing(NEW_LAYOUT)
    assert len(firms) == 2
    assert firms.attrs["duplicates_dropped"] == 1
    assert firms[C.SYMBOL].iloc[0] == "LUMX"  # the first listing is kept


def test_an_isin_shared_by_two_names_is_reported_or_rekeyed():
    clash = NEW_LAYOUT.assign(isin=["US0000LUMX01", "US0000LUMX01", "US0000LUMX01"])
    with pytest.raises(ValidationError, match="1 problem") as info:
        read_listing(clash, file="new.csv")
    (problem,) = info.value.problems
    assert problem == {"file": "new.csv", "row": 4, "column": "isin",
                       "message": problem["message"]}
    assert "already row 2" in problem["message"] and "Lumex" in problem["message"]

    firms = read_listing(clash, conflicts="symbol")
    assert listing_key(firms).tolist() == ["isin:US0000LUMX01", "sym:NOVA.PA"]
    assert firms[C.ISIN].isna().iloc[1]


@pytest.mark.parametrize(("drop", "column"), [
    (["long_name", "short_name"], "long_name"),
    (["country"], "country"),
])
def test_missing_name_or_country_column_is_rejected(drop, column):
    with pytest.raises(ValidationError, match="nothing was loaded") as info:
        read_listing(OLD_LAYOUT.drop(columns=drop), file="bad.csv")
    assert [(p["file"], p["row"], p["column"]) for p in info.value.problems] == [
        ("bad.csv", 1, column)]


def test_rows_with_an_empty_name_are_rejected_with_their_rows():
    frame = NEW_LAYOUT.assign(name=["Lumex Optics Inc.", "  ", None])
    with pytest.raises(ValidationError, match="2 problem") as info:
        read_listing(frame, file="names.csv")
    assert [(p["row"], p["column"]) for p in info.value.problems] == [(3, "name"), (4, "name")]
    assert "names.csv" in info.value.report()


@pytest.mark.parametrize(("column", "value", "message"), [
    ("market_cap", "Giant Cap", "not a size class"),
    ("isin", "US123", "not an ISIN"),
])
def test_bad_cells_name_row_and_column(column, value, message):
    frame = NEW_LAYOUT.copy()
    frame.loc[2, column] = value
    with pytest.raises(ValidationError, match="1 problem") as info:
        read_listing(frame)
    (problem,) = info.value.problems
    assert (problem["row"], problem["column"]) == (4, column)
    assert message in problem["message"]


def test_unknown_conflict_mode_is_a_value_error():
    with pytest.raises(InvalidArgument, match="conflicts"):
        read_listing(NEW_LAYOUT, conflicts="merge")


def test_mis_decoded_text_is_repaired():
    assert read_listing(OLD_LAYOUT)[C.CITY].iloc[2] == "Malmö"
    assert repair_mojibake("Société") == "Société"
    assert repair_mojibake(None) is None


def test_reads_a_csv_file(tmp_path):
    path = tmp_path / "listing.csv"
    NEW_LAYOUT.to_csv(path, index=False)
    firms = read_listing(path)
    assert firms[C.SOURCE].unique().tolist() == ["listing.csv"]
    assert firms[C.NAME].tolist() == ["Lumex Optics Inc.", "Novaspec SA"]


@pytest.mark.realdata
def test_real_snapshots():
    shared = shared_data_dir()
    if shared is None:
        pytest.skip("../shared/data is not available")
    old = read_listing(shared / "open_firms_2022.csv")
    assert len(old) == 4134 and old[C.NAME].notna().all()
    assert set(old[C.SIZE_CLASS].dropna()) <= set(SIZE_ORDER)
    assert listing_key(old).is_unique
    # the 2026 snapshot gives one ISIN to two differently named firms: reported, row and column
    with pytest.raises(ValidationError, match="1 problem") as info:
        read_listing(shared / "open_firms_2026.csv")
    assert info.value.problems[0]["column"] == "isin"
    new = read_listing(shared / "open_firms_2026.csv", conflicts="symbol")
    assert listing_key(new).is_unique
    joined = listing_key(old, isins=isins_by_symbol(new))
    assert joined.str.startswith("isin:").sum() > 100


@pytest.mark.realdata
@pytest.mark.parametrize("snapshot", ["2022", "2026"])
def test_real_ip_licensor_and_assembly_house_are_no_chip_makers(snapshot):
    """An IP licensor (eMemory) and an assembly and test house (Tongfu) name the analog ICs
    and MCUs their customers make; their listing industry is a semiconductor one. Neither is
    placed in a chip node; other chip firms of the same industries still are."""
    from recommender.chain import load_chain
    from recommender.firms.keywords import assign_nodes_by_keywords, device_nodes

    shared = shared_data_dir()
    if shared is None:
        pytest.skip("../shared/data is not available")
    firms = read_listing(shared / f"open_firms_{snapshot}.csv", conflicts="symbol")
    chain = load_chain()
    chips = set(device_nodes(chain))
    texts = firms.set_index(C.SYMBOL)[C.BUSINESS_SCOPE].dropna()
    links = assign_nodes_by_keywords(texts, chain)
    nodes = links.groupby("row")[C.NODE_ID].agg(set)
    for symbol in ("3529.TWO", "002156.SZ"):  # eMemory, Tongfu Microelectronics
        assert "semiconductor" in firms.loc[firms[C.SYMBOL] == symbol,
                                            C.INDUSTRY_CODE].iloc[0].casefold()
        assert not nodes.get(symbol, set()) & chips, symbol
    semiconductor = firms.loc[firms[C.INDUSTRY_CODE].str.contains("Semiconductor", na=False),
                              C.SYMBOL]
    makers = [s for s in semiconductor if nodes.get(s, set()) & {"analog_ics"}]
    assert len(makers) >= 20
