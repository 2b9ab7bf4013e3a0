"""``chainscout db``: upgrade, backup and restore from the command line."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from recommender import columns as C
from recommender.cli import cli
from recommender.store import open_store


def test_backup_then_restore_through_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    with open_store(url) as store:
        store.upsert_firms(pd.DataFrame({C.FIRM_KEY: ["a|DE"], C.NAME: ["A"]}))

    made = runner.invoke(cli, ["--database-url", url, "db", "backup", "--json",
                               str(tmp_path / "b" / "copy.db")])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["data_version"] == 1

    with open_store(url) as store:
        store.upsert_firms(pd.DataFrame({C.FIRM_KEY: ["b|DE"], C.NAME: ["B"]}))
    asked = runner.invoke(cli, ["--database-url", url, "db", "restore",
                                str(tmp_path / "b" / "copy.db")], input="n\n")
    done = runner.invoke(cli, ["--database-url", url, "db", "restore", "--yes",
                               str(tmp_path / "b" / "copy.db")])

    assert asked.exit_code == 1 and "Aborted" in asked.output
    assert done.exit_code == 0, done.output
    assert "data version now 3" in done.output  # past both the copy's 1 and the live 2
    with open_store(url) as store:
        assert store.firms()[C.NAME].tolist() == ["A"]


def test_restoring_junk_is_a_one_line_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"x" * 4096)
    result = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{tmp_path / 'l.db'}",
                                      "db", "restore", "--yes", str(junk)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "junk.db" in result.output
