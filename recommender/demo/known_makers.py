"""The world's known makers of each chain node, and a name match that finds them among firms.

``data/firms/known_makers.csv`` lists, for upstream and midstream nodes, the firms any officer
of the field would name first as makers of that product (node_id, maker, country, source).
:func:`maker_key` (of :mod:`recommender.firms.firm_names`, which ingest also matches firms
with) folds a firm name for matching: NFKC, case-folded, ``&`` read as ``and``, text in
brackets dropped, split into words on anything but letters and digits, and legal or generic
words (:data:`GENERIC_WORDS`: Inc, Corporation, Ltd, AG, Holdings, Technologies, Electric, …)
left out. :func:`match_makers` pairs each maker with the firms of the same home
country whose key is the maker's key.

>>> maker_key("Texas Instruments Incorporated"), maker_key("Pfeiffer Vacuum Technology AG")
('texas instruments', 'pfeiffer vacuum')
>>> maker_key("ZLG (Guangzhou Zhiyuan Electronics)"), maker_key("Rohde & Schwarz GmbH & Co. KG")
('zlg', 'rohde and schwarz')
"""

from __future__ import annotations

import pandas as pd

from recommender import columns as C
from recommender import paths
from recommender.exceptions import DataError
from recommender.firms.firm_names import GENERIC_WORDS, maker_key
from recommender.firms.tables import read_table

__all__ = ["GENERIC_WORDS", "KNOWN_MAKERS_FILE", "MAKER", "MAKER_COLUMNS", "load_known_makers",
           "maker_key", "match_makers"]

KNOWN_MAKERS_FILE = "known_makers.csv"
MAKER = "maker"
MAKER_COLUMNS = [C.NODE_ID, MAKER, C.COUNTRY, C.SOURCE]


def load_known_makers(path=None) -> pd.DataFrame:
    """Read the known makers (``data/firms/known_makers.csv`` by default).

    Raises ``DataError`` naming the file when a column is missing or a row has no source.
    """
    path = paths.data_dir() / "firms" / KNOWN_MAKERS_FILE if path is None else path
    table = read_table(path)
    missing = [c for c in MAKER_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{KNOWN_MAKERS_FILE}: missing columns {missing}")
    blank = table[MAKER_COLUMNS].isna().any(axis=1)
    if blank.any():
        raise DataError(f"{KNOWN_MAKERS_FILE}: row {int(blank.idxmax()) + 2} has an empty field")
    return table[MAKER_COLUMNS].reset_index(drop=True)


def match_makers(makers: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Pair each known maker with the firms of its country whose :func:`maker_key` is its own.

    Returns the maker rows joined with ``firm_id`` (one row per matched firm; a maker that
    matches no firm is left out).
    """
    keyed = firms[[C.FIRM_ID, C.NAME, C.COUNTRY]].assign(
        key=firms[C.NAME].map(maker_key).to_numpy())
    wanted = makers.assign(key=makers[MAKER].map(maker_key).to_numpy())
    return wanted.merge(keyed[[C.FIRM_ID, C.COUNTRY, "key"]], on=["key", C.COUNTRY]) \
        .drop(columns="key")
