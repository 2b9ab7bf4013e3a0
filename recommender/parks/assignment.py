"""Assigning firms to parks: each firm to at most one park, each park within its capacity.

When several parks rank the same firms, every park would chase the same best firms. The
assignment gives each firm at most one park and each park at most ``max_new_firms`` firms, and
maximises the total match score.

**Solver.** This is a maximum-weight bipartite b-matching, solved exactly as an assignment
problem: each park is expanded into as many slots as it can take (its capacity, or its number
of candidates if fewer), and ``scipy.optimize.linear_sum_assignment`` (a shortest augmenting
path method, Crouse 2016) finds the best firm for each slot on the firm x slot matrix. A pair
that is not a candidate scores 0, exactly as good as leaving the slot empty, and pairs scoring
0 or less are dropped first, so a zero in the solution means "unassigned"; with rows and
columns of any count the matrix is rectangular and no dummy rows are needed. It is exact and
polynomial (O(S^2 x F) for S slots and F firms), and adds no dependency: SciPy is already
installed with scikit-learn. A greedy pass would not be exact; an integer programming solver
would be a new dependency for a problem this one solves exactly.

**Size.** The matrix has F x S cells (8 bytes each). Before solving, each park keeps only its
``top_m`` best candidates. With ``top_m`` at least the total capacity of all parks (the
default), the pruning loses nothing: an assignment places at most that many firms, so if a park
holds a firm from outside its top ``top_m``, one of its top ``top_m`` is placed nowhere, and
swapping it in does not lower the total; repeating the swap gives an optimal assignment within
the kept pairs. Then F <= parks x top_m; 15 parks taking 150 firms
in all make a matrix of at most 2,250 x 150, solved in milliseconds. For thousands of parks and
slots (a matrix beyond about 10^8 cells), pass a smaller ``top_m`` (such as 3 x the largest
capacity): the result is then a good heuristic, no longer guaranteed optimal.

>>> pairs = pd.DataFrame({"firm_id": ["a", "a", "b"], "park_id": ["p", "q", "p"],
...                       "score": [0.9, 0.8, 0.7]})
>>> out = assign_firms_to_parks(pairs, {"p": 1, "q": 1})
>>> out[["firm_id", "park_id"]].values.tolist(), round(out.attrs["total"], 2)
([['b', 'p'], ['a', 'q']], 1.5)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError

__all__ = ["assign_firms_to_parks"]


def assign_firms_to_parks(match_scores: pd.DataFrame, capacities, *, top_m: int | None = None,
                          firm_id: str = C.FIRM_ID, park_id: str = C.PARK_ID,
                          score: str = C.SCORE) -> pd.DataFrame:
    """Give each firm at most one park, each park at most its capacity, maximising the total.

    Parameters
    ----------
    match_scores : DataFrame
        One row per admissible (firm, park) pair with its ``score`` (e.g. the admitted rows of
        ``recommender.parks.matching.matches_for_parks``); pairs absent are not allowed. Pairs with
        a score of 0 or less are never assigned.
    capacities : mapping, Series or DataFrame
        Park id -> how many new firms it can take (``max_new_firms``), or a frame with
        ``park_id`` and ``max_new_firms``. Every park of ``match_scores`` needs one.
    top_m : int, optional
        Candidates kept per park before solving; default: the total capacity, which keeps the
        solution optimal (module docstring).

    Returns
    -------
    DataFrame
        The assigned pairs, ``park_id``, ``firm_id``, ``score``, by park then descending score;
        other columns of ``match_scores`` come along. ``attrs["total"]`` is the total score,
        ``attrs["top_m"]`` the pruning used, ``attrs["open_slots"]`` the unfilled capacity per
        park.

    Raises
    ------
    DataError
        On a missing or negative capacity, a repeated (firm, park) pair, or a non-finite score.
    """
    _require(match_scores, [firm_id, park_id, score])
    pairs = match_scores.reset_index(drop=True)
    pairs = pairs.assign(**{firm_id: pairs[firm_id].astype("str"),
                            park_id: pairs[park_id].astype("str")})
    values = pd.to_numeric(pairs[score], errors="coerce").to_numpy(float, na_value=np.nan)
    if not np.isfinite(values).all():
        raise DataError(f"match scores: {int((~np.isfinite(values)).sum())} scores are missing "
                        "or not finite")
    if pairs.duplicated([firm_id, park_id]).any():
        dup = pairs.loc[pairs.duplicated([firm_id, park_id]), [firm_id, park_id]].iloc[0]
        raise DataError(f"match scores: firm {dup[firm_id]!r} and park {dup[park_id]!r} "
                        "appear twice")
    cap = _capacities(capacities, park_id)
    unknown = sorted(set(pairs[park_id]) - set(cap.index))
    if unknown:
        raise DataError(f"no capacity for park(s) {', '.join(unknown[:5])}")
    pairs = pairs[values > 0].assign(_score=values[values > 0])
    total_capacity = int(cap.reindex(pairs[park_id].unique()).sum())
    m = int(top_m) if top_m is not None else max(total_capacity, 1)
    if m < 1:
        raise DataError(f"top_m must be at least 1, got {top_m!r}")
    pairs = (pairs.sort_values([park_id, "_score", firm_id], ascending=[True, False, True])
             .groupby(park_id, sort=False).head(m))
    chosen, total = _solve(pairs, cap, firm_id=firm_id, park_id=park_id)
    out = pairs.iloc[chosen].drop(columns="_score")
    out = out.sort_values([park_id, score, firm_id], ascending=[True, False, True])
    front = [park_id, firm_id, score]
    out = out[front + [c for c in out.columns if c not in front]].reset_index(drop=True)
    taken = out[park_id].value_counts()
    out.attrs["total"] = total
    out.attrs["top_m"] = m
    out.attrs["open_slots"] = {str(p): int(c - taken.get(p, 0)) for p, c in cap.items()
                               if c - taken.get(p, 0) > 0}
    return out


def _solve(pairs: pd.DataFrame, cap: pd.Series, *, firm_id: str,
           park_id: str) -> tuple[np.ndarray, float]:
    """Positions (in ``pairs``) of the chosen pairs, and their total score."""
    from scipy.optimize import linear_sum_assignment

    if pairs.empty:
        return np.array([], int), 0.0
    firm_codes, _ = pd.factorize(pairs[firm_id])
    park_codes, parks = pd.factorize(pairs[park_id])
    candidates = np.bincount(park_codes, minlength=len(parks))
    slots = np.minimum(cap.reindex(parks).to_numpy(np.int64), candidates)
    start = np.concatenate([[0], np.cumsum(slots)])
    matrix = np.zeros((firm_codes.max() + 1, int(start[-1])))
    pair_at = np.full(matrix.shape, -1, dtype=np.int64)
    scores = pairs["_score"].to_numpy(float)
    for p in range(len(parks)):
        if slots[p] == 0:
            continue
        mine = np.flatnonzero(park_codes == p)
        cols = slice(start[p], start[p + 1])
        matrix[firm_codes[mine], cols] = scores[mine, None]
        pair_at[firm_codes[mine], cols] = mine[:, None]
    if matrix.shape[1] == 0:
        return np.array([], int), 0.0
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    chosen = pair_at[rows, cols]
    chosen = chosen[(chosen >= 0) & (matrix[rows, cols] > 0)]
    return np.sort(chosen), float(scores[chosen].sum())


def _capacities(capacities, park_id: str) -> pd.Series:
    if isinstance(capacities, pd.DataFrame):
        _require(capacities, [park_id, C.MAX_NEW_FIRMS])
        series = pd.Series(capacities[C.MAX_NEW_FIRMS].to_numpy(),
                           index=capacities[park_id].astype("str").to_numpy())
    elif isinstance(capacities, Mapping):
        series = pd.Series(dict(capacities), dtype=object)
    else:
        series = pd.Series(capacities)
    series.index = series.index.astype("str")
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() | (values < 0) | (values % 1 != 0)
    if bad.any():
        raise DataError(f"capacity of park {bad[bad].index[0]!r} must be a whole number >= 0, "
                        f"got {series[bad].iloc[0]!r}")
    return values.astype(np.int64).groupby(level=0).min()


def _require(frame: pd.DataFrame, names: list[str]) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}")
