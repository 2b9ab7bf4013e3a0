"""A learned chain-node classifier for business descriptions.

:class:`NodeClassifier` reads a firm's description (English or Chinese) and predicts the chain
nodes the firm is active in, or none. It follows scikit-learn's estimator contract and returns
the same link frame as the keyword baseline
(:func:`recommender.firms.keywords.assign_nodes_by_keywords`): ``row, node_id, confidence, evidence,
method``.

How it works
------------
- Features (built by :mod:`recommender.firms.node_features`): TF-IDF of word 1-2-grams plus
  TF-IDF of character 2-4-grams within word boundaries (``analyzer="char_wb"``); the
  character grams also cover Chinese text, which has no spaces between words. Two optional
  additions:

  * *latent topics* (``n_topics``): a truncated SVD of the word TF-IDF matrix (LSA),
    learned from the training texts plus any unlabelled texts passed to ``fit`` (the rest of
    a listing), so that firms described in different words but about the same business end
    up close;
  * *listing attributes* (``attributes``, off by default): one-hot industry and sector
    labels and a country group when the input is a listing frame
    (:func:`recommender.firms.listings.read_listing`). Plain texts, such as Chinese business
    scopes from other sources, work without them.
- One L2-regularised logistic regression per node (one-vs-rest) with balanced class weights,
  so a node with a handful of positives is not drowned by the negatives. Scores are then
  calibrated (Platt scaling on out-of-fold scores of the training set), so ``confidence`` is a
  probability.
- A node needs ``min_positives`` labelled firms to get a model; the other chain nodes fall back
  to the keyword baseline. ``keywords`` chooses how the baseline is combined: ``"feature"``
  (the default: keyword confidences become extra features, plus the fallback),
  ``"fallback"`` (only for those nodes), ``"union"`` (keyword links are added for every
  node) or ``"none"``. With ``select_nodes`` a node whose model does not beat the keywords on
  the training firms (out-of-fold) is left to the keywords too. Keyword links keep the
  baseline's confidence and carry method ``"keyword"``.
- A firm gets the nodes whose confidence reaches the threshold (at most ``max_nodes``),
  unless a separate in-chain model, the *gate* (``gate``), puts it outside the chain; then
  keyword evidence is a floor (``keyword_floor``, by default
  :data:`~recommender.firms.keywords.SURE_CONFIDENCE`): a keyword link at least that sure is
  kept whatever the models say, so the classifier never removes a node the keywords are sure
  of. ``keywords="none"`` turns the floor off. The rule is :mod:`recommender.firms.node_decision`'s.
- ``threshold="auto"`` picks the node and gate thresholds together (best firm hit rate plus
  micro-F1) out of fold on the training data, whole rule applied, never on data being scored.
- :meth:`NodeClassifier.save` writes vocabularies, IDF weights and coefficients to one ``.npz``
  file with a JSON header; :meth:`NodeClassifier.load` reads it back without pickle (the
  format is :mod:`recommender.firms.node_classifier_file`'s).

Labels are read by :mod:`recommender.firms.node_labels`; :mod:`recommender.firms.node_evaluation`
cross-validates the classifier against the keyword baseline.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ModelError, NotFittedError
from recommender.firms.keywords import EVIDENCE_SEPARATOR, ROW, SURE_CONFIDENCE
from recommender.firms.node_classifier_file import read_classifier_file, write_classifier_file
from recommender.firms.node_decision import choose_lines, f1_score, sigmoid, spread
from recommender.firms.node_features import (
    ATTRIBUTE_COLUMNS,
    as_texts,
    attribute_matrix,
    attribute_tokens,
    char_vectorizer,
    clean_description,
    fit_topics,
    split_inputs,
    terms_by_index,
    topic_matrix,
    word_vectorizer,
)
from recommender.firms.node_keyword_links import (
    drop_device_links,
    keyword_links,
    keyword_matrix,
    merge_links,
    sure_links,
)
from recommender.firms.node_labels import parse_node_ids

__all__ = ["KEYWORD_MODES", "LINK_COLUMNS", "METHOD_CLASSIFIER", "NodeClassifier"]

METHOD_CLASSIFIER = "classifier"
KEYWORD_MODES = ("none", "fallback", "union", "feature")
LINK_COLUMNS = [ROW, C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]
_CALIBRATION_FOLDS = 3


# --- the estimator ------------------------------------------------------------------------
class NodeClassifier(BaseEstimator):
    """Multi-label chain-node classifier: TF-IDF words and character grams, one-vs-rest logit.

    Parameters
    ----------
    chain : Chain, optional
        The chain; needed for any ``keywords`` mode other than ``"none"``, and used to check
        that labels name real nodes.
    keywords : {"feature", "fallback", "union", "none"}, default "feature"
        How the keyword baseline is combined (see the module docstring).
    threshold : float or "auto", default "auto"
        Confidence a node needs; ``"auto"`` learns it (and the gate's) out of fold.
    C : float, default 10.0
        Inverse regularisation strength of each logistic regression.
    class_weight : "balanced" or None, default "balanced"
    min_positives : int, default 3
        Labelled firms a node needs to get its own model.
    max_nodes : int, default 4
        Most nodes returned per firm (the highest confidences).
    min_df : int, default 2
        Documents a word or character gram must appear in to become a feature.
    max_features : int, default 40000
        Cap on each vocabulary (words, character grams).
    keyword_weight : float, default 1.0
        Scale of the keyword features in ``keywords="feature"``.
    select_nodes : bool, default False
        With ``keywords`` "fallback" or "feature", keep a node's model only where its
        out-of-fold F1 on the training firms reaches the keyword baseline's F1 on them;
        other nodes are left to the keywords. Off by default: on cross-validation seeds 1
        and 2 modelling every node with enough labels scored higher.
    evidence_terms : int, default 3
        Terms listed as evidence for a link.
    attributes : tuple of str, default ()
        Listing fields used as one-hot features besides the text, when ``texts`` is a frame
        that has them (any of :data:`ATTRIBUTE_COLUMNS`: ``"industry_code"``, ``"sector"``,
        ``"country_group"``, the last derived from ``country``). Plain texts, or a frame
        without these columns, use the text alone; so do values not seen in training. Off
        by default: on the hand labels they did not raise held-out F1 once topics are used
        (see ``data/labels/README.md``).
    attribute_weight : float, default 0.3
        Scale of the attribute features (0.3 beat 0.5 and 1.0 on cross-validation seeds).
    n_topics : int, default 150
        Latent topics (LSA: truncated SVD of the word TF-IDF matrix) added as dense features;
        learned from the training texts plus the ``unlabelled`` texts given to :meth:`fit`,
        at most one per 20 of those texts. 0 turns them off.
    topic_weight : float, default 1.0
        Scale of the (unit-length) topic vector.
    keyword_floor : float or None, default ``SURE_CONFIDENCE`` (0.54)
        Keyword links at least this confident are always kept (see the module docstring);
        None turns the floor off. Has no effect with ``keywords="none"``.
    gate : bool, default True
        Learn the in-chain gate (see the module docstring); False lets every firm through.
    random_state : int, default 0
        Seed of the calibration folds.

    Examples
    --------
    >>> texts = ["fiber lasers for cutting", "ultrafast lasers", "laser sources",
    ...          "hospital services", "clinic operator", "general hospital"]
    >>> labels = [["lasers"]] * 3 + [["healthcare"]] * 3
    >>> model = NodeClassifier(keywords="none", min_df=1, threshold=0.5).fit(texts, labels)
    >>> model.classes_
    ['healthcare', 'lasers']
    """

    def __init__(self, *, chain=None, keywords="feature", threshold="auto", C=10.0,
                 class_weight="balanced", min_positives=3, max_nodes=4, min_df=2,
                 max_features=40000, keyword_weight=1.0, select_nodes=False, evidence_terms=3,
                 attributes=(), attribute_weight=0.3, n_topics=150,
                 topic_weight=1.0, keyword_floor=SURE_CONFIDENCE, gate=True, random_state=0):
        self.chain = chain
        self.keywords = keywords
        self.threshold = threshold
        self.C = C
        self.class_weight = class_weight
        self.min_positives = min_positives
        self.max_nodes = max_nodes
        self.min_df = min_df
        self.max_features = max_features
        self.keyword_weight = keyword_weight
        self.select_nodes = select_nodes
        self.evidence_terms = evidence_terms
        self.attributes = attributes
        self.attribute_weight = attribute_weight
        self.n_topics = n_topics
        self.topic_weight = topic_weight
        self.keyword_floor = keyword_floor
        self.gate = gate
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, texts, labels, *, unlabelled=None) -> NodeClassifier:
        """Learn one model per node from texts and their node labels; return ``self``.

        ``texts`` is a sequence of business texts, or a frame with a ``business_scope``
        column and optionally the ``attributes`` columns (a listing from
        :func:`recommender.firms.listings.read_listing`). ``unlabelled`` (business texts without
        labels, such as the rest of a listing) only helps learn the word statistics and the
        latent topics; the more of them, the better the topics.

        Raises ``InvalidArgument`` (a ``ValueError``) naming the argument when texts and
        labels differ in length, a label is not a node of the chain, or a parameter is out
        of range.
        """
        self._check_params()
        texts, frame = split_inputs(texts)
        node_sets = parse_node_ids(labels)
        if len(node_sets) != len(texts):
            raise InvalidArgument(f"labels has {len(node_sets)} entries but texts has {len(texts)}")
        if len(texts) < 2:
            raise InvalidArgument("texts: need at least two labelled texts")
        universe = self._node_universe(node_sets)
        position = {node: i for i, node in enumerate(universe)}
        y = np.zeros((len(texts), len(universe)), dtype=np.int8)
        for i, ids in enumerate(node_sets):
            y[i, [position[n] for n in ids]] = 1

        self.word_vectorizer_ = word_vectorizer(self.min_df, self.max_features)
        self.char_vectorizer_ = char_vectorizer(self.min_df, self.max_features)
        cleaned = [clean_description(t) for t in texts]
        extra = [clean_description(t) for t in as_texts(unlabelled, "unlabelled")
                 if t] if unlabelled is not None else []
        # Word statistics and topics are unsupervised: they may use the unlabelled texts.
        x_word = self.word_vectorizer_.fit(cleaned + extra).transform(cleaned)
        self.topic_components_ = fit_topics(
            sp.vstack([x_word, self.word_vectorizer_.transform(extra)]) if extra else x_word,
            self.n_topics, self.random_state)
        x_char = self.char_vectorizer_.fit_transform(cleaned)
        self.n_word_features_ = x_word.shape[1]
        self.keyword_matcher_ = self._matcher()
        self.keyword_nodes_ = list(self.chain.node_ids) if self.keywords == "feature" else []
        tokens = attribute_tokens(frame, self.attributes, len(texts))
        self.attribute_terms_ = sorted({t for row in tokens for t in row})
        x = self._stack(x_word, x_char, texts, tokens)

        counts = y.sum(axis=0)
        negatives = len(texts) - counts
        modelled = [j for j in range(len(universe))
                    if counts[j] >= max(self.min_positives, 2) and negatives[j] >= 2]
        self.classes_ = [universe[j] for j in modelled]
        self.fallback_nodes_ = ([n for n in self.chain.node_ids if n not in set(self.classes_)]
                                if self.chain is not None else [])
        y_model = y[:, modelled]
        coef = np.zeros((len(modelled), x.shape[1]))
        intercept = np.zeros(len(modelled))
        calibration = np.tile([1.0, 0.0], (len(modelled), 1))
        oof = np.zeros(y_model.shape)
        for k in range(len(modelled)):
            coef[k], intercept[k], calibration[k], oof[:, k] = self._fit_node(x, y_model[:, k])
        self.coef_, self.intercept_, self.calibration_ = coef, intercept, calibration
        self.threshold_ = 0.5 if self.threshold == "auto" else float(self.threshold)
        if self.select_nodes and self.keywords in ("fallback", "feature"):
            keep = self._nodes_beating_keywords(texts, y_model, oof)
            self.fallback_nodes_ = [n for n in self.chain.node_ids
                                    if n in set(self.fallback_nodes_)
                                    or n in {c for c, k in zip(self.classes_, keep,
                                                               strict=True) if not k}]
            self.classes_ = [c for c, k in zip(self.classes_, keep, strict=True) if k]
            self.coef_, self.intercept_ = self.coef_[keep], self.intercept_[keep]
            self.calibration_ = self.calibration_[keep]
            y_model, oof = y_model[:, keep], oof[:, keep]
        self._fit_gate(x, texts, y, universe, oof)
        self.n_train_ = len(texts)
        self._terms_cache = None
        return self

    def _fit_gate(self, x, texts: pd.Series, y: np.ndarray, universe: list[str],
                  oof: np.ndarray) -> None:
        """Fit the in-chain gate; choose the node and gate thresholds on out-of-fold scores."""
        in_chain = y.any(axis=1).astype(np.int8)
        gate_oof = None
        self.gate_coef_, self.gate_intercept_ = np.zeros(x.shape[1]), 0.0
        self.gate_calibration_ = np.array([1.0, 0.0])
        if self.gate and min(in_chain.sum(), len(in_chain) - in_chain.sum()) >= 2:
            coef, intercept, calibration, gate_oof = self._fit_node(x, in_chain)
            self.gate_coef_, self.gate_intercept_ = coef, float(intercept)
            self.gate_calibration_ = np.asarray(calibration, dtype=float)
        columns = list(self.chain.node_ids) if self.chain is not None else universe
        truth = spread(y.astype(bool), universe, columns)
        proba, modelled = spread(oof, self.classes_, columns), np.isin(columns, self.classes_)
        keyword = (keyword_matrix(self.keyword_matcher_, texts, columns).toarray()
                   if self.keywords != "none" else np.zeros(truth.shape))
        # keyword links join the models' for the unmodelled nodes, or for every node
        extras = [np.isin(columns, self.fallback_nodes_), np.ones(len(columns), bool)]
        extras = {"union": extras[1:], "none": extras[:1]}.get(self.keywords, extras)
        floor = self.keyword_floor if self.keywords != "none" else None
        threshold, self.gate_threshold_, union, self.relative_ = choose_lines(
            truth, proba, modelled, keyword, gate_oof, max_nodes=self.max_nodes, floor=floor,
            keyword_extras=extras)
        self.keyword_union_ = self.keywords == "union" or (len(extras) > 1 and union == 1)
        if self.threshold == "auto":
            self.threshold_ = threshold

    def gate_proba(self, texts) -> np.ndarray:
        """Return each text's in-chain confidence (0..1) from the gate model."""
        self._check_fitted()
        return self._gate(self._features(*split_inputs(texts)))

    def _gate(self, x) -> np.ndarray:
        score = np.asarray(x @ self.gate_coef_).ravel() + self.gate_intercept_
        return sigmoid(score * self.gate_calibration_[0] + self.gate_calibration_[1])

    def _nodes_beating_keywords(self, texts: pd.Series, y: np.ndarray,
                                oof: np.ndarray) -> np.ndarray:
        """Tell, per modelled node, whether its out-of-fold F1 beats the keywords' F1.

        The keyword baseline learns nothing from the training firms, so its F1 on them is an
        honest estimate; the model's is measured on out-of-fold predictions.
        """
        nodes = list(self.chain.node_ids)
        found = keyword_matrix(self.keyword_matcher_, texts, nodes).toarray()[
            :, [nodes.index(n) for n in self.classes_]] > 0
        predicted = oof >= self.threshold_
        return np.array([f1_score(y[:, k], predicted[:, k]) >= f1_score(y[:, k], found[:, k])
                         for k in range(y.shape[1])], dtype=bool)

    def _check_params(self) -> None:
        if self.keywords not in KEYWORD_MODES:
            raise InvalidArgument(f"keywords must be one of {KEYWORD_MODES}, got {self.keywords!r}")
        if self.keywords != "none" and self.chain is None:
            raise InvalidArgument(f"keywords={self.keywords!r} needs chain=; "
                             "pass the chain or use keywords='none'")
        if self.threshold != "auto" and not (isinstance(self.threshold, (int, float))
                                             and 0.0 < self.threshold < 1.0):
            raise InvalidArgument(f"threshold must be 'auto' or in (0, 1), got {self.threshold!r}")
        if isinstance(self.n_topics, bool) or not isinstance(self.n_topics, int) \
                or self.n_topics < 0:
            raise InvalidArgument(f"n_topics must be a non-negative integer, got {self.n_topics!r}")
        for name in ("min_positives", "max_nodes", "min_df", "max_features", "evidence_terms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgument(f"{name} must be a positive integer, got {value!r}")
        if not self.C > 0:
            raise InvalidArgument(f"C must be positive, got {self.C!r}")
        if self.class_weight not in ("balanced", None):
            raise InvalidArgument(f"class_weight must be 'balanced' or None, "
                                  f"got {self.class_weight!r}")
        unknown = [a for a in self.attributes if a not in ATTRIBUTE_COLUMNS]
        if isinstance(self.attributes, str) or unknown:
            raise InvalidArgument(f"attributes must be a tuple of {ATTRIBUTE_COLUMNS}, "
                             f"got {self.attributes!r}")
        if self.keyword_floor is not None and not (
                isinstance(self.keyword_floor, (int, float)) and 0 < self.keyword_floor <= 1):
            raise InvalidArgument(f"keyword_floor must be None or in (0, 1], "
                                  f"got {self.keyword_floor!r}")
        if not self.attribute_weight >= 0:
            raise InvalidArgument(f"attribute_weight must be >= 0, got {self.attribute_weight!r}")

    def _node_universe(self, node_sets: list[list[str]]) -> list[str]:
        seen = list(dict.fromkeys(n for ids in node_sets for n in ids))
        if self.chain is None:
            return sorted(seen)
        known = set(self.chain.node_ids)
        unknown = [n for n in seen if n not in known]
        if unknown:
            raise InvalidArgument(f"labels name nodes that are not in the chain: {unknown[:5]}")
        return [n for n in self.chain.node_ids if n in set(seen)]

    def _fit_node(self, x, y):
        """Fit one node; return coefficients, intercept, Platt (a, b) and out-of-fold scores."""
        model = _logit(self.C, self.class_weight).fit(x, y)
        n_splits = int(min(_CALIBRATION_FOLDS, y.sum(), len(y) - y.sum()))
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        scores = np.zeros(len(y))
        for train, test in folds.split(np.zeros(len(y)), y):
            inner = _logit(self.C, self.class_weight).fit(x[train], y[train])
            scores[test] = inner.decision_function(x[test])
        platt = LogisticRegression(C=1.0).fit(scores.reshape(-1, 1), y)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        return model.coef_[0], model.intercept_[0], (a, b), sigmoid(a * scores + b)

    def _matcher(self):
        if self.keywords == "none":
            return None
        from recommender.firms.keywords import KeywordMatcher

        return KeywordMatcher.from_chain(self.chain)

    def _stack(self, x_word, x_char, texts: pd.Series, tokens: list[list[str]]):
        blocks = [x_word, x_char]
        if self.keywords == "feature":
            blocks.append(keyword_matrix(self.keyword_matcher_, texts, self.keyword_nodes_)
                          * self.keyword_weight)
        blocks.append(topic_matrix(x_word, self.topic_components_, self.topic_weight))
        blocks.append(attribute_matrix(tokens, self.attribute_terms_) * self.attribute_weight)
        return sp.hstack(blocks, format="csr")

    # -- predicting ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("this NodeClassifier is not fitted yet; call fit(texts, "
                                 "labels) or NodeClassifier.load(path) first")
        if self.keywords != "none" and getattr(self, "keyword_matcher_", None) is None:
            raise NotFittedError("this model combines keyword links; load it with chain=")

    def _features(self, texts: pd.Series, frame: pd.DataFrame | None = None):
        cleaned = [clean_description(t) for t in texts]
        return self._stack(self.word_vectorizer_.transform(cleaned),
                           self.char_vectorizer_.transform(cleaned), texts,
                           attribute_tokens(frame, self.attributes, len(texts)))

    def decision_function(self, texts) -> np.ndarray:
        """Return raw scores, one column per node of ``classes_``."""
        self._check_fitted()
        return np.asarray(self._features(*split_inputs(texts)) @ self.coef_.T) + self.intercept_

    def predict_proba(self, texts) -> np.ndarray:
        """Return calibrated confidences (0..1), one column per node of ``classes_``."""
        self._check_fitted()
        scores = self.decision_function(texts)
        return sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])

    def predict(self, texts) -> pd.DataFrame:
        """Link each text to its nodes; return ``row, node_id, confidence, evidence, method``.

        ``row`` is the text's index value. Links decided by the models carry method
        ``"classifier"`` and list the terms that raised the node's score most; links taken
        from the keyword baseline (fallback nodes, or every node with ``keywords="union"``)
        carry method ``"keyword"`` and the matched keywords. A text with no link is outside
        the chain; a firm that serves chip makers has no device node (``drop_device_links``)."""
        self._check_fitted()
        texts, frame = split_inputs(texts)
        x = self._features(texts, frame)
        scores = np.asarray(x @ self.coef_.T) + self.intercept_
        proba = sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])
        top = proba.max(axis=1, initial=0.0)[:, None] * getattr(self, "relative_", 0.0)
        rows, cols = np.nonzero(proba >= np.maximum(self.threshold_, top))
        links = pd.DataFrame({
            "pos": rows,
            C.NODE_ID: np.asarray(self.classes_, dtype=object)[cols] if len(cols) else [],
            C.CONFIDENCE: np.round(proba[rows, cols], 4),
            C.EVIDENCE: [self._evidence(x, i, k) for i, k in zip(rows, cols, strict=True)],
            C.METHOD: METHOD_CLASSIFIER,
        })
        extra = self._keyword_extra(texts)
        if not extra.empty:
            links = merge_links(links, extra)
        links = links.sort_values(["pos", C.CONFIDENCE, C.NODE_ID],
                                  ascending=[True, False, True], kind="stable")
        links = links.groupby("pos", sort=False).head(self.max_nodes)
        if self.gate_threshold_ > 0:  # firms the gate keeps out of the chain
            links = links[self._gate(x)[links["pos"].to_numpy(dtype=int)] >= self.gate_threshold_]
        if self.keywords != "none" and getattr(self, "keyword_floor", None) is not None:
            links = merge_links(links, sure_links(self.keyword_matcher_, texts,
                                                  self.keyword_floor)).sort_values(
                ["pos", C.CONFIDENCE, C.NODE_ID], ascending=[True, False, True], kind="stable")
        links = drop_device_links(self.keyword_matcher_, texts, links)
        links.insert(0, ROW, texts.index.take(links["pos"].to_numpy(dtype=int)))
        return links[LINK_COLUMNS].reset_index(drop=True)

    def predict_node_sets(self, texts) -> list[list[str]]:
        """Return the predicted node ids of each text (an empty list means none of the chain)."""
        texts, frame = split_inputs(texts)
        positional = (frame.reset_index(drop=True) if frame is not None
                      else pd.Series(texts.to_numpy(), dtype=object))
        links = self.predict(positional)
        out: list[list[str]] = [[] for _ in range(len(texts))]
        for row, node in zip(links[ROW], links[C.NODE_ID], strict=True):
            out[int(row)].append(node)
        return out

    def _keyword_extra(self, texts: pd.Series) -> pd.DataFrame:
        if self.keywords == "none":
            return pd.DataFrame(columns=["pos", C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD])
        links = keyword_links(self.keyword_matcher_, texts).rename(columns={ROW: "pos"})
        if not (self.keywords == "union" or getattr(self, "keyword_union_", False)):
            links = links[links[C.NODE_ID].isin(set(self.fallback_nodes_))]
        return links

    def _evidence(self, x, i: int, k: int) -> str:
        start, end = x.indptr[i], x.indptr[i + 1]
        index = x.indices[start:end]
        contribution = x.data[start:end] * self.coef_[k, index]
        order = np.argsort(-contribution, kind="stable")
        ranked = index[order[contribution[order] > 0]]
        n_word, n_text = self.n_word_features_, len(self._terms())
        first_attribute = x.shape[1] - len(self.attribute_terms_)
        # Words and listing attributes read best; character grams only when nothing else
        # raised the score.
        words = ranked[(ranked < n_word) | (ranked >= first_attribute)][: self.evidence_terms]
        picked = words if len(words) else ranked[ranked < n_text][: self.evidence_terms]
        return EVIDENCE_SEPARATOR.join(
            self.attribute_terms_[j - first_attribute] if j >= first_attribute
            else self._terms()[j].strip() for j in picked)

    def _terms(self) -> list[str]:
        """Word terms, then character grams, in feature order (built once, on first use)."""
        if getattr(self, "_terms_cache", None) is None:
            self._terms_cache = (terms_by_index(self.word_vectorizer_)
                                 + terms_by_index(self.char_vectorizer_))
        return self._terms_cache

    # -- persistence (no pickle) -----------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to one ``.npz`` file (arrays plus a JSON header); no pickle.

        The chain is not stored; pass it again to :meth:`load`. The file format is
        described in :mod:`recommender.firms.node_classifier_file`.
        """
        self._check_fitted()
        return write_classifier_file(self, path)

    @classmethod
    def load(cls, path: str | Path, *, chain=None) -> NodeClassifier:
        """Read a model written by :meth:`save`; raise ``ModelError`` if it is not one."""
        model = read_classifier_file(path, functools.partial(cls, chain=chain))
        if model.keywords != "none" and chain is not None:
            unknown = set(model.keyword_nodes_) - set(chain.node_ids)
            if unknown:
                raise ModelError(f"{path}: the chain lacks nodes the model uses: "
                                 f"{sorted(unknown)[:5]}")
            model.keyword_matcher_ = model._matcher()
        else:
            model.keyword_matcher_ = None
        return model


def _logit(c: float, class_weight) -> LogisticRegression:
    # The dual problem is much smaller than the primal when, as here, there are far fewer
    # texts than n-gram features.
    return LogisticRegression(C=c, class_weight=class_weight, solver="liblinear", dual=True,
                              max_iter=1000)
