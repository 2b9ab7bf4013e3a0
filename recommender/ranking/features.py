"""The feature frame of (firm, weak link) pairs, for training, serving and evaluation.

Every feature is a row of the registry (:mod:`recommender.ranking.feature_registry`); this
module computes them. Missing inputs give missing (NaN) features, except a firm's size: an
unknown head count or revenue is estimated from what is known (size class, listing, reference
status; :mod:`recommender.ranking.feature_context`) and ``size_basis`` says so, since a real
firm with no reported head count is not a tiny one. LightGBM handles the other NaNs.

:func:`build_features` is vectorised and pure over rows: any partition of the pairs gives
exactly its rows of the whole. It looks firms and nodes up in the bundle's
:class:`~recommender.ranking.feature_context.FeatureContext` (built once per ``ChainData``) and
counts each firm's earlier outcomes (the engagement features,
:mod:`recommender.ranking.engagement`) strictly before the pair's date.
:func:`training_frame` turns the outcome history into ranking groups (one per campaign x node)
with features as of each campaign's date; :func:`serving_frame` ranks live candidates of some
weak links as of a date; :func:`truth_frame` gives every candidate of a demo world's
campaigns, with their true utility, for evaluation; :func:`contacted_pairs` and
:func:`drop_contacted` tell the pairs already contacted.

>>> frame = training_frame(data, weak_links)                      # doctest: +SKIP
>>> frame[feature_names()].dtypes.unique().tolist()               # doctest: +SKIP
[dtype('float32')]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.ranking.candidates import (
    HOP_DISCOUNT,
    candidate_pairs,
    index_in,
    is_in,
    pair_match,
)
from recommender.ranking.engagement import engagement
from recommender.ranking.feature_context import float_values
from recommender.ranking.feature_registry import (
    AGE_YEARS,
    COMMON_LANGUAGE,
    FEATURES,
    HOME_EXPORT_CONTROL,
    LEADER_CUSTOMERS,
    LEADER_SUPPLIERS,
    LOCAL_COMPETITORS,
    LOG1P_PATENTS,
    LOG10_EMPLOYEES,
    LOG10_REVENUE,
    SIZE_BASIS,
    SIZE_RANK,
    TZ_GAP_H,
    WEAK_LINK_FIT,
    feature_names,
)

__all__ = ["REACHED", "build_features", "contacted_pairs", "default_as_of", "drop_contacted",
           "serving_frame", "training_frame", "truth_frame"]

# --- the feature frame ----------------------------------------------------------------------

def default_as_of(data) -> pd.Timestamp:
    """Return the serving date of ``data``: the day after its latest outcome or campaign.

    Every recorded outcome then counts as earlier. Today, when there is no history at all.
    """
    dates = [frame[C.DATE].max() for frame in (data.outcomes, data.campaigns)
             if len(frame) and C.DATE in frame.columns]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        return pd.Timestamp.today().normalize()
    return pd.Timestamp(max(dates)).normalize() + pd.Timedelta(days=1)


def build_features(pairs: pd.DataFrame, data, weak_links: pd.DataFrame, *, as_of=None,
                   firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
                   date: str = C.DATE) -> pd.DataFrame:
    """Return ``pairs`` with every registry feature added, as of each pair's date.

    Parameters
    ----------
    pairs : DataFrame
        ``firm_id`` and ``node_id`` per row; optionally ``date`` (training: the campaign's
        date) and ``match`` with ``hop`` (as :func:`~recommender.ranking.candidates.candidate_pairs`
        gives them; computed from the firm nodes when absent).
    data : recommender.ranking.dataset.ChainData
    weak_links : DataFrame
        One row per node: ``node_id``, ``weak_link_score`` and its components (a missing
        column or node gives NaN).
    as_of : date-like, optional
        The date of pairs without a ``date`` (serving); :func:`default_as_of` when None.

    Returns
    -------
    DataFrame
        The pairs' own columns (except any named like a feature), then one float32 column per
        registry feature in registry order; same index and row order as ``pairs``.

    Notes
    -----
    Engagement features count only outcomes dated strictly before the pair's date. Firm
    profiles are the stored snapshot; only the age moves with the date. The time-zone gap
    is the difference of standard UTC offsets between the firm's IANA zone (its nearest
    city's, else its country's) and the region core's zone; the distance is to the nearer of
    the region's core and its parks.

    Examples
    --------
    >>> pairs = pd.DataFrame({"firm_id": ["syn-0000001"], "node_id": ["vacuum_pumps"]})
    >>> build_features(pairs, data, weak_links)[["distance_km", "match"]]  # doctest: +SKIP
    """
    _require(pairs, [firm_id, node_id], "pairs")
    context = data.feature_context
    firms, nodes = context.firms, context.nodes
    weak = _weak_link_arrays(weak_links, nodes.index)
    at_firm = _Gather(index_in(pairs[firm_id], firms.ids))
    at_node = _Gather(index_in(pairs[node_id], nodes.ids))
    day = _pair_days(pairs, date, as_of, data)
    block = _Block(len(pairs))
    put, col = block.put, firms.column

    employees, revenue, basis = firms.size_estimates()
    put(LOG10_EMPLOYEES, _log10(at_firm(employees)))
    put(LOG10_REVENUE, _log10(at_firm(revenue)))
    put(C.REVENUE_GROWTH, at_firm(col(C.REVENUE_GROWTH)))
    put(C.RD_INTENSITY, at_firm(col(C.RD_INTENSITY)))
    patents = at_firm(col(C.PATENTS))
    put(LOG1P_PATENTS, np.log1p(np.where(patents >= 0, patents, np.nan)))
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    put(AGE_YEARS, year - at_firm(col(C.FOUNDED_YEAR)))
    for name in (C.IS_LISTED, C.INTL_COUNTRIES, C.IN_CHINA, C.IN_GBA):
        put(name, at_firm(col(name)))
    put(SIZE_RANK, at_firm(firms.size_rank))
    put(SIZE_BASIS, at_firm(basis))

    if C.MATCH in pairs.columns and C.HOP in pairs.columns:
        match, hop = float_values(pairs[C.MATCH]), float_values(pairs[C.HOP])
    else:
        found = pair_match(pairs, data.firm_nodes, data.chain, firm_id=firm_id, node_id=node_id)
        match, hop = found[C.MATCH].to_numpy(float), found[C.HOP].to_numpy(float)
    put(C.MATCH, match)
    put(C.HOP, hop)
    for name in (C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS):
        put(name, at_node(weak[name]))
    put(WEAK_LINK_FIT, match * at_node(weak[C.WEAK_LINK_SCORE]))
    distance, tz_gap = firms.geography(data.region)
    put(C.DISTANCE_KM, at_firm(distance))
    put(TZ_GAP_H, at_firm(tz_gap))
    country = at_firm.codes(firms.country_code)  # -1: no country or no such firm
    put(COMMON_LANGUAGE, firms.chinese[country])  # the last entry, NaN, stands for -1
    control = nodes.control_matrix(firms.countries)
    put(HOME_EXPORT_CONTROL, np.where(at_node.missing, np.nan,
                                      control[country, at_node.safe]))
    put(LEADER_CUSTOMERS, at_node(nodes.leader_customers))
    put(LEADER_SUPPLIERS, at_node(nodes.leader_suppliers))
    put(LOCAL_COMPETITORS, at_node(nodes.local_competitors))
    for name, values in engagement(pairs[firm_id], pairs[node_id], day, data.outcomes).items():
        put(name, values)

    named = set(feature_names())
    own = pairs[[c for c in pairs.columns if c not in named]].reset_index(drop=True)
    frame = pd.concat([own, block.frame()], axis=1)
    frame.index = pairs.index
    return frame


class _Gather:
    """Take values at positions (-1: not found, giving NaN), with the masks computed once."""

    def __init__(self, pos: np.ndarray):
        self.missing = pos < 0
        self.any_missing = bool(self.missing.any())
        self.safe = np.where(self.missing, 0, pos) if self.any_missing else pos

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if not len(values):
            return np.full(len(self.safe), np.nan)
        out = np.asarray(values, float).take(self.safe)
        if self.any_missing:
            out[self.missing] = np.nan
        return out

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Integer codes at the positions, -1 where not found."""
        if not len(values):
            return np.full(len(self.safe), -1, np.int64)
        out = values.take(self.safe)
        if self.any_missing:
            out[self.missing] = -1
        return out


class _Block:
    """The feature columns as one preallocated float32 block, in registry order."""

    def __init__(self, n: int):
        self._row = {f.name: i for i, f in enumerate(FEATURES)}
        self._values = np.empty((len(FEATURES), n), dtype=np.float32)
        self._done: set[str] = set()

    def put(self, name: str, values) -> None:
        self._values[self._row[name]] = values
        self._done.add(name)

    def frame(self) -> pd.DataFrame:
        missing = [name for name in self._row if name not in self._done]
        if missing:
            raise RuntimeError(f"features not computed: {', '.join(missing)}")
        return pd.DataFrame(self._values.T, columns=list(self._row), copy=False)


# --- training and serving -------------------------------------------------------------------

# training_frame's columns: the date each contact first reached stage 0, 1 … 4 (NaT: never)
REACHED = tuple(f"reached_{s}" for s in range(5))


def training_frame(data, weak_links: pd.DataFrame) -> pd.DataFrame:
    """Return one ranking row per contact, with features as of its campaign's date.

    Each (campaign, node, firm) contact becomes one row, labelled with the furthest stage its
    outcome rows record. The pair's date is the campaign's date (for a campaign missing from
    ``data.campaigns``, the earliest outcome date recorded for it); contacts for a node outside
    the chain are left out.

    Returns
    -------
    DataFrame
        ``firm_id``, ``node_id``, ``campaign_id``, ``date``, ``label`` (int64, 0..4),
        ``reached_0`` … ``reached_4`` (when the contact first reached each stage, for
        :func:`~recommender.ranking.splits.labels_as_of`), ``group_id``
        (``campaign_id + "|" + node_id``), the registry features, and ``true_utility`` when
        ``data.truth`` is given; sorted by date, group and firm, so that each group's rows are
        contiguous; a fresh RangeIndex.

    Examples
    --------
    >>> frame = training_frame(data, weak_links)                            # doctest: +SKIP
    >>> frame.groupby("group_id", sort=False).size().is_monotonic_increasing  # doctest: +SKIP
    """
    outcomes = data.outcomes
    keys = [C.CAMPAIGN_ID, C.NODE_ID, C.FIRM_ID]
    stage = outcomes[C.OUTCOME_STAGE].to_numpy()
    dated = outcomes[C.DATE].to_numpy("datetime64[ms]")
    # when each contact first reached stage s or better (NaT: never), for labels as of a date
    reached = {REACHED[s]: np.where(stage >= s, dated, np.datetime64("NaT"))
               for s in range(len(REACHED))}
    contacts = (outcomes[keys].assign(**{C.LABEL: stage, "first": dated}, **reached)
                .groupby(keys, sort=False, observed=True)
                .agg(**{C.LABEL: (C.LABEL, "max"), "first": ("first", "min")},
                     **{name: (name, "min") for name in REACHED})
                .reset_index())
    contacts = contacts[contacts[C.NODE_ID].isin(set(data.chain.node_ids))]
    campaigns = data.campaigns.drop_duplicates(C.CAMPAIGN_ID)
    started = pd.Series(campaigns[C.DATE].to_numpy("datetime64[ms]"),
                        index=campaigns[C.CAMPAIGN_ID].astype("str").to_numpy())
    campaign = contacts[C.CAMPAIGN_ID].astype("str")
    first_seen = contacts.groupby(C.CAMPAIGN_ID)["first"].transform("min")
    dates = started.reindex(campaign.to_numpy()).to_numpy("datetime64[ms]")
    pairs = pd.DataFrame({
        C.FIRM_ID: contacts[C.FIRM_ID].astype("str").to_numpy(),
        C.NODE_ID: contacts[C.NODE_ID].astype("str").to_numpy(),
        C.CAMPAIGN_ID: campaign.to_numpy(),
        C.DATE: np.where(np.isnat(dates), first_seen.to_numpy("datetime64[ms]"), dates),
        C.LABEL: contacts[C.LABEL].to_numpy(np.int64),
    })
    pairs[C.GROUP_ID] = pairs[C.CAMPAIGN_ID] + "|" + pairs[C.NODE_ID]
    for name in REACHED:
        pairs[name] = contacts[name].to_numpy("datetime64[ms]")
    pairs = pairs.sort_values([C.DATE, C.GROUP_ID, C.FIRM_ID], kind="stable", ignore_index=True)
    frame = build_features(pairs, data, weak_links)
    if data.truth is not None:
        frame[C.TRUE_UTILITY] = _truth_of(frame, data.truth)
    return frame


def truth_frame(data, weak_links: pd.DataFrame,
                campaign_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Return every candidate of some campaigns of a demo world, contacted or not.

    The candidates are those of the synthetic truth (``data.truth``): every firm the generator
    considered for the campaign's weak link, with its ``true_utility``. Features are as of the
    campaign's date, as in :func:`training_frame`; there is no observed label (an evaluation
    draws outcome stages from the true utilities, see ``recommender.ranking.evaluation``).

    Parameters
    ----------
    campaign_ids : the campaigns to keep (all of the truth's when None).

    Returns
    -------
    DataFrame
        ``firm_id``, ``node_id``, ``campaign_id``, ``date``, ``group_id``, ``true_utility`` and
        the registry features; sorted by date, group and firm; a fresh RangeIndex.

    Raises
    ------
    DataError
        If ``data`` has no truth (only a generated demo world has one), or a truth campaign is
        missing from ``data.campaigns``.

    Examples
    --------
    >>> every = truth_frame(data, weak_links, ["C2026-01-02"])          # doctest: +SKIP
    >>> every.groupby("group_id").size().iloc[0] > 1000                  # doctest: +SKIP
    True
    """
    if data.truth is None:
        raise DataError("no synthetic truth: every-candidate frames exist for demo worlds only")
    truth = data.truth
    if campaign_ids is not None:
        truth = truth[is_in(truth[C.CAMPAIGN_ID], set(map(str, campaign_ids)))]
    campaign = truth[C.CAMPAIGN_ID].astype("str").to_numpy()
    campaigns = data.campaigns.drop_duplicates(C.CAMPAIGN_ID)
    started = pd.Series(campaigns[C.DATE].to_numpy("datetime64[ms]"),
                        index=campaigns[C.CAMPAIGN_ID].astype("str").to_numpy())
    dates = started.reindex(campaign).to_numpy("datetime64[ms]")
    if np.isnat(dates).any():
        lost = campaign[np.isnat(dates)][0]
        raise DataError(f"truth: campaign {lost!r} is not among the campaigns")
    pairs = pd.DataFrame({
        C.FIRM_ID: truth[C.FIRM_ID].astype("str").to_numpy(),
        C.NODE_ID: truth[C.NODE_ID].astype("str").to_numpy(),
        C.CAMPAIGN_ID: campaign, C.DATE: dates,
        C.TRUE_UTILITY: truth[C.TRUE_UTILITY].to_numpy(np.float64),
    })
    pairs = pairs[pairs[C.NODE_ID].isin(set(data.chain.node_ids))]
    pairs[C.GROUP_ID] = pairs[C.CAMPAIGN_ID] + "|" + pairs[C.NODE_ID]
    pairs = pairs.sort_values([C.DATE, C.GROUP_ID, C.FIRM_ID], kind="stable", ignore_index=True)
    return build_features(pairs, data, weak_links)


def serving_frame(data, weak_links: pd.DataFrame, node_ids: Sequence[str], *, as_of=None,
                  hop_discount: float = HOP_DISCOUNT,
                  include_neighbours: bool = True) -> pd.DataFrame:
    """Return the live candidates of ``node_ids`` with their features as of ``as_of``.

    The candidates are those of :func:`~recommender.ranking.candidates.candidate_pairs` (non-local
    firms, hop 0 or 1); ``date`` is ``as_of`` (:func:`default_as_of` when None) on every row.

    Examples
    --------
    >>> live = serving_frame(data, weak_links, ["vacuum_pumps", "lasers"])  # doctest: +SKIP
    >>> live.columns[:4].tolist()                                          # doctest: +SKIP
    ['firm_id', 'node_id', 'date', 'log10_employees']
    """
    when = pd.Timestamp(as_of).normalize() if as_of is not None else default_as_of(data)
    pairs = candidate_pairs(data.firms, data.firm_nodes, data.chain, node_ids,
                            region=data.region, hop_discount=hop_discount,
                            include_neighbours=include_neighbours)
    pairs[C.DATE] = np.full(len(pairs), np.datetime64(when, "ms"))
    return build_features(pairs, data, weak_links)


def contacted_pairs(data) -> pd.DataFrame:
    """Return every (firm, node) pair with a recorded outcome: its latest date and best stage.

    Columns ``firm_id``, ``node_id``, ``date``, ``stage``; one row per pair.
    """
    o = data.outcomes
    if not len(o):
        return pd.DataFrame({C.FIRM_ID: pd.Series([], dtype="str"),
                             C.NODE_ID: pd.Series([], dtype="str"),
                             C.DATE: pd.Series([], dtype="datetime64[ms]"),
                             C.OUTCOME_STAGE: pd.Series([], dtype="int64")})
    return (o.groupby([C.FIRM_ID, C.NODE_ID], sort=True, observed=True)
            .agg(**{C.DATE: (C.DATE, "max"), C.OUTCOME_STAGE: (C.OUTCOME_STAGE, "max")})
            .reset_index())


def drop_contacted(pairs: pd.DataFrame, data, *, firm_id: str = C.FIRM_ID,
                   node_id: str = C.NODE_ID) -> pd.DataFrame:
    """Return the rows of ``pairs`` whose (firm, node) pair has no recorded outcome."""
    seen = contacted_pairs(data)
    maybe = np.flatnonzero(is_in(pairs[firm_id], seen[C.FIRM_ID]))  # firms with outcomes
    known = pd.MultiIndex.from_arrays([seen[C.FIRM_ID].astype("str"),
                                       seen[C.NODE_ID].astype("str")])
    mine = pd.MultiIndex.from_arrays([pairs[firm_id].iloc[maybe].astype("str"),
                                      pairs[node_id].iloc[maybe].astype("str")])
    drop = np.zeros(len(pairs), bool)
    drop[maybe[mine.isin(known)]] = True
    return pairs[~drop]


# --- helpers --------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, names: list[str], what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def _pair_days(pairs: pd.DataFrame, date: str, as_of, data) -> np.ndarray:
    """Each pair's date as datetime64[D]: its own date, else ``as_of``, else the default."""
    fallback = np.datetime64(
        (pd.Timestamp(as_of) if as_of is not None else default_as_of(data)).normalize(), "D")
    if date not in pairs.columns:
        return np.full(len(pairs), fallback)
    own = pd.to_datetime(pairs[date]).to_numpy("datetime64[D]")
    return np.where(np.isnat(own), fallback, own)


def _weak_link_arrays(weak_links: pd.DataFrame, index: pd.Index) -> dict[str, np.ndarray]:
    _require(weak_links, [C.NODE_ID], "weak links")
    ids = weak_links[C.NODE_ID].astype("str")
    if ids.duplicated().any():
        raise DataError(f"weak links: node {ids[ids.duplicated()].iloc[0]!r} appears twice")
    table = weak_links.set_index(ids)
    return {name: (float_values(table[name].reindex(index)) if name in table.columns
                   else np.full(len(index), np.nan))
            for name in (C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS)}


def _truth_of(frame: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true utility of each (campaign, firm, node) row of ``frame`` (NaN where absent)."""
    truth = truth[is_in(truth[C.FIRM_ID], frame[C.FIRM_ID].unique())]  # the truth is large
    key = pd.MultiIndex.from_arrays([truth[C.CAMPAIGN_ID].astype("str"),
                                     truth[C.FIRM_ID].astype("str"),
                                     truth[C.NODE_ID].astype("str")])
    values = pd.Series(truth[C.TRUE_UTILITY].to_numpy(np.float64), index=key)
    values = values[~values.index.duplicated()]
    want = pd.MultiIndex.from_arrays([frame[C.CAMPAIGN_ID].astype("str"),
                                      frame[C.FIRM_ID].astype("str"),
                                      frame[C.NODE_ID].astype("str")])
    return values.reindex(want).to_numpy(np.float64)
