"""The latent model of the demo world: what makes a contacted firm respond to a campaign.

The latent model (``data/README.md``, "The synthetic generator") gives every (campaign, firm)
pair a utility ``u = observable_utility(terms) + hidden trait + noise``; outcome stages are
thresholds on ``u`` (:mod:`recommender.demo.history`). Everything inside
``observable_utility`` is computed by :func:`firm_observables` and :func:`utility_terms` from
what a ranker can see too: the stored firm profiles and firm nodes, the chain, the region's
tables, and earlier outcomes; :func:`latent_terms` recomputes it from the stored tables.

>>> terms = utility_terms(firm_observables(firms, region), match=m, need=w,   # doctest: +SKIP
...                       control=x, prior_declines=k, year=2024)
>>> u = observable_utility(terms)                                              # doctest: +SKIP
>>> free = pair_terms(match=1.0, need=0.8, control=0.0, prior_declines=0, age=10)
>>> blocked = pair_terms(match=1.0, need=0.8, control=1.0, prior_declines=0, age=10)
>>> round(float(observable_utility(free) - observable_utility(blocked)), 2)  # export control
2.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex

__all__ = [
    "COMMON_LANGUAGE", "DISTANCE_KM", "HIDDEN_SD", "HOP_DISCOUNT", "LATENT_INPUTS",
    "LOG_EMPLOYEES", "NOISE_SD", "SIZE_PEAK", "TZ_GAP_H", "UTILITY_WEIGHTS", "common_language",
    "control_matrix", "distance_to_core", "firm_observables", "firm_terms", "latent_terms",
    "match_strength", "observable_utility", "pair_terms", "prior_declines", "tz_gap_hours",
    "utility_terms",
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
HOP_DISCOUNT = 0.5  # match strength of a firm one chain hop from the node, times its confidence


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


def control_matrix(ix: ChainIndex, region, origins) -> np.ndarray:
    """Return export control (0..1) per origin row and node column; 0 where not listed."""
    ctl = region.export_controls
    table = ctl.pivot_table(index=C.ORIGIN, columns=C.NODE_ID, values=C.CONTROL,
                            aggfunc="max") if len(ctl) else pd.DataFrame()
    table = table.reindex(index=pd.Index(origins).unique(), columns=list(ix.node_ids))
    return table.fillna(0.0).reindex(index=origins).to_numpy(float)
