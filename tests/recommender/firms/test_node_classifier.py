import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import ModelError, NotFittedError, ValidationError
from recommender.firms.listings import read_listing
from recommender.firms.node_classifier import (
    NodeClassifier,
    clean_description,
    country_group,
    evaluate_node_classifiers,
    multilabel_scores,
    parse_node_ids,
    read_node_labels,
    report_markdown,
)
from recommender.paths import shared_data_dir

# A tiny hand-written corpus in English and Chinese; the last text is in two nodes.
TEXTS = [
    "Designs and manufactures fiber lasers and ultrafast laser sources for cutting.",
    "Maker of picosecond lasers and laser modules for micromachining.",
    "光纤激光器、超快激光器的研发、生产和销售。",
    "Develops digital oscilloscopes, waveform generators and spectrum analyzers.",
    "数字示波器、信号发生器的研发与销售。",
    "Test and measurement: oscilloscopes, logic analyzers and probes.",
    "Operates general hospitals and specialist clinics.",
    "综合医院、专科医院的运营与医疗服务。",
    "Runs a chain of hospitals and outpatient clinics.",
    "Restaurant chain serving noodles and coffee.",
    "Retail bank offering loans and deposits.",
    "服装鞋帽的批发与零售。",
    "Builds oscilloscopes probes with fiber laser sources.",
]
LABELS = [["lasers"], ["lasers"], ["lasers"], ["oscilloscopes"], ["oscilloscopes"],
          ["oscilloscopes"], ["healthcare"], ["healthcare"], ["healthcare"], [], [], [],
          ["lasers", "oscilloscopes"]]
NEW = ["皮秒激光器的生产", "A hospital group with clinics", "Coffee shops and bakeries",
       "Handheld oscilloscopes for engineers"]
LINK_COLUMNS = ["row", C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture(scope="module")
def model():
    return NodeClassifier(keywords="none", min_df=1, threshold=0.35).fit(TEXTS, LABELS)


# --- estimator contract -------------------------------------------------------------------
def test_init_only_stores_parameters():
    model = NodeClassifier(keywords="none", threshold=7, C=-1)  # caught by fit, not here
    assert model.get_params()["threshold"] == 7
    with pytest.raises(ValueError, match="threshold"):
        model.set_params(C=1.0).fit(TEXTS, LABELS)


def test_fit_returns_self_and_sets_learned_attributes():
    model = NodeClassifier(keywords="none", min_df=1)
    assert model.fit(TEXTS, LABELS) is model
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


# Listing attributes for TEXTS: the coffee shop, bank and clothes retailer share one industry.
INDUSTRIES = ["Lasers", "Lasers", "Lasers", "Test", "Test", "Test", "Care", "Care", "Care",
              "Retail", "Retail", "Retail", "Test"]


def listing_frame(texts, industries):
    return pd.DataFrame({C.BUSINESS_SCOPE: texts, C.INDUSTRY_CODE: industries,
                         "sector": "Technology", C.COUNTRY: "China"})


@pytest.mark.parametrize(("kwargs", "texts", "labels", "match"), [
    ({"keywords": "none"}, TEXTS, LABELS[:-1], "labels has 12 entries but texts has 13"),
    ({}, TEXTS, LABELS, "needs chain"),
    ({"keywords": "nope"}, TEXTS, LABELS, "keywords must be one of"),
    ({"keywords": "none", "min_df": 0}, TEXTS, LABELS, "min_df"),
    ({"keywords": "none"}, "fiber lasers", LABELS, "texts must hold one text per firm"),
    ({"keywords": "none", "attributes": ("colour",)}, TEXTS, LABELS, "attributes must be"),
    ({"keywords": "none", "n_topics": -1}, TEXTS, LABELS, "n_topics"),
    ({"keywords": "none"}, pd.DataFrame({"summary": TEXTS}), LABELS, "'business_scope' column"),
])
def test_fit_validates_its_input(kwargs, texts, labels, match):
    with pytest.raises(ValueError, match=match):
        NodeClassifier(**kwargs).fit(texts, labels)


def test_labels_must_be_nodes_of_the_chain(chain):
    labels = [*LABELS[:-1], ["lasers", "warp_drives"]]
    with pytest.raises(ValueError, match="warp_drives"):
        NodeClassifier(chain=chain, min_df=1).fit(TEXTS, labels)


# --- predictions --------------------------------------------------------------------------
def test_predicts_nodes_in_english_and_chinese(model):
    links = model.predict(NEW)
    assert list(links.columns) == LINK_COLUMNS
    assert links[C.METHOD].unique().tolist() == ["classifier"]
    first = dict(zip(links["row"], links[C.NODE_ID], strict=False))
    assert first[0] == "lasers"  # Chinese text, learned from character grams
    assert first[1] == "healthcare"
    assert first[3] == "oscilloscopes"
    assert links[C.CONFIDENCE].between(0.35, 1).all()


def test_an_unrelated_text_is_none_of_the_chain(model):
    links = model.predict(NEW)
    assert 2 not in set(links["row"])  # the coffee shop gets no node
    assert model.predict_node_sets(NEW)[2] == []


def test_evidence_names_terms_of_the_text(model):
    links = model.predict(NEW).set_index(C.NODE_ID)
    assert "激光" in links.loc["lasers", C.EVIDENCE]
    assert "clinics" in links.loc["healthcare", C.EVIDENCE]


def test_row_is_the_index_of_the_text(model):
    links = model.predict(pd.Series(NEW, index=["a", "b", "c", "d"]))
    assert links["row"].tolist()[:1] == ["a"]


def test_predict_proba_has_one_column_per_class(model):
    proba = model.predict_proba(NEW)
    assert proba.shape == (4, 3)
    assert np.argmax(proba[0]) == model.classes_.index("lasers")


def test_rare_nodes_fall_back_to_keywords(chain):
    model = NodeClassifier(chain=chain, keywords="fallback", min_df=1).fit(TEXTS, LABELS)
    links = model.predict(["Maker of mass spectrometers for laboratories"])
    assert "mass_spectrometers" in model.fallback_nodes_
    hit = links[links[C.NODE_ID] == "mass_spectrometers"]
    assert hit[C.METHOD].tolist() == ["keyword"]
    assert hit[C.EVIDENCE].str.contains("mass spectrometer").all()


@pytest.mark.parametrize("mode", ["union", "feature"])
def test_keyword_combinations_predict_link_frames(chain, mode):
    model = NodeClassifier(chain=chain, keywords=mode, min_df=1).fit(TEXTS, LABELS)
    links = model.predict(NEW)
    assert list(links.columns) == LINK_COLUMNS
    assert links.groupby("row").size().max() <= model.max_nodes
    assert model.coef_.shape[1] > len(model.word_vectorizer_.vocabulary_)


# --- listing attributes and topics -------------------------------------------------------
@pytest.mark.parametrize(("country", "group"), [
    ("China", "greater_china"), ("HK", "greater_china"), ("United States", "us"),
    ("TW", "taiwan"), ("Japan", "japan"), ("Germany", "europe"), ("GB", "europe"),
    ("Brazil", "other"), ("", ""), (None, "")])
def test_country_group_reads_names_and_iso_codes(country, group):
    assert country_group(country) == group


def test_attributes_become_features_and_evidence():
    frame = listing_frame(TEXTS, INDUSTRIES)
    model = NodeClassifier(keywords="none", min_df=1, threshold=0.35, attribute_weight=1.0,
                           attributes=("industry_code", "country_group")).fit(frame, LABELS)
    assert model.attribute_terms_ == ["country_group=greater_china", "industry_code=care",
                                      "industry_code=lasers", "industry_code=retail",
                                      "industry_code=test"]
    # An industry seen with hospitals lifts a vague text towards healthcare ...
    vague = listing_frame(["Operates facilities"], ["Care"])
    with_industry = model.predict_proba(vague)[0, model.classes_.index("healthcare")]
    without = model.predict_proba(["Operates facilities"])[0, model.classes_.index("healthcare")]
    assert with_industry > without
    # ... and the attribute is named in the evidence when it raised the score.
    links = model.predict(listing_frame(["A hospital group with clinics"], ["Care"]))
    assert "industry_code=care" in links.set_index(C.NODE_ID).loc["healthcare", C.EVIDENCE]


def test_text_alone_still_works_for_a_model_with_attributes():
    model = NodeClassifier(keywords="none", min_df=1, threshold=0.35,
                           attributes=("industry_code", "sector")).fit(
        listing_frame(TEXTS, INDUSTRIES), LABELS)
    assert "industry_code=lasers" in model.attribute_terms_
    sets = model.predict_node_sets(NEW)  # plain texts: no attribute columns
    assert sets[0] == ["lasers"] and sets[2] == []
    unseen = listing_frame(NEW, ["Bakeries"] * 4)  # an industry never seen in training
    assert model.predict_node_sets(unseen) == sets


def test_topics_are_learned_with_unlabelled_texts():
    unlabelled = ["Fibre laser sources and laser diodes", *NEW * 15]
    model = NodeClassifier(keywords="none", min_df=1, n_topics=3).fit(
        TEXTS, LABELS, unlabelled=unlabelled)
    assert model.topic_components_.shape == (3, len(model.word_vectorizer_.vocabulary_))
    assert "diodes" in model.word_vectorizer_.vocabulary_  # word only in unlabelled texts
    # no topics when asked for none, or from too few texts (fewer than 20 per topic)
    for n_topics, extra in ((0, unlabelled), (3, None)):
        fitted = NodeClassifier(keywords="none", min_df=1, n_topics=n_topics).fit(
            TEXTS, LABELS, unlabelled=extra)
        assert fitted.topic_components_.shape[0] == 0


# --- saving without pickle ----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["none", "feature"])
def test_save_load_round_trip_gives_identical_predictions(tmp_path, chain, mode):
    fitted = NodeClassifier(chain=chain, keywords=mode, min_df=1, n_topics=4,
                            attributes=("industry_code", "country_group")).fit(
        listing_frame(TEXTS, INDUSTRIES), LABELS, unlabelled=NEW * 20)
    path = fitted.save(tmp_path / "models" / "nodes.npz")
    loaded = NodeClassifier.load(path, chain=chain)
    new = listing_frame(NEW, ["Lasers", "Care", "Retail", "Test"])
    pd.testing.assert_frame_equal(loaded.predict(new), fitted.predict(new))
    np.testing.assert_array_equal(loaded.predict_proba(new), fitted.predict_proba(new))
    np.testing.assert_array_equal(loaded.predict_proba(NEW), fitted.predict_proba(NEW))
    assert loaded.attribute_terms_ == fitted.attribute_terms_
    assert loaded.get_params() == {**fitted.get_params(), "chain": chain}
    # every array loads with pickle disabled: the file holds no Python objects
    with np.load(path, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)


def test_loading_a_keyword_model_without_chain_cannot_predict(tmp_path, chain):
    path = NodeClassifier(chain=chain, min_df=1).fit(TEXTS, LABELS).save(tmp_path / "m.npz")
    with pytest.raises(NotFittedError, match="chain"):
        NodeClassifier.load(path).predict(NEW)


def test_loading_something_else_is_a_model_error(tmp_path):
    garbage = tmp_path / "bad.npz"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot read"):
        NodeClassifier.load(garbage)
    other = tmp_path / "other.npz"
    np.savez(other, header=np.array('{"format": "something-else", "version": 1}'))
    with pytest.raises(ModelError, match="not a node classifier"):
        NodeClassifier.load(other)


# --- labels and metrics -------------------------------------------------------------------
def test_parse_node_ids_accepts_strings_lists_and_missing():
    assert parse_node_ids(["a;b", " c ", "", None, ("d",), float("nan")]) == [
        ["a", "b"], ["c"], [], [], ["d"], []]
    with pytest.raises(ValueError, match="single string"):
        parse_node_ids("a;b")


def test_clean_description_drops_seat_and_country_sentences():
    text = ("Acme AB makes vacuum pumps in Sweden and internationally. The company was "
            "founded in 1950 and is headquartered in Lund, Sweden.")
    assert clean_description(text) == "Acme AB makes vacuum pumps in  and internationally."


def test_micro_scores_match_a_hand_computed_case():
    true = [["a", "b"], [], ["c"], []]
    pred = [["a"], [], ["c", "d"], ["b"]]
    stage_of = {"a": "upstream", "b": "upstream", "c": "midstream", "d": "downstream"}
    scores = multilabel_scores(true, pred, stage_of=stage_of,
                               segment_of={"a": "s1", "b": "s1", "c": "s2", "d": "s3"})
    # pairs: tp = a, c; fp = d (firm 3), b (firm 4); fn = b (firm 1).
    # Firm 2 (no true node, none predicted) adds nothing.
    micro = scores["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 2, 1)
    assert micro["precision"] == pytest.approx(2 / 4)
    assert micro["recall"] == pytest.approx(2 / 3)
    assert micro["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))  # = 4/7
    up, mid, down = (scores["stages"][s] for s in ("upstream", "midstream", "downstream"))
    assert (up["precision"], up["recall"]) == (0.5, 0.5)  # a right, b missed, b extra
    assert (mid["precision"], mid["recall"]) == (1.0, 1.0)
    assert (down["tp"], down["fp"], down["fn"], down["f1"]) == (0, 1, 0, 0.0)
    # segments: firm 1 {s1} vs {s1}, firm 3 {s2} vs {s2, s3}, firm 4 {} vs {s1}
    assert (scores["segment"]["tp"], scores["segment"]["fp"], scores["segment"]["fn"]) == (2, 2, 0)
    # "none": firms 2 and 4 are outside the chain; only firm 2 is predicted so
    none = scores["none"]
    assert (none["tp"], none["fp"], none["fn"]) == (1, 0, 1)
    assert scores["per_node"]["b"]["fn"] == 1 and scores["per_node"]["b"]["fp"] == 1


def test_all_empty_predictions_for_all_empty_truth_add_nothing():
    scores = multilabel_scores([[], []], [[], []])
    assert (scores["micro"]["tp"], scores["micro"]["fp"], scores["micro"]["fn"]) == (0, 0, 0)
    assert scores["none"]["f1"] == 1.0


def test_evaluate_reports_keywords_and_classifier(chain):
    texts = TEXTS * 2
    labels = LABELS * 2
    metrics = evaluate_node_classifiers(texts, labels, chain, folds=2, seed=0,
                                        variants={"classifier": {"min_df": 1}})
    assert set(metrics["methods"]) == {"keywords", "classifier"}
    for m in metrics["methods"].values():
        assert set(m["stages"]) == {"upstream", "midstream", "downstream"}
        assert len(m["fold_f1"]) == 2
    report = report_markdown(metrics)
    assert report.count("| classifier |") == 4  # the summary row and three stage rows
    assert "26 labelled firms, 2 folds" in report


def test_evaluate_accepts_listing_frames_and_unlabelled_texts(chain):
    frame = listing_frame(TEXTS * 2, INDUSTRIES * 2)
    metrics = evaluate_node_classifiers(
        frame, LABELS * 2, chain, folds=2, seed=0, unlabelled=NEW * 20,
        variants={"c": {"min_df": 1, "attributes": ("industry_code",), "n_topics": 2}})
    assert metrics["n_firms"] == 26 and set(metrics["methods"]) == {"keywords", "c"}
    assert 0 < metrics["methods"]["c"]["micro"]["f1"] <= 1


def test_read_node_labels_checks_the_flags(tmp_path, chain):
    path = tmp_path / "labels.csv"
    path.write_text("symbol,node_ids,none_of_chain,labeller_note\n"
                    "AAA,lasers;ct_scanners,false,ok\n"
                    "BBB,,false,flag should be true\n"
                    "CCC,warp_drives,false,unknown node\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="2 problem") as info:
        read_node_labels(path, chain=chain)
    assert [(p["row"], p["column"]) for p in info.value.problems] == [
        (3, "none_of_chain"), (4, "node_ids")]


def test_the_repository_labels_are_valid(chain):
    labels = read_node_labels(chain=chain)
    assert len(labels) >= 750
    share = labels["none_of_chain"].mean()
    assert 0.1 < share < 0.6
    assert labels["labeller_note"].str.len().gt(0).all()


# --- real data ----------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.slow
def test_classifier_beats_keywords_on_held_out_real_firms(chain):
    shared = shared_data_dir()
    if shared is None:
        pytest.skip("../shared/data is not available")
    labels = read_node_labels(chain=chain)
    firms = read_listing(shared / "open_firms_2022.csv")
    data = labels.merge(firms[[C.SYMBOL, C.BUSINESS_SCOPE]], on=C.SYMBOL, how="left",
                        validate="one_to_one")
    assert data[C.BUSINESS_SCOPE].notna().all(), "every labelled symbol is in the open data"
    # the listing's unlabelled firms shape the topics; no labelled (held-out) text does
    unlabelled = firms.loc[~firms[C.SYMBOL].isin(set(labels[C.SYMBOL])), C.BUSINESS_SCOPE]
    metrics = evaluate_node_classifiers(data[C.BUSINESS_SCOPE], data["node_ids"], chain,
                                        folds=5, seed=0, variants={"classifier": {}},
                                        unlabelled=unlabelled.dropna())
    keywords = metrics["methods"]["keywords"]["micro"]["f1"]
    learned = metrics["methods"]["classifier"]["micro"]["f1"]
    # Honest floor: node-level micro-F1 measured 0.675 on these 750 labels (see
    # data/labels/README.md), less the fold-to-fold spread of about 0.035; the 0.8 goal is
    # not reached at node level.
    assert learned >= 0.63
    assert learned >= keywords + 0.15  # keywords measured 0.412
