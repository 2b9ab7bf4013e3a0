"""The node classifier: scikit-learn's estimator contract, predictions, attributes, topics."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import InvalidArgument, NotFittedError
from recommender.firms.node_classifier import NodeClassifier

LINK_COLUMNS = ["row", C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture(scope="module")
def model(corpus):
    return NodeClassifier(keywords="none", min_df=1, threshold=0.35).fit(corpus.texts,
                                                                         corpus.labels)


# --- estimator contract -------------------------------------------------------------------
def test_init_only_stores_parameters(corpus):
    model = NodeClassifier(keywords="none", threshold=7, C=-1)  # caught by fit, not here
    assert model.get_params()["threshold"] == 7
    with pytest.raises(InvalidArgument, match="threshold"):
        model.set_params(C=1.0).fit(corpus.texts, corpus.labels)


def test_fit_returns_self_and_sets_learned_attributes(corpus):
    model = NodeClassifier(keywords="none", min_df=1)
    assert model.fit(corpus.texts, corpus.labels) is model
    assert model.classes_ == ["healthcare", "lasers", "oscilloscopes"]
    assert model.coef_.shape[0] == 3 and 0 < model.threshold_ < 1


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function",
                                    "predict_node_sets"])
def test_using_an_unfitted_model_raises_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(NodeClassifier(keywords="none"), method)(["fiber lasers"])


def test_get_params_and_clone(model, chain):
    params = model.get_params()
    assert params["keywords"] == "none" and params["threshold"] == 0.35
    copy = clone(model)
    assert copy.get_params() == params
    assert not hasattr(copy, "coef_")
    with_chain = clone(NodeClassifier(chain=chain))
    assert with_chain.get_params()["chain"].node_ids == chain.node_ids


@pytest.mark.parametrize(("kwargs", "match"), [
    ({}, "needs chain"),
    ({"keywords": "nope"}, "keywords must be one of"),
    ({"keywords": "none", "min_df": 0}, "min_df"),
    ({"keywords": "none", "attributes": ("colour",)}, "attributes must be"),
    ({"keywords": "none", "n_topics": -1}, "n_topics"),
])
def test_fit_validates_its_parameters(corpus, kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        NodeClassifier(**kwargs).fit(corpus.texts, corpus.labels)


def test_fit_validates_its_input(corpus):
    model = NodeClassifier(keywords="none")
    with pytest.raises(InvalidArgument, match="labels has 12 entries but texts has 13"):
        model.fit(corpus.texts, corpus.labels[:-1])
    with pytest.raises(InvalidArgument, match="texts must hold one text per firm"):
        model.fit("fiber lasers", corpus.labels)
    with pytest.raises(InvalidArgument, match="'business_scope' column"):
        model.fit(pd.DataFrame({"summary": corpus.texts}), corpus.labels)


def test_labels_must_be_nodes_of_the_chain(corpus, chain):
    labels = [*corpus.labels[:-1], ["lasers", "warp_drives"]]
    with pytest.raises(InvalidArgument, match="warp_drives"):
        NodeClassifier(chain=chain, min_df=1).fit(corpus.texts, labels)


# --- predictions --------------------------------------------------------------------------
def test_predicts_nodes_in_english_and_chinese(corpus, model):
    links = model.predict(corpus.new)
    assert list(links.columns) == LINK_COLUMNS
    assert links[C.METHOD].unique().tolist() == ["classifier"]
    first = dict(zip(links["row"], links[C.NODE_ID], strict=False))
    assert first[0] == "lasers"  # Chinese text, learned from character grams
    assert first[1] == "healthcare"
    assert first[3] == "oscilloscopes"
    assert links[C.CONFIDENCE].between(0.35, 1).all()


def test_an_unrelated_text_is_none_of_the_chain(corpus, model):
    links = model.predict(corpus.new)
    assert 2 not in set(links["row"])  # the coffee shop gets no node
    assert model.predict_node_sets(corpus.new)[2] == []


def test_evidence_names_terms_of_the_text(corpus, model):
    links = model.predict(corpus.new).set_index(C.NODE_ID)
    assert "激光" in links.loc["lasers", C.EVIDENCE]
    assert "clinics" in links.loc["healthcare", C.EVIDENCE]


def test_row_is_the_index_of_the_text(corpus, model):
    links = model.predict(pd.Series(corpus.new, index=["a", "b", "c", "d"]))
    assert links["row"].tolist()[:1] == ["a"]


def test_predict_proba_has_one_column_per_class(corpus, model):
    proba = model.predict_proba(corpus.new)
    assert proba.shape == (4, 3)
    assert np.argmax(proba[0]) == model.classes_.index("lasers")


def test_rare_nodes_fall_back_to_keywords(corpus, chain):
    model = NodeClassifier(chain=chain, keywords="fallback", min_df=1).fit(corpus.texts,
                                                                           corpus.labels)
    links = model.predict(["Maker of mass spectrometers for laboratories"])
    assert "mass_spectrometers" in model.fallback_nodes_
    hit = links[links[C.NODE_ID] == "mass_spectrometers"]
    assert hit[C.METHOD].tolist() == ["keyword"]
    assert hit[C.EVIDENCE].str.contains("mass spectrometer").all()


@pytest.mark.parametrize("mode", ["union", "feature"])
def test_keyword_combinations_predict_link_frames(corpus, chain, mode):
    model = NodeClassifier(chain=chain, keywords=mode, min_df=1).fit(corpus.texts, corpus.labels)
    links = model.predict(corpus.new)
    assert list(links.columns) == LINK_COLUMNS
    assert links.groupby("row").size().max() <= model.max_nodes
    assert model.coef_.shape[1] > len(model.word_vectorizer_.vocabulary_)


# --- listing attributes and topics -------------------------------------------------------
def test_attributes_become_features_and_evidence(corpus):
    frame = corpus.listing()
    model = NodeClassifier(keywords="none", min_df=1, threshold=0.35, attribute_weight=1.0,
                           attributes=("industry_code", "country_group")).fit(frame, corpus.labels)
    assert model.attribute_terms_ == ["country_group=greater_china", "industry_code=care",
                                      "industry_code=lasers", "industry_code=retail",
                                      "industry_code=test"]
    # An industry seen with hospitals lifts a vague text towards healthcare ...
    vague = corpus.listing(["Operates facilities"], ["Care"])
    with_industry = model.predict_proba(vague)[0, model.classes_.index("healthcare")]
    without = model.predict_proba(["Operates facilities"])[0, model.classes_.index("healthcare")]
    assert with_industry > without
    # ... and the attribute is named in the evidence when it raised the score.
    links = model.predict(corpus.listing(["A hospital group with clinics"], ["Care"]))
    assert "industry_code=care" in links.set_index(C.NODE_ID).loc["healthcare", C.EVIDENCE]


def test_text_alone_still_works_for_a_model_with_attributes(corpus):
    model = NodeClassifier(keywords="none", min_df=1, threshold=0.35,
                           attributes=("industry_code", "sector")).fit(
        corpus.listing(), corpus.labels)
    assert "industry_code=lasers" in model.attribute_terms_
    sets = model.predict_node_sets(corpus.new)  # plain texts: no attribute columns
    assert sets[0] == ["lasers"] and sets[2] == []
    unseen = corpus.listing(corpus.new, ["Bakeries"] * 4)  # an industry never seen in training
    assert model.predict_node_sets(unseen) == sets


def test_topics_are_learned_with_unlabelled_texts(corpus):
    unlabelled = ["Fibre laser sources and laser diodes", *corpus.new * 15]
    model = NodeClassifier(keywords="none", min_df=1, n_topics=3).fit(
        corpus.texts, corpus.labels, unlabelled=unlabelled)
    assert model.topic_components_.shape == (3, len(model.word_vectorizer_.vocabulary_))
    assert "diodes" in model.word_vectorizer_.vocabulary_  # word only in unlabelled texts
    # no topics when asked for none, or from too few texts (fewer than 20 per topic)
    for n_topics, extra in ((0, unlabelled), (3, None)):
        fitted = NodeClassifier(keywords="none", min_df=1, n_topics=n_topics).fit(
            corpus.texts, corpus.labels, unlabelled=extra)
        assert fitted.topic_components_.shape[0] == 0


def test_a_listing_industry_does_not_make_an_ip_licensor_a_chip_maker(chain):
    """The industry and the words of a chip firm lift an IP licensor's text towards analog
    chips; its text says it licenses IP, so it gets no chip node (invented texts)."""
    texts = ["Designs analog ICs and operational amplifiers.",
             "Analog integrated circuits and power management ICs for industry.",
             "Signal chain and amplifier chips for instruments.",
             "Designs and manufactures fiber lasers for cutting.",
             "Picosecond lasers and laser modules.",
             "Ultrafast laser sources for micromachining."]
    labels = [["analog_ics"]] * 3 + [["lasers"]] * 3
    industries = ["Semiconductors"] * 3 + ["Lasers"] * 3
    frame = pd.DataFrame({C.BUSINESS_SCOPE: texts, C.INDUSTRY_CODE: industries})
    model = NodeClassifier(chain=chain, min_df=1, threshold=0.3, n_topics=0, gate=False,
                           attributes=("industry_code",), attribute_weight=1.0).fit(frame,
                                                                                    labels)
    licensor = "Licenses analog IP blocks to foundries for power management ICs."
    designer = "Designs analog chips for power management ICs."
    new = pd.DataFrame({C.BUSINESS_SCOPE: [licensor, designer],
                        C.INDUSTRY_CODE: ["Semiconductors"] * 2})
    assert model.predict_proba(new)[0, model.classes_.index("analog_ics")] >= 0.3
    sets = model.predict_node_sets(new)
    assert "analog_ics" not in sets[0]
    assert "analog_ics" in sets[1]
