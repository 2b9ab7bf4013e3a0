"""People correct firms' chain nodes through the API; the review queue lists the closest calls."""

import pytest

from recommender.store.corrections import METHOD_CORRECTION, correction_labels, corrections
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import copy_of, keys_of


@pytest.fixture(scope="module")
def own(demo_store, tmp_path_factory):
    """A copy of the demo store (corrections change it), an app over it and a key per role."""
    folder = tmp_path_factory.mktemp("corrections")
    store = copy_of(demo_store, folder)
    keys = keys_of(store, ROLES)
    app = service_app(store, folder / "var")
    yield store, app.test_client(), keys
    store.close()


def _firm_with_nodes(client, key):
    firms = client.get("/api/v1/firms?page_size=50",
                       headers={"Authorization": f"Bearer {key}"}).get_json()["items"]
    return next(f for f in firms if f["nodes"])


def test_an_officer_rejects_and_adds_nodes_with_a_reason(own):
    store, client, keys = own
    headers = {"Authorization": f"Bearer {keys['officer']}"}
    firm = _firm_with_nodes(client, keys["officer"])
    rejected = firm["nodes"][0]
    response = client.post(f"/api/v1/firms/{firm['firm_id']}/nodes", headers=headers,
                           json={"node_id": rejected, "action": "reject",
                                 "reason": "sells these, does not make them"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["correction"]["action"] == "reject"
    assert body["correction"]["recorded_by"] == "copy officer"  # the key's label: no person
    assert rejected not in {n["node_id"] for n in body["nodes"]}
    added = client.post(f"/api/v1/firms/{firm['firm_id']}/nodes", headers=headers,
                        json={"node_id": "lasers", "action": "add", "reason": "fibre lasers"})
    assert added.status_code == 201
    nodes = {n["node_id"]: n for n in added.get_json()["nodes"]}
    assert nodes["lasers"]["method"] == METHOD_CORRECTION
    portrait = client.get(f"/api/v1/firms/{firm['firm_id']}", headers=headers).get_json()
    assert "lasers" in {n["node_id"] for n in portrait["nodes"]}
    assert rejected not in {n["node_id"] for n in portrait["nodes"]}
    assert len(corrections(store, firm_ids=[firm["firm_id"]])) == 2
    label = correction_labels(store).set_index("firm_id").loc[firm["firm_id"], "node_ids"]
    assert "lasers" in label.split(";") and rejected not in label.split(";")


@pytest.mark.parametrize("role", ["viewer", "park_manager"])
def test_only_officers_and_admins_may_correct(own, role):
    store, client, keys = own
    firm = _firm_with_nodes(client, keys["admin"])
    before = len(corrections(store))
    response = client.post(f"/api/v1/firms/{firm['firm_id']}/nodes",
                           headers={"Authorization": f"Bearer {keys[role]}"},
                           json={"node_id": "lasers", "action": "add", "reason": "x"})
    assert response.status_code == 403
    assert len(corrections(store)) == before


@pytest.mark.parametrize(("path", "body", "status"), [
    ("f-no-such-firm", {"node_id": "lasers", "action": "add", "reason": "x"}, 404),
    (None, {"node_id": "no_such_node", "action": "add", "reason": "x"}, 422),
    (None, {"node_id": "lasers", "action": "delete", "reason": "x"}, 422),
    (None, {"node_id": "lasers", "action": "add"}, 422),
    (None, {"node_id": "lasers", "action": "add", "reason": ""}, 422),
])
def test_bad_corrections_are_refused(own, path, body, status):
    store, client, keys = own
    firm_id = path or _firm_with_nodes(client, keys["admin"])["firm_id"]
    before = len(corrections(store))
    response = client.post(f"/api/v1/firms/{firm_id}/nodes",
                           headers={"Authorization": f"Bearer {keys['admin']}"}, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert len(corrections(store)) == before


def test_the_review_queue_is_ordered_by_margin_and_skips_corrected_firms(own):
    store, client, keys = own
    headers = {"Authorization": f"Bearer {keys['officer']}"}
    queue = client.get("/api/v1/firms/review?limit=40", headers=headers)
    assert queue.status_code == 200, queue.get_data(as_text=True)
    items = queue.get_json()
    margins = [item["margin"] for item in items]
    assert len(items) == 40 and margins == sorted(margins)
    assert all(item["margin"] == pytest.approx(abs(item["confidence"] - item["threshold"]))
               for item in items if item["node_id"])
    first = items[0]
    client.post(f"/api/v1/firms/{first['firm_id']}/nodes", headers=headers,
                json={"node_id": first["node_id"] or "lasers", "action": "confirm",
                      "reason": "checked"})
    after = client.get("/api/v1/firms/review?limit=40", headers=headers).get_json()
    assert first["firm_id"] not in {item["firm_id"] for item in after}
    viewer = client.get("/api/v1/firms/review",
                        headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert viewer.status_code == 403
