"""Weak links, recommendations and the target list through the test client on the demo store.

The session app serves the good ranker (``active_version``); answers are checked against the
library's own functions over the same data and model.
"""

import csv
import io

import openpyxl
import pytest

from recommender import columns as C
from recommender.targeting.recommend import recommend, target_list
from service.api.targets import TargetListSchema
from service.api.weak_links import RecommendationPageSchema, WeakLinkListSchema

NODE = "vacuum_pumps"  # a recruitable weak link of the demo world
DOWNSTREAM = "healthcare"  # a downstream node: an application sector, not recruited for


@pytest.fixture
def get(client, as_role, active_version):
    def call(path: str, role: str = "viewer"):
        response = client.get(path, headers=as_role(role))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return call


@pytest.fixture
def served(app, active_version):
    """The snapshot serving now, and the library's inputs it was built from."""
    return app.extensions["chainscout"].snapshots.get()


def conforms(schema, body) -> None:
    """The body is what the operation's declared schema says."""
    assert schema().validate(body) == {}


# --- weak links -----------------------------------------------------------------------------
def test_weak_links_list_every_node_with_its_parts_and_why(get):
    body = get("/api/v1/weak-links").get_json()

    conforms(WeakLinkListSchema, body)
    assert body["chain"] == "precision_instruments" and body["nodes"] == 82
    assert len(body["items"]) == 82 and body["restrict"] == []
    first = body["items"][0]
    for part in C.WEAK_LINK_COMPONENTS:
        assert 0.0 <= first[part] <= 1.0
    assert {"has_imports", "has_leader_needs", "has_export_controls", "has_local_firms",
            "missing_inputs", "can_recruit"} <= set(first)
    assert first["explanation"]["zh"].endswith("。") and first["explanation"]["en"]
    scores = [n["weak_link_score"] for n in body["items"]]
    assert scores == sorted(scores, reverse=True)
    downstream = [n for n in body["items"] if not n["can_recruit"]]
    assert downstream and all(n["rank"] is None for n in downstream)


def test_top_keeps_the_weakest_recruitable_nodes(get):
    body = get("/api/v1/weak-links?top=5").get_json()
    assert [n["rank"] for n in body["items"]] == [1, 2, 3, 4, 5]
    assert all(n["can_recruit"] for n in body["items"])


def test_restricting_origins_raises_export_control_exposure(get):
    base = {n["node_id"]: n for n in get("/api/v1/weak-links").get_json()["items"]}
    body = get("/api/v1/weak-links?restrict=US,Netherlands&chain=precision_instruments")
    what_if = body.get_json()

    assert what_if["restrict"] == ["US", "NL"]
    raised = [n for n in what_if["items"]
              if n["export_control_exposure"] > base[n["node_id"]]["export_control_exposure"]]
    assert raised
    assert all(n["export_control_exposure"] >= base[n["node_id"]]["export_control_exposure"]
               for n in what_if["items"])


@pytest.mark.parametrize(("query", "status", "code"), [
    ("chain=other_chain", 404, "not_found"),
    ("restrict=Atlantis", 422, "validation_error"),
    ("top=0", 422, "validation_error"),
])
def test_weak_link_errors(client, as_role, error_body, query, status, code):
    response = client.get(f"/api/v1/weak-links?{query}", headers=as_role("viewer"))
    error_body(response, status, code)


# --- recommendations ------------------------------------------------------------------------
def test_recommendations_are_the_library_ranking_of_the_serving_model(get, served):
    response = get(f"/api/v1/weak-links/{NODE}/recommendations?k=20")
    body = response.get_json()

    conforms(RecommendationPageSchema, body)
    assert body["model_version"] == served.model_version == response.headers["X-Model-Version"]
    assert body["data_version"] == served.data_version
    assert int(response.headers["X-Data-Version"]) == served.data_version
    expected = recommend(served.data, served.weak_links, NODE, model=served.model, k=20)
    assert [i["firm_id"] for i in body["items"]] == expected[C.FIRM_ID].tolist()
    assert [i["score"] for i in body["items"]] == pytest.approx(expected[C.SCORE].tolist())
    assert [i["p_success"] for i in body["items"]] == pytest.approx(
        expected[C.P_SUCCESS].tolist())
    assert [i["rank"] for i in body["items"]] == list(range(1, 21))
    assert body["node"]["node_id"] == NODE and body["node"]["rank"] >= 1


def test_each_firm_comes_with_reasons_provenance_and_the_model_version(get):
    body = get(f"/api/v1/weak-links/{NODE}/recommendations?k=5").get_json()
    for item in body["items"]:
        assert item["model_version"] == body["model_version"]
        assert item["provenance"]["model_version"] == body["model_version"]
        assert item["provenance"]["data_version"] == body["data_version"]
        assert item["provenance"]["source"] in {"reference", "synthetic"}
        assert item["reasons"][0]["feature"] == "weak_link_fit"
        assert all(r["zh"] and r["en"] for r in item["reasons"])
        assert item["reason_zh"] and item["reason_en"].startswith("fills weak link")


@pytest.mark.parametrize("sort", ["value", "likelihood", "impact"])
def test_value_is_likelihood_times_impact_in_each_order(get, served, sort):
    body = get(f"/api/v1/weak-links/{NODE}/recommendations?k=40&page_size=40"
               f"&sort={sort}").get_json()

    conforms(RecommendationPageSchema, body)
    assert body["sort"] == sort
    items = body["items"]
    assert all(i["value"] == pytest.approx(i["likelihood"] * i["impact"]) for i in items)
    assert all(i["likelihood"] == i["p_success"] and 0 <= i["impact"] <= 1 for i in items)
    assert [i[sort] for i in items] == sorted((i[sort] for i in items), reverse=True)
    assert all(i["base_rate"] == items[0]["base_rate"] and 0 < i["base_rate"] < 1
               for i in items)
    expected = recommend(served.data, served.weak_links, NODE, model=served.model, k=40,
                         by=sort)
    assert [i["firm_id"] for i in items] == expected[C.FIRM_ID].tolist()


def test_an_export_carries_value_likelihood_and_impact_on_every_row(get):
    response = get(f"/api/v1/weak-links/{NODE}/recommendations?k=8&format=xlsx&lang=en"
                   f"&sort=impact", role="officer")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(
        values_only=True))
    head = rows[0]
    value, likelihood, impact = (head.index(h) for h in (
        "Expected value (likelihood × impact)", "Likelihood", "Impact (0–1)"))
    assert len(rows) == 9  # figures rounded as shown: value to 0.001, likelihood to 0.1 %
    assert all(r[value] == pytest.approx(r[likelihood] * r[impact], abs=2e-3)
               for r in rows[1:])
    assert [r[impact] for r in rows[1:]] == sorted((r[impact] for r in rows[1:]), reverse=True)


def test_an_unknown_order_is_a_422(client, as_role, error_body, active_version):
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?sort=score",
                          headers=as_role("viewer"))
    error = error_body(response, 422, "validation_error")
    assert "sort" in error["details"]["fields"]["query"]


@pytest.mark.parametrize("filters", [
    {"country": ["CN", "DE"]},
    {"size": ["small", "mid"]},
    {"exclude_contacted": True},
    {"country": ["JP", "US", "DE"], "size": ["large", "mega", "mid"], "exclude_contacted": True},
])
def test_filters_agree_with_the_library(get, served, filters):
    query = "&".join(f"{k}={','.join(v) if isinstance(v, list) else str(v).lower()}"
                     for k, v in filters.items())
    body = get(f"/api/v1/weak-links/{NODE}/recommendations?k=30&{query}").get_json()

    expected = recommend(served.data, served.weak_links, NODE, model=served.model, k=30,
                         **filters)
    assert [i["firm_id"] for i in body["items"]] == expected[C.FIRM_ID].tolist()
    assert body["candidates"] == expected.attrs["candidates"]
    if "country" in filters:
        assert {i["country"] for i in body["items"]} <= set(filters["country"])
    if filters.get("exclude_contacted"):
        assert not any(i["contacted"] for i in body["items"])


# --- the recruitment stage filter -----------------------------------------------------------
STAGED = "photodetectors"  # a recruitable weak link with candidates never contacted
STAGED_URL = f"/api/v1/weak-links/{STAGED}/recommendations"
STAGE_NAMES = ("declined", "responded", "visited", "mou", "invested")  # outcome stage 0..4
# outcomes recorded for one firm each, oldest first, and the stage the firm is then at (the
# best recorded, not the latest)
RECORDED = [([0], "declined"), ([1], "responded"), ([1, 2], "visited"), ([3, 1], "mou"),
            ([4], "invested")]


@pytest.fixture(scope="module")
def staged(app, as_role, active_version) -> dict[str, str]:
    """Record RECORDED for the five best never-contacted firms of STAGED; return each one's
    stage."""
    client = app.test_client()
    fresh = client.get(f"{STAGED_URL}?stage=none&k=5", headers=as_role("viewer")).get_json()
    assert [i["outcome_stage"] for i in fresh["items"]] == ["none"] * 5
    stages = {}
    for item, (recorded, stage) in zip(fresh["items"], RECORDED, strict=True):
        for day, outcome in enumerate(recorded, start=1):
            response = client.post("/api/v1/outcomes", headers=as_role("officer"), json={
                "firm_id": item["firm_id"], "node_id": STAGED, "stage": outcome,
                "date": f"2026-04-0{day}", "campaign_id": "C-stage-filter"})
            assert response.status_code == 201, response.get_data(as_text=True)
        stages[item["firm_id"]] = stage
    return stages


def stage_of_each_firm(data, node_id: str) -> dict[str, str]:
    """The library's best recorded stage of each firm contacted for ``node_id``, by name."""
    from recommender.ranking.features import contacted_pairs

    seen = contacted_pairs(data)
    seen = seen[seen[C.NODE_ID] == node_id]
    return {str(f): STAGE_NAMES[int(s)] for f, s in zip(seen[C.FIRM_ID],
                                                        seen[C.OUTCOME_STAGE], strict=True)}


@pytest.mark.parametrize("stages", [
    ["declined"], ["responded"], ["visited"], ["mou"], ["invested"], ["mou", "invested"],
    ["none", "visited"],
])
def test_the_stage_filter_keeps_exactly_the_firms_at_those_stages(get, app, staged, stages):
    everyone = get(f"{STAGED_URL}?k=200&page_size=200&include_landed=true").get_json()
    body = get(f"{STAGED_URL}?k=200&page_size=200&stage={','.join(stages)}").get_json()

    conforms(RecommendationPageSchema, body)
    assert everyone["candidates"] <= 200  # every candidate listed: the filter is checked whole
    served = app.extensions["chainscout"].snapshots.get()
    assert body["data_version"] == everyone["data_version"] == served.data_version
    stage_of = stage_of_each_firm(served.data, STAGED)
    expected = [i["firm_id"] for i in everyone["items"]
                if stage_of.get(i["firm_id"], "none") in stages]
    assert [i["firm_id"] for i in body["items"]] == expected
    assert body["candidates"] == len(expected) > 0
    assert [i["rank"] for i in body["items"]] == list(range(1, len(expected) + 1))
    assert {i["outcome_stage"] for i in body["items"]} <= set(stages)
    assert {f for f, stage in staged.items() if stage in stages} <= set(expected)
    assert body["filters"]["stage"] == stages


def test_the_recorded_outcomes_give_each_firm_its_best_stage(get, staged):
    body = get(f"{STAGED_URL}?k=200&page_size=200&include_landed=true").get_json()
    shown = {i["firm_id"]: (i["outcome_stage"], i["contacted"]) for i in body["items"]}
    assert {f: shown[f] for f in staged} == {f: (stage, True) for f, stage in staged.items()}


def test_a_firm_that_invested_for_the_link_leaves_the_default_list(get, staged):
    landed = {f for f, stage in staged.items() if stage == "invested"}
    default = get(f"{STAGED_URL}?k=200&page_size=200").get_json()
    every = get(f"{STAGED_URL}?k=200&page_size=200&include_landed=true").get_json()

    conforms(RecommendationPageSchema, every)
    assert landed and not landed & {i["firm_id"] for i in default["items"]}
    assert landed <= {i["firm_id"] for i in every["items"]}
    assert every["candidates"] == default["candidates"] + sum(
        i["outcome_stage"] == "invested" for i in every["items"])
    assert default["filters"]["include_landed"] is False
    assert every["filters"]["include_landed"] is True
    shown = {i["firm_id"]: i["outcome_stage"] for i in default["items"]}
    assert {f: shown[f] for f in staged if f not in landed} == {
        f: stage for f, stage in staged.items() if f not in landed}  # contacted: their stage


def test_stage_none_leaves_out_every_contacted_firm(get, app, staged):
    none = get(f"{STAGED_URL}?k=200&page_size=200&stage=none").get_json()
    excluded = get(f"{STAGED_URL}?k=200&page_size=200&exclude_contacted=true").get_json()
    both = get(f"{STAGED_URL}?k=200&page_size=200&stage=none&exclude_contacted=true").get_json()

    stage_of = stage_of_each_firm(app.extensions["chainscout"].snapshots.get().data, STAGED)
    ids = [i["firm_id"] for i in none["items"]]
    assert ids and not set(ids) & (set(stage_of) | set(staged))
    assert not any(i["contacted"] for i in none["items"])
    assert ids == [i["firm_id"] for i in excluded["items"]] == [i["firm_id"] for i in
                                                                 both["items"]]
    assert none["filters"] == {"country": None, "size": None, "stage": ["none"],
                               "exclude_contacted": False, "include_landed": False}


def test_stage_and_exclude_contacted_intersect(get, staged):
    body = get(f"{STAGED_URL}?stage=mou,invested&exclude_contacted=true").get_json()
    assert body["items"] == [] and body["candidates"] == 0
    assert body["filters"]["stage"] == ["mou", "invested"]
    assert body["filters"]["exclude_contacted"] is True


@pytest.mark.parametrize("query", ["stage=signed", "stage=mou,MoU", "stage=3", "stage=none,"])
def test_an_unknown_stage_is_a_422_naming_it(client, as_role, error_body, query):
    response = client.get(f"{STAGED_URL}?{query}", headers=as_role("viewer"))
    error = error_body(response, 422, "validation_error")
    problems = error["details"]["fields"]["query"]["stage"]
    assert "Must be one of: none, declined, responded, visited, mou, invested." in str(problems)


def test_the_csv_export_honours_the_stage_filter(get, staged):
    query = "k=200&page_size=200&stage=responded,visited,mou"
    listed = get(f"{STAGED_URL}?{query}").get_json()["items"]
    response = get(f"{STAGED_URL}?{query}&format=csv&lang=en", role="officer")

    lines = response.data.decode("utf-8-sig").splitlines()
    rows = list(csv.DictReader(lines))
    assert lines[0].split(",")[:2] == ["Rank", "Firm name"]
    assert [row["Firm ID"] for row in rows] == [i["firm_id"] for i in listed]
    assert {f for f, stage in staged.items() if stage in ("responded", "visited", "mou")} <= {
        row["Firm ID"] for row in rows}


def test_recommendations_are_paged_within_k(get):
    whole = get(f"/api/v1/weak-links/{NODE}/recommendations?k=10&page_size=10").get_json()
    second = get(f"/api/v1/weak-links/{NODE}/recommendations?k=10&page_size=4&page=2")
    body = second.get_json()

    assert [i["firm_id"] for i in body["items"]] == [i["firm_id"] for i in whole["items"][4:8]]
    assert [i["rank"] for i in body["items"]] == [5, 6, 7, 8]
    assert body["pagination"] == {"page": 2, "page_size": 4, "total": 10, "pages": 3}


@pytest.mark.parametrize(("path", "status", "code"), [
    (f"/api/v1/weak-links/{NODE}/recommendations?k=501", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?k=0", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?format=pdf", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?lang=fr", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?country=Germany", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?size=huge", 422, "validation_error"),
    (f"/api/v1/weak-links/{NODE}/recommendations?stage=signed", 422, "validation_error"),
    ("/api/v1/weak-links/warp_drives/recommendations", 404, "not_found"),
    (f"/api/v1/weak-links/{DOWNSTREAM}/recommendations", 422, "not_recruitable"),
    ("/api/v1/target-list?k=501", 422, "validation_error"),
    ("/api/v1/target-list?max_country_share=0", 422, "validation_error"),
    ("/api/v1/target-list?format=docx", 422, "validation_error"),
])
def test_ranking_error_bodies(client, as_role, error_body, active_version, path, status, code):
    response = client.get(path, headers=as_role("officer"))
    error = error_body(response, status, code)
    if code == "validation_error" and "fields" in error["details"]:
        assert error["details"]["fields"]["query"]


def test_a_bad_k_names_the_limit(client, as_role, error_body):
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k=501",
                          headers=as_role("viewer"))
    error = error_body(response, 422, "validation_error")
    assert error["details"]["fields"]["query"]["k"] == ["must be at most 500"]


def test_a_downstream_node_says_why(client, as_role, error_body):
    response = client.get(f"/api/v1/weak-links/{DOWNSTREAM}/recommendations",
                          headers=as_role("viewer"))
    error = error_body(response, 422, "not_recruitable")
    assert "downstream" in error["message"]
    assert error["details"]["problems"][0]["field"] == "node_id"


# --- target list ----------------------------------------------------------------------------
def test_the_target_list_is_the_library_portfolio(get, served):
    response = get("/api/v1/target-list?k=12&max_country_share=0.25&top_links=6")
    body = response.get_json()

    conforms(TargetListSchema, body)
    expected = target_list(served.data, served.weak_links, model=served.model, k=12,
                           max_country_share=0.25, top_links=6)
    assert [i["firm_id"] for i in body["items"]] == expected[C.FIRM_ID].tolist()
    assert [i["node_id"] for i in body["items"]] == expected[C.NODE_ID].tolist()
    assert [i["marginal_gain"] for i in body["items"]] == pytest.approx(
        expected["marginal_gain"].tolist())
    assert body["coverage"]["objective"] == pytest.approx(expected.attrs["objective"])
    assert body["coverage"]["country_cap"] == 3
    assert len(body["coverage"]["link_weights"]) == 6
    countries = [i["country"] for i in body["items"]]
    assert max(countries.count(c) for c in set(countries)) <= 3
    assert body["model_version"] == response.headers["X-Model-Version"]
    assert all(i["covers"] and i["model_version"] == body["model_version"]
               for i in body["items"])


def test_a_saturated_target_list_stops_and_says_so(get):
    body = get("/api/v1/target-list?k=200&top_links=1&max_country_share=1").get_json()

    conforms(TargetListSchema, body)
    coverage = body["coverage"]
    assert coverage["saturated"] is True
    assert coverage["saturated_after"] == len(body["items"]) < 200
    assert coverage["note"].startswith(f"picked {len(body['items'])} of k=200: coverage "
                                       f"saturated after {len(body['items'])} pick")
    assert coverage["min_gain"] == pytest.approx(1e-4 * coverage["total_weight"])
    assert min(i["marginal_gain"] for i in body["items"]) >= coverage["min_gain"]
    unsaturated = get("/api/v1/target-list?k=3").get_json()["coverage"]
    assert unsaturated["saturated"] is False and unsaturated["saturated_after"] is None


def test_the_target_list_leaves_out_excluded_firms(get):
    first = get("/api/v1/target-list?k=5").get_json()["items"][0]["firm_id"]
    again = get(f"/api/v1/target-list?k=5&exclude={first}").get_json()
    assert first not in [i["firm_id"] for i in again["items"]]


# --- exports --------------------------------------------------------------------------------
def test_a_csv_export_has_chinese_headers_a_bom_and_a_utf8_file_name(get):
    response = get(f"/api/v1/weak-links/{NODE}/recommendations?k=7&format=csv", role="officer")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="vacuum_pumps.csv"; ')
    assert "filename*=UTF-8''%E6%8E%A8%E8%8D%90%E5%90%8D%E5%8D%95-vacuum_pumps.csv" in disposition
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["排名", "企业名称", "英文名称", "国家/地区"]
    assert {"得分", "推荐理由", "数据性质", "薄弱环节", "期望价值（签约概率×补链作用）",
            "签约概率", "补链作用（0–1）", "基准签约率"} <= set(lines[0].split(","))
    assert len(lines) == 8
    assert "补齐薄弱环节" in lines[1]
    assert response.headers["X-Model-Version"]


def test_an_xlsx_export_opens_in_openpyxl_with_english_headers(get):
    response = get(f"/api/v1/weak-links/{NODE}/recommendations?k=5&format=xlsx&lang=en",
                   role="admin")
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Firm name", "Chinese name")
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4, 5]
    assert all(r[rows[0].index("Reasons")].startswith("fills weak link") for r in rows[1:])


def test_a_target_list_export(get):
    response = get("/api/v1/target-list?k=4&format=csv", role="officer")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert "覆盖的薄弱环节" in lines[0] and "边际增益" in lines[0]
    assert len(lines) == 5
    assert "招商目标清单.csv" not in response.headers["Content-Disposition"]  # encoded
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_a_viewer_reads_rankings_but_may_not_export_them(client, as_role, error_body):
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?format=csv",
                          headers=as_role("viewer"))
    error = error_body(response, 403, "forbidden")
    assert error["details"] == {"permission": "export", "roles": ["admin", "officer"]}


@pytest.fixture
def formula_firm(demo_store, app, active_version):
    """Rename the best-ranked firm of NODE to a spreadsheet formula; restore it afterwards."""
    snapshot = app.extensions["chainscout"].snapshots.get()
    first = snapshot.scores.items(snapshot.scores.table.ranked(NODE)[:1])[0]
    firm = demo_store.firm(first["firm_id"])
    evil = '=HYPERLINK("http://evil.example/","click")'
    import pandas as pd

    def rename(name):
        demo_store.upsert_firms(pd.DataFrame([{C.FIRM_ID: firm[C.FIRM_ID],
                                               C.FIRM_KEY: firm[C.FIRM_KEY], C.NAME: name,
                                               C.NAME_ZH: None}]))

    rename(evil)
    yield first["firm_id"], evil
    demo_store.upsert_firms(pd.DataFrame([{C.FIRM_ID: firm[C.FIRM_ID],
                                           C.FIRM_KEY: firm[C.FIRM_KEY],
                                           C.NAME: firm[C.NAME], C.NAME_ZH: firm[C.NAME_ZH]}]))


def test_a_firm_named_like_a_formula_is_escaped_in_exports(get, formula_firm):
    firm_id, evil = formula_firm
    as_json = get(f"/api/v1/weak-links/{NODE}/recommendations?k=40").get_json()
    csv = get(f"/api/v1/weak-links/{NODE}/recommendations?k=40&format=csv", role="officer")
    xlsx = get(f"/api/v1/weak-links/{NODE}/recommendations?k=40&format=xlsx", role="officer")

    assert evil in [i["name"] for i in as_json["items"]]  # JSON carries the name as it is
    text = csv.data.decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\"" in text
    assert "\n=" not in text and ",=" not in text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + evil in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
