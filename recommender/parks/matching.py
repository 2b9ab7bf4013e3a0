"""Park matching (园区匹配): which firms suit a park, and which parks suit a firm.

Matching a firm to a park takes two steps, each in its own module:

1. :mod:`~recommender.parks.profiles` reads the park's profile (园区画像: what it offers, its
   focus nodes, its tenants) and estimates what a first site of each firm would need;
2. :mod:`~recommender.parks.scoring` excludes a firm whose need exceeds the park's offer (the
   hard filters) and scores the others with a transparent prior of four parts (synergy with
   tenants, focus fit, capacity fit, proximity), blended with the ranker's scores when given;
   :mod:`~recommender.parks.park_reasons` says why, in Chinese and English.

This module ranks the pairs both ways: the firms for a park (:func:`park_matches`), for every
park at once (:func:`matches_for_parks`, the input of
:func:`recommender.parks.assignment.assign_firms_to_parks`), and the parks for a firm
(:func:`firm_parks`).

>>> matches = park_matches(store.park("zs_xiwan"), firms, links, chain, k=20)  # doctest: +SKIP
>>> matches[["rank", "firm_id", "score", "reason_en"]].head(3)                  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, InvalidArgument, NotFoundError
from recommender.parks.park_reasons import (
    EXCLUDED_REASON_EN,
    EXCLUDED_REASON_ZH,
    LINKED_TENANTS,
    describe_pair,
)
from recommender.parks.profiles import NEED_COLUMNS, park_profiles
from recommender.parks.scoring import (
    CAPACITY_FIT,
    EXCLUDED,
    FOCUS_FIT,
    PROXIMITY,
    REC_SCORE,
    SYNERGY,
    Matcher,
    near_parks,
)

__all__ = ["admitted_pairs", "firm_parks", "matches_for_parks", "park_matches"]

def park_matches(park, firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *, k: int = 50,
                 scores=None, include_excluded: bool = False, needs: pd.DataFrame | None = None,
                 exclude: Iterable[str] = (), firm_id: str = C.FIRM_ID,
                 node_id: str = C.NODE_ID, confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Rank the firms that suit one park: hard filters, then the prior score, with reasons.

    Parameters
    ----------
    park : mapping, Series or one-row DataFrame
        A park profile (``Store.park(...)``, a row of ``Store.parks()``, or an ad-hoc dict,
        validated by :func:`park_profiles`).
    firms : DataFrame
        Candidate firms (``firm_id``; ``name``, ``name_zh``, ``country``, ``city``, ``lat``,
        ``lon``, ``employees``, ``size_class``, ``in_china``, ``in_gba`` where known). Firms
        with no chain link, the park's tenants and ``exclude`` are left out.
    firm_nodes : DataFrame
        Firm-node links (``firm_id``, ``node_id``, ``confidence``) of the firms and of the
        park's tenants.
    chain : Chain
    k : int
        How many admitted firms to return.
    scores : Series, mapping or DataFrame, optional
        A recommendation score per firm (``firm_id`` -> score, or a frame with ``firm_id`` and
        ``score``, the largest per firm counting), blended in (module docstring).
    include_excluded : bool
        Also return the excluded firms that score at least as well as the k-th admitted one,
        flagged ``excluded`` with their reasons and no rank.
    needs : DataFrame, optional
        :func:`firm_needs` output to use instead of estimating.

    Returns
    -------
    DataFrame
        By score: ``rank`` (Int64, admitted firms only), ``park_id``, the firm's identity and
        place, ``score`` and its parts (``synergy``, ``focus_fit``, ``capacity_fit``,
        ``proximity``, and ``rec_score`` with ``scores``), ``distance_km``,
        ``linked_tenants``, the needs, ``excluded``, ``excluded_reason_zh``/``_en``,
        ``reasons`` (dicts with ``feature``, ``zh``, ``en``, ``contribution``), ``reason_zh``,
        ``reason_en``.

    Raises
    ------
    InvalidArgument
        If ``k`` is not a positive whole number or ``park`` holds more than one park.
    DataError
        If a ``firm_id`` appears twice in ``firms``, or ``scores`` is a frame without
        ``firm_id`` and ``score``.
    ValidationError
        If the park profile fails its schema.

    Examples
    --------
    >>> park_matches(store.park("gz_science_city"), firms, links, chain, k=5)  # doctest: +SKIP
    """
    _check_k(k)
    m = Matcher(firms, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
                 node_id=node_id, confidence=confidence)
    profile = _one_profile(park)
    return _park_table(m, profile, k=k, include_excluded=include_excluded, exclude=exclude)


def matches_for_parks(parks, firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *,
                      k: int = 50, scores=None, include_excluded: bool = False,
                      needs: pd.DataFrame | None = None, exclude: Iterable[str] = (),
                      reasons: bool = True, firm_id: str = C.FIRM_ID,
                      node_id: str = C.NODE_ID, confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Return :func:`park_matches` of every park, stacked (the input of an assignment).

    Parameters as :func:`park_matches`; ``parks`` is anything :func:`park_profiles` takes.
    ``reasons=False`` skips the text (``linked_tenants``, ``reasons``, ``reason_zh``/``_en``,
    ``excluded_reason_zh``/``_en`` are left empty) for a caller that shows only the scores,
    such as the recruitment map's flows; the rows and scores are the same.
    """
    _check_k(k)
    m = Matcher(firms, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
                 node_id=node_id, confidence=confidence)
    tables = [_park_table(m, row, k=k, include_excluded=include_excluded, exclude=exclude,
                          reasons=reasons)
              for row in park_profiles(parks).to_dict("records")]
    return pd.concat(tables, ignore_index=True) if tables else _park_table(
        m, None, k=k, include_excluded=False, exclude=exclude)


def firm_parks(firm, parks, firm_nodes: pd.DataFrame, chain, *,
               firms: pd.DataFrame | None = None, k: int | None = None, scores=None,
               include_excluded: bool = False, needs: pd.DataFrame | None = None,
               firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
               confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Rank the parks that suit one firm: :func:`park_matches` the other way round.

    Parameters
    ----------
    firm : str, mapping, Series or one-row DataFrame
        A firm id (looked up in ``firms``) or the firm's row.
    parks : anything :func:`park_profiles` takes
    firms : DataFrame, optional
        Where to find ``firm`` by id, the tenants' names for the reasons and the parks'
        neighbours (firms within ``NEIGHBOUR_KM``) for the synergy.
    k : int, optional
        How many admitted parks to return (default all).

    Returns
    -------
    DataFrame
        One row per park, by score, the columns of :func:`park_matches`. A park where the firm
        is already a tenant is left out.

    Raises
    ------
    NotFoundError
        If ``firm`` is an id not in ``firms``.
    InvalidArgument
        If ``k`` is not a positive whole number, ``firm`` holds more than one firm, or it is an
        id and ``firms`` is None.
    """
    row = _one_firm(firm, firms, firm_id)
    profiles = park_profiles(parks)
    # Every score part is the firm's own, its tenants' or its neighbours': the matcher needs
    # no other firm, so a portrait costs the same over 100 firms or 1,000,000.
    own = str(row[firm_id].iloc[0])
    tenants = {str(t) for listed in profiles[C.TENANTS] for t in (listed or [])} - {own}
    if firms is not None:
        ids = firms[firm_id].astype("str")
        near = set(ids[near_parks(firms, profiles)]) - {own}
        everyone = pd.concat([row, firms[ids.isin(tenants | near)]], ignore_index=True)
    else:
        near, everyone = set(), row
    firm_nodes = firm_nodes[firm_nodes[firm_id].astype("str").isin(tenants | near | {own})]
    m = Matcher(everyone, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
                 node_id=node_id, confidence=confidence)
    tables = [_park_table(m, p, k=None, include_excluded=True, exclude=(), rows=np.array([0]))
              for p in profiles.to_dict("records")]
    table = pd.concat(tables, ignore_index=True) if tables else _park_table(
        m, None, k=None, include_excluded=True, exclude=())
    table = table.sort_values([C.SCORE, C.PARK_ID], ascending=[False, True], kind="stable")
    if not include_excluded:
        table = table[~table[EXCLUDED]]
    admitted = ~table[EXCLUDED].to_numpy(bool)
    ranks = np.cumsum(admitted)
    table[C.RANK] = pd.array(np.where(admitted, ranks, 0), dtype="Int64")
    table.loc[~admitted, C.RANK] = pd.NA
    if k is not None:
        _check_k(k)
        table = table[(ranks <= k) | ~admitted] if include_excluded else table.head(k)
    return table.reset_index(drop=True)


def admitted_pairs(firm_ids: Iterable[str], parks, firms: pd.DataFrame,
                   firm_nodes: pd.DataFrame, chain) -> pd.DataFrame:
    """Return the admitted (firm, park) pairs of ``firm_ids`` and ``parks``, scored by the
    park prior without reasons (the best park of each firm in a file of ranked firms).

    Only the links of the firms, the parks' tenants and their neighbours are read, as for
    :func:`firm_parks`; a neighbour is never matched itself.
    """
    ids = {str(f) for f in firm_ids}
    profiles = park_profiles(parks)
    if not ids or not len(profiles):
        return pd.DataFrame(columns=[C.PARK_ID, C.FIRM_ID, C.SCORE])
    tenants = {str(t) for listed in profiles[C.TENANTS] for t in (listed or [])}
    every = firms[C.FIRM_ID].astype("str")
    near = set(every[near_parks(firms, profiles)]) - ids
    links = firm_nodes[firm_nodes[C.FIRM_ID].astype("str").isin(ids | tenants | near)]
    table = matches_for_parks(profiles, firms[every.isin(ids | near)], links, chain,
                              k=len(ids), reasons=False, exclude=near)
    return table[~table[EXCLUDED]].reset_index(drop=True)


def _check_k(k) -> None:
    if k is not None and (not isinstance(k, int | np.integer) or k < 1):
        raise InvalidArgument(f"k must be a positive whole number, got {k!r}")


def _one_profile(park) -> dict:
    if isinstance(park, pd.DataFrame) and len(park) != 1:
        raise InvalidArgument(f"park: expected one park, got {len(park)} rows")
    return park_profiles(park).iloc[0].to_dict()


def _one_firm(firm, firms: pd.DataFrame | None, firm_id: str) -> pd.DataFrame:
    if isinstance(firm, str):
        if firms is None:
            raise InvalidArgument("firm_parks: a firm given by id needs the firms frame")
        row = firms[firms[firm_id].astype("str") == firm]
        if row.empty:
            raise NotFoundError(f"no firm {firm!r}")
        return row.head(1).reset_index(drop=True)
    if isinstance(firm, pd.DataFrame):
        if len(firm) != 1:
            raise InvalidArgument(f"firm: expected one firm, got {len(firm)} rows")
        return firm.reset_index(drop=True)
    row = pd.DataFrame([dict(firm)])
    if firm_id not in row:
        raise DataError(f"firm: missing {firm_id}")
    return row


def _park_table(m: Matcher, park: dict | None, *, k: int | None, include_excluded: bool,
                exclude: Iterable[str], rows: np.ndarray | None = None,
                reasons: bool = True) -> pd.DataFrame:
    """Score the firms for one park and return the chosen rows with their reasons (without
    them, the text columns left empty, when not ``reasons``)."""
    if park is None:
        return _frame(m, {}, np.array([], int), _empty_parts(m))
    if rows is None:
        leave_out = {str(t) for t in park.get(C.TENANTS) or []} | {str(f) for f in exclude}
        has_link = m.F.max(axis=1) > 0
        rows = np.flatnonzero(has_link & ~pd.Index(m.ids).isin(list(leave_out)))
    else:
        rows = rows[~np.isin(m.ids[rows], [str(t) for t in park.get(C.TENANTS) or []])]
    parts = m.parts(park, rows)
    order = np.lexsort((m.ids[rows], -parts[C.SCORE].to_numpy()))
    rows, parts = rows[order], parts.iloc[order].reset_index(drop=True)
    admitted = ~parts[EXCLUDED].to_numpy(bool)
    rank = np.cumsum(admitted)
    if k is not None:
        keep = admitted & (rank <= k)
        if include_excluded:
            last = parts[C.SCORE].to_numpy()[keep][-1] if keep.any() else -np.inf
            keep |= ~admitted & (parts[C.SCORE].to_numpy() >= last) if keep.sum() >= k \
                else ~admitted
    else:
        keep = admitted | include_excluded
    rows, parts = rows[keep], parts[keep].reset_index(drop=True)
    table = _frame(m, park, rows, parts, reasons=reasons)
    ranked = ~table[EXCLUDED].to_numpy(bool)
    table[C.RANK] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    table.loc[~ranked, C.RANK] = pd.NA
    return table


def _empty_parts(m: Matcher) -> pd.DataFrame:
    cols = [SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY, C.DISTANCE_KM, C.SCORE]
    out = pd.DataFrame({c: np.array([], float) for c in cols})
    out[EXCLUDED] = np.array([], bool)
    if m.rec is not None:
        out[REC_SCORE] = np.array([], float)
    return out


def _frame(m: Matcher, park: dict, rows: np.ndarray, parts: pd.DataFrame, *,
           reasons: bool = True) -> pd.DataFrame:
    firms = m.firms.iloc[rows].reset_index(drop=True)
    text_columns = (LINKED_TENANTS, EXCLUDED_REASON_ZH, EXCLUDED_REASON_EN, C.REASONS,
                    C.REASON_ZH, C.REASON_EN)
    if reasons:
        described = [describe_pair(m, park, int(r), part)
                     for r, part in zip(rows, parts.to_dict("records"), strict=True)]
        text = {c: [d[c] for d in described] for c in text_columns}
    else:
        text = {c: [None] * len(rows) for c in text_columns}
    needs = m.needs.iloc[rows].reset_index(drop=True)
    score_parts = [SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY] + \
        ([REC_SCORE] if REC_SCORE in parts else [])
    out = pd.DataFrame({
        C.RANK: pd.array([pd.NA] * len(rows), dtype="Int64"),
        C.PARK_ID: pd.Series([park.get(C.PARK_ID)] * len(rows), dtype="str"),
        C.FIRM_ID: pd.Series(m.ids[rows], dtype="str"),
        **{c: (firms[c].astype("str") if c in firms else pd.Series([None] * len(rows),
                                                                  dtype="str"))
           for c in (C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY)},
        C.LAT: m.lat[rows], C.LON: m.lon[rows],
        C.SCORE: parts[C.SCORE].to_numpy(float),
        **{p: parts[p].to_numpy(float) for p in score_parts},
        C.DISTANCE_KM: parts[C.DISTANCE_KM].to_numpy(float),
        LINKED_TENANTS: text[LINKED_TENANTS],
        **{c: needs[c].to_numpy(float) if c in needs else np.full(len(rows), np.nan)
           for c in NEED_COLUMNS},
        EXCLUDED: parts[EXCLUDED].to_numpy(bool),
        EXCLUDED_REASON_ZH: pd.Series(text[EXCLUDED_REASON_ZH], dtype="str"),
        EXCLUDED_REASON_EN: pd.Series(text[EXCLUDED_REASON_EN], dtype="str"),
        C.REASONS: text[C.REASONS],
        C.REASON_ZH: pd.Series(text[C.REASON_ZH], dtype="str"),
        C.REASON_EN: pd.Series(text[C.REASON_EN], dtype="str"),
        C.IS_SYNTHETIC: (firms[C.IS_SYNTHETIC].astype("boolean") if C.IS_SYNTHETIC in firms
                         else pd.array([pd.NA] * len(rows), dtype="boolean")),
    })
    return out
