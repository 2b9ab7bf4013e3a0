"""The simulated history of the demo world: weak-link need, campaigns, contacts, outcomes, truth.

Campaigns pick nodes with probability growing with the generator's weak-link need
(:func:`weak_link_need`); an officer contacts non-local firms active in the node or one chain
hop from it, mostly the best by a noisy score of size, listing, fame and match, the rest at
random, and none contacted in the year before (:data:`RECONTACT_AFTER_DAYS`). Each
contact's stage is the number of thresholds below its utility ``u``
(:mod:`recommender.demo.latent`: observable utility + hidden trait + noise), calibrated so
that the stages have the shares :data:`BASE_RATES`; a decline tires the firm for later
campaigns. The truth table keeps every candidate of every campaign with its true utility.

>>> from recommender.chain import load_chain
>>> from recommender.demo.world import load_reference_firms, load_region
>>> need = weak_link_need(load_chain(), load_region(), *load_reference_firms())
>>> list(need.columns)
['node_id', 'local_gap', 'imports', 'export_exposure', 'leader_need', 'need']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex
from recommender.demo.latent import (
    HIDDEN_SD,
    HIDDEN_WEIGHTS,
    HOP_DISCOUNT,
    NOISE_SD,
    SIZE_PEAK,
    SIZE_SCALE,
    UTILITY_WEIGHTS,
    control_matrix,
    customer_pull,
    firm_observables,
    firm_terms,
    hidden_traits,
    observable_utility,
    pair_terms,
    park_offer,
)
from recommender.exceptions import DataError
from recommender.ranking.feature_registry import TZ_GAP_H

__all__ = [
    "BASE_RATES", "CALIBRATION_PASSES", "CAMPAIGNS_PER_MONTH", "CONTACTS", "DECLINE_AFTER_DAYS",
    "CampaignCandidates", "History", "NEED_WEIGHTS", "OFFICER_TOP_SHARE", "OFFICER_WEIGHTS",
    "RECONTACT_AFTER_DAYS", "STAGE_LAG_DAYS", "TARGET_POWER", "campaign_table",
    "contact_outcomes", "need_table", "officer_pick", "simulate_history", "stages_of",
    "weak_link_need",
]

BASE_RATES = (0.55, 0.25, 0.12, 0.05, 0.03)  # target shares of stages 0..4 among contacts
NEED_WEIGHTS = {C.LOCAL_GAP: 0.30, "imports": 0.25, "export_exposure": 0.25, C.LEADER_NEED: 0.20}
TARGET_POWER = 2.0  # campaigns pick nodes with probability proportional to need ** this
CONTACTS = (20, 80)  # contacts per campaign, uniform
OFFICER_TOP_SHARE = 0.8  # share of contacts picked by the officer's score, the rest at random
# an officer contacts a firm again only a year after its last contact: a lead is followed up
# within its own contact, and a firm pitched every month stops answering
RECONTACT_AFTER_DAYS = 365
# the officer's score: ln revenue, listed, reference (famous) firm, match strength; + Gumbel(0, 1)
OFFICER_WEIGHTS = {"log_revenue": 0.9, "listed": 1.2, "famous": 1.0, C.MATCH: 1.0}
CAMPAIGNS_PER_MONTH = 4  # a province's campaigns across its cities, about one a week
DECLINE_AFTER_DAYS = 30  # no answer within this many days counts as a decline (stage 0)
STAGE_LAG_DAYS = ((5, 30), (30, 120), (60, 240), (90, 360))  # from stage s-1 to s, uniform
CALIBRATION_PASSES = 4


# --- weak-link need -------------------------------------------------------------------------

def _hs_nodes(ix: ChainIndex, code: str) -> list[int]:
    """Positions of the nodes an import code belongs to (the chain's own rule where it has one)."""
    if ix.nodes_for_hs is not None:
        return [ix.node_ids.index(v) for v in ix.nodes_for_hs(code)]
    return [v for v in range(ix.n)
            if any(code.startswith(h) or h.startswith(code) for h in ix.hs_codes[v] if h)]


def need_table(ix: ChainIndex, region, local_node: np.ndarray, local_conf: np.ndarray,
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
    parts = {C.LOCAL_GAP: local_gap, "imports": imports, "export_exposure": exposure,
             C.LEADER_NEED: leader}
    need = sum(NEED_WEIGHTS[k] * v for k, v in parts.items())
    return pd.DataFrame({C.NODE_ID: ix.node_ids, **parts, "need": need})


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
    return need_table(ix, region, ix.index_of(links[C.NODE_ID]),
                       links[C.CONFIDENCE].fillna(0.9).to_numpy(float),
                       emp.fillna(emp.median() if emp.notna().any() else 100).to_numpy())


# --- campaigns, contacts, outcomes ----------------------------------------------------------

@dataclass(frozen=True)
class History:
    """A simulated history: campaigns, one outcome per contact, the truth, the parameters."""

    campaigns: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame
    params: dict


class CampaignCandidates:
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


def campaign_table(rng, ix: ChainIndex, need: np.ndarray, has_candidates: np.ndarray,
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


def officer_pick(rng, score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Positions of the contacts among the ``eligible`` candidates: the best by the officer's
    noisy score, then some at random."""
    pool = np.flatnonzero(eligible)
    k = min(int(rng.integers(CONTACTS[0], CONTACTS[1] + 1)), len(pool))
    top = int(round(OFFICER_TOP_SHARE * k))
    noisy = score[pool] + rng.gumbel(0.0, 1.0, len(pool))
    best = pool[np.argpartition(-noisy, top - 1)[:top]] if top else pool[:0]
    free = np.ones(len(score), bool)
    free[best] = False
    rest = np.flatnonzero(free & eligible)
    extra = rng.choice(rest, size=k - top, replace=False) if k > top else rest[:0]
    return np.sort(np.concatenate([best, extra]))


def stages_of(u: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The stage each utility reaches: how many of the ascending ``thresholds`` it passes."""
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
    obs[C.DISTANCE_KM] = obs[C.DISTANCE_KM].fillna(10_000.0)
    obs[TZ_GAP_H] = obs[TZ_GAP_H].fillna(6.0)
    hidden = hidden_traits(r_hidden, latent[C.COUNTRY].to_numpy(object),
                           latent[C.IN_CHINA].to_numpy(bool))
    static = observable_utility(firm_terms(obs)) + hidden["trait"]
    in_gba = obs[C.IN_GBA].to_numpy(float)
    founded = obs[C.FOUNDED_YEAR].to_numpy(float)
    local = latent["local"].to_numpy(bool)
    firm, node = links["firm"].to_numpy(np.int64), links["node"].to_numpy(np.int64)
    conf = links[C.CONFIDENCE].to_numpy(float)
    at_home = local[firm]
    needs = need_table(ix, region, node[at_home], conf[at_home],
                        latent[C.EMPLOYEES].to_numpy(float)[firm[at_home]])
    need = needs["need"].to_numpy()
    cands = CampaignCandidates(ix, firm[~at_home], node[~at_home], conf[~at_home])
    has = np.array([cands.count(v) > 0 for v in range(ix.n)])
    campaigns = campaign_table(r_camp, ix, need, has, start, end, n_campaigns,
                                str(getattr(region, "id", "guangdong")))
    pull, offer = customer_pull(ix, region), park_offer(ix, region)
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
    bounds = np.concatenate([[0], np.cumsum([np.count_nonzero(founded[cands(int(v))[0]] <= y)
                                             for v, y in zip(campaigns["node"], years,
                                                             strict=True)])])
    cand_all = np.empty(bounds[-1], np.int32)
    utility = np.empty(bounds[-1], np.float64)  # observable + hidden, fatigue added below
    plan = []  # per campaign: the slice, the contacts (positions in the slice) and their noise
    last_contact = np.full(n_universe, np.iinfo(np.int64).min // 2, np.int64)  # day number
    days = campaigns[C.DATE].to_numpy("datetime64[D]").astype(np.int64)
    for c, (v, date) in enumerate(zip(campaigns["node"], campaigns[C.DATE], strict=True)):
        cand, match = candidates(int(v), date.year)
        at = slice(bounds[c], bounds[c + 1])
        cand_all[at] = cand
        terms = pair_terms(match=match, need=need[v], control=control[country_pos[cand], v],
                           prior_declines=0, age=date.year - founded[cand], customers=pull[v],
                           offer=offer[v], in_gba=in_gba[cand])
        utility[at] = static[cand] + observable_utility(terms)
        rested = last_contact[cand] <= days[c] - RECONTACT_AFTER_DAYS
        pick = officer_pick(r_pick, officer[cand] + ow[C.MATCH] * match, rested)
        last_contact[cand[pick]] = days[c]
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
            stages.append(stages_of(u, thresholds))
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
    outcomes = contact_outcomes(r_lag, campaigns, plan, cand_all, stages, firm_ids, end)
    plan.clear()  # the truth is the largest table: make room for it first
    cands._cache.clear()
    del obs
    utility = utility.astype(np.float32)  # as the truth keeps it
    truth = _truth(campaigns, bounds, cand_all, utility, firm_ids)
    params = {
        "n_campaigns": len(campaigns), "thresholds": [float(t) for t in thresholds],
        "hidden_sd": HIDDEN_SD, "hidden_weights": dict(HIDDEN_WEIGHTS), "noise_sd": NOISE_SD,
        "hop_discount": HOP_DISCOUNT, "utility_weights": dict(UTILITY_WEIGHTS),
        "size_peak": SIZE_PEAK, "size_scale": SIZE_SCALE,
        "customer_pull": {k: round(float(x), 4) for k, x in zip(ix.node_ids, pull, strict=True)},
        "park_offer": [k for k, x in zip(ix.node_ids, offer, strict=True) if x],
        "weak_link_need": {k: round(float(x), 6) for k, x in zip(ix.node_ids, need, strict=True)},
        "stage_shares": [round(float(x), 4) for x in np.bincount(
            outcomes[C.OUTCOME_STAGE], minlength=5) / max(len(outcomes), 1)],
    }
    return History(campaigns.drop(columns="node"), outcomes, truth, params)


def contact_outcomes(rng, campaigns, plan, cand_all, stages, firm_ids, end) -> pd.DataFrame:
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
    # the codes' dtype as a categorical of this many campaigns keeps them (no copy)
    c = np.repeat(np.arange(len(campaigns), dtype=np.int16 if len(campaigns) < 2**15 else np.int32),
                  np.diff(bounds))
    nodes = pd.Categorical(campaigns[C.NODE_ID])
    return pd.DataFrame({
        C.CAMPAIGN_ID: pd.Categorical.from_codes(c, pd.Index(campaigns[C.CAMPAIGN_ID].array)),
        C.FIRM_ID: pd.array(firm_ids.take(pa.array(cand_all)), dtype="str"),
        C.NODE_ID: pd.Categorical.from_codes(nodes.codes[c], nodes.categories),
        C.TRUE_UTILITY: np.asarray(utility, np.float32),
    })
