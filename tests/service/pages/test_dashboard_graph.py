"""The dashboard's chain graph: the layout (pure geometry), each node's panel facts, and the
SVG the page draws from them (through the test client on the demo store)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from recommender import columns as C
from recommender.chain import CONSUMER, STAGES, SUPPLIER, chain_from_dict, load_chain
from service.pages.chain_graph import (
    COMPONENTS,
    INPUT_FLAGS,
    _balanced_groups,
    layout_chain,
    node_facts,
    score_band,
    short_label,
)
from service.pages.i18n import STRINGS


class Tags(HTMLParser):
    """Every start tag of a page, in order, as (tag, attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def classed(self, name: str) -> list[dict]:
        return [a for _, a in self.found if name in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture
def page(visitor, keys, login):
    """``page(path)``: the HTML of a dashboard path for an officer."""
    login(keys["officer"])

    def get(path: str = "/") -> str:
        response = visitor.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_data(as_text=True)

    return get


@pytest.fixture
def diagnosis(client, as_role) -> dict:
    """The API's weak links, by node id."""
    body = client.get("/api/v1/weak-links", headers=as_role("viewer")).get_json()
    return {item[C.NODE_ID]: item for item in body["items"]}


# --- the layout --------------------------------------------------------------------------------
def test_every_node_is_placed_once_in_its_stage_columns(chain):
    layout = layout_chain(chain, label_of=lambda node: node["name_zh"], node_width=120)
    assert sorted(box.node_id for box in layout.nodes) == sorted(chain.node_ids)
    right_of = {stage: [box.x for box in layout.nodes if box.stage == stage] for stage in STAGES}
    assert max(right_of["upstream"]) < min(right_of["midstream"])
    assert max(right_of["midstream"]) < min(right_of["downstream"])
    for box in layout.nodes:
        assert 0 <= box.x and box.x + box.width <= layout.width
        assert 0 <= box.y and box.y + box.height <= layout.height
    seen = sorted((box.column, box.y) for box in layout.nodes)
    for (col_a, y_a), (col_b, y_b) in zip(seen, seen[1:], strict=False):
        assert col_a != col_b or y_b - y_a >= layout.nodes[0].height  # no overlap


def test_suppliers_stand_left_of_their_consumers(chain):
    layout = layout_chain(chain, label_of=lambda node: node["name_en"])
    column = {box.node_id: box.column for box in layout.nodes}
    assert all(column[row[SUPPLIER]] <= column[row[CONSUMER]]
               for row in chain.edges.to_dict("records"))
    assert len({box.column for box in layout.nodes if box.stage == "upstream"}) == 3
    assert len(layout.edges) == len(chain.edges)


def test_a_tiny_chain_is_drawn_left_to_right():
    toy = chain_from_dict({
        "id": "toy", "name_zh": "玩具", "name_en": "Toy", "version": "1",
        "nodes": [{"id": i, "name_zh": i, "name_en": i, "stage": s, "segment": "x"}
                  for i, s in (("ore", "upstream"), ("part", "upstream"),
                               ("tool", "midstream"), ("use", "downstream"))],
        "edges": [{"supplier": "ore", "consumer": "part"}, {"supplier": "part", "consumer": "tool"},
                  {"supplier": "tool", "consumer": "use"}],
    })
    layout = layout_chain(toy, label_of=lambda node: node["name_en"], node_width=100)
    x = {box.node_id: box.x for box in layout.nodes}
    assert x["ore"] < x["part"] < x["tool"] < x["use"]
    assert [band.stage for band in layout.stages] == list(STAGES)
    assert [band.nodes for band in layout.stages] == [2, 1, 1]
    assert all(edge.path.startswith("M") and " C" in edge.path for edge in layout.edges)


@pytest.mark.parametrize(("counts", "most", "expected"), [
    ([17, 7, 3, 8, 3], 3, [[0], [1, 2], [3, 4]]),
    ([1, 1, 1, 1], 2, [[0, 1], [2, 3]]),
    ([5], 3, [[0]]),
    ([4, 4], 1, [[0, 1]]),
])
def test_levels_are_grouped_into_even_columns(counts, most, expected):
    assert _balanced_groups(counts, most) == expected


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Vacuum pumps", 24, "Vacuum pumps"),
    ("Precision motors (servo, stepper, micro motors)", 24, "Precision motors"),
    ("Semiconductors and electronics manufacturing", 24, "Semiconductors and…"),
    ("光学元件", 24, "光学元件"),
])
def test_labels_are_short(text, limit, expected):
    assert short_label(text, limit) == expected


@pytest.mark.parametrize(("score", "expected"), [
    (None, 0), (float("nan"), 0), (0.0, 0), (0.19, 0), (0.2, 1), (0.79, 3), (0.8, 4), (1.0, 4),
])
def test_a_score_falls_in_one_of_five_bands(score, expected):
    assert score_band(score, 1.0) == expected


def test_the_facts_of_a_node_name_every_component_and_input():
    row = {C.NODE_ID: "lasers", C.NODE_NAME_ZH: "激光器", C.NODE_NAME_EN: "Lasers",
           C.STAGE: "upstream", C.SEGMENT: "optics_photonics", "can_recruit": True, C.RANK: 3,
           C.LOCAL_FIRMS: 0, C.LOCAL_SUPPLY: 0.0, C.LOCAL_GAP: 1.0, C.IMPORT_VALUE: 2.5e8,
           C.LEADER_NEED: 0.0, C.DEMAND: 0.4, C.IMPORT_DEPENDENCE: 1.0, C.CONCENTRATION: 0.3,
           C.EXPORT_CONTROL: 0.0, "downstream_reach": 12, C.CRITICALITY: 0.5,
           C.WEAK_LINK_SCORE: 0.61, "has_local_firms": False, "has_imports": True,
           "has_leader_needs": False, "has_export_controls": False,
           "missing_inputs": [C.LOCAL_GAP, C.IMPORT_DEPENDENCE, C.EXPORT_CONTROL],
           "explanation": {"zh": "进口依存度高。", "en": "High import dependence."}}
    facts = node_facts(row, lang="zh", weights={C.LOCAL_GAP: 0.25}, recruitable=38)
    assert facts["name"] == "激光器" and facts["other_name"] == "Lasers"
    assert facts["stage"] == "上游" and facts["segment"] == "光学与光电"
    assert facts["rank"] == "招商优先级第 3 位（共 38 个）" and facts["score"] == "0.610"
    assert [c["key"] for c in facts["components"]] == list(COMPONENTS)
    by_key = {c["key"]: c for c in facts["components"]}
    assert {k for k, c in by_key.items() if c["missing"]} == {
        C.LOCAL_GAP, C.IMPORT_DEPENDENCE, C.EXPORT_CONTROL}
    assert by_key[C.LOCAL_GAP]["weight"] == "0.25" and by_key[C.DEMAND]["weight"] == "–"
    assert "2.50 亿美元" in by_key[C.DEMAND]["detail"]
    assert "12" in by_key[C.CRITICALITY]["detail"]
    assert {i["key"]: i["given"] for i in facts["inputs"]} == {
        "has_local_firms": False, "has_imports": True, "has_leader_needs": False,
        "has_export_controls": False}
    assert [i["key"] for i in facts["inputs"]] == list(INPUT_FLAGS)
    downstream = node_facts({**row, C.STAGE: "downstream", "can_recruit": False, C.RANK: None},
                            lang="en", weights={}, recruitable=38)
    assert not downstream["can_recruit"] and downstream["rank"].startswith("Downstream")
    assert downstream["explanation"] == "High import dependence."


# --- the graph on the page ---------------------------------------------------------------------
def test_the_graph_has_one_node_per_chain_node_with_its_band(page, chain, diagnosis):
    tags = Tags(page("/?node=vacuum_pumps"))
    nodes = tags.classed("chain-node")
    assert sorted(n["data-node"] for n in nodes) == sorted(chain.node_ids)
    top = max(item[C.WEAK_LINK_SCORE] for item in diagnosis.values())
    for node in nodes:
        item = diagnosis[node["data-node"]]
        band = score_band(item[C.WEAK_LINK_SCORE], top)
        assert node["data-band"] == str(band) and f"band-{band}" in node["class"].split()
        assert item[C.STAGE] in node["class"].split()
        assert ("recruitable" in node["class"].split()) == (item[C.RANK] is not None)
    selected = tags.classed("selected")
    assert [n.get("data-node") for n in selected if "chain-node" in n["class"]] == ["vacuum_pumps"]
    assert len(tags.classed("chain-edge")) == len(chain.edges)
    assert len(tags.classed("stage-title")) == 3
    assert [a["class"] for a in tags.classed("swatch")][:5] == [f"swatch band-{i}"
                                                                 for i in range(5)]


def test_a_recruitable_node_links_to_its_firms_and_the_others_take_focus(page, diagnosis):
    html = page("/?node=vacuum_pumps&country=DE")
    tags = Tags(html)
    for node in tags.classed("chain-node"):
        if diagnosis[node["data-node"]][C.RANK] is not None:
            assert node["data-href"] == f"/?node={node['data-node']}&country=DE#ranked"
            assert f'<a href="{node["data-href"].replace("&", "&amp;")}">' in html
        else:
            assert node["data-href"] == "" and node["tabindex"] == "0"


def test_every_node_carries_its_whole_diagnosis(page, diagnosis):
    html = page("/?node=vacuum_pumps")
    for node in Tags(html).classed("chain-node"):
        item = diagnosis[node["data-node"]]
        for component in COMPONENTS:
            assert node[f"data-c-{component}"] == f"{item[component]:.3f}"
        assert node["data-score"] == f"{item[C.WEAK_LINK_SCORE]:.3f}"
        assert node["data-missing"].split() == item["missing_inputs"]
        assert node["data-absent"].split() == [f for f in INPUT_FLAGS if not item[f]]
        assert node["data-name"] == item[C.NODE_NAME_ZH]
        assert node["data-explanation"] == item["explanation"]["zh"]
    # the <title> says it all without JavaScript
    assert "<title>真空泵\n上游 · " in html and "(Vacuum pumps)" not in html  # zh shows no English
    gap = diagnosis["vacuum_pumps"][C.LOCAL_GAP]
    assert f"本地配套缺口: {gap:.3f}\n" in html
    missing = [item for item in diagnosis.values() if C.LOCAL_GAP in item["missing_inputs"]]
    assert missing  # a component without its input is said to be so
    assert f"本地配套缺口: {missing[0][C.LOCAL_GAP]:.3f} (输入缺失)" in html


def test_the_panel_shows_the_selected_node(page, diagnosis):
    tags = Tags(page("/?node=vacuum_pumps"))
    rows = [a for t, a in tags.found if t == "tr" and "data-component" in a]
    assert [r["data-component"] for r in rows] == list(COMPONENTS)
    missing = [r["data-component"] for r in rows if r.get("class") == "missing"]
    assert missing == diagnosis["vacuum_pumps"]["missing_inputs"]
    inputs = {a["data-input"]: a["class"] for t, a in tags.found if "data-input" in a}
    assert inputs == {f: "given" if diagnosis["vacuum_pumps"][f] else "missing"
                      for f in INPUT_FLAGS}
    select = next(a for t, a in tags.found if a.get("id") == "panel-select")
    assert select["href"] == "/?node=vacuum_pumps#ranked"
    assert len([a for t, a in tags.found if t == "meter"]) == len(COMPONENTS)


def test_the_graph_speaks_english(page):
    html = page("/?lang=en")
    stages = load_chain().nodes["stage"].value_counts()
    assert stages.sum() == 82
    for stage in ("upstream", "midstream", "downstream"):
        assert f"{stage.capitalize()} · {stages[stage]}<" in html
    assert ">Precision motors</tspan></text>" in html  # the parenthesis goes to the title
    assert "<title>Precision motors (servo, stepper, micro motors)\n" in html
    assert "Combined score" in html and "Local supply gap" in html


def test_the_page_keeps_to_its_own_scripts_and_styles(page, visitor):
    html = page("/")
    assert "<script>" not in html and " style=" not in html
    assert not any(a.startswith("on") for _, attrs in Tags(html).found for a in attrs)
    assert '<script src="/static/dashboard.js" defer>' in html
    for name in ("dashboard.css", "dashboard.js"):
        with visitor.get(f"/static/{name}") as asset:
            assert asset.status_code == 200


def test_every_string_the_dashboard_names_exists():
    template = Path(__file__).resolve().parents[3] / "service/templates/pages/dashboard.html"
    named = set(re.findall(r"t\('([a-z0-9_]+)'\)", template.read_text(encoding="utf-8")))
    families = {f"dash_stage_{s}" for s in STAGES} | {f"dash_band_{i}" for i in range(5)} \
        | {f"dash_{part}_{c}" for part in ("comp", "detail") for c in COMPONENTS} \
        | {f"dash_input_{f}" for f in INPUT_FLAGS} \
        | {"dash_guarantee_capped", "dash_guarantee_uncapped", "dash_rank_of",
           "dash_not_recruited"}
    assert named and sorted((named | families) - set(STRINGS)) == []
    # the size words are recommender.firms.sizes's, not the pages' own
    assert not [name for name in named | set(STRINGS) if name.startswith("dash_size")]
    segments = set(load_chain().nodes[C.SEGMENT])
    assert {f"dash_segment_{s}" for s in segments} <= set(STRINGS)
