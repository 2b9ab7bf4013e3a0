"""An officer's file: rows completed beside the ranking, and the workbook's layout.

The fixture is two firms ranked for one link, written out by hand: Zeiss (a Chinese name, a
listing, two outcomes, two parks that admit it) and a synthetic firm with a credit code and
nothing else known.
"""

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from recommender.targeting.export_columns import (
    RECOMMENDATION_EXPORT_COLUMNS,
    TARGET_EXPORT_COLUMNS,
)
from recommender.targeting.export_rows import best_parks, last_contacts, officer_rows
from recommender.targeting.exports import About, to_csv_bytes, to_xlsx_bytes

LINKS = {"lasers": ("激光器", "Lasers"), "optics": ("光学元件", "Optics")}


@pytest.fixture
def ranked():
    return pd.DataFrame({
        "rank": [1, 2], "firm_id": ["zeiss", "syn-1"], "name": ["Carl Zeiss", "Acme Optics"],
        "name_zh": ["蔡司", None], "country": ["DE", "TW"], "city": ["Jena", "Hsinchu"],
        "size_class": ["mega", "nano"], "node_id": ["lasers", "lasers"],
        "likelihood": [0.123456, 0.05], "impact": [0.5, 0.25], "value": [0.061728, 0.0125],
        "base_rate": [0.0731, 0.0731], "score": [8.076516536859609, 1.5],
        "outcome_stage": ["mou", "none"], "reason_zh": ["可补齐薄弱环节：激光器", "规模较小"],
        "reason_en": ["fills weak link Lasers", "small"], "is_synthetic": [False, True],
        "marginal_gain": [0.075, 0.0], "coverage_share": [0.52, 0.52],
        "covers": [[{"node_id": "lasers", "p": 0.06, "gain": 0.075},
                    {"node_id": "optics", "p": 0.01, "gain": 0.01}], []],
    })


@pytest.fixture
def firms():
    return pd.DataFrame({"firm_id": ["zeiss", "syn-1"], "website": ["zeiss.com", " "],
                         "credit_code": [None, "91440101MA5CXXXX1X"], "symbol": ["AFX", None],
                         "isin": ["DE0005313704", None]})


@pytest.fixture
def outcomes():
    # zeiss: a MoU in March, then a reply on another link in May -> May, responded
    return pd.DataFrame({"firm_id": ["zeiss", "zeiss", "other"],
                         "node_id": ["lasers", "optics", "lasers"],
                         "date": ["2024-03-01", "2024-05-02", "2024-06-01"],
                         "stage": [3, 1, 0]})


@pytest.fixture
def parks():
    matches = pd.DataFrame({"park_id": ["p1", "p2"], "firm_id": ["zeiss", "zeiss"],
                            "score": [0.41, 0.66]})
    names = pd.DataFrame({"park_id": ["p1", "p2"], "name_zh": ["西湾园区", "翠亨新区"],
                          "name_en": ["Xiwan Park", "Cuiheng New Area"]})
    return best_parks(matches, names)


def plain(column: pd.Series) -> list:
    """A column's values, missing ones as None."""
    return [None if not isinstance(v, list) and pd.isna(v) else v for v in column]


@pytest.mark.parametrize(("lang", "names", "others", "park", "links"), [
    ("zh", ["蔡司", "Acme Optics"], ["Carl Zeiss", None], "翠亨新区", ["激光器", "光学元件"]),
    ("en", ["Carl Zeiss", "Acme Optics"], ["蔡司", None], "Cuiheng New Area",
     ["Lasers", "Optics"]),
])
def test_officer_rows_add_what_an_officer_needs(ranked, firms, outcomes, parks, lang, names,
                                                others, park, links):
    rows = officer_rows(ranked, lang=lang, firms=firms, outcomes=outcomes, parks=parks,
                        links=LINKS)
    assert plain(rows["name"]) == names
    assert plain(rows["other_name"]) == others
    assert plain(rows["node_name"]) == [links[0]] * 2
    assert plain(rows["website"]) == ["zeiss.com", None]
    assert plain(rows["registration"]) == ["AFX", "91440101MA5CXXXX1X"]
    assert plain(rows["last_contact"]) == [dt.date(2024, 5, 2), None]
    assert plain(rows["last_contact_stage"]) == ["responded", None]
    assert plain(rows["best_park"]) == [park, None]
    assert rows["best_park_score"].iloc[0] == 0.66 and pd.isna(rows["best_park_score"].iloc[1])
    assert plain(rows["covers"]) == [links, []]
    assert plain(rows["data_kind"]) == [False, True]


def test_last_contacts_take_the_latest_day_and_its_best_stage():
    outcomes = pd.DataFrame({"firm_id": ["a", "a", "a"], "node_id": ["n", "m", "n"],
                             "date": ["2024-05-02", "2024-05-02", "2023-01-01"],
                             "stage": [0, 2, 4]})
    assert last_contacts(outcomes).values.tolist() == [["a", dt.date(2024, 5, 2), "visited"]]
    assert last_contacts(None).empty


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_workbook_is_laid_out_for_excel(ranked, firms, outcomes, parks, lang):
    rows = officer_rows(ranked, lang=lang, firms=firms, outcomes=outcomes, parks=parks,
                        links=LINKS)
    about = About(title="名单" if lang == "zh" else "List", data_version=7,
                  as_of=dt.date(2026, 7, 1), model_version="prior-1", base_rate=0.0731,
                  notes=("coverage saturated after 1 pick",))
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(
        rows, TARGET_EXPORT_COLUMNS, lang=lang, about=about)))
    sheet, columns = book.worksheets
    values = list(sheet.iter_rows(values_only=True))
    head = values[0]
    first, second = (dict(zip(head, row, strict=True)) for row in values[1:])

    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref == "A1:Z3"
    assert len(head) == 26 and all(c.font.bold for c in sheet[1])
    widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
    assert all(8 <= w <= 60 for w in widths)
    zh = lang == "zh"
    likelihood = "签约概率" if zh else "Likelihood"
    assert first[likelihood] == 0.123 and sheet[2][head.index(likelihood)].number_format == "0.0%"
    assert first["得分" if zh else "Score"] == 8.08
    value = "期望价值（签约概率×补链作用）" if zh else "Expected value (likelihood × impact)"
    assert first[value] == 0.062
    assert first["规模" if zh else "Size"] == ("大型" if zh else "large")
    assert second["规模" if zh else "Size"] == ("微型" if zh else "micro")
    assert first["国家/地区" if zh else "Country/region"] == ("德国" if zh else "Germany")
    assert second["国家/地区" if zh else "Country/region"] == ("中国台湾" if zh
                                                               else "Taiwan, China")
    assert second["城市" if zh else "City"] == ("新竹" if zh else "Hsinchu")
    assert first["招商进展" if zh else "Recruitment stage"] == ("签署合作备忘录" if zh
                                                                else "MoU signed")
    contact = sheet[2][head.index("最近接触日期" if zh else "Last contact")]
    assert contact.value == dt.datetime(2024, 5, 2) and contact.number_format == "yyyy-mm-dd"
    assert first["覆盖的薄弱环节" if zh else "Weak links covered"] == (
        "激光器、光学元件" if zh else "Lasers, Optics")
    assert second["数据性质" if zh else "Data"] == ("合成数据" if zh else "synthetic")
    described = list(columns.iter_rows(values_only=True))
    assert [r[0] for r in described[1:27]] == list(head) and all(r[1] for r in described[1:27])
    facts = {r[0]: r[1] for r in described[27:] if r and r[0]}
    assert facts["数据版本" if zh else "Data version"] == 7
    assert facts["模型版本" if zh else "Model version"] == "prior-1"
    assert facts["数据来源" if zh else "Rows"] == (
        "真实数据 1 行，合成数据 1 行" if zh else "1 rows of real data, 1 rows of synthetic data")
    assert facts["备注" if zh else "Note"] == "coverage saturated after 1 pick"


def test_a_csv_writes_percentages_and_the_model_version(ranked):
    rows = officer_rows(ranked, lang="en", links=LINKS)
    data = to_csv_bytes(rows, RECOMMENDATION_EXPORT_COLUMNS, lang="en",
                        about=About(title="List", model_version="prior-1"))
    assert data.startswith(b"\xef\xbb\xbf")
    first = next(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert first["Likelihood"] == "12.3%" and first["Base rate"] == "7.3%"
    assert first["Score"] == "8.08" and first["Model version"] == "prior-1"
