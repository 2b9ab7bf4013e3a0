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
        for text in (f.description_zh, f.description_en, f.reason_zh, f.reason_en,
                     f.against_zh, f.against_en):
            assert text.strip(), f.name
        assert CJK.search(f.description_zh) and CJK.search(f.reason_zh), f.name
        assert CJK.search(f.against_zh), f.name
        assert not CJK.search(f.description_en + f.reason_en + f.against_en + f.zero_en), f.name
        for lang in ("zh", "en"):
            for value in (0.0, 1.0, 2.5):
                assert f.reason(value, lang, node="真空泵", region="广东")  # formats


@pytest.mark.parametrize("spec", R.FEATURES, ids=lambda f: f.name)
def test_each_template_has_the_sign_of_its_features_direction(spec):
    """For every feature: a good value is worded as a merit, a bad one as what holds the firm
    back, and the two sentences differ; a feature with no direction has both, told apart."""
    assert spec.direction == 0 or not math.isnan(spec.neutral)
    assert spec.reason_zh != spec.against_zh or spec.kind == "basis"
    if spec.direction == 0:
        assert math.isnan(spec.neutral)
        return
    step = max(1.0, abs(spec.neutral))
    good, bad = spec.neutral + spec.direction * step, spec.neutral - spec.direction * step
    assert (spec.side(good), spec.side(bad)) == (1, -1)
    for lang in ("zh", "en"):
        merit = spec.reason(good, lang, node="真空泵", region="广东省")
        handicap = spec.reason(bad, lang, node="真空泵", region="广东省")
        assert merit != handicap
        zero = spec.zero_zh if lang == "zh" else spec.zero_en
        plain = spec.reason_zh if lang == "zh" else spec.reason_en
        against = spec.against_zh if lang == "zh" else spec.against_en
        # the merit sentence comes from the merit template, the handicap from "against"
        assert merit.startswith(_fixed_start(zero if good == 0 and zero else plain))
        assert handicap.startswith(_fixed_start(zero if bad == 0 and zero else against))
    # good news is never worded as a handicap even when the caller asks for it by mistake
    if spec.side(0.0) > 0 and spec.zero_zh:
        assert spec.reason(0.0, "zh", sign=-1, node="真空泵") == spec.zero_zh.format(
            node="真空泵", region="本地")


def _fixed_start(template: str) -> str:
    """The text of a template before its first field."""
    return template.split("{")[0]


def test_directions_read_as_the_domain_says():
    by = {f.name: f for f in R.FEATURES}
    assert by["revenue_growth"].side(0.15) == 1 and by["revenue_growth"].side(-0.05) == -1
    assert by[R.TZ_GAP_H].side(0.0) == 1 and by[R.TZ_GAP_H].side(7.0) == -1
    assert by[R.HOME_EXPORT_CONTROL].side(0.0) == 1
    assert by["distance_km"].side(700.0) == 1 and by["distance_km"].side(9300.0) == -1
    assert by[R.LOG10_EMPLOYEES].side(1.0) == 0  # size: neither good nor bad news by itself


def test_numbers_are_written_as_people_write_them():
    assert [R.number_text(v) for v in (3.0, 2.5, 9300.4, 1.0, 0.25)] == [
        "3", "2.5", "9,300", "1", "0.25"]
    assert R.feature(R.BEST_PRIOR_STAGE).reason(3.0, "zh") == "此前已进展到“签署合作备忘录”"
    assert R.feature(R.BEST_PRIOR_STAGE).reason(0.0, "en") == \
        "got no further than “declined or no answer” before"
    assert R.feature(R.SIZE_RANK).reason(4.0, "zh") == "规模等级：大型"
    # the six classes read as the size standard's four words: mega is 大型, nano 微型
    assert R.feature(R.SIZE_RANK).reason(5.0, "zh") == "规模等级：大型"
    assert R.feature(R.SIZE_RANK).reason(0.0, "en") == "size class: micro"
    assert R.feature(R.PRIOR_CONTACTS).reason(1.0, "en") == "contacted 1 time before"
    assert R.feature(R.PRIOR_DECLINES).reason(2.0, "en") == "declined 2 times before"


def test_a_malformed_entry_is_refused():
    with pytest.raises(InvalidArgument, match="group must be one of"):
        R.Feature("x", "other", "float32", "甲", "x", "甲", "x", 1)
    with pytest.raises(InvalidArgument, match="direction"):
        R.Feature("x", "firm", "float32", "甲", "x", "甲", "x", 2)
    with pytest.raises(InvalidArgument, match="needs its neutral value"):
        R.Feature("x", "firm", "float32", "甲", "x", "甲", "x", 1)


def test_registry_lookup():
    assert R.feature("distance_km").group == "pair"
    with pytest.raises(NotFoundError, match="no feature 'nope'"):
        R.feature("nope")
    with pytest.raises(NotFoundError, match="unknown feature group"):
        R.feature_names("other")


def test_reason_sentences():
    assert R.feature("distance_km").reason(9300.4, "en", region="Guangdong") == \
        "far from Guangdong (9,300 km)"
    assert R.feature("distance_km").reason(9300.4, "zh", region="广东") == "距广东较远（9,300公里）"
    assert R.feature("distance_km").reason(700.0, "zh", region="广东") == "距广东仅700公里"
    assert R.feature("in_china").reason(1.0, "en") == "already sells in China"
    assert R.feature("in_china").reason(0.0, "zh") == "尚未进入中国市场"
    assert R.feature("log10_employees").reason(3.0, "en") == "about 1,000 employees"
    assert R.feature("log1p_patents").reason(math.log(101), "en") == "holds 100 patent families"
    assert R.feature("log1p_patents").reason(math.log(10), "en") == \
        "few patents (9 patent families)"
    assert R.feature("weak_link_fit").reason(0.6, "zh", node="真空泵") == "可补齐薄弱环节真空泵"
    assert R.feature("revenue_growth").reason(0.15, "zh") == "营收年增长+15%"
    assert R.feature("revenue_growth").reason(-0.05, "zh") == "增长低于同类（营收年增长-5%）"
    assert R.feature("hop").reason(0.0, "en", node="lasers") == "makes lasers itself"
    assert R.feature("revenue_growth").reason(float("nan"), "en") == \
        "Revenue growth year on year (0.1 = +10 %): unknown"
    with pytest.raises(NotFoundError, match="language 'fr'"):
        R.feature("in_china").reason(1.0, "fr")
