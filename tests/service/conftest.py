"""Fixtures of the service tests: one small demo store, a key per role, an app over them."""

from __future__ import annotations

import pytest

from recommender import auth
from recommender.chain import load_chain
from recommender.store import open_store
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


@pytest.fixture(scope="session")
def app(demo_store, keys):
    """The app over the demo store, rate limit off (a test of its own turns it on)."""
    return create_app({"TESTING": True, "database_url": demo_store.url,
                       "RATE_LIMIT_PER_MINUTE": 0})


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
