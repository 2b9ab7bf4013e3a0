"""The Dask engine ranks exactly as the pandas engine, on a LocalCluster of two workers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import CAN_RECRUIT, diagnose_weak_links, weak_link_weights
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.feature_registry import feature_names
from recommender.ranking.features import training_frame
from recommender.ranking.ranker import ChainRanker
from recommender.targeting.prior_model import prior_model
from recommender.targeting.recommend import recommend, target_list
from recommender.targeting.score_table import build_score_table

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from recommender.targeting import dask_engine  # noqa: E402
from recommender.targeting.partitioned_table import best_of_part, query_table  # noqa: E402
from recommender.targeting.partitions import scoring_context  # noqa: E402

pytestmark = pytest.mark.slow


def test_importing_the_engine_loads_no_dask():
    code = ("import sys, recommender.targeting.dask_engine, recommender.cli.scale;"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'dask', 'distributed'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=700, seed=11, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links


def weakest(weak_links, n: int) -> list[str]:
    """The ``n`` weakest recruitable links."""
    return list(weak_link_weights(weak_links, top=n).index)


@pytest.fixture(scope="module")
def models(world):
    data, weak_links = world
    frame = training_frame(data, weak_links)
    names = feature_names()
    ranker = ChainRanker(n_estimators=20, num_leaves=7).fit(
        frame[names], frame[C.LABEL], group_id=frame[C.GROUP_ID])
    return {"prior": prior_model(data, weak_links), "ranker": ranker}


@pytest.fixture(scope="module")
def client():
    with dask_engine.open_cluster(None, workers=2, memory_limit="1GiB") as opened:
        yield opened


@pytest.mark.parametrize("which", ["prior", "ranker"])
def test_dask_tables_rank_exactly_as_pandas_tables(world, models, client, tmp_path, which):
    data, weak_links = world
    model = models[which]
    nodes = weakest(weak_links, 12)
    pandas_table = build_score_table(data, weak_links, model, node_ids=nodes)
    dask_table = dask_engine.score_table(data, weak_links, model, node_ids=nodes, client=client,
                                         partitions=5, folder=tmp_path)
    assert len(dask_table) == len(pandas_table) > 1000
    assert dask_table.nodes == pandas_table.nodes
    for node in pandas_table.nodes:
        for by in ("value", "likelihood", "impact"):
            mine = dask_table.ranked(node, sort=by, include_landed=True)
            theirs = pandas_table.ranked(node, sort=by, include_landed=True)
            np.testing.assert_array_equal(mine, theirs)
        top = pandas_table.ranked(node)[:5]
        pd.testing.assert_frame_equal(dask_table.rows(top), pandas_table.rows(top))


def test_recommend_and_target_list_through_the_dask_engine(world, models, client, tmp_path):
    data, weak_links = world
    model = models["prior"]
    def build(*args, **kwargs):
        return dask_engine.score_table(*args, client=client, partitions=3, folder=tmp_path,
                                       **kwargs)

    node = str(weak_links.loc[weak_links[CAN_RECRUIT].astype(bool), C.NODE_ID].iloc[0])
    pd.testing.assert_frame_equal(recommend(data, weak_links, node, model=model, k=20,
                                            engine=build),
                                  recommend(data, weak_links, node, model=model, k=20))
    mine = target_list(data, weak_links, model=model, k=10, engine=build)
    theirs = target_list(data, weak_links, model=model, k=10)
    pd.testing.assert_frame_equal(mine, theirs)


def test_best_per_link_is_each_links_top_k(world, models, client, tmp_path):
    data, weak_links = world
    model = models["ranker"]
    table = build_score_table(data, weak_links, model, node_ids=weakest(weak_links, 12))
    context = scoring_context(data, weak_links, model, table.nodes, as_of=table.as_of)
    folder = dask_engine.partitions_for(data, tmp_path, partitions=4)
    top = dask_engine.best_per_link(folder, context, 15, by="value", client=client)
    assert top[C.NODE_ID].drop_duplicates().tolist() == table.nodes
    for node in table.nodes:
        mine = top[top[C.NODE_ID] == node]
        assert mine[C.RANK].tolist() == list(range(1, len(mine) + 1))
        expected = table.rows(table.ranked(node, include_landed=True)[:15])
        assert mine[C.FIRM_ID].tolist() == expected[C.FIRM_ID].tolist()
        np.testing.assert_array_equal(mine[C.VALUE].to_numpy(), expected[C.VALUE].to_numpy())


@pytest.mark.parametrize("which", ["prior", "ranker"])
def test_tables_kept_on_the_workers_answer_as_the_pandas_engine(world, models, client, tmp_path,
                                                                which):
    """recommend and target_list over partitions kept where they were scored (each sends only
    its best rows): the pandas engine's frames, reasons included."""
    data, weak_links = world
    model = models[which]

    def build(*args, **kwargs):
        return query_table(*args, client=client, partitions=4, folder=tmp_path, **kwargs)

    for node in weakest(weak_links, 3):
        for filters in ({}, {"by": "likelihood", "include_landed": True},
                        {"by": "impact", "country": ["de", "JP", "US"]},
                        {"size": ["small", "mid"], "exclude_contacted": True}):
            mine = recommend(data, weak_links, node, model=model, k=12, engine=build, **filters)
            theirs = recommend(data, weak_links, node, model=model, k=12, **filters)
            pd.testing.assert_frame_equal(mine, theirs)
            assert mine.attrs == theirs.attrs
    for k, share in ((10, 0.4), (25, 0.2)):
        mine = target_list(data, weak_links, model=model, k=k, max_country_share=share,
                           engine=build)
        theirs = target_list(data, weak_links, model=model, k=k, max_country_share=share)
        pd.testing.assert_frame_equal(mine, theirs)
        bound = mine.attrs.pop("bound")
        assert bound["rounds"] >= 1 and not bound["all_candidates"]
        mine.attrs.pop("evaluations"), theirs.attrs.pop("evaluations")
        assert mine.attrs == theirs.attrs


def test_a_partition_sends_only_its_best_rows(world, models, client, tmp_path):
    data, weak_links = world
    node = weakest(weak_links, 1)[0]
    table = query_table(data, weak_links, models["prior"], node_ids=[node], client=client,
                        partitions=4, folder=tmp_path)
    found = table.parts.each(best_of_part, node, 7, "value",
                             {"country": None, "size": None, "stage": None,
                              "exclude_contacted": False, "include_landed": False})
    assert len(found) == 4 and all(len(rows) <= 7 for rows, _ in found)
    positions, passed = table.top_k(node, 7)
    assert passed == sum(n for _, n in found) > 7 and len(positions) == 7
