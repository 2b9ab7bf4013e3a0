"""How the node classifier turns confidences into a firm's nodes, and how it learns its lines.

:class:`~recommender.firms.node_classifier.NodeClassifier` decides a firm's nodes in three
steps, and this module holds the rule and the choice of its two numbers:

1. the node models' confidences at or above the node *threshold*, together with the keyword
   links of the nodes left to the keywords (or of every node, when that does better on the
   training firms), the ``max_nodes`` most confident kept;
2. the *gate*: a separate in-chain / out-of-chain model; a firm whose in-chain confidence is
   under the gate threshold keeps none of the links of step 1 (it is outside the chain);
3. the keyword floor: the keyword links the keywords are sure of are added whatever steps 1
   and 2 said.

Both numbers are chosen together on the training firms' out-of-fold confidences, with the
whole rule applied (:func:`choose_lines`), never on the firms being scored: the pair with the
best sum of the firm hit rate (a chain firm with a right node, a firm outside with none) and
the node micro-F1, the two figures an officer reads; ties go to the lower threshold and the
lower gate. A model link must also reach a share (:data:`RELATIVE_GRID`, chosen with them) of
the firm's most confident model link, so a firm with a clear main node gets no weak extras.
A gate of 0 lets every firm through, so the gate is used only where it helps the training
firms.

>>> y = np.array([[1, 0], [0, 1], [0, 0], [0, 0]])
>>> proba = np.array([[0.9, 0.3], [0.2, 0.8], [0.9, 0.1], [0.1, 0.2]])
>>> gate = np.array([0.9, 0.8, 0.2, 0.1])
>>> keyword = np.zeros((4, 2))
>>> choose_lines(y, proba, np.ones(2, bool), keyword, gate, max_nodes=4, floor=None)
(0.325, 0.25, 0, 0.0)
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["GATE_GRID", "RELATIVE_GRID", "THRESHOLD_GRID", "choose_lines", "decide", "f1_score",
           "firm_hit_rate", "sigmoid", "spread"]

THRESHOLD_GRID = np.round(np.arange(0.10, 0.905, 0.025), 3)
GATE_GRID = np.round(np.arange(0.0, 0.955, 0.05), 3)
# a model link must also reach this share of the firm's most confident model link
RELATIVE_GRID = (0.0, 0.5, 0.75)


def sigmoid(z):
    """The logistic function, clipped so that large scores do not overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def f1_score(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Micro-F1 of two boolean (or 0/1) arrays of the same shape; 0 when both are empty."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    total = float(predicted.sum() + truth.sum())
    return 2 * float((predicted & truth).sum()) / total if total else 0.0


def firm_hit_rate(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Share of firms placed usefully: a right node for a chain firm, none for the others.

    >>> firm_hit_rate(np.array([[1, 0], [0, 0]]), np.array([[1, 1], [0, 1]]))
    0.5
    """
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    in_chain = truth.any(axis=1)
    hits = np.where(in_chain, (truth & predicted).any(axis=1), ~predicted.any(axis=1))
    return float(hits.mean()) if len(hits) else 0.0


def spread(values: np.ndarray, nodes: list[str], columns: list[str]) -> np.ndarray:
    """Place the columns of ``values`` (one per node of ``nodes``) among ``columns``; 0 elsewhere.

    >>> spread(np.array([[0.5]]), ["b"], ["a", "b"])
    array([[0. , 0.5]])
    """
    where = {node: j for j, node in enumerate(columns)}
    out = np.zeros((values.shape[0], len(columns)), dtype=values.dtype)
    out[:, [where[n] for n in nodes]] = values
    return out


def decide(proba: np.ndarray, modelled: np.ndarray, keyword: np.ndarray, gate: np.ndarray,
           *, threshold: float, gate_threshold: float, max_nodes: int,
           floor: float | None, keyword_extra: np.ndarray | None = None,
           relative: float = 0.0) -> np.ndarray:
    """Apply the three steps to (firms x nodes) arrays; return the chosen links as booleans.

    ``proba`` holds the node models' confidences in the columns ``modelled`` marks (others
    are ignored); ``keyword`` the keyword-link confidences (0 where none); ``keyword_extra``
    marks the columns whose keyword links join step 1 (by default the unmodelled ones);
    ``gate`` the in-chain confidences; ``floor`` the sure-keyword confidence, or None;
    ``relative`` the share of the firm's highest model confidence a model link must reach too.
    """
    extra = ~modelled if keyword_extra is None else keyword_extra
    model = np.where(modelled, proba, 0.0)
    line = np.maximum(threshold, relative * model.max(axis=1, initial=0.0)[:, None])
    score = np.where(model >= line, model, 0.0)
    score = np.maximum(score, np.where(extra, keyword, 0.0))
    chosen = score > 0
    if max_nodes < score.shape[1]:
        rank = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1, kind="stable")
        chosen &= rank < max_nodes
    chosen &= (gate >= gate_threshold)[:, None]
    if floor is not None:
        chosen |= keyword >= floor
    return chosen


def choose_lines(y: np.ndarray, proba: np.ndarray, modelled: np.ndarray, keyword: np.ndarray,
                 gate: np.ndarray | None, *, max_nodes: int, floor: float | None,
                 keyword_extras=(None,)) -> tuple[float, float, int, float]:
    """Return ``(threshold, gate_threshold, extra, relative)`` chosen on out-of-fold training
    confidences.

    ``y`` are the true links (firms x nodes); the other arrays as in :func:`decide`, with
    ``proba`` out of fold. ``keyword_extras`` are the candidate ``keyword_extra`` masks;
    ``extra`` is the position of the one chosen with the lines, ``relative`` one of
    :data:`RELATIVE_GRID`. Without a gate (``gate`` None) the gate threshold is 0.
    """
    if not y.any():
        return 0.5, 0.0, 0, 0.0
    grid = GATE_GRID if gate is not None else (0.0,)
    gate = np.ones(len(y)) if gate is None else gate
    sure = keyword >= floor if floor is not None else np.zeros(y.shape, dtype=bool)
    best = None
    for (position, extra), relative in itertools.product(enumerate(keyword_extras),
                                                         RELATIVE_GRID):
        for threshold in THRESHOLD_GRID:
            # steps 1 and 3 do not depend on the gate: decide them once per threshold
            open_gate = decide(proba, modelled, keyword, np.ones(len(y)), threshold=threshold,
                               gate_threshold=0.0, max_nodes=max_nodes, floor=None,
                               keyword_extra=extra, relative=relative)
            for gate_threshold in grid:
                chosen = (open_gate & (gate >= gate_threshold)[:, None]) | sure
                score = firm_hit_rate(y, chosen) + f1_score(y, chosen)
                if best is None or score > best[0] + 1e-12:
                    best = (score, float(threshold), float(gate_threshold), position,
                            relative)
    return best[1], best[2], best[3], best[4]
