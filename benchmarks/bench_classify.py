"""Benchmark chain-node classification on real listed firms: keywords vs the learned classifier.

Reads the hand labels (``data/labels/open_firms_nodes.csv``) and the open listing data beside
the checkout (``../shared/data/open_firms_2022.csv``); exits cleanly when the data is absent.
Prints

1. cross-validated precision, recall and F1 (micro, per stage, segment and stage level) of
   the keyword baseline and of the classifier variants, one lever at a time (``VARIANTS``):
   the earlier default (text with keyword features), plus listing attributes (industry,
   sector), plus latent topics learned from the listing's unlabelled firms, plus a model for
   every node (the default), and the default with attributes;
2. per-node scores of the default classifier for the nodes with the most labels;
3. fit time on all labelled firms, and predict time and throughput on all listed firms;
4. with ``--learning-curve``, held-out micro-F1 when training on a share of each fold;
5. the same cross-validation on the labelled Chinese business scopes
   (``data/labels/zh_business_scopes.csv``, synthetic), reported apart: keywords, the
   classifier without its keyword floor, and the default classifier.

Each report has a firm-by-firm table: the hit rate (a chain firm with at least one right node,
a firm outside the chain with none), chain membership F1 and node micro-F1.

Run::

    .venv/bin/python benchmarks/bench_classify.py [--folds 5] [--seed 0] [--learning-curve]
    .venv/bin/python benchmarks/bench_classify.py --language zh     # Chinese scopes only
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import load_chain
from recommender.firms.keywords import KeywordMatcher
from recommender.firms.listings import SECTOR, read_listing
from recommender.firms.node_classifier import NodeClassifier
from recommender.firms.node_evaluation import (
    evaluate_node_classifiers,
    multilabel_scores,
    report_markdown,
)
from recommender.firms.node_labels import parse_node_ids, read_node_labels, read_scope_labels
from recommender.paths import shared_data_dir

LISTING_FILE = "open_firms_2022.csv"
DEFAULT_VARIANT = "classifier: + topics, every node modelled (default)"
ATTRIBUTES = (C.INDUSTRY_CODE, SECTOR)
# One lever at a time, from the earlier default (text and keyword features, nodes selected
# against the keywords) to the current one; the last row adds the listing attributes.
VARIANTS = {
    "classifier: text + keyword features (earlier default)": {"n_topics": 0,
                                                              "select_nodes": True},
    "classifier: + listing attributes": {"n_topics": 0, "select_nodes": True,
                                         "attributes": ATTRIBUTES},
    "classifier: + topics": {"select_nodes": True},
    DEFAULT_VARIANT: {},
    "classifier: default + listing attributes": {"attributes": ATTRIBUTES},
}
INPUT_COLUMNS = [C.BUSINESS_SCOPE, C.INDUSTRY_CODE, SECTOR]


def labelled_texts(chain, listing):
    """Return the labelled firms (text and listing attributes) and node ids, in file order."""
    labels = read_node_labels(chain=chain)
    data = labels.merge(listing[[C.SYMBOL, *INPUT_COLUMNS]], on=C.SYMBOL, how="left",
                        validate="one_to_one")
    missing = data.loc[data[C.BUSINESS_SCOPE].isna(), C.SYMBOL].tolist()
    if missing:
        raise SystemExit(f"labelled symbols missing from {LISTING_FILE}: {missing[:5]}")
    return data[INPUT_COLUMNS].reset_index(drop=True), data["node_ids"].tolist()


def unlabelled_texts(listing, labelled_symbols) -> pd.Series:
    """Return the descriptions of the listed firms that carry no label (for the topics)."""
    rest = listing.loc[~listing[C.SYMBOL].isin(set(labelled_symbols)), C.BUSINESS_SCOPE]
    return rest.dropna().reset_index(drop=True)


def per_node_table(metrics, method: str, top: int) -> str:
    per_node = metrics["methods"][method]["per_node"]
    keyword_nodes = metrics["methods"]["keywords"]["per_node"]
    support = {n: s["tp"] + s["fn"] for n, s in per_node.items()}
    lines = [f"Per node, {method} vs keywords ({top} nodes with most labels):", "",
             "| node | labels | P | R | F1 | keyword F1 |", "|---|---|---|---|---|---|"]
    for node in sorted(support, key=lambda n: (-support[n], n))[:top]:
        s = per_node[node]
        k = keyword_nodes.get(node, {"f1": 0.0})
        lines.append(f"| {node} | {support[node]} | {s['precision']:.2f} | {s['recall']:.2f} "
                     f"| {s['f1']:.2f} | {k['f1']:.2f} |")
    return "\n".join(lines)


def timing(chain, texts, labels, listing, unlabelled) -> str:
    started = time.perf_counter()
    model = NodeClassifier(chain=chain).fit(texts, labels, unlabelled=unlabelled)
    fit_seconds = time.perf_counter() - started
    everything = listing[C.BUSINESS_SCOPE].fillna("")
    started = time.perf_counter()
    links = model.predict(listing[INPUT_COLUMNS].assign(
        **{C.BUSINESS_SCOPE: everything}))
    predict_seconds = time.perf_counter() - started
    matcher = KeywordMatcher.from_chain(chain)
    started = time.perf_counter()
    keyword_links = matcher.assign(everything)
    keyword_seconds = time.perf_counter() - started
    n = len(everything)
    firms_linked = links["row"].nunique()
    return "\n".join([
        f"Fit on {len(texts)} labelled firms: {fit_seconds:.1f} s "
        f"({len(model.classes_)} node models, {model.coef_.shape[1]} features, "
        f"threshold {model.threshold_:.3f}).",
        f"Predict on all {n} listed firms: {predict_seconds:.2f} s "
        f"({n / predict_seconds:,.0f} firms/s); {len(links)} links, {firms_linked} firms "
        f"({firms_linked / n:.0%}) in the chain.",
        f"Keyword baseline on the same firms: {keyword_seconds:.2f} s "
        f"({n / keyword_seconds:,.0f} firms/s); {len(keyword_links)} links, "
        f"{keyword_links['row'].nunique()} firms.",
    ])


def learning_curve(chain, texts, labels, *, folds: int, seed: int, unlabelled=None,
                   shares=(0.25, 0.5, 0.75, 1.0)) -> str:
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(seed)
    true_sets = parse_node_ids(labels)
    splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed)
                  .split(np.zeros(len(texts))))
    lines = ["Learning curve (default classifier, held-out micro-F1):", "",
             "| share of each training fold | training firms | micro-F1 |", "|---|---|---|"]
    for share in shares:
        pooled = [None] * len(texts)
        for train, test in splits:
            part = np.sort(rng.choice(train, size=int(round(share * len(train))),
                                      replace=False))
            model = NodeClassifier(chain=chain, random_state=seed)
            model.fit(texts.iloc[part], [true_sets[i] for i in part], unlabelled=unlabelled)
            for i, pred in zip(test, model.predict_node_sets(texts.iloc[test]), strict=True):
                pooled[i] = pred
        f1 = multilabel_scores(true_sets, pooled)["micro"]["f1"]
        lines.append(f"| {share:.0%} | ~{int(round(share * len(texts) * (folds - 1) / folds))} "
                     f"| {f1:.3f} |")
    return "\n".join(lines)


ZH_VARIANTS = {"classifier without the keyword floor": {"keyword_floor": None},
               DEFAULT_VARIANT: {}}


def chinese_scopes(chain, *, folds: int, seed: int) -> str:
    """Cross-validate keywords and the classifier on the labelled Chinese scopes."""
    scopes = read_scope_labels(chain=chain)
    metrics = evaluate_node_classifiers(scopes[C.BUSINESS_SCOPE], scopes["node_ids"], chain,
                                        folds=folds, seed=seed, variants=ZH_VARIANTS)
    counts = metrics["label_counts"]
    return (f"## Chinese business scopes (zh): {len(scopes)} synthetic labelled scopes "
            f"({counts['none_of_chain']} none of the chain, {counts['links']} links over "
            f"{counts['nodes']} nodes)\n\n" + report_markdown(metrics))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--default-only", action="store_true",
                        help="compare keywords with the default classifier only")
    parser.add_argument("--learning-curve", action="store_true")
    parser.add_argument("--top", type=int, default=20, help="nodes in the per-node table")
    parser.add_argument("--language", choices=("both", "en", "zh"), default="both",
                        help="en: the listed firms' English descriptions; zh: the Chinese "
                             "scopes")
    args = parser.parse_args(argv)

    if args.language in ("both", "zh"):
        print(chinese_scopes(load_chain(), folds=args.folds, seed=args.seed))
        if args.language == "zh":
            return 0
    shared = shared_data_dir()
    if shared is None or not (shared / LISTING_FILE).is_file():
        print(f"skipped: ../shared/data/{LISTING_FILE} is not available")
        return 0
    chain = load_chain()
    listing = read_listing(shared / LISTING_FILE)
    texts, labels = labelled_texts(chain, listing)
    unlabelled = unlabelled_texts(listing, read_node_labels(chain=chain)[C.SYMBOL])
    variants = {DEFAULT_VARIANT: {}} if args.default_only else VARIANTS

    started = time.perf_counter()
    metrics = evaluate_node_classifiers(texts, labels, chain, folds=args.folds, seed=args.seed,
                                        variants=variants, unlabelled=unlabelled)
    counts = metrics["label_counts"]
    print(f"## Listed firms (en): {len(texts)} labelled firms "
          f"({counts['none_of_chain']} none of the chain, {counts['links']} links over "
          f"{counts['nodes']} nodes); topics also learn from {len(unlabelled)} unlabelled "
          f"firms of {LISTING_FILE}\n")
    print(report_markdown(metrics))
    print(per_node_table(metrics, DEFAULT_VARIANT, args.top))
    print(f"\nCross-validation took {time.perf_counter() - started:.0f} s.\n")
    print(timing(chain, texts, labels, listing, unlabelled))
    if args.learning_curve:
        print()
        print(learning_curve(chain, texts, labels, folds=args.folds, seed=args.seed,
                             unlabelled=unlabelled))
    return 0


if __name__ == "__main__":
    sys.exit(main())
