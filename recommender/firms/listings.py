"""Public stock listings (FinanceDatabase-style exports) read into ChainScout's firm columns.

A listing file describes listed firms with ``symbol, short_name, long_name`` (older exports)
or ``name`` (newer ones), an English ``summary``, ``country`` (English name), ``state``,
``city``, ``zipcode``, ``website``, ``market_cap`` (a size class such as "Small Cap"),
``isin``, ``industry``, ``sector``, ``exchange`` and ``currency``. :func:`read_listing`
maps both layouts to our columns and validates the whole file first, like
``recommender.firms.ingest``: a file with a bad row is rejected with a report that names file,
row and column.

The country stays an English name here; ``recommender.firms.ingest`` turns it into ISO codes.
The source's ``industry`` is kept as a label (``industry_code``, a classifier feature when one
asks for it); it never places a firm in a chain node by itself: a semiconductor listing of an
IP licensor or an assembly house is no maker of chips (``recommender.firms.keywords``).

Firm key
--------
:func:`listing_key` gives ``isin:<ISIN>`` where the ISIN is known, else ``sym:<SYMBOL>``.
The ISIN does not change when a firm moves exchange or ticker, so the key is stable across
snapshots where the ISIN is known. Older exports carry no ISIN; pass ``isins=`` (for example
:func:`isins_by_symbol` of a newer snapshot) to key those rows by ISIN too. For listings this
key is meant to be stored as ``columns.FIRM_KEY``, in place of the name-and-country key that
``ingest.firm_keys`` builds for firm-database exports.

>>> raw = pd.DataFrame({"symbol": ["ACME"], "long_name": ["Acme Optics Ltd"],
...                     "country": ["Japan"], "market_cap": ["Small Cap"]})
>>> firms = read_listing(raw)
>>> firms[[C.NAME, C.SIZE_CLASS]].iloc[0].tolist(), listing_key(firms).tolist()
(['Acme Optics Ltd', 'small'], ['sym:ACME'])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.schemas import HEADER_ROW_OFFSET
from recommender.firms.tables import normalise_name, read_table

__all__ = [
    "CURRENCY",
    "EXCHANGE",
    "EXTRA_COLUMNS",
    "INDUSTRY_GROUP",
    "LISTING_COLUMNS",
    "SECTOR",
    "SIZE_ORDER",
    "ZIPCODE",
    "isins_by_symbol",
    "listing_key",
    "read_listing",
    "repair_mojibake",
    "size_rank",
]

SIZE_ORDER = C.SIZE_CLASSES
"""Market-capitalisation classes from smallest to largest; ``size_rank`` numbers them 0..5."""

# Listing columns kept beside ours: where a firm trades and how the source classifies it.
EXCHANGE = "exchange"
SECTOR = "sector"
INDUSTRY_GROUP = "industry_group"
CURRENCY = "currency"
ZIPCODE = "zipcode"
EXTRA_COLUMNS = [EXCHANGE, SECTOR, INDUSTRY_GROUP, CURRENCY, ZIPCODE]

LISTING_COLUMNS = [
    C.SYMBOL, C.ISIN, C.NAME, C.COUNTRY, C.PROVINCE, C.CITY, C.WEBSITE, C.INDUSTRY_CODE,
    C.SIZE_CLASS, C.IS_LISTED, C.BUSINESS_SCOPE, C.SOURCE, *EXTRA_COLUMNS,
]
"""Columns of the frame :func:`read_listing` returns, in order."""

# Source header -> our column. Names are tried in order: long_name, then name, then short_name.
_NAME_SOURCES = ("long_name", "name", "short_name")
_RENAMES = {
    "symbol": C.SYMBOL, "isin": C.ISIN, "summary": C.BUSINESS_SCOPE, "country": C.COUNTRY,
    "state": C.PROVINCE, "city": C.CITY, "website": C.WEBSITE, "industry": C.INDUSTRY_CODE,
    "market_cap": C.SIZE_CLASS, "exchange": EXCHANGE, "sector": SECTOR,
    "industry_group": INDUSTRY_GROUP, "currency": CURRENCY, "zipcode": ZIPCODE,
}
_TEXT_REPAIRED = (C.NAME, C.BUSINESS_SCOPE, C.PROVINCE, C.CITY)
_SIZE_LABELS = {f"{size} cap": size for size in SIZE_ORDER} | {s: s for s in SIZE_ORDER}
_ISIN_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_MOJIBAKE_HINT = re.compile("[ÃÂ]")


def repair_mojibake(text):
    """Undo UTF-8 text that was decoded as Latin-1 or cp1252 (``"MalmÃ¶"`` -> ``"Malmö"``).

    Text without the tell-tale ``Ã``/``Â`` characters, or that does not decode cleanly, is
    returned unchanged.

    >>> repair_mojibake("SociÃ©tÃ© GÃ©nÃ©rale"), repair_mojibake("Zürich")
    ('Société Générale', 'Zürich')
    """
    if not isinstance(text, str) or not _MOJIBAKE_HINT.search(text):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _fold_header(header) -> str:
    return " ".join(str(header).strip().casefold().replace("_", " ").split()).replace(" ", "_")


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _problems_error(file: str, problems: list[dict]) -> ValidationError:
    return ValidationError(f"listing: {len(problems)} problem(s) in {file}; nothing was loaded",
                           problems)


def _size_classes(raw: pd.Series, file: str, problems: list[dict]) -> pd.Series:
    folded = raw.str.casefold().str.replace(r"\s+", " ", regex=True)
    sizes = folded.map(_SIZE_LABELS, na_action="ignore").astype("string")
    for i in np.flatnonzero((raw.notna() & sizes.isna()).to_numpy()):
        problems.append({"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": "market_cap",
                         "message": f"{raw.iloc[i]!r} is not a size class "
                                    f"(Nano/Micro/Small/Mid/Large/Mega Cap)"})
    return sizes


def _check_isins(isins: pd.Series, file: str, problems: list[dict]) -> None:
    bad = isins.notna() & ~isins.str.fullmatch(_ISIN_RE.pattern).fillna(False).astype(bool)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append({"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": "isin",
                         "message": f"{isins.iloc[i]!r} is not an ISIN (2 letters, 9 letters "
                                    "or digits, 1 check digit)"})


def read_listing(path_or_frame, *, file: str | None = None,
                 conflicts: str = "raise") -> pd.DataFrame:
    """Read a public-listing table and return it in ChainScout's firm columns.

    Parameters
    ----------
    path_or_frame : a CSV/XLSX/Parquet path, or a frame already read (every cell as text).
    file : the name used in problem reports (default: the file name, or ``"<frame>"``).
    conflicts : what to do with a row whose ISIN was already given to a firm of another name:
        ``"raise"`` (default) reports it; ``"symbol"`` keys that row by its symbol instead.

    Returns
    -------
    DataFrame with :data:`LISTING_COLUMNS`: ``name`` from ``long_name`` (else ``name``, else
    ``short_name``), ``business_scope`` from ``summary``, ``country`` as the English name,
    ``province`` from ``state``, ``industry_code`` from ``industry``, ``size_class`` from
    ``market_cap`` (``"Nano Cap"`` -> ``"nano"`` … ``"Mega Cap"`` -> ``"mega"``, empty stays
    missing), ``is_listed`` True; ``exchange``, ``sector``, ``industry_group``, ``currency``
    and ``zipcode`` are kept as they are. A firm listed twice under one key (same ISIN or
    symbol, same name) is kept once; ``frame.attrs["duplicates_dropped"]`` counts the rest.

    Raises
    ------
    ValidationError
        When the name or country column is missing, or rows have an empty name, an unknown
        size class, a malformed ISIN or an ISIN shared by differently named firms. Each
        problem names file, row (header = row 1) and column.

    Examples
    --------
    >>> read_listing("open_firms_2026.csv")[[C.NAME, C.ISIN, C.SIZE_CLASS]]  # doctest: +SKIP
    """
    if isinstance(path_or_frame, pd.DataFrame):
        raw = path_or_frame.reset_index(drop=True)
        file = file or "<frame>"
    else:
        raw = read_table(path_or_frame)
        file = file or Path(path_or_frame).name
    if conflicts not in ("raise", "symbol"):
        raise InvalidArgument(f"conflicts must be 'raise' or 'symbol', not {conflicts!r}")
    raw = raw.rename(columns=_fold_header)

    missing = [{"file": file, "row": 1, "column": column, "message": message}
               for column, present, message in (
                   ("long_name", any(c in raw.columns for c in _NAME_SOURCES),
                    "no firm-name column (long_name, name or short_name)"),
                   ("country", "country" in raw.columns, "no country column"))
               if not present]
    if missing:
        raise _problems_error(file, missing)

    out = pd.DataFrame(index=raw.index)
    names = pd.Series(pd.NA, index=raw.index, dtype="string")
    for source in _NAME_SOURCES:
        if source in raw.columns:
            names = names.fillna(_text(raw[source]))
    out[C.NAME] = names
    for source, target in _RENAMES.items():
        out[target] = _text(raw[source]) if source in raw.columns else pd.Series(
            pd.NA, index=raw.index, dtype="string")
    for column in _TEXT_REPAIRED:
        out[column] = out[column].map(repair_mojibake, na_action="ignore").astype("string")
    out[C.SYMBOL] = out[C.SYMBOL].str.upper()
    out[C.ISIN] = out[C.ISIN].str.upper()

    problems = [{"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": "name",
                 "message": "the firm name is empty"}
                for i in np.flatnonzero(out[C.NAME].isna().to_numpy())]
    out[C.SIZE_CLASS] = _size_classes(out[C.SIZE_CLASS], file, problems)
    _check_isins(out[C.ISIN], file, problems)
    if not problems:
        out, problems = _dedup(out, file, conflicts)
    if problems:
        problems.sort(key=lambda p: (p["row"], p["column"]))
        raise _problems_error(file, problems)

    out[C.IS_LISTED] = True
    out[C.SOURCE] = file
    dropped = len(raw) - len(out)
    out = out[LISTING_COLUMNS].reset_index(drop=True)
    out.attrs["duplicates_dropped"] = dropped
    return out


def _dedup(firms: pd.DataFrame, file: str, conflicts: str) -> tuple[pd.DataFrame, list[dict]]:
    """Drop repeated listings of one firm; report (or re-key) keys shared by other names."""
    keys = listing_key(firms)
    names = firms[C.NAME].map(normalise_name)
    first_row: dict[str, int] = {}
    keep = np.ones(len(firms), dtype=bool)
    problems: list[dict] = []
    for i, (key, name) in enumerate(zip(keys, names, strict=True)):
        if key not in first_row:
            first_row[key] = i
            continue
        j = first_row[key]
        if names.iloc[j] == name:
            keep[i] = False
        elif conflicts == "symbol" and pd.notna(firms[C.SYMBOL].iloc[i]):
            firms.iloc[i, firms.columns.get_loc(C.ISIN)] = pd.NA
            keys.iloc[i] = listing_key(firms.iloc[[i]]).iloc[0]
            if keys.iloc[i] in first_row:
                keep[i] = False
            first_row.setdefault(keys.iloc[i], i)
        else:
            column = "isin" if key.startswith("isin:") else "symbol"
            problems.append({"file": file, "row": i + HEADER_ROW_OFFSET, "column": column,
                             "message": f"{key.split(':', 1)[1]!r} is already row "
                                        f"{j + HEADER_ROW_OFFSET}, a firm of another name "
                                        f"({firms[C.NAME].iloc[j]!r})"})
    return firms[keep], problems


def isins_by_symbol(listing: pd.DataFrame, *, symbol: str = C.SYMBOL,
                    isin: str = C.ISIN) -> dict[str, str]:
    """Map each symbol with a known ISIN to that ISIN (to key an older snapshot by ISIN).

    >>> isins_by_symbol(pd.DataFrame({"symbol": ["A", "B"], "isin": ["US0000000001", None]}))
    {'A': 'US0000000001'}
    """
    known = listing[[symbol, isin]].dropna()
    return dict(zip(known[symbol].astype(str).str.strip().str.upper(),
                    known[isin].astype(str).str.strip().str.upper(), strict=True))


def listing_key(listing: pd.DataFrame, *, isins: Mapping[str, str] | None = None,
                symbol: str = C.SYMBOL, isin: str = C.ISIN) -> pd.Series:
    """Return each listing's firm key: ``isin:<ISIN>`` if known, else ``sym:<SYMBOL>``.

    ``isins`` maps symbols to ISINs for rows that carry none (see :func:`isins_by_symbol`).
    Rows with neither an ISIN nor a symbol get a missing key.

    >>> listing_key(pd.DataFrame({"symbol": ["abc", "XYZ"],
    ...                           "isin": [None, "us0000000001"]})).tolist()
    ['sym:ABC', 'isin:US0000000001']
    """
    symbols = (listing[symbol].astype("string").str.strip().str.upper()
               if symbol in listing.columns else pd.Series(pd.NA, index=listing.index,
                                                           dtype="string"))
    codes = (listing[isin].astype("string").str.strip().str.upper()
             if isin in listing.columns else pd.Series(pd.NA, index=listing.index,
                                                       dtype="string"))
    codes = codes.mask(codes == "")
    if isins:
        codes = codes.fillna(symbols.map(dict(isins), na_action="ignore").astype("string"))
    symbols = symbols.mask(symbols == "")
    return ("isin:" + codes).fillna("sym:" + symbols).rename(None)


def size_rank(sizes: pd.Series) -> pd.Series:
    """Number size classes 0 (nano) .. 5 (mega) as nullable integers; unknown -> <NA>.

    Accepts our classes (``"mid"``) and the listing labels (``"Mid Cap"``).

    >>> size_rank(pd.Series(["nano", "Mega Cap", None])).tolist()
    [0, 5, <NA>]
    """
    folded = sizes.astype("string").str.strip().str.casefold().str.replace(r"\s+", " ",
                                                                             regex=True)
    rank = {size: i for i, size in enumerate(SIZE_ORDER)}
    return folded.map(_SIZE_LABELS, na_action="ignore").map(rank, na_action="ignore").astype(
        "Int64")
