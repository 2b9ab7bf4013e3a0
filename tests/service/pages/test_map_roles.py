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
    for word in ('"rank"', '"p_success"', '"value"', '"reason_zh"', '"reason_en"',
                 '"best_score"'):
        assert word not in text


@pytest.mark.parametrize("source", ["page", "api"])
def test_an_officers_map_carries_the_rankings(source, visitor, login, keys, client, as_role):
    body = (_page_map(visitor, login, keys["officer"]) if source == "page"
            else _api_map(client, as_role, "officer"))
    layers = _layers(body)
    firm = layers["firms"][0]["properties"]
    assert {"rank", "score", "p_success", "value", "reason_zh", "reason_en"} <= set(firm)
    assert isinstance(firm["score"], float) and firm["reason_zh"]
    assert all("best_score" in f["properties"] for f in layers["countries"])


def test_the_firms_carry_the_value_the_ranked_list_shows(client, as_role):
    """The map colours firms by expected value (likelihood x impact): each firm's ``value``
    and ``p_success`` are those of the ranked list, and a country's best is its best value."""
    officer = as_role("officer")
    listed = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k=20&page_size=20",
                        headers=officer)
    assert listed.status_code == 200
    items = {item["firm_id"]: item for item in listed.get_json()["items"]}
    response = client.get(f"{API_MAP}?weak_link={NODE}&k=20", headers=officer)
    assert response.status_code == 200
    layers = _layers(response.get_data())
    firms = [f["properties"] for f in layers["firms"]]
    assert firms and {f["firm_id"] for f in firms} <= set(items)
    for firm in firms:
        item = items[firm["firm_id"]]
        assert firm["value"] == pytest.approx(item["value"], abs=1e-6)
        assert firm["p_success"] == pytest.approx(item["likelihood"], abs=1e-6)
        assert firm["rank"] == item["rank"]
    assert len({f["value"] for f in firms}) > 1  # values that tell the firms apart
    for country in layers["countries"]:
        p = country["properties"]
        own = [f["value"] for f in firms if f["country"] == p["iso2"]]
        if p["iso2"] != "CN" and own:  # China's polygon also holds Taiwan, Hong Kong, Macao
            assert p["best_score"] == pytest.approx(max(own), abs=1e-6)


def test_the_two_maps_are_kept_apart(visitor, login, keys, client, as_role):
    """The officer's map asked first (and kept in the snapshot's memo) never answers the park
    manager."""
    officer = _api_map(client, as_role, "officer")
    manager = _page_map(visitor, login, keys["park_manager"])
    assert officer != manager and b'"p_success"' in officer and b'"p_success"' not in manager
