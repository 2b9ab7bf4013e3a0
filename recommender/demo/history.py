"""The simulated history of the demo world: weak-link need, campaigns, contacts, outcomes, truth.

The latent model (``data/README.md``, "The synthetic generator") gives every (campaign, firm)
pair a utility ``u = observable_utility(terms) + hidden trait + noise``; outcome stages are
thresholds on ``u``. Everything inside ``observable_utility`` is computed by
:func:`firm_observables` and :func:`utility_terms` from what a ranker can see too: the stored
firm profiles and firm nodes, the chain, the region's tables, and earlier outcomes.

>>> terms = utility_terms(firm_observables(firms, region), match=m, need=w,   # doctest: +SKIP
...                       control=x, prior_declines=k, year=2024)
>>> u = observable_utility(terms)                                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from recommender import columns as C
from recommender.exceptions import DataError

__all__ = [
    "LATENT_INPUTS", "UTILITY_WEIGHTS", "ChainIndex", "firm_observables", "firm_terms",
    "latent_terms", "match_strength", "observable_utility", "pair_terms", "prior_declines",
    "simulate_history", "utility_terms", "weak_link_need",
]

# firm attributes the latent model reads (country and coordinates give distance and language)
LATENT_INPUTS = [C.COUNTRY, C.LAT, C.LON, C.FOUNDED_YEAR, C.EMPLOYEES, C.REVENUE,
                 C.REVENUE_GROWTH, C.RD_INTENSITY, C.PATENTS, C.IS_LISTED, C.INTL_COUNTRIES,
                 C.IN_CHINA, C.IN_GBA]
LOG_EMPLOYEES, DISTANCE_KM, TZ_GAP_H, COMMON_LANGUAGE = (
    "log10_employees", "distance_km", "tz_gap_h", "common_language")

UTILITY_WEIGHTS = {
    "match": 0.8,            # x match strength m (0..1)
    "match_need": 2.0,       # x m * weak-link need w
    "size": -0.35,           # x (log10 employees - SIZE_PEAK)^2: inverted U
    "distance": -0.45,       # x ln(1 + km / 1000)
    "in_china": 0.6,         # step for firms already in China
    "in_gba": 0.5,           # a further step for firms already in the Greater Bay Area
    "language": 0.35,        # x common language (1 for CN, TW, HK, MO, SG)
    "export_control": -2.5,  # x control of the home country on the node (0..1)
    "rd_patents": 0.9,       # x tanh(R&D / 0.08) * tanh(ln(1 + patents) / 3)
    "age": 0.25,             # x tanh((age - 6) / 6)
    "growth": 0.8,           # x tanh(2 * revenue growth)
    "tz_gap": -0.05,         # x hours of time-zone gap
    "fatigue": -0.5,         # x ln(1 + earlier declines)
    "listed": 0.15,          # x listed
    "footprint": 0.2,        # x tanh(ln(1 + countries) / 3)
}
SIZE_PEAK = 2.6  # log10 employees of the most responsive size (about 400 people)
HIDDEN_SD, NOISE_SD = 0.5, 0.7
BASE_RATES = (0.55, 0.25, 0.12, 0.05, 0.03)  # target shares of stages 0..4 among contacts
HOP_DISCOUNT = 0.5  # match strength of a firm one chain hop from the node, times its confidence
NEED_WEIGHTS = {"local_gap": 0.30, "imports": 0.25, "export_exposure": 0.25, "leader_need": 0.20}
TARGET_POWER = 2.0  # campaigns pick nodes with probability proportional to need ** this
CONTACTS = (20, 80)  # contacts per campaign, uniform
OFFICER_TOP_SHARE = 0.8  # share of contacts picked by the officer's score, the rest at random
# the officer's score: ln revenue, listed, reference (famous) firm, match strength; + Gumbel(0, 1)
OFFICER_WEIGHTS = {"log_revenue": 0.9, "listed": 1.2, "famous": 1.0, "match": 1.0}
CAMPAIGNS_PER_MONTH = 4  # a province's campaigns across its cities, about one a week
DECLINE_AFTER_DAYS = 30  # no answer within this many days counts as a decline (stage 0)
STAGE_LAG_DAYS = ((5, 30), (30, 120), (60, 240), (90, 360))  # from stage s-1 to s, uniform
CALIBRATION_PASSES = 4


# --- the chain as arrays --------------------------------------------------------------------

def _words(value, fallback: str) -> list[str]:
    if isinstance(value, str):
        items = value.replace("、", ";").replace(",", ";").replace("|", ";").split(";")
    elif value is None or (isinstance(value, float) and np.isnan(value)):
        items = []
    else:
        items = list(value)
    items = [str(i).strip() for i in items if str(i).strip()]
    return items or [fallback]


def _csr(groups: list[list]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    flat = [x for g in groups for x in g]
    return offsets, np.array(flat, dtype=object if flat and isinstance(flat[0], str) else np.int64)


@dataclass(frozen=True, eq=False)
class ChainIndex:
    """A chain as arrays: node positions, segments, undirected neighbours, keywords."""

    node_ids: tuple[str, ...]
    names_zh: tuple[str, ...]
    names_en: tuple[str, ...]
    segments: tuple[str, ...]
    segment_stage: tuple[str, ...]
    segment_of: np.ndarray
    hs_codes: tuple[tuple[str, ...], ...]
    seg_nodes: tuple[np.ndarray, np.ndarray] = field(repr=False)
    neighbours: tuple[np.ndarray, np.ndarray] = field(repr=False)
    keywords: dict = field(repr=False)
    nodes_for_hs: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_chain(cls, chain) -> ChainIndex:
        nodes = chain.nodes.reset_index(drop=True)
        ids = tuple(nodes[C.NODE_ID].astype(str))
        pos = {v: i for i, v in enumerate(ids)}
        segments = tuple(dict.fromkeys(nodes[C.SEGMENT].astype(str)))
        seg_pos = {s: i for i, s in enumerate(segments)}
        segment_of = nodes[C.SEGMENT].astype(str).map(seg_pos).to_numpy(np.int64)
        stage = tuple(nodes.groupby(C.SEGMENT, sort=False)[C.STAGE].first().astype(str)
                      .reindex(segments))
        near = [set() for _ in ids]
        for a, b in zip(chain.edges["supplier"], chain.edges["consumer"], strict=True):
            if a in pos and b in pos and a != b:
                near[pos[a]].add(pos[b])
                near[pos[b]].add(pos[a])
        zh = [_words(v, f) for v, f in zip(nodes["keywords_zh"], nodes[C.NODE_NAME_ZH],
                                           strict=True)]
        en = [_words(v, f) for v, f in zip(nodes["keywords_en"], nodes[C.NODE_NAME_EN],
                                           strict=True)]
        hs = tuple(tuple(w for w in _words(v, "") if w) for v in nodes[C.HS_CODES])
        return cls(ids, tuple(nodes[C.NODE_NAME_ZH].astype(str)),
                   tuple(nodes[C.NODE_NAME_EN].astype(str)), segments, stage, segment_of, hs,
                   _csr([list(np.flatnonzero(segment_of == s)) for s in range(len(segments))]),
                   _csr([sorted(s) for s in near]), {True: _csr(zh), False: _csr(en)},
                   getattr(chain, "nodes_for_hs", None))

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def index_of(self, ids) -> np.ndarray:
        pos = {v: i for i, v in enumerate(self.node_ids)}
        return np.array([pos[v] for v in ids], dtype=np.int64)

    def _draw(self, rng, csr, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        off, flat = csr
        count = off[group + 1] - off[group]
        return off[group] + (rng.random(len(group)) * np.maximum(count, 1)).astype(np.int64), \
            count

    def random_in_segment(self, rng, segment: np.ndarray) -> np.ndarray:
        at, _ = self._draw(rng, self.seg_nodes, segment)
        return self.seg_nodes[1][at]

    def random_neighbour(self, rng, node: np.ndarray) -> np.ndarray:
        """A random chain neighbour of each node (a node of its segment when it has none)."""
        at, count = self._draw(rng, self.neighbours, node)
        flat = self.neighbours[1]
        fallback = self.random_in_segment(rng, self.segment_of[node])
        if len(flat) == 0:
            return fallback
        return np.where(count > 0, flat[np.minimum(at, len(flat) - 1)], fallback)

    def random_keywords(self, rng, node: np.ndarray, zh: np.ndarray):
        """Two different keywords per node, as positions in ``keyword_table`` (-1: none).

        Chinese keywords where ``zh``, English ones elsewhere; the second is -1 where the node
        has a single keyword.
        """
        first = np.empty(len(node), np.int64)
        second = np.full(len(node), -1, np.int64)
        for lang in (True, False):
            at = np.flatnonzero(zh == lang)
            off, _ = self.keywords[lang]
            start = off[node[at]] + (0 if lang else self.keywords[True][0][-1])
            count = off[node[at] + 1] - off[node[at]]
            j = (rng.random(len(at)) * count).astype(np.int64)
            k = (j + 1 + (rng.random(len(at)) * np.maximum(count - 1, 1)).astype(np.int64)) \
                % count
            first[at] = start + j
            second[at[count > 1]] = (start + k)[count > 1]
        return first, second

    @property
    def keyword_table(self) -> np.ndarray:
        """All keywords: the Chinese ones of every node, then the English ones."""
        return np.concatenate([self.keywords[True][1], self.keywords[False][1]])


# --- the observable part of the latent model ------------------------------------------------

def distance_to_core(lat, lon, region) -> np.ndarray:
    """Great-circle km from each point to the region's core (NaN where unknown)."""
    from recommender.firms.geocode import haversine_km

    km = haversine_km(np.asarray(lat, float), np.asarray(lon, float),
                      float(region.core_lat), float(region.core_lon))
    return np.asarray(km, float)


def tz_gap_hours(lon, core_lon: float) -> np.ndarray:
    """Time-zone gap in hours, from longitudes (15 degrees an hour, at most 12)."""
    d = np.abs(np.asarray(lon, float) - core_lon) % 360
    return np.minimum(d, 360 - d) / 15


def common_language(country) -> np.ndarray:
    """1.0 where Chinese is a business language of the home country, else 0.0."""
    from recommender.firms.countries import COMMON_LANGUAGE_ZH

    return pd.Series(np.asarray(country, dtype=object)).isin(COMMON_LANGUAGE_ZH).to_numpy(float)


def firm_observables(firms: pd.DataFrame, region) -> pd.DataFrame:
    """Return the per-firm inputs of the latent model, one row per row of ``firms``.

    Columns: ``log10_employees``, ``distance_km``, ``tz_gap_h``, ``common_language`` and the
    profile columns the model reads, as floats (missing stays NaN).
    """
    out = pd.DataFrame(index=firms.index)
    for k in LATENT_INPUTS[3:]:
        column = firms[k]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            column = pd.to_numeric(column.astype(object).where(column.notna(), np.nan),
                                   errors="coerce")
        out[k] = column.to_numpy(float, na_value=np.nan)
    out[LOG_EMPLOYEES] = np.log10(np.maximum(out.pop(C.EMPLOYEES).to_numpy(), 1.0))
    out[DISTANCE_KM] = distance_to_core(firms[C.LAT], firms[C.LON], region)
    out[TZ_GAP_H] = tz_gap_hours(firms[C.LON], float(region.core_lon))
    out[COMMON_LANGUAGE] = common_language(firms[C.COUNTRY])
    return out


def firm_terms(obs) -> dict[str, np.ndarray]:
    """The terms of the observable utility that depend on the firm alone."""
    w = UTILITY_WEIGHTS

    def get(key):
        return np.asarray(obs[key], float)

    return {
        "size": w["size"] * (get(LOG_EMPLOYEES) - SIZE_PEAK) ** 2,
        "distance": w["distance"] * np.log1p(get(DISTANCE_KM) / 1000),
        "in_china": w["in_china"] * get(C.IN_CHINA),
        "in_gba": w["in_gba"] * get(C.IN_GBA),
        "language": w["language"] * get(COMMON_LANGUAGE),
        "rd_patents": w["rd_patents"] * np.tanh(get(C.RD_INTENSITY) / 0.08)
        * np.tanh(np.log1p(get(C.PATENTS)) / 3),
        "growth": w["growth"] * np.tanh(2 * get(C.REVENUE_GROWTH)),
        "tz_gap": w["tz_gap"] * get(TZ_GAP_H),
        "listed": w["listed"] * get(C.IS_LISTED),
        "footprint": w["footprint"] * np.tanh(np.log1p(get(C.INTL_COUNTRIES)) / 3),
    }


def pair_terms(*, match, need, control, prior_declines, age) -> dict[str, np.ndarray]:
    """The terms of the observable utility that depend on the pair or on the campaign date."""
    w = UTILITY_WEIGHTS
    m = np.asarray(match, float)
    return {
        "match": w["match"] * m,
        "match_need": w["match_need"] * m * np.asarray(need, float),
        "export_control": w["export_control"] * np.asarray(control, float),
        "age": w["age"] * np.tanh((np.asarray(age, float) - 6) / 6),
        "fatigue": w["fatigue"] * np.log1p(np.asarray(prior_declines, float)),
    }


def utility_terms(obs, *, match, need, control, prior_declines, year) -> dict[str, np.ndarray]:
    """Return each additive term of the observable utility, aligned with the rows of ``obs``.

    ``obs`` holds rows of :func:`firm_observables` (one per pair); ``match`` is the firm's
    match strength to the node (confidence, or ``HOP_DISCOUNT`` x confidence one hop away),
    ``need`` the node's weak-link need, ``control`` the home country's export control on the
    node, ``prior_declines`` the firm's declines (stage 0 outcomes dated before the campaign),
    ``year`` the campaign's year (age = year - founded year).
    """
    age = np.asarray(year, float) - np.asarray(obs[C.FOUNDED_YEAR], float)
    return {**pair_terms(match=match, need=need, control=control,
                         prior_declines=prior_declines, age=age), **firm_terms(obs)}


def observable_utility(terms: dict[str, np.ndarray]) -> np.ndarray:
    """Sum the terms of :func:`utility_terms`."""
    total = np.zeros(())
    for term in terms.values():
        total = total + term
    return total


def match_strength(pairs: pd.DataFrame, firm_nodes: pd.DataFrame, ix: ChainIndex) -> np.ndarray:
    """Match strength of each (firm_id, node_id) pair: the firm's confidence in the node, or
    ``HOP_DISCOUNT`` x its best confidence in a chain neighbour of the node, whichever is larger
    (0 when neither)."""
    links = firm_nodes[firm_nodes[C.NODE_ID].isin(ix.node_ids)]
    conf = links.groupby([C.FIRM_ID, C.NODE_ID], sort=False)[C.CONFIDENCE].max()
    off, flat = ix.neighbours
    hop_rows = [(ix.node_ids[u], ix.node_ids[v]) for v in range(ix.n)
                for u in flat[off[v]:off[v + 1]]]
    hops = pd.DataFrame(hop_rows, columns=[C.NODE_ID, "to"])
    near = conf.rename("c").reset_index().merge(hops, on=C.NODE_ID)
    near = (near.groupby([C.FIRM_ID, "to"], sort=False)["c"].max() * HOP_DISCOUNT)
    key = pd.MultiIndex.from_arrays([pairs[C.FIRM_ID].astype(str), pairs[C.NODE_ID].astype(str)])
    direct = conf.reindex(key).to_numpy(float)
    one_hop = near.reindex(key).to_numpy(float)
    return np.fmax(np.nan_to_num(direct, nan=0.0), np.nan_to_num(one_hop, nan=0.0))


def prior_declines(pairs: pd.DataFrame, outcomes: pd.DataFrame) -> np.ndarray:
    """Stage-0 outcomes of each pair's firm dated on or before the pair's ``date``."""
    declines = outcomes.loc[outcomes[C.OUTCOME_STAGE] == 0, [C.FIRM_ID, C.DATE]]
    by_firm = declines.groupby(C.FIRM_ID)[C.DATE].apply(lambda d: np.sort(d.to_numpy()))
    out = np.zeros(len(pairs), np.int64)
    for i, (firm, date) in enumerate(zip(pairs[C.FIRM_ID], pairs[C.DATE], strict=True)):
        if firm in by_firm.index:
            out[i] = np.searchsorted(by_firm[firm], np.datetime64(date), side="right")
    return out


def latent_terms(pairs: pd.DataFrame, *, firms: pd.DataFrame, firm_nodes: pd.DataFrame,
                 outcomes: pd.DataFrame, chain, region, need) -> pd.DataFrame:
    """Recompute the observable utility of (firm_id, node_id, date) pairs from stored tables.

    Everything comes from what a ranker sees: the firm profiles and firm nodes, the chain, the
    region, earlier outcomes, and the weak-link ``need`` per node (a mapping; the generator's
    is ``params["weak_link_need"]``). Returns one column per term of :func:`utility_terms`
    and ``observable_utility``; a firm's missing profile values make its terms NaN. For a
    synthetic firm, ``true_utility - observable_utility`` is its hidden trait, the same in
    every campaign.
    """
    ix = ChainIndex.from_chain(chain)
    profile = firms.drop_duplicates(C.FIRM_ID).set_index(C.FIRM_ID)
    rows = profile.reindex(pairs[C.FIRM_ID].astype(str).to_numpy()).reset_index(drop=True)
    obs = firm_observables(rows, region)
    country = rows[C.COUNTRY].fillna("").astype(str).to_numpy()
    pos, countries = pd.factorize(country)
    node_pos = ix.index_of(pairs[C.NODE_ID].astype(str))
    control = control_matrix(ix, region, countries)[pos, node_pos]
    need_of = np.array([float(need[v]) for v in ix.node_ids])[node_pos]
    year = pd.DatetimeIndex(pairs[C.DATE]).year.to_numpy()
    terms = utility_terms(obs, match=match_strength(pairs, firm_nodes, ix), need=need_of,
                          control=control, prior_declines=prior_declines(pairs, outcomes),
                          year=year)
    out = pd.DataFrame(terms, index=pairs.index)
    out["observable_utility"] = observable_utility(terms)
    return out


# --- weak-link need -------------------------------------------------------------------------

def _hs_nodes(ix: ChainIndex, code: str) -> list[int]:
    """Positions of the nodes an import code belongs to (the chain's own rule where it has one)."""
    if ix.nodes_for_hs is not None:
        return [ix.node_ids.index(v) for v in ix.nodes_for_hs(code)]
    return [v for v in range(ix.n)
            if any(code.startswith(h) or h.startswith(code) for h in ix.hs_codes[v] if h)]


def _need_table(ix: ChainIndex, region, local_node: np.ndarray, local_conf: np.ndarray,
                local_employees: np.ndarray) -> pd.DataFrame:
    """Return the need parts and the combined need, one row per node (see weak_link_need)."""
    n = ix.n
    supply = np.bincount(local_node, local_conf * np.log1p(local_employees), minlength=n)
    ref = np.median(supply[supply > 0]) if np.any(supply > 0) else 1.0
    local_gap = 1 / (1 + supply / ref)

    imp = region.imports
    value = np.zeros(n)
    exposure = np.zeros(n)
    if len(imp):
        codes = imp[C.HS_CODE].astype(str).str.strip().to_numpy(object)
        unique, inverse = np.unique(codes, return_inverse=True)
        hits = np.zeros((len(unique), n), bool)
        for row, code in enumerate(unique):
            hits[row, _hs_nodes(ix, code)] = True
        hits = hits[inverse]
        per_row = imp[C.VALUE_USD].to_numpy(float) / np.maximum(hits.sum(axis=1), 1)
        years = max(imp[C.YEAR].nunique(), 1)
        value = (hits * per_row[:, None]).sum(axis=0) / years
        ctrl = control_matrix(ix, region, imp[C.ORIGIN].astype(str).to_numpy())
        by_origin = hits * per_row[:, None]
        exposure = np.where(value > 0, (by_origin * ctrl).sum(axis=0) / years
                            / np.maximum(value, 1e-12), 0.0)
    imports = np.log1p(value) / max(np.log1p(value).max(), 1e-12)
    leaders = region.leader_needs
    leader = np.zeros(n)
    if len(leaders):
        known = leaders[leaders[C.NODE_ID].isin(ix.node_ids)]
        leader = np.bincount(ix.index_of(known[C.NODE_ID]), known[C.NEED].to_numpy(float),
                             minlength=n)
        leader = leader / max(leader.max(), 1e-12)
    parts = {"local_gap": local_gap, "imports": imports, "export_exposure": exposure,
             "leader_need": leader}
    need = sum(NEED_WEIGHTS[k] * v for k, v in parts.items())
    return pd.DataFrame({C.NODE_ID: ix.node_ids, **parts, "need": need})


def control_matrix(ix: ChainIndex, region, origins) -> np.ndarray:
    """Return export control (0..1) per origin row and node column; 0 where not listed."""
    ctl = region.export_controls
    table = ctl.pivot_table(index=C.ORIGIN, columns=C.NODE_ID, values=C.CONTROL,
                            aggfunc="max") if len(ctl) else pd.DataFrame()
    table = table.reindex(index=pd.Index(origins).unique(), columns=list(ix.node_ids))
    return table.fillna(0.0).reindex(index=origins).to_numpy(float)


def weak_link_need(chain, region, firms: pd.DataFrame, firm_nodes: pd.DataFrame) -> pd.DataFrame:
    """Return the generator's weak-link need per node, with its four parts.

    local_gap = 1 / (1 + s / median positive s), s = sum over local firms active in the node
    of confidence x ln(1 + employees); imports = ln(1 + mean yearly import value of the node's
    HS codes), scaled to max 1; export_exposure = import-weighted export control of the
    origins; leader_need = summed leader needs, scaled to max 1; need = the weighted sum with
    ``NEED_WEIGHTS``. Local firms are Chinese firms in the region's cities. The generator
    uses the same formula, with imputed head counts for reference firms that give none.
    """
    ix = ChainIndex.from_chain(chain)
    names = set(region.cities[C.CITY_NAME_EN]) | set(region.cities[C.CITY_NAME_ZH])
    local = firms[(firms[C.COUNTRY] == "CN") & firms[C.CITY].isin(names)]
    links = firm_nodes[firm_nodes[C.FIRM_ID].isin(local[C.FIRM_ID])
                       & firm_nodes[C.NODE_ID].isin(ix.node_ids)]
    emp = links[C.FIRM_ID].map(local.set_index(C.FIRM_ID)[C.EMPLOYEES]).astype(float)
    return _need_table(ix, region, ix.index_of(links[C.NODE_ID]),
                       links[C.CONFIDENCE].fillna(0.9).to_numpy(float),
                       emp.fillna(emp.median() if emp.notna().any() else 100).to_numpy())


# --- campaigns, contacts, outcomes ----------------------------------------------------------

@dataclass(frozen=True)
class History:
    campaigns: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame
    params: dict


class _Candidates:
    """Non-local firms active in a node or one hop from it, with their match strength."""

    def __init__(self, ix: ChainIndex, firm: np.ndarray, node: np.ndarray, conf: np.ndarray):
        order = np.argsort(node, kind="stable")
        self.firm, self.conf = firm[order].astype(np.int32), conf[order]
        self.off = np.searchsorted(node[order], np.arange(ix.n + 1))
        self.ix = ix
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def count(self, v: int) -> int:
        off, flat = self.ix.neighbours
        hops = flat[off[v]:off[v + 1]]
        return int(self.off[v + 1] - self.off[v]
                   + sum(self.off[u + 1] - self.off[u] for u in hops))

    def __call__(self, v: int) -> tuple[np.ndarray, np.ndarray]:
        if v not in self._cache:
            off, flat = self.ix.neighbours
            spans = [(v, 1.0)] + [(u, HOP_DISCOUNT) for u in flat[off[v]:off[v + 1]]]
            firms = np.concatenate([self.firm[self.off[u]:self.off[u + 1]] for u, _ in spans])
            strength = np.concatenate([self.conf[self.off[u]:self.off[u + 1]] * f
                                       for u, f in spans])
            # sort by firm, strongest link first: one integer key instead of a lexsort
            weakness = (2047 - np.round(strength * 2000)).astype(np.int64)
            key = firms.astype(np.int64) * 2048 + weakness
            order = np.argsort(key, kind="stable")
            firms, strength = firms[order], strength[order]
            first = np.concatenate([[True], firms[1:] != firms[:-1]])
            self._cache[v] = (firms[first], strength[first])
        return self._cache[v]


def _campaign_table(rng, ix: ChainIndex, need: np.ndarray, has_candidates: np.ndarray,
                    start: pd.Timestamp, end: pd.Timestamp, n_campaigns: int | None,
                    region_id: str) -> pd.DataFrame:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    count = n_campaigns or CAMPAIGNS_PER_MONTH * months
    last = (end - pd.Timedelta(days=DECLINE_AFTER_DAYS) - start).days
    dates = start + pd.to_timedelta(np.sort(rng.integers(0, last + 1, count)), unit="D")
    if not has_candidates.any():
        raise DataError("no firm outside the region is active in the chain: nothing to contact")
    p = np.where(has_candidates, np.maximum(need, 0) ** TARGET_POWER, 0.0)
    if p.sum() <= 0:
        p = has_candidates.astype(float)
    node = rng.choice(ix.n, size=count, p=p / p.sum())
    month = dates.strftime("%Y-%m").to_numpy(object)
    seq = pd.Series(month).groupby(month).cumcount().to_numpy() + 1
    zh = np.asarray(ix.names_zh, dtype=object)[node]
    en = np.asarray(ix.names_en, dtype=object)[node]
    return pd.DataFrame({
        C.CAMPAIGN_ID: "C" + month + "-" + pd.Series(seq).astype(str).str.zfill(2).to_numpy(object),
        C.CAMPAIGN_NAME: zh + "链式精准招商 " + month + " / " + en + " campaign " + month,
        C.REGION_ID: region_id, C.NODE_ID: np.asarray(ix.node_ids, dtype=object)[node],
        C.DATE: dates.astype("datetime64[ms]"), "node": node,
    })


def _officer_pick(rng, score: np.ndarray) -> np.ndarray:
    """Positions of the contacts: the best by the officer's noisy score, then some at random."""
    k = min(int(rng.integers(CONTACTS[0], CONTACTS[1] + 1)), len(score))
    top = int(round(OFFICER_TOP_SHARE * k))
    noisy = score + rng.gumbel(0.0, 1.0, len(score))
    best = np.argpartition(-noisy, top - 1)[:top] if top else np.array([], np.int64)
    free = np.ones(len(score), bool)
    free[best] = False
    rest = np.flatnonzero(free)
    extra = rng.choice(rest, size=k - top, replace=False) if k > top else rest[:0]
    return np.sort(np.concatenate([best, extra]))


def _stages(u: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    return np.searchsorted(thresholds, u, side="right").astype(np.int64)


def simulate_history(rng, latent: pd.DataFrame, links: pd.DataFrame, firm_ids: pa.Array,
                     ix: ChainIndex, region, start: pd.Timestamp, end: pd.Timestamp, *,
                     n_campaigns: int | None = None) -> History:
    """Draw campaigns over ``[start, end]``, their contacts, outcomes and the ground truth.

    ``latent`` has one row per firm of the universe (``LATENT_INPUTS`` plus ``local`` and
    ``famous``); ``links`` has positions ``firm``, ``node`` and ``confidence``.
    """
    r_camp, r_pick, r_noise, r_hidden, r_lag = rng.spawn(5)
    n_universe = len(latent)
    obs = firm_observables(latent, region)
    # the latent model needs a value where a reference firm gives no coordinates
    obs[DISTANCE_KM] = obs[DISTANCE_KM].fillna(10_000.0)
    obs[TZ_GAP_H] = obs[TZ_GAP_H].fillna(6.0)
    static = observable_utility(firm_terms(obs)) + r_hidden.normal(0.0, HIDDEN_SD, n_universe)
    founded = obs[C.FOUNDED_YEAR].to_numpy(float)
    local = latent["local"].to_numpy(bool)
    firm, node = links["firm"].to_numpy(np.int64), links["node"].to_numpy(np.int64)
    conf = links[C.CONFIDENCE].to_numpy(float)
    at_home = local[firm]
    needs = _need_table(ix, region, node[at_home], conf[at_home],
                        latent[C.EMPLOYEES].to_numpy(float)[firm[at_home]])
    need = needs["need"].to_numpy()
    cands = _Candidates(ix, firm[~at_home], node[~at_home], conf[~at_home])
    has = np.array([cands.count(v) > 0 for v in range(ix.n)])
    campaigns = _campaign_table(r_camp, ix, need, has, start, end, n_campaigns,
                                str(getattr(region, "id", "guangdong")))
    country_pos, countries = pd.factorize(latent[C.COUNTRY].fillna(""))
    control = control_matrix(ix, region, countries)
    ow = OFFICER_WEIGHTS
    officer = (ow["log_revenue"] * np.log(np.maximum(latent[C.REVENUE].to_numpy(float), 0.01))
               + ow["listed"] * latent[C.IS_LISTED].to_numpy(float)
               + ow["famous"] * latent["famous"].to_numpy(float))

    def candidates(v: int, year: int) -> tuple[np.ndarray, np.ndarray]:
        cand, match = cands(v)
        exists = founded[cand] <= year  # a firm founded after the campaign is no candidate
        return cand[exists], match[exists]

    # every candidate of every campaign, one slice per campaign
    years = campaigns[C.DATE].dt.year.to_numpy()
    bounds = np.concatenate([[0], np.cumsum([len(candidates(int(v), y)[0]) for v, y in
                                             zip(campaigns["node"], years, strict=True)])])
    cand_all = np.empty(bounds[-1], np.int32)
    utility = np.empty(bounds[-1], np.float64)  # observable + hidden, fatigue added below
    plan = []  # per campaign: the slice, the contacts (positions in the slice) and their noise
    for c, (v, date) in enumerate(zip(campaigns["node"], campaigns[C.DATE], strict=True)):
        cand, match = candidates(int(v), date.year)
        at = slice(bounds[c], bounds[c + 1])
        cand_all[at] = cand
        terms = pair_terms(match=match, need=need[v], control=control[country_pos[cand], v],
                           prior_declines=0, age=date.year - founded[cand])
        utility[at] = static[cand] + observable_utility(terms)
        pick = _officer_pick(r_pick, officer[cand] + ow["match"] * match)
        plan.append((at, pick, r_noise.normal(0.0, NOISE_SD, len(pick))))

    dates = campaigns[C.DATE].to_numpy()
    decline_dates = dates + np.timedelta64(DECLINE_AFTER_DAYS, "D")

    def run(thresholds, final=False):
        """Go through the campaigns in date order; declines tire the firms for later ones."""
        declines = np.zeros(n_universe, np.int32)
        flushed, stages, utilities = 0, [], []
        for c, (at, pick, noise) in enumerate(plan):
            while flushed < c and decline_dates[flushed] <= dates[c]:
                gone = plan[flushed]
                np.add.at(declines, cand_all[gone[0]][gone[1][stages[flushed] == 0]], 1)
                flushed += 1
            cand = cand_all[at]
            tired = np.flatnonzero(declines[cand] > 0) if final else None
            fatigue = UTILITY_WEIGHTS["fatigue"] * np.log1p(declines[cand[pick]])
            u = utility[at][pick] + fatigue + noise
            utilities.append(u)
            stages.append(_stages(u, thresholds))
            if final and len(tired):
                utility[at][tired] += UTILITY_WEIGHTS["fatigue"] * np.log1p(declines[cand[tired]])
        return stages, np.concatenate(utilities)

    cum = np.cumsum(BASE_RATES)[:-1]
    thresholds = np.quantile(np.concatenate([utility[at][pick] + noise
                                             for at, pick, noise in plan]), cum)
    for _ in range(CALIBRATION_PASSES):
        _, u = run(thresholds)
        thresholds = np.quantile(u, cum)
    stages, _ = run(thresholds, final=True)
    outcomes = _outcomes(r_lag, campaigns, plan, cand_all, stages, firm_ids, end)
    truth = _truth(campaigns, bounds, cand_all, utility, firm_ids)
    params = {
        "n_campaigns": len(campaigns), "thresholds": [float(t) for t in thresholds],
        "hidden_sd": HIDDEN_SD, "noise_sd": NOISE_SD, "hop_discount": HOP_DISCOUNT,
        "utility_weights": dict(UTILITY_WEIGHTS), "size_peak": SIZE_PEAK,
        "weak_link_need": {k: round(float(x), 6) for k, x in zip(ix.node_ids, need, strict=True)},
        "stage_shares": [round(float(x), 4) for x in np.bincount(
            outcomes[C.OUTCOME_STAGE], minlength=5) / max(len(outcomes), 1)],
    }
    return History(campaigns.drop(columns="node"), outcomes, truth, params)


def _outcomes(rng, campaigns, plan, cand_all, stages, firm_ids, end) -> pd.DataFrame:
    """One row per contact: the furthest stage reached by ``end`` and the day it was reached."""
    c = np.repeat(np.arange(len(plan)), [len(p[1]) for p in plan])
    firm = np.concatenate([cand_all[at][pick] for at, pick, _ in plan]).astype(np.int64)
    stage = np.concatenate(stages)
    day0 = campaigns[C.DATE].to_numpy()[c].astype("datetime64[D]")
    lags = np.stack([rng.integers(lo, hi + 1, len(c)) for lo, hi in STAGE_LAG_DAYS], axis=1)
    reached = day0[:, None] + np.cumsum(lags, axis=1).astype("timedelta64[D]")
    seen = (np.arange(1, 5)[None, :] <= stage[:, None]) & (reached <= np.datetime64(end.date()))
    observed = seen.sum(axis=1)  # reach dates increase, so the first `observed` stages are seen
    date = np.where(observed > 0, reached[np.arange(len(c)), np.maximum(observed - 1, 0)],
                    day0 + np.timedelta64(DECLINE_AFTER_DAYS, "D"))
    return pd.DataFrame({
        C.FIRM_ID: pd.array(firm_ids.take(pa.array(firm)), dtype="str"),
        C.NODE_ID: pd.array(campaigns[C.NODE_ID].to_numpy(object)[c], dtype="str"),
        C.CAMPAIGN_ID: pd.array(campaigns[C.CAMPAIGN_ID].to_numpy(object)[c], dtype="str"),
        C.DATE: date.astype("datetime64[ms]"), C.OUTCOME_STAGE: observed.astype(np.int64),
    })


def _truth(campaigns, bounds, cand_all, utility, firm_ids) -> pd.DataFrame:
    """Every candidate of every campaign with its true utility (observable + hidden trait).

    ``campaign_id`` and ``node_id`` are categorical (a few hundred values over millions of
    rows); ``true_utility`` is float32.
    """
    c = np.repeat(np.arange(len(campaigns), dtype=np.int32), np.diff(bounds))
    nodes = pd.Categorical(campaigns[C.NODE_ID])
    return pd.DataFrame({
        C.CAMPAIGN_ID: pd.Categorical.from_codes(c, pd.Index(campaigns[C.CAMPAIGN_ID].array)),
        C.FIRM_ID: pd.array(firm_ids.take(pa.array(cand_all)), dtype="str"),
        C.NODE_ID: pd.Categorical.from_codes(nodes.codes[c], nodes.categories),
        C.TRUE_UTILITY: utility.astype(np.float32),
    })
