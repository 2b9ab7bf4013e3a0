"""Models, activation, promotion, training jobs and the outcomes loop, through the test client.

The module's app has a registry of its own; its training jobs run a stub unless a test says
otherwise (the real pipeline, ``recommender.ranking.training``, is tested when it is installed).
"""

import datetime as dt
import importlib.util
import threading
import time

import pytest

from recommender import columns as C
from recommender.ranking.dataset import load_chain_data
from recommender.ranking.features import training_frame
from recommender.targeting.recommend import recommend
from service.api.jobs import JobSchema
from service.api.models import ModelListSchema

NODE = "vacuum_pumps"
HAS_TRAINING = importlib.util.find_spec("recommender.ranking.training") is not None


@pytest.fixture(scope="module")
def models_app(demo_store, keys, helpers, tmp_path_factory):
    made = helpers["service_app"](demo_store, tmp_path_factory.mktemp("models-var"))
    made.extensions["chainscout"].train_model = helpers["StubTrainer"]()
    return made


@pytest.fixture
def mclient(models_app):
    return models_app.test_client()


@pytest.fixture(scope="module")
def registry(models_app):
    return models_app.extensions["chainscout"].registry


@pytest.fixture(scope="module")
def versions(registry, rankers, helpers):
    """Two saved versions: ``good`` (NDCG@10 0.6) and ``worse`` (0.4); none active yet."""
    save = helpers["save_model"]
    return {"good": save(registry, rankers.good, 0.6), "worse": save(registry, rankers.other, 0.4)}


@pytest.fixture
def stub(models_app):
    trainer = models_app.extensions["chainscout"].train_model
    trainer.gate, trainer.error = None, None
    return trainer


def ranking(client, headers, k: int = 10, *, include_landed: bool = False):
    query = f"k={k}&include_landed={'true' if include_landed else 'false'}"
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["model_version"] == response.headers["X-Model-Version"]
    assert {i["model_version"] for i in body["items"]} == {body["model_version"]}
    return body


def expected_scores(models_app, version: str, k: int = 10) -> list[float]:
    """What the library ranks for NODE with ``version`` over the data the app serves."""
    app_state = models_app.extensions["chainscout"]
    snapshot = app_state.snapshots.current
    model = app_state.registry.load(version)
    top = recommend(snapshot.data, snapshot.weak_links, NODE, model=model, k=k)
    return top[C.SCORE].tolist()


# --- listing and activating -----------------------------------------------------------------
def test_with_no_model_the_prior_serves(demo_store, keys, helpers, tmp_path, as_role):
    client = helpers["service_app"](demo_store, tmp_path).test_client()
    body = ranking(client, as_role("viewer"))
    models = client.get("/api/v1/models", headers=as_role("viewer")).get_json()

    assert body["model_version"] == "prior"
    assert models["active"] is None and models["items"] == []
    assert models["serving"]["model_version"] == "prior"


def test_models_are_listed_with_their_metrics_and_the_active_one(mclient, as_role, registry,
                                                                 versions):
    registry.activate(versions["good"])
    response = mclient.get("/api/v1/models", headers=as_role("officer"))
    body = response.get_json()

    assert ModelListSchema().validate(body) == {}
    assert body["active"] == versions["good"]
    listed = {m["version"]: m for m in body["items"]}
    assert listed[versions["good"]]["active"] and not listed[versions["worse"]]["active"]
    assert listed[versions["worse"]]["metrics"]["ndcg@10"] == 0.4


def test_an_admin_activates_a_worse_model_explicitly_and_it_serves_at_once(
        models_app, mclient, as_role, keys, registry, versions):
    registry.activate(versions["good"])
    assert ranking(mclient, as_role("viewer"))["model_version"] == versions["good"]

    response = mclient.post(f"/api/v1/models/{versions['worse']}/activate",
                            headers=as_role("admin"))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"version": versions["worse"], "active": versions["worse"],
                                   "previous": versions["good"],
                                   "activated_by": keys["admin"][:8]}
    body = ranking(mclient, as_role("viewer"))
    assert body["model_version"] == versions["worse"]
    assert [i["score"] for i in body["items"]] == pytest.approx(
        expected_scores(models_app, versions["worse"]))


def test_promotion_refuses_a_worse_model_and_the_active_one_keeps_serving(
        models_app, mclient, as_role, registry, versions):
    registry.activate(versions["good"])

    decision = registry.promote_if_better(versions["worse"])

    assert not decision.promoted and "does not beat" in decision.reason
    body = ranking(mclient, as_role("viewer"))
    assert body["model_version"] == versions["good"]
    assert [i["score"] for i in body["items"]] == pytest.approx(
        expected_scores(models_app, versions["good"]))


def tamper(registry, version: str) -> None:
    """Change one byte of a saved model file (its sha256 no longer matches)."""
    path = registry.root / version / "model.txt"
    text = path.read_bytes()
    path.write_bytes(text.replace(b"learning_rate", b"learning_ratf", 1))


def test_a_tampered_model_is_refused_and_the_active_one_keeps_serving(
        mclient, as_role, error_body, registry, rankers, versions, helpers):
    registry.activate(versions["good"])
    corrupt = helpers["save_model"](registry, rankers.good, 0.95)
    tamper(registry, corrupt)

    response = mclient.post(f"/api/v1/models/{corrupt}/activate", headers=as_role("admin"))
    decision = registry.promote_if_better(corrupt)

    error = error_body(response, 422, "model_refused")
    assert "sha256" in error["message"]
    assert error["details"] == {"version": corrupt, "active": versions["good"]}
    assert not decision.promoted and decision.reason.startswith("refused")
    assert registry.active_version() == versions["good"]
    assert ranking(mclient, as_role("viewer"))["model_version"] == versions["good"]


def test_an_unknown_version_is_a_404(mclient, as_role, error_body, versions):
    response = mclient.post("/api/v1/models/20990101T000000-deadbeef/activate",
                            headers=as_role("admin"))
    error_body(response, 404, "not_found")


def test_a_model_changed_on_disk_after_activation_keeps_serving_from_memory(
        models_app, mclient, as_role, registry, rankers, helpers):
    version = helpers["save_model"](registry, rankers.good, 0.61)
    registry.activate(version)
    assert ranking(mclient, as_role("viewer"))["model_version"] == version
    tamper(registry, version)
    outcome = {"firm_id": "ref-keysight", "node_id": NODE, "stage": 0, "date": "2025-07-01",
               "campaign_id": "C-memory"}
    assert mclient.post("/api/v1/outcomes", headers=as_role("officer"),
                        json=outcome).status_code == 201

    body = ranking(mclient, as_role("viewer"))

    snapshot = models_app.extensions["chainscout"].snapshots.current
    assert body["data_version"] == snapshot.data_version  # a new snapshot was built ...
    assert body["model_version"] == version  # ... with the model already in memory
    assert snapshot.model_error is None


# --- the outcomes loop ----------------------------------------------------------------------
def test_a_recorded_outcome_is_a_training_label_and_a_new_data_version(
        models_app, mclient, as_role, demo_store, stub):
    before = ranking(mclient, as_role("viewer"))
    firm = before["items"][0]["firm_id"]
    outcome = {"firm_id": firm, "node_id": NODE, "stage": 4, "date": "2026-03-02",
               "campaign_id": "C-loop-2026"}

    response = mclient.post("/api/v1/outcomes", headers=as_role("officer"), json=outcome)

    assert response.status_code == 201
    app_state = models_app.extensions["chainscout"]
    data = load_chain_data(demo_store, chain=app_state.chain, region=app_state.region)
    frame = training_frame(data, app_state.snapshots.current.weak_links)
    row = frame[(frame[C.CAMPAIGN_ID] == "C-loop-2026") & (frame[C.FIRM_ID] == firm)]
    assert row[C.LABEL].tolist() == [4] and row[C.NODE_ID].tolist() == [NODE]
    assert row[C.GROUP_ID].tolist() == [f"C-loop-2026|{NODE}"]
    after = ranking(mclient, as_role("viewer"))
    assert after["data_version"] == demo_store.data_version() > before["data_version"]
    assert firm not in {i["firm_id"] for i in after["items"]}  # invested: it left the list
    landed = ranking(mclient, as_role("viewer"), k=500, include_landed=True)
    assert next(i for i in landed["items"] if i["firm_id"] == firm)["contacted"] is True

    job = mclient.post("/api/v1/models/train", headers=as_role("admin"), json={})
    assert job.status_code == 202
    _wait(mclient, as_role("admin"), job.get_json()["id"])
    assert stub.calls[-1]["outcomes"] == len(data.outcomes)  # the job read the new label


# --- training jobs --------------------------------------------------------------------------
def _wait(client, headers, job_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_a_training_job_is_accepted_and_reports_its_result(mclient, as_role, keys, stub):
    response = mclient.post("/api/v1/models/train", headers=as_role("admin"),
                            json={"test_share": 0.25, "seed": 3, "activate": False})

    assert response.status_code == 202
    job = response.get_json()
    assert JobSchema().validate(job) == {}
    assert job["status"] in ("queued", "running", "done") and job["kind"] == "train"
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    done = _wait(mclient, as_role("admin"), job["id"])
    assert done["status"] == "done" and done["error"] is None
    assert done["result"]["version"] == "stub-version"
    assert done["created_by"] == keys["admin"][:8]
    assert done["params"] == {"test_share": 0.25, "seed": 3, "activate": False}
    assert stub.calls[-1] | {"outcomes": 0} == {"outcomes": 0, "test_share": 0.25, "seed": 3,
                                                "activate": False}
    assert done["started_at"] <= done["finished_at"]


def test_a_failed_training_job_says_why(mclient, as_role, stub):
    from recommender.exceptions import DataError

    stub.error = DataError("only 3 campaign groups with outcomes")
    job = mclient.post("/api/v1/models/train", headers=as_role("admin"), json={}).get_json()

    done = _wait(mclient, as_role("admin"), job["id"])

    assert done["status"] == "failed" and done["result"] is None
    assert done["error"] == "data_error: only 3 campaign groups with outcomes"


def test_one_training_job_at_a_time(models_app, mclient, as_role, error_body, stub, helpers):
    stub.gate = threading.Event()
    first = mclient.post("/api/v1/models/train", headers=as_role("admin"), json={}).get_json()
    try:
        second = mclient.post("/api/v1/models/train", headers=as_role("admin"), json={})
        error = error_body(second, 409, "job_in_progress")
        assert error["details"] == {"job_id": first["id"]}
    finally:
        stub.gate.set()
        helpers["wait_for_jobs"](models_app)
    assert _wait(mclient, as_role("admin"), first["id"])["status"] == "done"


@pytest.mark.parametrize("body", [{"test_share": 0.9}, {"seed": "x"}, {"activate": "maybe"},
                                  {"epochs": 3}])
def test_a_bad_training_request_is_refused(mclient, as_role, error_body, body):
    response = mclient.post("/api/v1/models/train", headers=as_role("admin"), json=body)
    error_body(response, 422, "validation_error")


def test_an_unknown_job_is_a_404(mclient, as_role, error_body):
    error_body(mclient.get("/api/v1/jobs/987654", headers=as_role("admin")), 404, "not_found")


@pytest.mark.skipif(not HAS_TRAINING, reason="recommender.ranking.training (the training pipeline "
                                             "extracted from `chainscout train`) is not here yet")
def test_a_real_training_job_trains_measures_and_promotes_only_if_better(
        demo_store, keys, helpers, tmp_path, as_role):
    app = helpers["service_app"](demo_store, tmp_path)
    client = app.test_client()

    job = client.post("/api/v1/models/train", headers=as_role("admin"),
                      json={"test_share": 0.3, "seed": 0}).get_json()
    done = _wait(client, as_role("admin"), job["id"], timeout=300)

    assert done["status"] == "done", done["error"]
    result = done["result"]
    assert {"lambdarank", "prior"} <= set(result["metrics"])
    assert result["promotion"]["activated"] is True  # nothing was active
    registry = app.extensions["chainscout"].registry
    assert registry.active_version() == result["version"]
    assert ranking(client, as_role("viewer"))["model_version"] == result["version"]
    again = client.post("/api/v1/models/train", headers=as_role("admin"),
                        json={"test_share": 0.3, "seed": 0}).get_json()
    second = _wait(client, as_role("admin"), again["id"], timeout=300)["result"]
    assert second["promotion"]["activated"] is False  # the same data: not better
    assert registry.active_version() == result["version"]


def test_jobs_are_kept_in_the_store_for_every_process(demo_store, mclient, as_role, stub):
    from recommender.store import jobs

    job = mclient.post("/api/v1/models/train", headers=as_role("admin"), json={}).get_json()
    _wait(mclient, as_role("admin"), job["id"])
    row = jobs.job(demo_store, job["id"])
    assert row["status"] == "done" and row["result"]["version"] == "stub-version"
    assert row["created_at"] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
