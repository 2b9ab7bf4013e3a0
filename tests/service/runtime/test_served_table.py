"""The served table keeps the rankings it was asked for: the same answers as the library's
table, computed once per link and filters, bounded in size. Synthetic data: a demo world."""

import os

import numpy as np
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import InvalidArgument
from recommender.ranking.dataset import chain_data_from_world
from recommender.targeting.prior_model import prior_model
from recommender.targeting.score_file import open_score_file, write_score_file
from recommender.targeting.score_table import build_score_table
from service.runtime.scores import ServedScores, ServedTable
from tests.conftest import resident_kb

NODE = "vacuum_pumps"
FILTERS = [{}, {"sort": "likelihood"}, {"sort": "impact"}, {"country": ["DE", "JP"]},
           {"size": ["large", "mid"]}, {"stage": ["none"]}, {"exclude_contacted": True},
           {"include_landed": True}, {"stage": ["invested"]},
           {"country": ("US",), "size": ["small"], "sort": "likelihood"}]


@pytest.fixture(scope="module")
def table():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=1200, seed=3, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return build_score_table(data, weak_links, prior_model(data, weak_links))


def test_kept_rankings_answer_as_the_table_does(table):
    served = ServedTable(table)
    for node in table.nodes[:3]:
        for filters in FILTERS:
            expected = table.ranked(node, **filters)
            first = served.ranked(node, **filters)
            assert np.array_equal(first, expected)
            assert served.ranked(node, **filters) is first  # kept: not filtered again
            assert not first.flags.writeable
            top, passed = served.top_k(node, 7, **filters)
            want_top, want_passed = table.top_k(node, 7, **filters)
            assert np.array_equal(top, want_top) and passed == want_passed


def test_everything_else_is_the_tables(table):
    served = ServedScores(table, data_version=1).table
    assert isinstance(served, ServedTable) and len(served) == len(table)
    assert served.nodes == table.nodes and served.as_of == table.as_of
    assert served.stage_counts(NODE) == table.stage_counts(NODE)
    positions, _ = served.top_k(NODE, 5)
    assert served.records(positions) == table.records(positions)


def test_kept_positions_are_bounded_least_recently_asked_first(table):
    sizes = {node: len(table.ranked(node)) for node in table.nodes[:3]}
    served = ServedTable(table, kept=max(sizes.values()) + 1)
    kept = [served.ranked(node) for node in sizes]
    assert served.ranked(table.nodes[2]) is kept[2]  # the last asked is still kept
    assert served.ranked(table.nodes[0]) is not kept[0]  # dropped to stay within bounds
    assert np.array_equal(served.ranked(table.nodes[0]), kept[0])


def test_bad_filters_are_refused_as_the_table_refuses_them(table):
    served = ServedTable(table)
    with pytest.raises(InvalidArgument):
        served.ranked(NODE, size=["enormous"])
    with pytest.raises(InvalidArgument):
        served.top_k(NODE, 0)


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's smaps")
def test_a_file_table_answers_alike_and_keeps_no_file_pages_after_a_pass(table, tmp_path):
    path = write_score_file(table, tmp_path / "scores-prior.arrow").resolve()
    served = ServedTable(open_score_file(path, table.data, table.weak_links, table.model))
    for filters in FILTERS[:4]:
        assert np.array_equal(served.ranked(NODE, **filters), table.ranked(NODE, **filters))
        assert resident_kb(path) == 0
    firm = table.records(table.top_k(NODE, 1)[0])[0][C.FIRM_ID]
    assert np.array_equal(served.firm_positions(firm), table.firm_positions(firm))
    assert resident_kb(path) == 0
    picks = served.target_picks(k=10)
    assert picks.drop(columns=["covers"]).equals(table.target_picks(k=10).drop(columns=["covers"]))
    assert resident_kb(path) == 0
    positions, _ = served.top_k(NODE, 5)
    assert served.records(positions) == table.records(positions)  # the pages read back
