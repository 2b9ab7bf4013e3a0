"""The demo history over a universe kept as compact arrays, its truth written as it is drawn.

:func:`recommender.demo.history.simulate_history` holds every candidate of every campaign
(about 48 rows a firm) in memory until it returns the truth table. Here the same model (the
same candidates, officer's picks, calibration passes, fatigue and stage lags) runs over what
the history needs of each firm, a handful of numbers (:class:`FirmArrays`, built a chunk of
firms at a time by :func:`firm_arrays`), and each campaign's utilities are computed when they
are needed and dropped after: the calibration passes keep only the contacts', and the final
pass hands each campaign's candidates to a sink (:class:`TruthWriter` writes them to Parquet
in row groups). Memory grows with the firms (about 60 bytes each) and the links, not with the
truth. The draws differ from :func:`~recommender.demo.history.simulate_history`'s in how the
hidden traits are drawn (a chunk at a time), so a world generated this way has the same
distributions, not the same rows.

>>> sim = simulate_chunked(rng, arrays, firm, node, conf, firm_ids, ix, region,   # doctest: +SKIP
...                        countries, start, end, sink=TruthWriter(path, firm_ids))
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex
from recommender.demo.history import (
    BASE_RATES,
    CALIBRATION_PASSES,
    DECLINE_AFTER_DAYS,
    OFFICER_WEIGHTS,
    RECONTACT_AFTER_DAYS,
    CampaignCandidates,
    History,
    campaign_table,
    contact_outcomes,
    need_table,
    officer_pick,
    stages_of,
)
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
from recommender.ranking.feature_registry import TZ_GAP_H

__all__ = ["TRUTH_ROWS_PER_GROUP", "FirmArrays", "TruthWriter", "firm_arrays",
           "simulate_chunked"]

TRUTH_ROWS_PER_GROUP = 4_000_000  # rows of truth buffered before a Parquet row group is written


@dataclass(frozen=True)
class FirmArrays:
    """What the history reads of each firm of the universe, one entry per firm."""

    static: np.ndarray      # the firm's own terms of the observable utility + its hidden trait
    officer: np.ndarray     # the officer's score without the match (size, listing, fame)
    in_gba: np.ndarray      # presence in the Greater Bay Area (float, NaN unknown)
    founded: np.ndarray     # founding year (float)
    employees: np.ndarray   # head count (float), for the local supply of the need table
    local: np.ndarray       # bool: in the region's own cluster
    country: np.ndarray     # int16: position of the home country in the country index

    def __len__(self) -> int:
        return len(self.static)

    @classmethod
    def concat(cls, parts: list[FirmArrays]) -> FirmArrays:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})


def firm_arrays(latent: pd.DataFrame, region, rng, countries: pd.Index) -> FirmArrays:
    """Return the :class:`FirmArrays` of the firms of ``latent`` (``LATENT_INPUTS`` plus
    ``local`` and ``famous``), their hidden traits drawn from ``rng``; ``countries`` indexes
    the home countries (every code of ``latent`` must be in it, "" for unknown)."""
    obs = firm_observables(latent, region)
    # the latent model needs a value where a reference firm gives no coordinates
    obs[C.DISTANCE_KM] = obs[C.DISTANCE_KM].fillna(10_000.0)
    obs[TZ_GAP_H] = obs[TZ_GAP_H].fillna(6.0)
    hidden = hidden_traits(rng, latent[C.COUNTRY].to_numpy(object),
                           latent[C.IN_CHINA].to_numpy(bool))
    ow = OFFICER_WEIGHTS
    officer = (ow["log_revenue"] * np.log(np.maximum(latent[C.REVENUE].to_numpy(float), 0.01))
               + ow["listed"] * latent[C.IS_LISTED].to_numpy(float)
               + ow["famous"] * latent["famous"].to_numpy(float))
    country = countries.get_indexer(latent[C.COUNTRY].fillna("").astype(str))
    return FirmArrays(static=observable_utility(firm_terms(obs)) + hidden["trait"],
                      officer=officer, in_gba=obs[C.IN_GBA].to_numpy(float),
                      founded=obs[C.FOUNDED_YEAR].to_numpy(float),
                      employees=latent[C.EMPLOYEES].to_numpy(float),
                      local=latent["local"].to_numpy(bool), country=country.astype(np.int16))


class TruthWriter:
    """Write the truth (every candidate of every campaign with its true utility) to one
    Parquet file, a row group per :data:`TRUTH_ROWS_PER_GROUP` rows: ``campaign_id`` and
    ``node_id`` dictionary-encoded, ``firm_id`` a string, ``true_utility`` float32 (the
    columns and types of the in-memory truth table)."""

    def __init__(self, path, firm_ids: pa.Array):
        self.path, self.firm_ids = Path(path), firm_ids
        self.rows = 0
        self._parts: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._buffered = 0
        self._writer = None
        self._campaigns = self._nodes = None

    def start(self, campaigns: pd.DataFrame) -> None:
        self._campaigns = pa.array(campaigns[C.CAMPAIGN_ID].astype(str).tolist(), pa.string())
        nodes = pd.Categorical(campaigns[C.NODE_ID].astype(str))
        self._nodes = (pa.array(list(nodes.categories), pa.string()),
                       nodes.codes.astype(np.int32))
        schema = pa.schema([(C.CAMPAIGN_ID, pa.dictionary(pa.int32(), pa.string())),
                            (C.FIRM_ID, pa.string()),
                            (C.NODE_ID, pa.dictionary(pa.int32(), pa.string())),
                            (C.TRUE_UTILITY, pa.float32())])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")

    def __call__(self, campaign: int, cand: np.ndarray, utility: np.ndarray) -> None:
        self._parts.append((campaign, cand, utility.astype(np.float32)))
        self._buffered += len(cand)
        if self._buffered >= TRUTH_ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._parts:
            return
        c = np.concatenate([np.full(len(p[1]), p[0], np.int32) for p in self._parts])
        cand = np.concatenate([p[1] for p in self._parts]).astype(np.int64)
        utility = np.concatenate([p[2] for p in self._parts])
        node_names, node_codes = self._nodes
        table = pa.table({
            C.CAMPAIGN_ID: pa.DictionaryArray.from_arrays(pa.array(c), self._campaigns),
            C.FIRM_ID: self.firm_ids.take(pa.array(cand)),
            C.NODE_ID: pa.DictionaryArray.from_arrays(pa.array(node_codes[c]), node_names),
            C.TRUE_UTILITY: pa.array(utility, pa.float32()),
        })
        self._writer.write_table(table)
        self.rows += len(c)
        self._parts, self._buffered = [], 0

    def close(self, metadata: dict | None = None) -> Path:
        """Write what is buffered, close the file and move it into place; return its path."""
        import os

        self._flush()
        if metadata:
            self._writer.add_key_value_metadata(metadata)
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path


def simulate_chunked(rng, firms: FirmArrays, firm: np.ndarray, node: np.ndarray,
                     conf: np.ndarray, firm_ids: pa.Array, ix: ChainIndex, region,
                     countries: pd.Index, start: pd.Timestamp, end: pd.Timestamp, *,
                     n_campaigns: int | None = None, sink=None) -> History:
    """Draw campaigns over ``[start, end]``, their contacts and outcomes; hand each campaign's
    candidates and true utilities to ``sink`` (``sink.start(campaigns)`` first, then
    ``sink(campaign, firm positions, utilities)`` per campaign); the returned history's
    ``truth`` is None.

    ``firm``, ``node``, ``conf`` are the links (firm and node positions, confidence).
    """
    r_camp, r_pick, r_noise, _, r_lag = rng.spawn(5)
    n_universe = len(firms)
    at_home = firms.local[firm]
    needs = need_table(ix, region, node[at_home], conf[at_home],
                        firms.employees[firm[at_home]])
    need = needs["need"].to_numpy()
    cands = CampaignCandidates(ix, firm[~at_home], node[~at_home], conf[~at_home])
    has = np.array([cands.count(v) > 0 for v in range(ix.n)])
    campaigns = campaign_table(r_camp, ix, need, has, start, end, n_campaigns,
                                str(getattr(region, "id", "guangdong")))
    pull, offer = customer_pull(ix, region), park_offer(ix, region)
    control = control_matrix(ix, region, countries)
    ow = OFFICER_WEIGHTS
    nodes = campaigns["node"].to_numpy(np.int64)
    years = campaigns[C.DATE].dt.year.to_numpy()

    def utilities(c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        v, year = int(nodes[c]), int(years[c])
        cand, match = cands(v)
        exists = firms.founded[cand] <= year  # a firm founded after the campaign is no candidate
        cand, match = cand[exists], match[exists]
        terms = pair_terms(match=match, need=need[v], control=control[firms.country[cand], v],
                           prior_declines=0, age=year - firms.founded[cand], customers=pull[v],
                           offer=offer[v], in_gba=firms.in_gba[cand])
        return cand, match, firms.static[cand] + observable_utility(terms)

    plan = []  # per campaign: the contacts (firm positions), their utilities and noise
    last_contact = np.full(n_universe, np.iinfo(np.int64).min // 2, np.int64)  # day number
    days = campaigns[C.DATE].to_numpy("datetime64[D]").astype(np.int64)
    for c in range(len(campaigns)):
        cand, match, utility = utilities(c)
        rested = last_contact[cand] <= days[c] - RECONTACT_AFTER_DAYS
        pick = officer_pick(r_pick, firms.officer[cand] + ow[C.MATCH] * match, rested)
        last_contact[cand[pick]] = days[c]
        plan.append((cand[pick], utility[pick], r_noise.normal(0.0, NOISE_SD, len(pick))))
    del last_contact

    dates = campaigns[C.DATE].to_numpy()
    decline_dates = dates + np.timedelta64(DECLINE_AFTER_DAYS, "D")
    fatigue_w = UTILITY_WEIGHTS["fatigue"]

    def run(thresholds, final=False):
        """Go through the campaigns in date order; declines tire the firms for later ones."""
        declines = np.zeros(n_universe, np.int32)
        flushed, stages, drawn = 0, [], []
        for c, (who, u0, noise) in enumerate(plan):
            while flushed < c and decline_dates[flushed] <= dates[c]:
                np.add.at(declines, plan[flushed][0][stages[flushed] == 0], 1)
                flushed += 1
            u = u0 + fatigue_w * np.log1p(declines[who]) + noise
            drawn.append(u)
            stages.append(stages_of(u, thresholds))
            if final and sink is not None:
                cand, _, utility = utilities(c)
                tired = np.flatnonzero(declines[cand] > 0)
                utility[tired] += fatigue_w * np.log1p(declines[cand[tired]])
                sink(c, cand, utility)
        return stages, np.concatenate(drawn)

    cum = np.cumsum(BASE_RATES)[:-1]
    thresholds = np.quantile(np.concatenate([u0 + noise for _, u0, noise in plan]), cum)
    for _ in range(CALIBRATION_PASSES):
        _, u = run(thresholds)
        thresholds = np.quantile(u, cum)
    if sink is not None:
        sink.start(campaigns)
    stages, _ = run(thresholds, final=True)
    # the contacts as history.contact_outcomes reads them: one slice of contacts per campaign
    contacts = np.concatenate([who for who, _, _ in plan])
    bounds = np.concatenate([[0], np.cumsum([len(who) for who, _, _ in plan])])
    slices = [(slice(bounds[c], bounds[c + 1]), np.arange(bounds[c + 1] - bounds[c]), None)
              for c in range(len(plan))]
    outcomes = contact_outcomes(r_lag, campaigns, slices, contacts, stages, firm_ids, end)
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
    return History(campaigns.drop(columns="node"), outcomes, None, params)
