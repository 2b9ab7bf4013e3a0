"""Node corrections in Chromium: an officer opens the review page, picks the closest call,
rejects or adds a node with a reason on the portrait and sees the table change; over a copy of
the demo store (the fixtures and the page checks are in ``conftest.py``)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from recommender.store.corrections import corrections
from tests.service.store_copies import keys_of


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ("admin", "officer", "viewer"))


@pytest.fixture(scope="module")
def site(own_store, keys, gunicorn):
    store, folder = own_store
    return gunicorn({"CHAINSCOUT_DATABASE_URL": store.url,
                     "CHAINSCOUT_VAR_DIR": str(folder / "var"),
                     "CHAINSCOUT_SECRET_KEY": "review-browser-test-secret"}, timeout=60)


def test_an_officer_reviews_and_corrects_the_closest_call(browse, site, keys, shoot,
                                                          own_store):
    store, _ = own_store
    page = browse(None)
    page.goto(f"{site}/review")
    assert urlsplit(page.url).path == "/login"
    page.fill("#api_key", keys["officer"])
    with page.expect_navigation():
        page.click("#login")
    assert urlsplit(page.url).path == "/review"
    rows = page.locator("#review tbody tr")
    assert rows.count() == 20
    margins = [float(rows.nth(i).get_attribute("data-margin")) for i in range(rows.count())]
    assert margins == sorted(margins)
    shoot(page, "review-1-queue")

    firm_id = rows.first.get_attribute("data-firm")
    with page.expect_navigation():
        rows.first.locator("a").click()
    assert urlsplit(page.url).path == f"/firms/{firm_id}"
    assert page.locator("#correction-form").is_visible()
    page.select_option("#correction-node", "lasers")
    page.select_option("#correction-action", "add")
    page.fill("#correction-reason", "官网产品目录列有光纤激光器")
    shoot(page, "review-2-form")
    with page.expect_navigation():
        page.click("#correction-submit")
    assert page.locator("#correction-notice").is_visible()
    row = page.locator('#firm-nodes tbody tr[data-node="lasers"]', has_text="人工更正")
    assert row.count() == 1 and "官网产品目录列有光纤激光器" in row.inner_text()
    shoot(page, "review-3-corrected")
    assert corrections(store, firm_ids=[firm_id])["reason"].tolist() == [
        "官网产品目录列有光纤激光器"]

    page.goto(f"{site}/review")
    assert page.locator(f'#review tbody tr[data-firm="{firm_id}"]').count() == 0
    page.goto(f"{site}/review?lang=en")
    assert "Firms to review" in page.content()
    shoot(page, "review-4-queue-english")
