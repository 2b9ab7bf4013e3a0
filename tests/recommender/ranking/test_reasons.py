import numpy as np
import pandas as pd
import pytest

from recommender.exceptions import InvalidArgument
from recommender.ranking.reasons import join_reasons, node_name_table, reasons_for

NAMES = {"vacuum_pumps": ("真空泵", "Vacuum pumps (dry, turbomolecular)"),
         "lasers": ("激光器", "Lasers")}
REGION = ("广东", "Guangdong")


def _rows():
    features = pd.DataFrame({
        "node_id": ["vacuum_pumps", "lasers"],
        "match": [0.9, 0.3], "hop": [0.0, 1.0], "weak_link_fit": [0.6, 0.2],
        "in_china": [1.0, 0.0], "distance_km": [9300.0, 800.0],
        "log1p_patents": [np.log1p(12.0), np.nan], "weak_link_score": [0.7, 0.7],
        "is_listed": [0.0, 1.0],
    })
    contributions = pd.DataFrame({
        "match": [0.3, 0.1], "hop": [0.0, -0.1], "weak_link_fit": [0.2, 0.05],
        "in_china": [0.4, -0.3], "distance_km": [-0.5, 0.2],
        "log1p_patents": [0.1, 0.9],  # row 2: missing value, never a reason
        "weak_link_score": [0.8, 0.8],  # the same for every firm of a node: never a reason
        "is_listed": [0.05, 0.15], "bias": [1.0, 1.0],
    })
    return features, contributions


def test_the_weak_link_comes_first_then_positives_then_the_worst_negative():
    features, contributions = _rows()
    first, second = reasons_for(features, contributions, node_names=NAMES, region_name=REGION)
    assert [r["feature"] for r in first] == ["weak_link_fit", "in_china", "log1p_patents",
                                             "is_listed", "distance_km"]
    assert first[0] == {"feature": "weak_link_fit", "contribution": pytest.approx(0.5),
                        "zh": "可补齐薄弱环节：真空泵",
                        "en": "fills weak link 真空泵 / Vacuum pumps"}
    assert first[1]["en"] == "already sells in China" and first[1]["zh"] == "已在中国开展业务"
    assert first[2]["en"] == "holds 12 patent families"
    assert first[-1]["en"] == "9,300 km from Guangdong" and first[-1]["contribution"] == -0.5
    assert first[-1]["zh"] == "距广东9,300公里"
    # one hop away, no patent figure, not in China
    assert second[0]["en"] == "fills weak link 激光器 / Lasers from a neighbouring node"
    assert second[0]["zh"] == "可从相邻环节补齐薄弱环节：激光器"
    assert second[0]["contribution"] == pytest.approx(0.05)
    assert [r["feature"] for r in second] == ["weak_link_fit", "distance_km", "is_listed",
                                              "in_china"]
    assert second[-1]["en"] == "not yet present in China"


def test_top_limits_the_positive_reasons():
    features, contributions = _rows()
    rows = reasons_for(features, contributions, node_names=NAMES, top=1)[0]
    assert [r["feature"] for r in rows] == ["weak_link_fit", "in_china", "distance_km"]
    rows = reasons_for(features, contributions, node_names=NAMES, top=0)[0]
    assert [r["feature"] for r in rows] == ["weak_link_fit", "distance_km"]


def test_baseline_makes_reasons_relative_to_the_other_candidates():
    features, contributions = _rows()
    baseline = {"in_china": 0.4, "distance_km": -0.6, "match": 0.3, "weak_link_fit": 0.2}
    rows = reasons_for(features, contributions, node_names=NAMES, baseline=baseline)[0]
    # in_china no longer sets the firm apart; being 9,300 km away is better than typical
    assert "in_china" not in [r["feature"] for r in rows]
    assert rows[0]["contribution"] == pytest.approx(0.0)
    assert rows[1]["feature"] == "log1p_patents"
    assert {r["feature"]: r["contribution"] for r in rows}["distance_km"] == pytest.approx(0.1)


def test_join_reasons_marks_the_negative_one():
    features, contributions = _rows()
    rows = reasons_for(features, contributions, node_names=NAMES, region_name=REGION)[0]
    assert join_reasons(rows, "en") == ("fills weak link 真空泵 / Vacuum pumps; already sells in "
                                        "China; holds 12 patent families; not listed; "
                                        "against: 9,300 km from Guangdong")
    assert join_reasons(rows, "zh").endswith("；不利因素：距广东9,300公里")


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
