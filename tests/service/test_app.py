import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from recommender.exceptions import ConfigError
from service import create_app
from service.runtime.state import ServiceState


@pytest.fixture
def bare_client(tmp_path):
    app = create_app({"TESTING": True, "database_url": f"sqlite:///{tmp_path / 't.db'}"})
    return app.test_client()


def test_health(bare_client):
    response = bare_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_building_the_app_loads_nothing(tmp_path):
    app = create_app({"TESTING": True, "database_url": f"sqlite:///{tmp_path / 't.db'}"})

    state = app.extensions["chainscout"]
    assert isinstance(state, ServiceState)
    assert repr(state) == "ServiceState(loaded=[])"
    assert not (tmp_path / "t.db").exists()


def test_the_store_and_chain_load_once_and_are_reused(app, as_role):
    client = app.test_client()
    for _ in range(2):
        assert client.get("/api/v1/chains", headers=as_role("viewer")).status_code == 200
    state = app.extensions["chainscout"]
    store, chain = state.store, state.chain
    client.get("/api/v1/firms", headers=as_role("viewer"))
    assert state.store is store and state.chain is chain


def test_library_settings_are_kept_apart_from_flask_config():
    app = create_app({"TESTING": True, "radius_km": 99})
    assert app.extensions["chainscout"].settings.radius_km == 99.0
    assert "radius_km" not in app.config


def test_settings_come_from_the_environment_then_the_mapping(monkeypatch):
    monkeypatch.setenv("CHAINSCOUT_PAGE_SIZE_MAX", "120")
    monkeypatch.setenv("CHAINSCOUT_RATE_LIMIT_BURST", "7")
    app = create_app({"TESTING": True, "RATE_LIMIT_BURST": 9})
    assert app.config["PAGE_SIZE_MAX"] == 120
    assert app.config["RATE_LIMIT_BURST"] == 9


@pytest.mark.parametrize("setting", [
    {"PAGE_SIZE_DEFAULT": 300},
    {"K_MAX": -1},
    {"JSON_MAX_DEPTH": "deep"},
])
def test_bad_limit_settings_are_refused(setting):
    with pytest.raises(ConfigError, match="setting"):
        create_app({"TESTING": True, **setting})


def test_json_is_encoded_with_orjson_and_missing_values_become_null():
    app = create_app({"TESTING": True})
    payload = {
        "nan": float("nan"), "na": pd.NA, "nat": pd.NaT, "np_int": np.int64(3),
        "np_float": np.float64(0.5), "np_nan": np.float64("nan"), "array": np.array([1, 2]),
        "when": pd.Timestamp("2025-01-02 03:04:05"), "day": dt.date(2025, 1, 2),
        "chinese": "精密仪器",
    }
    with app.app_context():
        text = app.json.dumps(payload)
    assert text == (
        '{"nan":null,"na":null,"nat":null,"np_int":3,"np_float":0.5,"np_nan":null,'
        '"array":[1,2],"when":"2025-01-02T03:04:05","day":"2025-01-02","chinese":"精密仪器"}'
    )


def test_the_request_id_of_the_client_is_kept_when_sane(bare_client):
    kept = bare_client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
    replaced = bare_client.get("/api/v1/health", headers={"X-Request-ID": "bad\x7fid" * 40})
    assert kept.headers["X-Request-ID"] == "abc-123"
    assert replaced.headers["X-Request-ID"] != "bad\x7fid" * 40


def test_unhandled_errors_are_logged_with_the_request_id(caplog):
    app = create_app({"TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = app.test_client().get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "internal_error"
    assert any("req-42" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_region_loads_on_first_use_and_once(tmp_path):
    app = create_app({"TESTING": True, "database_url": f"sqlite:///{tmp_path / 't.db'}"})
    state = app.extensions["chainscout"]

    region = state.region

    assert region.parks is not None and state.region is region
    assert repr(state) == "ServiceState(loaded=['region'])"
