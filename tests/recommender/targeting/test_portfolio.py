"""Target portfolio: the objective by hand, lazy = plain greedy, the greedy bound, caps, notes."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.targeting.portfolio import (
    COVERS,
    PORTFOLIO_COLUMNS,
    coverage_objective,
    greedy_bound_note,
    target_portfolio,
)


def frame(rows) -> pd.DataFrame:
    """Candidates from (firm, node, p, country) tuples."""
    return pd.DataFrame(rows, columns=[C.FIRM_ID, C.NODE_ID, C.P_SUCCESS, C.COUNTRY])


TWO_LINKS = frame([("a", "x", 0.5, "DE"), ("a", "y", 0.5, "DE"), ("b", "x", 0.6, "JP"),
                   ("c", "y", 0.6, "US")])


def random_case(seed: int, n_firms: int = 9, n_links: int = 4, n_countries: int = 3):
    """Return (candidates, weights, P matrix, w vector, country per firm) for a random case."""
    rng = np.random.default_rng(seed)
    p = np.where(rng.random((n_firms, n_links)) < 0.5, rng.random((n_firms, n_links)), 0.0)
    w = rng.random(n_links)
    home = rng.integers(n_countries, size=n_firms)
    f, link = np.nonzero(p)
    candidates = frame([(f"f{i}", f"l{j}", p[i, j], "ABCDE"[home[i]])
                        for i, j in zip(f, link, strict=True)])
    return candidates, pd.Series(w, index=[f"l{j}" for j in range(n_links)]), p, w, home


def brute_objective(p: np.ndarray, w: np.ndarray, firms) -> float:
    firms = list(firms)
    return float(np.sum(w * (1 - np.prod(1 - p[firms], axis=0)))) if firms else 0.0


# --- the objective --------------------------------------------------------------------------

@pytest.mark.parametrize(("firms", "expected"), [
    ([], 0.0),
    (["a"], 1 * 0.5 + 2 * 0.5),
    (["a", "b"], 1 * (1 - 0.5 * 0.4) + 2 * 0.5),
    (["a", "b", "c"], 1 * (1 - 0.5 * 0.4) + 2 * (1 - 0.5 * 0.4)),
    (["a", "a"], 1.5),  # a firm listed twice counts once
    (["a", "nobody"], 1.5),  # a firm without candidate rows adds nothing
])
def test_coverage_objective_by_hand(firms, expected):
    assert coverage_objective(TWO_LINKS, {"x": 1.0, "y": 2.0}, firms) == pytest.approx(expected)


def test_picks_report_gains_objective_share_and_covers_by_hand():
    picks = target_portfolio(TWO_LINKS, {"x": 1.0, "y": 1.0}, k=2, max_country_share=1)
    assert list(picks.columns) == PORTFOLIO_COLUMNS
    assert picks["pick"].tolist() == [1, 2]
    assert picks[C.FIRM_ID].tolist() == ["a", "b"]
    assert picks[C.COUNTRY].tolist() == ["DE", "JP"]
    np.testing.assert_allclose(picks["marginal_gain"], [1.0, 0.6 * 0.5])
    np.testing.assert_allclose(picks["objective"], [1.0, 1.3])
    np.testing.assert_allclose(picks["coverage_share"], [0.5, 0.65])
    assert picks.loc[1, COVERS] == [{C.NODE_ID: "x", "p": 0.6, "gain": pytest.approx(0.3)}]
    assert [c[C.NODE_ID] for c in picks.loc[0, COVERS]] == ["x", "y"]
    assert picks.attrs["objective"] == pytest.approx(
        coverage_objective(TWO_LINKS, {"x": 1.0, "y": 1.0}, ["a", "b"]))
    assert picks.attrs["note"] == ""


# --- greedy, lazy and optimal -----------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("share", [1.0, 0.5])
def test_lazy_greedy_picks_exactly_what_plain_greedy_picks(seed, share):
    candidates, weights, *_ = random_case(seed, n_firms=14, n_links=5)
    lazy = target_portfolio(candidates, weights, k=6, max_country_share=share)
    plain = target_portfolio(candidates, weights, k=6, max_country_share=share, lazy=False)
    assert lazy[C.FIRM_ID].tolist() == plain[C.FIRM_ID].tolist()
    assert lazy["marginal_gain"].tolist() == plain["marginal_gain"].tolist()
    assert lazy.attrs["evaluations"] <= plain.attrs["evaluations"]


def test_lazy_greedy_breaks_ties_like_plain_greedy():
    tied = frame([("b", "x", 0.5, "DE"), ("a", "y", 0.5, "JP"), ("c", "x", 0.5, "US")])
    for lazy in (True, False):
        picks = target_portfolio(tied, {"x": 1.0, "y": 1.0}, k=2, max_country_share=1,
                                 lazy=lazy)
        assert picks[C.FIRM_ID].tolist() == ["b", "a"]  # first appearance wins a tie


@pytest.mark.parametrize("seed", range(15))
def test_greedy_is_within_1_minus_1_over_e_of_the_optimum(seed):
    candidates, weights, p, w, _ = random_case(seed)
    for k in (1, 2, 3, 4):
        picks = target_portfolio(candidates, weights, k=k, max_country_share=1)
        best = max(brute_objective(p, w, s) for s in itertools.combinations(range(len(p)), k))
        chosen = [int(f[1:]) for f in picks[C.FIRM_ID]]
        assert picks.attrs["objective"] == pytest.approx(brute_objective(p, w, chosen))
        assert picks.attrs["objective"] >= (1 - 1 / math.e) * best - 1e-12


@pytest.mark.parametrize("seed", range(10))
def test_greedy_with_country_caps_is_within_half_of_the_capped_optimum(seed):
    candidates, weights, p, w, home = random_case(seed)
    k, cap = 4, 2
    picks = target_portfolio(candidates, weights, k=k, max_country_share=0.5)
    feasible = [s for s in itertools.combinations(range(len(p)), k)
                if np.bincount(home[list(s)]).max() <= cap]
    best = max(brute_objective(p, w, s) for s in feasible)
    assert picks.attrs["objective"] >= 0.5 * best - 1e-12


# --- constraints ----------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "share", "cap"), [(10, 0.4, 4), (5, 0.4, 2), (30, 0.4, 12),
                                                 (100, 0.29, 29), (3, 0.1, 1)])
def test_country_caps_are_respected(k, share, cap):
    candidates, weights, *_ = random_case(3, n_firms=60, n_links=6, n_countries=4)
    picks = target_portfolio(candidates, weights, k=k, max_country_share=share)
    assert picks.attrs["country_cap"] == cap
    assert picks[C.COUNTRY].value_counts().max() <= cap


def test_a_capped_country_gives_way_to_the_next_best_firm():
    one_country = frame([("a", "x", 0.9, "US"), ("b", "y", 0.9, "US"), ("c", "x", 0.1, "JP")])
    picks = target_portfolio(one_country, {"x": 1.0, "y": 1.0}, k=2, max_country_share=0.5)
    assert picks[C.FIRM_ID].tolist() == ["a", "c"]


def test_excluded_firms_are_never_picked():
    picks = target_portfolio(TWO_LINKS, {"x": 1.0, "y": 1.0}, k=3, max_country_share=1,
                             exclude=["a"])
    assert picks[C.FIRM_ID].tolist() == ["b", "c"]
    assert "1 excluded" in picks.attrs["note"]


@pytest.mark.parametrize(("rows", "expected"), [
    # one firm on two links beats two duplicates on one link: 1.0 + 0.35 > 1 - 0.3 * 0.3
    ([("two", "x", 0.5, "DE"), ("two", "y", 0.5, "DE"), ("dup1", "x", 0.7, "JP"),
      ("dup2", "x", 0.7, "US")], ["two", "dup1"]),
    # ... unless its chances are too small: 0.3 + 0.3 < 0.9
    ([("two", "x", 0.3, "DE"), ("two", "y", 0.3, "DE"), ("dup1", "x", 0.9, "JP"),
      ("dup2", "x", 0.9, "US")], ["dup1", "two"]),
])
def test_a_firm_covering_two_links_wins_when_the_numbers_say_so(rows, expected):
    candidates = frame(rows)
    picks = target_portfolio(candidates, {"x": 1.0, "y": 1.0}, k=2, max_country_share=1)
    assert picks[C.FIRM_ID].tolist() == expected
    assert picks.attrs["objective"] >= coverage_objective(candidates, {"x": 1, "y": 1},
                                                          ["dup1", "dup2"])


def test_a_pair_given_twice_counts_once_with_its_best_p():
    doubled = frame([("a", "x", 0.2, "DE"), ("a", "x", 0.7, "DE")])
    picks = target_portfolio(doubled, {"x": 1.0}, k=1)
    assert picks["marginal_gain"].tolist() == [pytest.approx(0.7)]


def test_links_without_weight_and_zero_probabilities_add_nothing():
    candidates = frame([("a", "x", 0.5, "DE"), ("b", "unweighted", 0.9, "JP"),
                        ("c", "x", 0.0, "US")])
    picks = target_portfolio(candidates, {"x": 1.0, "z": 0.0}, k=3, max_country_share=1)
    assert picks[C.FIRM_ID].tolist() == ["a"]
    assert "only 1 candidate firm(s) can add coverage" in picks.attrs["note"]


# --- fewer picks than asked, and bad input --------------------------------------------------

@pytest.mark.parametrize(("candidates", "weights", "k", "kwargs", "n", "note"), [
    (TWO_LINKS.iloc[0:0], {"x": 1.0}, 5, {}, 0, "there are no candidates"),
    (TWO_LINKS, {"x": 0.0, "y": 0.0}, 2, {}, 0, "no weak link has a positive weight"),
    (TWO_LINKS, {"x": 1.0, "y": 1.0}, 5, {"max_country_share": 1}, 3,
     "only 3 candidate firm(s) can add coverage"),
    (frame([(f"us{i}", "x", 0.5, "US") for i in range(6)]), {"x": 1.0}, 5, {}, 2,
     "the cap of 2 firm(s) per home country allows at most 2"),
    (frame([("sure", "x", 1.0, "DE"), ("other", "x", 0.5, "JP")]), {"x": 1.0}, 2,
     {"max_country_share": 1}, 1, "the other candidates add no further expected coverage"),
])
def test_fewer_picks_than_k_say_why(candidates, weights, k, kwargs, n, note):
    picks = target_portfolio(candidates, weights, k=k, **kwargs)
    assert len(picks) == n
    assert list(picks.columns) == PORTFOLIO_COLUMNS
    assert picks.attrs["note"].startswith(f"picked {n} of k={k}: ")
    assert note in picks.attrs["note"]


def test_k_zero_picks_nothing_quietly():
    picks = target_portfolio(TWO_LINKS, {"x": 1.0}, k=0)
    assert picks.empty and picks.attrs["note"] == ""


@pytest.mark.parametrize(("candidates", "kwargs", "match"), [
    (frame([("a", "x", 1.5, "DE")]), {}, r"^p: column 'p_success' must hold probabilities"),
    (frame([("a", "x", -0.1, "DE")]), {}, r"^p: "),
    (frame([("a", "x", float("nan"), "DE")]), {}, r"^p: "),
    (TWO_LINKS.drop(columns=C.COUNTRY), {}, r"^country: candidates have no column 'country'"),
    (frame([("a", "x", 0.5, "DE"), ("a", "y", 0.5, "FR")]), {},
     r"^country: firm 'a' has more than one home country"),
    (TWO_LINKS, {"k": -1}, r"^k: "),
    (TWO_LINKS, {"k": 2.5}, r"^k: "),
    (TWO_LINKS, {"max_country_share": 0}, r"^max_country_share: "),
    (TWO_LINKS, {"max_country_share": 1.5}, r"^max_country_share: "),
])
def test_bad_input_raises_value_error_naming_the_argument(candidates, kwargs, match):
    with pytest.raises(ValueError, match=match):
        target_portfolio(candidates, {"x": 1.0, "y": 1.0}, **kwargs)


@pytest.mark.parametrize("weights", [{"x": -1.0}, {"x": float("inf")}, {"x": float("nan")}])
def test_bad_link_weights_are_named(weights):
    with pytest.raises(ValueError, match="^link_weights: "):
        target_portfolio(TWO_LINKS, weights)


def test_other_column_names_can_be_given():
    renamed = TWO_LINKS.rename(columns={C.FIRM_ID: "firm", C.NODE_ID: "link", C.P_SUCCESS: "prob",
                                        C.COUNTRY: "home"})
    picks = target_portfolio(renamed, {"x": 1.0, "y": 1.0}, k=1, firm_id="firm",
                             node_id="link", p="prob", country="home")
    assert picks["firm"].tolist() == ["a"] and picks["home"].tolist() == ["DE"]


# --- the guarantee ----------------------------------------------------------------------------

def test_the_guarantee_note_is_honest_about_caps():
    assert "1 - 1/e" in greedy_bound_note(capped=False)
    assert "1/2" in greedy_bound_note(capped=True)
    assert "1/2" in greedy_bound_note.__doc__ and "1 - 1/e" in greedy_bound_note.__doc__
    capped = target_portfolio(TWO_LINKS, {"x": 1.0, "y": 1.0}, k=3, max_country_share=0.4)
    free = target_portfolio(TWO_LINKS, {"x": 1.0, "y": 1.0}, k=3, max_country_share=1)
    assert capped.attrs["guarantee"] == greedy_bound_note(capped=True)
    assert free.attrs["guarantee"] == greedy_bound_note(capped=False)


# --- saturation: stop rather than pad -------------------------------------------------------

# a and b each fill their link all but surely; after them every other firm adds < 1e-4 of it.
NEARLY_SURE = frame([("a", "x", 0.99999, "DE"), ("b", "y", 0.99999, "JP"),
                     ("c", "x", 0.9, "US"), ("d", "y", 0.5, "FR"), ("e", "x", 0.3, "GB"),
                     ("f", "y", 0.2, "KR")])


@pytest.mark.parametrize("lazy", [True, False])
def test_coverage_saturated_after_two_picks_stops_and_says_so(lazy):
    picks = target_portfolio(NEARLY_SURE, {"x": 1.0, "y": 1.0}, k=5, max_country_share=1,
                             lazy=lazy)
    assert picks[C.FIRM_ID].tolist() == ["a", "b"]
    assert picks.attrs["saturated"] is True and picks.attrs["saturated_after"] == 2
    assert picks.attrs["min_gain"] == pytest.approx(2e-4)
    assert picks.attrs["note"].startswith("picked 2 of k=5: coverage saturated after 2 picks")
    assert "0.01 % of the links' total weight" in picks.attrs["note"]


def test_without_a_threshold_the_list_pads_with_tiny_gains():
    picks = target_portfolio(NEARLY_SURE, {"x": 1.0, "y": 1.0}, k=5, max_country_share=1,
                             min_gain_share=0)
    assert len(picks) == 5 and picks.attrs["saturated"] is False
    assert picks["marginal_gain"].iloc[2:].max() < 1e-4
    assert picks.attrs["saturated_after"] is None and picks.attrs["note"] == ""


def test_a_list_cut_by_country_caps_is_not_called_saturated():
    candidates = frame([(f"us{i}", "x", 0.5, "US") for i in range(6)])
    picks = target_portfolio(candidates, {"x": 1.0}, k=5)
    assert len(picks) == 2 and picks.attrs["saturated"] is False
    assert "the cap of 2 firm(s)" in picks.attrs["note"]


@pytest.mark.parametrize("share", [-0.1, 1.0, "a lot", None])
def test_a_bad_min_gain_share_is_refused(share):
    with pytest.raises(ValueError, match=r"^min_gain_share: "):
        target_portfolio(TWO_LINKS, {"x": 1.0}, k=2, min_gain_share=share)
