"""The trained node classifier of the var folder: read once per file version, and its margins
order the review queue of the API (the keywords' when there is none or it cannot be read)."""

from __future__ import annotations

import os

import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.firms.node_classifier import NodeClassifier
from recommender.firms.node_labels import read_scope_labels
from recommender.firms.node_review import review_queue
from service.runtime.classifier import (
    BASIS_CLASSIFIER,
    BASIS_KEYWORDS,
    NODE_CLASSIFIER_FILE,
    node_classifier,
)
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import copy_of, keys_of

LIMIT = 15


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small classifier trained on the Chinese scopes, saved once."""
    chain = load_chain()
    scopes = read_scope_labels(chain=chain)
    model = NodeClassifier(chain=chain, min_positives=2, n_topics=0)
    model.fit(scopes[C.BUSINESS_SCOPE], scopes["node_ids"])
    return model.save(tmp_path_factory.mktemp("classifier") / NODE_CLASSIFIER_FILE)


@pytest.fixture(scope="module")
def own(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_api")
    store = copy_of(demo_store, folder)
    var = folder / "var"
    var.mkdir(parents=True, exist_ok=True)
    app = service_app(store, var)
    yield store, app.test_client(), keys_of(store, ROLES), var
    store.close()


def test_the_loader_reads_a_file_once_per_version_and_none_when_absent_or_unreadable(
        tmp_path, trained):
    chain = load_chain()
    assert node_classifier(tmp_path, chain) is None
    path = tmp_path / NODE_CLASSIFIER_FILE
    path.write_bytes(trained.read_bytes())
    first = node_classifier(tmp_path, chain)
    assert isinstance(first, NodeClassifier)
    assert node_classifier(tmp_path, chain) is first  # the same file: read once
    path.write_bytes(b"not a classifier")
    os.utime(path, ns=(1, 1))
    assert node_classifier(tmp_path, chain) is None


def _queue(client, keys) -> list[dict]:
    response = client.get(f"/api/v1/firms/review?limit={LIMIT}",
                          headers={"Authorization": f"Bearer {keys['officer']}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_api_queue_uses_the_trained_classifier_margins_when_there_is_one(own, trained):
    store, client, keys, var = own
    chain = load_chain()
    (var / NODE_CLASSIFIER_FILE).unlink(missing_ok=True)
    by_keywords = _queue(client, keys)
    assert {item["basis"] for item in by_keywords} == {BASIS_KEYWORDS}

    (var / NODE_CLASSIFIER_FILE).write_bytes(trained.read_bytes())
    items = _queue(client, keys)
    assert {item["basis"] for item in items} == {BASIS_CLASSIFIER}
    classifier = NodeClassifier.load(trained, chain=chain)
    assert all(item["threshold"] == pytest.approx(classifier.threshold_) for item in items)
    margins = [item["margin"] for item in items]
    assert margins == sorted(margins)
    expected = review_queue(store.firms(), chain, corrected=store.corrected_firm_ids(),
                            classifier=classifier, limit=LIMIT)
    assert [item["firm_id"] for item in items] == expected[C.FIRM_ID].tolist()
    assert [item["firm_id"] for item in items] != [item["firm_id"] for item in by_keywords]

    (var / NODE_CLASSIFIER_FILE).write_bytes(b"not a classifier")
    assert {item["basis"] for item in _queue(client, keys)} == {BASIS_KEYWORDS}
    (var / NODE_CLASSIFIER_FILE).unlink()
