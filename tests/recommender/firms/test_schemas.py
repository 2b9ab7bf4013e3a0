import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.schemas import SCHEMAS, get_schema, validate_table


def _firms(**overrides):
    row = {C.FIRM_ID: "f-1", C.FIRM_KEY: "nm:acme|US", C.NAME: "Acme", C.COUNTRY: "US"}
    row.update(overrides)
    return pd.DataFrame([row])


def _outcomes(rows):
    return pd.DataFrame(rows, columns=[C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE,
                                       C.OUTCOME_STAGE])


def test_valid_firms_get_typed_columns():
    out = validate_table(_firms(**{C.LAT: "22.5", C.IS_LISTED: "是", C.FOUNDED_YEAR: "1999"}),
                         "firms")
    assert out[C.LAT].iloc[0] == 22.5
    assert bool(out[C.IS_LISTED].iloc[0]) is True
    assert out[C.FOUNDED_YEAR].iloc[0] == 1999
    assert set(C.FIRM_COLUMNS) <= set(out.columns)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (C.COUNTRY, "usa", "ISO 3166-1"),
        (C.LAT, "north", "is not a number"),
        (C.LAT, "95", "above the maximum 90"),
        (C.EMPLOYEES, "-3", "below the minimum 0"),
        (C.IS_LISTED, "maybe", "true or false"),
        (C.SIZE_CLASS, "huge", "not one of"),
        (C.CREDIT_CODE, "123", "统一社会信用代码"),
        (C.FOUNDED_YEAR, "1999.5", "whole number"),
        (C.REVENUE, "inf", "finite"),
    ],
)
def test_bad_cell_names_file_row_and_column(column, value, message):
    df = pd.concat([_firms(), _firms(**{C.FIRM_KEY: "nm:b|US", column: value})],
                   ignore_index=True)
    with pytest.raises(ValidationError, match="nothing was loaded") as info:
        validate_table(df, "firms", file="firms.csv")
    (problem,) = info.value.problems
    assert problem["file"] == "firms.csv"
    assert problem["row"] == 3  # header is row 1, the bad row is the second data row
    assert problem["column"] == column
    assert message in problem["message"]
    assert "firms.csv" in info.value.report()


def test_missing_required_column_is_reported():
    with pytest.raises(ValidationError, match="missing required column.*country in x.xlsx") as info:
        validate_table(_firms().drop(columns=[C.COUNTRY]), "firms", file="x.xlsx")
    assert info.value.problems[0]["column"] == C.COUNTRY
    assert "missing" in info.value.problems[0]["message"]


def test_empty_required_cell_is_reported():
    with pytest.raises(ValidationError) as info:
        validate_table(_firms(**{C.NAME: "  "}), "firms")
    assert info.value.problems[0]["column"] == C.NAME
    assert "required" in info.value.problems[0]["message"]


def test_duplicate_keys_are_rejected():
    df = pd.concat([_firms(), _firms(**{C.FIRM_ID: "f-2"})], ignore_index=True)
    with pytest.raises(ValidationError, match="firms: 1 problem") as info:
        validate_table(df, "firms")
    assert info.value.problems[0]["row"] == 3


def test_every_problem_of_a_file_is_counted_and_sorted_by_row():
    df = _outcomes([["a", "lasers", "c1", "2024-01-02", 9],
                    ["b", "nowhere", "c1", "not a date", 1],
                    ["c", "lasers", "c1", "2024-01-03", 2]])
    with pytest.raises(ValidationError, match="3 problems") as info:
        validate_table(df, "outcomes", file="o.csv", known_nodes={"lasers"})
    rows = [p["row"] for p in info.value.problems]
    assert rows == sorted(rows) == [2, 3, 3]
    assert {p["column"] for p in info.value.problems} == {C.OUTCOME_STAGE, C.DATE, C.NODE_ID}


def test_outcome_dates_become_dates_and_stages_integers():
    out = validate_table(_outcomes([["a", "lasers", "c1", "2024-01-02", "4"]]), "outcomes")
    assert str(out[C.DATE].iloc[0]) == "2024-01-02"
    assert out[C.OUTCOME_STAGE].iloc[0] == 4


def test_lists_are_split_on_chinese_and_latin_separators():
    parks = pd.DataFrame([{C.PARK_ID: "p", C.PARK_NAME_ZH: "园", C.PARK_NAME_EN: "Park",
                           C.LAT: 22.5, C.LON: 113.9, C.FOCUS_NODES: "lasers；optical_glass, x"}])
    out = validate_table(parks, "parks")
    assert out[C.FOCUS_NODES].iloc[0] == ["lasers", "optical_glass", "x"]
    assert out[C.TENANTS].iloc[0] == []


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_rejects_an_empty_frame_missing_its_required_columns(name):
    schema = get_schema(name)
    required = [c.name for c in schema.columns if c.required]
    with pytest.raises(ValidationError, match="missing required column") as info:
        validate_table(pd.DataFrame({"unrelated": [1]}), schema)
    assert info.value.problems[0]["column"] == ", ".join(required)


def test_unknown_schema_name():
    with pytest.raises(InvalidArgument, match="known: firms"):
        get_schema("nope")
