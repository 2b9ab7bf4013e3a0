"""The pages for people through the test client: login, CSRF, redirects, language, export."""

from __future__ import annotations

import re

import pytest


def test_pages_redirect_to_login(visitor):
    response = visitor.get("/?node=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert visitor.get("/export.csv").status_code == 302


def test_login_page_is_self_contained(visitor):
    response = visitor.get("/login")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "API 密钥" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "'self'" in response.headers["Content-Security-Policy"]
    for name in ("pages.css", "pages.js", "favicon.svg"):
        with visitor.get(f"/static/{name}") as asset:
            assert asset.status_code == 200


def test_session_cookie_flags(visitor):
    cookie = visitor.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_a_post_without_the_right_token_is_a_400(visitor, keys, token, csrf):
    csrf()
    data = {"api_key": keys["officer"]}
    if token is not None:
        data["csrf_token"] = token
    assert visitor.post("/login", data=data).status_code == 400
    assert visitor.get("/").status_code == 302
    assert visitor.post("/logout", data=data).status_code == 400


def test_a_refused_form_is_a_page_that_says_to_reload(visitor, keys, login):
    response = visitor.post("/login", data={"api_key": keys["officer"]})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "表单已失效" in response.get_data(as_text=True)
    login(keys["officer"])
    response = visitor.post("/firms/ref-keysight?lang=en", data={"csrf_token": "stale"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Reload the page" in response.get_data(as_text=True)


def test_a_bad_key_is_refused(visitor, keys, login):
    assert login("cs" + "x" * 41).status_code == 401
    assert login(keys["revoked"]).status_code == 401
    assert visitor.get("/").status_code == 302


def test_login_dashboard_and_logout(visitor, keys, login, csrf):
    response = login(keys["officer"], next="/?node=vacuum_pumps")
    assert response.status_code == 302 and response.headers["Location"] == "/?node=vacuum_pumps"
    page = visitor.get("/?node=vacuum_pumps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "产业数据驾驶舱" in html and 'id="weak-links"' in html and 'id="firms"' in html
    assert 'value="vacuum_pumps" selected' in html
    assert "合成数据" in html and 'id="model-version"' in html
    assert "/export.csv?node=vacuum_pumps" in html
    token = csrf("/")
    assert visitor.post("/logout", data={"csrf_token": token}).status_code == 302
    assert visitor.get("/").status_code == 302


def test_next_goes_nowhere_else(visitor, keys, login):
    for target in ("https://example.com/", "//example.com/", "/\\example.com"):
        response = login(keys["viewer"], next=target)
        assert response.headers["Location"] == "/"


def test_language_switch_is_kept(visitor, keys, login):
    login(keys["viewer"])
    html = visitor.get("/?lang=en").get_data(as_text=True)
    assert "Industry data cockpit" in html and 'lang="en"' in html
    assert "Industry data cockpit" in visitor.get("/").get_data(as_text=True)
    assert "产业数据驾驶舱" in visitor.get("/?lang=zh").get_data(as_text=True)
    assert "Industry data cockpit" not in visitor.get("/?lang=fr").get_data(as_text=True)


def test_export_csv_from_the_session(visitor, keys, login):
    login(keys["officer"])
    response = visitor.get("/export.csv?node=vacuum_pumps")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["X-Model-Version"]
    assert response.get_data().decode("utf-8-sig").splitlines()[0].startswith("排名,企业名称")


def test_a_viewer_sees_but_may_not_export(visitor, keys, error_body, login):
    login(keys["viewer"])
    html = visitor.get("/").get_data(as_text=True)
    assert 'id="export-csv"' not in html and "无导出权限" in html
    error_body(visitor.get("/export.csv?node=vacuum_pumps"), 403, "forbidden")


def test_a_park_manager_may_not_read_rankings(visitor, keys, login):
    login(keys["park_manager"])
    assert visitor.get("/").status_code == 403


def test_the_api_still_answers_json_errors(client):
    assert client.get("/api/v1/weak-links").status_code == 401


def test_next_with_a_line_break_or_a_bad_host_goes_to_the_dashboard(visitor, keys, login):
    for target in ("/?node=x\r\nSet-Cookie: a=b", "/a\nb", "http://[x/"):
        response = login(keys["viewer"], next=target)
        assert response.status_code == 302 and response.headers["Location"] == "/"


LANG_LINK = re.compile(r'<a href="([^"]+)" lang="en" (?:aria-current="true")?>English</a>')


@pytest.mark.parametrize("path", ["/login", "/", "/map", "/parks", "/parks/dg_songshan_lake",
                                  "/firms/ref-keysight"])
@pytest.mark.parametrize("query", ["endpoint=x", "_method=POST", "_external=1", "firm_id=x",
                                   "park_id=x", "_anchor=x"])
def test_the_language_link_takes_any_query(visitor, keys, login, path, query):
    login(keys["officer"])
    response = visitor.get(f"{path}?{query}")
    assert response.status_code == 200
    link = LANG_LINK.search(response.get_data(as_text=True)).group(1)
    assert link == f"{path}?{query}&amp;lang=en"  # local, with the query as given


def test_the_language_link_keeps_repeated_filters(visitor, keys, login):
    login(keys["officer"])
    html = visitor.get("/?node=vacuum_pumps&country=DE&country=US&lang=zh").get_data(as_text=True)
    assert LANG_LINK.search(html).group(1) == \
        "/?node=vacuum_pumps&amp;country=DE&amp;country=US&amp;lang=en"


def test_a_revoked_key_s_session_ends_once_the_key_cache_forgets_it(visitor, login, app,
                                                                    monkeypatch):
    import time

    from recommender.store import auth

    store, principals = app.extensions["chainscout"].store, app.extensions["chainscout"].principals
    key, principal = auth.create_key(store, "officer", label="test pages revoked")
    login(key)
    assert visitor.get("/parks").status_code == 200
    auth.revoke_key(store, principal.id)
    later = time.monotonic() + app.config["AUTH_CACHE_SECONDS"] + 1
    monkeypatch.setattr(principals, "clock", lambda: later)
    with visitor.session_transaction() as session:
        token = session["csrf_token"]
    for response in (visitor.get("/parks"),
                     visitor.post("/firms/ref-keysight", data={"csrf_token": token})):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with visitor.session_transaction() as session:
        assert "key_digest" not in session and "login_at" not in session


def test_the_cookie_never_carries_the_key(visitor, keys, login, app):
    import base64
    import zlib

    login(keys["officer"])
    cookie = visitor.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode()
    assert keys["officer"] not in text and keys["officer"][:12] not in text
    with visitor.session_transaction() as session:
        assert len(session["key_digest"]) == 64


def test_a_session_ends_after_its_hours(visitor, keys, login, app, monkeypatch):
    import time

    login(keys["officer"])
    assert visitor.get("/parks").status_code == 200
    hours = app.config["SESSION_HOURS"]
    assert hours == 12
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + hours * 3600 + 1)
    response = visitor.get("/parks")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_forged_session_without_a_login_time_is_refused(visitor, keys, login):
    login(keys["officer"])
    with visitor.session_transaction() as session:
        del session["login_at"]
    assert visitor.get("/parks").status_code == 302


@pytest.mark.parametrize(("lang", "signed_in", "role_words"), [
    ("zh", "当前用户", "招商专员"), ("en", "Signed in as", "Investment officer")])
def test_the_header_names_the_person_in_chromium(browse, site_store, shoot, lang, signed_in,
                                                  role_words):
    from recommender.store import auth

    key, _ = auth.create_key(site_store, auth.OFFICER, name="张三", unit="招商一科",
                             label=f"header test {lang}")
    page = browse(None, lang=lang)
    page.fill("#api_key", key)
    with page.expect_navigation():
        page.click("#login")

    who = page.locator("#who")
    assert page.locator("#who-name").inner_text() == "张三"
    assert page.locator("#who-unit").inner_text() == "招商一科"
    assert page.locator("#who-role").inner_text() == role_words
    assert who.inner_text() == f"{signed_in}: 张三 · 招商一科 · {role_words}"  # no key prefix
    assert who.is_visible() and who.bounding_box()["width"] > 0
    shoot(page, f"pages-header-person-{lang}")
