import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFittedError
from recommender.ranking.metrics import ndcg_at_k, weighted_ndcg_at_k
from recommender.ranking.ranker import (
    BIAS,
    CALIBRATION_MARGIN,
    ChainRanker,
    apply_calibration,
    feature_matrix,
    group_sizes,
)

FEATURES = ["match", "size", "distance", "in_china", "noise"]


def _frame(n_groups: int, size: int = 30, seed: int = 0):
    """Query groups whose stages follow a known utility of the first three features."""
    rng = np.random.default_rng(seed)
    n = n_groups * size
    X = pd.DataFrame({
        "match": rng.random(n),
        "size": rng.normal(0, 1, n),
        "distance": rng.gamma(2.0, 2.0, n),
        "in_china": pd.array(rng.random(n) < 0.4, dtype="boolean"),
        "noise": rng.normal(0, 1, n),
    })
    X.loc[rng.random(n) < 0.1, "distance"] = np.nan
    utility = (2 * X["match"] - 0.5 * X["size"] ** 2 - 0.2 * X["distance"].fillna(4)
               + 0.6 * X["in_china"].astype(float) + rng.normal(0, 0.5, n))
    y = np.searchsorted(np.quantile(utility, [0.55, 0.8, 0.92, 0.97]), utility)
    groups = np.repeat([f"g{seed}-{i:03d}" for i in range(n_groups)], size)
    return X, y, groups


@pytest.fixture(scope="module")
def data():
    return _frame(40, seed=0), _frame(12, seed=1), _frame(12, seed=2)


@pytest.fixture(scope="module")
def fitted(data):
    (X, y, g), (Xe, ye, ge), _ = data
    return ChainRanker(n_estimators=150, num_leaves=7).fit(
        X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge)


# --- estimator contract -------------------------------------------------------------------
def test_init_stores_parameters_only_and_clones():
    model = ChainRanker(num_leaves=-3, n_jobs=0)  # caught by fit, not here
    assert model.get_params()["num_leaves"] == -3
    copy = clone(ChainRanker(learning_rate=0.2, random_state=5))
    assert copy.get_params()["learning_rate"] == 0.2 and copy.get_params()["random_state"] == 5
    assert not hasattr(copy, "booster_")


def test_fit_returns_self_and_sets_learned_attributes(data):
    (X, y, g), (Xe, ye, ge), _ = data
    model = ChainRanker(n_estimators=40, num_leaves=7)
    assert model.fit(X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge) is model
    assert model.feature_names_ == FEATURES and model.n_features_in_ == 5
    assert 1 <= model.best_iteration_ <= 40
    assert model.booster_.current_iteration() == model.best_iteration_
    assert model.calibration_["fit_on"] == "eval" and model.calibration_["slope"] > 0


def test_unfitted_model_refuses_to_predict(data):
    X = data[0][0]
    for method in ("predict", "predict_proba_success", "contributions", "as_matrix",
                   "prior_part"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(ChainRanker(), method)(X)


def test_model_learns_the_utility(fitted, data):
    Xt, yt, gt = data[2]
    learned = ndcg_at_k(yt, fitted.predict(Xt), gt)
    random = ndcg_at_k(yt, np.random.default_rng(0).random(len(yt)), gt)
    assert learned > random + 0.2
    assert fitted.feature_importance().index[-1] == "noise" or \
        fitted.feature_importance()["noise"] < fitted.feature_importance()["size"]


def test_a_score_is_the_trees_plus_the_prior_part(fitted, data):
    Xt = data[2][0]
    Xm = fitted.as_matrix(Xt[list(reversed(FEATURES))])  # read by name, in model order
    np.testing.assert_array_equal(Xm, fitted.as_matrix(Xt))
    trees = fitted.booster_.predict(Xm)
    np.testing.assert_allclose(trees + fitted.prior_part(Xm), fitted.predict(Xt), rtol=1e-12)
    plain = ChainRanker.from_booster(fitted.booster_, calibration=fitted.calibration_,
                                     params={"prior_weight": 0.0})
    assert plain.prior_part(Xm) is None


def test_same_seed_same_model_and_seed_matters(data):
    (X, y, g), (Xe, ye, ge), (Xt, *_) = data
    params = {"n_estimators": 60, "num_leaves": 7, "colsample_bytree": 0.6, "subsample": 0.7}
    a = ChainRanker(random_state=3, **params).fit(X, y, group_id=g, eval_set=(Xe, ye),
                                                   eval_group=ge)
    b = ChainRanker(random_state=3, **params).fit(X, y, group_id=g, eval_set=(Xe, ye),
                                                   eval_group=ge)
    c = ChainRanker(random_state=4, **params).fit(X, y, group_id=g, eval_set=(Xe, ye),
                                                   eval_group=ge)
    assert a.booster_.model_to_string() == b.booster_.model_to_string()
    np.testing.assert_array_equal(a.predict(Xt), b.predict(Xt))
    assert not np.array_equal(a.predict(Xt), c.predict(Xt))


def test_group_sizes_and_group_ids_train_the_same_model(data):
    X, y, g = data[0][0], data[0][1], data[0][2]
    sizes = pd.Series(g).groupby(g, sort=False).size().to_numpy()
    a = ChainRanker(n_estimators=20).fit(X, y, group=sizes)
    b = ChainRanker(n_estimators=20).fit(X, y, group_id=g)
    assert a.booster_.model_to_string() == b.booster_.model_to_string()
    assert a.calibration_["fit_on"] == "train"


# --- predictions --------------------------------------------------------------------------
def test_predict_reads_dataframes_by_name(fitted, data):
    Xt = data[2][0]
    shuffled = Xt[FEATURES[::-1]].assign(firm_id="x")
    np.testing.assert_array_equal(fitted.predict(shuffled), fitted.predict(Xt))
    with pytest.raises(InvalidArgument, match=r"missing feature columns \['noise'\]"):
        fitted.predict(Xt.drop(columns="noise"))
    with pytest.raises(InvalidArgument, match="4 features, the model has 5"):
        fitted.predict(Xt.to_numpy(float)[:, :4])


def test_contributions_sum_to_the_score(fitted, data):
    Xt = data[2][0].iloc[:50]
    contrib = fitted.contributions(Xt)
    assert list(contrib.columns) == [*FEATURES, BIAS]
    assert contrib.index.equals(Xt.index)
    np.testing.assert_allclose(contrib.sum(axis=1), fitted.predict(Xt), atol=1e-9)


def test_calibration_is_monotone_and_in_range(fitted, data):
    Xt, yt, _ = data[2]
    p = fitted.predict_proba_success(Xt)
    order = np.argsort(fitted.predict(Xt))
    assert np.all(np.diff(p[order]) >= 0) and 0 < p.min() and p.max() < 1
    # on average about the observed rate of MoU-or-better
    assert abs(p.mean() - (yt >= 3).mean()) < 0.05


def test_calibration_keeps_the_order_past_the_scores_it_was_fitted_on(fitted, data):
    calibration = fitted.calibration_
    high = calibration["high"]
    past = high + np.array([0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1e4])
    p = apply_calibration(past, calibration)
    assert np.all(np.diff(p) > 0)  # a higher score, a higher probability: no ties at the top
    # never far past the highest row's figure: at most CALIBRATION_MARGIN of the range beyond it
    end = high + CALIBRATION_MARGIN * (high - calibration["low"])
    assert p[-1] < 1 / (1 + np.exp(-(calibration["slope"] * end + calibration["intercept"])))
    # a list of distinct scores far above every calibration row shows distinct figures
    Xt = data[2][0]
    top = np.sort(fitted.predict(Xt))[-20:] + 5 * (high - calibration["low"])
    assert len(np.unique(apply_calibration(top, calibration))) == len(np.unique(top))


def test_constant_calibration_when_one_class_only():
    X = pd.DataFrame({"a": np.arange(20.0)})
    y = np.zeros(20, int)
    y[::5] = 1
    model = ChainRanker(n_estimators=5, min_child_samples=2).fit(X, y, group=[10, 10])
    assert model.calibration_["method"] == "constant"
    p = apply_calibration([0.0, 5.0], model.calibration_)
    assert p[0] == p[1] and p[0] < 0.05


# --- validation names the argument --------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({}, "exactly one of group= .* or group_id="),
    ({"group": [60, 60], "group_id": "ids"}, "exactly one of group="),
    ({"group": [100, 100]}, "group: group sizes sum to 200, but there are 120 rows"),
    ({"group": [60, -1, 61]}, "group: group sizes must be positive integers"),
    ({"group": [59.5, 60.5]}, "group: group sizes must be positive integers"),
    ({"group_id": ["a"] * 119}, "group_id: 119 group ids for 120 rows"),
    ({"group_id": ["a"] * 40 + ["b"] * 40 + ["a"] * 40}, "group_id: the rows of group 'a' are "
                                                         "not contiguous"),
    ({"group_id": [None] * 120}, "group_id: group ids must not be missing"),
])
def test_bad_groups_raise_naming_the_argument(kwargs, match):
    X, y, _ = _frame(4)
    if kwargs.get("group_id") == "ids":
        kwargs["group_id"] = np.repeat([0, 1], 60)
    with pytest.raises(InvalidArgument, match=match):
        ChainRanker(n_estimators=2).fit(X, y, **kwargs)


@pytest.mark.parametrize("y, match", [
    (np.full(120, 5), "y: labels must be integers 0..4"),
    (np.full(120, 1.5), "y: labels must be integers 0..4"),
    (np.full(120, -1), "y: labels must be integers 0..4"),
    (np.zeros(119), "y: 119 labels for 120 rows"),
])
def test_bad_labels_raise_naming_y(y, match):
    X, _, g = _frame(4)
    with pytest.raises(InvalidArgument, match=match):
        ChainRanker(n_estimators=2).fit(X, y, group_id=g)


def test_bad_evaluation_window_raises_naming_the_argument():
    X, y, g = _frame(4)
    Xe, ye, ge = _frame(2, seed=1)
    model = ChainRanker(n_estimators=2)
    with pytest.raises(InvalidArgument, match="eval_group: required with eval_set"):
        model.fit(X, y, group_id=g, eval_set=(Xe, ye))
    with pytest.raises(InvalidArgument, match="eval_group: given without eval_set"):
        model.fit(X, y, group_id=g, eval_group=ge)
    with pytest.raises(InvalidArgument, match="eval_group: group sizes sum to 30"):
        model.fit(X, y, group=[30] * 4, eval_set=(Xe, ye), eval_group=[30])
    with pytest.raises(InvalidArgument, match="eval_set: labels must be integers"):
        model.fit(X, y, group_id=g, eval_set=(Xe, ye + 5), eval_group=ge)
    with pytest.raises(InvalidArgument, match="eval_set: missing feature columns"):
        model.fit(X, y, group_id=g, eval_set=(Xe.drop(columns="size"), ye), eval_group=ge)
    with pytest.raises(InvalidArgument, match="eval_set: expected one"):
        model.fit(X, y, group_id=g, eval_set=[(Xe, ye), (Xe, ye)], eval_group=ge)


def test_bad_features_and_parameters_raise():
    X, y, g = _frame(2)
    with pytest.raises(InvalidArgument, match="X: column 'name' is not numeric"):
        ChainRanker(n_estimators=2).fit(X.assign(name="a"), y, group_id=g)
    with pytest.raises(InvalidArgument, match="n_jobs must be a positive integer"):
        ChainRanker(n_jobs=0).fit(X, y, group_id=g)


def test_helpers():
    assert group_sizes(group_id=["a", "a", "b"], n_rows=3).tolist() == [2, 1]
    m, names = feature_matrix(np.ones((2, 3)))
    assert names == ["f0", "f1", "f2"] and m.dtype == np.float64
    m, _ = feature_matrix(pd.DataFrame({"b": pd.array([True, None], dtype="boolean")}))
    assert m[0, 0] == 1.0 and np.isnan(m[1, 0])


# --- boosting from the prior, monotone features ---------------------------------------------
def test_the_score_is_the_prior_plus_the_trees(fitted, data):
    from recommender.ranking.prior import prior_scores

    Xt = data[2][0]
    trees = fitted.booster_.predict(Xt.to_numpy(float))
    np.testing.assert_allclose(fitted.predict(Xt), trees + prior_scores(Xt), atol=1e-12)
    plain = ChainRanker(n_estimators=20, prior_weight=0.0).fit(*data[0][:2],
                                                               group_id=data[0][2])
    np.testing.assert_array_equal(plain.predict(Xt), plain.booster_.predict(Xt.to_numpy(float)))
    with pytest.raises(InvalidArgument, match="prior_weight must be a finite number >= 0"):
        ChainRanker(prior_weight=-1.0).fit(*data[0][:2], group_id=data[0][2])


def test_monotone_features_never_reverse(data):
    X, y, g = data[0]
    model = ChainRanker(n_estimators=60, prior_weight=0.0,
                        monotone={"distance": -1, "match": 1}).fit(X, y, group_id=g)
    rows = data[2][0].iloc[:200]
    for column, direction in (("distance", -1), ("match", 1)):
        moved = rows.assign(**{column: rows[column] + direction * 0.5})
        assert np.all(model.predict(moved) >= model.predict(rows) - 1e-12)
    with pytest.raises(InvalidArgument, match="monotone: directions must be -1, 0 or \\+1"):
        ChainRanker(monotone={"match": 2}).fit(X, y, group_id=g)


# --- fast scoring -------------------------------------------------------------------------
def test_top_k_positions_by_hand():
    from recommender.ranking.compiled import top_k_positions

    assert top_k_positions([0.2, 0.9, 0.2, 0.5], 3).tolist() == [1, 3, 0]
    assert top_k_positions([0.2, 0.9], 5).tolist() == [1, 0]
    assert top_k_positions([], 5).tolist() == []


def test_compiled_ranker_needs_a_fitted_ranker():
    from recommender.ranking.compiled import CompiledRanker

    with pytest.raises(NotFittedError, match="call fit first"):
        CompiledRanker(ChainRanker())


def test_compiled_ranker_needs_lleaves(fitted, monkeypatch):
    import sys

    from recommender.exceptions import DependencyError
    from recommender.ranking.compiled import CompiledRanker

    monkeypatch.setitem(sys.modules, "lleaves", None)
    with pytest.raises(DependencyError, match=r"pip install 'chainscout\[fast\]'"):
        CompiledRanker(fitted)


def test_compiled_ranker_gives_the_exact_top_k(fitted, data, tmp_path):
    pytest.importorskip("lleaves")
    from recommender.ranking.compiled import CompiledRanker, top_k_positions

    Xt = data[2][0]
    fast = CompiledRanker(fitted, cache_dir=tmp_path)
    np.testing.assert_allclose(fast.predict(Xt), fitted.predict(Xt), rtol=0, atol=1e-9)
    positions, scores = fast.top_k(Xt, 25)
    exact = fitted.predict(Xt)
    assert positions.tolist() == top_k_positions(exact, 25).tolist()
    np.testing.assert_array_equal(scores, exact[positions])
    assert len(list(tmp_path.glob("lleaves-*.o"))) == 1


def test_a_missing_hop_reads_as_farther_than_a_neighbour():
    from recommender.ranking.ranker import HOP_UNREACHED

    frame = pd.DataFrame({C.HOP: [0.0, 1.0, np.nan], C.MATCH: [1.0, 0.5, np.nan]})
    Xm, _ = feature_matrix(frame)
    assert Xm[:, 0].tolist() == [0.0, 1.0, HOP_UNREACHED] and HOP_UNREACHED > 1
    assert np.isnan(Xm[2, 1])  # other features keep their missing values


def test_early_stopping_watches_the_weighted_ndcg_when_the_window_is_weighted(data):
    (X, y, g), (Xe, ye, ge), _ = data
    common = {"n_estimators": 300, "early_stopping_rounds": 20}
    plain = ChainRanker(**common).fit(X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge)
    ones = ChainRanker(**common).fit(X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge,
                                     eval_sample_weight=np.ones(len(Xe)))
    assert ones.best_iteration_ == plain.best_iteration_  # unit weights: the same stop
    weight = np.random.default_rng(5).uniform(0.1, 5.0, len(Xe))
    weighted = ChainRanker(**common).fit(X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge,
                                         eval_sample_weight=weight)
    # the score kept is the weighted metric of the model (the prior's part included)
    assert weighted.best_score_ == pytest.approx(
        weighted_ndcg_at_k(ye, weighted.predict(Xe), ge, weight, k=10))
    with pytest.raises(InvalidArgument, match="eval_sample_weight"):
        ChainRanker(n_estimators=5).fit(X, y, group_id=g, eval_sample_weight=weight)
    with pytest.raises(InvalidArgument, match="weights"):
        ChainRanker(n_estimators=5).fit(X, y, group_id=g, eval_set=(Xe, ye), eval_group=ge,
                                        eval_sample_weight=weight[:5])
