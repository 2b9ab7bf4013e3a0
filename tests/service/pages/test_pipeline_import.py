"""Importing a project file on the pipeline page, through the test client, over a copy of the
demo store: all or none, every bad row named in the page's language, a file imported again
skipping the rows whose projects exist; the form only for the roles that run projects; the
header's links to data freshness and leaders' needs by role."""

from __future__ import annotations

import io
import re

import pytest

from recommender.pipeline import queries as Q
from tests.service.conftest import ROLES, service_app
from tests.service.pages.conftest import csrf_of
from tests.service.store_copies import keys_of

CJK = re.compile(r"[\u4e00-\u9fff]")
GOOD = "企业编号,薄弱环节,阶段,计划投资额（万元）\nref-thorlabs,lasers,接洽,1200\n"
BAD = ("企业编号,薄弱环节,阶段,计划投资额（万元）\n"
       "ref-thorlabs,photodetectors,线索,100\n"     # row 2: good
       "ref-nobody,lasers,线索,\n"                  # row 3: no such firm
       "ref-horiba,lasers,半路,-5\n")                # row 4: a stage unknown, an amount below 0


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ROLES)


@pytest.fixture(scope="module")
def app(own_store, keys):
    store, folder = own_store
    return service_app(store, folder / "var")


def _upload(visitor, text: str, name: str = "projects.csv", lang: str = "zh"):
    token = csrf_of(visitor, f"/pipeline?lang={lang}")
    return visitor.post("/pipeline/import", content_type="multipart/form-data",
                        data={"csrf_token": token,
                              "file": (io.BytesIO(text.encode("utf-8")), name)})


def _problems(html: str) -> list[str]:
    listed = re.search(r'<ul id="import-problems">(.*?)</ul>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", listed)]


def test_a_bad_file_imports_nothing_and_names_every_bad_row(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    before = len(Q.list_projects(store))
    response = _upload(visitor, BAD)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "未导入任何项目：以下 3 处有误" in html
    assert _problems(html) == ["第 3 行「企业编号」：企业库中没有“ref-nobody”",
                               "第 4 行「阶段」：无法识别“半路”",
                               "第 4 行「计划投资额（万元）」：-5 小于 0"]
    assert len(Q.list_projects(store)) == before  # not even row 2

    visitor.get("/pipeline?lang=en")
    english = _upload(visitor, BAD, lang="en").get_data(as_text=True)
    found = _problems(english)
    assert found[0] == "Row 3, Firm ID: no firm “ref-nobody” in the store"
    assert "Row 4, Stage: cannot read “半路”" in found  # the file's own word, quoted
    assert not CJK.search(re.sub("“[^”]*”", "", " ".join(found)))
    assert not CJK.search(re.search(r'id="import-result".*?</section>', english, re.S)
                          .group(0).replace("半路", ""))


def test_a_good_file_imports_and_again_skips_what_exists(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["officer"])
    response = _upload(visitor, GOOD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "已导入：新建 1 个项目，更新 0 个，跳过已存在的 0 个。" in html
    made = Q.list_projects(store, firm_id="ref-thorlabs", node_id="lasers")
    assert [(p["stage"], p["planned_investment_wan"], p["owner"]) for p in made] == [
        ("contacted", 1200.0, "copy officer")]
    assert f'data-project="{made[0]["id"]}"' in html  # listed on the page it answered with

    visitor.get("/pipeline?lang=en")
    again = _upload(visitor, GOOD, lang="en").get_data(as_text=True)
    assert "Imported: 0 created, 0 updated, 1 skipped (they exist already)." in again
    assert f'href="/projects/{made[0]["id"]}">row 2 → project #{made[0]["id"]}</a>' in again
    assert len(Q.list_projects(store, firm_id="ref-thorlabs", node_id="lasers")) == 1


def test_a_file_that_is_not_a_project_file(visitor, keys, login):
    login(keys["officer"])
    response = _upload(visitor, "x", name="notes.txt")
    assert response.status_code == 422
    assert _problems(response.get_data(as_text=True)) == ["请上传 Excel 或 CSV 格式的项目文件"]
    broken = _upload(visitor, "not a workbook", name="projects.xlsx")
    assert broken.status_code == 422 and "未导入任何项目" in broken.get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "park_manager"])
def test_the_form_is_for_the_roles_that_run_projects(app, keys, role):
    visitor = app.test_client()
    visitor.post("/login", data={"csrf_token": csrf_of(visitor), "api_key": keys[role]})
    page = visitor.get("/pipeline").get_data(as_text=True)
    assert 'id="import-form"' not in page
    token = csrf_of(visitor, "/parks")
    refused = visitor.post("/pipeline/import", content_type="multipart/form-data",
                           data={"csrf_token": token,
                                 "file": (io.BytesIO(GOOD.encode()), "p.csv")})
    assert refused.status_code == 403


@pytest.mark.parametrize(("role", "freshness", "needs"), [
    ("officer", True, True), ("admin", True, True), ("viewer", False, False)])
def test_the_header_links_data_freshness_and_leaders_needs(app, keys, role, freshness, needs):
    visitor = app.test_client()
    visitor.post("/login", data={"csrf_token": csrf_of(visitor), "api_key": keys[role]})
    header = re.search(r"<nav.*?</nav>", visitor.get("/pipeline").get_data(as_text=True),
                       re.S).group(0)
    assert ('id="nav-data-freshness"' in header) is freshness
    assert ('id="nav-leader-needs"' in header) is needs
    if freshness:
        assert visitor.get("/data-freshness").status_code == 200
