"""The review page weighs the trained node classifier's margins when the var folder holds one,
and the keywords' margins when it holds none or one it cannot read."""

from __future__ import annotations

import re

import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.firms.node_classifier import NodeClassifier
from recommender.firms.node_labels import read_scope_labels
from recommender.firms.node_review import review_queue
from service.runtime.classifier import NODE_CLASSIFIER_FILE
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import keys_of

LIMIT = 20


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ROLES)


@pytest.fixture(scope="module")
def app(own_store):
    store, folder = own_store
    return service_app(store, folder / "var")


@pytest.fixture(scope="module")
def model_file(own_store):
    """Where the page looks for the classifier (nothing there until a test writes it)."""
    _, folder = own_store
    path = folder / "var" / NODE_CLASSIFIER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small classifier trained on the Chinese scopes, saved once."""
    chain = load_chain()
    scopes = read_scope_labels(chain=chain)
    model = NodeClassifier(chain=chain, min_positives=2, n_topics=0)
    model.fit(scopes[C.BUSINESS_SCOPE], scopes["node_ids"])
    return model.save(tmp_path_factory.mktemp("classifier") / NODE_CLASSIFIER_FILE)


def _page(visitor, login, keys) -> str:
    login(keys["officer"])
    response = visitor.get(f"/review?limit={LIMIT}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _basis(html: str) -> str:
    return re.search(r'id="review-basis" data-basis="([a-z]+)"', html).group(1)


def _rows(html: str) -> list[tuple[str, float]]:
    return [(firm, float(margin)) for firm, margin in
            re.findall(r'<tr data-firm="([^"]+)" data-margin="([^"]+)">', html)]


def _expected(store, chain, classifier) -> list[str]:
    queue = review_queue(store.firms(), chain, corrected=store.corrected_firm_ids(),
                         classifier=classifier, limit=LIMIT)
    return queue[C.FIRM_ID].tolist()


def test_without_a_classifier_the_keywords_margins_decide(visitor, login, keys, own_store,
                                                           model_file):
    store, _ = own_store
    model_file.unlink(missing_ok=True)
    html = _page(visitor, login, keys)
    assert _basis(html) == "keywords" and "关键词" in html
    rows = _rows(html)
    assert [firm for firm, _ in rows] == _expected(store, load_chain(), None)
    margins = [margin for _, margin in rows]
    assert margins == sorted(margins)


def test_a_trained_classifier_orders_the_queue_by_its_own_margins(
        visitor, login, keys, own_store, model_file, trained):
    store, _ = own_store
    chain = load_chain()
    model_file.write_bytes(trained.read_bytes())
    html = _page(visitor, login, keys)
    assert _basis(html) == "classifier" and "分类器" in html
    rows = _rows(html)
    margins = [margin for _, margin in rows]
    assert len(rows) == LIMIT and margins == sorted(margins)
    classifier = NodeClassifier.load(model_file, chain=chain)
    assert [firm for firm, _ in rows] == _expected(store, chain, classifier)
    # the classifier's closest calls are not the keywords'
    assert [firm for firm, _ in rows] != _expected(store, chain, None)
    assert f"{classifier.threshold_:.3f}" in html
    english = visitor.get(f"/review?limit={LIMIT}&lang=en").get_data(as_text=True)
    assert "trained node classifier" in english


def test_a_file_that_is_no_classifier_falls_back_to_the_keywords(visitor, login, keys,
                                                                  model_file):
    model_file.write_bytes(b"not a classifier")
    html = _page(visitor, login, keys)
    assert _basis(html) == "keywords"
    assert len(_rows(html)) == LIMIT
