"""Hand labels of chain nodes: lists of node ids per firm, and the checked label file.

The node classifier learns from, and is scored against, labels of the form "this firm is in
these chain nodes, or in none". :func:`parse_node_ids` reads any of the forms a label may
take; :func:`read_node_labels` reads and checks ``data/labels/open_firms_nodes.csv``
(``symbol, node_ids, none_of_chain, labeller_note``), and :func:`read_scope_labels` the
labelled Chinese business scopes ``data/labels/zh_business_scopes.csv`` (``scope_id,
business_scope, node_ids, none_of_chain, labeller_note``), whose conventions
``data/labels/README.md`` describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.schemas import HEADER_ROW_OFFSET
from recommender.paths import data_dir

__all__ = [
    "LABEL_COLUMNS",
    "LABEL_NODE_IDS",
    "LABEL_NONE",
    "LABEL_NOTE",
    "MAX_LABELS",
    "SCOPE_ID",
    "SCOPE_LABEL_COLUMNS",
    "parse_node_ids",
    "read_node_labels",
    "read_scope_labels",
]

# Columns of the hand-labelled file data/labels/open_firms_nodes.csv
LABEL_NODE_IDS = "node_ids"
LABEL_NONE = "none_of_chain"
LABEL_NOTE = "labeller_note"
LABEL_COLUMNS = [C.SYMBOL, LABEL_NODE_IDS, LABEL_NONE, LABEL_NOTE]
MAX_LABELS = 4
SCOPE_ID = "scope_id"
SCOPE_LABEL_COLUMNS = [SCOPE_ID, C.BUSINESS_SCOPE, LABEL_NODE_IDS, LABEL_NONE, LABEL_NOTE]


def parse_node_ids(labels) -> list[list[str]]:
    """Turn labels into one list of node ids per firm.

    Accepts ";"-separated strings (``"lasers;optical_elements"``), lists or tuples of ids,
    and empty or missing values (a firm outside the chain).

    >>> parse_node_ids(["lasers; fiber_optics", "", None, ["ct_scanners"]])
    [['lasers', 'fiber_optics'], [], [], ['ct_scanners']]
    """
    if isinstance(labels, str):
        raise InvalidArgument("labels must hold one entry per firm, not a single string")
    out: list[list[str]] = []
    for value in labels:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            ids: list[str] = []
        elif isinstance(value, str):
            ids = [part.strip() for part in value.split(";") if part.strip()]
        elif isinstance(value, Iterable):
            ids = [str(part).strip() for part in value if str(part).strip()]
        else:
            raise InvalidArgument(f"labels: cannot read {value!r} as node ids")
        out.append(list(dict.fromkeys(ids)))
    return out


def read_node_labels(path: str | Path | None = None, *, chain=None) -> pd.DataFrame:
    """Read hand labels (``symbol, node_ids, none_of_chain, labeller_note``) and check them.

    ``node_ids`` comes back as a list per firm. Defaults to ``data/labels/open_firms_nodes.csv``.
    Raises ``ValidationError`` (file, row, column) for a repeated symbol, more than four node
    ids, a ``none_of_chain`` flag that contradicts the ids, or (with ``chain``) an unknown id.
    """
    path = Path(path) if path is not None else data_dir() / "labels" / "open_firms_nodes.csv"
    return _read_labels(path, LABEL_COLUMNS, chain)


def read_scope_labels(path: str | Path | None = None, *, chain=None) -> pd.DataFrame:
    """Read labelled business scopes (:data:`SCOPE_LABEL_COLUMNS`) and check them.

    Defaults to ``data/labels/zh_business_scopes.csv``, Chinese scopes written in the style of
    the national register (synthetic: see ``data/labels/README.md``). Checked as
    :func:`read_node_labels` checks, with ``scope_id`` as the key.
    """
    path = (Path(path) if path is not None
            else data_dir() / "labels" / "zh_business_scopes.csv")
    return _read_labels(path, SCOPE_LABEL_COLUMNS, chain)


def _read_labels(path: Path, columns: list[str], chain) -> pd.DataFrame:
    key = columns[0]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    file = path.name
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ValidationError(f"labels: {file} lacks columns {missing}",
                              [{"file": file, "row": 1, "column": c, "message": "missing column"}
                               for c in missing])
    ids = parse_node_ids(raw[LABEL_NODE_IDS])
    flags = raw[LABEL_NONE].str.strip().str.lower()
    known = set(chain.node_ids) if chain is not None else None
    problems = []
    for i, (nodes, flag) in enumerate(zip(ids, flags, strict=True)):
        where = {"file": file, "row": i + HEADER_ROW_OFFSET}
        if flag not in ("true", "false") or (flag == "true") != (not nodes):
            problems.append({**where, "column": LABEL_NONE,
                             "message": f"{flag!r} does not match node ids {nodes}"})
        if len(nodes) > MAX_LABELS:
            problems.append({**where, "column": LABEL_NODE_IDS,
                             "message": f"{len(nodes)} node ids; at most {MAX_LABELS}"})
        unknown = [n for n in nodes if known is not None and n not in known]
        if unknown:
            problems.append({**where, "column": LABEL_NODE_IDS,
                             "message": f"not nodes of the chain: {unknown}"})
    for i in np.flatnonzero(raw[key].duplicated().to_numpy()):
        problems.append({"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": key,
                         "message": f"{raw[key].iloc[i]!r} is labelled twice"})
    if problems:
        raise ValidationError(f"labels: {len(problems)} problem(s) in {file}", problems)
    out = raw[columns].copy()
    out[LABEL_NODE_IDS] = ids
    out[LABEL_NONE] = flags == "true"
    return out
