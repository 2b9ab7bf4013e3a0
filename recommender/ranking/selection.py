"""The officers' selection: pool rows in the training groups, propensity of contact, IPW weights.

Officers contact the firms they can see to be strong (big, listed, famous, a close match), so
a ranker trained on their contacts alone learns to reorder the officers' picks and never sees
the weak-looking firms they skipped, nor many one-hop neighbours: it cannot order the whole
pool it serves. Two corrections, compared in the evaluation
(:mod:`recommender.ranking.methods`):

- **Pool rows** (:func:`pool_rows`, :func:`with_pool_rows`). Each campaign group gets
  :data:`POOL_ROWS` firms drawn at random from the campaign's pool that the officers did not
  contact: its shortlist when one is recorded (the firms of the pipeline's 线索 lead stage for
  the campaign's node, ``ChainData.shortlists``), else every live candidate of the node
  (:func:`~recommender.ranking.candidates.candidate_pairs`: makers of the node and one-hop
  neighbours, strong and weak matches alike). They enter the group as stage 0, "not
  contacted", with weight :data:`POOL_WEIGHT` (a contact weighs 1): a firm nobody contacted
  is no firm that declined, so it counts for less, but it shows the trees what a neighbour and
  a weak match look like.
- **Inverse-propensity weights** (:func:`contact_propensity`, :func:`ipw_weights`). The
  propensity of contact is a logistic regression of "contacted" on the profile officers see
  (:data:`PROPENSITY_FEATURES`) over the contacts and the pool rows of the same groups, each
  pool row weighted by the inverse of its sampling rate so that the fit sees the whole pool.
  A contact then weighs ``1 / propensity``, divided by the median over the contacts and
  clipped at :data:`IPW_CLIP` (a firm contacted against the odds counts for up to that many
  typical contacts, never for hundreds), then scaled to mean 1.

The columns these functions add are :data:`CONTACTED` (bool), :data:`SAMPLE_WEIGHT` and
:data:`POOL_RATE` (the share of a group's uncontacted pool its pool rows stand for).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.candidates import candidate_pairs
from recommender.ranking.feature_registry import (
    LOG1P_PATENTS,
    LOG10_EMPLOYEES,
    LOG10_REVENUE,
    SIZE_BASIS,
    SIZE_RANK,
)

__all__ = ["CONTACTED", "IPW_CLIP", "POOL_RATE", "POOL_ROWS", "POOL_WEIGHT",
           "PROPENSITY_FEATURES", "SAMPLE_WEIGHT", "contact_propensity", "contacted_only",
           "ipw_weights", "pool_rows", "with_pool_rows"]

POOL_ROWS = 40  # uncontacted firms drawn from each campaign group's pool
POOL_WEIGHT = 0.3  # the weight of a pool row in the ranking objective (a contact weighs 1)
IPW_CLIP = 5.0  # the largest inverse-propensity weight, in typical (median) contacts
CONTACTED = "contacted"  # True: a recorded contact; False: a pool row
SAMPLE_WEIGHT = "sample_weight"
POOL_RATE = "pool_rate"
# what an officer sees of a firm when shortlisting: its size, listing, fame, patents, reach
# and how closely it makes the node
PROPENSITY_FEATURES = (LOG10_REVENUE, LOG10_EMPLOYEES, SIZE_RANK, SIZE_BASIS, C.IS_LISTED,
                       LOG1P_PATENTS, C.INTL_COUNTRIES, C.IN_CHINA, C.MATCH, C.HOP)


def contacted_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` that are recorded contacts (all of them without :data:`CONTACTED`)."""
    if CONTACTED not in frame.columns:
        return frame
    return frame[frame[CONTACTED].to_numpy(bool)]


def pool_rows(data, weak_links: pd.DataFrame, frame: pd.DataFrame, *,
              per_group: int = POOL_ROWS, seed: int = 0) -> pd.DataFrame:
    """Return up to ``per_group`` uncontacted firms of each group's pool, as training rows.

    ``frame`` is a training frame (:func:`~recommender.ranking.features.training_frame`); the
    pool of a group is the campaign's shortlist for its node when ``data.shortlists`` records
    one, else every live candidate of the node. Rows carry the group's ``campaign_id``,
    ``date`` and ``group_id``, ``label`` 0 with ``reached_0`` the campaign's date (known from
    the start: nobody contacted them), :data:`CONTACTED` False, :data:`POOL_RATE` (drawn /
    uncontacted in the pool) and the registry features as of the date.
    """
    from recommender.ranking.features import REACHED, build_features

    if per_group < 0:
        raise InvalidArgument(f"per_group must be >= 0, got {per_group!r}")
    groups = frame.drop_duplicates(C.GROUP_ID)[[C.GROUP_ID, C.CAMPAIGN_ID, C.NODE_ID, C.DATE]]
    contacted = set(zip(frame[C.GROUP_ID].astype(str), frame[C.FIRM_ID].astype(str),
                        strict=True))
    pools = _pools(data, groups)
    rng = np.random.default_rng(seed)
    parts = []
    for group, campaign, node, date in groups.itertuples(index=False):
        pool = pools.get((str(campaign), str(node)))
        if pool is None or not len(pool) or not per_group:
            continue
        free = np.fromiter(((group, f) not in contacted for f in pool[C.FIRM_ID]), bool,
                           count=len(pool))
        if not free.any():
            continue
        pick = np.flatnonzero(free)
        drawn = rng.choice(pick, size=min(per_group, len(pick)), replace=False)
        part = pool.iloc[np.sort(drawn)].copy()
        part[C.CAMPAIGN_ID], part[C.DATE], part[C.GROUP_ID] = campaign, date, group
        part[POOL_RATE] = len(drawn) / len(pick)
        parts.append(part)
    columns = [C.FIRM_ID, C.NODE_ID, C.MATCH, C.HOP, C.CAMPAIGN_ID, C.DATE, C.GROUP_ID, POOL_RATE]
    rows = (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}))[columns]
    rows[C.DATE] = pd.to_datetime(rows[C.DATE]).astype("datetime64[ms]")
    rows[C.LABEL] = np.zeros(len(rows), np.int64)
    for name in REACHED:
        rows[name] = (rows[C.DATE] if name == REACHED[0]
                      else pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ms]"))
    rows[CONTACTED] = False
    return build_features(rows, data, weak_links)


def _pools(data, groups: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """Each (campaign, node) group's pool: its shortlist when recorded, else the node's live
    candidates (``firm_id``, ``node_id``, ``match``, ``hop``)."""
    from recommender.ranking.candidates import pair_match

    shortlists = getattr(data, "shortlists", None)
    out: dict[tuple[str, str], pd.DataFrame] = {}
    if shortlists is not None and len(shortlists):
        listed = shortlists.assign(**{C.CAMPAIGN_ID: shortlists[C.CAMPAIGN_ID].astype(str),
                                      C.NODE_ID: shortlists[C.NODE_ID].astype(str)})
        for (campaign, node), part in listed.groupby([C.CAMPAIGN_ID, C.NODE_ID], sort=False):
            pairs = part[[C.FIRM_ID, C.NODE_ID]].astype(str).reset_index(drop=True)
            out[(campaign, node)] = pd.concat(
                [pairs, pair_match(pairs, data.firm_nodes, data.chain).reset_index(drop=True)],
                axis=1)
    nodes = sorted({str(n) for n in groups[C.NODE_ID]} & set(data.chain.node_ids))
    if nodes:
        live = candidate_pairs(data.firms, data.firm_nodes, data.chain, nodes,
                               region=data.region)
        by_node = {str(node): part.reset_index(drop=True)
                   for node, part in live.groupby(C.NODE_ID, sort=False)}
        for campaign, node in zip(groups[C.CAMPAIGN_ID].astype(str),
                                  groups[C.NODE_ID].astype(str), strict=True):
            out.setdefault((campaign, node), by_node.get(node))
    return {k: v for k, v in out.items() if v is not None}


def with_pool_rows(frame: pd.DataFrame, data, weak_links: pd.DataFrame, *,
                   per_group: int = POOL_ROWS, seed: int = 0) -> pd.DataFrame:
    """Return ``frame`` (marked :data:`CONTACTED`) with :func:`pool_rows` added to its groups,
    sorted by date, group and contacts first, so that each group's rows stay contiguous."""
    contacts = frame.assign(**{CONTACTED: True, POOL_RATE: 1.0})
    pool = pool_rows(data, weak_links, frame, per_group=per_group, seed=seed)
    both = pd.concat([contacts, pool[[c for c in contacts.columns if c in pool.columns]]],
                     ignore_index=True)
    order = np.lexsort((both[C.FIRM_ID].astype(str).to_numpy(), ~both[CONTACTED].to_numpy(bool),
                        both[C.GROUP_ID].astype(str).to_numpy(),
                        both[C.DATE].to_numpy("datetime64[ms]")))
    return both.iloc[order].reset_index(drop=True)


def contact_propensity(frame: pd.DataFrame, *, features=PROPENSITY_FEATURES) -> np.ndarray:
    """Return each row's estimated probability of being contacted, given its group's pool.

    ``frame`` holds contacts and pool rows (:data:`CONTACTED`, :data:`POOL_RATE`); the
    logistic regression of :data:`CONTACTED` on ``features`` (those the frame holds; missing
    values imputed by the median, with indicators) weighs each pool row by ``1 / pool_rate``,
    the pool firms it stands for.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if CONTACTED not in frame.columns:
        raise InvalidArgument(f"frame: no {CONTACTED!r} column (add the pool rows first)")
    target = frame[CONTACTED].to_numpy(bool)
    names = [f for f in features if f in frame.columns]
    if not names:
        raise InvalidArgument(f"frame: none of the propensity features {list(features)}")
    if target.all() or not target.any():
        return np.full(len(frame), 1.0 if target.all() else 0.0)
    rate = (frame[POOL_RATE].to_numpy(float) if POOL_RATE in frame.columns
            else np.ones(len(frame)))
    weight = np.where(target, 1.0, 1.0 / np.clip(rate, 1e-6, 1.0))
    X = frame[names].to_numpy(float, na_value=np.nan)
    model = make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                        keep_empty_features=True),
                          StandardScaler(), LogisticRegression(C=1.0, tol=1e-8, max_iter=2000))
    model.fit(X, target, logisticregression__sample_weight=weight / weight.mean())
    return model.predict_proba(X)[:, 1]


def ipw_weights(propensity, contacted=None, *, clip: float = IPW_CLIP) -> np.ndarray:
    """Return the clipped inverse-propensity weight of each contact (0 for other rows).

    ``1 / propensity``, divided by its median over the contacts, clipped at ``clip``, scaled
    to mean 1 over the contacts.

    >>> ipw_weights([0.5, 0.25, 0.01]).round(3).tolist()   # 0.5, 1 and 25 medians: 25 clipped
    [0.231, 0.462, 2.308]
    """
    p = np.asarray(propensity, float)
    mask = np.ones(len(p), bool) if contacted is None else np.asarray(contacted, bool)
    if not (np.isfinite(clip) and clip >= 1):
        raise InvalidArgument(f"clip must be a number >= 1, got {clip!r}")
    out = np.zeros(len(p))
    if not mask.any():
        return out
    raw = 1.0 / np.clip(p[mask], 1e-9, 1.0)
    w = np.minimum(raw / np.median(raw), clip)
    out[mask] = w / w.mean()
    return out
