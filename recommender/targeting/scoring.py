"""Scoring candidates: what rankings are computed from, the scores, and the best-first order.

- :func:`ranking_inputs` reads the store's data of a chain and a region and diagnoses its weak
  links, as the CLI and the service both read them before ranking;
- :func:`scores_of` gives a model's score and calibrated probability of success of each
  candidate row;
- :func:`best_first` orders scored rows by link, best first, ties by firm id;
- :func:`base_rate` is the share of recorded contacts that reached an MoU or better, what a
  calibrated probability of success compares with;
- :func:`check_link` and :func:`check_k` check the weak link and the list length a ranking
  is asked for.

:class:`~recommender.targeting.score_table.ScoreTable` is built with these, and so is
:func:`~recommender.targeting.recommend.score_candidates`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.diagnosis.weak_links import CAN_RECRUIT
from recommender.exceptions import InvalidArgument, NotFoundError, NotRecruitable

__all__ = ["base_rate", "best_first", "check_k", "check_link", "ranking_inputs", "scores_of",
           "scoring_scope"]


def ranking_inputs(store, chain, region, *, settings=None,
                   progress: Callable[[str, int, int], Any] | None = None,
                   firm_columns: Sequence[str] | None = None,
                   link_columns: Sequence[str] | None = None):
    """Read the store's data of ``chain`` and ``region`` and diagnose its weak links.

    Returns ``(data, weak_links)``: the :class:`~recommender.ranking.dataset.ChainData` and
    the weak-link table over it (:func:`recommender.diagnosis.weak_links.diagnose_weak_links`
    with ``settings``), what :func:`~recommender.targeting.score_table.build_score_table`
    scores. ``progress(step, done, total)`` hears of each step. ``firm_columns`` and
    ``link_columns`` are the firm and link columns to read (every one when None; see
    :func:`~recommender.ranking.dataset.load_chain_data`).
    """
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data

    step = progress or (lambda *args: None)
    step("reading the store", 0, 0)
    data = load_chain_data(store, chain=chain, region=region, firm_columns=firm_columns,
                           link_columns=link_columns)
    step("diagnosing weak links", 0, 0)
    weak_links = diagnose_weak_links(chain, data.region, data.firms, data.firm_nodes,
                                     settings=settings)
    return data, weak_links


def scores_of(model, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return ``model``'s score and calibrated probability of success of each row of ``frame``.

    The probabilities come from the scores already made when the model says how (its
    ``calibration_``), instead of scoring every row a second time.
    """
    if not len(frame):
        return np.zeros(0), np.zeros(0)
    score = np.asarray(model.predict(frame), float)
    calibration = getattr(model, "calibration_", None)
    if isinstance(calibration, dict):
        from recommender.ranking.ranker import apply_calibration

        return score, np.asarray(apply_calibration(score, calibration), float)
    return score, np.asarray(model.predict_proba_success(frame), float)


def best_first(firm_ids: pd.Series, node_ids: pd.Series, score: np.ndarray,
               nodes: Sequence[str]) -> np.ndarray:
    """Return the order of rows: by link in the order of ``nodes``, then best score first, then
    by firm id, so that the order never depends on the rows' order.

    >>> best_first(pd.Series(["b", "a", "c"]), pd.Series(["x", "x", "y"]),
    ...            np.array([1.0, 1.0, 5.0]), ["y", "x"]).tolist()
    [2, 1, 0]
    """
    link = pd.Index(list(nodes)).get_indexer(pd.Series(node_ids).astype(str))
    return np.lexsort((pd.Series(firm_ids).astype(str).to_numpy(),
                       -np.asarray(score, float), link))


def base_rate(outcomes: pd.DataFrame, *, relevant: int = 3) -> float | None:
    """Return the share of recorded contacts (campaign x firm x weak link, at their best stage)
    that reached stage ``relevant`` (an MoU) or better; None without outcomes.

    >>> base_rate(pd.DataFrame({"campaign_id": ["a", "a", "a", "b"],
    ...                         "firm_id": ["f", "f", "g", "f"],
    ...                         "node_id": ["n", "n", "n", "n"], "stage": [1, 3, 0, 0]}))
    0.3333333333333333
    """
    if outcomes is None or not len(outcomes):
        return None
    best = outcomes.groupby([C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID], sort=False)[
        C.OUTCOME_STAGE].max()
    return float((best >= relevant).mean())


def check_link(node_id: str, chain, weak_links: pd.DataFrame) -> None:
    """Raise unless ``node_id`` is a recruitable weak link of ``chain``.

    Raises
    ------
    NotFoundError
        If the node is not in the chain or not in the weak-link table.
    NotRecruitable
        If it is a downstream application sector.
    """
    if node_id not in set(chain.node_ids):
        raise NotFoundError(f"weak link {node_id!r}: no such node in chain "
                            f"{getattr(chain, 'id', '')!r}")
    rows = weak_links[weak_links[C.NODE_ID].astype(str) == node_id]
    if rows.empty:
        raise NotFoundError(f"weak link {node_id!r}: not in the weak-link table")
    row = rows.iloc[0]
    if CAN_RECRUIT in rows.columns and not bool(row[CAN_RECRUIT]):
        stage = row.get(C.STAGE) or chain.node(node_id).get(C.STAGE)
        raise NotRecruitable(
            f"node {node_id!r} ({stage}) cannot be recruited for: only upstream and midstream "
            f"nodes are weak links to fill; downstream nodes are application sectors",
            [{"field": C.NODE_ID, "message": f"{node_id!r} is a {stage} node"}])


def scoring_scope(data, weak_links: pd.DataFrame, node_ids: Sequence[str] | None, model,
                  as_of) -> tuple[list[str], Any, pd.Timestamp]:
    """Return the (links, model, as-of day) a scoring run uses: ``node_ids`` checked with
    :func:`check_link` (every recruitable link when None), the prior when ``model`` is None, the
    data's default as-of day when ``as_of`` is None."""
    from recommender.ranking.features import default_as_of
    from recommender.targeting.prior_model import prior_model

    if node_ids is None:
        recruitable = weak_links[weak_links[CAN_RECRUIT].astype(bool)]
        nodes = list(dict.fromkeys(str(n) for n in recruitable[C.NODE_ID]))
    else:
        nodes = list(dict.fromkeys(str(n) for n in node_ids))
        for node in nodes:
            check_link(node, data.chain, weak_links)
    model = prior_model(data, weak_links) if model is None else model
    when = pd.Timestamp(as_of).normalize() if as_of is not None else default_as_of(data)
    return nodes, model, when


def check_k(k) -> int:
    """Return ``k`` if it is a positive integer; InvalidArgument otherwise.

    >>> check_k(5)
    5
    >>> check_k(0)
    Traceback (most recent call last):
    ...
    recommender.exceptions.InvalidArgument: k must be a positive integer, got 0
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidArgument(f"k must be a positive integer, got {k!r}",
                              [{"field": "k", "message": "must be a positive integer"}])
    return int(k)
