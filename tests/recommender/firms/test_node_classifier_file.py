"""The node classifier's file: a round trip without pickle, and what reading refuses."""

import json

import numpy as np
import pandas as pd
import pytest

from recommender.chain import load_chain
from recommender.exceptions import ModelError, NotFittedError
from recommender.firms.node_classifier import NodeClassifier


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.mark.parametrize("mode", ["none", "feature"])
def test_save_load_round_trip_gives_identical_predictions(corpus, tmp_path, chain, mode):
    fitted = NodeClassifier(chain=chain, keywords=mode, min_df=1, n_topics=4,
                            attributes=("industry_code", "country_group")).fit(
        corpus.listing(), corpus.labels, unlabelled=corpus.new * 20)
    path = fitted.save(tmp_path / "models" / "nodes.npz")
    loaded = NodeClassifier.load(path, chain=chain)
    new = corpus.listing(corpus.new, ["Lasers", "Care", "Retail", "Test"])
    pd.testing.assert_frame_equal(loaded.predict(new), fitted.predict(new))
    np.testing.assert_array_equal(loaded.predict_proba(new), fitted.predict_proba(new))
    np.testing.assert_array_equal(loaded.predict_proba(corpus.new),
                                  fitted.predict_proba(corpus.new))
    np.testing.assert_array_equal(loaded.gate_proba(new), fitted.gate_proba(new))
    assert (loaded.gate_threshold_, loaded.keyword_union_) == (fitted.gate_threshold_,
                                                               fitted.keyword_union_)
    assert loaded.attribute_terms_ == fitted.attribute_terms_
    assert loaded.get_params() == {**fitted.get_params(), "chain": chain}
    # every array loads with pickle disabled: the file holds no Python objects
    with np.load(path, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)


def test_loading_a_keyword_model_without_chain_cannot_predict(corpus, tmp_path, chain):
    model = NodeClassifier(chain=chain, min_df=1).fit(corpus.texts, corpus.labels)
    path = model.save(tmp_path / "m.npz")
    with pytest.raises(NotFittedError, match="chain"):
        NodeClassifier.load(path).predict(corpus.new)


def test_loading_something_else_is_a_model_error(tmp_path):
    garbage = tmp_path / "bad.npz"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot read"):
        NodeClassifier.load(garbage)
    other = tmp_path / "other.npz"
    np.savez(other, header=np.array('{"format": "something-else", "version": 1}'))
    with pytest.raises(ModelError, match="not a node classifier"):
        NodeClassifier.load(other)


def test_coefficients_that_do_not_match_the_vocabularies_are_refused(corpus, tmp_path):
    path = NodeClassifier(keywords="none", min_df=1).fit(corpus.texts, corpus.labels).save(
        tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["coef"] = arrays["coef"][:, 1:]
    np.savez(tmp_path / "cut.npz", **arrays)
    with pytest.raises(ModelError, match="coefficients do not match the vocabularies"):
        NodeClassifier.load(tmp_path / "cut.npz")


def test_a_version_1_file_loads_without_attributes_or_topics(corpus, tmp_path):
    fitted = NodeClassifier(keywords="none", min_df=1).fit(corpus.texts, corpus.labels)
    with np.load(fitted.save(tmp_path / "m.npz"), allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files if key != "topic_components"}
    header = json.loads(str(arrays["header"]))
    header["version"] = 1
    del header["attribute_terms"], header["params"]["attributes"]
    arrays["header"] = np.array(json.dumps(header))
    np.savez(tmp_path / "v1.npz", **arrays)
    loaded = NodeClassifier.load(tmp_path / "v1.npz")
    assert loaded.attribute_terms_ == [] and loaded.attributes == ()
    assert loaded.topic_components_.shape[0] == 0
    pd.testing.assert_frame_equal(loaded.predict(corpus.new), fitted.predict(corpus.new))
