"""Scoring park–firm pairs: the hard filters and the four parts of a transparent prior.

**Hard filters.** A firm whose estimated need exceeds the park's offer of land, building space,
power or clean room is excluded, and ``excluded_reason_zh``/``_en`` says which and by how much
("needs 5,000 m² clean room; park offers 2,000 m² (3,000 m² short)"). An unknown need or offer
never excludes.

**A transparent prior score** in [0, 1], the weighted sum of four parts (:data:`PART_WEIGHTS`):

- ``synergy`` (chain synergy with tenants and neighbours): for each tenant, the strongest chain
  edge between one of the firm's nodes and one of the tenant's, in either direction (the firm
  supplies the tenant or buys from it), weighted by both link confidences; summed over tenants
  as ``s_t``. Firms whose head office lies within :data:`NEIGHBOUR_KM` of the park (other than
  its listed tenants and the firm itself) are its neighbours; a neighbour ``d`` km away
  counts ``NEIGHBOUR_WEIGHT x (1 - d / NEIGHBOUR_KM)`` of a tenant (half a tenant at the
  park's gate, nothing at 50 km). For each node of the firm, the same strength summed over the
  neighbours so weighted, at the firm's best-linked node, is ``s_n``. With ``s = s_t + s_n``,
  synergy is ``s / (s + 1)``: one fully linked tenant gives 0.5, three give 0.75. Most parks list
  no tenants, so without the neighbours synergy would be 0 for every firm and the parks' lists
  would rank on the other parts alone. Edge weights (cost shares) are not used: a 2 % input is
  as much a reason to sit next to a customer.
- ``focus_fit``: the firm's confidence in a focus node of the park, or half its confidence in
  a node next to one along the chain.
- ``capacity_fit``: headroom, 1 - need / offer, on the tightest resource the firm needs (0.5
  when nothing is known).
- ``proximity``: a mild bonus for being near or already present, never a penalty on the near:
  the larger of ``1 - log1p(d / 1000) / log1p(20)`` for a head office ``d`` km from the park
  (0 from 20,000 km) and 1.0 for firms present in the Greater Bay Area, 0.6 for firms
  already selling in China; 0.5 when nothing is known.

With ``scores`` (a recommendation score per firm from the ranker), the final score is
``(1 - REC_BLEND) x prior + REC_BLEND x r`` where ``r`` is the firm's percentile among the
scored firms (1 = best) and 0 for a firm the ranker did not score.

:class:`Matcher` holds everything a pair score reads (chain arrays, firm and tenant node
vectors, needs, ranker percentiles); :mod:`recommender.parks.park_reasons` says the parts
in words and :mod:`recommender.parks.matching` ranks the pairs.

>>> from recommender.chain import load_chain
>>> firms = pd.DataFrame({"firm_id": ["a"], "employees": [200.0], "in_gba": [True]})
>>> links = pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"]})
>>> park = {"park_id": "p", "focus_nodes": ["lasers"], "clean_room_m2": 10_000.0}
>>> parts = Matcher(firms, links, load_chain()).parts(park, np.array([0]))
>>> parts.round(4).iloc[0].to_dict()  # 675 m² of clean room needed: 1 - 675 / 10,000 = 0.9325
{'synergy': 0.0, 'focus_fit': 0.9, 'capacity_fit': 0.9325, 'proximity': 1.0, \
'distance_km': nan, 'excluded': False, 'score': 0.6049}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.geocode import haversine_km
from recommender.parks.profiles import NEED_COLUMNS, RESOURCES, firm_needs, park_number

__all__ = [
    "CAPACITY_FIT", "CHINA_PRESENCE", "EXCLUDED", "FAR_KM", "FOCUS_FIT", "GBA_PRESENCE",
    "LINK_CONFIDENCE", "Matcher", "NEIGHBOUR_CREDIT", "NEIGHBOUR_KM", "NEIGHBOUR_WEIGHT",
    "PART_WEIGHTS", "PROXIMITY", "REC_BLEND", "REC_SCORE", "SYNERGY", "near_parks", "node_links",
]

SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY = "synergy", "focus_fit", "capacity_fit", "proximity"
REC_SCORE = "rec_score"  # the firm's percentile among the ranker's scores
PART_WEIGHTS = {SYNERGY: 0.35, FOCUS_FIT: 0.35, CAPACITY_FIT: 0.15, PROXIMITY: 0.15}
REC_BLEND = 0.5
NEIGHBOUR_CREDIT = 0.5  # focus fit of a node next to a focus node, per unit of confidence
GBA_PRESENCE, CHINA_PRESENCE = 1.0, 0.6
FAR_KM = 20_000.0
EXCLUDED = "excluded"  # True where a need exceeds the park's offer
LINK_CONFIDENCE = 0.9  # a stored link without a confidence (asserted, not scored)
NEIGHBOUR_KM = 50.0  # a head office this near a park works beside it (one city's reach)
NEIGHBOUR_WEIGHT = 0.5  # a neighbour at the gate counts half a tenant: near the park, not in it


class Matcher:
    """Chain arrays, firm and tenant node vectors, needs: everything a pair score reads.

    The arguments are those of :func:`recommender.parks.matching.park_matches`; ``needs``
    defaults to :func:`~recommender.parks.profiles.firm_needs` of ``firms``.
    """

    def __init__(self, firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *,
                 needs: pd.DataFrame | None = None, scores=None, firm_id: str = C.FIRM_ID,
                 node_id: str = C.NODE_ID, confidence: str = C.CONFIDENCE):
        self.chain = chain
        self.nodes = list(chain.node_ids)
        self.pos = {n: i for i, n in enumerate(self.nodes)}
        self.node_zh = dict(zip(self.nodes, chain.nodes[C.NODE_NAME_ZH].astype(str), strict=True))
        self.node_en = {n: str(e).split(" (")[0]
                        for n, e in zip(self.nodes, chain.nodes[C.NODE_NAME_EN], strict=True)}
        k = len(self.nodes)
        adj = np.zeros((k, k))
        for s, c in zip(chain.edges["supplier"], chain.edges["consumer"], strict=True):
            adj[self.pos[s], self.pos[c]] = 1.0
        self.adj = adj
        self.firms = firms.reset_index(drop=True)
        self.ids = self.firms[firm_id].astype("str").to_numpy(dtype=object)
        if pd.Index(self.ids).has_duplicates:
            raise DataError("firms: a firm_id appears more than once")
        self.firm_id, self.node_id, self.confidence = firm_id, node_id, confidence
        self._links = self._link_table(firm_nodes)
        self.F = self.vectors(self.ids)
        if needs is None:
            needs = firm_needs(self.firms, firm_nodes, chain=chain, firm_id=firm_id,
                               node_id=node_id)
        self.needs = needs.set_index(C.FIRM_ID).reindex(self.ids)
        self.needs_rows = self.needs.reindex(columns=NEED_COLUMNS).to_numpy(float)
        self.rec = _rec_percentiles(scores, self.ids)
        self.gba, self.china = _flag(self.firms, C.IN_GBA), _flag(self.firms, C.IN_CHINA)
        self.lat, self.lon = _column(self.firms, C.LAT), _column(self.firms, C.LON)
        en = (self.firms[C.NAME].astype("string") if C.NAME in self.firms
              else pd.Series(pd.NA, index=self.firms.index, dtype="string")).fillna(
            pd.Series(self.ids, index=self.firms.index, dtype="string"))
        zh = (self.firms[C.NAME_ZH].astype("string") if C.NAME_ZH in self.firms
              else pd.Series(pd.NA, index=self.firms.index, dtype="string")).fillna(en)
        self.names_en = dict(zip(self.ids, en, strict=True))
        self.names_zh = dict(zip(self.ids, zh, strict=True))
        self._tenants: dict = {}
        self._neighbours: dict = {}

    def _link_table(self, firm_nodes: pd.DataFrame) -> dict[str, tuple[np.ndarray, ...]]:
        """Firm id -> (node positions, confidences) of its links to chain nodes."""
        nodes = firm_nodes[self.node_id].astype("str")
        known = nodes.isin(list(self.pos)).to_numpy(bool)
        firms = firm_nodes[self.firm_id].astype("str").to_numpy()[known]
        cols = nodes[known].map(self.pos).to_numpy(int)
        conf = (pd.to_numeric(firm_nodes[self.confidence], errors="coerce")
                .to_numpy(float, na_value=np.nan)[known]
                if self.confidence in firm_nodes else np.full(len(cols), np.nan))
        conf = np.clip(np.where(np.isnan(conf), LINK_CONFIDENCE, conf), 0.0, 1.0)
        codes, uniques = pd.factorize(firms)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        return {f: (cols[order[a:b]], conf[order[a:b]])
                for f, a, b in zip(uniques, bounds[:-1], bounds[1:], strict=True)}

    def vectors(self, ids) -> np.ndarray:
        """Firm x node matrix of link confidences (the largest over methods)."""
        out = np.zeros((len(ids), len(self.nodes)))
        for row, firm in enumerate(ids):
            found = self._links.get(str(firm))
            if found is not None:
                np.maximum.at(out[row], found[0], found[1])
        return out

    def node_name(self, node: str, lang: str) -> str:
        """The node's Chinese name, or its English name without the examples in brackets."""
        return self.node_zh[node] if lang == "zh" else self.node_en[node]

    def tenant_links(self, park: Mapping) -> tuple[list[str], np.ndarray, np.ndarray,
                                                   np.ndarray]:
        """Tenants, their node vectors and, per tenant, the strength of each firm node for
        supplying it and for buying from it (cached per park)."""
        tenants = [str(t) for t in park.get(C.TENANTS) or []]
        key = (park.get(C.PARK_ID), tuple(tenants))
        if key not in self._tenants:
            T = self.vectors(tenants)
            supply = (self.adj[None, :, :] * T[:, None, :]).max(axis=2)  # firm node n -> m
            buy = (self.adj.T[None, :, :] * T[:, None, :]).max(axis=2)  # tenant node m -> n
            self._tenants[key] = (tenants, T, supply, buy)
        return self._tenants[key]

    def neighbour_links(self, park: Mapping) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the park's neighbours (firms within :data:`NEIGHBOUR_KM`, not its
        tenants) and, per neighbour and node, the strength of a firm node's link to it
        (supplying it or buying from it) times the neighbour's weight (cached per park)."""
        tenants = frozenset(str(t) for t in park.get(C.TENANTS) or [])
        lat, lon = park_number(park, C.LAT), park_number(park, C.LON)
        key = (park.get(C.PARK_ID), lat, lon, tenants)
        if key not in self._neighbours:
            rows = np.array([], int)
            if np.isfinite(lat) and np.isfinite(lon):
                distance = haversine_km(self.lat, self.lon, lat, lon)
                with np.errstate(invalid="ignore"):
                    near = distance <= NEIGHBOUR_KM
                rows = np.flatnonzero(near & ~pd.Index(self.ids).isin(list(tenants)))
            weight = NEIGHBOUR_WEIGHT * (1.0 - distance[rows] / NEIGHBOUR_KM) if len(rows) \
                else np.zeros(0)
            self._neighbours[key] = (rows, node_links(self.adj, self.F[rows]) * weight[:, None])
        return self._neighbours[key]

    def synergy_strength(self, park: Mapping, rows: np.ndarray) -> np.ndarray:
        """``s = s_t + s_n`` of the firms at ``rows`` (module docstring)."""
        F = self.F[rows]
        _, _, supply, buy = self.tenant_links(park)
        strength = np.zeros(len(rows))
        for t in range(len(supply)):
            strength += np.maximum((F * supply[t]).max(axis=1), (F * buy[t]).max(axis=1))
        near, linked = self.neighbour_links(park)
        if len(near):
            mass = np.broadcast_to(linked.sum(axis=0), F.shape).copy()
            own = np.flatnonzero(np.isin(rows, near))  # a neighbour is not its own neighbour
            if len(own):
                mass[own] -= linked[np.searchsorted(near, rows[own])]
            strength += (F * mass).max(axis=1)
        return strength

    def parts(self, park: Mapping, rows: np.ndarray) -> pd.DataFrame:
        """Exclusion, score parts and score of the firms at ``rows`` for one park."""
        F = self.F[rows]
        strength = self.synergy_strength(park, rows)
        synergy = strength / (strength + 1.0)
        focus = [self.pos[n] for n in park.get(C.FOCUS_NODES) or [] if n in self.pos]
        near = sorted(set(np.flatnonzero((self.adj[focus].sum(0) + self.adj[:, focus].sum(1))
                                         > 0)) - set(focus)) if focus else []
        direct = F[:, focus].max(axis=1) if focus else np.zeros(len(rows))
        beside = NEIGHBOUR_CREDIT * F[:, near].max(axis=1) if near else np.zeros(len(rows))
        needs = self.needs_rows[rows]
        excluded, headroom = np.zeros(len(rows), bool), np.full(len(rows), np.inf)
        for need_col, offer_col, *_ in RESOURCES:
            need = needs[:, NEED_COLUMNS.index(need_col)]
            offer = park_number(park, offer_col)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # offer ~ 0
                excluded |= need > offer
                room = np.where((need > 0) & np.isfinite(offer), 1.0 - need / offer, np.inf)
            headroom = np.minimum(headroom, room)
        capacity = np.where(np.isfinite(headroom), np.clip(headroom, 0.0, 1.0), 0.5)
        distance, proximity = self._proximity(park, rows)
        out = pd.DataFrame({
            SYNERGY: synergy, FOCUS_FIT: np.maximum(direct, beside), CAPACITY_FIT: capacity,
            PROXIMITY: proximity, C.DISTANCE_KM: distance, EXCLUDED: excluded,
        })
        prior = sum(w * out[p].to_numpy() for p, w in PART_WEIGHTS.items())
        if self.rec is not None:
            out[REC_SCORE] = self.rec[rows]
            out[C.SCORE] = (1 - REC_BLEND) * prior + REC_BLEND * self.rec[rows]
        else:
            out[C.SCORE] = prior
        return out

    def _proximity(self, park: Mapping, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = haversine_km(self.lat[rows], self.lon[rows], park_number(park, C.LAT),
                         park_number(park, C.LON))
        close = 1.0 - np.clip(np.log1p(d / 1000.0) / np.log1p(FAR_KM / 1000.0), 0.0, 1.0)
        gba, china = self.gba[rows], self.china[rows]
        presence = np.where(gba == 1, GBA_PRESENCE, np.where(china == 1, CHINA_PRESENCE,
                            np.where(np.isnan(gba) & np.isnan(china), np.nan, 0.0)))
        known = np.fmax(close, presence)
        return np.round(d, 1), np.where(np.isnan(known), 0.5, known)


def node_links(adj: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Per firm (row of ``vectors``, its node confidences) and node ``n``, the strength of a
    link from ``n`` to the firm: ``n`` supplies one of its nodes or buys from one, at the
    firm's confidence in that node (node by node: memory stays that of ``vectors``).

    >>> adj = np.array([[0.0, 1.0], [0.0, 0.0]])  # node 0 supplies node 1
    >>> node_links(adj, np.array([[0.0, 0.8]])).tolist()  # a firm making node 1
    [[0.8, 0.0]]
    """
    out = np.zeros_like(vectors)
    if not len(vectors):
        return out
    either = (adj + adj.T) > 0
    for n in range(adj.shape[0]):
        linked = np.flatnonzero(either[n])
        if len(linked):
            out[:, n] = vectors[:, linked].max(axis=1)
    return out


def near_parks(firms: pd.DataFrame, parks: pd.DataFrame, *, km: float = NEIGHBOUR_KM,
               lat: str = C.LAT, lon: str = C.LON) -> np.ndarray:
    """True for the firms whose head office lies within ``km`` of one of ``parks``: the
    neighbours a pair score reads besides the firm and the tenants.

    >>> firms = pd.DataFrame({"lat": [22.52, 48.1, None], "lon": [113.93, 11.6, None]})
    >>> near_parks(firms, pd.DataFrame({"lat": [22.5], "lon": [113.9]})).tolist()
    [True, False, False]
    """
    y, x = _column(firms, lat), _column(firms, lon)
    near = np.zeros(len(firms), bool)
    for park_lat, park_lon in zip(_column(parks, lat), _column(parks, lon), strict=True):
        if np.isfinite(park_lat) and np.isfinite(park_lon):
            with np.errstate(invalid="ignore"):
                near |= haversine_km(y, x, park_lat, park_lon) <= km
    return near


def _rec_percentiles(scores, ids: np.ndarray) -> np.ndarray | None:
    """Percentile (1 = best) of each firm among the ranker's scores; 0 for unscored firms."""
    if scores is None:
        return None
    if isinstance(scores, pd.DataFrame):
        if C.FIRM_ID not in scores or C.SCORE not in scores:
            raise DataError("scores: a frame needs firm_id and score columns")
        scores = scores.groupby(scores[C.FIRM_ID].astype("str"))[C.SCORE].max()
    series = pd.Series(scores, dtype=float) if isinstance(scores, Mapping) else \
        pd.Series(scores).astype(float)
    series.index = series.index.astype("str")
    series = series[np.isfinite(series.to_numpy())].groupby(level=0).max()
    pct = series.rank(pct=True, method="max")
    return pct.reindex(ids).fillna(0.0).to_numpy(float)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(float, na_value=np.nan)


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].astype("boolean").astype("Float64").to_numpy(float, na_value=np.nan)
