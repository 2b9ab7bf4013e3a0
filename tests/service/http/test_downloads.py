"""Files for Excel: the ranked lists and the target list as an officer opens them.

Each file is opened as Excel would read it (openpyxl for XLSX, the BOM and text for CSV) and
checked against the snapshot it was computed from: the layout (widths, frozen header,
auto-filter, the column sheet), the values as people read them (percentages, words, names in
the file's language) and what the officer needs beside the ranking.
"""

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest

from recommender import columns as C
from recommender.firms.city_names import city_name
from recommender.firms.countries import display_name
from recommender.outcome_stages import STAGE_LABELS

NODE = "vacuum_pumps"  # a recruitable weak link of the demo world
URL = f"/api/v1/weak-links/{NODE}/recommendations"
SIZE_WORDS = {"zh": {"大型", "中型", "小型", "微型"},
              "en": {"large", "medium", "small", "micro"}}
WORDS = {  # header -> what it is called in each language
    "rank": ("排名", "Rank"), "name": ("企业名称", "Firm name"),
    "other": ("英文名称", "Chinese name"), "country": ("国家/地区", "Country/region"),
    "size": ("规模", "Size"), "value": ("期望价值（签约概率×补链作用）",
                                       "Expected value (likelihood × impact)"),
    "likelihood": ("签约概率", "Likelihood"), "impact": ("补链作用（0–1）", "Impact (0–1)"),
    "base": ("基准签约率", "Base rate"), "link": ("薄弱环节", "Weak link"),
    "park": ("最佳匹配园区", "Best-matching park"), "kind": ("数据性质", "Data"),
    "contact": ("最近接触日期", "Last contact"), "firm_id": ("企业编号", "Firm ID"),
    "covers": ("覆盖的薄弱环节", "Weak links covered"), "reasons": ("推荐理由", "Reasons"),
    "stage": ("招商进展", "Recruitment stage"),
}


def word(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


@pytest.fixture
def download(client, as_role, active_version):
    def call(path: str, role: str = "officer"):
        response = client.get(path, headers=as_role(role))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return call


@pytest.fixture
def snapshot(app, active_version):
    return app.extensions["chainscout"].snapshots.get()


def table(sheet) -> list[dict]:
    """The first sheet's rows as dicts by header."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_xlsx_export_is_laid_out_for_excel(download, snapshot, lang):
    response = download(f"{URL}?k=12&format=xlsx&lang={lang}")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet, about = book.worksheets
    rows = table(sheet)
    heads = [c.value for c in sheet[1]]

    assert len(rows) == 12 and [r[word("rank", lang)] for r in rows] == list(range(1, 13))
    assert sheet.freeze_panes == "C2"  # the header row, and the rank and name beside it
    assert heads[1] == word("name", lang)
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(heads)).column_letter}13"
    assert all(c.font.bold for c in sheet[1])
    widths = {sheet.cell(1, i + 1).value: sheet.column_dimensions[
        sheet.cell(1, i + 1).column_letter].width for i in range(len(heads))}
    assert all(8 <= w <= 60 for w in widths.values())
    assert widths[word("reasons", lang)] > widths[word("rank", lang)]
    # numbers in their format: likelihood and base rate as percentages, rounded as shown
    column = {h: i for i, h in enumerate(heads)}
    second = sheet[2]
    assert second[column[word("likelihood", lang)]].number_format == "0.0%"
    assert second[column[word("base", lang)]].number_format == "0.0%"
    assert second[column[word("value", lang)]].number_format == "0.000"
    for row in rows:
        likelihood, impact = row[word("likelihood", lang)], row[word("impact", lang)]
        assert 0 < likelihood < 1 and round(likelihood, 3) == likelihood
        # each figure is rounded as shown (likelihood and value to 3 places, impact to 2), so
        # the product of the shown figures is off by at most their rounding
        off = 0.005 * likelihood + 0.0005 * impact + 0.0005
        assert row[word("value", lang)] == pytest.approx(likelihood * impact, abs=off + 1e-9)
        assert row[word("size", lang)] in SIZE_WORDS[lang] | {None}
    # names, words and provenance in the file's language
    items = snapshot.scores.items(snapshot.scores.table.ranked(NODE)[:12])
    synthetic = [i["provenance"][C.IS_SYNTHETIC] for i in items]
    kinds = ("合成数据", "真实数据") if lang == "zh" else ("synthetic", "real")
    assert [r[word("kind", lang)] for r in rows] == [kinds[0 if s else 1] for s in synthetic]
    expected = [i[C.NAME_ZH] or i[C.NAME] if lang == "zh" else i[C.NAME] for i in items]
    assert [r[word("name", lang)] for r in rows] == expected
    assert [r[word("country", lang)] for r in rows] == [
        display_name(i[C.COUNTRY], lang) for i in items]
    assert [r["城市" if lang == "zh" else "City"] for r in rows] == [
        city_name(i[C.CITY], i[C.COUNTRY], lang) or None for i in items]
    link = snapshot.weak_links.set_index(C.NODE_ID).at[NODE, C.NAME_ZH if lang == "zh"
                                                       else C.NAME_EN]
    assert {r[word("link", lang)] for r in rows} == {link}
    # the second sheet: every column described, then the data's provenance and versions
    notes = list(about.iter_rows(values_only=True))
    described = {r[0]: r[1] for r in notes[1:len(heads) + 1]}
    assert list(described) == heads and all(described.values())
    facts = {r[0]: r[1] for r in notes[len(heads) + 1:] if r and r[0]}
    if lang == "zh":
        assert about.title == "列说明"
        assert facts["数据版本"] == snapshot.data_version
        assert facts["模型版本"] == response.headers["X-Model-Version"]
        assert facts["数据来源"] == (f"真实数据 {synthetic.count(False)} 行，"
                                 f"合成数据 {synthetic.count(True)} 行")
        assert facts["名单"] == f"推荐名单：{link}"
    else:
        assert about.title == "Columns" and facts["Data version"] == snapshot.data_version
        assert facts["Rows"] == (f"{synthetic.count(False)} rows of real data, "
                                 f"{synthetic.count(True)} rows of synthetic data")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_csv_export_has_a_bom_and_percentages_as_percentages(download, lang):
    response = download(f"{URL}?k=6&format=csv&lang={lang}")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))

    assert len(rows) == 6
    for row in rows:
        assert re.fullmatch(r"\d{1,3}\.\d%", row[word("likelihood", lang)])
        assert re.fullmatch(r"\d{1,3}\.\d%", row[word("base", lang)])
        assert re.fullmatch(r"0\.\d{3}", row[word("value", lang)])
        assert row[word("size", lang)] in SIZE_WORDS[lang] | {""}
        assert not re.fullmatch(r"[A-Z]{2}", row[word("country", lang)])
        assert row[word("stage", lang)] in {p[0 if lang == "zh" else 1]
                                            for p in STAGE_LABELS.values()}
    assert rows[0]["模型版本" if lang == "zh" else "Model version"] == \
        response.headers["X-Model-Version"]


def test_a_target_list_names_the_links_a_firm_covers(download, snapshot):
    book = openpyxl.load_workbook(io.BytesIO(download("/api/v1/target-list?k=5&format=xlsx")
                                             .data))
    assert book.sheetnames == ["招商目标清单", "列说明"]
    rows = table(book.worksheets[0])
    names = set(snapshot.data.chain.nodes[C.NAME_ZH])
    covered = [name for r in rows for name in (r[word("covers", "zh")] or "").split("、")
               if name]
    assert covered and set(covered) <= names
    assert not any(re.search(r"[a-z]+_[a-z]+|\(0\.\d+\)", r[word("covers", "zh")] or "")
                   for r in rows)


def test_each_firm_has_its_best_park_and_last_contact(download, snapshot, app):
    rows = table(openpyxl.load_workbook(io.BytesIO(download(
        f"{URL}?k=40&format=xlsx&lang=en&include_landed=true").data)).worksheets[0])
    parks = app.extensions["chainscout"].store.parks()
    assert {r[word("park", "en")] for r in rows} - {None} <= set(parks[C.NAME_EN])
    assert any(r[word("park", "en")] for r in rows)
    outcomes = snapshot.data.outcomes
    latest = pd.to_datetime(outcomes[C.DATE]).groupby(outcomes[C.FIRM_ID].astype(str)).max()
    contacted = [r for r in rows if r[word("firm_id", "en")] in latest.index]
    for row in rows:
        day = latest.get(row[word("firm_id", "en")])
        shown = row[word("contact", "en")]
        assert (shown is None) if day is None else (shown.date() == day.date())
    assert contacted  # the demo world records outcomes for some of these firms


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_park_matches_download_with_each_part_of_the_score(download, app, lang):
    park = app.extensions["chainscout"].store.parks().iloc[0]
    response = download(f"/api/v1/parks/{park[C.PARK_ID]}/matches?k=8&format=xlsx&lang={lang}")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet, about = book.worksheets
    rows = table(sheet)
    zh = lang == "zh"

    assert sheet.title == ("园区匹配" if zh else "Park matches") and len(rows) == 8
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.endswith("9")
    parts = (("产业协同", "主导产业契合", "承载能力", "区位邻近") if zh
             else ("Synergy", "Focus fit", "Capacity fit", "Proximity"))
    score = "匹配度（0–1）" if zh else "Match (0–1)"
    for row in rows:
        assert 0 <= row[score] <= 1 and all(0 <= row[p] <= 1 for p in parts)
        kinds = ("合成数据", "真实数据") if zh else ("synthetic", "real")
        assert row[word("kind", lang)] in kinds
    assert [r[score] for r in rows] == sorted((r[score] for r in rows), reverse=True)
    described = {r[0]: r[1] for r in about.iter_rows(values_only=True) if r and r[0]}
    assert all(described.get(p) for p in parts)
    name = park[C.NAME_ZH] if zh else park[C.NAME_EN]
    assert described["名单" if zh else "List"].endswith(name)


def test_a_viewer_does_not_download_park_matches(client, as_role, error_body, active_version):
    # a park manager downloads its own park's (tests/service/test_park_match_files.py)
    url = "/api/v1/parks/dg_songshan_lake/matches"
    assert client.get(url, headers=as_role("viewer")).status_code == 200
    response = client.get(f"{url}?format=csv", headers=as_role("viewer"))
    assert error_body(response, 403, "forbidden")["details"]["permission"] == "export"


def test_no_personal_data_reaches_a_ranked_file(download):
    from recommender.pipeline.project_files import PROJECT_HEADERS
    from recommender.pipeline.projects import PERSONAL_COLUMNS

    personal = {h for c in PERSONAL_COLUMNS for h in PROJECT_HEADERS.get(c, ())}
    for url in (f"{URL}?k=5&format=xlsx", "/api/v1/target-list?k=5&format=xlsx&lang=en"):
        sheet = openpyxl.load_workbook(io.BytesIO(download(url).data)).worksheets[0]
        assert personal and not personal & {c.value for c in sheet[1]}


def test_a_saturated_target_list_says_so_in_its_column_sheet(download):
    answer = download("/api/v1/target-list?k=300").get_json()
    assert answer["coverage"]["saturated"]  # the small demo world saturates well before 300
    picked = len(answer["items"])
    for lang, note in (("en", answer["coverage"]["note"]),
                       ("zh", f"入选 {picked} 家后覆盖已饱和")):
        book = openpyxl.load_workbook(io.BytesIO(download(
            f"/api/v1/target-list?k=300&format=xlsx&lang={lang}").data))
        facts = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True)
                 if r and r[0]}
        assert facts["Note" if lang == "en" else "备注"].startswith(note)
        assert book.worksheets[0].max_row == picked + 1
