"""The portraits in Chromium: an officer opens a firm portrait, records an outcome and sees it
in the history; a park manager opens its park's portrait and sees no other park (the
fixtures and the page checks are in ``conftest.py``)."""

from __future__ import annotations

from urllib.parse import urlsplit

FIRM = "ref-keysight"
OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park, and another


def _log_in(page, site: str, key: str, target: str) -> None:
    """Log in from the login page that ``target`` sends a visitor to, and land on it."""
    page.goto(f"{site}{target}")
    assert urlsplit(page.url).path == "/login"
    page.fill("#api_key", key)
    with page.expect_navigation():
        page.click("#login")
    assert urlsplit(page.url).path == target


def test_record_an_outcome_from_the_firm_portrait(browse, site, keys, shoot):
    page = browse(None)
    _log_in(page, site, keys["officer"], f"/firms/{FIRM}")
    page.wait_for_selector("#standings")
    assert page.locator("#firm-name").inner_text().strip()
    assert page.locator("#firm-nodes tbody tr").count() > 0
    assert page.locator("#firm-parks tbody tr").count() > 0
    before = page.locator("#outcomes tbody tr").count()
    shoot(page, "portraits-1-firm")

    # the standing row's link picks its weak link in the form
    row = page.locator("#standings tbody tr").first
    node = row.get_attribute("data-node")
    with page.expect_navigation():
        row.locator("a.small").click()
    assert page.locator("#outcome-node").input_value() == node
    page.select_option("#outcome-stage", "2")
    page.fill("#outcome-date", "2025-06-10")
    page.fill("#outcome-campaign", "C-browser-1")
    page.fill("#outcome-note", "浏览器测试：实地考察")
    shoot(page, "portraits-2-form")
    with page.expect_navigation():
        page.click("#record-outcome")
    assert urlsplit(page.url).path == f"/firms/{FIRM}"
    assert page.locator("#notice").is_visible()
    assert page.locator("#outcomes tbody tr").count() == before + 1
    new = page.locator("#outcomes tbody tr.new")
    assert new.count() == 1
    assert "浏览器测试：实地考察" in new.inner_text() and "2025-06-10" in new.inner_text()
    assert new.get_attribute("data-node") == node
    shoot(page, "portraits-3-recorded")

    page.goto(f"{site}/firms/{FIRM}?lang=en")
    assert "Outcome history" in page.content()
    shoot(page, "portraits-4-firm-english")


def test_a_park_manager_sees_its_park(browse, site, keys, shoot):
    page = browse(None)
    _log_in(page, site, keys["park_manager"], "/parks")
    rows = page.locator("#parks tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-park") == OWN
    shoot(page, "portraits-5-parks")
    with page.expect_navigation():
        rows.first.locator("a").click()
    assert urlsplit(page.url).path == f"/parks/{OWN}"
    assert page.locator("#park-focus .chip").count() > 0
    assert page.locator("#matches tbody tr").count() == 20
    shoot(page, "portraits-6-park")

    with page.expect_navigation():
        page.select_option("#k", "10")  # the page's script submits the form
    assert page.locator("#matches tbody tr").count() == 10
    # the manager downloads its own park's list as shown, as an Excel file
    with page.expect_download() as download:
        page.click("#park-export-xlsx")
    assert download.value.suggested_filename == f"园区匹配-{OWN}.xlsx"
    first = page.locator("#matches tbody tr").first
    firm = first.get_attribute("data-firm")
    with page.expect_navigation():
        first.locator("a").first.click()
    assert urlsplit(page.url).path == f"/firms/{firm}"
    # matched to its own park: the manager records this firm's outcomes (a firm matched to
    # none of its parks shows no form: test_portraits)
    assert page.locator("#outcome-form").count() == 1
    assert page.locator("#firm-parks tbody tr").count() <= 1
    shoot(page, "portraits-7-firm-as-park-manager")
