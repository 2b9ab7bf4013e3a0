"""Move DataFrames in and out of the store's tables with one canonical type per column.

Every column is brought to the same dtype whether it comes from a caller's frame or from the
database, so that comparing the two tells exactly which rows changed:

=================  =================================  ==============================
column type        canonical dtype                    a missing value
=================  =================================  ==============================
text               object of ``str``                  ``None``
float              ``float64``                        ``NaN``
integer            ``Int64``                          ``<NA>``
boolean            ``boolean`` (``bool`` if NOT NULL)  ``<NA>``
date               object of ``datetime.date``        ``None``
timestamp          ``datetime64``                     ``NaT``
JSON list          object of ``list``                 ``[]``
=================  =================================  ==============================
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from recommender.exceptions import DataError

__all__ = [
    "CHUNK_ROWS",
    "canonical",
    "changed_mask",
    "column_chunks",
    "column_kind",
    "empty_frame",
    "from_rows",
    "python_values",
    "same_values",
    "text_reader",
]

CHUNK_ROWS = 20_000


def column_kind(column: sa.Column) -> str:
    """Return the canonical kind of a table column: text, float, int, bool, date, time or list."""
    t = column.type
    if isinstance(t, sa.JSON):
        return "list"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.DateTime):
        return "time"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.Float):
        return "float"
    return "text"


def canonical(frame: pd.DataFrame, table: sa.Table, names: Sequence[str]) -> pd.DataFrame:
    """Return ``frame[names]`` with each column cast to the canonical dtype of ``table``.

    Raises
    ------
    DataError
        A value cannot be read as its column's type (names the table and column).
    """
    out = {}
    for name in names:
        column = table.c[name]
        try:
            out[name] = _cast(frame[name], column_kind(column), column.nullable)
        except (TypeError, ValueError, OverflowError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{table.name}.{name}: cannot store these values ({reason})") from exc
    return pd.DataFrame(out, index=frame.index)


def _cast(s: pd.Series, kind: str, nullable: bool) -> pd.Series:
    if kind == "float":
        return pd.to_numeric(s, errors="raise").astype("float64")
    if kind == "int":
        numbers = pd.to_numeric(s, errors="raise")
        return numbers.astype("Int64")
    if kind == "bool":
        flags = s.astype("boolean") if s.dtype != "boolean" else s
        if not nullable:
            if flags.isna().any():
                raise ValueError(f"{int(flags.isna().sum())} rows have no value; it is required")
            return flags.astype(bool)
        return flags
    if kind == "date":
        stamps = pd.to_datetime(s.astype(object), errors="raise", format="ISO8601")
        dates = pd.Series(
            [None if pd.isna(v) else v.date() for v in stamps], index=s.index, dtype=object
        )
        return dates
    if kind == "time":
        return pd.to_datetime(s, errors="raise", format="ISO8601")
    if kind == "list":
        return pd.Series([_as_list(v) for v in s], index=s.index, dtype=object)
    values = pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, dtype=object)
    if isinstance(s.dtype, pd.StringDtype):  # strings and missing values only
        return values
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return values


def _as_list(value: object) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, tuple | np.ndarray | pd.Series):
        return list(value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    if isinstance(value, str):
        parsed = json.loads(value) if value.strip().startswith("[") else [value]
        if not isinstance(parsed, list):
            raise ValueError(f"{value!r} is not a list")
        return parsed
    raise ValueError(f"{value!r} is not a list")


def empty_frame(table: sa.Table, names: Sequence[str]) -> pd.DataFrame:
    """Return a frame with no rows and the canonical dtypes of ``names``."""
    return canonical(pd.DataFrame({n: pd.Series([], dtype=object) for n in names}), table, names)


def from_rows(rows: Sequence[Sequence], table: sa.Table, names: Sequence[str]) -> pd.DataFrame:
    """Build a canonical frame from rows that SQLAlchemy read out of ``table``.

    The values already have their Python types, so each column is built directly rather than
    through :func:`canonical`.
    """
    if not rows:
        return empty_frame(table, names)
    columns = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            name: _column_from_db(values, table.c[name])
            for name, values in zip(names, columns, strict=True)
        }
    )


def _column_from_db(values: Sequence, column: sa.Column) -> pd.Series:
    kind = column_kind(column)
    if kind == "float":
        return pd.Series(np.array(values, dtype="float64"))  # None becomes NaN
    if kind == "int":
        return pd.Series(pd.array(values, dtype="Int64"))
    if kind == "bool":
        flags = pd.array(values, dtype="boolean")
        return pd.Series(flags.astype(bool) if not column.nullable else flags)
    if kind == "time":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)))
    if kind == "list":
        return pd.Series([v if v is not None else [] for v in values], dtype=object)
    return pd.Series(values, dtype=object)


def python_values(s: pd.Series) -> list:
    """Return the values of a canonical column as plain Python objects, missing as ``None``."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return [None if pd.isna(v) else v.to_pydatetime() for v in s]
    return s.to_numpy(dtype=object, na_value=None).tolist()


def column_chunks(frame: pd.DataFrame) -> Iterator[list[list]]:
    """Yield the columns of a canonical frame as lists of Python values, ``CHUNK_ROWS`` rows
    at a time, so that a write never holds more than one chunk of Python objects."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        yield [python_values(part[name]) for name in part.columns]


def same_values(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Return, per row, whether two canonical columns hold the same value (missing == missing)."""
    a_missing = a.isna().to_numpy(dtype=bool)
    b_missing = b.isna().to_numpy(dtype=bool)
    if a.dtype == object or b.dtype == object:
        equal = np.asarray(a.to_numpy(dtype=object) == b.to_numpy(dtype=object), dtype=bool)
    else:
        equal = a.eq(b).fillna(False).to_numpy(dtype=bool)
    return (equal & ~a_missing & ~b_missing) | (a_missing & b_missing)


def changed_mask(
    incoming: pd.DataFrame, existing: pd.DataFrame, names: Sequence[str]
) -> np.ndarray:
    """Return, per row of two aligned canonical frames, whether any of ``names`` differs."""
    changed = np.zeros(len(incoming), dtype=bool)
    for name in names:
        changed |= ~same_values(incoming[name], existing[name])
    return changed


def text_reader(table: sa.Table):
    """Return a function giving text columns the dtype pandas infers for strings."""
    string = pd.Series(["text"]).dtype  # ``str`` since pandas 3, ``object`` before
    text = [c.name for c in table.columns if column_kind(c) == "text"]

    def convert(frame: pd.DataFrame) -> pd.DataFrame:
        present = [n for n in text if n in frame.columns]
        if pd.api.types.is_object_dtype(string) or not present:
            return frame
        return frame.astype(dict.fromkeys(present, string))

    return convert
