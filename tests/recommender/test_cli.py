"""The command line, end to end on a small store in a temporary folder."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from recommender.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CHAINSCOUT_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def built(run):
    result = run("demo", "build", "--firms", 300, "--seed", 1)
    assert result.exit_code == 0, result.output
    return result


def test_demo_build_loads_the_store_and_is_idempotent(run, built, tmp_path):
    assert "inserted" in built.output
    assert (tmp_path / "var" / "demo" / "firms.parquet").is_file()
    summary = json.loads(run("summary", "--json").stdout)
    assert summary["synthetic_firms"] == 300
    assert summary["real_firms"] >= 90
    again = run("demo", "build", "--firms", 300, "--seed", 1)
    assert again.exit_code == 0
    assert json.loads(run("summary", "--json").stdout)["data_version"] == summary["data_version"]


def test_demo_build_rejects_zero_firms(run):
    result = CliRunner().invoke(cli, ["demo", "build", "--firms", "0"])
    assert result.exit_code == 2
    assert "0 is not in the range" in result.output


def test_chain_show_prints_stages_and_json(run):
    text = run("chain", "show").output
    assert "上游 upstream" in text and "中游 midstream" in text and "下游 downstream" in text
    graph = json.loads(run("chain", "show", "--json").stdout)
    assert len(graph["nodes"]) == 82 and graph["edges"]


def test_chain_validate_names_the_bad_entry(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname_zh: 链\nname_en: chain\nversion: 1\nnodes:\n"
                   "  - {id: a, name_zh: 甲, name_en: A, stage: sideways, segment: s,"
                   " hs_codes: [], keywords_zh: [], keywords_en: []}\nedges: []\n",
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["chain", "validate", str(bad)])
    assert result.exit_code == 2
    assert "sideways" in result.output and "'a'" in result.output


def test_ingest_reports_rows_and_loads_nothing_on_a_bad_file(run, built, tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"name": ["A Co", "B Co"], "country": ["DE", "ZZZ"]}).to_csv(path, index=False)
    before = json.loads(run("summary", "--json").stdout)
    result = CliRunner().invoke(cli, ["ingest", "firms", str(path)])
    assert result.exit_code == 2
    assert "row 3" in result.output and "country" in result.output
    assert json.loads(run("summary", "--json").stdout) == before


def test_ingest_and_export_round_trip(run, built, tmp_path):
    path = tmp_path / "new.csv"
    pd.DataFrame({"name": ["Lens Works AG"], "country": ["Switzerland"], "city": ["Zurich"],
                  "description": ["optical lenses and prisms"]}).to_csv(path, index=False)
    result = run("ingest", "firms", path)
    assert json.loads(result.stdout)["counts"]["inserted"] == 1
    out = tmp_path / "firms.csv"
    assert run("export", "firms", "--out", out).exit_code == 0
    exported = pd.read_csv(out)
    assert "Lens Works AG" in set(exported["name"])


def test_classifier_train_then_ingest_with_it(run, tmp_path):
    # invented listed firms and labels, written for this test
    rows = [(f"PMP{i}", f"Pumpco {i} Inc.", "Designs rotary vane pumps and turbomolecular pumps.",
             "vacuum_pumps") for i in range(6)]
    rows += [(f"LNS{i}", f"Lensco {i} Inc.", "Grinds precision lenses, prisms and windows.",
              "optical_elements") for i in range(6)]
    listing = tmp_path / "listing.csv"
    pd.DataFrame({"symbol": [r[0] for r in rows], "name": [r[1] for r in rows],
                  "summary": [r[2] for r in rows], "country": "Germany",
                  "city": "Berlin"}).to_csv(listing, index=False)
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"symbol": [r[0] for r in rows], "node_ids": [r[3] for r in rows],
                  "none_of_chain": "false", "labeller_note": "test"}).to_csv(labels, index=False)
    model = tmp_path / "nodes.npz"
    result = run("classifier", "train", listing, "--labels", labels, "--out", model,
                 "--no-scopes")
    assert "trained on 12 listed firms, 0 corrected firms" in result.output
    loaded = run("ingest", "firms", listing, "--format", "listing", "--classifier", model)
    assert json.loads(loaded.stdout)["counts"]["inserted"] == 12


def test_corrections_become_labels_and_the_review_lists_closest_calls(run, tmp_path):
    from recommender.store import open_store
    from recommender.store.corrections import record_correction

    # invented listed firms and labels, written for this test
    rows = [(f"PMP{i}", f"Pumpco {i} Inc.", "Designs rotary vane pumps and turbomolecular pumps.",
             "vacuum_pumps") for i in range(4)]
    rows += [(f"LNS{i}", f"Lensco {i} Inc.", "Grinds precision lenses, prisms and windows.",
              "optical_elements") for i in range(4)]
    rows += [("SCL0", "Scaleco Inc.", "Makes retail goods, and some pumps for its own use.", "")]
    listing = tmp_path / "listing.csv"
    pd.DataFrame({"symbol": [r[0] for r in rows], "name": [r[1] for r in rows],
                  "summary": [r[2] for r in rows], "country": "Germany",
                  "city": "Berlin"}).to_csv(listing, index=False)
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"symbol": [r[0] for r in rows[:-1]], "node_ids": [r[3] for r in rows[:-1]],
                  "none_of_chain": "false", "labeller_note": "test"}).to_csv(labels,
                                                                            index=False)
    run("ingest", "firms", listing, "--format", "listing")
    review = json.loads(run("classifier", "review", "--json").stdout)
    margins = [item["margin"] for item in review]
    assert margins == sorted(margins) and len(review) == 9
    closest = review[0]
    store = open_store(f"sqlite:///{tmp_path / 'var' / 'chainscout.db'}")
    record_correction(store, closest["firm_id"], "instrument_parts", "add", "checked",
                      by="test")
    store.close()
    after = json.loads(run("classifier", "review", "--json").stdout)
    assert closest["firm_id"] not in {item["firm_id"] for item in after}
    result = run("classifier", "train", listing, "--labels", labels, "--out",
                 tmp_path / "m.npz", "--no-scopes")
    assert "trained on 8 listed firms, 1 corrected firms" in result.output
