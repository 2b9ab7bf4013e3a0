"""Reasons (推荐理由): short Chinese and English sentences saying why a firm ranks where it does.

The contributions of a score to its features (LightGBM ``pred_contrib=True`` for the ranker,
``recommender.ranking.prior.prior_contributions`` for the prior) pick the sentences:

1. always first, the weak link the firm fills ("fills weak link 真空泵 / vacuum pumps"),
   carrying the summed contribution of the features that measure the fit (``match``, ``hop``,
   ``weak_link_fit``);
2. then the ``top`` features with the largest positive contributions;
3. then the single most negative contribution, if any ("against: 9,300 km from Guangdong").

With a ``baseline`` (the mean contributions over the candidates of the same weak link, as
:func:`recommender.targeting.recommend.recommend` passes it), contributions are taken relative to
it, so that the reasons say what sets the firm apart from the other candidates rather than what they
all share (no export control at home, say).

Each sentence is the feature registry's template filled with the row's value
(``recommender.ranking.feature_registry.Feature.reason``). Features with a missing value (the
contribution is then about missingness, which says nothing to a reader), features that are the
same for every firm of a node (the weak link's own score and parts, chain leaders and local
competitors next to it) and contributions of zero are never a reason.

>>> reasons = reasons_for(frame, ranker.contributions(frame), node_names=names)  # doctest: +SKIP
>>> [r["en"] for r in reasons[0]]                                                 # doctest: +SKIP
['fills weak link 真空泵 / vacuum pumps', 'already sells in China', 'against: …']
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
    WEAK_LINK_FIT,
    feature,
)

__all__ = [
    "AGAINST",
    "FIT_FEATURES",
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
    zh, en = names
    en = _short(en)
    label = f"{zh} / {en}" if zh != en else zh
    if hop == 1:
        return {"feature": WEAK_LINK_REASON, "contribution": value,
                "zh": f"可从相邻环节补齐薄弱环节：{zh}",
                "en": f"fills weak link {label} from a neighbouring node"}
    return {"feature": WEAK_LINK_REASON, "contribution": value,
            "zh": f"可补齐薄弱环节：{zh}", "en": f"fills weak link {label}"}


def reasons_for(features: pd.DataFrame, contributions: pd.DataFrame, *, node_names,
                top: int = 3, region_name: tuple[str, str] | None = None,
                baseline: Mapping[str, float] | pd.Series | None = None,
                skip: Sequence[str] = NODE_LEVEL_FEATURES,
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

    Examples
    --------
    >>> frame = pd.DataFrame({"node_id": ["vacuum_pumps"], "match": [0.9], "hop": [0.0],
    ...                       "in_china": [1.0], "distance_km": [9300.0]})
    >>> contrib = pd.DataFrame({"match": [0.4], "hop": [0.0], "in_china": [0.3],
    ...                         "distance_km": [-0.2]})
    >>> [r["en"] for r in reasons_for(frame, contrib, region_name=("广东", "Guangdong"),
    ...                               node_names={"vacuum_pumps": ("真空泵", "Vacuum pumps")})[0]]
    ['fills weak link 真空泵 / Vacuum pumps', 'already sells in China', '9,300 km from Guangdong']
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
    ranked = [c for c in known if c not in fit and c not in set(skip)]
    shift = pd.Series(dict(baseline) if baseline is not None else {}, dtype=float)
    relative = contributions[ranked + fit].astype(float) - shift.reindex(
        ranked + fit).fillna(0.0).to_numpy()
    contrib = relative[ranked].to_numpy(float) if ranked else np.zeros((len(features), 0))
    values = features[ranked].to_numpy(float, na_value=np.nan) if ranked else contrib
    fit_total = (relative[fit].to_numpy(float).sum(axis=1) if fit
                 else np.zeros(len(features)))
    hops = (pd.to_numeric(features[C.HOP], errors="coerce").to_numpy(float)
            if C.HOP in features.columns else np.zeros(len(features)))
    region_zh, region_en = region_name or (None, None)
    nodes = features[node_id].astype(str).to_numpy()
    out: list[list[dict]] = []
    for i in range(len(features)):
        node = nodes[i]
        zh_en = names.get(node, (node, node))
        rows = [_weak_link_reason(node, zh_en, hops[i], float(fit_total[i]))]
        usable = ~np.isnan(values[i]) & (contrib[i] != 0)
        order = np.argsort(-contrib[i], kind="stable")
        positives = [j for j in order if usable[j] and contrib[i, j] > 0][:top]
        negatives = [j for j in order[::-1] if usable[j] and contrib[i, j] < 0][:1]
        for j in positives + negatives:
            spec = known[ranked[j]]
            rows.append({
                "feature": spec.name, "contribution": float(contrib[i, j]),
                "zh": spec.reason(values[i, j], "zh", node=zh_en[0], region=region_zh),
                "en": spec.reason(values[i, j], "en", node=_short(zh_en[1]), region=region_en),
            })
        out.append(rows)
    return out


def join_reasons(reasons: list[dict], lang: str) -> str:
    """Join one row's reasons into one line; a negative one is marked "against"."""
    parts = [(AGAINST[lang] if r["contribution"] < 0 and r["feature"] != WEAK_LINK_REASON
              else "") + r[lang] for r in reasons]
    return SEPARATOR[lang].join(parts)
