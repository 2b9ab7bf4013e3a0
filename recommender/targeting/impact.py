"""Impact: how much of a weak link a firm could fill if it came, and the expected value.

A ranked list serves an officer who recruits to fill a weak link. Two things make a firm worth
a visit: how likely it is to come (``likelihood``, the ranker's calibrated probability of an
MoU or better) and how much of the link it would fill if it came (``impact``). Their product,
``value = likelihood x impact``, is the expected share of the link filled by the contact, and
the default order of every list.

The impact of firm ``f`` for weak link ``l`` is a transparent formula of facts the firm table
and the candidate pair already hold::

    impact(f, l)  = match(f, l) x entry(f, l) x capability(f)
    capability(f) = size(f) x (FLOOR + (1 - FLOOR) x quality(f))
    size(f)       = min(1, (revenue(f) / LEADER_REVENUE) ** SIZE_ELASTICITY)
    quality(f)    = sum_k w_k x q_k(f) / sum_k w_k      over the components k known for f

- ``match``: the strength of the firm's activity in the node, 0..1, discounted one chain hop
  away (the evidence of the firm-node link: reference, classifier or keyword confidence);
- ``entry``: 1 for a firm that makes the product (hop 0), :data:`ENTRY_SHARE` (0.5) for a
  firm active only next to it in the chain (hop 1): it fills the link only if it starts making
  the product, which a visit may or may not bring about, so its impact counts half again on
  top of its match's discount;
- ``size``: how much a site of the firm could make. A site abroad grows with the firm, less
  than in proportion (:data:`SIZE_ELASTICITY` 0.5: a firm a hundred times larger brings a
  site about ten times larger), and a firm with :data:`LEADER_REVENUE` (US$1 billion) of
  revenue or more is of the size of the world leaders of most nodes of an instrument chain
  (Pfeiffer Vacuum, Hamamatsu Photonics, Bruker's divisions): size 1. ``revenue`` is the
  reported revenue in million US$; without it, the head count at US$250,000 a person; without
  either, the typical revenue of the firm's size class, else of a listed firm, else of a known
  maker (the estimates of :mod:`recommender.ranking.feature_context`, ``size_basis``, which
  the reasons show); a firm
  of which none of these is known is taken as a typical listed firm. **A missing fact never
  counts as zero.** (US$30 million of revenue: size 0.17; US$400 million: 0.63.)
- ``quality``: the weighted mean of the known components ``q_k`` in 0..1, with their weights
  ``w_k`` (:data:`COMPONENTS`):

  ============  ======  =========================================================================
  component     weight  value
  ============  ======  =========================================================================
  technology    0.4     the mean of the known of ``ln(1 + patents) / ln(1 + 1,000)`` and
                        ``R&D intensity / 15 %``
  reach         0.2     ``ln(1 + countries with sales or subsidiaries) / ln(1 + 50)``
  standing      0.4     1 for a known leader of the field (a reference firm), 0.8 for a listed
                        firm, 0 for a firm known to be neither
  ============  ======  =========================================================================

  each clipped to 0..1; the weights of the known components are renormalised, and a firm of
  which none is known has quality 0.5. ``FLOOR`` (0.5): quality moves impact by a factor of two
  at most, size by any factor.

The size stands for the firm's output in the product (no source gives per-product revenue for
most firms, so the firm's size times its match is the stand-in); technology for its level;
reach and standing for its market position. A leader that makes the product (revenue above
US$1 billion, listed or a reference firm, research-led) has impact close to its match; a
150-person maker with US$30 million of revenue about a tenth of it.

>>> firms = pd.DataFrame({"revenue_musd": [10_000.0, 30.0, None], "employees": [None, 150, None],
...                       "size_class": [None, None, None], "patents": [999.0, 5.0, None],
...                       "rd_intensity": [0.15, 0.05, None], "intl_countries": [50.0, 3.0, None],
...                       "is_listed": [True, False, None],
...                       "source": ["synthetic", "synthetic", "synthetic"]})
>>> firm_capability(firms).round(3).tolist()
[0.96, 0.103, 0.474]
>>> pair_impact(np.array([1.0, 0.5]), np.array([0.96, 0.1]), np.array([0, 1])).round(4).tolist()
[0.96, 0.025]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.ranking.feature_context import (
    KNOWN_MAKER_CLASS,
    LISTED_CLASS,
    REFERENCE_SOURCE,
    SIZE_ESTIMATES,
)

__all__ = [
    "COMPONENTS",
    "ENTRY_SHARE",
    "FLOOR",
    "LEADER_REVENUE",
    "LISTED_STANDING",
    "REFERENCE_SOURCE",
    "REVENUE_PER_EMPLOYEE",
    "SIZE_ELASTICITY",
    "SORT_KEYS",
    "check_sort",
    "firm_capability",
    "firm_components",
    "firm_revenue",
    "pair_impact",
]

FLOOR = 0.5  # the quality factor of a firm of the lowest quality, as a share of a leader's
COMPONENTS: dict[str, float] = {"technology": 0.4, "reach": 0.2, "standing": 0.4}
ENTRY_SHARE = 0.5  # impact of a firm one chain hop from the node, per unit of its match
LEADER_REVENUE = 1_000.0  # million US$: the revenue at which a firm's size counts in full
SIZE_ELASTICITY = 0.5  # a site's size grows as the firm's revenue to this power
REVENUE_PER_EMPLOYEE = 0.25  # million US$ a person, when only the head count is known
LISTED_STANDING = 0.8  # a listed firm's standing; a known leader's is 1
SORT_KEYS = (C.VALUE, C.LIKELIHOOD, C.IMPACT)  # the orders a ranked list can be asked in


def _clip(values) -> np.ndarray:
    return np.clip(np.asarray(values, float), 0.0, 1.0)


def _column(firms: pd.DataFrame, name: str) -> np.ndarray:
    if name not in firms.columns:
        return np.full(len(firms), np.nan)
    return pd.to_numeric(firms[name], errors="coerce").to_numpy(float)


def firm_revenue(firms: pd.DataFrame) -> pd.Series:
    """Return each firm's revenue in million US$: reported, else from its head count, else
    the typical revenue of its size class, of a listed firm or of a known maker, in that order
    (the estimate the features and the reasons show, see the module), else that of a listed
    firm."""
    revenue, employees = _column(firms, C.REVENUE), _column(firms, C.EMPLOYEES)
    size = firms[C.SIZE_CLASS] if C.SIZE_CLASS in firms.columns else pd.Series(
        [None] * len(firms), index=firms.index)
    classes = list(C.SIZE_CLASSES)
    rank = pd.Index(classes).get_indexer(size.astype("string").str.lower().fillna(""))
    typical = np.array([SIZE_ESTIMATES[c][1] for c in classes])
    listed = pd.array(firms[C.IS_LISTED] if C.IS_LISTED in firms.columns
                      else [None] * len(firms), dtype="boolean").fillna(False).to_numpy(bool)
    known = (firms[C.SOURCE].astype("string").eq(REFERENCE_SOURCE).fillna(False).to_numpy(bool)
             if C.SOURCE in firms.columns else np.zeros(len(firms), bool))
    estimate = np.select([rank >= 0, listed, known],
                         [typical[np.maximum(rank, 0)], SIZE_ESTIMATES[LISTED_CLASS][1],
                          SIZE_ESTIMATES[KNOWN_MAKER_CLASS][1]],
                         SIZE_ESTIMATES[LISTED_CLASS][1])
    by_people = np.where(employees > 0, employees * REVENUE_PER_EMPLOYEE, np.nan)
    found = np.where(revenue > 0, revenue, by_people)
    return pd.Series(np.where(np.isnan(found), estimate, found), index=firms.index,
                     name="revenue_estimate")


def _size(firms: pd.DataFrame) -> np.ndarray:
    revenue = firm_revenue(firms).to_numpy(float)
    return _clip((revenue / LEADER_REVENUE) ** SIZE_ELASTICITY)


def _technology(firms: pd.DataFrame) -> np.ndarray:
    patents, rd = _column(firms, C.PATENTS), _column(firms, C.RD_INTENSITY)
    parts = np.vstack([_clip(np.log1p(np.maximum(patents, 0)) / np.log1p(1000.0)),
                       _clip(rd / 0.15)])
    parts[np.isnan(np.vstack([patents, rd]))] = np.nan
    known = (~np.isnan(parts)).sum(axis=0)
    total = np.nansum(parts, axis=0)
    return np.where(known > 0, total / np.maximum(known, 1), np.nan)


def _reach(firms: pd.DataFrame) -> np.ndarray:
    countries = _column(firms, C.INTL_COUNTRIES)
    return np.where(np.isnan(countries), np.nan,
                    _clip(np.log1p(np.maximum(countries, 0)) / np.log1p(50.0)))


def _standing(firms: pd.DataFrame) -> np.ndarray:
    listed = firms[C.IS_LISTED] if C.IS_LISTED in firms.columns else pd.Series(
        [None] * len(firms))
    listed = pd.array(listed, dtype="boolean")
    standing = np.where(listed.isna(), np.nan,
                        np.where(listed.fillna(False), LISTED_STANDING, 0.0))
    if C.SOURCE in firms.columns:
        reference = firms[C.SOURCE].astype("string").eq(REFERENCE_SOURCE).fillna(False)
        standing = np.where(reference.to_numpy(bool), 1.0, standing)
    return standing.astype(float)


def firm_components(firms: pd.DataFrame) -> pd.DataFrame:
    """Return each firm's size and quality components (:data:`COMPONENTS`), 0..1, NaN when
    unknown (the size never is: see :func:`firm_revenue`)."""
    return pd.DataFrame({"size": _size(firms), "technology": _technology(firms),
                         "reach": _reach(firms), "standing": _standing(firms)},
                        index=firms.index)


def firm_capability(firms: pd.DataFrame) -> pd.Series:
    """Return each firm's capability, 0..1: ``size x (FLOOR + (1 - FLOOR) x quality)``, the
    quality the weighted mean of its known components, 0.5 when none is known (see the
    module)."""
    parts = firm_components(firms)
    weight, total = np.zeros(len(parts)), np.zeros(len(parts))
    for name, w in COMPONENTS.items():  # column by column, not a matrix product, so that a
        values = parts[name].to_numpy(float)  # row's sum never depends on the other rows
        known = ~np.isnan(values)
        weight += known * w
        total += np.where(known, values, 0.0) * w
    mean = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), 0.5)
    return pd.Series(parts["size"].to_numpy(float) * (FLOOR + (1.0 - FLOOR) * mean),
                     index=firms.index, name="capability")


def pair_impact(match, capability, hop) -> np.ndarray:
    """Return ``match x entry x capability`` of each candidate pair (``entry``: 1 at hop 0,
    :data:`ENTRY_SHARE` one hop away)."""
    entry = np.where(np.asarray(hop) > 0, ENTRY_SHARE, 1.0)
    return _clip(match) * entry * _clip(capability)


def check_sort(sort) -> str:
    """Return ``sort`` if it is one of :data:`SORT_KEYS`; InvalidArgument otherwise.

    >>> check_sort("impact")
    'impact'
    >>> check_sort("score")
    Traceback (most recent call last):
    ...
    recommender.exceptions.InvalidArgument: sort: one of value, likelihood, impact, got 'score'
    """
    from recommender.exceptions import InvalidArgument

    if sort not in SORT_KEYS:
        raise InvalidArgument(f"sort: one of {', '.join(SORT_KEYS)}, got {sort!r}",
                              [{"field": "sort", "message": f"unknown order {sort!r}"}])
    return str(sort)
