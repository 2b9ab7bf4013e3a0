"""The latent model of the demo world: what makes a contacted firm respond to a campaign.

The latent model (``data/README.md``, "The synthetic generator") gives every (campaign, firm)
pair a utility ``u = observable_utility(terms) + hidden trait + noise``; outcome stages are
thresholds on ``u`` (:mod:`recommender.demo.history`). It follows what drives real FDI
decisions: market access (presence in China and the Greater Bay Area, observable; the firm's
China sales share, hidden), the firm's China strategy (expanding, holding or reducing, hidden),
the cluster's customers (local chain leaders that use the node), incentives (a park that
offers itself for the node, worth most to firms without a site in the Greater Bay Area),
scale (larger makers invest abroad more often, with diminishing returns), distance, language
and the fit of the product to the weak link. Everything inside ``observable_utility`` is
computed by :func:`firm_observables` and :func:`utility_terms` from what a ranker can see
too: the stored firm profiles and firm nodes, the chain, the region's tables, and earlier
outcomes; :func:`latent_terms` recomputes it from the stored tables. The hidden trait
(:func:`hidden_traits`) is the same for a firm in every campaign.

>>> terms = utility_terms(firm_observables(firms, region), match=m, need=w,   # doctest: +SKIP
...                       control=x, prior_declines=k, year=2024)
>>> u = observable_utility(terms)                                              # doctest: +SKIP
>>> free = pair_terms(match=1.0, need=0.8, control=0.0, prior_declines=0, age=10)
>>> blocked = pair_terms(match=1.0, need=0.8, control=1.0, prior_declines=0, age=10)
>>> round(float(observable_utility(free) - observable_utility(blocked)), 2)  # export control
2.5
>>> round(hidden_sd(), 2)  # China sales, China strategy and the rest, together
0.49
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex
from recommender.ranking.feature_registry import COMMON_LANGUAGE, LOG10_EMPLOYEES, TZ_GAP_H

__all__ = [
    "CHINA_SALES_BETA", "HIDDEN_SD", "HIDDEN_WEIGHTS",
    "HOP_DISCOUNT", "LATENT_INPUTS", "NOISE_SD", "SIZE_PEAK", "SIZE_SCALE",
    "STRATEGY_P", "UTILITY_WEIGHTS", "common_language", "control_matrix",
    "customer_pull", "distance_to_core", "firm_observables", "firm_terms", "hidden_sd",
    "hidden_traits", "latent_terms", "match_strength", "observable_utility", "pair_terms",
    "park_offer", "prior_declines", "tz_gap_hours", "utility_terms",
]

# firm attributes the latent model reads (country and coordinates give distance and language)
LATENT_INPUTS = [C.COUNTRY, C.LAT, C.LON, C.FOUNDED_YEAR, C.EMPLOYEES, C.REVENUE,
                 C.REVENUE_GROWTH, C.RD_INTENSITY, C.PATENTS, C.IS_LISTED, C.INTL_COUNTRIES,
                 C.IN_CHINA, C.IN_GBA]

UTILITY_WEIGHTS = {
    C.MATCH: 0.8,            # x match strength m (0..1)
    "match_need": 2.0,       # x m * weak-link need w
    "customers": 0.6,        # x m * customer pull of the node (local leaders that use it, 0..1)
    "incentive": 0.4,        # x park offer for the node (0/1) * (1 - in_gba)
    "size": 0.6,             # x tanh((log10 employees - SIZE_PEAK) / SIZE_SCALE): rises, flattens
    "distance": -0.3,        # x ln(1 + km / 1000)
    C.IN_CHINA: 0.6,         # step for firms already in China
    C.IN_GBA: 0.5,           # a further step for firms already in the Greater Bay Area
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
SIZE_PEAK, SIZE_SCALE = 2.3, 1.2  # the size effect is centred on about 200 people
HIDDEN_SD, NOISE_SD = 0.35, 0.7  # the hidden trait's residual part; the contact's noise
# hidden trait = china_sales x (share - its centre) + strategy x (-1, 0, 1) + N(0, HIDDEN_SD^2)
HIDDEN_WEIGHTS = {"china_sales": 1.2, "china_sales_centre": 0.25, "strategy": 0.4}
CHINA_SALES_BETA = {True: (3.0, 5.0), False: (1.5, 8.0)}  # share of sales in China, by in_china
# China strategy: P(reducing, holding, expanding); home countries that de-risk reduce more often
STRATEGY_P = {"default": (0.2, 0.5, 0.3), "US": (0.3, 0.5, 0.2)}
HOP_DISCOUNT = 0.5  # match strength of a firm one chain hop from the node, times its confidence


def distance_to_core(lat, lon, region) -> np.ndarray:
    """Great-circle km from each point to the region's core (NaN where unknown)."""
    from recommender.firms.geocode import haversine_km

    km = haversine_km(np.asarray(lat, float), np.asarray(lon, float),
                      float(region.core_lat), float(region.core_lon))
    return np.asarray(km, float)


def tz_gap_hours(lat, lon, country, region) -> np.ndarray:
    """Time-zone gap in hours between each firm and the region's core: the standard UTC
    offsets of their IANA zones (the nearest gazetteer city of the firm's country, else its
    country's zone), as the ranking features and reasons have it
    (:func:`recommender.firms.geocode.time_zone_gap_h`); never longitude. NaN where unknown.

    >>> from types import SimpleNamespace
    >>> core = SimpleNamespace(core_lat=23.13, core_lon=113.26, country="CN")
    >>> tz_gap_hours([25.05, 45.75, 48.14, 37.34], [121.53, 126.65, 11.58, -121.89],
    ...              ["TW", "CN", "DE", "US"], core).tolist()  # Taipei, Harbin, Munich, San Jose
    [0.0, 0.0, 7.0, 16.0]
    """
    from recommender.firms.geocode import time_zone_gap_h, time_zones

    home = time_zones([float(region.core_lat)], [float(region.core_lon)],
                      [str(region.country)])[0]
    return time_zone_gap_h(time_zones(lat, lon, np.asarray(country, dtype=object)), home)


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
    out[LOG10_EMPLOYEES] = np.log10(np.maximum(out.pop(C.EMPLOYEES).to_numpy(), 1.0))
    out[C.DISTANCE_KM] = distance_to_core(firms[C.LAT], firms[C.LON], region)
    out[TZ_GAP_H] = tz_gap_hours(firms[C.LAT], firms[C.LON], firms[C.COUNTRY], region)
    out[COMMON_LANGUAGE] = common_language(firms[C.COUNTRY])
    return out


def firm_terms(obs) -> dict[str, np.ndarray]:
    """The terms of the observable utility that depend on the firm alone."""
    w = UTILITY_WEIGHTS

    def get(key):
        return np.asarray(obs[key], float)

    return {
        "size": w["size"] * np.tanh((get(LOG10_EMPLOYEES) - SIZE_PEAK) / SIZE_SCALE),
        "distance": w["distance"] * np.log1p(get(C.DISTANCE_KM) / 1000),
        C.IN_CHINA: w[C.IN_CHINA] * get(C.IN_CHINA),
        C.IN_GBA: w[C.IN_GBA] * get(C.IN_GBA),
        "language": w["language"] * get(COMMON_LANGUAGE),
        "rd_patents": w["rd_patents"] * np.tanh(get(C.RD_INTENSITY) / 0.08)
        * np.tanh(np.log1p(get(C.PATENTS)) / 3),
        "growth": w["growth"] * np.tanh(2 * get(C.REVENUE_GROWTH)),
        "tz_gap": w["tz_gap"] * get(TZ_GAP_H),
        "listed": w["listed"] * get(C.IS_LISTED),
        "footprint": w["footprint"] * np.tanh(np.log1p(get(C.INTL_COUNTRIES)) / 3),
    }


def pair_terms(*, match, need, control, prior_declines, age, customers=0.0, offer=0.0,
               in_gba=0.0) -> dict[str, np.ndarray]:
    """The terms of the observable utility that depend on the pair or on the campaign date.

    ``customers`` is the node's customer pull (:func:`customer_pull`), ``offer`` whether a
    park offers itself for the node (:func:`park_offer`), ``in_gba`` the firm's presence in
    the Greater Bay Area (a firm with a site there needs the offer less).
    """
    w = UTILITY_WEIGHTS
    m = np.asarray(match, float)
    return {
        C.MATCH: w[C.MATCH] * m,
        "match_need": w["match_need"] * m * np.asarray(need, float),
        "customers": w["customers"] * m * np.asarray(customers, float),
        "incentive": w["incentive"] * np.asarray(offer, float)
        * (1 - np.nan_to_num(np.asarray(in_gba, float))),
        "export_control": w["export_control"] * np.asarray(control, float),
        "age": w["age"] * np.tanh((np.asarray(age, float) - 6) / 6),
        "fatigue": w["fatigue"] * np.log1p(np.asarray(prior_declines, float)),
    }


def utility_terms(obs, *, match, need, control, prior_declines, year, customers=0.0,
                  offer=0.0) -> dict[str, np.ndarray]:
    """Return each additive term of the observable utility, aligned with the rows of ``obs``.

    ``obs`` holds rows of :func:`firm_observables` (one per pair); ``match`` is the firm's
    match strength to the node (confidence, or ``HOP_DISCOUNT`` x confidence one hop away),
    ``need`` the node's weak-link need, ``control`` the home country's export control on the
    node, ``prior_declines`` the firm's declines (stage 0 outcomes dated before the campaign),
    ``year`` the campaign's year (age = year - founded year), ``customers`` and ``offer``
    the node's customer pull and park offer.
    """
    age = np.asarray(year, float) - np.asarray(obs[C.FOUNDED_YEAR], float)
    return {**pair_terms(match=match, need=need, control=control,
                         prior_declines=prior_declines, age=age, customers=customers,
                         offer=offer, in_gba=np.asarray(obs[C.IN_GBA], float)),
            **firm_terms(obs)}


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
                          year=year, customers=customer_pull(ix, region)[node_pos],
                          offer=park_offer(ix, region)[node_pos])
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


def customer_pull(ix: ChainIndex, region) -> np.ndarray:
    """Per node, 0..1: the region's chain leaders' summed needs for it over the largest sum
    (``leader_needs``; the local customers a maker of the node would sell to)."""
    leaders = region.leader_needs
    pull = np.zeros(ix.n)
    if len(leaders):
        known = leaders[leaders[C.NODE_ID].isin(ix.node_ids)]
        pull = np.bincount(ix.index_of(known[C.NODE_ID]), known[C.NEED].to_numpy(float),
                           minlength=ix.n)
    return pull / max(pull.max(), 1e-12)


def park_offer(ix: ChainIndex, region) -> np.ndarray:
    """Per node, 1.0 where a park of the region lists it among its focus nodes, else 0.0."""
    focus = {v for nodes in region.parks.get(C.FOCUS_NODES, pd.Series(dtype=object))
             for v in (nodes if isinstance(nodes, list) else [])}
    return np.array([float(v in focus) for v in ix.node_ids])


def hidden_traits(rng, country, in_china) -> dict[str, np.ndarray]:
    """Draw each firm's hidden trait and its parts: China sales share, China strategy, rest.

    Returns ``china_sales`` (0..1), ``strategy`` (-1 reducing, 0 holding, 1 expanding),
    ``rest`` (normal, SD ``HIDDEN_SD``) and ``trait``, their weighted sum
    (:data:`HIDDEN_WEIGHTS`).
    """
    country = np.asarray(country, dtype=object)
    in_china = np.asarray(in_china, bool)
    n = len(country)
    sales = np.empty(n)
    for flag, (a, b) in CHINA_SALES_BETA.items():
        at = np.flatnonzero(in_china == flag)
        sales[at] = rng.beta(a, b, len(at))
    p = np.array([STRATEGY_P.get(c, STRATEGY_P["default"]) for c in country]).reshape(n, 3)
    strategy = (rng.random(n)[:, None] > np.cumsum(p, axis=1)[:, :2]).sum(axis=1) - 1
    rest = rng.normal(0.0, HIDDEN_SD, n)
    hw = HIDDEN_WEIGHTS
    trait = hw["china_sales"] * (sales - hw["china_sales_centre"]) + hw["strategy"] * strategy \
        + rest
    return {"china_sales": sales, "strategy": strategy.astype(float), "rest": rest,
            "trait": trait}


def hidden_sd(share_in_china: float = 0.35) -> float:
    """The standard deviation of the hidden trait when ``share_in_china`` of firms are in China
    (the China-sales mixture, the default strategy mix and the rest)."""
    hw = HIDDEN_WEIGHTS
    moments = []
    for flag, (a, b) in CHINA_SALES_BETA.items():
        mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
        moments.append((share_in_china if flag else 1 - share_in_china, mean, var))
    mean = sum(w * m for w, m, _ in moments)
    var_sales = sum(w * (v + (m - mean) ** 2) for w, m, v in moments)
    r, h, e = STRATEGY_P["default"]
    var_strategy = (r + e) - (e - r) ** 2
    return float(np.sqrt(hw["china_sales"] ** 2 * var_sales
                         + hw["strategy"] ** 2 * var_strategy + HIDDEN_SD ** 2))
