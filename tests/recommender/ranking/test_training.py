"""train_model: the pipeline shared by ``chainscout train`` and the service's training job."""

import dataclasses

import pytest

from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import DataError
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.registry import ModelRegistry
from recommender.ranking.training import MIN_GROUPS, train_model


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=3000, seed=5, chain=chain,
                                                region=region), chain=chain, region=region)
    return data, diagnose_weak_links(chain, region, data.firms, data.firm_nodes)


def test_first_model_is_saved_measured_and_activated(world, tmp_path):
    data, weak_links = world
    registry = ModelRegistry(tmp_path / "models")
    result = train_model(data, weak_links, registry, seed=0)
    assert registry.active_version() == result["version"] == result["active"]
    assert result["promotion"]["activated"] is True
    assert result["metrics"]["lambdarank"]["ndcg@10"] > 0.5
    assert set(result["metrics"]) == {"lambdarank", "prior"}
    assert result["test"]["groups"] > 0
    assert registry.metadata(result["version"])["data_version"] == data.data_version


def test_no_activate_only_saves(world, tmp_path):
    data, weak_links = world
    registry = ModelRegistry(tmp_path / "models")
    result = train_model(data, weak_links, registry, activate=False)
    assert result["promotion"] is None
    assert registry.active_version() is None
    assert [v["version"] for v in registry.versions()] == [result["version"]]


def test_too_few_campaign_groups_is_a_data_error(world, tmp_path):
    data, weak_links = world
    few = data.campaigns.iloc[: MIN_GROUPS - 1]
    thin = dataclasses.replace(
        data, campaigns=few,
        outcomes=data.outcomes[data.outcomes["campaign_id"].isin(few["campaign_id"])])
    with pytest.raises(DataError, match="campaign groups"):
        train_model(thin, weak_links, ModelRegistry(tmp_path / "models"))


def test_training_window_is_the_groups_the_trees_were_fitted_on(world, tmp_path):
    data, weak_links = world
    registry = ModelRegistry(tmp_path / "models")
    result = train_model(data, weak_links, registry, activate=False)
    meta = registry.metadata(result["version"])
    fitted, stopped, earlier = (meta["training_window"], meta["validation_window"],
                                result["train"])
    # The earlier window is the fitted groups plus the early-stopping groups, in that order.
    assert fitted["groups"] + stopped["groups"] == earlier["groups"]
    assert fitted["rows"] + stopped["rows"] == earlier["rows"]
    assert 0 < fitted["groups"] < earlier["groups"]
    assert fitted["start"] == earlier["start"]
    assert fitted["end"] <= stopped["start"] <= stopped["end"] == earlier["end"]
    assert stopped["end"] < result["test"]["start"]
