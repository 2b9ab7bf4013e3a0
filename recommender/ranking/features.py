"""Features of (firm, weak link) pairs: the registry, the feature frame, training and serving.

The registry (:data:`FEATURES`) names every feature the ranker and the prior read, in the
order of the feature frame's columns, with a Chinese and an English description, a short
reason template for explanations and the sign of an intuitively good value. Three groups:

- ``firm``: the firm's profile (size, revenue, growth, R&D, patents, age, listing, size class,
  international footprint, presence in China and in the Greater Bay Area);
- ``pair``: the firm against the node and the region (match and chain hop, the node's
  weak-link score and its components, weak-link fit, distance, common language, time-zone
  gap, home-country export control, local chain leaders next to the node, local competitors);
- ``engagement``: the firm's earlier outcomes, strictly before the pair's date.

Missing inputs give missing (NaN) features; nothing is imputed, LightGBM handles NaN.

:func:`build_features` is vectorised and pure over rows: any partition of the pairs gives
exactly its rows of the whole. :func:`training_frame` turns the outcome history into ranking
groups (one per campaign x node) with features as of each campaign's date;
:func:`serving_frame` ranks live candidates of some weak links as of a date;
:func:`truth_frame` gives every candidate of a demo world's campaigns, with their true utility,
for evaluation.

>>> frame = training_frame(data, weak_links)                      # doctest: +SKIP
>>> frame[feature_names()].dtypes.unique().tolist()               # doctest: +SKIP
[dtype('float32')]
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from recommender import columns as C
from recommender.diagnosis.locality import local_mask
from recommender.exceptions import DataError, NotFoundError
from recommender.firms.countries import COMMON_LANGUAGE_ZH
from recommender.firms.geocode import haversine_km
from recommender.ranking.candidates import (
    HOP_DISCOUNT,
    arrow_strings,
    candidate_pairs,
    index_in,
    pair_match,
)

__all__ = [
    "FEATURES", "FEATURE_GROUPS", "SHOWN", "Feature", "build_features", "contacted_pairs",
    "default_as_of", "drop_contacted", "feature", "feature_names", "serving_frame",
    "training_frame", "truth_frame",
]

FEATURE_GROUPS = ("firm", "pair", "engagement")
SIZE_CLASSES = C.SIZE_CLASSES  # size_rank 0..5
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
            raise ValueError(f"feature {self.name!r}: group must be one of {FEATURE_GROUPS}")
        if self.direction not in (-1, 0, 1):
            raise ValueError(f"feature {self.name!r}: direction must be -1, 0 or +1")
        if self.shown not in SHOWN:
            raise ValueError(f"feature {self.name!r}: shown must be one of {SHOWN}")

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

    >>> feature_names("engagement")
    ['prior_contacts', 'prior_declines', 'best_prior_stage', 'days_since_contact']
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


# --- the feature frame ----------------------------------------------------------------------

def default_as_of(data) -> pd.Timestamp:
    """Return the serving date of ``data``: the day after its latest outcome or campaign.

    Every recorded outcome then counts as earlier. Today, when there is no history at all.
    """
    dates = [frame[C.DATE].max() for frame in (data.outcomes, data.campaigns)
             if len(frame) and C.DATE in frame.columns]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        return pd.Timestamp.today().normalize()
    return pd.Timestamp(max(dates)).normalize() + pd.Timedelta(days=1)


def build_features(pairs: pd.DataFrame, data, weak_links: pd.DataFrame, *, as_of=None,
                   firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
                   date: str = C.DATE) -> pd.DataFrame:
    """Return ``pairs`` with every registry feature added, as of each pair's date.

    Parameters
    ----------
    pairs : DataFrame
        ``firm_id`` and ``node_id`` per row; optionally ``date`` (training: the campaign's
        date) and ``match`` with ``hop`` (as :func:`~recommender.ranking.candidates.candidate_pairs`
        gives them; computed from the firm nodes when absent).
    data : recommender.ranking.dataset.ChainData
    weak_links : DataFrame
        One row per node: ``node_id``, ``weak_link_score`` and its components (a missing
        column or node gives NaN).
    as_of : date-like, optional
        The date of pairs without a ``date`` (serving); :func:`default_as_of` when None.

    Returns
    -------
    DataFrame
        The pairs' own columns (except any named like a feature), then one float32 column per
        registry feature in registry order; same index and row order as ``pairs``.

    Notes
    -----
    Engagement features count only outcomes dated strictly before the pair's date. Firm
    profiles are the stored snapshot; only the age moves with the date. The time-zone gap
    is |Δ longitude| / 15 (at most 12 h) from the firm's coordinates, or, for a firm without
    coordinates, the gap between its country's and the region's standard UTC offsets.

    Examples
    --------
    >>> pairs = pd.DataFrame({"firm_id": ["syn-0000001"], "node_id": ["vacuum_pumps"]})
    >>> build_features(pairs, data, weak_links)[["distance_km", "match"]]  # doctest: +SKIP
    """
    _require(pairs, [firm_id, node_id], "pairs")
    firms = _firm_context(data.firms)
    nodes = _node_context(data)
    weak = _weak_link_arrays(weak_links, nodes.index)
    at_firm = _Gather(index_in(pairs[firm_id], firms.ids))
    at_node = _Gather(index_in(pairs[node_id], nodes.ids))
    day = _pair_days(pairs, date, as_of, data)
    block = _Block(len(pairs))
    put, col = block.put, firms.column

    put(LOG10_EMPLOYEES, _log10(at_firm(col(C.EMPLOYEES))))
    put(LOG10_REVENUE, _log10(at_firm(col(C.REVENUE))))
    put(C.REVENUE_GROWTH, at_firm(col(C.REVENUE_GROWTH)))
    put(C.RD_INTENSITY, at_firm(col(C.RD_INTENSITY)))
    patents = at_firm(col(C.PATENTS))
    put(LOG1P_PATENTS, np.log1p(np.where(patents >= 0, patents, np.nan)))
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    put(AGE_YEARS, year - at_firm(col(C.FOUNDED_YEAR)))
    for name in (C.IS_LISTED, C.INTL_COUNTRIES, C.IN_CHINA, C.IN_GBA):
        put(name, at_firm(col(name)))
    put(SIZE_RANK, at_firm(firms.size_rank))

    if C.MATCH in pairs.columns and C.HOP in pairs.columns:
        match, hop = _floats(pairs[C.MATCH]), _floats(pairs[C.HOP])
    else:
        found = pair_match(pairs, data.firm_nodes, data.chain, firm_id=firm_id, node_id=node_id)
        match, hop = found[C.MATCH].to_numpy(float), found[C.HOP].to_numpy(float)
    put(C.MATCH, match)
    put(C.HOP, hop)
    for name in (C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS):
        put(name, at_node(weak[name]))
    put(WEAK_LINK_FIT, match * at_node(weak[C.WEAK_LINK_SCORE]))
    distance, tz_gap = firms.geography(data.region)
    put(C.DISTANCE_KM, at_firm(distance))
    put(TZ_GAP_H, at_firm(tz_gap))
    country = at_firm.codes(firms.country_code)  # -1: no country or no such firm
    put(COMMON_LANGUAGE, firms.chinese[country])  # the last entry, NaN, stands for -1
    control = nodes.control_matrix(firms.countries)
    put(HOME_EXPORT_CONTROL, np.where(at_node.missing, np.nan,
                                      control[country, at_node.safe]))
    put(LEADER_CUSTOMERS, at_node(nodes.leader_customers))
    put(LEADER_SUPPLIERS, at_node(nodes.leader_suppliers))
    put(LOCAL_COMPETITORS, at_node(nodes.local_competitors))
    for name, values in _engagement(pairs[firm_id], day, data.outcomes).items():
        put(name, values)

    own = pairs[[c for c in pairs.columns if c not in _by_name()]].reset_index(drop=True)
    frame = pd.concat([own, block.frame()], axis=1)
    frame.index = pairs.index
    return frame


class _Gather:
    """Take values at positions (-1: not found, giving NaN), with the masks computed once."""

    def __init__(self, pos: np.ndarray):
        self.missing = pos < 0
        self.any_missing = bool(self.missing.any())
        self.safe = np.where(self.missing, 0, pos) if self.any_missing else pos

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if not len(values):
            return np.full(len(self.safe), np.nan)
        out = np.asarray(values, float).take(self.safe)
        if self.any_missing:
            out[self.missing] = np.nan
        return out

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Integer codes at the positions, -1 where not found."""
        if not len(values):
            return np.full(len(self.safe), -1, np.int64)
        out = values.take(self.safe)
        if self.any_missing:
            out[self.missing] = -1
        return out


class _Block:
    """The feature columns as one preallocated float32 block, in registry order."""

    def __init__(self, n: int):
        self._row = {f.name: i for i, f in enumerate(FEATURES)}
        self._values = np.empty((len(FEATURES), n), dtype=np.float32)
        self._done: set[str] = set()

    def put(self, name: str, values) -> None:
        self._values[self._row[name]] = values
        self._done.add(name)

    def frame(self) -> pd.DataFrame:
        missing = [name for name in self._row if name not in self._done]
        if missing:
            raise RuntimeError(f"features not computed: {', '.join(missing)}")
        return pd.DataFrame(self._values.T, columns=list(self._row), copy=False)


# --- training and serving -------------------------------------------------------------------

# training_frame's columns: the date each contact first reached stage 0, 1 … 4 (NaT: never)
REACHED = tuple(f"reached_{s}" for s in range(5))


def training_frame(data, weak_links: pd.DataFrame) -> pd.DataFrame:
    """Return one ranking row per contact, with features as of its campaign's date.

    Each (campaign, node, firm) contact becomes one row, labelled with the furthest stage its
    outcome rows record. The pair's date is the campaign's date (for a campaign missing from
    ``data.campaigns``, the earliest outcome date recorded for it); contacts for a node outside
    the chain are left out.

    Returns
    -------
    DataFrame
        ``firm_id``, ``node_id``, ``campaign_id``, ``date``, ``label`` (int64, 0..4),
        ``reached_0`` … ``reached_4`` (when the contact first reached each stage, for
        :func:`labels_as_of`), ``group_id`` (``campaign_id + "|" + node_id``), the registry
        features, and
        ``true_utility`` when ``data.truth`` is given; sorted by date, group and firm, so that
        each group's rows are contiguous; a fresh RangeIndex.

    Examples
    --------
    >>> frame = training_frame(data, weak_links)                            # doctest: +SKIP
    >>> frame.groupby("group_id", sort=False).size().is_monotonic_increasing  # doctest: +SKIP
    """
    outcomes = data.outcomes
    keys = [C.CAMPAIGN_ID, C.NODE_ID, C.FIRM_ID]
    stage = outcomes[C.OUTCOME_STAGE].to_numpy()
    dated = outcomes[C.DATE].to_numpy("datetime64[ms]")
    # when each contact first reached stage s or better (NaT: never), for labels as of a date
    reached = {REACHED[s]: np.where(stage >= s, dated, np.datetime64("NaT"))
               for s in range(len(REACHED))}
    contacts = (outcomes[keys].assign(**{C.LABEL: stage, "first": dated}, **reached)
                .groupby(keys, sort=False, observed=True)
                .agg(**{C.LABEL: (C.LABEL, "max"), "first": ("first", "min")},
                     **{name: (name, "min") for name in REACHED})
                .reset_index())
    contacts = contacts[contacts[C.NODE_ID].isin(set(data.chain.node_ids))]
    campaigns = data.campaigns.drop_duplicates(C.CAMPAIGN_ID)
    started = pd.Series(campaigns[C.DATE].to_numpy("datetime64[ms]"),
                        index=campaigns[C.CAMPAIGN_ID].astype("str").to_numpy())
    campaign = contacts[C.CAMPAIGN_ID].astype("str")
    first_seen = contacts.groupby(C.CAMPAIGN_ID)["first"].transform("min")
    dates = started.reindex(campaign.to_numpy()).to_numpy("datetime64[ms]")
    pairs = pd.DataFrame({
        C.FIRM_ID: contacts[C.FIRM_ID].astype("str").to_numpy(),
        C.NODE_ID: contacts[C.NODE_ID].astype("str").to_numpy(),
        C.CAMPAIGN_ID: campaign.to_numpy(),
        C.DATE: np.where(np.isnat(dates), first_seen.to_numpy("datetime64[ms]"), dates),
        C.LABEL: contacts[C.LABEL].to_numpy(np.int64),
    })
    pairs[C.GROUP_ID] = pairs[C.CAMPAIGN_ID] + "|" + pairs[C.NODE_ID]
    for name in REACHED:
        pairs[name] = contacts[name].to_numpy("datetime64[ms]")
    pairs = pairs.sort_values([C.DATE, C.GROUP_ID, C.FIRM_ID], kind="stable", ignore_index=True)
    frame = build_features(pairs, data, weak_links)
    if data.truth is not None:
        frame[C.TRUE_UTILITY] = _truth_of(frame, data.truth)
    return frame


def labels_as_of(frame: pd.DataFrame, when) -> pd.DataFrame:
    """Return the rows of a :func:`training_frame` whose outcome was known before ``when``,
    labelled with the furthest stage recorded before it.

    A model measured on a later window must learn only what was known when that window began:
    a contact still running then (its MoU signed afterwards) counts with the stage it had
    reached, and a contact with no outcome recorded yet is left out. A frame without the
    ``reached_*`` columns is returned as it is.
    """
    if not set(REACHED) <= set(frame.columns):
        return frame
    cutoff = np.datetime64(pd.Timestamp(when), "ms")
    known = np.stack([frame[name].to_numpy("datetime64[ms]") < cutoff for name in REACHED],
                     axis=1)  # NaT compares False: never reached
    keep = known[:, 0]
    out = frame[keep].copy()
    out[C.LABEL] = known[keep].sum(axis=1).astype(np.int64) - 1
    return out.reset_index(drop=True)


def truth_frame(data, weak_links: pd.DataFrame,
                campaign_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Return every candidate of some campaigns of a demo world, contacted or not.

    The candidates are those of the synthetic truth (``data.truth``): every firm the generator
    considered for the campaign's weak link, with its ``true_utility``. Features are as of the
    campaign's date, as in :func:`training_frame`; there is no observed label (an evaluation
    draws outcome stages from the true utilities, see ``recommender.ranking.evaluation``).

    Parameters
    ----------
    campaign_ids : the campaigns to keep (all of the truth's when None).

    Returns
    -------
    DataFrame
        ``firm_id``, ``node_id``, ``campaign_id``, ``date``, ``group_id``, ``true_utility`` and
        the registry features; sorted by date, group and firm; a fresh RangeIndex.

    Raises
    ------
    DataError
        If ``data`` has no truth (only a generated demo world has one), or a truth campaign is
        missing from ``data.campaigns``.

    Examples
    --------
    >>> every = truth_frame(data, weak_links, ["C2026-01-02"])          # doctest: +SKIP
    >>> every.groupby("group_id").size().iloc[0] > 1000                  # doctest: +SKIP
    True
    """
    if data.truth is None:
        raise DataError("no synthetic truth: every-candidate frames exist for demo worlds only")
    truth = data.truth
    if campaign_ids is not None:
        truth = truth[_is_in(truth[C.CAMPAIGN_ID], set(map(str, campaign_ids)))]
    campaign = truth[C.CAMPAIGN_ID].astype("str").to_numpy()
    campaigns = data.campaigns.drop_duplicates(C.CAMPAIGN_ID)
    started = pd.Series(campaigns[C.DATE].to_numpy("datetime64[ms]"),
                        index=campaigns[C.CAMPAIGN_ID].astype("str").to_numpy())
    dates = started.reindex(campaign).to_numpy("datetime64[ms]")
    if np.isnat(dates).any():
        lost = campaign[np.isnat(dates)][0]
        raise DataError(f"truth: campaign {lost!r} is not among the campaigns")
    pairs = pd.DataFrame({
        C.FIRM_ID: truth[C.FIRM_ID].astype("str").to_numpy(),
        C.NODE_ID: truth[C.NODE_ID].astype("str").to_numpy(),
        C.CAMPAIGN_ID: campaign, C.DATE: dates,
        C.TRUE_UTILITY: truth[C.TRUE_UTILITY].to_numpy(np.float64),
    })
    pairs = pairs[pairs[C.NODE_ID].isin(set(data.chain.node_ids))]
    pairs[C.GROUP_ID] = pairs[C.CAMPAIGN_ID] + "|" + pairs[C.NODE_ID]
    pairs = pairs.sort_values([C.DATE, C.GROUP_ID, C.FIRM_ID], kind="stable", ignore_index=True)
    return build_features(pairs, data, weak_links)


def serving_frame(data, weak_links: pd.DataFrame, node_ids: Sequence[str], *, as_of=None,
                  hop_discount: float = HOP_DISCOUNT,
                  include_neighbours: bool = True) -> pd.DataFrame:
    """Return the live candidates of ``node_ids`` with their features as of ``as_of``.

    The candidates are those of :func:`~recommender.ranking.candidates.candidate_pairs` (non-local
    firms, hop 0 or 1); ``date`` is ``as_of`` (:func:`default_as_of` when None) on every row.

    Examples
    --------
    >>> live = serving_frame(data, weak_links, ["vacuum_pumps", "lasers"])  # doctest: +SKIP
    >>> live.columns[:4].tolist()                                          # doctest: +SKIP
    ['firm_id', 'node_id', 'date', 'log10_employees']
    """
    when = pd.Timestamp(as_of).normalize() if as_of is not None else default_as_of(data)
    pairs = candidate_pairs(data.firms, data.firm_nodes, data.chain, node_ids,
                            region=data.region, hop_discount=hop_discount,
                            include_neighbours=include_neighbours)
    pairs[C.DATE] = np.full(len(pairs), np.datetime64(when, "ms"))
    return build_features(pairs, data, weak_links)


def contacted_pairs(data) -> pd.DataFrame:
    """Return every (firm, node) pair with a recorded outcome: its latest date and best stage.

    Columns ``firm_id``, ``node_id``, ``date``, ``stage``; one row per pair.
    """
    o = data.outcomes
    if not len(o):
        return pd.DataFrame({C.FIRM_ID: pd.Series([], dtype="str"),
                             C.NODE_ID: pd.Series([], dtype="str"),
                             C.DATE: pd.Series([], dtype="datetime64[ms]"),
                             C.OUTCOME_STAGE: pd.Series([], dtype="int64")})
    return (o.groupby([C.FIRM_ID, C.NODE_ID], sort=True, observed=True)
            .agg(**{C.DATE: (C.DATE, "max"), C.OUTCOME_STAGE: (C.OUTCOME_STAGE, "max")})
            .reset_index())


def drop_contacted(pairs: pd.DataFrame, data, *, firm_id: str = C.FIRM_ID,
                   node_id: str = C.NODE_ID) -> pd.DataFrame:
    """Return the rows of ``pairs`` whose (firm, node) pair has no recorded outcome."""
    seen = contacted_pairs(data)
    maybe = np.flatnonzero(_is_in(pairs[firm_id], seen[C.FIRM_ID]))  # firms with outcomes
    known = pd.MultiIndex.from_arrays([seen[C.FIRM_ID].astype("str"),
                                       seen[C.NODE_ID].astype("str")])
    mine = pd.MultiIndex.from_arrays([pairs[firm_id].iloc[maybe].astype("str"),
                                      pairs[node_id].iloc[maybe].astype("str")])
    drop = np.zeros(len(pairs), bool)
    drop[maybe[mine.isin(known)]] = True
    return pairs[~drop]


# --- context cached per table ---------------------------------------------------------------

class _FirmContext:
    """The firm table as arrays: the ids, float columns on demand, country codes."""

    def __init__(self, firms: pd.DataFrame):
        self.ids = arrow_strings(firms[C.FIRM_ID])
        distinct = pc.count_distinct(self.ids, mode="all").as_py()
        if distinct != len(self.ids):
            dup = firms[C.FIRM_ID][firms[C.FIRM_ID].duplicated()].iloc[0]
            raise DataError(f"firms: firm_id {dup!r} appears more than once")
        self._firms = firms
        self._columns: dict[str, np.ndarray] = {}
        self._geography: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        country = (firms[C.COUNTRY] if C.COUNTRY in firms.columns
                   else pd.Series(pd.NA, index=firms.index, dtype="str"))
        codes, countries = pd.factorize(country.astype("str").str.upper())
        self.country_code = codes.astype(np.int64)
        self.countries = [str(c) for c in countries]
        # per country, then one more entry for "no country" (code -1)
        self.chinese = np.array([float(c in COMMON_LANGUAGE_ZH) for c in self.countries]
                                + [np.nan])
        sizes = (firms[C.SIZE_CLASS] if C.SIZE_CLASS in firms.columns
                 else pd.Series(pd.NA, index=firms.index, dtype="str"))
        codes, names = pd.factorize(sizes.astype("str"))
        ranks = {s: float(i) for i, s in enumerate(SIZE_CLASSES)}
        by_code = np.array([ranks.get(str(n).strip().lower(), np.nan) for n in names]
                           + [np.nan])
        self.size_rank = by_code[codes]

    def column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            self._columns[name] = (_floats(self._firms[name]) if name in self._firms.columns
                                   else np.full(len(self.ids), np.nan))
        return self._columns[name]

    def geography(self, region) -> tuple[np.ndarray, np.ndarray]:
        """Per firm: km to the region's core, and the time-zone gap to it in hours."""
        key = (float(region.core_lat), float(region.core_lon), str(region.country))
        if key not in self._geography:
            lat, lon = self.column(C.LAT), self.column(C.LON)
            distance = haversine_km(lat, lon, region.core_lat, region.core_lon)
            d = np.abs(lon - region.core_lon) % 360
            gap = np.minimum(d, 360 - d) / 15
            need = np.isnan(lon) & (self.country_code >= 0)
            if need.any():  # no coordinates: compare standard UTC offsets of the countries
                offsets = np.array([_utc_offset(c) for c in self.countries] + [np.nan])
                by_country = np.abs(offsets[self.country_code] - _utc_offset(key[2])) % 24
                gap = np.where(need, np.minimum(by_country, 24 - by_country), gap)
            self._geography = {key: (distance, gap)}
        return self._geography[key]


class _NodeContext:
    """Per-node arrays in chain order: leaders next door, local competitors, export controls."""

    def __init__(self, data):
        chain, region = data.chain, data.region
        self.index = pd.Index(chain.node_ids)
        self.ids = arrow_strings(pd.Series(chain.node_ids, dtype="str"))
        links = data.firm_nodes[[C.FIRM_ID, C.NODE_ID, C.CONFIDENCE]]
        links = links[_is_in(links[C.NODE_ID], self.index)]
        links = links[~(_floats(links[C.CONFIDENCE]) <= 0)]  # confidence 0: not active
        leaders = set(region.leader_needs[C.LEADER_FIRM_ID].astype("str")) if len(
            region.leader_needs) else set()
        led = links[_is_in(links[C.FIRM_ID], leaders)]
        active = led.groupby(C.NODE_ID)[C.FIRM_ID].agg(lambda s: set(s.astype("str")))
        leaders_in = {v: active.get(v, set()) & leaders for v in self.index}
        self.leader_customers = np.array(
            [len(set().union(*(leaders_in[u] for u in chain.consumers(v)))) for v in self.index],
            dtype=float)
        self.leader_suppliers = np.array(
            [len(set().union(*(leaders_in[u] for u in chain.suppliers(v)))) for v in self.index],
            dtype=float)
        firms = data.firms
        home = (firms[C.COUNTRY] == region.country).fillna(False).to_numpy(bool)
        at_home = firms.loc[home, [C.FIRM_ID, C.COUNTRY, C.PROVINCE, C.CITY]]
        local_ids = at_home.loc[local_mask(at_home, region), C.FIRM_ID].astype("str")
        local_links = links[_is_in(links[C.FIRM_ID], local_ids)]
        counts = local_links.groupby(C.NODE_ID)[C.FIRM_ID].nunique()
        self.local_competitors = counts.reindex(self.index).fillna(0).to_numpy(float)
        controls = region.export_controls
        self._controls = controls[controls[C.NODE_ID].isin(self.index)] if len(controls) else None
        self._matrix: tuple[tuple[str, ...], np.ndarray] | None = None

    def control_matrix(self, countries: list[str]) -> np.ndarray:
        """Export control (0..1) by country row and node column; 0 where the table has none."""
        key = tuple(countries)
        if self._matrix is None or self._matrix[0] != key:
            matrix = np.zeros((len(countries) + 1, len(self.index)))
            matrix[-1] = np.nan  # the row of "no country" (code -1)
            if self._controls is not None and len(self._controls):
                table = self._controls.pivot_table(index=C.ORIGIN, columns=C.NODE_ID,
                                                   values=C.CONTROL, aggfunc="max")
                table = table.reindex(index=countries, columns=self.index)
                matrix[:len(countries)] = table.fillna(0.0).to_numpy(float)
            self._matrix = (key, matrix)
        return self._matrix[1]


_FIRM_CACHE: dict[int, tuple[weakref.ref, _FirmContext]] = {}
_NODE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _firm_context(firms: pd.DataFrame) -> _FirmContext:
    """The firm context of ``firms``, built once per table object (tables are not mutated)."""
    hit = _FIRM_CACHE.get(id(firms))
    if hit is not None and hit[0]() is firms:
        return hit[1]
    context = _FirmContext(firms)
    key = id(firms)
    forget = functools.partial(_forget, _FIRM_CACHE, key)  # binds the dict: safe at exit
    _FIRM_CACHE[key] = (weakref.ref(firms, forget), context)
    return context


def _forget(cache: dict, key: int, _ref) -> None:
    cache.pop(key, None)


def _node_context(data) -> _NodeContext:
    """The node context of a ``ChainData``, built once per bundle (bundles are immutable)."""
    context = _NODE_CACHE.get(data)
    if context is None:
        context = _NODE_CACHE[data] = _NodeContext(data)
    return context


# --- helpers --------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, names: list[str], what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _floats(values: pd.Series) -> np.ndarray:
    """Return a column as float64, missing values (and text that is not a number) as NaN."""
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        values = pd.to_numeric(values.astype(object).where(values.notna(), np.nan),
                               errors="coerce")
    return values.to_numpy(float, na_value=np.nan)


def _is_in(values: pd.Series, wanted) -> np.ndarray:
    """Whether each value is one of ``wanted`` (an Arrow hash lookup; missing: False)."""
    found = pc.is_in(arrow_strings(values),
                     value_set=arrow_strings(pd.Series(list(wanted), dtype="str")).combine_chunks())
    return np.asarray(found.fill_null(False).to_numpy(), bool)


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def _pair_days(pairs: pd.DataFrame, date: str, as_of, data) -> np.ndarray:
    """Each pair's date as datetime64[D]: its own date, else ``as_of``, else the default."""
    fallback = np.datetime64(
        (pd.Timestamp(as_of) if as_of is not None else default_as_of(data)).normalize(), "D")
    if date not in pairs.columns:
        return np.full(len(pairs), fallback)
    own = pd.to_datetime(pairs[date]).to_numpy("datetime64[D]")
    return np.where(np.isnat(own), fallback, own)


@functools.cache
def _utc_offset(iso2: str) -> float:
    from recommender.firms.countries import country_info

    try:
        offset = country_info(iso2)["utc_offset_h"]
    except NotFoundError:
        return np.nan
    return np.nan if offset is None else float(offset)


def _weak_link_arrays(weak_links: pd.DataFrame, index: pd.Index) -> dict[str, np.ndarray]:
    _require(weak_links, [C.NODE_ID], "weak links")
    ids = weak_links[C.NODE_ID].astype("str")
    if ids.duplicated().any():
        raise DataError(f"weak links: node {ids[ids.duplicated()].iloc[0]!r} appears twice")
    table = weak_links.set_index(ids)
    return {name: (_floats(table[name].reindex(index)) if name in table.columns
                   else np.full(len(index), np.nan))
            for name in (C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS)}


def _engagement(firm: pd.Series, day: np.ndarray, outcomes: pd.DataFrame) -> dict:
    """Contacts, declines, best and mean stage, days since the latest outcome, before ``day``.

    Outcome rows and pairs get one int64 key each, firm code x 2^32 + day, so that one sorted
    search per pair counts a firm's earlier rows; a contact (campaign, node) counts once, at the
    date of its first outcome row. The mean stage is the mean over those contacts of the
    furthest stage each had reached before ``day`` (a contact recorded at several stages counts
    once). Only pairs whose firm has outcomes are searched.
    """
    n = len(firm)
    out = {PRIOR_CONTACTS: np.zeros(n), PRIOR_DECLINES: np.zeros(n),
           BEST_PRIOR_STAGE: np.full(n, np.nan), MEAN_PRIOR_STAGE: np.full(n, np.nan),
           DAYS_SINCE_CONTACT: np.full(n, np.nan)}
    outcomes = outcomes[outcomes[C.DATE].notna()]
    if not len(outcomes) or not n:
        return out
    o_firm = outcomes[C.FIRM_ID].astype("str")
    universe = arrow_strings(pd.Series(o_firm.unique(), dtype="str"))
    o_code = index_in(o_firm, universe)
    o_day = outcomes[C.DATE].to_numpy("datetime64[D]").astype(np.int64)
    stage = outcomes[C.OUTCOME_STAGE].to_numpy(np.int64)
    code = index_in(firm, universe)
    at = np.flatnonzero(code >= 0)
    if not len(at):
        return out
    pair_day = day[at].astype("datetime64[D]").astype(np.int64)
    pair_key = code[at] * (1 << 32) + (pair_day + (1 << 31))
    block = code[at] * (1 << 32)

    def keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        return codes * (1 << 32) + (days + (1 << 31))

    def before(sorted_keys: np.ndarray) -> np.ndarray:
        """For each pair, how many of its firm's rows are dated before the pair's day."""
        return np.searchsorted(sorted_keys, pair_key) - np.searchsorted(sorted_keys, block)

    order = np.argsort(keys(o_code, o_day), kind="stable")
    row_keys = keys(o_code, o_day)[order]
    rows_before = before(row_keys)
    has = rows_before > 0
    last = np.maximum(np.searchsorted(row_keys, pair_key) - 1, 0)
    best = pd.Series(stage[order]).groupby(o_code[order]).cummax().to_numpy(float)
    out[BEST_PRIOR_STAGE][at] = np.where(has, best[last], np.nan)
    out[DAYS_SINCE_CONTACT][at] = np.where(has, pair_day - o_day[order][last], np.nan)
    declined = stage == 0
    out[PRIOR_DECLINES][at] = before(np.sort(keys(o_code[declined], o_day[declined])))
    contact = pd.DataFrame({"code": o_code, "day": o_day,
                            "campaign": outcomes[C.CAMPAIGN_ID].astype("str").to_numpy(),
                            "node": outcomes[C.NODE_ID].astype("str").to_numpy()})
    first = contact.groupby(["code", "campaign", "node"], sort=False)["day"].min()
    first_codes = first.index.get_level_values("code").to_numpy(np.int64)
    contacts = before(np.sort(keys(first_codes, first.to_numpy(np.int64))))
    out[PRIOR_CONTACTS][at] = contacts
    # each row's rise of its contact's furthest stage (rows in date order): summed over a
    # firm's rows before the day, it gives the sum over contacts of their furthest stage then
    contact["stage"] = stage
    contact = contact.sort_values("day", kind="stable")
    furthest = contact.groupby(["code", "campaign", "node"], sort=False)["stage"].cummax()
    was = furthest.groupby([contact["code"], contact["campaign"], contact["node"]],
                           sort=False).shift(fill_value=0)
    rise = (furthest - was).reindex(np.arange(len(contact))).to_numpy(float)
    summed = np.r_[0.0, np.cumsum(rise[order])]
    total = summed[np.searchsorted(row_keys, pair_key)] - summed[np.searchsorted(row_keys, block)]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[MEAN_PRIOR_STAGE][at] = np.where(contacts > 0, total / np.maximum(contacts, 1), np.nan)
    return out


def _truth_of(frame: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true utility of each (campaign, firm, node) row of ``frame`` (NaN where absent)."""
    truth = truth[_is_in(truth[C.FIRM_ID], frame[C.FIRM_ID].unique())]  # the truth is large
    key = pd.MultiIndex.from_arrays([truth[C.CAMPAIGN_ID].astype("str"),
                                     truth[C.FIRM_ID].astype("str"),
                                     truth[C.NODE_ID].astype("str")])
    values = pd.Series(truth[C.TRUE_UTILITY].to_numpy(np.float64), index=key)
    values = values[~values.index.duplicated()]
    want = pd.MultiIndex.from_arrays([frame[C.CAMPAIGN_ID].astype("str"),
                                      frame[C.FIRM_ID].astype("str"),
                                      frame[C.NODE_ID].astype("str")])
    return values.reindex(want).to_numpy(np.float64)
