import datetime as dt
import json

from click.testing import CliRunner

from recommender.cli import cli
from recommender.pipeline import projects as P


def run(store, *args):
    return CliRunner().invoke(cli, ["--database-url", store.engine.url.render_as_string(
        hide_password=False), *args])


def test_projects_list_export_and_import(firm_store, chain, tmp_path):
    project = P.create_project(firm_store, {
        "firm_id": "ref-hamamatsu", "node_id": "photodetectors", "contact_name": "王伟",
        "next_follow_up": dt.date(2020, 1, 1)}, by="li", node_ids=chain.node_ids)
    listed = run(firm_store, "projects", "list", "--overdue", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["id"] for r in rows] == [project["id"]] and "contact_name" not in rows[0]
    assert "线索" in run(firm_store, "projects", "list").output

    path = tmp_path / "projects.xlsx"
    exported = run(firm_store, "projects", "export", str(path), "--with-contacts")
    assert exported.exit_code == 0 and "wrote 1 projects" in exported.output
    from openpyxl import load_workbook

    header = [c.value for c in next(load_workbook(path).active.iter_rows())]
    assert header[:4] == ["项目编号", "企业编号", "薄弱环节", "阶段"] and "联系人" in header
    imported = run(firm_store, "projects", "import", str(path), "--by", "li")
    assert imported.exit_code == 0 and "created 0, updated 1" in imported.output
    assert run(firm_store, "projects", "export", str(tmp_path / "p.csv")).exit_code == 2


def test_weak_links_snapshot_keeps_each_day(firm_store):
    first = run(firm_store, "weak-links", "snapshot", "--on", "2026-01-05")
    assert first.exit_code == 0 and "kept the weak links of 82 nodes" in first.output
    second = run(firm_store, "weak-links", "snapshot", "--on", "2026-02-05", "--json")
    assert second.exit_code == 0
    changes = json.loads(second.output)["changes"]
    assert len(changes) == 82 and all(c["change"] == 0 for c in changes)


def test_a_leader_key_is_made_for_its_firm(tmp_path):
    import pandas as pd

    from recommender.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'k.db'}") as firm_store:
        firm_store.upsert_firms(pd.DataFrame({"firm_id": ["ref-mgi-tech"],
                                              "firm_key": ["mgi tech|CN"]}))
    made = run(firm_store, "keys", "create", "--role", "leader", "--firm", "ref-mgi-tech",
               "--label", "mgi liaison")
    assert made.exit_code == 0, made.output
    listed = json.loads(run(firm_store, "keys", "list", "--json").output)
    assert [(k["role"], k["firm_id"]) for k in listed] == [("leader", "ref-mgi-tech")]
    refused = run(firm_store, "keys", "create", "--role", "leader")
    assert refused.exit_code == 2 and "needs its firm" in refused.output


def test_sources_record_and_stale(firm_store):
    recorded = run(firm_store, "sources", "record", "region_imports", "海关总署 2025",
                   "--as-of", "2025-03-01", "--by", "li")
    assert recorded.exit_code == 0, recorded.output
    assert "region_imports guangdong *: 海关总署 2025 as of 2025-03-01" in recorded.output
    firm = run(firm_store, "sources", "record", "firms", "annual report", "--firm",
               "ref-hamamatsu", "--field", "employees", "--as-of", "2024-12-31", "--by", "li")
    assert firm.exit_code == 0, firm.output
    assert run(firm_store, "sources", "record", "firms", "x", "--as-of", "2024-12-31",
               "--by", "li").exit_code == 2  # which firm?
    assert run(firm_store, "sources", "record", "firms", "x", "--firm", "nobody",
               "--as-of", "2024-12-31", "--by", "li").exit_code == 2
    stale = run(firm_store, "sources", "stale", "--max-age-days", "365", "--json")
    assert stale.exit_code == 0, stale.output
    rows = {(r["table_name"], r["subject"], r["field"]): r for r in json.loads(stale.output)}
    assert rows[("region_imports", "guangdong", "*")]["source"] == "海关总署 2025"
    assert rows[("firms", "ref-hamamatsu", "employees")]["as_of"] == "2024-12-31"
    assert ("export_controls", "guangdong", "*") in rows  # no date recorded: of unknown age
