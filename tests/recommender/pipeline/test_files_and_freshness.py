import datetime as dt

import pytest

from recommender.exceptions import InvalidArgument
from recommender.pipeline import freshness as F
from recommender.pipeline import projects as P
from recommender.pipeline import queries as Q
from recommender.pipeline.project_files import export_frame, import_projects, read_projects
from recommender.targeting.exports import to_xlsx_bytes


def _project(store, chain):
    project = P.create_project(store, {
        "firm_id": "ref-hamamatsu", "node_id": "photodetectors", "park_id": "gz_nansha",
        "contact_name": "王伟", "contact_title": "总经理", "contact_phone": "+86 20 1234",
        "contact_email": "wang@example.cn", "next_follow_up": dt.date(2026, 4, 1),
        "planned_investment_wan": 8500.5, "planned_jobs": 120, "note": "=SUM(A1)  注意"},
        by="li", node_ids=chain.node_ids)
    return P.move_project(store, project["id"], "contacted", by="li")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_round_trip_keeps_every_field(firm_store, chain, tmp_path, lang):
    project = _project(firm_store, chain)
    path = tmp_path / "projects.xlsx"
    frame = export_frame(Q.list_projects(firm_store), lang=lang, personal=True)
    path.write_bytes(to_xlsx_bytes(frame, lang=lang))

    rows = read_projects(path)
    assert len(rows) == 1
    row = rows[0]
    for name in ("firm_id", "node_id", "park_id", "owner", "contact_name", "contact_title",
                 "contact_phone", "contact_email", "next_follow_up", "planned_investment_wan",
                 "planned_jobs", "stage", "campaign_id"):
        assert row[name] == project[name], name
    assert row["id"] == project["id"]
    assert row["note"] == "=SUM(A1)  注意"
    import zipfile

    with zipfile.ZipFile(path) as book:  # in the file, a formula-like text is escaped
        cells = "".join(book.read(n).decode("utf-8") for n in book.namelist()
                        if n.endswith(".xml"))
    assert "'=SUM(A1)" in cells and "'+86 20 1234" in cells

    row.update(id=None, firm_id="ref-excelitas", note="new")
    row["next_follow_up"] = dt.date(2026, 5, 1)
    assert import_projects(firm_store, [row], by="import", node_ids=chain.node_ids) == {
        "created": 1, "updated": 0, "skipped": 0, "existing": []}
    made = Q.list_projects(firm_store, firm_id="ref-excelitas")[0]
    assert (made["stage"], made["contact_name"], made["planned_jobs"]) == ("contacted", "王伟", 120)


def test_an_export_to_a_viewer_carries_no_contacts(firm_store, chain, tmp_path):
    _project(firm_store, chain)
    path = tmp_path / "viewer.xlsx"
    frame = export_frame(Q.list_projects(firm_store), lang="zh", personal=False)
    path.write_bytes(to_xlsx_bytes(frame, lang="zh"))
    import zipfile

    with zipfile.ZipFile(path) as book:
        cells = "".join(book.read(n).decode("utf-8") for n in book.namelist()
                        if n.endswith(".xml"))
    assert "王伟" not in cells and "wang@example.cn" not in cells and "联系人" not in cells
    assert "下次跟进" in cells and "计划投资额（万元）" in cells


def test_a_file_with_an_unreadable_value_names_its_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("企业编号,薄弱环节,阶段\nref-a,lasers,考察\nref-b,lasers,半路\n",
                    encoding="utf-8")
    with pytest.raises(InvalidArgument, match="row 3, column stage: cannot read '半路'"):
        read_projects(path)


def test_sources_and_as_of_dates_of_firm_fields_and_region_tables(firm_store, region):
    today = dt.date(2026, 12, 7)
    sources = F.firm_sources(firm_store, "ref-hamamatsu")
    assert set(sources) >= {"employees", "revenue_musd", "name"}
    assert sources["employees"]["source"] == firm_store.firm("ref-hamamatsu")["source"]
    F.record_source(firm_store, "firms", "ref-hamamatsu", "annual report 2023",
                    dt.date(2024, 3, 31), field="employees", by="admin")
    F.record_source(firm_store, "region_imports", region.id, "海关总署", dt.date(2026, 6, 1))
    sources = F.firm_sources(firm_store, "ref-hamamatsu")
    assert sources["employees"] == {"source": "annual report 2023", "as_of": dt.date(2024, 3, 31)}

    stale = F.stale_data(firm_store, max_age_days=365, today=today, region_id=region.id)
    found = {(r["table_name"], r["subject"], r["field"]): r for r in stale}
    assert found[("firms", "ref-hamamatsu", "employees")]["age_days"] == 981
    assert found[("export_controls", region.id, "*")]["as_of"] is None  # nobody said when
    assert ("region_imports", region.id, "*") not in found  # six months old: fresh
    with pytest.raises(InvalidArgument, match="table_name"):
        F.record_source(firm_store, "parks", "x", "s", today)
