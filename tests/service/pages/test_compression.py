"""Pages and map layers are gzip-compressed for browsers that ask for it, and only for them."""

from __future__ import annotations

import gzip


def test_a_page_is_compressed_when_asked_and_the_same_once_unpacked(visitor, keys, login):
    login(keys["officer"])
    plain = visitor.get("/")
    packed = visitor.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.get_data()) * 4 < len(plain.get_data())
    unpacked = gzip.decompress(packed.get_data()).decode()
    # the CSRF token in the header form is the session's, so both bodies are the same page
    assert unpacked == plain.get_data(as_text=True)


def test_the_basemap_keeps_a_weak_tag_that_still_answers_304(visitor, keys, login):
    login(keys["officer"])
    first = visitor.get("/map/basemap.geojson", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = visitor.get("/map/basemap.geojson",
                        headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304


def test_errors_are_left_alone(visitor):
    refused = visitor.post("/login", data={}, headers={"Accept-Encoding": "gzip"})
    assert refused.status_code == 400 and "Content-Encoding" not in refused.headers
