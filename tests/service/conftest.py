"""Fixtures of the service tests: one small demo store, a key per role, an app over them,
two small rankers trained on the store's history, and a registry whose active model is one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from recommender.chain import load_chain
from recommender.store import auth, open_store
from service import create_app

OWN_PARK = "dg_songshan_lake"  # the park of the park manager's key
OTHER_PARK = "gz_nansha"
ROLES = ("admin", "officer", "park_manager", "viewer")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """Build a small demo world (300 synthetic firms) into a SQLite store; yield its URL."""
    from recommender.demo.install import build_demo

    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 't.db'}"
    store = open_store(url)
    build_demo(n_firms=300, seed=1, out_dir=folder, chain=load_chain(), store=store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def keys(demo_store) -> dict[str, str]:
    """Return a key per role (the park manager's sees OWN_PARK only) and a revoked one."""
    made = {}
    for role in ROLES:
        parks = [OWN_PARK] if role == "park_manager" else []
        made[role], _ = auth.create_key(demo_store, role, park_ids=parks, label=f"test {role}")
    made["revoked"], principal = auth.create_key(demo_store, "admin", label="test revoked")
    auth.revoke_key(demo_store, principal.id)
    return made


@dataclass
class Rankers:
    """Two rankers fitted on the demo store's history, and the inputs they were fitted on."""

    good: object
    other: object
    data: object
    weak_links: object


@pytest.fixture(scope="session")
def rankers(demo_store) -> Rankers:
    """Fit two small LambdaRank models (different seeds and sizes) on the store's outcomes."""
    from recommender import columns as C
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data
    from recommender.ranking.feature_registry import feature_names
    from recommender.ranking.features import training_frame
    from recommender.ranking.ranker import ChainRanker
    from recommender.ranking.splits import time_split

    chain, region = load_chain(), load_region()
    data = load_chain_data(demo_store, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    frame = training_frame(data, weak_links)
    fit, valid = time_split(frame, test_share=0.25)
    names = feature_names()

    def ranker(n_estimators: int, seed: int):
        return ChainRanker(n_estimators=n_estimators, random_state=seed).fit(
            fit[names], fit[C.LABEL], group_id=fit[C.GROUP_ID],
            eval_set=(valid[names], valid[C.LABEL]), eval_group=valid[C.GROUP_ID])

    return Rankers(ranker(40, 0), ranker(12, 3), data, weak_links)


def save_model(registry, ranker, ndcg: float) -> str:
    """Save ``ranker`` with a held-out NDCG@10 of ``ndcg``; return its version."""
    return registry.save(ranker, {"metrics": {"ndcg@10": ndcg, "map@10": ndcg / 2,
                                              "recall@50": ndcg},
                                  "test_window": {"start": "2024-01-01", "end": "2025-12-31"}})


class StubTrainer:
    """Stands in for ``recommender.ranking.training.train_model``: records calls, answers at once
    (or when ``gate`` is set, or raises ``error``)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.gate: threading.Event | None = None
        self.error: Exception | None = None

    def __call__(self, data, weak_links, registry, *, test_share=0.3, seed=0, activate=True,
                 progress=None):
        self.calls.append({"outcomes": len(data.outcomes), "test_share": test_share,
                           "seed": seed, "activate": activate})
        if self.gate is not None:
            self.gate.wait(10)
        if self.error is not None:
            raise self.error
        return {"version": "stub-version",
                "metrics": {"lambdarank": {"ndcg@10": 0.5}, "prior": {"ndcg@10": 0.4}},
                "promotion": {"activated": False, "reason": "stub", "previous": None}}


def service_app(store, var_dir, **config):
    """An app over ``store`` with its registry under ``var_dir``; snapshots refreshed on the
    request that notices a change (checked on every request), rate limits off."""
    settings = {"TESTING": True, "database_url": store.url, "var_dir": str(var_dir),
                "RATE_LIMIT_PER_MINUTE": 0, "AUTH_FAILURES_PER_MINUTE": 0,
                "SNAPSHOT_REFRESH": "inline", "SNAPSHOT_CHECK_SECONDS": 0, **config}
    return create_app(settings)


def wait_for_jobs(app, timeout: float = 30) -> None:
    """Wait for every job thread the app started."""
    for thread in list(app.extensions["chainscout"].job_threads.values()):
        thread.join(timeout)


@pytest.fixture(scope="session")
def active_version(app, rankers) -> str:
    """The version active in the session app's registry (the good ranker)."""
    registry = app.extensions["chainscout"].registry
    version = save_model(registry, rankers.good, 0.6)
    registry.activate(version)
    return version


@pytest.fixture(scope="session")
def app(demo_store, keys, tmp_path_factory):
    """The app over the demo store, rate limit off (a test of its own turns it on); its
    training jobs run a :class:`StubTrainer` (``app.extensions["chainscout"].train_model``)."""
    made = service_app(demo_store, tmp_path_factory.mktemp("var"))
    made.extensions["chainscout"].train_model = StubTrainer()
    return made


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def as_role(keys):
    """Return a function giving the headers that carry the key of a role."""

    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[role]}"}

    return headers


@pytest.fixture(scope="session")
def error_body():
    """Return :func:`assert_error_body`."""
    return assert_error_body


def assert_error_body(response, status: int, code: str | None = None) -> dict:
    """Check the one error body and that no internals leak; return its ``error`` part."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details", "request_id"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    assert error["request_id"] == response.headers["X-Request-ID"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture(scope="session")
def helpers():
    """The module's helpers, for test modules (conftest cannot be imported in importlib mode)."""
    return {"save_model": save_model, "service_app": service_app,
            "wait_for_jobs": wait_for_jobs, "StubTrainer": StubTrainer}


GUNICORN_STARTUP_SECONDS = 30
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


class Gunicorns:
    """gunicorn servers on service.wsgi:app, each on a free port of 127.0.0.1; ``stop()`` ends
    them all."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.processes: list[subprocess.Popen] = []

    def start(self, env: dict[str, str], *, timeout: int = 30) -> str:
        port = free_port()
        log = self.tmp_path_factory.mktemp("gunicorn") / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                 "2", "--timeout", str(timeout), "service.wsgi:app"],
                cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + GUNICORN_STARTUP_SECONDS
        while not _answers(f"{base}/api/v1/health"):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in {GUNICORN_STARTUP_SECONDS} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.2)
        return base

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """Start gunicorn on service.wsgi:app on a free port of 127.0.0.1, with extra environment.

    ``gunicorn(env, timeout=30)`` returns ``http://127.0.0.1:<port>`` once ``/api/v1/health``
    answers; every server started is stopped at the end of the module.
    """
    servers = Gunicorns(tmp_path_factory)
    yield servers.start
    servers.stop()


@pytest.fixture(scope="session")
def shared_gunicorn(tmp_path_factory):
    """``gunicorn`` for servers that many modules share (the demo store's, read by the pages'
    browser tests): stopped at the end of the run."""
    servers = Gunicorns(tmp_path_factory)
    yield servers.start
    servers.stop()
