"""The cold-start prior: a transparent weighted sum of normalised features.

Until a trained model exists (and as a baseline in every evaluation), candidates are ranked
by

    score = sum over f of PRIOR_WEIGHTS[f] * n_f(x_f)

where n_f maps a feature onto [0, 1] with fixed, documented bounds (:data:`PRIOR_SCALES`):
``n_f(x) = clip((t_f(x) - lo_f) / (hi_f - lo_f), 0, 1)``, ``t_f`` an optional transform
(a logarithm for distances and counts, nearness to the mid-cap band for head counts). Because
the bounds are fixed, a firm's score depends on its own features only: it does not move when
other firms enter or leave the list, and it is the same in every request. A missing value
counts as the neutral 0.5, so an unknown figure neither helps nor hurts: unknown is unknown,
never zero. (A firm's unknown head count and revenue reach the prior already estimated from
its size class, listing or reference status, see
:mod:`recommender.ranking.feature_context`; ``size_basis``, which says so, has no weight.)

:func:`prior_contributions` splits each score into one contribution per feature,
``PRIOR_WEIGHTS[f] * (n_f - 0.5)``, plus a constant ``bias`` column, :data:`PRIOR_BIAS`
(= 0.5 x the sum of the weights, the score of a firm about which nothing is known); the
columns follow the feature registry, then ``bias``, like LightGBM's ``pred_contrib``, and each
row sums to the score.

>>> scores = prior_scores(features)                 # doctest: +SKIP
>>> parts = prior_contributions(features)           # doctest: +SKIP
>>> np.allclose(parts.sum(axis=1), scores)          # doctest: +SKIP
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.ranking import feature_registry as F

__all__ = ["BIAS", "MID_SIZE_LOG10", "MODERATE", "PRIOR_BIAS", "PRIOR_SCALES", "PRIOR_WEIGHTS",
           "PURPOSE", "STRONG", "WEAK", "normalise", "prior_contributions", "prior_scores"]

BIAS = "bias"  # name of the constant column of prior_contributions
# the head counts the prior prefers, log10: the band of the EU's mid-caps (250 .. 3,000 people)
MID_SIZE_LOG10 = (float(np.log10(250.0)), float(np.log10(3000.0)))

# How the weights were set. Before any outcome is seen, a domain expert can say which way a
# feature helps and roughly how much it matters, not a coefficient. Each feature is therefore
# put in one of four tiers, from DOMAIN.md and DESIGN.md alone, and gets that tier's weight:
PURPOSE, STRONG, MODERATE, WEAK = 2.0, 1.0, 0.5, 0.25
# PURPOSE: what chain-based recruitment (链式招商) is for, filling the weak link;
# STRONG: a condition without which the firm cannot fill it (makes the node, can export it);
# MODERATE: makes a move to Guangdong easier or the firm more worth having;
# WEAK: a hint, or a signal that overlaps a stronger one.
# The bounds and shapes of PRIOR_SCALES come from public conventions (gravity models of trade
# and investment use log distance; the EU's mid-cap band; typical R&D intensities), not from
# any data. The weights were fixed before measuring anything and are not tuned: the prior is
# the transparent baseline that a learned model has to beat.

# feature -> weight (the sign is the direction in which the feature helps)
PRIOR_WEIGHTS: dict[str, float] = {
    # fills the weak link: the purpose of chain-based recruitment
    F.WEAK_LINK_FIT: PURPOSE,          # match x weak-link score: a maker of the weakest link
    C.MATCH: STRONG,                   # makes the node itself (or next to it) with confidence
    C.WEAK_LINK_SCORE: STRONG,         # a weaker link is more urgent to fill
    # can and will come
    F.HOME_EXPORT_CONTROL: -STRONG,    # DOMAIN.md: source countries' export controls are the
                                       # main threat; they can forbid moving the technology
    C.IN_CHINA: MODERATE,              # already sells in China: knows the market, has contacts
    C.IN_GBA: MODERATE,                # already in the Greater Bay Area: a site is a small step
    F.COMMON_LANGUAGE: WEAK,           # talks are easier in a shared business language
    C.DISTANCE_KM: -MODERATE,          # gravity: investment falls with distance
    F.TZ_GAP_H: -WEAK,                 # a large time difference slows every exchange
    F.PRIOR_DECLINES: -MODERATE,       # firms that declined before tend to decline again
    F.BEST_PRIOR_STAGE: MODERATE,      # a firm that went far before is a warm lead
    # worth attracting
    F.LOG10_EMPLOYEES: MODERATE,       # mid-caps: big enough to fund a plant abroad, small
                                       # enough that a Guangdong site matters to them
    C.REVENUE_GROWTH: MODERATE,        # growing firms add capacity
    C.RD_INTENSITY: MODERATE,          # technology is what a weak link lacks
    F.LOG1P_PATENTS: WEAK,             # proprietary technology (overlaps R&D)
    F.AGE_YEARS: WEAK,                 # established firms are steadier partners
    C.IS_LISTED: WEAK,                 # listed firms disclose and can fund an investment
    C.INTL_COUNTRIES: MODERATE,        # firms already abroad in many countries expand again
    F.LEADER_CUSTOMERS: MODERATE,      # local chain leaders would buy from it (配套需求)
    F.LEADER_SUPPLIERS: WEAK,          # local chain leaders could supply it
}

# feature -> (lo, hi, transform): n = clip((t(x) - lo) / (hi - lo), 0, 1)
PRIOR_SCALES: dict[str, tuple[float, float, str]] = {
    F.WEAK_LINK_FIT: (0.0, 1.0, "identity"),
    C.MATCH: (0.0, 1.0, "identity"),
    C.WEAK_LINK_SCORE: (0.0, 1.0, "identity"),
    F.HOME_EXPORT_CONTROL: (0.0, 1.0, "identity"),
    C.IN_CHINA: (0.0, 1.0, "identity"),
    C.IN_GBA: (0.0, 1.0, "identity"),
    F.COMMON_LANGUAGE: (0.0, 1.0, "identity"),
    C.DISTANCE_KM: (2.0, float(np.log10(20_000.0)), "log10"),  # 100 .. 20,000 km
    F.TZ_GAP_H: (0.0, 12.0, "identity"),  # 12 h or more (San Jose: 16 h): no office hours shared
    F.PRIOR_DECLINES: (0.0, 3.0, "identity"),  # three declines: the lead has gone cold
    F.BEST_PRIOR_STAGE: (0.0, 4.0, "identity"),
    # decades outside the mid-cap band: 1 inside 250 .. 3,000 people, 0 below 8 or above 95,000
    F.LOG10_EMPLOYEES: (-1.5, 0.0, "mid_size"),
    C.REVENUE_GROWTH: (-0.1, 0.3, "identity"),  # -10 % .. +30 % a year
    C.RD_INTENSITY: (0.0, 0.15, "identity"),  # 0 .. 15 % of revenue, a research-led maker
    F.LOG1P_PATENTS: (0.0, float(np.log1p(100.0)), "identity"),  # 0 .. 100 patent families
    F.AGE_YEARS: (0.0, 20.0, "identity"),
    C.IS_LISTED: (0.0, 1.0, "identity"),
    C.INTL_COUNTRIES: (0.0, float(np.log1p(50.0)), "log1p"),  # 0 .. 50 countries
    F.LEADER_CUSTOMERS: (0.0, 5.0, "identity"),
    F.LEADER_SUPPLIERS: (0.0, 5.0, "identity"),
}


def _decades_outside_mid_size(x):
    low, high = MID_SIZE_LOG10
    return -(np.maximum(low - x, 0.0) + np.maximum(x - high, 0.0))


_TRANSFORMS = {
    "identity": lambda x: x,
    "log1p": lambda x: np.log1p(np.maximum(x, 0.0)),
    "log10": lambda x: np.log10(np.maximum(x, 1.0)),
    "mid_size": _decades_outside_mid_size,
}

PRIOR_BIAS = 0.5 * float(sum(PRIOR_WEIGHTS.values()))


def normalise(name: str, values) -> np.ndarray:
    """Map a feature's values onto [0, 1] with its fixed bounds; missing values become 0.5.

    >>> normalise("distance_km", [50.0, 20000.0, float("nan")]).tolist()
    [0.0, 1.0, 0.5]
    """
    lo, hi, transform = PRIOR_SCALES[name]
    x = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        n = np.clip((_TRANSFORMS[transform](x) - lo) / (hi - lo), 0.0, 1.0)
    return np.where(np.isnan(n), 0.5, n)


def prior_contributions(features: pd.DataFrame) -> pd.DataFrame:
    """Return each feature's contribution to the prior score, and the constant ``bias``.

    Parameters
    ----------
    features : DataFrame
        Feature columns named as in the registry; a weighted feature that is absent counts as
        missing (neutral).

    Returns
    -------
    DataFrame
        One column per registry feature in registry order (0 for features the prior does not
        weigh), then ``bias`` (:data:`PRIOR_BIAS`); same index as ``features``; each row sums
        to :func:`prior_scores` (up to rounding).
    """
    n = len(features)
    out = {name: _contribution(features, name) if name in PRIOR_WEIGHTS else np.zeros(n)
           for name in F.feature_names()}
    out[BIAS] = np.full(n, PRIOR_BIAS)
    return pd.DataFrame(out, index=features.index)


def prior_scores(features: pd.DataFrame) -> np.ndarray:
    """Return the prior score of each row of ``features`` (higher is better), as float64.

    Each row's score is computed from that row alone, in a fixed order, so it is the same
    to the last bit whatever other rows come with it.

    Examples
    --------
    >>> frame = pd.DataFrame({"match": [1.0, 0.2], "weak_link_fit": [0.8, 0.16],
    ...                       "weak_link_score": [0.8, 0.8]})
    >>> a, b = prior_scores(frame)
    >>> bool(a > b)
    True
    """
    total = np.full(len(features), PRIOR_BIAS)
    for name in PRIOR_WEIGHTS:
        total += _contribution(features, name)
    return total


def _contribution(features: pd.DataFrame, name: str) -> np.ndarray:
    values = (features[name].to_numpy(float, na_value=np.nan) if name in features.columns
              else np.full(len(features), np.nan))
    return PRIOR_WEIGHTS[name] * (normalise(name, values) - 0.5)
