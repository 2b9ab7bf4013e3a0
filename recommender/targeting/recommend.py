"""Ranked firms for a weak link, all scored candidates, and the target list (招商目标清单).

- :func:`recommend`: the top ``k`` firms for one weak link, with scores, the calibrated
  probability of an MoU or better, reasons in Chinese and English and the model version.
- :func:`score_candidates`: every candidate of some weak links with its score and probability,
  for the target list and for the service's cache (keyed by model version and data version).
- :func:`target_list`: the ``k`` firms that best cover the top weak links together
  (``recommender.targeting.portfolio.target_portfolio`` over
  ``recommender.diagnosis.weak_links.weak_link_weights``).

``model`` is a fitted :class:`~recommender.ranking.ranker.ChainRanker` (from the registry, it
carries its ``version_``), or None for the transparent prior (:func:`prior_model`, version
``"prior"``), which serves until a model exists.

>>> top = recommend(data, weak_links, "vacuum_pumps", k=20)                 # doctest: +SKIP
>>> top[["rank", "name", "country", "score", "p_success", "reason_en"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.targeting.stages import best_stage_codes, stage_codes, stage_names

__all__ = [
    "PRIOR_VERSION",
    "REASON_EN",
    "REASON_ZH",
    "RECOMMEND_COLUMNS",
    "TARGET_COLUMNS",
    "PriorModel",
    "model_version",
    "prior_model",
    "recommend",
    "score_candidates",
    "target_list",
]

PRIOR_VERSION = "prior"
REASON_ZH = "reason_zh"
REASON_EN = "reason_en"
OUTCOME_STAGE = "outcome_stage"  # the pair's recruitment stage (recommender.targeting.stages)
FIRM_FIELDS = [C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON, C.SIZE_CLASS,
               C.IS_SYNTHETIC, C.SOURCE]
RECOMMEND_COLUMNS = [C.RANK, C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON,
                     C.NODE_ID, C.SCORE, C.P_SUCCESS, OUTCOME_STAGE, C.REASONS, REASON_ZH,
                     REASON_EN, C.IS_SYNTHETIC, C.SOURCE, C.MODEL_VERSION]
SIZE_CLASSES = C.SIZE_CLASSES
BASELINE_ROWS = 2000  # candidates whose mean contributions are the reasons' reference
_CALIBRATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# --- the prior as a model -------------------------------------------------------------------
class PriorModel:
    """The cold-start prior with the interface of a fitted ranker.

    ``calibration`` maps prior scores to ``P(stage >= 3)`` (see
    :func:`recommender.ranking.ranker.apply_calibration`).
    """

    version_ = PRIOR_VERSION

    def __init__(self, calibration: dict):
        self.calibration_ = dict(calibration)

    def __repr__(self) -> str:
        return f"PriorModel(calibration={self.calibration_['method']!r})"

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        from recommender.ranking.prior import prior_scores

        return prior_scores(frame)

    def predict_proba_success(self, frame: pd.DataFrame) -> np.ndarray:
        from recommender.ranking.ranker import apply_calibration

        return apply_calibration(self.predict(frame), self.calibration_)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        from recommender.ranking.prior import prior_contributions

        return prior_contributions(frame)


def prior_model(data, weak_links: pd.DataFrame) -> PriorModel:
    """Return the prior, calibrated on the history of ``data`` (cached per bundle).

    The calibration is a Platt fit of ``stage >= 3`` on the prior scores of every recorded
    contact (:func:`recommender.ranking.features.training_frame`); without outcomes of both kinds it
    is the smoothed base rate, the same for every firm.
    """
    cached = _CALIBRATIONS.get(data)
    if cached is not None and cached[0]() is weak_links:
        return PriorModel(cached[1])
    from recommender.ranking.metrics import RELEVANT_STAGE
    from recommender.ranking.prior import prior_scores
    from recommender.ranking.ranker import fit_calibration

    if len(data.outcomes):
        from recommender.ranking.features import training_frame

        frame = training_frame(data, weak_links)
        calibration = fit_calibration(prior_scores(frame), frame[C.LABEL].to_numpy(),
                                      RELEVANT_STAGE, "history")
    else:
        calibration = fit_calibration(np.zeros(0), np.zeros(0, int), RELEVANT_STAGE,
                                      "history")
    _CALIBRATIONS[data] = (weakref.ref(weak_links), calibration)
    return PriorModel(calibration)


def model_version(model) -> str:
    """Return the version a model serves under: the registry's, ``prior``, or ``unsaved``."""
    return str(getattr(model, "version_", None) or "unsaved")


# --- helpers --------------------------------------------------------------------------------
def _weak_link_row(weak_links: pd.DataFrame, node_id: str, chain) -> pd.Series:
    if node_id not in set(chain.node_ids):
        raise NotFoundError(f"weak link {node_id!r}: no such node in chain "
                            f"{getattr(chain, 'id', '')!r}")
    rows = weak_links[weak_links[C.NODE_ID].astype(str) == node_id]
    if rows.empty:
        raise NotFoundError(f"weak link {node_id!r}: not in the weak-link table")
    row = rows.iloc[0]
    if "can_recruit" in rows.columns and not bool(row["can_recruit"]):
        stage = row.get(C.STAGE, "downstream")
        raise DataError(f"node {node_id!r} ({stage}) cannot be recruited for: only upstream and "
                        f"midstream nodes are weak links to fill; downstream nodes are "
                        f"application sectors")
    return row


def _as_list(value, name: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    items = [str(v).strip() for v in items if str(v).strip()]
    if not items:
        raise ValueError(f"{name}: give at least one value or None")
    return items


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)


def _with_firms(frame: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Add the firm fields (name, country, city, coordinates, size, flags) by firm id."""
    fields = [c for c in FIRM_FIELDS if c in firms.columns]
    unique = firms.drop_duplicates(C.FIRM_ID)
    table = unique.set_index(unique[C.FIRM_ID].astype(str))[fields]
    own = frame.drop(columns=[c for c in fields if c in frame.columns])
    joined = table.reindex(own[C.FIRM_ID].astype(str).to_numpy())
    joined.index = own.index
    return pd.concat([own, joined], axis=1)


def _scored(frame: pd.DataFrame, model) -> pd.DataFrame:
    out = frame.copy()
    if len(out):
        out[C.SCORE] = np.asarray(model.predict(out), float)
        out[C.P_SUCCESS] = np.asarray(model.predict_proba_success(out), float)
    else:
        out[C.SCORE] = pd.Series(dtype=float)
        out[C.P_SUCCESS] = pd.Series(dtype=float)
    out[C.MODEL_VERSION] = model_version(model)
    return out


def _best_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by score, highest first; ties by firm id, so the order never depends on row order."""
    key = frame[C.FIRM_ID].astype(str)
    order = np.lexsort((key.to_numpy(), -frame[C.SCORE].to_numpy(float)))
    return frame.iloc[order]


def _baseline(model, pool: pd.DataFrame | None) -> pd.Series | None:
    """Mean contributions over the candidate pool (at most BASELINE_ROWS rows, evenly spread)."""
    if pool is None or not len(pool):
        return None
    if len(pool) > BASELINE_ROWS:
        pool = pool.iloc[np.linspace(0, len(pool) - 1, BASELINE_ROWS).astype(int)]
    return model.contributions(pool).mean(axis=0)


def _with_reasons(rows: pd.DataFrame, model, data, weak_links, top_reasons: int,
                  pool: pd.DataFrame | None = None) -> pd.DataFrame:
    from recommender.ranking.reasons import join_reasons, reasons_for

    out = rows.copy()
    if not len(out):
        out[C.REASONS] = pd.Series(dtype=object)
        out[REASON_ZH] = pd.Series(dtype=object)
        out[REASON_EN] = pd.Series(dtype=object)
        return out
    region = data.region
    reasons = reasons_for(out, model.contributions(out), node_names=weak_links, top=top_reasons,
                          region_name=(getattr(region, "name_zh", None),
                                       getattr(region, "name_en", None)),
                          baseline=_baseline(model, pool))
    out[C.REASONS] = pd.Series(reasons, index=out.index, dtype=object)
    out[REASON_ZH] = [join_reasons(r, "zh") for r in reasons]
    out[REASON_EN] = [join_reasons(r, "en") for r in reasons]
    return out


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
    for node in nodes:
        if node not in set(data.chain.node_ids):
            raise NotFoundError(f"weak link {node!r}: no such node in the chain")
    model = prior_model(data, weak_links) if model is None else model
    frame = _with_firms(serving_frame(data, weak_links, nodes, as_of=as_of), data.firms)
    scored = _scored(frame, model)
    position = {v: i for i, v in enumerate(nodes)}
    node_rank = scored[C.NODE_ID].astype(str).map(position).to_numpy(int) if len(scored) \
        else np.zeros(0, int)
    order = np.lexsort((scored[C.FIRM_ID].astype(str).to_numpy(),
                        -scored[C.SCORE].to_numpy(float), node_rank))
    return scored.iloc[order].reset_index(drop=True)


def recommend(data, weak_links: pd.DataFrame, node_id: str, *, model=None, k: int = 50,
              country=None, size=None, stage=None, exclude_contacted: bool = False,
              as_of=None, top_reasons: int = 3) -> pd.DataFrame:
    """Return the top ``k`` firms to recruit for the weak link ``node_id``.

    Parameters
    ----------
    data : recommender.ranking.dataset.ChainData
    weak_links : the weak-link table of the region.
    node_id : a recruitable node (upstream or midstream).
    model : a fitted ranker; None for the prior.
    k : firms to return.
    country : ISO alpha-2 code or codes to keep.
    size : size class or classes to keep (nano, micro, small, mid, large, mega).
    stage : recruitment stage name or names to keep
    (:data:`recommender.targeting.stages.RECRUITMENT_STAGES`:
        ``none`` never contacted for this node, else the best outcome recorded for the pair).
    exclude_contacted : leave out firms with a recorded outcome for this node (``stage="none"``).
    as_of : the serving date.
    top_reasons : positive reasons per firm after the weak link.

    Returns
    -------
    DataFrame
        :data:`RECOMMEND_COLUMNS`, one row per firm, ``rank`` 1 first (ties by firm id);
        ``outcome_stage`` names each pair's recruitment stage.

    Raises
    ------
    NotFoundError
        If the node is not in the chain or the weak-link table.
    DataError
        If the node cannot be recruited for (a downstream application sector).
    """
    k = _check_k(k)
    node_id = str(node_id)
    _weak_link_row(weak_links, node_id, data.chain)
    countries = _as_list(country, "country")
    sizes = _as_list(size, "size")
    if sizes is not None:
        unknown = [s for s in sizes if s.lower() not in SIZE_CLASSES]
        if unknown:
            raise ValueError(f"size: unknown size class(es) {unknown}; use "
                             f"{', '.join(SIZE_CLASSES)}")
    stages = _as_list(stage, "stage")
    wanted_stages = stage_codes(stages) if stages is not None else None
    from recommender.ranking.features import contacted_pairs, serving_frame

    frame = serving_frame(data, weak_links, [node_id], as_of=as_of)
    codes = best_stage_codes(frame, contacted_pairs(data))
    if exclude_contacted:
        codes, frame = codes[codes < 0], frame[codes < 0]
    if wanted_stages is not None:
        keep = np.isin(codes, wanted_stages)
        codes, frame = codes[keep], frame[keep]
    frame = frame.assign(**{OUTCOME_STAGE: stage_names(codes)})
    frame = _with_firms(frame, data.firms)
    if countries is not None:
        wanted = {c.upper() for c in countries}
        frame = frame[frame[C.COUNTRY].astype(str).str.upper().isin(wanted)]
    if sizes is not None and C.SIZE_CLASS in frame.columns:
        frame = frame[frame[C.SIZE_CLASS].astype(str).str.lower().isin(
            {s.lower() for s in sizes})]
    model = prior_model(data, weak_links) if model is None else model
    top = _best_first(_scored(frame, model)).head(k)
    top = _with_reasons(top, model, data, weak_links, top_reasons, pool=frame)
    top[C.RANK] = np.arange(1, len(top) + 1)
    out = top.reindex(columns=RECOMMEND_COLUMNS).reset_index(drop=True)
    out.attrs.update({"node_id": node_id, "candidates": int(len(frame)),
                      "model_version": model_version(model)})
    return out


TARGET_COLUMNS = [C.RANK, C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON,
                  C.NODE_ID, C.SCORE, C.P_SUCCESS, "marginal_gain", "objective",
                  "coverage_share", "covers", C.REASONS, REASON_ZH, REASON_EN, C.IS_SYNTHETIC,
                  C.SOURCE, C.MODEL_VERSION]


def target_list(data, weak_links: pd.DataFrame, *, model=None, k: int = 30,
                max_country_share: float = 0.4, top_links: int = 10,
                exclude: Iterable[str] = (), as_of=None, top_reasons: int = 3) -> pd.DataFrame:
    """Return the ``k`` firms that together best cover the ``top_links`` weakest links.

    Candidates of the top recruitable weak links are scored (:func:`score_candidates`); the
    portfolio (``recommender.targeting.portfolio.target_portfolio``) picks firms greedily by their
    marginal expected coverage, ``weight x p_success``, with at most
    ``floor(max_country_share x k)`` firms per home country and never an ``exclude``\\ d firm.
    Each pick is shown with the link it covers best (``node_id``), that pair's score,
    probability and reasons, and ``covers``, every link it adds coverage to.

    Returns
    -------
    DataFrame
        :data:`TARGET_COLUMNS` in pick order; ``attrs`` carries the portfolio's notes
        (``note``, ``objective``, ``country_cap``, ``guarantee``…) and ``link_weights``.
    """
    from recommender.diagnosis.weak_links import weak_link_weights
    from recommender.targeting.portfolio import COVERS, target_portfolio

    k = _check_k(k)
    weights = weak_link_weights(weak_links, top=top_links)
    if weights.empty:
        raise DataError("no recruitable weak link with a positive score: nothing to target")
    model = prior_model(data, weak_links) if model is None else model
    candidates = score_candidates(data, weak_links, list(weights.index), model=model,
                                  as_of=as_of)
    picks = target_portfolio(candidates, weights, k=k, max_country_share=max_country_share,
                             exclude=exclude)
    if picks.empty:
        out = pd.DataFrame(columns=TARGET_COLUMNS)
        out.attrs.update(picks.attrs)
        return out
    main = [max(c, key=lambda x: x["gain"])[C.NODE_ID] if len(c) else None
            for c in picks[COVERS]]
    key = pd.MultiIndex.from_arrays([candidates[C.FIRM_ID].astype(str),
                                     candidates[C.NODE_ID].astype(str)])
    at = key.get_indexer(pd.MultiIndex.from_arrays([picks[C.FIRM_ID].astype(str),
                                                    pd.Series(main, dtype=object).astype(str)]))
    rows = candidates.iloc[np.maximum(at, 0)].reset_index(drop=True)
    rows = _with_reasons(rows, model, data, weak_links, top_reasons, pool=candidates)
    for column in ("marginal_gain", "objective", "coverage_share", COVERS):
        rows[column] = picks[column].to_numpy()
    rows[C.RANK] = picks["pick"].to_numpy()
    out = rows.reindex(columns=TARGET_COLUMNS)
    out.attrs.update(picks.attrs)
    out.attrs["link_weights"] = {str(k_): float(v) for k_, v in weights.items()}
    return out
