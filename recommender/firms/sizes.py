"""Firm sizes as people read them: the four words of China's size standard.

The data keeps six size classes (:data:`recommender.columns.SIZE_CLASSES`, ``nano`` < ``micro``
< ``small`` < ``mid`` < ``large`` < ``mega``): revenue bands for firms whose revenue is known
(under US$ 2 M, 2-10 M, 10-50 M, 50-500 M, 0.5-5 bn, over 5 bn:
:data:`recommender.demo.universe.SIZE_BOUNDS_MUSD`), market-capitalisation classes for listed
firms (under US$ 50 M, 50-300 M, 0.3-2 bn, 2-10 bn, 10-200 bn, over 200 bn:
:mod:`recommender.ranking.feature_context`). The model's features use all six.

People read four, in the wording of the National Bureau of Statistics' 统计上大中小微型企业划分办法
（2017）(国统字〔2017〕213号): 大型, 中型, 小型, 微型 (large, medium, small, micro); never 小微,
which means small and micro together. Each word covers whole classes (:data:`SIZE_GROUPS`):

========  ===========  ====================================================================
word      classes      band
========  ===========  ====================================================================
大型      large, mega  revenue over US$ 500 M (listed: market cap over US$ 10 bn)
中型      mid          revenue US$ 50-500 M (listed: US$ 2-10 bn)
小型      small        revenue US$ 10-50 M (listed: US$ 0.3-2 bn)
微型      nano, micro  revenue under US$ 10 M (listed: under US$ 300 M)
========  ===========  ====================================================================

The words keep the standard's order; its thresholds differ by industry and are in yuan and head
count (for industry: 大型 from 1,000 employees and 营业收入 of 4 亿元, 微型 under 20 employees or
300 万元), so a page names the word and, on hover, the band in figures (:func:`size_band`).
Every page, filter, reason and export takes its words from here.

>>> size_word("mega", "zh"), size_word("mid", "en"), size_word(None, "zh")
('大型', 'medium', '')
>>> [(c["name"], c["value"], c["count"]) for c in size_choices("zh", {"mega": 2, "large": 3})]
[('大型', 'large,mega', 5), ('中型', 'mid', 0), ('小型', 'small', 0), ('微型', 'micro,nano', 0)]
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument

__all__ = ["SIZE_BANDS", "SIZE_CLASS_WORDS", "SIZE_GROUPS", "SIZE_WORDS", "size_band",
           "size_choices", "size_group", "size_word"]

_LANGUAGES = ("zh", "en")
# word -> the size classes it covers, in the standard's order (大型 first)
SIZE_GROUPS: dict[str, tuple[str, ...]] = {
    "large": ("large", "mega"), "medium": ("mid",), "small": ("small",),
    "micro": ("micro", "nano"),
}
# word -> (Chinese, English)
SIZE_WORDS: dict[str, tuple[str, str]] = {
    "large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
    "micro": ("微型", "micro"),
}
# word -> (Chinese, English): the band in figures, for a tooltip or a column's description
SIZE_BANDS: dict[str, tuple[str, str]] = {
    "large": ("年营收 5 亿美元以上（上市企业：市值 100 亿美元以上）",
              "revenue over US$ 500 M (listed firms: market capitalisation over US$ 10 bn)"),
    "medium": ("年营收 5000 万至 5 亿美元（上市企业：市值 20 亿至 100 亿美元）",
               "revenue US$ 50–500 M (listed firms: market capitalisation US$ 2–10 bn)"),
    "small": ("年营收 1000 万至 5000 万美元（上市企业：市值 3 亿至 20 亿美元）",
              "revenue US$ 10–50 M (listed firms: market capitalisation US$ 0.3–2 bn)"),
    "micro": ("年营收 1000 万美元以下（上市企业：市值 3 亿美元以下）",
              "revenue under US$ 10 M (listed firms: market capitalisation under US$ 300 M)"),
}
_GROUP_OF = {size: word for word, sizes in SIZE_GROUPS.items() for size in sizes}
# size class -> (Chinese, English): the word each class is read as
SIZE_CLASS_WORDS: dict[str, tuple[str, str]] = {size: SIZE_WORDS[_GROUP_OF[size]]
                                               for size in C.SIZE_CLASSES}


def _which(lang: str) -> int:
    if lang not in _LANGUAGES:
        raise InvalidArgument(f"lang must be one of {', '.join(_LANGUAGES)}, got {lang!r}")
    return _LANGUAGES.index(lang)


def size_group(size_class: str | None) -> str | None:
    """The word (``"large"``, ``"medium"``, ``"small"``, ``"micro"``) a size class is read as;
    ``None`` for a missing class.

    >>> size_group("nano"), size_group("large"), size_group(None)
    ('micro', 'large', None)

    Raises
    ------
    InvalidArgument
        For a text that is not a size class.
    """
    if size_class is None or (not isinstance(size_class, str) and pd.isna(size_class)) \
            or size_class == "":
        return None
    if size_class not in _GROUP_OF:
        raise InvalidArgument(f"size class must be one of {', '.join(C.SIZE_CLASSES)}, "
                              f"got {size_class!r}")
    return _GROUP_OF[size_class]


def size_word(size_class: str | None, lang: str) -> str:
    """A size class as a person reads it in ``lang`` (大型 / large …); empty when missing."""
    group = size_group(size_class)
    return "" if group is None else SIZE_WORDS[group][_which(lang)]


def size_band(size_class: str | None, lang: str) -> str:
    """The band of a size class's word in figures, in ``lang``; empty when missing.

    >>> size_band("nano", "en")
    'revenue under US$ 10 M (listed firms: market capitalisation under US$ 300 M)'
    """
    group = size_group(size_class)
    return "" if group is None else SIZE_BANDS[group][_which(lang)]


def size_choices(lang: str, counts: Mapping[str, int] | None = None) -> list[dict]:
    """The four words as a filter offers them, in the standard's order.

    Each choice: ``code`` (the word), ``classes`` (its size classes), ``value`` (the classes
    comma-separated, as a filter's ``size`` parameter takes them), ``name`` and ``band`` in
    ``lang``, and ``count``, the sum of ``counts`` (size class -> firms) over its classes.
    """
    which = _which(lang)
    counts = counts or {}
    return [{"code": word, "classes": sizes, "value": ",".join(sizes),
             "name": SIZE_WORDS[word][which], "band": SIZE_BANDS[word][which],
             "count": sum(int(counts.get(size, 0)) for size in sizes)}
            for word, sizes in SIZE_GROUPS.items()]
