"""The feature registry: every feature the ranker and the prior read, one row each.

:data:`FEATURES` names the features in the order of the feature frame's columns
(:mod:`recommender.ranking.features` builds that frame), each with a Chinese and an English
description, its direction (which values are good news, and the neutral value between good
and bad), and two sentence templates: one for when it speaks for the firm, one worded as what
holds the firm back (:class:`Feature`). Three groups:

- ``firm``: the firm's profile (size, revenue, growth, R&D, patents, age, listing, size class,
  international footprint, presence in China and in the Greater Bay Area, where the size
  figures come from: reported or estimated, see
  :mod:`recommender.ranking.feature_context`);
- ``pair``: the firm against the node and the region (match and chain hop, the node's
  weak-link score and its components, weak-link fit, distance, common language, time-zone
  gap, home-country export control, local chain leaders next to the node, local competitors);
- ``engagement``: the firm's earlier outcomes, strictly before the pair's date: its whole
  record, then its record for this link (the same node) and elsewhere (other nodes) apart
  (:mod:`recommender.ranking.engagement`).

Adding a feature is one row here and one line of
:func:`~recommender.ranking.features.build_features`. The names that are not already column
names of :mod:`recommender.columns` are constants of this module (:data:`TZ_GAP_H`, ...);
code that reads a feature by name uses them.

>>> feature_names("pair")[:2]
['match', 'hop']
>>> feature(TZ_GAP_H).reason(7.0, "en", region="Guangdong")
'7 h time difference to Guangdong'
>>> feature(TZ_GAP_H).reason(0.0, "zh", region="广东省")
'与广东省无时差'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.firms.sizes import SIZE_CLASS_WORDS
from recommender.outcome_stages import OUTCOME_STAGES, STAGE_LABELS

__all__ = [
    "AGE_YEARS", "BEST_PRIOR_STAGE", "COMMON_LANGUAGE", "DAYS_SINCE_CONTACT",
    "ELSEWHERE_MEAN_STAGE", "FEATURES", "FEATURE_GROUPS", "HOME_EXPORT_CONTROL",
    "LEADER_CUSTOMERS", "LEADER_SUPPLIERS", "LINK_BEST_STAGE", "LINK_CONTACTS", "LINK_DECLINES",
    "LOCAL_COMPETITORS", "LOG10_EMPLOYEES", "LOG10_REVENUE", "LOG1P_PATENTS", "MEAN_PRIOR_STAGE",
    "KINDS", "PRIOR_CONTACTS", "PRIOR_DECLINES", "SHOWN", "SIZE_BASES", "SIZE_BASIS",
    "SIZE_LABELS", "SIZE_RANK", "TZ_GAP_H", "WEAK_LINK_FIT", "Feature", "feature",
    "feature_names", "number_text",
]

FEATURE_GROUPS = ("firm", "pair", "engagement")
SHOWN = ("value", "pow10", "expm1")  # how a feature's value is turned back into {value}
KINDS = ("number", "stage", "size", "basis")  # "stage", "size", "basis": codes shown by name
# size class -> (Chinese, English), as reasons name them: the four words of China's size
# standard (大型 / 中型 / 小型 / 微型) that pages and exports use too (recommender.firms.sizes)
SIZE_LABELS: dict[str, tuple[str, str]] = SIZE_CLASS_WORDS
# size basis code -> (Chinese, English): how a firm's size figures were obtained
SIZE_BASES: tuple[tuple[str, str], ...] = (
    ("已披露", "reported"),
    ("按市值等级估计", "estimated from its market-cap class"),
    ("按上市公司估计", "estimated as a listed firm"),
    ("按行业知名企业估计", "estimated as a known maker"),
)

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
SIZE_BASIS = "size_basis"
PRIOR_CONTACTS = "prior_contacts"
PRIOR_DECLINES = "prior_declines"
BEST_PRIOR_STAGE = "best_prior_stage"
MEAN_PRIOR_STAGE = "mean_prior_stage"
DAYS_SINCE_CONTACT = "days_since_contact"
LINK_CONTACTS = "link_contacts"
LINK_DECLINES = "link_declines"
LINK_BEST_STAGE = "link_best_stage"
ELSEWHERE_MEAN_STAGE = "elsewhere_mean_stage"


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
        The sentence when the feature speaks *for* the firm (its contribution is positive);
        a template (see :meth:`reason` for the fields), e.g. ``"only {value:,.0f} km from
        {region}"``.
    direction : {+1, -1, 0}
        Which values are good news: +1 more is better, -1 less is better, 0 neither (size,
        contacts: the model decides which way they count).
    against_zh, against_en : str
        The sentence when the feature holds the firm back (a negative contribution), worded
        as what holds it back ("growth below its peers"), never as good news.
    zero_zh, zero_en : str
        The sentence used instead of either when the value is 0 (a flag that is off, no earlier
        contact, no time difference); empty where a 0 reads well in the templates.
    neutral : float
        For a directional feature, the value that is neither good nor bad news (a fixed,
        documented convention: 5 % growth, 3,000 km, a 3 h gap, ...); a value on the good
        side is only ever a reason *for* the firm and one on the bad side only *against* it.
        NaN for direction 0.
    shown : {"value", "pow10", "expm1"}
        How ``{value}`` is computed from the feature: as is, ``10 ** x`` (log10 features) or
        ``exp(x) - 1`` (ln(1 + x) features).
    kind : {"number", "stage", "size"}
        ``stage`` and ``size`` values are codes that templates show by name (``{label}``).
    """

    name: str
    group: str
    dtype: str
    description_zh: str
    description_en: str
    reason_zh: str
    reason_en: str
    direction: int
    against_zh: str = ""
    against_en: str = ""
    zero_zh: str = ""
    zero_en: str = ""
    neutral: float = float("nan")
    shown: str = "value"
    kind: str = "number"

    def __post_init__(self) -> None:
        if self.group not in FEATURE_GROUPS:
            raise InvalidArgument(f"feature {self.name!r}: group must be one of "
                                  f"{FEATURE_GROUPS}")
        if self.direction not in (-1, 0, 1):
            raise InvalidArgument(f"feature {self.name!r}: direction must be -1, 0 or +1")
        if self.shown not in SHOWN:
            raise InvalidArgument(f"feature {self.name!r}: shown must be one of {SHOWN}")
        if self.kind not in KINDS:
            raise InvalidArgument(f"feature {self.name!r}: kind must be one of {KINDS}")
        if self.direction and math.isnan(self.neutral):
            raise InvalidArgument(f"feature {self.name!r}: a directional feature needs its "
                                  f"neutral value")

    def display_value(self, value: float) -> float:
        """Return the value a reason shows: the feature value on its natural scale."""
        value = float(value)
        if self.shown == "pow10":
            return 10.0 ** value
        if self.shown == "expm1":
            return math.expm1(value)
        return value

    def side(self, value: float) -> int:
        """Return +1 where ``value`` is good news, -1 where it is bad news, 0 where neither.

        >>> feature("revenue_growth").side(0.15), feature("tz_gap_h").side(7.0)
        (1, -1)
        """
        if not self.direction or value is None or np.isnan(value):
            return 0
        return int(np.sign(self.direction * (float(value) - self.neutral)))

    def reason(self, value: float, lang: str = "en", *, sign: int | None = None,
               node: str | None = None, region: str | None = None) -> str:
        """Return the sentence for ``value`` in ``lang`` ("zh" or "en").

        ``sign`` (+1 or -1) says whether the feature speaks for the firm or holds it back;
        by default the value's own :meth:`side`. The template fields are ``{value}`` (the
        value on its natural scale, for format specs), ``{number}`` (the same written as a
        person writes it: 3, not 3.0; 2.5; 9,300), ``{s}`` and ``{ies}`` (English plural
        endings: "" and "y" when the number is 1), ``{label}`` (a stage's, size class's or
        size basis's name), ``{node}`` and ``{region}``.

        Examples
        --------
        >>> feature("distance_km").reason(9300.4, "en", region="Guangdong")
        'far from Guangdong (9,300 km)'
        >>> feature("in_china").reason(0.0, "zh")
        '尚未进入中国市场'
        >>> feature("prior_contacts").reason(1.0, "en"), feature("best_prior_stage").reason(
        ...     2.0, "zh")
        ('contacted 1 time before', '此前已进展到“实地考察”')
        """
        zh = _language(lang) == "zh"
        if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
            return f"{self.description_zh}：未知" if zh else f"{self.description_en}: unknown"
        sign = sign if sign is not None else (self.side(value) or 1)
        zero = self.zero_zh if zh else self.zero_en
        if float(value) == 0 and zero:
            template = zero
        elif sign < 0:
            template = (self.against_zh if zh else self.against_en) or (
                self.reason_zh if zh else self.reason_en)
        else:
            template = self.reason_zh if zh else self.reason_en
        shown = self.display_value(value)
        context = {"value": shown, "number": number_text(shown),
                   "s": "" if number_text(shown) == "1" else "s",
                   "ies": "y" if number_text(shown) == "1" else "ies",
                   "label": self._label(value, zh),
                   "node": node or ("该环节" if zh else "the weak link"),
                   "region": region or ("本地" if zh else "the region")}
        return template.format(**context)

    def _label(self, value: float, zh: bool) -> str:
        names = {"stage": [STAGE_LABELS[s] for s in OUTCOME_STAGES],
                 "size": [SIZE_LABELS[s] for s in C.SIZE_CLASSES],
                 "basis": list(SIZE_BASES)}.get(self.kind)
        if names is None:
            return ""
        code = int(round(float(value)))
        if not 0 <= code < len(names):
            return str(code)
        return names[code][0 if zh else 1]


def number_text(value: float) -> str:
    """Write a number as a person does: integers without decimals, else one decimal.

    >>> number_text(3.0), number_text(2.5), number_text(9300.4), number_text(0.04)
    ('3', '2.5', '9,300', '0.04')
    """
    value = float(value)
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.1f}"
    return f"{value:.2g}"


def _f(name, group, description_zh, description_en, reason_zh, reason_en, direction, *,
       against_zh="", against_en="", zero_zh="", zero_en="", neutral=float("nan"),
       shown="value", kind="number") -> Feature:
    return Feature(name, group, "float32", description_zh, description_en, reason_zh,
                   reason_en, direction, against_zh, against_en, zero_zh, zero_en,
                   float(neutral), shown, kind)


FEATURES: tuple[Feature, ...] = (
    # --- firm -------------------------------------------------------------------------------
    _f(LOG10_EMPLOYEES, "firm", "员工人数（取以10为底的对数；未披露时按规模等级估计）",
       "Head count, log10 (estimated from the size class where not reported)",
       "员工约{value:,.0f}人", "about {value:,.0f} employees", 0,
       against_zh="规模不占优（员工约{value:,.0f}人）",
       against_en="size counts against it (about {value:,.0f} employees)", shown="pow10"),
    _f(LOG10_REVENUE, "firm", "年营业收入（百万美元，取以10为底的对数；未披露时按规模等级估计）",
       "Annual revenue in million US dollars, log10 (estimated where not reported)",
       "年营收约{value:,.0f}百万美元", "revenue about US${value:,.0f} million", +1,
       against_zh="营收规模偏小（约{value:,.0f}百万美元）",
       against_en="small revenue (about US${value:,.0f} million)",
       neutral=math.log10(50.0), shown="pow10"),  # US$50 million: a small firm
    _f(C.REVENUE_GROWTH, "firm", "营收同比增长率（0.1即10%）",
       "Revenue growth year on year (0.1 = +10 %)",
       "营收年增长{value:+.0%}", "revenue growing {value:+.0%} a year", +1,
       against_zh="增长低于同类（营收年增长{value:+.0%}）",
       against_en="growth below its peers ({value:+.0%} a year)", neutral=0.05),
    _f(C.RD_INTENSITY, "firm", "研发投入强度（研发支出/营收）",
       "R&D intensity (R&D spending / revenue)",
       "研发投入占营收{value:.0%}", "R&D at {value:.0%} of revenue", +1,
       against_zh="研发投入偏低（占营收{value:.0%}）",
       against_en="low R&D ({value:.0%} of revenue)", neutral=0.05),
    _f(LOG1P_PATENTS, "firm", "专利族数量（取ln(1+x)）", "Patent families held, ln(1 + x)",
       "拥有{value:,.0f}项专利族", "holds {value:,.0f} patent famil{ies}", +1,
       against_zh="专利较少（{value:,.0f}项专利族）",
       against_en="few patents ({value:,.0f} patent famil{ies})",
       zero_zh="暂无专利", zero_en="holds no patents", neutral=math.log1p(10.0),
       shown="expm1"),
    _f(AGE_YEARS, "firm", "成立年限（年，截至排序日期）", "Age in years at the ranking date",
       "成立{value:,.0f}年", "{number} year{s} in business", +1,
       against_zh="成立仅{value:,.0f}年", against_en="only {number} year{s} in business",
       neutral=10.0),
    _f(C.IS_LISTED, "firm", "是否上市（1是，0否）", "Listed on a stock exchange (1 yes, 0 no)",
       "上市公司", "listed company", +1, against_zh="非上市公司", against_en="not listed",
       neutral=0.5),
    _f(SIZE_RANK, "firm", "规模等级（按营收或市值分6级：0最小 … 5最大）",
       "Size class by revenue or market capitalisation (six classes: 0 smallest … 5 largest)",
       "规模等级：{label}", "size class: {label}", 0,
       against_zh="规模等级不占优（{label}）", against_en="size class counts against it ({label})",
       kind="size"),
    _f(C.INTL_COUNTRIES, "firm", "有销售或子公司的国家数", "Countries with sales or subsidiaries",
       "业务覆盖{value:,.0f}个国家", "sells in {number} countr{ies}", +1,
       against_zh="海外布局有限（{value:,.0f}个国家）",
       against_en="sells in only {number} countr{ies}", neutral=5.0),
    _f(C.IN_CHINA, "firm", "已在中国销售或设有子公司（1是，0否）",
       "Already sells or has a subsidiary in China (1 yes, 0 no)",
       "已在中国开展业务", "already sells in China", +1,
       against_zh="尚未进入中国市场", against_en="not yet present in China", neutral=0.5),
    _f(C.IN_GBA, "firm", "已在粤港澳大湾区设点（1是，0否）",
       "Already present in the Greater Bay Area (1 yes, 0 no)",
       "已在粤港澳大湾区布局", "already present in the Greater Bay Area", +1,
       against_zh="尚未在粤港澳大湾区布局", against_en="not yet in the Greater Bay Area",
       neutral=0.5),
    _f(SIZE_BASIS, "firm",
       "规模数据来源（0已披露，1按市值等级估计，2按上市公司估计，3按知名企业估计）",
       "Where the size figures come from (0 reported, 1 market-cap class, 2 listed firm, "
       "3 known maker)",
       "规模数据{label}", "size figures {label}", 0, against_zh="规模数据{label}",
       against_en="size figures {label}", kind="basis"),
    # --- pair -------------------------------------------------------------------------------
    _f(C.MATCH, "pair", "与目标环节的匹配强度（0–1，相邻环节打折）",
       "Strength of the firm's activity in the node (0..1, discounted one chain hop away)",
       "与{node}匹配度{value:.2f}", "matches {node} ({value:.2f})", +1,
       against_zh="与{node}匹配度偏低（{value:.2f}）",
       against_en="weak match to {node} ({value:.2f})",
       zero_zh="与{node}无业务关联", zero_en="no activity in or next to {node}", neutral=0.5),
    _f(C.HOP, "pair", "链上距离（0本环节，1相邻上下游环节）",
       "Chain distance (0 active in the node, 1 in a direct supplier or consumer node)",
       "直接经营{node}", "makes {node} itself", -1,
       against_zh="仅在{node}的相邻上下游环节经营", against_en="only active next to {node}",
       neutral=0.5),
    _f(C.WEAK_LINK_SCORE, "pair", "目标环节的薄弱度（综合得分，0–1）",
       "Weak-link score of the node (0..1)",
       "{node}为薄弱环节（薄弱度{value:.2f}）", "{node} is a weak link (score {value:.2f})", +1,
       against_zh="{node}薄弱度不高（{value:.2f}）",
       against_en="{node} is not a very weak link ({value:.2f})", neutral=0.5),
    _f(C.LOCAL_GAP, "pair", "目标环节的本地供给缺口（0–1）", "Local supply gap of the node (0..1)",
       "{node}本地供给缺口大（{value:.2f}）", "{node} lacks local supply ({value:.2f})", +1,
       against_zh="{node}本地已有供给（缺口{value:.2f}）",
       against_en="{node} has local supply (gap {value:.2f})", neutral=0.5),
    _f(C.DEMAND, "pair", "本地对目标环节的需求（0–1）", "Local demand for the node (0..1)",
       "本地对{node}需求强（{value:.2f}）", "strong local demand for {node} ({value:.2f})", +1,
       against_zh="本地对{node}需求不强（{value:.2f}）",
       against_en="little local demand for {node} ({value:.2f})", neutral=0.5),
    _f(C.IMPORT_DEPENDENCE, "pair", "目标环节的进口依赖度（0–1）",
       "Import dependence of the node (0..1)",
       "{node}依赖进口（{value:.2f}）", "{node} is largely imported ({value:.2f})", +1,
       against_zh="{node}进口依赖度不高（{value:.2f}）",
       against_en="{node} is mostly made at home ({value:.2f})", neutral=0.5),
    _f(C.CONCENTRATION, "pair", "目标环节进口来源集中度（HHI，0–1）",
       "Concentration of the node's import origins (HHI, 0..1)",
       "{node}进口来源集中（{value:.2f}）", "{node} is imported from few countries ({value:.2f})",
       +1, against_zh="{node}进口来源分散（{value:.2f}）",
       against_en="{node} is imported from many countries ({value:.2f})", neutral=0.5),
    _f(C.EXPORT_CONTROL, "pair", "目标环节进口受出口管制的暴露度（0–1）",
       "Exposure of the node's imports to export controls (0..1)",
       "{node}进口受出口管制影响（{value:.2f}）",
       "{node} imports are exposed to export controls ({value:.2f})", +1,
       against_zh="{node}进口较少受出口管制影响（{value:.2f}）",
       against_en="{node} imports are little exposed to export controls ({value:.2f})",
       neutral=0.5),
    _f(C.CRITICALITY, "pair", "目标环节在链上的关键性（0–1）",
       "Criticality of the node in the chain (0..1)",
       "{node}为链上关键环节（{value:.2f}）", "{node} is critical to the chain ({value:.2f})", +1,
       against_zh="{node}在链上关键性不高（{value:.2f}）",
       against_en="{node} is not critical to the chain ({value:.2f})", neutral=0.5),
    _f(WEAK_LINK_FIT, "pair", "补链贡献（匹配强度×薄弱度）",
       "Weak-link fit (match x weak-link score)",
       "可补齐薄弱环节{node}", "fills weak link {node}", +1,
       against_zh="补齐{node}的作用有限", against_en="would fill little of {node}",
       neutral=0.25),
    _f(C.DISTANCE_KM, "pair", "距本地区核心或最近园区的球面距离（公里）",
       "Great-circle distance to the region's core or its nearest park, km",
       "距{region}仅{value:,.0f}公里", "only {value:,.0f} km from {region}", -1,
       against_zh="距{region}较远（{value:,.0f}公里）",
       against_en="far from {region} ({value:,.0f} km)", neutral=3000.0),
    _f(COMMON_LANGUAGE, "pair", "母国是否通用中文（1是，0否）",
       "Chinese is a business language of the home country (1 yes, 0 no)",
       "母国通用中文", "Chinese-speaking home market", +1,
       against_zh="母国不通用中文", against_en="no common business language", neutral=0.5),
    _f(TZ_GAP_H, "pair", "与本地区的时差（小时，按标准时间、IANA时区）",
       "Time-zone gap to the region, hours (standard time, IANA zones)",
       "与{region}时差仅{number}小时", "only {number} h time difference to {region}", -1,
       against_zh="与{region}时差{number}小时", against_en="{number} h time difference to {region}",
       zero_zh="与{region}无时差", zero_en="same time zone as {region}", neutral=3.0),
    _f(HOME_EXPORT_CONTROL, "pair", "母国对该环节技术的出口管制强度（0–1）",
       "Home-country export control on the node's technology (0..1)",
       "母国对{node}出口管制较弱（{value:.0%}）",
       "weak home-country export controls on {node} ({value:.0%})", -1,
       against_zh="母国对{node}实行出口管制（强度{value:.0%}）",
       against_en="home-country export controls on {node} ({value:.0%})",
       zero_zh="母国对{node}无出口管制", zero_en="no home-country export control on {node}",
       neutral=0.25),
    _f(LEADER_CUSTOMERS, "pair", "下游相邻环节中的本地链主数（潜在客户）",
       "Local chain leaders active in the node's consumer nodes (would-be customers)",
       "{value:,.0f}家本地链主可成为其客户",
       "{number} local chain leader{s} could buy from it", +1,
       against_zh="本地链主对其需求少（{value:,.0f}家）",
       against_en="few local chain leaders would buy from it ({number})",
       zero_zh="本地尚无链主可成为其客户", zero_en="no local chain leader would buy from it",
       neutral=0.5),
    _f(LEADER_SUPPLIERS, "pair", "上游相邻环节中的本地链主数（潜在供应商）",
       "Local chain leaders active in the node's supplier nodes (would-be suppliers)",
       "{value:,.0f}家本地链主可为其配套", "{number} local chain leader{s} could supply it", +1,
       against_zh="本地配套链主少（{value:,.0f}家）",
       against_en="few local chain leaders could supply it ({number})",
       zero_zh="本地尚无链主可为其配套", zero_en="no local chain leader could supply it",
       neutral=0.5),
    _f(LOCAL_COMPETITORS, "pair", "本地已在该环节经营的企业数",
       "Local firms active in the same node",
       "本地{node}企业少（{value:,.0f}家）", "few local firms make {node} ({number})", -1,
       against_zh="本地已有{value:,.0f}家{node}企业",
       against_en="{number} local firm{s} already make {node}",
       zero_zh="本地尚无{node}企业", zero_en="no local firm makes {node} yet", neutral=2.5),
    # --- engagement -------------------------------------------------------------------------
    _f(PRIOR_CONTACTS, "engagement", "此前接触次数（排序日期之前）",
       "Earlier contacts of the firm (before the ranking date)",
       "此前接触过{value:,.0f}次", "contacted {number} time{s} before", 0,
       against_zh="此前已接触{value:,.0f}次", against_en="already contacted {number} time{s}",
       zero_zh="此前从未接触", zero_en="never contacted before"),
    _f(PRIOR_DECLINES, "engagement", "此前婉拒或未回复次数（阶段0）",
       "Earlier declines or no answers (stage 0)",
       "此前婉拒较少（{value:,.0f}次）", "seldom declined before ({number})", -1,
       against_zh="此前婉拒{value:,.0f}次", against_en="declined {number} time{s} before",
       zero_zh="此前未曾婉拒", zero_en="never declined before", neutral=0.5),
    _f(BEST_PRIOR_STAGE, "engagement", "此前达到的最高阶段（0婉拒 … 4落地）",
       "Furthest stage reached before (0 declined … 4 invested)",
       "此前已进展到“{label}”", "reached “{label}” before", +1,
       against_zh="此前仅到“{label}”", against_en="got no further than “{label}” before",
       neutral=0.5, kind="stage"),
    _f(MEAN_PRIOR_STAGE, "engagement", "此前各次接触平均达到的最高阶段（0婉拒 … 4落地）",
       "Mean furthest stage of the earlier contacts (0 declined … 4 invested)",
       "此前接触平均进展到约“{label}”", "earlier contacts got to about “{label}” on average",
       +1, against_zh="此前接触平均仅到约“{label}”",
       against_en="earlier contacts got only to about “{label}” on average", neutral=0.5,
       kind="stage"),
    _f(DAYS_SINCE_CONTACT, "engagement", "距此前最近一次结果的天数",
       "Days since the latest earlier outcome",
       "{value:,.0f}天前接触过", "last contacted {number} day{s} ago", 0,
       against_zh="上次接触在{value:,.0f}天前", against_en="last contacted {number} day{s} ago"),
    _f(LINK_CONTACTS, "engagement", "此前就本环节接触的次数", "Earlier contacts for this node",
       "此前就{node}接触过{value:,.0f}次", "contacted {number} time{s} before for {node}", 0,
       against_zh="此前已就{node}接触{value:,.0f}次",
       against_en="already contacted {number} time{s} for {node}",
       zero_zh="此前未就{node}接触", zero_en="never contacted for {node} before"),
    _f(LINK_DECLINES, "engagement", "此前就本环节婉拒或未回复的次数",
       "Earlier declines or no answers for this node",
       "此前未曾就{node}婉拒", "never declined {node} before", -1,
       against_zh="此前就{node}婉拒{value:,.0f}次",
       against_en="declined {node} {number} time{s} before",
       zero_zh="此前未曾就{node}婉拒", zero_en="never declined {node} before", neutral=0.5),
    _f(LINK_BEST_STAGE, "engagement", "此前就本环节达到的最高阶段（0婉拒 … 4落地）",
       "Furthest stage reached before for this node (0 declined … 4 invested)",
       "此前就{node}已进展到“{label}”", "reached “{label}” before for {node}", +1,
       against_zh="此前就{node}仅到“{label}”",
       against_en="got no further than “{label}” for {node} before", neutral=0.5,
       kind="stage"),
    _f(ELSEWHERE_MEAN_STAGE, "engagement",
       "此前在其他环节各次接触平均达到的最高阶段（0婉拒 … 4落地；较弱信号）",
       "Mean furthest stage of the earlier contacts for other nodes (0 declined … 4 invested; "
       "a weaker signal)",
       "在其他环节的接触平均进展到约“{label}”",
       "contacts for other nodes got to about “{label}” on average", +1,
       against_zh="在其他环节的接触平均仅到约“{label}”",
       against_en="contacts for other nodes got only to about “{label}” on average",
       neutral=0.5, kind="stage"),
)


@functools.cache
def _by_name() -> dict[str, Feature]:
    return {f.name: f for f in FEATURES}


def feature_names(group: str | None = None) -> list[str]:
    """Return the feature names in registry order (those of one ``group`` if given).

    >>> feature_names("engagement")  # doctest: +NORMALIZE_WHITESPACE
    ['prior_contacts', 'prior_declines', 'best_prior_stage', 'mean_prior_stage',
     'days_since_contact', 'link_contacts', 'link_declines', 'link_best_stage',
     'elsewhere_mean_stage']
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

