"""The dashboard's lists through the test client: the ranked firms with the API's filters,
their files (CSV, XLSX, GeoJSON) and who may download them, and the target list."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import openpyxl
import pytest

NODE = "vacuum_pumps"


class Rows(HTMLParser):
    """The ``<tr>`` attributes of each table of a page (by the table's id), and every start
    tag with an id."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.ids: dict[str, dict] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = attrs
        if tag == "table":
            self._open.append(attrs.get("id", ""))
            self.tables.setdefault(self._open[-1], [])
        elif tag == "tr" and self._open and "data-firm" in attrs:
            self.tables[self._open[-1]].append(attrs)

    def handle_endtag(self, tag):
        if tag == "table" and self._open:
            self._open.pop()


@pytest.fixture
def page(visitor, keys, login):
    """``page(role="officer", **query)``: the parsed dashboard for ``role``, and its HTML."""
    logged = {}

    def get(role: str = "officer", status: int = 200, **query):
        if logged.get("role") != role:
            login(keys[role])
            logged["role"] = role
        response = visitor.get("/?" + urlencode(query, doseq=True))
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        html = response.get_data(as_text=True)
        return Rows(html), html

    return get


@pytest.fixture
def api(client, as_role):
    """``api(path, **query)``: the JSON API's answer for a viewer."""

    def get(path: str, **query) -> dict:
        response = client.get(f"/api/v1{path}?" + urlencode(query, doseq=True),
                              headers=as_role("viewer"))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return get


@pytest.fixture
def country(api) -> str:
    """A country with several, but not all, of the link's candidates."""
    items = api(f"/weak-links/{NODE}/recommendations", k=200, page_size=200)["items"]
    counts = Counter(item["country"] for item in items)
    code, count = counts.most_common(1)[0]
    assert 1 < count < len(items)
    return code


def firm_ids(rows: Rows, table: str = "firms") -> list[str]:
    return [row["data-firm"] for row in rows.tables.get(table, [])]


# --- the ranked firms and their filters --------------------------------------------------------
def test_a_country_filter_keeps_that_country_only(page, api, country):
    rows, html = page(node=NODE, country=country)
    listed = rows.tables["firms"]
    assert listed and all(row["data-country"] == country for row in listed)
    asked = api(f"/weak-links/{NODE}/recommendations", country=country, k=20, page_size=20)
    assert firm_ids(rows) == [item["firm_id"] for item in asked["items"]]
    assert f'<strong id="candidates">{asked["candidates"]}</strong>' in html
    assert f'name="country" value="{country}" checked' in html


SIZE_CHIP = re.compile(r'<label class="chip" title="([^"]+)"><input type="checkbox" name="size" '
                       r'value="([^"]+)"( checked)?>([^<]+) <span class="count">(\d+)</span>')


def test_the_size_chips_are_the_standards_four_words_each_choosing_its_classes(page, api):
    _, html = page(node=NODE)
    chips = {name: (value, int(count), band) for band, value, _, name, count
             in SIZE_CHIP.findall(html)}
    assert list(chips) == ["大型", "中型", "小型", "微型"]
    assert chips["大型"][0] == "large,mega" and chips["微型"][0] == "micro,nano"
    assert "亿美元" in chips["大型"][2]  # the band in figures on hover
    counted = {size: api(f"/weak-links/{NODE}/recommendations", size=size, k=500,
                         page_size=1)["pagination"]["total"]
               for size in ("large", "mega")}
    assert chips["大型"][1] == counted["large"] + counted["mega"] and all(counted.values())

    # 大型 chosen, as the form sends it: the firms of both classes, as the API lists them
    rows, html = page(node=NODE, size="large,mega", k=50)
    asked = api(f"/weak-links/{NODE}/recommendations", size="large,mega", k=50, page_size=50)
    assert firm_ids(rows) == [item["firm_id"] for item in asked["items"]]
    assert {row["data-size"] for row in rows.tables["firms"]} == {"large", "mega"}
    checked = [name for _, _, mark, name, _ in SIZE_CHIP.findall(html) if mark]
    assert checked == ["大型"]
    words = re.findall(r'<td title="[^"]*">([^<]*)</td>', html.split('id="firms"')[1])
    assert words and set(words) == {"大型"}


@pytest.mark.parametrize(("node", "query"), [
    (NODE, {"size": ["small", "mid"]}),
    (NODE, {"size": "micro,nano", "k": 10}),
    ("photodetectors", {"country": "us,de", "exclude_contacted": "true"}),
    ("photodetectors", {"exclude_contacted": "true", "k": 50}),
])
def test_the_filters_are_the_apis(page, api, node, query):
    rows, _ = page(node=node, **query)
    api_query = {name: ",".join(v) if isinstance(v, list) else v for name, v in query.items()}
    api_query.setdefault("k", 20)
    asked = api(f"/weak-links/{node}/recommendations", page_size=100, **api_query)
    assert asked["items"] and firm_ids(rows) == [item["firm_id"] for item in asked["items"]]
    if "size" in query:
        wanted = set(",".join(query["size"] if isinstance(query["size"], list)
                              else [query["size"]]).split(","))
        assert {row["data-size"] for row in rows.tables["firms"]} <= wanted
    if "exclude_contacted" in query:
        assert all(not item["contacted"] for item in asked["items"])


def test_filters_are_kept_in_every_link(page, country):
    rows, html = page(node=NODE, country=country, size="large", targets_k=8)
    kept = f"country={country}&size=large"
    for name in ("export-csv", "export-xlsx", "export-geojson"):
        assert rows.ids[name]["href"].endswith(f"?node={NODE}&{kept}")  # not targets_k
    link = f"/?node=lasers&{kept}&targets_k=8#ranked".replace("&", "&amp;")
    assert html.count(f'<a href="{link}"') == 2  # the graph's node and the table's row
    assert 'type="hidden" name="targets_k" value="8"' in html  # the filter form keeps it
    assert f'type="hidden" name="country" value="{country}"' in html  # the portfolio form
    assert rows.ids["clear-filters"]["href"] == f"/?node={NODE}&targets_k=8#ranked"


@pytest.mark.parametrize(("node", "query"), [
    (NODE, {"stage": ["responded", "mou"]}),
    (NODE, {"stage": "responded", "k": 10}),  # no firm of the link got further
    ("photodetectors", {"stage": "none,declined", "k": 50}),
    ("photodetectors", {"stage": ["visited", "mou", "invested"], "size": "small,micro,nano"}),
])
def test_the_stage_filter_is_the_apis(page, api, node, query):
    rows, html = page(node=node, **query)
    api_query = {name: ",".join(v) if isinstance(v, list) else v for name, v in query.items()}
    api_query.setdefault("k", 20)
    asked = api(f"/weak-links/{node}/recommendations", page_size=100, **api_query)
    wanted = set(api_query["stage"].split(","))

    assert asked["items"] and firm_ids(rows) == [item["firm_id"] for item in asked["items"]]
    assert asked["filters"]["stage"] == api_query["stage"].split(",")
    assert {row["data-stage"] for row in rows.tables["firms"]} <= wanted
    assert [row["data-stage"] for row in rows.tables["firms"]] == [
        item["outcome_stage"] for item in asked["items"]]
    assert f'<strong id="candidates">{asked["candidates"]}</strong>' in html
    for stage in wanted:
        assert f'name="stage" value="{stage}" checked' in html


def test_each_stage_box_counts_the_api_s_candidates_at_that_stage(page, api):
    _, html = page(node="photodetectors")
    box = html[html.index('id="stage-filter"'):]
    box = box[:box.index("</fieldset>")]
    shown = dict(re.findall(r'name="stage" value="(\w+)">[^<]*<span class="count">(\d+)<', box))
    assert list(shown) == ["none", "declined", "responded", "visited", "mou", "invested"]
    for stage, count in shown.items():
        asked = api("/weak-links/photodetectors/recommendations", stage=stage)
        assert int(count) == asked["candidates"], stage
    assert sum(map(int, shown.values())) == api(
        "/weak-links/photodetectors/recommendations", include_landed="true")["candidates"]


def test_stage_and_exclude_contacted_together_keep_what_both_keep(page, api):
    rows, html = page(node="photodetectors", stage="none,mou", exclude_contacted="true")
    asked = api("/weak-links/photodetectors/recommendations", stage="none,mou",
                exclude_contacted="true", k=20)
    only_none = api("/weak-links/photodetectors/recommendations", stage="none", k=20)
    assert firm_ids(rows) == [item["firm_id"] for item in asked["items"]] == [
        item["firm_id"] for item in only_none["items"]]
    assert asked["candidates"] == only_none["candidates"]
    assert {row["data-stage"] for row in rows.tables["firms"]} == {"none"}


def test_the_stage_filter_is_kept_in_every_link_and_file(page, visitor):
    rows, html = page(node=NODE, stage=["declined", "responded"], targets_k=8)
    kept = "stage=declined&stage=responded"
    for name in ("export-csv", "export-xlsx", "export-geojson"):
        assert rows.ids[name]["href"].endswith(f"?node={NODE}&{kept}")
    link = f"/?node=lasers&{kept}&targets_k=8#ranked".replace("&", "&amp;")
    assert html.count(f'<a href="{link}"') == 2  # the graph's node and the table's row
    assert 'type="hidden" name="stage" value="responded"' in html  # the portfolio form
    assert rows.ids["clear-filters"]["href"] == f"/?node={NODE}&targets_k=8#ranked"

    listed = firm_ids(rows)
    assert listed
    csv_file = visitor.get(rows.ids["export-csv"]["href"]).get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(csv_file)))
    assert [r[table[0].index("企业编号")] for r in table[1:]] == listed
    xlsx = visitor.get(rows.ids["export-xlsx"]["href"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    table = list(sheet.iter_rows(values_only=True))
    assert [r[table[0].index("企业编号")] for r in table[1:]] == listed
    geojson = json.loads(visitor.get(rows.ids["export-geojson"]["href"]).data)
    mapped = [f["properties"]["firm_id"] for f in geojson["features"]
              if f["properties"]["layer"] == "firms"]
    assert sorted(mapped) == sorted(listed)


def test_a_bad_stage_is_named_and_a_bad_stage_file_refused(page, visitor, error_body):
    rows, html = page(status=422, node=NODE, stage="signed")
    assert "招商进展" in html[html.index('id="query-errors"'):][:300]  # the parameter by name
    assert len(rows.tables["firms"]) == 20
    error_body(visitor.get(f"/export.csv?node={NODE}&stage=signed"), 422, "validation_error")


def test_firm_names_link_to_their_portrait(page):
    """A firm's link names the weak link and the list it was opened from (``back``: this
    page's address, with its filters), for the portrait's breadcrumbs and outcome form."""
    _, html = page(node=NODE, sort="likelihood")
    rows = Rows(html)
    for firm in firm_ids(rows):
        found = re.search(rf'href="(/firms/{re.escape(firm)}\?[^"]+)"', html)
        assert found, firm
        query = parse_qs(urlsplit(unescape(found.group(1))).query)
        assert query["link"] == [NODE]
        back = urlsplit(query["back"][0])
        assert back.path == "/" and back.fragment == "ranked"
        assert parse_qs(back.query)["sort"] == ["likelihood"]


def test_the_list_pages_through_the_candidates(page):
    first, _ = page(node=NODE, k=10)
    second, html = page(node=NODE, k=10, page=2)
    table = html[html.index('<table id="firms"'):]
    ranks = re.findall(r'<tr data-firm="[^"]+"[^>]*>\s*<td>(\d+)</td>', table)
    assert ranks[:10] == [str(rank) for rank in range(11, 21)]
    assert len(firm_ids(second)) == 10 and not set(firm_ids(first)) & set(firm_ids(second))
    assert 'id="pager-prev"' in html and "page=1" in html


def test_a_bad_filter_is_named_and_the_defaults_shown(page):
    rows, html = page(status=422, node=NODE, country="XYZ", targets_k=0)
    assert "query-errors" in rows.ids
    assert "国家/地区" in html[html.index('id="query-errors"'):][:300]  # the parameter by name
    assert len(rows.tables["firms"]) == 20


# --- the files ---------------------------------------------------------------------------------
def test_the_xlsx_file_holds_the_listed_firms(page, visitor, country):
    rows, _ = page(node=NODE, country=country)
    response = visitor.get(rows.ids["export-xlsx"]["href"])
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert f"-{NODE}.xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    table = list(sheet.iter_rows(values_only=True))
    ids = table[0].index("企业编号")
    assert table[0][:2] == ("排名", "企业名称") and ids > len(table[0]) / 2  # the ids last
    assert [r[ids] for r in table[1:]] == firm_ids(rows)


def test_the_csv_file_holds_the_listed_firms(page, visitor):
    rows, _ = page(node=NODE, size="small,mid", k=10)
    response = visitor.get(rows.ids["export-csv"]["href"])
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    ids = table[0].index("企业编号")
    assert table[0][:2] == ["排名", "企业名称"] and ids > len(table[0]) / 2  # the ids last
    assert [r[ids] for r in table[1:]] == firm_ids(rows)


def test_the_geojson_map_holds_the_listed_firms(page, visitor, country):
    rows, _ = page(node=NODE, country=country, k=10)
    response = visitor.get(rows.ids["export-geojson"]["href"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"-{NODE}.geojson" in disposition
    assert response.headers["X-Model-Version"]
    body = json.loads(response.data)
    assert body["type"] == "FeatureCollection"
    firms = [f for f in body["features"] if f["properties"]["layer"] == "firms"]
    assert sorted(f["properties"]["firm_id"] for f in firms) == sorted(firm_ids(rows))
    assert all(f["properties"]["country"] == country for f in firms)
    assert all(f["geometry"]["type"] == "Point" for f in firms)


@pytest.mark.parametrize("path", ["/export.csv", "/export.xlsx", "/export.geojson"])
def test_a_viewer_may_not_download(page, visitor, error_body, path):
    rows, html = page("viewer", node=NODE)
    assert "export-xlsx" not in rows.ids and "no-export" in rows.ids
    assert "无导出权限" in html
    error_body(visitor.get(f"{path}?node={NODE}"), 403, "forbidden")


@pytest.mark.parametrize("path", ["/export.xlsx", "/export.geojson"])
def test_a_file_needs_a_login_and_valid_filters(visitor, keys, login, error_body, path):
    assert visitor.get(f"{path}?node={NODE}").status_code == 302
    login(keys["officer"])
    error_body(visitor.get(f"{path}?node={NODE}&size=huge"), 422, "validation_error")
    error_body(visitor.get(f"{path}?node=nowhere"), 404)


@pytest.mark.parametrize("path", ["/export.csv", "/export.xlsx", "/export.geojson"])
def test_files_count_against_the_key_s_rate_limit(visitor, keys, login, app, error_body,
                                                   monkeypatch, path):
    from service.http.limits import RateLimiter

    login(keys["officer"])
    monkeypatch.setattr(app.extensions["chainscout"], "limiter", RateLimiter(6, burst=2))
    for _ in range(2):  # a bad filter is answered quickly, after the limit is checked
        error_body(visitor.get(f"{path}?node={NODE}&size=huge"), 422, "validation_error")
    limited = visitor.get(f"{path}?node={NODE}")
    error_body(limited, 429, "too_many_requests")
    assert int(limited.headers["Retry-After"]) >= 1


# --- the target list ---------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "share"), [(12, 0.25), (20, 0.1), (6, 1.0)])
def test_the_target_list_keeps_to_the_country_cap(page, api, k, share):
    rows, html = page(targets_k=k, max_country_share=share)
    picks = rows.tables["targets"]
    asked = api("/target-list", k=k, max_country_share=share)
    cap = asked["coverage"]["country_cap"]
    assert [row["data-firm"] for row in picks] == [item["firm_id"] for item in asked["items"]]
    assert max(Counter(row["data-country"] for row in picks).values()) <= cap
    assert f'<strong id="country-cap">{cap}</strong>' in html
    share_shown = f"{asked['coverage']['coverage_share'] * 100:.1f}%"
    assert f'<strong id="coverage-share">{share_shown}</strong>' in html


def test_each_pick_shows_the_links_it_covers_and_its_gain(page, api):
    _, html = page(targets_k=5)
    asked = api("/target-list", k=5)
    section = html[html.index('id="targets"'):]
    for item in asked["items"]:
        row = section[section.index(f'data-firm="{item["firm_id"]}"'):]
        row = row[:row.index("</tr>")]
        for cover in item["covers"]:
            assert f'data-node="{cover["node_id"]}"' in row
            assert f"+{cover['gain']:.3f}" in row
        assert f">{item['marginal_gain']:.3f}<" in row
        found = re.search(rf'href="/firms/{re.escape(item["firm_id"])}\?([^"]+)"', row)
        assert found, item["firm_id"]  # the portrait, with the link and the way back
        query = parse_qs(unescape(found.group(1)))
        assert query["link"] and len(query["link"]) == 1
        back = urlsplit(query["back"][0])
        assert back.path == "/" and back.fragment == "portfolio"
        assert parse_qs(back.query)["targets_k"] == ["5"]
    assert 'id="guarantee"' in html and "1/2" in html


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "覆盖已饱和：选出 {n} 家后，其余候选企业新增的期望覆盖均不足各环节总权重的 0.01%"),
    ("en", "Coverage saturated after {n} picks: no other candidate would add 0.01 %"),
])
def test_a_saturated_target_list_says_why_it_is_short(page, api, lang, said):
    query = {"max_country_share": 1, "top_links": 1}
    rows, html = page(targets_k=200, lang=lang, **query)
    asked = api("/target-list", k=200, **query)
    n = asked["coverage"]["saturated_after"]
    assert n == len(rows.tables["targets"]) < 200
    assert "saturated" in rows.ids and 'id="shortfall"' not in html
    assert said.format(n=n) in html and "K = 200" in html
    assert f'<strong id="picked">{n} / 200</strong>' in html


def test_the_target_list_in_english(page):
    _, html = page(targets_k=4, lang="en")
    assert "Target list" in html and "Expected coverage" in html and "Marginal gain" in html


# --- the order, the three figures and the firms that already invested ----------------------------
@pytest.mark.parametrize("sort", ["value", "likelihood", "impact"])
def test_the_sort_control_orders_the_list_as_the_api(page, api, sort):
    query = {} if sort == "value" else {"sort": sort}
    rows, html = page(node=NODE, **query)
    asked = api(f"/weak-links/{NODE}/recommendations", sort=sort, k=20, page_size=20)
    listed = rows.tables["firms"]
    assert firm_ids(rows) == [item["firm_id"] for item in asked["items"]]
    for row in listed:
        assert float(row["data-value"]) == pytest.approx(
            float(row["data-likelihood"]) * float(row["data-impact"]))
    shown = [float(row[f"data-{sort}"]) for row in listed]
    assert shown == sorted(shown, reverse=True)
    assert f'<option value="{sort}" selected>' in html
    assert rows.ids["firms"]["data-sort"] == sort


def test_the_page_says_what_the_likelihood_means_and_its_base_rate(page, api, app):
    _, html = page(node=NODE)
    rate = app.extensions["chainscout"].snapshots.get().scores.table.base_rate
    assert 0 < rate < 1
    assert (f"签约概率：过去同类接触中达成签约或更进一步的比例；基准 {rate * 100:.0f}%"
            in html)
    _, english = page(node=NODE, lang="en")
    assert "Likelihood: the share of similar past contacts that reached an MoU or better; " \
           f"base rate {rate * 100:.0f}%" in english


def test_firms_that_invested_are_listed_apart_and_come_back_on_request(page, api):
    node = "photodetectors"
    landed = api(f"/weak-links/{node}/recommendations", stage="invested", k=500,
                 page_size=200)
    ids = {item["firm_id"] for item in landed["items"]}
    assert ids  # the store holds firms that invested for this link
    rows, html = page(node=node, k=100)
    assert not ids & set(firm_ids(rows))
    assert 'id="landed"' in html and "已落地" in html
    apart = re.findall(r'<li data-firm="([^"]+)">', html[html.index('id="landed"'):])
    assert set(apart) <= ids and len(apart) == min(len(ids), 10)
    back, html = page(node=node, k=100, include_landed="true")
    listed = {row["data-firm"]: row["data-stage"] for row in back.tables["firms"]}
    assert ids & set(listed) and all(listed[f] == "invested" for f in ids & set(listed))
    assert 'id="landed"' not in html and 'class="tag landed"' in html
