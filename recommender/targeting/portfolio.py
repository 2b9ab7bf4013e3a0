"""Target portfolio (招商目标清单): the K firms to visit that best cover the weak links.

Officers can visit K firms. Candidate rows give, for a firm ``f`` and a weak link ``l``, the
expected share ``p_(f,l)`` of the link the firm fills: its *value*, ``likelihood x impact``
(the probability that it comes, an MoU or better, times the share of the link it fills if it
comes; :mod:`recommender.targeting.impact`). A firm that comes fills ``impact`` of what is
still missing, independently of the others, so a set ``S`` of firms covers the links

    F(S) = sum_l w_l * (1 - prod_(f in S) (1 - p_(f,l)))

in expectation, ``w_l`` the weight of link ``l``
(:func:`recommender.diagnosis.weak_links.weak_link_weights`). ``F`` is monotone and submodular, so
greedy selection is near-optimal (see :func:`greedy_bound_note`). :func:`target_portfolio` picks
firms by lazy greedy, with at most ``floor(max_country_share * k)`` firms (at least 1) from any home
country, so that the list does not rebuild the dependence on one origin it sets out to reduce, and
never an excluded (screened) firm. Once no candidate adds at least :data:`SATURATION_SHARE` of
the links' total weight, coverage has saturated: the list stops there, shorter than ``k``, and
says so (``attrs["saturated"]``) rather than padding with picks that add nothing.

>>> picks = target_portfolio(candidates, weak_link_weights(table), k=30)   # doctest: +SKIP
>>> picks[["pick", "firm_id", "marginal_gain", "coverage_share"]].head(3)  # doctest: +SKIP
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument

__all__ = [
    "COVERAGE_SHARE",
    "COVERS",
    "MARGINAL_GAIN",
    "OBJECTIVE",
    "PICK",
    "PORTFOLIO_COLUMNS",
    "SATURATION_SHARE",
    "UNKNOWN_COUNTRY",
    "coverage_objective",
    "greedy_bound_note",
    "target_portfolio",
]

# Columns that only the portfolio uses (the shared ones live in columns.py).
PICK = "pick"  # 1 = picked first
MARGINAL_GAIN = "marginal_gain"  # F(S + f) - F(S) when f was picked
OBJECTIVE = "objective"  # F of the picks so far
COVERAGE_SHARE = "coverage_share"  # objective / sum of link weights
COVERS = "covers"  # [{"node_id", "p", "gain"}] of the links where the firm adds coverage

PORTFOLIO_COLUMNS = [PICK, C.FIRM_ID, C.COUNTRY, MARGINAL_GAIN, OBJECTIVE, COVERAGE_SHARE, COVERS]
UNKNOWN_COUNTRY = ""  # firms without a home country share one cap
# A pick must add at least this share of the links' total weight: below it coverage has
# saturated (one in ten thousand, far below a 0.1 % step on the dashboard's coverage figure).
SATURATION_SHARE = 1e-4


@dataclass(frozen=True)
class _Problem:
    """Candidates as arrays: rows sorted by firm (first appearance), links by weight index."""

    firm_ids: pd.Index  # firm index -> id
    countries: np.ndarray  # firm index -> country code ("" unknown)
    link_ids: np.ndarray  # link index -> node id
    weights: np.ndarray  # link index -> weight
    row_firm: np.ndarray  # row -> firm index (sorted)
    row_link: np.ndarray  # row -> link index
    row_p: np.ndarray  # row -> p
    indptr: np.ndarray  # firm f's rows are indptr[f]:indptr[f + 1]

    @property
    def n_firms(self) -> int:
        return len(self.firm_ids)

    def gains(self, uncovered: np.ndarray) -> np.ndarray:
        """Return every firm's marginal gain given the uncovered probability of each link."""
        values = self.weights[self.row_link] * uncovered[self.row_link] * self.row_p
        return np.bincount(self.row_firm, weights=values, minlength=self.n_firms)

    def gain(self, firm: int, uncovered: np.ndarray) -> float:
        """Return one firm's marginal gain, summed in the same order as :meth:`gains`."""
        rows = slice(self.indptr[firm], self.indptr[firm + 1])
        link = self.row_link[rows]
        values = self.weights[link] * uncovered[link] * self.row_p[rows]
        return float(np.bincount(np.zeros(len(values), np.intp), weights=values, minlength=1)[0])


def target_portfolio(
    candidates: pd.DataFrame,
    link_weights: pd.Series | Mapping[str, float],
    *,
    k: int = 30,
    max_country_share: float = 0.4,
    exclude: Iterable[str] = (),
    min_gain_share: float = SATURATION_SHARE,
    lazy: bool = True,
    firm_id: str = C.FIRM_ID,
    node_id: str = C.NODE_ID,
    p: str = C.P_SUCCESS,
    country: str = C.COUNTRY,
) -> pd.DataFrame:
    """Pick up to ``k`` firms that maximise the expected weighted coverage of the weak links.

    Parameters
    ----------
    candidates : DataFrame
        One row per (firm, weak link) with the probability ``p`` that the firm fills the link
        and the firm's home ``country``. Several rows for one pair count once, with the highest
        ``p``; rows for links without a positive weight add nothing.
    link_weights : Series or mapping
        Node id -> weight >= 0 (they need not sum to 1).
    k : int
        Visits in the budget.
    max_country_share : float in (0, 1]
        At most ``max(1, floor(max_country_share * k))`` firms per home country; firms with no
        country share one cap.
    exclude : iterable of str
        Firm ids that are never picked (screened entities).
    min_gain_share : float in [0, 1)
        Stop once the best feasible marginal gain is below this share of the total link
        weight (coverage has saturated); 0 picks while any gain is positive.
    lazy : bool
        True: lazy greedy, a priority queue of stale upper bounds on the marginal gains,
        re-evaluating only the top (by submodularity a stale gain bounds the current one, so
        the picks equal plain greedy's). False: plain greedy, every gain every round; for
        checks and benchmarks.
    firm_id, node_id, p, country : str
        Column names of ``candidates``.

    Returns
    -------
    DataFrame
        Columns :data:`PORTFOLIO_COLUMNS`, one row per pick in pick order; ``covers`` lists
        ``{"node_id", "p", "gain"}`` for each link where the firm adds coverage. Ties go to
        the firm that appears first in ``candidates``. ``attrs`` holds ``note`` (why fewer
        than ``k`` firms were picked; "" otherwise), ``saturated`` (True when the list stopped
        short of ``k`` because every firm still allowed would add less than ``min_gain``),
        ``saturated_after`` (the number of picks then, else None), ``min_gain`` (the
        threshold, ``min_gain_share x total_weight``), ``k``, ``country_cap``,
        ``total_weight``, ``objective``, ``evaluations`` (marginal gains computed),
        ``method`` and ``guarantee`` (:func:`greedy_bound_note`).

    Raises
    ------
    InvalidArgument
        (a ValueError) naming the argument: ``p`` outside [0, 1] or missing, a negative or
        non-finite ``link_weights`` value, ``k`` not a non-negative integer,
        ``max_country_share`` outside (0, 1], ``min_gain_share`` outside [0, 1), a firm with
        two home countries, or a missing column.

    Examples
    --------
    >>> candidates = pd.DataFrame({
    ...     "firm_id": ["a", "a", "b", "c"], "node_id": ["x", "y", "x", "y"],
    ...     "p_success": [0.5, 0.5, 0.6, 0.6], "country": ["DE", "DE", "JP", "US"]})
    >>> picks = target_portfolio(candidates, {"x": 1.0, "y": 1.0}, k=2, max_country_share=1)
    >>> picks["firm_id"].tolist(), picks["objective"].round(2).tolist()
    (['a', 'b'], [1.0, 1.3])
    """
    k = _check_k(k)
    cap = _country_cap(max_country_share, k)
    share = _check_min_gain_share(min_gain_share)
    excluded = {str(f) for f in exclude}
    problem = _prepare(candidates, link_weights, exclude=excluded, firm_id=firm_id,
                       node_id=node_id, p=p, country=country)
    total_weight = float(problem.weights.sum())
    min_gain = share * total_weight
    select = _lazy_greedy if lazy else _plain_greedy
    picks, gains, evaluations = select(problem, k, cap, min_gain)
    frame = _picks_frame(problem, picks, gains, total_weight, firm_id=firm_id, country=country,
                         node_id=node_id)
    saturated = len(picks) < k and _any_allowed_left(problem, picks, cap)
    note = (_saturation_note(len(picks), k, min_gain_share=share) if saturated
            else _shortfall_note(problem, picks, k, cap, candidates, excluded, firm_id))
    frame.attrs.update({
        "note": note, "saturated": saturated,
        "saturated_after": len(picks) if saturated else None, "min_gain": min_gain,
        "k": k, "country_cap": cap, "total_weight": total_weight,
        "objective": float(frame[OBJECTIVE].iloc[-1]) if len(frame) else 0.0,
        "evaluations": evaluations, "method": "lazy greedy" if lazy else "greedy",
        "guarantee": greedy_bound_note(capped=cap < k),
    })
    return frame


def coverage_objective(candidates: pd.DataFrame, link_weights: pd.Series | Mapping[str, float],
                       firm_ids: Iterable[str], *, firm_id: str = C.FIRM_ID,
                       node_id: str = C.NODE_ID, p: str = C.P_SUCCESS) -> float:
    """Return F(S) = sum_l w_l (1 - prod_(f in S) (1 - p_(f,l))) for the firms ``firm_ids``.

    Firms without candidate rows add nothing; a firm listed twice counts once.

    Examples
    --------
    >>> candidates = pd.DataFrame({"firm_id": ["a", "b"], "node_id": ["x", "x"],
    ...                            "p_success": [0.5, 0.5]})
    >>> coverage_objective(candidates, {"x": 2.0}, ["a", "b"])
    1.5
    """
    chosen = set(map(str, firm_ids))
    frame = candidates.assign(**{"_country": UNKNOWN_COUNTRY})
    problem = _prepare(frame, link_weights, exclude=set(), firm_id=firm_id, node_id=node_id,
                       p=p, country="_country")
    uncovered = np.ones(len(problem.link_ids))
    for firm in np.flatnonzero(problem.firm_ids.astype(str).isin(list(chosen))):
        rows = slice(problem.indptr[firm], problem.indptr[firm + 1])
        uncovered[problem.row_link[rows]] *= 1.0 - problem.row_p[rows]
    return float(np.sum(problem.weights * (1.0 - uncovered)))


def greedy_bound_note(*, capped: bool = False) -> str:
    """Return one sentence on how close the greedy portfolio is guaranteed to be to the optimum.

    ``F`` is monotone submodular (each firm's chance of filling a link adds less the more
    firms already cover it). For at most ``k`` firms and no other constraint, greedy
    selection reaches at least ``1 - 1/e`` (about 63 %) of the best possible ``F``
    (Nemhauser, Wolsey and Fisher 1978). With caps per home country the feasible sets form a
    matroid (a partition of the firms by country, nested in the budget ``k``: a laminar
    matroid), and plain greedy is then guaranteed only 1/2 of the optimum (Fisher, Nemhauser
    and Wolsey 1978). Reaching ``1 - 1/e`` under a matroid takes other algorithms (the
    continuous greedy with pipage or swap rounding), which this module does not implement.
    Both are worst-case floors; on real instances greedy usually does much better. Lazy
    evaluation changes the running time only, never the picks.

    Parameters
    ----------
    capped : bool
        Whether a country cap below ``k`` constrains the choice.

    Examples
    --------
    >>> greedy_bound_note(capped=False)[:38]
    'Greedy picks reach at least 1 - 1/e (a'
    """
    if capped:
        return ("With caps per home country (a matroid constraint), greedy picks are guaranteed "
                "at least 1/2 of the best possible expected coverage; without caps the "
                "guarantee would be 1 - 1/e (about 63 %).")
    return ("Greedy picks reach at least 1 - 1/e (about 63 %) of the best possible expected "
            "coverage for this budget (the objective is monotone submodular).")


# --- selection ------------------------------------------------------------------------------

def _lazy_greedy(problem: _Problem, k: int, cap: int,
                 min_gain: float = 0.0) -> tuple[list[int], list[float], int]:
    """Return (picks, marginal gains, evaluations) by lazy greedy (a heap of stale bounds),
    stopping when the best gain is below ``min_gain``."""
    uncovered = np.ones(len(problem.link_ids))
    per_country: dict[str, int] = {}
    gains = problem.gains(uncovered)
    evaluations = problem.n_firms
    # Bounds are keys (-bound, firm, number of picks when computed): ties go to the lower
    # index. The first bounds are read in order from sorted blocks; only re-evaluated bounds
    # enter the heap, which stays small. Taking the smaller of the two heads is a heap pop.
    first = _by_bound(gains)
    head = next(first, None)
    heap: list[tuple[float, int, int]] = []
    picks: list[int] = []
    picked_gains: list[float] = []
    while (heap or head is not None) and len(picks) < k:
        if head is not None and (not heap or head < heap[0]):
            neg_bound, firm, stamp = head
            head = next(first, None)
        else:
            neg_bound, firm, stamp = heapq.heappop(heap)
        if -neg_bound < min_gain:  # the largest bound: no firm can add min_gain any more
            break
        if per_country.get(problem.countries[firm], 0) >= cap:
            continue  # its country is full: it can never be picked
        if stamp == len(picks):  # the bound is the current gain and beats every other bound
            picks.append(firm)
            picked_gains.append(-neg_bound)
            _take(problem, firm, uncovered, per_country)
            continue
        gain = problem.gain(firm, uncovered)
        evaluations += 1
        if gain > 0:
            heapq.heappush(heap, (-gain, firm, len(picks)))
    return picks, picked_gains, evaluations


def _by_bound(gains: np.ndarray, block: int = 1024):
    """Yield (-gain, firm, 0) for the positive gains, by gain descending then firm index.

    Sorts lazily, a block of the largest remaining gains at a time (doubling), since lazy
    greedy seldom reads past the first few thousand.
    """
    remaining = np.flatnonzero(gains > 0)
    while len(remaining):
        if len(remaining) > block:
            cut = -np.partition(-gains[remaining], block - 1)[block - 1]
            top = remaining[gains[remaining] >= cut]  # ties at the cut stay in this block
            remaining = remaining[gains[remaining] < cut]
        else:
            top, remaining = remaining, remaining[:0]
        top = top[np.lexsort((top, -gains[top]))]
        for firm, gain in zip(top.tolist(), gains[top].tolist(), strict=True):
            yield (-gain, firm, 0)
        block *= 2


def _plain_greedy(problem: _Problem, k: int, cap: int,
                  min_gain: float = 0.0) -> tuple[list[int], list[float], int]:
    """Return (picks, marginal gains, evaluations) by plain greedy: every gain, every round,
    stopping when the best gain is below ``min_gain``."""
    uncovered = np.ones(len(problem.link_ids))
    per_country: dict[str, int] = {}
    open_ = np.ones(problem.n_firms, dtype=bool)
    picks: list[int] = []
    picked_gains: list[float] = []
    evaluations = 0
    while len(picks) < k and open_.any():
        gains = problem.gains(uncovered)
        evaluations += int(open_.sum())
        gains[~open_] = -np.inf
        firm = int(np.argmax(gains))  # the first of the best: the lowest index among ties
        if not (gains[firm] > 0 and gains[firm] >= min_gain):
            break
        picks.append(firm)
        picked_gains.append(float(gains[firm]))
        _take(problem, firm, uncovered, per_country)
        open_[firm] = False
        full = problem.countries[firm]
        if per_country[full] >= cap:
            open_ &= problem.countries != full
    return picks, picked_gains, evaluations


def _take(problem: _Problem, firm: int, uncovered: np.ndarray, per_country: dict) -> None:
    rows = slice(problem.indptr[firm], problem.indptr[firm + 1])
    uncovered[problem.row_link[rows]] *= 1.0 - problem.row_p[rows]
    code = problem.countries[firm]
    per_country[code] = per_country.get(code, 0) + 1


# --- input and output -----------------------------------------------------------------------

def _prepare(candidates: pd.DataFrame, link_weights, *, exclude: set[str], firm_id: str,
             node_id: str, p: str, country: str) -> _Problem:
    """Validate the candidates and weights and lay them out as arrays."""
    for argument, column in ((C.FIRM_ID, firm_id), (C.NODE_ID, node_id), ("p", p),
                             ("country", country)):
        if column not in candidates.columns:
            raise InvalidArgument(f"{argument}: candidates have no column {column!r}")
    weights = _link_weight_series(link_weights)
    prob = pd.to_numeric(candidates[p], errors="coerce").to_numpy(float, na_value=np.nan)
    bad = ~((prob >= 0) & (prob <= 1))
    if bad.any():
        first = candidates[p].to_numpy()[bad][0]
        raise InvalidArgument(f"p: column {p!r} must hold probabilities in [0, 1]; "
                              f"{int(bad.sum())} row(s) do not, e.g. {first!r}")
    firm_code, firm_ids = pd.factorize(candidates[firm_id], sort=False)  # first appearance
    if (firm_code < 0).any():
        raise InvalidArgument(f"firm_id: column {firm_id!r} has missing firm ids")
    firm_ids = pd.Index(firm_ids)
    homes = candidates[country].astype("string").str.strip().str.upper()
    home_code, home_names = pd.factorize(homes.fillna(UNKNOWN_COUNTRY), sort=False)
    home_of = home_code[np.unique(firm_code, return_index=True)[1]]  # home on its first row
    clash = home_of[firm_code] != home_code
    if clash.any():
        raise InvalidArgument(f"country: firm {firm_ids[firm_code[clash][0]]!r} has more than one "
                              f"home country in {country!r}")

    node_code, node_names = pd.factorize(candidates[node_id].astype("string"), sort=False)
    link_of_node = weights.index.get_indexer(pd.Index(node_names, dtype=object))
    link = np.where(node_code >= 0, link_of_node[node_code], -1)
    usable = (~firm_ids.astype(str).isin(list(exclude)))[firm_code] if exclude else True
    keep = (link >= 0) & (prob > 0) & usable
    keep[keep] = weights.to_numpy(float)[link[keep]] > 0
    kept_firms, firm_new = np.unique(firm_code[keep], return_inverse=True)  # order kept
    link, prob = link[keep], prob[keep]
    pair = firm_new.astype(np.int64) * len(weights) + link
    if pd.Series(pair).duplicated().any():  # one (firm, link) given twice: its best p
        best = pd.Series(prob).groupby(pair, sort=False).max()
        pair, prob = best.index.to_numpy(np.int64), best.to_numpy(float)
        firm_new, link = pair // len(weights), pair % len(weights)
    order = np.argsort(firm_new, kind="stable")
    counts = np.bincount(firm_new, minlength=len(kept_firms))
    return _Problem(
        firm_ids=firm_ids[kept_firms],  # a pandas Index
        countries=np.asarray(home_names, dtype=object)[home_of[kept_firms]],
        link_ids=weights.index.to_numpy(object), weights=weights.to_numpy(float),
        row_firm=firm_new[order].astype(np.intp), row_link=link[order].astype(np.intp),
        row_p=prob[order], indptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.intp),
    )


def _link_weight_series(link_weights) -> pd.Series:
    weights = (link_weights if isinstance(link_weights, pd.Series)
               else pd.Series(dict(link_weights), dtype="float64"))
    weights = pd.to_numeric(weights, errors="coerce").astype("float64")
    weights.index = weights.index.astype(str)
    values = weights.to_numpy(float)
    if not np.all(np.isfinite(values) & (values >= 0)):
        raise InvalidArgument("link_weights: every weight must be a finite number >= 0")
    if weights.index.duplicated().any():
        twice = weights.index[weights.index.duplicated()][0]
        raise InvalidArgument(f"link_weights: node {twice!r} appears more than once")
    return weights


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise InvalidArgument(f"k: expected a whole number of firms >= 0, got {k!r}")
    return int(k)


def _check_min_gain_share(min_gain_share) -> float:
    try:
        share = float(min_gain_share)
    except (TypeError, ValueError):
        share = math.nan
    if not 0 <= share < 1:
        raise InvalidArgument(
            f"min_gain_share: expected a share in [0, 1), got {min_gain_share!r}")
    return share


def _country_cap(max_country_share, k: int) -> int:
    try:
        share = float(max_country_share)
    except (TypeError, ValueError):
        share = math.nan
    if not 0 < share <= 1:
        raise InvalidArgument(
            f"max_country_share: expected a share in (0, 1], got {max_country_share!r}")
    return max(1, math.floor(share * k + 1e-9))  # 0.29 * 100 is 28.999… in binary


def _picks_frame(problem: _Problem, picks: list[int], gains: list[float], total: float, *,
                 firm_id: str, country: str, node_id: str) -> pd.DataFrame:
    uncovered = np.ones(len(problem.link_ids))
    objective, covers = [], []
    for firm in picks:
        rows = slice(problem.indptr[firm], problem.indptr[firm + 1])
        link, prob = problem.row_link[rows], problem.row_p[rows]
        gain = problem.weights[link] * uncovered[link] * prob
        order = np.argsort(-gain, kind="stable")
        covers.append([{node_id: str(problem.link_ids[link[i]]), "p": float(prob[i]),
                        "gain": float(gain[i])} for i in order if gain[i] > 0])
        uncovered[link] *= 1.0 - prob
        objective.append(float(np.sum(problem.weights * (1.0 - uncovered))))
    objective_arr = np.asarray(objective, dtype=float)
    return pd.DataFrame({
        PICK: np.arange(1, len(picks) + 1, dtype=np.int64),
        firm_id: pd.array([str(problem.firm_ids[f]) for f in picks], dtype="str"),
        country: pd.array([problem.countries[f] or None for f in picks], dtype="str"),
        MARGINAL_GAIN: np.asarray(gains, dtype=float),
        OBJECTIVE: objective_arr,
        COVERAGE_SHARE: objective_arr / total if total > 0 else np.zeros(len(picks)),
        COVERS: pd.Series(covers, dtype=object),
    }, columns=[PICK, firm_id, country, MARGINAL_GAIN, OBJECTIVE, COVERAGE_SHARE, COVERS])


def _shortfall_note(problem: _Problem, picks: list[int], k: int, cap: int,
                    candidates: pd.DataFrame, excluded: set[str], firm_id: str) -> str:
    """Say why fewer than ``k`` firms were picked ("" when all ``k`` were)."""
    if len(picks) >= k:
        return ""
    head = f"picked {len(picks)} of k={k}: "
    if candidates.empty:
        return head + "there are no candidates"
    if not (problem.weights > 0).any():
        return head + "no weak link has a positive weight"
    n_excluded = len(excluded & set(candidates[firm_id].astype(str)))
    able = problem.n_firms  # firms left with a positive p on a weighted link
    if able < k:
        return (head + f"only {able} candidate firm(s) can add coverage (p > 0 on a weighted "
                f"link, not excluded; {n_excluded} excluded)")
    per_country = pd.Series(problem.countries).value_counts()
    feasible = int(np.minimum(per_country.to_numpy(), cap).sum())
    if feasible < k:
        return (head + f"the cap of {cap} firm(s) per home country allows at most {feasible} "
                f"from the {len(per_country)} countries of the candidates")
    return head + "the other candidates add no further expected coverage"


def _any_allowed_left(problem: _Problem, picks: list[int], cap: int) -> bool:
    """Whether a firm not picked is still allowed by its country's cap (so the list stopped
    because no such firm adds enough, not for want of firms)."""
    left = np.ones(problem.n_firms, dtype=bool)
    left[picks] = False
    full = pd.Series(problem.countries[picks]).value_counts()
    full = set(full[full >= cap].index)
    return bool(any(problem.countries[f] not in full for f in np.flatnonzero(left)))


def _saturation_note(n_picks: int, k: int, *, min_gain_share: float) -> str:
    """Say that coverage saturated after ``n_picks`` of ``k``.

    >>> _saturation_note(2, 5, min_gain_share=1e-4)[:57]
    'picked 2 of k=5: coverage saturated after 2 picks: the ot'
    """
    picks = "pick" if n_picks == 1 else "picks"
    return (f"picked {n_picks} of k={k}: coverage saturated after {n_picks} {picks}: the other "
            f"candidates add no further expected coverage (none adds {min_gain_share * 100:g} % "
            f"of the links' total weight)")
