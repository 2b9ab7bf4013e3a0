"""Bounded inputs: every integer has a range, text has no control characters, the request line,
headers and body have sizes; each refused with the one JSON error body, on SQLite and on
PostgreSQL (where NUL in text and integers past 32 bits used to be 500s)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.store import auth, open_store
from service import create_app

OUTCOME = {"firm_id": "ref-zeiss", "node_id": "vacuum_pumps", "stage": 2,
           "date": "2024-03-01"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def small(request, tmp_path):
    """An app over a store with one firm, on each database; (client, officer headers)."""
    url = (f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    store = open_store(url)
    node = load_chain().node_ids[0]
    store.upsert_firms(pd.DataFrame({C.FIRM_ID: ["ref-zeiss"], C.FIRM_KEY: ["zeiss|DE"],
                                     C.NAME: ["Carl Zeiss"], C.COUNTRY: ["DE"]}))
    key, _ = auth.create_key(store, "officer")
    app = create_app({"TESTING": True, "database_url": url, "var_dir": str(tmp_path),
                      "RATE_LIMIT_PER_MINUTE": 0, "AUTH_FAILURES_PER_MINUTE": 0})
    yield app.test_client(), {"Authorization": f"Bearer {key}"}, node
    app.extensions["chainscout"].close()
    store.close()


@pytest.mark.parametrize(("path", "location"), [
    ("/api/v1/firms/ref%00abb", "path"),
    ("/api/v1/firms/ref%1Babb", "path"),
    ("/api/v1/firms?q=a%00b", "query"),
    ("/api/v1/firms?q=a%0Ab", "query"),
    ("/api/v1/outcomes?firm_id=%7F", "query"),
    ("/api/v1/firms?q%00=a", "query"),
])
def test_control_characters_in_a_path_or_query_are_422(small, error_body, path, location):
    client, officer, _ = small
    error = error_body(client.get(path, headers=officer), 422, "validation_error")
    assert list(error["details"]["fields"]) == [location]


@pytest.mark.parametrize("note", ["a\u0000b", "bell\u0007", "c1\u0085"])
def test_control_characters_in_a_json_string_are_422(small, error_body, note):
    client, officer, node = small
    response = client.post("/api/v1/outcomes", headers=officer,
                           json={**OUTCOME, "node_id": node, "note": note})
    error = error_body(response, 422, "validation_error")
    assert error["details"]["fields"] == {"json": {"note": ["control characters are not "
                                                            "allowed"]}}


def test_tabs_and_new_lines_in_a_note_are_text(small):
    client, officer, node = small
    response = client.post("/api/v1/outcomes", headers=officer,
                           json={**OUTCOME, "node_id": node, "note": "line 1\r\n\tline 2"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["note"] == "line 1\r\n\tline 2"


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/outcomes?page=46116860184273880&page_size=200", 422),
    ("/api/v1/outcomes?page=1000001", 422),
    ("/api/v1/outcomes?page_size=99999999999999999999", 422),
    ("/api/v1/firms?page=-9223372036854775809", 422),
    ("/api/v1/jobs/99999999999999999999999", 404),
    ("/api/v1/jobs/2147483648", 404),
    ("/api/v1/jobs/0", 404),
])
def test_integers_past_their_range_are_refused(small, error_body, path, status):
    client, officer, _ = small
    error_body(client.get(path, headers=officer), status)


def test_the_largest_page_number_is_answered(small):
    client, officer, _ = small
    response = client.get("/api/v1/outcomes?page=1000000&page_size=200", headers=officer)
    assert response.status_code == 200
    assert response.get_json()["items"] == []


# --- sizes ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bare():
    return create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000, "MAX_REQUEST_LINE": 200,
                       "MAX_HEADER_FIELDS": 20, "MAX_HEADER_FIELD_BYTES": 300,
                       "RATE_LIMIT_PER_MINUTE": 0}).test_client()


def test_a_long_request_line_is_414(bare, error_body):
    error_body(bare.get("/api/v1/health?x=" + "y" * 200), 414, "uri_too_long")
    assert bare.get("/api/v1/health?x=" + "y" * 100).status_code == 200


@pytest.mark.parametrize("headers", [
    {"X-Big": "z" * 400},
    {f"X-Many-{i}": "1" for i in range(30)},
])
def test_too_large_or_too_many_header_fields_are_431(bare, error_body, headers):
    error_body(bare.get("/api/v1/health", headers=headers), 431,
               "request_header_fields_too_large")


def _chunked(client, size: int):
    """POST ``size`` bytes as a body without a length (as gunicorn hands a chunked one on)."""
    return client.post("/api/v1/outcomes", input_stream=io.BytesIO(b" " * size),
                       headers={"Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_past_the_limit_is_413(bare, error_body):
    error_body(_chunked(bare, 1001), 413, "request_entity_too_large")
    # within the limit, the body is read as usual (here: an empty one, without a key)
    error_body(_chunked(bare, 1000), 401, "unauthorized")


# --- the document states the ranges ------------------------------------------------------------
def _integers(spec):
    """Every integer a request may send: (where, name, schema)."""
    for path, methods in spec["paths"].items():
        shared = methods.get("parameters", [])  # the path's own, for every method
        for method, operation in methods.items():
            if method == "parameters":
                continue
            for parameter in [*shared, *operation.get("parameters", [])]:
                schema = parameter.get("schema", {})
                if schema.get("type") == "integer":
                    yield f"{method} {path}", parameter["name"], schema
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                ref = content["schema"].get("$ref", "")
                properties = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
                for name, schema in properties.get("properties", {}).items():
                    if schema.get("type") == "integer":
                        yield f"{method} {path}", name, schema


def test_every_integer_parameter_has_a_range_in_the_document():
    app = create_app({"TESTING": True, "PAGE_SIZE_MAX": 120, "K_MAX": 300})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = list(_integers(spec))
    assert len(found) > 10
    unbounded = [(w, n) for w, n, s in found if "minimum" not in s or "maximum" not in s]
    assert unbounded == []
    maxima = {(w, n): s["maximum"] for w, n, s in found}
    assert maxima[("get /api/v1/firms", "page_size")] == 120  # the app's setting
    assert maxima[("get /api/v1/target-list", "k")] == 300
    assert maxima[("get /api/v1/jobs/{job_id}", "job_id")] == 2**31 - 1


def test_times_in_answers_carry_their_zone(small):
    client, officer, node = small
    body = client.post("/api/v1/outcomes", headers=officer,
                       json={**OUTCOME, "node_id": node}).get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", body["recorded_at"])
