"""The pages for people through the test client: login, CSRF, redirects, language, export."""

from __future__ import annotations

import re

import pytest

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client, path: str = "/login") -> str:
    response = client.get(path)
    found = TOKEN.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def _login(client, key: str, **extra):
    return client.post("/login", data={"csrf_token": _token(client), "api_key": key, **extra})


@pytest.fixture
def browser(app):
    return app.test_client()


def test_pages_redirect_to_login(browser):
    response = browser.get("/?node=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert browser.get("/export.csv").status_code == 302


def test_login_page_is_self_contained(browser):
    response = browser.get("/login")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "API 密钥" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "'self'" in response.headers["Content-Security-Policy"]
    for name in ("pages.css", "pages.js", "favicon.svg"):
        with browser.get(f"/static/{name}") as asset:
            assert asset.status_code == 200


def test_session_cookie_flags(browser):
    cookie = browser.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_a_post_without_the_right_token_is_a_400(browser, keys, token):
    _token(browser)
    data = {"api_key": keys["officer"]}
    if token is not None:
        data["csrf_token"] = token
    assert browser.post("/login", data=data).status_code == 400
    assert browser.get("/").status_code == 302
    assert browser.post("/logout", data=data).status_code == 400


def test_a_bad_key_is_refused(browser, keys):
    assert _login(browser, "cs" + "x" * 41).status_code == 401
    assert _login(browser, keys["revoked"]).status_code == 401
    assert browser.get("/").status_code == 302


def test_login_dashboard_and_logout(browser, keys):
    response = _login(browser, keys["officer"], next="/?node=vacuum_pumps")
    assert response.status_code == 302 and response.headers["Location"] == "/?node=vacuum_pumps"
    page = browser.get("/?node=vacuum_pumps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "产业数据驾驶舱" in html and 'id="weak-links"' in html and 'id="firms"' in html
    assert 'value="vacuum_pumps" selected' in html
    assert "合成数据" in html and 'id="model-version"' in html
    assert "/export.csv?node=vacuum_pumps" in html
    token = TOKEN.search(html).group(1)
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/").status_code == 302


def test_next_goes_nowhere_else(browser, keys):
    for target in ("https://example.com/", "//example.com/", "/\\example.com"):
        response = _login(browser, keys["viewer"], next=target)
        assert response.headers["Location"] == "/"


def test_language_switch_is_kept(browser, keys):
    _login(browser, keys["viewer"])
    html = browser.get("/?lang=en").get_data(as_text=True)
    assert "Industry data cockpit" in html and 'lang="en"' in html
    assert "Industry data cockpit" in browser.get("/").get_data(as_text=True)
    assert "产业数据驾驶舱" in browser.get("/?lang=zh").get_data(as_text=True)
    assert "Industry data cockpit" not in browser.get("/?lang=fr").get_data(as_text=True)


def test_export_csv_from_the_session(browser, keys):
    _login(browser, keys["officer"])
    response = browser.get("/export.csv?node=vacuum_pumps")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["X-Model-Version"]
    assert response.get_data().decode("utf-8-sig").splitlines()[0].startswith("排名,企业编号")


def test_a_viewer_sees_but_may_not_export(browser, keys, error_body):
    _login(browser, keys["viewer"])
    html = browser.get("/").get_data(as_text=True)
    assert 'id="export-csv"' not in html and "无导出权限" in html
    error_body(browser.get("/export.csv?node=vacuum_pumps"), 403, "forbidden")


def test_a_park_manager_may_not_read_rankings(browser, keys):
    _login(browser, keys["park_manager"])
    assert browser.get("/").status_code == 403


def test_the_api_still_answers_json_errors(client):
    assert client.get("/api/v1/weak-links").status_code == 401
