"""The engagement features: a firm's earlier outcomes, for this link and elsewhere, apart.

A firm's outcomes are counted strictly before the pair's date (a campaign's date in training,
the serving date live), in two sets that the ranker reads apart:

- **for this link**: the firm's earlier contacts for the same node (``link_contacts``), how
  many of them it declined or left unanswered (``link_declines``) and the furthest stage any of
  them reached (``link_best_stage``): the direct record of this firm on this weak link;
- **elsewhere**: the mean furthest stage of its earlier contacts for other nodes
  (``elsewhere_mean_stage``). A firm that invested for its own node says little about
  whether it would move for a neighbouring one, so this is the weaker signal: the ranker
  learns its weight from the history, the prior does not read it, and
  :class:`~recommender.ranking.ranker.ChainRanker` keeps ``hop`` and ``match`` monotone so that
  no record elsewhere lets a neighbour outrank an otherwise equal maker of the node.

The firm's whole record (``prior_contacts``, ``prior_declines``, ``best_prior_stage``,
``mean_prior_stage``, ``days_since_contact``, over all nodes) stays as before: the prior reads
it (a firm that declined anyone tends to decline again).

Outcome rows and pairs get one int64 key each, record code x 2^32 + day, so that one sorted
search per pair counts a record's earlier rows; a contact (campaign, node) counts once, at the
date of its first outcome row. Only pairs whose firm has outcomes are searched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.ranking.candidates import arrow_strings, index_in
from recommender.ranking.feature_registry import (
    BEST_PRIOR_STAGE,
    DAYS_SINCE_CONTACT,
    ELSEWHERE_MEAN_STAGE,
    LINK_BEST_STAGE,
    LINK_CONTACTS,
    LINK_DECLINES,
    MEAN_PRIOR_STAGE,
    PRIOR_CONTACTS,
    PRIOR_DECLINES,
)

__all__ = ["engagement"]

_SEPARATOR = "\x1f"  # between firm and node in a per-link record key


def engagement(firm: pd.Series, node: pd.Series, day: np.ndarray,
               outcomes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return every engagement feature of the pairs (``firm``, ``node``) as of ``day``.

    ``day`` is one datetime64 per pair; only outcomes dated strictly before it count.
    """
    outcomes = outcomes[outcomes[C.DATE].notna()]
    whole = _record(firm.astype("str"), day, outcomes[C.FIRM_ID].astype("str"), outcomes)
    out = {PRIOR_CONTACTS: whole["contacts"], PRIOR_DECLINES: whole["declines"],
           BEST_PRIOR_STAGE: whole["best"], MEAN_PRIOR_STAGE: whole["mean"],
           DAYS_SINCE_CONTACT: whole["days"]}
    link_key = firm.astype("str").to_numpy(object) + _SEPARATOR + node.astype("str").to_numpy(
        object)
    o_key = (outcomes[C.FIRM_ID].astype("str").to_numpy(object) + _SEPARATOR
             + outcomes[C.NODE_ID].astype("str").to_numpy(object))
    link = _record(pd.Series(link_key, dtype="str"), day, pd.Series(o_key, dtype="str"),
                   outcomes, searched=whole["contacts"] > 0)
    out[LINK_CONTACTS] = link["contacts"]
    out[LINK_DECLINES] = link["declines"]
    out[LINK_BEST_STAGE] = link["best"]
    others = whole["contacts"] - link["contacts"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ELSEWHERE_MEAN_STAGE] = np.where(
            others > 0, (whole["total"] - link["total"]) / np.maximum(others, 1), np.nan)
    return out


def _record(key: pd.Series, day: np.ndarray, o_key: pd.Series, outcomes: pd.DataFrame,
            searched: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Contacts, declines, best, mean and summed furthest stage, days since the latest
    outcome, of each pair's record (``key``; the outcome rows' keys ``o_key``) before ``day``.

    ``searched`` (optional) limits the search to the pairs it marks; the others get no record.
    """
    n = len(key)
    out = {"contacts": np.zeros(n), "declines": np.zeros(n), "best": np.full(n, np.nan),
           "mean": np.full(n, np.nan), "days": np.full(n, np.nan), "total": np.zeros(n)}
    if not len(outcomes) or not n:
        return out
    universe = arrow_strings(pd.Series(o_key.unique(), dtype="str"))
    o_code = index_in(o_key, universe)
    o_day = outcomes[C.DATE].to_numpy("datetime64[D]").astype(np.int64)
    stage = outcomes[C.OUTCOME_STAGE].to_numpy(np.int64)
    at = np.arange(n) if searched is None else np.flatnonzero(searched)
    code = np.full(n, -1, np.int64)
    if len(at):
        code[at] = index_in(key.iloc[at], universe)
    at = at[code[at] >= 0]
    if not len(at):
        return out
    pair_day = day[at].astype("datetime64[D]").astype(np.int64)
    pair_key = code[at] * (1 << 32) + (pair_day + (1 << 31))
    block = code[at] * (1 << 32)

    def keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        return codes * (1 << 32) + (days + (1 << 31))

    def before(sorted_keys: np.ndarray) -> np.ndarray:
        """For each pair, how many of its record's rows are dated before the pair's day."""
        return np.searchsorted(sorted_keys, pair_key) - np.searchsorted(sorted_keys, block)

    order = np.argsort(keys(o_code, o_day), kind="stable")
    row_keys = keys(o_code, o_day)[order]
    has = before(row_keys) > 0
    last = np.maximum(np.searchsorted(row_keys, pair_key) - 1, 0)
    best = pd.Series(stage[order]).groupby(o_code[order]).cummax().to_numpy(float)
    out["best"][at] = np.where(has, best[last], np.nan)
    out["days"][at] = np.where(has, pair_day - o_day[order][last], np.nan)
    declined = stage == 0
    out["declines"][at] = before(np.sort(keys(o_code[declined], o_day[declined])))
    contact = pd.DataFrame({"code": o_code, "day": o_day,
                            "campaign": outcomes[C.CAMPAIGN_ID].astype("str").to_numpy(),
                            "node": outcomes[C.NODE_ID].astype("str").to_numpy()})
    first = contact.groupby(["code", "campaign", "node"], sort=False)["day"].min()
    first_codes = first.index.get_level_values("code").to_numpy(np.int64)
    contacts = before(np.sort(keys(first_codes, first.to_numpy(np.int64))))
    out["contacts"][at] = contacts
    # each row's rise of its contact's furthest stage (rows in date order): summed over a
    # record's rows before the day, it gives the sum over contacts of their furthest stage then
    contact["stage"] = stage
    contact = contact.sort_values("day", kind="stable")
    furthest = contact.groupby(["code", "campaign", "node"], sort=False)["stage"].cummax()
    was = furthest.groupby([contact["code"], contact["campaign"], contact["node"]],
                           sort=False).shift(fill_value=0)
    rise = (furthest - was).reindex(np.arange(len(contact))).to_numpy(float)
    summed = np.r_[0.0, np.cumsum(rise[order])]
    total = summed[np.searchsorted(row_keys, pair_key)] - summed[np.searchsorted(row_keys, block)]
    out["total"][at] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean"][at] = np.where(contacts > 0, total / np.maximum(contacts, 1), np.nan)
    return out
