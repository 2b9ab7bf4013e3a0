"""Fixtures of the behavioural model tests: the demo world (20,000 firms, seed 7) and its ranker.

Built once per test session; the ranker trains as ``chainscout train`` does: on the earlier
70 % of the campaigns, with early stopping on the last fifth of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.ranking.dataset import ChainData, chain_data_from_world
from recommender.ranking.feature_registry import feature_names
from recommender.ranking.features import training_frame
from recommender.ranking.ranker import ChainRanker
from recommender.ranking.splits import time_split

NODE = "vacuum_pumps"  # a recruitable weak link with a few hundred candidates


@dataclass(frozen=True)
class Demo:
    data: ChainData
    weak_links: pd.DataFrame
    frame: pd.DataFrame
    ranker: ChainRanker


def train_ranker(frame: pd.DataFrame, **params) -> ChainRanker:
    names = feature_names()
    earlier, _ = time_split(frame, test_share=0.3)
    fit, valid = time_split(earlier, test_share=0.2)
    return ChainRanker(**params).fit(fit[names], fit[C.LABEL], group_id=fit[C.GROUP_ID],
                                     eval_set=(valid[names], valid[C.LABEL]),
                                     eval_group=valid[C.GROUP_ID])


@pytest.fixture(scope="session")
def inputs():
    return load_chain(), load_region()


@pytest.fixture(scope="session")
def demo(inputs) -> Demo:
    chain, region = inputs
    data = chain_data_from_world(generate_world(n_firms=20_000, seed=7, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    frame = training_frame(data, weak_links)
    return Demo(data, weak_links, frame, train_ranker(frame))


@pytest.fixture(scope="session")
def node() -> str:
    return NODE


@pytest.fixture(scope="session")
def trainer():
    """The training routine of the session's ranker, for tests that train again."""
    return train_ranker
