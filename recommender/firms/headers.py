"""Header aliases: the column names firm databases and spreadsheets use, mapped to ours.

Commercial Chinese firm databases export 企业名称, 统一社会信用代码, 注册资本 …; English
exports say "Company Name", "Country" …; public listings say "long_name", "summary" ….
Our own column name is always accepted as its own header, so the tables list only the others.
Matching ignores case, white space, underscores and full-width forms.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from recommender import columns as C

__all__ = ["FIRM_HEADERS", "OUTCOME_HEADERS", "looks_chinese", "map_headers"]

FIRM_HEADERS: dict[str, tuple[str, ...]] = {
    C.FIRM_ID: ("企业id", "企业编号"),
    C.FIRM_KEY: (),
    C.NAME: ("company", "company name", "company_name", "firm", "firm name",
             "企业名称", "公司名称", "名称", "英文名称", "企业英文名称"),
    C.NAME_ZH: ("chinese name", "中文名称", "企业中文名称"),
    C.CREDIT_CODE: ("unified social credit code", "uscc",
                    "统一社会信用代码", "信用代码", "社会信用代码"),
    C.COUNTRY: ("country code", "nation", "国家", "国家/地区", "国别", "所属国家"),
    C.PROVINCE: ("state", "region", "所属省份", "省份", "省"),
    C.CITY: ("hq city", "headquarters city", "所属城市", "城市", "市"),
    C.LAT: ("latitude", "纬度"),
    C.LON: ("lng", "longitude", "经度"),
    "founded": (C.FOUNDED_YEAR, "year founded", "established", "founded date",
                "成立日期", "成立时间", "成立年份", "注册日期"),
    "registered_capital": ("registered capital", "注册资本"),
    C.EMPLOYEES: ("headcount", "staff", "员工人数", "参保人数", "人员规模"),
    C.REVENUE: ("revenue (musd)", "revenue", "营业收入(百万美元)"),
    C.REVENUE_GROWTH: ("growth", "营收增长率"),
    C.RD_INTENSITY: ("r&d intensity", "研发投入强度"),
    C.PATENTS: ("patent families", "专利数", "专利数量"),
    C.IS_LISTED: ("listed", "是否上市"),
    C.SIZE_CLASS: ("size", "企业规模"),
    C.INTL_COUNTRIES: ("countries", "海外国家数"),
    C.IN_CHINA: ("在华业务",),
    C.IN_GBA: ("大湾区业务",),
    C.INDUSTRY_CODE: ("industry", "国标行业", "行业", "所属行业", "行业代码"),
    C.BUSINESS_SCOPE: ("business scope", "description", "business description",
                       "经营范围", "主营业务", "主营产品"),
    C.WEBSITE: ("url", "web", "官网", "网址"),
    C.SYMBOL: ("ticker", "stock code", "股票代码", "证券代码"),
    C.ISIN: (),
}

OUTCOME_HEADERS: dict[str, tuple[str, ...]] = {
    C.FIRM_ID: ("企业id", "企业编号"),
    C.NODE_ID: ("weak_link", "链条环节", "环节"),
    C.CAMPAIGN_ID: ("campaign", "招商活动", "活动编号"),
    C.DATE: ("日期",),
    C.OUTCOME_STAGE: ("outcome", "阶段", "结果"),
    C.NOTE: ("notes", "备注"),
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return " ".join(text.replace("_", " ").split())


def map_headers(
    df: pd.DataFrame, aliases: dict[str, tuple[str, ...]]
) -> tuple[pd.DataFrame, list[str]]:
    """Rename the columns of ``df`` to ours; return the frame and the headers left unmapped.

    >>> frame, left = map_headers(pd.DataFrame(columns=["企业名称", "Foo"]), FIRM_HEADERS)
    >>> list(frame.columns), left
    (['name', 'Foo'], ['Foo'])
    """
    lookup = {_fold(alias): target for target, names in aliases.items()
              for alias in (target, *names)}
    renames: dict[str, str] = {}
    taken: set[str] = set()
    unmapped: list[str] = []
    for header in df.columns:
        target = lookup.get(_fold(header))
        if target is None or target in taken:
            unmapped.append(str(header))
            continue
        renames[header] = target
        taken.add(target)
    return df.rename(columns=renames), unmapped


def looks_chinese(headers) -> bool:
    """True when most headers are written in Chinese (a domestic database export)."""
    headers = [str(h) for h in headers]
    zh = sum(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in headers)
    return bool(headers) and zh * 2 >= len(headers)
