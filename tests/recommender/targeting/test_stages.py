"""Recruitment stages by name: codes, labels, and each pair's best recorded stage."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.outcome_stages import RECRUITMENT_STAGES, STAGE_LABELS
from recommender.targeting.stages import best_stage_codes, stage_codes, stage_label, stage_names


def test_names_and_codes_round_trip():
    codes = stage_codes(RECRUITMENT_STAGES)
    assert codes == [-1, 0, 1, 2, 3, 4]
    assert stage_names(codes) == list(RECRUITMENT_STAGES)
    assert set(STAGE_LABELS) == set(RECRUITMENT_STAGES)
    assert stage_label("invested", "zh") == "投资落地"
    assert stage_label("none", "en") == "not contacted"


def test_an_unknown_stage_is_named():
    with pytest.raises(InvalidArgument, match="unknown recruitment stage 'signed'") as error:
        stage_codes(["mou", "signed"])
    assert error.value.problems == [{"field": "stage", "message": "unknown stage 'signed'"}]


def test_best_stage_codes_look_up_each_pair():
    contacted = pd.DataFrame({C.FIRM_ID: ["a", "a", "b"], C.NODE_ID: ["x", "y", "x"],
                              C.OUTCOME_STAGE: [3, 0, 1]})
    pairs = pd.DataFrame({C.FIRM_ID: ["a", "b", "b", "c", "a"],
                          C.NODE_ID: ["x", "x", "y", "x", "y"]})
    assert best_stage_codes(pairs, contacted).tolist() == [3, 1, -1, -1, 0]
    assert best_stage_codes(pairs, contacted.iloc[:0]).tolist() == [-1] * 5
    assert best_stage_codes(pairs.iloc[:0], contacted).tolist() == []
