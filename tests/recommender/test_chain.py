"""Chain loading, validation (each failure names its entry), graph queries and HS lookups."""

import copy
import json
import math

import networkx as nx
import pytest

from recommender import columns as C
from recommender.chain import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    Chain,
    chain_from_dict,
    load_chain,
)
from recommender.exceptions import ChainError, DataError, NotFoundError
from recommender.paths import default_chain_path


def toy() -> dict:
    """Four nodes: a feeds b and c, both feed d (a diamond)."""
    return {
        "id": "toy",
        "name_zh": "玩具链",
        "name_en": "Toy chain",
        "version": "1",
        "nodes": [
            {"id": "a", "name_zh": "芯片", "name_en": "Chips", "stage": "upstream",
             "segment": "parts", "hs_codes": ["8542"], "gbt4754": ["3973"],
             "keywords_zh": ["芯片"], "keywords_en": ["chip"]},
            {"id": "b", "name_zh": "示波器", "name_en": "Scopes", "stage": "midstream",
             "segment": "test", "hs_codes": ["903020"]},
            {"id": "c", "name_zh": "电测仪器", "name_en": "Meters", "stage": "midstream",
             "segment": "test", "hs_codes": ["9030"]},
            {"id": "d", "name_zh": "电子制造", "name_en": "Electronics", "stage": "downstream",
             "segment": "applications"},
        ],
        "edges": [
            {"supplier": "a", "consumer": "b", "weight": 0.2},
            {"supplier": "a", "consumer": "c", "weight": 0.1},
            {"supplier": "b", "consumer": "d"},
            {"supplier": "c", "consumer": "d"},
        ],
    }


@pytest.fixture(scope="module")
def real() -> Chain:
    return load_chain()


# --- the real chain ---------------------------------------------------------------------------
def test_real_chain_loads_as_a_dag_of_82_nodes(real):
    assert real.id == "precision_instruments"
    assert len(real.node_ids) == 82
    assert list(real.nodes.columns) == NODE_COLUMNS
    assert list(real.edges.columns) == EDGE_COLUMNS
    assert nx.is_directed_acyclic_graph(real.graph)
    assert real.graph.number_of_nodes() == 82
    assert real.graph.number_of_edges() == len(real.edges)
    assert not real.allow_cycles
    assert "illustrative" in real.note


def test_default_path_is_the_embedded_chain(real):
    assert load_chain(default_chain_path()).node_ids == real.node_ids


def test_default_path_follows_the_data_dir_setting(monkeypatch, tmp_path):
    import yaml

    (tmp_path / "chains").mkdir()
    (tmp_path / "chains" / "precision_instruments.yaml").write_text(
        yaml.safe_dump(toy(), allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("CHAINSCOUT_DATA_DIR", str(tmp_path))
    assert load_chain().node_ids == ["a", "b", "c", "d"]


# --- tables, graph and queries on the toy chain ----------------------------------------------
def test_tables_keep_file_order_lists_and_missing_weights():
    chain = chain_from_dict(toy())
    assert chain.node_ids == ["a", "b", "c", "d"]
    assert chain.nodes.loc[0, C.HS_CODES] == ["8542"]
    assert chain.nodes.loc[3, C.HS_CODES] == []
    assert chain.edges["weight"].tolist()[:2] == [0.2, 0.1]
    assert chain.edges["weight"].isna().tolist() == [False, False, True, True]
    assert chain.graph.edges["a", "b"]["weight"] == 0.2
    assert "weight" not in chain.graph.edges["b", "d"]
    assert chain.graph.nodes["b"][C.STAGE] == "midstream"


@pytest.mark.parametrize(("node", "reach"), [("a", 3), ("b", 1), ("c", 1), ("d", 0)])
def test_downstream_reach_counts_each_reachable_node_once(node, reach):
    # a -> {b, c} -> d: a reaches b, c and d (d once, though by two paths).
    assert chain_from_dict(toy()).downstream_reach(node) == reach


def test_neighbours_and_stages():
    chain = chain_from_dict(toy())
    assert chain.suppliers("d") == ["b", "c"]
    assert chain.consumers("a") == ["b", "c"]
    assert chain.nodes_in_stage("midstream") == ["b", "c"]
    assert chain.nodes_in_stage("downstream") == ["d"]
    with pytest.raises(NotFoundError, match="unknown stage 'middle'"):
        chain.nodes_in_stage("middle")


def test_node_returns_a_copy_and_unknown_ids_are_named():
    chain = chain_from_dict(toy())
    node = chain.node("a")
    assert node[C.NODE_NAME_EN] == "Chips" and node["keywords_zh"] == ["芯片"]
    node[C.HS_CODES].append("9999")
    assert chain.node("a")[C.HS_CODES] == ["8542"]
    for method in (chain.node, chain.downstream_reach, chain.suppliers, chain.consumers):
        with pytest.raises(NotFoundError, match="no node 'nope'"):
            method("nope")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("903020", ["b", "c"]),  # exact subheading, plus the node listing heading 9030
        ("90302000", ["b", "c"]),  # a national 8-digit line falls under both
        ("9030.20", ["b", "c"]),
        ("903031", ["c"]),  # only the heading matches
        ("9030", ["b", "c"]),  # a heading covers the subheadings listed under it
        ("854231", ["a"]),
        ("8542", ["a"]),
        ("902781", []),
    ],
)
def test_nodes_for_hs_matches_by_prefix(code, expected):
    assert chain_from_dict(toy()).nodes_for_hs(code) == expected


def test_hs_to_nodes_lists_codes_as_written():
    assert chain_from_dict(toy()).hs_to_nodes() == {"8542": ["a"], "903020": ["b"], "9030": ["c"]}


@pytest.mark.parametrize("code", ["90", "90x302", "12345678901"])
def test_nodes_for_hs_rejects_malformed_codes(code):
    with pytest.raises(DataError, match="malformed HS code"):
        chain_from_dict(toy()).nodes_for_hs(code)


def test_real_chain_hs_lookup(real):
    assert real.nodes_for_hs("903020") == ["oscilloscopes"]
    assert real.nodes_for_hs("902781") == ["mass_spectrometers"]
    assert real.nodes_for_hs("841410") == ["vacuum_pumps"]
    assert "ultrasound_imaging" in real.hs_to_nodes()["901812"]


def test_to_dict_is_json_ready():
    payload = chain_from_dict(toy()).to_dict()
    assert json.loads(json.dumps(payload, ensure_ascii=False)) == payload
    assert payload["edges"][0] == {"supplier": "a", "consumer": "b", "weight": 0.2}
    assert payload["edges"][2]["weight"] is None
    assert payload["nodes"][0]["hs_codes"] == ["8542"]
    assert len(payload["nodes"]) == 4


# --- validation: every failure names the file and the entry ---------------------------------
def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(path):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


def _add_edge(**edge):
    return lambda data: data["edges"].append(edge)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (_set(("edges", 1, "consumer"), "zz"),
         r"edges\[1\] \(a -> zz\) names unknown consumer node 'zz'"),
        (_set(("edges", 0, "supplier"), "qq"),
         r"edges\[0\] \(qq -> b\) names unknown supplier node 'qq'"),
        (_set(("nodes", 2, "id"), "b"),
         r"node 'b' is a duplicate id \(nodes\[1\] and nodes\[2\]\)"),
        (_set(("nodes", 2, "hs_codes"), ["90271"]), r"node 'c' has malformed HS code '90271'"),
        (_set(("nodes", 2, "hs_codes"), ["9027ab"]), r"node 'c' has malformed HS code '9027ab'"),
        (_set(("nodes", 2, "hs_codes"), [9027]), r"node 'c' field 'hs_codes' has 9027"),
        (_set(("nodes", 0, "gbt4754"), ["397"]), r"node 'a' has malformed GB/T 4754 class '397'"),
        (_set(("nodes", 1, "stage"), "middle"), r"node 'b' has unknown stage 'middle'"),
        (_delete(("nodes", 2, "segment")),
         r"nodes\[2\] \('c'\) is missing required field 'segment'"),
        (_delete(("nodes", 2, "id")), r"nodes\[2\] is missing required field 'id'"),
        (_set(("nodes", 1, "id"), "Scopes!"), r"nodes\[1\] has malformed id 'Scopes!'"),
        (_delete(("edges",)), r"missing required field 'edges'"),
        (_delete(("version",)), r"missing required field 'version'"),
        (_delete(("edges", 3, "consumer")), r"edges\[3\] is missing required field 'consumer'"),
        (_add_edge(supplier="d", consumer="a"), r"cycle (\w -> ){3}\w, and allow_cycles is false"),
        (_add_edge(supplier="b", consumer="b"), r"edges\[4\] \(b -> b\) is a self-loop on 'b'"),
        (_add_edge(supplier="a", consumer="b"), r"edges\[4\] \(a -> b\) duplicates edges\[0\]"),
        (_set(("edges", 0, "weight"), 1.5),
         r"edges\[0\] \(a -> b\) has weight 1.5 outside \[0, 1\]"),
        (_set(("edges", 1, "weight"), -0.1), r"edges\[1\] \(a -> c\) has weight -0.1 outside"),
        (_set(("edges", 1, "weight"), "high"),
         r"edges\[1\] \(a -> c\) has non-numeric weight 'high'"),
        (_set(("edges", 1, "weight"), True), r"edges\[1\] \(a -> c\) has non-numeric weight True"),
        (_set(("nodes", 0, "keywords_en"), "chip"), r"node 'a' field 'keywords_en' must be a list"),
        (_set(("allow_cycles",), "no"), r"allow_cycles must be true or false"),
        (_set(("nodes",), []), r"nodes must be a non-empty list"),
    ],
)
def test_invalid_chains_name_the_offending_entry(mutate, match):
    data = copy.deepcopy(toy())
    mutate(data)
    with pytest.raises(ChainError, match=match) as info:
        chain_from_dict(data, source="toy.yaml")
    assert str(info.value).startswith("toy.yaml: ")


def test_cycle_message_names_the_nodes_of_the_cycle():
    data = toy()
    data["edges"].append({"supplier": "d", "consumer": "a"})
    with pytest.raises(ChainError) as info:
        chain_from_dict(data)
    path = str(info.value).split("cycle ")[1].split(",")[0].split(" -> ")
    assert path[0] == path[-1] and set(path) <= {"a", "b", "c", "d"} and len(path) == 4


def test_cycles_pass_when_the_chain_allows_them():
    data = toy()
    data["allow_cycles"] = True
    data["edges"].append({"supplier": "d", "consumer": "a"})
    chain = chain_from_dict(data)
    assert chain.allow_cycles and chain.downstream_reach("d") == 3


def test_a_chain_must_be_a_mapping():
    with pytest.raises(ChainError, match=r"^<dict>: a chain must be a mapping, got list"):
        chain_from_dict([1, 2])


def test_weight_bounds_are_inclusive():
    data = toy()
    data["edges"][0]["weight"] = 1
    data["edges"][1]["weight"] = 0
    weights = chain_from_dict(data).edges["weight"].tolist()
    assert weights[:2] == [1.0, 0.0] and math.isnan(weights[2])


def test_unreadable_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nnodes: [unclosed\n", encoding="utf-8")
    with pytest.raises(ChainError, match=r"broken\.yaml: unreadable YAML"):
        load_chain(path)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ChainError, match=r"absent\.yaml: cannot read the chain file"):
        load_chain(tmp_path / "absent.yaml")


def test_file_errors_name_the_file_and_entry(tmp_path):
    import yaml

    data = toy()
    data["nodes"][3]["stage"] = "sideways"
    path = tmp_path / "bad_stage.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ChainError, match=r"bad_stage\.yaml: node 'd' has unknown stage 'sideways'"):
        load_chain(path)
