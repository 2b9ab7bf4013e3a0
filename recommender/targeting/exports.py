"""Ranked lists as files for people: CSV that Excel opens, and XLSX; Chinese or English headers.

- CSV is UTF-8 with a byte-order mark, so that Excel shows Chinese text instead of mojibake.
- XLSX is written with openpyxl (write-only mode: rows are streamed, not kept per cell).
- Headers are Chinese with ``lang="zh"`` (企业名称, 国家/地区, 城市, 薄弱环节, 期望价值,
  签约概率, 补链作用, 推荐理由, 数据来源 …) and English with ``lang="en"``; a column with no
  known header keeps its name. The headers of the three figures say what they mean, and every
  row of a ranked list carries the base rate its likelihood compares with (基准签约率).
- Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe, so that a spreadsheet shows it as text and never runs it as a formula (OWASP's
  "CSV injection"); numbers stay numbers.
- Lists become one readable cell: reasons joined with "；" (zh) or "; " (en), the links a
  target-list pick covers as ``node (gain)``, other lists joined with "、" or ", ".

>>> rows = pd.DataFrame({"name": ["=HYPERLINK(\\"http://x\\")"], "score": [1.5]})
>>> to_csv_bytes(rows, lang="zh").decode("utf-8-sig").splitlines()
['企业名称,得分', '"\\'=HYPERLINK(""http://x"")",1.5']
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.diagnosis.weak_links import CAN_RECRUIT, MISSING_INPUTS
from recommender.exceptions import InvalidArgument
from recommender.targeting.portfolio import COVERAGE_SHARE, COVERS, MARGINAL_GAIN, OBJECTIVE, PICK
from recommender.targeting.stages import stage_label

__all__ = [
    "CSV_MEDIA_TYPE",
    "FORMATS",
    "FORMULA_STARTS",
    "HEADERS",
    "LANGUAGES",
    "NODE_NAME",
    "REASON",
    "RECOMMENDATION_EXPORT_COLUMNS",
    "TARGET_EXPORT_COLUMNS",
    "XLSX_MAX_CELL",
    "XLSX_MEDIA_TYPE",
    "escape_cell",
    "export_frame",
    "header",
    "to_csv_bytes",
    "to_xlsx_bytes",
    "write_table",
]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
LANGUAGES = ("zh", "en")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_CELL = 32_767  # characters Excel keeps in one cell
# Columns of files only: the weak link's name and the reasons, in the file's language
NODE_NAME = "node_name"
REASON = "reason"

# column -> (Chinese header, English header)
HEADERS: dict[str, tuple[str, str]] = {
    C.RANK: ("排名", "Rank"),
    PICK: ("入选顺序", "Pick"),
    C.FIRM_ID: ("企业编号", "Firm ID"),
    C.NAME: ("企业名称", "Firm name"),
    "firm_name_zh": ("企业中文名称", "Chinese name"),
    C.COUNTRY: ("国家/地区", "Country/region"),
    C.CITY: ("城市", "City"),
    C.LAT: ("纬度", "Latitude"),
    C.LON: ("经度", "Longitude"),
    C.SIZE_CLASS: ("规模", "Size class"),
    C.NODE_ID: ("薄弱环节", "Weak link"),
    NODE_NAME: ("薄弱环节名称", "Weak link name"),
    C.SCORE: ("得分", "Score"),
    C.P_SUCCESS: ("成功概率", "Probability of success"),
    C.VALUE: ("期望价值（签约概率×补链作用）", "Expected value (likelihood × impact)"),
    C.LIKELIHOOD: ("签约概率（过去同类接触中达成签约或更进一步的比例）",
                   "Likelihood (share of similar past contacts that reached an MoU or better)"),
    C.IMPACT: ("补链作用（0–1，来后可填补该环节缺口的程度）",
               "Impact (0–1, how much of the weak link it could fill if it came)"),
    C.BASE_RATE: ("基准签约率（全部接触中达成签约或更进一步的比例）",
                  "Base rate (share of all contacts that reached an MoU or better)"),
    REASON: ("推荐理由", "Reasons"),
    C.REASONS: ("推荐理由", "Reasons"),
    C.SOURCE: ("数据来源", "Data source"),
    C.IS_SYNTHETIC: ("合成数据", "Synthetic"),
    C.MODEL_VERSION: ("模型版本", "Model version"),
    C.RECRUITMENT_STAGE: ("招商进展", "Recruitment stage"),
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

# What a file of recommendations or of a target list holds, in order. ``name`` is the firm's
# name in the file's language (its Chinese name with ``zh`` when it has one), ``node_name``
# the weak link's, ``reason`` the reasons in that language.
RECOMMENDATION_EXPORT_COLUMNS = [
    C.RANK, C.FIRM_ID, C.NAME, C.COUNTRY, C.CITY, C.SIZE_CLASS, C.NODE_ID, NODE_NAME,
    C.VALUE, C.LIKELIHOOD, C.IMPACT, C.BASE_RATE, C.SCORE, C.RECRUITMENT_STAGE, REASON,
    C.SOURCE, C.IS_SYNTHETIC, C.MODEL_VERSION,
]
TARGET_EXPORT_COLUMNS = [
    C.RANK, C.FIRM_ID, C.NAME, C.COUNTRY, C.CITY, C.NODE_ID, NODE_NAME, C.VALUE,
    C.LIKELIHOOD, C.IMPACT, C.BASE_RATE, C.SCORE, C.RECRUITMENT_STAGE, MARGINAL_GAIN,
    COVERAGE_SHARE, COVERS, REASON, C.SOURCE, C.IS_SYNTHETIC, C.MODEL_VERSION,
]
_LIST_SEPARATOR = {"zh": "、", "en": ", "}
_REASON_SEPARATOR = {"zh": "；", "en": "; "}
_BOOLEAN = {"zh": ("是", "否"), "en": ("yes", "no")}


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InvalidArgument(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def header(column: str, lang: str = "zh") -> str:
    """Return the header of ``column`` in ``lang`` (the column's name when none is known).

    >>> header("p_success"), header("p_success", "en"), header("whatever")
    ('成功概率', 'Probability of success', 'whatever')
    """
    names = HEADERS.get(column)
    return names[LANGUAGES.index(_language(lang))] if names else column


def escape_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: text that could start a formula gets a "'".

    >>> escape_cell("=1+1"), escape_cell("-3 dB"), escape_cell("Zeiss"), escape_cell(-3)
    ("'=1+1", "'-3 dB", 'Zeiss', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _readable(value: Any, lang: str) -> Any:
    """Turn one value into what a cell shows: lists joined, missing values empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _readable(value.item(), lang)
    if isinstance(value, bool):
        yes, no = _BOOLEAN[lang]
        return yes if value else no
    if isinstance(value, Mapping):
        return _item_text(value, lang)
    if isinstance(value, list | tuple | np.ndarray):
        items = [_readable(v, lang) for v in value]
        items = [str(v) for v in items if v not in (None, "")]
        is_reasons = len(value) and all(isinstance(v, Mapping) and lang in v for v in value)
        separator = _REASON_SEPARATOR if is_reasons else _LIST_SEPARATOR
        return separator[lang].join(items)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _item_text(item: Mapping, lang: str) -> str:
    """One dict in a list cell: a reason's text, or a covered link as ``node (gain)``."""
    if lang in item:
        return str(item[lang])
    if C.NODE_ID in item:
        gain = item.get("gain")
        return f"{item[C.NODE_ID]} ({gain:.3f})" if isinstance(gain, int | float) \
            else str(item[C.NODE_ID])
    return "; ".join(f"{k}={v}" for k, v in item.items())


def export_frame(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                 lang: str = "zh") -> pd.DataFrame:
    """Return ``frame``'s ``columns`` as cells: readable values, escaped text, ``lang`` headers.

    A column of ``columns`` that ``frame`` lacks is left out.
    """
    lang = _language(lang)
    names = [c for c in (columns if columns is not None else frame.columns)
             if c in frame.columns]
    out = pd.DataFrame(index=range(len(frame)))
    for name in names:
        column = frame[name].tolist()
        if name == C.RECRUITMENT_STAGE:  # a stage's name as a person reads it
            column = [None if pd.isna(v) else stage_label(str(v), lang) for v in column]
        values = [escape_cell(_readable(v, lang)) for v in column]
        out[header(name, lang)] = pd.Series(values, dtype=object)
    return out


def to_csv_bytes(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                 lang: str = "zh") -> bytes:
    """Return the rows as CSV: UTF-8 with a byte-order mark, ``lang`` headers, escaped text."""
    cells = export_frame(frame, columns, lang=lang)
    text = cells.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                  lang: str = "zh", sheet: str | None = None) -> bytes:
    """Return the rows as an XLSX workbook of one sheet, headers in bold, text never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = export_frame(frame, columns, lang=lang)
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=(sheet or ("推荐名单" if lang == "zh" else "Ranking"))[:31])
    bold = Font(bold=True)
    head = []
    for name in cells.columns:
        cell = WriteOnlyCell(ws, value=str(name))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in cells.itertuples(index=False, name=None):
        ws.append([_xlsx_value(ws, v, WriteOnlyCell) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(ws, value: Any, cell_type):
    """A text cell is typed as a string explicitly: openpyxl would take "=…" for a formula."""
    if isinstance(value, str):
        cell = cell_type(ws, value=None)
        cell.value = value[:XLSX_MAX_CELL]
        cell.data_type = "s"
        return cell
    return value


def write_table(frame: pd.DataFrame, path, columns: Sequence[str] | None = None, *,
                lang: str = "zh") -> None:
    """Write the rows to ``path``, CSV or XLSX by its suffix (for the command line)."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidArgument(f"path: write .csv or .xlsx, not {path.suffix or 'no suffix'}")
    data = (to_csv_bytes if suffix == "csv" else to_xlsx_bytes)(frame, columns, lang=lang)
    path.write_bytes(data)
