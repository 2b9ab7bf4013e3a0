"""The industrial chain (产业链): nodes, supplier -> consumer edges, and their validation.

A chain is a YAML file (``data/chains/precision_instruments.yaml`` by default) with the
top-level keys ``id``, ``name_zh``, ``name_en``, ``version``, ``nodes`` and ``edges``, and
optionally ``allow_cycles`` (default false), ``source`` (where the structure comes from) and
``note``. Each node has ``id``, ``name_zh``, ``name_en``, ``stage`` (upstream, midstream or
downstream) and ``segment``, and optionally the lists ``hs_codes`` (4- or 6-digit strings),
``gbt4754`` (4-digit GB/T 4754-2017 classes), ``keywords_zh`` and ``keywords_en``. Each edge
has ``supplier`` and ``consumer`` node ids and optionally a ``weight`` in [0, 1], the
supplier's share of the consumer's cost.

Loading validates the whole file and raises :class:`~recommender.exceptions.ChainError`
naming the file and the offending entry (``nodes[3]``, ``edges[12]``, a node id, a code).

>>> chain = load_chain()
>>> chain.node("oscilloscopes")["stage"]
'midstream'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import yaml

from recommender.columns import (
    HS_CODES,
    NODE_ID,
    NODE_NAME_EN,
    NODE_NAME_ZH,
    SEGMENT,
    STAGE,
)
from recommender.exceptions import ChainError, DataError, NotFoundError
from recommender.paths import default_chain_path

__all__ = [
    "CONSUMER",
    "EDGE_COLUMNS",
    "GBT4754",
    "HS2017_ONLY_CODES",
    "KEYWORDS_EN",
    "KEYWORDS_ZH",
    "NODE_COLUMNS",
    "STAGES",
    "SUPPLIER",
    "WEIGHT",
    "Chain",
    "chain_from_dict",
    "load_chain",
]

STAGES = ("upstream", "midstream", "downstream")

# Node and edge fields that only the chain tables use (the shared ones live in columns.py).
GBT4754 = "gbt4754"
KEYWORDS_ZH = "keywords_zh"
KEYWORDS_EN = "keywords_en"
SUPPLIER = "supplier"
CONSUMER = "consumer"
WEIGHT = "weight"

NODE_COLUMNS = [
    NODE_ID, NODE_NAME_ZH, NODE_NAME_EN, STAGE, SEGMENT, HS_CODES, GBT4754, KEYWORDS_ZH,
    KEYWORDS_EN,
]
EDGE_COLUMNS = [SUPPLIER, CONSUMER, WEIGHT]

# HS 2017 subheadings that HS 2022 deleted but that a chain may still list, because trade
# tables and the literature on the sector still report them. Code -> why it is kept.
HS2017_ONLY_CODES: dict[str, str] = {
    "902780": (
        "HS 2017 'other instruments for physical or chemical analysis' (gene sequencers, "
        "clinical analysers); HS 2022 split it into 902781 (mass spectrometers) and 902789"
    ),
}

_TOP_REQUIRED = ("id", NODE_NAME_ZH, NODE_NAME_EN, "version", "nodes", "edges")
_NODE_REQUIRED = ("id", NODE_NAME_ZH, NODE_NAME_EN, STAGE, SEGMENT)
_NODE_LISTS = (HS_CODES, GBT4754, KEYWORDS_ZH, KEYWORDS_EN)
_NODE_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
_HS_RE = re.compile(r"\d{4}|\d{6}")
_GBT_RE = re.compile(r"\d{4}")


@dataclass(frozen=True, eq=False)
class Chain:
    """A validated industrial chain.

    Attributes
    ----------
    id, name_zh, name_en, version : str
        Identity of the chain.
    nodes : pandas.DataFrame
        One row per node in file order, columns :data:`NODE_COLUMNS`; ``hs_codes``,
        ``gbt4754``, ``keywords_zh`` and ``keywords_en`` hold lists of strings.
    edges : pandas.DataFrame
        Columns ``supplier``, ``consumer`` and ``weight`` (float, NaN when the file gives none).
    graph : networkx.DiGraph
        Nodes carry the node fields as attributes; an edge carries ``weight`` only when the
        file gives one.
    allow_cycles : bool
        Whether the file allows cycles.
    source, note : str
        The file's own ``source`` and ``note`` lines (provenance and caveats).
    origin : str
        Where the chain was loaded from (a path, or ``"<dict>"``).

    Examples
    --------
    >>> chain = chain_from_dict({
    ...     "id": "toy", "name_zh": "玩具链", "name_en": "Toy chain", "version": "1",
    ...     "nodes": [
    ...         {"id": "chips", "name_zh": "芯片", "name_en": "Chips",
    ...          "stage": "upstream", "segment": "parts", "hs_codes": ["8542"]},
    ...         {"id": "scopes", "name_zh": "示波器", "name_en": "Scopes",
    ...          "stage": "midstream", "segment": "test", "hs_codes": ["903020"]},
    ...     ],
    ...     "edges": [{"supplier": "chips", "consumer": "scopes", "weight": 0.2}],
    ... })
    >>> chain.downstream_reach("chips")
    1
    >>> chain.nodes_for_hs("854231")
    ['chips']
    """

    id: str
    name_zh: str
    name_en: str
    version: str
    nodes: pd.DataFrame = field(repr=False)
    edges: pd.DataFrame = field(repr=False)
    graph: nx.DiGraph = field(repr=False)
    allow_cycles: bool = False
    source: str = ""
    note: str = ""
    origin: str = "<dict>"
    _position: dict[str, int] = field(init=False, repr=False)
    _by_code: dict[str, list[str]] = field(init=False, repr=False)
    _by_heading: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = list(self.nodes[NODE_ID])
        by_code: dict[str, list[str]] = {}
        by_heading: dict[str, list[str]] = {}
        for node_id, codes in zip(ids, self.nodes[HS_CODES], strict=True):
            for code in codes:
                _append_once(by_code.setdefault(code, []), node_id)
                _append_once(by_heading.setdefault(code[:4], []), node_id)
        object.__setattr__(self, "_position", {node_id: i for i, node_id in enumerate(ids)})
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_heading", by_heading)

    # --- lookups ---------------------------------------------------------------------------
    @property
    def node_ids(self) -> list[str]:
        """Return the node ids in file order."""
        return list(self.nodes[NODE_ID])

    def node(self, node_id: str) -> dict[str, Any]:
        """Return one node as a plain dict (lists are copies).

        Raises
        ------
        NotFoundError
            If the chain has no node ``node_id``.

        Examples
        --------
        >>> load_chain().node("mass_spectrometers")["name_zh"]
        '质谱仪'
        """
        row = self.nodes.iloc[self._require(node_id)]
        return {
            col: list(value) if isinstance(value, list) else value
            for col, value in row.items()
        }

    def nodes_in_stage(self, stage: str) -> list[str]:
        """Return the ids of the nodes in ``stage`` (upstream, midstream or downstream).

        Examples
        --------
        >>> len(load_chain().nodes_in_stage("downstream"))
        9
        """
        if stage not in STAGES:
            raise NotFoundError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
        return list(self.nodes.loc[self.nodes[STAGE] == stage, NODE_ID])

    def suppliers(self, node_id: str) -> list[str]:
        """Return the ids of the nodes that supply ``node_id`` directly, in file order."""
        self._require(node_id)
        return self._in_file_order(self.graph.predecessors(node_id))

    def consumers(self, node_id: str) -> list[str]:
        """Return the ids of the nodes that ``node_id`` supplies directly, in file order."""
        self._require(node_id)
        return self._in_file_order(self.graph.successors(node_id))

    def downstream_reach(self, node_id: str) -> int:
        """Return how many nodes can be reached downstream of ``node_id`` along the edges.

        Examples
        --------
        >>> load_chain().downstream_reach("healthcare")
        0
        """
        self._require(node_id)
        return len(nx.descendants(self.graph, node_id))

    # --- HS codes --------------------------------------------------------------------------
    def hs_to_nodes(self) -> dict[str, list[str]]:
        """Return each HS code listed by a node, mapped to the ids of the nodes listing it.

        Codes appear as the file writes them (4 or 6 digits); use :meth:`nodes_for_hs` to
        match a code at another level.
        """
        return {code: list(ids) for code, ids in self._by_code.items()}

    def nodes_for_hs(self, code: str | int) -> list[str]:
        """Return the ids of the nodes that a trade code belongs to, in file order.

        A 6-digit (or longer national) code matches nodes that list its 6-digit subheading or
        its 4-digit heading. A 4-digit code matches nodes that list that heading or any
        subheading under it. Dots and spaces are ignored ("9027.81" is "902781"); pass codes
        as strings, since an integer loses the leading zero of chapters 01-09.

        Raises
        ------
        DataError
            If ``code`` does not have 4 to 10 digits.

        Examples
        --------
        >>> chain = load_chain()
        >>> chain.nodes_for_hs("903020")
        ['oscilloscopes']
        >>> "oscilloscopes" in chain.nodes_for_hs("9030")
        True
        """
        digits = re.sub(r"[.\s]", "", str(code))
        if not re.fullmatch(r"\d{4,10}", digits):
            raise DataError(f"malformed HS code {code!r}: expected 4 to 10 digits")
        if len(digits) == 4:
            return list(self._by_heading.get(digits, []))
        found = self._by_code.get(digits[:6], []) + self._by_code.get(digits[:4], [])
        return self._in_file_order(found)

    # --- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the chain as plain lists and dicts, ready for JSON (missing weights are None).

        Examples
        --------
        >>> payload = load_chain().to_dict()
        >>> sorted(payload["edges"][0])
        ['consumer', 'supplier', 'weight']
        """
        nodes = [self.node(node_id) for node_id in self.nodes[NODE_ID]]
        edges = [
            {SUPPLIER: s, CONSUMER: c, WEIGHT: None if math.isnan(w) else float(w)}
            for s, c, w in self.edges[EDGE_COLUMNS].itertuples(index=False, name=None)
        ]
        return {
            "id": self.id,
            NODE_NAME_ZH: self.name_zh,
            NODE_NAME_EN: self.name_en,
            "version": self.version,
            "allow_cycles": self.allow_cycles,
            "source": self.source,
            "note": self.note,
            "nodes": nodes,
            "edges": edges,
        }

    # --- helpers ---------------------------------------------------------------------------
    def _require(self, node_id: str) -> int:
        try:
            return self._position[node_id]
        except (KeyError, TypeError):
            raise NotFoundError(f"chain {self.id!r} has no node {node_id!r}") from None

    def _in_file_order(self, node_ids) -> list[str]:
        return sorted(set(node_ids), key=self._position.__getitem__)


def load_chain(path: str | Path | None = None) -> Chain:
    """Read and validate a chain YAML file.

    Parameters
    ----------
    path : str or Path, optional
        The file; defaults to :func:`recommender.paths.default_chain_path`.

    Returns
    -------
    Chain

    Raises
    ------
    ChainError
        If the file cannot be read, is not valid YAML, or fails validation; the message
        names the file and the offending entry.

    Examples
    --------
    >>> chain = load_chain()
    >>> len(chain.node_ids)
    82
    """
    path = Path(path) if path is not None else default_chain_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChainError(f"{path}: cannot read the chain file ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChainError(f"{path}: unreadable YAML ({exc})") from exc
    return chain_from_dict(data, source=str(path))


def chain_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Chain:
    """Validate a chain given as a mapping (the parsed YAML) and build a :class:`Chain`.

    Parameters
    ----------
    data : mapping
        Top-level keys as in the module docstring.
    source : str
        Where ``data`` came from (kept as :attr:`Chain.origin`; the file's own ``source``
        line becomes :attr:`Chain.source`); every error message starts with it.

    Raises
    ------
    ChainError
        On a missing required field, a duplicate node id, an unknown stage, a malformed HS
        or GB/T code, an edge naming an unknown node, a self-loop, a duplicate edge, a weight
        outside [0, 1], or a cycle when ``allow_cycles`` is false.

    Examples
    --------
    >>> chain_from_dict({"id": "toy", "name_zh": "链", "name_en": "Toy", "version": "1",
    ...                  "nodes": [{"id": "a", "name_zh": "甲", "name_en": "A",
    ...                             "stage": "upstream", "segment": "s"}],
    ...                  "edges": []}).node_ids
    ['a']
    """
    if not isinstance(data, Mapping):
        raise ChainError(f"{source}: a chain must be a mapping, got {type(data).__name__}")
    for key in _TOP_REQUIRED:
        if key not in data or data[key] is None:
            raise ChainError(f"{source}: missing required field {key!r}")
    header = {key: _text(data[key], f"{source}: field {key!r}") for key in _TOP_REQUIRED[:4]}
    allow_cycles = data.get("allow_cycles", False)
    if not isinstance(allow_cycles, bool):
        raise ChainError(f"{source}: allow_cycles must be true or false, got {allow_cycles!r}")
    if not isinstance(data["nodes"], list) or not data["nodes"]:
        raise ChainError(f"{source}: nodes must be a non-empty list")
    if not isinstance(data["edges"], list):
        raise ChainError(f"{source}: edges must be a list")

    rows = _parse_nodes(data["nodes"], source)
    edges = _parse_edges(data["edges"], {row[NODE_ID] for row in rows}, source)
    graph = _build_graph(rows, edges, header["id"])
    if not allow_cycles:
        _reject_cycles(graph, source)

    nodes = pd.DataFrame(rows, columns=NODE_COLUMNS)
    edge_table = pd.DataFrame(edges, columns=EDGE_COLUMNS).astype({WEIGHT: "float64"})
    return Chain(
        **header,
        nodes=nodes,
        edges=edge_table,
        graph=graph,
        allow_cycles=allow_cycles,
        source=str(data.get("source") or ""),
        note=str(data.get("note") or ""),
        origin=source,
    )


# --- validation helpers ---------------------------------------------------------------------
def _parse_nodes(raw_nodes: list, source: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_nodes):
        where = f"{source}: nodes[{i}]"
        if not isinstance(raw, Mapping):
            raise ChainError(f"{where} must be a mapping, got {type(raw).__name__}")
        for key in _NODE_REQUIRED:
            if raw.get(key) is None:
                label = f" ({raw['id']!r})" if isinstance(raw.get("id"), str) else ""
                raise ChainError(f"{where}{label} is missing required field {key!r}")
        node_id = raw["id"]
        if not isinstance(node_id, str) or not _NODE_ID_RE.fullmatch(node_id):
            raise ChainError(
                f"{where} has malformed id {node_id!r}: use lower-case letters, digits and _"
            )
        where = f"{source}: node {node_id!r}"
        if node_id in seen:
            raise ChainError(f"{where} is a duplicate id (nodes[{seen[node_id]}] and nodes[{i}])")
        seen[node_id] = i
        row: dict[str, Any] = {NODE_ID: node_id}
        for key in _NODE_REQUIRED[1:]:
            row[key] = _text(raw[key], f"{where} field {key!r}")
        if row[STAGE] not in STAGES:
            raise ChainError(
                f"{where} has unknown stage {row[STAGE]!r}; expected one of {', '.join(STAGES)}"
            )
        for key in _NODE_LISTS:
            row[key] = _string_list(raw.get(key), f"{where} field {key!r}")
        for code in row[HS_CODES]:
            if not _HS_RE.fullmatch(code):
                raise ChainError(f"{where} has malformed HS code {code!r}: expected 4 or 6 digits")
        for code in row[GBT4754]:
            if not _GBT_RE.fullmatch(code):
                raise ChainError(
                    f"{where} has malformed GB/T 4754 class {code!r}: expected 4 digits"
                )
        rows.append(row)
    return rows


def _parse_edges(raw_edges: list, known: set[str], source: str) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(raw_edges):
        where = f"{source}: edges[{i}]"
        if not isinstance(raw, Mapping):
            raise ChainError(f"{where} must be a mapping, got {type(raw).__name__}")
        for key in (SUPPLIER, CONSUMER):
            if raw.get(key) is None:
                raise ChainError(f"{where} is missing required field {key!r}")
        supplier, consumer = raw[SUPPLIER], raw[CONSUMER]
        where = f"{where} ({supplier} -> {consumer})"
        for role, node_id in ((SUPPLIER, supplier), (CONSUMER, consumer)):
            if not isinstance(node_id, str) or node_id not in known:
                raise ChainError(f"{where} names unknown {role} node {node_id!r}")
        if supplier == consumer:
            raise ChainError(f"{where} is a self-loop on {supplier!r}")
        if (supplier, consumer) in seen:
            raise ChainError(f"{where} duplicates edges[{seen[supplier, consumer]}]")
        seen[supplier, consumer] = i
        edges.append({SUPPLIER: supplier, CONSUMER: consumer, WEIGHT: _weight(raw, where)})
    return edges


def _weight(raw: Mapping, where: str) -> float:
    weight = raw.get(WEIGHT)
    if weight is None:
        return math.nan
    if isinstance(weight, bool) or not isinstance(weight, Real):
        raise ChainError(f"{where} has non-numeric weight {weight!r}")
    weight = float(weight)
    if not 0.0 <= weight <= 1.0:  # also rejects NaN
        raise ChainError(f"{where} has weight {weight!r} outside [0, 1]")
    return weight


def _build_graph(rows: list[dict[str, Any]], edges: list[dict[str, Any]], chain_id: str):
    graph = nx.DiGraph(id=chain_id)
    for row in rows:
        graph.add_node(row[NODE_ID], **{k: v for k, v in row.items() if k != NODE_ID})
    for edge in edges:
        attrs = {} if math.isnan(edge[WEIGHT]) else {WEIGHT: edge[WEIGHT]}
        graph.add_edge(edge[SUPPLIER], edge[CONSUMER], **attrs)
    return graph


def _reject_cycles(graph: nx.DiGraph, source: str) -> None:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([cycle[0][0], *(v for _, v in cycle)])
    raise ChainError(f"{source}: the edges form a cycle {path}, and allow_cycles is false")


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ChainError(f"{where} must be text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ChainError(f"{where} is empty")
    return text


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ChainError(f"{where} must be a list, got {type(value).__name__}")
    items = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ChainError(f"{where} has {item!r}; every entry must be a non-empty quoted string")
        items.append(item.strip())
    return items


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)
