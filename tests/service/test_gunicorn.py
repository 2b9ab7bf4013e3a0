"""A real gunicorn server on 127.0.0.1 over the test store: health, a keyed read, a write,
rankings named by their model version, an export, an activation seen by both workers."""

import json
import time
import urllib.error
import urllib.request

import pytest

from recommender import columns as C
from recommender.targeting.export_columns import HEADERS, TARGET_EXPORT_COLUMNS

NODE = "vacuum_pumps"


def call(url: str, *, method: str = "GET", headers=None, body=None, raw: bool = False):
    """Return (status, headers, parsed JSON body) of one request, errors included."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            content = response.read()
            return response.status, response.headers, content if raw else json.loads(content)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.loads(error.read())


@pytest.fixture(scope="module")
def versions(rankers, helpers, tmp_path_factory):
    """A registry folder with two saved models, the first active; (var dir, a, b)."""
    from recommender.ranking.registry import ModelRegistry

    var = tmp_path_factory.mktemp("gunicorn-var")
    registry = ModelRegistry(var / "models")
    a = helpers["save_model"](registry, rankers.good, 0.6)
    b = helpers["save_model"](registry, rankers.other, 0.5)
    registry.activate(a)
    return var, a, b


@pytest.fixture(scope="module")
def server(demo_store, keys, versions, gunicorn):
    """gunicorn (two workers) over the test store; yield its API base URL."""
    base = gunicorn({"CHAINSCOUT_DATABASE_URL": demo_store.url,
                     "CHAINSCOUT_VAR_DIR": str(versions[0]),
                     "CHAINSCOUT_SNAPSHOT_CHECK_SECONDS": "0"})
    return f"{base}/api/v1"


def test_health_and_readiness(server):
    assert call(f"{server}/health")[::2] == (200, {"status": "ok"})
    status, _, body = call(f"{server}/ready")
    assert status == 200 and body["status"] == "ready"


def test_a_keyed_read(server, keys):
    status, headers, body = call(f"{server}/firms/ref-carl-zeiss",
                                 headers={"X-API-Key": keys["viewer"]})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]
    assert body["profile"]["name"] and body["provenance"]["source"] == "reference"


def test_a_write(server, keys, demo_store):
    outcome = {"firm_id": "ref-carl-zeiss", "node_id": "optical_microscopes", "stage": 2,
               "date": "2023-09-09", "note": "site visit through gunicorn"}
    status, _, body = call(f"{server}/outcomes", method="POST", body=outcome,
                           headers={"Authorization": f"Bearer {keys['officer']}"})
    assert status == 201
    assert body["recorded_by"] == "test officer"
    stored = demo_store.outcomes(firm_id="ref-carl-zeiss")
    assert "site visit through gunicorn" in set(stored["note"].dropna())


def test_errors_keep_their_body_through_the_server(server, keys):
    status, headers, body = call(f"{server}/outcomes")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = call(f"{server}/outcomes", method="POST", body={"stage": 9},
                           headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, body = call(f"{server}/nowhere")
    assert status == 404 and set(body["error"]) == {"status", "code", "message", "details",
                                                    "request_id"}


def _ranking(server, keys, **query):
    params = "&".join(f"{k}={v}" for k, v in {"k": 5, **query}.items())
    status, headers, body = call(f"{server}/weak-links/{NODE}/recommendations?{params}",
                                 headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert status == 200, body
    assert headers["X-Model-Version"] == body["model_version"]
    assert {i["model_version"] for i in body["items"]} == {body["model_version"]}
    return body


def _until(check, timeout: float = 60.0):
    """Call ``check`` until it is true six times running (both workers had their say)."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 6:
        streak = streak + 1 if check() else 0
        assert time.monotonic() < deadline, "the workers did not catch up"
        time.sleep(0.05)


def test_rankings_name_the_active_model(server, keys, versions):
    _, a, _ = versions
    for _ in range(4):
        assert _ranking(server, keys)["model_version"] == a


def test_an_export_through_the_server(server, keys):
    status, headers, content = call(f"{server}/target-list?k=5&format=csv", raw=True,
                                    headers={"Authorization": f"Bearer {keys['officer']}"})
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" in headers["Content-Disposition"]
    header = content.decode("utf-8-sig").splitlines()[0].split(",")
    columns = [*TARGET_EXPORT_COLUMNS, C.MODEL_VERSION]  # a CSV names its model last
    assert header == [HEADERS[column][0] for column in columns]
    assert header[:2] == ["排名", "企业名称"] and "企业编号" in header[-3:]


def test_an_activation_and_an_outcome_reach_both_workers(server, keys, versions, demo_store):
    _, a, b = versions
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    status, _, body = call(f"{server}/models/{b}/activate", method="POST", headers=admin)
    assert status == 200 and body["previous"] == a
    _until(lambda: _ranking(server, keys)["model_version"] == b)

    outcome = {"firm_id": "ref-carl-zeiss", "node_id": NODE, "stage": 2, "date": "2025-09-09",
               "campaign_id": "C-gunicorn"}
    status, _, _ = call(f"{server}/outcomes", method="POST", body=outcome,
                        headers={"Authorization": f"Bearer {keys['officer']}"})
    assert status == 201
    version = demo_store.data_version()
    _until(lambda: _ranking(server, keys)["data_version"] == version)
    status, _, models = call(f"{server}/models", headers=admin)
    assert models["active"] == b


def test_a_training_job_is_answered_by_any_worker(server, keys):
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    status, headers, job = call(f"{server}/models/train", method="POST", headers=admin,
                                body={"activate": False, "test_share": 0.3})
    assert status == 202 and headers["Location"].endswith(f"/jobs/{job['id']}")
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status, _, body = call(f"{server}/jobs/{job['id']}", headers=admin)
        assert status == 200
        seen.add(body["status"])
        if body["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert body["status"] == "done", body
    assert body["result"]["promotion"] is None  # activate: false
    assert seen <= {"queued", "running", "done", "failed"}
