"""The pipeline's pages through the test client, over a copy of the demo store: a project made
from a ranked row in one click, moved through its stages (an impossible jump refused in the
page's language), its contacts by role, the pipeline page's groups and filters, the KPI tiles
and my follow-ups on the dashboard, the chain's health after the project reaches production,
and a chain leader's needs form."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from recommender.pipeline import health
from recommender.pipeline import projects as P
from recommender.store import auth
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import keys_of

FIRM, LINK = "ref-hamamatsu", "photodetectors"
LEADER_FIRM = "ref-mgi-tech"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    made = keys_of(store, ROLES)
    made["leader"], _ = auth.create_key(store, "leader", label="mgi liaison", name="李联络",
                                        firm_id=LEADER_FIRM)
    return made


@pytest.fixture(scope="module")
def app(own_store, keys):
    store, folder = own_store
    return service_app(store, folder / "var")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _new_project(visitor, firm=FIRM, link=LINK) -> int:
    page = visitor.get(f"/?node={link}")
    response = visitor.post("/projects/new", data={"csrf_token": _token(_text(page)),
                                                   "firm_id": firm, "node_id": link})
    assert response.status_code == 303, _text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _move(visitor, project_id: int, stage: str, **extra):
    page = visitor.get(f"/projects/{project_id}")
    return visitor.post(f"/projects/{project_id}/move",
                        data={"csrf_token": _token(_text(page)), "stage": stage, **extra})


def test_a_ranked_row_becomes_a_project_in_one_click(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    html = _text(visitor.get(f"/?node={LINK}"))
    row = re.search(rf'<tr data-firm="{FIRM}".*?</tr>', html, re.S).group(0)
    assert 'action="/projects/new"' in row and f'value="{LINK}"' in row
    project_id = _new_project(visitor)
    page = visitor.get(f"/projects/{project_id}")
    assert page.status_code == 200
    found = P.get_project(store, project_id)
    assert (found["firm_id"], found["node_id"], found["stage"], found["owner"]) == (
        FIRM, LINK, "lead", "copy officer")
    assert "项目已创建" in _text(page)
    # the ranked row now opens the project; a second click opens it rather than doubling it
    row = re.search(rf'<tr data-firm="{FIRM}".*?</tr>', _text(visitor.get(f"/?node={LINK}")),
                    re.S).group(0)
    assert f'href="/projects/{project_id}"' in row and "/projects/new" not in row
    assert _new_project(visitor) == project_id


def test_an_impossible_jump_is_refused_in_the_page_language(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    project_id = _new_project(visitor, firm="ref-excelitas")
    response = _move(visitor, project_id, "signed")
    assert response.status_code == 422
    assert ("处于「线索」阶段的项目不能直接转入「签约」；可转入：接洽、搁置、流失。"
            in _text(response))
    visitor.get(f"/projects/{project_id}?lang=en")
    response = _move(visitor, project_id, "production")
    assert response.status_code == 422
    assert ("A project at lead cannot move straight to production; it may move to contacted, "
            "on hold, lost.") in _text(response)
    response = _move(visitor, project_id, "lost")
    assert response.status_code == 422 and "A lost project needs a reason" in _text(response)
    assert P.get_project(store, project_id)["stage"] == "lead"
    assert [e["to_stage"] for e in P.project_history(store, project_id)] == ["lead"]
    visitor.get("/?lang=zh")


def test_a_project_moves_through_its_stages_and_keeps_its_history(visitor, keys, login,
                                                                   own_store):
    store, _ = own_store
    login(keys["officer"])
    project_id = _new_project(visitor, firm="ref-thorlabs")
    for stage in ("contacted", "visit", "negotiation"):
        response = _move(visitor, project_id, stage, note=f"到{stage}")
        assert response.status_code == 303
    response = _move(visitor, project_id, "lost", lost_reason="rival_region")
    assert response.status_code == 303
    html = _text(visitor.get(f"/projects/{project_id}"))
    rows = re.findall(r'<tr data-to="([a-z_]+)">', html)
    assert rows == ["lead", "contacted", "visit", "negotiation", "lost"]
    assert "流失原因: 竞争地区" in html and "copy officer" in html
    # a lost project may only be reopened as a lead
    assert re.findall(r'<option value="([a-z_]+)">', html.split('id="move-stage"')[1]
                      .split("</select>")[0]) == ["lead"]


def test_contacts_show_to_officers_only_and_edits_are_kept(visitor, keys, login, own_store,
                                                           app):
    store, _ = own_store
    login(keys["officer"])
    project_id = _new_project(visitor, firm="ref-keyence")
    page = visitor.get(f"/projects/{project_id}")
    response = visitor.post(f"/projects/{project_id}/edit", data={
        "csrf_token": _token(_text(page)), "contact_name": "王伟", "contact_phone": "138 0000",
        "next_follow_up": "2026-01-05", "planned_investment_wan": "20,000",
        "planned_jobs": "400", "owner": "copy officer", "note": ""})
    assert response.status_code == 303
    found = P.get_project(store, project_id)
    assert (found["contact_name"], found["planned_investment_wan"], found["planned_jobs"],
            found["next_follow_up"]) == ("王伟", 20000.0, 400, dt.date(2026, 1, 5))
    assert "王伟" in _text(visitor.get(f"/projects/{project_id}"))
    response = visitor.post(f"/projects/{project_id}/edit", data={
        "csrf_token": _token(_text(page)), "planned_jobs": "many"})
    assert response.status_code == 422 and "请填写不小于 0 的数字" in _text(response)

    viewer = app.test_client()
    viewer.post("/login", data={"csrf_token": _token(_text(viewer.get("/login"))),
                                "api_key": keys["viewer"]})
    html = _text(viewer.get(f"/projects/{project_id}"))
    assert "王伟" not in html and "138 0000" not in html and 'id="contacts-hidden"' in html
    assert 'id="move-form"' not in html and 'id="edit-form"' not in html
    assert viewer.post(f"/projects/{project_id}/move", data={
        "csrf_token": _token(html), "stage": "contacted"}).status_code == 403
    assert viewer.get("/projects/99999").status_code == 404


def test_the_pipeline_page_groups_and_filters(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    project_id = _new_project(visitor, firm="ref-carl-zeiss", link="lasers")
    P.update_project(store, project_id, {"next_follow_up": dt.date(2020, 1, 1)})
    html = _text(visitor.get("/pipeline"))
    groups = re.findall(r'<section class="card stage-group" id="stage-([a-z_]+)"', html)
    order = ["lead", "contacted", "visit", "negotiation", "signed", "registered",
             "construction", "production", "on_hold", "lost"]
    assert groups == [s for s in order if s in groups] and "lead" in groups
    html = _text(visitor.get("/pipeline?overdue=1"))
    rows = re.findall(r'<tr data-project="(\d+)"[^>]*?( class="overdue")?>', html)
    assert str(project_id) in [number for number, _ in rows]
    assert all(mark for _, mark in rows)  # every one overdue; those without a follow-up not
    assert len(rows) < _text(visitor.get("/pipeline")).count("<tr data-project")
    html = _text(visitor.get("/pipeline?node=lasers"))
    assert set(re.findall(r'data-node="([a-z_]+)"(?: class="overdue")?>', html)) == {"lasers"}
    assert _text(visitor.get("/pipeline?owner=nobody")).count("<tr data-project") == 0
    english = _text(visitor.get("/pipeline?lang=en"))
    body = english.split("<main>")[1]
    assert "Projects" in body and not CJK.search(re.sub(r"<[^>]+>", "", body).replace(
        "中文", "")), "Chinese on the English page"
    visitor.get("/?lang=zh")


def test_kpi_tiles_follow_ups_and_health_after_production(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    from recommender.chain import load_chain
    from recommender.demo.world import load_region

    chain, region = load_chain(), load_region()
    health.take_snapshot(store, chain, region, on=yesterday)
    project_id = _new_project(visitor, firm="ref-hamamatsu", link="lasers")
    page = visitor.get(f"/projects/{project_id}")
    visitor.post(f"/projects/{project_id}/edit", data={
        "csrf_token": _token(_text(page)), "planned_investment_wan": "50000",
        "planned_jobs": "300", "next_follow_up": dt.date.today().isoformat()})
    for stage in ("contacted", "visit", "signed", "registered", "construction", "production"):
        assert _move(visitor, project_id, stage).status_code == 303
    assert P.get_project(store, project_id)["plant_firm_id"] == "ref-hamamatsu@guangdong"
    html = _text(visitor.get("/"))
    response = visitor.post("/chain-health/snapshot", data={"csrf_token": _token(html)})
    assert response.status_code == 303
    html = _text(visitor.get("/"))
    signed = re.search(r'id="kpi-signed".*?<strong>([^<]+)</strong>', html, re.S).group(1)
    assert float(signed.replace(",", "")) >= 50000
    assert 'id="kpi-links"' in html and re.search(
        r'id="kpi-links".*?<strong>(\d+)</strong>', html, re.S).group(1) != "0"
    changed = re.search(r'<table id="health-changes">.*?</table>', html, re.S).group(0)
    row = re.search(r'<tr data-node="lasers" class="improved">.*?</tr>', changed, re.S)
    assert row is not None, changed
    assert "本地企业由" in row.group(0)
    chart = html.split('id="health-chart"')[1].split("</svg>")[0]
    assert 'data-node="lasers"' in chart  # drawn over time, as it changed
    # the follow-up due today is mine, until the project is in production
    assert f'<tr data-project="{project_id}"' not in html.split('id="my-follow-ups"')[1].split(
        "</section>")[0]


def test_a_leader_enters_its_own_needs_only(app, keys, own_store):
    from recommender.pipeline.leader_needs import needs_of

    store, _ = own_store
    leader = app.test_client()
    response = leader.post("/login", data={"csrf_token": _token(_text(leader.get("/login"))),
                                           "api_key": keys["leader"]})
    assert response.headers["Location"].endswith("/leader-needs")
    html = _text(leader.get("/leader-needs"))
    assert 'id="need-firm"' not in html  # the key's own firm, fixed
    response = leader.post("/leader-needs", data={
        "csrf_token": _token(html), "node_id": "lasers", "need": "4", "volume": "200台/年",
        "needed_by": "2027-06-30", "supplier_countries": "德国、日本",
        "firm_id": "ref-keyence"})  # another firm is ignored: the key's own is used
    assert response.status_code == 303
    rows = [r for r in needs_of(store, "guangdong") if r["entered_by"] == "李联络"]
    assert [(r["leader_firm_id"], r["node_id"], r["need"], r["supplier_countries"])
            for r in rows] == [(LEADER_FIRM, "lasers", 4.0, ["DE", "JP"])]
    html = _text(leader.get("/leader-needs"))
    assert "德国、日本" in html and "李联络" in html
    response = leader.post("/leader-needs", data={"csrf_token": _token(html),
                                                  "node_id": "lasers", "need": "9"})
    assert response.status_code == 422 and "需求程度须为 1 至 5" in _text(response)
    assert leader.get("/pipeline").status_code == 403
    assert leader.get("/").status_code == 403


def test_the_data_freshness_page_lists_stale_data_by_age(visitor, keys, login, own_store):
    from recommender.pipeline.freshness import record_source

    store, _ = own_store
    login(keys["viewer"])
    record_source(store, "region_imports", "guangdong", "海关总署 2025", dt.date(2025, 3, 1),
                  by="li")
    today = dt.datetime.now(dt.UTC).date()
    recent = today - dt.timedelta(days=100)
    record_source(store, "export_controls", "guangdong", "商务部公告", recent, by="li")

    def tables(age: int) -> set[str]:
        html = _text(visitor.get(f"/data-freshness?max_age_days={age}"))
        return set(re.findall(r'<tr data-table="([a-z_]+)" data-subject="guangdong"', html))

    assert "export_controls" in tables(90) and "export_controls" not in tables(180)
    assert "region_imports" in tables(365) and "region_imports" not in tables(730)
    html = _text(visitor.get("/data-freshness?max_age_days=90"))
    assert "海关总署 2025" in html and "出口管制" in html and "export_controls<" not in html
    assert visitor.get("/data-freshness?max_age_days=7").status_code == 200  # not offered: 365


@pytest.mark.parametrize(("role", "contacts"), [("viewer", False), ("officer", True)])
def test_the_pipeline_file_carries_contacts_for_officers_only(app, keys, own_store, role,
                                                              contacts):
    import io

    from openpyxl import load_workbook

    store, _ = own_store
    found = P.create_project(store, {"firm_id": "ref-anritsu", "node_id": "lasers",
                                     "contact_name": "赵六", "contact_phone": "139 0000"},
                             by="copy officer")
    client = app.test_client()
    client.post("/login", data={"csrf_token": _token(_text(client.get("/login"))),
                                "api_key": keys[role]})
    response = client.get("/pipeline/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert "项目编号" in rows[0] and ("联系人" in rows[0]) is contacts
    assert ("赵六" in repr(rows)) is contacts and ("139 0000" in repr(rows)) is contacts
    P.delete_project(store, found["id"])
