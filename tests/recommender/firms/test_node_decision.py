"""The node classifier's decision rule: threshold, in-chain gate, keyword floor, and the lines
chosen on out-of-fold training confidences."""

import numpy as np
import pytest

from recommender.firms.node_decision import choose_lines, decide, f1_score, firm_hit_rate

NODES = 3


def _decide(proba, keyword, gate, **kwargs):
    params = dict(threshold=0.5, gate_threshold=0.5, max_nodes=2, floor=0.54)
    return decide(proba, np.array([True, True, False]), keyword, gate, **{**params, **kwargs})


def test_the_gate_removes_the_models_links_but_never_a_sure_keyword_link():
    proba = np.array([[0.9, 0.8, 0.0], [0.9, 0.8, 0.0]])
    keyword = np.array([[0.0, 0.6, 0.0], [0.0, 0.6, 0.0]])
    chosen = _decide(proba, keyword, np.array([0.9, 0.1]))
    assert chosen[0].tolist() == [True, True, False]
    assert chosen[1].tolist() == [False, True, False]  # gated out: only the sure keyword link


def test_unmodelled_nodes_take_keyword_links_and_max_nodes_keeps_the_most_confident():
    proba = np.array([[0.7, 0.6, 0.0]])
    keyword = np.array([[0.0, 0.0, 0.5]])  # not sure, but node 2 is left to the keywords
    assert _decide(proba, keyword, np.ones(1), max_nodes=3)[0].tolist() == [True, True, True]
    assert _decide(proba, keyword, np.ones(1), max_nodes=2)[0].tolist() == [True, True, False]
    everything = np.ones(NODES, dtype=bool)
    keyword = np.array([[0.0, 0.52, 0.0]])  # a keyword link of a modelled node joins with union
    chosen = _decide(np.array([[0.7, 0.2, 0.0]]), keyword, np.ones(1), keyword_extra=everything)
    assert chosen[0].tolist() == [True, True, False]


@pytest.mark.parametrize("seed", range(5))
def test_the_chosen_lines_do_no_worse_on_the_training_firms_than_no_gate(seed):
    rng = np.random.default_rng(seed)
    n = 120
    y = (rng.random((n, NODES)) < 0.25) & (rng.random((n, 1)) < 0.7)
    in_chain = y.any(axis=1)
    # the node models are fooled by a third of the outside firms; the gate is not
    fooled = ~in_chain & (rng.random(n) < 0.35)
    proba = np.clip(y * 0.6 + rng.random((n, NODES)) * 0.3 + fooled[:, None] * 0.6, 0, 1)
    gate = np.clip(in_chain * 0.5 + rng.random(n) * 0.45, 0, 1)
    keyword = np.where(rng.random((n, NODES)) < 0.1, 0.6, 0.0)
    modelled = np.array([True, True, False])
    threshold, gate_threshold, _, relative = choose_lines(y, proba, modelled, keyword, gate,
                                                max_nodes=2, floor=0.54)
    params = dict(threshold=threshold, max_nodes=2, floor=0.54, relative=relative)
    gated = decide(proba, modelled, keyword, gate, gate_threshold=gate_threshold, **params)
    open_gate = decide(proba, modelled, keyword, gate, gate_threshold=0.0, **params)
    assert firm_hit_rate(y, gated) >= firm_hit_rate(y, open_gate)
    assert gate_threshold > 0  # on these scores the gate helps
    ungated = choose_lines(y, proba, modelled, keyword, None, max_nodes=2, floor=0.54)
    assert ungated[1] == 0.0


def test_scores_of_boolean_link_arrays():
    truth = np.array([[1, 0], [0, 0], [0, 1]])
    predicted = np.array([[1, 1], [0, 0], [0, 0]])
    assert f1_score(truth, predicted) == pytest.approx(2 * 1 / (2 + 2))
    assert firm_hit_rate(truth, predicted) == pytest.approx(2 / 3)
    assert f1_score(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
