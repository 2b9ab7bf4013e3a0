"""Incoming firms matched to the firms already stored, so that one firm is stored once.

A file from another source (a public listing over the reference firms or a firm-database
export) names firms the store already holds under another key. :func:`match_stored` pairs
each incoming row whose own key is not stored with the real (never a synthetic) stored firm it
is, on the first evidence that holds:

1. the same credit code, or the same ISIN;
2. the same country and the same website domain
   (:func:`~recommender.firms.firm_names.website_domain`);
3. the same country and the same name apart from legal forms
   (:func:`~recommender.firms.firm_names.firm_name_key`: "ULVAC, Inc." is "ULVAC");
4. the same country and the same short name (:func:`~recommender.firms.firm_names.maker_key`,
   which also drops words such as Technology or Group), where that short name belongs to one
   stored firm of the country only.

Rows of one file that are one firm (a firm listed under two symbols: the same code, or the
same country and name apart from legal forms) go to the first of them.
:func:`fill_missing` then completes each stored firm from its matched rows: a field that has a
value (entered by people, or a reference value) is never changed.
"""

from __future__ import annotations

import pandas as pd

from recommender import columns as C
from recommender.firms.firm_names import firm_name_key, maker_key, website_domain

__all__ = ["BASIS", "FILLED_FIELDS", "MATCH_COLUMNS", "TARGET_KEY", "fill_missing", "match_stored"]

BASIS = "basis"  # the evidence of a match: credit_code | isin | website | name | short_name
TARGET_KEY = "target_key"
MATCH_COLUMNS = ["row", TARGET_KEY, C.FIRM_ID, BASIS]
"""Columns of :func:`match_stored`: incoming row, the stored key and id it joins, evidence."""

_LOCATION = (C.LAT, C.LON, C.GEO_QUALITY)
FILLED_FIELDS = [c for c in C.FIRM_COLUMNS if c not in (
    C.FIRM_ID, C.FIRM_KEY, C.NAME, C.COUNTRY, C.SOURCE, C.IS_SYNTHETIC, *_LOCATION)]
"""Fields a match may fill when the stored firm has none; the coordinates go as one."""


def _text(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text.upper() if text else None


class _Index:
    """Lookups from each kind of evidence to a firm key."""

    def __init__(self) -> None:
        self.by: dict[str, dict] = {b: {} for b in (C.CREDIT_CODE, C.ISIN, C.WEBSITE, C.NAME)}
        self.short: dict[tuple, str | None] = {}

    def add(self, key: str, row, *, stored: bool) -> None:
        """Index a firm: a stored one by all its evidence, a row of the file by its codes and
        name only (sister firms listed side by side often share a group website)."""
        country = _text(row[C.COUNTRY])
        for basis, value in self._evidence(row, country):
            if value is not None and (stored or basis != C.WEBSITE):
                self.by[basis].setdefault(value, key)
        if stored and country:
            name = maker_key(row[C.NAME])
            if name:  # a short name shared by two firms of a country proves nothing
                self.short[(country, name)] = None if (country, name) in self.short else key

    @staticmethod
    def _evidence(row, country):
        domain = website_domain(row[C.WEBSITE]) if isinstance(row[C.WEBSITE], str) else None
        name = firm_name_key(row[C.NAME]) if _text(row[C.NAME]) else ""
        yield C.CREDIT_CODE, _text(row[C.CREDIT_CODE])
        yield C.ISIN, _text(row[C.ISIN])
        yield C.WEBSITE, (country, domain) if country and domain else None
        yield C.NAME, (country, name) if country and name else None

    def find(self, row) -> tuple[str, str] | None:
        country = _text(row[C.COUNTRY])
        for basis, value in self._evidence(row, country):
            if value is not None and value in self.by[basis]:
                return self.by[basis][value], basis
        name = maker_key(row[C.NAME]) if country and _text(row[C.NAME]) else ""
        key = self.short.get((country, name)) if name else None
        return (key, "short_name") if key else None


def match_stored(incoming: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """Return the incoming rows that are firms already stored (or earlier rows of the file).

    Both frames carry the firm columns. The result has :data:`MATCH_COLUMNS`: the row's
    position in ``incoming``, the key it joins, that firm's id when stored (else missing: an
    earlier row of the file) and the evidence.

    >>> stored = pd.DataFrame({C.FIRM_ID: ["ref-ulvac"], C.FIRM_KEY: ["nm:ulvac|JP"],
    ...     C.NAME: ["ULVAC"], C.COUNTRY: ["JP"], C.WEBSITE: [None], C.CREDIT_CODE: [None],
    ...     C.ISIN: [None], C.IS_SYNTHETIC: [False]})
    >>> incoming = stored.assign(**{C.FIRM_ID: "f-1", C.FIRM_KEY: "sym:ULVAC",
    ...                             C.NAME: "ULVAC, Inc."})
    >>> match_stored(incoming, stored).to_dict("records")
    [{'row': 0, 'target_key': 'nm:ulvac|JP', 'firm_id': 'ref-ulvac', 'basis': 'name'}]
    """
    real = stored[~stored[C.IS_SYNTHETIC].fillna(False).astype(bool)]
    index = _Index()
    stored_ids = {}
    for row in real.to_dict("records"):
        index.add(row[C.FIRM_KEY], row, stored=True)
        stored_ids[row[C.FIRM_KEY]] = row[C.FIRM_ID]
    known = set(stored[C.FIRM_KEY])
    matches = []
    for i, row in enumerate(incoming.to_dict("records")):
        key = row[C.FIRM_KEY]
        found = None if key in known else index.find(row)
        if found is None or found[0] == key:
            index.add(key, row, stored=False)
            continue
        matches.append((i, found[0], stored_ids.get(found[0]), found[1]))
    return pd.DataFrame(matches, columns=MATCH_COLUMNS)


def _missing(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def fill_missing(stored: pd.DataFrame, incoming: pd.DataFrame,
                 target_ids: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill the stored firms' empty fields from the incoming rows matched to them.

    ``target_ids`` gives, for each incoming row (same index), the id of its stored firm.
    The first incoming row with a value fills a field; fields with a value keep it. Returns
    the stored rows that changed (all columns) and the filled fields (``firm_id``, ``field``).
    """
    donors = incoming.assign(**{C.FIRM_ID: target_ids.to_numpy()})
    donors = donors.groupby(C.FIRM_ID, sort=False).first()  # first non-missing per column
    out = stored.set_index(C.FIRM_ID, drop=False).copy()
    donors = donors.reindex(out.index)
    filled: list[tuple[str, str]] = []
    for field in FILLED_FIELDS:
        take = _missing(out[field]) & ~_missing(donors[field])
        if take.any():
            out[field] = out[field].astype(object).where(~take, donors[field].astype(object))
            filled += [(firm, field) for firm in out.index[take]]
    take = _missing(out[C.LAT]) & _missing(out[C.LON]) & ~_missing(donors[C.LAT])
    if take.any():
        for field in _LOCATION:
            out[field] = out[field].astype(object).where(~take, donors[field].astype(object))
        filled += [(firm, field) for firm in out.index[take] for field in _LOCATION]
    fields = pd.DataFrame(filled, columns=[C.FIRM_ID, "field"])
    changed = out.index.isin(fields[C.FIRM_ID])
    return out[changed].reset_index(drop=True), fields
