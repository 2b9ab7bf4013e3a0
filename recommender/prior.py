"""The cold-start prior: a transparent weighted sum of normalised features.

Until a trained model exists (and as a baseline in every evaluation), candidates are ranked
by

    score = sum over f of PRIOR_WEIGHTS[f] * n_f(x_f)

where n_f maps a feature onto [0, 1] with fixed, documented bounds (:data:`PRIOR_SCALES`):
``n_f(x) = clip((t_f(x) - lo_f) / (hi_f - lo_f), 0, 1)``, ``t_f`` an optional transform
(a log for distances and counts, closeness to a mid size for head counts). Because the bounds
are fixed, a firm's score depends on its own features only: it does not move when other firms
enter or leave the list, and it is the same in every request. A missing value counts as the
neutral 0.5, so an unknown figure neither helps nor hurts.

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
from recommender import features as F

__all__ = ["BIAS", "PRIOR_BIAS", "PRIOR_SCALES", "PRIOR_WEIGHTS", "normalise",
           "prior_contributions", "prior_scores"]

BIAS = "bias"  # name of the constant column of prior_contributions
MID_SIZE_LOG10 = 2.6  # log10 head count of the size the prior prefers (about 400 people)

# feature -> weight (the sign is the direction in which the feature helps)
PRIOR_WEIGHTS: dict[str, float] = {
    # fills the weak link: the purpose of chain-based recruitment (链式招商)
    F.WEAK_LINK_FIT: 3.0,        # match x weak-link score: a strong maker of the weakest link
    C.MATCH: 1.5,                # makes the node itself (or next to it) with confidence
    C.WEAK_LINK_SCORE: 1.0,      # a weaker link is more urgent to fill
    # can and will come
    F.HOME_EXPORT_CONTROL: -2.5,  # home export controls often forbid moving the technology
    C.IN_CHINA: 0.6,             # already sells in China: knows the market, has contacts
    C.IN_GBA: 0.5,               # already in the Greater Bay Area: a site nearby is a small step
    F.COMMON_LANGUAGE: 0.35,     # talks are easier in a shared business language
    C.DISTANCE_KM: -1.0,         # nearer firms visit, build supply ties and relocate more easily
    F.TZ_GAP_H: -0.4,            # a large time difference slows every exchange
    F.PRIOR_DECLINES: -0.6,      # firms that declined before tend to decline again
    F.BEST_PRIOR_STAGE: 0.3,     # a firm that went far before is a warm lead
    # worth attracting
    F.LOG10_EMPLOYEES: 0.8,      # mid-sized firms expand with a plant most readily
    C.REVENUE_GROWTH: 0.6,       # growing firms add capacity
    C.RD_INTENSITY: 0.4,         # technology firms are what a weak link lacks
    F.LOG1P_PATENTS: 0.4,        # proprietary technology
    F.AGE_YEARS: 0.2,            # established firms are steadier partners
    C.IS_LISTED: 0.15,           # listed firms disclose and can fund an investment
    C.INTL_COUNTRIES: 0.3,       # firms already abroad in many countries expand abroad again
    F.LEADER_CUSTOMERS: 0.3,     # local chain leaders would buy from it
    F.LEADER_SUPPLIERS: 0.2,     # local chain leaders could supply it
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
    C.DISTANCE_KM: (0.0, float(np.log1p(20.0)), "log1p_per_1000"),  # 0 .. 20,000 km
    F.TZ_GAP_H: (0.0, 12.0, "identity"),
    F.PRIOR_DECLINES: (0.0, float(np.log1p(5.0)), "log1p"),  # 0 .. 5 declines
    F.BEST_PRIOR_STAGE: (0.0, 4.0, "identity"),
    F.LOG10_EMPLOYEES: (-2.4, 0.0, "mid_size"),  # -|log10 E - 2.6|: 4 .. 400 .. 100,000 people
    C.REVENUE_GROWTH: (-0.2, 0.4, "identity"),
    C.RD_INTENSITY: (0.0, 0.2, "identity"),
    F.LOG1P_PATENTS: (0.0, float(np.log1p(500.0)), "identity"),  # 0 .. 500 patent families
    F.AGE_YEARS: (0.0, 20.0, "identity"),
    C.IS_LISTED: (0.0, 1.0, "identity"),
    C.INTL_COUNTRIES: (0.0, float(np.log1p(50.0)), "log1p"),  # 0 .. 50 countries
    F.LEADER_CUSTOMERS: (0.0, 5.0, "identity"),
    F.LEADER_SUPPLIERS: (0.0, 5.0, "identity"),
}

_TRANSFORMS = {
    "identity": lambda x: x,
    "log1p": lambda x: np.log1p(np.maximum(x, 0.0)),
    "log1p_per_1000": lambda x: np.log1p(np.maximum(x, 0.0) / 1000.0),
    "mid_size": lambda x: -np.abs(x - MID_SIZE_LOG10),
}

PRIOR_BIAS = 0.5 * float(sum(PRIOR_WEIGHTS.values()))


def normalise(name: str, values) -> np.ndarray:
    """Map a feature's values onto [0, 1] with its fixed bounds; missing values become 0.5.

    >>> normalise("distance_km", [0.0, 20000.0, float("nan")]).tolist()
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
