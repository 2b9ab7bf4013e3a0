"""The evaluation report: strict JSON (NaN as null) and the Markdown table."""

import json
import math

from recommender.ranking.evaluation_report import json_ready, write_report


def test_write_report_stores_undefined_values_as_null(tmp_path):
    results = {"metrics": {"random": {"ndcg@10": float("nan"), "map@10": 0.1,
                                      "recall@50": 0.2}},
               "groups": {"random": {"groups": 1, "groups_ndcg": 0, "groups_relevant": 0}},
               "train": {"rows": 1, "groups": 1, "start": "2024-01-01", "end": "2024-01-01"},
               "test": {"rows": 1, "groups": 1, "start": "2024-02-01", "end": "2024-02-01"},
               "relevant": 3}
    paths = write_report(results, tmp_path)
    assert json.loads(paths["json"].read_text())["metrics"]["random"]["ndcg@10"] is None
    assert "| random | – | 0.100 | 0.200 |" in paths["markdown"].read_text()


def test_json_ready_drops_the_models_and_undefined_numbers():
    value = {"a": [1.0, math.inf, (-math.inf, 2)], "models": {"lambdarank": object()},
             "b": {"c": math.nan, "d": "x"}}
    assert json_ready(value) == {"a": [1.0, None, [None, 2]], "b": {"c": None, "d": "x"}}
