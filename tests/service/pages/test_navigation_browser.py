"""Paths that keep their place, park managers served, layout at every width, in Chromium, in
Chinese and English (the fixtures, and the check for console errors and other hosts, are in
``conftest.py``; screenshots go to ``test-artifacts/``).

- an officer's list (weak link, filters, sort, page) lives in the address; a portrait opened
  from it reads 驾驶舱 › 真空泵 › 企业画像, leads back to the same list and preselects the link
  in its outcome form;
- a park manager's map carries no rank, value or likelihood, in its data or its tooltips; its
  park shows each part of a match's score; it records an outcome for a firm matched to its park
  and reads it on the park's page; a firm matched to no park of its own has no form;
- no label of the chain graph is cut, and at 390 px no page is wider than the screen.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest

NODE = "vacuum_pumps"
NODE_NAME = {"zh": "真空泵", "en": "Vacuum pumps"}
OWN = "dg_songshan_lake"  # the park manager's park (tests/service/conftest.py)
MATCHED, UNMATCHED = "ref-keyence", "ref-carl-zeiss"  # matched to OWN, and to none of its parks
LIST = f"/?node={NODE}&sort=likelihood&k=10&page=2&size=small"
READY = "#map-root[data-state=ready]"
PHONE = {"width": 390, "height": 844}


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_portrait_keeps_the_officers_list(browse, site, shoot, lang):
    page = browse("officer", lang=lang)
    page.goto(f"{site}{LIST}")
    page.wait_for_selector("#firms")
    assert page.locator("#sort").input_value() == "likelihood"
    assert page.locator("#pager-at").inner_text().strip().startswith("第 2 页" if lang == "zh"
                                                                      else "Page 2")
    assert page.locator("#firms tbody tr td").first.inner_text().strip() == "11"
    shoot(page, f"nav-1-list-{lang}")

    first = page.locator("#firms tbody tr").first
    firm = first.get_attribute("data-firm")
    with page.expect_navigation():
        first.locator("a.firm-link").click()
    assert urlsplit(page.url).path == f"/firms/{firm}"
    crumbs = page.locator("#crumbs a")
    assert crumbs.count() == 2
    assert crumbs.nth(1).inner_text().strip() == NODE_NAME[lang]
    assert page.locator("#crumbs [aria-current]").inner_text().strip() == (
        "企业画像" if lang == "zh" else "Firm portrait")
    assert page.locator("#outcome-node").input_value() == NODE  # the link it came from
    assert page.locator("#about-data").is_visible()
    shoot(page, f"nav-2-portrait-{lang}")

    # the breadcrumb goes back to the same list
    with page.expect_navigation():
        crumbs.nth(1).click()
    back = _query(page.url)
    assert back["node"] == [NODE] and back["sort"] == ["likelihood"] and back["page"] == ["2"]
    assert back["size"] == ["small"] and back["k"] == ["10"]
    assert page.locator("#sort").input_value() == "likelihood"
    assert page.locator("#firms tbody tr").first.get_attribute("data-firm") == firm

    # and so does the browser's back button
    page.goto(f"{site}/firms/{firm}")
    page.go_back()
    page.wait_for_selector("#firms")
    assert _query(page.url)["page"] == ["2"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_park_managers_map_shows_no_ranking(browse, site, shoot, lang):
    page = browse("park_manager", lang=lang)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{site}/map")
    page.wait_for_selector(READY)
    query = urlsplit(page.url).query
    body = page.request.get(f"{site}/map/recruitment.geojson?{query}")
    assert body.ok
    firms = [f for f in json.loads(body.body())["features"]
             if f["properties"]["layer"] == "firms"]
    assert firms
    for feature in firms:
        assert not {"rank", "score", "p_success", "reason_zh", "reason_en"} \
            & set(feature["properties"])
    assert page.locator("#map-score-legend").is_hidden()
    found = page.evaluate("""() => {
        for (const circle of Array.from(document.querySelectorAll('#map-firms circle.firm'))) {
            const box = circle.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            if (box.width && document.elementFromPoint(x, y) === circle) { return {x, y}; }
        }
        return null;
    }""")
    if found:  # a firm drawn alone: its tooltip names it and its place, no rank or value
        page.mouse.move(found["x"], found["y"])
        tooltip = page.locator("#map-tooltip")
        tooltip.wait_for(state="visible")
        text = tooltip.inner_text()
        for word in (("排名", "得分", "成功") if lang == "zh" else ("Rank", "Score", "chance")):
            assert word not in text
    shoot(page, f"nav-3-map-park-manager-{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_park_manager_records_for_its_matched_firms(browse, site, shoot, lang):
    page = browse("park_manager", lang=lang)
    page.goto(f"{site}/parks/{OWN}")
    page.wait_for_selector("#matches")
    assert page.locator("#score-formula").is_visible()
    assert page.locator("#matches thead th.part").count() == 4
    synergy = [float(cell.split()[0]) for cell in
               page.locator('#matches tbody td[data-part="synergy"]').all_inner_texts()]
    assert max(synergy) > 0 and len(set(synergy)) > 1
    scores = [float(t) for t in page.locator("#matches tbody tr td:nth-child(5)")
              .all_inner_texts()]
    assert max(scores) - min(scores) > 0.05  # the list ranks
    shoot(page, f"nav-4-park-{lang}")

    page.goto(f"{site}/firms/{MATCHED}?back=/parks/{OWN}")
    crumbs = page.locator("#crumbs a")
    assert crumbs.nth(0).get_attribute("href") == "/parks"
    assert crumbs.nth(1).get_attribute("href") == f"/parks/{OWN}"
    assert page.locator("#matched-parks").is_visible()
    note = f"park visit {lang}"
    page.select_option("#outcome-stage", "2")
    day = dt.date.today() - dt.timedelta(days=0 if lang == "zh" else 1)
    page.fill("#outcome-date", day.isoformat())  # the newest: first on the park's page
    page.fill("#outcome-note", note)
    with page.expect_navigation():
        page.click("#record-outcome")
    assert page.locator("#notice").is_visible()
    assert note in page.locator("#outcomes").inner_text()
    shoot(page, f"nav-5-recorded-park-manager-{lang}")

    page.goto(f"{site}/parks/{OWN}")
    assert note in page.locator("#park-outcomes").inner_text()

    page.goto(f"{site}/firms/{UNMATCHED}")
    assert page.locator("#outcome-form").count() == 0
    assert page.locator("#outcomes").count() == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_label_is_cut(browse, site, shoot, lang):
    page = browse("officer", lang=lang)
    page.goto(f"{site}/?node={NODE}")
    page.wait_for_selector("#chain-graph")
    cut = page.evaluate("""() => {
        const out = [];
        for (const node of document.querySelectorAll('#chain-graph .chain-node')) {
            const box = node.querySelector('rect').getBBox();
            const label = node.querySelector('text.label');
            const rank = node.querySelector('text.rank');
            const right = box.x + box.width - (rank ? rank.getBBox().width + 6 : 2);
            for (const line of label.querySelectorAll('tspan')) {
                const b = line.getBBox();
                const first = line === label.firstElementChild;
                const ends = rank && first ? right : box.x + box.width - 2;
                if (b.x + b.width > ends || b.y + b.height > box.y + box.height + 1
                    || line.textContent.endsWith('…')) { out.push(line.textContent); }
            }
        }
        return out;
    }""")
    assert cut == []
    shoot(page, f"nav-6-graph-{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["officer", "park_manager"])
def test_pages_fit_a_phone(browse, site, shoot, lang, role):
    page = browse(role, lang=lang)
    page.set_viewport_size(PHONE)
    paths = ([f"/?node={NODE}", f"/firms/{MATCHED}?link={NODE}", f"/parks/{OWN}"]
             if role == "officer" else ["/parks", f"/parks/{OWN}", f"/firms/{MATCHED}"])
    for number, path in enumerate(paths, 1):
        page.goto(f"{site}{path}")
        page.wait_for_selector("main")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= PHONE["width"] + 1, (path, wide)
        shoot(page, f"nav-7-phone-{role}-{lang}-{number}")
