"""Queries over scored partitions kept where they were scored: the ranked firms of a weak link
and the target list, without gathering every candidate on one machine.

:func:`~recommender.targeting.dask_engine.score_table` gathers every scored candidate of the
asked links on the driver and sorts them into a
:class:`~recommender.targeting.score_table.ScoreTable`: millions of rows for one link of a
national register. :func:`query_table` scores the same partitions with the same function
(:func:`~recommender.targeting.partitions.score_partition`) and keeps each partition's rows on
the worker that scored it (unsorted: a query sorts what it sends). A :class:`PartitionedTable`
answers what :func:`~recommender.targeting.recommend.recommend` and
:func:`~recommender.targeting.recommend.target_list` ask of a table, exactly as the score table
of the same links answers:

- :meth:`~PartitionedTable.top_k`: each partition filters its rows of the link and sends its
  best ``k`` and how many passed; the driver keeps the best ``k`` of those (the order is
  total, so the best of the partitions' best are the best of the whole);
- :meth:`~PartitionedTable.rows`: the rows shown, with reasons worded against each link's
  baseline, the mean contributions of rows evenly spread along its ranking
  (:data:`~recommender.targeting.score_table.BASELINE_ROWS`): the partitions send their scores
  of the link, the driver finds the score at each of those ranks and asks for the rows at it;
- :meth:`~PartitionedTable.target_picks`: the portfolio over a bounded set of firms
  (:mod:`recommender.targeting.bounded_picks`).

Without a client the partitions are scored and kept in this process, one after the other.

>>> with open_cluster(None, workers=2) as client:                            # doctest: +SKIP
...     top = recommend(data, weak_links, "vacuum_pumps", engine=functools.partial(
...         query_table, client=client, folder="var/partitions"))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.ranking.candidates import arrow_strings, index_in
from recommender.targeting.bounded_picks import LANDED_CODE, bounded_target_picks
from recommender.targeting.impact import check_sort
from recommender.targeting.partitions import (
    FIRMS_DIR,
    SCORED_COLUMNS,
    ScoringContext,
    part_path,
    read_links,
    read_manifest,
    score_partition,
    scoring_context,
)
from recommender.targeting.prior_model import model_version
from recommender.targeting.score_table import (
    BASELINE_ROWS,
    TOP_REASONS,
    ScoreTable,
    _size_classes,
    check_k,
    check_link,
)
from recommender.targeting.scoring import scoring_scope
from recommender.targeting.stages import stage_codes

__all__ = ["KEPT_COLUMNS", "PartitionedTable", "Partitions", "best_of_part", "link_rows",
           "link_scores", "query_table", "rows_at_scores", "score_part_file"]

# a partition's kept row: the scored pair, then its firm's country (upper case) and size class
# (lower case) as the score table's filters compare them
KEPT_COLUMNS = [*SCORED_COLUMNS, C.COUNTRY, C.SIZE_CLASS]
_SORT_COLUMN = {C.VALUE: C.VALUE, C.LIKELIHOOD: C.SCORE, C.IMPACT: C.IMPACT}


# --- on the workers: pure functions of one partition's kept rows -------------------------------
def score_part_file(folder, number: int, context: ScoringContext) -> pd.DataFrame:
    """Score partition ``number`` of ``folder`` and return its rows (:data:`KEPT_COLUMNS`), in
    the order of its candidate pairs (the queries sort the few rows they send)."""
    firms = pd.read_parquet(part_path(folder, FIRMS_DIR, number))
    if not len(firms):
        return pd.DataFrame({c: pd.Series([], dtype=float if c in (C.SCORE, C.VALUE) else
                                          object) for c in KEPT_COLUMNS})
    scored = score_partition(firms, read_links(folder, [number]), context)
    own = firms.drop_duplicates(C.FIRM_ID).reindex(columns=[C.FIRM_ID, C.COUNTRY, C.SIZE_CLASS])
    at = index_in(scored[C.FIRM_ID], arrow_strings(own[C.FIRM_ID]))
    for column, fold in ((C.COUNTRY, str.upper), (C.SIZE_CLASS, str.lower)):
        values = own[column].astype("string")
        values = values.str.upper() if fold is str.upper else values.str.lower()
        scored[column] = pd.Categorical(values.to_numpy(object)[at])
    scored[C.NODE_ID] = pd.Categorical(scored[C.NODE_ID], categories=list(context.nodes))
    return scored[KEPT_COLUMNS]


def link_rows(kept: pd.DataFrame, node: str) -> pd.DataFrame:
    """The rows of one link."""
    return kept[kept[C.NODE_ID] == node]


def best_of_part(kept: pd.DataFrame, node: str, k: int, sort: str, filters: dict
                 ) -> tuple[pd.DataFrame, int]:
    """Return the best ``k`` rows of ``node`` that pass ``filters`` (checked values of
    :meth:`PartitionedTable.top_k`) by ``sort``, ties by firm id, and how many passed."""
    rows = link_rows(kept, node)
    keep = np.ones(len(rows), bool)
    stages = rows[C.OUTCOME_STAGE].to_numpy(np.int64)
    if filters["country"] is not None:
        keep &= rows[C.COUNTRY].isin(filters["country"]).to_numpy(bool)
    if filters["size"] is not None:
        keep &= rows[C.SIZE_CLASS].isin(filters["size"]).to_numpy(bool)
    if filters["stage"] is not None:
        keep &= np.isin(stages, filters["stage"])
    elif not filters["include_landed"]:
        keep &= stages != LANDED_CODE
    if filters["exclude_contacted"]:
        keep &= stages < 0
    rows = rows[keep]
    return _best(rows, sort, k), len(rows)


def link_scores(kept: pd.DataFrame, node: str) -> np.ndarray:
    """The scores of ``node``'s rows."""
    return link_rows(kept, node)[C.SCORE].to_numpy(float)


def rows_at_scores(kept: pd.DataFrame, node: str, scores: np.ndarray,
                   counts: np.ndarray) -> pd.DataFrame:
    """Return, for each score ``scores[i]``, the first ``counts[i]`` rows of ``node`` with that
    score (ties by firm id): a partition's part of the rows at given ranks."""
    rows = link_rows(kept, node)
    found = rows[rows[C.SCORE].isin(scores)]
    found = found.iloc[_order(found, C.LIKELIHOOD)]
    place = found.groupby(C.SCORE, sort=False).cumcount().to_numpy()
    wanted = counts[np.searchsorted(scores, found[C.SCORE].to_numpy(float))]
    return found[place < wanted]


def _best(rows: pd.DataFrame, sort: str, k: int) -> pd.DataFrame:
    """The best ``k`` of one link's ``rows`` by ``sort``, best first, ties by firm id: the
    rows at or above the ``k``-th key found first, then only those sorted."""
    if len(rows) > k:
        key = -rows[_SORT_COLUMN[sort]].to_numpy(float)
        rows = rows[key <= np.partition(key, k - 1)[k - 1]]  # ties at the cut stay
    return rows.iloc[_order(rows, sort)[:k]]


def _order(rows: pd.DataFrame, sort: str) -> np.ndarray:
    """The order of one link's rows by ``sort``, best first, ties by firm id."""
    return np.lexsort((rows[C.FIRM_ID].astype(str).to_numpy(),
                       -rows[_SORT_COLUMN[sort]].to_numpy(float)))


# --- where the partitions are kept ------------------------------------------------------------
class Partitions:
    """The scored partitions: futures on the workers of ``client``, or frames in this process
    (no client). :meth:`each` runs a function of one partition on each and gathers what it
    returns."""

    def __init__(self, client, folder, numbers: Sequence[int], context: ScoringContext):
        self._client = client
        if client is None:
            self._parts = [score_part_file(folder, n, context) for n in numbers]
            return
        from distributed import wait

        shared = client.scatter(context, broadcast=True, hash=False)
        self._parts = [client.submit(score_part_file, str(folder), int(n), shared, pure=False)
                       for n in numbers]
        wait(self._parts)
        for part in self._parts:
            if part.status == "error":
                part.result()  # raises the worker's error

    def __len__(self) -> int:
        return len(self._parts)

    def each(self, function, *args) -> list:
        """Return ``function(part, *args)`` of every partition, in partition order."""
        if self._client is None:
            return [function(part, *args) for part in self._parts]
        return self._client.gather([self._client.submit(function, part, *args, pure=False)
                                    for part in self._parts])

    def release(self) -> None:
        """Drop the kept rows (on the workers too)."""
        if self._client is not None:
            self._client.cancel(self._parts)
        self._parts = []


# --- the table --------------------------------------------------------------------------------
class PartitionedTable:
    """A score table's queries (``top_k``, ``rows``, ``target_picks``) over scored partitions.

    A *position* is a row this table has shown (answered by :meth:`top_k` or
    :meth:`target_picks`); :meth:`rows` shows them as
    :meth:`~recommender.targeting.score_table.ScoreTable.rows` does.

    Attributes
    ----------
    model, data, weak_links, nodes, as_of, top_reasons, model_version :
        as a :class:`~recommender.targeting.score_table.ScoreTable`'s.
    parts : :class:`Partitions`, the scored partitions.
    """

    def __init__(self, *, model, data, weak_links: pd.DataFrame, nodes: list[str],
                 parts: Partitions, as_of: pd.Timestamp, top_reasons: int = TOP_REASONS):
        self.model, self.data, self.weak_links = model, data, weak_links
        self.nodes, self.parts, self.as_of = list(nodes), parts, as_of
        self.top_reasons = top_reasons
        self.model_version = model_version(model)
        self._shown: list[pd.DataFrame] = []
        self._baselines: dict[str, pd.Series | None] = {}

    def __repr__(self) -> str:
        return (f"PartitionedTable(links={len(self.nodes)}, partitions={len(self.parts)}, "
                f"model_version={self.model_version!r})")

    def check_node(self, node_id: str) -> str:
        """Return ``node_id`` if the table holds it; NotFoundError (or NotRecruitable) if not."""
        if node_id in self.nodes:
            return node_id
        check_link(node_id, self.data.chain, self.weak_links)
        raise NotFoundError(f"weak link {node_id!r}: not scored in this table, which holds "
                            f"{len(self.nodes)} link(s)")

    def show(self, rows: pd.DataFrame) -> np.ndarray:
        """Keep ``rows`` (:data:`KEPT_COLUMNS`) to be shown; return their positions."""
        start = sum(len(s) for s in self._shown)
        self._shown.append(rows.reset_index(drop=True))
        return np.arange(start, start + len(rows), dtype=np.int64)

    # --- queries ----------------------------------------------------------------------------
    def top_k(self, node_id: str, k: int, *, sort: str = C.VALUE,
              country: Sequence[str] | None = None, size: Sequence[str] | None = None,
              stage: Sequence[str] | None = None, exclude_contacted: bool = False,
              include_landed: bool = False) -> tuple[np.ndarray, int]:
        """Return the positions of the best ``k`` firms for ``node_id`` that pass the filters
        and how many passed; the arguments and errors of
        :meth:`~recommender.targeting.score_table.ScoreTable.top_k`."""
        node = self.check_node(str(node_id))
        sort, k = check_sort(sort), check_k(k)
        filters = {
            "country": None if country is None else [str(c).upper() for c in country],
            "size": None if size is None else _size_classes(size),
            "stage": None if stage is None else stage_codes(list(stage)),
            "exclude_contacted": bool(exclude_contacted),
            "include_landed": bool(include_landed)}
        found = self.parts.each(best_of_part, node, k, sort, filters)
        rows = _best(pd.concat([rows for rows, _ in found], ignore_index=True), sort, k)
        return self.show(rows), int(sum(n for _, n in found))

    def target_picks(self, *, k: int, max_country_share: float = 0.4, top_links: int = 10,
                     exclude: Iterable[str] = ()) -> pd.DataFrame:
        """Return :meth:`~recommender.targeting.score_table.ScoreTable.target_picks`'s picks,
        from a bounded set of firms (:func:`~recommender.targeting.bounded_picks.
        bounded_target_picks`; ``attrs["bound"]`` says how it went)."""
        return bounded_target_picks(self, k=k, max_country_share=max_country_share,
                                    top_links=top_links, exclude=exclude)

    def rows(self, positions: Sequence[int]) -> pd.DataFrame:
        """Return the rows at ``positions`` (:data:`~recommender.targeting.score_table.
        ROW_COLUMNS`), in the order given, as the score table shows them."""
        shown = pd.concat(self._shown, ignore_index=True) if self._shown else \
            pd.DataFrame(columns=KEPT_COLUMNS)
        chosen = shown.iloc[np.asarray(positions, np.int64)].reset_index(drop=True)
        chosen[C.NODE_ID] = chosen[C.NODE_ID].astype(str)
        nodes = list(dict.fromkeys(chosen[C.NODE_ID]))
        baselines = self.baselines(nodes)
        table = ScoreTable(model=self.model, data=self.firms_data(chosen[C.FIRM_ID]),
                           weak_links=self.weak_links, nodes=self.nodes,
                           pairs=chosen[SCORED_COLUMNS], slices={},
                           baselines={n: b for n, b in baselines.items() if b is not None},
                           as_of=self.as_of, top_reasons=self.top_reasons)
        return table.rows(np.arange(len(chosen)))

    # --- machinery --------------------------------------------------------------------------
    def firm_rows(self, firm_ids) -> pd.DataFrame:
        """The bundle's rows of ``firm_ids`` (each firm's first, in the bundle's order)."""
        wanted = arrow_strings(pd.Series(pd.unique(pd.Series(firm_ids, dtype="str")),
                                         dtype="str"))
        firms = self.data.firms[index_in(self.data.firms[C.FIRM_ID], wanted) >= 0]
        return firms.drop_duplicates(C.FIRM_ID).reset_index(drop=True)

    def firms_data(self, firm_ids) -> object:
        """The bundle with only ``firm_ids`` and their links, its features the whole's."""
        from recommender.ranking.dataset import with_firm_partition

        firms = self.firm_rows(firm_ids)
        wanted = arrow_strings(firms[C.FIRM_ID])
        links = self.data.firm_nodes[index_in(self.data.firm_nodes[C.FIRM_ID], wanted) >= 0]
        return with_firm_partition(self.data, firms,
                                   links.reset_index(drop=True),
                                   nodes=self.data.feature_context.nodes)

    def baselines(self, nodes: Sequence[str]) -> dict[str, pd.Series | None]:
        """Each link's mean contributions over the rows at :data:`BASELINE_ROWS` ranks evenly
        spread along its ranking by likelihood (as the score table's; None: no candidates)."""
        missing = [n for n in nodes if n not in self._baselines]
        picked = [self._ranked_rows(n) for n in missing]
        for node, rows in zip(missing, picked, strict=True):
            if rows is None:
                self._baselines[node] = None
        picked = [rows for rows in picked if rows is not None]
        if picked:
            rows = pd.concat(picked, ignore_index=True)
            owner = rows[C.NODE_ID].astype(str).to_numpy(object)
            contributions = self.model.contributions(self._features(rows))
            means = contributions.groupby(owner, sort=False).mean()
            self._baselines.update({str(n): means.loc[n] for n in means.index})
        return {n: self._baselines[n] for n in nodes}

    def _ranked_rows(self, node: str) -> pd.DataFrame | None:
        """The rows of ``node`` at the baseline's ranks, in rank order (None: no rows)."""
        scores = np.sort(np.concatenate(self.parts.each(link_scores, node) or [np.zeros(0)]))
        n = len(scores)  # ascending: the rank r (0 = best) is scores[n - 1 - r]
        if not n:
            return None
        ranks = np.arange(n)
        if n > BASELINE_ROWS:
            ranks = ranks[np.linspace(0, n - 1, BASELINE_ROWS).astype(int)]
        at = scores[n - 1 - ranks]
        above = n - np.searchsorted(scores, at, side="right")  # rows with a higher score
        offset = ranks - above  # the place among the rows tied at that score, by firm id
        wanted, slot = np.unique(at, return_inverse=True)
        counts = np.zeros(len(wanted), np.int64)
        np.maximum.at(counts, slot, offset + 1)
        found = pd.concat(self.parts.each(rows_at_scores, node, wanted, counts),
                          ignore_index=True)
        found = found.iloc[_order(found, C.LIKELIHOOD)].reset_index(drop=True)
        value = found[C.SCORE].to_numpy(float)
        first = np.searchsorted(-value, -at, side="left")  # where each score's rows begin
        return found.iloc[first + offset]

    def _features(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The serving features of ``rows`` rebuilt as the serving frame has them: the match
        unrounded (:func:`~recommender.ranking.candidates.pair_match`), the serving date."""
        from recommender.ranking.candidates import pair_match
        from recommender.ranking.features import build_features

        data = self.firms_data(rows[C.FIRM_ID])
        chosen = rows[[C.FIRM_ID, C.NODE_ID]].astype(str).reset_index(drop=True)
        chosen[C.MATCH] = pair_match(chosen, data.firm_nodes, data.chain)[C.MATCH].to_numpy(
            float)
        chosen[C.HOP] = rows[C.HOP].to_numpy(np.int64)
        chosen[C.DATE] = np.full(len(chosen), np.datetime64(self.as_of, "ms"))
        return build_features(chosen, data, self.weak_links)


def query_table(data, weak_links: pd.DataFrame, model=None, *,
                node_ids: Sequence[str] | None = None, as_of=None, client=None,
                partitions: int = 8, folder=None, top_reasons: int | None = None,
                reasons_ahead: int = 0) -> PartitionedTable:
    """Score the candidates of ``node_ids`` partition by partition on the cluster of
    ``client`` (in this process when None) and return the :class:`PartitionedTable` over
    them; the arguments of :func:`~recommender.targeting.dask_engine.score_table`
    (``reasons_ahead`` is accepted and ignored: reasons are worded for the rows shown).

    ``folder`` keeps the partitions (a temporary folder when None, removed once scored).
    """
    from recommender.targeting.dask_engine import written_partitions

    del reasons_ahead
    nodes, model, when = scoring_scope(data, weak_links, node_ids, model, as_of)
    context = scoring_context(data, weak_links, model, nodes, as_of=when)
    with written_partitions(data, folder, partitions=partitions) as written:
        count = int(read_manifest(written)["partitions"])
        parts = Partitions(client, written, range(count), context)
    if not len(parts):
        raise DataError(f"{folder or 'the partitions'}: no partitions to score")
    return PartitionedTable(model=model, data=data, weak_links=weak_links, nodes=nodes,
                            parts=parts, as_of=when,
                            top_reasons=TOP_REASONS if top_reasons is None else top_reasons)
