"""Partitions of the firm universe: scored one at a time, they give the whole's rankings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import InvalidArgument
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.features import default_as_of
from recommender.targeting.partitions import (
    FIRMS_DIR,
    PARTITION,
    best_k,
    part_path,
    read_links,
    read_manifest,
    score_partition,
    scoring_context,
    write_partitions,
)
from recommender.targeting.prior_model import prior_model
from recommender.targeting.score_table import build_score_table
from recommender.targeting.scoring import best_first

TABLE_COLUMNS = [C.FIRM_ID, C.NODE_ID, C.SCORE, C.P_SUCCESS, C.IMPACT, C.MATCH, C.HOP,
                 C.OUTCOME_STAGE]


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=700, seed=5, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    model = prior_model(data, weak_links)
    return data, weak_links, model, build_score_table(data, weak_links, model)


def table_pairs(table) -> pd.DataFrame:
    """The rows of a score table in its own (best score first) order."""
    rows = table.rows(np.arange(len(table)))
    return rows.assign(**{C.OUTCOME_STAGE: table._stage.astype(np.int64)})


def partitioned(data, weak_links, model, nodes, cuts: int) -> pd.DataFrame:
    """Score ``cuts`` contiguous runs of firms one at a time, as the engine does, and sort."""
    context = scoring_context(data, weak_links, model, nodes, as_of=default_as_of(data))
    runs = np.array_split(np.arange(len(data.firms)), cuts)
    parts = [score_partition(data.firms.iloc[run], data.firm_nodes, context) for run in runs]
    rows = pd.concat(parts, ignore_index=True)
    order = best_first(rows[C.FIRM_ID], rows[C.NODE_ID], rows[C.SCORE].to_numpy(), nodes)
    return rows.iloc[order].reset_index(drop=True)


@pytest.mark.parametrize("cuts", [1, 3, 7])
def test_partitions_scored_apart_give_the_whole_table(world, cuts):
    data, weak_links, model, table = world
    whole = table_pairs(table)
    rows = partitioned(data, weak_links, model, table.nodes, cuts)
    assert len(rows) == len(whole) > 1000
    for column in (C.FIRM_ID, C.NODE_ID):
        assert rows[column].tolist() == whole[column].tolist()
    for column in (C.SCORE, C.P_SUCCESS, C.IMPACT, C.MATCH):
        np.testing.assert_array_equal(rows[column].to_numpy(float), whole[column].to_numpy(float))
    np.testing.assert_array_equal(rows[C.HOP].to_numpy(np.int64), whole[C.HOP].to_numpy())
    np.testing.assert_array_equal(rows[C.OUTCOME_STAGE].to_numpy(np.int64),
                                  whole[C.OUTCOME_STAGE].to_numpy())
    np.testing.assert_allclose(rows[C.VALUE], rows[C.P_SUCCESS] * rows[C.IMPACT])


@pytest.mark.parametrize("by", ["value", "likelihood", "impact"])
def test_best_k_of_the_partitions_best_k_is_the_tables_top_k(world, by):
    data, weak_links, model, table = world
    context = scoring_context(data, weak_links, model, table.nodes, as_of=table.as_of)
    runs = np.array_split(np.arange(len(data.firms)), 4)
    kept = pd.concat([best_k(score_partition(data.firms.iloc[run], data.firm_nodes, context),
                             10, by=by) for run in runs], ignore_index=True)
    top = best_k(kept, 10, by=by)
    for node in table.nodes:
        expected = table.rows(table.ranked(node, sort=by, include_landed=True)[:10])
        assert top.loc[top[C.NODE_ID] == node, C.FIRM_ID].tolist() == \
            expected[C.FIRM_ID].tolist(), (node, by)


def test_write_partitions_aligns_the_links_with_their_firms(world, tmp_path):
    data, *_ = world
    folder = write_partitions(data.firms, data.firm_nodes, tmp_path, partitions=3,
                              data_version=7)
    manifest = read_manifest(folder)
    assert manifest["partitions"] == 3 and manifest["data_version"] == 7
    assert manifest["firms"] == len(data.firms)
    seen = 0
    for number in range(3):
        firms = pd.read_parquet(part_path(folder, FIRMS_DIR, number))
        assert set(firms[PARTITION]) == {number}
        links = read_links(folder, [number])
        assert set(links[C.FIRM_ID]) <= set(firms[C.FIRM_ID])
        seen += len(firms)
    assert seen == len(data.firms)
    with pytest.raises(InvalidArgument, match="partitions must be at least 1"):
        write_partitions(data.firms, data.firm_nodes, tmp_path, partitions=0)
