"""Schemas of the tables ChainScout accepts, and their validation at the boundary.

A table is checked whole before anything is written: every bad cell is reported with the
file, the row and the column, and one bad row rejects the whole file.

Rows are counted as a spreadsheet shows them: the header is row 1, the first data row is row 2.

>>> import pandas as pd
>>> table = pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"], "campaign_id": ["c"],
...                       "date": ["2024-01-02"], "stage": [3]})
>>> validate_table(table, "outcomes")["stage"].tolist()
[3]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError

__all__ = [
    "EXPORT_CONTROLS",
    "FIRMS",
    "FIRM_NODES",
    "HEADER_ROW_OFFSET",
    "IMPORTS",
    "KINDS",
    "LEADER_NEEDS",
    "MAX_PROBLEMS",
    "OUTCOMES",
    "PARKS",
    "SCHEMAS",
    "Column",
    "TableSchema",
    "get_schema",
    "validate_table",
]

HEADER_ROW_OFFSET = 2  # data row 0 is spreadsheet row 2
MAX_PROBLEMS = 1000  # a report lists at most this many; the count covers all

KINDS = ("str", "int", "float", "bool", "date", "list")
_TRUE = {"true", "1", "yes", "y", "t", "是", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "否", "0.0"}
_HS_RE = re.compile(r"^(\d{4}|\d{6})$")
_ISO2_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Column:
    """One column of a table schema."""

    name: str
    kind: str = "str"
    required: bool = False  # the column must be present in the file
    nullable: bool = True  # a present column may have empty cells
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    pattern: re.Pattern | None = None
    pattern_hint: str = ""


@dataclass(frozen=True)
class TableSchema:
    """A named table: its columns and the columns that together must be unique."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _req(name: str, kind: str = "str", **kw) -> Column:
    return Column(name, kind, required=True, nullable=False, **kw)


_STAGES = ("upstream", "midstream", "downstream")
_GEO = ("given", "exact", "alias", "country", "unresolved")
_SIZE = C.SIZE_CLASSES
_ISO2 = {"pattern": _ISO2_RE, "pattern_hint": "an ISO 3166-1 alpha-2 code such as CN or US"}
_HS = {"pattern": _HS_RE, "pattern_hint": "a 4- or 6-digit HS code"}

FIRMS = TableSchema(
    "firms",
    (
        _req(C.FIRM_ID), _req(C.FIRM_KEY), _req(C.NAME), Column(C.NAME_ZH),
        Column(C.CREDIT_CODE, pattern=re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
               pattern_hint="18 characters of a 统一社会信用代码"),
        _req(C.COUNTRY, **_ISO2), Column(C.PROVINCE), Column(C.CITY),
        Column(C.LAT, "float", min=-90, max=90), Column(C.LON, "float", min=-180, max=180),
        Column(C.GEO_QUALITY, choices=_GEO),
        Column(C.FOUNDED_YEAR, "int", min=1800, max=2100),
        Column(C.REGISTERED_CAPITAL, "float", min=0), Column(C.EMPLOYEES, "float", min=0),
        Column(C.REVENUE, "float", min=0), Column(C.REVENUE_GROWTH, "float", min=-1, max=100),
        Column(C.RD_INTENSITY, "float", min=0, max=5), Column(C.PATENTS, "float", min=0),
        Column(C.IS_LISTED, "bool"), Column(C.SIZE_CLASS, choices=_SIZE),
        Column(C.INTL_COUNTRIES, "float", min=0, max=250),
        Column(C.IN_CHINA, "bool"), Column(C.IN_GBA, "bool"),
        Column(C.INDUSTRY_CODE), Column(C.BUSINESS_SCOPE), Column(C.WEBSITE),
        Column(C.SYMBOL), Column(C.ISIN), Column(C.SOURCE), Column(C.IS_SYNTHETIC, "bool"),
    ),
    unique=(C.FIRM_KEY,),
)

FIRM_NODES = TableSchema(
    "firm_nodes",
    (
        _req(C.FIRM_ID), _req(C.NODE_ID),
        Column(C.CONFIDENCE, "float", min=0, max=1), Column(C.EVIDENCE), Column(C.METHOD),
    ),
    unique=(C.FIRM_ID, C.NODE_ID, C.METHOD),
)

OUTCOMES = TableSchema(
    "outcomes",
    (
        _req(C.FIRM_ID), _req(C.NODE_ID), _req(C.CAMPAIGN_ID), _req(C.DATE, "date"),
        _req(C.OUTCOME_STAGE, "int", min=0, max=4), Column(C.NOTE),
    ),
    unique=(C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE, C.OUTCOME_STAGE),
)

PARKS = TableSchema(
    "parks",
    (
        _req(C.PARK_ID), _req(C.PARK_NAME_ZH), _req(C.PARK_NAME_EN), Column(C.CITY_ID),
        _req(C.LAT, "float", min=-90, max=90), _req(C.LON, "float", min=-180, max=180),
        Column(C.FOCUS_NODES, "list"),
        Column(C.LAND_HA, "float", min=0), Column(C.BUILDING_M2, "float", min=0),
        Column(C.POWER_MVA, "float", min=0), Column(C.CLEAN_ROOM_M2, "float", min=0),
        Column(C.RENT, "float", min=0), Column(C.INCENTIVES_ZH), Column(C.INCENTIVES_EN),
        Column(C.MAX_NEW_FIRMS, "int", min=0), Column(C.TENANTS, "list"),
        Column(C.IS_ILLUSTRATIVE, "bool"), Column(C.SOURCE),
    ),
    unique=(C.PARK_ID,),
)

IMPORTS = TableSchema(
    "imports",
    (
        _req(C.HS_CODE, **_HS), _req(C.ORIGIN, **_ISO2), _req(C.YEAR, "int", min=1990, max=2100),
        _req(C.VALUE_USD, "float", min=0), Column(C.IS_ILLUSTRATIVE, "bool"),
    ),
    unique=(C.HS_CODE, C.ORIGIN, C.YEAR),
)

EXPORT_CONTROLS = TableSchema(
    "export_controls",
    (
        _req(C.ORIGIN, **_ISO2), _req(C.NODE_ID), _req(C.CONTROL, "float", min=0, max=1),
        Column(C.NOTE), Column(C.IS_ILLUSTRATIVE, "bool"),
    ),
    unique=(C.ORIGIN, C.NODE_ID),
)

LEADER_NEEDS = TableSchema(
    "leader_needs",
    (
        _req(C.LEADER_FIRM_ID), _req(C.NODE_ID), _req(C.NEED, "float", min=1, max=5),
        Column(C.NOTE), Column(C.IS_ILLUSTRATIVE, "bool"),
    ),
    unique=(C.LEADER_FIRM_ID, C.NODE_ID),
)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (FIRMS, FIRM_NODES, OUTCOMES, PARKS, IMPORTS, EXPORT_CONTROLS, LEADER_NEEDS)
}


def get_schema(name: str) -> TableSchema:
    """Return the schema called ``name``; raise ``InvalidArgument`` listing the known ones."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise InvalidArgument(f"unknown table {name!r}; known: {', '.join(SCHEMAS)}") from None


class _Report:
    """Collects problems, keeping the first MAX_PROBLEMS and counting all."""

    def __init__(self, file: str | None):
        self.file = file
        self.items: list[dict] = []
        self.count = 0

    def add(self, rows: Iterable[int], column: str | None, message, values=None) -> None:
        """Record ``message`` for each row position; ``{value}`` in it names the cell."""
        for pos in rows:
            self.count += 1
            if len(self.items) < MAX_PROBLEMS:
                row = None if pos is None else int(pos) + HEADER_ROW_OFFSET
                text = message if values is None else message.format(value=values.iloc[pos])
                self.items.append(
                    {"file": self.file, "row": row, "column": column, "message": text}
                )


def _blank(series: pd.Series) -> np.ndarray:
    """True where a cell is missing or only white space."""
    missing = series.isna().to_numpy().copy()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        text = series.astype("string").str.strip()
        missing |= (text == "").fillna(True).to_numpy(dtype=bool)
    return missing


def _coerce(series: pd.Series, col: Column, report: _Report) -> pd.Series:
    blank = _blank(series)
    if col.kind == "str":
        out = series.astype("string").str.strip().mask(blank)
    elif col.kind in ("int", "float"):
        numbers = series.mask(blank)
        if numbers.dtype == object or pd.api.types.is_string_dtype(numbers):
            # thousands separators as spreadsheets export them: "1,200", "1 200", "1，200"
            numbers = numbers.astype("string").str.replace(r"[,，\s_]", "", regex=True)
        out = pd.to_numeric(numbers, errors="coerce")
        bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
        report.add(bad, col.name, "{value!r} is not a number", series)
        if col.kind == "int":
            frac = out.notna().to_numpy() & (out.fillna(0) % 1 != 0).to_numpy()
            report.add(np.flatnonzero(frac), col.name, "must be a whole number")
            out = out.round().astype("Int64")
        else:
            finite = np.isfinite(out.to_numpy(dtype=float, na_value=np.nan))
            report.add(np.flatnonzero(out.notna().to_numpy() & ~finite), col.name,
                       "must be a finite number")
            out = out.astype("float64")
    elif col.kind == "bool":
        text = series.astype("string").str.strip().str.lower()
        out = pd.Series(pd.NA, index=series.index, dtype="boolean")
        out[text.isin(_TRUE).fillna(False)] = True
        out[text.isin(_FALSE).fillna(False)] = False
        bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
        report.add(bad, col.name, "{value!r} must be true or false", series)
    elif col.kind == "date":
        out = pd.to_datetime(series.mask(blank), errors="coerce", format="mixed")
        out = out.mask(out.dt.year < 1800)  # a lone month name parses as year 1
        bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
        report.add(bad, col.name, "{value!r} is not a date (use YYYY-MM-DD)", series)
        out = out.dt.date
    elif col.kind == "list":
        out = series.map(_to_list)
    else:  # pragma: no cover - schemas are defined in this module
        raise InvalidArgument(f"unknown kind {col.kind!r}")
    if not col.nullable:
        report.add(np.flatnonzero(blank), col.name, "is required and empty")
    return out


def _to_list(value) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [p.strip() for p in re.split(r"[;；,，、|]", str(value)) if p.strip()]


def _check_values(out: pd.Series, col: Column, report: _Report) -> None:
    present = out.notna().to_numpy()
    if col.kind in ("int", "float"):
        values = out.astype("float64").to_numpy(na_value=np.nan)
        if col.min is not None:
            report.add(np.flatnonzero(present & (values < col.min)), col.name,
                       "{value} is below the minimum " + f"{col.min:g}", out)
        if col.max is not None:
            report.add(np.flatnonzero(present & (values > col.max)), col.name,
                       "{value} is above the maximum " + f"{col.max:g}", out)
    if col.choices is not None:
        bad = present & ~out.isin(col.choices).fillna(False).to_numpy(dtype=bool)
        report.add(np.flatnonzero(bad), col.name,
                   "{value!r} is not one of " + ", ".join(col.choices), out)
    if col.pattern is not None:
        text = out.astype("string")
        ok = text.str.fullmatch(col.pattern.pattern).fillna(True).to_numpy(dtype=bool)
        report.add(np.flatnonzero(present & ~ok), col.name,
                   "{value!r} is not " + col.pattern_hint, out)


def validate_table(
    df: pd.DataFrame,
    schema: TableSchema | str,
    *,
    file: str | None = None,
    known_nodes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Check ``df`` against ``schema`` and return a copy with typed columns.

    Unknown extra columns are kept as they are; schema columns absent from ``df`` are added
    empty unless required. With ``known_nodes``, a ``node_id`` outside it is an error.

    Raises
    ------
    ValidationError
        Listing every problem with file, row and column; nothing of ``df`` is to be used.
    """
    schema = get_schema(schema) if isinstance(schema, str) else schema
    report = _Report(file)
    missing = [c.name for c in schema.columns if c.required and c.name not in df.columns]
    if missing:
        report.add([None], ", ".join(missing), "required column is missing")
        where = f" in {file}" if file else ""
        return_msg = (f"{schema.name}: missing required column(s) {', '.join(missing)}{where}; "
                      "nothing was loaded")
        raise ValidationError(return_msg, report.items)
    out = df.reset_index(drop=True).copy()
    for col in schema.columns:
        if col.name not in out.columns:
            out[col.name] = pd.Series([[] for _ in range(len(out))] if col.kind == "list"
                                      else pd.NA, index=out.index, dtype=object)
            if col.kind != "list":
                out[col.name] = _coerce(out[col.name], col, report)
            continue
        out[col.name] = _coerce(out[col.name], col, report)
        _check_values(out[col.name], col, report)
    if known_nodes is not None and C.NODE_ID in out.columns:
        known = set(known_nodes)
        bad = np.flatnonzero(out[C.NODE_ID].notna().to_numpy()
                             & ~out[C.NODE_ID].isin(known).to_numpy(dtype=bool))
        report.add(bad, C.NODE_ID, "{value!r} is not a node of the chain", out[C.NODE_ID])
    if schema.unique:
        dup = out.duplicated(list(schema.unique), keep="first").to_numpy()
        report.add(np.flatnonzero(dup), ", ".join(schema.unique),
                   "repeats an earlier row's key")
    if report.count:
        raise _error(schema, report)
    return out


def _error(schema: TableSchema, report: _Report) -> ValidationError:
    where = f" in {report.file}" if report.file else ""
    msg = (f"{schema.name}: {report.count} problem{'s' if report.count != 1 else ''}{where}; "
           "nothing was loaded")
    items = sorted(report.items, key=lambda p: (p["row"] or 0, p["column"] or ""))
    return ValidationError(msg, items)
