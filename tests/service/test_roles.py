"""The role matrix: each role (and no key, and a revoked key) against each endpoint."""

import pandas as pd
import pytest

OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park, and another
MADE = "matrix_park"  # a park the matrix creates and deletes
NODE = "vacuum_pumps"
ALL = ("admin", "officer", "park_manager", "viewer")
CALLERS = (*ALL, "no key", "revoked")
READERS = {"admin": 200, "officer": 200, "park_manager": 403, "viewer": 200}
EXPORTERS = {"admin": 200, "officer": 200, "park_manager": 403, "viewer": 403}
ADMIN_ONLY = {"admin": 200, "officer": 403, "park_manager": 403, "viewer": 403}
OWN_PARK_EDITORS = {"admin": 200, "officer": 403, "park_manager": 200, "viewer": 403}
OTHER_PARK_EDITORS = {**OWN_PARK_EDITORS, "park_manager": 404}
PIPELINE_RUNNERS = {"admin": 200, "officer": 200, "park_manager": 403, "viewer": 403}
MAP = f"weak_link={NODE}&k=10"

# endpoint -> status per caller; no key and a revoked key get 401 unless the endpoint is public
ENDPOINTS = {
    "GET /api/v1/health": dict.fromkeys(CALLERS, 200),
    "GET /api/v1/ready": dict.fromkeys(CALLERS, 200),
    "GET /api/v1/openapi.json": dict.fromkeys(CALLERS, 200),
    "GET /api/v1/docs": dict.fromkeys(CALLERS, 200),
    "GET /api/v1/chains": dict.fromkeys(ALL, 200),
    "GET /api/v1/chains/precision_instruments": dict.fromkeys(ALL, 200),
    "GET /api/v1/firms": dict.fromkeys(ALL, 200),
    "GET /api/v1/firms/ref-keyence": dict.fromkeys(ALL, 200),
    # node corrections: officers and admins; the matrix body names no action: nothing changes
    "POST /api/v1/firms/ref-keyence/nodes": {"admin": 422, "officer": 422, "park_manager": 403,
                                             "viewer": 403},
    "GET /api/v1/firms/review": {"admin": 200, "officer": 200, "park_manager": 403,
                                 "viewer": 403},
    # outcomes: a park manager's, of the firms matched to its parks only (the matrix's firm is
    # matched to none of them: as absent as an unknown firm)
    "GET /api/v1/outcomes": {"admin": 200, "officer": 200, "park_manager": 200, "viewer": 200},
    "POST /api/v1/outcomes": {"admin": 201, "officer": 201, "park_manager": 404,
                              "viewer": 403},
    "GET /api/v1/parks": dict.fromkeys(ALL, 200),
    f"GET /api/v1/parks/{OWN}": dict.fromkeys(ALL, 200),
    f"GET /api/v1/parks/{OTHER}": {"admin": 200, "officer": 200, "park_manager": 404,
                                   "viewer": 200},
    # parks: created and deleted by admins; edited by admins and their own park managers
    "POST /api/v1/parks": {**ADMIN_ONLY, "admin": 201},
    f"PUT /api/v1/parks/{OWN}": OWN_PARK_EDITORS,
    f"PUT /api/v1/parks/{OTHER}": OTHER_PARK_EDITORS,
    f"PATCH /api/v1/parks/{OWN}": OWN_PARK_EDITORS,
    f"PATCH /api/v1/parks/{OTHER}": OTHER_PARK_EDITORS,
    f"DELETE /api/v1/parks/{MADE}": {**ADMIN_ONLY, "admin": 204},
    # park matching: every role, a park manager for its own parks only
    f"GET /api/v1/parks/{OWN}/matches": dict.fromkeys(ALL, 200),
    f"GET /api/v1/parks/{OTHER}/matches": {**dict.fromkeys(ALL, 200), "park_manager": 404},
    "POST /api/v1/parks/match": dict.fromkeys(ALL, 200),
    "GET /api/v1/firms/ref-keyence/parks": dict.fromkeys(ALL, 200),
    "POST /api/v1/parks/assign": dict.fromkeys(ALL, 200),
    f"POST /api/v1/parks/assign?other={OTHER}": {**dict.fromkeys(ALL, 200),
                                                 "park_manager": 404},
    # maps: every role
    f"GET /api/v1/maps/recruitment.geojson?{MAP}": dict.fromkeys(ALL, 200),
    f"GET /api/v1/maps/recruitment.png?{MAP}": dict.fromkeys(ALL, 200),
    # rankings: read by viewers, officers and admins; files only by those who may export
    "GET /api/v1/weak-links": READERS,
    f"GET /api/v1/weak-links/{NODE}/recommendations": READERS,
    f"GET /api/v1/weak-links/{NODE}/recommendations?format=csv": EXPORTERS,
    f"GET /api/v1/weak-links/{NODE}/recommendations?format=xlsx": EXPORTERS,
    "GET /api/v1/target-list": READERS,
    "GET /api/v1/target-list?format=csv": EXPORTERS,
    # models: read by the readers of rankings; trained, activated and followed by admins
    "GET /api/v1/models": READERS,
    "POST /api/v1/models/train": {**ADMIN_ONLY, "admin": 202},
    "POST /api/v1/models/{version}/activate": ADMIN_ONLY,
    "GET /api/v1/jobs/{job}": ADMIN_ONLY,
    # projects: read by viewers (without contacts), officers and admins; run by officers and
    # admins (a project that does not exist, or a body the library refuses, gets past the
    # roles to a 404 or 422 without changing the shared store)
    "GET /api/v1/projects": READERS,
    "POST /api/v1/projects": {**PIPELINE_RUNNERS, "admin": 422, "officer": 422},
    "GET /api/v1/projects/999999": {**READERS, "admin": 404, "officer": 404, "viewer": 404},
    "PATCH /api/v1/projects/999999": {**PIPELINE_RUNNERS, "admin": 404, "officer": 404},
    "DELETE /api/v1/projects/999999": {**PIPELINE_RUNNERS, "admin": 404, "officer": 404},
    "POST /api/v1/projects/999999/transitions": {**PIPELINE_RUNNERS, "admin": 404,
                                                 "officer": 404},
    "GET /api/v1/projects/999999/history": {**READERS, "admin": 404, "officer": 404,
                                            "viewer": 404},
    "GET /api/v1/projects/follow-ups": READERS,
    "GET /api/v1/projects/kpis": READERS,
    "GET /api/v1/projects/trends": READERS,
    "GET /api/v1/projects/export": READERS,
    # an import without a file changes nothing
    "POST /api/v1/projects/import": {**PIPELINE_RUNNERS, "admin": 422, "officer": 422},
    # chain health over time: read by the readers of rankings; snapshots by pipeline runners
    "GET /api/v1/chain-health/history": READERS,
    "GET /api/v1/chain-health/changes": READERS,
    "GET /api/v1/chain-health/unaddressed": READERS,
    "POST /api/v1/chain-health/snapshots": {**PIPELINE_RUNNERS, "admin": 201, "officer": 201},
    # leaders' needs: read by officers and admins (and leaders, their own); entered by admins
    # (and leaders); ref-keyence is no chain leader, so a deletion finds nothing
    "GET /api/v1/leader-needs": PIPELINE_RUNNERS,
    f"PUT /api/v1/leader-needs/ref-keyence/{NODE}": {**ADMIN_ONLY, "admin": 422},
    f"DELETE /api/v1/leader-needs/ref-keyence/{NODE}": {**ADMIN_ONLY, "admin": 404},
    # data freshness: whoever reads firms
    "GET /api/v1/data-freshness/stale": dict.fromkeys(ALL, 200),
    "GET /api/v1/data-freshness/firms/ref-keyence": dict.fromkeys(ALL, 200),
    "GET /api/v1/data-freshness/region": dict.fromkeys(ALL, 200),
    # sources recorded by whoever corrects firms' data; the matrix names no firm in the store
    "PUT /api/v1/data-freshness/sources": {**PIPELINE_RUNNERS, "admin": 404, "officer": 404},
}
MATRIX = [
    pytest.param(endpoint, caller, expected.get(caller, 401), id=f"{endpoint} as {caller}")
    for endpoint, expected in ENDPOINTS.items()
    for caller in CALLERS
]
# bodies of the pipeline's writes: refused (422) or for no such project (404) once past roles
PIPELINE_BODIES = {"POST projects": {}, "PATCH 999999": {"note": "x"},
                   "POST transitions": {"stage": "contacted"}, f"PUT {NODE}": {"need": 9}}
# each role that may record an outcome records one of its own (the key includes the date)
OUTCOME_DATE = {"admin": "2024-02-01", "officer": "2024-02-02", "park_manager": "2024-02-03",
                "viewer": "2024-02-04", "no key": "2024-02-05", "revoked": "2024-02-06"}


@pytest.fixture(scope="module")
def job_id(demo_store) -> int:
    from recommender.store import jobs

    job = jobs.create_job(demo_store, "train", created_by="csTest00")
    jobs.start_job(demo_store, job["id"])
    return jobs.finish_job(demo_store, job["id"], {"version": "v"})["id"]


@pytest.fixture(scope="module")
def made_park(demo_store):
    """Remove the park the matrix creates, before and after the module."""
    yield _drop_made_park(demo_store)
    _drop_made_park(demo_store)


def _drop_made_park(store) -> str:
    from recommender.exceptions import NotFoundError

    try:
        store.delete_park(MADE)
    except NotFoundError:
        pass
    return MADE


def _profile(store, park_id: str) -> dict:
    """A park's stored profile as a request body (unchanged, so writing it changes nothing)."""
    import pandas as pd

    from recommender.store.store import PARK_COLUMNS

    park = store.park(park_id)
    return {name: None if not isinstance(park[name], list) and pd.isna(park[name])
            else park[name] for name in PARK_COLUMNS if name != "park_id"}


@pytest.mark.parametrize(("endpoint", "caller", "status"), MATRIX)
def test_role_matrix(app, client, keys, error_body, active_version, job_id, helpers,
                     demo_store, made_park, endpoint, caller, status):
    method, path = endpoint.split(" ")
    path = path.format(version=active_version, job=job_id)
    headers = {"Authorization": f"Bearer {keys[caller]}"} if caller in keys else {}
    body = None
    if path.startswith(("/api/v1/projects", "/api/v1/leader-needs")):
        body = PIPELINE_BODIES.get(f"{method} {path.rsplit('/', 1)[1]}")
    elif path.endswith("/nodes") and method == "POST":
        body = {"node_id": "lasers", "action": "matrix", "reason": "role matrix"}
    elif path.endswith("/outcomes") and method == "POST":
        body = {"firm_id": "ref-carl-zeiss", "node_id": "coordinate_measuring", "stage": 1,
                "date": OUTCOME_DATE[caller], "note": f"met at a fair ({caller})"}
    elif path.endswith("/data-freshness/sources"):
        body = {"table_name": "firms", "subject": "nobody", "source": "matrix",
                "as_of": "2025-01-01"}
    elif path.endswith("/train"):
        helpers["wait_for_jobs"](app)  # one training job at a time
        body = {"activate": False}
    elif path == "/api/v1/parks" and method == "POST":
        _drop_made_park(demo_store)
        body = {"park_id": MADE, "name_zh": "矩阵园", "name_en": "Matrix park", "lat": 22.5,
                "lon": 113.9}
    elif method in ("PUT", "PATCH"):
        body = _profile(demo_store, path.rsplit("/", 1)[1])
    elif method == "DELETE":
        demo_store.upsert_parks(pd.DataFrame({"park_id": [MADE], "name_zh": ["矩阵园"],
                                              "name_en": ["Matrix park"], "lat": [22.5],
                                              "lon": [113.9], "is_illustrative": [True]}))
    elif path.endswith("/parks/match"):
        body = {"lat": 22.8, "lon": 113.6, "focus_nodes": [NODE]}
    elif "/parks/assign" in path:
        body = {"k_per_park": 5, **({"park_ids": [OWN, OTHER]} if "other=" in path else {})}
        path = path.split("?")[0]

    response = client.open(path, method=method, headers=headers, json=body)

    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        error = error_body(response, status)
        assert error["code"] == {401: "unauthorized", 403: "forbidden",
                                 404: "not_found", 422: "validation_error"}[status]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_api_route_is_in_the_matrix(app):
    routes = {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and "assets" not in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {e.split(" ")[0] + " " + _pattern(e.split(" ")[1]) for e in ENDPOINTS}
    assert routes <= covered | {"GET /api/v1/docs"}


def _pattern(path: str) -> str:
    path = path.split("?")[0]
    for name, value in (("chain_id", "precision_instruments"), ("firm_id", "ref-keyence"),
                        ("park_id", OWN), ("park_id", OTHER), ("park_id", MADE),
                        ("node_id", NODE),
                        ("version", "{version}"), ("int(min=1, max=2147483647):job_id", "{job}"),
                        ("int(min=1, max=2147483647):project_id", "999999")):
        path = path.replace(value, f"<{name}>")
    return path


def test_a_key_may_come_in_x_api_key(client, keys):
    response = client.get("/api/v1/chains", headers={"X-API-Key": keys["viewer"]})
    assert response.status_code == 200
    assert "Authorization" in response.headers["Vary"]


@pytest.mark.parametrize("header", [
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer cs-not-a-key"},
    {"X-API-Key": "x" * 10_000},
])
def test_other_credentials_are_refused(client, error_body, header):
    response = client.get("/api/v1/firms", headers=header)
    error_body(response, 401, "unauthorized")


def test_a_wrong_key_is_told_apart_from_a_missing_one(client, keys):
    missing = client.get("/api/v1/firms")
    wrong = client.get("/api/v1/firms", headers={"Authorization": f"Bearer {keys['viewer']}x"})
    assert 'error="invalid_token"' not in missing.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_a_park_manager_lists_its_own_parks_only(client, as_role):
    mine = client.get("/api/v1/parks", headers=as_role("park_manager")).get_json()
    every = client.get("/api/v1/parks", headers=as_role("viewer")).get_json()

    assert [p["park_id"] for p in mine["items"]] == [OWN]
    assert mine["pagination"]["total"] == 1
    assert every["pagination"]["total"] > 1


def test_another_park_looks_like_no_park(client, as_role):
    other = client.get(f"/api/v1/parks/{OTHER}", headers=as_role("park_manager")).get_json()
    absent = client.get("/api/v1/parks/nowhere", headers=as_role("park_manager")).get_json()
    assert other["error"]["message"].replace(OTHER, "X") == \
        absent["error"]["message"].replace("nowhere", "X")


def test_a_forbidden_answer_names_the_roles_that_may(client, as_role, error_body):
    response = client.post("/api/v1/outcomes", headers=as_role("viewer"),
                           json={"firm_id": "ref-keyence", "node_id": "lasers", "stage": 1,
                                 "date": "2025-01-02"})
    error = error_body(response, 403, "forbidden")
    assert error["details"] == {"permission": "outcomes:write",
                                "roles": ["admin", "officer", "park_manager"]}
