"""What each endpoint answers, through Flask's test client on the small demo store."""

import pytest

from recommender import columns as C
from recommender.store.migrate import head_revision


@pytest.fixture
def get(client, as_role):
    def call(path: str, role: str = "viewer"):
        response = client.get(path, headers=as_role(role))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return call


# --- health ---------------------------------------------------------------------------------
def test_ready_reports_the_schema_and_data_version(client, demo_store):
    body = client.get("/api/v1/ready").get_json()
    assert body == {"status": "ready", "database": "sqlite", "schema_revision": head_revision(),
                    "schema_head": head_revision(),
                    "data_version": demo_store.data_version()}
    assert int(head_revision()) >= 4


# --- chains ---------------------------------------------------------------------------------
def test_chains_lists_the_served_chain(get):
    (chain,) = get("/api/v1/chains")["items"]
    assert chain["id"] == "precision_instruments"
    assert chain["nodes"] == 82 and chain["edges"] > 0


def test_a_chain_comes_with_its_nodes_and_edges(get):
    chain = get("/api/v1/chains/precision_instruments")
    assert len(chain["nodes"]) == 82
    ids = {n["node_id"] for n in chain["nodes"]}
    assert all(e["supplier"] in ids and e["consumer"] in ids for e in chain["edges"])
    scope = next(n for n in chain["nodes"] if n["node_id"] == "oscilloscopes")
    assert scope["stage"] == "midstream" and "903020" in scope["hs_codes"]


# --- firms ----------------------------------------------------------------------------------
def test_firms_are_paged_with_a_pagination_block(get):
    first = get("/api/v1/firms?page_size=7")
    second = get("/api/v1/firms?page_size=7&page=2")

    assert len(first["items"]) == 7
    assert first["pagination"] == {"page": 1, "page_size": 7, "total": 480, "pages": 69}
    ids = [f["firm_id"] for f in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 14


def test_the_default_page_holds_fifty_firms(get):
    assert get("/api/v1/firms")["pagination"]["page_size"] == 50


def test_a_page_past_the_end_is_empty(get):
    body = get("/api/v1/firms?page=999")
    assert body["items"] == [] and body["pagination"]["total"] == 480


@pytest.mark.parametrize(("query", "check"), [
    ("country=de", lambda f: f["country"] == "DE"),
    ("node=oscilloscopes", lambda f: "oscilloscopes" in f["nodes"]),
    ("q=keyence", lambda f: "keyence" in f["name"].lower()),
    ("q=基恩士", lambda f: "基恩士" in f["name_zh"]),
    ("country=JP&node=machine_vision", lambda f: f["country"] == "JP"
     and "machine_vision" in f["nodes"]),
])
def test_firm_filters(get, query, check):
    body = get(f"/api/v1/firms?{query}&page_size=200")
    assert body["items"], query
    assert all(check(f) for f in body["items"])
    assert body["pagination"]["total"] == len(body["items"])


def test_a_name_search_treats_wildcards_as_text(get):
    assert get("/api/v1/firms?q=%25")["pagination"]["total"] == 0
    assert get("/api/v1/firms?q=_")["pagination"]["total"] == 0


def test_a_firm_portrait(get):
    portrait = get("/api/v1/firms/ref-carl-zeiss")

    assert portrait["profile"]["firm_id"] == "ref-carl-zeiss"
    assert portrait["profile"]["country"] == "DE"
    nodes = {n["node_id"]: n for n in portrait["nodes"]}
    assert nodes["coordinate_measuring"]["evidence"] == "CMM"
    assert nodes["coordinate_measuring"]["stage"] and nodes["coordinate_measuring"]["name_zh"]
    assert portrait["provenance"]["source"] == "reference"
    assert portrait["provenance"]["is_synthetic"] is False
    dates = [o["date"] for o in portrait["outcomes"]]
    assert dates == sorted(dates)
    assert all(o["firm_id"] == "ref-carl-zeiss" for o in portrait["outcomes"])


def test_a_synthetic_firm_says_so(get):
    first = get("/api/v1/firms?page=3&page_size=200")["items"]
    synthetic = next(f for f in first if f["firm_id"].startswith("syn-"))
    portrait = get(f"/api/v1/firms/{synthetic['firm_id']}")
    assert portrait["provenance"]["is_synthetic"] is True


# --- outcomes -------------------------------------------------------------------------------
def test_outcomes_are_paged_newest_first(get, demo_store):
    body = get("/api/v1/outcomes?page_size=20")
    keys = [(o["date"], o["id"]) for o in body["items"]]
    assert len(keys) == 20
    assert keys == sorted(keys, reverse=True)
    stored = demo_store.outcomes()
    assert body["pagination"]["total"] == len(stored) > 20
    assert keys[0][0] == str(stored[C.DATE].max())[:10]


def test_outcomes_filter_by_firm_and_node(get):
    body = get("/api/v1/outcomes?firm_id=ref-keysight&page_size=200")
    assert body["items"] and all(o["firm_id"] == "ref-keysight" for o in body["items"])
    node = body["items"][0]["node_id"]
    both = get(f"/api/v1/outcomes?firm_id=ref-keysight&node_id={node}&page_size=200")
    assert both["items"] and all(o["node_id"] == node for o in both["items"])


def test_recording_an_outcome(client, as_role, keys, get):
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": 3,
            "date": "2025-05-20", "note": "MoU signed 签约"}

    response = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)

    assert response.status_code == 201
    created = response.get_json()
    assert {k: created[k] for k in body} == body
    assert created["campaign_id"] == "manual-2025"
    assert created["recorded_by"] == "test officer"  # a key without a person: its label
    assert created["source"] == "api"
    history = get("/api/v1/firms/ref-keysight")["outcomes"]
    assert created in history


def test_recording_with_a_campaign(client, as_role):
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": 0,
            "date": "2025-05-21", "campaign_id": "C-fair-2025"}
    response = client.post("/api/v1/outcomes", headers=as_role("admin"), json=body)
    assert response.status_code == 201
    assert response.get_json()["campaign_id"] == "C-fair-2025"
    assert response.get_json()["note"] is None


def test_recording_the_same_outcome_twice_is_a_conflict(client, as_role, error_body):
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": 1,
            "date": "2025-05-22"}
    first = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)
    again = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)

    assert first.status_code == 201
    error = error_body(again, 409, "duplicate_outcome")
    assert error["details"]["id"] == first.get_json()["id"]


@pytest.mark.parametrize(("change", "field"), [
    ({"firm_id": "no-such-firm"}, "firm_id"),
    ({"node_id": "no_such_node"}, "node_id"),
])
def test_an_outcome_for_an_unknown_firm_or_node_is_refused(client, as_role, error_body,
                                                           change, field):
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": 1,
            "date": "2025-05-23", **change}
    response = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)
    error = error_body(response, 422, "validation_error")
    assert [p["field"] for p in error["details"]["problems"]] == [field]


@pytest.mark.parametrize("stage", [-1, 5, 2.5, "2", True])
def test_a_stage_outside_0_to_4_is_refused(client, as_role, error_body, stage):
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": stage,
            "date": "2025-05-24"}
    response = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)
    assert "stage" in error_body(response, 422, "validation_error")["details"]["fields"]["json"]


def test_an_outcome_dated_after_tomorrow_is_refused(client, as_role, error_body):
    import datetime

    today = datetime.datetime.now(datetime.UTC).date()
    body = {"firm_id": "ref-keysight", "node_id": "oscilloscopes", "stage": 1}
    for day in (today + datetime.timedelta(days=2), datetime.date(9999, 12, 31)):
        response = client.post("/api/v1/outcomes", headers=as_role("officer"),
                               json={**body, "date": day.isoformat()})
        error = error_body(response, 422, "validation_error")
        assert "cannot be dated after" in str(error["details"]["fields"]["json"]["date"])
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    accepted = client.post("/api/v1/outcomes", headers=as_role("officer"),
                           json={**body, "date": tomorrow, "note": "time-zone grace"})
    assert accepted.status_code == 201


# --- parks ----------------------------------------------------------------------------------
def test_parks_are_listed_with_their_profiles(get):
    body = get("/api/v1/parks")
    assert body["pagination"]["total"] == 15
    park = body["items"][0]
    assert isinstance(park["focus_nodes"], list) and park["name_zh"]


def test_a_park(get):
    park = get("/api/v1/parks/dg_songshan_lake", role="park_manager")
    assert park["park_id"] == "dg_songshan_lake" and park["is_illustrative"] in (True, False)


def test_a_park_manager_sees_a_portrait_without_the_outcome_history(get):
    portrait = get("/api/v1/firms/ref-carl-zeiss", role="park_manager")
    assert portrait["outcomes"] is None
    assert portrait["profile"]["firm_id"] == "ref-carl-zeiss" and portrait["nodes"]
