"""CSV and XLSX exports: headers in Chinese or English, formula escaping, readable lists."""

import io

import openpyxl
import pandas as pd
import pytest

from recommender.targeting.exports import (
    RECOMMENDATION_EXPORT_COLUMNS,
    escape_cell,
    export_frame,
    header,
    to_csv_bytes,
    to_xlsx_bytes,
    write_table,
)

REASONS = [{"feature": "weak_link_fit", "contribution": 1.0, "zh": "可补齐薄弱环节：真空泵",
            "en": "fills weak link 真空泵 / Vacuum pumps"},
           {"feature": "in_china", "contribution": 0.3, "zh": "已在中国开展业务",
            "en": "already sells in China"}]


@pytest.fixture
def rows():
    return pd.DataFrame({
        "rank": [1, 2, 3],
        "name": ['=HYPERLINK("http://evil.example","x")', "蔡司 Zeiss", "@SUM(A1:A9)"],
        "country": ["DE", "CN", None],
        "score": [-0.5, 1.25, float("nan")],
        "reasons": [REASONS, [], None],
        "covers": [[{"node_id": "lasers", "p": 0.5, "gain": 0.125}], [], None],
        "is_synthetic": [True, False, True],
        "unlisted_column": ["+1", "-2", "\tthree"],
    })


@pytest.mark.parametrize(("value", "escaped"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Zeiss", "Zeiss"), ("a=b", "a=b"), ("", ""), (-1.5, -1.5), (3, 3),
    (None, None),
])
def test_escape_cell(value, escaped):
    assert escape_cell(value) == escaped


def test_headers_in_both_languages():
    assert [header(c) for c in ("name", "country", "city", "node_name", "score", "p_success",
                                "reason", "source")] == [
        "企业名称", "国家/地区", "城市", "薄弱环节", "得分", "成功概率", "推荐理由", "数据来源"]
    assert header("name", "en") == "Firm name" and header("no_such_column") == "no_such_column"
    with pytest.raises(ValueError, match="lang"):
        header("name", "fr")


def test_cells_are_readable_and_escaped(rows):
    cells = export_frame(rows, lang="zh")
    assert list(cells.columns[:4]) == ["排名", "企业名称", "国家/地区", "得分"]
    assert cells["企业名称"].tolist() == ["'=HYPERLINK(\"http://evil.example\",\"x\")",
                                         "蔡司 Zeiss", "'@SUM(A1:A9)"]
    assert cells["推荐理由"].tolist() == ["可补齐薄弱环节：真空泵；已在中国开展业务", "", None]
    assert cells["覆盖的薄弱环节"].tolist() == ["lasers", "", None]
    assert cells["合成数据"].tolist() == ["是", "否", "是"]
    assert cells["unlisted_column"].tolist() == ["'+1", "'-2", "'\tthree"]
    assert cells["得分"].tolist()[:2] == [-0.5, 1.25]
    english = export_frame(rows, ["name", "reasons"], lang="en")
    assert english["Reasons"][0] == ("fills weak link 真空泵 / Vacuum pumps; "
                                     "already sells in China")


def test_csv_is_utf8_with_a_bom_and_never_starts_a_formula(rows):
    data = to_csv_bytes(rows, ["rank", "name", "score"], lang="zh")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["排名,企业名称,得分",
                     '1,"\'=HYPERLINK(""http://evil.example"",""x"")",-0.50',
                     "2,蔡司 Zeiss,1.25", "3,'@SUM(A1:A9),"]


def test_xlsx_holds_text_never_a_formula(rows):
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(rows, lang="en")))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("Rank", "Firm name", "Country/region", "Score")
    assert values[1][1] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert values[1][3] == -0.5 and values[3][3] is None
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["A1"].font.bold and sheet.title == "Ranking"


def test_the_recommendation_columns_have_headers():
    assert all(header(c) != c for c in RECOMMENDATION_EXPORT_COLUMNS)


def test_write_table_picks_the_format_by_suffix(rows, tmp_path):
    write_table(rows, tmp_path / "list.csv", ["name"])
    write_table(rows, tmp_path / "list.xlsx", ["name"], lang="en")
    assert (tmp_path / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert openpyxl.load_workbook(tmp_path / "list.xlsx").active["A1"].value == "Firm name"
    with pytest.raises(ValueError, match="csv or .xlsx"):
        write_table(rows, tmp_path / "list.pdf")


@pytest.mark.parametrize(("lang", "header", "labels"), [
    ("zh", "招商进展", ["未接触", "签署合作备忘录", None]),
    ("en", "Recruitment stage", ["not contacted", "MoU signed", None]),
])
def test_a_recruitment_stage_is_written_as_people_read_it(lang, header, labels):
    frame = pd.DataFrame({"outcome_stage": ["none", "mou", None]})
    cells = export_frame(frame, ["outcome_stage"], lang=lang)
    assert list(cells.columns) == [header]
    assert cells[header].tolist() == labels
