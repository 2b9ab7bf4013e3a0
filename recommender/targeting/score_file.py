"""A score table kept in a file, memory-mapped and shared by every process that serves it.

A :class:`~recommender.targeting.score_table.ScoreTable` holds a handful of values per scored
pair (:data:`~recommender.targeting.score_table.PAIR_ARRAYS`: the pair's firm and link, its
figures, its place in each order): about 140 bytes a pair, 175 MB for the 1.25 million pairs
of a 100,000-firm world. Built in each process that serves, they cost that memory, and the
build's own peak, once per process. :func:`shared_score_table` builds them once per set of
inputs instead, writes them to one Arrow IPC file and opens it memory-mapped: the arrays are
read in place from the file (zero-copy), so processes on one machine share one copy of them
in the page cache, and a process that finds the file ready does not score at all.

- The file is named by the model version, the data version and a key over what the table is
  built from (:func:`score_file_key`: the model version, the data version, the links, the
  serving date, the firms' ids, the recorded outcomes and the weak-link table): new inputs
  make a new file, which is how a new model or a data edit rebuilds it.
- It is written to a temporary file then renamed (a reader sees a whole file or none), under
  a lock file of the folder (:data:`LOCK_NAME`, ``fcntl.flock``): a second process waits for
  the first one's file rather than scoring the same table again.
- Files other than the :data:`KEEP_FILES` most recently opened are removed when a new one is
  written; a process still reading a removed file keeps its mapping.
- A table read from a file is a :class:`MappedScoreTable`: its
  :meth:`~MappedScoreTable.release_pages` drops the file's pages from the process's resident
  memory after a one-off pass (``madvise(MADV_DONTNEED)``; they stay in the page cache and are
  mapped again when next read). :func:`shared_score_table` releases them once the reasons
  computed ahead are kept: the kernel maps a file megabytes at a time, so reading 50 rows of
  every link would otherwise keep most of the columns resident in every process.

What the file does not hold comes from the inputs, as they are needed anyway: the firms'
fields and the link names (from ``data`` and ``weak_links``), the model (for reasons). The
links' baselines, the reasons' reference, are kept in the file's metadata, so that a row's
reasons read from a file equal those of the table it was written from.

>>> table = shared_score_table("var/scores", data, weak_links, model)  # doctest: +SKIP
>>> table.top_k("vacuum_pumps", 20)                                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.diagnosis.weak_links import CAN_RECRUIT
from recommender.exceptions import DataError
from recommender.targeting.prior_model import model_version, prior_model
from recommender.targeting.score_table import (
    PAIR_ARRAYS,
    TOP_REASONS,
    ScoreTable,
    build_score_table,
    check_link,
)

__all__ = [
    "FILE_FORMAT",
    "KEEP_FILES",
    "LOCK_NAME",
    "MappedScoreTable",
    "open_score_file",
    "prune_score_files",
    "score_file_key",
    "score_file_path",
    "shared_score_table",
    "write_score_file",
]

FILE_FORMAT = 1  # the layout of a score file; a new layout makes new files
KEEP_FILES = 2  # score files kept in a folder (the most recently opened)
LOCK_NAME = "scores.lock"  # the folder's lock file, held while a table is built and written
_SUFFIX = ".arrow"
_META = b"chainscout.score_table"


# --- what a file is built from ----------------------------------------------------------------
def _links(weak_links: pd.DataFrame, data, node_ids: Sequence[str] | None) -> list[str]:
    """The links a table holds, as :func:`~recommender.targeting.score_table.build_score_table`
    picks them."""
    if node_ids is None:
        recruitable = weak_links[weak_links[CAN_RECRUIT].astype(bool)]
        return list(dict.fromkeys(str(n) for n in recruitable[C.NODE_ID]))
    nodes = list(dict.fromkeys(str(n) for n in node_ids))
    for node in nodes:
        check_link(node, data.chain, weak_links)
    return nodes


def _serving_date(data, as_of) -> pd.Timestamp:
    from recommender.ranking.features import default_as_of

    return pd.Timestamp(as_of).normalize() if as_of is not None else default_as_of(data)


def _frame_digest(frame: pd.DataFrame | None) -> str:
    """A digest of a frame's values (as text, column by column, with its column names)."""
    digest = hashlib.sha256()
    if frame is None:
        return digest.hexdigest()
    digest.update("\0".join(map(str, frame.columns)).encode())
    if len(frame):
        shown = frame.astype(str)
        digest.update(pd.util.hash_pandas_object(shown, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def score_file_key(data, weak_links: pd.DataFrame, model, nodes: Sequence[str],
                   as_of: pd.Timestamp) -> str:
    """Return the key of the table of ``nodes`` scored by ``model`` on ``data`` at ``as_of``:
    a hex digest of the file format, the model version, the data version, the links, the
    serving date, the firms' ids, the recorded outcomes and the weak-link table."""
    firms = data.firms[[C.FIRM_ID]] if data.firms is not None else None
    parts = [str(FILE_FORMAT), str(model_version(model)), str(getattr(data, "data_version", "")),
             "\0".join(nodes), pd.Timestamp(as_of).isoformat(), _frame_digest(firms),
             _frame_digest(getattr(data, "outcomes", None)), _frame_digest(weak_links)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def score_file_path(directory, model, data, key: str) -> Path:
    """Return the file of the table with ``key`` in ``directory``, named
    ``scores-<model version>-d<data version>-<key>.arrow``."""
    version = re.sub(r"[^A-Za-z0-9._-]+", "_", str(model_version(model)))
    return (Path(directory)
            / f"scores-{version}-d{getattr(data, 'data_version', 0)}-{key[:16]}{_SUFFIX}")


# --- writing and reading ----------------------------------------------------------------------
def write_score_file(table: ScoreTable, path, *, key: str = "") -> Path:
    """Write ``table``'s arrays and links to ``path`` as one Arrow IPC file, whole or not at
    all (a temporary file in the same folder, renamed); return the path."""
    import pyarrow as pa

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = table.pair_arrays()
    meta = {
        "format": FILE_FORMAT, "key": key, C.MODEL_VERSION: table.model_version,
        "nodes": table.nodes, "slices": {n: list(s) for n, s in table.slices.items()},
        "as_of": pd.Timestamp(table.as_of).isoformat(),
        "baselines": {str(node): {"names": [str(i) for i in series.index],
                                  "values": [float(v) for v in series.to_numpy(float)]}
                      for node, series in table.baselines.items()},
    }
    batch = pa.record_batch([pa.array(np.ascontiguousarray(arrays[name])) for name in PAIR_ARRAYS],
                            names=list(PAIR_ARRAYS))
    schema = batch.schema.with_metadata({_META: json.dumps(meta).encode()})
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".scores-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out, pa.ipc.new_file(out, schema) as writer:
            writer.write_batch(batch)
        os.chmod(temporary, 0o644)  # readable as the store is (mkstemp makes it owner-only)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def open_score_file(path, data, weak_links: pd.DataFrame, model, *, key: str | None = None,
                    top_reasons: int = TOP_REASONS) -> ScoreTable:
    """Return the table kept in ``path``, its arrays read in place (memory-mapped, read-only),
    with ``data``, ``weak_links`` and ``model``: those it was built from.

    Raises
    ------
    DataError
        If the file is not a score file of this format, or ``key`` is given and is not the
        file's, or the file's model version is not ``model``'s.
    """
    import pyarrow as pa

    path = Path(path)
    try:
        with open(path, "rb") as handle:  # the mapping outlives the descriptor
            mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        reader = pa.ipc.open_file(pa.BufferReader(pa.py_buffer(mapping)))
        meta = json.loads((reader.schema.metadata or {}).get(_META, b"{}"))
    except (pa.ArrowInvalid, ValueError) as exc:
        raise DataError(f"{path}: not a score file ({exc})") from exc
    if meta.get("format") != FILE_FORMAT:
        raise DataError(f"{path}: score file format {meta.get('format')!r}, not {FILE_FORMAT}")
    if key is not None and meta.get("key") != key:
        raise DataError(f"{path}: built from other inputs than those given")
    scored_by = meta.get(C.MODEL_VERSION)
    if scored_by != model_version(model):
        raise DataError(f"{path}: scored by model {scored_by!r}, not {model_version(model)!r}")
    table = reader.read_all()
    arrays = {name: _column(table, name) for name in PAIR_ARRAYS}
    baselines = {node: pd.Series(found["values"], index=found["names"], name=node, dtype=float)
                 for node, found in meta["baselines"].items()}
    with contextlib.suppress(OSError):
        os.utime(path)  # opened now: kept by the pruning before files opened longer ago
    return MappedScoreTable(mapping, model=model, data=data, weak_links=weak_links,
                            nodes=meta["nodes"], pairs=arrays,
                            slices={n: (int(a), int(b)) for n, (a, b) in meta["slices"].items()},
                            baselines=baselines, as_of=pd.Timestamp(meta["as_of"]),
                            top_reasons=top_reasons)


class MappedScoreTable(ScoreTable):
    """A :class:`~recommender.targeting.score_table.ScoreTable` whose arrays are read in
    place from a score file mapped read-only (``mapping``); it answers as the table written."""

    def __init__(self, mapping: mmap.mmap, **table):
        super().__init__(**table)
        self._mapping = mapping

    def release_pages(self) -> None:
        """Drop the file's pages from this process's resident memory: they stay in the page
        cache and are mapped again, unchanged, when next read (nothing where the platform
        has no ``MADV_DONTNEED``)."""
        if hasattr(mmap, "MADV_DONTNEED"):
            self._mapping.madvise(mmap.MADV_DONTNEED)


def _column(table, name: str) -> np.ndarray:
    """A column as a numpy array over the mapped file (zero-copy when it is one chunk)."""
    column = table.column(name)
    if column.num_chunks == 1:
        return column.chunk(0).to_numpy(zero_copy_only=True)
    return column.to_numpy()


# --- the shared table -------------------------------------------------------------------------
def shared_score_table(directory, data, weak_links: pd.DataFrame, model=None, *,
                       node_ids: Sequence[str] | None = None, as_of=None,
                       top_reasons: int = TOP_REASONS, reasons_ahead: int = 0) -> ScoreTable:
    """Return the table :func:`~recommender.targeting.score_table.build_score_table` builds
    from these arguments, read from its file in ``directory``; build and write the file first
    if no process has (see the module). The reasons of the first ``reasons_ahead`` rows of
    each link are computed before it returns, in this process, then the file's pages that
    took are released (:meth:`MappedScoreTable.release_pages`).

    Raises
    ------
    NotFoundError, NotRecruitable
        As :func:`~recommender.targeting.score_table.build_score_table`.
    OSError
        If ``directory`` cannot be written.
    """
    model = prior_model(data, weak_links) if model is None else model
    nodes = _links(weak_links, data, node_ids)
    when = _serving_date(data, as_of)
    key = score_file_key(data, weak_links, model, nodes, when)
    path = score_file_path(directory, model, data, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent / LOCK_NAME):
        if not path.exists():
            built = build_score_table(data, weak_links, model, node_ids=nodes, as_of=when,
                                      top_reasons=top_reasons)
            write_score_file(built, path, key=key)
            del built
            prune_score_files(path.parent, keep=path)
        table = open_score_file(path, data, weak_links, model, key=key, top_reasons=top_reasons)
    ahead = [np.arange(start, min(stop, start + reasons_ahead), dtype=np.int64)
             for start, stop in table.slices.values()]
    table.reasons(np.concatenate(ahead or [np.zeros(0, np.int64)]))
    table.release_pages()
    return table


def prune_score_files(directory, *, keep: Path | None = None, files: int = KEEP_FILES
                      ) -> list[Path]:
    """Remove the score files of ``directory`` but the ``files`` most recently opened (and
    ``keep``); return those removed."""
    found = sorted(Path(directory).glob(f"scores-*{_SUFFIX}"),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    kept = {keep} if keep is not None else set()
    for path in found:
        if len(kept) >= files:
            break
        kept.add(path)
    removed = [path for path in found if path not in kept]
    for path in removed:
        with contextlib.suppress(OSError):
            path.unlink()
    return removed


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing) while inside; no lock
    where ``fcntl`` is missing (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
