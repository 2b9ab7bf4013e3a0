"""Ranked lists as files for people: CSV that Excel opens, and XLSX laid out for work.

- CSV is UTF-8 with a byte-order mark, so that Excel shows Chinese text instead of mojibake.
- XLSX is written with openpyxl (write-only mode: rows are streamed, not kept per cell): each
  column as wide as its content, the header row bold and frozen with the firm's name beside it,
  an auto-filter over the table, numbers in their format; with ``about`` (:class:`About`) a
  second sheet (列说明 / Columns) says what each column holds, where the rows come from (real or
  synthetic, counted), the data version and as-of day and the model.
- Headers, words and numbers as people read them (:mod:`recommender.targeting.export_columns`):
  Chinese with ``lang="zh"``, English with ``lang="en"``; stages, size classes (大型, 中型,
  小型, 微型: China's size standard's words, as the pages name them), countries and regions
  (:func:`recommender.firms.countries.display_name`), cities
  (:func:`recommender.firms.city_names.city_name`) and real or synthetic in the file's
  language; a likelihood or a share as a percentage, other figures rounded as shown. A column
  with no known header keeps its name.
- Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe, so that a spreadsheet shows it as text and never runs it as a formula (OWASP's
  "CSV injection"); numbers stay numbers.
- Lists become one readable cell: reasons joined with "；" (zh) or "; " (en), other lists
  joined with "、" or ", ".

>>> rows = pd.DataFrame({"name": ["=HYPERLINK(\\"http://x\\")"], "score": [1.5]})
>>> to_csv_bytes(rows, lang="zh").decode("utf-8-sig").splitlines()
['企业名称,得分', '"\\'=HYPERLINK(""http://x"")",1.50']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.firms.city_names import city_name
from recommender.firms.countries import display_name
from recommender.outcome_stages import STAGE_LABELS
from recommender.targeting.export_columns import (
    DATA_KIND,
    DATE_FORMAT,
    DESCRIPTIONS,
    HEADERS,
    LAST_CONTACT_STAGE,
    NODE_NAME,
    NUMBER_FORMATS,
    PERCENT,
    REASON,
    RECOMMENDATION_EXPORT_COLUMNS,
    SIZE_WORDS,
    TARGET_EXPORT_COLUMNS,
)

__all__ = [
    "CSV_MEDIA_TYPE",
    "FORMATS",
    "FORMULA_STARTS",
    "HEADERS",
    "LANGUAGES",
    "MAX_WIDTH",
    "NODE_NAME",
    "REASON",
    "RECOMMENDATION_EXPORT_COLUMNS",
    "TARGET_EXPORT_COLUMNS",
    "XLSX_MAX_CELL",
    "XLSX_MEDIA_TYPE",
    "About",
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
MAX_WIDTH = 60  # widest column, in Excel's character units (a Chinese character counts 2)
_WIDTH_ROWS = 500  # rows read to size a column
_LIST_SEPARATOR = {"zh": "、", "en": ", "}
_REASON_SEPARATOR = {"zh": "；", "en": "; "}
_BOOLEAN = {"zh": ("是", "否"), "en": ("yes", "no")}
_DATA_KINDS = {"zh": ("合成数据", "真实数据"), "en": ("synthetic", "real")}
# what a column's codes are called in each language: code -> (Chinese, English)
_WORDS: dict[str, Mapping[str, tuple[str, str]]] = {
    C.RECRUITMENT_STAGE: STAGE_LABELS, LAST_CONTACT_STAGE: STAGE_LABELS,
    C.SIZE_CLASS: SIZE_WORDS,
}
# the second sheet's words: (Chinese, English)
_ABOUT_WORDS = {
    "sheet": ("列说明", "Columns"), "column": ("列", "Column"), "meaning": ("说明", "Meaning"),
    "data": ("关于数据", "About the data"), "list": ("名单", "List"),
    "rows": ("数据来源", "Rows"), "data_version": ("数据版本", "Data version"),
    "as_of": ("数据截至", "Data as of"), "model": ("模型版本", "Model version"),
    "base": ("基准签约率", "Base rate"), "written": ("导出时间", "Written"),
    "note": ("备注", "Note"),
}


@dataclasses.dataclass(frozen=True)
class About:
    """What a workbook's second sheet says of its rows beside the columns.

    ``title`` names the list in the file's language; ``notes`` are further lines (why the
    list is shorter than asked, say). The rows' provenance is counted from the rows.
    """

    title: str
    data_version: int | None = None
    as_of: dt.date | None = None
    model_version: str | None = None
    base_rate: float | None = None
    notes: tuple[str, ...] = ()


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InvalidArgument(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def header(column: str, lang: str = "zh", headers: Mapping[str, tuple[str, str]] | None = None
           ) -> str:
    """Return the header of ``column`` in ``lang`` (the column's name when none is known);
    ``headers`` adds to or overrides the shared ones.

    >>> header("likelihood"), header("likelihood", "en"), header("whatever")
    ('签约概率', 'Likelihood', 'whatever')
    """
    names = (headers or {}).get(column) or HEADERS.get(column)
    return names[LANGUAGES.index(_language(lang))] if names else column


def escape_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: text that could start a formula gets a "'".

    >>> escape_cell("=1+1"), escape_cell("-3 dB"), escape_cell("Zeiss"), escape_cell(-3)
    ("'=1+1", "'-3 dB", 'Zeiss', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _missing(value: Any) -> bool:
    return (value is None or value is pd.NA or value is pd.NaT
            or (isinstance(value, float) and math.isnan(value)))


def _readable(value: Any, lang: str) -> Any:
    """Turn one value into what a cell shows: lists joined, missing values empty."""
    if _missing(value):
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
    """One dict in a list cell: a reason's text, a named item's name, or its fields."""
    if lang in item:
        return str(item[lang])
    if C.NODE_ID in item:
        return str(item[C.NODE_ID])
    return "; ".join(f"{k}={v}" for k, v in item.items())


def _decimals(number_format: str) -> int:
    """Decimals a number keeps under ``number_format`` (a percentage: two more)."""
    places = len(number_format.partition(".")[2].rstrip("%"))
    return places + 2 if number_format.endswith("%") else places


def _shown(name: str, values: list, frame: pd.DataFrame, lang: str,
           number_format: str | None) -> list:
    """The values of column ``name`` as its cells show them, before escaping."""
    which = LANGUAGES.index(lang)
    if name in _WORDS:
        words = _WORDS[name]
        return [None if _missing(v) else words.get(str(v), (v, v))[which] for v in values]
    if name == C.COUNTRY:
        return [None if _missing(v) else display_name(v, lang) for v in values]
    if name == C.CITY:
        countries = frame[C.COUNTRY].tolist() if C.COUNTRY in frame else [None] * len(values)
        return [None if _missing(v) else city_name(v, None if _missing(c) else c, lang)
                for v, c in zip(values, countries, strict=True)]
    if name == DATA_KIND:
        return [None if _missing(v) else _DATA_KINDS[lang][0 if v else 1] for v in values]
    values = [_readable(v, lang) for v in values]
    if number_format == DATE_FORMAT:
        return [v.date() if isinstance(v, dt.datetime) else
                dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v for v in values]
    if number_format:
        places = _decimals(number_format)
        return [round(float(v), places) if isinstance(v, int | float) and not isinstance(v, bool)
                else v for v in values]
    return values


def _table(frame: pd.DataFrame, columns: Sequence[str] | None, lang: str,
           headers: Mapping[str, tuple[str, str]] | None,
           number_formats: Mapping[str, str] | None) -> tuple[list[str], pd.DataFrame]:
    """The columns kept, and their cells under ``lang`` headers."""
    lang = _language(lang)
    formats = {**NUMBER_FORMATS, **(number_formats or {})}
    names = [c for c in (columns if columns is not None else frame.columns)
             if c in frame.columns]
    out = pd.DataFrame(index=range(len(frame)))
    for name in names:
        shown = _shown(name, frame[name].tolist(), frame, lang, formats.get(name))
        out[header(name, lang, headers)] = pd.Series([escape_cell(v) for v in shown],
                                                     dtype=object)
    return names, out


def export_frame(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                 lang: str = "zh", headers: Mapping[str, tuple[str, str]] | None = None,
                 number_formats: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return ``frame``'s ``columns`` as cells: readable values, escaped text, ``lang`` headers.

    A column of ``columns`` that ``frame`` lacks is left out. ``headers`` and
    ``number_formats`` add to or override the shared tables.
    """
    return _table(frame, columns, lang, headers, number_formats)[1]


def to_csv_bytes(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                 lang: str = "zh", headers: Mapping[str, tuple[str, str]] | None = None,
                 number_formats: Mapping[str, str] | None = None,
                 about: About | None = None) -> bytes:
    """Return the rows as CSV: UTF-8 with a byte-order mark, ``lang`` headers, escaped text,
    figures as shown (``0.080``, percentages as ``12.3%``); with ``about``, the model version
    as a last column (a CSV has no second sheet to say it)."""
    formats = {**NUMBER_FORMATS, **(number_formats or {})}
    names, cells = _table(frame, columns, lang, headers, number_formats)
    for name, title in zip(names, list(cells.columns), strict=True):
        number_format = formats.get(name, "")
        if not number_format or number_format == DATE_FORMAT:
            continue
        places, percent = _decimals(number_format), number_format.endswith("%")
        cells[title] = [(f"{v * 100:.{places - 2}f}%" if percent else f"{v:.{places}f}")
                        if isinstance(v, int | float) and not isinstance(v, bool) else v
                        for v in cells[title]]
    if about is not None and about.model_version and len(cells):
        cells[header(C.MODEL_VERSION, lang)] = about.model_version
    text = cells.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _width(value: Any) -> int:
    """Characters a value takes in a cell, a wide (Chinese) one counting two."""
    if value is None:
        return 0
    if isinstance(value, float):
        value = f"{value:.3f}"
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx_bytes(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                  lang: str = "zh", sheet: str | None = None,
                  headers: Mapping[str, tuple[str, str]] | None = None,
                  descriptions: Mapping[str, tuple[str, str]] | None = None,
                  number_formats: Mapping[str, str] | None = None,
                  about: About | None = None) -> bytes:
    """Return the rows as an XLSX workbook laid out for work (module docstring).

    The first sheet holds the table: bold frozen headers, widths from the content, an
    auto-filter, each number in its format, text never a formula. With ``about``, a second
    sheet describes each column (``descriptions`` add to the shared ones) and the data.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    formats = {**NUMBER_FORMATS, **(number_formats or {})}
    names, cells = _table(frame, columns, lang, headers, number_formats)
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=(sheet or ("推荐名单" if lang == "zh" else "Ranking"))[:31])
    titles = [str(t) for t in cells.columns]
    for i, title in enumerate(titles, start=1):
        widest = max([_width(title) + 3, *(_width(v) for v in cells[title][:_WIDTH_ROWS])])
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(8, widest + 2))
    frozen = names.index(C.NAME) + 2 if C.NAME in names[:3] else 1
    ws.freeze_panes = f"{get_column_letter(frozen)}2"
    if titles:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{len(cells) + 1}"
    ws.append([_cell(ws, title, font=Font(bold=True)) for title in titles])
    column_formats = [formats.get(name) for name in names] or [None] * len(titles)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in cells.itertuples(index=False, name=None):
        ws.append([_cell(ws, v, number_format=f,
                         alignment=wrap if _width(v) > MAX_WIDTH else None)
                   for v, f in zip(row, column_formats, strict=True)])
    if about is not None:
        _about_sheet(book, frame, names, titles, lang, about,
                     {**DESCRIPTIONS, **(descriptions or {})})
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(ws, value: Any, *, font=None, number_format: str | None = None, alignment=None):
    """One cell: text typed as a string explicitly (openpyxl would take "=…" for a formula),
    a number or a day in its format; a text wider than a column wraps."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=None if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.value = value[:XLSX_MAX_CELL]
        cell.data_type = "s"
    elif number_format and isinstance(value, int | float | dt.date):
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _about_sheet(book, frame: pd.DataFrame, names: list[str], titles: list[str], lang: str,
                 about: About, descriptions: Mapping[str, tuple[str, str]]) -> None:
    """The second sheet: what each column holds, then where the rows come from."""
    from openpyxl.styles import Font

    which = LANGUAGES.index(lang)
    words = {key: pair[which] for key, pair in _ABOUT_WORDS.items()}
    ws = book.create_sheet(title=words["sheet"])
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    bold = Font(bold=True)
    ws.append([_cell(ws, words["column"], font=bold), _cell(ws, words["meaning"], font=bold)])
    for name, title in zip(names, titles, strict=True):
        meaning = descriptions.get(name)
        ws.append([_cell(ws, title), _cell(ws, meaning[which] if meaning else "")])
    ws.append([])
    ws.append([_cell(ws, words["data"], font=bold)])
    lines = [(words["list"], about.title), (words["rows"], _provenance(frame, lang))]
    if about.data_version is not None:
        lines.append((words["data_version"], int(about.data_version)))
    if about.as_of is not None:
        lines.append((words["as_of"], pd.Timestamp(about.as_of).date()))
    if about.model_version:
        lines.append((words["model"], about.model_version))
    if about.base_rate is not None and not _missing(about.base_rate):
        lines.append((words["base"], round(float(about.base_rate), 3)))
    written = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append((words["written"], written))
    lines += [(words["note"], note) for note in about.notes if note]
    for label, value in lines:
        number_format = (PERCENT if label == words["base"] else
                         DATE_FORMAT if isinstance(value, dt.date) else None)
        ws.append([_cell(ws, label), _cell(ws, escape_cell(value), number_format=number_format)])


def _provenance(frame: pd.DataFrame, lang: str) -> str:
    """How many rows are real data and how many synthetic, in words."""
    column = DATA_KIND if DATA_KIND in frame.columns else C.IS_SYNTHETIC
    if column not in frame.columns:
        return "–"
    flags = frame[column].fillna(False).astype(bool)
    synthetic, real = int(flags.sum()), int((~flags).sum())
    if lang == "zh":
        return f"真实数据 {real} 行，合成数据 {synthetic} 行"
    return f"{real} rows of real data, {synthetic} rows of synthetic data"


def write_table(frame: pd.DataFrame, path, columns: Sequence[str] | None = None, *,
                lang: str = "zh", about: About | None = None) -> None:
    """Write the rows to ``path``, CSV or XLSX by its suffix (for the command line)."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidArgument(f"path: write .csv or .xlsx, not {path.suffix or 'no suffix'}")
    data = (to_csv_bytes if suffix == "csv" else to_xlsx_bytes)(frame, columns, lang=lang,
                                                                 about=about)
    path.write_bytes(data)
