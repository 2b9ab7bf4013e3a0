import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError


def test_batches_record_every_import_even_a_failed_one(store, firm_frame):
    ok = store.record_batch("firms", file="firms.csv", sha256="ab" * 32, rows=3)
    counts = store.upsert_firms(firm_frame())
    store.finish_batch(ok, **counts)
    failed = store.record_batch("outcomes", file="outcomes.xlsx", rows=1)
    store.finish_batch(failed, status="failed", message="row 2, column stage: 7 is not 0-4")

    batches = store.import_batches()

    assert batches["id"].tolist() == [ok, failed]
    assert batches["kind"].tolist() == ["firms", "outcomes"]
    assert batches["file_name"].tolist() == ["firms.csv", "outcomes.xlsx"]
    assert batches["sha256"].tolist()[0] == "ab" * 32
    assert batches["status"].tolist() == ["ok", "failed"]
    assert batches["inserted"].tolist()[0] == 3
    assert batches["message"].tolist()[1].startswith("row 2")
    assert batches["finished_at"].notna().all()
    assert (batches["finished_at"] >= batches["started_at"]).all()


def test_finish_batch_checks_the_batch_and_its_status(store):
    with pytest.raises(NotFoundError, match="no import batch 99"):
        store.finish_batch(99)
    batch = store.record_batch("parks")
    with pytest.raises(DataError, match="batch status 'done'"):
        store.finish_batch(batch, status="done")
    assert store.import_batches()["status"].tolist() == ["running"]


def test_summary_counts_tables_and_synthetic_firms(store, firm_frame):
    store.upsert_firms(firm_frame())
    store.replace_firm_nodes(
        pd.DataFrame(
            {C.FIRM_ID: ["ref-zeiss"], C.NODE_ID: ["lasers"], C.METHOD: ["reference"]}
        )
    )

    summary = store.summary()

    assert summary["synthetic_firms"] == 1 and summary["real_firms"] == 2
    assert summary["data_version"] == 2
    assert summary["tables"]["firms"] == 3 and summary["tables"]["firm_nodes"] == 1
    assert summary["tables"]["outcomes"] == 0
    assert set(summary["tables"]) == {
        "firms", "firm_nodes", "campaigns", "outcomes", "parks", "region_imports",
        "export_controls", "leader_needs", "import_batches", "api_keys", "jobs",
        "node_corrections", "projects", "project_events", "weak_link_snapshots", "data_sources",
    }
