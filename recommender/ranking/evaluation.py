"""Offline evaluation of rankers: every method fitted on an earlier window, measured on a later.

:func:`evaluate` fits each method of :mod:`recommender.ranking.methods` on the earlier window of
a time split (:func:`~recommender.ranking.splits.time_split`: whole groups, ``group_id`` =
campaign x weak link, by group date), with the labels as they stood when the later window began
(:func:`~recommender.ranking.splits.labels_as_of`), and measures NDCG@10, MAP@10 and Recall@50
(MoU or better, stage >= 3) on the later one (conventions in :mod:`recommender.ranking.metrics`).
Nothing is tuned on the later window. ``comparisons`` gives the per-group difference in
NDCG@10 between lambdarank and the prior (and random) with a paired bootstrap interval over
the later window's groups. :mod:`recommender.ranking.evaluation_report` renders the results.

**Calibration.** ``calibration`` measures how far the probability of an MoU or better that
pages show can be taken at its word, for the prior and LambdaRank: each mapping is fitted on
campaigns held out from what the method learns from, never on the later window
(LambdaRank's on its early-stopping window, the latest part of the earlier window; the prior's
on the latest :data:`~recommender.ranking.splits.CALIBRATION_SHARE` of the earlier
window's groups, as :class:`~recommender.targeting.prior_model.PriorModel` is fitted for
serving), in both cases on the campaigns that had settled when the later window began
(:func:`~recommender.ranking.splits.settled_contacts`: a younger one counts MoUs still on
their way as failures), then measured on the later window's settled campaigns (the labels
of the latest ones are not final yet): a :func:`reliability_table` (ten bins of the
predicted probability: mean predicted, observed rate, count) and the
:func:`expected_calibration_error` (the count-weighted mean gap; the goal is <= 0.05).

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
  consecutive windows (:func:`~recommender.ranking.splits.rolling_windows`), each held out in
  turn with the methods fitted on everything before it; pooling their groups tightens the
  paired intervals.

>>> train, test = time_split(frame, test_share=0.3)                   # doctest: +SKIP
>>> results = evaluate(train, test, seed=0)                            # doctest: +SKIP
>>> every = evaluate(train, test, candidates=truth_frame(data, weak_links, ids),
...                  outcome_model=data.outcome_model)                 # doctest: +SKIP
>>> print(report_markdown(results))                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.methods import METHODS, SCORERS, default_features
from recommender.ranking.metrics import (
    RELEVANT_STAGE,
    group_metrics,
    group_spearman,
    group_top_share,
)
from recommender.ranking.selection import contacted_only
from recommender.ranking.splits import (
    BACKTEST_FOLDS,
    BACKTEST_SHARE,
    labels_as_of,
    rolling_windows,
    window_of,
)

__all__ = ["BOOTSTRAP_SAMPLES", "CALIBRATED", "CALIBRATION_BINS", "COMPARED", "DRAWS",
           "MAX_STAGE", "METRICS", "UNIVERSE_METRICS", "backtest", "draw_stages", "evaluate",
           "expected_calibration_error", "reliability_table", "universe_metrics"]

METRICS = ("ndcg@10", "map@10", "recall@50")
# over every candidate only: rank correlation of score with true utility, one-hop share of top 10
UNIVERSE_METRICS = ("spearman", "hop1@10")
BOOTSTRAP_SAMPLES = 2000
DRAWS = 20  # outcome draws per candidate when every candidate is graded (demo world only)
MAX_STAGE = 4  # outcome stages 0..4
CALIBRATION_BINS = 10  # equal-width bins of the predicted probability
CALIBRATED = ("prior", "lambdarank")  # the methods whose probabilities pages show
COMPARED = (("lambdarank", "prior"), ("lambdarank", "random"), ("prior", "random"),
            ("lambdarank", "logistic"), ("lambdarank", "lambdarank_plain"))


# --- outcomes of every candidate ------------------------------------------------------------
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
        raise InvalidArgument(f"thresholds: expected {MAX_STAGE} increasing values, "
                              f"got {t.tolist()}")
    if not (np.isfinite(noise_sd) and noise_sd >= 0):
        raise InvalidArgument(f"noise_sd: expected a finite number >= 0, got {noise_sd!r}")
    rng = np.random.default_rng(seed)
    out = np.empty((int(draws), len(u)), np.int8)
    for d in range(int(draws)):
        noisy = np.where(np.isnan(u), -np.inf, u) + rng.normal(0.0, noise_sd, len(u))
        out[d] = np.searchsorted(t, noisy, side="right")
    return out


# --- calibration ----------------------------------------------------------------------------
def reliability_table(predicted, observed, *, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Return one row per non-empty bin of the predicted probability: ``low``, ``high``,
    ``predicted`` (mean predicted), ``observed`` (the rate of ``observed`` true) and ``count``.

    Bins are equal-width on [0, 1], each closed on the left (the last on both sides).

    >>> reliability_table([0.05, 0.15, 0.12, 0.9], [0, 0, 1, 1], bins=2)
       low  high  predicted  observed  count
    0  0.0   0.5   0.106667  0.333333      3
    1  0.5   1.0   0.900000  1.000000      1
    """
    p = np.asarray(predicted, float)
    y = np.asarray(observed, float)
    if p.shape != y.shape:
        raise InvalidArgument(f"predicted and observed differ in length: {len(p)} != {len(y)}")
    at = np.clip((p * bins).astype(int), 0, bins - 1)
    count = np.bincount(at, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_p = np.bincount(at, weights=p, minlength=bins) / count
        rate = np.bincount(at, weights=y, minlength=bins) / count
    edges = np.arange(bins + 1) / bins
    kept = count > 0
    return pd.DataFrame({"low": edges[:-1][kept], "high": edges[1:][kept],
                         "predicted": mean_p[kept], "observed": rate[kept],
                         "count": count[kept]})


def expected_calibration_error(predicted, observed, *, bins: int = CALIBRATION_BINS) -> float:
    """Return the count-weighted mean of ``|predicted - observed|`` over the bins of
    :func:`reliability_table` (NaN without rows).

    >>> round(expected_calibration_error([0.05, 0.15, 0.12, 0.9], [0, 0, 1, 1], bins=2), 4)
    0.195
    """
    table = reliability_table(predicted, observed, bins=bins)
    if not len(table):
        return float("nan")
    gap = (table["predicted"] - table["observed"]).abs()
    return float((gap * table["count"]).sum() / table["count"].sum())


def _calibration(train, test, ctx, scores: Mapping[str, np.ndarray], relevant: int) -> dict:
    """The reliability of the probabilities of :data:`CALIBRATED` methods on the later window."""
    from recommender.ranking.prior import prior_scores
    from recommender.ranking.ranker import apply_calibration, fit_calibration
    from recommender.ranking.splits import CALIBRATION_SHARE, settled_contacts, time_split

    mappings = {}
    if "prior" in scores:
        settled = settled_contacts(train, as_of=ctx.get("as_of"), relevant=relevant)
        if settled[ctx[C.GROUP_ID]].nunique() >= 2:
            _, settled = time_split(settled, test_share=CALIBRATION_SHARE, date=ctx["date"],
                                    group_id=ctx[C.GROUP_ID])
        mappings["prior"] = fit_calibration(prior_scores(settled[ctx["features"]]),
                                            settled[ctx["label"]].to_numpy(), relevant,
                                            "earlier window, latest settled campaigns")
    if "lambdarank" in scores and "lambdarank" in ctx["models"]:
        mappings["lambdarank"] = ctx["models"]["lambdarank"].calibration_
    # measured where the outcomes have shown: the later window's settled campaigns
    test = test.reset_index(drop=True)  # row positions, as the scores are
    kept = np.zeros(len(test), bool)
    kept[settled_contacts(test, relevant=relevant).index.to_numpy()] = True
    observed = (test[ctx["label"]].to_numpy()[kept] >= relevant).astype(float)
    out = {}
    for method, mapping in mappings.items():
        predicted = apply_calibration(np.asarray(scores[method])[kept], mapping)
        out[method] = {
            "fit_on": mapping.get("fit_on"), "fit_rows": mapping.get("rows"),
            "measured_on": "later window, settled campaigns", "rows": int(len(observed)),
            C.BASE_RATE: float(observed.mean()) if len(observed) else None,
            "mean_predicted": float(predicted.mean()) if len(predicted) else None,
            "ece": expected_calibration_error(predicted, observed),
            "bins": reliability_table(predicted, observed).to_dict("records"),
        }
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
        window, from :func:`~recommender.ranking.splits.time_split`.
    methods : among :data:`~recommender.ranking.methods.METHODS` (and ``lambdarank_plain``);
        ``oracle`` is skipped (and says why) without truth.
    seed : the seed of ``random``, of the ranker, of the bootstrap and of the outcome draws.
    features : feature columns; the registry features the frame holds
        (:func:`~recommender.ranking.methods.default_features`) when None.
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
        windows, ``lambdarank`` details, ``seed``, ``relevant``, ``calibration`` (method ->
        ``ece``, ``bins``, ``base_rate``…; see the module); with ``candidates``, also
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
        raise InvalidArgument(f"methods: unknown {unknown}; known: {', '.join(SCORERS)}")
    test = contacted_only(test)  # measured on the contacts; pool rows only teach
    if len(test):  # learn only what was known when the later window began
        train = labels_as_of(train, test[date].min())
    pooled, train = train, contacted_only(train)
    features = default_features(train) if features is None else list(features)
    for name, part in (("train", train), ("test", test)):
        missing = [c for c in [label, group_id, date, *features] if c not in part.columns]
        if missing:
            raise InvalidArgument(f"{name}: missing columns {missing}")
        if len(part) == 0:
            raise InvalidArgument(f"{name}: no rows")
    stages = None
    if candidates is not None:
        stages = _candidate_stages(candidates, outcome_model, features=features, draws=draws,
                                   seed=seed, group_id=group_id, truth=truth)
    ctx = {"seed": int(seed), "features": features, "label": label, C.GROUP_ID: group_id,
           "as_of": test[date].min() if len(test) else None, "date": date, "truth": truth,
           "valid_share": valid_share, "logistic_stage": logistic_stage,
           "ranker_params": ranker_params, "details": {}, "models": {}, "pool_frame": pooled}
    labels = test[label].to_numpy(float)
    groups = test[group_id].to_numpy()
    tables, every, skipped, test_scores = {}, {}, {}, {}
    for method in methods:
        scorer = SCORERS[method](train, ctx)
        scores = scorer(test)
        test_scores[method] = scores
        if scores is None:
            skipped[method] = f"no {truth} column with values in the later window"
            continue
        tables[method] = group_metrics(labels, scores, groups, relevant=relevant)
        if stages is not None:
            pool_scores = scorer(candidates)
            every[method] = pd.concat([
                _drawn_group_metrics(stages, pool_scores, candidates[group_id].to_numpy(),
                                     relevant),
                universe_metrics(candidates, pool_scores, group_id=group_id, truth=truth)],
                axis=1)
    results = {
        **_summary(tables, seed), "skipped": skipped, "features": features,
        "train": window_of(train, date=date, group_id=group_id),
        "test": window_of(test, date=date, group_id=group_id),
        "seed": int(seed), "relevant": int(relevant), "logistic_stage": int(logistic_stage),
        **ctx["details"],
        "calibration": _calibration(train, test, ctx, {m: test_scores[m] for m in CALIBRATED
                                                       if test_scores.get(m) is not None},
                                    relevant),
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
    windows = rolling_windows(frame, folds=folds, test_share=test_share, date=date,
                              group_id=group_id)
    pooled: dict[str, list] = {}
    pooled_every: dict[str, list] = {}
    folded, skipped = [], {}
    for before, held in windows:
        is_held = frame[group_id].isin(set(held)).to_numpy()
        is_before = frame[group_id].isin(set(before)).to_numpy()
        part = None if candidates is None else candidates[
            candidates[group_id].isin(set(held)).to_numpy()]
        part = part if part is not None and len(part) else None
        results, tables, every = _evaluate_window(
            frame[is_before], frame[is_held], methods=methods, seed=seed, features=features,
            ranker_params=ranker_params, valid_share=valid_share,
            logistic_stage=logistic_stage, relevant=relevant, label=label, group_id=group_id,
            date=date, truth=truth, candidates=part, outcome_model=outcome_model, draws=draws)
        skipped.update(results["skipped"])
        folded.append({"train": results["train"], "test": results["test"],
                        "lambdarank_trees": results.get("lambdarank", {}).get("best_iteration")})
        for method, table in tables.items():
            pooled.setdefault(method, []).append(table)
        for method, table in every.items():
            pooled_every.setdefault(method, []).append(table)
    tested = {g for _, held in windows for g in held}
    # a method skipped in one window (no truth there) is left out of the pooled means
    complete = [m for m in methods if len(pooled.get(m, [])) == folds]
    skipped.update({m: "skipped in some windows" for m in pooled if m not in complete})
    out = {
        **_summary({m: pd.concat(pooled[m], ignore_index=True) for m in complete}, seed),
        "folds": folded, "skipped": {m: r for m, r in skipped.items() if m not in complete},
        "test": window_of(contacted_only(frame[frame[group_id].isin(tested).to_numpy()]),
                          date=date, group_id=group_id),
        "test_share": float(test_share), "seed": int(seed), "relevant": int(relevant),
    }
    if candidates is not None:
        graded = candidates.loc[candidates[group_id].isin(tested).to_numpy(), group_id]
        out["every_candidate"] = {
            **_summary({m: pd.concat(pooled_every[m], ignore_index=True) for m in complete
                        if len(pooled_every.get(m, [])) == folds}, seed),
            "rows": int(len(graded)), "group_count": int(graded.nunique()), "draws": int(draws),
            "outcome_model": {k: outcome_model[k] for k in ("thresholds", "noise_sd")},
        }
    return out


def universe_metrics(candidates: pd.DataFrame, scores, *, group_id: str = C.GROUP_ID,
                     truth: str = C.TRUE_UTILITY, k: int = 10) -> pd.DataFrame:
    """Per group of ``candidates`` (in order of first appearance): ``spearman``, the rank
    correlation of ``scores`` with the true utility over the whole pool, and ``hop1@10``, the
    share of one-hop neighbours (``hop`` 1) among the top ``k``."""
    groups = candidates[group_id].to_numpy()
    hop = pd.to_numeric(candidates[C.HOP], errors="coerce").fillna(0).to_numpy(float) >= 1 \
        if C.HOP in candidates.columns else np.zeros(len(candidates), bool)
    utility = pd.to_numeric(candidates[truth], errors="coerce").fillna(-1e9).to_numpy(float)
    scores = np.asarray(scores, float)
    return pd.DataFrame({UNIVERSE_METRICS[0]: group_spearman(utility, scores, groups),
                         UNIVERSE_METRICS[1]: group_top_share(hop, scores, groups, k=k)})


def _summary(tables: Mapping[str, pd.DataFrame], seed: int) -> dict:
    """Means over groups, the groups each mean covers, and the paired comparisons."""
    return {
        "metrics": {method: {m: _mean(t[m]) for m in (*METRICS, *UNIVERSE_METRICS)
                             if m in t.columns} for method, t in tables.items()},
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
        raise InvalidArgument("outcome_model: thresholds and noise_sd are needed to grade "
                              "every candidate")
    missing = [c for c in [group_id, truth, *features] if c not in candidates.columns]
    if missing:
        raise InvalidArgument(f"candidates: missing columns {missing}")
    if len(candidates) == 0:
        raise InvalidArgument("candidates: no rows")
    if not (isinstance(draws, (int, np.integer)) and draws >= 1):
        raise InvalidArgument(f"draws must be a positive integer, got {draws!r}")
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


