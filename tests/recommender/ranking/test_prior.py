"""The cold-start prior: documented weights, fixed bounds, sensible monotonicity, contributions."""

import math

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.ranking import feature_registry as R
from recommender.ranking import features as F
from recommender.ranking.prior import (
    BIAS,
    MODERATE,
    PRIOR_BIAS,
    PRIOR_SCALES,
    PRIOR_WEIGHTS,
    PURPOSE,
    STRONG,
    WEAK,
    normalise,
    prior_contributions,
    prior_scores,
)


def firm(**values) -> dict:
    """A typical candidate: every registry feature at a middling value, overridden by values."""
    base = {name: np.nan for name in R.feature_names()}
    base.update({
        R.LOG10_EMPLOYEES: 2.5, R.LOG10_REVENUE: 1.5, C.REVENUE_GROWTH: 0.08,
        C.RD_INTENSITY: 0.08, R.LOG1P_PATENTS: math.log1p(12), R.AGE_YEARS: 15.0,
        C.IS_LISTED: 0.0, R.SIZE_RANK: 2.0, C.INTL_COUNTRIES: 5.0, C.IN_CHINA: 0.0,
        C.IN_GBA: 0.0, C.MATCH: 0.6, C.HOP: 0.0, C.WEAK_LINK_SCORE: 0.5,
        C.DISTANCE_KM: 8000.0, R.COMMON_LANGUAGE: 0.0, R.TZ_GAP_H: 7.0,
        R.HOME_EXPORT_CONTROL: 0.0, R.LEADER_CUSTOMERS: 1.0, R.LEADER_SUPPLIERS: 1.0,
        R.LOCAL_COMPETITORS: 3.0, R.PRIOR_CONTACTS: 0.0, R.PRIOR_DECLINES: 0.0,
    })
    base.update(values)
    base[R.WEAK_LINK_FIT] = base[C.MATCH] * base[C.WEAK_LINK_SCORE]
    return base


def scores(*rows: dict) -> np.ndarray:
    return prior_scores(pd.DataFrame(list(rows)))


def test_weights_and_scales_cover_the_same_registry_features():
    assert set(PRIOR_WEIGHTS) == set(PRIOR_SCALES)
    assert set(PRIOR_WEIGHTS) <= set(R.feature_names())
    for name, weight in PRIOR_WEIGHTS.items():
        direction = R.feature(name).direction
        assert direction == 0 or np.sign(weight) == direction, name
        lo, hi, _ = PRIOR_SCALES[name]
        assert lo < hi, name
    assert PRIOR_BIAS == pytest.approx(0.5 * sum(PRIOR_WEIGHTS.values()))


def test_every_weight_is_one_of_the_documented_tiers():
    # set by domain reasoning before any data: a tier, not a fitted coefficient
    assert (PURPOSE, STRONG, MODERATE, WEAK) == (2.0, 1.0, 0.5, 0.25)
    assert {abs(w) for w in PRIOR_WEIGHTS.values()} <= {PURPOSE, STRONG, MODERATE, WEAK}
    assert [n for n, w in PRIOR_WEIGHTS.items() if w == PURPOSE] == [R.WEAK_LINK_FIT]


def test_normalise_uses_fixed_bounds_and_missing_is_neutral():
    assert normalise(C.MATCH, [-1.0, 0.25, 2.0, np.nan]).tolist() == [0.0, 0.25, 1.0, 0.5]
    assert normalise(C.DISTANCE_KM, [0.0, 100.0, 20_000.0, 50_000.0]).tolist() == [
        0.0, 0.0, 1.0, 1.0]
    # log distance (gravity models): 1,000 km is one decade of the 2.3 from 100 to 20,000 km
    assert normalise(C.DISTANCE_KM, [1000.0])[0] == pytest.approx(1 / math.log10(200))
    # head count: the EU's mid-caps (250 .. 3,000 people) are best; a decade off the band
    # loses two thirds, a decade and a half everything
    assert normalise(R.LOG10_EMPLOYEES, np.log10([250, 800, 3000, 25, 30_000, 2, 10 ** 6])
                     ).tolist() == pytest.approx([1.0, 1.0, 1.0, 1 / 3, 1 / 3, 0.0, 0.0])
    assert normalise(R.PRIOR_DECLINES, [0, 1, 3, 7]).tolist() == pytest.approx(
        [0.0, 1 / 3, 1.0, 1.0])


def test_monotone_in_match():
    got = scores(*(firm(**{C.MATCH: m}) for m in (0.1, 0.3, 0.5, 0.8, 1.0)))
    assert np.all(np.diff(got) > 0)


def test_monotone_in_weak_link_score():
    got = scores(*(firm(**{C.WEAK_LINK_SCORE: w}) for w in (0.0, 0.2, 0.5, 0.9)))
    assert np.all(np.diff(got) > 0)


def test_home_export_control_lowers_the_score():
    got = scores(*(firm(**{R.HOME_EXPORT_CONTROL: x}) for x in (0.0, 0.3, 0.9)))
    assert np.all(np.diff(got) < 0)


def test_a_nearer_firm_is_not_ranked_lower():
    got = scores(*(firm(**{C.DISTANCE_KM: km}) for km in (50.0, 900.0, 4000.0, 15_000.0)))
    assert np.all(np.diff(got) <= 0) and got[0] > got[-1]


def test_presence_in_china_and_the_bay_area_helps():
    none, china, bay = scores(firm(), firm(**{C.IN_CHINA: 1.0}),
                              firm(**{C.IN_CHINA: 1.0, C.IN_GBA: 1.0}))
    assert none < china < bay


def test_filling_the_weakest_link_outranks_an_otherwise_identical_firm():
    strong, weak = scores(firm(**{C.MATCH: 1.0, C.WEAK_LINK_SCORE: 0.9}),
                          firm(**{C.MATCH: 1.0, C.WEAK_LINK_SCORE: 0.2}))
    assert strong > weak


def test_contributions_sum_to_the_score_with_the_bias():
    frame = pd.DataFrame([firm(), firm(**{C.IN_CHINA: 1.0, C.DISTANCE_KM: np.nan})],
                         index=["x", "y"])
    parts = prior_contributions(frame)
    assert list(parts.columns) == [*R.feature_names(), BIAS]
    assert list(parts.index) == ["x", "y"]
    assert (parts[BIAS] == PRIOR_BIAS).all()
    np.testing.assert_allclose(parts.sum(axis=1), prior_scores(frame))
    np.testing.assert_allclose(parts.drop(columns=BIAS).sum(axis=1),
                               prior_scores(frame) - PRIOR_BIAS)
    assert parts.loc["y", C.DISTANCE_KM] == 0  # missing: neutral
    assert parts.loc["y", C.IN_CHINA] == pytest.approx(0.5 * PRIOR_WEIGHTS[C.IN_CHINA])
    assert (parts[R.LOCAL_COMPETITORS] == 0).all()  # not weighted


def test_nothing_known_scores_the_bias_and_absent_columns_are_neutral():
    assert prior_scores(pd.DataFrame({C.MATCH: [np.nan]}))[0] == pytest.approx(PRIOR_BIAS)
    assert prior_scores(pd.DataFrame(index=[0]))[0] == pytest.approx(PRIOR_BIAS)


def test_a_firms_score_does_not_depend_on_the_others():
    alone = scores(firm(**{C.MATCH: 0.7}))[0]
    crowd = scores(firm(**{C.MATCH: 0.1}), firm(**{C.MATCH: 0.7}),
                   firm(**{C.MATCH: 1.0, C.DISTANCE_KM: 100.0}))[1]
    assert alone == crowd


def test_prior_agrees_with_the_true_utility_of_a_generated_world():
    from scipy.stats import spearmanr

    from recommender.chain import load_chain
    from recommender.demo import history
    from recommender.demo.generator import generate_world
    from recommender.demo.world import load_region
    from recommender.ranking.dataset import chain_data_from_world

    chain, region = load_chain(), load_region()
    world = generate_world(n_firms=3000, seed=5, chain=chain, region=region)
    need = history.weak_link_need(chain, region, world.firms, world.firm_nodes)
    weak = pd.DataFrame({C.NODE_ID: need[C.NODE_ID], C.WEAK_LINK_SCORE: need["need"]})
    frame = F.training_frame(chain_data_from_world(world, chain=chain, region=region), weak)
    rho = spearmanr(prior_scores(frame), frame[C.TRUE_UTILITY]).statistic
    assert rho > 0.5
    for name in (C.IN_CHINA, R.COMMON_LANGUAGE, C.MATCH):  # simple signals point the right way
        known = frame[name].notna()
        assert spearmanr(frame.loc[known, name], frame.loc[known, C.TRUE_UTILITY]).statistic > 0
