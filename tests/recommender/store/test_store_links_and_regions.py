import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError


def links(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=C.FIRM_NODE_COLUMNS)


@pytest.fixture
def stored(store, firm_frame):
    store.upsert_firms(firm_frame())
    store.replace_firm_nodes(
        links(
            [
                ("ref-zeiss", "optical_elements", 0.9, "optics", "keyword"),
                ("ref-zeiss", "metrology", 0.6, "CMM", "keyword"),
                ("ref-zeiss", "optical_elements", 1.0, None, "reference"),
                ("ref-keyence", "sensors", 0.8, "sensor", "keyword"),
            ]
        )
    )
    return store


def test_replace_firm_nodes_touches_only_the_firms_in_the_frame(stored):
    counts = stored.replace_firm_nodes(
        links(
            [
                ("ref-zeiss", "optical_elements", 0.95, "optics", "keyword"),
                ("ref-zeiss", "lasers", 0.5, "laser", "keyword"),
                ("ref-zeiss", "optical_elements", 1.0, None, "reference"),
            ]
        )
    )

    assert counts == {"inserted": 1, "updated": 1, "deleted": 1, "unchanged": 1}
    read = stored.firm_nodes(firm_ids=["ref-zeiss"])
    assert read[C.NODE_ID].tolist() == ["lasers", "optical_elements", "optical_elements"]
    assert stored.firm_nodes(node_ids=["sensors"])[C.FIRM_ID].tolist() == ["ref-keyence"]


def test_replace_firm_nodes_for_one_method_keeps_the_others(stored):
    frame = pd.DataFrame({C.FIRM_ID: ["ref-zeiss"], C.NODE_ID: ["lasers"], C.CONFIDENCE: [0.4]})

    counts = stored.replace_firm_nodes(frame, method="keyword")

    assert counts == {"inserted": 1, "updated": 0, "deleted": 2, "unchanged": 0}
    read = stored.firm_nodes(firm_ids=["ref-zeiss"])
    assert list(zip(read[C.NODE_ID], read[C.METHOD], strict=True)) == [
        ("lasers", "keyword"), ("optical_elements", "reference")
    ]


def test_replacing_with_the_same_links_changes_nothing(stored):
    version = stored.data_version()
    same = stored.firm_nodes()

    counts = stored.replace_firm_nodes(same)

    assert counts == {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 4}
    assert stored.data_version() == version


def test_firm_ids_let_a_firm_lose_all_its_links(stored):
    counts = stored.replace_firm_nodes(links([]), firm_ids=["ref-keyence"])

    assert counts["deleted"] == 1
    assert stored.firm_nodes(firm_ids=["ref-keyence"]).empty


def test_a_link_to_an_unknown_firm_is_a_data_error(stored):
    with pytest.raises(DataError, match="cannot store firm nodes: a firm-node link names a firm"):
        stored.replace_firm_nodes(links([("ref-nobody", "lasers", 0.5, None, "keyword")]))


def test_a_method_argument_conflicting_with_the_frame_is_rejected(stored):
    frame = links([("ref-zeiss", "lasers", 0.5, None, "classifier")])
    with pytest.raises(DataError, match="method other than 'keyword'"):
        stored.replace_firm_nodes(frame, method="keyword")


@pytest.mark.parametrize(
    ("name", "rows", "changed"),
    [
        (
            "region_imports",
            {C.HS_CODE: ["901380", "841410"], C.ORIGIN: ["JP", "DE"], C.YEAR: [2023, 2023],
             C.VALUE_USD: [1.5e8, 7.0e7], C.IS_ILLUSTRATIVE: [True, True]},
            {C.VALUE_USD: [1.6e8, 7.0e7]},
        ),
        (
            "export_controls",
            {C.ORIGIN: ["US", "NL"], C.NODE_ID: ["lithography", "lithography"],
             C.CONTROL: [0.9, 0.8], C.NOTE: ["EAR", None], C.IS_ILLUSTRATIVE: [True, True]},
            {C.CONTROL: [0.95, 0.8]},
        ),
        (
            "leader_needs",
            {C.LEADER_FIRM_ID: ["f-mindray", "f-mindray"], C.NODE_ID: ["sensors", "lasers"],
             C.NEED: [5, 3], C.IS_ILLUSTRATIVE: [True, True]},
            {C.NEED: [4, 3]},
        ),
    ],
)
def test_region_tables_replace_one_region_at_a_time(store, name, rows, changed):
    frame = pd.DataFrame(rows)
    store.replace_region_table(name, "guangdong", frame)
    store.replace_region_table(name, "zhejiang", frame.iloc[[0]])

    counts = store.replace_region_table(name, "guangdong", frame.assign(**changed).iloc[[0]])

    assert counts == {"inserted": 0, "updated": 1, "deleted": 1, "unchanged": 0}
    guangdong = store.region_table(name, "guangdong")
    assert len(guangdong) == 1 and set(guangdong[C.REGION_ID]) == {"guangdong"}
    column = next(iter(changed))
    assert guangdong[column].iloc[0] == changed[column][0]
    assert len(store.region_table(name, "zhejiang")) == 1
    assert store.region_table(name, "zhejiang")[column].iloc[0] == rows[column][0]


def test_an_unknown_region_table_is_not_found(store):
    with pytest.raises(NotFoundError, match="no region table 'tariffs'"):
        store.region_table("tariffs", "guangdong")


def test_rows_of_another_region_are_rejected(store):
    frame = pd.DataFrame({C.REGION_ID: ["zhejiang"], C.ORIGIN: ["US"], C.NODE_ID: ["lasers"]})
    with pytest.raises(DataError, match="region_id other than 'guangdong'"):
        store.replace_region_table("export_controls", "guangdong", frame)


def test_imports_is_another_name_for_region_imports(store):
    frame = pd.DataFrame(
        {C.HS_CODE: ["901380"], C.ORIGIN: ["JP"], C.YEAR: [2023], C.VALUE_USD: [1.5e8]}
    )
    store.replace_region_table("imports", "guangdong", frame)

    assert store.region_table("region_imports", "guangdong")[C.VALUE_USD].tolist() == [1.5e8]
    assert len(store.region_table("imports", "guangdong")) == 1
