import re

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.demo.world import load_region
from recommender.exceptions import InvalidArgument
from recommender.ranking import feature_registry as R
from recommender.ranking.feature_context import FirmArrays
from recommender.ranking.reasons import (
    DISTINCT_FACTOR,
    METRO_KM,
    join_reasons,
    node_name_table,
    reasons_for,
)

NAMES = {"vacuum_pumps": ("真空泵", "Vacuum pumps (dry, turbomolecular)"),
         "lasers": ("激光器", "Lasers"), "fpga": ("FPGA芯片", "FPGA chips")}
REGION = ("广东省", "Guangdong")
LATIN = re.compile(r"[A-Za-z]")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _rows():
    features = pd.DataFrame({
        "node_id": ["vacuum_pumps", "lasers"],
        "match": [0.9, 0.3], "hop": [0.0, 1.0], "weak_link_fit": [0.6, 0.2],
        "in_china": [1.0, 0.0], "distance_km": [9300.0, 800.0],
        "log1p_patents": [np.log1p(12.0), np.nan], "weak_link_score": [0.7, 0.7],
        "is_listed": [1.0, 1.0], "age_years": [20.0, 20.0], "rd_intensity": [0.1, 0.1],
    })
    contributions = pd.DataFrame({
        "match": [0.3, 0.1], "hop": [0.0, -0.1], "weak_link_fit": [0.2, 0.05],
        "in_china": [0.4, -0.3], "distance_km": [-0.5, 0.2],
        "log1p_patents": [0.2, 0.9],  # row 2: missing value, never a reason
        "weak_link_score": [0.8, 0.8],  # the same for every firm of a node: never a reason
        "is_listed": [0.05, 0.15], "age_years": [0.01, 0.01], "rd_intensity": [0.02, 0.02],
        "bias": [1.0, 1.0],
    })
    return features, contributions


def test_the_weak_link_comes_first_then_positives_then_the_worst_negative():
    features, contributions = _rows()
    first, second = reasons_for(features, contributions, node_names=NAMES, region_name=REGION)
    # row 1's six features move it 0.4 + 0.5 + 0.2 + 0.05 + 0.01 + 0.02 = 1.18, 0.197 each on
    # average: being listed (0.05) does not set it apart; row 2's five: 0.68, 0.136 each
    assert [r["feature"] for r in first] == ["weak_link_fit", "in_china", "log1p_patents",
                                             "distance_km"]
    assert first[0] == {"feature": "weak_link_fit", "contribution": pytest.approx(0.5),
                        "zh": "可补齐薄弱环节：真空泵", "en": "fills weak link Vacuum pumps"}
    assert first[1]["en"] == "already sells in China" and first[1]["zh"] == "已在中国开展业务"
    assert first[2]["en"] == "holds 12 patent families"
    assert first[-1]["en"] == "far from Guangdong (9,300 km)"
    assert first[-1]["zh"] == "距广东省较远（9,300公里）" and first[-1]["contribution"] == -0.5
    # one hop away, no patent figure, not in China
    assert second[0]["en"] == "fills weak link Lasers from a neighbouring node"
    assert second[0]["zh"] == "可从相邻环节补齐薄弱环节：激光器"
    assert second[0]["contribution"] == pytest.approx(0.05)
    assert [r["feature"] for r in second] == ["weak_link_fit", "distance_km", "is_listed",
                                              "in_china"]
    assert second[1]["en"] == "only 800 km from Guangdong"
    assert second[-1]["en"] == "not yet present in China"


def test_top_limits_the_positive_reasons():
    features, contributions = _rows()
    rows = reasons_for(features, contributions, node_names=NAMES, top=1)[0]
    assert [r["feature"] for r in rows] == ["weak_link_fit", "in_china", "distance_km"]
    rows = reasons_for(features, contributions, node_names=NAMES, top=0)[0]
    assert [r["feature"] for r in rows] == ["weak_link_fit", "distance_km"]


def test_baseline_makes_reasons_relative_to_the_other_candidates():
    features, contributions = _rows()
    baseline = {"in_china": 0.4, "distance_km": -0.49, "match": 0.3, "weak_link_fit": 0.2}
    rows = reasons_for(features, contributions, node_names=NAMES, baseline=baseline)[0]
    # in_china no longer moves the firm; the distance is hardly worse than typical (-0.01);
    # the five features that move it do so by 0.29 / 5 = 0.058 on average: patents (0.2) only
    assert [r["feature"] for r in rows] == ["weak_link_fit", "log1p_patents"]
    assert rows[0]["contribution"] == pytest.approx(0.0)


def test_join_reasons_marks_the_negative_one():
    features, contributions = _rows()
    rows = reasons_for(features, contributions, node_names=NAMES, region_name=REGION)[0]
    assert join_reasons(rows, "en") == ("fills weak link Vacuum pumps; already sells in China; "
                                        "holds 12 patent families; "
                                        "against: far from Guangdong (9,300 km)")
    assert join_reasons(rows, "zh").endswith("；不利因素：距广东省较远（9,300公里）")


def _one(column, value, contribution, **more):
    """Reasons of one vacuum-pump row whose only distinct feature is ``column``."""
    features = pd.DataFrame({"node_id": ["vacuum_pumps"], column: [value], **{
        k: [v[0]] for k, v in more.items()}})
    contributions = pd.DataFrame({column: [contribution], **{k: [v[1]] for k, v in more.items()}})
    return reasons_for(features, contributions, node_names=NAMES, region_name=REGION)[0][1:]


def test_good_news_is_never_a_drawback_and_bad_news_never_a_merit():
    assert _one(C.REVENUE_GROWTH, 0.15, -0.3) == []  # growing fast: not held against the firm
    assert _one(C.REVENUE_GROWTH, 0.15, 0.3)[0]["zh"] == "营收年增长+15%"
    low = _one(C.REVENUE_GROWTH, -0.05, -0.3)[0]
    assert (low["zh"], low["en"]) == ("增长低于同类（营收年增长-5%）",
                                      "growth below its peers (-5% a year)")
    assert _one(C.REVENUE_GROWTH, -0.05, 0.3) == []  # shrinking: not a selling point
    assert _one(R.HOME_EXPORT_CONTROL, 0.0, -0.4) == []  # no export control: no handicap
    free = _one(R.HOME_EXPORT_CONTROL, 0.0, 0.4)[0]
    assert free["zh"] == "母国对真空泵无出口管制"
    held = _one(R.HOME_EXPORT_CONTROL, 0.8, -0.4)[0]
    assert held["en"] == "home-country export controls on Vacuum pumps (80%)"


def test_a_reason_must_set_the_firm_apart():
    """Three features move the firm by 1.0, 0.1 and x: the time zone is a reason once x is at
    least their mean, (1.1 + x) / 3, that is from x = 0.55 on."""
    more = {C.IN_CHINA: (1.0, 1.0), R.AGE_YEARS: (20.0, 0.1)}
    assert DISTINCT_FACTOR == 1.0
    assert [r["feature"] for r in _one(R.TZ_GAP_H, 0.0, 0.5, **more)] == [C.IN_CHINA]
    rows = _one(R.TZ_GAP_H, 0.0, 0.6, **more)
    assert [r["zh"] for r in rows] == ["已在中国开展业务", "与广东省无时差"]


@pytest.mark.parametrize("city, lat, lon, country, hours", [
    ("Shanghai", 31.2222, 121.4581, "CN", 0), ("Taipei", 25.0478, 121.5319, "TW", 0),
    ("Harbin", 45.75, 126.65, "CN", 0), ("Munich", 48.1374, 11.5755, "DE", 7),
    ("San Jose", 37.3394, -121.895, "US", 16),
])
def test_time_zone_reasons_come_from_iana_zones(city, lat, lon, country, hours):
    firms = pd.DataFrame({C.FIRM_ID: [city], C.COUNTRY: [country], C.LAT: [lat], C.LON: [lon]})
    distance, gap = FirmArrays(firms).geography(load_region())
    assert gap[0] == hours  # standard time: Munich is 6 h away in summer, San Jose 15 h
    sign = 1 if hours < 3 else -1
    rows = _one(R.TZ_GAP_H, float(gap[0]), 0.5 * sign)
    zh, en = rows[0]["zh"], rows[0]["en"]
    if hours == 0:
        assert (zh, en) == ("与广东省无时差", "same time zone as Guangdong")
    else:
        assert (zh, en) == (f"与广东省时差{hours}小时", f"{hours} h time difference to Guangdong")


@pytest.mark.parametrize("city, lat, lon, country", [
    ("Hong Kong", 22.2783, 114.1747, "HK"), ("Macao", 22.2006, 113.5461, "MO"),
    ("Shenzhen", 22.5455, 114.0683, "CN")])
def test_no_distance_reason_inside_the_metropolitan_area(city, lat, lon, country):
    firms = pd.DataFrame({C.FIRM_ID: [city], C.COUNTRY: [country], C.LAT: [lat], C.LON: [lon]})
    distance, _ = FirmArrays(firms).geography(load_region())
    assert distance[0] <= METRO_KM
    assert _one(C.DISTANCE_KM, float(distance[0]), 0.5) == []
    assert _one(C.DISTANCE_KM, 700.0, 0.5)[0]["zh"] == "距广东省仅700公里"  # Taipei: worth it


def test_integers_plurals_and_stage_names():
    one, three = _one(R.PRIOR_CONTACTS, 1.0, 0.3), _one(R.PRIOR_CONTACTS, 3.0, 0.3)
    assert one[0]["en"] == "contacted 1 time before"
    assert three[0]["en"] == "contacted 3 times before"
    assert three[0]["zh"] == "此前接触过3次"
    stage = _one(R.BEST_PRIOR_STAGE, 3.0, 0.3)[0]
    assert (stage["zh"], stage["en"]) == ("此前已进展到“签署合作备忘录”",
                                          "reached “MoU signed” before")
    mean = _one(R.MEAN_PRIOR_STAGE, 2.4, 0.3)[0]  # a mean: the nearest stage's name
    assert (mean["zh"], mean["en"]) == ("此前接触平均进展到约“实地考察”",
                                        "earlier contacts got to about “site visit” on average")
    assert _one(R.LOG1P_PATENTS, np.log1p(1.0), -0.3)[0]["en"] == "few patents (1 patent family)"
    assert _one(R.LOG1P_PATENTS, np.log1p(1.0), 0.3) == []  # one patent is no selling point
    assert _one(C.INTL_COUNTRIES, 1.0, -0.3)[0]["en"] == "sells in only 1 country"
    assert _one(R.DAYS_SINCE_CONTACT, 1.0, 0.3)[0]["en"] == "last contacted 1 day ago"


def test_an_estimated_size_says_so():
    rows = _one(R.LOG10_EMPLOYEES, np.log10(40_000.0), 0.4, **{R.SIZE_BASIS: (1.0, 0.0)})
    assert rows[0]["zh"] == "规模未知（按市值等级估计约40,000人）"
    assert rows[0]["en"] == ("size unknown (about 40,000 employees, estimated from its "
                             "market-cap class)")
    assert _one(R.LOG10_EMPLOYEES, 3.0, 0.4, **{R.SIZE_BASIS: (0.0, 0.0)})[0]["zh"] == \
        "员工约1,000人"


def _random_rows(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with every feature at values around its neutral point and random contributions."""
    rng = np.random.default_rng(seed)
    names = R.feature_names()
    values = {}
    for spec in R.FEATURES:
        centre = 0.0 if np.isnan(spec.neutral) else spec.neutral
        values[spec.name] = np.round(np.abs(centre + rng.normal(0, 1 + abs(centre), n)))
    values[R.SIZE_BASIS] = rng.integers(0, 4, n).astype(float)
    values[R.BEST_PRIOR_STAGE] = rng.integers(0, 5, n).astype(float)
    features = pd.DataFrame({"node_id": rng.choice(list(NAMES), n), **values})
    some = rng.random((n, len(names))) < 0.12  # a few distinct features per row
    contributions = pd.DataFrame(rng.normal(0, 1, (n, len(names))) * some, columns=names)
    return features, contributions


def test_every_reason_agrees_with_its_features_direction():
    features, contributions = _random_rows(400, seed=3)
    seen = set()
    for i, rows in enumerate(reasons_for(features, contributions, node_names=NAMES,
                                         region_name=REGION, skip=())):
        for reason in rows[1:]:
            spec = R.feature(reason["feature"])
            side = spec.side(features.loc[i, spec.name])
            assert side * np.sign(reason["contribution"]) >= 0, (spec.name, reason)
            seen.add(spec.name)
    assert len(seen) >= 25  # nearly every feature spoke at least once


def test_chinese_reasons_hold_no_latin_and_english_ones_no_chinese():
    """Allowed: Latin letters that are part of a Chinese proper name passed in (FPGA芯片)."""
    features, contributions = _random_rows(300, seed=5)
    found = reasons_for(features, contributions, node_names=NAMES, region_name=REGION, skip=())
    for node, rows in zip(features["node_id"], found, strict=True):
        for reason in rows:
            zh = reason["zh"].replace(NAMES[node][0], "")
            assert not LATIN.search(zh), reason["zh"]
            assert not CJK.search(reason["en"]), reason["en"]
            assert not re.search(r"\d\.0(?!\d)", reason["zh"] + reason["en"]), reason


def test_node_names_from_frames_and_mappings():
    table = pd.DataFrame({"node_id": ["lasers"], "name_zh": ["激光器"], "name_en": ["Lasers"]})
    assert node_name_table(table) == {"lasers": ("激光器", "Lasers")}
    assert node_name_table({"lasers": {"zh": "激光器", "en": "Lasers"}}) == \
        {"lasers": ("激光器", "Lasers")}
    features, contributions = _rows()
    rows = reasons_for(features.iloc[:1], contributions.iloc[:1], node_names={})
    assert rows[0][0]["en"] == "fills weak link vacuum_pumps"


def test_bad_arguments():
    features, contributions = _rows()
    with pytest.raises(InvalidArgument, match="contributions: 1 rows for 2 feature rows"):
        reasons_for(features, contributions.iloc[:1], node_names=NAMES)
    with pytest.raises(InvalidArgument, match="top must be a non-negative integer"):
        reasons_for(features, contributions, node_names=NAMES, top=-1)
    with pytest.raises(InvalidArgument, match="node_names"):
        node_name_table(42)
