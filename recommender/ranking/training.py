"""Train a ranker on recorded outcomes, measure it on the later window, save and promote it.

The CLI's ``chainscout train`` and the service's training job both call :func:`train_model`.
"""

from __future__ import annotations

from recommender import columns as C
from recommender.exceptions import DataError

__all__ = ["MIN_GROUPS", "TEST_SHARE", "VALID_SHARE", "train_model"]

TEST_SHARE = 0.3  # the later share of campaigns held out to measure a model
VALID_SHARE = 0.2  # the latest share of the earlier campaigns, kept for early stopping
MIN_GROUPS = 10  # campaign groups needed to train and still hold out a window


def _noop(step: str, done: int, total: int) -> None:
    return None


def train_model(data, weak_links, registry, *, test_share: float = TEST_SHARE, seed: int = 0,
                activate: bool = True, progress=_noop) -> dict:
    """Train LambdaRank on ``data``'s outcomes, save it in ``registry``, promote it if better.

    The latest campaigns (``test_share`` of the groups) are held out; the model trains on the
    earlier ones with early stopping on their last part, is measured on the held-out window
    next to the prior, and is saved with those metrics. Its ``training_window`` is the groups
    the trees were fitted on: the earlier window less its last ``VALID_SHARE`` (the
    ``validation_window``, used only to stop early). Its probability of an MoU is fitted on
    the validation window's campaigns that had settled when the held-out window began
    (:func:`~recommender.ranking.splits.settled_contacts`). With ``activate`` it becomes the active
    model only if it beats the active one (``ModelRegistry.promote_if_better``). The ranker
    treats the officers' selection as :data:`~recommender.ranking.methods.LAMBDARANK_ROWS`
    says; when that asks for a correction, each campaign group first gets rows sampled from its
    pool (:mod:`recommender.ranking.selection`).

    Returns
    -------
    dict
        ``version``, ``metrics`` (``lambdarank`` and ``prior``: NDCG@10, MAP@10, Recall@50),
        ``train`` and ``test`` windows, ``best_iteration``, ``promotion`` (``activated``,
        ``reason``, ``previous``; None without ``activate``), ``active`` and ``selection``
        (the contacts and pool rows the trees learned from, and how they were weighted).

    Examples
    --------
    >>> result = train_model(data, weak_links, ModelRegistry(tmp))  # doctest: +SKIP
    >>> result["promotion"]["activated"]  # doctest: +SKIP
    True
    """
    from recommender.ranking.evaluation import evaluate
    from recommender.ranking.features import training_frame
    from recommender.ranking.methods import LAMBDARANK_ROWS
    from recommender.ranking.registry import data_fingerprint
    from recommender.ranking.selection import contacted_only, with_pool_rows
    from recommender.ranking.splits import labels_as_of, time_split, window_of

    progress("building the training frame", 0, 0)
    frame = training_frame(data, weak_links)
    groups = frame[C.GROUP_ID].nunique()
    if groups < MIN_GROUPS:
        raise DataError(f"only {groups} campaign groups with outcomes; at least {MIN_GROUPS} "
                        "are needed to train and hold out a window")
    if LAMBDARANK_ROWS["pool"] or LAMBDARANK_ROWS["ipw"]:  # the chosen correction's pool rows
        frame = with_pool_rows(frame, data, weak_links, seed=seed)
    earlier, later = time_split(frame, test_share=test_share)
    progress("training and measuring", 0, 0)
    results = evaluate(earlier, later, methods=("prior", "lambdarank"), seed=seed,
                       valid_share=VALID_SHARE, return_models=True)
    # The rows and split evaluate's LambdaRank uses: it fits on ``fitted``, stops on the rest.
    fitted, _ = time_split(labels_as_of(earlier, contacted_only(later)[C.DATE].min()),
                           test_share=VALID_SHARE)
    fitted = contacted_only(fitted)
    ranker = results.pop("models")["lambdarank"]
    metrics = results["metrics"]
    version = registry.save(ranker, {
        "metrics": metrics["lambdarank"], "prior_metrics": metrics["prior"],
        "training_window": window_of(fitted), "test_window": results["test"],
        "validation_window": results["lambdarank"]["validation"],
        "data_fingerprint": data_fingerprint(contacted_only(earlier)),
        "data_version": data.data_version,
        "chain_id": getattr(data.chain, "id", None), C.REGION_ID: getattr(data.region, "id", None),
        "seed": seed,
    })
    decision = registry.promote_if_better(version) if activate else None
    return {"version": version,
            "metrics": {"lambdarank": metrics["lambdarank"], "prior": metrics["prior"]},
            "train": results["train"], "test": results["test"],
            "selection": results["lambdarank"].get("rows"),
            "best_iteration": ranker.best_iteration_,
            "promotion": ({**decision.to_dict(), "activated": decision.promoted}
                          if decision else None),
            "active": registry.active_version()}
