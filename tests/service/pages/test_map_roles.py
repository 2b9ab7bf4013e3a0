"""What the recruitment map tells a role that may not read rankings: a park manager is refused
``/recommendations`` (403), so neither the page's map data nor the API's carries a firm's
rank, value, likelihood or reasons, a country's best value or a flow's blended score; an
officer's map carries them all."""

from __future__ import annotations

import json

import pytest

from service.answers.map_data import RANKING_PROPERTIES

NODE = "vacuum_pumps"
API_MAP = "/api/v1/maps/recruitment.geojson"
PAGE_MAP = "/map/recruitment.geojson"


def _layers(body: bytes) -> dict[str, list[dict]]:
    layers: dict[str, list[dict]] = {}
    for feature in json.loads(body)["features"]:
        layers.setdefault(feature["properties"]["layer"], []).append(feature)
    return layers


def _page_map(visitor, login, key: str) -> bytes:
    assert login(key).status_code == 302
    response = visitor.get(f"{PAGE_MAP}?weak_link={NODE}")
    assert response.status_code == 200
    return response.get_data()


def _api_map(client, as_role, role: str) -> bytes:
    response = client.get(f"{API_MAP}?weak_link={NODE}", headers=as_role(role))
    assert response.status_code == 200
    return response.get_data()


def test_a_park_manager_is_refused_the_rankings(client, as_role):
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations",
                          headers=as_role("park_manager"))
    assert response.status_code == 403


@pytest.mark.parametrize("source", ["page", "api"])
def test_a_park_managers_map_carries_no_ranking(source, visitor, login, keys, client, as_role):
    body = (_page_map(visitor, login, keys["park_manager"]) if source == "page"
            else _api_map(client, as_role, "park_manager"))
    layers = _layers(body)
    assert layers["firms"] and layers["parks"]
    for layer, hidden in RANKING_PROPERTIES.items():
        for feature in layers.get(layer, []):
            assert not set(hidden) & set(feature["properties"]), (layer, feature["properties"])
    ids = [f["properties"]["firm_id"] for f in layers["firms"]]
    assert ids == sorted(ids)  # the order of the file tells no rank either
    text = body.decode()
    for word in ('"rank"', '"p_success"', '"reason_zh"', '"reason_en"', '"best_score"'):
        assert word not in text


@pytest.mark.parametrize("source", ["page", "api"])
def test_an_officers_map_carries_the_rankings(source, visitor, login, keys, client, as_role):
    body = (_page_map(visitor, login, keys["officer"]) if source == "page"
            else _api_map(client, as_role, "officer"))
    layers = _layers(body)
    firm = layers["firms"][0]["properties"]
    assert {"rank", "score", "p_success", "reason_zh", "reason_en"} <= set(firm)
    assert isinstance(firm["score"], float) and firm["reason_zh"]
    assert all("best_score" in f["properties"] for f in layers["countries"])


def test_the_two_maps_are_kept_apart(visitor, login, keys, client, as_role):
    """The officer's map asked first (and kept in the snapshot's memo) never answers the park
    manager."""
    officer = _api_map(client, as_role, "officer")
    manager = _page_map(visitor, login, keys["park_manager"])
    assert officer != manager and b'"p_success"' in officer and b'"p_success"' not in manager
