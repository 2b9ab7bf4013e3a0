"""Every kind of error comes out in the one body, with no internals."""

import logging

import pytest

from service import create_app

OUTCOME = {"firm_id": "ref-carl-zeiss", "node_id": "optical_microscopes", "stage": 2,
           "date": "2024-03-01"}


def deep(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


# (request, status, code): what goes wrong, and what the client sees
CASES = [
    pytest.param("GET", "/api/v1/nowhere", None, None, 404, "not_found", id="unknown route"),
    pytest.param("GET", "/api/v1/firms/no-such-firm", "viewer", None, 404, "not_found",
                 id="unknown firm"),
    pytest.param("GET", "/api/v1/chains/no-such-chain", "viewer", None, 404, "not_found",
                 id="unknown chain"),
    pytest.param("DELETE", "/api/v1/firms", "admin", None, 405, "method_not_allowed",
                 id="wrong method"),
    pytest.param("POST", "/api/v1/health", None, None, 405, "method_not_allowed",
                 id="wrong method on a public route"),
    pytest.param("POST", "/api/v1/outcomes", "officer", ("text/plain", "stage=2"), 415,
                 "unsupported_media_type", id="not JSON"),
    pytest.param("POST", "/api/v1/outcomes", "officer", ("application/json", "{"), 400,
                 "invalid_json", id="malformed JSON"),
    pytest.param("POST", "/api/v1/outcomes", "officer", ("application/json", deep(21)), 400,
                 "invalid_json", id="JSON nested 21 deep"),
    pytest.param("POST", "/api/v1/outcomes", "officer", ("application/json", deep(5000)), 400,
                 "invalid_json", id="JSON nested 5000 deep"),
    pytest.param("POST", "/api/v1/outcomes", "officer",
                 ("application/json", '{"firm_id": "x", "stage": NaN}'), 400, "invalid_json",
                 id="NaN"),
    pytest.param("POST", "/api/v1/outcomes", "officer",
                 ("application/json", '{"stage": -Infinity}'), 400, "invalid_json",
                 id="Infinity"),
    pytest.param("POST", "/api/v1/outcomes", "officer",
                 ("application/json", '{"firm_id": "x", "stage": 7, "date": "soon"}'), 422,
                 "validation_error", id="invalid fields"),
    pytest.param("POST", "/api/v1/outcomes", "officer",
                 ("application/json", '{"firm_id": "x", "node_id": "y", "stage": 1, '
                                      '"date": "2024-01-01", "extra": 1}'), 422,
                 "validation_error", id="unknown field"),
    pytest.param("GET", "/api/v1/firms?page_size=201", "viewer", None, 422, "validation_error",
                 id="page too large"),
    pytest.param("GET", "/api/v1/firms?page=0", "viewer", None, 422, "validation_error",
                 id="page zero"),
    pytest.param("GET", "/api/v1/firms?node=no_such_node", "viewer", None, 422,
                 "validation_error", id="unknown node filter"),
    pytest.param("GET", "/api/v1/firms", None, None, 401, "unauthorized", id="no key"),
    pytest.param("GET", "/api/v1/firms", "revoked", None, 401, "unauthorized",
                 id="revoked key"),
    pytest.param("POST", "/api/v1/outcomes", "viewer", ("application/json", "{}"), 403,
                 "forbidden", id="role without the right"),
]


@pytest.mark.parametrize(("method", "path", "caller", "payload", "status", "code"), CASES)
def test_error_bodies(client, keys, error_body, method, path, caller, payload, status, code):
    headers = {"Authorization": f"Bearer {keys[caller]}"} if caller else {}
    kwargs = {}
    if payload is not None:
        kwargs = {"content_type": payload[0], "data": payload[1].encode()}

    response = client.open(path, method=method, headers=headers, **kwargs)

    error_body(response, status, code)


def test_invalid_fields_are_named_in_the_details(client, as_role, error_body):
    response = client.post("/api/v1/outcomes", headers=as_role("officer"),
                           json={"firm_id": "x", "stage": 7, "date": "soon"})
    error = error_body(response, 422, "validation_error")
    fields = error["details"]["fields"]["json"]
    assert set(fields) == {"node_id", "stage", "date"}
    assert all(isinstance(m, list) and m for m in fields.values())


@pytest.mark.parametrize(("body", "reason"), [
    ('{"stage": NaN}', "non_finite_number"),
    ('{"stage": Infinity}', "non_finite_number"),
    (deep(21), "too_deep"),
    ('{"stage": 1,}', "malformed"),
])
def test_invalid_json_says_why(client, as_role, error_body, body, reason):
    response = client.post("/api/v1/outcomes", headers=as_role("officer"), data=body,
                           content_type="application/json")
    assert error_body(response, 400, "invalid_json")["details"] == {"reason": reason}


def test_json_nested_to_the_limit_passes_the_parser(client, as_role):
    response = client.post("/api/v1/outcomes", headers=as_role("officer"), data=deep(20),
                           content_type="application/json")
    assert response.status_code == 422  # parsed; then the fields are wrong


def test_a_rejected_row_names_its_field(client, as_role, error_body):
    body = {**OUTCOME, "firm_id": "no-such-firm"}
    response = client.post("/api/v1/outcomes", headers=as_role("officer"), json=body)
    error = error_body(response, 422, "validation_error")
    assert error["details"]["problems"] == [
        {"field": "firm_id", "message": "'no-such-firm' is not a firm in the store"}]


def test_a_405_says_which_methods_are_allowed(client, error_body):
    response = client.delete("/api/v1/health")
    error_body(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_a_body_over_the_size_limit_is_a_413(demo_store, keys, error_body):
    app = create_app({"TESTING": True, "database_url": demo_store.url,
                      "MAX_CONTENT_LENGTH": 1024, "RATE_LIMIT_PER_MINUTE": 0})
    body = {**OUTCOME, "note": "x" * 2000}
    response = app.test_client().post(
        "/api/v1/outcomes", headers={"Authorization": f"Bearer {keys['officer']}"}, json=body)
    error_body(response, 413, "request_entity_too_large")


def test_past_the_rate_limit_a_key_gets_429_with_retry_after(demo_store, keys, error_body):
    app = create_app({"TESTING": True, "database_url": demo_store.url,
                      "RATE_LIMIT_PER_MINUTE": 6, "RATE_LIMIT_BURST": 2})
    client = app.test_client()
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    officer = {"Authorization": f"Bearer {keys['officer']}"}

    statuses = [client.get("/api/v1/chains", headers=viewer).status_code for _ in range(3)]
    limited = client.get("/api/v1/chains", headers=viewer)
    other_key = client.get("/api/v1/chains", headers=officer)

    assert statuses == [200, 200, 429]
    error = error_body(limited, 429, "too_many_requests")
    assert int(limited.headers["Retry-After"]) >= 1
    assert error["details"]["retry_after"] == int(limited.headers["Retry-After"])
    assert other_key.status_code == 200
    assert client.get("/api/v1/health").status_code == 200  # no key, no limit


def test_a_500_is_logged_with_the_request_id_and_hides_internals(demo_store, error_body,
                                                                 caplog):
    app = create_app({"TESTING": True, "database_url": demo_store.url})

    @app.get("/api/v1/test-only/boom")
    def boom():
        raise KeyError("secret internals in /srv/app.py")

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = app.test_client().get("/api/v1/test-only/boom",
                                         headers={"X-Request-ID": "req-500"})
    error = error_body(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert error["request_id"] == "req-500"
    assert any("req-500" in r.getMessage() for r in caplog.records)


def test_a_store_behind_the_schema_is_not_ready(tmp_path, error_body):
    from recommender.store import open_store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_store(url, upgrade=False).upgrade("0001")
    app = create_app({"TESTING": True, "database_url": url})
    client = app.test_client()

    ready = client.get("/api/v1/ready")
    keyed = client.get("/api/v1/firms", headers={"Authorization": "Bearer cs" + "x" * 41})

    error = error_body(ready, 503, "not_ready")
    assert error["details"]["schema_revision"] == "0001"
    error_body(keyed, 503, "store_unavailable")


def test_the_service_can_migrate_the_store_itself(tmp_path):
    app = create_app({"TESTING": True, "database_url": f"sqlite:///{tmp_path / 'new.db'}",
                      "STORE_UPGRADE": True})
    assert app.test_client().get("/api/v1/ready").get_json()["status"] == "ready"
