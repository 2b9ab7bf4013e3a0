"""Abuse and outage: guessed keys are limited per address before the store is asked, the rate
limits' buckets are shared between processes, a store that is down is a 503 with
Retry-After, and a page login holds in another process over the same var/."""

from __future__ import annotations

import multiprocessing
import re

import pytest

from service import create_app
from service.http import auth as http_auth
from service.http.limits import RateLimiter, SharedBuckets

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BAD_KEY = "cs" + "x" * 41


@pytest.fixture
def guarded(demo_store, tmp_path, monkeypatch):
    """An app allowing 3 failed keys in a burst; (client, store lookups made)."""
    looked_up = []
    real = http_auth.authenticate

    def counting(store, key):
        looked_up.append(key)
        return real(store, key)

    monkeypatch.setattr(http_auth, "authenticate", counting)
    app = create_app({"TESTING": True, "database_url": demo_store.url,
                      "var_dir": str(tmp_path), "RATE_LIMIT_PER_MINUTE": 0,
                      "AUTH_FAILURES_PER_MINUTE": 6, "AUTH_FAILURE_BURST": 3,
                      "AUTH_CACHE_SECONDS": 0})
    return app.test_client(), looked_up


def _get(client, key: str, addr: str = "10.0.0.1"):
    return client.get("/api/v1/chains", headers={"Authorization": f"Bearer {key}"},
                      environ_overrides={"REMOTE_ADDR": addr})


def test_an_address_guessing_keys_is_refused_before_the_store_is_asked(guarded, keys,
                                                                        error_body):
    client, looked_up = guarded
    statuses = [_get(client, BAD_KEY).status_code for _ in range(3)]
    refused = _get(client, BAD_KEY)
    good_key_same_address = _get(client, keys["viewer"])
    other_address = _get(client, keys["viewer"], addr="10.0.0.2")

    assert statuses == [401, 401, 401]
    error = error_body(refused, 429, "too_many_requests")
    assert int(refused.headers["Retry-After"]) == error["details"]["retry_after"] >= 1
    assert len(looked_up) == 3 + 1  # the refused guess never reached the store
    assert good_key_same_address.status_code == 429  # until the address's allowance refills
    assert other_address.status_code == 200


def test_a_missing_key_does_not_count_as_a_guess(guarded):
    client, looked_up = guarded
    assert [client.get("/api/v1/chains").status_code for _ in range(10)] == [401] * 10
    assert looked_up == []


def test_the_login_page_counts_failed_logins_per_address(demo_store, keys, tmp_path):
    app = create_app({"TESTING": True, "database_url": demo_store.url,
                      "var_dir": str(tmp_path), "AUTH_FAILURES_PER_MINUTE": 6,
                      "AUTH_FAILURE_BURST": 2})
    visitor = app.test_client()

    def log_in(key: str):
        token = TOKEN.search(visitor.get("/login").get_data(as_text=True)).group(1)
        return visitor.post("/login", data={"csrf_token": token, "api_key": key})

    statuses = [log_in(BAD_KEY).status_code for _ in range(2)]
    refused = log_in(keys["viewer"])
    assert statuses == [401, 401]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "无效密钥尝试过多" in refused.get_data(as_text=True)


def _take_tokens(limiter: RateLimiter, results) -> None:
    results.put([limiter.take(("key", 1)) == 0.0 for _ in range(10)])


def test_shared_buckets_are_one_allowance_across_processes():
    """Three forked processes take 10 tokens each from one bucket of 5: 5 in all succeed."""
    limiter = RateLimiter(0.001, burst=5, buckets=SharedBuckets(slots=64))
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_take_tokens, args=(limiter, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    allowed = sum(sum(results.get(timeout=30)) for _ in workers)
    for worker in workers:
        worker.join(30)
    assert allowed == 5
    assert limiter.take(("key", 1)) > 0  # the parent sees the same empty bucket
    assert limiter.take(("key", 2)) == 0.0


def test_shared_buckets_reuse_the_longest_idle_row_when_full():
    buckets = SharedBuckets(slots=SharedBuckets.PROBES)  # every key probes every row
    for i in range(SharedBuckets.PROBES):
        buckets.put(("key", i), 1.0, float(i))
    buckets.put(("key", "new"), 2.0, 100.0)
    assert buckets.get(("key", "new")) == (2.0, 100.0)
    assert buckets.get(("key", 0)) is None  # the oldest made room
    assert buckets.get(("key", 1)) == (1.0, 1.0)


def test_a_store_that_does_not_answer_is_a_503_with_retry_after(error_body, tmp_path):
    app = create_app({"TESTING": True, "var_dir": str(tmp_path),
                      "database_url": "postgresql://nobody@127.0.0.1:9/none"})
    response = app.test_client().get("/api/v1/ready")
    error_body(response, 503, "store_unavailable")
    assert int(response.headers["Retry-After"]) >= 1


def test_a_login_holds_in_another_process_over_the_same_var(demo_store, keys, tmp_path,
                                                            monkeypatch):
    """Two apps with no CHAINSCOUT_SECRET_KEY, as two workers (or a restart) are: the
    cookie one signed is good in the other."""
    monkeypatch.delenv("CHAINSCOUT_SECRET_KEY", raising=False)
    config = {"TESTING": True, "database_url": demo_store.url, "var_dir": str(tmp_path),
              "RATE_LIMIT_PER_MINUTE": 0}
    first, second = create_app(config), create_app(config)
    visitor = first.test_client()
    token = TOKEN.search(visitor.get("/login").get_data(as_text=True)).group(1)
    visitor.post("/login", data={"csrf_token": token, "api_key": keys["viewer"]})
    cookie = visitor.get_cookie("session")

    other = second.test_client()
    other.set_cookie("session", cookie.value)
    response = other.get("/parks")
    assert response.status_code == 200, response.headers.get("Location")
    assert first.secret_key == second.secret_key == (tmp_path / "session_secret").read_text(
        ).strip()
