import math

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.store import ingested_firm_id
from recommender.store.frames import canonical
from recommender.store.models import FIRMS


def test_upsert_inserts_then_leaves_identical_rows_alone(store, firm_frame):
    assert store.upsert_firms(firm_frame()) == {"inserted": 3, "updated": 0, "unchanged": 0}
    assert store.data_version() == 1

    again = store.upsert_firms(firm_frame())

    assert again == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert store.data_version() == 1


def test_a_changed_row_is_updated_bumps_the_version_and_keeps_its_firm_id(store, firm_frame):
    store.upsert_firms(firm_frame())
    before = store.firm("ref-keyence")
    changed = firm_frame(**{C.EMPLOYEES: [43000, 10500, 120]})
    changed[C.FIRM_ID] = ["ref-zeiss", "some-other-id", "syn-000001"]

    counts = store.upsert_firms(changed)

    assert counts == {"inserted": 0, "updated": 1, "unchanged": 2}
    assert store.data_version() == 2
    after = store.firm("ref-keyence")
    assert after[C.EMPLOYEES] == 10500
    assert after["data_version"] == 2 and before["data_version"] == 1
    assert after["created_at"] == before["created_at"]
    assert store.firm("ref-zeiss")["data_version"] == 1
    with pytest.raises(NotFoundError, match="some-other-id"):
        store.firm("some-other-id")


@pytest.mark.parametrize(
    ("column", "new_value"),
    [(C.NAME_ZH, "卡尔蔡司"), (C.LAT, 48.79), (C.IS_LISTED, True), (C.FOUNDED_YEAR, 1847)],
)
def test_a_change_in_any_column_type_counts_as_an_update(store, column, new_value, firm_frame):
    store.upsert_firms(firm_frame())
    changed = firm_frame()
    changed[column] = changed[column].astype(object)
    changed.loc[0, column] = new_value

    assert store.upsert_firms(changed)["updated"] == 1
    assert store.firm("ref-zeiss")[column] == new_value


def test_a_missing_value_replacing_a_present_one_counts_as_a_change(store, firm_frame):
    store.upsert_firms(firm_frame())
    changed = firm_frame(**{C.LAT: [None, 34.69, None]})

    assert store.upsert_firms(changed) == {"inserted": 0, "updated": 1, "unchanged": 2}
    assert store.firm("ref-zeiss")[C.LAT] is None


def test_columns_absent_from_the_frame_are_left_as_stored(store, firm_frame):
    store.upsert_firms(firm_frame())
    partial = pd.DataFrame({C.FIRM_KEY: ["keyence|JP"], C.EMPLOYEES: [11000]})

    assert store.upsert_firms(partial) == {"inserted": 0, "updated": 1, "unchanged": 0}
    firm = store.firm("ref-keyence")
    assert (firm[C.EMPLOYEES], firm[C.NAME], firm[C.LAT]) == (11000, "Keyence", 34.69)


def test_a_new_firm_without_an_id_gets_one_derived_from_its_key(store):
    frame = pd.DataFrame({C.FIRM_KEY: ["91440300MA5XXXXXXX"], C.NAME: ["深圳某仪器"]})

    store.upsert_firms(frame)

    stored = store.firms()
    assert stored[C.FIRM_ID].tolist() == [ingested_firm_id("91440300MA5XXXXXXX")]
    assert stored[C.FIRM_ID].iloc[0].startswith("f-")
    assert not stored[C.IS_SYNTHETIC].iloc[0]


def test_firms_round_trip_with_types(store, firm_frame):
    store.upsert_firms(firm_frame())

    firms = store.firms()

    assert firms.columns.tolist() == C.FIRM_COLUMNS
    assert firms[C.FIRM_ID].tolist() == ["ref-keyence", "ref-zeiss", "syn-000001"]
    zeiss = store.firm("ref-zeiss")
    assert zeiss[C.NAME_ZH] == "蔡司" and zeiss[C.FOUNDED_YEAR] == 1846
    assert zeiss[C.IS_LISTED] is False and zeiss[C.IN_CHINA] is True
    assert zeiss[C.REVENUE] == 10500.0 and zeiss[C.CREDIT_CODE] is None
    assert str(firms[C.FOUNDED_YEAR].dtype) == "Int64"
    assert str(firms[C.IS_LISTED].dtype) == "boolean"
    assert firms[C.IS_SYNTHETIC].tolist() == [False, False, True]
    assert math.isnan(firms[C.REVENUE].iloc[2])


def test_readers_filter_by_ids_countries_and_limit(store, firm_frame):
    store.upsert_firms(firm_frame())

    assert store.firms(firm_ids=["ref-zeiss", "nope"])[C.FIRM_ID].tolist() == ["ref-zeiss"]
    assert store.firms(countries=["JP", "US"])[C.FIRM_ID].tolist() == [
        "ref-keyence", "syn-000001"
    ]
    assert store.firms(firm_ids=["syn-000001", "ref-zeiss"], countries=["DE"])[
        C.FIRM_ID
    ].tolist() == ["ref-zeiss"]
    assert store.firms(limit=2)[C.FIRM_ID].tolist() == ["ref-keyence", "ref-zeiss"]
    assert store.firms(firm_ids=[]).empty
    assert store.firms(firm_ids=[]).columns.tolist() == C.FIRM_COLUMNS


def test_firm_raises_not_found_for_an_unknown_id(store):
    with pytest.raises(NotFoundError, match="no firm 'ref-nobody'"):
        store.firm("ref-nobody")


def test_two_rows_with_one_key_are_rejected(store, firm_frame):
    frame = firm_frame(**{C.FIRM_KEY: ["same|DE", "same|DE", "other|US"]})

    with pytest.raises(DataError, match="2 rows share a firm_key"):
        store.upsert_firms(frame)
    assert store.firms().empty


def test_a_new_key_reusing_a_stored_firm_id_is_a_data_error(store, firm_frame):
    store.upsert_firms(firm_frame())
    clash = pd.DataFrame({C.FIRM_ID: ["ref-zeiss"], C.FIRM_KEY: ["zeiss duplicate|DE"]})

    with pytest.raises(DataError, match="cannot store firms: two firms share a firm_id"):
        store.upsert_firms(clash)
    assert len(store.firms()) == 3


def test_a_value_of_the_wrong_type_names_its_column(store, firm_frame):
    with pytest.raises(DataError, match="firms.employees"):
        store.upsert_firms(firm_frame(**{C.EMPLOYEES: ["many", "few", "none"]}))


def test_a_frame_without_firm_key_is_rejected(store):
    with pytest.raises(DataError, match="no column 'firm_key'"):
        store.upsert_firms(pd.DataFrame({C.NAME: ["x"]}))


def test_a_missing_required_flag_is_a_data_error(store, firm_frame):
    with pytest.raises(DataError, match="firms.is_synthetic.*1 rows have no value"):
        store.upsert_firms(firm_frame(**{C.IS_SYNTHETIC: [True, None, False]}))


def test_every_firm_column_round_trips(store):
    full = pd.DataFrame(
        {
            C.FIRM_ID: ["f-1", "f-2"], C.FIRM_KEY: ["91440300MA5XXXXXXX", "acme|US"],
            C.NAME: ["Shenzhen Optics", "Acme"], C.NAME_ZH: ["深圳光学", None],
            C.CREDIT_CODE: ["91440300MA5XXXXXXX", None], C.COUNTRY: ["CN", "US"],
            C.PROVINCE: ["Guangdong", None], C.CITY: ["Shenzhen", "Boston"],
            C.LAT: [22.54, 42.36], C.LON: [114.06, -71.06],
            C.GEO_QUALITY: ["exact", "alias"], C.FOUNDED_YEAR: [2015, None],
            C.REGISTERED_CAPITAL: [5e7, None], C.EMPLOYEES: [230, 12000],
            C.REVENUE: [12.5, 880.0], C.REVENUE_GROWTH: [0.12, -0.03],
            C.RD_INTENSITY: [0.08, None], C.PATENTS: [14, 950], C.IS_LISTED: [False, True],
            C.SIZE_CLASS: ["small", "large"], C.INTL_COUNTRIES: [2, 31],
            C.IN_CHINA: [True, True], C.IN_GBA: [True, None], C.INDUSTRY_CODE: ["C4021", None],
            C.BUSINESS_SCOPE: ["光学仪器制造", "Test and measurement"],
            C.WEBSITE: [None, "https://acme.example"], C.SYMBOL: [None, "ACME"],
            C.ISIN: [None, "US0000000001"], C.SOURCE: ["firms.xlsx", "firms.xlsx"],
            C.IS_SYNTHETIC: [False, False],
        }
    )
    store.upsert_firms(full)

    read = store.firms()

    expected = canonical(full, FIRMS, C.FIRM_COLUMNS)
    pd.testing.assert_frame_equal(canonical(read, FIRMS, C.FIRM_COLUMNS), expected)
    assert store.upsert_firms(read)["unchanged"] == 2


def test_firm_ids_by_key_and_the_set_of_ids(store, firm_frame):
    store.upsert_firms(firm_frame())

    found = store.firm_ids_by_key(["keyence|JP", "nobody|XX", "carl zeiss|DE"])

    assert found == {"keyence|JP": "ref-keyence", "carl zeiss|DE": "ref-zeiss"}
    assert store.firm_id_set() == {"ref-zeiss", "ref-keyence", "syn-000001"}
