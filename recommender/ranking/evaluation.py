"""Offline evaluation of rankers: a time split, every method on the later window, a report.

:func:`time_split` cuts a training frame (one row per contacted pair, ``group_id`` =
campaign x weak link, ``date``) into an earlier and a later window by group date (a group's
earliest row date), whole groups only. :func:`evaluate` fits each method on the earlier
window and measures NDCG@10, MAP@10 and Recall@50 (MoU or better, stage >= 3) on the later
one (conventions in :mod:`recommender.ranking.metrics`):

``random``      uniform scores from a fixed seed
``size_only``   the officers' instinct: bigger first (log revenue, log head count, size class)
``prior``       the transparent cold-start prior (``recommender.ranking.prior.prior_scores``)
``logistic``    scikit-learn ``LogisticRegression`` on ``stage >= logistic_stage`` (2: a site
                visit or better), imputation and scaling inside a ``Pipeline``
``lambdarank``  :class:`~recommender.ranking.ranker.ChainRanker`, early stopping on the last
                ``valid_share`` of the earlier window's groups (never on the later window);
                it boosts from the prior (``prior_weight``)
``lambdarank_plain``  the same from scratch (``prior_weight=0``); not in :data:`METHODS`,
                ask for it
``oracle``      the synthetic ``true_utility`` where known (the demo world): the ceiling

Nothing is tuned on the later window. ``comparisons`` gives the per-group difference in
NDCG@10 between lambdarank and the prior (and random) with a paired bootstrap interval over
the later window's groups. :func:`report_markdown` renders the result and
:func:`write_report` writes ``evaluation.json`` and ``evaluation.md``.

Two additions to the protocol, both reported beside the contacted-only table:

- **Every candidate** (demo worlds only). A held-out group holds only the 20-80 firms the
  officers contacted, picked by their own bias (big, listed, famous firms), so the table
  measures how well a method reorders the officers' picks, not how well it finds firms among
  all of a weak link's candidates, which is what it is used for. With ``candidates``
  (``features.truth_frame``: every candidate of the held-out campaigns, contacted or not) each
  fitted method also ranks those, and each candidate's outcome is drawn from its true utility
  with the generator's outcome model (:func:`draw_stages`); metrics are averaged over the
  draws. Recall@50 there divides by the hundreds of candidates that would reach an MoU, so it
  is small for every method.
- **Rolling-origin backtest** (:func:`backtest`): the latest half of the groups in several
  consecutive windows, each held out in turn with the methods fitted on everything before it;
  pooling their groups tightens the paired intervals.

>>> train, test = time_split(frame, test_share=0.3)                   # doctest: +SKIP
>>> results = evaluate(train, test, seed=0)                            # doctest: +SKIP
>>> every = evaluate(train, test, candidates=truth_frame(data, weak_links, ids),
...                  outcome_model=data.outcome_model)                 # doctest: +SKIP
>>> print(report_markdown(results))                                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.ranking.metrics import RELEVANT_STAGE, group_metrics

__all__ = [
    "METHODS",
    "METRICS",
    "backtest",
    "default_features",
    "draw_stages",
    "evaluate",
    "group_dates",
    "json_ready",
    "report_markdown",
    "size_score",
    "time_split",
    "window_of",
    "write_report",
]

METHODS = ("random", "size_only", "prior", "logistic", "lambdarank", "oracle")
METRICS = ("ndcg@10", "map@10", "recall@50")
# size proxies, in order of preference; any that the frame holds is used
SIZE_COLUMNS = ("log10_revenue", "log10_employees", "size_rank", C.REVENUE, C.EMPLOYEES)
SIZE_CLASS_RANK = {"nano": 0, "micro": 1, "small": 2, "mid": 3, "large": 4, "mega": 5}
BOOTSTRAP_SAMPLES = 2000
BACKTEST_FOLDS, BACKTEST_SHARE = 4, 0.5  # rolling-origin windows over the latest half
DRAWS = 20  # outcome draws per candidate when every candidate is graded (demo world only)
MAX_STAGE = 4  # outcome stages 0..4
COMPARED = (("lambdarank", "prior"), ("lambdarank", "random"), ("prior", "random"),
            ("lambdarank", "logistic"), ("lambdarank", "lambdarank_plain"))


# --- the split ------------------------------------------------------------------------------
def default_features(frame: pd.DataFrame) -> list[str]:
    """The registry features present in ``frame``, in registry order: what every method
    learns from when :func:`evaluate` is given no ``features``."""
    from recommender.ranking.features import feature_names

    return [f for f in feature_names() if f in frame.columns]


def group_dates(frame: pd.DataFrame, *, date: str = C.DATE,
                group_id: str = C.GROUP_ID) -> pd.Series:
    """Return each group's date (its earliest row date), sorted by date, then group id."""
    for name in (date, group_id):
        if name not in frame.columns:
            raise ValueError(f"frame: missing column {name!r}")
    dates = pd.to_datetime(frame[date]).groupby(frame[group_id], sort=False).min()
    order = np.lexsort((dates.index.astype(str), dates.to_numpy()))
    return dates.iloc[order]


def time_split(frame: pd.DataFrame, *, test_share: float | None = None, cutoff=None,
               date: str = C.DATE, group_id: str = C.GROUP_ID
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (earlier, later) windows of whole groups, by group date.

    Parameters
    ----------
    test_share : share of the groups in the later window (the latest ones), rounded up;
        0.3 when neither argument is given.
    cutoff : date; groups dated on or after it form the later window.

    Rows keep their order within each part.

    >>> frame = pd.DataFrame({"group_id": ["a", "a", "b", "c"],
    ...                       "date": ["2024-01-05", "2024-03-01", "2024-02-01", "2024-06-01"]})
    >>> [part["group_id"].unique().tolist() for part in time_split(frame, test_share=0.5)]
    [['a'], ['b', 'c']]
    """
    if test_share is not None and cutoff is not None:
        raise ValueError("pass test_share or cutoff, not both")
    dates = group_dates(frame, date=date, group_id=group_id)
    if len(dates) < 2:
        raise ValueError(f"frame: {len(dates)} group(s); a time split needs at least two")
    if cutoff is not None:
        try:
            when = pd.Timestamp(cutoff)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cutoff: not a date: {cutoff!r}") from exc
        later = dates.index[dates.to_numpy() >= np.datetime64(when)]
    else:
        share = 0.3 if test_share is None else test_share
        if not (isinstance(share, (int, float)) and 0 < share < 1):
            raise ValueError(f"test_share must be in (0, 1), got {share!r}")
        n_test = math.ceil(share * len(dates))
        later = dates.index[len(dates) - n_test:]
    if len(later) == 0 or len(later) == len(dates):
        which = "no" if len(later) == 0 else "every"
        argument = "cutoff" if cutoff is not None else "test_share"
        raise ValueError(f"the split leaves {which} group in the later window; "
                         f"choose another {argument}")
    is_later = frame[group_id].isin(set(later)).to_numpy()
    return frame[~is_later], frame[is_later]


def window_of(frame: pd.DataFrame, *, date: str = C.DATE, group_id: str = C.GROUP_ID) -> dict:
    """Return rows, groups and the first and last group dates of a window."""
    dates = group_dates(frame, date=date, group_id=group_id)
    return {"rows": int(len(frame)), "groups": int(len(dates)),
            "start": str(dates.iloc[0].date()) if len(dates) else None,
            "end": str(dates.iloc[-1].date()) if len(dates) else None}


# --- the methods ----------------------------------------------------------------------------
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
    if size_class in frame.columns and "size_rank" not in frame.columns:
        parts.append(frame[size_class].map(SIZE_CLASS_RANK).to_numpy(float, na_value=np.nan))
    if not parts:
        raise ValueError(f"frame: no size column among {[*columns, size_class]}")
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


# Each method fits on the earlier window (``train``) and returns a scorer: frame -> scores (None
# where it cannot score, e.g. the oracle without truth). Fitted once, a scorer ranks the
# contacted later window and, on a demo world, every candidate of its campaigns.
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


def _fit_ranker(train, ctx, name: str, **overrides):
    from recommender.ranking.ranker import ChainRanker

    fit, valid = time_split(train, test_share=ctx["valid_share"], date=ctx["date"],
                            group_id=ctx["group_id"])
    params = dict(ctx["ranker_params"] or {})
    params.setdefault("random_state", ctx["seed"])
    params.update(overrides)
    ranker = ChainRanker(**params).fit(
        fit[ctx["features"]], fit[ctx["label"]], group_id=fit[ctx["group_id"]],
        eval_set=(valid[ctx["features"]], valid[ctx["label"]]),
        eval_group=valid[ctx["group_id"]])
    ctx["details"][name] = {
        "best_iteration": ranker.best_iteration_, "validation_ndcg@10": ranker.best_score_,
        "validation": window_of(valid, date=ctx["date"], group_id=ctx["group_id"]),
        "params": ranker.get_params(), "calibration": ranker.calibration_,
        "importance": {k: round(float(v), 1) for k, v in
                       ranker.feature_importance().head(10).items()},
    }
    ctx["models"][name] = ranker
    return lambda frame: ranker.predict(frame[ctx["features"]])


def _lambdarank(train, ctx) -> Callable:
    return _fit_ranker(train, ctx, "lambdarank")


def _lambdarank_plain(train, ctx) -> Callable:
    """LambdaRank from scratch (``prior_weight=0``): what boosting from the prior adds."""
    return _fit_ranker(train, ctx, "lambdarank_plain", prior_weight=0.0)


def _oracle(train, ctx) -> Callable:
    truth = ctx["truth"]

    def score(frame) -> np.ndarray | None:
        if truth not in frame.columns or frame[truth].isna().all():
            return None
        return pd.to_numeric(frame[truth], errors="coerce").fillna(-np.inf).to_numpy(float)

    return score


SCORERS: dict[str, Callable] = {
    "random": _random, "size_only": _size_only, "prior": _prior, "logistic": _logistic,
    "lambdarank": _lambdarank, "lambdarank_plain": _lambdarank_plain, "oracle": _oracle,
}


def draw_stages(utility, thresholds, noise_sd: float, *, draws: int = DRAWS,
                seed: int = 0) -> np.ndarray:
    """Draw outcome stages from true utilities, as the demo world's latent model does.

    A contact's stage is the number of ``thresholds`` below ``utility + noise``, noise
    N(0, ``noise_sd``²) (``data/README.md``, "The latent model"). Returns an int8 array of
    shape (``draws``, rows), one independent draw per row; a missing utility gives stage 0.

    >>> draw_stages([-9.0, 0.5, 9.0], [0.0, 1.0, 2.0, 3.0], 0.0, draws=1).tolist()
    [[0, 1, 4]]
    """
    u = np.asarray(utility, float)
    t = np.asarray(thresholds, float)
    if t.ndim != 1 or len(t) != MAX_STAGE or np.any(np.diff(t) <= 0):
        raise ValueError(f"thresholds: expected {MAX_STAGE} increasing values, got {t.tolist()}")
    if not (np.isfinite(noise_sd) and noise_sd >= 0):
        raise ValueError(f"noise_sd: expected a finite number >= 0, got {noise_sd!r}")
    rng = np.random.default_rng(seed)
    out = np.empty((int(draws), len(u)), np.int8)
    for d in range(int(draws)):
        noisy = np.where(np.isnan(u), -np.inf, u) + rng.normal(0.0, noise_sd, len(u))
        out[d] = np.searchsorted(t, noisy, side="right")
    return out


# --- evaluation -----------------------------------------------------------------------------
def _bootstrap_difference(a: np.ndarray, b: np.ndarray, seed: int) -> dict:
    """Mean per-group difference a - b with a 95 % paired bootstrap interval over groups."""
    keep = ~(np.isnan(a) | np.isnan(b))
    diff = a[keep] - b[keep]
    if len(diff) == 0:
        return {"groups": 0, "mean": None, "ci95": [None, None], "wins": 0, "losses": 0}
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(diff), size=(BOOTSTRAP_SAMPLES, len(diff)))
    means = diff[samples].mean(axis=1)
    return {"groups": int(len(diff)), "mean": float(diff.mean()),
            "ci95": [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))],
            "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum())}


def evaluate(train: pd.DataFrame, test: pd.DataFrame, *, methods: Sequence[str] = METHODS,
             seed: int = 0, features: Sequence[str] | None = None,
             ranker_params: Mapping | None = None, valid_share: float = 0.2,
             logistic_stage: int = 2, relevant: int = RELEVANT_STAGE,
             label: str = C.LABEL, group_id: str = C.GROUP_ID, date: str = C.DATE,
             truth: str = C.TRUE_UTILITY, candidates: pd.DataFrame | None = None,
             outcome_model: Mapping | None = None, draws: int = DRAWS,
             return_models: bool = False) -> dict:
    """Fit every method on ``train`` and measure it on ``test`` (the later window).

    Parameters
    ----------
    train, test : training frames (one row per contacted pair) of the earlier and the later
        window, from :func:`time_split`.
    methods : among :data:`METHODS`; ``oracle`` is skipped (and says why) without truth.
    seed : the seed of ``random``, of the ranker, of the bootstrap and of the outcome draws.
    features : feature columns; the feature registry's (``features.feature_names()``) when
        None.
    ranker_params : keyword arguments of :class:`~recommender.ranking.ranker.ChainRanker`.
    valid_share : share of the earlier window's latest groups used for early stopping.
    logistic_stage : the stage the logistic regression learns to predict (``stage >= it``).
    candidates : demo worlds only: every candidate of the later window's campaigns, contacted
        or not (``features.truth_frame``), with ``group_id``, the features and ``truth``.
        Every method, fitted once on ``train``, ranks them too; each candidate's outcome is
        drawn ``draws`` times from its true utility with ``outcome_model``
        (:func:`draw_stages`), and the metrics are averaged over the draws.
    outcome_model : ``thresholds`` and ``noise_sd`` of the demo world (``ChainData``'s
        ``outcome_model``); required with ``candidates``.
    return_models : also return the fitted ranker under ``"models"`` (not JSON).

    Returns
    -------
    dict
        ``metrics`` (method -> metric -> value), ``groups`` (method -> groups each mean
        covers), ``comparisons``, ``skipped`` (method -> reason), ``train`` and ``test``
        windows, ``lambdarank`` details, ``seed``, ``relevant``; with ``candidates``, also
        ``every_candidate`` (``metrics``, ``groups``, ``comparisons``, ``rows``, ``draws``).
    """
    results, _, _ = _evaluate_window(
        train, test, methods=methods, seed=seed, features=features,
        ranker_params=ranker_params, valid_share=valid_share, logistic_stage=logistic_stage,
        relevant=relevant, label=label, group_id=group_id, date=date, truth=truth,
        candidates=candidates, outcome_model=outcome_model, draws=draws)
    if not return_models:
        results.pop("models")
    return results


def _evaluate_window(train, test, *, methods, seed, features, ranker_params, valid_share,
                     logistic_stage, relevant, label, group_id, date, truth, candidates,
                     outcome_model, draws) -> tuple[dict, dict, dict]:
    """:func:`evaluate`'s work; also return the per-group metric tables of each method (on
    the contacted later window, and on every candidate when given)."""
    unknown = [m for m in methods if m not in SCORERS]
    if unknown:
        raise ValueError(f"methods: unknown {unknown}; known: {', '.join(SCORERS)}")
    if len(test):  # learn only what was known when the later window began
        from recommender.ranking.features import labels_as_of

        train = labels_as_of(train, test[date].min())
    features = default_features(train) if features is None else list(features)
    for name, part in (("train", train), ("test", test)):
        missing = [c for c in [label, group_id, date, *features] if c not in part.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
        if len(part) == 0:
            raise ValueError(f"{name}: no rows")
    stages = None
    if candidates is not None:
        stages = _candidate_stages(candidates, outcome_model, features=features, draws=draws,
                                   seed=seed, group_id=group_id, truth=truth)
    ctx = {"seed": int(seed), "features": features, "label": label, "group_id": group_id,
           "date": date, "truth": truth, "valid_share": valid_share,
           "logistic_stage": logistic_stage, "ranker_params": ranker_params, "details": {},
           "models": {}}
    labels = test[label].to_numpy(float)
    groups = test[group_id].to_numpy()
    tables, every, skipped = {}, {}, {}
    for method in methods:
        scorer = SCORERS[method](train, ctx)
        scores = scorer(test)
        if scores is None:
            skipped[method] = f"no {truth} column with values in the later window"
            continue
        tables[method] = group_metrics(labels, scores, groups, relevant=relevant)
        if stages is not None:
            every[method] = _drawn_group_metrics(stages, scorer(candidates),
                                                 candidates[group_id].to_numpy(), relevant)
    results = {
        **_summary(tables, seed), "skipped": skipped, "features": features,
        "train": window_of(train, date=date, group_id=group_id),
        "test": window_of(test, date=date, group_id=group_id),
        "seed": int(seed), "relevant": int(relevant), "logistic_stage": int(logistic_stage),
        **ctx["details"],
    }
    if stages is not None:
        results["every_candidate"] = {
            **_summary(every, seed), "rows": int(len(candidates)),
            "group_count": int(candidates[group_id].nunique()), "draws": int(draws),
            "outcome_model": {k: outcome_model[k] for k in ("thresholds", "noise_sd")},
        }
    results["models"] = ctx["models"]
    return results, tables, every


def backtest(frame: pd.DataFrame, *, folds: int = BACKTEST_FOLDS,
             test_share: float = BACKTEST_SHARE, methods: Sequence[str] = METHODS,
             seed: int = 0, features: Sequence[str] | None = None,
             ranker_params: Mapping | None = None, valid_share: float = 0.2,
             logistic_stage: int = 2, relevant: int = RELEVANT_STAGE, label: str = C.LABEL,
             group_id: str = C.GROUP_ID, date: str = C.DATE, truth: str = C.TRUE_UTILITY,
             candidates: pd.DataFrame | None = None, outcome_model: Mapping | None = None,
             draws: int = DRAWS) -> dict:
    """Rolling-origin evaluation: several later windows in turn, each method fitted before each.

    The latest ``test_share`` of the groups (by group date) are cut into ``folds`` consecutive
    windows; each is held out in turn, with every method fitted (as in :func:`evaluate`) on
    all the groups dated before it. The held-out groups of all windows are pooled: more groups
    than one split holds out, hence tighter paired intervals, at the price of earlier windows
    trained on less history. ``candidates`` (every candidate of the held-out campaigns, demo
    worlds only) are graded as in :func:`evaluate`.

    Returns
    -------
    dict
        ``metrics``, ``groups`` and ``comparisons`` over the pooled held-out groups;
        ``folds`` (per window: ``train`` and ``test`` windows, LambdaRank's trees);
        ``test`` (all held-out groups); ``skipped``; with ``candidates``, ``every_candidate``.

    Examples
    --------
    >>> out = backtest(frame, folds=4, test_share=0.5)                   # doctest: +SKIP
    >>> out["comparisons"]["ndcg@10"]["lambdarank - prior"]["ci95"]    # doctest: +SKIP
    """
    if not (isinstance(folds, (int, np.integer)) and folds >= 1):
        raise ValueError(f"folds must be a positive integer, got {folds!r}")
    if not (isinstance(test_share, (int, float)) and 0 < test_share < 1):
        raise ValueError(f"test_share must be in (0, 1), got {test_share!r}")
    dates = group_dates(frame, date=date, group_id=group_id)
    first = len(dates) - math.ceil(test_share * len(dates))
    if first < 1 or len(dates) - first < folds:
        raise ValueError(f"frame: {len(dates)} groups cannot give {folds} later windows of "
                         f"test_share {test_share} with earlier groups to learn from")
    bounds = np.linspace(first, len(dates), folds + 1).round().astype(int)
    pooled: dict[str, list] = {}
    pooled_every: dict[str, list] = {}
    windows, skipped = [], {}
    for k in range(folds):
        held = dates.index[bounds[k]:bounds[k + 1]]
        is_held = frame[group_id].isin(set(held)).to_numpy()
        # strictly before the window: a group dated on its first day is not learned from
        # (it can only be a tie left in the previous window, or before the first one)
        earlier = dates.iloc[:bounds[k]]
        earlier = earlier[earlier < dates.iloc[bounds[k]]]
        is_before = frame[group_id].isin(set(earlier.index)).to_numpy()
        part = None if candidates is None else candidates[
            candidates[group_id].isin(set(held)).to_numpy()]
        part = part if part is not None and len(part) else None
        results, tables, every = _evaluate_window(
            frame[is_before], frame[is_held], methods=methods, seed=seed, features=features,
            ranker_params=ranker_params, valid_share=valid_share,
            logistic_stage=logistic_stage, relevant=relevant, label=label, group_id=group_id,
            date=date, truth=truth, candidates=part, outcome_model=outcome_model, draws=draws)
        skipped.update(results["skipped"])
        windows.append({"train": results["train"], "test": results["test"],
                        "lambdarank_trees": results.get("lambdarank", {}).get("best_iteration")})
        for method, table in tables.items():
            pooled.setdefault(method, []).append(table)
        for method, table in every.items():
            pooled_every.setdefault(method, []).append(table)
    # a method skipped in one window (no truth there) is left out of the pooled means
    complete = [m for m in methods if len(pooled.get(m, [])) == folds]
    skipped.update({m: "skipped in some windows" for m in pooled if m not in complete})
    out = {
        **_summary({m: pd.concat(pooled[m], ignore_index=True) for m in complete}, seed),
        "folds": windows, "skipped": {m: r for m, r in skipped.items() if m not in complete},
        "test": window_of(frame[frame[group_id].isin(set(dates.index[first:])).to_numpy()],
                          date=date, group_id=group_id),
        "test_share": float(test_share), "seed": int(seed), "relevant": int(relevant),
    }
    if candidates is not None:
        graded = candidates.loc[candidates[group_id].isin(set(dates.index[first:])).to_numpy(),
                                group_id]
        out["every_candidate"] = {
            **_summary({m: pd.concat(pooled_every[m], ignore_index=True) for m in complete
                        if len(pooled_every.get(m, [])) == folds}, seed),
            "rows": int(len(graded)), "group_count": int(graded.nunique()), "draws": int(draws),
            "outcome_model": {k: outcome_model[k] for k in ("thresholds", "noise_sd")},
        }
    return out


def _summary(tables: Mapping[str, pd.DataFrame], seed: int) -> dict:
    """Means over groups, the groups each mean covers, and the paired comparisons."""
    return {
        "metrics": {method: {m: _mean(t[m]) for m in METRICS} for method, t in tables.items()},
        "groups": {method: _coverage(t) for method, t in tables.items()},
        "comparisons": {"ndcg@10": _comparisons(
            {method: t["ndcg@10"].to_numpy(float) for method, t in tables.items()}, seed)},
    }


def _mean(values) -> float:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def _coverage(table: pd.DataFrame) -> dict:
    return {"groups": int(len(table)), "groups_ndcg": int(table["ndcg@10"].notna().sum()),
            "groups_relevant": int(table["recall@50"].notna().sum())}


def _comparisons(per_group: Mapping[str, np.ndarray], seed: int) -> dict:
    return {f"{a} - {b}": _bootstrap_difference(per_group[a], per_group[b], seed)
            for a, b in COMPARED if a in per_group and b in per_group}


def _candidate_stages(candidates: pd.DataFrame, outcome_model: Mapping | None, *, features,
                      draws: int, seed: int, group_id: str, truth: str) -> np.ndarray:
    """Check the every-candidate inputs; return the drawn stages (draws x rows)."""
    if outcome_model is None or any(k not in outcome_model for k in ("thresholds", "noise_sd")):
        raise ValueError("outcome_model: thresholds and noise_sd are needed to grade "
                         "every candidate")
    missing = [c for c in [group_id, truth, *features] if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates: missing columns {missing}")
    if len(candidates) == 0:
        raise ValueError("candidates: no rows")
    if not (isinstance(draws, (int, np.integer)) and draws >= 1):
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    return draw_stages(candidates[truth].to_numpy(float), outcome_model["thresholds"],
                       float(outcome_model["noise_sd"]), draws=draws, seed=seed)


def _drawn_group_metrics(stages: np.ndarray, scores: np.ndarray, groups: np.ndarray,
                         relevant: int) -> pd.DataFrame:
    """Each group's metrics averaged over the outcome draws (over the draws that define them)."""
    total = count = None
    for labels in stages:
        table = group_metrics(labels, scores, groups, relevant=relevant)[list(METRICS)]
        values = table.to_numpy(float)
        known = ~np.isnan(values)
        total = np.where(known, values, 0.0) + (0.0 if total is None else total)
        count = known.astype(int) + (0 if count is None else count)
    with np.errstate(invalid="ignore"):
        return pd.DataFrame(np.where(count > 0, total / np.maximum(count, 1), np.nan),
                            columns=list(METRICS))


# --- reports --------------------------------------------------------------------------------
def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.3f}"


def report_markdown(results: Mapping) -> str:
    """Render :func:`evaluate`'s results as a short Markdown report."""
    train, test = results["train"], results["test"]
    lines = [
        "# Ranking evaluation", "",
        f"- earlier window (training): {train['start']} … {train['end']}, "
        f"{train['groups']} groups, {train['rows']} contacts",
        f"- later window (held out): {test['start']} … {test['end']}, "
        f"{test['groups']} groups, {test['rows']} contacts",
        f"- relevant: stage >= {results['relevant']} (MoU or better) for MAP and Recall; "
        f"NDCG gains 2^stage - 1; ties broken pessimistically; groups without a relevant "
        f"contact are left out of each mean", "",
        *_TABLE_HEAD,
    ]
    lines += _metric_rows(results["metrics"], results["groups"])
    for method, reason in results.get("skipped", {}).items():
        lines.append(f"| {method} | " + " | ".join("–" for _ in METRICS) + f" | {reason} |")
    lines += _comparison_lines(results.get("comparisons", {}).get("ndcg@10", {}))
    every = results.get("every_candidate")
    if every:
        model = every["outcome_model"]
        lines += [
            "", "## Every candidate of the held-out campaigns (demo world only)", "",
            f"- {every['rows']} candidates in {every['group_count']} groups: every firm the "
            f"generator considered for each held-out campaign's weak link, contacted or not, "
            f"ranked by the same fitted methods",
            f"- each candidate's outcome drawn {every['draws']} times from its true utility, "
            f"as the generator draws a contact's: the stage is how many of the thresholds "
            f"{', '.join(f'{t:.2f}' for t in model['thresholds'])} lie below utility + "
            f"N(0, {model['noise_sd']:g}²); a group's metric is averaged over the draws", "",
            *_TABLE_HEAD,
        ]
        lines += _metric_rows(every["metrics"], every["groups"])
        lines += _comparison_lines(every["comparisons"]["ndcg@10"])
    details = results.get("lambdarank")
    if details:
        top = ", ".join(list(details["importance"])[:5])
        lines += ["", f"LambdaRank: {details['best_iteration']} trees (early stopping on "
                      f"{details['validation']['start']} … {details['validation']['end']}, "
                      f"validation NDCG@10 {_fmt(details['validation_ndcg@10'])}); "
                      f"most used features: {top}."]
    rolling = results.get("backtest")
    if rolling:
        lines += _backtest_lines(rolling)
    return "\n".join(lines) + "\n"


def _backtest_lines(rolling: Mapping) -> list[str]:
    test = rolling["test"]
    trees = ", ".join(str(w["lambdarank_trees"]) for w in rolling["folds"]
                      if w["lambdarank_trees"] is not None)
    head = ["| method | " + " | ".join(METRICS) + " | groups (NDCG / MAP, Recall) |",
            "|---|" + "---:|" * len(METRICS) + "---:|"]
    lines = [
        "", "## Rolling-origin backtest", "",
        f"- the latest {rolling['test_share']:.0%} of the groups ({test['start']} … "
        f"{test['end']}, {test['groups']} groups, {test['rows']} contacts) in "
        f"{len(rolling['folds'])} consecutive windows, each held out in turn with every method "
        f"fitted on all groups before it; held-out groups pooled"
        + (f"; LambdaRank trees per window: {trees}" if trees else ""), "",
        *head, *_metric_rows(rolling["metrics"], rolling["groups"]),
    ]
    lines += _comparison_lines(rolling["comparisons"]["ndcg@10"])
    every = rolling.get("every_candidate")
    if every:
        lines += ["", f"Every candidate of those campaigns ({every['rows']} candidates, "
                      f"{every['group_count']} groups, {every['draws']} outcome draws):", "",
                  *head, *_metric_rows(every["metrics"], every["groups"])]
        lines += _comparison_lines(every["comparisons"]["ndcg@10"])
    return lines


_TABLE_HEAD = ("| method | " + " | ".join(METRICS) + " | groups (NDCG / MAP, Recall) |",
               "|---|" + "---:|" * len(METRICS) + "---:|")


def _metric_rows(metrics: Mapping, groups: Mapping) -> list[str]:
    return [f"| {method} | " + " | ".join(_fmt(values[m]) for m in METRICS)
            + f" | {groups[method]['groups_ndcg']} / {groups[method]['groups_relevant']} |"
            for method, values in metrics.items()]


def _comparison_lines(comparisons: Mapping) -> list[str]:
    if not comparisons:
        return []
    lines = ["", "Per-group NDCG@10 differences (paired bootstrap over held-out groups):", ""]
    for name, c in comparisons.items():
        if c["mean"] is None:
            continue
        lines.append(f"- {name}: {c['mean']:+.3f} (95 % CI {c['ci95'][0]:+.3f} … "
                     f"{c['ci95'][1]:+.3f}; better in {c['wins']}, worse in {c['losses']} "
                     f"of {c['groups']} groups)")
    return lines


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_report(results: Mapping, out_dir) -> dict[str, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` under ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plain = json_ready(results)
    paths = {"json": out / "evaluation.json", "markdown": out / "evaluation.md"}
    _write_text(paths["json"], json.dumps(plain, indent=2, ensure_ascii=False, default=_jsonable,
                                          allow_nan=False) + "\n")
    _write_text(paths["markdown"], report_markdown(results))
    return paths


def json_ready(value):
    """Return ``value`` with NaN and infinities as None (recursively), for strict JSON.

    The fitted models that ``evaluate(..., return_models=True)`` adds (key ``models``) are left
    out.
    """
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items() if k != "models"}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return str(value)
