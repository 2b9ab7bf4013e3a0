"""The feature registry: every feature the ranker and the prior read, one row each.

:data:`FEATURES` names the features in the order of the feature frame's columns
(:mod:`recommender.ranking.features` builds that frame), each with a Chinese and an English
description, a short reason template for explanations and the sign of an intuitively good
value. Three groups:

- ``firm``: the firm's profile (size, revenue, growth, R&D, patents, age, listing, size class,
  international footprint, presence in China and in the Greater Bay Area);
- ``pair``: the firm against the node and the region (match and chain hop, the node's
  weak-link score and its components, weak-link fit, distance, common language, time-zone
  gap, home-country export control, local chain leaders next to the node, local competitors);
- ``engagement``: the firm's earlier outcomes, strictly before the pair's date.

Adding a feature is one row here and one line of
:func:`~recommender.ranking.features.build_features`. The names that are not already column
names of :mod:`recommender.columns` are constants of this module (:data:`TZ_GAP_H`, ...);
code that reads a feature by name uses them.

>>> feature_names("pair")[:2]
['match', 'hop']
>>> feature(TZ_GAP_H).reason(7.0, "en", region="Guangdong")
'7 h time difference to Guangdong'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError

__all__ = [
    "AGE_YEARS", "BEST_PRIOR_STAGE", "COMMON_LANGUAGE", "DAYS_SINCE_CONTACT", "FEATURES",
    "FEATURE_GROUPS", "HOME_EXPORT_CONTROL", "LEADER_CUSTOMERS", "LEADER_SUPPLIERS",
    "LOCAL_COMPETITORS", "LOG10_EMPLOYEES", "LOG10_REVENUE", "LOG1P_PATENTS", "MEAN_PRIOR_STAGE",
    "PRIOR_CONTACTS", "PRIOR_DECLINES", "SHOWN", "SIZE_RANK", "TZ_GAP_H", "WEAK_LINK_FIT",
    "Feature", "feature", "feature_names",
]

FEATURE_GROUPS = ("firm", "pair", "engagement")
SHOWN = ("value", "pow10", "expm1")  # how a feature's value is turned back into {value}

# feature names that are not already column names of recommender.columns
LOG10_EMPLOYEES = "log10_employees"
LOG10_REVENUE = "log10_revenue"
LOG1P_PATENTS = "log1p_patents"
AGE_YEARS = "age_years"
SIZE_RANK = "size_rank"
WEAK_LINK_FIT = "weak_link_fit"
COMMON_LANGUAGE = "common_language"
TZ_GAP_H = "tz_gap_h"
HOME_EXPORT_CONTROL = "home_export_control"
LEADER_CUSTOMERS = "leader_customers"
LEADER_SUPPLIERS = "leader_suppliers"
LOCAL_COMPETITORS = "local_competitors"
PRIOR_CONTACTS = "prior_contacts"
PRIOR_DECLINES = "prior_declines"
BEST_PRIOR_STAGE = "best_prior_stage"
MEAN_PRIOR_STAGE = "mean_prior_stage"
DAYS_SINCE_CONTACT = "days_since_contact"


@dataclass(frozen=True)
class Feature:
    """One feature of the registry.

    Attributes
    ----------
    name : str
        Column name in the feature frame.
    group : {"firm", "pair", "engagement"}
    dtype : str
        NumPy dtype of the column (``float32``).
    description_zh, description_en : str
        What the feature measures, with its unit.
    reason_zh, reason_en : str
        A short sentence template for explanations; ``{value}`` is the feature's value as a
        person reads it (see ``shown``), ``{node}`` the node's name and ``{region}`` the
        region's name, e.g. ``"{value:,.0f} km from {region}"``.
    direction : {+1, -1, 0}
        Sign of an intuitively good value (+1: more is better, -1: less is better, 0: neither).
    negation_zh, negation_en : str
        The sentence used instead when the value is 0 (a flag that is off, no earlier
        contact); empty where a 0 reads well in the template.
    shown : {"value", "pow10", "expm1"}
        How ``{value}`` is computed from the feature: as is, ``10 ** x`` (log10 features) or
        ``exp(x) - 1`` (ln(1 + x) features).
    """

    name: str
    group: str
    dtype: str
    description_zh: str
    description_en: str
    reason_zh: str
    reason_en: str
    direction: int
    negation_zh: str = ""
    negation_en: str = ""
    shown: str = "value"

    def __post_init__(self) -> None:
        if self.group not in FEATURE_GROUPS:
            raise InvalidArgument(f"feature {self.name!r}: group must be one of "
                                  f"{FEATURE_GROUPS}")
        if self.direction not in (-1, 0, 1):
            raise InvalidArgument(f"feature {self.name!r}: direction must be -1, 0 or +1")
        if self.shown not in SHOWN:
            raise InvalidArgument(f"feature {self.name!r}: shown must be one of {SHOWN}")

    def display_value(self, value: float) -> float:
        """Return the value a reason shows: the feature value on its natural scale."""
        value = float(value)
        if self.shown == "pow10":
            return 10.0 ** value
        if self.shown == "expm1":
            return math.expm1(value)
        return value

    def reason(self, value: float, lang: str = "en", *, node: str | None = None,
               region: str | None = None) -> str:
        """Return the reason sentence for ``value`` in ``lang`` ("zh" or "en").

        Examples
        --------
        >>> feature("distance_km").reason(9300.4, "en", region="Guangdong")
        '9,300 km from Guangdong'
        >>> feature("in_china").reason(0.0, "zh")
        '尚未进入中国市场'
        """
        zh = _language(lang) == "zh"
        if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
            return f"{self.description_zh}：未知" if zh else f"{self.description_en}: unknown"
        negation = self.negation_zh if zh else self.negation_en
        template = negation if float(value) == 0 and negation else (
            self.reason_zh if zh else self.reason_en)
        context = {"value": self.display_value(value),
                   "node": node or ("该环节" if zh else "the weak link"),
                   "region": region or ("本地" if zh else "the region")}
        return template.format(**context)


def _f(name, group, description_zh, description_en, reason_zh, reason_en, direction, *,
       negation_zh="", negation_en="", shown="value") -> Feature:
    return Feature(name, group, "float32", description_zh, description_en, reason_zh,
                   reason_en, direction, negation_zh, negation_en, shown)


FEATURES: tuple[Feature, ...] = (
    # --- firm -------------------------------------------------------------------------------
    _f(LOG10_EMPLOYEES, "firm", "员工人数（取以10为底的对数）", "Head count, log10",
       "员工约{value:,.0f}人", "about {value:,.0f} employees", 0, shown="pow10"),
    _f(LOG10_REVENUE, "firm", "年营业收入（百万美元，取以10为底的对数）",
       "Annual revenue in million US dollars, log10",
       "年营收约{value:,.0f}百万美元", "revenue about US${value:,.0f} million", +1,
       shown="pow10"),
    _f(C.REVENUE_GROWTH, "firm", "营收同比增长率（0.1即10%）",
       "Revenue growth year on year (0.1 = +10 %)",
       "营收年增长{value:+.0%}", "revenue growing {value:+.0%} a year", +1),
    _f(C.RD_INTENSITY, "firm", "研发投入强度（研发支出/营收）",
       "R&D intensity (R&D spending / revenue)",
       "研发投入占营收{value:.0%}", "R&D at {value:.0%} of revenue", +1),
    _f(LOG1P_PATENTS, "firm", "专利族数量（取ln(1+x)）", "Patent families held, ln(1 + x)",
       "拥有{value:,.0f}项专利族", "holds {value:,.0f} patent families", +1,
       negation_zh="暂无专利", negation_en="holds no patents", shown="expm1"),
    _f(AGE_YEARS, "firm", "成立年限（年，截至排序日期）", "Age in years at the ranking date",
       "成立{value:,.0f}年", "{value:,.0f} years in business", +1),
    _f(C.IS_LISTED, "firm", "是否上市（1是，0否）", "Listed on a stock exchange (1 yes, 0 no)",
       "上市公司", "listed company", +1, negation_zh="非上市公司",
       negation_en="not listed"),
    _f(SIZE_RANK, "firm", "规模等级（按营收：0微型 … 5超大型）",
       "Size class by revenue (0 nano … 5 mega)",
       "规模等级{value:.0f}级（共0–5级）", "size class {value:.0f} of 0–5", 0),
    _f(C.INTL_COUNTRIES, "firm", "有销售或子公司的国家数", "Countries with sales or subsidiaries",
       "业务覆盖{value:,.0f}个国家", "sells in {value:,.0f} countries", +1),
    _f(C.IN_CHINA, "firm", "已在中国销售或设有子公司（1是，0否）",
       "Already sells or has a subsidiary in China (1 yes, 0 no)",
       "已在中国开展业务", "already sells in China", +1,
       negation_zh="尚未进入中国市场", negation_en="not yet present in China"),
    _f(C.IN_GBA, "firm", "已在粤港澳大湾区设点（1是，0否）",
       "Already present in the Greater Bay Area (1 yes, 0 no)",
       "已在粤港澳大湾区布局", "already present in the Greater Bay Area", +1,
       negation_zh="尚未在粤港澳大湾区布局", negation_en="not yet in the Greater Bay Area"),
    # --- pair -------------------------------------------------------------------------------
    _f(C.MATCH, "pair", "与目标环节的匹配强度（0–1，相邻环节打折）",
       "Strength of the firm's activity in the node (0..1, discounted one chain hop away)",
       "与{node}匹配度{value:.2f}", "matches {node} ({value:.2f})", +1,
       negation_zh="与{node}无业务关联", negation_en="no activity in or next to {node}"),
    _f(C.HOP, "pair", "链上距离（0本环节，1相邻上下游环节）",
       "Chain distance (0 active in the node, 1 in a direct supplier or consumer node)",
       "在{node}的相邻上下游环节经营", "active next to {node} in the chain", -1,
       negation_zh="直接经营{node}", negation_en="makes {node} itself"),
    _f(C.WEAK_LINK_SCORE, "pair", "目标环节的薄弱度（综合得分，0–1）",
       "Weak-link score of the node (0..1)",
       "{node}为薄弱环节（薄弱度{value:.2f}）", "{node} is a weak link (score {value:.2f})", +1),
    _f(C.LOCAL_GAP, "pair", "目标环节的本地供给缺口（0–1）", "Local supply gap of the node (0..1)",
       "{node}本地供给缺口大（{value:.2f}）", "{node} lacks local supply ({value:.2f})", +1),
    _f(C.DEMAND, "pair", "本地对目标环节的需求（0–1）", "Local demand for the node (0..1)",
       "本地对{node}需求强（{value:.2f}）", "strong local demand for {node} ({value:.2f})", +1),
    _f(C.IMPORT_DEPENDENCE, "pair", "目标环节的进口依赖度（0–1）",
       "Import dependence of the node (0..1)",
       "{node}依赖进口（{value:.2f}）", "{node} is largely imported ({value:.2f})", +1),
    _f(C.CONCENTRATION, "pair", "目标环节进口来源集中度（HHI，0–1）",
       "Concentration of the node's import origins (HHI, 0..1)",
       "{node}进口来源集中（{value:.2f}）", "{node} is imported from few countries ({value:.2f})",
       +1),
    _f(C.EXPORT_CONTROL, "pair", "目标环节进口受出口管制的暴露度（0–1）",
       "Exposure of the node's imports to export controls (0..1)",
       "{node}进口受出口管制影响（{value:.2f}）",
       "{node} imports are exposed to export controls ({value:.2f})", +1),
    _f(C.CRITICALITY, "pair", "目标环节在链上的关键性（0–1）",
       "Criticality of the node in the chain (0..1)",
       "{node}为链上关键环节（{value:.2f}）", "{node} is critical to the chain ({value:.2f})", +1),
    _f(WEAK_LINK_FIT, "pair", "补链贡献（匹配强度×薄弱度）",
       "Weak-link fit (match x weak-link score)",
       "可补齐薄弱环节{node}", "fills weak link {node}", +1),
    _f(C.DISTANCE_KM, "pair", "距本地区核心的球面距离（公里）",
       "Great-circle distance to the region's core, km",
       "距{region}{value:,.0f}公里", "{value:,.0f} km from {region}", -1),
    _f(COMMON_LANGUAGE, "pair", "母国是否通用中文（1是，0否）",
       "Chinese is a business language of the home country (1 yes, 0 no)",
       "母国通用中文", "Chinese-speaking home market", +1,
       negation_zh="母国不通用中文", negation_en="no common language"),
    _f(TZ_GAP_H, "pair", "与本地区的时差（小时）", "Time-zone gap to the region, hours",
       "与{region}时差{value:.0f}小时", "{value:.0f} h time difference to {region}", -1,
       negation_zh="与{region}无时差", negation_en="same time zone as {region}"),
    _f(HOME_EXPORT_CONTROL, "pair", "母国对该环节技术的出口管制强度（0–1）",
       "Home-country export control on the node's technology (0..1)",
       "母国对{node}出口管制强度{value:.0%}",
       "home-country export controls on {node} ({value:.0%})",
       -1, negation_zh="母国对{node}无出口管制",
       negation_en="no home-country export control on {node}"),
    _f(LEADER_CUSTOMERS, "pair", "下游相邻环节中的本地链主数（潜在客户）",
       "Local chain leaders active in the node's consumer nodes (would-be customers)",
       "{value:,.0f}家本地链主可成为其客户", "{value:,.0f} local chain leaders could buy from it",
       +1),
    _f(LEADER_SUPPLIERS, "pair", "上游相邻环节中的本地链主数（潜在供应商）",
       "Local chain leaders active in the node's supplier nodes (would-be suppliers)",
       "{value:,.0f}家本地链主可为其配套", "{value:,.0f} local chain leaders could supply it", +1),
    _f(LOCAL_COMPETITORS, "pair", "本地已在该环节经营的企业数",
       "Local firms active in the same node",
       "本地已有{value:,.0f}家{node}企业", "{value:,.0f} local firms already make {node}", -1,
       negation_zh="本地尚无{node}企业", negation_en="no local firm makes {node} yet"),
    # --- engagement -------------------------------------------------------------------------
    _f(PRIOR_CONTACTS, "engagement", "此前接触次数（排序日期之前）",
       "Earlier contacts of the firm (before the ranking date)",
       "此前接触过{value:,.0f}次", "contacted {value:,.0f} times before", 0,
       negation_zh="此前从未接触", negation_en="never contacted before"),
    _f(PRIOR_DECLINES, "engagement", "此前婉拒或未回复次数（阶段0）",
       "Earlier declines or no answers (stage 0)",
       "此前婉拒{value:,.0f}次", "declined {value:,.0f} times before", -1,
       negation_zh="此前未曾婉拒", negation_en="never declined before"),
    _f(BEST_PRIOR_STAGE, "engagement", "此前达到的最高阶段（0婉拒 … 4落地）",
       "Furthest stage reached before (0 declined … 4 invested)",
       "此前最高进展到第{value:.0f}阶段", "reached stage {value:.0f} of 4 before", +1),
    _f(MEAN_PRIOR_STAGE, "engagement", "此前各次接触平均达到的最高阶段（0婉拒 … 4落地）",
       "Mean furthest stage of the earlier contacts (0 declined … 4 invested)",
       "此前接触平均进展到第{value:.1f}阶段",
       "earlier contacts reached stage {value:.1f} on average", +1),
    _f(DAYS_SINCE_CONTACT, "engagement", "距此前最近一次结果的天数",
       "Days since the latest earlier outcome",
       "{value:,.0f}天前接触过", "last contacted {value:,.0f} days ago", 0),
)


@functools.cache
def _by_name() -> dict[str, Feature]:
    return {f.name: f for f in FEATURES}


def feature_names(group: str | None = None) -> list[str]:
    """Return the feature names in registry order (those of one ``group`` if given).

    >>> feature_names("engagement")  # doctest: +NORMALIZE_WHITESPACE
    ['prior_contacts', 'prior_declines', 'best_prior_stage', 'mean_prior_stage',
     'days_since_contact']
    """
    if group is not None and group not in FEATURE_GROUPS:
        raise NotFoundError(f"unknown feature group {group!r}; known: {', '.join(FEATURE_GROUPS)}")
    return [f.name for f in FEATURES if group is None or f.group == group]


def feature(name: str) -> Feature:
    """Return the registry entry of a feature (``NotFoundError`` if there is none).

    >>> feature("distance_km").direction
    -1
    """
    try:
        return _by_name()[name]
    except KeyError:
        raise NotFoundError(f"no feature {name!r}") from None


def _language(lang: str) -> str:
    base = str(lang).split("-")[0].casefold()
    if base not in ("zh", "en"):
        raise NotFoundError(f"no reason templates in language {lang!r}; use 'zh' or 'en'")
    return base

