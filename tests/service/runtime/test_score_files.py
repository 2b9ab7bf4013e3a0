import pytest

from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.ranking.dataset import chain_data_from_world
from recommender.targeting.prior_model import prior_model
from service.runtime.scores import build_scores, first_answers

NODE = "vacuum_pumps"


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=600, seed=5, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links, prior_model(data, weak_links)


def _top(scores):
    positions, _ = scores.table.top_k(NODE, 20, size=["large", "mid"])
    return scores.items_json(positions)


def test_scores_from_the_shared_file_serve_the_same_bytes(world, tmp_path):
    data, weak_links, model = world
    alone = build_scores(data, weak_links, model, reasons_ahead=5)
    shared = build_scores(data, weak_links, model, reasons_ahead=5, directory=tmp_path)
    assert len(list(tmp_path.glob("scores-prior-*.arrow"))) == 1
    assert _top(shared) == _top(alone)


def test_a_folder_that_cannot_be_written_scores_in_the_worker(world, tmp_path, caplog):
    data, weak_links, model = world
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    scores = build_scores(data, weak_links, model, reasons_ahead=0, directory=blocked / "scores")
    assert "scoring in this worker" in caplog.text
    assert _top(scores) == _top(build_scores(data, weak_links, model, reasons_ahead=0))


def test_the_reasons_worded_ahead_are_those_of_the_default_top_k(world, tmp_path):
    data, weak_links, model = world
    for directory in (None, tmp_path):
        table = build_scores(data, weak_links, model, reasons_ahead=5, directory=directory).table
        expected = set()
        for node in table.nodes:
            positions, passed = table.top_k(node, 5)  # by expected value, no filter
            assert len(positions) == min(5, passed)
            expected |= {int(p) for p in positions}
        # the table keeps the reasons it has worded: exactly those rows, not the first rows
        # of its storage order (by score)
        assert set(table._reasons) == expected
        assert first_answers(table, 5).tolist() == [
            int(p) for node in table.nodes for p in table.top_k(node, 5)[0]]
    assert first_answers(table, 0).size == 0
