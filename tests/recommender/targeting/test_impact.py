import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.targeting.impact import (
    COMPONENTS,
    ENTRY_SHARE,
    FLOOR,
    LEADER_REVENUE,
    check_sort,
    firm_capability,
    firm_components,
    firm_revenue,
    pair_impact,
)


def _firms(**columns) -> pd.DataFrame:
    base = {C.REVENUE: [None], C.EMPLOYEES: [None], C.SIZE_CLASS: [None], C.PATENTS: [None],
            C.RD_INTENSITY: [None], C.INTL_COUNTRIES: [None], C.IS_LISTED: [None],
            C.SOURCE: ["synthetic"]}
    base.update(columns)
    n = max(len(v) for v in base.values())
    return pd.DataFrame({k: v * n if len(v) == 1 else v for k, v in base.items()})


def test_components_by_hand():
    # revenue US$100 M: (100 / 1,000) ** 0.5 = 0.31623; 99 patents: ln(100)/ln(1001) =
    # 0.66666; R&D 7.5 % -> 0.5; technology = (0.66666 + 0.5) / 2 = 0.58333; 9 countries:
    # ln(10)/ln(51) = 0.58562; listed -> 0.8
    firms = _firms(**{C.REVENUE: [100.0], C.PATENTS: [99.0], C.RD_INTENSITY: [0.075],
                      C.INTL_COUNTRIES: [9.0], C.IS_LISTED: [True]})
    parts = firm_components(firms).iloc[0]
    assert parts["size"] == pytest.approx(0.1 ** 0.5)
    assert parts["technology"] == pytest.approx((np.log(100) / np.log(1001) + 0.5) / 2)
    assert parts["reach"] == pytest.approx(np.log(10) / np.log(51))
    assert parts["standing"] == pytest.approx(0.8)
    quality = 0.4 * parts["technology"] + 0.2 * parts["reach"] + 0.4 * 0.8
    assert firm_capability(firms).iloc[0] == pytest.approx(0.1 ** 0.5 * (0.5 + 0.5 * quality))
    assert sum(COMPONENTS.values()) == pytest.approx(1.0)


def test_revenue_falls_back_to_head_count_size_class_listing_and_known_maker():
    firms = _firms(**{C.REVENUE: [None, None, 40.0, None, None, None],
                      C.EMPLOYEES: [2_000.0, None, 10.0, None, None, None],
                      C.SIZE_CLASS: ["nano", "large", "mega", None, None, None],
                      C.IS_LISTED: [None, None, None, True, None, None],
                      C.SOURCE: ["listing", "listing", "synthetic", "listing", "reference",
                                 "listing"]})
    # 2,000 people x US$0.25 M; the large class's US$10 bn; reported; a listed firm's (small,
    # US$400 M); a known maker's (mid, US$2 bn); nothing known: a listed firm's
    assert firm_revenue(firms).tolist() == pytest.approx([500.0, 10_000.0, 40.0, 400.0,
                                                          2_000.0, 400.0])
    assert firm_components(firms)["size"].tolist() == pytest.approx(
        [0.5 ** 0.5, 1.0, 0.2, 0.4 ** 0.5, 1.0, 0.4 ** 0.5])


def test_missing_facts_are_left_out_not_counted_as_zero():
    # a known maker of which nothing else is known counts as a leader of mid size (US$2 bn);
    # listed, as a typical listed firm (US$400 M), the estimate its reasons show
    leader = _firms(**{C.SOURCE: ["reference"], C.IS_LISTED: [False]})
    assert firm_capability(leader).iloc[0] == pytest.approx(1.0 * (0.5 + 0.5 * 1.0))
    listed = _firms(**{C.SOURCE: ["reference"], C.IS_LISTED: [True]})
    assert firm_capability(listed).iloc[0] == pytest.approx(0.4 ** 0.5)
    # the same facts known to be small count against it; unknown ones do not
    small = _firms(**{C.REVENUE: [1.0], C.PATENTS: [0.0], C.RD_INTENSITY: [0.0],
                      C.INTL_COUNTRIES: [0.0], C.IS_LISTED: [False]})
    assert firm_capability(small).iloc[0] == pytest.approx((1.0 / LEADER_REVENUE) ** 0.5 * FLOOR)
    unknown = _firms()  # a typical listed firm's size, quality 0.5
    assert firm_capability(unknown).iloc[0] == pytest.approx(0.4 ** 0.5 * 0.75)
    # one unknown fact: the rest decides, as if it were not asked
    known = _firms(**{C.REVENUE: [10_000.0], C.IS_LISTED: [False], C.PATENTS: [1000.0]})
    assert firm_capability(known).iloc[0] == pytest.approx(FLOOR + (1 - FLOOR) * 0.5)


def test_a_leader_outweighs_a_small_maker_by_its_size():
    firms = _firms(**{C.REVENUE: [5_000.0, 30.0], C.PATENTS: [800.0, 5.0],
                      C.RD_INTENSITY: [0.12, 0.05], C.INTL_COUNTRIES: [40.0, 3.0],
                      C.IS_LISTED: [True, False], C.SOURCE: ["reference", "synthetic"]})
    leader, small = firm_capability(firms)
    assert leader > 0.95
    assert 5 < leader / small < 15


def test_impact_is_match_times_capability():
    assert pair_impact(np.array([1.0, 0.4, 0.0]), np.array([1.0, 0.2, 1.0]),
                       np.zeros(3)).tolist() == pytest.approx([1.0, 0.08, 0.0])
    # a stronger match never lowers impact, more capability never lowers it
    match = np.linspace(0, 1, 11)
    assert np.all(np.diff(pair_impact(match, np.full(11, 0.3), np.zeros(11))) >= 0)
    assert np.all(np.diff(pair_impact(np.full(11, 0.7), match, np.zeros(11))) >= 0)


def test_a_firm_next_to_the_node_counts_half_again():
    # a maker (hop 0, match 0.5) against a neighbour with the same match (hop 1)
    maker, neighbour = pair_impact(np.array([0.5, 0.5]), np.array([0.6, 0.6]),
                                   np.array([0, 1]))
    assert neighbour == pytest.approx(ENTRY_SHARE * maker)
    assert maker == pytest.approx(0.5 * 0.6)


def test_check_sort():
    assert [check_sort(s) for s in ("value", "likelihood", "impact")] == [
        "value", "likelihood", "impact"]
    with pytest.raises(InvalidArgument, match="sort: one of"):
        check_sort("p_success")


def test_a_firm_whose_figures_are_unknown_has_the_impact_its_known_facts_give():
    # a large-cap listed firm that reports no head count or revenue, and its twin that reports
    # the large class's typical figures
    twins = _firms(**{C.REVENUE: [10_000.0, None], C.EMPLOYEES: [40_000.0, None],
                      C.SIZE_CLASS: ["large", "large"], C.IS_LISTED: [True, True],
                      C.SOURCE: ["listing", "listing"]})
    known, unknown = firm_capability(twins)
    assert unknown == pytest.approx(known)
    assert pair_impact(np.array([0.8]), np.array([unknown]), np.zeros(1))[0] > 0.7
