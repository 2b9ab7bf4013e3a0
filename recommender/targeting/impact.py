"""Impact: how much of a weak link a firm could fill if it came, and the expected value.

A ranked list serves an officer who recruits to fill a weak link. Two things make a firm worth
a visit: how likely it is to come (``likelihood``, the ranker's calibrated probability of an
MoU or better) and how much of the link it would fill if it came (``impact``). Their product,
``value = likelihood x impact``, is the expected share of the link filled by the contact, and
the default order of every list.

The impact of firm ``f`` for weak link ``l`` is a transparent formula of facts the firm table
and the candidate pair already hold::

    impact(f, l) = match(f, l) x entry(f, l) x (FLOOR + (1 - FLOOR) x capability(f))

    capability(f) = sum_k w_k x_k(f) / sum_k w_k      over the components k known for f

- ``match``: the strength of the firm's activity in the node, 0..1, discounted one chain hop
  away (the evidence of the firm-node link: reference, classifier or keyword confidence);
- ``entry``: 1 for a firm that makes the product (hop 0), :data:`ENTRY_SHARE` (0.5) for a
  firm active only next to it in the chain (hop 1): it fills the link only if it starts making
  the product, which a visit may or may not bring about, so its impact counts half again on
  top of its match's discount;
- the components ``x_k`` in 0..1, with their weights ``w_k`` (:data:`COMPONENTS`):

  ============  ======  =========================================================================
  component     weight  value
  ============  ======  =========================================================================
  scale         0.35    ``log10(revenue in M US$) / 4`` (US$1 M -> 0, US$10 bn -> 1); without
                        revenue ``(log10(employees) - 1) / 4`` (10 -> 0, 100,000 -> 1); without
                        either, the size class (nano 0 … mega 1)
  technology    0.25    the mean of the known of ``ln(1 + patents) / ln(1 + 1,000)`` and
                        ``R&D intensity / 15 %``
  reach         0.15    ``ln(1 + countries with sales or subsidiaries) / ln(1 + 50)``
  standing      0.25    1 for a known leader of the field (a reference firm), 0.8 for a listed
                        firm, 0 for a firm known to be neither
  ============  ======  =========================================================================

  each clipped to 0..1. **A missing fact is left out, never counted as zero**: the weights of
  the known components are renormalised, so a listed maker whose revenue is unknown is judged by
  what is known of it; a firm of which nothing is known has capability 0.5.
- ``FLOOR`` (0.25) keeps a small firm that truly makes the product on the list: capability moves
  impact by a factor of four at most, the match by any factor.

The scale stands for the firm's output in the product (no source gives per-product revenue for
most firms, so the firm's scale times its match is the stand-in); technology for its level;
reach and standing for its market position.

>>> firms = pd.DataFrame({"revenue_musd": [10_000.0, None], "employees": [None, None],
...                       "size_class": [None, None], "patents": [999.0, None],
...                       "rd_intensity": [0.15, None], "intl_countries": [50.0, None],
...                       "is_listed": [True, None], "source": ["synthetic", "synthetic"]})
>>> firm_capability(firms).round(3).tolist()
[0.95, 0.5]
>>> pair_impact(np.array([1.0, 0.5]), np.array([0.95, 0.5]), np.array([0, 1])).round(4).tolist()
[0.9625, 0.1562]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C

__all__ = [
    "COMPONENTS",
    "ENTRY_SHARE",
    "FLOOR",
    "LISTED_STANDING",
    "REFERENCE_SOURCE",
    "SORT_KEYS",
    "check_sort",
    "firm_capability",
    "firm_components",
    "pair_impact",
]

FLOOR = 0.25  # the impact of a matching firm of no known capability, as a share of its match
COMPONENTS: dict[str, float] = {"scale": 0.35, "technology": 0.25, "reach": 0.15,
                                "standing": 0.25}
ENTRY_SHARE = 0.5  # impact of a firm one chain hop from the node, per unit of its match
LISTED_STANDING = 0.8  # a listed firm's standing; a known leader's is 1
REFERENCE_SOURCE = "reference"  # the source of the curated known leaders of each node
SORT_KEYS = (C.VALUE, C.LIKELIHOOD, C.IMPACT)  # the orders a ranked list can be asked in


def _clip(values) -> np.ndarray:
    return np.clip(np.asarray(values, float), 0.0, 1.0)


def _column(firms: pd.DataFrame, name: str) -> np.ndarray:
    if name not in firms.columns:
        return np.full(len(firms), np.nan)
    return pd.to_numeric(firms[name], errors="coerce").to_numpy(float)


def _scale(firms: pd.DataFrame) -> np.ndarray:
    revenue, employees = _column(firms, C.REVENUE), _column(firms, C.EMPLOYEES)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_revenue = np.where(revenue > 0, _clip(np.log10(revenue) / 4.0), np.nan)
        by_people = np.where(employees > 0, _clip((np.log10(employees) - 1.0) / 4.0), np.nan)
    size = firms[C.SIZE_CLASS] if C.SIZE_CLASS in firms.columns else pd.Series(
        [None] * len(firms))
    rank = pd.Index(C.SIZE_CLASSES).get_indexer(size.astype("string").str.lower().fillna(""))
    by_class = np.where(rank >= 0, rank / (len(C.SIZE_CLASSES) - 1), np.nan)
    known = np.where(np.isnan(by_revenue), by_people, by_revenue)
    return np.where(np.isnan(known), by_class, known)


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
    """Return each firm's capability components (:data:`COMPONENTS`), 0..1, NaN when unknown."""
    return pd.DataFrame({"scale": _scale(firms), "technology": _technology(firms),
                         "reach": _reach(firms), "standing": _standing(firms)},
                        index=firms.index)


def firm_capability(firms: pd.DataFrame) -> pd.Series:
    """Return each firm's capability, 0..1: the weighted mean of its known components (see the
    module); 0.5 when none is known."""
    parts = firm_components(firms)
    weight, total = np.zeros(len(parts)), np.zeros(len(parts))
    for name, w in COMPONENTS.items():  # column by column, not a matrix product, so that a
        values = parts[name].to_numpy(float)  # row's sum never depends on the other rows
        known = ~np.isnan(values)
        weight += known * w
        total += np.where(known, values, 0.0) * w
    return pd.Series(np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), 0.5),
                     index=firms.index, name="capability")


def pair_impact(match, capability, hop) -> np.ndarray:
    """Return ``match x entry x (FLOOR + (1 - FLOOR) x capability)`` of each candidate pair
    (``entry``: 1 at hop 0, :data:`ENTRY_SHARE` one hop away)."""
    entry = np.where(np.asarray(hop) > 0, ENTRY_SHARE, 1.0)
    return _clip(match) * entry * (FLOOR + (1.0 - FLOOR) * _clip(capability))


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
