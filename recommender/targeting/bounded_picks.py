"""The target list over scored partitions, exactly, without gathering every candidate.

The portfolio's objective (:mod:`recommender.targeting.portfolio`) is submodular: a firm adds
the most to an empty list, so its marginal gain is never more than its *bound*
``U_f = sum_l w_l * p_(f,l)``, summed over the links it is a candidate of. A firm's rows are
all in its own partition, so each partition can rank its firms by bound
(:func:`bounded_firms`): it sends the ``n`` firms of the largest bounds with all their rows
(and every row of an excluded firm, so that the list's notes count them). The driver runs the
same greedy (:func:`~recommender.targeting.portfolio.target_portfolio`) over the rows sent, in
the order the score table gives them (link by link, best score first, ties by firm id), so that
ties go to the same firm.

Each partition says the largest bound it left out in each home country. The picks are those
of all candidates when every pick adds more than ``D``, the largest bound left out in the
countries still open (under their cap) when it was picked: a firm left out adds at most its
bound, so it could never have beaten the pick, and a firm of a full country could not be
picked at all. A list that stops short of ``k`` is exact too when no firm that could add
coverage was left out, or when coverage saturated and ``D`` of the countries still open is
below the saturation threshold. The bounds are loose once the list covers much of the links;
then the driver replays the list's states (each link's uncovered share and the full countries
before each pick, :func:`list_states`) and each partition sends the largest actual marginal
gain of a firm it left out at each state (:func:`left_out_gains`): the picks are exact when each
beats that (and a list stopped short saturated below it). Otherwise ``n`` doubles and the
partitions send again (their scored rows stay where they are); when ``n`` covers every firm,
the greedy runs over all candidates. ``attrs["bound"]`` says how it went.

>>> picks = bounded_target_picks(table, k=30)                      # doctest: +SKIP
>>> picks.attrs["bound"]["rounds"], picks.attrs["bound"]["all_candidates"]  # doctest: +SKIP
(1, False)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.outcome_stages import RECRUITMENT_STAGES
from recommender.targeting.partitions import SCORED_COLUMNS
from recommender.targeting.portfolio import (
    COVERS,
    MARGINAL_GAIN,
    UNKNOWN_COUNTRY,
    target_portfolio,
)
from recommender.targeting.score_table import LANDED_STAGE, POSITION

__all__ = ["FIRST_FIRMS", "LANDED_CODE", "bounded_firms", "bounded_target_picks",
           "exact_by_gains", "exact_picks", "left_out_gains", "list_states",
           "positions_of_picks"]

FIRST_FIRMS = 64  # firms a partition sends at first: the larger of this and 4 k
# a pick's gain must beat the largest bound left out by this share: the bounds are summed in
# another order than the portfolio's gains, so they may differ in their last bits
_SLACK = 1e-9
LANDED_CODE = RECRUITMENT_STAGES.index(LANDED_STAGE) - 1  # the stage code of 投资落地


def _ranked(kept: pd.DataFrame, nodes: list[str], weights: np.ndarray, n: int,
            excluded: list[str]):
    """A partition's usable rows, their link and firm codes, each firm's bound and home, the
    firms sent (a mask) and those left out (their codes, largest bound first)."""
    link = pd.Index(nodes).get_indexer(kept[C.NODE_ID].astype(str))
    usable = (link >= 0) & (kept[C.OUTCOME_STAGE].to_numpy(np.int64) != LANDED_CODE)
    rows, link = kept[usable], link[usable]
    codes, firms = pd.factorize(rows[C.FIRM_ID].astype(str))
    gain = weights[link] * 1.0 * rows[C.VALUE].to_numpy(float)  # as the portfolio's first gains
    bound = np.bincount(codes, weights=gain, minlength=len(firms))
    out = np.asarray(pd.Index(firms).isin(excluded), bool)
    candidates = np.flatnonzero(~out)
    candidates = candidates[np.argsort(-bound[candidates], kind="stable")]
    sent = np.zeros(len(firms), bool)
    sent[candidates[:int(n)]] = True
    home = np.empty(len(firms), object)
    home[codes] = rows[C.COUNTRY].astype("string").str.strip().str.upper().fillna(
        UNKNOWN_COUNTRY).to_numpy(object)
    return rows, link, codes, bound, home, sent | out, candidates[int(n):]


def bounded_firms(kept: pd.DataFrame, nodes: list[str], weights: np.ndarray, n: int,
                  excluded: list[str]) -> tuple[pd.DataFrame, dict[str, float], int]:
    """Return one partition's rows of the ``n`` firms of the largest bounds (and of the
    ``excluded`` firms), the largest bound left out in each home country (upper case, "" for
    none; countries with nothing left out absent) and how many firms were left out; rows of
    firms that already invested for a link are left out for that link."""
    rows, _, codes, bound, home, sent, left = _ranked(kept, nodes, weights, n, excluded)
    largest = pd.Series(bound[left], dtype=float).groupby(home[left]).max()
    return (rows[sent[codes]][SCORED_COLUMNS],
            {str(c): max(float(b), 0.0) for c, b in largest.items()}, int(len(left)))


def left_out_gains(kept: pd.DataFrame, nodes: list[str], weights: np.ndarray, n: int,
                   excluded: list[str], uncovered: np.ndarray, full: list[list[str]]
                   ) -> np.ndarray:
    """Return, for each state ``t`` of the list (``uncovered[t]``: each link's uncovered
    share; ``full[t]``: the countries at their cap), the largest marginal gain of a firm
    :func:`bounded_firms` left out, among those of countries still open (0 if none)."""
    rows, link, codes, _, home, _, left = _ranked(kept, nodes, weights, n, excluded)
    out = np.zeros(len(uncovered))
    if not len(left):
        return out
    mine = np.zeros(len(home), bool)
    mine[left] = True
    at = mine[codes]
    code, link = codes[at], link[at]
    p = rows[C.VALUE].to_numpy(float)[at]
    for t, (state, closed) in enumerate(zip(uncovered, full, strict=True)):
        gains = np.bincount(code, weights=weights[link] * state[link] * p, minlength=len(home))
        open_ = left[~np.isin(home[left].astype(str), list(closed))]
        out[t] = max(float(gains[open_].max()), 0.0) if len(open_) else 0.0
    return out


def list_states(picks: pd.DataFrame, nodes: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Each link's uncovered share before each pick and after the last (rows ``0..len``), and
    the countries at their cap then, replayed from the picks' ``covers``."""
    uncovered = np.ones(len(nodes))
    at = {node: i for i, node in enumerate(nodes)}
    cap, taken = int(picks.attrs["country_cap"]), {}
    states, full = [uncovered.copy()], [[]]
    homes = picks[C.COUNTRY].astype("string").fillna(UNKNOWN_COUNTRY).to_numpy(object)
    for covers, home in zip(picks[COVERS], homes, strict=True):
        for cover in covers:
            uncovered[at[cover[C.NODE_ID]]] *= 1.0 - cover["p"]
        taken[str(home)] = taken.get(str(home), 0) + 1
        states.append(uncovered.copy())
        full.append(sorted(c for c, n in taken.items() if n >= cap))
    return np.vstack(states), full


def exact_by_gains(picks: pd.DataFrame, left_out: np.ndarray, k: int) -> bool:
    """Whether ``picks`` are the picks over all candidates, given the largest gain
    ``left_out[t]`` of a firm left out (of a country still open) at each state ``t``."""
    for t, gain in enumerate(picks[MARGINAL_GAIN].to_numpy(float)):
        if not gain > left_out[t] * (1 + _SLACK):
            return False
    return _complete(picks, k, left_out[len(picks)])


def exact_picks(picks: pd.DataFrame, left_out: dict[str, float], k: int) -> bool:
    """Whether ``picks`` over the firms sent are the picks over all candidates, given the
    largest bound of the firms left out in each home country (see the module)."""
    if max(left_out.values(), default=0.0) <= 0:
        return True
    cap = int(picks.attrs["country_cap"])
    taken: dict[str, int] = {}

    def open_bound() -> float:  # the largest bound left out in a country still open
        return max((b for c, b in left_out.items() if taken.get(c, 0) < cap), default=0.0)

    homes = picks[C.COUNTRY].astype("string").fillna(UNKNOWN_COUNTRY).to_numpy(object)
    for gain, home in zip(picks[MARGINAL_GAIN].to_numpy(float), homes, strict=True):
        if not gain > open_bound() * (1 + _SLACK):
            return False
        taken[home] = taken.get(home, 0) + 1
    return _complete(picks, k, open_bound())


def _complete(picks: pd.DataFrame, k: int, left_out: float) -> bool:
    """Whether a list whose every pick beat what was left out is the whole answer: it holds
    ``k`` picks, or it stopped short because coverage saturated, below the largest gain
    ``left_out`` a firm left out could still add."""
    if len(picks) >= k:
        return True
    return bool(picks.attrs.get("saturated")) and \
        left_out * (1 + _SLACK) < float(picks.attrs["min_gain"])


def bounded_target_picks(table, *, k: int, max_country_share: float = 0.4,
                         top_links: int = 10, exclude: Iterable[str] = (),
                         firms: int | None = None) -> pd.DataFrame:
    """Return :meth:`~recommender.targeting.score_table.ScoreTable.target_picks`'s picks over
    the scored partitions of ``table``
    (a :class:`~recommender.targeting.partitioned_table.PartitionedTable`), each with
    :data:`~recommender.targeting.score_table.POSITION`; ``attrs`` as the score table's
    (``evaluations`` counts the gains computed over the firms sent) and ``bound``:
    ``firms_per_partition`` (the last ``n``), ``rounds``, ``left_out_bound`` (the largest
    bound left out, in any country),
    ``firms_left_out``, ``all_candidates`` (True when no firm was left out) and ``check``
    (what showed the picks exact: ``bounds``, ``gains`` or ``all candidates``). ``firms``:
    the firms a partition sends at first (:data:`FIRST_FIRMS` or ``4 k`` when None).

    Raises
    ------
    DataError
        If no recruitable weak link has a positive score.
    NotFoundError
        If one of the ``top_links`` weakest links is not in the table.
    """
    from recommender.diagnosis.weak_links import weak_link_weights

    weights = weak_link_weights(table.weak_links, top=top_links)
    if weights.empty:
        raise DataError("no recruitable weak link with a positive score: nothing to target")
    nodes = [table.check_node(str(node)) for node in weights.index]
    excluded = sorted({str(f) for f in exclude})
    if firms is None:
        n = max(FIRST_FIRMS, 4 * int(k)) if isinstance(k, int | np.integer) else FIRST_FIRMS
    else:
        n = max(1, int(firms))
    rounds = 0
    while True:
        rounds += 1
        found = table.parts.each(bounded_firms, nodes, weights.to_numpy(float), n, excluded)
        rows = pd.concat([rows for rows, _, _ in found], ignore_index=True)
        left_out: dict[str, float] = {}
        for _, bounds, _ in found:
            for home, bound in bounds.items():
                left_out[home] = max(bound, left_out.get(home, 0.0))
        firms_left = sum(count for _, _, count in found)
        rows = rows.iloc[np.lexsort((rows[C.FIRM_ID].astype(str).to_numpy(),
                                     -rows[C.SCORE].to_numpy(float),
                                     pd.Index(nodes).get_indexer(rows[C.NODE_ID].astype(str))))]
        rows = rows.reset_index(drop=True)
        picks = target_portfolio(_candidates(table, rows), weights, k=k,
                                 max_country_share=max_country_share, exclude=excluded,
                                 p=C.VALUE)
        check = "all candidates" if not firms_left else \
            "bounds" if exact_picks(picks, left_out, int(k)) else None
        if check is None:  # every left-out firm's gain at each step of the list
            states, full = list_states(picks, nodes)
            gains = np.max(np.vstack(table.parts.each(
                left_out_gains, nodes, weights.to_numpy(float), n, excluded, states, full)),
                axis=0)
            check = "gains" if exact_by_gains(picks, gains, int(k)) else None
        if check is not None:
            break
        n *= 2
    picks[POSITION] = positions_of_picks(table, picks, rows)
    picks.attrs["link_weights"] = {str(node): float(w) for node, w in weights.items()}
    picks.attrs["bound"] = {"firms_per_partition": int(n), "rounds": rounds,
                            "left_out_bound": max(left_out.values(), default=0.0),
                            "firms_left_out": int(firms_left),
                            "all_candidates": not firms_left, "check": check}
    return picks


def _candidates(table, rows: pd.DataFrame) -> pd.DataFrame:
    """The portfolio's candidates of ``rows``: firm, link, value and the firm's home country
    as the bundle has it."""
    firm_ids = rows[C.FIRM_ID].astype(str)
    firms = table.firm_rows(firm_ids)
    country = firms.set_index(firms[C.FIRM_ID].astype(str))[C.COUNTRY].reindex(firm_ids)
    return pd.DataFrame({
        C.FIRM_ID: firm_ids.to_numpy(object),
        C.NODE_ID: rows[C.NODE_ID].astype(str).to_numpy(object),
        C.VALUE: rows[C.VALUE].to_numpy(float),
        C.COUNTRY: country.to_numpy(object),
    })


def positions_of_picks(table, picks: pd.DataFrame,
                       rows: pd.DataFrame) -> np.ndarray:
    """Show each pick with its row for the link it covers best (its first row if none), as
    :meth:`~recommender.targeting.score_table.ScoreTable.target_picks` does; ``rows`` are the
    portfolio's candidate rows in its order."""
    if not len(picks):
        return np.zeros(0, np.int64)
    firms = rows[C.FIRM_ID].astype(str).to_numpy(object)
    best = [max(c, key=lambda x: x["gain"])[C.NODE_ID] if len(c) else ""
            for c in picks[COVERS]]
    pairs = pd.MultiIndex.from_arrays([firms, rows[C.NODE_ID].astype(str).to_numpy(object)])
    at = pairs.get_indexer(pd.MultiIndex.from_arrays(
        [picks[C.FIRM_ID].astype(str).to_numpy(object), np.asarray(best, dtype=object)]))
    first = pd.Series(np.arange(len(rows)), index=firms)
    first = first[~first.index.duplicated()]
    fallback = first.reindex(picks[C.FIRM_ID].astype(str)).to_numpy()
    chosen = np.where(at >= 0, at, fallback).astype(np.int64)
    return table.show(rows.iloc[chosen])
