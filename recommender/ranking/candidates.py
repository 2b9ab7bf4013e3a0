"""Candidate firms for weak links: who is active in a node, or one chain hop away from it.

A candidate pair is a (firm, node) pair where the firm is not local to the region and is
active either in the node itself (``hop`` 0) or in a chain neighbour of the node, a direct
supplier or consumer of it (``hop`` 1). Its ``match`` is how strongly the firm is active
there: the link's confidence (the largest over the link's methods) in the node itself, or
``hop_discount`` x the confidence in a neighbour; when a firm has both, the larger value
counts and the pair stays at hop 0. This is the same match strength the demo generator
documents (``data/README.md``, "Campaigns and contacts").

Both functions are pure over rows: run on any subset of the firms (or of the pairs), they give
exactly the rows the whole would give for that subset, in the same order, so that they can run
per partition (one Dask partition of firms at a time) and be concatenated.

>>> pairs = candidate_pairs(firms, links, chain, ["vacuum_pumps"], region=region)  # doctest: +SKIP
>>> pairs.columns.tolist()                                                         # doctest: +SKIP
['firm_id', 'node_id', 'match', 'hop']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recommender import columns as C
from recommender.diagnosis.locality import local_mask
from recommender.exceptions import InvalidArgument

__all__ = ["DEFAULT_CONFIDENCE", "HOP_DISCOUNT", "arrow_strings", "candidate_pairs",
           "index_in", "is_in", "pair_match"]

HOP_DISCOUNT = 0.5  # match of a firm one hop from the node, per unit of its confidence there
DEFAULT_CONFIDENCE = 0.9  # a link stored without a confidence (asserted, not scored)


def candidate_pairs(firms: pd.DataFrame, firm_nodes: pd.DataFrame, chain,
                    node_ids: Sequence[str], *, region, hop_discount: float = HOP_DISCOUNT,
                    include_neighbours: bool = True, exclude_local: bool = True,
                    firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
                    confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Return the candidate (firm, node) pairs of the target nodes among ``firms``.

    Parameters
    ----------
    firms : DataFrame
        The firms to consider (all of them, or one partition); needs ``firm_id`` (unique, as
        the store keeps it) and, with ``exclude_local``, ``country``, ``province`` and
        ``city``.
    firm_nodes : DataFrame
        Firm-node links (``firm_id``, ``node_id``, ``confidence``); links of firms not in
        ``firms`` are ignored, so the whole table can go with every partition. A link without
        a confidence counts as :data:`DEFAULT_CONFIDENCE`; one with confidence 0 not at all.
    chain : recommender.chain.Chain
    node_ids : sequence of str
        The target nodes (weak links); repeats are ignored.
    region : recommender.demo.world.Region
        Decides which firms are local (``recommender.diagnosis.locality.local_mask``).
    hop_discount : float in [0, 1]
        Match of a neighbour's link per unit of its confidence.
    include_neighbours : bool
        Also take firms active only in a direct supplier or consumer node (hop 1).
    exclude_local : bool
        Leave out the region's own firms (they are supply already, not targets).

    Returns
    -------
    DataFrame
        ``firm_id``, ``node_id``, ``match`` (float64, in (0, 1]), ``hop`` (int64, 0 or 1): one
        row per pair, in the order of ``firms``, then of ``node_ids``.

    Raises
    ------
    NotFoundError
        If a target node is not in the chain.
    InvalidArgument
        If ``hop_discount`` is outside [0, 1].

    Examples
    --------
    >>> pairs = candidate_pairs(data.firms, data.firm_nodes, data.chain,  # doctest: +SKIP
    ...                         ["vacuum_pumps"], region=data.region)
    >>> sorted(pairs["hop"].unique())                                    # doctest: +SKIP
    [0, 1]
    """
    _check_discount(hop_discount)
    targets = list(dict.fromkeys(node_ids))
    spans = _Spans(chain, targets, hop_discount, include_neighbours)
    ids = arrow_strings(firms[firm_id])
    src, conf, link_firms = spans.links(firm_nodes, firm_id=firm_id, node_id=node_id,
                                        confidence=confidence)
    pos = index_in(link_firms, ids)
    if exclude_local and len(pos):
        seen = np.zeros(len(ids), bool)
        seen[pos[pos >= 0]] = True
        local = np.zeros(len(ids), bool)
        local[_local_positions(firms, np.flatnonzero(seen), region)] = True
        pos = np.where((pos >= 0) & local[np.maximum(pos, 0)], -1, pos)
    firm, target, hop, match = spans.best(pos, src, conf)
    return pd.DataFrame({
        firm_id: _as_str(ids.take(pa.array(firm))),
        node_id: _as_str(pa.array(targets, pa.large_string()).take(pa.array(target))),
        C.MATCH: match, C.HOP: hop,
    })


def pair_match(pairs: pd.DataFrame, firm_nodes: pd.DataFrame, chain, *,
               hop_discount: float = HOP_DISCOUNT, firm_id: str = C.FIRM_ID,
               node_id: str = C.NODE_ID, confidence: str = C.CONFIDENCE) -> pd.DataFrame:
    """Return ``match`` and ``hop`` of given (firm, node) pairs, one row per row of ``pairs``.

    The same rule as :func:`candidate_pairs`, without the locality filter. A pair whose firm is
    active neither in the node nor in a neighbour gets ``match`` 0 and ``hop`` NaN; a node
    outside the chain gets NaN for both.

    Examples
    --------
    >>> pair_match(pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"]}),  # doctest: +SKIP
    ...            links, chain).to_dict("records")
    [{'match': 0.9, 'hop': 0.0}]
    """
    _check_discount(hop_discount)
    out = pd.DataFrame({C.MATCH: np.full(len(pairs), np.nan),
                        C.HOP: np.full(len(pairs), np.nan)}, index=pairs.index)
    node_of_pair = pairs[node_id].astype("str")
    known_nodes = set(chain.node_ids)
    targets = [v for v in dict.fromkeys(node_of_pair) if v in known_nodes]
    if not targets:
        return out
    spans = _Spans(chain, targets, hop_discount, include_neighbours=True)
    firm_codes, firm_ids = pd.factorize(pairs[firm_id].astype("str"))
    src, conf, link_firms = spans.links(firm_nodes, firm_id=firm_id, node_id=node_id,
                                        confidence=confidence)
    pos = index_in(link_firms, arrow_strings(pd.Series(firm_ids, dtype="str")))
    firm, target, hop, match = spans.best(pos, src, conf)
    key = firm * len(targets) + target  # sorted by construction
    target_of_pair = pd.Index(targets).get_indexer(node_of_pair)
    in_chain = target_of_pair >= 0
    pair_key = firm_codes.astype(np.int64) * len(targets) + np.maximum(target_of_pair, 0)
    if len(key):
        at = np.minimum(np.searchsorted(key, pair_key), len(key) - 1)
        hit = in_chain & (key[at] == pair_key)
        found_match, found_hop = match[at], hop[at].astype(float)
    else:
        hit = np.zeros(len(pairs), bool)
        found_match = found_hop = np.zeros(len(pairs))
    out[C.MATCH] = np.where(hit, found_match, np.where(in_chain, 0.0, np.nan))
    out[C.HOP] = np.where(hit, found_hop, np.nan)
    return out


def arrow_strings(values) -> pa.ChunkedArray:
    """Return a column of ids as an Arrow large-string array (missing values stay null)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    arr = pa.chunked_array(pa.array(series.astype("str")))
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def index_in(values, universe: pa.ChunkedArray) -> np.ndarray:
    """Position of each of ``values`` in ``universe`` (first occurrence), -1 where absent.

    A hash lookup in Arrow: a few hundred milliseconds for millions of ids.

    >>> index_in(pd.Series(["b", "z", None]), arrow_strings(pd.Series(["a", "b"]))).tolist()
    [1, -1, -1]
    """
    found = pc.index_in(arrow_strings(values), value_set=universe.combine_chunks())
    return found.fill_null(-1).to_numpy().astype(np.int64)


def is_in(values, wanted) -> np.ndarray:
    """Whether each of ``values`` is one of ``wanted`` (an Arrow hash lookup; missing: False).

    >>> is_in(pd.Series(["b", "z", None]), {"a", "b"}).tolist()
    [True, False, False]
    """
    found = pc.is_in(arrow_strings(values),
                     value_set=arrow_strings(pd.Series(list(wanted), dtype="str")).combine_chunks())
    return np.asarray(found.fill_null(False).to_numpy(), bool)


# --- machinery ------------------------------------------------------------------------------

def _check_discount(hop_discount: float) -> None:
    if not 0.0 <= float(hop_discount) <= 1.0:
        raise InvalidArgument(f"hop_discount must be in [0, 1], got {hop_discount!r}")


class _Spans:
    """Where a link counts for the targets: (source node, target, hop, factor) rows.

    A link in ``source`` makes its firm a candidate of ``target`` at ``hop`` with match
    ``factor`` x confidence: every target is its own source at hop 0 (factor 1), and its
    direct suppliers and consumers are sources at hop 1 (factor ``hop_discount``).
    """

    def __init__(self, chain, targets: list[str], hop_discount: float,
                 include_neighbours: bool):
        rows = []
        for t, target in enumerate(targets):
            neighbours = chain.suppliers(target) + chain.consumers(target)  # checks the id
            rows.append((target, t, 0, 1.0))
            if include_neighbours:
                rows.extend((u, t, 1, float(hop_discount)) for u in dict.fromkeys(neighbours))
        self.n_targets = len(targets)
        self.sources = list(dict.fromkeys(r[0] for r in rows))
        position = {v: i for i, v in enumerate(self.sources)}
        rows.sort(key=lambda r: position[r[0]])  # grouped by source, then as listed
        self.target = np.array([r[1] for r in rows], np.int64)
        self.hop = np.array([r[2] for r in rows], np.int64)
        self.factor = np.array([r[3] for r in rows], float)
        per_source = np.bincount([position[r[0]] for r in rows], minlength=len(self.sources))
        self.offsets = np.concatenate([[0], np.cumsum(per_source)]).astype(np.int64)

    def links(self, firm_nodes: pd.DataFrame, *, firm_id: str, node_id: str,
              confidence: str) -> tuple[np.ndarray, np.ndarray, pd.Series]:
        """The links in a source node: (source position, confidence, firm id)."""
        src = index_in(firm_nodes[node_id], arrow_strings(pd.Series(self.sources, dtype="str")))
        at = np.flatnonzero(src >= 0)
        conf = pd.to_numeric(firm_nodes[confidence].take(at), errors="coerce").to_numpy(
            float, na_value=np.nan)
        conf = np.where(np.isnan(conf), DEFAULT_CONFIDENCE, conf)
        return src[at], conf, firm_nodes[firm_id].take(at)

    def best(self, pos: np.ndarray, src: np.ndarray, conf: np.ndarray
             ) -> tuple[np.ndarray, ...]:
        """Expand links over the spans of their source; keep the best per (firm, target).

        ``pos`` is each link's firm position (-1: not a firm to consider). Returns (firm
        position, target position, hop, match) as int64, int64, int64, float64, sorted by
        firm then target: the hop is 0 when the firm is active in the target itself, the
        match the largest over its links; links with a confidence of 0 do not count.
        """
        ok = (pos >= 0) & (conf > 0)
        pos, src, conf = pos[ok], src[ok], conf[ok]
        count = self.offsets[src + 1] - self.offsets[src]
        row = np.repeat(np.arange(len(src)), count)
        span = self.offsets[src][row] + (np.arange(len(row))
                                         - np.repeat(np.cumsum(count) - count, count))
        key = pos[row] * self.n_targets + self.target[span]
        order = np.argsort(key)  # the reductions below do not depend on the order of ties
        key = key[order]
        if not len(key):
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, np.zeros(0)
        hop = self.hop[span][order]
        match = (conf[row] * self.factor[span])[order]
        start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        keys = key[start]
        return (keys // self.n_targets, keys % self.n_targets, np.minimum.reduceat(hop, start),
                np.maximum.reduceat(match, start))


def _local_positions(firms: pd.DataFrame, rows: np.ndarray, region) -> np.ndarray:
    """The positions among ``rows`` of firms local to ``region`` (sorted)."""
    country = arrow_strings(firms[C.COUNTRY]).take(pa.array(rows))
    home = pc.fill_null(pc.equal(country, str(region.country)), False).to_numpy()
    at_home = rows[np.asarray(home, bool)]
    if not len(at_home):
        return at_home
    place = firms[[C.COUNTRY, C.PROVINCE, C.CITY]].iloc[at_home]
    return at_home[local_mask(place, region)]


def _as_str(values) -> pd.api.extensions.ExtensionArray:
    """An Arrow string array as a pandas ``str`` array."""
    return pd.array(values, dtype="str")
