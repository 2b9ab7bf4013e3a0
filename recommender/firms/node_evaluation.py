"""How well chain nodes are read from business texts: scores, cross-validation and a report.

:func:`multilabel_scores` scores predicted node sets against true ones (precision, recall
and F1, micro-averaged over (firm, node) pairs, per stage, at segment and stage level, and
for "in the chain or not"). :func:`evaluate_node_classifiers` cross-validates the keyword
baseline (:mod:`recommender.firms.keywords`) and variants of
:class:`~recommender.firms.node_classifier.NodeClassifier` on labelled descriptions (see
:mod:`recommender.firms.node_labels`), and :func:`report_markdown` renders the result.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.firms.keywords import ROW, KeywordMatcher
from recommender.firms.node_classifier import NodeClassifier
from recommender.firms.node_features import split_inputs
from recommender.firms.node_labels import parse_node_ids

__all__ = ["evaluate_node_classifiers", "firm_hits", "multilabel_scores", "report_markdown"]


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _micro(true_sets, pred_sets, keep=None) -> dict:
    tp = fp = fn = 0
    for truth, pred in zip(true_sets, pred_sets, strict=True):
        truth, pred = set(truth), set(pred)
        if keep is not None:
            truth, pred = truth & keep, pred & keep
        tp += len(truth & pred)
        fp += len(pred - truth)
        fn += len(truth - pred)
    return _prf(tp, fp, fn)


def multilabel_scores(true_sets: Sequence[Iterable[str]], pred_sets: Sequence[Iterable[str]],
                      *, stage_of: Mapping[str, str] | None = None,
                      segment_of: Mapping[str, str] | None = None) -> dict:
    """Score predicted node sets against true ones, micro-averaged over (firm, node) pairs.

    A firm with no true node and no predicted node adds nothing (no false positive): "none of
    the chain" predicted for a firm outside the chain is simply right.

    Returns ``micro`` (precision, recall, f1 and the tp/fp/fn counts), ``per_node``,
    ``stages`` (the same restricted to each stage's nodes), ``segment`` and ``stage`` (nodes
    replaced by their segment or stage before scoring), ``none`` (how well "none of the
    chain" is recognised, treating it as one label) and ``in_chain`` (the reverse: a firm
    with at least one node).

    >>> s = multilabel_scores([["a", "b"], []], [["a"], ["c"]])
    >>> round(s["micro"]["precision"], 2), round(s["micro"]["recall"], 2)
    (0.5, 0.5)
    """
    true_sets = [set(t) for t in true_sets]
    pred_sets = [set(p) for p in pred_sets]
    if len(true_sets) != len(pred_sets):
        raise InvalidArgument(f"pred_sets has {len(pred_sets)} entries, true_sets {len(true_sets)}")
    out = {"n": len(true_sets), "micro": _micro(true_sets, pred_sets)}
    if stage_of is not None:
        stages = dict.fromkeys(stage_of.values())
        out["stages"] = {stage: _micro(true_sets, pred_sets,
                                       {n for n, s in stage_of.items() if s == stage})
                         for stage in stages}
    for level, mapping in (("segment", segment_of), ("stage", stage_of)):
        if mapping is not None:
            out[level] = _micro([{mapping.get(n, n) for n in t} for t in true_sets],
                                [{mapping.get(n, n) for n in p} for p in pred_sets])
    nodes = sorted({n for t in true_sets for n in t} | {n for p in pred_sets for n in p})
    out["per_node"] = {n: _micro(true_sets, pred_sets, {n}) for n in nodes}
    for name, flag in (("none", lambda ids: not ids), ("in_chain", bool)):
        out[name] = _micro([{name} if flag(t) else set() for t in true_sets],
                           [{name} if flag(p) else set() for p in pred_sets])
    out["firms"] = firm_hits(true_sets, pred_sets)
    return out


def firm_hits(true_sets: Sequence[Iterable[str]], pred_sets: Sequence[Iterable[str]]) -> dict:
    """Score firm by firm, as an officer reads a list: is the firm placed usefully?

    A chain firm is a hit when at least one predicted node is right; a firm outside the chain
    is a hit when it gets no node. Returns ``hit_rate`` over all firms, ``chain_hit_rate``
    and ``outside_hit_rate`` over each kind, and the counts.

    >>> firm_hits([["a"], ["b"], []], [["a", "c"], ["c"], []])["hit_rate"]
    0.6666666666666666
    """
    chain_hits = chain_firms = outside_hits = outside_firms = 0
    for truth, pred in zip(true_sets, pred_sets, strict=True):
        truth, pred = set(truth), set(pred)
        if truth:
            chain_firms += 1
            chain_hits += bool(truth & pred)
        else:
            outside_firms += 1
            outside_hits += not pred
    n = chain_firms + outside_firms
    return {"hit_rate": (chain_hits + outside_hits) / n if n else 0.0,
            "chain_hit_rate": chain_hits / chain_firms if chain_firms else 0.0,
            "outside_hit_rate": outside_hits / outside_firms if outside_firms else 0.0,
            "chain_firms": chain_firms, "outside_firms": outside_firms}


def _keyword_sets(texts: pd.Series, chain, matcher) -> list[list[str]]:
    links = matcher.assign(pd.Series(texts.to_numpy(), dtype=object))
    out: list[list[str]] = [[] for _ in range(len(texts))]
    for row, node in zip(links[ROW], links[C.NODE_ID], strict=True):
        out[int(row)].append(node)
    return out


def evaluate_node_classifiers(texts, labels, chain, *, folds: int = 5, seed: int = 0,
                              variants: Mapping[str, dict] | None = None,
                              unlabelled=None) -> dict:
    """Cross-validate the keyword baseline and the classifier on labelled texts.

    Parameters
    ----------
    texts : sequence of str, or DataFrame
        Business descriptions, or a frame with ``business_scope`` and listing attributes
        (see :class:`NodeClassifier`); the keyword baseline reads the text only.
    labels : sequence
        True node ids per text (see :func:`parse_node_ids`); empty = none of the chain.
    chain : Chain
    folds, seed : int
        Shuffled K-fold split. Each text is predicted once, by the model that did not see it;
        scores are computed on the pooled held-out predictions (and per fold, for spread).
    variants : mapping of name -> NodeClassifier parameters, optional
        Classifier set-ups to compare; the default compares the keyword modes
        ``"none"``, ``"fallback"``, ``"union"`` and ``"feature"``.
    unlabelled : sequence of str, optional
        Texts without labels passed to every :meth:`NodeClassifier.fit` (word statistics and
        topics only). They must not include the labelled firms, or the held-out texts would
        shape the features.

    Returns
    -------
    dict with ``n_firms``, ``folds``, ``seed``, ``label_counts`` and ``methods``: for
    ``"keywords"`` and each ``"classifier…"`` variant, the :func:`multilabel_scores` dict plus
    ``fold_f1`` (micro-F1 of each fold), ``fit_seconds`` and ``predict_seconds``.
    """
    texts, frame = split_inputs(texts)
    inputs = frame.reset_index(drop=True) if frame is not None else texts
    true_sets = parse_node_ids(labels)
    if len(true_sets) != len(texts):
        raise InvalidArgument(f"labels has {len(true_sets)} entries but texts has {len(texts)}")
    if not isinstance(folds, int) or folds < 2 or folds > len(texts):
        raise InvalidArgument(f"folds must be an integer from 2 to {len(texts)}, got {folds!r}")
    if variants is None:
        variants = {"classifier (no keywords)": {"keywords": "none"},
                    "classifier + keyword fallback": {"keywords": "fallback"},
                    "classifier + keyword union": {"keywords": "union"},
                    "classifier + keyword features": {"keywords": "feature"}}
    nodes = chain.nodes
    stage_of = dict(zip(nodes[C.NODE_ID], nodes[C.STAGE], strict=True))
    segment_of = dict(zip(nodes[C.NODE_ID], nodes[C.SEGMENT], strict=True))
    matcher = KeywordMatcher.from_chain(chain)

    names = ["keywords", *variants]
    pooled = {name: [None] * len(texts) for name in names}
    fold_f1 = {name: [] for name in names}
    timing = {name: {"fit_seconds": 0.0, "predict_seconds": 0.0} for name in names}
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(texts))):
        test_texts = texts.iloc[test]
        for name in names:
            started = time.perf_counter()
            if name == "keywords":
                predicted = _keyword_sets(test_texts, chain, matcher)
            else:
                model = NodeClassifier(chain=chain, random_state=seed, **variants[name])
                model.fit(inputs.iloc[train], [true_sets[i] for i in train],
                          unlabelled=unlabelled)
                fitted = time.perf_counter()
                timing[name]["fit_seconds"] += fitted - started
                started = fitted
                predicted = model.predict_node_sets(inputs.iloc[test])
            timing[name]["predict_seconds"] += time.perf_counter() - started
            for i, pred in zip(test, predicted, strict=True):
                pooled[name][i] = pred
            fold_f1[name].append(_micro([true_sets[i] for i in test], predicted)["f1"])

    counts = pd.Series([n for t in true_sets for n in t]).value_counts()
    methods = {}
    for name in names:
        scores = multilabel_scores(true_sets, pooled[name], stage_of=stage_of,
                                   segment_of=segment_of)
        methods[name] = {**scores, "fold_f1": fold_f1[name], **timing[name]}
    return {"n_firms": len(texts), "folds": folds, "seed": seed, "methods": methods,
            "label_counts": {"links": int(counts.sum()), "nodes": int(len(counts)),
                             "none_of_chain": int(sum(not t for t in true_sets))}}


def report_markdown(metrics: Mapping) -> str:
    """Render :func:`evaluate_node_classifiers` output as Markdown tables."""
    stages = ("upstream", "midstream", "downstream")
    lines = [
        f"Cross-validated on {metrics['n_firms']} labelled firms, {metrics['folds']} folds "
        f"(seed {metrics['seed']}); micro-averaged over (firm, node) pairs.",
        "",
        "| method | P | R | F1 | F1 per fold (mean ± sd) | upstream F1 | midstream F1 "
        "| downstream F1 | segment-level F1 | stage-level F1 | in-chain F1 | none-of-chain F1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in metrics["methods"].items():
        micro, folds = m["micro"], np.asarray(m["fold_f1"])
        per_stage = [f"{m['stages'][s]['f1']:.3f}" if s in m.get("stages", {}) else "–"
                     for s in stages]
        lines.append(
            f"| {name} | {micro['precision']:.3f} | {micro['recall']:.3f} | {micro['f1']:.3f} "
            f"| {folds.mean():.3f} ± {folds.std():.3f} | {' | '.join(per_stage)} "
            f"| {m['segment']['f1']:.3f} | {m['stage']['f1']:.3f} | {m['in_chain']['f1']:.3f} "
            f"| {m['none']['f1']:.3f} |")
    lines += ["", "Firm by firm (a chain firm with a right node, a firm outside with none):", "",
              "| method | hit rate | chain firms hit | outside firms left out "
              "| chain membership F1 | node micro-F1 |", "|---|---|---|---|---|---|"]
    for name, m in metrics["methods"].items():
        f = m["firms"]
        lines.append(f"| {name} | {f['hit_rate']:.3f} | {f['chain_hit_rate']:.3f} "
                     f"| {f['outside_hit_rate']:.3f} | {m['in_chain']['f1']:.3f} "
                     f"| {m['micro']['f1']:.3f} |")
    lines += ["", "| method | stage | P | R | F1 | true links |", "|---|---|---|---|---|---|"]
    for name, m in metrics["methods"].items():
        for stage in stages:
            s = m.get("stages", {}).get(stage)
            if s is not None:
                lines.append(f"| {name} | {stage} | {s['precision']:.3f} | {s['recall']:.3f} "
                             f"| {s['f1']:.3f} | {s['tp'] + s['fn']} |")
    return "\n".join(lines) + "\n"
