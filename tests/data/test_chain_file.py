"""The embedded chain file: fixed node ids, real HS codes, usable keywords, a connected DAG."""

import csv
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from recommender import columns as C
from recommender.chain import HS2017_ONLY_CODES, KEYWORDS_EN, KEYWORDS_ZH, load_chain
from recommender.paths import shared_data_dir

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u2e80-\u9fff]")


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture(scope="module")
def hs2022() -> set[str]:
    folder = shared_data_dir()
    if folder is None or not (folder / "harmonized_system_2022.csv").exists():
        pytest.skip("../shared/data/harmonized_system_2022.csv is not available")
    with open(folder / "harmonized_system_2022.csv", encoding="utf-8", newline="") as fh:
        return {row["hscode"] for row in csv.DictReader(fh)}


def test_nodes_equal_the_fixed_list(chain):
    with open(ROOT / "docs" / "chain_nodes.tsv", encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        fixed = [(r["node_id"], r["stage"], r["segment"]) for r in rows]
    nodes = chain.nodes
    assert list(zip(nodes[C.NODE_ID], nodes[C.STAGE], nodes[C.SEGMENT], strict=True)) == fixed


@pytest.mark.realdata
def test_every_hs_code_is_real(chain, hs2022):
    unknown = [
        (node_id, code)
        for node_id, codes in zip(chain.nodes[C.NODE_ID], chain.nodes[C.HS_CODES], strict=True)
        for code in codes
        if code not in hs2022 and code not in HS2017_ONLY_CODES
    ]
    assert unknown == []


@pytest.mark.realdata
def test_hs2017_exemptions_are_really_gone_from_hs2022(hs2022):
    assert HS2017_ONLY_CODES and not set(HS2017_ONLY_CODES) & hs2022


def test_product_nodes_have_hs_codes(chain):
    products = chain.nodes[chain.nodes[C.STAGE] != "downstream"]
    assert [n for n, codes in zip(products[C.NODE_ID], products[C.HS_CODES], strict=True)
            if not codes] == []


def test_every_node_has_keywords_in_both_languages(chain):
    for row in chain.nodes.itertuples(index=False):
        node = row._asdict()
        least = 3 if node[C.STAGE] == "downstream" else 4
        assert len(node[KEYWORDS_ZH]) >= least, node[C.NODE_ID]
        assert len(node[KEYWORDS_EN]) >= least, node[C.NODE_ID]
        assert all(CJK.search(k) for k in node[KEYWORDS_ZH]), node[C.NODE_ID]
        assert all(k.isascii() for k in node[KEYWORDS_EN]), node[C.NODE_ID]


def test_no_keyword_points_at_two_nodes(chain):
    owners = Counter(
        re.sub(r"[\s\-]", "", keyword.lower())
        for column in (KEYWORDS_ZH, KEYWORDS_EN)
        for keywords in chain.nodes[column]
        for keyword in set(keywords)
    )
    assert [k for k, n in owners.items() if n > 1] == []


def test_keywords_avoid_words_that_match_everything(chain):
    too_generic = {"instrument", "instruments", "system", "systems", "equipment", "sensor",
                   "device", "devices", "plc", "仪器", "设备", "传感器", "激光"}
    used = {k.lower() for col in (KEYWORDS_ZH, KEYWORDS_EN) for ks in chain.nodes[col] for k in ks}
    assert used & too_generic == set()


def test_every_node_has_an_edge_and_the_stages_connect(chain):
    graph = chain.graph
    assert [n for n in graph if graph.degree(n) == 0] == []
    stage = nx.get_node_attributes(graph, C.STAGE)
    for node in graph:
        if stage[node] != "downstream":
            assert graph.out_degree(node) > 0, f"{node} supplies nothing"
        if stage[node] != "upstream":
            assert graph.in_degree(node) > 0, f"{node} has no supplier"
    rank = {"upstream": 0, "midstream": 1, "downstream": 2}
    assert [(u, v) for u, v in graph.edges if rank[stage[u]] > rank[stage[v]]] == []


def test_edges_form_a_dag_of_plausible_size(chain):
    assert nx.is_directed_acyclic_graph(chain.graph)
    # two and a half to five suppliers or customers a node
    assert 2.5 * len(chain.node_ids) <= len(chain.edges) <= 5 * len(chain.node_ids)


def test_cost_shares_into_a_node_stay_below_one(chain):
    shares = chain.edges.dropna(subset=["weight"]).groupby("consumer")["weight"].sum()
    assert shares.max() <= 1.0
    into_downstream = chain.edges["consumer"].isin(chain.nodes_in_stage("downstream"))
    assert chain.edges.loc[into_downstream, "weight"].isna().all()


@pytest.mark.parametrize(
    ("supplier", "consumer"),
    [
        ("lasers", "spectrometers"),
        ("vacuum_pumps", "mass_spectrometers"),
        ("vacuum_pumps", "electron_microscopes"),
        ("adc_chips", "oscilloscopes"),
        ("ultrasound_transducers", "ultrasound_imaging"),
        ("superconducting_magnets", "mri_systems"),
        ("xray_tubes", "ct_scanners"),
        ("xray_tubes", "xray_imaging"),
        ("mass_spectrometers", "life_sciences"),
        ("mass_spectrometers", "food_drug_safety"),
        ("mass_spectrometers", "environmental_monitoring"),
        ("wafer_inspection", "semiconductors_electronics"),
        ("load_cells", "weighing_instruments"),
        ("gas_sensors", "gas_analyzers"),
        ("pressure_sensors", "level_instruments"),
    ],
)
def test_known_supply_links_are_present(chain, supplier, consumer):
    assert chain.graph.has_edge(supplier, consumer)


@pytest.mark.realdata
def test_weighing_level_and_gas_headings_are_placed(chain, hs2022):
    """Every HS 2022 subheading of weighing machines (8423) and balances (9016), and the
    flow, level and pressure (9026) and gas analysis (902710) subheadings, is a node's."""
    wanted = {code for code in hs2022
              if len(code) == 6 and code[:4] in {"8423", "9016", "9026"}} | {"902710"}
    placed = {code for codes in chain.nodes[C.HS_CODES] for code in codes}
    assert wanted and wanted <= placed
    assert chain.nodes_for_hs("901600") == ["laboratory_balances"]
    assert set(chain.nodes_for_hs("842320")) == {"weighing_instruments"}
    assert "load_cells" in chain.nodes_for_hs("842390")
