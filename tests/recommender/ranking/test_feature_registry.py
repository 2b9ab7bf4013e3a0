"""The feature registry: complete, well-formed entries, lookups, reason sentences."""

import math
import re

import pytest

from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.ranking import feature_registry as R

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_registry_is_complete_and_names_are_unique():
    names = R.feature_names()
    assert len(names) == len(set(names)) == len(R.FEATURES) >= 30
    assert {f.group for f in R.FEATURES} == set(R.FEATURE_GROUPS)
    assert R.feature_names("firm") + R.feature_names("pair") + R.feature_names(
        "engagement") == names  # grouped, in order
    for f in R.FEATURES:
        assert f.dtype == "float32" and f.direction in (-1, 0, 1) and f.shown in R.SHOWN
        for text in (f.description_zh, f.description_en, f.reason_zh, f.reason_en):
            assert text.strip(), f.name
        assert CJK.search(f.description_zh) and CJK.search(f.reason_zh), f.name
        assert not CJK.search(f.description_en + f.reason_en + f.negation_en), f.name
        for lang in ("zh", "en"):
            for value in (0.0, 1.0, 2.5):
                assert f.reason(value, lang, node="真空泵", region="广东")  # formats


def test_a_malformed_entry_is_refused():
    with pytest.raises(InvalidArgument, match="group must be one of"):
        R.Feature("x", "other", "float32", "甲", "x", "甲", "x", 1)
    with pytest.raises(InvalidArgument, match="direction"):
        R.Feature("x", "firm", "float32", "甲", "x", "甲", "x", 2)


def test_registry_lookup():
    assert R.feature("distance_km").group == "pair"
    with pytest.raises(NotFoundError, match="no feature 'nope'"):
        R.feature("nope")
    with pytest.raises(NotFoundError, match="unknown feature group"):
        R.feature_names("other")


def test_reason_sentences():
    assert R.feature("distance_km").reason(9300.4, "en", region="Guangdong") == \
        "9,300 km from Guangdong"
    assert R.feature("distance_km").reason(9300.4, "zh", region="广东") == "距广东9,300公里"
    assert R.feature("in_china").reason(1.0, "en") == "already sells in China"
    assert R.feature("in_china").reason(0.0, "zh") == "尚未进入中国市场"
    assert R.feature("log10_employees").reason(3.0, "en") == "about 1,000 employees"
    assert R.feature("log1p_patents").reason(math.log(10), "en") == "holds 9 patent families"
    assert R.feature("weak_link_fit").reason(0.6, "zh", node="真空泵") == "可补齐薄弱环节真空泵"
    assert R.feature("hop").reason(0.0, "en", node="lasers") == "makes lasers itself"
    assert R.feature("revenue_growth").reason(float("nan"), "en") == \
        "Revenue growth year on year (0.1 = +10 %): unknown"
    with pytest.raises(NotFoundError, match="language 'fr'"):
        R.feature("in_china").reason(1.0, "fr")
