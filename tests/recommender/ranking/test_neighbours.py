"""Neighbours kept in their place: a maker of the node outranks an otherwise equal neighbour."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.ranking import feature_registry as R
from recommender.ranking.ranker import ChainRanker

NAMES = R.feature_names()


def history(seed: int = 0, groups: int = 60, size: int = 30) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups in which one-hop neighbours with a strong record elsewhere did best of all: the
    trees, left free, would learn that a neighbour beats a maker."""
    rng = np.random.default_rng(seed)
    n = groups * size
    X = pd.DataFrame(np.nan, index=range(n), columns=NAMES, dtype="float32")
    hop = (rng.random(n) < 0.5).astype(float)
    match = rng.uniform(0.3, 1.0, n) * np.where(hop == 1, 0.5, 1.0)
    X[C.HOP], X[C.MATCH] = hop, match
    X[C.WEAK_LINK_SCORE] = 0.6
    X[R.WEAK_LINK_FIT] = match * 0.6
    X[R.ELSEWHERE_MEAN_STAGE] = rng.integers(0, 5, n)
    X[R.BEST_PRIOR_STAGE] = X[R.ELSEWHERE_MEAN_STAGE]
    X[R.LOG10_REVENUE] = rng.normal(2, 0.5, n)
    utility = 1.5 * hop + 0.6 * X[R.ELSEWHERE_MEAN_STAGE] * hop - match + rng.normal(0, 0.3, n)
    labels = np.searchsorted(np.quantile(utility, [0.5, 0.75, 0.9, 0.96]), utility)
    return X, labels


def pair(neighbour_match: float) -> pd.DataFrame:
    """A maker of the node and a neighbour with an excellent record elsewhere, equal in all else."""
    row = {name: np.nan for name in NAMES}
    row.update({C.WEAK_LINK_SCORE: 0.6, R.ELSEWHERE_MEAN_STAGE: 4.0, R.BEST_PRIOR_STAGE: 4.0,
                R.LOG10_REVENUE: 2.0})
    maker = {**row, C.HOP: 0.0, C.MATCH: 0.8, R.WEAK_LINK_FIT: 0.8 * 0.6}
    neighbour = {**row, C.HOP: 1.0, C.MATCH: neighbour_match,
                 R.WEAK_LINK_FIT: neighbour_match * 0.6}
    return pd.DataFrame([maker, neighbour], columns=NAMES).astype("float32")


@pytest.fixture(scope="module")
def trained():
    X, y = history()
    groups = np.repeat(np.arange(len(X) // 30), 30)
    free = ChainRanker(n_estimators=200, monotone=(), prior_weight=0.0).fit(X, y, group=[30] * (
        len(X) // 30))
    bound = ChainRanker(n_estimators=200).fit(X, y, group_id=groups)
    return free, bound


@pytest.mark.parametrize("neighbour_match", [0.8, 0.4])  # as strong a match, or discounted
def test_a_neighbour_with_an_excellent_record_elsewhere_does_not_outrank_a_maker(
        trained, neighbour_match):
    free, bound = trained
    X = pair(neighbour_match)
    maker, neighbour = bound.predict(X)
    assert maker >= neighbour
    # the history alone would have put the neighbour first: the test can fail
    free_maker, free_neighbour = free.predict(X)
    assert free_neighbour > free_maker


def test_a_stronger_match_never_ranks_lower_all_else_equal(trained):
    _, bound = trained
    X = pd.concat([pair(0.4).iloc[[1]]] * 5, ignore_index=True)
    X[C.MATCH] = np.linspace(0.1, 0.5, 5)
    X[R.WEAK_LINK_FIT] = X[C.MATCH] * 0.6
    assert np.all(np.diff(bound.predict(X)) >= 0)


def test_sample_weights_are_checked_and_change_the_model():
    X, y = history(groups=20)
    sizes = [30] * 20
    with pytest.raises(ValueError, match="sample_weight"):
        ChainRanker(n_estimators=5).fit(X, y, group=sizes, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight"):
        ChainRanker(n_estimators=5).fit(X, y, group=sizes, sample_weight=-np.ones(len(X)))
    plain = ChainRanker(n_estimators=30).fit(X, y, group=sizes).predict(X)
    ones = ChainRanker(n_estimators=30).fit(X, y, group=sizes,
                                            sample_weight=np.ones(len(X))).predict(X)
    np.testing.assert_allclose(ones, plain)
    tilted = ChainRanker(n_estimators=30).fit(
        X, y, group=sizes, sample_weight=np.where(X[C.HOP] == 1, 0.05, 1.0)).predict(X)
    assert not np.allclose(tilted, plain)
