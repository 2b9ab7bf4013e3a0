"""Candidate pairs: hop 0 and hop 1, best match per pair, local firms out, partition invariance."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from recommender import columns as C
from recommender.demo.world import load_region
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.ranking.candidates import (
    DEFAULT_CONFIDENCE,
    arrow_strings,
    candidate_pairs,
    index_in,
    pair_match,
)


def toy_firms() -> tuple[pd.DataFrame, pd.DataFrame]:
    firms = pd.DataFrame({
        C.FIRM_ID: ["f1", "f2", "f3", "f4", "f5", "f6"],
        C.COUNTRY: ["US", "DE", "JP", "CN", "CN", "KR"],
        C.PROVINCE: [None, None, None, "Guangdong", "Shanghai", None],
        C.CITY: ["Boston", "Jena", "Kyoto", "Shenzhen", "Shanghai", "Suwon"],
    }).astype("str")
    links = pd.DataFrame([
        ("f1", "c", 0.8, "keyword"), ("f1", "c", 0.9, "classifier"),  # max over methods: 0.9
        ("f2", "a", 0.6, "keyword"),                                  # c at hop 1: 0.3
        ("f3", "c", 0.3, "keyword"), ("f3", "a", 0.9, "keyword"),     # c at hop 0: max(.3, .45)
        ("f4", "c", 1.0, "reference"),                                # local: left out
        ("f5", "e", 0.5, "keyword"),                                  # c and d at hop 1: 0.25
        ("f6", "b", 0.0, "keyword"), ("f6", "d", np.nan, "user"),     # b does not count
    ], columns=[C.FIRM_ID, C.NODE_ID, C.CONFIDENCE, C.METHOD])
    return firms, links


@pytest.fixture(scope="module")
def region():
    return load_region()


@pytest.fixture(scope="module")
def toy(toy_chain):
    firms, links = toy_firms()
    return toy_chain, firms, links


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [(f, v, round(m, 6), h) for f, v, m, h in
            frame[[C.FIRM_ID, C.NODE_ID, C.MATCH, C.HOP]].itertuples(index=False)]


def test_hop_rules_best_match_and_local_firms(toy, region):
    chain, firms, links = toy
    pairs = candidate_pairs(firms, links, chain, ["c", "d"], region=region)
    assert list(pairs.columns) == [C.FIRM_ID, C.NODE_ID, C.MATCH, C.HOP]
    assert pairs[C.MATCH].dtype == np.float64 and pairs[C.HOP].dtype == np.int64
    assert _rows(pairs) == [
        ("f1", "c", 0.9, 0),
        ("f2", "c", 0.3, 1),
        ("f3", "c", 0.45, 0),  # active in c itself: hop 0, never also hop 1; the larger match
        ("f5", "c", 0.25, 1),
        ("f5", "d", 0.25, 1),
        ("f6", "d", DEFAULT_CONFIDENCE, 0),  # no confidence given: asserted link
    ]


def test_local_firms_come_back_when_asked(toy, region):
    chain, firms, links = toy
    pairs = candidate_pairs(firms, links, chain, ["c"], region=region, exclude_local=False)
    assert ("f4", "c", 1.0, 0) in _rows(pairs)
    assert "f5" in set(pairs[C.FIRM_ID])  # Shanghai is not local to Guangdong


def test_without_neighbours_only_hop_zero(toy, region):
    chain, firms, links = toy
    pairs = candidate_pairs(firms, links, chain, ["c", "d"], region=region,
                            include_neighbours=False)
    assert _rows(pairs) == [("f1", "c", 0.9, 0), ("f3", "c", 0.3, 0),
                            ("f6", "d", DEFAULT_CONFIDENCE, 0)]


def test_hop_discount_scales_neighbour_links(toy, region):
    chain, firms, links = toy
    pairs = candidate_pairs(firms, links, chain, ["c"], region=region, hop_discount=0.2)
    assert ("f2", "c", 0.12, 1) in _rows(pairs)
    assert ("f3", "c", 0.3, 0) in _rows(pairs)  # 0.2 x 0.9 < 0.3


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_hop_discount_outside_unit_interval_is_refused(toy, region, bad):
    chain, firms, links = toy
    with pytest.raises(InvalidArgument, match="hop_discount"):
        candidate_pairs(firms, links, chain, ["c"], region=region, hop_discount=bad)


def test_unknown_node_is_not_found(toy, region):
    chain, firms, links = toy
    with pytest.raises(NotFoundError, match="no node 'zz'"):
        candidate_pairs(firms, links, chain, ["c", "zz"], region=region)


def test_no_targets_give_an_empty_frame(toy, region):
    chain, firms, links = toy
    pairs = candidate_pairs(firms, links, chain, [], region=region)
    assert pairs.empty and list(pairs.columns) == [C.FIRM_ID, C.NODE_ID, C.MATCH, C.HOP]


def test_rows_follow_the_firm_order_then_the_target_order(toy, region):
    chain, firms, links = toy
    reversed_firms = firms.iloc[::-1].reset_index(drop=True)
    pairs = candidate_pairs(reversed_firms, links, chain, ["d", "c"], region=region)
    assert list(zip(pairs[C.FIRM_ID], pairs[C.NODE_ID], strict=True)) == [
        ("f6", "d"), ("f5", "d"), ("f5", "c"), ("f3", "c"), ("f2", "c"), ("f1", "c")]


@pytest.mark.parametrize("split_links", [False, True])
def test_three_partitions_concatenate_to_the_whole(toy, region, split_links):
    chain, firms, links = toy
    whole = candidate_pairs(firms, links, chain, ["c", "d", "e"], region=region)
    parts = []
    for part in np.array_split(np.arange(len(firms)), 3):
        rows = firms.iloc[part]
        own = links[links[C.FIRM_ID].isin(rows[C.FIRM_ID])] if split_links else links
        parts.append(candidate_pairs(rows, own, chain, ["c", "d", "e"], region=region))
    assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_pair_match_scores_given_pairs(toy):
    chain, _, links = toy
    pairs = pd.DataFrame({C.FIRM_ID: ["f3", "f2", "f4", "nobody", "f1"],
                          C.NODE_ID: ["c", "c", "c", "c", "zz"]}, index=[10, 11, 12, 13, 14])
    got = pair_match(pairs, links, chain)
    assert list(got.index) == [10, 11, 12, 13, 14]
    assert got[C.MATCH].round(6).tolist()[:4] == [0.45, 0.3, 1.0, 0.0]
    assert got[C.HOP].tolist()[:3] == [0.0, 1.0, 0.0]
    assert np.isnan(got[C.HOP].iloc[3])  # no activity in or next to the node
    assert got.iloc[4].isna().all()  # a node outside the chain


def test_index_in_finds_first_positions_and_minus_one():
    universe = arrow_strings(pd.Series(["a", "b", "c"]))
    assert index_in(pd.Series(["c", "x", None, "a"], dtype="str"), universe).tolist() == [
        2, -1, -1, 0]


def test_partitions_of_a_generated_world_concatenate_to_the_whole(region):
    from recommender.chain import load_chain
    from recommender.demo.generator import generate_world

    chain = load_chain()
    world = generate_world(n_firms=1500, seed=3, chain=chain, region=region)
    targets = ["vacuum_pumps", "lasers", "adc_chips"]
    whole = candidate_pairs(world.firms, world.firm_nodes, chain, targets, region=region)
    assert len(whole) > 100 and set(whole[C.HOP]) == {0, 1}
    assert not whole.duplicated([C.FIRM_ID, C.NODE_ID]).any()
    parts = [candidate_pairs(world.firms.iloc[rows], world.firm_nodes, chain, targets,
                             region=region)
             for rows in np.array_split(np.arange(len(world.firms)), 3)]
    assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
