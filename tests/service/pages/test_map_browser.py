"""The recruitment map in Chromium: firms drawn from the GeoJSON, zoom and pan, the legend, the
tooltip, the filters, English, and a click on a firm that opens its portrait (the fixtures and
the page checks, console errors and other hosts included, are in ``conftest.py``)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

READY = "#map-root[data-state=ready]"
FIRMS = "#map-firms circle.firm"


def _map_firms(page, site: str) -> list[dict]:
    """The firms layer of the GeoJSON the page drew (its URL carries the page's filters)."""
    query = urlsplit(page.url).query
    response = page.request.get(f"{site}/map/recruitment.geojson?{query}")
    assert response.ok, response.text()
    return [f for f in json.loads(response.body())["features"]
            if f["properties"]["layer"] == "firms"]


def _transform(page) -> str:
    return page.locator("#map-viewport").get_attribute("transform")


def _clickable_firm(page) -> dict:
    """A firm circle that is on top where it is drawn: its id and the point to click."""
    found = page.evaluate("""() => {
        const circles = Array.from(document.querySelectorAll('#map-firms circle.firm'));
        for (const circle of circles.reverse()) {
            const box = circle.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            if (document.elementFromPoint(x, y) === circle) {
                return {id: circle.dataset.firmId, x: x, y: y};
            }
        }
        return null;
    }""")
    assert found, "no firm circle can be clicked"
    return found


def test_the_map_draws_zooms_and_opens_a_portrait(browse, site, shoot):
    page = browse("officer")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{site}/map")
    page.wait_for_selector(READY)
    assert "全球招商地图" in page.content()

    firms = _map_firms(page, site)
    assert firms and page.locator(FIRMS).count() == len(firms)
    assert page.locator("#map-countries path.country").count() >= 170
    assert page.locator("#map-countries path.cand-1, #map-countries path.cand-2, "
                        "#map-countries path.cand-3, #map-countries path.cand-4").count() > 0
    assert page.locator("#map-flows path.flow").count() > 0
    assert page.locator("#map-parks .park").count() > 0
    assert page.locator("#map-firm-count").inner_text() == str(len(firms))
    assert page.locator("#map-legend").is_visible()
    values = [f["properties"]["value"] for f in firms]
    assert page.locator("#map-score-max").inner_text().strip() == f"{max(values):.3f}"
    assert page.locator("#map-score-min").inner_text().strip() == f"{min(values):.3f}"
    assert "期望价值（颜色与大小）" in page.locator("#map-score-legend").inner_text()
    shoot(page, "map-1-world")

    # hover: the tooltip names the firm, its expected value and its likelihood
    top = _clickable_firm(page)
    page.mouse.move(top["x"], top["y"])
    tooltip = page.locator("#map-tooltip")
    tooltip.wait_for(state="visible")
    firm = next(f["properties"] for f in firms if f["properties"]["firm_id"] == top["id"])
    assert (firm["name_zh"] or firm["name"]) in tooltip.inner_text()
    text = tooltip.inner_text()
    assert f"期望价值 {firm['value']:.3f}" in text
    assert f"签约概率 {100 * firm['p_success']:.0f}%" in text and "得分" not in text
    shoot(page, "map-2-tooltip")

    # zoom: the buttons, the wheel, reset; pan by dragging
    home = _transform(page)
    zoom = float(page.locator("#map-root").get_attribute("data-zoom"))
    page.click("#map-zoom-in")
    assert _transform(page) != home
    assert float(page.locator("#map-root").get_attribute("data-zoom")) > zoom
    box = page.locator("#map-svg").bounding_box()
    middle = (box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.45)
    page.mouse.move(*middle)
    zoom = float(page.locator("#map-root").get_attribute("data-zoom"))
    page.mouse.wheel(0, -400)
    page.wait_for_function("z => parseFloat(document.getElementById('map-root').dataset.zoom) "
                           "> z", arg=zoom)
    wheeled = _transform(page)
    page.mouse.move(*middle)
    page.mouse.down()
    page.mouse.move(middle[0] - 120, middle[1] - 40, steps=6)
    page.mouse.up()
    assert _transform(page) != wheeled
    assert page.url.startswith(f"{site}/map")  # a drag that ends on a firm does not open it
    shoot(page, "map-3-zoomed")
    page.click("#map-zoom-out")
    page.click("#map-zoom-reset")
    assert _transform(page) == home

    # click a firm: its portrait
    target = _clickable_firm(page)
    with page.expect_navigation():
        page.mouse.click(target["x"], target["y"])
    assert urlsplit(page.url).path == f"/firms/{quote(target['id'])}"
    page.wait_for_selector("#firm-name")
    assert page.locator("#firm-id").inner_text() == target["id"]
    shoot(page, "map-4-portrait")


def test_the_filters_reload_the_map(browse, site, shoot):
    page = browse("viewer")
    page.goto(f"{site}/map")
    page.wait_for_selector(READY)
    options = page.locator("#map-weak-link option")
    assert options.count() >= 2
    second = options.nth(1).get_attribute("value")

    with page.expect_response(lambda r: "/map/recruitment.geojson" in r.url
                              and f"weak_link={second}" in r.url):
        page.select_option("#map-weak-link", second)
    page.wait_for_selector(READY)
    assert f"weak_link={second}" in page.url  # the address keeps the filters
    assert page.locator(FIRMS).count() == len(_map_firms(page, site))

    country = page.locator("#map-country option").nth(1).get_attribute("value")
    with page.expect_response(lambda r: f"country={country}" in r.url):
        page.select_option("#map-country", country)
    page.wait_for_selector(READY)
    firms = _map_firms(page, site)
    assert {f["properties"]["country"] for f in firms} <= {country}
    assert page.locator(FIRMS).count() == len(firms)

    with page.expect_response(lambda r: "parks=false" in r.url):
        page.uncheck("#map-parks")
    page.wait_for_selector(READY)
    assert page.locator("#map-flows path").count() == 0
    assert page.locator("#map-parks .park").count() == 0
    shoot(page, "map-5-filtered")


def test_the_stage_filter_reloads_the_map(browse, site):
    page = browse("viewer")
    page.goto(f"{site}/map?weak_link=photodetectors&k=100&parks=false")
    page.wait_for_selector(READY)
    everyone = page.locator(FIRMS).count()

    with page.expect_response(lambda r: "/map/recruitment.geojson" in r.url
                              and "stage=mou" in r.url):
        page.select_option("#map-stage", "mou")
    page.wait_for_selector(READY)
    assert "stage=mou" in page.url  # the address keeps the filter
    firms = _map_firms(page, site)
    assert 0 < len(firms) < everyone
    assert page.locator(FIRMS).count() == len(firms)

    with page.expect_response(lambda r: "/map/recruitment.geojson" in r.url
                              and "stage=" not in r.url):
        page.select_option("#map-stage", "")
    page.wait_for_selector(READY)
    assert page.locator(FIRMS).count() == everyone


def test_the_map_in_english(browse, site, keys, shoot):
    page = browse(None, lang="en")  # a park manager may not see the dashboard: log in to the map
    page.goto(f"{site}/login?next=/map")
    page.fill("#api_key", keys["park_manager"])
    with page.expect_navigation():
        page.click("#login")
    assert urlsplit(page.url).path == "/map"
    page.wait_for_selector(READY)
    assert page.locator("h1").inner_text() == "Global recruitment map"
    assert "Legend" in page.locator("#map-legend").inner_text()
    assert page.locator("#map-parks .park").count() == 1  # a park manager sees its own park
    shoot(page, "map-6-english")
