"""The dashboard in Chromium: log in, read the weak links, pick one, export its firms as CSV,
switch to English, log out; hover the chain graph and read a node's diagnosis, filter the
firms, download them as XLSX, build the target list (the fixtures and the page checks are in
``conftest.py``; screenshots go to ``test-artifacts/``)."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"  # where ``shoot`` saves


def test_login_dashboard_and_export(browse, site, keys, shoot, tmp_path):
    page = browse(None)
    page.goto(f"{site}/")
    assert urlsplit(page.url).path == "/login"  # not logged in: sent to the login page
    shoot(page, "pages-1-login")
    page.fill("#api_key", keys["officer"])
    with page.expect_navigation():
        page.click("#login")
    page.wait_for_selector("#weak-links")
    assert "产业数据驾驶舱" in page.content()
    assert page.locator("#weak-links tbody tr").count() > 0
    assert page.locator("#model-version").inner_text().strip()
    assert page.locator("#provenance").inner_text().strip()
    shoot(page, "pages-2-dashboard")

    options = page.locator("#node option")
    assert options.count() >= 2
    second = options.nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("#node", second)  # the page's script submits the form
    assert f"node={second}" in page.url
    assert page.locator("#firms tbody tr").count() > 0
    assert page.locator(f'#weak-links tr.selected[data-node="{second}"]').count() == 1
    shoot(page, "pages-3-firms")

    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.endswith(f"{second}.csv")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    lines = target.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("排名,企业名称") and len(lines) > 1

    page.goto(f"{site}/?lang=en")
    assert "Industry data cockpit" in page.content()
    shoot(page, "pages-4-english")
    with page.expect_navigation():
        page.click("#logout")
    assert urlsplit(page.url).path == "/login"


def test_graph_panel_filters_exports_and_portfolio(browse, site, shoot, tmp_path):
    page = browse("officer")
    page.set_viewport_size({"width": 1440, "height": 1200})
    page.goto(f"{site}/")
    graph = page.locator("#chain-graph")
    assert graph.locator(".chain-node").count() == 82
    selected = graph.locator(".chain-node.selected").get_attribute("data-node")
    name = page.locator('#node-panel [data-slot="name"]')
    shoot(page, "dashboard-1-graph")

    # hovering a node shows all its components in the panel and lights its edges
    page.locator("#chain-card").scroll_into_view_if_needed()
    node = graph.locator('.chain-node[data-node="lasers"]')
    node.hover()
    assert name.inner_text() == node.get_attribute("data-name")
    for row in page.locator("#components tbody tr").all():
        key = row.get_attribute("data-component")
        value = node.get_attribute(f"data-c-{key}")
        assert row.locator('[data-slot="value"]').inner_text() == value
        assert abs(float(row.locator("meter").evaluate("m => m.value")) - float(value)) < 1e-3
    assert graph.locator(".chain-edge.in, .chain-edge.out").count() > 0
    # the lit edges tell suppliers from consumers by more than their colour, as the legend says
    style = "(e, name) => getComputedStyle(e)[name]"
    assert graph.locator(".chain-edge.in").first.evaluate(style, "strokeDasharray") == "none"
    assert graph.locator(".chain-edge.out").first.evaluate(style, "strokeDasharray") != "none"
    assert page.locator("#graph-legend .swatch-out").evaluate(style, "borderTopStyle") == "dashed"
    page.locator("#chain-card").screenshot(path=str(ARTIFACTS / "dashboard-2-hover.png"))
    page.mouse.move(5, 5)  # leaving: back to the selected link
    assert name.inner_text() == graph.locator(
        f'.chain-node[data-node="{selected}"]').get_attribute("data-name")

    # a downstream node: focus or click keeps it in the panel, with no firms to show
    downstream = graph.locator('.chain-node[data-node="healthcare"]')
    downstream.focus()
    assert name.inner_text() == downstream.get_attribute("data-name")
    downstream.click()
    page.mouse.move(5, 5)
    assert name.inner_text() == downstream.get_attribute("data-name")
    assert page.locator("#panel-select").is_hidden()

    # clicking a recruitable node selects it for the firm list
    with page.expect_navigation():
        graph.locator('.chain-node[data-node="photodetectors"] a').click()
    assert "node=photodetectors" in page.url
    assert page.locator("#chain-graph .chain-node.selected").get_attribute(
        "data-node") == "photodetectors"

    # a filter: tick the first country
    chip = page.locator("#country-filter input[name=country]").first
    code = chip.get_attribute("value")
    chip.check()
    with page.expect_navigation():
        page.click("#apply-filters")
    assert f"country={code}" in page.url
    rows = page.locator("#firms tbody tr")
    assert rows.count() > 0
    assert {r.get_attribute("data-country") for r in rows.all()} == {code}
    shoot(page, "dashboard-3-filtered")

    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith("photodetectors.xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    listed = [r.get_attribute("data-firm") for r in rows.all()]
    cells = list(sheet.iter_rows(values_only=True))
    firm_id = cells[0].index("企业编号" if "企业编号" in cells[0] else "Firm ID")
    assert [r[firm_id] for r in cells[1:]] == listed

    # the target list, its filters kept
    page.fill("#targets_k", "10")
    page.fill("#max_country_share", "0.2")
    with page.expect_navigation():
        page.click("#build-portfolio")
    assert "targets_k=10" in page.url and f"country={code}" in page.url
    picks = page.locator("#targets tbody tr")
    assert 0 < picks.count() <= 10
    cap = int(page.locator("#country-cap").inner_text())
    assert cap == 2
    assert max(Counter(p.get_attribute("data-country") for p in picks.all()).values()) <= cap
    page.locator("#portfolio").screenshot(path=str(ARTIFACTS / "dashboard-4-portfolio.png"))

    page.goto(f"{site}/?lang=en&node=vacuum_pumps")
    assert "The chain" in page.content()
    page.locator("#chain-card").scroll_into_view_if_needed()
    graph.locator('.chain-node[data-node="specialty_alloys"]').hover()
    assert page.locator("#components tr.missing").count() > 0
    page.locator("#chain-card").screenshot(path=str(ARTIFACTS / "dashboard-5-english.png"))


def test_the_stage_boxes_filter_the_firms(browse, site):
    page = browse("officer")
    page.goto(f"{site}/?node=photodetectors")  # a link whose firms got as far as an MoU
    box = page.locator('#stage-filter input[name=stage][value="mou"]')
    count = int(box.locator("xpath=..").locator(".count").inner_text())
    box.check()
    page.locator('#stage-filter input[name=stage][value="visited"]').check()
    with page.expect_navigation():
        page.click("#apply-filters")
    assert "stage=visited&stage=mou" in page.url
    rows = page.locator("#firms tbody tr")
    assert 0 < count < rows.count() <= 20
    assert {r.get_attribute("data-stage") for r in rows.all()} == {"visited", "mou"}
    assert "stage=visited&stage=mou" in page.locator("#export-csv").get_attribute("href")
    assert page.locator('#stage-filter input[value="mou"]').is_checked()


def test_a_viewer_sees_the_note_instead_of_files(browse, site):
    page = browse("viewer")
    page.goto(f"{site}/")
    assert page.locator("#export-xlsx").count() == 0
    assert page.locator("#no-export").is_visible()
    assert page.locator("#targets tbody tr").count() > 0


def test_the_sort_control_in_both_languages(browse, site, shoot):
    page = browse("officer")
    page.set_viewport_size({"width": 1440, "height": 1000})
    for lang, label, note in (
            ("zh", "补链作用", "签约概率：过去同类接触中达成签约或更进一步的比例；基准"),
            ("en", "Impact", "Likelihood: the share of similar past contacts that reached an "
                             "MoU or better; base rate")):
        page.goto(f"{site}/?node=vacuum_pumps&lang={lang}")
        assert page.locator("#sort").input_value() == "value"
        assert note in page.locator("#figures-note").inner_text()
        values = [float(r.get_attribute("data-value"))
                  for r in page.locator("#firms tbody tr").all()]
        assert values and values == sorted(values, reverse=True)
        with page.expect_navigation():
            page.select_option("#sort", "impact")  # the page's script submits the form
        assert "sort=impact" in page.url
        assert page.locator("#firms").get_attribute("data-sort") == "impact"
        impacts = [float(r.get_attribute("data-impact"))
                   for r in page.locator("#firms tbody tr").all()]
        assert impacts and impacts == sorted(impacts, reverse=True)
        assert label in page.locator("#sort option:checked").inner_text()
        assert "sort=impact" in page.locator("#export-csv").get_attribute("href")
        page.locator("#ranked").scroll_into_view_if_needed()
        shoot(page, f"dashboard-sort-{lang}")
