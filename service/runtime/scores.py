"""A snapshot's rankings as the service serves them, over the library's score table.

The ranking itself (every candidate of every recruitable weak link, scored and sorted per link;
its filters, counts, reasons and target-list picks) is the library's
:class:`recommender.targeting.score_table.ScoreTable`, the one the CLI's answers come from too.
What is per process lives here:

- :func:`build_scores`: a snapshot's table, with the reasons of the first :data:`REASONS_AHEAD`
  rows of every weak link, in the order a top-k request asks them by default
  (:func:`first_answers`), computed while it is built, off the request path. Given a folder
  (the service's ``<var_dir>/scores``, :data:`SCORES_DIR`), the table is the one kept in its
  file there (:func:`recommender.targeting.score_file.shared_score_table`): scored by the
  first worker that needs it, memory-mapped by every worker, so that the workers of a machine
  share one copy of the scores and only one of them scores a new model or data version;
- :class:`ServedTable`: the table with the rankings it was asked for kept (bounded by
  :data:`RANKED_KEPT` positions): a list asked again, or paged through, is not filtered again,
  which at a million firms is a pass over a few hundred thousand candidates per request. A
  table read from a score file has its file pages released after each such pass (a new
  ranking, a firm's positions, the target-list picks): what a pass maps of the file would
  otherwise stay in the worker's resident memory, the whole of a column after a firm's
  positions, while the pages come back from the page cache in microseconds;
- :class:`ServedScores`: the table's rows in the API's shape (the firm's source and flag under
  ``provenance``, with the data and model versions), each row kept as JSON bytes once served
  (without its rank, which depends on the filters), so that a repeated request only joins bytes;
- :class:`Memo`: a bounded cache of answers computed from one snapshot.

Nothing here knows about Flask; :mod:`service.api` turns the answers into responses.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from recommender import columns as C
from recommender.store.models import DATA_VERSION
from recommender.targeting.score_file import shared_score_table
from recommender.targeting.score_table import ScoreTable, build_score_table, check_k

__all__ = [
    "MAX_KEPT_ROWS",
    "PROVENANCE",
    "RANKED_KEPT",
    "REASONS_AHEAD",
    "SCORES_DIR",
    "Memo",
    "ServedScores",
    "ServedTable",
    "build_scores",
    "first_answers",
]

REASONS_AHEAD = 50  # rows per weak link whose reasons are computed when scores are built
MAX_KEPT_ROWS = 200_000  # served rows kept as JSON; past it, rows are rebuilt each time
PROVENANCE = "provenance"  # where a served row's firm came from, and what scored it
SCORES_DIR = "scores"  # the score files' folder in the service's var_dir
RANKED_KEPT = 4_000_000  # positions of the rankings kept per snapshot (32 MB)
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
_log = logging.getLogger(__name__)


class ServedTable:
    """A :class:`~recommender.targeting.score_table.ScoreTable` whose rankings
    (:meth:`ranked`, :meth:`top_k`) are kept once asked, the least recently asked dropped past
    ``kept`` positions; everything else is the table's. The kept positions are read-only.
    After a pass over the table (a new ranking, :meth:`firm_positions`, :meth:`target_picks`)
    the pages of its score file are released, if it has one (see the module)."""

    def __init__(self, table: ScoreTable, *, kept: int = RANKED_KEPT):
        self.table = table
        self.kept = int(kept)
        self._ranked: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"ServedTable({self.table!r}, kept={self._size} positions)"

    def ranked(self, node_id: str, **filters) -> np.ndarray:
        """The table's :meth:`~recommender.targeting.score_table.ScoreTable.ranked`, kept."""
        key = _ranking_key(node_id, filters)
        if key is None:
            return self.table.ranked(node_id, **filters)
        with self._lock:
            found = self._ranked.get(key)
            if found is not None:
                self._ranked.move_to_end(key)
                return found
        found = self.table.ranked(node_id, **filters)
        found.flags.writeable = False
        self._release()
        with self._lock:
            if key not in self._ranked and len(found) <= self.kept:
                self._ranked[key] = found
                self._size += len(found)
                while self._size > self.kept:
                    self._size -= len(self._ranked.popitem(last=False)[1])
        return found

    def top_k(self, node_id: str, k: int, **filters) -> tuple[np.ndarray, int]:
        """The table's :meth:`~recommender.targeting.score_table.ScoreTable.top_k`, from the
        kept ranking."""
        ranked = self.ranked(node_id, **filters)
        return ranked[:check_k(k)], len(ranked)

    def firm_positions(self, firm_id: str) -> np.ndarray:
        """The table's :meth:`~recommender.targeting.score_table.ScoreTable.firm_positions`
        (a pass over every position), its file pages released after."""
        try:
            return self.table.firm_positions(firm_id)
        finally:
            self._release()

    def target_picks(self, **options) -> pd.DataFrame:
        """The table's :meth:`~recommender.targeting.score_table.ScoreTable.target_picks`, its
        file pages released after."""
        try:
            return self.table.target_picks(**options)
        finally:
            self._release()

    def _release(self) -> None:
        release = getattr(self.table, "release_pages", None)
        if release is not None:
            release()


def _ranking_key(node_id: str, filters: dict[str, Any]) -> Hashable | None:
    """A ranking's key: the link and the filters, sequences as tuples (None if unhashable)."""
    items = []
    for name, value in sorted(filters.items()):
        if isinstance(value, set | frozenset):  # one key whatever order a set iterates in
            value = tuple(sorted(value, key=repr))
        elif isinstance(value, list | tuple | np.ndarray | pd.Index):
            value = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
        items.append((name, value))
    key = (str(node_id), tuple(items))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class ServedScores:
    """The rows of a :class:`~recommender.targeting.score_table.ScoreTable` as served.

    ``table`` answers every query (positions, filters, counts, picks); this object only turns
    positions into the API's rows and keeps their JSON. Read by many threads at once.
    """

    def __init__(self, table: ScoreTable, *, data_version: int):
        self.table = table if isinstance(table, ServedTable) else ServedTable(table)
        self.data_version = int(data_version)
        self._json: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"ServedScores({self.table!r}, data_version={self.data_version})"

    def items(self, positions: Sequence[int], *, first_rank: int = 1) -> list[dict[str, Any]]:
        """Return the rows at ``positions`` as dicts with ``rank`` from ``first_rank``."""
        return [{C.RANK: first_rank + i, **self._served(record)}
                for i, record in enumerate(self.table.records(positions))]

    def items_json(self, positions: Sequence[int], *, first_rank: int = 1) -> bytes:
        """Return the rows at ``positions`` as a JSON array, ranks from ``first_rank``."""
        positions = [int(p) for p in positions]
        missing = [p for p in dict.fromkeys(positions) if p not in self._json]
        fresh = {p: orjson.dumps(self._served(record), option=_JSON_OPTIONS)
                 for p, record in zip(missing, self.table.records(missing), strict=True)}
        for position, row in fresh.items():
            if len(self._json) >= MAX_KEPT_ROWS:
                break
            self._json[position] = row
        parts = [b'{"rank":%d,' % (first_rank + i) + (self._json.get(p) or fresh[p])[1:]
                 for i, p in enumerate(positions)]
        return b"[" + b",".join(parts) + b"]"

    def _served(self, record: dict[str, Any]) -> dict[str, Any]:
        """A table row in the API's shape: the firm's source and flag under ``provenance``."""
        row = dict(record)
        row[PROVENANCE] = {C.SOURCE: row.pop(C.SOURCE),
                           C.IS_SYNTHETIC: bool(row.pop(C.IS_SYNTHETIC) or False),
                           DATA_VERSION: self.data_version,
                           C.MODEL_VERSION: self.table.model_version}
        return row


def build_scores(data, weak_links: pd.DataFrame, model, *,
                 reasons_ahead: int = REASONS_AHEAD, directory=None) -> ServedScores:
    """Score every candidate of every recruitable weak link with ``model``, for serving.

    ``model`` is a fitted ranker or a fitted
    :class:`recommender.targeting.prior_model.PriorModel`. With ``directory``, the scores are
    read from their shared file there, written first if no worker has; a folder that cannot
    be written falls back to scoring in this process (logged). The reasons of each link's
    first ``reasons_ahead`` rows, as a top-k request orders them by default
    (:func:`first_answers`), are worded now, so that the first requests find them.
    """
    table = None
    if directory is not None:
        try:
            table = shared_score_table(directory, data, weak_links, model, reasons_ahead=0)
        except OSError as exc:
            _log.warning("score file in %s unavailable (%s): scoring in this worker",
                        directory, exc)
    if table is None:
        table = build_score_table(data, weak_links, model, reasons_ahead=0)
    table.reasons(first_answers(table, reasons_ahead))
    release = getattr(table, "release_pages", None)  # what the pass read of a score file
    if release is not None:
        release()
    return ServedScores(table, data_version=data.data_version)


def first_answers(table, k: int) -> np.ndarray:
    """The positions of each link's best ``k`` rows as a top-k request asks them by default
    (every filter off, by expected value), link after link."""
    if k < 1:
        return np.zeros(0, np.int64)
    return np.concatenate([table.top_k(node, k)[0] for node in table.nodes]
                          or [np.zeros(0, np.int64)]).astype(np.int64)


# --- small per-snapshot caches --------------------------------------------------------------
class Memo:
    """A bounded least-recently-used cache of answers computed from one snapshot."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
