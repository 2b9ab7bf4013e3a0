"""Which firms' chain nodes a person should look at first: the closest calls.

A firm whose node confidence sits right at the threshold is where the classifier (or the
keywords) is least sure, and where an officer's correction teaches it most.
:func:`node_margins` gives every text its closest call: the node whose confidence is nearest
the line that decides it, and the distance (the *margin*). With a fitted
:class:`~recommender.firms.node_classifier.NodeClassifier` the line is its threshold and every
modelled node is weighed; without one, it is the keywords'
:data:`~recommender.firms.keywords.SURE_CONFIDENCE` and the keyword links are weighed (a text
with no keyword hit has margin ``SURE_CONFIDENCE``: nothing to weigh).

>>> from recommender.chain import load_chain
>>> texts = pd.Series({"a": "数字示波器的研发；" + "、".join(["日用百货销售"] * 6),
...                    "b": "、".join(["日用百货销售"] * 6) + "；示波器配件销售",
...                    "c": "日用百货销售"})
>>> node_margins(texts, load_chain()).sort_values("margin")[["row", "node_id", "margin"]]
  row        node_id  margin
0   a  oscilloscopes  0.0600
1   b  oscilloscopes  0.0686
2   c           None  0.5400
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.firms.keywords import ROW, SURE_CONFIDENCE, KeywordMatcher
from recommender.firms.node_features import as_texts

__all__ = ["MARGIN", "THRESHOLD", "node_margins", "review_queue"]

MARGIN = "margin"  # distance of the closest call's confidence from its threshold
THRESHOLD = "threshold"


def node_margins(texts, chain, *, classifier=None,
                 matcher: KeywordMatcher | None = None) -> pd.DataFrame:
    """Return each text's closest call: ``row``, ``node_id``, ``confidence``, ``threshold``,
    ``margin`` (``|confidence - threshold|``, rounded to 4 places), in the texts' order.

    ``texts`` is a Series (its index values become ``row``) or a sequence of strings.
    """
    texts = as_texts(texts)
    n = len(texts)
    if classifier is not None:
        proba = classifier.predict_proba(pd.Series(texts.to_numpy(), dtype=object))
        threshold = float(classifier.threshold_)
        if proba.shape[1]:
            distance = np.abs(proba - threshold)
            closest = distance.argmin(axis=1)
            confidence = proba[np.arange(n), closest]
            nodes = np.asarray(classifier.classes_, dtype=object)[closest]
        else:
            confidence, nodes = np.zeros(n), np.full(n, None, dtype=object)
    else:
        threshold = SURE_CONFIDENCE
        matcher = matcher or KeywordMatcher.from_chain(chain)
        links = matcher.assign(pd.Series(texts.to_numpy(), dtype=object))
        links = links.assign(**{MARGIN: (links[C.CONFIDENCE] - threshold).abs()})
        best = links.sort_values([ROW, MARGIN], kind="stable").drop_duplicates(ROW)
        confidence, nodes = np.zeros(n), np.full(n, None, dtype=object)
        rows = best[ROW].to_numpy(dtype=int)
        confidence[rows] = best[C.CONFIDENCE].to_numpy(dtype=float)
        nodes[rows] = best[C.NODE_ID].to_numpy(dtype=object)
    margin = np.where(pd.isna(nodes), threshold, np.abs(confidence - threshold))
    return pd.DataFrame({ROW: texts.index, C.NODE_ID: pd.Series(nodes, dtype=object),
                         C.CONFIDENCE: np.round(confidence, 4), THRESHOLD: threshold,
                         MARGIN: np.round(margin, 4)})


def review_queue(firms: pd.DataFrame, chain, *, corrected=(), classifier=None,
                 limit: int = 50) -> pd.DataFrame:
    """Return the ``limit`` firms whose closest call is closest, smallest margin first.

    ``firms`` has ``firm_id``, ``name``, ``name_zh`` and ``business_scope``; firms in
    ``corrected`` (a person has looked at them) are left out. Columns: those three names and
    :func:`node_margins`' ``node_id``, ``confidence``, ``threshold`` and ``margin``.
    """
    open_firms = firms[~firms[C.FIRM_ID].isin(set(corrected))].reset_index(drop=True)
    margins = node_margins(open_firms[C.BUSINESS_SCOPE].fillna(""), chain,
                           classifier=classifier)
    order = np.argsort(margins[MARGIN].to_numpy(), kind="stable")[:limit]
    calls = margins.iloc[order].drop(columns=[ROW]).reset_index(drop=True)
    names = open_firms.iloc[order][[C.FIRM_ID, C.NAME, C.NAME_ZH]].reset_index(drop=True)
    return pd.concat([names, calls], axis=1)
