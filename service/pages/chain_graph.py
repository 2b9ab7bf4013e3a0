"""The chain drawn as a graph on the dashboard: where each node and edge goes in an SVG, and
what a node's side panel says about its weak link.

Nodes stand in columns by stage, upstream on the left, downstream on the right. A stage whose
nodes supply each other (upstream: materials feed components) is split into up to
``max_columns`` sub-columns, a node as far right as its consumers in the stage allow, so that
edges run left to right. Within a column, nodes keep their segments together and are ordered
by the mean height of their neighbours (a few barycentre sweeps), which keeps edges short.

:func:`node_facts` gives a node's weak-link components, input flags and explanation as the
side panel shows them, formatted in one language.

Everything is plain geometry in SVG user units and plain text; nothing here knows about
Flask or HTML.

>>> from recommender.chain import load_chain
>>> chain = load_chain()
>>> layout = layout_chain(chain, label_of=lambda node: node["name_en"])
>>> len(layout.nodes) == len(chain.node_ids), len(layout.edges) == len(chain.edges)
(True, True)
>>> [band.stage for band in layout.stages]
['upstream', 'midstream', 'downstream']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import networkx as nx

from recommender import columns as C
from recommender.chain import CONSUMER, STAGES, SUPPLIER, WEIGHT
from recommender.diagnosis.weak_links import (
    CAN_RECRUIT,
    DOWNSTREAM_REACH,
    HAS_EXPORT_CONTROLS,
    HAS_IMPORTS,
    HAS_LEADER_NEEDS,
    HAS_LOCAL_FIRMS,
    MISSING_INPUTS,
)
from service.pages.i18n import translate

# The weak-link components in the order the panel lists them, and the inputs they come from.
COMPONENTS = (C.LOCAL_GAP, C.DEMAND, C.IMPORT_DEPENDENCE, C.CONCENTRATION, C.EXPORT_CONTROL,
              C.CRITICALITY)
INPUT_FLAGS = (HAS_LOCAL_FIRMS, HAS_IMPORTS, HAS_LEADER_NEEDS, HAS_EXPORT_CONTROLS)

__all__ = [
    "ARC_ROOM",
    "COLUMN_GAP",
    "COMPONENTS",
    "ChainLayout",
    "EdgeBox",
    "HEADER",
    "INPUT_FLAGS",
    "LINE_HEIGHT",
    "NODE_HEIGHT",
    "NodeBox",
    "PAD",
    "ROW",
    "SEGMENT_GAP",
    "SWEEPS",
    "StageBand",
    "layout_chain",
    "node_facts",
    "score_band",
    "short_label",
    "wrap_label",
    "text_or",
]

NODE_HEIGHT = 18
ROW = 23  # vertical pitch of the nodes in a column
LINE_HEIGHT = 13  # each further line of a label adds this to a node and its row
SEGMENT_GAP = 9  # extra space between two segments of a column
COLUMN_GAP = 66
HEADER = 40  # room for the stage names above the columns
PAD = 14
ARC_ROOM = 26  # left of the first column, for edges within a column
SWEEPS = 6


@dataclass(frozen=True)
class NodeBox:
    node_id: str
    stage: str
    column: int
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class EdgeBox:
    supplier: str
    consumer: str
    path: str  # the SVG path's ``d``
    width: float  # stroke width: thicker for a larger cost share


@dataclass(frozen=True)
class StageBand:
    stage: str
    x: float
    width: float
    nodes: int


@dataclass(frozen=True)
class ChainLayout:
    width: float
    height: float
    nodes: list[NodeBox]
    edges: list[EdgeBox]
    stages: list[StageBand]


def score_band(score: float | None, top: float, bands: int = 5) -> int:
    """Return the colour band (0 calm … ``bands - 1`` weakest) of a score, relative to ``top``.

    >>> [score_band(s, 0.5) for s in (None, 0.0, 0.11, 0.25, 0.5)]
    [0, 0, 1, 2, 4]
    """
    if score is None or top <= 0 or score != score:
        return 0
    return min(bands - 1, max(0, int(score / top * bands)))


def wrap_label(text: str, limit: int, lines: int = 2) -> str:
    """Return ``text`` without a parenthesis, in at most ``lines`` lines of at most ``limit``
    characters broken at spaces (newlines between them); only a text that still does not fit
    is cut, at the end of its last line.

    >>> wrap_label("Semiconductors and electronics manufacturing (fabs)", 26)
    'Semiconductors and\\nelectronics manufacturing'
    >>> wrap_label("Lasers", 26)
    'Lasers'
    """
    words = re.sub(r"\s*[(（][^)）]*[)）]\s*", " ", text).split()
    out: list[str] = []
    for word in words:
        if out and len(out[-1]) + 1 + len(word) <= limit:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines - 1] + [short_label(" ".join(out[lines - 1:]), limit)]
    return "\n".join(short_label(line, limit) for line in out)


def short_label(text: str, limit: int) -> str:
    """Return ``text`` without a parenthesis and, past ``limit`` characters, cut (at a word
    unless that loses more than a third of the room).

    >>> short_label("Optical elements (lenses, prisms, mirrors, filters)", 22)
    'Optical elements'
    >>> short_label("Semiconductors and electronics manufacturing", 22)
    'Semiconductors and…'
    >>> short_label("Pressure transmitters and gauges", 21)
    'Pressure transmitter…'
    """
    text = re.sub(r"\s*[(（][^)）]*[)）]\s*", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut and cut.rindex(" ") >= limit * 2 / 3:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def layout_chain(chain, *, label_of: Callable[[dict], str], node_width: float = 140,
                 max_columns: int = 3, lines: int = 1) -> ChainLayout:
    """Place every node and edge of ``chain`` (a :class:`recommender.chain.Chain`).

    ``label_of(node)`` gives the text drawn in a node (``node`` as ``chain.node`` returns
    it; lines apart by a newline, at most ``lines`` of them: every node is that tall);
    ``node_width`` fits the longest line. A stage takes at most ``max_columns`` columns.
    """
    node_height = NODE_HEIGHT + (lines - 1) * LINE_HEIGHT
    pitch = ROW + (lines - 1) * LINE_HEIGHT
    graph = chain.graph
    nodes = {node_id: chain.node(node_id) for node_id in chain.node_ids}
    columns: list[list[str]] = []
    stage_of_column: list[str] = []
    for stage in STAGES:
        for column in _stage_columns(graph, chain.nodes_in_stage(stage), max_columns):
            columns.append(column)
            stage_of_column.append(stage)
    column_of = {n: i for i, column in enumerate(columns) for n in column}
    segment_of = {n: nodes[n][C.SEGMENT] for n in nodes}
    heights = [_column_height(column, segment_of, pitch, node_height) for column in columns]
    tallest = max(heights, default=0)
    x_of = [ARC_ROOM + PAD + i * (node_width + COLUMN_GAP) for i in range(len(columns))]

    y: dict[str, float] = {}

    def place(i: int) -> None:
        top = HEADER + (tallest - heights[i]) / 2
        previous = None
        for row, node_id in enumerate(columns[i]):
            if previous is not None and segment_of[node_id] != previous:
                top += SEGMENT_GAP
            previous = segment_of[node_id]
            y[node_id] = top + row * pitch

    for i in range(len(columns)):
        place(i)
    neighbours = {n: set(graph.predecessors(n)) | set(graph.successors(n)) for n in nodes}
    order = list(range(len(columns)))
    for sweep in range(SWEEPS):
        for i in (order if sweep % 2 == 0 else order[::-1]):
            columns[i] = _by_barycentre(columns[i], neighbours, column_of, y, segment_of)
            place(i)

    boxes = [NodeBox(n, stage_of_column[column_of[n]], column_of[n], x_of[column_of[n]],
                     y[n], node_width, node_height, label_of(nodes[n]))
             for n in chain.node_ids]
    edges = [_edge(row, column_of, x_of, y, node_width, node_height)
             for row in chain.edges.to_dict("records")]
    bands = []
    for stage in STAGES:
        held = [i for i, s in enumerate(stage_of_column) if s == stage]
        if held:
            left, right = x_of[held[0]], x_of[held[-1]] + node_width
            bands.append(StageBand(stage, left - PAD / 2, right - left + PAD,
                                   sum(len(columns[i]) for i in held)))
    width = (x_of[-1] + node_width + PAD) if columns else 2 * PAD
    return ChainLayout(width=width, height=HEADER + tallest + PAD, nodes=boxes, edges=edges,
                       stages=bands)


def _stage_columns(graph: nx.DiGraph, ids: list[str], max_columns: int) -> list[list[str]]:
    """Split one stage's nodes into columns: a node right of every supplier in the stage."""
    if not ids:
        return []
    inner = graph.subgraph(ids)
    if not nx.is_directed_acyclic_graph(inner):
        return [list(ids)]
    level: dict[str, int] = {}  # 0 = supplies nothing within the stage
    for node_id in reversed(list(nx.topological_sort(inner))):
        level[node_id] = max((level[s] + 1 for s in inner.successors(node_id)), default=0)
    counts = [0] * (max(level.values()) + 1)
    for value in level.values():
        counts[value] += 1
    groups = _balanced_groups(counts, max(1, max_columns))
    group_of = {lv: g for g, levels in enumerate(groups) for lv in levels}
    columns: list[list[str]] = [[] for _ in groups]
    for node_id in ids:  # the highest level on the left
        columns[len(groups) - 1 - group_of[level[node_id]]].append(node_id)
    return columns


def _balanced_groups(counts: list[int], most: int) -> list[list[int]]:
    """Cut ``range(len(counts))`` into at most ``most`` runs, the largest run total as small
    as possible, then the totals as even as possible.

    >>> _balanced_groups([17, 7, 3, 8, 3], 3)
    [[0], [1, 2], [3, 4]]
    """
    n, k = len(counts), min(most, len(counts))
    prefix = [0]
    for count in counts:
        prefix.append(prefix[-1] + count)
    # best[j][i]: (largest run, sum of squared runs) cutting the first i levels into j runs
    best = [[(math.inf, math.inf)] * (n + 1) for _ in range(k + 1)]
    cut = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = (0, 0)
    for j in range(1, k + 1):
        for i in range(j, n + 1):
            for start in range(j - 1, i):
                run = prefix[i] - prefix[start]
                largest, squares = best[j - 1][start]
                value = (max(largest, run), squares + run * run)
                if value < best[j][i]:
                    best[j][i], cut[j][i] = value, start
    groups, end = [], n
    for j in range(k, 0, -1):
        start = cut[j][end]
        groups.append(list(range(start, end)))
        end = start
    return groups[::-1]


def _column_height(column: list[str], segment_of: Mapping[str, str], pitch: float = ROW,
                   node_height: float = NODE_HEIGHT) -> float:
    segments = len({segment_of[n] for n in column})
    return max(0, len(column) - 1) * pitch + max(0, segments - 1) * SEGMENT_GAP + node_height


def _by_barycentre(column: list[str], neighbours, column_of, y, segment_of) -> list[str]:
    """Order a column by its nodes' mean neighbour height, segments kept together."""
    def centre(node_id: str) -> float:
        near = [y[m] for m in neighbours[node_id] if column_of[m] != column_of[node_id]]
        return sum(near) / len(near) if near else y[node_id]

    at = {n: centre(n) for n in column}
    segments: dict[str, list[str]] = {}
    for node_id in column:
        segments.setdefault(segment_of[node_id], []).append(node_id)
    ranked = sorted(segments.values(), key=lambda members: sum(at[m] for m in members)
                    / len(members))
    return [n for members in ranked for n in sorted(members, key=at.__getitem__)]


def _edge(row: Mapping, column_of, x_of, y, node_width: float,
          node_height: float = NODE_HEIGHT) -> EdgeBox:
    supplier, consumer = row[SUPPLIER], row[CONSUMER]
    y1, y2 = y[supplier] + node_height / 2, y[consumer] + node_height / 2
    a, b = column_of[supplier], column_of[consumer]
    if a == b:  # within a column: an arc on its left
        x = x_of[a]
        bend = x - min(ARC_ROOM, 8 + abs(y2 - y1) / 10)
        path = f"M{x:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {x:.1f},{y2:.1f}"
    else:
        x1 = x_of[a] + node_width if a < b else x_of[a]
        x2 = x_of[b] if a < b else x_of[b] + node_width
        middle = (x1 + x2) / 2
        path = (f"M{x1:.1f},{y1:.1f} C{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f} "
                f"{x2:.1f},{y2:.1f}")
    weight = row.get(WEIGHT)
    width = 0.8 if weight is None or weight != weight else min(2.6, 0.6 + 8 * float(weight))
    return EdgeBox(supplier, consumer, path, round(width, 2))


# --- what a node's panel says ----------------------------------------------------------------
def text_or(key: str, lang: str, default: str) -> str:
    """Return the UI string ``key`` in ``lang``, or ``default`` where there is none."""
    text = translate(key, lang)
    return default if text == key else text


def node_facts(item: Mapping, *, lang: str, weights: Mapping[str, float],
               recruitable: int) -> dict:
    """Return what the side panel shows of one weak-link row
    (:func:`service.answers.rankings.weak_link_rows` item), formatted in ``lang``: names, stage,
    rank, score, each component with its weight, detail and whether its input was missing, each
    input given or missing, the explanation.

    ``recruitable`` is how many nodes have a rank (for "3 of 38").
    """
    missing = set(item.get(MISSING_INPUTS) or ())
    details = {
        C.LOCAL_GAP: {"firms": _count(item.get(C.LOCAL_FIRMS)),
                      "supply": _number(item.get(C.LOCAL_SUPPLY), 2)},
        C.DEMAND: {"imports": _money(item.get(C.IMPORT_VALUE), lang),
                   "need": _number(item.get(C.LEADER_NEED), 1)},
        C.CRITICALITY: {"reach": _count(item.get(DOWNSTREAM_REACH))},
    }
    components = [{
        "key": name, "label": translate(f"dash_comp_{name}", lang),
        "value": _unit(item.get(name)), "text": _number(item.get(name), 3),
        "weight": _number(weights.get(name), 2),
        "detail": translate(f"dash_detail_{name}", lang).format(**details.get(name, {})),
        "detail_varies": name in details, "missing": name in missing,
    } for name in COMPONENTS]
    inputs = [{"key": flag, "label": translate(f"dash_input_{flag}", lang),
               "given": bool(item.get(flag))} for flag in INPUT_FLAGS]
    rank = item.get(C.RANK)
    can_recruit = bool(item.get(CAN_RECRUIT)) and rank is not None
    name, other = ((item[C.NODE_NAME_ZH], item[C.NODE_NAME_EN]) if lang == "zh"
                   else (item[C.NODE_NAME_EN], item[C.NODE_NAME_ZH]))
    stage, segment = item[C.STAGE], item[C.SEGMENT]
    return {
        C.NODE_ID: item[C.NODE_ID], "name": name, "other_name": other,
        "stage": text_or(f"dash_stage_{stage}", lang, stage),
        "segment": text_or(f"dash_segment_{segment}", lang, segment),
        "can_recruit": can_recruit,
        "rank": (translate("dash_rank_of", lang).format(rank=rank, total=recruitable)
                 if can_recruit else translate("dash_not_recruited", lang)),
        "score": _number(item.get(C.WEAK_LINK_SCORE), 3),
        "components": components, "inputs": inputs,
        "explanation": (item.get("explanation") or {}).get(lang, ""),
    }


def _unit(value) -> float:
    return 0.0 if value is None or value != value else min(1.0, max(0.0, float(value)))


def _number(value, digits: int) -> str:
    return "–" if value is None or value != value else f"{float(value):.{digits}f}"


def _count(value) -> str:
    return "–" if value is None or value != value else f"{int(value):d}"


def _money(value, lang: str) -> str:
    """US dollars, in 亿 (10^8) in Chinese and millions in English.

    >>> _money(309074333.3, "zh"), _money(309074333.3, "en"), _money(0, "en")
    ('3.09 亿美元', 'US$ 309.1 M', 'US$ 0')
    """
    if value is None or value != value:
        return "–"
    if not value:
        return "0 美元" if lang == "zh" else "US$ 0"
    if lang == "zh":
        return f"{value / 1e8:.2f} 亿美元"
    return f"US$ {value / 1e6:.1f} M"
