"""The firm-to-park assignment: optimal (checked by brute force), within capacities."""

import itertools

import numpy as np
import pandas as pd
import pytest

from recommender.exceptions import DataError
from recommender.parks.assignment import assign_firms_to_parks


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    firms = [f"f{i}" for i in range(rng.integers(3, 7))]
    parks = [f"p{j}" for j in range(rng.integers(1, 4))]
    pairs = [(f, p, float(np.round(rng.random(), 3))) for f in firms for p in parks
             if rng.random() < 0.7]
    capacities = {p: int(rng.integers(0, 3)) for p in parks}
    return pd.DataFrame(pairs, columns=["firm_id", "park_id", "score"]), capacities


def brute_force(pairs: pd.DataFrame, capacities: dict) -> float:
    """The best total over every assignment: each firm to one of its parks or to none."""
    options = {f: [None] + list(g["park_id"]) for f, g in pairs.groupby("firm_id")}
    score = {(f, p): s for f, p, s in pairs.itertuples(index=False)}
    best = 0.0
    for choice in itertools.product(*options.values()):
        used = pd.Series([p for p in choice if p is not None]).value_counts()
        if any(used.get(p, 0) > c for p, c in capacities.items()):
            continue
        total = sum(score[f, p] for f, p in zip(options, choice, strict=True) if p is not None)
        best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_assignment_is_optimal_on_small_random_cases(seed):
    pairs, capacities = random_case(seed)
    out = assign_firms_to_parks(pairs, capacities)
    assert out.attrs["total"] == pytest.approx(brute_force(pairs, capacities))
    assert out["score"].sum() == pytest.approx(out.attrs["total"])
    assert not out["firm_id"].duplicated().any()
    for park, count in out["park_id"].value_counts().items():
        assert count <= capacities[park]
    allowed = set(zip(pairs["firm_id"], pairs["park_id"], strict=True))
    assert set(zip(out["firm_id"], out["park_id"], strict=True)) <= allowed


@pytest.mark.parametrize("seed", range(5))
def test_pruning_to_the_total_capacity_loses_nothing(seed):
    rng = np.random.default_rng(100 + seed)
    pairs = pd.DataFrame([(f"f{i}", f"p{j}", float(rng.random()))
                          for i in range(60) for j in range(4)],
                         columns=["firm_id", "park_id", "score"])
    capacities = {f"p{j}": int(rng.integers(1, 4)) for j in range(4)}
    pruned = assign_firms_to_parks(pairs, capacities)
    full = assign_firms_to_parks(pairs, capacities, top_m=60)
    assert pruned.attrs["top_m"] == sum(capacities.values())
    assert pruned.attrs["total"] == pytest.approx(full.attrs["total"])


def test_parks_do_not_all_take_the_same_best_firm():
    pairs = pd.DataFrame({"firm_id": ["star", "star", "b", "c"], "park_id": ["p", "q", "p", "q"],
                          "score": [0.9, 0.9, 0.5, 0.4]})
    out = assign_firms_to_parks(pairs, {"p": 1, "q": 1})
    assert out["firm_id"].value_counts().max() == 1
    assert out.attrs["total"] == pytest.approx(1.4)
    assert out.attrs["open_slots"] == {}


def test_capacities_as_the_park_table_and_non_positive_scores():
    pairs = pd.DataFrame({"firm_id": ["a", "b", "c"], "park_id": ["p", "p", "p"],
                          "score": [0.5, 0.0, -1.0], "reason_en": ["x", "y", "z"]})
    out = assign_firms_to_parks(pairs, pd.DataFrame({"park_id": ["p"], "max_new_firms": [3]}))
    assert out[["park_id", "firm_id", "score", "reason_en"]].values.tolist() == [
        ["p", "a", 0.5, "x"]]
    assert out.attrs["open_slots"] == {"p": 2}


def test_no_pairs_give_an_empty_assignment():
    empty = pd.DataFrame({"firm_id": [], "park_id": [], "score": []})
    out = assign_firms_to_parks(empty, {"p": 2})
    assert out.empty and out.attrs["total"] == 0.0


@pytest.mark.parametrize(("pairs", "capacities", "message"), [
    ({"firm_id": ["a"], "park_id": ["p"], "score": [0.5]}, {}, "no capacity for park"),
    ({"firm_id": ["a"], "park_id": ["p"], "score": [0.5]}, {"p": -1}, "whole number >= 0"),
    ({"firm_id": ["a"], "park_id": ["p"], "score": [0.5]}, {"p": None}, "whole number >= 0"),
    ({"firm_id": ["a", "a"], "park_id": ["p", "p"], "score": [0.5, 0.4]}, {"p": 1},
     "appear twice"),
    ({"firm_id": ["a"], "park_id": ["p"], "score": [np.nan]}, {"p": 1}, "not finite"),
    ({"firm_id": ["a"], "park_id": ["p"]}, {"p": 1}, "missing column"),
])
def test_bad_inputs_are_refused(pairs, capacities, message):
    with pytest.raises(DataError, match=message):
        assign_firms_to_parks(pd.DataFrame(pairs), capacities)
