"""The firm and park portraits through the test client: what each role sees, recording an
outcome from the firm portrait (PRG, 422, CSRF, 403), 404s, park scope."""

from __future__ import annotations

import re

import pytest

FIRM = "ref-keysight"  # a reference firm with chain links, candidacies and an outcome history
NODE = "oscilloscopes"
OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park (OWN_PARK), and another


def _text(response) -> str:
    return response.get_data(as_text=True)


def _rows(html: str, table: str) -> list[str]:
    """The ``<tr>`` elements of the body of the table with id ``table``."""
    found = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, f"no table {table!r}"
    return re.findall(r"<tr\b.*?</tr>", found.group(1), re.S)


# --- the firm portrait ------------------------------------------------------------------------
def test_a_firm_portrait_for_an_officer(visitor, keys, login):
    login(keys["officer"])
    response = visitor.get(f"/firms/{FIRM}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = _text(response)
    assert "企业画像" in html and 'id="firm-name"' in html
    assert "Keysight" in html and f'<code id="firm-id">{FIRM}</code>' in html
    assert "真实数据" in html and 'id="firm-source">公开参考资料<' in html  # provenance in words
    assert f'data-node="{NODE}"' in " ".join(_rows(html, "firm-nodes"))  # chain links + evidence
    standings = _rows(html, "standings")
    assert standings and all(re.search(r"\d+ / \d+", row) for row in standings)
    assert "%" in standings[0] and 'class="reason"' in standings[0]
    assert _rows(html, "firm-parks")  # the parks it fits, linked to their portraits
    assert 'href="/parks/' in html
    assert _rows(html, "outcomes")  # the history
    assert 'id="outcome-form"' in html and 'name="csrf_token"' in html


def test_standings_match_the_api_ranking(visitor, keys, login, client, as_role):
    login(keys["viewer"])
    html = _text(visitor.get(f"/firms/{FIRM}"))
    row = next(r for r in _rows(html, "standings") if f'data-node="{NODE}"' in r)
    rank = int(re.search(r"(\d+) / \d+", row).group(1))
    api = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k=200&page_size=200"
                     f"&include_landed=true", headers=as_role("viewer")).get_json()
    firms = [item["firm_id"] for item in api["items"]]
    assert firms.index(FIRM) + 1 == rank  # by value, among every candidate
    item = api["items"][firms.index(FIRM)]
    for name in ("value", "likelihood", "impact"):
        assert float(re.search(rf'data-{name}="([^"]+)"', row).group(1)) == pytest.approx(
            item[name])
    assert item["value"] == pytest.approx(item["likelihood"] * item["impact"])
    assert f'data-stage="{item["outcome_stage"]}"' in row
    assert f"{item['likelihood'] * 100:.0f}%" in row and f"{item['impact']:.2f}" in row
    rate = f"{item['base_rate'] * 100:.0f}%"
    assert f"签约概率：过去同类接触中达成签约或更进一步的比例；基准 {rate}" in html


def test_the_firm_portrait_in_english(visitor, keys, login):
    login(keys["officer"])
    html = _text(visitor.get(f"/firms/{FIRM}?lang=en"))
    assert "Firm portrait" in html and "Outcome history" in html and 'lang="en"' in html
    assert "Record an outcome" in html and "企业画像" not in html


@pytest.mark.parametrize(("lang", "segment", "size"), [
    ("zh", "电学测量", "中型"), ("en", "Electrical measurement", "medium")])
def test_segments_and_sizes_are_named_not_coded(visitor, keys, login, app, lang, segment, size):
    login(keys["viewer"])
    html = _text(visitor.get(f"/firms/{FIRM}?lang={lang}"))
    cells = " ".join(_rows(html, "firm-nodes"))
    assert segment in cells and "electrical_measurement" not in cells
    firms = app.extensions["chainscout"].store.firms()
    mid = firms.loc[firms["size_class"] == "mid", "firm_id"].iloc[0]
    html = _text(visitor.get(f"/firms/{mid}"))
    assert re.search(rf'<dd><span title="[^"]+">{size}</span></dd>', html)


def test_outcome_history_is_newest_first(visitor, keys, login):
    login(keys["viewer"])
    html = _text(visitor.get(f"/firms/{FIRM}"))
    dates = [re.search(r"\d{4}-\d{2}-\d{2}", row).group(0) for row in _rows(html, "outcomes")]
    assert len(dates) > 1 and dates == sorted(dates, reverse=True)


def test_an_unknown_firm_is_a_404_page(visitor, keys, login):
    login(keys["officer"])
    response = visitor.get("/firms/no-such-firm")
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = _text(response)
    assert 'id="not-found"' in html and "没有这家企业" in html and "no-such-firm" in html


def test_a_viewer_sees_no_form_and_may_not_post(visitor, keys, login, csrf, app):
    login(keys["viewer"])
    html = _text(visitor.get(f"/firms/{FIRM}"))
    assert 'id="outcome-form"' not in html and _rows(html, "outcomes")
    before = _outcome_count(app)
    response = visitor.post(f"/firms/{FIRM}", data={
        "csrf_token": csrf(f"/firms/{FIRM}"), "node_id": NODE, "stage": "1",
        "date": "2025-06-01"})
    assert response.status_code == 403 and "无权记录" in _text(response)
    assert _outcome_count(app) == before


def test_a_park_manager_sees_the_firm_but_not_rankings_nor_outcomes(visitor, keys, login):
    login(keys["park_manager"])
    response = visitor.get(f"/firms/{FIRM}")
    assert response.status_code == 200
    html = _text(response)
    assert 'id="standings"' not in html and 'id="outcomes"' not in html
    assert 'id="outcome-form"' not in html and "无权查看招商进展" in html
    parks = {re.search(r'data-park="([^"]+)"', row).group(1)
             for row in _rows(html, "firm-parks")} if 'id="firm-parks"' in html else set()
    assert parks <= {OWN}


def test_not_logged_in_goes_to_login(visitor):
    for path in (f"/firms/{FIRM}", "/parks", f"/parks/{OWN}"):
        response = visitor.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- recording an outcome ---------------------------------------------------------------------
def _outcome_count(app, **where) -> int:
    store = app.extensions["chainscout"].store
    outcomes = store.outcomes(firm_id=FIRM)
    for column, value in where.items():
        outcomes = outcomes[outcomes[column].astype(str) == str(value)]
    return len(outcomes)


def test_recording_an_outcome(visitor, keys, login, csrf, app, client, as_role):
    login(keys["officer"])
    note = "页面记录：实地考察 site visit"
    response = visitor.post(f"/firms/{FIRM}", data={
        "csrf_token": csrf(f"/firms/{FIRM}"), "node_id": NODE, "stage": "2",
        "date": "2025-06-02", "note": note, "campaign_id": "C-pages-1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/firms/{FIRM}#history"
    # in the store, as the API stores it
    assert _outcome_count(app, campaign_id="C-pages-1", stage=2) == 1
    api = client.get(f"/api/v1/outcomes?firm_id={FIRM}&node_id={NODE}&page_size=200",
                     headers=as_role("viewer")).get_json()["items"]
    stored = next(o for o in api if o["campaign_id"] == "C-pages-1")
    assert stored["note"] == note and stored["source"] == "api"
    assert stored["recorded_by"] == "test officer" and stored["date"] == "2025-06-02"
    # back on the portrait: the confirmation and the new row, marked
    html = _text(visitor.get(f"/firms/{FIRM}"))
    assert 'id="notice"' in html and "已保存招商进展记录" in html and f"#{stored['id']}" in html
    new = [row for row in _rows(html, "outcomes") if 'class="new"' in row]
    assert len(new) == 1 and f'data-outcome="{stored["id"]}"' in new[0] and note in new[0]
    assert "实地考察" in new[0]
    # the confirmation is shown once
    assert 'id="notice"' not in _text(visitor.get(f"/firms/{FIRM}"))


def test_an_outcome_without_a_campaign_gets_the_default_one(visitor, keys, login, csrf, app):
    login(keys["admin"])
    response = visitor.post(f"/firms/{FIRM}", data={
        "csrf_token": csrf(f"/firms/{FIRM}"), "node_id": NODE, "stage": "4",
        "date": "2024-03-09", "note": "", "campaign_id": ""})
    assert response.status_code == 303
    assert _outcome_count(app, campaign_id="manual-2024", stage=4) == 1


def test_recording_the_same_outcome_twice_adds_nothing(visitor, keys, login, csrf, app):
    login(keys["officer"])
    data = {"node_id": NODE, "stage": "1", "date": "2025-06-03", "campaign_id": "C-pages-2"}
    first = visitor.post(f"/firms/{FIRM}", data={"csrf_token": csrf(f"/firms/{FIRM}"), **data})
    again = visitor.post(f"/firms/{FIRM}", data={"csrf_token": csrf(f"/firms/{FIRM}"), **data})
    assert first.status_code == again.status_code == 303
    assert _outcome_count(app, campaign_id="C-pages-2") == 1
    html = _text(visitor.get(f"/firms/{FIRM}"))
    assert "此前已记录" in html


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"stage": "7"}, "stage", "须在 0 到 4 之间"),  # the API's messages in the page's language
    ({"stage": "two"}, "stage", "请输入整数"),
    ({"stage": ""}, "stage", "此项必填"),
    ({"date": "2025-13-40"}, "date", "请输入有效日期"),
    ({"date": ""}, "date", "此项必填"),
    ({"node_id": "no_such_node"}, "node_id", "不是本产业链中的环节"),
    ({"note": "x" * 4001}, "note", "不能超过 4000 个字符"),
])
def test_a_bad_outcome_is_a_422_with_the_form(visitor, keys, login, csrf, app, change, field,
                                              message):
    login(keys["officer"])
    before = len(app.extensions["chainscout"].store.outcomes())
    data = {"node_id": NODE, "stage": "3", "date": "2025-06-04", "note": "kept",
            "campaign_id": "C-pages-bad", **change}
    response = visitor.post(f"/firms/{FIRM}",
                            data={"csrf_token": csrf(f"/firms/{FIRM}"), **data})
    assert response.status_code == 422 and response.mimetype == "text/html"
    html = _text(response)
    assert 'id="form-errors"' in html and message in html
    marked = rf'class="field(?: wide)? invalid">\s*<label for="outcome-{_input(field)}"'
    assert re.search(marked, html)
    assert 'value="C-pages-bad"' in html  # what was typed is kept
    if field != "note":
        assert ">kept</textarea>" in html
    assert len(app.extensions["chainscout"].store.outcomes()) == before


def _input(field: str) -> str:
    return {"node_id": "node", "stage": "stage", "date": "date", "note": "note"}[field]


def test_a_post_without_the_csrf_token_is_a_400(visitor, keys, login, app):
    login(keys["officer"])
    before = _outcome_count(app)
    for token in (None, "wrong"):
        data = {"node_id": NODE, "stage": "1", "date": "2025-06-05"}
        if token is not None:
            data["csrf_token"] = token
        assert visitor.post(f"/firms/{FIRM}", data=data).status_code == 400
    assert _outcome_count(app) == before


def test_recording_for_an_unknown_firm_is_a_404(visitor, keys, login, csrf):
    login(keys["officer"])
    response = visitor.post("/firms/no-such-firm", data={
        "csrf_token": csrf(f"/firms/{FIRM}"), "node_id": NODE, "stage": "1",
        "date": "2025-06-06"})
    assert response.status_code == 404 and 'id="not-found"' in _text(response)


def test_a_link_preselects_the_weak_link_of_the_form(visitor, keys, login):
    login(keys["officer"])
    html = _text(visitor.get(f"/firms/{FIRM}?record_node=rf_test"))
    assert '<option value="rf_test" selected>' in html
    html = _text(visitor.get(f"/firms/{FIRM}?record_node=no_such_node"))
    assert 'value="no_such_node"' not in html and html.count("selected>") == 1
    # the link a portrait was opened from (``link``, as the dashboard's firm links name it)
    html = _text(visitor.get(f"/firms/{FIRM}?link=rf_test&back=/%3Fnode%3Drf_test"))
    assert '<option value="rf_test" selected>' in html
    assert 'href="/?node=rf_test"' in html  # the breadcrumb back to that list
    # from the map: back to the same map; from elsewhere (another host): no way back there
    html = _text(visitor.get(f"/firms/{FIRM}?link=rf_test&back=/map%3Fweak_link%3Drf_test"))
    assert 'href="/map?weak_link=rf_test"' in html
    html = _text(visitor.get(f"/firms/{FIRM}?back=//example.com/x"))
    assert 'href="//example.com' not in html and 'value="//example.com' not in html


# --- parks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "officer", "viewer"])
def test_every_park_is_listed_for_unscoped_roles(visitor, keys, login, role):
    login(keys[role])
    response = visitor.get("/parks")
    assert response.status_code == 200
    parks = re.findall(r'<tr data-park="([^"]+)"', _text(response))
    assert len(parks) == 15 and OWN in parks and OTHER in parks


def test_a_park_manager_lists_only_its_parks(visitor, keys, login):
    login(keys["park_manager"])
    html = _text(visitor.get("/parks"))
    assert re.findall(r'<tr data-park="([^"]+)"', html) == [OWN]
    assert 'id="park-scope"' in html


def test_a_park_portrait(visitor, keys, login):
    login(keys["viewer"])
    response = visitor.get(f"/parks/{OWN}")
    assert response.status_code == 200
    html = _text(response)
    assert "园区画像" in html and "松山湖高新技术产业开发区" in html and "东莞市" in html
    assert '<dd id="park-capacity">10</dd>' in html and 'id="park-rent">45.0<' in html
    assert "研发投入奖励" in html and 'id="park-illustrative"' in html
    assert "北纬 22.9200°，东经 113.8800°" in html  # as Chinese maps write a place
    assert 'id="park-exports"' not in html  # a viewer exports nothing
    assert 'data-node="multimeters"' in html and "万用表" in html  # focus nodes, named
    assert 'href="/firms/ref-uni-t"' in html  # tenants link to their portraits
    matches = _rows(html, "matches")
    assert len(matches) == 20
    first = matches[0]
    assert re.search(r'href="/firms/[^"]+"', first) and "主导方向" in first


def test_park_matches_are_the_api_s(visitor, keys, login, client, as_role):
    login(keys["park_manager"])
    html = _text(visitor.get(f"/parks/{OWN}?k=10&lang=en"))
    shown = [re.search(r'data-firm="([^"]+)"', row).group(1) for row in _rows(html, "matches")]
    api = client.get(f"/api/v1/parks/{OWN}/matches?k=10", headers=as_role("park_manager"))
    assert shown == [item["firm_id"] for item in api.get_json()["items"]]
    assert "Firms that suit the park" in html and "a focus of the park" in html
    assert "22.9200° N, 113.8800° E" in html
    assert f'href="/parks/{OWN}/matches.xlsx?k=10"' in html  # its own park's list, as shown


def test_park_matches_may_include_the_excluded(visitor, keys, login):
    login(keys["officer"])
    html = _text(visitor.get(f"/parks/{OWN}?k=100&excluded=1"))
    assert 'id="excluded" checked' in html
    assert all(re.search(r'<td class="num">\d+</td>', row) or 'class="excluded"' in row
               for row in _rows(html, "matches"))


def test_a_park_manager_cannot_see_another_park(visitor, keys, login):
    login(keys["park_manager"])
    response = visitor.get(f"/parks/{OTHER}")
    assert response.status_code == 404 and 'id="not-found"' in _text(response)
    assert OTHER not in _text(visitor.get("/parks"))


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_other_roles_see_any_park(visitor, keys, login, role):
    login(keys[role])
    assert visitor.get(f"/parks/{OTHER}").status_code == 200


def test_an_unknown_park_is_a_404_page(visitor, keys, login):
    login(keys["admin"])
    response = visitor.get("/parks/no_such_park?lang=en")
    assert response.status_code == 404 and "No such park" in _text(response)


def test_portraits_load_nothing_from_elsewhere(visitor, keys, login):
    login(keys["officer"])
    for path in (f"/firms/{FIRM}", "/parks", f"/parks/{OWN}", "/firms/nope"):
        response = visitor.get(path)
        html = _text(response)
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert "<script>" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
        assert "'self'" in response.headers["Content-Security-Policy"]
    with visitor.get("/static/portraits.css") as asset:
        assert asset.status_code == 200


def test_recording_outcomes_counts_against_the_key_s_rate_limit(visitor, keys, login, app,
                                                                 csrf, monkeypatch):
    from service.http.limits import RateLimiter

    login(keys["officer"])
    token = csrf("/firms/ref-keysight")
    monkeypatch.setattr(app.extensions["chainscout"], "limiter", RateLimiter(6, burst=1))
    form = {"csrf_token": token, "node_id": "oscilloscopes", "stage": "9", "date": "2025-01-02"}
    assert visitor.post("/firms/ref-keysight", data=form).status_code == 422  # took the token
    limited = visitor.post("/firms/ref-keysight", data={**form, "note": "kept as typed"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    html = limited.get_data(as_text=True)
    assert "秒后重试" in html and "kept as typed" in html and limited.mimetype == "text/html"
