import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from recommender.exceptions import InvalidArgument
from recommender.ranking.metrics import (
    group_metrics,
    map_at_k,
    ndcg_at_k,
    ranking_metrics,
    recall_at_k,
    weighted_ndcg_at_k,
)

LOG2_3 = np.log2(3)


def _sklearn_ndcg(labels, scores, k):
    """sklearn's NDCG with exponential gains, one group per call."""
    gains = 2.0 ** np.asarray(labels, float) - 1
    return ndcg_score([gains], [scores], k=k)


# --- NDCG -----------------------------------------------------------------------------------
def test_ndcg_by_hand():
    # ranked labels 0, 1, 2: DCG = 0 + 1/log2(3) + 3/log2(4); IDCG = 3 + 1/log2(3)
    expected = (1 / LOG2_3 + 3 / 2) / (3 + 1 / LOG2_3)
    assert ndcg_at_k([2, 1, 0], [0.1, 0.2, 0.3], [7, 7, 7], k=3) == pytest.approx(expected)
    assert ndcg_at_k([2, 1, 0], [0.3, 0.2, 0.1], [7, 7, 7], k=3) == pytest.approx(1.0)
    # k=1: the first row has gain 0
    assert ndcg_at_k([2, 1, 0], [0.1, 0.2, 0.3], [7, 7, 7], k=1) == 0.0


@pytest.mark.parametrize("labels, scores, k", [
    ([2, 1, 0], [0.1, 0.2, 0.3], 3),
    ([0, 3, 1, 4, 0, 2], [0.5, 0.4, 0.9, 0.1, 0.3, 0.8], 3),
    ([0, 3, 1, 4, 0, 2], [0.5, 0.4, 0.9, 0.1, 0.3, 0.8], 10),
    ([1, 0, 0, 0, 0], [0.0, 0.1, 0.2, 0.3, 0.4], 5),
    ([4, 4, 0, 1], [0.2, 0.9, 0.3, 0.1], 2),
])
def test_ndcg_matches_sklearn_without_ties(labels, scores, k):
    assert ndcg_at_k(labels, scores, np.zeros(len(labels)), k=k) == pytest.approx(
        _sklearn_ndcg(labels, scores, k))


def test_ndcg_is_the_mean_over_groups_and_rows_need_not_be_adjacent():
    a = ([0, 3, 1, 4], [0.5, 0.4, 0.9, 0.1])
    b = ([2, 0, 1], [0.3, 0.2, 0.1])
    labels = [a[0][0], b[0][0], a[0][1], b[0][1], a[0][2], b[0][2], a[0][3]]
    scores = [a[1][0], b[1][0], a[1][1], b[1][1], a[1][2], b[1][2], a[1][3]]
    groups = ["a", "b", "a", "b", "a", "b", "a"]
    expected = (_sklearn_ndcg(*a, 10) + _sklearn_ndcg(*b, 10)) / 2
    assert ndcg_at_k(labels, scores, groups) == pytest.approx(expected)


def test_ties_are_broken_pessimistically_and_not_by_row_order():
    # equal scores: the lower label comes first, wherever the rows are
    worst = (1 / LOG2_3) / 1.0  # ranked 0, 1: 1 / log2(3)
    assert ndcg_at_k([1, 0], [0.5, 0.5], [0, 0], k=2) == pytest.approx(worst)
    assert ndcg_at_k([0, 1], [0.5, 0.5], [0, 0], k=2) == pytest.approx(worst)
    assert map_at_k([3, 0], [1, 1], [0, 0], k=2) == pytest.approx(0.5)
    assert recall_at_k([3, 0], [1, 1], [0, 0], k=1) == 0.0


def test_groups_without_a_positive_label_are_left_out():
    labels = [2, 0, 0, 0]
    groups = ["a", "a", "b", "b"]
    assert ndcg_at_k(labels, [1, 0, 1, 0], groups) == 1.0
    assert np.isnan(ndcg_at_k([0, 0], [1, 0], [0, 0]))
    table = group_metrics(labels, [1, 0, 1, 0], groups)
    assert table["group"].tolist() == ["a", "b"]
    assert table["ndcg@10"].tolist()[0] == 1.0 and np.isnan(table["ndcg@10"].tolist()[1])


# --- MAP and Recall -----------------------------------------------------------------------
def test_map_by_hand():
    # ranked labels 3, 0, 4, 1, 3: relevant at 1, 3, 5 -> AP@5 = (1 + 2/3 + 3/5) / 3
    labels = [3, 0, 4, 1, 3]
    scores = [5, 4, 3, 2, 1]
    assert map_at_k(labels, scores, [0] * 5, k=5) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    # AP@2 divides by min(R, k) = 2: (1 + 0) / 2
    assert map_at_k(labels, scores, [0] * 5, k=2) == pytest.approx(0.5)
    # relevant=4: one relevant row at position 3
    assert map_at_k(labels, scores, [0] * 5, k=5, relevant=4) == pytest.approx(1 / 3)


def test_recall_by_hand():
    labels = [3, 0, 4, 1, 3, 0, 0]
    scores = [7, 6, 5, 4, 3, 2, 1]
    groups = [0, 0, 0, 0, 0, 1, 1]  # group 1 has no relevant row: left out
    assert recall_at_k(labels, scores, groups, k=1) == pytest.approx(1 / 3)
    assert recall_at_k(labels, scores, groups, k=3) == pytest.approx(2 / 3)
    assert recall_at_k(labels, scores, groups, k=50) == 1.0


def test_ranking_metrics_names_and_group_counts():
    out = ranking_metrics([3, 0, 1, 0, 0, 0], [1, 0, 1, 0, 1, 0], [0, 0, 1, 1, 2, 2])
    assert out["ndcg@10"] == 1.0 and out["map@10"] == 1.0 and out["recall@50"] == 1.0
    assert (out["groups"], out["groups_ndcg"], out["groups_relevant"]) == (3, 2, 1)


# --- arguments ------------------------------------------------------------------------------
def test_bad_arguments_are_refused():
    with pytest.raises(InvalidArgument, match="same length"):
        ndcg_at_k([1, 0], [1.0], [0, 0])
    with pytest.raises(InvalidArgument, match="k must be a positive integer"):
        ndcg_at_k([1, 0], [1, 0], [0, 0], k=0)
    with pytest.raises(InvalidArgument, match="scores must not be missing"):
        map_at_k([1, 0], [np.nan, 0], [0, 0])
    with pytest.raises(InvalidArgument, match="labels must not be missing"):
        recall_at_k([np.nan, 0], [1, 0], [0, 0])


def test_empty_input_gives_nan():
    assert np.isnan(ndcg_at_k([], [], []))


# --- over a whole universe of candidates ------------------------------------------------------
def test_group_spearman_matches_scipy_per_group():
    from scipy.stats import spearmanr

    from recommender.ranking.metrics import group_spearman

    rng = np.random.default_rng(3)
    truth, scores = rng.normal(size=60), rng.normal(size=60)
    scores[:30] += truth[:30]  # group a reads the truth, group b does not
    scores[40:45] = 0.0  # ties
    groups = np.repeat(["a", "b"], 30)
    got = group_spearman(truth, scores, groups)
    want = [spearmanr(truth[:30], scores[:30])[0], spearmanr(truth[30:], scores[30:])[0]]
    np.testing.assert_allclose(got, want)
    assert np.isnan(group_spearman([1, 2], [5, 5], ["a", "a"])[0])  # a constant score


def test_group_top_share_breaks_ties_against_the_method():
    from recommender.ranking.metrics import group_top_share

    flag = [1, 0, 1, 0, 0, 1]
    scores = [3.0, 3.0, 1.0, 2.0, 9.0, 9.0]
    groups = ["a"] * 4 + ["b"] * 2
    # a: 3.0 tie, the flagged row first, then the unflagged; b: a tie of two, k covers both
    np.testing.assert_allclose(group_top_share(flag, scores, groups, k=1), [1.0, 1.0])
    np.testing.assert_allclose(group_top_share(flag, scores, groups, k=3), [1 / 3, 0.5])


# --- weighted NDCG (the inverse-propensity estimate early stopping watches) ----------------
def test_weighted_ndcg_by_hand():
    labels, scores, groups = [2, 1, 0], [0.1, 0.2, 0.3], [7, 7, 7]
    # gains 3 x 1, 1 x 4, 0 ranked last, second, first: DCG = 4/log2(3) + 3/2, ideal 4 + 3/log2(3)
    expected = (4 / LOG2_3 + 3 / 2) / (4 + 3 / LOG2_3)
    assert weighted_ndcg_at_k(labels, scores, groups, [1, 4, 1], k=3) == pytest.approx(expected)
    # a contact of weight 0 counts as no gain
    assert weighted_ndcg_at_k(labels, scores, groups, [1, 0, 1], k=3) == pytest.approx(
        ndcg_at_k([2, 0, 0], scores, groups, k=3))


def test_unit_weights_give_ndcg_and_one_weight_per_group_changes_nothing():
    rng = np.random.default_rng(3)
    labels, scores = rng.integers(0, 5, 300), rng.normal(0, 1, 300)
    groups = np.repeat(np.arange(20), 15)
    plain = ndcg_at_k(labels, scores, groups, k=10)
    assert weighted_ndcg_at_k(labels, scores, groups, np.ones(300), k=10) == pytest.approx(plain)
    per_group = rng.uniform(0.1, 5.0, 20)[groups]  # a group's scale cancels
    assert weighted_ndcg_at_k(labels, scores, groups, per_group, k=10) == pytest.approx(plain)
    assert weighted_ndcg_at_k(labels, scores, groups, rng.uniform(0.1, 5, 300),
                              k=10) != pytest.approx(plain)
    with pytest.raises(InvalidArgument, match="weights"):
        weighted_ndcg_at_k(labels, scores, groups, -np.ones(300))
    with pytest.raises(InvalidArgument, match="weights"):
        weighted_ndcg_at_k(labels, scores, groups, np.ones(3))
