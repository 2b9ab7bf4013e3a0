import pytest

from service import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app({"TESTING": True, "database_url": f"sqlite:///{tmp_path / 't.db'}"})
    return app.test_client()


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_unknown_route_gets_the_json_error_body(client):
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "abc"})
    assert response.status_code == 404
    body = response.get_json()["error"]
    assert body["status"] == 404 and body["code"] == "not_found"
    assert body["request_id"] == "abc"
    assert set(body) == {"status", "code", "message", "details", "request_id"}


def test_wrong_method_gets_the_json_error_body(client):
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_library_settings_are_kept_apart_from_flask_config(tmp_path):
    app = create_app({"TESTING": True, "radius_km": 99})
    assert app.extensions["chainscout"]["settings"].radius_km == 99.0
    assert "radius_km" not in app.config


def test_unhandled_errors_are_logged_and_hidden(tmp_path):
    app = create_app({"TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "internal_error"
