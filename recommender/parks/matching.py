"""Park matching (园区匹配): which firms suit a park, and which parks suit a firm.

A park profile (园区画像) says what a park offers (land, buildings, power, clean rooms), what it
focuses on (chain nodes) and who is there already (tenants). Matching a firm to a park takes
two steps.

**Hard filters.** A firm whose estimated need exceeds the park's offer of land, building space,
power or clean room is excluded, and ``excluded_reason_zh``/``_en`` says which and by how much
("needs 5,000 m² clean room; park offers 2,000 m² (3,000 m² short)"). An unknown need or offer
never excludes.

**A transparent prior score** in [0, 1], the weighted sum of four parts (:data:`PART_WEIGHTS`):

- ``synergy`` (chain synergy with tenants): for each tenant, the strongest chain edge between
  one of the firm's nodes and one of the tenant's, in either direction (the firm supplies the
  tenant or buys from it), weighted by both link confidences; summed over tenants as ``s`` and
  mapped to ``s / (s + 1)``: one fully linked tenant gives 0.5, three give 0.75. Edge weights
  (cost shares) are not used: a 2 % input is as much a reason to sit next to a customer.
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
scored firms (1 = best) and 0 for a firm the ranker did not score. Each row carries reasons in
Chinese and English, and the contribution of each part.

**Needs** (:func:`firm_needs`) are estimated from a firm's size and its nodes' segments unless
the firm states them (columns ``need_land_ha``, ``need_building_m2``, ``need_power_mva``,
``need_clean_room_m2``). The rule, with the figures in :data:`SEGMENT_PROFILES`:

1. A first site in the region is a plant or branch that takes :data:`SITE_SHARE` of the group's
   head count, between :data:`SITE_MIN_STAFF` and :data:`SITE_MAX_STAFF` people; without a head
   count, the typical head count of the firm's size class (:data:`SIZE_CLASS_EMPLOYEES`).
2. Floor space is staff x m² per person of the segment (instrument assembly ~45-50 m², machining
   and materials 80-90 m²); power is floor space x kVA per m²; the clean room is a share of the
   floor space: 30-35 % for optics and electronic components, 50 % for image and MEMS sensors,
   wafer inspection and semiconductor testers, 40 % for laser diodes, 10-15 % for analytical and
   medical instruments, none for machining. A firm in several segments takes the most demanding
   figure of each.
3. A site of :data:`OWN_PLANT_M2` m² or more builds its own plant: it needs land (floor space /
   :data:`FLOOR_AREA_RATIO`) and no rented building space; a smaller one rents building space
   and needs no land.
4. No size at all: every need is NaN, and NaN never excludes.

All figures are planning rules of thumb for a first screening, not engineering estimates.

>>> matches = park_matches(store.park("zs_xiwan"), firms, links, chain, k=20)  # doctest: +SKIP
>>> matches[["rank", "firm_id", "score", "reason_en"]].head(3)                  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.firms.geocode import haversine_km
from recommender.firms.schemas import validate_table

__all__ = [
    "EXCLUDED", "EXCLUDED_REASON_EN", "EXCLUDED_REASON_ZH", "NEED_COLUMNS", "PART_WEIGHTS",
    "REC_BLEND", "RESOURCES", "SEGMENT_PROFILES", "SiteProfile", "firm_needs", "firm_parks",
    "matches_for_parks", "park_matches", "park_profiles",
]

# --- needs ----------------------------------------------------------------------------------
SITE_SHARE = 0.25
SITE_MIN_STAFF = 10.0
SITE_MAX_STAFF = 800.0
SIZE_CLASS_EMPLOYEES = {"nano": 10, "micro": 40, "small": 200, "mid": 1_000, "large": 5_000,
                        "mega": 20_000}
OWN_PLANT_M2 = 20_000.0
FLOOR_AREA_RATIO = 1.5  # floor space per unit of land (容积率) of a typical industrial plot
LINK_CONFIDENCE = 0.9  # a stored link without a confidence (asserted, not scored)
SITE_STAFF = "site_staff"
NEED_BASIS = "need_basis"  # given | employees | size_class | unknown
NEED_LAND, NEED_BUILDING = "need_land_ha", "need_building_m2"
NEED_POWER, NEED_CLEAN_ROOM = "need_power_mva", "need_clean_room_m2"
NEED_COLUMNS = [NEED_LAND, NEED_BUILDING, NEED_POWER, NEED_CLEAN_ROOM]


@dataclass(frozen=True)
class SiteProfile:
    """Planning figures of a segment: floor space per person, power density, clean-room share."""

    m2_per_staff: float
    kva_per_m2: float
    clean_room_share: float


SEGMENT_PROFILES: dict[str, SiteProfile] = {
    "optics_photonics": SiteProfile(45, 0.25, 0.30),
    "electronic_components": SiteProfile(40, 0.30, 0.35),
    "vacuum_motion": SiteProfile(60, 0.25, 0.10),
    "sensors": SiteProfile(45, 0.25, 0.25),
    "materials": SiteProfile(80, 0.40, 0.10),
    "machining_equipment": SiteProfile(90, 0.45, 0.0),
    "instrument_parts": SiteProfile(70, 0.35, 0.0),
    "industrial_measurement_control": SiteProfile(50, 0.15, 0.0),
    "electrical_measurement": SiteProfile(45, 0.15, 0.05),
    "scientific_analysis": SiteProfile(50, 0.20, 0.10),
    "medical_diagnosis": SiteProfile(50, 0.20, 0.15),
    "special_detection": SiteProfile(50, 0.20, 0.10),
    "optical_instruments": SiteProfile(45, 0.15, 0.15),
    "applications": SiteProfile(30, 0.08, 0.0),
}
DEFAULT_PROFILE = SiteProfile(50, 0.20, 0.0)  # a node of a segment not listed above
# semiconductor nodes whose assembly needs far more clean room than their segment
NODE_CLEAN_ROOM_SHARE = {"image_sensors": 0.5, "mems_sensors": 0.5, "wafer_inspection": 0.5,
                         "semiconductor_testers": 0.5, "laser_diodes": 0.4}

# (need column, park offer column, unit, Chinese label, English label)
RESOURCES = (
    (NEED_LAND, C.LAND_HA, "ha", "土地", "land"),
    (NEED_BUILDING, C.BUILDING_M2, "m2", "厂房", "building space"),
    (NEED_POWER, C.POWER_MVA, "MVA", "电力容量", "power"),
    (NEED_CLEAN_ROOM, C.CLEAN_ROOM_M2, "m2", "洁净室", "clean room"),
)
_UNITS = {"ha": ("公顷", "ha"), "m2": ("平方米", "m²"), "MVA": ("MVA", "MVA")}

# --- scores ---------------------------------------------------------------------------------
SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY = "synergy", "focus_fit", "capacity_fit", "proximity"
REC_SCORE = "rec_score"  # the firm's percentile among the ranker's scores
PART_WEIGHTS = {SYNERGY: 0.35, FOCUS_FIT: 0.35, CAPACITY_FIT: 0.15, PROXIMITY: 0.15}
REC_BLEND = 0.5
NEIGHBOUR_CREDIT = 0.5  # focus fit of a node next to a focus node, per unit of confidence
GBA_PRESENCE, CHINA_PRESENCE = 1.0, 0.6
FAR_KM = 20_000.0
LINKED_TENANTS = "linked_tenants"
EXCLUDED = "excluded"
EXCLUDED_REASON_ZH, EXCLUDED_REASON_EN = "excluded_reason_zh", "excluded_reason_en"
REASON_ZH, REASON_EN = "reason_zh", "reason_en"
_SEP = {"zh": "；", "en": "; "}


# --- park profiles --------------------------------------------------------------------------

def park_profiles(parks) -> pd.DataFrame:
    """Return park profiles validated and typed, lists parsed.

    Parameters
    ----------
    parks : DataFrame, mapping or list of mappings
        Park rows with the park columns of ``recommender.columns`` (``park_id``, names,
        ``lat``, ``lon`` required). ``focus_nodes`` and ``tenants`` may be lists, JSON text or
        ``;``-separated text. Ad-hoc profiles given as dicts go through the same validation.

    Returns
    -------
    DataFrame
        One row per park; numbers float64, ``max_new_firms`` Int64, lists of str.

    Raises
    ------
    ValidationError
        Listing every bad cell (``recommender.firms.schemas.validate_table(df, "parks")``).

    Examples
    --------
    >>> p = park_profiles({"park_id": "p1", "name_zh": "园", "name_en": "Park", "lat": 22.5,
    ...                    "lon": 113.9, "focus_nodes": '["lasers"]', "clean_room_m2": "2,000"})
    >>> p.loc[0, "focus_nodes"], float(p.loc[0, "clean_room_m2"])
    (['lasers'], 2000.0)
    """
    if isinstance(parks, Mapping):
        frame = pd.DataFrame([dict(parks)])
    elif isinstance(parks, pd.Series):
        frame = parks.to_frame().T
    elif isinstance(parks, pd.DataFrame):
        frame = parks.copy()
    else:
        frame = pd.DataFrame([dict(p) for p in parks])
        if frame.columns.empty:  # no parks at all: an empty table, not a missing column
            frame = pd.DataFrame(columns=[C.PARK_ID, C.PARK_NAME_ZH, C.PARK_NAME_EN, C.LAT,
                                          C.LON])
    for name in (C.FOCUS_NODES, C.TENANTS):
        if name in frame.columns:
            frame[name] = frame[name].map(_json_list)
    return validate_table(frame.reset_index(drop=True), "parks")


def _json_list(value):
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DataError(f"{value!r} is not a JSON list ({exc})") from exc
        return parsed if isinstance(parsed, list) else value
    return value


# --- firm needs -----------------------------------------------------------------------------

def firm_needs(firms: pd.DataFrame, firm_nodes: pd.DataFrame, *, chain=None,
               firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
               employees: str = C.EMPLOYEES, size_class: str = C.SIZE_CLASS) -> pd.DataFrame:
    """Estimate what a first site of each firm would need (the rule is in the module docstring).

    Parameters
    ----------
    firms : DataFrame
        ``firm_id`` and, where known, ``employees`` and ``size_class``; need columns
        (:data:`NEED_COLUMNS`) the firm stated override the estimate where not missing.
    firm_nodes : DataFrame
        Firm-node links (``firm_id``, ``node_id``); the nodes' segments come from ``chain``.
    chain : Chain, optional
        Default: the embedded chain.

    Returns
    -------
    DataFrame
        One row per firm, in order: ``firm_id``, ``site_staff``, :data:`NEED_COLUMNS`
        (NaN when the firm's size is unknown) and ``need_basis``.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["a"], "employees": [2000.0]})
    >>> links = pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"]})
    >>> needs = firm_needs(firms, links)  # 500 people x 45 m² = 22,500 m²: its own plant
    >>> needs.loc[0, ["site_staff", "need_land_ha", "need_building_m2",
    ...               "need_clean_room_m2"]].astype(float).tolist()
    [500.0, 1.5, 0.0, 6750.0]
    """
    if chain is None:
        from recommender.chain import load_chain

        chain = load_chain()
    ids = firms[firm_id].astype("str").to_numpy()
    heads = (pd.to_numeric(firms[employees], errors="coerce").to_numpy(float, na_value=np.nan)
             if employees in firms else np.full(len(firms), np.nan))
    typical = (firms[size_class].map(SIZE_CLASS_EMPLOYEES).to_numpy(float, na_value=np.nan)
               if size_class in firms else np.full(len(firms), np.nan))
    basis = np.where(np.isfinite(heads), "employees",
                     np.where(np.isfinite(typical), "size_class", "unknown")).astype(object)
    staff = np.clip(SITE_SHARE * np.where(np.isfinite(heads), heads, typical),
                    SITE_MIN_STAFF, SITE_MAX_STAFF)
    m2, kva, clean = _profiles(ids, firm_nodes, chain, firm_id=firm_id, node_id=node_id)
    floor = staff * m2
    own_plant = floor >= OWN_PLANT_M2
    out = pd.DataFrame({
        C.FIRM_ID: ids, SITE_STAFF: staff,
        NEED_LAND: np.where(own_plant, floor / FLOOR_AREA_RATIO / 10_000.0,
                            np.where(np.isfinite(floor), 0.0, np.nan)),
        NEED_BUILDING: np.where(own_plant, 0.0, floor),
        NEED_POWER: floor * kva / 1_000.0,
        NEED_CLEAN_ROOM: floor * clean,
        NEED_BASIS: basis,
    })
    for name in NEED_COLUMNS:
        if name in firms.columns:
            given = pd.to_numeric(firms[name], errors="coerce").to_numpy(float, na_value=np.nan)
            stated = np.isfinite(given)
            out.loc[stated, name] = given[stated]
            out.loc[stated, NEED_BASIS] = "given"
    return out


def _profiles(ids: np.ndarray, firm_nodes: pd.DataFrame, chain, *, firm_id: str,
              node_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per firm, the most demanding m²/person, kVA/m² and clean-room share of its nodes."""
    segments = dict(zip(chain.nodes[C.NODE_ID], chain.nodes[C.SEGMENT], strict=True))
    rows = []
    for node, segment in segments.items():
        p = SEGMENT_PROFILES.get(segment, DEFAULT_PROFILE)
        rows.append((node, p.m2_per_staff, p.kva_per_m2,
                     NODE_CLEAN_ROOM_SHARE.get(node, p.clean_room_share)))
    table = pd.DataFrame(rows, columns=["node", "m2", "kva", "clean"]).set_index("node")
    links = firm_nodes[[firm_id, node_id]].astype("str")
    links = links[links[node_id].isin(table.index)]
    per = table.reindex(links[node_id].to_numpy()).set_axis(links[firm_id].to_numpy())
    best = per.groupby(level=0).max().reindex(ids)
    default = DEFAULT_PROFILE
    return (best["m2"].fillna(default.m2_per_staff).to_numpy(float),
            best["kva"].fillna(default.kva_per_m2).to_numpy(float),
            best["clean"].fillna(default.clean_room_share).to_numpy(float))


# --- the matcher ----------------------------------------------------------------------------

class _Matcher:
    """Chain arrays, firm and tenant node vectors, needs: everything a pair score reads."""

    def __init__(self, firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *, needs,
                 scores, firm_id: str, node_id: str, confidence: str):
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

    def parts(self, park: Mapping, rows: np.ndarray) -> pd.DataFrame:
        """Exclusion, score parts and score of the firms at ``rows`` for one park."""
        F = self.F[rows]
        _, _, supply, buy = self.tenant_links(park)
        strength = np.zeros(len(rows))
        for t in range(len(supply)):
            strength += np.maximum((F * supply[t]).max(axis=1), (F * buy[t]).max(axis=1))
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
            offer = _number(park.get(offer_col))
            with np.errstate(invalid="ignore", divide="ignore"):
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
        d = haversine_km(self.lat[rows], self.lon[rows], _number(park.get(C.LAT)),
                         _number(park.get(C.LON)))
        close = 1.0 - np.clip(np.log1p(d / 1000.0) / np.log1p(FAR_KM / 1000.0), 0.0, 1.0)
        gba, china = self.gba[rows], self.china[rows]
        presence = np.where(gba == 1, GBA_PRESENCE, np.where(china == 1, CHINA_PRESENCE,
                            np.where(np.isnan(gba) & np.isnan(china), np.nan, 0.0)))
        known = np.fmax(close, presence)
        return np.round(d, 1), np.where(np.isnan(known), 0.5, known)


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


def _number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return np.nan
    return out


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(float, na_value=np.nan)


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].astype("boolean").astype("Float64").to_numpy(float, na_value=np.nan)


# --- public matching ------------------------------------------------------------------------

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

    Examples
    --------
    >>> park_matches(store.park("gz_science_city"), firms, links, chain, k=5)  # doctest: +SKIP
    """
    _check_k(k)
    m = _Matcher(firms, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
                 node_id=node_id, confidence=confidence)
    profile = _one_profile(park)
    return _park_table(m, profile, k=k, include_excluded=include_excluded, exclude=exclude)


def matches_for_parks(parks, firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *,
                      k: int = 50, scores=None, include_excluded: bool = False,
                      needs: pd.DataFrame | None = None, exclude: Iterable[str] = (),
                      firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
                      confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Return :func:`park_matches` of every park, stacked (the input of an assignment).

    Parameters as :func:`park_matches`; ``parks`` is anything :func:`park_profiles` takes.
    """
    _check_k(k)
    m = _Matcher(firms, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
                 node_id=node_id, confidence=confidence)
    tables = [_park_table(m, row, k=k, include_excluded=include_excluded, exclude=exclude)
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
        Where to find ``firm`` by id, and the tenants' names for the reasons.
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
    """
    row = _one_firm(firm, firms, firm_id)
    profiles = park_profiles(parks)
    # Every score part is the firm's own or its tenants': the matcher needs no other firm, so
    # a portrait costs the same over 100 firms or 1,000,000.
    own = str(row[firm_id].iloc[0])
    tenants = {str(t) for listed in profiles[C.TENANTS] for t in (listed or [])} - {own}
    everyone = row if firms is None else pd.concat(
        [row, firms[firms[firm_id].astype("str").isin(tenants)]], ignore_index=True)
    firm_nodes = firm_nodes[firm_nodes[firm_id].astype("str").isin(tenants | {own})]
    m = _Matcher(everyone, firm_nodes, chain, needs=needs, scores=scores, firm_id=firm_id,
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


def _check_k(k) -> None:
    if k is not None and (not isinstance(k, int | np.integer) or k < 1):
        raise DataError(f"k must be a positive whole number, got {k!r}")


def _one_profile(park) -> dict:
    if isinstance(park, pd.DataFrame) and len(park) != 1:
        raise DataError(f"park: expected one park, got {len(park)} rows")
    return park_profiles(park).iloc[0].to_dict()


def _one_firm(firm, firms: pd.DataFrame | None, firm_id: str) -> pd.DataFrame:
    if isinstance(firm, str):
        if firms is None:
            raise DataError("firm_parks: a firm given by id needs the firms frame")
        row = firms[firms[firm_id].astype("str") == firm]
        if row.empty:
            raise NotFoundError(f"no firm {firm!r}")
        return row.head(1).reset_index(drop=True)
    if isinstance(firm, pd.DataFrame):
        if len(firm) != 1:
            raise DataError(f"firm: expected one firm, got {len(firm)} rows")
        return firm.reset_index(drop=True)
    row = pd.DataFrame([dict(firm)])
    if firm_id not in row:
        raise DataError(f"firm: missing {firm_id}")
    return row


def _park_table(m: _Matcher, park: dict | None, *, k: int | None, include_excluded: bool,
                exclude: Iterable[str], rows: np.ndarray | None = None) -> pd.DataFrame:
    """Score the firms for one park and return the chosen rows with their reasons."""
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
    table = _frame(m, park, rows, parts)
    ranked = ~table[EXCLUDED].to_numpy(bool)
    table[C.RANK] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    table.loc[~ranked, C.RANK] = pd.NA
    return table


def _empty_parts(m: _Matcher) -> pd.DataFrame:
    cols = [SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY, C.DISTANCE_KM, C.SCORE]
    out = pd.DataFrame({c: np.array([], float) for c in cols})
    out[EXCLUDED] = np.array([], bool)
    if m.rec is not None:
        out[REC_SCORE] = np.array([], float)
    return out


def _frame(m: _Matcher, park: dict, rows: np.ndarray, parts: pd.DataFrame) -> pd.DataFrame:
    firms = m.firms.iloc[rows].reset_index(drop=True)
    described = [_describe(m, park, int(r), part)
                 for r, part in zip(rows, parts.to_dict("records"), strict=True)]
    text = {c: [d[c] for d in described] for c in
            (LINKED_TENANTS, EXCLUDED_REASON_ZH, EXCLUDED_REASON_EN, C.REASONS, REASON_ZH,
             REASON_EN)}
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
        C.LAT: _column(firms, C.LAT), C.LON: _column(firms, C.LON),
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
        REASON_ZH: pd.Series(text[REASON_ZH], dtype="str"),
        REASON_EN: pd.Series(text[REASON_EN], dtype="str"),
        C.IS_SYNTHETIC: (firms[C.IS_SYNTHETIC].astype("boolean") if C.IS_SYNTHETIC in firms
                         else pd.array([pd.NA] * len(rows), dtype="boolean")),
    })
    return out


# --- reasons --------------------------------------------------------------------------------

def _describe(m: _Matcher, park: dict, r: int, part: dict) -> dict:
    """Reasons and exclusion text for firm position ``r`` at ``park``."""
    blend = (1 - REC_BLEND) if REC_SCORE in part else 1.0
    reasons = []
    tenants, linked = _synergy_text(m, park, r)
    if tenants:
        reasons.append(_reason(SYNERGY, blend * PART_WEIGHTS[SYNERGY] * part[SYNERGY], *linked))
    focus = _focus_text(m, park, r)
    if focus and part[FOCUS_FIT] > 0:
        reasons.append(_reason(FOCUS_FIT, blend * PART_WEIGHTS[FOCUS_FIT] * part[FOCUS_FIT],
                               *focus))
    room, short = _capacity_text(m, park, r)
    if room and not part[EXCLUDED]:
        reasons.append(_reason(CAPACITY_FIT,
                               blend * PART_WEIGHTS[CAPACITY_FIT] * part[CAPACITY_FIT], *room))
    near = _proximity_text(m, r, part[C.DISTANCE_KM])
    if near:
        reasons.append(_reason(PROXIMITY, blend * PART_WEIGHTS[PROXIMITY] * part[PROXIMITY],
                               *near))
    if REC_SCORE in part and part[REC_SCORE] > 0:
        top = max(1, int(np.ceil(100 * (1 - part[REC_SCORE]))))
        reasons.append(_reason(REC_SCORE, REC_BLEND * part[REC_SCORE],
                               f"推荐得分位列前{top}%", f"recommendation score in the top {top}%"))
    reasons.sort(key=lambda x: -x["contribution"])
    return {
        LINKED_TENANTS: tenants,
        C.REASONS: reasons,
        REASON_ZH: _SEP["zh"].join(x["zh"] for x in reasons[:3]) or None,
        REASON_EN: _SEP["en"].join(x["en"] for x in reasons[:3]) or None,
        EXCLUDED_REASON_ZH: _SEP["zh"].join(z for z, _ in short) or None,
        EXCLUDED_REASON_EN: _SEP["en"].join(e for _, e in short) or None,
    }


def _reason(feature: str, contribution: float, zh: str, en: str) -> dict:
    return {"feature": feature, "zh": zh, "en": en, "contribution": round(float(contribution), 4)}


def _synergy_text(m: _Matcher, park: dict, r: int) -> tuple[list[str], tuple[str, str]]:
    tenants, T, supply, buy = m.tenant_links(park)
    f = m.F[r]
    found, zh, en = [], [], []
    for t, tenant in enumerate(tenants):
        s, b = f * supply[t], f * buy[t]
        if max(s.max(initial=0), b.max(initial=0)) <= 0:
            continue
        found.append(tenant)
        tz, te = m.names_zh.get(tenant, tenant), m.names_en.get(tenant, tenant)
        if s.max() >= b.max():
            node = m.nodes[int(s.argmax())]
            zh.append(f"向{tz}供应{m.node_name(node, 'zh')}")
            en.append(f"supplies {m.node_name(node, 'en').lower()} to {te}")
        else:
            n = int(b.argmax())
            node = m.nodes[int((m.adj[:, n] * T[t]).argmax())]
            zh.append(f"从{tz}采购{m.node_name(node, 'zh')}")
            en.append(f"buys {m.node_name(node, 'en').lower()} from {te}")
    if not found:
        return [], ("", "")
    more_zh = "等" if len(found) > 3 else ""
    more_en = ", ..." if len(found) > 3 else ""
    return found, (f"与园区{len(found)}家企业上下游协同：{'、'.join(zh[:3])}{more_zh}",
                   f"chain synergy with {len(found)} tenant{'s' if len(found) > 1 else ''}: "
                   f"{', '.join(en[:3])}{more_en}")


def _focus_text(m: _Matcher, park: dict, r: int) -> tuple[str, str] | None:
    focus = [m.pos[n] for n in park.get(C.FOCUS_NODES) or [] if n in m.pos]
    if not focus:
        return None
    f = m.F[r]
    best = focus[int(f[focus].argmax())]
    if f[best] >= NEIGHBOUR_CREDIT * f.max():
        name_zh, name_en = m.node_name(m.nodes[best], "zh"), m.node_name(m.nodes[best], "en")
        return f"主营{name_zh}，属园区主导方向", f"makes {name_en.lower()}, a focus of the park"
    adjacent = m.adj[:, focus] + m.adj[focus].T  # node x focus: linked either way
    strength = f[:, None] * (adjacent > 0)
    n, j = np.unravel_index(int(strength.argmax()), strength.shape)
    node, target = m.nodes[n], m.nodes[focus[j]]
    return (f"主营{m.node_name(node, 'zh')}，与园区主导方向{m.node_name(target, 'zh')}上下游相邻",
            f"makes {m.node_name(node, 'en').lower()}, next in the chain to the park's focus "
            f"{m.node_name(target, 'en').lower()}")


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f}" if unit == "m2" else f"{value:,.1f}"


def _capacity_text(m: _Matcher, park: dict, r: int):
    """(the tightest fit as a reason or None, [(zh, en) per resource the firm exceeds])."""
    needs = m.needs_rows[r]
    tightest, short = None, []
    for need_col, offer_col, unit, label_zh, label_en in RESOURCES:
        need, offer = needs[NEED_COLUMNS.index(need_col)], _number(park.get(offer_col))
        if not (np.isfinite(need) and np.isfinite(offer)) or need <= 0:
            continue
        uz, ue = _UNITS[unit]
        n, o = _amount(need, unit), _amount(offer, unit)
        if need > offer:
            gap = _amount(need - offer, unit)
            short.append((f"需{label_zh}{n}{uz}，园区仅可提供{o}{uz}（缺口{gap}{uz}）",
                          f"needs {n} {ue} {label_en}; park offers {o} {ue} ({gap} {ue} short)"))
        elif tightest is None or need / offer > tightest[0]:
            tightest = (need / offer, f"园区承载充足：需{label_zh}约{n}{uz}，园区可提供{o}{uz}",
                        f"fits the park's offer: needs about {n} {ue} {label_en} of {o} {ue}")
    return (tightest[1:] if tightest else None), short


def _proximity_text(m: _Matcher, r: int, distance: float) -> tuple[str, str] | None:
    if m.gba[r] == 1:
        return "已在大湾区布局", "already present in the Greater Bay Area"
    if m.china[r] == 1:
        return "已进入中国市场", "already sells in China"
    if np.isfinite(distance):
        return f"总部距园区{distance:,.0f}公里", f"head office {distance:,.0f} km from the park"
    return None
