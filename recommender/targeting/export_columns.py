"""What the columns of an exported list are called, what they mean, and how they are shown.

One row per column, in three tables read by :mod:`recommender.targeting.exports`:

- :data:`HEADERS`: the header, in Chinese and in English;
- :data:`DESCRIPTIONS`: what the column holds, for the second sheet of a workbook (列说明);
- :data:`NUMBER_FORMATS`: how a number is shown: a likelihood or a share as a percentage
  (``0.0%``), a value with three decimals, an impact or a score with two, a day as a date.
  CSV writes the same rounding as text (``12.3%``), which Excel reads back as a number.

The lists a file holds, in order: :data:`RECOMMENDATION_EXPORT_COLUMNS` (a weak link's firms)
and :data:`TARGET_EXPORT_COLUMNS` (the target list). ``name`` is the firm's name in the file's
language (its Chinese name with ``zh`` when it has one) and ``other_name`` its name in the other
language; the ids come last, for the officer who looks a firm up again.

>>> HEADERS[C.LIKELIHOOD], NUMBER_FORMATS[C.LIKELIHOOD]
(('签约概率', 'Likelihood'), '0.0%')
"""

from __future__ import annotations

from recommender import columns as C
from recommender.diagnosis.weak_links import CAN_RECRUIT, MISSING_INPUTS
from recommender.firms import sizes as SIZES
from recommender.targeting.portfolio import COVERAGE_SHARE, COVERS, MARGINAL_GAIN, OBJECTIVE, PICK

__all__ = [
    "BEST_PARK",
    "BEST_PARK_SCORE",
    "DATA_KIND",
    "DATE_FORMAT",
    "DESCRIPTIONS",
    "HEADERS",
    "LAST_CONTACT",
    "LAST_CONTACT_STAGE",
    "NODE_NAME",
    "NUMBER_FORMATS",
    "OTHER_NAME",
    "PERCENT",
    "REASON",
    "RECOMMENDATION_EXPORT_COLUMNS",
    "REGISTRATION",
    "SIZE_WORDS",
    "TARGET_EXPORT_COLUMNS",
]

# Columns of files only, filled by :func:`recommender.targeting.export_rows.officer_rows`
NODE_NAME = "node_name"  # the weak link's name in the file's language
REASON = "reason"  # the reasons in the file's language
OTHER_NAME = "other_name"  # the firm's name in the other language
REGISTRATION = "registration"  # credit code (统一社会信用代码), else stock symbol or ISIN
LAST_CONTACT = "last_contact"  # day of the firm's latest recorded outcome, any weak link
LAST_CONTACT_STAGE = "last_contact_stage"  # the stage that outcome reached
BEST_PARK = "best_park"  # the park that suits the firm best, by name
BEST_PARK_SCORE = "best_park_score"  # that pair's park-match score
DATA_KIND = "data_kind"  # real or synthetic, in words

PERCENT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"

# column -> (Chinese header, English header)
HEADERS: dict[str, tuple[str, str]] = {
    C.RANK: ("排名", "Rank"),
    PICK: ("入选顺序", "Pick"),
    C.FIRM_ID: ("企业编号", "Firm ID"),
    C.NAME: ("企业名称", "Firm name"),
    C.NAME_ZH: ("中文名称", "Chinese name"),
    OTHER_NAME: ("英文名称", "Chinese name"),  # the name in the other language
    "firm_name_zh": ("企业中文名称", "Chinese name"),
    C.COUNTRY: ("国家/地区", "Country/region"),
    C.CITY: ("城市", "City"),
    C.LAT: ("纬度", "Latitude"),
    C.LON: ("经度", "Longitude"),
    C.SIZE_CLASS: ("规模", "Size"),
    C.WEBSITE: ("网站", "Website"),
    REGISTRATION: ("统一社会信用代码/证券代码", "Credit code / listing"),
    C.NODE_ID: ("薄弱环节编号", "Weak link ID"),
    NODE_NAME: ("薄弱环节", "Weak link"),
    C.SCORE: ("得分", "Score"),
    C.P_SUCCESS: ("成功概率", "Probability of success"),
    C.VALUE: ("期望价值（签约概率×补链作用）", "Expected value (likelihood × impact)"),
    C.LIKELIHOOD: ("签约概率", "Likelihood"),
    C.IMPACT: ("补链作用（0–1）", "Impact (0–1)"),
    C.BASE_RATE: ("基准签约率", "Base rate"),
    REASON: ("推荐理由", "Reasons"),
    C.REASONS: ("推荐理由", "Reasons"),
    C.SOURCE: ("数据来源", "Data source"),
    C.IS_SYNTHETIC: ("合成数据", "Synthetic"),
    DATA_KIND: ("数据性质", "Data"),
    C.MODEL_VERSION: ("模型版本", "Model version"),
    C.RECRUITMENT_STAGE: ("招商进展", "Recruitment stage"),
    LAST_CONTACT: ("最近接触日期", "Last contact"),
    LAST_CONTACT_STAGE: ("最近接触结果", "Last contact result"),
    BEST_PARK: ("最佳匹配园区", "Best-matching park"),
    BEST_PARK_SCORE: ("园区匹配度", "Park match"),
    MARGINAL_GAIN: ("边际增益", "Marginal gain"),
    OBJECTIVE: ("累计覆盖", "Coverage so far"),
    COVERAGE_SHARE: ("覆盖率", "Coverage share"),
    COVERS: ("覆盖的薄弱环节", "Weak links covered"),
    C.HOP: ("链上距离", "Chain hop"),
    C.MATCH: ("匹配度", "Match"),
    C.NODE_NAME_EN: ("英文名称", "English name"),
    C.STAGE: ("环节位置", "Stage"),
    C.SEGMENT: ("细分领域", "Segment"),
    C.WEAK_LINK_SCORE: ("薄弱度得分", "Weak-link score"),
    C.LOCAL_FIRMS: ("本地企业数", "Local firms"),
    C.LOCAL_GAP: ("本地缺口", "Local gap"),
    C.DEMAND: ("需求", "Demand"),
    C.IMPORT_DEPENDENCE: ("进口依存度", "Import dependence"),
    C.CONCENTRATION: ("来源集中度", "Source concentration"),
    C.EXPORT_CONTROL: ("出口管制敞口", "Export-control exposure"),
    C.CRITICALITY: ("关键性", "Criticality"),
    CAN_RECRUIT: ("可招商", "Can recruit"),
    MISSING_INPUTS: ("缺失数据", "Missing inputs"),
}

# column -> (Chinese, English): what a column holds, as the workbook's second sheet says it
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    C.RANK: ("名单中的位置，1 为最优先", "Position in the list, 1 first"),
    C.NAME: ("企业名称（有中文名称时为中文）", "The firm's name (English or romanised)"),
    OTHER_NAME: ("企业的英文名称", "The firm's Chinese name, where known"),
    C.COUNTRY: ("企业总部所在的国家或地区", "Country or region of the firm's head office"),
    C.CITY: ("企业总部所在城市", "City of the firm's head office"),
    C.SIZE_CLASS: ("企业规模，用《统计上大中小微型企业划分办法（2017）》的四个等级：" + "；".join(
        f"{SIZES.SIZE_WORDS[word][0]}，{band}" for word, (band, _) in SIZES.SIZE_BANDS.items()),
                   "Firm size in the four words of China's size standard: " + "; ".join(
        f"{SIZES.SIZE_WORDS[word][1]}, {band}" for word, (_, band) in SIZES.SIZE_BANDS.items())),
    C.WEBSITE: ("企业网站", "The firm's website"),
    REGISTRATION: ("中国企业的统一社会信用代码；上市企业为证券代码或 ISIN",
                   "Unified social credit code of a Chinese firm; for a listed firm its "
                   "ticker or ISIN"),
    NODE_NAME: ("该企业可填补的薄弱环节", "The weak link the firm could fill"),
    C.VALUE: ("签约概率 × 补链作用：预计能填补该环节缺口的份额，名单默认按此排序",
              "Likelihood × impact: the expected share of the weak link filled; the list's "
              "default order"),
    C.LIKELIHOOD: ("过去同类接触中达成签约（合作备忘录）或更进一步的比例，按模型校准",
                   "Share of similar past contacts that reached an MoU or better, calibrated "
                   "by the model"),
    C.IMPACT: ("0–1：企业落地后可填补该环节缺口的程度",
               "0–1: how much of the weak link the firm could fill if it came"),
    C.BASE_RATE: ("全部已记录接触中达成签约或更进一步的比例，是签约概率的比较基准",
                  "Share of all recorded contacts that reached an MoU or better: what a "
                  "likelihood compares with"),
    C.SCORE: ("模型的排序得分，只用于比较同一名单内的先后",
              "The model's ranking score; compare it within one list only"),
    C.RECRUITMENT_STAGE: ("该企业在此薄弱环节上已记录的最佳招商进展",
                          "The furthest stage recorded for the firm and this weak link"),
    LAST_CONTACT: ("该企业最近一次有记录的接触日期（任一环节）",
                   "Day of the firm's latest recorded contact (any weak link)"),
    LAST_CONTACT_STAGE: ("最近一次接触达到的进展", "The stage that latest contact reached"),
    BEST_PARK: ("可见园区中与该企业最匹配的园区", "The park, of those visible, that suits the "
                                                   "firm best"),
    BEST_PARK_SCORE: ("0–1：企业与该园区的匹配度（协同、主导产业、承载能力、距离）",
                      "0–1: how well the firm suits that park (synergy, focus, capacity, "
                      "distance)"),
    REASON: ("推荐该企业的主要理由", "Why the firm is recommended"),
    DATA_KIND: ("真实数据：来自公开来源；合成数据：演示用的虚构企业",
                "Real: from public sources; synthetic: an invented firm for the demo"),
    C.FIRM_ID: ("系统内的企业编号", "The firm's id in ChainScout"),
    C.NODE_ID: ("系统内的薄弱环节编号", "The weak link's id in ChainScout"),
    C.MODEL_VERSION: ("计算得分的模型版本", "Version of the model that scored the list"),
    MARGINAL_GAIN: ("入选时为名单新增的覆盖", "Coverage the firm added when it was picked"),
    COVERAGE_SHARE: ("至此名单对各薄弱环节的累计覆盖率",
                     "Share of the weak links covered by the list so far"),
    COVERS: ("该企业为之增加覆盖的薄弱环节", "The weak links where the firm adds coverage"),
}

# size class -> (Chinese, English): the four words of China's size standard (大型, 中型, 小型,
# 微型), as the pages name them (recommender.firms.sizes)
SIZE_WORDS: dict[str, tuple[str, str]] = SIZES.SIZE_CLASS_WORDS

# column -> Excel number format (CSV rounds alike)
NUMBER_FORMATS: dict[str, str] = {
    C.LIKELIHOOD: PERCENT, C.P_SUCCESS: PERCENT, C.BASE_RATE: PERCENT, COVERAGE_SHARE: PERCENT,
    C.VALUE: "0.000", MARGINAL_GAIN: "0.000", C.IMPACT: "0.00", C.SCORE: "0.00",
    OBJECTIVE: "0.00", BEST_PARK_SCORE: "0.00", C.MATCH: "0.00", C.WEAK_LINK_SCORE: "0.00",
    LAST_CONTACT: DATE_FORMAT,
}

# What a file of recommendations or of a target list holds, in order.
RECOMMENDATION_EXPORT_COLUMNS = [
    C.RANK, C.NAME, OTHER_NAME, C.COUNTRY, C.CITY, C.SIZE_CLASS, C.WEBSITE, REGISTRATION,
    NODE_NAME, C.VALUE, C.LIKELIHOOD, C.IMPACT, C.BASE_RATE, C.SCORE, C.RECRUITMENT_STAGE,
    LAST_CONTACT, LAST_CONTACT_STAGE, BEST_PARK, BEST_PARK_SCORE, REASON, DATA_KIND,
    C.FIRM_ID, C.NODE_ID,
]
TARGET_EXPORT_COLUMNS = [
    C.RANK, C.NAME, OTHER_NAME, C.COUNTRY, C.CITY, C.SIZE_CLASS, C.WEBSITE, REGISTRATION,
    NODE_NAME, C.VALUE, C.LIKELIHOOD, C.IMPACT, C.BASE_RATE, C.SCORE, C.RECRUITMENT_STAGE,
    LAST_CONTACT, LAST_CONTACT_STAGE, BEST_PARK, BEST_PARK_SCORE, MARGINAL_GAIN,
    COVERAGE_SHARE, COVERS, REASON, DATA_KIND, C.FIRM_ID, C.NODE_ID,
]
