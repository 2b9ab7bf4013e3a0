"""The Dask engine: the partition functions of :mod:`~recommender.targeting.partitions` run by
``dask.dataframe.map_partitions`` over Parquet partitions, on a cluster.

The pandas engine scores every candidate in one process. This one reads the firms as a Dask
frame of Parquet partitions (``firms/part-*.parquet``, see
:func:`~recommender.targeting.partitions.write_partitions`) and maps
:func:`~recommender.targeting.partitions.score_partition` over them, each task reading its
firms' links from the aligned ``links`` partition; what every partition shares (the
:class:`~recommender.targeting.partitions.ScoringContext`: chain, region, outcomes, node
arrays, weak links, model) travels once, as one task of the graph. The answers are the pandas
engine's, row for row: every step is pure over firms and the final order is total (best first,
ties by firm id).

- :func:`open_cluster`: a client of an existing ``dask.distributed`` scheduler (``address``,
  e.g. ``tcp://10.0.0.5:8786``), or of a :class:`~distributed.LocalCluster` started for the
  run and closed after it;
- :func:`scored_candidates`: every candidate of the links, sorted as a score table holds
  them; :func:`best_per_link`: the best ``k`` of each link (each partition keeps its best
  ``k``, the driver the best of those), what ``chainscout score`` writes to Parquet;
- :func:`score_table`: a :class:`~recommender.targeting.score_table.ScoreTable` whose scoring
  ran on the cluster, every candidate gathered here (``--engine dask`` builds
  :func:`~recommender.targeting.partitioned_table.query_table` instead for ``recommend``,
  ``target-list`` and ``map``: the scored rows stay on the workers);
- :func:`written_partitions`: the partitions' folder for one of those, or a temporary one.

On a cluster, the partitions' folder must be readable by every worker at the same path (a
shared file system). Dask is optional: ``pip install 'chainscout[dask]'``.

>>> with open_cluster(None, workers=2) as client:                         # doctest: +SKIP
...     top = best_per_link(folder, context, 50, client=client)
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import RecommenderError
from recommender.targeting.partitions import (
    FIRMS_DIR,
    PARTITION,
    SCORED_COLUMNS,
    ScoringContext,
    best_k,
    read_links,
    score_partition,
    scoring_context,
    write_partitions,
)
from recommender.targeting.scoring import best_first, scoring_scope

__all__ = ["ENGINES", "INSTALL_HINT", "MissingDask", "best_per_link", "open_cluster",
           "partitions_for", "score_table", "scored_candidates", "written_partitions"]

ENGINES = ("pandas", "dask")
INSTALL_HINT = "the Dask engine needs dask: pip install 'chainscout[dask]'"
# LocalCluster: one single-threaded process per worker (LightGBM and Arrow release the GIL,
# but pandas does not), each capped so that a run stays within the machine.
_LOCAL_MEMORY = "4GiB"


class MissingDask(RecommenderError, ImportError):
    """Dask (or dask.distributed) is not installed."""


def _dask():
    try:
        import dask.dataframe as dd
        import distributed
    except ImportError as exc:
        raise MissingDask(f"{INSTALL_HINT} ({exc})") from exc
    return dd, distributed


@contextlib.contextmanager
def open_cluster(address: str | None = None, *, workers: int = 2,
                 memory_limit: str = _LOCAL_MEMORY) -> Iterator:
    """Yield a ``distributed.Client``: of the scheduler at ``address``, else of a LocalCluster
    of ``workers`` single-threaded processes, closed on exit."""
    _, distributed = _dask()
    if address:
        with distributed.Client(address) as client:
            yield client
        return
    with (distributed.LocalCluster(n_workers=int(workers), threads_per_worker=1,
                                   processes=True, memory_limit=memory_limit,
                                   dashboard_address=":0") as cluster,  # any free port
          distributed.Client(cluster) as client):
        yield client


def _meta() -> pd.DataFrame:
    return pd.DataFrame({
        C.FIRM_ID: pd.Series([], dtype="str"), C.NODE_ID: pd.Series([], dtype="str"),
        C.SCORE: pd.Series([], dtype=float), C.P_SUCCESS: pd.Series([], dtype=float),
        C.IMPACT: pd.Series([], dtype=float), C.MATCH: pd.Series([], dtype=float),
        C.HOP: pd.Series([], dtype=np.int64), C.OUTCOME_STAGE: pd.Series([], dtype=np.int8),
        C.VALUE: pd.Series([], dtype=float)})[SCORED_COLUMNS]


def _score_part(firms: pd.DataFrame, folder: str, context: ScoringContext,
                k: int | None = None, by: str = C.VALUE) -> pd.DataFrame:
    """Score one Dask partition of firms (the links of its partitions read from ``folder``)."""
    if not len(firms):
        return _meta()
    links = read_links(folder, firms[PARTITION].unique().tolist())
    scored = score_partition(firms, links, context)
    out = scored if k is None else best_k(scored, k, by=by)
    return out.astype(_meta().dtypes.to_dict())


def _scored(folder, context: ScoringContext, client, *, k: int | None = None,
            by: str = C.VALUE) -> pd.DataFrame:
    dd, _ = _dask()
    import dask

    firms = dd.read_parquet(str(Path(folder) / FIRMS_DIR))
    shared = dask.delayed(context, pure=True)  # one task: sent to each worker once
    parts = firms.map_partitions(_score_part, str(folder), shared, k, by, meta=_meta(),
                                 align_dataframes=False)
    return client.compute(parts).result() if client is not None else parts.compute()


def scored_candidates(folder, context: ScoringContext, *, client=None) -> pd.DataFrame:
    """Return every scored candidate of ``context.nodes`` among the partitioned firms, sorted
    by link (in ``context.nodes`` order), best score first, ties by firm id."""
    rows = _scored(folder, context, client)
    order = best_first(rows[C.FIRM_ID], rows[C.NODE_ID], rows[C.SCORE].to_numpy(float),
                       context.nodes)
    return rows.iloc[order].reset_index(drop=True)


def best_per_link(folder, context: ScoringContext, k: int, *, by: str = C.VALUE,
                  client=None) -> pd.DataFrame:
    """Return the best ``k`` candidates of each link, by link (in ``context.nodes`` order),
    best first by ``by``, with ``rank`` (1 = best); see :func:`~recommender.targeting.
    partitions.best_k`."""
    rows = best_k(_scored(folder, context, client, k=k, by=by), k, by=by)
    link = pd.Index(context.nodes).get_indexer(rows[C.NODE_ID])
    rows = rows.iloc[np.argsort(link, kind="stable")].reset_index(drop=True)
    rows.insert(0, C.RANK, rows.groupby(C.NODE_ID, sort=False).cumcount().to_numpy() + 1)
    return rows


@contextlib.contextmanager
def written_partitions(data, folder, *, partitions: int) -> Iterator[Path]:
    """Yield the folder of ``data``'s partitions (:func:`partitions_for`): ``folder``, or a
    temporary folder when None, removed when the block ends."""
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="chainscout-"))
        yield partitions_for(data, folder, partitions=partitions)


def partitions_for(data, folder, *, partitions: int) -> Path:
    """Write ``data``'s firms and links as partitions in ``folder`` unless the folder already
    holds them for the same data version and count (the store's version says it is current)."""
    from recommender.targeting.partitions import read_manifest

    found = read_manifest(folder)
    if (found.get("partitions") == int(partitions) and data.data_version
            and found.get("data_version") == int(data.data_version)
            and found.get("firms") == len(data.firms)):
        return Path(folder)
    return write_partitions(data.firms, data.firm_nodes, folder, partitions=partitions,
                            data_version=data.data_version)


def score_table(data, weak_links: pd.DataFrame, model=None, *,
                node_ids: Sequence[str] | None = None, as_of=None, client=None,
                partitions: int = 8, folder=None, top_reasons: int | None = None,
                reasons_ahead: int = 0):
    """Return :func:`~recommender.targeting.score_table.build_score_table`'s table, its
    candidates scored on the cluster of ``client``.

    ``folder`` keeps the partitions (a temporary folder when None); the link baselines of the
    reasons rebuild the features of their few rows here.
    """
    from recommender.ranking.features import build_features
    from recommender.targeting.score_table import TOP_REASONS, table_of_pairs

    nodes, model, when = scoring_scope(data, weak_links, node_ids, model, as_of)
    context = scoring_context(data, weak_links, model, nodes, as_of=when)
    with written_partitions(data, folder, partitions=partitions) as written:
        pairs = scored_candidates(written, context, client=client)
    pairs = pairs.drop(columns=[C.VALUE])
    return table_of_pairs(data, weak_links, model, nodes, pairs,
                          _Rebuilt(pairs, data, weak_links, when, build_features),
                          as_of=when, top_reasons=TOP_REASONS if top_reasons is None
                          else top_reasons, reasons_ahead=reasons_ahead)


class _Rebuilt:
    """``[rows]`` gives the serving features of those rows of the pairs, rebuilt: the match as
    the candidates had it (unrounded, :func:`~recommender.ranking.candidates.pair_match`), the
    serving date on every row, so that they equal the serving frame's rows."""

    def __init__(self, pairs, data, weak_links, when, build_features):
        self._pairs, self._data, self._weak_links = pairs, data, weak_links
        self._when, self._build = when, build_features

    def __getitem__(self, rows) -> pd.DataFrame:
        from recommender.ranking.candidates import pair_match

        chosen = self._pairs.iloc[np.asarray(rows, np.int64)][[C.FIRM_ID, C.NODE_ID]]
        chosen = chosen.reset_index(drop=True)
        found = pair_match(chosen, self._data.firm_nodes, self._data.chain)
        chosen[C.MATCH] = found[C.MATCH].to_numpy(float)
        chosen[C.HOP] = self._pairs[C.HOP].to_numpy(np.int64)[np.asarray(rows, np.int64)]
        chosen[C.DATE] = np.full(len(chosen), np.datetime64(self._when, "ms"))
        return self._build(chosen, self._data, self._weak_links)
