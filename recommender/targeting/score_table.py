"""The one ranking engine: the candidates of weak links, scored once and kept sorted per link.

:func:`build_score_table` scores every (firm, weak link) candidate of the asked recruitable weak
links (every recruitable one by default) with a model, as
:func:`recommender.ranking.features.serving_frame` lays them out, and keeps them sorted per link,
best first, ties by firm id. Everything that ranks firms reads that :class:`ScoreTable`:
:func:`recommender.targeting.recommend.recommend` and
:func:`~recommender.targeting.recommend.target_list` query a table built for their links (and
the CLI calls them); the service keeps one table per snapshot for its API and its pages. A query
filters one link's slice and takes its first ``k`` positions: no model call, no sort.

Each row carries three figures: ``likelihood`` (the model's calibrated probability of an MoU or
better, also served as ``p_success``), ``impact`` (how much of the link the firm could fill,
:mod:`recommender.targeting.impact`) and ``value = likelihood x impact``. A list can be asked in
any of their orders (:data:`~recommender.targeting.impact.SORT_KEYS`, ``value`` by default):
the table keeps one precomputed order per key, so a query in any order is still a filter over a
sorted slice. Firms that already invested for the link (stage ``invested``, 投资落地) are done:
they leave every list unless asked for (``include_landed``, or a stage filter that names them),
and the target list never picks them for that link.

Reasons (:mod:`recommender.ranking.reasons`) need each row's feature contributions. They are
taken relative to the link's *baseline*: the mean contributions of :data:`BASELINE_ROWS` of its
candidates, evenly spread along its ranking, so that a row's reasons depend neither on the
filters asked nor on the other links the table holds. A row's reasons are computed when first
asked (the first ``reasons_ahead`` rows of each link when the table is built), then kept on the
table.

:func:`recommender.targeting.scoring.ranking_inputs` reads what a table is built from: the
store's data and its weak links.

>>> table = build_score_table(data, weak_links, model, node_ids=["vacuum_pumps"])  # doctest: +SKIP
>>> positions, passed = table.top_k("vacuum_pumps", 20, country=["DE", "JP"])    # doctest: +SKIP
>>> table.rows(positions)[["firm_id", "score", "reason_en"]].head(3)          # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, InvalidArgument, NotFoundError
from recommender.outcome_stages import RECRUITMENT_STAGES
from recommender.targeting.impact import SORT_KEYS, check_sort
from recommender.targeting.partitions import scored_pairs
from recommender.targeting.prior_model import model_version
from recommender.targeting.scoring import (
    base_rate,
    best_first,
    check_k,
    check_link,
    scores_of,
    scoring_scope,
)
from recommender.targeting.stages import stage_codes

__all__ = [
    "BASELINE_ROWS",
    "FIRM_FIELDS",
    "LANDED_STAGE",
    "PAIR_ARRAYS",
    "POSITION",
    "ROW_COLUMNS",
    "TOP_REASONS",
    "ScoreTable",
    "build_score_table",
    "check_k",
    "check_link",
    "table_of_pairs",
]

# Candidates of a link (evenly spread along its ranking) whose mean contributions are the
# reasons' reference. Contributions cost about 0.1 ms a row with LightGBM: 500 a link keep a
# table of 70 links within seconds, while their mean moves little.
BASELINE_ROWS = 500
TOP_REASONS = 3  # positive reasons per row after the weak link
FIRM_FIELDS = [C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON, C.SIZE_CLASS, C.IS_SYNTHETIC,
               C.SOURCE]
# A row as :meth:`ScoreTable.rows` gives it: the firm, the link, the scores, the reasons.
ROW_COLUMNS = [C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON, C.SIZE_CLASS,
               C.NODE_ID, C.LINK_NAME_ZH, C.LINK_NAME_EN, C.SCORE, C.P_SUCCESS, C.LIKELIHOOD,
               C.IMPACT, C.VALUE, C.BASE_RATE, C.MATCH, C.HOP,
               C.CONTACTED, C.RECRUITMENT_STAGE, C.REASONS, C.REASON_ZH, C.REASON_EN, C.SOURCE,
               C.IS_SYNTHETIC, C.MODEL_VERSION]
# What a table's queries read, one value per position (see ScoreTable.pair_arrays).
PAIR_ARRAYS = ("firm_at", "node_at", C.SCORE, C.P_SUCCESS, C.IMPACT, C.VALUE, C.MATCH, C.HOP,
               C.OUTCOME_STAGE, *(f"{kind}_{key}" for kind in ("order", "rank")
                                  for key in SORT_KEYS))
POSITION = "position"  # the table row a target-list pick is shown with
LANDED_STAGE = "invested"  # the stage at which a firm is done for a link (投资落地)
_LANDED_CODE = RECRUITMENT_STAGES.index(LANDED_STAGE) - 1


class ScoreTable:
    """Candidates of weak links, scored by one model, sorted per link, best first.

    Built by :func:`build_score_table` (``pairs`` a frame of scored pairs), or from the
    arrays of :meth:`pair_arrays` (:mod:`recommender.targeting.score_file`). A *position* is
    a row of the sorted table; the queries return positions, :meth:`rows` and
    :meth:`records` show them. Safe to read from many threads at once: nothing changes after
    the build but the reasons kept.

    Attributes
    ----------
    model, data, weak_links : what the table was scored from.
    nodes : the weak links it holds, in the order they were asked.
    model_version : the version the model serves under.
    base_rate : the share of the recorded contacts that reached an MoU or better (None
        without outcomes): what a likelihood compares with.
    as_of : the serving date of the features.
    top_reasons : positive reasons per row after the weak link.
    """

    def __init__(self, *, model, data, weak_links: pd.DataFrame, nodes: list[str],
                 pairs: pd.DataFrame | Mapping[str, np.ndarray],
                 slices: dict[str, tuple[int, int]],
                 baselines: dict[str, pd.Series], as_of: pd.Timestamp,
                 top_reasons: int = TOP_REASONS):
        self.model = model
        self.data = data
        self.weak_links = weak_links
        self.nodes = list(nodes)
        self.model_version = model_version(model)
        self.base_rate = base_rate(data.outcomes)
        self.as_of = as_of
        self.top_reasons = top_reasons
        self._slices = slices  # node id -> (start, stop) of its positions
        self._baselines = baselines
        firms = data.firms.drop_duplicates(C.FIRM_ID).reset_index(drop=True)
        self._firms = firms.reindex(columns=[C.FIRM_ID, *FIRM_FIELDS])
        self._firm_index = pd.Index(self._firms[C.FIRM_ID].astype(str))
        # a firm's shown fields are made when its row is shown: no dict per firm kept
        self._firm_values = [(n, self._firms[n].array) for n in (C.FIRM_ID, *FIRM_FIELDS)]
        arrays = pairs if isinstance(pairs, Mapping) else self._pair_arrays(pairs)
        self._firm_at, self._node_at = arrays["firm_at"], arrays["node_at"]
        self._score, self._p_success = arrays[C.SCORE], arrays[C.P_SUCCESS]
        self._impact, self._value = arrays[C.IMPACT], arrays[C.VALUE]
        self._match, self._hop = arrays[C.MATCH], arrays[C.HOP]
        self._stage = arrays[C.OUTCOME_STAGE]  # -1: never contacted
        self._country_codes, self._countries = pd.factorize(
            self._firms[C.COUNTRY].astype("string").str.upper())
        self._size_codes, self._sizes = pd.factorize(
            self._firms[C.SIZE_CLASS].astype("string").str.lower())
        names = weak_links.drop_duplicates(C.NODE_ID).set_index(C.NODE_ID)
        self._node_names = {n: (names.at[n, C.NODE_NAME_ZH], names.at[n, C.NODE_NAME_EN])
                            for n in self.nodes}
        self._orders = {key: arrays[f"order_{key}"] for key in SORT_KEYS}
        self._rank_at = {key: arrays[f"rank_{key}"] for key in SORT_KEYS}
        self._reasons: dict[int, dict[str, Any]] = {}
        self._model_lock = threading.Lock()

    def _pair_arrays(self, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
        """The table's arrays of ``pairs`` (:data:`PAIR_ARRAYS`): each pair's firm row and
        link, its figures, and the positions in each order of SORT_KEYS (link by link, best
        first, ties by firm id) with each position's place in that order. The positions are
        in likelihood order."""
        p_success, impact = pairs[C.P_SUCCESS].to_numpy(float), pairs[C.IMPACT].to_numpy(float)
        arrays = {
            "firm_at": self._firm_index.get_indexer(pairs[C.FIRM_ID].astype(str)),
            "node_at": pd.Index(self.nodes).get_indexer(pairs[C.NODE_ID].astype(str)),
            C.SCORE: pairs[C.SCORE].to_numpy(float), C.P_SUCCESS: p_success,
            C.IMPACT: impact, C.VALUE: p_success * impact,
            C.MATCH: pairs[C.MATCH].to_numpy(float), C.HOP: pairs[C.HOP].to_numpy(np.int64),
            C.OUTCOME_STAGE: pairs[C.OUTCOME_STAGE].to_numpy(np.int8),
        }
        firms = pairs[C.FIRM_ID].astype(str).to_numpy()
        keys = {C.LIKELIHOOD: None, C.VALUE: arrays[C.VALUE], C.IMPACT: impact}
        for key in SORT_KEYS:
            order = (np.arange(len(pairs), dtype=np.int64) if keys[key] is None
                     else np.lexsort((firms, -keys[key], arrays["node_at"])).astype(np.int64))
            place = np.empty(len(order), np.int64)
            place[order] = np.arange(len(order))
            arrays[f"order_{key}"], arrays[f"rank_{key}"] = order, place
        return arrays

    def pair_arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays the table's queries read (:data:`PAIR_ARRAYS`; the table's own,
        not to be changed): with the same data, weak links and model, ``pairs`` of a new
        table that answers as this one does."""
        arrays = {"firm_at": self._firm_at, "node_at": self._node_at, C.SCORE: self._score,
                  C.P_SUCCESS: self._p_success, C.IMPACT: self._impact, C.VALUE: self._value,
                  C.MATCH: self._match, C.HOP: self._hop, C.OUTCOME_STAGE: self._stage}
        for key in SORT_KEYS:
            arrays[f"order_{key}"], arrays[f"rank_{key}"] = self._orders[key], self._rank_at[key]
        return arrays

    @property
    def slices(self) -> dict[str, tuple[int, int]]:
        """Each link's (start, stop) positions."""
        return dict(self._slices)

    @property
    def baselines(self) -> dict[str, pd.Series]:
        """Each link's mean contributions, the reasons' reference."""
        return dict(self._baselines)

    def __len__(self) -> int:
        return len(self._score)

    def __repr__(self) -> str:
        return (f"ScoreTable(links={len(self.nodes)}, pairs={len(self)}, "
                f"model_version={self.model_version!r})")

    # --- choosing positions -------------------------------------------------------------------
    def _slice(self, node_id: str) -> tuple[int, int]:
        found = self._slices.get(node_id)
        if found is not None:
            return found
        check_link(node_id, self.data.chain, self.weak_links)
        raise NotFoundError(f"weak link {node_id!r}: not scored in this table, which holds "
                            f"{len(self.nodes)} link(s)")

    def ranked(self, node_id: str, *, sort: str = C.VALUE,
               country: Sequence[str] | None = None, size: Sequence[str] | None = None,
               stage: Sequence[str] | None = None, exclude_contacted: bool = False,
               include_landed: bool = False) -> np.ndarray:
        """Return the positions of ``node_id``'s candidates that pass the filters, best first
        by ``sort`` (:data:`~recommender.targeting.impact.SORT_KEYS`).

        ``country``: ISO alpha-2 codes; ``size``: size classes (:data:`~recommender.columns.
        SIZE_CLASSES`); ``stage``: recruitment stages (:data:`~recommender.targeting.stages.
        RECRUITMENT_STAGES`, the best outcome recorded for the pair, ``none`` if never
        contacted); ``exclude_contacted`` equals ``stage=["none"]``, and given both, a firm
        passes both. None keeps every firm but those that already invested for the link,
        which only ``include_landed`` or a ``stage`` filter naming ``invested`` brings back.

        Raises
        ------
        NotFoundError
            If the node is not in the chain or not in the table.
        NotRecruitable
            If the node is a downstream application sector.
        InvalidArgument
            If a size class, a stage or the order is unknown.
        """
        start, stop = self._slice(str(node_id))
        order = self._orders[check_sort(sort)][start:stop]
        keep = np.ones(stop - start, bool)
        firms = self._firm_at[order]
        stages = self._stage[order]
        if country is not None:
            wanted = self._countries.get_indexer([str(c).upper() for c in country])
            keep &= np.isin(self._country_codes[firms], wanted[wanted >= 0])
        if size is not None:
            wanted = self._sizes.get_indexer(_size_classes(size))
            keep &= np.isin(self._size_codes[firms], wanted[wanted >= 0])
        if stage is not None:
            keep &= np.isin(stages, stage_codes(list(stage)))
        elif not include_landed:
            keep &= stages != _LANDED_CODE
        if exclude_contacted:
            keep &= stages < 0
        return order[keep]

    def top_k(self, node_id: str, k: int, **filters) -> tuple[np.ndarray, int]:
        """Return the positions of the best ``k`` firms for ``node_id`` that pass the filters
        (those of :meth:`ranked`), and how many passed."""
        ranked = self.ranked(node_id, **filters)
        return ranked[:check_k(k)], len(ranked)

    def firm_positions(self, firm_id: str) -> np.ndarray:
        """Return the positions of ``firm_id``: one per link it is a candidate for."""
        found = self._firm_index.get_indexer([str(firm_id)])[0]
        return np.flatnonzero(self._firm_at == found) if found >= 0 else np.zeros(0, np.int64)

    def link_ranks(self, positions: Sequence[int], *, sort: str = C.VALUE
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Return the rank of each position among all its link's candidates by ``sort`` (1 =
        best, no filters) and the number of those candidates."""
        positions = np.asarray(positions, np.int64)
        bounds = np.asarray([self._slices[n] for n in self.nodes], np.int64).reshape(-1, 2)
        starts, stops = bounds[self._node_at[positions], 0], bounds[self._node_at[positions], 1]
        return self._rank_at[check_sort(sort)][positions] - starts + 1, stops - starts

    # --- counts for choosing filters ------------------------------------------------------------
    def stage_counts(self, node_id: str) -> dict[str, int]:
        """Return how many of ``node_id``'s candidates are at each recruitment stage."""
        start, stop = self._slice(str(node_id))
        counts = np.bincount(self._stage[start:stop].astype(np.int64) + 1,
                             minlength=len(RECRUITMENT_STAGES))
        return {name: int(n) for name, n in zip(RECRUITMENT_STAGES, counts, strict=True)}

    def country_counts(self, node_id: str) -> dict[str, int]:
        """Return how many of ``node_id``'s candidates come from each country (upper-case
        ISO alpha-2; firms without one are left out), most first."""
        return self._counts(node_id, self._country_codes, self._countries)

    def size_counts(self, node_id: str) -> dict[str, int]:
        """Return how many of ``node_id``'s candidates are of each size class, most first."""
        return self._counts(node_id, self._size_codes, self._sizes)

    def _counts(self, node_id: str, codes: np.ndarray, names: pd.Index) -> dict[str, int]:
        start, stop = self._slice(str(node_id))
        found = codes[self._firm_at[start:stop]]
        counts = np.bincount(found[found >= 0], minlength=len(names))
        order = np.lexsort((np.asarray(names, dtype=object).astype(str), -counts))
        return {str(names[i]): int(counts[i]) for i in order if counts[i]}

    # --- rows ---------------------------------------------------------------------------------
    def reasons(self, positions: Sequence[int]) -> list[dict[str, Any]]:
        """Return ``reasons``, ``reason_zh`` and ``reason_en`` of each position (computing, in
        one model call, those not known yet)."""
        missing = [int(p) for p in dict.fromkeys(positions) if int(p) not in self._reasons]
        if missing:
            self._add_reasons(np.asarray(missing, np.int64))
        return [self._reasons[int(p)] for p in positions]

    def records(self, positions: Sequence[int]) -> list[dict[str, Any]]:
        """Return the rows at ``positions`` as dicts of plain values (None when missing), with
        the keys of :data:`ROW_COLUMNS`."""
        positions = [int(p) for p in positions]
        out = []
        for position, why in zip(positions, self.reasons(positions), strict=True):
            firm = {n: _plain(v[int(self._firm_at[position])]) for n, v in self._firm_values}
            node = self.nodes[self._node_at[position]]
            stage = int(self._stage[position])
            out.append({
                **firm, C.NODE_ID: node, C.LINK_NAME_ZH: self._node_names[node][0],
                C.LINK_NAME_EN: self._node_names[node][1],
                C.SCORE: float(self._score[position]),
                C.P_SUCCESS: float(self._p_success[position]),
                C.LIKELIHOOD: float(self._p_success[position]),
                C.IMPACT: float(self._impact[position]), C.VALUE: float(self._value[position]),
                C.BASE_RATE: self.base_rate,
                C.MATCH: float(self._match[position]), C.HOP: int(self._hop[position]),
                C.CONTACTED: stage >= 0, C.RECRUITMENT_STAGE: RECRUITMENT_STAGES[stage + 1],
                C.REASONS: why[C.REASONS], C.REASON_ZH: why[C.REASON_ZH],
                C.REASON_EN: why[C.REASON_EN], C.MODEL_VERSION: self.model_version,
            })
        return out

    def rows(self, positions: Sequence[int]) -> pd.DataFrame:
        """Return the rows at ``positions`` (:data:`ROW_COLUMNS`), in the order given."""
        return pd.DataFrame(self.records(positions), columns=ROW_COLUMNS)

    # --- the target list ----------------------------------------------------------------------
    def target_picks(self, *, k: int, max_country_share: float = 0.4, top_links: int = 10,
                     exclude: Iterable[str] = ()) -> pd.DataFrame:
        """Return the ``k`` firms that together best cover the ``top_links`` weakest links.

        The picks of :func:`recommender.targeting.portfolio.target_portfolio` over the
        table's candidates of those links (weighted by
        :func:`recommender.diagnosis.weak_links.weak_link_weights`), each pair counted by its
        ``value`` (likelihood x impact: the expected share of the link it fills), the pairs of
        firms that already invested for the link left out; each pick with
        :data:`POSITION`, its row for the link it covers best; ``attrs`` carries the
        portfolio's notes and ``link_weights``.

        Raises
        ------
        DataError
            If no recruitable weak link has a positive score.
        """
        from recommender.diagnosis.weak_links import weak_link_weights
        from recommender.targeting.portfolio import COVERS, target_portfolio

        weights = weak_link_weights(self.weak_links, top=top_links)
        if weights.empty:
            raise DataError("no recruitable weak link with a positive score: nothing to target")
        positions = np.concatenate([np.arange(*self._slice(str(node)), dtype=np.int64)
                                    for node in weights.index])
        positions = positions[self._stage[positions] != _LANDED_CODE]
        firm_rows = self._firm_at[positions]
        candidates = pd.DataFrame({
            C.FIRM_ID: self._firm_index.to_numpy(object)[firm_rows],
            C.NODE_ID: np.asarray(self.nodes, dtype=object)[self._node_at[positions]],
            C.VALUE: self._value[positions],
            C.COUNTRY: self._firms[C.COUNTRY].to_numpy(object)[firm_rows],
        })
        picks = target_portfolio(candidates, weights, k=k, max_country_share=max_country_share,
                                 exclude=exclude, p=C.VALUE)
        best = [max(c, key=lambda x: x["gain"])[C.NODE_ID] if len(c) else ""
                for c in picks[COVERS]]
        pairs = pd.MultiIndex.from_arrays([candidates[C.FIRM_ID], candidates[C.NODE_ID]])
        at = pairs.get_indexer(pd.MultiIndex.from_arrays(
            [picks[C.FIRM_ID].astype(str).to_numpy(object), np.asarray(best, dtype=object)]))
        first = pd.Series(np.arange(len(candidates)), index=candidates[C.FIRM_ID])
        first = first[~first.index.duplicated()]  # a firm's row for its first link
        fallback = first.reindex(picks[C.FIRM_ID].astype(str)).to_numpy()
        picks[POSITION] = positions[np.where(at >= 0, at, fallback).astype(np.int64)] \
            if len(picks) else np.zeros(0, np.int64)
        picks.attrs["link_weights"] = {str(n): float(w) for n, w in weights.items()}
        return picks

    # --- machinery ----------------------------------------------------------------------------
    def _add_reasons(self, positions: np.ndarray) -> None:
        """Rebuild the rows' features and keep their reasons. Always from rebuilt features, even
        while the serving frame is at hand: a row's reasons are then the same whenever they are
        asked (the frame's ``weak_link_fit`` was made from an unrounded ``match``)."""
        from recommender.ranking.features import build_features

        pairs = pd.DataFrame({
            C.FIRM_ID: self._firm_index.to_numpy(object)[self._firm_at[positions]],
            C.NODE_ID: np.asarray(self.nodes, dtype=object)[self._node_at[positions]],
            C.MATCH: self._match[positions], C.HOP: self._hop[positions],
            C.DATE: np.full(len(positions), np.datetime64(self.as_of, "ms")),
        })
        features = build_features(pairs, self.data, self.weak_links)
        with self._model_lock:  # one model call at a time per table: LightGBM uses every core
            contributions = self.model.contributions(features)
        self._store_reasons(positions, features, contributions)

    def _store_reasons(self, positions: np.ndarray, features: pd.DataFrame,
                       contributions: pd.DataFrame) -> None:
        from recommender.ranking.reasons import METRO_KM, join_reasons, reasons_for

        region = self.data.region
        region_name = (getattr(region, "name_zh", None), getattr(region, "name_en", None))
        metro_km = float(getattr(region, "radius_km", None) or METRO_KM)  # its own metro area
        features = features.reset_index(drop=True)
        contributions = contributions.reset_index(drop=True)
        nodes = features[C.NODE_ID].astype(str).to_numpy()
        for node in pd.unique(nodes):
            at = np.flatnonzero(nodes == node)
            found = reasons_for(features.iloc[at], contributions.iloc[at],
                                node_names=self._node_names, top=self.top_reasons,
                                region_name=region_name, baseline=self._baselines.get(node),
                                metro_km=metro_km)
            for position, reasons in zip(positions[at], found, strict=True):
                self._reasons[int(position)] = {
                    C.REASONS: reasons, C.REASON_ZH: join_reasons(reasons, "zh"),
                    C.REASON_EN: join_reasons(reasons, "en")}


# --- building a table -------------------------------------------------------------------------
def build_score_table(data, weak_links: pd.DataFrame, model=None, *,
                      node_ids: Sequence[str] | None = None, as_of=None,
                      top_reasons: int = TOP_REASONS, reasons_ahead: int = 0) -> ScoreTable:
    """Score the candidates of ``node_ids`` with ``model``; see the module.

    Parameters
    ----------
    data : recommender.ranking.dataset.ChainData
    weak_links : the weak-link table of the region.
    model : a fitted ranker or a :class:`~recommender.targeting.prior_model.PriorModel`; None
        for the prior calibrated on ``data``.
    node_ids : the weak links to score; every recruitable one when None.
    as_of : the serving date (the day after the latest outcome when None).
    top_reasons : positive reasons per row after the weak link.
    reasons_ahead : rows per link whose reasons are computed now rather than when asked.

    Raises
    ------
    NotFoundError
        If a node of ``node_ids`` is not in the chain or the weak-link table.
    NotRecruitable
        If one is a downstream application sector.
    """
    from recommender.ranking.features import contacted_pairs, serving_frame

    nodes, model, when = scoring_scope(data, weak_links, node_ids, model, as_of)
    frame = serving_frame(data, weak_links, nodes, as_of=when)
    score, p_success = scores_of(model, frame)
    order = best_first(frame[C.FIRM_ID], frame[C.NODE_ID], score, nodes)
    frame = frame.iloc[order].reset_index(drop=True)
    pairs = scored_pairs(frame, score[order], p_success[order], data.firms, contacted_pairs(data))
    return table_of_pairs(data, weak_links, model, nodes, pairs, frame.iloc, as_of=when,
                          top_reasons=top_reasons, reasons_ahead=reasons_ahead)


def table_of_pairs(data, weak_links, model, nodes, pairs, features_at, *, as_of,
                   top_reasons: int = TOP_REASONS, reasons_ahead: int = 0) -> ScoreTable:
    """Return the table of ``pairs`` (:func:`~recommender.targeting.partitions.scored_pairs`,
    in :func:`~recommender.targeting.scoring.best_first` order over ``nodes``); the link
    baselines read the serving features of rows ``features_at[rows]``."""
    counts = pd.Index(nodes).get_indexer(pairs[C.NODE_ID])
    counts = np.bincount(counts, minlength=len(nodes)) if len(counts) else np.zeros(len(nodes),
                                                                                   np.int64)
    stops = np.cumsum(counts)
    slices = {node: (int(stop - n), int(stop))
              for node, n, stop in zip(nodes, counts, stops, strict=True)}
    table = ScoreTable(model=model, data=data, weak_links=weak_links, nodes=nodes, pairs=pairs,
                       slices=slices, baselines=_baselines(features_at, model, slices),
                       as_of=as_of, top_reasons=top_reasons)
    ahead = np.concatenate([np.arange(start, min(stop, start + reasons_ahead), dtype=np.int64)
                            for start, stop in slices.values()] or [np.zeros(0, np.int64)])
    table.reasons(ahead)
    return table


def _baselines(features_at, model, slices: dict[str, tuple[int, int]]
               ) -> dict[str, pd.Series]:
    """Mean contributions of each link's candidates: at most BASELINE_ROWS of its rows of the
    sorted pairs (their features from ``features_at[rows]``), evenly spread from the best to
    the worst."""
    picked, owner = [], []
    for node, (start, stop) in slices.items():
        rows = np.arange(start, stop)
        if len(rows) > BASELINE_ROWS:
            rows = rows[np.linspace(0, len(rows) - 1, BASELINE_ROWS).astype(int)]
        picked.append(rows)
        owner += [node] * len(rows)
    if not owner:
        return {}
    contributions = model.contributions(features_at[np.concatenate(picked)])
    means = contributions.groupby(np.asarray(owner, dtype=object), sort=False).mean()
    return {str(node): means.loc[node] for node in means.index}


def _plain(value: Any) -> Any:
    """A table value as a plain Python value (None when missing)."""
    missing = value is None or value is pd.NA or value is pd.NaT or value != value
    return None if missing else value.item() if isinstance(value, np.generic) else value


# --- argument checks --------------------------------------------------------------------------
def _size_classes(sizes: Sequence[str]) -> list[str]:
    """Size classes in lower case; InvalidArgument names an unknown one."""
    wanted = [str(s).strip().lower() for s in sizes]
    unknown = [s for s in wanted if s not in C.SIZE_CLASSES]
    if unknown:
        raise InvalidArgument(f"size: unknown size class(es) {unknown}; use "
                              f"{', '.join(C.SIZE_CLASSES)}",
                              [{"field": "size", "message": f"unknown size class {s!r}"}
                               for s in unknown])
    return wanted
