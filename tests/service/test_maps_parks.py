"""The recruitment map (GeoJSON, PNG), park matching, assignment and park profiles' CRUD."""

import json

import pytest

OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park, and another
NODE = "vacuum_pumps"
MAP = f"/api/v1/maps/recruitment.geojson?weak_link={NODE}&k=20"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NEW_PARK = {"park_id": "test_crud_park", "name_zh": "测试园", "name_en": "Test park",
            "lat": 22.8, "lon": 113.6, "focus_nodes": [NODE], "clean_room_m2": 500.0,
            "max_new_firms": 3}


# --- maps -----------------------------------------------------------------------------------
def _coordinates(geometry) -> list:
    """Every (lon, lat) pair of a GeoJSON geometry."""
    found = []

    def walk(value):
        if isinstance(value, list) and value and isinstance(value[0], int | float):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(geometry["coordinates"])
    return found


def test_the_map_is_rfc_7946_geojson(client, as_role, active_version):
    from shapely.geometry import shape

    response = client.get(MAP, headers=as_role("viewer"))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    assert response.headers["X-Model-Version"] == active_version
    document = json.loads(response.get_data())
    assert document["type"] == "FeatureCollection" and "crs" not in document
    layers = {f["properties"]["layer"] for f in document["features"]}
    assert {"firms", "countries"} <= layers
    for feature in document["features"]:
        assert "crs" not in feature
        assert shape(feature["geometry"]).is_valid or feature["properties"]["layer"] == \
            "countries"
        for lon, lat in _coordinates(feature["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert round(lon, 6) == lon and round(lat, 6) == lat
    firms = [f for f in document["features"] if f["properties"]["layer"] == "firms"]
    assert 0 < len(firms) <= 20
    assert all(f["geometry"]["type"] == "Point" for f in firms)


def test_the_map_takes_the_recommendations_filters(client, as_role):
    recs = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k=20&country=JP",
                      headers=as_role("viewer")).get_json()
    document = json.loads(client.get(MAP + "&country=JP&parks=false",
                                     headers=as_role("viewer")).get_data())

    firms = [f["properties"] for f in document["features"]
             if f["properties"]["layer"] == "firms"]
    assert {f["country"] for f in firms} <= {"JP"}
    placed = {i["firm_id"] for i in recs["items"] if i["lat"] is not None}
    assert {f["firm_id"] for f in firms} == placed
    assert not any(f["properties"]["layer"] in ("parks", "flows")
                   for f in document["features"])


def test_the_map_as_png(client, as_role, active_version):
    response = client.get(f"/api/v1/maps/recruitment.png?weak_link={NODE}&k=10&lang=en",
                          headers=as_role("officer"))

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data().startswith(PNG_SIGNATURE)
    assert response.headers["X-Model-Version"] == active_version


def test_the_map_is_gzipped_for_a_client_that_accepts_it(client, as_role):
    import gzip

    plain = client.get(MAP, headers=as_role("viewer"))
    packed = client.get(MAP, headers={**as_role("viewer"), "Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 3
    again = client.get(MAP, headers={**as_role("viewer"), "Accept-Encoding": "gzip"})
    assert again.get_data() == packed.get_data()  # compressed once a snapshot


def test_the_map_s_countries_are_the_ones_with_candidates_and_valid(client, as_role):
    from shapely.geometry import shape

    document = json.loads(client.get(MAP, headers=as_role("viewer")).get_data())
    countries = [f for f in document["features"] if f["properties"]["layer"] == "countries"]
    assert countries and all(f["properties"]["candidates"] > 0 for f in countries)
    assert all(shape(f["geometry"]).is_valid for f in countries)
    assert not {"TW", "HK", "MO"} & {f["id"] for f in countries}


def test_the_png_is_titled_with_the_weak_link_k_and_date(app):
    from service.answers.map_data import png_title
    from service.runtime.state import state

    with app.app_context():
        snapshot = state().snapshots.get()
    key = (NODE, 20, (), (), (), False, True, None)
    day = snapshot.built_at.date().isoformat()
    assert png_title(snapshot, key, "zh") == (
        f"全球招商地图 · 薄弱环节：真空泵 · 前 20 家候选企业 · {day}")
    assert png_title(snapshot, key, "en").endswith(f"top 20 candidates · {day}")


def test_the_map_s_layers_are_the_same_as_with_reasons_and_every_link(app, monkeypatch):
    """The map's matching writes no reasons and reads only its firms' and the tenants' links;
    its answer is what it was when it wrote them from every firm's links."""
    import recommender.parks.matching as library
    from service.answers import matching
    from service.runtime.state import state

    with app.app_context():
        snapshot = state().snapshots.get()
        parks = matching.visible_parks(state().store, None)
    bare = matching.recruitment_layers(snapshot, NODE, k=50, parks=parks)
    called = []
    original = library.matches_for_parks

    def with_reasons(parks, firms, firm_nodes, chain, **kwargs):
        called.append((kwargs.pop("reasons"), len(firm_nodes) < len(snapshot.data.firm_nodes)))
        return original(parks, firms, snapshot.data.firm_nodes, chain, **kwargs)

    monkeypatch.setattr(library, "matches_for_parks", with_reasons)
    full = matching.recruitment_layers(snapshot, NODE, k=50, parks=parks)
    assert called == [(False, True)] and len(bare["flows"]) > 0
    assert matching.geojson_bytes(bare) == matching.geojson_bytes(full)


def test_a_map_of_an_unknown_node_is_a_404(client, as_role, error_body):
    response = client.get("/api/v1/maps/recruitment.geojson?weak_link=nowhere",
                          headers=as_role("viewer"))
    error_body(response, 404, "not_found")


# --- park matching --------------------------------------------------------------------------
def test_a_park_s_matches_come_with_reasons(client, as_role):
    response = client.get(f"/api/v1/parks/{OWN}/matches?k=10", headers=as_role("park_manager"))

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["park"]["park_id"] == OWN and body["k"] == 10
    items = body["items"]
    assert 0 < len(items) <= 10
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert not any(i["excluded"] for i in items)
    features = {r["feature"] for i in items for r in i["reasons"]}
    assert features <= {"synergy", "focus_fit", "capacity_fit", "proximity"}
    assert features


def test_a_park_manager_gets_404_for_another_park_s_matches(client, as_role, error_body):
    response = client.get(f"/api/v1/parks/{OTHER}/matches", headers=as_role("park_manager"))
    error_body(response, 404, "not_found")
    assert client.get(f"/api/v1/parks/{OTHER}/matches?k=3",
                      headers=as_role("viewer")).status_code == 200


def test_an_ad_hoc_park_is_matched(client, as_role):
    body = {"lat": 22.8, "lon": 113.6, "focus_nodes": [NODE], "clean_room_m2": 0}
    response = client.post("/api/v1/parks/match?k=5", headers=as_role("viewer"), json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["park"]["park_id"] == "ad_hoc"
    assert answer["park"]["focus_nodes"] == [NODE]
    assert 0 < len(answer["items"]) <= 5


@pytest.mark.parametrize(("body", "field"), [
    ({"lon": 113.6}, "lat"),
    ({"lat": 95, "lon": 113.6}, "lat"),
    ({"lat": 22.8, "lon": 113.6, "clean_room_m2": -1}, "clean_room_m2"),
    ({"lat": 22.8, "lon": 113.6, "focus_nodes": "lasers"}, "focus_nodes"),
    ({"lat": 22.8, "lon": 113.6, "colour": "red"}, "colour"),
])
def test_an_ad_hoc_park_with_bad_fields_is_a_422(client, as_role, error_body, body, field):
    response = client.post("/api/v1/parks/match", headers=as_role("viewer"), json=body)
    error = error_body(response, 422, "validation_error")
    assert field in error["details"]["fields"]["json"]


def test_an_ad_hoc_park_s_focus_nodes_are_nodes_of_the_chain(client, as_role, error_body):
    body = {"lat": 22.8, "lon": 113.6, "focus_nodes": ["warp_drives"]}
    response = client.post("/api/v1/parks/match", headers=as_role("viewer"), json=body)
    error = error_body(response, 422)
    assert "warp_drives" in error["message"]


def test_a_firm_s_parks(client, as_role):
    every = client.get("/api/v1/firms/ref-keyence/parks", headers=as_role("viewer"))
    mine = client.get("/api/v1/firms/ref-keyence/parks?include_excluded=true",
                      headers=as_role("park_manager"))

    assert every.status_code == 200, every.get_data(as_text=True)
    items = every.get_json()["items"]
    assert len({i["park_id"] for i in items}) == len(items) > 1
    assert {i["park_id"] for i in mine.get_json()["items"]} <= {OWN}


def test_a_firm_not_in_the_store_has_no_parks(client, as_role, error_body):
    response = client.get("/api/v1/firms/nobody/parks", headers=as_role("viewer"))
    error_body(response, 404, "not_found")


def test_assign_gives_each_firm_at_most_one_park_within_capacities(client, as_role,
                                                                  demo_store):
    response = client.post("/api/v1/parks/assign", headers=as_role("officer"),
                           json={"k_per_park": 20})

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    pairs = body["assignments"]
    assert pairs
    firms = [p["firm_id"] for p in pairs]
    assert len(firms) == len(set(firms))
    parks = demo_store.parks().set_index("park_id")
    for park_id in {p["park_id"] for p in pairs}:
        taken = sum(p["park_id"] == park_id for p in pairs)
        assert taken <= int(parks.at[park_id, "max_new_firms"]) == body["capacities"][park_id]
    assert body["total"] == pytest.approx(sum(p["score"] for p in pairs))


def test_a_park_manager_assigns_to_its_own_parks_only(client, as_role, error_body):
    mine = client.post("/api/v1/parks/assign", headers=as_role("park_manager"), json={})
    assert set(mine.get_json()["capacities"]) == {OWN}
    other = client.post("/api/v1/parks/assign", headers=as_role("park_manager"),
                        json={"park_ids": [OWN, OTHER]})
    error_body(other, 404, "not_found")


# --- park CRUD ------------------------------------------------------------------------------
def test_an_admin_creates_changes_and_deletes_a_park(client, as_role, error_body):
    admin = as_role("admin")
    try:
        created = client.post("/api/v1/parks", headers=admin, json=NEW_PARK)
        assert created.status_code == 201, created.get_data(as_text=True)
        assert created.get_json()["focus_nodes"] == [NODE]
        error_body(client.post("/api/v1/parks", headers=admin, json=NEW_PARK), 409)

        patched = client.patch(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin,
                               json={"max_new_firms": 5, "rent_cny_m2_month": 30})
        assert patched.status_code == 200, patched.get_data(as_text=True)
        assert patched.get_json()["max_new_firms"] == 5
        assert patched.get_json()["name_en"] == "Test park"  # kept

        replaced = client.put(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin,
                              json={"name_zh": "新园", "name_en": "New park", "lat": 23.0,
                                    "lon": 113.0})
        assert replaced.status_code == 200
        park = client.get(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin).get_json()
        assert park["name_en"] == "New park" and park["max_new_firms"] is None
        assert park["focus_nodes"] == []
    finally:
        deleted = client.delete(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin)
    assert deleted.status_code == 204
    error_body(client.get(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin), 404)
    error_body(client.delete(f"/api/v1/parks/{NEW_PARK['park_id']}", headers=admin), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW_PARK, "lat": "north"}, "lat"),
    ({k: v for k, v in NEW_PARK.items() if k != "name_en"}, "name_en"),
    ({**NEW_PARK, "park_id": "no spaces"}, "park_id"),
    ({**NEW_PARK, "max_new_firms": -2}, "max_new_firms"),
])
def test_a_bad_park_is_a_422(client, as_role, error_body, body, field):
    response = client.post("/api/v1/parks", headers=as_role("admin"), json=body)
    error = error_body(response, 422, "validation_error")
    assert field in error["details"]["fields"]["json"]


def test_a_park_manager_edits_its_own_park_only(client, as_role, error_body, demo_store):
    manager = as_role("park_manager")
    rent = demo_store.park(OWN)["rent_cny_m2_month"]
    response = client.patch(f"/api/v1/parks/{OWN}", headers=manager,
                            json={"rent_cny_m2_month": rent})
    assert response.status_code == 200, response.get_data(as_text=True)

    for method in (client.patch, client.put):
        other = method(f"/api/v1/parks/{OTHER}", headers=manager,
                       json={"name_zh": "别人的", "name_en": "Not mine", "lat": 22.7,
                             "lon": 113.5})
        error_body(other, 404, "not_found")
    assert demo_store.park(OTHER)["name_en"] != "Not mine"
    error_body(client.delete(f"/api/v1/parks/{OWN}", headers=manager), 403, "forbidden")
    error_body(client.post("/api/v1/parks", headers=manager, json=NEW_PARK), 403, "forbidden")
