"""Splits of a training frame in time: what a model may learn from, and what it is measured on.

A training frame (:func:`~recommender.ranking.features.training_frame`) holds one row per
contacted pair, in ranking groups (``group_id`` = campaign x weak link) with a ``date``. A
group's date is its earliest row date (:func:`group_dates`); every split here keeps whole
groups and cuts by group date, so that nothing of a later campaign leaks into what a model
learns from:

- :func:`time_split`: an earlier and a later window (a share of the latest groups, or a
  cutoff date);
- :func:`labels_as_of`: the earlier window's labels as they stood when the later window began;
- :func:`settled_contacts`: the rows of groups old enough to have shown their MoUs, the only
  ones a probability of an MoU may be fitted or measured on;
- :func:`rolling_windows`: the rolling-origin backtest's consecutive later windows, each with
  the groups dated before it;
- :func:`window_of`: rows, groups, first and last date of a window, for reports.

>>> frame = pd.DataFrame({"group_id": ["a", "a", "b", "c"],
...                       "date": ["2024-01-05", "2024-03-01", "2024-02-01", "2024-06-01"]})
>>> window_of(frame)
{'rows': 4, 'groups': 3, 'start': '2024-01-05', 'end': '2024-06-01'}
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.features import REACHED

__all__ = ["BACKTEST_FOLDS", "BACKTEST_SHARE", "CALIBRATION_SHARE", "SETTLED_QUANTILE",
           "group_dates", "labels_as_of", "rolling_windows", "settled_contacts", "time_split",
           "window_of"]

BACKTEST_FOLDS, BACKTEST_SHARE = 4, 0.5  # rolling-origin windows over the latest half
# The latest share of campaign groups a score's probability mapping is fitted on when nothing
# else holds them out (the prior learns nothing from the history: it is served and measured so)
CALIBRATION_SHARE = 0.3
SETTLED_QUANTILE = 0.95  # a campaign is settled once this share of MoUs would have been signed


def group_dates(frame: pd.DataFrame, *, date: str = C.DATE,
                group_id: str = C.GROUP_ID) -> pd.Series:
    """Return each group's date (its earliest row date), sorted by date, then group id."""
    for name in (date, group_id):
        if name not in frame.columns:
            raise InvalidArgument(f"frame: missing column {name!r}")
    dates = pd.to_datetime(frame[date]).groupby(frame[group_id], sort=False).min()
    order = np.lexsort((dates.index.astype(str), dates.to_numpy()))
    return dates.iloc[order]


def time_split(frame: pd.DataFrame, *, test_share: float | None = None, cutoff=None,
               date: str = C.DATE, group_id: str = C.GROUP_ID
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (earlier, later) windows of whole groups, by group date.

    Parameters
    ----------
    test_share : share of the groups in the later window (the latest ones), rounded up;
        0.3 when neither argument is given.
    cutoff : date; groups dated on or after it form the later window.

    Rows keep their order within each part.

    >>> frame = pd.DataFrame({"group_id": ["a", "a", "b", "c"],
    ...                       "date": ["2024-01-05", "2024-03-01", "2024-02-01", "2024-06-01"]})
    >>> [part["group_id"].unique().tolist() for part in time_split(frame, test_share=0.5)]
    [['a'], ['b', 'c']]
    """
    if test_share is not None and cutoff is not None:
        raise InvalidArgument("pass test_share or cutoff, not both")
    dates = group_dates(frame, date=date, group_id=group_id)
    if len(dates) < 2:
        raise InvalidArgument(f"frame: {len(dates)} group(s); a time split needs at least two")
    if cutoff is not None:
        try:
            when = pd.Timestamp(cutoff)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"cutoff: not a date: {cutoff!r}") from exc
        later = dates.index[dates.to_numpy() >= np.datetime64(when)]
    else:
        share = 0.3 if test_share is None else test_share
        if not (isinstance(share, (int, float)) and 0 < share < 1):
            raise InvalidArgument(f"test_share must be in (0, 1), got {share!r}")
        n_test = math.ceil(share * len(dates))
        later = dates.index[len(dates) - n_test:]
    if len(later) == 0 or len(later) == len(dates):
        which = "no" if len(later) == 0 else "every"
        argument = "cutoff" if cutoff is not None else "test_share"
        raise InvalidArgument(f"the split leaves {which} group in the later window; "
                              f"choose another {argument}")
    is_later = frame[group_id].isin(set(later)).to_numpy()
    return frame[~is_later], frame[is_later]


def labels_as_of(frame: pd.DataFrame, when) -> pd.DataFrame:
    """Return the rows of a training frame whose outcome was known before ``when``,
    labelled with the furthest stage recorded before it.

    A model measured on a later window must learn only what was known when that window began:
    a contact still running then (its MoU signed afterwards) counts with the stage it had
    reached, and a contact with no outcome recorded yet is left out. A frame without the
    ``reached_*`` columns (:data:`~recommender.ranking.features.REACHED`) is returned as it is.
    """
    if not set(REACHED) <= set(frame.columns):
        return frame
    cutoff = np.datetime64(pd.Timestamp(when), "ms")
    known = np.stack([frame[name].to_numpy("datetime64[ms]") < cutoff for name in REACHED],
                     axis=1)  # NaT compares False: never reached
    keep = known[:, 0]
    out = frame[keep].copy()
    out[C.LABEL] = known[keep].sum(axis=1).astype(np.int64) - 1
    return out.reset_index(drop=True)


def settled_contacts(frame: pd.DataFrame, *, as_of=None, quantile: float = SETTLED_QUANTILE,
                     relevant: int = 3) -> pd.DataFrame:
    """Return the rows of a training frame whose campaign group is old enough to have shown
    its outcome: dated at least the *settling time* before ``as_of``.

    The settling time is the ``quantile`` of the days from a contact's date to its stage
    ``relevant`` (an MoU) over the contacts that reached it (before ``as_of``): a group
    younger than that would show as declined contacts that are still on their way to an MoU,
    and pull any probability fitted or measured on it down. ``as_of`` is the date the labels
    stand at (for a frame cut by :func:`labels_as_of`, the date given there); by default the
    latest outcome of the frame. A frame without the ``reached_*`` columns (:data:`REACHED`),
    or in which no contact reached the stage, is returned as it is; so is one in which no
    group is settled.

    >>> day = pd.to_datetime
    >>> reached = {f"reached_{s}": day(["2024-05-01", None, None]) for s in (1, 2, 3, 4)}
    >>> frame = pd.DataFrame({"group_id": ["a", "b", "c"],
    ...     "date": day(["2024-01-01", "2024-06-01", "2024-11-01"]),
    ...     "reached_0": day(["2024-01-05", "2024-06-05", "2024-11-05"]), **reached})
    >>> settled_contacts(frame, quantile=1.0)["group_id"].tolist()  # 121 days to settle
    ['a', 'b']
    >>> settled_contacts(frame, quantile=1.0, as_of="2024-08-01")["group_id"].tolist()
    ['a']
    """
    if not set(REACHED) <= set(frame.columns) or not len(frame):
        return frame
    dates = pd.to_datetime(frame[C.DATE])
    signed = pd.to_datetime(frame[REACHED[relevant]])
    if as_of is None:
        latest = pd.concat([pd.to_datetime(frame[name]) for name in REACHED]).max()
    else:
        latest = pd.Timestamp(as_of)
        signed = signed.where(signed < latest)  # what was known then
    lags = (signed - dates).dropna()
    if lags.empty:
        return frame
    group_date = dates.groupby(frame[C.GROUP_ID]).transform("min")
    settled = (group_date <= latest - lags.quantile(quantile)).to_numpy()
    return frame[settled] if settled.any() else frame


def rolling_windows(frame: pd.DataFrame, *, folds: int = BACKTEST_FOLDS,
                    test_share: float = BACKTEST_SHARE, date: str = C.DATE,
                    group_id: str = C.GROUP_ID) -> list[tuple[list, list]]:
    """Return the rolling-origin windows: per window, (the groups before it, its groups).

    The latest ``test_share`` of the groups (by group date, rounded up) are cut into ``folds``
    consecutive windows. A window learns from the groups dated strictly before its first group:
    a group dated on that day is not learned from (it can only be a tie left in the previous
    window, or before the first one).

    >>> frame = pd.DataFrame({"group_id": list("abcdef"),
    ...                       "date": pd.date_range("2024-01-01", periods=6, freq="MS")})
    >>> rolling_windows(frame, folds=2, test_share=0.5)
    [(['a', 'b', 'c'], ['d']), (['a', 'b', 'c', 'd'], ['e', 'f'])]
    """
    if not (isinstance(folds, (int, np.integer)) and folds >= 1):
        raise InvalidArgument(f"folds must be a positive integer, got {folds!r}")
    if not (isinstance(test_share, (int, float)) and 0 < test_share < 1):
        raise InvalidArgument(f"test_share must be in (0, 1), got {test_share!r}")
    dates = group_dates(frame, date=date, group_id=group_id)
    first = len(dates) - math.ceil(test_share * len(dates))
    if first < 1 or len(dates) - first < folds:
        raise InvalidArgument(f"frame: {len(dates)} groups cannot give {folds} later windows "
                              f"of test_share {test_share} with earlier groups to learn from")
    bounds = np.linspace(first, len(dates), folds + 1).round().astype(int)
    windows = []
    for k in range(folds):
        earlier = dates.iloc[:bounds[k]]
        earlier = earlier[earlier < dates.iloc[bounds[k]]]
        windows.append((earlier.index.tolist(), dates.index[bounds[k]:bounds[k + 1]].tolist()))
    return windows


def window_of(frame: pd.DataFrame, *, date: str = C.DATE, group_id: str = C.GROUP_ID) -> dict:
    """Return rows, groups and the first and last group dates of a window."""
    dates = group_dates(frame, date=date, group_id=group_id)
    return {"rows": int(len(frame)), "groups": int(len(dates)),
            "start": str(dates.iloc[0].date()) if len(dates) else None,
            "end": str(dates.iloc[-1].date()) if len(dates) else None}
