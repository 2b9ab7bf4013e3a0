"""Scoring node sets, and cross-validating the keyword baseline against the classifier."""

import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import InvalidArgument
from recommender.firms.listings import read_listing
from recommender.firms.node_evaluation import (
    evaluate_node_classifiers,
    multilabel_scores,
    report_markdown,
)
from recommender.firms.node_labels import read_node_labels
from recommender.paths import shared_data_dir


@pytest.fixture(scope="module")
def chain():
    return load_chain()


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


def test_scores_need_one_prediction_per_truth():
    with pytest.raises(InvalidArgument, match="pred_sets has 1 entries, true_sets 2"):
        multilabel_scores([["a"], []], [["a"]])


def test_evaluate_reports_keywords_and_classifier(corpus, chain):
    texts = corpus.texts * 2
    labels = corpus.labels * 2
    metrics = evaluate_node_classifiers(texts, labels, chain, folds=2, seed=0,
                                        variants={"classifier": {"min_df": 1}})
    assert set(metrics["methods"]) == {"keywords", "classifier"}
    for m in metrics["methods"].values():
        assert set(m["stages"]) == {"upstream", "midstream", "downstream"}
        assert len(m["fold_f1"]) == 2
    report = report_markdown(metrics)
    # the summary row, the firm-by-firm row and three stage rows
    assert report.count("| classifier |") == 5
    assert "Firm by firm" in report
    assert "26 labelled firms, 2 folds" in report


def test_evaluate_accepts_listing_frames_and_unlabelled_texts(corpus, chain):
    frame = corpus.listing(corpus.texts * 2, corpus.industries * 2)
    metrics = evaluate_node_classifiers(
        frame, corpus.labels * 2, chain, folds=2, seed=0, unlabelled=corpus.new * 20,
        variants={"c": {"min_df": 1, "attributes": ("industry_code",), "n_topics": 2}})
    assert metrics["n_firms"] == 26 and set(metrics["methods"]) == {"keywords", "c"}
    assert 0 < metrics["methods"]["c"]["micro"]["f1"] <= 1


def test_evaluate_checks_its_arguments(corpus, chain):
    with pytest.raises(InvalidArgument, match="labels has 12 entries but texts has 13"):
        evaluate_node_classifiers(corpus.texts, corpus.labels[:-1], chain)
    with pytest.raises(InvalidArgument, match="folds must be an integer from 2 to 13"):
        evaluate_node_classifiers(corpus.texts, corpus.labels, chain, folds=1)


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
    # Honest floor: node-level micro-F1 measured 0.599 on these 750 labels under the node
    # scope rule (see data/labels/README.md), less the fold-to-fold spread of about 0.035;
    # the 0.8 goal is not reached at node level.
    assert learned >= 0.56
    assert learned >= keywords + 0.10  # keywords measured 0.457
