"""Reasons (推荐理由): short Chinese and English sentences saying why a firm ranks where it does.

The contributions of a score to its features (LightGBM ``pred_contrib=True`` for the ranker,
``recommender.ranking.prior.prior_contributions`` for the prior) pick the sentences:

1. always first, the weak link the firm fills ("fills weak link vacuum pumps"), carrying the
   summed contribution of the features that measure the fit (``match``, ``hop``,
   ``weak_link_fit``);
2. then the ``top`` features with the largest positive contributions;
3. then the single most negative contribution, if any ("against: far from Guangdong
   (9,300 km)").

With a ``baseline`` (the mean contributions over the candidates of the same weak link, as
:mod:`recommender.targeting.score_table` passes it), contributions are taken relative to it,
so that the reasons say what sets the firm apart from the other candidates rather than what
they all share. A feature is a reason only where

- it *sets the firm apart*: its relative contribution is at least :data:`DISTINCT_FACTOR`
  (1) times the mean absolute relative contribution of the row's features (those with a
  known value that move it at all): it moves the firm away from a typical candidate more
  than its features do on average, so that a fact most candidates share ("no time
  difference" on a list of Chinese firms) is not sold as a merit;
- it is *true news in that direction*: a feature whose values are good or bad news (the
  registry's ``direction`` and ``neutral``) speaks for the firm only with a value on the good
  side and against it only with a value on the bad side; "revenue growing +15 % a year" is
  never a drawback, "no export control at home" never a handicap. A negative reason is worded
  as what holds the firm back (the registry's ``against`` templates: "growth below its
  peers");
- it is *worth saying*: no distance for a firm within ``metro_km`` (the region's
  ``radius_km`` in a score table; :data:`METRO_KM`, 150 km, the Guangdong cluster's radius,
  by default) of the region's core or parks, the region's own
  metropolitan area (Hong Kong and Macao are next door, not a selling point).

Features with a missing value (the contribution is then about missingness, which says nothing
to a reader), features that are the same for every firm of a node (the weak link's own score
and parts, chain leaders and local competitors next to it), the size basis (it qualifies the
size sentences instead: "size unknown (about 40,000 employees, estimated from its market-cap
class)") and contributions of zero are never a reason. Chinese sentences use Chinese names
(the node's and the region's), English sentences English ones.

>>> reasons = reasons_for(frame, ranker.contributions(frame), node_names=names)  # doctest: +SKIP
>>> [r["en"] for r in reasons[0]]                                                 # doctest: +SKIP
['fills weak link Vacuum pumps', 'already sells in China', 'far from Guangdong (9,300 km)']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.feature_registry import (
    LEADER_CUSTOMERS,
    LEADER_SUPPLIERS,
    LOCAL_COMPETITORS,
    LOG10_EMPLOYEES,
    LOG10_REVENUE,
    SIZE_BASES,
    SIZE_BASIS,
    WEAK_LINK_FIT,
    feature,
)

__all__ = [
    "AGAINST",
    "DISTINCT_FACTOR",
    "ESTIMATED",
    "FIT_FEATURES",
    "METRO_KM",
    "NODE_LEVEL_FEATURES",
    "SEPARATOR",
    "WEAK_LINK_REASON",
    "join_reasons",
    "node_name_table",
    "reasons_for",
]

WEAK_LINK_REASON = WEAK_LINK_FIT  # the feature the always-first reason is filed under
FIT_FEATURES = (C.MATCH, C.HOP, WEAK_LINK_REASON)
NODE_LEVEL_FEATURES = (C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS, LEADER_CUSTOMERS,
                       LEADER_SUPPLIERS, LOCAL_COMPETITORS)
SEPARATOR = {"zh": "；", "en": "; "}
AGAINST = {"zh": "不利因素：", "en": "against: "}
DISTINCT_FACTOR = 1.0  # a reason moves the firm at least this x its features' mean move
METRO_KM = 150.0  # within this of the region's core or parks: next door, no distance reason
# size features whose value was estimated (size_basis > 0): (zh, en) templates, {how} the basis
ESTIMATED = {
    LOG10_EMPLOYEES: ("规模未知（{how}约{value:,.0f}人）",
                      "size unknown (about {value:,.0f} employees, {how})"),
    LOG10_REVENUE: ("营收未知（{how}约{value:,.0f}百万美元）",
                    "revenue unknown (about US${value:,.0f} million, {how})"),
}


def node_name_table(source) -> dict[str, tuple[str, str]]:
    """Return node id -> (Chinese name, English name) from a weak-link table, a chain's
    ``nodes`` frame, a ``Chain`` or a mapping (of pairs or of ``{"zh", "en"}`` dicts)."""
    if isinstance(source, Mapping):
        out = {}
        for node, names in source.items():
            if isinstance(names, Mapping):
                out[str(node)] = (str(names.get("zh", node)), str(names.get("en", node)))
            elif isinstance(names, str):
                out[str(node)] = (names, names)
            else:
                zh, en = names
                out[str(node)] = (str(zh), str(en))
        return out
    frame = getattr(source, "nodes", source)
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument("node_names: expected a mapping, a chain or a frame with node names")
    zh = frame[C.NODE_NAME_ZH] if C.NODE_NAME_ZH in frame.columns else frame[C.NODE_ID]
    en = frame[C.NODE_NAME_EN] if C.NODE_NAME_EN in frame.columns else frame[C.NODE_ID]
    return {str(v): (str(a), str(b)) for v, a, b in zip(frame[C.NODE_ID], zh, en, strict=True)}


def _short(name: str) -> str:
    """An English node name without its parenthesised list of examples."""
    return name.split(" (")[0].strip() if " (" in name else name


def _weak_link_reason(node: str, names: tuple[str, str], hop: float, value: float) -> dict:
    zh, en = names[0], _short(names[1])
    if hop == 1:
        return {"feature": WEAK_LINK_REASON, "contribution": value,
                "zh": f"可从相邻环节补齐薄弱环节：{zh}",
                "en": f"fills weak link {en} from a neighbouring node"}
    return {"feature": WEAK_LINK_REASON, "contribution": value,
            "zh": f"可补齐薄弱环节：{zh}", "en": f"fills weak link {en}"}


def _sentence(spec, value: float, sign: int, lang: str, *, node: str, region: str | None,
              basis: float) -> str:
    """The sentence of one reason; an estimated size says so."""
    if spec.name in ESTIMATED and basis > 0:
        zh = lang == "zh"
        how = SIZE_BASES[int(basis)][0 if zh else 1]
        template = ESTIMATED[spec.name][0 if zh else 1]
        return template.format(how=how, value=spec.display_value(value))
    return spec.reason(value, lang, sign=sign, node=node, region=region)


def reasons_for(features: pd.DataFrame, contributions: pd.DataFrame, *, node_names,
                top: int = 3, region_name: tuple[str, str] | None = None,
                baseline: Mapping[str, float] | pd.Series | None = None,
                skip: Sequence[str] = NODE_LEVEL_FEATURES, metro_km: float = METRO_KM,
                node_id: str = C.NODE_ID) -> list[list[dict]]:
    """Return the reasons of every row: a list of ``{feature, contribution, zh, en}`` dicts.

    Parameters
    ----------
    features : the feature frame (``node_id`` and the feature columns).
    contributions : one column per feature (others, such as ``bias``, are ignored), aligned
        with ``features`` row by row.
    node_names : node id -> (zh, en) names, or anything :func:`node_name_table` reads.
    top : positive reasons after the weak link.
    region_name : (zh, en) name of the region for templates that mention it.
    baseline : feature -> contribution subtracted first (a typical candidate's); none when
        None.
    skip : features that are never a reason.
    metro_km : no distance reason for a firm this near (the region's metropolitan area).

    Examples
    --------
    >>> frame = pd.DataFrame({"node_id": ["vacuum_pumps"], "match": [0.9], "hop": [0.0],
    ...                       "in_china": [1.0], "distance_km": [9300.0]})
    >>> contrib = pd.DataFrame({"match": [0.4], "hop": [0.0], "in_china": [0.3],
    ...                         "distance_km": [-0.3]})
    >>> [r["en"] for r in reasons_for(frame, contrib, region_name=("广东省", "Guangdong"),
    ...                               node_names={"vacuum_pumps": ("真空泵", "Vacuum pumps")})[0]]
    ['fills weak link Vacuum pumps', 'already sells in China', 'far from Guangdong (9,300 km)']
    """
    if len(features) != len(contributions):
        raise InvalidArgument(f"contributions: {len(contributions)} rows for {len(features)} "
                              f"feature rows")
    if not isinstance(top, int) or top < 0:
        raise InvalidArgument(f"top must be a non-negative integer, got {top!r}")
    names = node_name_table(node_names)
    known = {}
    for column in contributions.columns:
        try:
            known[column] = feature(str(column))
        except Exception:  # a column that is no feature (bias, ids): not a reason
            continue
    fit = [c for c in FIT_FEATURES if c in known]
    never = {*skip, SIZE_BASIS}
    ranked = [c for c in known if c not in fit and c not in never]
    shift = pd.Series(dict(baseline) if baseline is not None else {}, dtype=float)
    relative = contributions[ranked + fit].astype(float) - shift.reindex(
        ranked + fit).fillna(0.0).to_numpy()
    contrib = relative[ranked].to_numpy(float) if ranked else np.zeros((len(features), 0))
    values = _values(features, ranked)
    fit_total = (relative[fit].to_numpy(float).sum(axis=1) if fit
                 else np.zeros(len(features)))
    hops = _values(features, [C.HOP])[:, 0]
    basis = np.nan_to_num(_values(features, [SIZE_BASIS])[:, 0], nan=0.0)
    specs = [known[c] for c in ranked]
    sides = np.array([[spec.side(v) for spec, v in zip(specs, row, strict=True)]
                      for row in values]).reshape(contrib.shape)
    near = np.zeros(contrib.shape, bool)
    if C.DISTANCE_KM in ranked:
        near[:, ranked.index(C.DISTANCE_KM)] = values[:, ranked.index(C.DISTANCE_KM)] <= metro_km
    known_value = ~np.isnan(values)
    moving = known_value & (contrib != 0)
    mean_move = (np.where(moving, np.abs(contrib), 0.0).sum(axis=1, keepdims=True)
                 / np.maximum(moving.sum(axis=1, keepdims=True), 1))
    usable = (moving & ~near & (np.abs(contrib) >= DISTINCT_FACTOR * mean_move)
              & (sides * np.sign(contrib) >= 0))  # good news only for, bad news only against
    region_zh, region_en = region_name or (None, None)
    nodes = features[node_id].astype(str).to_numpy()
    out: list[list[dict]] = []
    for i in range(len(features)):
        node = nodes[i]
        zh_en = names.get(node, (node, node))
        rows = [_weak_link_reason(node, zh_en, hops[i], float(fit_total[i]))]
        order = np.argsort(-contrib[i], kind="stable")
        positives = [j for j in order if usable[i, j] and contrib[i, j] > 0][:top]
        negatives = [j for j in order[::-1] if usable[i, j] and contrib[i, j] < 0][:1]
        for j in positives + negatives:
            sign = 1 if contrib[i, j] > 0 else -1
            rows.append({
                "feature": specs[j].name, "contribution": float(contrib[i, j]),
                "zh": _sentence(specs[j], values[i, j], sign, "zh", node=zh_en[0],
                                region=region_zh, basis=basis[i]),
                "en": _sentence(specs[j], values[i, j], sign, "en", node=_short(zh_en[1]),
                                region=region_en, basis=basis[i]),
            })
        out.append(rows)
    return out


def _values(features: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The named columns as a float matrix, NaN for a column the frame lacks."""
    out = np.full((len(features), len(names)), np.nan)
    for j, name in enumerate(names):
        if name in features.columns:
            out[:, j] = pd.to_numeric(features[name], errors="coerce").to_numpy(
                float, na_value=np.nan)
    return out


def join_reasons(reasons: list[dict], lang: str) -> str:
    """Join one row's reasons into one line; a negative one is marked "against"."""
    parts = [(AGAINST[lang] if r["contribution"] < 0 and r["feature"] != WEAK_LINK_REASON
              else "") + r[lang] for r in reasons]
    return SEPARATOR[lang].join(parts)
