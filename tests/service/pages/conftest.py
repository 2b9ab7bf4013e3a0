"""Fixtures for the pages: a test client that logs in, and a real browser on a real server.

Browser tests run gunicorn on 127.0.0.1 (two workers sharing one session secret) and Debian's
Chromium driven by Playwright (never a downloaded browser). ``browse(role)`` gives a page
logged in with that role's key; when the test ends it fails on any console error, uncaught
page error or request to a host other than 127.0.0.1 seen on that page.

Without ``/usr/bin/chromium`` or Playwright the browser tests are skipped, except in CI
(``CI`` set) where they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOST = "127.0.0.1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the test client -----------------------------------------------------------------------
def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token a form on ``path`` carries."""
    response = client.get(path)
    found = TOKEN.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


@pytest.fixture
def visitor(app):
    """A test client with its own cookie jar (a person's browser, without the browser)."""
    return app.test_client()


@pytest.fixture
def csrf(visitor):
    """``csrf(path="/login")``: the CSRF token of the form on ``path`` for ``visitor``."""
    return lambda path="/login": csrf_of(visitor, path)


@pytest.fixture
def login(visitor):
    """``login(key, **form)``: post the login form with its CSRF token; return the response."""

    def post(key: str, **extra):
        return visitor.post("/login", data={"csrf_token": csrf_of(visitor), "api_key": key,
                                            **extra})

    return post


# --- the real browser ----------------------------------------------------------------------
def _sync_playwright():
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


@pytest.fixture(scope="session")
def site_store(demo_store, keys, tmp_path_factory):
    """The store the shared server serves: a copy of the demo store taken once the keys of
    every role are in it. Other modules of the process write to the session's demo store (a
    firm renamed, a park made, an outcome recorded), which would change the server's data, and
    so its rankings, while a page test compares what two requests showed."""
    from tests.service.store_copies import copy_of

    store = copy_of(demo_store, tmp_path_factory.mktemp("site-store"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def site(site_store, shared_gunicorn, tmp_path_factory) -> str:
    """gunicorn serving a copy of the demo store (``site_store``), shared by the modules that
    only read it; its base URL. A module that changes its store serves its own copy
    (``own_store``) on its own server."""
    return shared_gunicorn({"CHAINSCOUT_DATABASE_URL": site_store.url,
                     "CHAINSCOUT_VAR_DIR": str(tmp_path_factory.mktemp("pages-var")),
                     "CHAINSCOUT_SECRET_KEY": "pages-browser-test-secret"}, timeout=60)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """Debian's Chromium, headless, one for the run (each page opens in a context of its own)."""
    sync_playwright = _sync_playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """What a page did wrong: console errors, uncaught errors, requests to other hosts."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location})")

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob", "about") and parts.hostname != HOST:
            self.foreign.append(request.url)


@pytest.fixture
def shoot() -> Callable:
    """``shoot(page, name)``: save a full-page screenshot as ``test-artifacts/<name>.png``."""

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def browse(chromium, site, keys) -> Iterator[Callable]:
    """``browse(role="officer", lang="zh")``: a Chromium page logged in with ``role``'s key
    (``role=None``: not logged in), at the page the login leads to. Every page it opened is
    checked at the end for console errors and requests to other hosts."""
    opened: list[tuple[object, Watch]] = []

    def open_page(role: str | None = "officer", *, lang: str = "zh"):
        context = chromium.new_context(accept_downloads=True,
                                       locale="zh-CN" if lang == "zh" else "en-GB")
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        opened.append((context, watch))
        page.goto(f"{site}/login?lang={lang}")
        if role is not None:
            page.fill("#api_key", keys[role])
            with page.expect_navigation():
                page.click("#login")
        return page

    yield open_page
    problems = []
    for context, watch in opened:
        context.close()
        problems += watch.errors + [f"request to another host: {url}" for url in watch.foreign]
    assert problems == []


@pytest.fixture(scope="module")
def own_store(demo_store, tmp_path_factory, request):
    """A copy of the demo store for one test module that changes it, and its folder."""
    from tests.service.store_copies import copy_of

    folder = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])
    store = copy_of(demo_store, folder)
    yield store, folder
    store.close()
