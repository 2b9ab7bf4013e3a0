"""The texts of the synthetic firms: business scopes (经营范围) and names, in Chinese or English.

A firm's business scope names one or two keywords of each of its nodes, so that a keyword
classifier can recover the nodes, with some noise: a share :data:`NOISE_MISSING` of the firms
omit the keywords of one node, a share :data:`NOISE_MISLEADING` name a keyword of a node they
are not in (:func:`scope_texts`). Firms in mainland China, Taiwan and Hong Kong get Chinese
scopes and Chinese-style names, the others English ones with a brand and a legal suffix
(:func:`firm_names`); a name drawn twice gets a longer brand, so no two firms share one. The
texts are built as Arrow string arrays, a million rows at a time.

>>> take_text(["a", "b"], np.array([1, -1, 0])).to_pylist()
['b', None, 'a']
>>> join_text(take_text(["x"], np.array([0, -1])), "-1").to_pylist()
['x-1', '-1']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex

__all__ = [
    "EN_BRAND_A", "EN_BRAND_B", "EN_FILLERS", "EN_TAILS", "EN_VERBS", "GENERIC_EN", "GENERIC_ZH",
    "INDUSTRY_WORDS", "LEGAL_SUFFIX", "MAX_RENAMING_ROUNDS", "NOISE_MISLEADING", "NOISE_MISSING",
    "ZH_BRAND", "ZH_FILLERS", "ZH_TAIL", "ZH_VERBS", "firm_names", "join_text", "scope_texts",
    "take_text",
]

NOISE_MISSING = 0.05  # share of firms whose text omits the keywords of one of their nodes
NOISE_MISLEADING = 0.03  # share of firms whose text names a keyword of an unrelated node
MAX_RENAMING_ROUNDS = 8  # rounds of lengthening a repeated brand (each clears nearly all repeats)


# --- business scope text --------------------------------------------------------------------

ZH_VERBS = ["的研发、生产和销售", "的设计、制造与销售", "的技术开发、生产及技术服务",
            "的研发、制造、销售及维修"]
ZH_FILLERS = ["技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "货物进出口",
              "技术进出口", "软件开发", "信息系统集成服务", "企业管理咨询", "非居住房地产租赁",
              "普通货物仓储服务", "会议及展览服务"]
ZH_TAIL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
EN_VERBS = ["Designs, manufactures and sells ", "Develops and produces ",
            "Manufactures and distributes ", "Supplies "]
EN_FILLERS = [" for customers worldwide.", " for OEM and end-user customers.",
              " for domestic and export markets.", " under its own brand and as an OEM."]
EN_TAILS = ["", " Provides after-sales service and engineering support.",
            " Offers custom development and system integration.",
            " Sells through distributors in Europe, Asia and the Americas."]
GENERIC_ZH, GENERIC_EN = "机电产品", "industrial products"


def take_text(values, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as an Arrow string array, null where ``idx`` is negative."""
    table = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(idx, np.int64)
    return table.take(pa.array(np.maximum(idx, 0), mask=idx < 0))


def _draw(rng, words: list[str], n: int) -> pa.Array:
    return take_text(words, rng.integers(0, len(words), n))


def join_text(*parts) -> pa.Array:
    """Concatenate strings element-wise; a null part counts as empty."""
    return pc.binary_join_element_wise(*parts, "", null_handling="replace",
                                       null_replacement="")


def scope_texts(rng, links: pd.DataFrame, n: int, chinese: np.ndarray,
                ix: ChainIndex) -> tuple[pa.Array, pa.Array]:
    """Write a scope text per firm from its nodes' keywords; return (texts, link evidence).

    Chinese (经营范围 style) where ``chinese``, English otherwise. Primary nodes give one or
    two keywords, the others one. ``NOISE_MISSING`` of the firms lose the keywords of one of
    their nodes (its evidence is then missing) and ``NOISE_MISLEADING`` gain a keyword of a
    random node that they are not linked to.
    """
    firm, node, rank = (links[k].to_numpy() for k in ("firm", "node", "rank"))
    m = len(firm)
    table = pa.array(list(ix.keyword_table) + [GENERIC_ZH, GENERIC_EN], pa.string())
    first, second = ix.random_keywords(rng, node, chinese[firm])
    second[(rank > 0) | (rng.random(m) < 0.3)] = -1
    counts = np.bincount(firm, minlength=n)
    drop_rank = np.where(rng.random(n) < NOISE_MISSING, (rng.random(n) * counts).astype(int), -1)
    dropped = rank == drop_rank[firm]
    first[dropped], second[dropped] = -1, -1
    # the "skip" join must see a value in every row (Arrow drops rows that are all null)
    evidence = pc.binary_join_element_wise(take_text(table, np.maximum(first, 0)),
                                           take_text(table, second), "; ",
                                           null_handling="skip")
    evidence = pc.if_else(pa.array(dropped), pa.nulls(m, pa.string()), evidence)
    slots = []  # the keywords of each firm's k-th node, -1 where it has none
    for k in range(3):
        for source in (first, second):
            slot = np.full(n, -1, np.int64)
            slot[firm[rank == k]] = source[rank == k]
            slots.append(slot)
    generic = len(table) - 2 + (~chinese).astype(np.int64)  # GENERIC_ZH or GENERIC_EN
    slots[0] = np.where(slots[0] < 0, generic, slots[0])
    mislead = np.full(n, -1, np.int64)
    wrong = np.flatnonzero(rng.random(n) < NOISE_MISLEADING)
    mislead[wrong] = ix.random_keywords(rng, rng.integers(0, ix.n, len(wrong)), chinese[wrong])[0]
    slots.append(mislead)
    sep = take_text(["、", ", "], (~chinese).astype(np.int64))
    words = pc.binary_join_element_wise(*(take_text(table, s) for s in slots), sep,
                                        null_handling="skip")
    fill_a, fill_b = (rng.integers(0, len(ZH_FILLERS), n) for _ in range(2))
    zh = join_text("一般项目：", words, _draw(rng, ZH_VERBS, n), "；",
                   take_text(ZH_FILLERS, fill_a),
                   take_text(["；" + f for f in ZH_FILLERS],
                             np.where(fill_a == fill_b, -1, fill_b)),
                   "。", take_text([ZH_TAIL], np.where(rng.random(n) < 0.6, 0, -1)))
    en = join_text(_draw(rng, EN_VERBS, n), words, _draw(rng, EN_FILLERS, n),
                   _draw(rng, EN_TAILS, n))
    return pc.if_else(pa.array(chinese), zh, en), evidence


# --- names ----------------------------------------------------------------------------------

ZH_BRAND = ("恒heng 精jing 华hua 中zhong 科ke 普pu 天tian 瑞rui 立li 宏hong 创chuang 博bo 汇hui "
            "海hai 新xin 德de 安an 正zheng 光guang 微wei 联lian 东dong 信xin 源yuan 鼎ding 锐rui "
            "泰tai 明ming 聚ju 开kai").split()
EN_BRAND_A = ("Al Be Cor Dex El Fal Gen Hal Ion Kel Lum Mar Nor Opt Pra Qua Ren Sol Tek Ul Ver "
              "Wes Xen Zet").split()
EN_BRAND_B = "ar ex ion is on ora tek tron ix um ent avia".split()
INDUSTRY_WORDS = {
    "optics_photonics": ("光电科技", "Photonics"),
    "electronic_components": ("微电子", "Microelectronics"),
    "vacuum_motion": ("精密机械", "Precision Machinery"), "sensors": ("传感技术", "Sensing"),
    "materials": ("新材料", "Materials"), "machining_equipment": ("数控装备", "Machine Tools"),
    "instrument_parts": ("精密部件", "Precision Components"),
    "industrial_measurement_control": ("自动化仪表", "Automation"),
    "electrical_measurement": ("电子测量", "Test & Measurement"),
    "scientific_analysis": ("分析仪器", "Analytical"), "medical_diagnosis": ("医疗器械", "Medical"),
    "special_detection": ("检测技术", "Inspection"), "optical_instruments": ("光学仪器", "Optics"),
}
LEGAL_SUFFIX = {"US": "Inc.", "CA": "Inc.", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "GB": "Ltd",
                "FR": "SAS", "IT": "S.r.l.", "NL": "B.V.", "SE": "AB", "DK": "A/S", "FI": "Oy",
                "BE": "NV", "ES": "S.L.", "IL": "Ltd.", "IN": "Pvt. Ltd.", "AU": "Pty Ltd",
                "SG": "Pte. Ltd.", "MY": "Sdn. Bhd.", "HK": "Limited"}


def _repeat_count(values: pa.Array) -> np.ndarray:
    """How many earlier rows hold the same value as each row (0 for a first occurrence).

    >>> _repeat_count(pa.array(["a", "b", "a", "a"])).tolist()
    [0, 0, 1, 2]
    """
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # rows of each value together, in row order
    ranked = codes[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    count = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    out = np.empty(len(codes), np.int64)
    out[order] = count
    return out


def firm_names(rng, country: np.ndarray, codes: list[str], segment: np.ndarray,
               segments: tuple[str, ...], city: np.ndarray, cities: pd.DataFrame,
               listed: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Return (name, name_zh): Chinese-style names in CN, TW and HK, brand + suffix elsewhere.

    ``country``, ``segment`` and ``city`` are positions in ``codes``, ``segments`` and
    ``cities``.
    """
    n = len(country)
    i, j = rng.integers(0, len(ZH_BRAND), n), rng.integers(0, len(ZH_BRAND), n)
    brand_zh = join_text(take_text([b[0] for b in ZH_BRAND], i),
                         take_text([b[0] for b in ZH_BRAND], j))
    brand_py = join_text(take_text([b[1:].capitalize() for b in ZH_BRAND], i),
                         take_text([b[1:] for b in ZH_BRAND], j))
    words = [INDUSTRY_WORDS.get(s, ("科技", "Technology")) for s in segments]
    ind_zh = take_text([w[0] for w in words], segment)
    ind_en = take_text([w[1] for w in words], segment)
    brand_en = join_text(_draw(rng, EN_BRAND_A, n), _draw(rng, EN_BRAND_B, n))
    suffix = take_text([LEGAL_SUFFIX.get(c, "Co., Ltd.") for c in codes], country)
    code = np.asarray(codes, dtype=object)[country]
    cn, tw, hk = (pa.array(code == c) for c in ("CN", "TW", "HK"))
    city_en = take_text(cities[C.CITY].tolist(), city)
    city_zh = take_text(cities[C.NAME_ZH].fillna("").tolist(), city)
    company = take_text(["有限公司", "股份有限公司"], listed.astype(np.int64))
    none = pa.nulls(n, pa.string())

    def names(brand_en, brand_py, brand_zh):
        name = pc.if_else(cn, join_text(city_en, " ", brand_py, " ", ind_en, " Co., Ltd."),
                          pc.if_else(tw, join_text(brand_py, " ", ind_en, " Co., Ltd."),
                                     pc.if_else(hk, join_text(brand_py, " ", ind_en, " Limited"),
                                                join_text(brand_en, " ", ind_en, " ", suffix))))
        name_zh = pc.if_else(cn, join_text(city_zh, brand_zh, ind_zh, company),
                             pc.if_else(tw, join_text(brand_zh, ind_zh, "股份有限公司"),
                                        pc.if_else(hk, join_text(brand_zh, ind_zh, "有限公司"),
                                                   none)))
        return name, name_zh

    for _ in range(MAX_RENAMING_ROUNDS):  # two firms never share a name: the later one varies
        name, name_zh = names(brand_en, brand_py, brand_zh)
        repeat = _repeat_count(name)
        if not repeat.any():
            break
        extra_en = take_text(EN_BRAND_B, np.where(repeat > 0, repeat % len(EN_BRAND_B), -1))
        extra_zh = np.where(repeat > 0, repeat % len(ZH_BRAND), -1)
        brand_en = join_text(brand_en, extra_en)
        brand_py = join_text(brand_py, take_text([b[1:] for b in ZH_BRAND], extra_zh))
        brand_zh = join_text(brand_zh, take_text([b[0] for b in ZH_BRAND], extra_zh))
    return name, name_zh
