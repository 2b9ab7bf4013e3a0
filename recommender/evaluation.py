"""Offline evaluation of rankers: a time split, every method on the later window, a report.

:func:`time_split` cuts a training frame (one row per contacted pair, ``group_id`` =
campaign x weak link, ``date``) into an earlier and a later window by group date (a group's
earliest row date), whole groups only. :func:`evaluate` fits each method on the earlier
window and measures NDCG@10, MAP@10 and Recall@50 (MoU or better, stage >= 3) on the later
one (conventions in :mod:`recommender.metrics`):

``random``      uniform scores from a fixed seed
``size_only``   the officers' instinct: bigger first (log revenue, log head count, size class)
``prior``       the transparent cold-start prior (``recommender.prior.prior_scores``)
``logistic``    scikit-learn ``LogisticRegression`` on ``stage >= logistic_stage`` (2: a site
                visit or better), imputation and scaling inside a ``Pipeline``
``lambdarank``  :class:`~recommender.ranker.ChainRanker`, early stopping on the last
                ``valid_share`` of the earlier window's groups (never on the later window);
                it boosts from the prior (``prior_weight``)
``lambdarank_plain``  the same from scratch (``prior_weight=0``); not in :data:`METHODS`,
                ask for it
``oracle``      the synthetic ``true_utility`` where known (the demo world): the ceiling

Nothing is tuned on the later window. ``comparisons`` gives the per-group difference in
NDCG@10 between lambdarank and the prior (and random) with a paired bootstrap interval over
the later window's groups. :func:`report_markdown` renders the result and
:func:`write_report` writes ``evaluation.json`` and ``evaluation.md``.

>>> train, test = time_split(frame, test_share=0.3)                   # doctest: +SKIP
>>> results = evaluate(train, test, seed=0)                            # doctest: +SKIP
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
from recommender.metrics import RELEVANT_STAGE, group_metrics, ranking_metrics

__all__ = [
    "METHODS",
    "METRICS",
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


# --- the split ------------------------------------------------------------------------------
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


def _random(train, test, ctx) -> np.ndarray:
    return np.random.default_rng(ctx["seed"]).random(len(test))


def _size_only(train, test, ctx) -> np.ndarray:
    return size_score(test)


def _prior(train, test, ctx) -> np.ndarray:
    from recommender.prior import prior_scores

    return np.asarray(prior_scores(test[ctx["features"]]), float)


def _logistic(train, test, ctx) -> np.ndarray:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from recommender.ranker import feature_matrix

    X, _ = feature_matrix(train, ctx["features"])
    target = (train[ctx["label"]].to_numpy() >= ctx["logistic_stage"]).astype(int)
    if target.min() == target.max():
        return np.zeros(len(test))
    model = make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                        keep_empty_features=True),
                          StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    model.fit(X, target)
    return model.decision_function(feature_matrix(test, ctx["features"])[0])


def _fit_ranker(train, ctx, name: str, **overrides):
    from recommender.ranker import ChainRanker

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
    return ranker


def _lambdarank(train, test, ctx) -> np.ndarray:
    return _fit_ranker(train, ctx, "lambdarank").predict(test[ctx["features"]])


def _lambdarank_plain(train, test, ctx) -> np.ndarray:
    """LambdaRank from scratch (``prior_weight=0``): what boosting from the prior adds."""
    return _fit_ranker(train, ctx, "lambdarank_plain", prior_weight=0.0).predict(
        test[ctx["features"]])


def _oracle(train, test, ctx) -> np.ndarray | None:
    truth = ctx["truth"]
    if truth not in test.columns or test[truth].isna().all():
        return None
    return pd.to_numeric(test[truth], errors="coerce").fillna(-np.inf).to_numpy(float)


SCORERS: dict[str, Callable] = {
    "random": _random, "size_only": _size_only, "prior": _prior, "logistic": _logistic,
    "lambdarank": _lambdarank, "lambdarank_plain": _lambdarank_plain, "oracle": _oracle,
}


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
             truth: str = C.TRUE_UTILITY, return_models: bool = False) -> dict:
    """Fit every method on ``train`` and measure it on ``test`` (the later window).

    Parameters
    ----------
    train, test : training frames (one row per contacted pair) of the earlier and the later
        window, from :func:`time_split`.
    methods : among :data:`METHODS`; ``oracle`` is skipped (and says why) without truth.
    seed : the seed of ``random``, of the ranker and of the bootstrap.
    features : feature columns; the feature registry's (``features.feature_names()``) when
        None.
    ranker_params : keyword arguments of :class:`~recommender.ranker.ChainRanker`.
    valid_share : share of the earlier window's latest groups used for early stopping.
    logistic_stage : the stage the logistic regression learns to predict (``stage >= it``).
    return_models : also return the fitted ranker under ``"models"`` (not JSON).

    Returns
    -------
    dict
        ``metrics`` (method -> metric -> value), ``groups`` (method -> groups each mean
        covers), ``comparisons``, ``skipped`` (method -> reason), ``train`` and ``test``
        windows, ``lambdarank`` details, ``seed``, ``relevant``.
    """
    unknown = [m for m in methods if m not in SCORERS]
    if unknown:
        raise ValueError(f"methods: unknown {unknown}; known: {', '.join(SCORERS)}")
    if features is None:
        from recommender.features import feature_names

        features = [f for f in feature_names() if f in train.columns]
    features = list(features)
    for name, part in (("train", train), ("test", test)):
        missing = [c for c in [label, group_id, date, *features] if c not in part.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
        if len(part) == 0:
            raise ValueError(f"{name}: no rows")
    ctx = {"seed": int(seed), "features": features, "label": label, "group_id": group_id,
           "date": date, "truth": truth, "valid_share": valid_share,
           "logistic_stage": logistic_stage, "ranker_params": ranker_params, "details": {},
           "models": {}}
    labels = test[label].to_numpy(float)
    groups = test[group_id].to_numpy()
    metrics, covered, skipped, per_group = {}, {}, {}, {}
    for method in methods:
        scores = SCORERS[method](train, test, ctx)
        if scores is None:
            skipped[method] = f"no {truth} column with values in the later window"
            continue
        out = ranking_metrics(labels, scores, groups, relevant=relevant)
        metrics[method] = {m: out[m] for m in METRICS}
        covered[method] = {k: out[k] for k in ("groups", "groups_ndcg", "groups_relevant")}
        per_group[method] = group_metrics(labels, scores, groups,
                                          relevant=relevant)["ndcg@10"].to_numpy(float)
    comparisons = {}
    for a, b in (("lambdarank", "prior"), ("lambdarank", "random"), ("prior", "random"),
                 ("lambdarank", "logistic"), ("lambdarank", "lambdarank_plain")):
        if a in per_group and b in per_group:
            comparisons[f"{a} - {b}"] = _bootstrap_difference(per_group[a], per_group[b], seed)
    results = {
        "metrics": metrics, "groups": covered, "comparisons": {"ndcg@10": comparisons},
        "skipped": skipped, "features": features,
        "train": window_of(train, date=date, group_id=group_id),
        "test": window_of(test, date=date, group_id=group_id),
        "seed": int(seed), "relevant": int(relevant), "logistic_stage": int(logistic_stage),
        **ctx["details"],
    }
    if return_models:
        results["models"] = ctx["models"]
    return results


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
        "| method | " + " | ".join(METRICS) + " | groups (NDCG / MAP, Recall) |",
        "|---|" + "---:|" * len(METRICS) + "---:|",
    ]
    for method, values in results["metrics"].items():
        g = results["groups"][method]
        lines.append(f"| {method} | " + " | ".join(_fmt(values[m]) for m in METRICS)
                     + f" | {g['groups_ndcg']} / {g['groups_relevant']} |")
    for method, reason in results.get("skipped", {}).items():
        lines.append(f"| {method} | " + " | ".join("–" for _ in METRICS) + f" | {reason} |")
    comparisons = results.get("comparisons", {}).get("ndcg@10", {})
    if comparisons:
        lines += ["", "Per-group NDCG@10 differences (paired bootstrap over held-out groups):",
                  ""]
        for name, c in comparisons.items():
            if c["mean"] is None:
                continue
            lines.append(f"- {name}: {c['mean']:+.3f} (95 % CI {c['ci95'][0]:+.3f} … "
                         f"{c['ci95'][1]:+.3f}; better in {c['wins']}, worse in {c['losses']} "
                         f"of {c['groups']} groups)")
    details = results.get("lambdarank")
    if details:
        top = ", ".join(list(details["importance"])[:5])
        lines += ["", f"LambdaRank: {details['best_iteration']} trees (early stopping on "
                      f"{details['validation']['start']} … {details['validation']['end']}, "
                      f"validation NDCG@10 {_fmt(details['validation_ndcg@10'])}); "
                      f"most used features: {top}."]
    return "\n".join(lines) + "\n"


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
