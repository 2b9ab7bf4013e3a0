"""The pipeline through the API: projects, their stages and history, personal data by role,
the XLSX export, the KPI figures, chain health over time, and the leader role's scope.

The module runs over a copy of the session's demo store, so that its projects, plants and
snapshots never reach the other service tests."""

from __future__ import annotations

import io

import pytest

from recommender.store import auth
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import copy_of, keys_of

FIRM, LINK = "ref-hamamatsu", "photodetectors"
LEADER_FIRM, OTHER_FIRM = "ref-mgi-tech", "ref-keyence"


@pytest.fixture(scope="module")
def own(demo_store, tmp_path_factory):
    """An app over a copy of the demo store, a key per role (labelled "copy <role>") and a
    chain leader's."""
    folder = tmp_path_factory.mktemp("pipeline")
    store = copy_of(demo_store, folder)
    keys = keys_of(store, ROLES)
    keys["leader"], _ = auth.create_key(store, "leader", label="mgi liaison",
                                        firm_id=LEADER_FIRM)
    app = service_app(store, folder / "var")
    yield app, keys, store
    store.close()


@pytest.fixture
def call(own):
    app, keys, _ = own
    client = app.test_client()

    def request(method: str, path: str, role: str, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {keys[role]}"},
                           **kwargs)

    return request


def _new(call, firm=FIRM, link=LINK, role="officer", **fields):
    body = {"firm_id": firm, "node_id": link, "contact_name": "王伟", "contact_title": "总经理",
            "contact_phone": "+86 20 8888 0000", "contact_email": "wang@example.cn",
            "planned_investment_wan": 20000.0, "planned_jobs": 400,
            "next_follow_up": "2026-01-05", **fields}
    response = call("POST", "/api/v1/projects", role, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_project_moves_through_its_stages_with_its_history(call, error_body):
    project = _new(call, firm="ref-excelitas")
    assert (project["stage"], project["owner"], project["overdue"]) == (
        "lead", "copy officer", True)
    pid = project["id"]
    for stage in ("contacted", "visit", "negotiation", "signed"):
        moved = call("POST", f"/api/v1/projects/{pid}/transitions", "officer",
                     json={"stage": stage, "note": f"到了{stage}"})
        assert moved.status_code == 200 and moved.get_json()["stage"] == stage
    refused = call("POST", f"/api/v1/projects/{pid}/transitions", "officer",
                   json={"stage": "production"})
    error = error_body(refused, 422, "invalid_argument")
    assert "allowed next: registered (注册), on_hold (搁置), lost (流失)" in error["message"]
    lost = call("POST", f"/api/v1/projects/{pid}/transitions", "admin", json={"stage": "lost"})
    assert "needs a reason" in error_body(lost, 422)["message"]

    history = call("GET", f"/api/v1/projects/{pid}/history", "viewer").get_json()
    assert [(e["from_stage"], e["to_stage"]) for e in history] == [
        (None, "lead"), ("lead", "contacted"), ("contacted", "visit"), ("visit", "negotiation"),
        ("negotiation", "signed")]
    assert {e["recorded_by"] for e in history} == {"copy officer"}
    assert history[-1]["note"] == "到了signed"
    assert call("GET", f"/api/v1/projects/{pid}", "viewer").get_json()["stage"] == "signed"


def test_contacts_are_seen_by_officers_and_admins_only(call):
    project = _new(call, firm="ref-thorlabs")
    for role, seen in (("officer", "王伟"), ("admin", "王伟"), ("viewer", None)):
        shown = call("GET", f"/api/v1/projects/{project['id']}", role).get_json()
        assert shown["contact_name"] == seen and shown["contact_email"] == (
            seen and "wang@example.cn")
        listed = call("GET", "/api/v1/projects?stage=lead", role).get_json()["items"]
        assert {p["contact_phone"] for p in listed} == (
            {None} if seen is None else {p["contact_phone"] for p in listed} - {None})
    assert call("PATCH", f"/api/v1/projects/{project['id']}", "viewer",
                json={"note": "x"}).status_code == 403


@pytest.mark.parametrize(("role", "contacts"), [("viewer", False), ("officer", True)])
def test_the_xlsx_export_carries_contacts_for_officers_only(call, role, contacts):
    from openpyxl import load_workbook

    response = call("GET", "/api/v1/projects/export?lang=zh", role)
    assert response.status_code == 200
    assert response.content_type.startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows and "下次跟进" in rows[0] and "计划投资额（万元）" in rows[0]
    assert ("联系人" in rows[0]) is contacts
    text = repr(rows)
    assert ("王伟" in text) is contacts and ("wang@example.cn" in text) is contacts


def test_follow_ups_kpis_and_trends(call):
    project = _new(call, firm="ref-hamamatsu", link="lasers", next_follow_up="2020-01-01")
    due = call("GET", "/api/v1/projects/follow-ups?within_days=0", "officer").get_json()
    assert project["id"] in [p["id"] for p in due]  # the key's own: owner "copy officer"
    assert call("GET", "/api/v1/projects/follow-ups", "admin").get_json() == []
    kpis = call("GET", "/api/v1/projects/kpis", "viewer").get_json()
    assert kpis["projects_by_stage"]["lead"] >= 1 and kpis["overdue_follow_ups"] >= 1
    assert set(kpis["signed"]) == {"projects", "investment_wan", "jobs"}
    trends = call("GET", "/api/v1/projects/trends?months=3", "viewer").get_json()
    assert len(trends) == 3 and sum(t["entered"]["lead"] for t in trends) >= 1
    overdue = call("GET", "/api/v1/projects?overdue=true", "viewer").get_json()["items"]
    assert project["id"] in [p["id"] for p in overdue] and all(p["overdue"] for p in overdue)


def test_the_link_s_score_moves_when_a_project_reaches_production(call, own):
    assert call("POST", "/api/v1/chain-health/snapshots", "viewer").status_code == 403
    taken = call("POST", "/api/v1/chain-health/snapshots", "officer")
    assert taken.status_code == 201
    unaddressed = call("GET", "/api/v1/chain-health/unaddressed", "viewer").get_json()
    link = unaddressed[0]["node_id"]  # the weakest link no project is for yet
    _, _, store = own
    makers = store.firm_nodes(node_ids=[link])["firm_id"]
    firms = store.firms(firm_ids=list(makers))
    firm = firms[firms["country"] != "CN"]["firm_id"].iloc[0]
    project = _new(call, firm=firm, link=link, park_id="dg_songshan_lake")
    for stage in ("contacted", "visit", "negotiation", "signed", "registered", "construction",
                  "production"):
        assert call("POST", f"/api/v1/projects/{project['id']}/transitions", "officer",
                    json={"stage": stage}).status_code == 200
    landed = call("GET", f"/api/v1/projects/{project['id']}", "viewer").get_json()
    assert landed["plant_firm_id"] == f"{firm}@guangdong"

    # a snapshot of a later day, as the nightly command would keep it
    import datetime as dt

    from recommender.chain import load_chain
    from recommender.demo.world import load_region
    from recommender.pipeline.health import take_snapshot

    take_snapshot(store, load_chain(), load_region(),
                  on=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1))
    history = call("GET", f"/api/v1/chain-health/history?node_id={link}", "viewer").get_json()
    points = history["series"][0]["points"]
    assert len(history["days"]) == 2 and points[1]["local_firms"] == points[0]["local_firms"] + 1
    assert points[1]["weak_link_score"] < points[0]["weak_link_score"]
    changes = {c["node_id"]: c for c in call("GET", "/api/v1/chain-health/changes",
                                             "viewer").get_json()}
    assert changes[link]["improved"] and changes[link]["why"]["zh"]
    after = call("GET", "/api/v1/chain-health/unaddressed", "viewer").get_json()
    assert link not in [u["node_id"] for u in after]


def test_a_leader_enters_its_own_firm_s_needs_only(call, error_body):
    body = {"need": 4, "volume": "500台/年", "needed_by": "2027-06-30",
            "supplier_countries": ["DE", "JP"], "note": "测序仪配套"}
    entered = call("PUT", f"/api/v1/leader-needs/{LEADER_FIRM}/vacuum_pumps", "leader", json=body)
    assert entered.status_code == 200, entered.get_data(as_text=True)
    row = entered.get_json()
    assert (row["entered_by"], row["need"], row["supplier_countries"]) == (
        "mgi liaison", 4.0, ["DE", "JP"])
    assert row["as_of"]
    own_needs = call("GET", "/api/v1/leader-needs", "leader").get_json()
    assert {n["leader_firm_id"] for n in own_needs} == {LEADER_FIRM}
    assert "vacuum_pumps" in {n["node_id"] for n in own_needs}

    for method in ("PUT", "DELETE"):
        other = call(method, f"/api/v1/leader-needs/{OTHER_FIRM}/vacuum_pumps", "leader",
                     json=body if method == "PUT" else None)
        error_body(other, 404, "not_found")
    error_body(call("GET", f"/api/v1/leader-needs?firm_id={OTHER_FIRM}", "leader"), 404)
    assert call("GET", "/api/v1/projects", "leader").status_code == 403
    assert call("PUT", f"/api/v1/leader-needs/{LEADER_FIRM}/vacuum_pumps", "officer",
                json=body).status_code == 403
    every = call("GET", "/api/v1/leader-needs", "officer").get_json()
    assert len({n["leader_firm_id"] for n in every}) > 1  # the region's leaders, all of them


def test_data_older_than_an_age_is_listed(call):
    stale = call("GET", "/api/v1/data-freshness/stale?max_age_days=0", "viewer").get_json()
    tables = {i["table_name"] for i in stale["items"]}
    assert "export_controls" in tables  # no as-of date recorded: its age is unknown
    sources = call("GET", f"/api/v1/data-freshness/firms/{FIRM}", "viewer").get_json()
    assert sources["employees"]["as_of"] and "source" in sources["employees"]
    assert call("GET", "/api/v1/data-freshness/firms/nobody", "viewer").status_code == 404


def test_the_openapi_document_shows_the_pipeline(call):
    spec = call("GET", "/api/v1/openapi.json", "viewer").get_json()
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}/transitions",
                 "/api/v1/projects/{project_id}/history", "/api/v1/projects/kpis",
                 "/api/v1/chain-health/history", "/api/v1/leader-needs/{firm_id}/{node_id}",
                 "/api/v1/data-freshness/stale"):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {"Project", "ProjectIn", "Move", "Kpi"} <= set(schemas)
    assert schemas["Move"]["properties"]["lost_reason"]["enum"][:2] == ["cost", "policy"]


def test_a_named_key_owns_its_projects_and_authors_their_moves_by_its_person(own):
    app, _, store = own
    key, _ = auth.create_key(store, auth.OFFICER, name="张三", unit="招商一科", label="desk 1")
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()

    created = client.post("/api/v1/projects", headers=headers,
                          json={"firm_id": "ref-keyence", "node_id": LINK})
    assert created.status_code == 201, created.get_data(as_text=True)
    pid = created.get_json()["id"]
    client.post(f"/api/v1/projects/{pid}/transitions", headers=headers,
                json={"stage": "contacted"})

    assert created.get_json()["owner"] == "张三"  # the person, not the label "desk 1"
    history = client.get(f"/api/v1/projects/{pid}/history", headers=headers).get_json()
    assert [(e["to_stage"], e["recorded_by"]) for e in history] == [
        ("lead", "张三"), ("contacted", "张三")]


def test_an_xlsx_export_imports_back_round_trip(call, own):
    from openpyxl import load_workbook

    from recommender.pipeline import projects as P

    _, _, store = own
    made = _new(call, firm="ref-horiba", link="lasers", contact_phone="+86 755 1234",
                note="=注意：公式不会执行")
    exported = call("GET", "/api/v1/projects/export?lang=zh", "officer").data
    book = load_workbook(io.BytesIO(exported))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["项目编号", "企业编号", "薄弱环节", "阶段"]
    rows = list(sheet.iter_rows(min_row=2))
    ours = next(r for r in rows if r[0].value == made["id"])
    ours[header.index("计划就业人数")].value = 555  # a change, brought back by the import
    # a new row: no project number, a stage in Chinese
    sheet.append(["", "ref-horiba", "photodetectors", "接洽", None, None, "copy officer",
                  "李四", "经理", None, None, "2027-01-15", 800, 40, None, None])
    for line in rows:  # the others unchanged, except that they take part in the round trip
        assert line[header.index("阶段")].value
    body = io.BytesIO()
    book.save(body)
    response = call("POST", "/api/v1/projects/import", "officer",
                    data={"file": (io.BytesIO(body.getvalue()), "招商项目.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"created": 1, "updated": len(rows), "skipped": 0,
                                   "existing": []}
    again = P.get_project(store, made["id"])
    assert (again["planned_jobs"], again["contact_phone"], again["note"]) == (
        555, "+86 755 1234", "=注意：公式不会执行")
    new = [p for p in call("GET", "/api/v1/projects?firm_id=ref-horiba&node_id=photodetectors",
                           "officer").get_json()["items"]]
    assert [(p["stage"], p["contact_name"], p["planned_investment_wan"], p["next_follow_up"])
            for p in new] == [("contacted", "李四", 800.0, "2027-01-15")]
    # refused: a viewer, a file that is not a spreadsheet, a cell that cannot be read
    assert call("POST", "/api/v1/projects/import", "viewer",
                data={"file": (io.BytesIO(body.getvalue()), "p.xlsx")},
                content_type="multipart/form-data").status_code == 403
    assert call("POST", "/api/v1/projects/import", "officer",
                data={"file": (io.BytesIO(b"x"), "p.txt")},
                content_type="multipart/form-data").status_code == 422
    bad = io.BytesIO("项目编号,企业编号,薄弱环节,阶段\n,ref-keyence,lasers,线索\n"
                     ",ref-horiba,lasers,签了\n,ref-nobody,lasers,\n".encode())
    response = call("POST", "/api/v1/projects/import", "officer",
                    data={"file": (bad, "p.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["problems"]
    assert [(p["row"], p["column"], p["problem"]) for p in problems] == [
        (3, "stage", "unreadable"), (4, "firm_id", "unknown_firm")]
    assert not call("GET", "/api/v1/projects?firm_id=ref-keyence&node_id=lasers",
                    "officer").get_json()["items"]  # the good row 2 was not kept either
    again = call("POST", "/api/v1/projects/import", "officer",
                 data={"file": (io.BytesIO(body.getvalue()), "招商项目.xlsx")},
                 content_type="multipart/form-data").get_json()
    assert (again["created"], again["skipped"]) == (0, 1)  # the new row exists now
    assert again["existing"] == [{"row": len(rows) + 2, "id": new[0]["id"]}]


def test_a_data_source_is_recorded_and_read_back(call):
    response = call("PUT", "/api/v1/data-freshness/sources", "officer", json={
        "table_name": "export_controls", "source": "商务部出口管制公告 2025",
        "as_of": "2025-06-30"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["subject"], response.get_json()["recorded_by"]) == (
        "guangdong", "copy officer")
    region = call("GET", "/api/v1/data-freshness/region", "viewer").get_json()
    assert region["export_controls"] == {"source": "商务部出口管制公告 2025",
                                         "as_of": "2025-06-30"}
    response = call("PUT", "/api/v1/data-freshness/sources", "officer", json={
        "table_name": "firms", "subject": FIRM, "field": "employees",
        "source": "annual report 2024", "as_of": "2024-12-31"})
    assert response.status_code == 200
    sources = call("GET", f"/api/v1/data-freshness/firms/{FIRM}", "viewer").get_json()
    assert sources["employees"] == {"source": "annual report 2024", "as_of": "2024-12-31"}
    assert call("PUT", "/api/v1/data-freshness/sources", "viewer", json={
        "table_name": "firms", "subject": FIRM, "source": "x",
        "as_of": "2024-12-31"}).status_code == 403
    assert call("PUT", "/api/v1/data-freshness/sources", "officer", json={
        "table_name": "firms", "subject": "nobody", "source": "x",
        "as_of": "2024-12-31"}).status_code == 404
    assert call("PUT", "/api/v1/data-freshness/sources", "officer", json={
        "table_name": "firms", "subject": FIRM, "field": "colour", "source": "x",
        "as_of": "2024-12-31"}).status_code == 422
    assert call("PUT", "/api/v1/data-freshness/sources", "officer", json={
        "table_name": "leader_needs", "field": "need", "source": "x",
        "as_of": "2024-12-31"}).status_code == 422
