"""Ranked firms for a weak link, all scored candidates, and the target list (招商目标清单).

- :func:`recommend`: the top ``k`` firms for one weak link, best first by expected value
  (``likelihood x impact``; or by either part), with the calibrated probability of an MoU or
  better (``likelihood``), the share of the link the firm could fill (``impact``,
  :mod:`recommender.targeting.impact`), their product (``value``), reasons in Chinese and
  English and the model version. Firms that already invested for the link are left out unless
  asked for.
- :func:`score_candidates`: every candidate of some weak links with its features, score and
  probability.
- :func:`target_list`: the ``k`` firms that best cover the top weak links together
  (``recommender.targeting.portfolio.target_portfolio`` of the pairs' values over
  ``recommender.diagnosis.weak_links.weak_link_weights``).

``recommend`` and ``target_list`` are queries over a
:class:`~recommender.targeting.score_table.ScoreTable` built for their links; the service
answers the same queries over the table of its snapshot, so the CLI, the API and the pages rank
alike.

``model`` is a fitted :class:`~recommender.ranking.ranker.ChainRanker` (from the registry, it
carries its ``version_``), or a fitted
:class:`~recommender.targeting.prior_model.PriorModel`. None fits the prior on each call: to
rank many times with the prior, fit it once (``prior_model(data, weak_links)``) and pass it.

>>> top = recommend(data, weak_links, "vacuum_pumps", k=20)                 # doctest: +SKIP
>>> top[["rank", "name", "country", "likelihood", "impact", "value"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.targeting.impact import check_sort
from recommender.targeting.portfolio import COVERAGE_SHARE, COVERS, MARGINAL_GAIN, OBJECTIVE, PICK
from recommender.targeting.prior_model import model_version, prior_model
from recommender.targeting.score_table import (
    FIRM_FIELDS,
    POSITION,
    TOP_REASONS,
    build_score_table,
    check_k,
)
from recommender.targeting.scoring import best_first, scores_of

__all__ = [
    "RECOMMEND_COLUMNS",
    "TARGET_COLUMNS",
    "recommend",
    "score_candidates",
    "target_list",
]

RECOMMEND_COLUMNS = [C.RANK, C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON,
                     C.NODE_ID, C.SCORE, C.P_SUCCESS, C.LIKELIHOOD, C.IMPACT, C.VALUE,
                     C.BASE_RATE, C.RECRUITMENT_STAGE, C.REASONS,
                     C.REASON_ZH, C.REASON_EN, C.IS_SYNTHETIC, C.SOURCE, C.MODEL_VERSION]
TARGET_COLUMNS = [C.RANK, C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON,
                  C.NODE_ID, C.SCORE, C.P_SUCCESS, C.LIKELIHOOD, C.IMPACT, C.VALUE,
                  C.BASE_RATE, C.RECRUITMENT_STAGE, MARGINAL_GAIN, OBJECTIVE, COVERAGE_SHARE,
                  COVERS, C.REASONS, C.REASON_ZH, C.REASON_EN, C.IS_SYNTHETIC, C.SOURCE,
                  C.MODEL_VERSION]


# --- helpers --------------------------------------------------------------------------------
def _as_list(value, name: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    items = [str(v).strip() for v in items if str(v).strip()]
    if not items:
        raise InvalidArgument(f"{name}: give at least one value or None",
                              [{"field": name, "message": "no value given"}])
    return items


def _with_firms(frame: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Add the firm fields (name, country, city, coordinates, size, flags) by firm id."""
    fields = [c for c in FIRM_FIELDS if c in firms.columns]
    unique = firms.drop_duplicates(C.FIRM_ID)
    table = unique.set_index(unique[C.FIRM_ID].astype(str))[fields]
    own = frame.drop(columns=[c for c in fields if c in frame.columns])
    joined = table.reindex(own[C.FIRM_ID].astype(str).to_numpy())
    joined.index = own.index
    return pd.concat([own, joined], axis=1)


# --- the public functions -------------------------------------------------------------------
def score_candidates(data, weak_links: pd.DataFrame, node_ids: Sequence[str], *, model=None,
                     as_of=None) -> pd.DataFrame:
    """Return every candidate of ``node_ids`` with its features, ``score`` and ``p_success``.

    Parameters
    ----------
    data : recommender.ranking.dataset.ChainData
    weak_links : the weak-link table (``recommender.diagnosis.weak_links.diagnose_weak_links``).
    node_ids : the weak links; unknown nodes raise ``NotFoundError``.
    model : a fitted ranker, or None for the prior.
    as_of : the serving date (the day after the latest outcome when None).

    Returns
    -------
    DataFrame
        The serving frame's columns (``firm_id``, ``node_id``, ``match``, ``hop``, ``date``,
        features), the firm fields (name, country, city, coordinates, size class, flags),
        ``score``, ``p_success`` and ``model_version``; by node in the given order, best first.
    """
    from recommender.ranking.features import serving_frame

    nodes = list(dict.fromkeys(str(v) for v in node_ids))
    known = set(data.chain.node_ids)
    for node in nodes:
        if node not in known:
            raise NotFoundError(f"weak link {node!r}: no such node in the chain")
    model = prior_model(data, weak_links) if model is None else model
    frame = _with_firms(serving_frame(data, weak_links, nodes, as_of=as_of), data.firms)
    score, p_success = scores_of(model, frame)
    scored = frame.assign(**{C.SCORE: score, C.P_SUCCESS: p_success,
                             C.MODEL_VERSION: model_version(model)})
    order = best_first(scored[C.FIRM_ID], scored[C.NODE_ID], score, nodes)
    return scored.iloc[order].reset_index(drop=True)


def recommend(data, weak_links: pd.DataFrame, node_id: str, *, model=None, k: int = 50,
              by: str = C.VALUE, country=None, size=None, stage=None,
              exclude_contacted: bool = False, include_landed: bool = False, as_of=None,
              top_reasons: int = TOP_REASONS, engine=None) -> pd.DataFrame:
    """Return the top ``k`` firms to recruit for the weak link ``node_id``.

    Parameters
    ----------
    data : recommender.ranking.dataset.ChainData
    weak_links : the weak-link table of the region.
    node_id : a recruitable node (upstream or midstream).
    model : a fitted ranker or prior; None for the prior fitted now.
    k : firms to return.
    by : the order, one of :data:`~recommender.targeting.impact.SORT_KEYS`: ``value``
        (likelihood x impact, the default), ``likelihood`` or ``impact``.
    country : ISO alpha-2 code or codes to keep.
    size : size class or classes to keep (nano, micro, small, mid, large, mega).
    stage : recruitment stage name or names to keep
        (:data:`recommender.outcome_stages.RECRUITMENT_STAGES`: ``none`` never contacted
        for this node, else the best outcome recorded for the pair).
    exclude_contacted : leave out firms with a recorded outcome for this node (``stage="none"``).
    include_landed : keep the firms that already invested for this node (left out by default
        unless ``stage`` names ``invested``).
    as_of : the serving date.
    top_reasons : positive reasons per firm after the weak link.
    engine : what builds the score table, with the arguments of
        :func:`~recommender.targeting.score_table.build_score_table` (that function when None;
        :func:`recommender.targeting.dask_engine.score_table` scores on a Dask cluster).

    Returns
    -------
    DataFrame
        :data:`RECOMMEND_COLUMNS`, one row per firm, ``rank`` 1 first by ``by`` (ties by
        firm id), ``value == likelihood * impact`` on every row;
        ``outcome_stage`` names each pair's recruitment stage. ``attrs``: ``node_id``,
        ``candidates`` (how many passed the filters) and ``model_version``.

    Raises
    ------
    NotFoundError
        If the node is not in the chain or the weak-link table.
    NotRecruitable
        If the node cannot be recruited for (a downstream application sector).
    InvalidArgument
        If ``k`` is not a positive integer, ``by`` is not an order, or a filter is empty or
        names an unknown size class or stage.
    """
    k = check_k(k)
    node_id = str(node_id)
    filters = {"sort": check_sort(by), "country": _as_list(country, "country"),
               "size": _as_list(size, "size"), "stage": _as_list(stage, "stage"),
               "exclude_contacted": bool(exclude_contacted),
               "include_landed": bool(include_landed)}
    table = (engine or build_score_table)(data, weak_links, model, node_ids=[node_id],
                                          as_of=as_of, top_reasons=top_reasons)
    top, candidates = table.top_k(node_id, k, **filters)
    out = table.rows(top)
    out[C.RANK] = np.arange(1, len(out) + 1)
    out = out.reindex(columns=RECOMMEND_COLUMNS)
    out.attrs.update({C.NODE_ID: node_id, "candidates": int(candidates), "by": by,
                      C.MODEL_VERSION: table.model_version})
    return out


def target_list(data, weak_links: pd.DataFrame, *, model=None, k: int = 30,
                max_country_share: float = 0.4, top_links: int = 10,
                exclude: Iterable[str] = (), as_of=None,
                top_reasons: int = TOP_REASONS, engine=None) -> pd.DataFrame:
    """Return the ``k`` firms that together best cover the ``top_links`` weakest links.

    Candidates of the top recruitable weak links are scored
    (:func:`~recommender.targeting.score_table.build_score_table`); the portfolio
    (``recommender.targeting.portfolio.target_portfolio``) picks firms greedily by their
    marginal expected coverage, ``weight x value`` (``value = likelihood x impact``, the
    expected share of the link the firm fills), never for a link it already invested for,
    with at most
    ``floor(max_country_share x k)`` firms per home country and never an ``exclude``\\ d firm.
    ``engine`` builds the score table, as for :func:`recommend`.
    Each pick is shown with the link it covers best (``node_id``), that pair's score,
    probability and reasons, and ``covers``, every link it adds coverage to.

    Returns
    -------
    DataFrame
        :data:`TARGET_COLUMNS` in pick order; ``attrs`` carries the portfolio's notes
        (``note``, ``saturated``, ``saturated_after``, ``objective``, ``country_cap``,
        ``guarantee``…) and ``link_weights``; the list stops short of ``k`` once coverage
        saturates (no pick would add 1e-4 of the links' total weight).

    Raises
    ------
    DataError
        If no recruitable weak link has a positive score.
    """
    from recommender.diagnosis.weak_links import weak_link_weights

    k = check_k(k)
    nodes = list(weak_link_weights(weak_links, top=top_links).index)
    table = (engine or build_score_table)(data, weak_links, model, node_ids=nodes, as_of=as_of,
                                          top_reasons=top_reasons)
    picks = table.target_picks(k=k, max_country_share=max_country_share, top_links=top_links,
                               exclude=exclude)
    if picks.empty:
        out = pd.DataFrame(columns=TARGET_COLUMNS)
        out.attrs.update(picks.attrs)
        return out
    rows = table.rows(picks[POSITION])
    for column in (MARGINAL_GAIN, OBJECTIVE, COVERAGE_SHARE, COVERS):
        rows[column] = picks[column].to_numpy()
    rows[C.RANK] = picks[PICK].to_numpy()
    out = rows.reindex(columns=TARGET_COLUMNS)
    out.attrs.update(picks.attrs)
    return out
