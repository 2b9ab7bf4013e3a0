"""The ranking methods an evaluation compares, each fitted on an earlier window.

``random``      uniform scores from a fixed seed
``size_only``   the officers' instinct: bigger first (log revenue, log head count, size class)
``prior``       the transparent cold-start prior (``recommender.ranking.prior.prior_scores``)
``logistic``    scikit-learn ``LogisticRegression`` on ``stage >= logistic_stage`` (2: a site
                visit or better), imputation and scaling inside a ``Pipeline``
``lambdarank``  :class:`~recommender.ranking.ranker.ChainRanker`, early stopping on the last
                ``valid_share`` of the earlier window's groups (never on the later window);
                it boosts from the prior (``prior_weight``) and treats the officers'
                selection as :data:`LAMBDARANK_ROWS` says
``lambdarank_contacted``, ``lambdarank_ipw``, ``lambdarank_pool``, ``lambdarank_pool_ipw``
                the selection uncorrected (contacts only), corrected by inverse-propensity
                weights, by the pool rows of :mod:`recommender.ranking.selection`, or by both
                (:data:`SELECTION_METHODS`; not in :data:`METHODS`, ask for them)
``lambdarank_plain``  the same from scratch (``prior_weight=0``); not in :data:`METHODS`,
                ask for it
``oracle``      the synthetic ``true_utility`` where known (the demo world): the ceiling

:data:`SCORERS` maps each name to a function ``(train, ctx) -> scorer``: it fits on the earlier
window ``train`` and returns ``scorer(frame) -> scores`` (None where it cannot score, e.g. the
oracle without truth). ``train`` holds the contacts only; ``ctx`` carries the evaluation's
settings (``seed``, ``features``, ``label``, ``group_id``, ``date``, ``truth``,
``valid_share``, ``logistic_stage``, ``ranker_params``, ``pool_frame``: the earlier window
with its pool rows, when it has them) and collects what the fitted models report
(``details``) and the models themselves (``models``). Fitted once, a scorer ranks the
contacted later window and, on a demo world, every candidate of its campaigns
(:mod:`recommender.ranking.evaluation`).

>>> size_score(pd.DataFrame({"log10_revenue": [1.0, 3.0, np.nan]})).tolist()
[-1.0, 1.0, -inf]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.feature_registry import (
    LOG10_EMPLOYEES,
    LOG10_REVENUE,
    SIZE_RANK,
    feature_names,
)
from recommender.ranking.splits import settled_contacts, time_split, window_of

__all__ = ["LAMBDARANK_ROWS", "METHODS", "SCORERS", "SELECTION_METHODS", "SIZE_CLASS_RANK",
           "SIZE_COLUMNS", "default_features", "size_score"]

METHODS = ("random", "size_only", "prior", "logistic", "lambdarank", "oracle")
# the corrections of the officers' selection compared (recommender.ranking.selection)
SELECTION_METHODS = ("lambdarank_contacted", "lambdarank_ipw", "lambdarank_pool",
                     "lambdarank_pool_ipw")
# how ``lambdarank`` (and ``lambdarank_plain``) treats the officers' selection, chosen on
# seeds 1-6 (benchmarks/bench_ranking_seeds.py, every candidate, share of the prior-to-oracle
# headroom, mean [95 % interval]): the contacts alone, unweighted, 0.18 [0.05, 0.31]; pool rows
# as stage 0, 0.14 [0.04, 0.24], with more one-hop neighbours in the top 10; inverse-propensity
# weights, early stopping on the weighted NDCG, 0.12 [0.02, 0.22]; both, 0.06 [-0.06, 0.18].
# A pool weight of 0.1 (seeds 1-4) and an early-stopping window of 30 % of the groups (0.16)
# did no better than 0.3 and 20 %.
LAMBDARANK_ROWS = {"pool": False, "ipw": False}
# size proxies, in order of preference; any that the frame holds is used
SIZE_COLUMNS = (LOG10_REVENUE, LOG10_EMPLOYEES, SIZE_RANK, C.REVENUE, C.EMPLOYEES)
SIZE_CLASS_RANK = {name: rank for rank, name in enumerate(C.SIZE_CLASSES)}


def default_features(frame: pd.DataFrame) -> list[str]:
    """The registry features present in ``frame``, in registry order: what every method
    learns from when an evaluation is given no ``features``."""
    return [f for f in feature_names() if f in frame.columns]


def size_score(frame: pd.DataFrame, *, columns: Sequence[str] = SIZE_COLUMNS,
               size_class: str = C.SIZE_CLASS) -> np.ndarray:
    """Return a size score: the mean of the standardised size proxies the frame holds.

    Raw revenue and head counts enter as logarithms, the size class by its rank. A row with
    no proxy at all scores -inf (last).
    """
    parts = []
    for name in columns:
        if name in frame.columns:
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float, na_value=np.nan)
            if name in (C.REVENUE, C.EMPLOYEES):
                values = np.log1p(np.maximum(values, 0))
            parts.append(values)
    if size_class in frame.columns and SIZE_RANK not in frame.columns:
        parts.append(frame[size_class].map(SIZE_CLASS_RANK).to_numpy(float, na_value=np.nan))
    if not parts:
        raise InvalidArgument(f"frame: no size column among {[*columns, size_class]}")
    z = []
    for values in parts:
        sd = np.nanstd(values) if np.isfinite(values).any() else 0.0
        z.append((values - np.nanmean(values)) / sd if sd > 0 else np.where(
            np.isnan(values), np.nan, 0.0))
    stacked = np.vstack(z)
    known = ~np.isnan(stacked)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), -np.inf)


def _random(train, ctx) -> Callable:
    return lambda frame: np.random.default_rng(ctx["seed"]).random(len(frame))


def _size_only(train, ctx) -> Callable:
    return size_score


def _prior(train, ctx) -> Callable:
    from recommender.ranking.prior import prior_scores

    return lambda frame: np.asarray(prior_scores(frame[ctx["features"]]), float)


def _logistic(train, ctx) -> Callable:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from recommender.ranking.ranker import feature_matrix

    X, _ = feature_matrix(train, ctx["features"])
    target = (train[ctx["label"]].to_numpy() >= ctx["logistic_stage"]).astype(int)
    if target.min() == target.max():
        return lambda frame: np.zeros(len(frame))
    model = make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                        keep_empty_features=True),
                          StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    model.fit(X, target)
    return lambda frame: model.decision_function(feature_matrix(frame, ctx["features"])[0])


def _fit_ranker(train, ctx, name: str, *, pool: bool = True, ipw: bool = False,
                pool_weight: float | None = None, **overrides):
    """Fit :class:`~recommender.ranking.ranker.ChainRanker` on the earlier window.

    With ``pool`` the groups keep the pool rows the frame holds (weight ``pool_weight``,
    :data:`~recommender.ranking.selection.POOL_WEIGHT` when None); with ``ipw`` each contact
    weighs its clipped inverse propensity of contact, estimated on the contacts and the pool
    rows of the whole earlier window. Early stopping watches the latest ``valid_share`` of the
    groups (with the same rows): NDCG@10, or with ``ipw`` the NDCG@10 with each contact's gain
    weighted by its inverse propensity (:func:`~recommender.ranking.metrics.weighted_ndcg_at_k`),
    the estimate of how the model orders the shortlists rather than the officers' picks. The
    probability mapping is fitted on their contacts only, in the groups settled when the labels
    were cut (``ctx["as_of"]``, :func:`~recommender.ranking.splits.settled_contacts`). A frame
    without pool rows (no :data:`~recommender.ranking.selection.CONTACTED` column) trains on
    its contacts, each weighing 1, whatever ``pool`` and ``ipw`` say.
    """
    from recommender.ranking.ranker import ChainRanker, fit_calibration
    from recommender.ranking.selection import (
        CONTACTED,
        POOL_WEIGHT,
        contact_propensity,
        contacted_only,
        ipw_weights,
    )

    pool_weight = POOL_WEIGHT if pool_weight is None else float(pool_weight)
    full = ctx.get("pool_frame")
    full = train if full is None or CONTACTED not in full.columns else full
    full = full.reset_index(drop=True)
    fit, valid = time_split(full, test_share=ctx["valid_share"], date=ctx["date"],
                            group_id=ctx[C.GROUP_ID])
    weight = eval_weight = None
    if CONTACTED in full.columns:
        contacted = full[CONTACTED].to_numpy(bool)
        weights = np.where(contacted, 1.0, pool_weight)
        if ipw:
            weights = np.where(contacted, ipw_weights(contact_propensity(full), contacted),
                               pool_weight)
        if not pool:
            fit, valid = contacted_only(fit), contacted_only(valid)
        weights = pd.Series(weights, index=full.index)
        weight = weights[fit.index].to_numpy()
        eval_weight = weights[valid.index].to_numpy() if ipw else None
    params = dict(ctx["ranker_params"] or {})
    params.setdefault("random_state", ctx["seed"])
    params.update(overrides)
    ranker = ChainRanker(**params).fit(
        fit[ctx["features"]], fit[ctx["label"]], group_id=fit[ctx[C.GROUP_ID]],
        eval_set=(valid[ctx["features"]], valid[ctx["label"]]),
        eval_group=valid[ctx[C.GROUP_ID]], sample_weight=weight,
        eval_sample_weight=eval_weight)
    # probabilities of an MoU speak of contacts (not of pool rows) whose outcome had shown
    seen = settled_contacts(contacted_only(valid), as_of=ctx.get("as_of"),
                            relevant=ranker.relevant)
    ranker.calibration_ = fit_calibration(ranker.predict(seen[ctx["features"]]),
                                          seen[ctx["label"]].to_numpy(), ranker.relevant,
                                          "eval, settled campaigns")
    ctx["details"][name] = {
        "best_iteration": ranker.best_iteration_, "validation_ndcg@10": ranker.best_score_,
        "validation": window_of(valid, date=ctx["date"], group_id=ctx[C.GROUP_ID]),
        "params": ranker.get_params(), "calibration": ranker.calibration_,
        "rows": {"contacts": int(len(contacted_only(fit))),
                 "pool": int(len(fit) - len(contacted_only(fit))),
                 "weights": "inverse propensity, clipped" if ipw else "none",
                 "pool_weight": pool_weight if pool else None},
        "importance": {k: round(float(v), 1) for k, v in
                       ranker.feature_importance().head(10).items()},
    }
    ctx["models"][name] = ranker
    return lambda frame: ranker.predict(frame[ctx["features"]])


def _lambdarank(train, ctx) -> Callable:
    return _fit_ranker(train, ctx, "lambdarank", **LAMBDARANK_ROWS)


def _lambdarank_plain(train, ctx) -> Callable:
    """LambdaRank from scratch (``prior_weight=0``): what boosting from the prior adds."""
    return _fit_ranker(train, ctx, "lambdarank_plain", prior_weight=0.0, **LAMBDARANK_ROWS)


def _lambdarank_contacted(train, ctx) -> Callable:
    """LambdaRank on the contacts alone, unweighted: the officers' selection uncorrected."""
    return _fit_ranker(train, ctx, "lambdarank_contacted", pool=False, ipw=False)


def _lambdarank_ipw(train, ctx) -> Callable:
    """LambdaRank on the contacts, each weighted by its clipped inverse propensity."""
    return _fit_ranker(train, ctx, "lambdarank_ipw", pool=False, ipw=True)


def _lambdarank_pool(train, ctx) -> Callable:
    """LambdaRank on the contacts and the pool rows of each group, as stage 0 with weight
    :data:`~recommender.ranking.selection.POOL_WEIGHT`."""
    return _fit_ranker(train, ctx, "lambdarank_pool", pool=True, ipw=False)


def _lambdarank_pool_ipw(train, ctx) -> Callable:
    """LambdaRank on the pool rows and the contacts, these weighted by their inverse
    propensity (early stopping on the weighted NDCG)."""
    return _fit_ranker(train, ctx, "lambdarank_pool_ipw", pool=True, ipw=True)


def _oracle(train, ctx) -> Callable:
    truth = ctx["truth"]

    def score(frame) -> np.ndarray | None:
        if truth not in frame.columns or frame[truth].isna().all():
            return None
        return pd.to_numeric(frame[truth], errors="coerce").fillna(-np.inf).to_numpy(float)

    return score


SCORERS: dict[str, Callable] = {
    "random": _random, "size_only": _size_only, "prior": _prior, "logistic": _logistic,
    "lambdarank": _lambdarank, "lambdarank_plain": _lambdarank_plain,
    "lambdarank_contacted": _lambdarank_contacted, "lambdarank_ipw": _lambdarank_ipw,
    "lambdarank_pool": _lambdarank_pool, "lambdarank_pool_ipw": _lambdarank_pool_ipw,
    "oracle": _oracle,
}
