"""People, not keys: a key that names its person and unit is shown so in the header, and the
outcomes it records carry that person's name (and the key's id) in the firm portrait and in
``/api/v1/outcomes``; a key without a person shows its label.

The module runs over a private copy of the demo store, so that its outcomes never reach the
other service tests."""

from __future__ import annotations

import re

import pytest

from recommender import columns as C
from recommender.store import auth
from recommender.store import models as M
from tests.service.conftest import service_app
from tests.service.pages.conftest import csrf_of
from tests.service.store_copies import copy_of

FIRM, NODE = "ref-keysight", "oscilloscopes"


@pytest.fixture(scope="module")
def own(demo_store, tmp_path_factory):
    """An app over a copy of the demo store; 张三's key, 李四's key, and an old unnamed key."""
    folder = tmp_path_factory.mktemp("people")
    store = copy_of(demo_store, folder)
    keys = {}
    keys["zhang"], zhang = auth.create_key(store, auth.OFFICER, name="张三", unit="招商一科")
    keys["li"], li = auth.create_key(store, auth.OFFICER, name="李四", unit="招商二科",
                                     label="second desk")
    keys["old"], _ = auth.create_key(store, auth.OFFICER, label="front desk")
    keys["viewer"], _ = auth.create_key(store, auth.VIEWER, name="王五", unit="产业研究室")
    ids = {"zhang": zhang.id, "li": li.id}
    yield service_app(store, folder / "var"), keys, ids, store
    store.close()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _logged_in(app, key: str):
    visitor = app.test_client()
    response = visitor.post("/login", data={"csrf_token": csrf_of(visitor), "api_key": key})
    assert response.status_code == 302, response.get_data(as_text=True)
    return visitor


def _recorded(app, campaign: str, viewer_key: str) -> dict:
    items = app.test_client().get(f"/api/v1/outcomes?firm_id={FIRM}&page_size=200",
                                  headers=_bearer(viewer_key)).get_json()["items"]
    (found,) = [o for o in items if o[C.CAMPAIGN_ID] == campaign]
    return found


def _post_outcome(app, key: str, day: str, campaign: str):
    body = {"firm_id": FIRM, "node_id": NODE, "stage": 1, "date": day, "campaign_id": campaign}
    return app.test_client().post("/api/v1/outcomes", json=body, headers=_bearer(key))


def _key_of(store, outcome_id: int) -> int | None:
    """The id of the key an outcome was recorded with, as the store keeps it."""
    table = M.OUTCOMES
    with store.engine.connect() as conn:
        return conn.execute(table.select().with_only_columns(table.c[M.RECORDED_BY_KEY])
                            .where(table.c[M.ID] == outcome_id)).scalar()


def _outcome_row(html: str, outcome_id: int) -> str:
    (row,) = re.findall(rf'<tr[^>]*data-outcome="{outcome_id}".*?</tr>', html, re.S)
    return row


def test_an_outcome_recorded_through_the_api_names_the_person(own):
    app, keys, ids, store = own

    created = _post_outcome(app, keys["zhang"], "2025-05-06", "C-people-api")

    assert created.status_code == 201 and created.get_json()[M.RECORDED_BY] == "张三"
    listed = _recorded(app, "C-people-api", keys["viewer"])
    assert listed[M.RECORDED_BY] == "张三"
    portrait = app.test_client().get(f"/api/v1/firms/{FIRM}",
                                     headers=_bearer(keys["viewer"])).get_json()
    assert {o[M.RECORDED_BY] for o in portrait["outcomes"]
            if o[C.CAMPAIGN_ID] == "C-people-api"} == {"张三"}
    page = _logged_in(app, keys["viewer"]).get(f"/firms/{FIRM}").get_data(as_text=True)
    assert "张三" in _outcome_row(page, listed["id"])
    assert _key_of(store, listed["id"]) == ids["zhang"]  # the key's id, kept beside the name


def test_an_outcome_recorded_on_the_portrait_names_the_person(own):
    app, keys, ids, store = own
    visitor = _logged_in(app, keys["li"])

    response = visitor.post(f"/firms/{FIRM}", data={
        "csrf_token": csrf_of(visitor, f"/firms/{FIRM}"), "node_id": NODE, "stage": "2",
        "date": "2025-06-03", "note": "园区考察", "campaign_id": "C-people-form"})

    assert response.status_code == 303
    listed = _recorded(app, "C-people-form", keys["viewer"])
    assert listed[M.RECORDED_BY] == "李四"  # the person, not the key's label "second desk"
    page = visitor.get(f"/firms/{FIRM}").get_data(as_text=True)
    assert "李四" in _outcome_row(page, listed["id"]) and "second desk" not in page
    assert _key_of(store, listed["id"]) == ids["li"]


def test_a_key_without_a_person_still_works_and_records_under_its_label(own):
    app, keys, _, _ = own

    created = _post_outcome(app, keys["old"], "2025-05-07", "C-people-old")

    assert created.status_code == 201 and created.get_json()[M.RECORDED_BY] == "front desk"
    html = _logged_in(app, keys["old"]).get("/?lang=en").get_data(as_text=True)
    assert re.search(r'id="who-name"[^>]*>front desk<', html) and 'id="who-unit"' not in html
    assert re.search(r'id="who-role">Investment officer<', html)


@pytest.mark.parametrize(("lang", "role_words"), [("zh", "招商专员"), ("en", "Investment officer")])
def test_the_header_shows_the_person_their_unit_and_their_role_in_words(own, lang, role_words):
    app, keys, _, _ = own

    html = _logged_in(app, keys["zhang"]).get(f"/?lang={lang}").get_data(as_text=True)

    assert re.search(r'id="who-name"[^>]*>张三<', html)
    assert re.search(r'id="who-unit"[^>]*>招商一科<', html)
    assert re.search(rf'id="who-role">{role_words}<', html)
    assert keys["zhang"][:auth.PREFIX_LENGTH] not in html and ">officer<" not in html
