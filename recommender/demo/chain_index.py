"""A chain as arrays for the generator: node positions, segments, neighbours, keywords.

:class:`ChainIndex` turns a :class:`~recommender.chain.Chain` into the positions and CSR
tables the vectorised draws of the demo world need: a random node of a segment, a random
chain neighbour (either direction), two different keywords of a node in Chinese or English,
and the nodes an import code belongs to.

>>> from recommender.chain import load_chain
>>> ix = ChainIndex.from_chain(load_chain())
>>> int(ix.index_of(["lasers"])[0]) == ix.node_ids.index("lasers"), ix.n >= 50
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recommender import columns as C

__all__ = [
    "ChainIndex",
]


def _words(value, fallback: str) -> list[str]:
    if isinstance(value, str):
        items = value.replace("、", ";").replace(",", ";").replace("|", ";").split(";")
    elif value is None or (isinstance(value, float) and np.isnan(value)):
        items = []
    else:
        items = list(value)
    items = [str(i).strip() for i in items if str(i).strip()]
    return items or [fallback]


def _csr(groups: list[list]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    flat = [x for g in groups for x in g]
    return offsets, np.array(flat, dtype=object if flat and isinstance(flat[0], str) else np.int64)


@dataclass(frozen=True, eq=False)
class ChainIndex:
    """A chain as arrays: node positions, segments, undirected neighbours, keywords."""

    node_ids: tuple[str, ...]
    names_zh: tuple[str, ...]
    names_en: tuple[str, ...]
    segments: tuple[str, ...]
    segment_stage: tuple[str, ...]
    segment_of: np.ndarray
    hs_codes: tuple[tuple[str, ...], ...]
    seg_nodes: tuple[np.ndarray, np.ndarray] = field(repr=False)
    neighbours: tuple[np.ndarray, np.ndarray] = field(repr=False)
    keywords: dict = field(repr=False)
    nodes_for_hs: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_chain(cls, chain) -> ChainIndex:
        nodes = chain.nodes.reset_index(drop=True)
        ids = tuple(nodes[C.NODE_ID].astype(str))
        pos = {v: i for i, v in enumerate(ids)}
        segments = tuple(dict.fromkeys(nodes[C.SEGMENT].astype(str)))
        seg_pos = {s: i for i, s in enumerate(segments)}
        segment_of = nodes[C.SEGMENT].astype(str).map(seg_pos).to_numpy(np.int64)
        stage = tuple(nodes.groupby(C.SEGMENT, sort=False)[C.STAGE].first().astype(str)
                      .reindex(segments))
        near = [set() for _ in ids]
        for a, b in zip(chain.edges["supplier"], chain.edges["consumer"], strict=True):
            if a in pos and b in pos and a != b:
                near[pos[a]].add(pos[b])
                near[pos[b]].add(pos[a])
        zh = [_words(v, f) for v, f in zip(nodes["keywords_zh"], nodes[C.NODE_NAME_ZH],
                                           strict=True)]
        en = [_words(v, f) for v, f in zip(nodes["keywords_en"], nodes[C.NODE_NAME_EN],
                                           strict=True)]
        hs = tuple(tuple(w for w in _words(v, "") if w) for v in nodes[C.HS_CODES])
        return cls(ids, tuple(nodes[C.NODE_NAME_ZH].astype(str)),
                   tuple(nodes[C.NODE_NAME_EN].astype(str)), segments, stage, segment_of, hs,
                   _csr([list(np.flatnonzero(segment_of == s)) for s in range(len(segments))]),
                   _csr([sorted(s) for s in near]), {True: _csr(zh), False: _csr(en)},
                   getattr(chain, "nodes_for_hs", None))

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def index_of(self, ids) -> np.ndarray:
        pos = {v: i for i, v in enumerate(self.node_ids)}
        return np.array([pos[v] for v in ids], dtype=np.int64)

    def _draw(self, rng, csr, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        off, flat = csr
        count = off[group + 1] - off[group]
        return off[group] + (rng.random(len(group)) * np.maximum(count, 1)).astype(np.int64), \
            count

    def random_in_segment(self, rng, segment: np.ndarray) -> np.ndarray:
        at, _ = self._draw(rng, self.seg_nodes, segment)
        return self.seg_nodes[1][at]

    def random_neighbour(self, rng, node: np.ndarray) -> np.ndarray:
        """A random chain neighbour of each node (a node of its segment when it has none)."""
        at, count = self._draw(rng, self.neighbours, node)
        flat = self.neighbours[1]
        fallback = self.random_in_segment(rng, self.segment_of[node])
        if len(flat) == 0:
            return fallback
        return np.where(count > 0, flat[np.minimum(at, len(flat) - 1)], fallback)

    def random_keywords(self, rng, node: np.ndarray, zh: np.ndarray):
        """Two different keywords per node, as positions in ``keyword_table`` (-1: none).

        Chinese keywords where ``zh``, English ones elsewhere; the second is -1 where the node
        has a single keyword.
        """
        first = np.empty(len(node), np.int64)
        second = np.full(len(node), -1, np.int64)
        for lang in (True, False):
            at = np.flatnonzero(zh == lang)
            off, _ = self.keywords[lang]
            start = off[node[at]] + (0 if lang else self.keywords[True][0][-1])
            count = off[node[at] + 1] - off[node[at]]
            j = (rng.random(len(at)) * count).astype(np.int64)
            k = (j + 1 + (rng.random(len(at)) * np.maximum(count - 1, 1)).astype(np.int64)) \
                % count
            first[at] = start + j
            second[at[count > 1]] = (start + k)[count > 1]
        return first, second

    @property
    def keyword_table(self) -> np.ndarray:
        """All keywords: the Chinese ones of every node, then the English ones."""
        return np.concatenate([self.keywords[True][1], self.keywords[False][1]])
