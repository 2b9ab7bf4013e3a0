"""The calibration measure of the evaluation: fitted on earlier campaigns, measured on later."""

import numpy as np
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.evaluation import (
    evaluate,
    expected_calibration_error,
    reliability_table,
)
from recommender.ranking.evaluation_report import report_markdown
from recommender.ranking.prior import prior_scores
from recommender.ranking.ranker import apply_calibration, fit_calibration
from recommender.ranking.splits import CALIBRATION_SHARE, labels_as_of, time_split

from .test_evaluation import FEATURES, _frame

PARAMS = {"n_estimators": 60, "num_leaves": 7}


def test_reliability_table_and_ece_by_hand():
    # bins of width 0.25: [0, .25) holds 0.1, 0.2 (observed 0, 1): mean 0.15, rate 0.5;
    # [.5, .75) holds 0.6 (observed 1): gap 0.4; [.75, 1] holds 0.8, 1.0 (observed 1, 1):
    # mean 0.9, rate 1. ECE = (2 x 0.35 + 1 x 0.4 + 2 x 0.1) / 5 = 0.26
    predicted = [0.1, 0.2, 0.6, 0.8, 1.0]
    observed = [0, 1, 1, 1, 1]
    table = reliability_table(predicted, observed, bins=4)
    assert table["low"].tolist() == [0.0, 0.5, 0.75]
    assert table["count"].tolist() == [2, 1, 2]
    assert table["predicted"].tolist() == pytest.approx([0.15, 0.6, 0.9])
    assert table["observed"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert expected_calibration_error(predicted, observed, bins=4) == pytest.approx(0.26)
    assert expected_calibration_error([0.3, 0.3], [0, 1]) == pytest.approx(0.2)
    assert np.isnan(expected_calibration_error([], []))
    with pytest.raises(InvalidArgument, match="differ in length"):
        reliability_table([0.1], [0, 1])


@pytest.fixture(scope="module")
def split():
    return time_split(_frame(), test_share=0.3)


@pytest.fixture(scope="module")
def measured(split):
    train, test = split
    return evaluate(train, test, methods=("prior", "lambdarank"), features=FEATURES, seed=0,
                    ranker_params=PARAMS)


def test_the_prior_is_calibrated_on_earlier_campaigns_and_measured_on_later(split, measured):
    train, test = split
    found = measured["calibration"]["prior"]
    known = labels_as_of(train, test[C.DATE].min())
    _, recent = time_split(known, test_share=CALIBRATION_SHARE)
    assert found["fit_rows"] == len(recent) and found["rows"] == len(test)
    assert not set(recent[C.GROUP_ID]) & set(test[C.GROUP_ID])
    # the same figure, computed from the mapping fitted on those earlier rows only
    mapping = fit_calibration(prior_scores(recent[FEATURES]), recent[C.LABEL].to_numpy(), 3)
    predicted = apply_calibration(prior_scores(test[FEATURES]), mapping)
    observed = (test[C.LABEL].to_numpy() >= 3).astype(float)
    assert found["ece"] == pytest.approx(expected_calibration_error(predicted, observed))
    assert found["base_rate"] == pytest.approx(observed.mean())
    assert sum(b["count"] for b in found["bins"]) == len(test)


def test_the_later_window_never_moves_the_mappings(split, measured):
    train, test = split
    flipped = test.assign(**{C.LABEL: 4 - test[C.LABEL]})  # every later outcome turned over
    again = evaluate(train, flipped, methods=("prior", "lambdarank"), features=FEATURES,
                     seed=0, ranker_params=PARAMS)
    for method in ("prior", "lambdarank"):
        before, after = measured["calibration"][method], again["calibration"][method]
        assert [b["predicted"] for b in before["bins"]] == \
            pytest.approx([b["predicted"] for b in after["bins"]])
        assert before["fit_rows"] == after["fit_rows"]
        assert before["ece"] != pytest.approx(after["ece"])
    assert measured["calibration"]["lambdarank"]["fit_on"] == "eval"


def test_the_report_shows_the_reliability_tables(measured):
    text = report_markdown(measured)
    assert "## Calibration of p(MoU or better) on the held-out window" in text
    for method in ("prior", "lambdarank"):
        assert f"**{method}**: ECE {measured['calibration'][method]['ece']:.3f}" in text
    assert "| predicted in | mean predicted | observed rate | contacts |" in text
