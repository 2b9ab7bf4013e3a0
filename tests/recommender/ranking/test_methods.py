"""The ranking methods compared: the size proxy by hand, the default feature list."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.feature_registry import feature_names
from recommender.ranking.methods import (
    METHODS,
    SCORERS,
    SELECTION_METHODS,
    default_features,
    size_score,
)


def test_size_score_by_hand():
    frame = pd.DataFrame({"log10_revenue": [1.0, 3.0, np.nan],
                          "log10_employees": [2.0, np.nan, np.nan]})
    score = size_score(frame)
    # z of revenue: -1, +1; employees: only one value, so 0 -> means: -0.5, 1, -inf
    assert score.tolist() == [-0.5, 1.0, -np.inf]
    with pytest.raises(InvalidArgument, match="no size column"):
        size_score(pd.DataFrame({"x": [1.0]}))


def test_size_score_reads_the_size_class_by_its_rank():
    frame = pd.DataFrame({C.SIZE_CLASS: ["nano", "mega", "mid", None]})
    # ranks 0, 5, 3: mean 8/3, population sd sqrt(38/9); a missing class scores last
    ranks = np.array([0.0, 5.0, 3.0])
    expected = (ranks - ranks.mean()) / ranks.std()
    np.testing.assert_allclose(size_score(frame)[:3], expected)
    assert size_score(frame)[3] == -np.inf


def test_every_method_has_a_scorer():
    assert set(METHODS) | {"lambdarank_plain", *SELECTION_METHODS} == set(SCORERS)


def test_default_features_are_the_registry_features_the_frame_holds_in_registry_order():
    names = feature_names()
    frame = pd.DataFrame(columns=["label", names[3], "extra", names[0]])
    assert default_features(frame) == [names[0], names[3]]
