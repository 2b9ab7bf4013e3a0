"""Engagement for this link and elsewhere, apart: hand-computed cases and no leakage."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.ranking import feature_registry as R
from recommender.ranking.engagement import engagement

DAY = np.datetime64("2024-06-01")


def outcomes(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE,
                                        C.OUTCOME_STAGE])
    return frame.assign(**{C.DATE: pd.to_datetime(frame[C.DATE]).astype("datetime64[ms]")})


HISTORY = outcomes([
    ("f1", "pumps", "K1", "2023-01-10", 0),    # declined the pumps once
    ("f1", "pumps", "K3", "2023-09-01", 1),    # then answered for the pumps
    ("f1", "valves", "K2", "2023-05-01", 2),   # and went far for the valves,
    ("f1", "valves", "K2", "2023-08-01", 4),   # investing (one contact, two rows)
    ("f2", "valves", "K2", "2023-05-01", 0),
])


def features(firms, nodes, days, history=HISTORY) -> pd.DataFrame:
    got = engagement(pd.Series(firms), pd.Series(nodes),
                     np.asarray(days, dtype="datetime64[D]"), history)
    return pd.DataFrame(got)


def test_this_link_and_elsewhere_are_counted_apart():
    got = features(["f1", "f1", "f2", "f3"], ["pumps", "valves", "pumps", "pumps"], [DAY] * 4)
    pumps, valves, other, stranger = (got.iloc[i] for i in range(4))
    # for the pumps: two contacts, one declined, the furthest stage 1; elsewhere: invested
    assert (pumps[R.LINK_CONTACTS], pumps[R.LINK_DECLINES], pumps[R.LINK_BEST_STAGE]) == (2, 1, 1)
    assert pumps[R.ELSEWHERE_MEAN_STAGE] == 4
    # for the valves the same firm invested; elsewhere (the pumps) it got to 0 and 1
    assert (valves[R.LINK_CONTACTS], valves[R.LINK_DECLINES], valves[R.LINK_BEST_STAGE]) == (
        1, 0, 4)
    assert valves[R.ELSEWHERE_MEAN_STAGE] == 0.5
    # the whole record is the same for both links of one firm
    assert pumps[R.PRIOR_CONTACTS] == valves[R.PRIOR_CONTACTS] == 3
    assert pumps[R.BEST_PRIOR_STAGE] == valves[R.BEST_PRIOR_STAGE] == 4
    # f2 never dealt with the pumps: no link record, its decline elsewhere is its record
    assert other[R.LINK_CONTACTS] == 0 and np.isnan(other[R.LINK_BEST_STAGE])
    assert other[R.ELSEWHERE_MEAN_STAGE] == 0
    assert stranger[R.PRIOR_CONTACTS] == 0 and np.isnan(stranger[R.ELSEWHERE_MEAN_STAGE])


@pytest.mark.parametrize("day, link, best, elsewhere", [
    ("2023-01-10", 0, np.nan, np.nan),   # the first outcome is on the day: not yet known
    ("2023-01-11", 1, 0, np.nan),
    ("2023-05-02", 1, 0, 2),             # the valves contact had reached 2 by then
    ("2023-08-02", 1, 0, 4),             # … and 4 a little later
    ("2023-09-01", 1, 0, 4),             # the pumps' second contact is on the day
    ("2023-09-02", 2, 1, 4),
])
def test_only_outcomes_strictly_before_the_day_count(day, link, best, elsewhere):
    got = features(["f1"], ["pumps"], [np.datetime64(day)]).iloc[0]
    assert got[R.LINK_CONTACTS] == link
    np.testing.assert_equal(got[R.LINK_BEST_STAGE], best)
    np.testing.assert_equal(got[R.ELSEWHERE_MEAN_STAGE], elsewhere)


def test_outcomes_on_or_after_the_day_change_nothing():
    firms, nodes, days = ["f1", "f1", "f2"], ["pumps", "valves", "valves"], [DAY] * 3
    before = features(firms, nodes, days)
    late = outcomes([("f1", "pumps", "K9", "2024-06-01", 4),
                     ("f2", "valves", "K9", "2024-07-01", 3),
                     ("f1", "valves", "K9", "2025-01-01", 0)])
    after = features(firms, nodes, days, pd.concat([HISTORY, late], ignore_index=True))
    pd.testing.assert_frame_equal(after, before)
    # the same outcomes a day before the pairs' date do count
    early = late.assign(**{C.DATE: pd.Timestamp("2024-05-31")})
    moved = features(firms, nodes, days, pd.concat([HISTORY, early], ignore_index=True))
    assert moved[R.LINK_CONTACTS].tolist() == [3, 2, 2]
    assert moved[R.LINK_BEST_STAGE].tolist() == [4, 4, 3]


def test_no_history_gives_no_record():
    got = features(["f1"], ["pumps"], [DAY], HISTORY.iloc[0:0])
    assert got[R.LINK_CONTACTS].tolist() == [0] and np.isnan(got[R.ELSEWHERE_MEAN_STAGE][0])
