"""Splits in time: whole groups by group date, labels as of a date, rolling-origin windows."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.features import REACHED
from recommender.ranking.splits import (
    group_dates,
    labels_as_of,
    rolling_windows,
    time_split,
    window_of,
)


def _groups(dates: list[str], rows: int = 2) -> pd.DataFrame:
    """``rows`` rows per group g0, g1, …, group k dated ``dates[k]``."""
    return pd.DataFrame({C.GROUP_ID: [f"g{k}" for k in range(len(dates)) for _ in range(rows)],
                         C.DATE: pd.to_datetime([d for d in dates for _ in range(rows)])})


FOUR = ["2022-01-01", "2022-01-11", "2022-01-21", "2022-01-31"]


def test_time_split_by_hand():
    frame = pd.DataFrame({C.GROUP_ID: ["a", "a", "b", "c", "c"],
                          C.DATE: ["2024-01-05", "2024-03-01", "2024-02-01", "2024-06-01",
                                   "2023-12-31"]})
    # group dates: a 2024-01-05, b 2024-02-01, c 2023-12-31 -> order c, a, b
    assert group_dates(frame).index.tolist() == ["c", "a", "b"]
    earlier, later = time_split(frame, test_share=0.34)  # ceil(0.34 x 3) = 2 groups
    assert earlier[C.GROUP_ID].unique().tolist() == ["c"]
    assert later[C.GROUP_ID].unique().tolist() == ["a", "b"]
    assert later.index.tolist() == [0, 1, 2]  # rows keep their order, groups stay whole
    earlier, later = time_split(frame, cutoff="2024-01-05")
    assert set(earlier[C.GROUP_ID]) == {"c"} and set(later[C.GROUP_ID]) == {"a", "b"}
    assert window_of(later) == {"rows": 3, "groups": 2, "start": "2024-01-05",
                                "end": "2024-02-01"}


@pytest.mark.parametrize("kwargs, match", [
    ({"test_share": 0.3, "cutoff": "2024-01-01"}, "not both"),
    ({"test_share": 1.2}, r"test_share must be in \(0, 1\)"),
    ({"cutoff": "2030-01-01"}, "leaves no group in the later window"),
    ({"cutoff": "2000-01-01"}, "leaves every group in the later window"),
    ({"cutoff": "not a date"}, "cutoff: not a date"),
])
def test_time_split_refuses_bad_arguments(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        time_split(_groups(FOUR), **kwargs)


def test_time_split_needs_two_groups_and_the_columns():
    with pytest.raises(InvalidArgument, match="at least two"):
        time_split(_groups(FOUR[:1]))
    with pytest.raises(InvalidArgument, match="missing column 'group_id'"):
        time_split(_groups(FOUR).drop(columns=C.GROUP_ID))


def test_labels_as_of_by_hand():
    nat = pd.NaT
    frame = pd.DataFrame({
        C.GROUP_ID: ["K1|c", "K1|c", "K2|c"], C.FIRM_ID: ["a", "b", "c"], C.LABEL: [2, 0, 0],
        # one list per reached_s column, rows a, b, c: a first outcome 01-01, responded
        # 02-01, site visit 03-01; b first outcome 02-15; c 04-01
        **{name: pd.to_datetime(when).astype("datetime64[ms]") for name, when in zip(REACHED, [
            ["2024-01-01", "2024-02-15", "2024-04-01"], ["2024-02-01", nat, nat],
            ["2024-03-01", nat, nat], [nat, nat, nat], [nat, nat, nat]], strict=True)}})
    known = labels_as_of(frame, "2024-02-20")
    # c had no outcome yet; a had reached stage 1 (responded), b stage 0
    assert known[C.FIRM_ID].tolist() == ["a", "b"] and known[C.LABEL].tolist() == [1, 0]
    assert labels_as_of(frame, "2024-05-01")[C.LABEL].tolist() == [2, 0, 0]
    bare = frame.drop(columns=list(REACHED))
    assert labels_as_of(bare, "2024-02-20") is bare


def test_rolling_windows_by_hand():
    frame = _groups(["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01", "2024-04-01",
                     "2024-05-01"])
    # latest half: 3 groups (g3, g4, g5) in 2 windows cut at round(4.5) = 4 -> [g3], [g4, g5];
    # g2 shares g3's day, so the first window does not learn from it
    assert rolling_windows(frame, folds=2, test_share=0.5) == [
        (["g0", "g1"], ["g3"]), (["g0", "g1", "g2", "g3"], ["g4", "g5"])]


@pytest.mark.parametrize("kwargs, match", [
    ({"folds": 0}, "folds must be a positive integer"),
    ({"folds": 2.0}, "folds must be a positive integer"),
    ({"test_share": 1.5}, r"test_share must be in \(0, 1\)"),
    ({"folds": 3, "test_share": 0.5}, "cannot give 3 later windows"),
    ({"folds": 1, "test_share": 0.99}, "with earlier groups to learn from"),
])
def test_rolling_windows_refuse_bad_arguments(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        rolling_windows(_groups(FOUR), **kwargs)
