"""End to end on a small demo world: generate, build the training frame, split by time,
evaluate every method on the contacted later window and on every candidate of its campaigns.
Quality is asserted as floors, not exact scores."""

import pytest

from recommender import columns as C
from recommender.demo.generator import generate_world
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.evaluation import evaluate
from recommender.ranking.evaluation_report import report_markdown
from recommender.ranking.features import training_frame, truth_frame
from recommender.ranking.splits import time_split

# Measured on this world (3,000 firms, seed 5, demo generator 2.0), NDCG@10 on the contacted
# later window: lambdarank 0.872, logistic 0.869, prior 0.812, random 0.241, oracle 0.884; on
# every candidate of its campaigns (5 outcome draws): lambdarank 0.663, logistic 0.645,
# prior 0.590, random 0.059, oracle 0.742 (training labels as known when the later window
# began). Generator 1.0 gave 0.846, 0.840, 0.770, 0.223, 0.875 and 0.655, 0.608, 0.624,
# 0.095, 0.762; the floors are unchanged. The
# floors leave room for platform differences; on other worlds LambdaRank does not always beat
# the prior on every candidate (benchmarks/bench_ranking_seeds.py).
LAMBDARANK_FLOOR = 0.70
EVERY_CANDIDATE_FLOOR = 0.55
MARGIN_OVER_RANDOM = 0.30


@pytest.fixture(scope="module")
def results(inputs):
    chain, region = inputs
    world = generate_world(n_firms=3_000, seed=5, chain=chain, region=region)
    data = chain_data_from_world(world, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    frame = training_frame(data, weak_links)
    earlier, later = time_split(frame, test_share=0.3)
    assert earlier[C.DATE].max() < later[C.DATE].min()
    candidates = truth_frame(data, weak_links, later[C.CAMPAIGN_ID].unique())
    return evaluate(earlier, later, seed=0, candidates=candidates,
                    outcome_model=data.outcome_model, draws=5)


def test_lambdarank_clears_its_floor_and_beats_random(results):
    ndcg = {method: values["ndcg@10"] for method, values in results["metrics"].items()}
    assert ndcg["lambdarank"] >= LAMBDARANK_FLOOR
    assert ndcg["lambdarank"] > ndcg["random"] + MARGIN_OVER_RANDOM
    assert ndcg["oracle"] > ndcg["random"] + MARGIN_OVER_RANDOM
    difference = results["comparisons"]["ndcg@10"]["lambdarank - random"]
    assert difference["ci95"][0] > 0


def test_lambdarank_beats_the_prior_on_both_tables(results):
    for table in (results, results["every_candidate"]):
        ndcg = {method: values["ndcg@10"] for method, values in table["metrics"].items()}
        assert ndcg["lambdarank"] > ndcg["prior"]
        assert ndcg["oracle"] >= max(ndcg.values())


def test_every_candidate_is_ranked_well_above_random(results):
    ndcg = {m: v["ndcg@10"] for m, v in results["every_candidate"]["metrics"].items()}
    assert ndcg["lambdarank"] >= EVERY_CANDIDATE_FLOOR
    assert ndcg["lambdarank"] > ndcg["random"] + MARGIN_OVER_RANDOM
    assert ndcg["prior"] > ndcg["size_only"] + MARGIN_OVER_RANDOM  # size is the officers' bias


def test_every_method_is_reported(results):
    assert set(results["metrics"]) == {"random", "size_only", "prior", "logistic", "lambdarank",
                                       "oracle"}
    assert results["test"]["groups"] >= 30 and results["train"]["groups"] >= 70
    text = report_markdown(results)
    assert "| lambdarank |" in text and "| oracle |" in text
