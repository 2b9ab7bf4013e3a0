"""Size classes as people read them: four words from six classes, in both languages."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.firms import sizes as S

# the standard's four words and the classes each covers, written out by hand
EXPECTED = {"nano": ("微型", "micro"), "micro": ("微型", "micro"), "small": ("小型", "small"),
            "mid": ("中型", "medium"), "large": ("大型", "large"), "mega": ("大型", "large")}


@pytest.mark.parametrize("size_class", C.SIZE_CLASSES)
def test_every_class_is_read_as_one_of_the_four_words(size_class):
    zh, en = S.size_word(size_class, "zh"), S.size_word(size_class, "en")
    assert (zh, en) == EXPECTED[size_class]
    assert zh in {"大型", "中型", "小型", "微型"} and en in {"large", "medium", "small", "micro"}
    assert S.SIZE_CLASS_WORDS[size_class] == (zh, en)
    assert S.size_band(size_class, "zh") and S.size_band(size_class, "en")


def test_the_words_cover_every_class_once_in_order():
    covered = [size for sizes in S.SIZE_GROUPS.values() for size in sizes]
    assert sorted(covered) == sorted(C.SIZE_CLASSES) and len(covered) == len(set(covered))
    # largest word first, and a word's classes are neighbours in the classes' order
    ranks = [sorted(C.SIZE_CLASSES.index(s) for s in sizes) for sizes in S.SIZE_GROUPS.values()]
    assert all(r == list(range(r[0], r[-1] + 1)) for r in ranks)
    assert [r[0] for r in ranks] == sorted((r[0] for r in ranks), reverse=True)
    assert set(S.SIZE_WORDS) == set(S.SIZE_GROUPS) == set(S.SIZE_BANDS)


def test_no_word_beyond_the_standards_four():
    said = {text for pair in (*S.SIZE_WORDS.values(), *S.SIZE_BANDS.values()) for text in pair}
    for word in ("特大型", "极微型", "小微", "超大型", "nano", "mega", "very large", "mid-size"):
        assert not any(word in text for text in said), word


@pytest.mark.parametrize("missing", [None, "", math.nan, pd.NA])
def test_a_missing_class_reads_as_nothing(missing):
    assert S.size_group(missing) is None
    assert S.size_word(missing, "zh") == "" and S.size_band(missing, "en") == ""


def test_an_unknown_class_or_language_is_refused():
    with pytest.raises(InvalidArgument, match="size class must be one of"):
        S.size_word("huge", "zh")
    with pytest.raises(InvalidArgument, match="lang must be one of"):
        S.size_word("mid", "fr")


def test_a_choice_selects_all_its_classes_and_counts_them():
    counts = {"nano": 4, "micro": 1, "small": 7, "large": 2, "mega": 3}
    choices = {c["code"]: c for c in S.size_choices("en", counts)}
    assert list(choices) == ["large", "medium", "small", "micro"]
    assert choices["large"]["value"].split(",") == ["large", "mega"]
    assert choices["large"]["count"] == 5 and choices["medium"]["count"] == 0
    assert choices["micro"]["count"] == 5 and choices["micro"]["name"] == "micro"
    assert [c["name"] for c in S.size_choices("zh")] == ["大型", "中型", "小型", "微型"]
