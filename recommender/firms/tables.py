"""Reading firm files: CSV (UTF-8 or GB18030), XLSX and Parquet as text, and firm-name folding.

The bottom of the firms wing: :mod:`recommender.firms.ingest` and
:mod:`recommender.firms.listings` both read files and fold names through here.

>>> normalise_name("Carl Zeiss AG.")
'carlzeissag'
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from recommender.exceptions import DataError

__all__ = ["READERS", "normalise_name", "read_table"]

READERS = {".csv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
           ".parquet": "parquet", ".pq": "parquet"}
"""File suffix -> reader kind."""

_LEGAL_NOISE = re.compile(r"[\s\.,，。·()（）\-_/&'\"]+")


def read_table(path: str | Path, *, sheet: str | int | None = 0) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file with every cell as text (codes keep leading zeros).

    CSV files may be UTF-8 (with or without BOM) or GB18030, as Chinese exports often are.
    """
    path = Path(path)
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path.name}: unsupported file type {path.suffix!r}; "
                        f"use one of {', '.join(sorted(READERS))}")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if kind == "parquet":
            df = pd.read_parquet(path)
        elif kind == "excel":
            df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
        else:
            df = _read_csv(path)
    except DataError:
        raise
    except Exception as exc:  # the readers raise many types; the user needs the file name
        raise DataError(f"{path.name}: cannot be read ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df.dropna(how="all").reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False,
                               na_values=[""])
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path.name}: not UTF-8 or GB18030 text")


def normalise_name(name: str) -> str:
    """Fold a firm name for matching: NFKC, case-folded, punctuation and spaces removed."""
    return _LEGAL_NOISE.sub("", unicodedata.normalize("NFKC", str(name)).casefold())
