"""Text from the data and from people reaches the pages as text, never as markup.

A firm's names and business scope (imported data), a park's names, incentives and source (a
park manager may edit those), and an outcome's note and campaign (typed by an officer) are
each an HTML, script or attribute payload here: the templates escape them and the scripts
show them with ``textContent``, through the test client and in Chromium (where the
``browse`` fixture also fails on any console error, such as a script the CSP refused).
The payloads live in a copy of the demo store, so that no other test sees them.
"""

from __future__ import annotations

import re
import sqlite3

import pandas as pd
import pytest

from recommender.store import open_store
from service import create_app

FIRM = "ref-keysight"
OWN = "dg_songshan_lake"  # the park manager's park; the firm fits it
NODE = "rf_test"  # a weak link that ranks the firm in its top 50
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
QUOTED = '" onmouseover="alert(3)" x="'
PAYLOADS = (IMG, SCRIPT, QUOTED)


@pytest.fixture(scope="module")
def hostile_store(demo_store, keys, tmp_path_factory):
    """A copy of the demo store (with its keys) whose firm and park carry the payloads."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    source = sqlite3.connect(demo_store.url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as copy:
        source.backup(copy)
    source.close()
    store = open_store(f"sqlite:///{path}")
    firm = store.firm(FIRM)
    store.upsert_firms(pd.DataFrame([{
        "firm_key": firm["firm_key"], "firm_id": FIRM, "name": f"Keysight {SCRIPT}",
        "name_zh": f"是德科技{IMG}", "business_scope": QUOTED}]))
    store.upsert_parks(pd.DataFrame([{
        "park_id": OWN, "name_zh": f"松山湖{IMG}", "name_en": f"Songshan {SCRIPT}",
        "incentives_zh": QUOTED, "incentives_en": QUOTED, "source": SCRIPT}]))
    yield store
    store.close()


@pytest.fixture(scope="module")
def hostile_app(hostile_store, tmp_path_factory):
    return create_app({"TESTING": True, "database_url": hostile_store.url,
                       "var_dir": str(tmp_path_factory.mktemp("hostile-var")),
                       "RATE_LIMIT_PER_MINUTE": 0, "SNAPSHOT_REFRESH": "inline",
                       "SNAPSHOT_CHECK_SECONDS": 0})


@pytest.fixture(scope="module")
def site(hostile_store, gunicorn, tmp_path_factory) -> str:
    """gunicorn over the hostile store (the ``browse`` fixture's server in this module)."""
    return gunicorn({"CHAINSCOUT_DATABASE_URL": hostile_store.url,
                     "CHAINSCOUT_VAR_DIR": str(tmp_path_factory.mktemp("hostile-site")),
                     "CHAINSCOUT_SECRET_KEY": "hostile-text-test-secret"}, timeout=60)


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _assert_only_escaped(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: {payload!r} unescaped"
    assert "<script>" not in html and "<img" not in html, where  # tags no page has


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_show_the_payloads_as_text(hostile_app, keys, lang):
    client = hostile_app.test_client()
    token = TOKEN.search(client.get(f"/login?lang={lang}").get_data(as_text=True)).group(1)
    client.post("/login", data={"csrf_token": token, "api_key": keys["officer"]})
    token = TOKEN.search(client.get(f"/firms/{FIRM}").get_data(as_text=True)).group(1)
    recorded = client.post(f"/firms/{FIRM}", data={
        "csrf_token": token, "node_id": NODE, "stage": "1", "date": "2025-03-0" + str(
            1 + ["zh", "en"].index(lang)), "note": f"{IMG} {SCRIPT} {QUOTED}",
        "campaign_id": QUOTED})
    assert recorded.status_code == 303
    shown = []
    for path in (f"/firms/{FIRM}", "/parks", f"/parks/{OWN}", f"/?node={NODE}&k=50",
                 "/?targets_k=100&top_links=60", f"/map?weak_link={NODE}"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        _assert_only_escaped(html, path)
        shown.append(html)
    firm_page, parks, park_page, dashboard = shown[:4]
    assert "&lt;img src=x onerror=alert(1)&gt;" in firm_page  # the note, as text
    assert "&#34; onmouseover=&#34;alert(3)&#34; x=&#34;" in firm_page  # the campaign
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in park_page  # the park's source
    assert "alert(" in parks and "alert(" in dashboard  # the park's and the firm's names


def test_the_browser_runs_none_of_them(browse, site, keys):
    page = browse("officer", lang="en")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{site}/firms/{FIRM}?record_node={NODE}")
    assert SCRIPT in page.locator("#firm-name").inner_text()
    page.select_option("#outcome-stage", "1")
    page.fill("#outcome-date", "2025-04-01")
    page.fill("#outcome-campaign", QUOTED)
    page.fill("#outcome-note", f"{IMG} {SCRIPT}")
    with page.expect_navigation():
        page.click("#record-outcome")
    new = page.locator("#outcomes tbody tr.new")
    assert IMG in new.inner_text() and QUOTED in new.inner_text()

    page.goto(f"{site}/?node={NODE}&k=50")
    assert SCRIPT in page.locator(f'#firms tr[data-firm="{FIRM}"]').inner_text()
    page.goto(f"{site}/parks/{OWN}")
    assert SCRIPT in page.locator("#park-name").inner_text()

    page.goto(f"{site}/map?weak_link={NODE}&k=50")
    page.wait_for_selector('#map-root[data-state="ready"]')
    page.locator(f'#map-firms circle[data-firm-id="{FIRM}"]').locator("..").focus()
    assert SCRIPT in page.locator("#map-tooltip").inner_text()
    page.locator(f'#map-parks .park[data-park-id="{OWN}"] rect').dispatch_event("pointermove")
    assert SCRIPT in page.locator("#map-tooltip").inner_text()
    assert dialogs == []
