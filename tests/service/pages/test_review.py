"""Node corrections on the firm portrait and the review page, through the test client, over a
copy of the demo store (corrections change it)."""

from __future__ import annotations

import re

import pytest

from recommender.store.corrections import corrections
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import keys_of


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ROLES)


@pytest.fixture(scope="module")
def app(own_store, keys):
    store, folder = own_store
    return service_app(store, folder / "var")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _review_rows(html: str) -> list[tuple[str, float]]:
    return [(firm, float(margin)) for firm, margin in
            re.findall(r'<tr data-firm="([^"]+)" data-margin="([^"]+)">', html)]


def test_the_review_page_lists_the_closest_calls_first(visitor, keys, login):
    login(keys["officer"])
    response = visitor.get("/review?limit=50")
    assert response.status_code == 200
    html = _text(response)
    assert "待复核企业" in html and "最接近判定的环节" in html
    rows = _review_rows(html)
    assert len(rows) == 50
    margins = [margin for _, margin in rows]
    assert margins == sorted(margins)
    english = _text(visitor.get("/review?lang=en"))
    assert "Firms to review" in english and "待复核企业" not in english


@pytest.fixture
def queued_firm(app, keys):
    """The first firm of the review page, as an officer sees it (another client)."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      _text(client.get("/login"))).group(1)
    client.post("/login", data={"csrf_token": token, "api_key": keys["officer"]})
    return _review_rows(_text(client.get("/review")))[0][0]


@pytest.mark.parametrize("role", ["viewer", "park_manager"])
def test_other_roles_see_no_form_and_may_not_correct(visitor, keys, login, csrf, own_store,
                                                     queued_firm, role):
    store, _ = own_store
    login(keys[role])
    assert visitor.get("/review").status_code == 403
    page = _text(visitor.get(f"/firms/{queued_firm}"))
    assert 'id="correction-form"' not in page
    before = len(corrections(store))
    response = visitor.post(f"/firms/{queued_firm}/nodes", data={
        "csrf_token": csrf(f"/firms/{queued_firm}"), "node_id": "lasers", "action": "add",
        "reason": "x"})
    assert response.status_code == 403 and len(corrections(store)) == before


def test_an_officer_corrects_a_node_from_the_portrait(visitor, keys, login, csrf, own_store):
    store, _ = own_store
    login(keys["officer"])
    firm_id, _ = _review_rows(_text(visitor.get("/review")))[0]
    page = _text(visitor.get(f"/firms/{firm_id}"))
    assert 'id="correction-form"' in page and "更正环节" in page
    response = visitor.post(f"/firms/{firm_id}/nodes", data={
        "csrf_token": csrf(f"/firms/{firm_id}"), "node_id": "lasers", "action": "add",
        "reason": "官网产品目录有光纤激光器"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/firms/{firm_id}?correction=add#nodes")
    page = _text(visitor.get(f"/firms/{firm_id}?correction=add"))
    assert "已补充该环节" in page and "人工更正" in page
    assert 'data-node="lasers"' in page and "官网产品目录有光纤激光器" in page
    (row,) = corrections(store, firm_ids=[firm_id]).to_dict("records")
    assert row["action"] == "add" and row["recorded_by"] == "copy officer"
    # a corrected firm leaves the review queue
    assert firm_id not in {f for f, _ in _review_rows(_text(visitor.get("/review?limit=100")))}


def test_a_correction_without_a_reason_is_not_recorded(visitor, keys, login, csrf, own_store):
    store, _ = own_store
    login(keys["admin"])
    firm_id, _ = _review_rows(_text(visitor.get("/review")))[0]
    before = len(corrections(store))
    response = visitor.post(f"/firms/{firm_id}/nodes", data={
        "csrf_token": csrf(f"/firms/{firm_id}"), "node_id": "lasers", "action": "add",
        "reason": ""})
    assert response.status_code == 303 and "correction=invalid" in response.headers["Location"]
    assert "未记录" in _text(visitor.get(f"/firms/{firm_id}?correction=invalid"))
    assert len(corrections(store)) == before
