"""``chainscout serve``: builds the demo into an empty store, trains, makes keys once, then
hands over to gunicorn (replaced here by a recorder)."""

import os
import sys

import pytest
from click.testing import CliRunner

from recommender.cli import cli
from recommender.store import open_store


@pytest.fixture
def execs(monkeypatch):
    """Record the gunicorn command instead of running it."""
    calls = []

    def fake_execve(path, args, env):
        calls.append((path, args, env))

    monkeypatch.setattr(os, "execve", fake_execve)
    return calls


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CHAINSCOUT_DEMO_FIRMS", "300")
    monkeypatch.setenv("CHAINSCOUT_DEMO_SEED", "1")
    return f"sqlite:///{tmp_path / 'serve.db'}"


def test_the_first_run_builds_trains_prints_keys_and_execs_gunicorn(world, execs, tmp_path):
    runner = CliRunner()

    first = runner.invoke(cli, ["--database-url", world, "serve", "--port", "8123",
                                "--workers", "3"])
    again = runner.invoke(cli, ["--database-url", world, "serve", "--port", "8123"])

    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8123/api/v1" in first.output
    keys = [line.split()[1] for line in first.output.splitlines()
            if line.strip().startswith(("officer ", "admin "))]
    assert len(keys) == 2 and all(k.startswith("cs") and len(k) == 43 for k in keys)
    assert "张三 招商一科 (demo)" in first.output and "演示管理员 招商局 (demo)" in first.output
    with open_store(world) as store:
        assert store.summary()["tables"]["firms"] > 300
    from recommender.ranking.registry import ModelRegistry

    assert ModelRegistry(tmp_path / "models").active_version() is not None
    assert again.exit_code == 0, again.output
    assert "printed when they were made, on the first run" in again.output
    assert "chainscout keys create" in again.output and keys[0] not in again.output
    path, args, env = execs[0]
    assert path == sys.executable
    assert args[1:] == ["-m", "gunicorn", "--bind", "127.0.0.1:8123", "--workers", "3",
                        "--access-logfile", "-", "-c", "python:service.gunicorn_conf",
                        "service.wsgi:app"]
    assert env["CHAINSCOUT_DATABASE_URL"] == world


def test_no_build_serves_the_store_as_it_is(world, execs, tmp_path):
    result = CliRunner().invoke(cli, ["--database-url", world, "serve", "--no-build",
                                      "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "serve.db").exists()
    assert execs[0][1][4] == "0.0.0.0:8000"


def test_serve_makes_the_session_secret_once_in_var(world, execs, tmp_path, monkeypatch):
    import stat

    monkeypatch.delenv("CHAINSCOUT_SECRET_KEY", raising=False)
    runner = CliRunner()
    first = runner.invoke(cli, ["--database-url", world, "serve", "--no-build"])
    secret = (tmp_path / "session_secret").read_text()
    again = runner.invoke(cli, ["--database-url", world, "serve", "--no-build"])

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "session_secret" in first.output
    assert (tmp_path / "session_secret").read_text() == secret  # the same on every run
    assert stat.S_IMODE((tmp_path / "session_secret").stat().st_mode) == 0o600
    assert "CHAINSCOUT_SECRET_KEY" not in execs[0][2]  # the workers read the file


def test_a_configured_secret_leaves_var_alone(world, execs, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINSCOUT_SECRET_KEY", "configured")
    result = CliRunner().invoke(cli, ["--database-url", world, "serve", "--no-build"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "session_secret").exists()
