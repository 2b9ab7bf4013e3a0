"""The firm universe in partitions: Parquet files of firms and their links, scored one at a time.

The steps that grow with the universe (candidate pairs, their features, their scores, the
best ``k`` per weak link) are pure over firms: a firm's candidate pairs read its own links, its
features its own row (and what is shared: the chain, the region, the node arrays, the recorded
outcomes), its score its own features. So the universe can be cut into partitions of firms,
each with its firms' links, and every partition scored alone; concatenated and sorted
best-first (:func:`~recommender.targeting.scoring.best_first`, ties by firm id), the rows are
exactly those of the whole, and the best ``k`` of each partition's best ``k`` are the best
``k`` of the whole.

Layout on disk (:func:`write_partitions`): ``firms/part-00000.parquet`` … and
``links/part-00000.parquet`` …, partition ``i`` of the links holding the links of partition
``i``'s firms; every firm row carries its partition number (:data:`PARTITION`), so that a
reader that merges or splits files still finds the links of its firms. ``manifest.json`` says
how many partitions there are and the data version they were written from.

:class:`ScoringContext` is what every partition shares (small: no firm table);
:func:`score_partition` scores one partition, :func:`best_k` keeps the best ``k`` rows of
each link. :mod:`recommender.targeting.dask_engine` runs them under Dask; run in a loop they
are the pandas engine over partitions.

>>> part = score_partition(firms, links, context)            # doctest: +SKIP
>>> best_k(part, 50, by="value").groupby("node_id").size().max() <= 50  # doctest: +SKIP
True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.candidates import arrow_strings, candidate_pairs, index_in
from recommender.targeting.impact import check_sort, firm_capability, pair_impact
from recommender.targeting.scoring import scores_of
from recommender.targeting.stages import best_stage_codes

__all__ = ["FIRMS_DIR", "LINKS_DIR", "MANIFEST", "PARTITION", "SCORED_COLUMNS",
           "ScoringContext", "best_k", "part_path", "read_links", "read_manifest",
           "score_partition", "scored_pairs", "scoring_context", "write_partitions"]

PARTITION = "partition"  # the partition a firm row belongs to (int32)
FIRMS_DIR, LINKS_DIR, MANIFEST = "firms", "links", "manifest.json"
# a scored pair as partitions give it: the table's columns, then value = p_success x impact
SCORED_COLUMNS = [C.FIRM_ID, C.NODE_ID, C.SCORE, C.P_SUCCESS, C.IMPACT, C.MATCH, C.HOP,
                  C.OUTCOME_STAGE, C.VALUE]


def scored_pairs(frame: pd.DataFrame, score: np.ndarray, p_success: np.ndarray,
                 firms: pd.DataFrame, contacted: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of a scored serving ``frame`` as a score table holds them: ``firm_id``,
    ``node_id``, ``score``, ``p_success``, ``impact``, ``match``, ``hop``, ``stage`` (the
    best recorded in ``contacted``, -1 if none).

    Pure over rows: ``firms`` needs only the firms of ``frame`` (one partition will do).
    """
    firms = firms.drop_duplicates(C.FIRM_ID)
    capability = firm_capability(firms).set_axis(firms[C.FIRM_ID].astype(str))
    return pd.DataFrame({
        C.FIRM_ID: frame[C.FIRM_ID].astype(str), C.NODE_ID: frame[C.NODE_ID].astype(str),
        C.SCORE: score, C.P_SUCCESS: p_success,
        C.IMPACT: pair_impact(frame[C.MATCH].to_numpy(float),
                              capability.reindex(frame[C.FIRM_ID].astype(str)).fillna(0.5),
                              frame[C.HOP].to_numpy(np.int64)),
        C.MATCH: frame[C.MATCH].to_numpy(float), C.HOP: frame[C.HOP].to_numpy(np.int64),
        C.OUTCOME_STAGE: best_stage_codes(frame, contacted),
    })


@dataclass(frozen=True)
class ScoringContext:
    """What every partition shares: the bundle without firms, the weak links, the model.

    Attributes
    ----------
    data : ChainData
        The chain, the region, campaigns and outcomes; its firm and link tables are empty.
    node_arrays : NodeArrays
        The node arrays of the whole bundle (local firms and leaders' links count over all).
    weak_links : DataFrame
    nodes : list of str
        The weak links to score, in order.
    model : a fitted ranker or prior.
    as_of : Timestamp
        The serving date of every pair.
    contacted : DataFrame
        :func:`~recommender.ranking.features.contacted_pairs` of the bundle.
    """

    data: object
    node_arrays: object
    weak_links: pd.DataFrame
    nodes: list
    model: object
    as_of: pd.Timestamp
    contacted: pd.DataFrame


def scoring_context(data, weak_links: pd.DataFrame, model, nodes, *, as_of) -> ScoringContext:
    """Return the :class:`ScoringContext` of a whole bundle (its node arrays built now)."""
    from recommender.ranking.features import contacted_pairs

    bare = dataclasses.replace(data, firms=data.firms.iloc[:0],
                               firm_nodes=data.firm_nodes.iloc[:0], truth=None)
    return ScoringContext(data=bare, node_arrays=data.feature_context.nodes,
                          weak_links=weak_links, nodes=[str(n) for n in nodes], model=model,
                          as_of=pd.Timestamp(as_of).normalize(),
                          contacted=contacted_pairs(data))


def score_partition(firms: pd.DataFrame, links: pd.DataFrame,
                    context: ScoringContext) -> pd.DataFrame:
    """Return the scored candidate pairs of one partition's firms (:data:`SCORED_COLUMNS`).

    ``links`` may hold links of other firms too (they are ignored). Rows are in the order
    of the candidate pairs (by firm, then by node); sort them with
    :func:`~recommender.targeting.scoring.best_first`.
    """
    from recommender.ranking.dataset import with_firm_partition
    from recommender.ranking.features import build_features

    firms = firms.drop(columns=[PARTITION], errors="ignore").reset_index(drop=True)
    data = with_firm_partition(context.data, firms, links, nodes=context.node_arrays)
    pairs = candidate_pairs(firms, links, data.chain, context.nodes, region=data.region)
    pairs[C.DATE] = np.full(len(pairs), np.datetime64(context.as_of, "ms"))
    frame = build_features(pairs, data, context.weak_links)
    score, p_success = scores_of(context.model, frame)
    out = scored_pairs(frame, score, p_success, firms, context.contacted)
    out[C.VALUE] = out[C.P_SUCCESS].to_numpy(float) * out[C.IMPACT].to_numpy(float)
    return out.reset_index(drop=True)


def best_k(scored: pd.DataFrame, k: int, *, by: str = C.VALUE) -> pd.DataFrame:
    """Return the best ``k`` rows of each link of ``scored``, by link, best first by ``by``.

    ``by`` is one of :data:`~recommender.targeting.impact.SORT_KEYS` (``likelihood`` orders
    by the model's score, as the score table does); ties go to the smaller firm id, so the
    order is total and the best ``k`` of partitions' best ``k`` are those of the whole.

    >>> rows = pd.DataFrame({"firm_id": ["b", "a", "c"], "node_id": ["x", "x", "x"],
    ...                      "score": [1.0, 1.0, 0.5], "value": [0.2, 0.2, 0.9],
    ...                      "impact": [0.1, 0.1, 0.1]})
    >>> best_k(rows, 2, by="value")["firm_id"].tolist()
    ['c', 'a']
    >>> best_k(rows, 2, by="likelihood")["firm_id"].tolist()
    ['a', 'b']
    """
    key = {C.VALUE: C.VALUE, C.LIKELIHOOD: C.SCORE, C.IMPACT: C.IMPACT}[check_sort(by)]
    order = np.lexsort((scored[C.FIRM_ID].astype(str).to_numpy(),
                        -scored[key].to_numpy(float), scored[C.NODE_ID].astype(str).to_numpy()))
    ranked = scored.iloc[order]
    place = ranked.groupby(C.NODE_ID, sort=False).cumcount().to_numpy()
    return ranked[place < k].reset_index(drop=True)


# --- on disk ----------------------------------------------------------------------------------
def part_path(folder, table: str, number: int) -> Path:
    """The file of partition ``number`` of ``table`` (:data:`FIRMS_DIR` or :data:`LINKS_DIR`)."""
    return Path(folder) / table / f"part-{int(number):05d}.parquet"


def write_partitions(firms: pd.DataFrame, firm_nodes: pd.DataFrame, folder, *,
                     partitions: int, data_version: int = 0) -> Path:
    """Write the firms and their links in ``partitions`` aligned Parquet partitions.

    The firms are cut in contiguous runs of equal size (the last shorter); links of firms not
    in ``firms`` are left out. Returns ``folder``.

    >>> import tempfile
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"]})
    >>> links = pd.DataFrame({"firm_id": ["c", "a", "z"], "node_id": ["n", "n", "n"]})
    >>> folder = write_partitions(firms, links, tempfile.mkdtemp(), partitions=2)
    >>> read_links(folder, [1])["firm_id"].tolist(), read_manifest(folder)["partitions"]
    (['c'], 2)
    """
    if int(partitions) < 1:
        raise InvalidArgument(f"partitions must be at least 1, got {partitions!r}")
    folder = Path(folder)
    for table in (FIRMS_DIR, LINKS_DIR):
        (folder / table).mkdir(parents=True, exist_ok=True)
        for old in (folder / table).glob("part-*.parquet"):
            old.unlink()
    size = max(1, -(-len(firms) // int(partitions)))
    firms = firms.reset_index(drop=True)
    at = index_in(firm_nodes[C.FIRM_ID], arrow_strings(firms[C.FIRM_ID]))
    link_part = np.where(at >= 0, at // size, -1)
    for number in range(int(partitions)):
        rows = firms.iloc[number * size:(number + 1) * size]
        rows.assign(**{PARTITION: np.full(len(rows), number, np.int32)}).to_parquet(
            part_path(folder, FIRMS_DIR, number), index=False)
        firm_nodes[link_part == number].to_parquet(part_path(folder, LINKS_DIR, number),
                                                   index=False)
    manifest = {"partitions": int(partitions), "data_version": int(data_version),
                "firms": int(len(firms)), "links": int((link_part >= 0).sum())}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def read_manifest(folder) -> dict:
    """Return the manifest of a partitioned folder ({} when there is none)."""
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def read_links(folder, numbers) -> pd.DataFrame:
    """Return the links of partitions ``numbers`` (each read once)."""
    parts = [pd.read_parquet(part_path(folder, LINKS_DIR, n)) for n in sorted(set(numbers))]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
