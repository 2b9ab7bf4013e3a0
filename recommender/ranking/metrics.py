"""Ranking metrics over query groups: NDCG@k, MAP@k and Recall@k of graded outcomes.

Every function takes one label, one score and one group id per row (rows of a group need not be
adjacent), computes the metric within each group and returns the mean over groups.

Conventions
-----------
- **Labels** are outcome stages 0..4 (0 declined or no answer, 1 responded, 2 site visit,
  3 MoU, 4 invested). NDCG uses the gain ``2**label - 1`` and the discount
  ``1 / log2(1 + position)``; MAP and Recall count a row as relevant when
  ``label >= relevant`` (3 by default: an MoU or better).
- **Ties** in the scores are broken pessimistically: among equal scores the lower label comes
  first. The order is then a function of the scores and labels alone (never of the row order)
  and a model gains nothing from ties: a constant scorer gets the worst case.
- **Groups without a relevant row** (NDCG: every gain 0; MAP and Recall: no row with
  ``label >= relevant``) have no defined value. They are left out of the mean, and
  :func:`group_metrics` reports them as NaN. A mean over no group at all is NaN.
- AP@k divides by ``min(R, k)``, R the relevant rows of the group, so a perfect top k scores 1
  even when R > k. Recall@k divides by R.
- Over a whole universe of candidates (demo worlds, where each candidate's true utility is
  known), :func:`group_spearman` gives each group's rank correlation of score with the truth
  and :func:`group_top_share` the share of its top k carrying a flag (one-hop neighbours),
  ties broken against the method (flagged rows first).

>>> labels, scores, groups = [3, 0, 1, 0], [0.9, 0.8, 0.1, 0.5], ["a", "a", "b", "b"]
>>> round(ndcg_at_k(labels, scores, groups, k=2), 4)   # group b alone: 1 / log2(3) = 0.6309
0.8155
>>> map_at_k(labels, scores, groups, k=2), recall_at_k(labels, scores, groups, k=1)
(1.0, 1.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.exceptions import InvalidArgument

__all__ = [
    "DEFAULT_CUTOFFS",
    "RELEVANT_STAGE",
    "group_metrics",
    "group_spearman",
    "group_top_share",
    "map_at_k",
    "ndcg_at_k",
    "ndcg_feval",
    "ranking_metrics",
    "recall_at_k",
    "weighted_ndcg_at_k",
]

RELEVANT_STAGE = 3  # an MoU or better
DEFAULT_CUTOFFS = {"ndcg": 10, "map": 10, "recall": 50}


def _inputs(labels, scores, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return labels, scores and the row order that sorts by group, then rank; plus group starts."""
    y = np.asarray(labels, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    g = np.asarray(groups).ravel()
    if not (len(y) == len(s) == len(g)):
        raise InvalidArgument(f"labels, scores and groups must have the same length, got "
                              f"{len(y)}, {len(s)} and {len(g)}")
    if np.isnan(y).any():
        raise InvalidArgument("labels must not be missing")
    if np.isnan(s).any():
        raise InvalidArgument("scores must not be missing; give unscored rows -inf")
    codes = pd.factorize(g, sort=False)[0]
    # one sort: by group, then score descending, then label ascending (pessimistic ties)
    order = np.lexsort((y, -s, codes))
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    return y[order], codes, starts, order


def _positions(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """1-based position of each (sorted) row within its group."""
    sizes = np.diff(np.r_[starts, len(codes)])
    return np.arange(len(codes)) - np.repeat(starts, sizes) + 1


def _ndcg(y: np.ndarray, codes: np.ndarray, starts: np.ndarray, k: int,
          weight: np.ndarray | None = None) -> np.ndarray:
    pos = _positions(codes, starts)
    n_groups = len(starts)
    discount = 1.0 / np.log2(pos + 1.0)
    gain = 2.0 ** y - 1.0
    if weight is not None:
        gain = gain * weight
    top = pos <= k
    dcg = np.bincount(codes[top], (gain * discount)[top], minlength=n_groups)
    # ideal order: the same rows sorted by gain, descending, within each group
    ideal = np.lexsort((-gain, codes))
    idcg_gain = gain[ideal]
    idcg = np.bincount(codes[top], (idcg_gain * discount)[top], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(idcg > 0, dcg / idcg, np.nan)


def _ap_recall(y, codes, starts, k_map, k_recall, relevant) -> tuple[np.ndarray, np.ndarray]:
    pos = _positions(codes, starts)
    n_groups = len(starts)
    rel = (y >= relevant).astype(float)
    n_rel = np.bincount(codes, rel, minlength=n_groups)
    hits = np.cumsum(rel)
    hits_before_group = np.repeat(np.r_[0.0, hits][starts], np.diff(np.r_[starts, len(y)]))
    hits_in_group = hits - hits_before_group
    precision = hits_in_group / pos
    in_map = pos <= k_map
    ap_sum = np.bincount(codes[in_map], (precision * rel)[in_map], minlength=n_groups)
    in_recall = pos <= k_recall
    found = np.bincount(codes[in_recall], rel[in_recall], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(n_rel > 0, ap_sum / np.minimum(n_rel, k_map), np.nan)
        recall = np.where(n_rel > 0, found / n_rel, np.nan)
    return ap, recall


def _check_k(name: str, k) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise InvalidArgument(f"{name} must be a positive integer, got {k!r}")
    return int(k)


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def group_metrics(labels, scores, groups, *, k_ndcg: int = 10, k_map: int = 10,
                  k_recall: int = 50, relevant: int = RELEVANT_STAGE) -> pd.DataFrame:
    """Return one row per group: ``group``, ``rows``, ``relevant`` and each metric (NaN where
    the group has no relevant row), in order of first appearance of the group.

    >>> group_metrics([3, 0, 0, 0], [1, 0, 1, 0], ["a", "a", "b", "b"], k_ndcg=1)[
    ...     ["group", "ndcg@1", "recall@50"]].to_dict("list")
    {'group': ['a', 'b'], 'ndcg@1': [1.0, nan], 'recall@50': [1.0, nan]}
    """
    k_ndcg, k_map, k_recall = (_check_k(n, v) for n, v in
                               (("k_ndcg", k_ndcg), ("k_map", k_map), ("k_recall", k_recall)))
    y, codes, starts, order = _inputs(labels, scores, groups)
    ap, recall = _ap_recall(y, codes, starts, k_map, k_recall, relevant)
    first = pd.factorize(np.asarray(groups).ravel(), sort=False)[1]
    return pd.DataFrame({
        "group": first,
        "rows": np.diff(np.r_[starts, len(y)]).astype(int),
        "relevant": np.bincount(codes, (y >= relevant), minlength=len(starts)).astype(int),
        f"ndcg@{k_ndcg}": _ndcg(y, codes, starts, k_ndcg),
        f"map@{k_map}": ap,
        f"recall@{k_recall}": recall,
    })


def ndcg_at_k(labels, scores, groups, k: int = 10) -> float:
    """Return NDCG@k with gains ``2**label - 1``, averaged over groups with a positive label.

    >>> round(ndcg_at_k([2, 1, 0], [0.1, 0.2, 0.3], [0, 0, 0], k=3), 4)  # the ideal reversed
    0.5869
    """
    k = _check_k("k", k)
    y, codes, starts, _ = _inputs(labels, scores, groups)
    return _mean(_ndcg(y, codes, starts, k))


def weighted_ndcg_at_k(labels, scores, groups, weights, k: int = 10) -> float:
    """Return NDCG@k with each row's gain ``2**label - 1`` multiplied by its weight.

    With inverse-propensity weights on the contacts of a group, it estimates the NDCG that
    the group's whole shortlist would give, from the contacts officers chose: a contact
    chosen against the odds stands for the firms like it that were not. Groups whose
    weighted gains are all 0 are left out of the mean; unit weights give :func:`ndcg_at_k`.

    >>> labels, scores, groups = [2, 1, 0], [0.1, 0.2, 0.3], [0, 0, 0]
    >>> round(weighted_ndcg_at_k(labels, scores, groups, [1, 1, 1], k=3), 4)
    0.5869
    >>> round(weighted_ndcg_at_k(labels, scores, groups, [1, 9, 1], k=3), 4)  # 9 x gain 1 leads
    0.659
    """
    k = _check_k("k", k)
    y, codes, starts, order = _inputs(labels, scores, groups)
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != len(order) or not np.isfinite(w).all() or (w < 0).any():
        raise InvalidArgument(f"weights: expected {len(order)} finite weights >= 0")
    return _mean(_ndcg(y, codes, starts, k, w[order]))


def ndcg_feval(labels, sizes, weights, k: int = 10, *, name: str = "weighted_ndcg@10"):
    """Return a LightGBM evaluation function (``feval``): the :func:`weighted_ndcg_at_k` of
    its scores, for rows in query groups of ``sizes`` (in row order) with ``labels`` and
    ``weights``; higher is better."""
    labels = np.asarray(labels, float)
    groups = np.repeat(np.arange(len(sizes)), np.asarray(sizes, np.int64))
    weights = np.asarray(weights, float).ravel()
    if len(weights) != len(labels) or not np.isfinite(weights).all() or (weights < 0).any():
        raise InvalidArgument(f"weights: expected {len(labels)} finite weights >= 0")

    def feval(preds, _dataset):
        return name, weighted_ndcg_at_k(labels, preds, groups, weights, k=k), True

    return feval


def map_at_k(labels, scores, groups, k: int = 10, relevant: int = RELEVANT_STAGE) -> float:
    """Return MAP@k: the mean over groups with a relevant row of AP@k (``label >= relevant``)."""
    k = _check_k("k", k)
    y, codes, starts, _ = _inputs(labels, scores, groups)
    return _mean(_ap_recall(y, codes, starts, k, k, relevant)[0])


def recall_at_k(labels, scores, groups, k: int = 50, relevant: int = RELEVANT_STAGE) -> float:
    """Return Recall@k: the share of a group's relevant rows in its top k, averaged over groups."""
    k = _check_k("k", k)
    y, codes, starts, _ = _inputs(labels, scores, groups)
    return _mean(_ap_recall(y, codes, starts, k, k, relevant)[1])


def ranking_metrics(labels, scores, groups, *, k_ndcg: int = 10, k_map: int = 10,
                    k_recall: int = 50, relevant: int = RELEVANT_STAGE) -> dict:
    """Return ``{"ndcg@10": …, "map@10": …, "recall@50": …}`` and the groups each mean covers.

    ``groups`` counts all groups; ``groups_ndcg`` those with a positive label and
    ``groups_relevant`` those with a row of ``label >= relevant`` (the ones MAP and Recall
    average over).
    """
    table = group_metrics(labels, scores, groups, k_ndcg=k_ndcg, k_map=k_map,
                          k_recall=k_recall, relevant=relevant)
    names = [f"ndcg@{k_ndcg}", f"map@{k_map}", f"recall@{k_recall}"]
    out = {name: _mean(table[name].to_numpy(float)) for name in names}
    out["groups"] = len(table)
    out["groups_ndcg"] = int(table[names[0]].notna().sum())
    out["groups_relevant"] = int((table["relevant"] > 0).sum())
    return out


def group_spearman(truth, scores, groups) -> np.ndarray:
    """Return each group's Spearman correlation of ``scores`` with ``truth`` (average ranks for
    ties), in order of first appearance of the group; NaN for a group where either is constant.

    >>> group_spearman([1, 2, 3, 3, 2, 1], [0.1, 0.2, 0.3, 5, 6, 7], list("aaabbb")).tolist()
    [1.0, -1.0]
    """
    t = np.asarray(truth, float).ravel()
    s = np.asarray(scores, float).ravel()
    codes, first = pd.factorize(np.asarray(groups).ravel(), sort=False)
    if not (len(t) == len(s) == len(codes)):
        raise InvalidArgument(f"truth, scores and groups must have the same length, got "
                              f"{len(t)}, {len(s)} and {len(codes)}")
    frame = pd.DataFrame({"g": codes, "t": t, "s": s})
    ranks = frame.groupby("g", sort=False)[["t", "s"]].rank(method="average")
    ranks["g"] = codes
    n = len(first)
    count = np.bincount(codes, minlength=n).astype(float)
    sums = {c: np.bincount(codes, ranks[c].to_numpy(float), minlength=n) for c in ("t", "s")}
    mean = {c: sums[c] / np.maximum(count, 1) for c in sums}
    dt = ranks["t"].to_numpy(float) - mean["t"][codes]
    ds = ranks["s"].to_numpy(float) - mean["s"][codes]
    cov = np.bincount(codes, dt * ds, minlength=n)
    var_t = np.bincount(codes, dt * dt, minlength=n)
    var_s = np.bincount(codes, ds * ds, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((var_t > 0) & (var_s > 0), cov / np.sqrt(var_t * var_s), np.nan)


def group_top_share(flag, scores, groups, k: int = 10) -> np.ndarray:
    """Return, per group (in order of first appearance), the share of its top ``k`` rows by
    score that have ``flag`` true; ties in the score put flagged rows first (pessimistic).

    >>> group_top_share([1, 0, 0, 1], [0.9, 0.8, 0.1, 0.1], ["a", "a", "a", "a"], k=2).tolist()
    [0.5]
    """
    k = _check_k("k", k)
    f = np.asarray(flag, float).ravel()
    s = np.asarray(scores, float).ravel()
    codes = pd.factorize(np.asarray(groups).ravel(), sort=False)[0]
    if not (len(f) == len(s) == len(codes)):
        raise InvalidArgument(f"flag, scores and groups must have the same length, got "
                              f"{len(f)}, {len(s)} and {len(codes)}")
    order = np.lexsort((-f, -s, codes))
    sorted_codes = codes[order]
    starts = (np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
              if len(codes) else sorted_codes)
    top = _positions(sorted_codes, starts) <= k
    n = len(starts)
    shown = np.bincount(sorted_codes[top], minlength=n)
    flagged = np.bincount(sorted_codes[top], f[order][top], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(shown > 0, flagged / np.maximum(shown, 1), np.nan)
