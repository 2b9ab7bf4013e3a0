import pytest

from recommender.config import load_settings
from recommender.exceptions import ConfigError


def test_defaults_then_env_then_mapping(monkeypatch):
    assert load_settings().radius_km == 150.0
    monkeypatch.setenv("CHAINSCOUT_RADIUS_KM", "120")
    assert load_settings().radius_km == 120.0
    assert load_settings({"radius_km": 100}).radius_km == 100.0


def test_database_url_defaults_to_a_sqlite_file_under_var(monkeypatch, tmp_path):
    monkeypatch.delenv("CHAINSCOUT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(tmp_path))
    assert load_settings().database_url == f"sqlite:///{tmp_path / 'chainscout.db'}"


def test_unknown_or_malformed_settings_are_errors(monkeypatch):
    with pytest.raises(ConfigError, match="unknown setting 'radius'"):
        load_settings({"radius": 1})
    monkeypatch.setenv("CHAINSCOUT_DEMO_FIRMS", "many")
    with pytest.raises(ConfigError, match="demo_firms"):
        load_settings()
