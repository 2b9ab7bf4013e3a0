"""The pipeline in Chromium, in Chinese and English: an officer makes a project from a ranked
row in one click, moves it through its stages on its page (an impossible jump refused with a
clear sentence), finds it on the pipeline page, and reads the KPI tiles and the chain's health
on the dashboard; over a copy of the demo store (the fixtures and the page checks are in
``conftest.py``; screenshots go to ``test-artifacts/``)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from recommender.pipeline import health
from recommender.pipeline import projects as P
from tests.service.store_copies import keys_of

LINK = "lasers"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ("admin", "officer", "viewer"))


@pytest.fixture(scope="module")
def site(own_store, keys, gunicorn):
    from recommender.chain import load_chain
    from recommender.demo.world import load_region

    store, folder = own_store
    # yesterday's snapshot, so that the dashboard has a day to compare today's with
    health.take_snapshot(store, load_chain(), load_region(),
                         on=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    url = gunicorn({"CHAINSCOUT_DATABASE_URL": store.url,
                    "CHAINSCOUT_VAR_DIR": str(folder / "var"),
                    "CHAINSCOUT_SECRET_KEY": "pipeline-browser-test-secret"}, timeout=60)
    _warm(url, keys["admin"])
    return url


def _warm(url: str, key: str) -> None:
    """Have each worker build its snapshot before the browser waits on a page for it."""
    import urllib.request

    for _ in range(4):
        request = urllib.request.Request(f"{url}/api/v1/weak-links",
                                         headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()


def _visible_text(page) -> str:
    return page.locator("main").inner_text()


def test_from_a_ranked_row_to_production_and_the_link_s_score(browse, chromium, site, keys,
                                                              shoot, own_store):
    store, _ = own_store
    page = browse("officer")
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{site}/?node={LINK}")
    row = page.locator("#firms tbody tr").first
    firm_id = row.get_attribute("data-firm")
    with page.expect_navigation():
        row.locator("form.project-new button").click()
    assert re.fullmatch(r"/projects/\d+", urlsplit(page.url).path)
    project_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    assert page.locator("#project-stage").get_attribute("data-stage") == "lead"
    assert page.locator("#project-notice").is_visible()
    shoot(page, "pipeline-1-project-made")

    _a_forged_jump_is_refused(chromium, site, keys["officer"], project_id, shoot)

    page.fill("#edit-investment", "30000")
    page.fill("#edit-jobs", "250")
    page.fill("#edit-contact-name", "王伟")
    with page.expect_navigation():
        page.click("#edit-submit")
    for stage in ("contacted", "visit", "signed", "registered", "construction", "production"):
        page.select_option("#move-stage", stage)
        with page.expect_navigation():
            page.click("#move-submit")
        assert page.locator("#project-stage").get_attribute("data-stage") == stage
    assert page.locator("#project-history tbody tr").count() == 7
    assert page.locator("#no-moves").is_visible() and page.locator("#project-plant").is_visible()
    shoot(page, "pipeline-3-production")
    assert P.get_project(store, project_id)["plant_firm_id"] == f"{firm_id}@guangdong"

    # the pipeline page lists it under 投产, and its filters find it
    page.click("#nav-pipeline")
    page.wait_for_selector("#stage-production")
    assert page.locator(f'#stage-production tr[data-project="{project_id}"]').count() == 1
    page.select_option("#filter-node", LINK)
    with page.expect_navigation():
        page.click("#apply-pipeline-filters")
    assert page.locator(f'tr[data-project="{project_id}"]').count() == 1
    assert {r.get_attribute("data-node") for r in page.locator("tr[data-project]").all()} == {
        LINK}
    shoot(page, "pipeline-4-list-zh")

    # today's snapshot: the link improved since yesterday, because of the new local plant
    page.goto(f"{site}/")
    with page.expect_navigation():
        page.click("#take-snapshot")
    assert urlsplit(page.url).path == "/"
    changed = page.locator(f'#health-changes tr[data-node="{LINK}"]')
    assert changed.get_attribute("class") == "improved"
    assert "本地企业由" in changed.inner_text()
    line = page.locator(f'#health-chart g[data-node="{LINK}"]')
    assert float(line.get_attribute("data-last")) < float(line.get_attribute("data-first"))
    signed = page.locator("#kpi-signed strong").inner_text()
    assert float(signed.replace(",", "")) >= 30000
    assert page.locator("#kpi-links strong").inner_text() != "0"
    page.locator("#kpis").scroll_into_view_if_needed()
    shoot(page, "pipeline-5-kpis-zh")
    page.locator("#chain-health").scroll_into_view_if_needed()
    shoot(page, "pipeline-6-health-zh")


def _a_forged_jump_is_refused(chromium, site, key: str, project_id: int, shoot) -> None:
    """A move the form does not offer (forged, or stale), straight from 线索 to 签约, answers
    422 with the stages the project may move to. In a browser context of its own: the 422 is
    meant, and the watched pages fail on any failed load."""
    context = chromium.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{site}/login?lang=zh")
        page.fill("#api_key", key)
        with page.expect_navigation():
            page.click("#login")
        page.goto(f"{site}/projects/{project_id}")
        page.evaluate("""() => { const s = document.querySelector('#move-stage');
            const o = document.createElement('option'); o.value = 'signed'; o.text = 'x';
            s.appendChild(o); s.value = 'signed'; }""")
        with page.expect_navigation():
            page.click("#move-submit")
        assert page.locator("#move-error").inner_text() == (
            "处于「线索」阶段的项目不能直接转入「签约」；可转入：接洽、搁置、流失。")
        shoot(page, "pipeline-2-refused")
    finally:
        context.close()


# what each page says in its own words (not the names of firms, parks and people)
WORDS = {
    "project": "main h1 + p.meta, #stage-track, #details dt, #contacts dt, #move, "
               "#history th, #history td:nth-child(2), #history td:nth-child(3), #edit label",
    "list": "#pipeline-filters label, #pipeline-count, #stage-strip, .stage-group h2, "
            ".stage-group th, .overdue-tag",
    "kpis": "#kpis, #my-follow-ups h2, #my-follow-ups th, #trends, #chain-health h2, "
            "#chain-health h3, #chain-health > p, #health-changes th, #health-changes .tag, "
            "#health-changes td.reason",
}
ENGLISH = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_speak_one_language(browse, site, shoot, own_store, lang):
    store, _ = own_store
    project = P.create_project(store, {"firm_id": "ref-thorlabs", "node_id": "photodetectors",
                                       "next_follow_up": dt.date(2020, 1, 2),
                                       "planned_investment_wan": 1200.5},
                               by="copy officer")
    page = browse("officer", lang=lang)
    page.set_viewport_size({"width": 1280, "height": 900})
    for path, name in ((f"/projects/{project['id']}", "project"), ("/pipeline", "list"),
                       ("/", "kpis")):
        page.goto(f"{site}{path}")
        text = " ".join(page.locator(WORDS[name]).all_inner_texts())
        assert len(text) > 40, (path, text)
        if lang == "en":
            assert not CJK.search(text), (path, CJK.findall(text)[:20])
        else:
            assert not ENGLISH.search(text), (path, ENGLISH.findall(text)[:20])
        if name == "kpis":
            page.locator("#kpis").scroll_into_view_if_needed()
            assert page.locator("#kpi-overdue strong").inner_text() != "0"
        shoot(page, f"pipeline-{name}-{lang}")
    page.goto(f"{site}/projects/{project['id']}")
    assert page.locator("#project-overdue").is_visible()
    P.delete_project(store, project["id"])
