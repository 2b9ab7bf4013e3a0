"""The pages in a real browser: gunicorn on 127.0.0.1 and Debian's Chromium driven by
Playwright (never a downloaded browser). Log in, read the dashboard, pick a weak link, export
its firms as CSV; no console error and no request to any host but 127.0.0.1.

Without ``/usr/bin/chromium`` the test is skipped, except in CI (``CI`` set) where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOST = "127.0.0.1"


def _need_browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def site(demo_store, keys, gunicorn, tmp_path_factory):
    """gunicorn (two workers sharing one session secret); yield its base URL."""
    return gunicorn({"CHAINSCOUT_DATABASE_URL": demo_store.url,
                     "CHAINSCOUT_VAR_DIR": str(tmp_path_factory.mktemp("pages-var")),
                     "CHAINSCOUT_SECRET_KEY": "pages-browser-test-secret"}, timeout=60)


def test_login_dashboard_and_export_in_chromium(site, keys, tmp_path):
    sync_playwright = _need_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    console_errors: list[str] = []
    foreign: list[str] = []

    def on_request(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname != HOST:
            foreign.append(request.url)

    def on_console(message) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True, locale="zh-CN")
            page = context.new_page()
            page.on("request", on_request)
            page.on("console", on_console)
            page.on("pageerror", lambda error: console_errors.append(str(error)))

            page.goto(f"{site}/")
            assert urlsplit(page.url).path == "/login"
            page.screenshot(path=str(ARTIFACTS / "pages-1-login.png"), full_page=True)
            page.fill("#api_key", keys["officer"])
            page.click("#login")
            page.wait_for_selector("#weak-links")
            assert "产业数据驾驶舱" in page.content()
            assert page.locator("#weak-links tbody tr").count() > 0
            assert page.locator("#model-version").inner_text().strip()
            assert page.locator("#provenance").inner_text().strip()
            page.screenshot(path=str(ARTIFACTS / "pages-2-dashboard.png"), full_page=True)

            options = page.locator("#node option")
            assert options.count() >= 2
            second = options.nth(1).get_attribute("value")
            with page.expect_navigation():
                page.select_option("#node", second)  # the page's script submits the form
            assert f"node={second}" in page.url
            assert page.locator("#firms tbody tr").count() > 0
            assert page.locator(f'#weak-links tr.selected[data-node="{second}"]').count() == 1
            page.screenshot(path=str(ARTIFACTS / "pages-3-firms.png"), full_page=True)

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
            page.screenshot(path=str(ARTIFACTS / "pages-4-english.png"), full_page=True)
            with page.expect_navigation():
                page.click("#logout")
            assert urlsplit(page.url).path == "/login"
            context.close()
        finally:
            browser.close()

    assert console_errors == []
    assert foreign == []
