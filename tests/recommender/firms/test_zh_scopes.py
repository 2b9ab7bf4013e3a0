"""Chinese business scopes: the labelled set, their cleaning, a node for each node's scope, and
the keyword floor the classifier never goes below."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.firms.keywords import SURE_CONFIDENCE, KeywordMatcher
from recommender.firms.node_classifier import NodeClassifier
from recommender.firms.node_evaluation import firm_hits
from recommender.firms.node_labels import read_scope_labels
from recommender.firms.scope_text import clean_scope, is_chinese

UPSTREAM_MIDSTREAM = ("upstream", "midstream")


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture(scope="module")
def scopes(chain):
    return read_scope_labels(chain=chain)


@pytest.fixture(scope="module")
def zh_model(chain, scopes):
    return NodeClassifier(chain=chain, min_positives=2).fit(
        scopes[C.BUSINESS_SCOPE], scopes["node_ids"])


def _chain_nodes(chain):
    return [n for n in chain.node_ids if chain.node(n)["stage"] in UPSTREAM_MIDSTREAM]


def test_the_labelled_set_covers_every_upstream_and_midstream_node(chain, scopes):
    assert len(scopes) >= 300
    assert scopes["none_of_chain"].sum() >= 60
    labelled = {n for ids in scopes["node_ids"] for n in ids}
    assert set(_chain_nodes(chain)) <= labelled
    assert scopes[C.BUSINESS_SCOPE].map(is_chinese).all()
    assert scopes[C.BUSINESS_SCOPE].str.contains("一般项目").mean() > 0.5


def test_clean_scope_keeps_products_and_drops_the_register_wording():
    text = ("一般项目：电磁流量计研发；电磁流量计制造；智能水表销售；技术服务、技术开发、技术咨询；"
            "货物进出口。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
            "许可项目：第二类医疗器械生产。（依法须经批准的项目，经相关部门批准后方可开展经营活动）")
    assert clean_scope(text).split() == ["电磁流量计", "电磁流量计", "智能水表",
                                         "第二类医疗器械"]
    assert clean_scope("") == "" and clean_scope(None) == ""
    assert not is_chinese("Electromagnetic flow meters (电磁流量计) for water utilities")


def _scope_of(chain, node_id, k):
    """A scope in the register's style naming the node's first keywords, unseen in training."""
    words = "、".join(chain.node(node_id)["keywords_zh"][:k])
    return (f"一般项目：{words}的研发、生产与销售；技术服务、技术开发、技术咨询；"
            "货物进出口；技术进出口。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）")


def test_a_chinese_scope_of_each_upstream_and_midstream_node_gets_its_node(chain, zh_model):
    nodes = _chain_nodes(chain)
    texts = pd.Series([_scope_of(chain, n, 2) for n in nodes])
    predicted = zh_model.predict_node_sets(texts)
    missed = [n for n, pred in zip(nodes, predicted, strict=True) if n not in pred]
    assert missed == []


def test_the_classifier_never_removes_a_node_the_keywords_are_sure_of(chain, scopes):
    # A model taught on labels that contradict the keywords (every firm outside the chain)
    # and allowed one node per firm still keeps every link the keywords are sure of.
    texts = scopes[C.BUSINESS_SCOPE]
    contrary = [[] for _ in range(len(texts) - 12)] + [["healthcare"]] * 12
    matcher = KeywordMatcher.from_chain(chain)
    links = matcher.assign(texts.reset_index(drop=True))
    sure = links[links[C.CONFIDENCE] >= SURE_CONFIDENCE]
    unsure = links[links[C.CONFIDENCE] < SURE_CONFIDENCE]
    assert len(sure) > 200 and len(unsure) > 0

    def pairs(model):
        out = model.predict(texts.reset_index(drop=True))
        return set(zip(out["row"], out[C.NODE_ID], strict=True))

    floored = NodeClassifier(chain=chain, max_nodes=1, n_topics=0).fit(texts, contrary)
    kept = pairs(floored)
    assert set(zip(sure["row"], sure[C.NODE_ID], strict=True)) <= kept
    # Without the floor the same model drops them: the floor is what keeps them.
    bare = NodeClassifier(chain=chain, max_nodes=1, n_topics=0, keyword_floor=None)
    dropped = set(zip(sure["row"], sure[C.NODE_ID], strict=True)) - pairs(
        bare.fit(texts, contrary))
    assert len(dropped) > 50


def test_sure_means_one_keyword_early_or_two_anywhere(chain):
    matcher = KeywordMatcher.from_chain(chain)
    filler = "、".join(["日用百货销售"] * 10)
    texts = pd.Series(["示波器的研发与销售；" + filler,      # one keyword at the start
                       filler + "；示波器配件销售",          # one keyword at the end
                       filler + "；示波器、逻辑分析仪销售"])  # two keywords at the end
    confidence = matcher.assign(texts).set_index("row")[C.CONFIDENCE]
    assert confidence[0] >= SURE_CONFIDENCE
    assert confidence[1] < SURE_CONFIDENCE
    assert confidence[2] >= SURE_CONFIDENCE


def test_firm_hits_reads_chain_and_outside_firms_apart():
    hits = firm_hits([["a"], ["b", "c"], [], []], [["a", "x"], ["x"], [], ["y"]])
    assert hits["chain_hit_rate"] == 0.5 and hits["outside_hit_rate"] == 0.5
    assert hits["hit_rate"] == 0.5
    assert (hits["chain_firms"], hits["outside_firms"]) == (2, 2)


def test_a_saved_model_keeps_its_floor(chain, zh_model, tmp_path):
    path = zh_model.save(tmp_path / "zh.npz")
    loaded = NodeClassifier.load(path, chain=chain)
    assert loaded.keyword_floor == zh_model.keyword_floor == SURE_CONFIDENCE
    texts = pd.Series([_scope_of(chain, "flow_meters", 1)])
    assert loaded.predict_node_sets(texts) == zh_model.predict_node_sets(texts)
