"""Reasons for a park–firm pair, in Chinese and English: why it fits and why it is excluded.

:func:`describe_pair` turns the parts of :class:`~recommender.parks.scoring.Matcher` into
words: the tenants the firm would supply or buy from (and how many firms near the park its
best-linked node links to), its fit with the park's focus, the
tightest resource that still fits, how near or present it already is, and its ranker
percentile. Each reason carries its contribution to the score (weight x part, and the blend
with ``scores``); a row's ``reason_zh``/``reason_en`` join the three largest. A firm whose need
exceeds an offer gets ``excluded_reason_zh``/``_en``, one clause per resource short, with
the amounts.

>>> import pandas as pd
>>> from recommender.chain import load_chain
>>> from recommender.parks.scoring import Matcher
>>> firms = pd.DataFrame({"firm_id": ["a"], "employees": [200.0], "in_gba": [True]})
>>> links = pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"]})
>>> park = {"park_id": "p", "focus_nodes": ["lasers"], "clean_room_m2": 500.0}
>>> m = Matcher(firms, links, load_chain())
>>> text = describe_pair(m, park, 0, m.parts(park, np.array([0])).iloc[0].to_dict())
>>> text["excluded_reason_en"]
'needs 675 m² clean room; park offers 500 m² (175 m² short)'
"""

from __future__ import annotations

import numpy as np

from recommender import columns as C
from recommender.parks.profiles import NEED_COLUMNS, RESOURCES, park_number
from recommender.parks.scoring import (
    CAPACITY_FIT,
    EXCLUDED,
    FOCUS_FIT,
    NEIGHBOUR_CREDIT,
    NEIGHBOUR_KM,
    PART_WEIGHTS,
    PROXIMITY,
    REC_BLEND,
    REC_SCORE,
    SYNERGY,
    Matcher,
)

__all__ = [
    "EXCLUDED_REASON_EN", "EXCLUDED_REASON_ZH", "LINKED_TENANTS",
    "describe_pair",
]

LINKED_TENANTS = "linked_tenants"
EXCLUDED_REASON_ZH, EXCLUDED_REASON_EN = "excluded_reason_zh", "excluded_reason_en"
_SEP = {"zh": "；", "en": "; "}
_UNITS = {"ha": ("公顷", "ha"), "m2": ("平方米", "m²"), "MVA": ("MVA", "MVA")}


def describe_pair(m: Matcher, park: dict, r: int, part: dict) -> dict:
    """Return the reasons and exclusion text of the firm at row ``r`` of ``m`` for ``park``.

    ``part`` is the firm's row of :meth:`Matcher.parts` as a dict. The keys are the columns
    ``linked_tenants``, ``reasons`` (dicts with ``feature``, ``zh``, ``en``, ``contribution``,
    largest first), ``reason_zh``/``_en`` and ``excluded_reason_zh``/``_en`` (None when empty).
    """
    blend = (1 - REC_BLEND) if REC_SCORE in part else 1.0
    reasons = []
    tenants, linked = _synergy_text(m, park, r)
    if linked[0] and part[SYNERGY] > 0:
        reasons.append(_reason(SYNERGY, blend * PART_WEIGHTS[SYNERGY] * part[SYNERGY], *linked))
    focus = _focus_text(m, park, r)
    if focus and part[FOCUS_FIT] > 0:
        reasons.append(_reason(FOCUS_FIT, blend * PART_WEIGHTS[FOCUS_FIT] * part[FOCUS_FIT],
                               *focus))
    room, short = _capacity_text(m, park, r)
    if room and not part[EXCLUDED]:
        reasons.append(_reason(CAPACITY_FIT,
                               blend * PART_WEIGHTS[CAPACITY_FIT] * part[CAPACITY_FIT], *room))
    near = _proximity_text(m, r, part[C.DISTANCE_KM])
    if near:
        reasons.append(_reason(PROXIMITY, blend * PART_WEIGHTS[PROXIMITY] * part[PROXIMITY],
                               *near))
    if REC_SCORE in part and part[REC_SCORE] > 0:
        top = max(1, int(np.ceil(100 * (1 - part[REC_SCORE]))))
        reasons.append(_reason(REC_SCORE, REC_BLEND * part[REC_SCORE],
                               f"推荐得分位列前{top}%", f"recommendation score in the top {top}%"))
    reasons.sort(key=lambda x: -x["contribution"])
    return {
        LINKED_TENANTS: tenants,
        C.REASONS: reasons,
        C.REASON_ZH: _SEP["zh"].join(x["zh"] for x in reasons[:3]) or None,
        C.REASON_EN: _SEP["en"].join(x["en"] for x in reasons[:3]) or None,
        EXCLUDED_REASON_ZH: _SEP["zh"].join(z for z, _ in short) or None,
        EXCLUDED_REASON_EN: _SEP["en"].join(e for _, e in short) or None,
    }


def _reason(feature: str, contribution: float, zh: str, en: str) -> dict:
    return {"feature": feature, "zh": zh, "en": en, "contribution": round(float(contribution), 4)}


def _synergy_text(m: Matcher, park: dict, r: int) -> tuple[list[str], tuple[str, str]]:
    tenants, T, supply, buy = m.tenant_links(park)
    f = m.F[r]
    found, zh, en = [], [], []
    for t, tenant in enumerate(tenants):
        s, b = f * supply[t], f * buy[t]
        if max(s.max(initial=0), b.max(initial=0)) <= 0:
            continue
        found.append(tenant)
        tz, te = m.names_zh.get(tenant, tenant), m.names_en.get(tenant, tenant)
        if s.max() >= b.max():
            node = m.nodes[int(s.argmax())]
            zh.append(f"向{tz}供应{m.node_name(node, 'zh')}")
            en.append(f"supplies {m.node_name(node, 'en').lower()} to {te}")
        else:
            n = int(b.argmax())
            node = m.nodes[int((m.adj[:, n] * T[t]).argmax())]
            zh.append(f"从{tz}采购{m.node_name(node, 'zh')}")
            en.append(f"buys {m.node_name(node, 'en').lower()} from {te}")
    near = _neighbour_text(m, park, r)
    if not found:
        return [], near or ("", "")
    more_zh = "等" if len(found) > 3 else ""
    more_en = ", ..." if len(found) > 3 else ""
    zh_text = f"与园区{len(found)}家企业上下游协同：{'、'.join(zh[:3])}{more_zh}"
    en_text = (f"chain synergy with {len(found)} tenant{'s' if len(found) > 1 else ''}: "
               f"{', '.join(en[:3])}{more_en}")
    if near:
        zh_text, en_text = f"{zh_text}；{near[0]}", f"{en_text}; {near[1]}"
    return found, (zh_text, en_text)


def _neighbour_text(m: Matcher, park: dict, r: int) -> tuple[str, str] | None:
    """How many of the park's neighbours the firm's best-linked node links to, or None."""
    rows, linked = m.neighbour_links(park)
    others = rows != r
    if not others.any():
        return None
    linked = linked[others]
    node = int((m.F[r] * linked.sum(axis=0)).argmax())
    count = int((linked[:, node] > 0).sum()) if m.F[r, node] > 0 else 0
    if not count:
        return None
    km = f"{NEIGHBOUR_KM:,.0f}"
    return (f"{m.node_name(m.nodes[node], 'zh')}与园区周边{km}公里内{count}家企业上下游相邻",
            f"linked along the chain to {count} firm{'s' if count > 1 else ''} within {km} km "
            f"of the park (as a maker of {m.node_name(m.nodes[node], 'en').lower()})")


def _focus_text(m: Matcher, park: dict, r: int) -> tuple[str, str] | None:
    focus = [m.pos[n] for n in park.get(C.FOCUS_NODES) or [] if n in m.pos]
    if not focus:
        return None
    f = m.F[r]
    best = focus[int(f[focus].argmax())]
    if f[best] >= NEIGHBOUR_CREDIT * f.max():
        name_zh, name_en = m.node_name(m.nodes[best], "zh"), m.node_name(m.nodes[best], "en")
        return f"主营{name_zh}，属园区主导方向", f"makes {name_en.lower()}, a focus of the park"
    adjacent = m.adj[:, focus] + m.adj[focus].T  # node x focus: linked either way
    strength = f[:, None] * (adjacent > 0)
    n, j = np.unravel_index(int(strength.argmax()), strength.shape)
    node, target = m.nodes[n], m.nodes[focus[j]]
    return (f"主营{m.node_name(node, 'zh')}，与园区主导方向{m.node_name(target, 'zh')}上下游相邻",
            f"makes {m.node_name(node, 'en').lower()}, next in the chain to the park's focus "
            f"{m.node_name(target, 'en').lower()}")


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f}" if unit == "m2" else f"{value:,.1f}"


def _capacity_text(m: Matcher, park: dict, r: int):
    """(the tightest fit as a reason or None, [(zh, en) per resource the firm exceeds])."""
    needs = m.needs_rows[r]
    tightest, short = None, []
    for need_col, offer_col, unit, label_zh, label_en in RESOURCES:
        need, offer = needs[NEED_COLUMNS.index(need_col)], park_number(park, offer_col)
        if not (np.isfinite(need) and np.isfinite(offer)) or need <= 0:
            continue
        uz, ue = _UNITS[unit]
        n, o = _amount(need, unit), _amount(offer, unit)
        if need > offer:
            gap = _amount(need - offer, unit)
            short.append((f"需{label_zh}{n}{uz}，园区仅可提供{o}{uz}（缺口{gap}{uz}）",
                          f"needs {n} {ue} {label_en}; park offers {o} {ue} ({gap} {ue} short)"))
        elif tightest is None or need / offer > tightest[0]:
            tightest = (need / offer, f"园区承载充足：需{label_zh}约{n}{uz}，园区可提供{o}{uz}",
                        f"fits the park's offer: needs about {n} {ue} {label_en} of {o} {ue}")
    return (tightest[1:] if tightest else None), short


def _proximity_text(m: Matcher, r: int, distance: float) -> tuple[str, str] | None:
    if m.gba[r] == 1:
        return "已在大湾区布局", "already present in the Greater Bay Area"
    if m.china[r] == 1:
        return "已进入中国市场", "already sells in China"
    if np.isfinite(distance):
        return f"总部距园区{distance:,.0f}公里", f"head office {distance:,.0f} km from the park"
    return None
