"""The header's links: the pages the logged-in role may open, and no others."""

from __future__ import annotations

import re

import pytest

LINK = re.compile(r'<a id="(nav-[a-z-]+)" href="([^"]+)"')


@pytest.mark.parametrize(("role", "start", "expected"), [
    ("officer", "/", {"nav-dashboard": "/", "nav-pipeline": "/pipeline",
                      "nav-leader-needs": "/leader-needs", "nav-recruitment-map": "/map",
                      "nav-parks": "/parks", "nav-data-freshness": "/data-freshness"}),
    ("viewer", "/", {"nav-dashboard": "/", "nav-pipeline": "/pipeline",
                     "nav-recruitment-map": "/map", "nav-parks": "/parks"}),
    ("park_manager", "/parks", {"nav-recruitment-map": "/map", "nav-parks": "/parks"}),
])
def test_the_header_links_what_the_role_may_open(visitor, keys, login, role, start, expected):
    login(keys[role])
    html = visitor.get(start).get_data(as_text=True)
    assert dict(LINK.findall(html)) == expected
    for href in expected.values():
        assert visitor.get(href).status_code == 200


def test_the_current_page_is_marked_and_the_login_page_has_no_links(visitor, keys, login):
    assert LINK.findall(visitor.get("/login").get_data(as_text=True)) == []
    login(keys["officer"])
    html = visitor.get("/map").get_data(as_text=True)
    assert re.search(r'id="nav-recruitment-map" href="/map" aria-current="page"', html)
    assert '<nav class="pages" aria-label="页面">' in html  # named in the page's language


@pytest.mark.parametrize(("role", "landing"), [("officer", "/"), ("viewer", "/"),
                                               ("park_manager", "/parks")])
def test_a_login_without_next_lands_on_the_first_page_the_role_may_open(login, keys, role,
                                                                        landing):
    response = login(keys[role])
    assert response.status_code == 302 and response.headers["Location"] == landing
