"""Importing a project file on the pipeline page in Chromium, in Chinese and English: a good
file makes its projects, the same file again makes none and says which rows exist, a bad file
makes none and names every bad row in the page's language; and a firm portrait's sources and
as-of dates. Over a copy of the demo store (fixtures in ``conftest.py``; screenshots go to
``test-artifacts/``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from recommender import columns as C
from recommender.pipeline import freshness as F
from recommender.pipeline import queries as Q
from tests.service.store_copies import keys_of

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{3,}")
GOOD = {"zh": "企业编号,薄弱环节,阶段,计划投资额（万元）\nref-thorlabs,lasers,接洽,1200\n",
        "en": "Firm ID,Weak link,Stage,Planned investment (10k CNY)\n"
              "ref-horiba,lasers,site visit,800\n"}
BAD = {"zh": "企业编号,薄弱环节,阶段\nref-keyence,lasers,线索\nref-nobody,lasers,线索\n"
             "ref-horiba,photodetectors,投产\n",
       "en": "Firm ID,Weak link,Stage\nref-keyence,lasers,lead\nref-nobody,lasers,lead\n"
             "ref-horiba,photodetectors,production\n"}


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ("officer", "viewer"))


@pytest.fixture(scope="module")
def site(own_store, keys, gunicorn):
    store, folder = own_store
    return gunicorn({"CHAINSCOUT_DATABASE_URL": store.url,
                     "CHAINSCOUT_VAR_DIR": str(folder / "var"),
                     "CHAINSCOUT_SECRET_KEY": "pipeline-import-browser-secret"}, timeout=60)


def _file(text: str, name: str = "projects.csv") -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def _upload(page, site: str, text: str) -> None:
    page.goto(f"{site}/pipeline")
    page.click("#pipeline-import summary")
    page.set_input_files("#import-file", _file(text))
    with page.expect_navigation():
        page.click("#import-submit")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_good_file_imports_and_again_skips_what_exists(browse, site, shoot, own_store, lang):
    store, _ = own_store
    page = browse("officer", lang=lang)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("#nav-data-freshness").is_visible()
    _upload(page, site, GOOD[lang])
    done = page.locator("#import-done").inner_text()
    assert done == ("已导入：新建 1 个项目，更新 0 个，跳过已存在的 0 个。" if lang == "zh" else
                    "Imported: 1 created, 0 updated, 0 skipped (they exist already).")
    firm = "ref-thorlabs" if lang == "zh" else "ref-horiba"
    made = Q.list_projects(store, firm_id=firm, node_id="lasers")
    assert len(made) == 1
    assert page.locator(f'tr[data-project="{made[0]["id"]}"]').count() == 1
    shoot(page, f"pipeline-import-done-{lang}")

    _upload(page, site, GOOD[lang])
    assert "0" in page.locator("#import-done").inner_text()
    existing = page.locator("#import-existing a")
    assert existing.count() == 1
    assert existing.get_attribute("href") == f"/projects/{made[0]['id']}"
    assert len(Q.list_projects(store, firm_id=firm, node_id="lasers")) == 1
    text = page.locator("#import-result").inner_text()
    assert not (CJK.search(text) if lang == "en" else ENGLISH.search(text)), text
    shoot(page, f"pipeline-import-again-{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_file_names_every_bad_row_and_imports_nothing(chromium, site, keys, shoot,
                                                            own_store, lang):
    """In a browser context of its own: the 422 is meant, and the watched pages fail on any
    failed load."""
    store, _ = own_store
    before = len(Q.list_projects(store))
    context = chromium.new_context(locale="zh-CN" if lang == "zh" else "en-GB")
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{site}/login?lang={lang}")
        page.fill("#api_key", keys["officer"])
        with page.expect_navigation():
            page.click("#login")
        _upload(page, site, BAD[lang])
        problems = page.locator("#import-problems li").all_inner_texts()
        if lang == "zh":
            assert problems == ["第 3 行「企业编号」：企业库中没有“ref-nobody”",
                                "第 4 行「阶段」：新项目不能从“投产”阶段开始"]
        else:
            assert problems == ["Row 3, Firm ID: no firm “ref-nobody” in the store",
                                "Row 4, Stage: a new project cannot start at “production”"]
        assert page.locator("#pipeline-import").get_attribute("open") is not None
        heading = page.locator("#import-result strong").inner_text()
        assert not (CJK.search(heading) if lang == "en" else ENGLISH.search(heading)), heading
        assert len(Q.list_projects(store)) == before  # not even row 2
        shoot(page, f"pipeline-import-refused-{lang}")
    finally:
        context.close()


def test_the_form_is_not_shown_to_a_viewer(browse, site):
    page = browse("viewer")
    page.goto(f"{site}/pipeline")
    assert page.locator("#pipeline-import").count() == 0
    assert page.locator("#nav-data-freshness").count() == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_portrait_shows_its_sources_and_dates(browse, site, shoot, own_store, lang):
    store, _ = own_store
    F.record_source(store, "firms", "ref-hamamatsu", "滨松光子 2025 年年报",
                    dt.date(2025, 12, 31), field=C.EMPLOYEES, by="admin")
    page = browse("officer", lang=lang)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/firms/ref-hamamatsu")
    rows = page.locator("#field-sources tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first == (["员工人数", "滨松光子 2025 年年报", "2025-12-31"] if lang == "zh" else
                     ["Employees", "滨松光子 2025 年年报", "2025-12-31"])
    rest = rows.nth(1).locator("td").all_inner_texts()
    assert rest[:2] == (["其余字段", "公开参考资料"] if lang == "zh" else
                        ["Other fields", "public reference data"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rest[2])
    page.locator("#field-sources").scroll_into_view_if_needed()
    shoot(page, f"portrait-sources-{lang}")
    page.locator("#identifiers").screenshot(path=f"test-artifacts/portrait-sources-card-{lang}.png")
