"""The dashboard in Chromium: log in, read the weak links, pick one, export its firms as CSV,
switch to English, log out (the fixtures and the page checks are in ``conftest.py``)."""

from __future__ import annotations

from urllib.parse import urlsplit


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
    assert lines[0].startswith("排名,企业编号") and len(lines) > 1

    page.goto(f"{site}/?lang=en")
    assert "Industry data cockpit" in page.content()
    shoot(page, "pages-4-english")
    with page.expect_navigation():
        page.click("#logout")
    assert urlsplit(page.url).path == "/login"
