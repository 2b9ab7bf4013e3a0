"""Tables over scored partitions answer as the score table, in this process (no cluster); the
target list over a bounded set of firms is exact, in one round or after doubling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links, weak_link_weights
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.ranking.dataset import chain_data_from_world
from recommender.targeting.bounded_picks import (
    bounded_firms,
    bounded_target_picks,
    exact_by_gains,
    exact_picks,
    left_out_gains,
    list_states,
)
from recommender.targeting.partitioned_table import query_table
from recommender.targeting.portfolio import MARGINAL_GAIN
from recommender.targeting.prior_model import prior_model
from recommender.targeting.recommend import recommend
from recommender.targeting.score_table import POSITION, build_score_table


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=400, seed=5, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links, prior_model(data, weak_links)


@pytest.fixture(scope="module")
def tables(world, tmp_path_factory):
    data, weak_links, model = world
    nodes = list(weak_link_weights(weak_links, top=10).index)
    full = build_score_table(data, weak_links, model, node_ids=nodes)
    kept = query_table(data, weak_links, model, node_ids=nodes, partitions=5,
                       folder=tmp_path_factory.mktemp("parts"))
    return full, kept


def test_top_k_and_rows_equal_the_score_tables(tables):
    full, kept = tables
    for node in full.nodes[:4]:
        for filters in ({}, {"sort": "likelihood"}, {"sort": "impact", "stage": ["none"]},
                        {"country": ["CN", "de"], "include_landed": True}):
            positions, passed = kept.top_k(node, 9, **filters)
            expected, expected_passed = full.top_k(node, 9, **filters)
            assert passed == expected_passed
            pd.testing.assert_frame_equal(kept.rows(positions), full.rows(expected))


def test_the_baseline_rows_are_found_by_rank_through_ties(tables):
    full, kept = tables
    for node in full.nodes[:3]:
        mine, theirs = kept.baselines([node])[node], full.baselines[node]
        pd.testing.assert_series_equal(mine, theirs, check_names=False)


def test_queries_refuse_what_the_score_table_refuses(world, tables):
    data, weak_links, _ = world
    _, kept = tables
    outside = next(n for n in weak_links[C.NODE_ID] if n not in kept.nodes)
    with pytest.raises(NotFoundError, match="not scored in this table"):
        kept.top_k(str(outside), 5)
    with pytest.raises(InvalidArgument, match="size"):
        kept.top_k(kept.nodes[0], 5, size=["enormous"])
    with pytest.raises(InvalidArgument, match="k must be a positive integer"):
        recommend(data, weak_links, kept.nodes[0], k=0, engine=query_table)


@pytest.mark.parametrize(("k", "share", "firms", "check"), [
    (10, 0.4, 1, "gains"), (30, 0.2, 2, "gains"),  # one or two firms a partition: too few
    (400, 1.0, 3, "all candidates"), (400, 0.05, 1, "all candidates"),  # lists stop short
    (20, 0.3, None, "bounds")])
def test_bounded_picks_equal_the_picks_over_every_candidate(tables, k, share, firms, check):
    full, kept = tables
    exclude = list(full.rows(full.ranked(full.nodes[0])[:3])[C.FIRM_ID])
    mine = bounded_target_picks(kept, k=k, max_country_share=share, exclude=exclude,
                                firms=firms)
    theirs = full.target_picks(k=k, max_country_share=share, exclude=exclude)
    pd.testing.assert_frame_equal(mine.drop(columns=[POSITION]),
                                  theirs.drop(columns=[POSITION]))
    pd.testing.assert_frame_equal(kept.rows(mine[POSITION]), full.rows(theirs[POSITION]))
    bound = mine.attrs.pop("bound")
    assert bound["check"] == check
    assert (bound["rounds"] > 1) == (firms is not None)  # doubled until the check held
    mine.attrs.pop("evaluations"), theirs.attrs.pop("evaluations")
    assert mine.attrs == theirs.attrs


def test_a_partition_sends_its_firms_of_the_largest_bounds():
    kept = pd.DataFrame({
        C.FIRM_ID: ["a", "a", "b", "c", "d", "e"], C.NODE_ID: ["x", "y", "x", "y", "x", "z"],
        C.SCORE: np.ones(6), C.P_SUCCESS: np.ones(6), C.IMPACT: np.ones(6),
        C.MATCH: np.ones(6), C.HOP: np.zeros(6, np.int64),
        C.OUTCOME_STAGE: np.array([-1, -1, -1, -1, 4, -1], np.int8),  # d invested in x
        C.VALUE: [0.1, 0.2, 0.25, 0.4, 0.9, 0.9],
        C.COUNTRY: ["DE", "DE", "JP", " us", "CN", "CN"]})
    rows, left_out, count = bounded_firms(kept, ["x", "y"], np.array([1.0, 0.5]), 2, ["b"])
    # bounds: a 0.1 + 0.1, b (excluded) 0.25, c 0.2; d's only row is landed; e on no link
    assert sorted(set(rows[C.FIRM_ID])) == ["a", "b", "c"]
    assert (left_out, count) == ({}, 0)
    rows, left_out, count = bounded_firms(kept, ["x", "y"], np.array([1.0, 0.5]), 1, [])
    assert rows[C.FIRM_ID].tolist() == ["b"]
    assert left_out == pytest.approx({"DE": 0.2, "US": 0.2}) and count == 2


def test_the_lists_states_are_replayed_from_the_picks(tables):
    _, kept = tables
    picks = bounded_target_picks(kept, k=5, max_country_share=0.2)
    nodes = list(picks.attrs["link_weights"])
    states, full = list_states(picks, nodes)
    assert states.shape == (6, len(nodes)) and (states[0] == 1).all()
    assert (np.diff(states, axis=0) <= 0).all() and full[0] == []
    weights = np.asarray(list(picks.attrs["link_weights"].values()))
    objective = (weights * (1 - states[1:])).sum(axis=1)
    np.testing.assert_allclose(objective, picks["objective"].to_numpy(), rtol=1e-12)
    gains = np.max(np.vstack(kept.parts.each(left_out_gains, nodes, weights, 1, [], states,
                                             full)), axis=0)
    assert gains.shape == (6,) and (gains[1:] <= gains[:-1] + 1e-12).all()
    assert exact_by_gains(picks, np.zeros(6), 5) and not exact_by_gains(picks, gains + 1, 5)


def test_picks_are_exact_only_when_each_gain_beats_the_largest_bound_left_out():
    picks = pd.DataFrame({C.COUNTRY: ["DE", "JP"], MARGINAL_GAIN: [0.5, 0.3]})
    picks.attrs.update({"saturated": False, "min_gain": 1e-4, "country_cap": 1})
    assert exact_picks(picks, {"US": 0.2}, 2) and exact_picks(picks, {}, 5)
    assert not exact_picks(picks, {"US": 0.3}, 2)  # a firm left out might tie, and come first
    assert not exact_picks(picks, {"US": 0.2}, 3)  # stopped short: one left out may come next
    # a firm left out in a country already full could not be picked after it filled
    assert exact_picks(picks, {"DE": 0.4}, 2) and not exact_picks(picks, {"JP": 0.4}, 2)
    picks.attrs.update({"saturated": True, "min_gain": 0.25})
    assert exact_picks(picks, {"US": 0.2}, 3) and not exact_picks(picks, {"US": 0.26}, 3)
    assert exact_picks(picks, {"DE": 0.45, "JP": 0.28}, 3)  # both full by the end
