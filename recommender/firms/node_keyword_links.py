"""How the node classifier takes in keyword evidence: as features, as links, as a floor.

:class:`~recommender.firms.node_classifier.NodeClassifier` reads the keyword baseline
(:mod:`recommender.firms.keywords`) in three ways, each a function here: the confidences of a
text's keyword links as features (:func:`keyword_matrix`), keyword links added to the model's
(:func:`merge_links`, keeping the higher confidence of a link both found), and the links the
keywords are sure of, which the classifier always keeps (:func:`sure_links`). The keywords'
rule for firms that serve chip makers holds for the models' links too
(:func:`drop_device_links`): a firm that licenses chip IP or sells assembly and test services
is no maker of a device node, whatever its words or its listing's industry suggest.

>>> from recommender.chain import load_chain
>>> from recommender.firms.keywords import KeywordMatcher
>>> matcher = KeywordMatcher.from_chain(load_chain())
>>> texts = pd.Series(["数字示波器的研发", "服装、鞋帽、箱包、日用百货的销售，兼营示波器配件"])
>>> sure_links(matcher, texts, 0.54)[["pos", "node_id"]]
   pos        node_id
0    0  oscilloscopes
"""

from __future__ import annotations

import pandas as pd
import scipy.sparse as sp

from recommender import columns as C
from recommender.firms.keywords import ROW, non_maker_roles

__all__ = ["POSITION", "drop_device_links", "keyword_links", "keyword_matrix", "merge_links",
           "sure_links"]

POSITION = "pos"  # the text's position in the batch, 0..n-1


def keyword_links(matcher, texts: pd.Series) -> pd.DataFrame:
    """Keyword links of texts, with ``row`` the text's position (not its index value)."""
    return matcher.assign(pd.Series(texts.to_numpy(), dtype=object))


def keyword_matrix(matcher, texts: pd.Series, nodes: list[str]):
    """Sparse (texts x nodes) matrix of keyword-link confidences, 0 where none."""
    links = keyword_links(matcher, texts)
    position = {node: j for j, node in enumerate(nodes)}
    rows = links[ROW].to_numpy(dtype=int)
    cols = links[C.NODE_ID].map(position).to_numpy(dtype=int)
    return sp.csr_matrix((links[C.CONFIDENCE].to_numpy(dtype=float), (rows, cols)),
                         shape=(len(texts), len(nodes)))


def sure_links(matcher, texts: pd.Series, floor: float) -> pd.DataFrame:
    """Keyword links at least ``floor`` confident, keyed by ``pos``."""
    links = keyword_links(matcher, texts).rename(columns={ROW: POSITION})
    return links[links[C.CONFIDENCE] >= floor].reset_index(drop=True)


def merge_links(model_links: pd.DataFrame, keyword: pd.DataFrame) -> pd.DataFrame:
    """Union of two link frames; a (text, node) found by both keeps the higher confidence."""
    both = pd.concat([model_links, keyword[model_links.columns]], ignore_index=True)
    both = both.sort_values([POSITION, C.NODE_ID, C.CONFIDENCE], ascending=[True, True, False],
                            kind="stable")
    return both.drop_duplicates([POSITION, C.NODE_ID], keep="first")


def drop_device_links(matcher, texts: pd.Series, links: pd.DataFrame) -> pd.DataFrame:
    """``links`` (keyed by ``pos``) without the device-node links of texts whose firm serves
    chip makers (:func:`recommender.firms.keywords.non_maker_roles`)."""
    if links.empty or matcher is None or not matcher.device_nodes:
        return links
    served = pd.Series(non_maker_roles(texts.tolist())).notna().to_numpy()
    drop = served[links[POSITION].to_numpy(dtype=int)] & links[C.NODE_ID].isin(
        matcher.device_nodes).to_numpy()
    return links[~drop]
