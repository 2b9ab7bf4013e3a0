"""Weak-link diagnosis: every component by hand on a 4-node chain, flags, what-ifs, the demo."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from recommender import columns as C
from recommender.chain import chain_from_dict, load_chain
from recommender.config import load_settings
from recommender.demo.generator import generate_world
from recommender.demo.world import load_reference_firms, load_region
from recommender.diagnosis.weak_links import (
    WEAK_LINK_COLUMNS,
    component_weights,
    diagnose_weak_links,
    explain_weak_link,
    weak_link_weights,
)
from recommender.exceptions import DataError, InvalidArgument
from recommender.firms.geocode import EARTH_RADIUS_KM

RADIUS = 100.0
CORE = (22.0, 113.0)
DEFAULTS = load_settings()
W = component_weights(DEFAULTS)

# --- a 4-node chain: glass -> lens -> scope -> hospital ------------------------------------
#
# Hand computation (the expected values below restate it):
# reach: glass 3, lens 2, scope 1, hospital 0; cost shares: glass->lens 0.4, lens->scope 0.3,
# so the forward linkage is glass 0.4 + 0.4 * 0.3 = 0.52, lens 0.3, scope 0 (its edge into the
# hospital has no weight). criticality = (reach / 3 + linkage / 0.52) / 2.
# imports (two years, so values are halved): 700220 DE 300 + 100 -> glass DE 200;
# 900190 JP 400, US 200 -> lens (its code) and scope (heading 9001) half each: JP 100, US 50;
# 901110 US 300 -> scope US 150; 999999 matches nothing.
# local firms (radius 100 km): f1 ln(1 + 99) on lens (two links, the higher confidence 1.0
# counts); f2 "small" class -> ln(1 + 110), 200 km out -> x 0.5, confidence 0.8, on lens;
# f3 no size -> the median of the known weights, no coordinates -> in full, on scope (no
# confidence -> 1.0) and hospital (0.5); f4 is American and f5 elsewhere in China.

LN100, LN111 = math.log(100), math.log(111)
MEDIAN_W = (LN100 + LN111) / 2
SUPPLY = {"glass": 0.0, "lens": LN100 + 0.5 * 0.8 * LN111, "scope": MEDIAN_W,
          "hospital": 0.5 * MEDIAN_W}
S_MED = MEDIAN_W  # median of the positive supplies (lens, scope, hospital)
IMPORTS = {"glass": 200.0, "lens": 150.0, "scope": 300.0, "hospital": 0.0}
M_MED = 200.0
NEEDS = {"glass": 0.0, "lens": 6.0, "scope": 3.0, "hospital": 0.0}


def _expected() -> pd.DataFrame:
    rows = {}
    for node in ("glass", "lens", "scope", "hospital"):
        a, b = IMPORTS[node] / M_MED, SUPPLY[node] / S_MED
        rows[node] = {
            C.LOCAL_SUPPLY: SUPPLY[node],
            C.LOCAL_GAP: 1 / (1 + b),
            C.IMPORT_VALUE: IMPORTS[node],
            C.LEADER_NEED: NEEDS[node],
            C.DEMAND: 0.5 * (a / (1 + a) + NEEDS[node] / 6.0),
            C.IMPORT_DEPENDENCE: a / (a + b) if a + b else 0.0,
        }
    rows["glass"] |= {C.CONCENTRATION: 1.0, C.EXPORT_CONTROL: 0.0, C.CRITICALITY: 1.0}
    rows["lens"] |= {C.CONCENTRATION: 5 / 9, C.EXPORT_CONTROL: 0.8 / 3,
                     C.CRITICALITY: (2 / 3 + 0.3 / 0.52) / 2}
    rows["scope"] |= {C.CONCENTRATION: 5 / 9, C.EXPORT_CONTROL: 0.5 / 3,
                      C.CRITICALITY: (1 / 3) / 2}
    rows["hospital"] |= {C.CONCENTRATION: 0.0, C.EXPORT_CONTROL: 0.0, C.CRITICALITY: 0.0}
    out = pd.DataFrame(rows).T
    out[C.WEAK_LINK_SCORE] = sum(w * out[c] for c, w in W.items())
    return out


def _toy_chain():
    def node(node_id, stage, codes):
        return {"id": node_id, "name_zh": node_id + "中", "name_en": node_id.title(),
                "stage": stage, "segment": "toy", "hs_codes": codes}

    return chain_from_dict({
        "id": "toy", "name_zh": "玩具链", "name_en": "Toy chain", "version": "1",
        "nodes": [node("glass", "upstream", ["700220"]), node("lens", "upstream", ["900190"]),
                  node("scope", "midstream", ["9001", "901110"]),
                  node("hospital", "downstream", [])],
        "edges": [{"supplier": "glass", "consumer": "lens", "weight": 0.4},
                  {"supplier": "lens", "consumer": "scope", "weight": 0.3},
                  {"supplier": "scope", "consumer": "hospital"}],
    })


def _toy_region(**tables):
    base = {
        "imports": pd.DataFrame({
            C.HS_CODE: ["700220", "700220", "900190", "900190", "901110", "999999"],
            C.ORIGIN: ["DE", "DE", "JP", "US", "US", "CN"],
            C.YEAR: [2022, 2023, 2022, 2022, 2023, 2022],
            C.VALUE_USD: [300.0, 100.0, 400.0, 200.0, 300.0, 50.0]}),
        "export_controls": pd.DataFrame({C.ORIGIN: ["US", "JP"], C.NODE_ID: ["lens", "scope"],
                                         C.CONTROL: [0.8, 0.5]}),
        "leader_needs": pd.DataFrame({C.LEADER_FIRM_ID: ["leader-a", "leader-b", "leader-a"],
                                      C.NODE_ID: ["lens", "lens", "scope"], C.NEED: [4, 2, 3]}),
    }
    base.update(tables)
    return SimpleNamespace(
        id="toyland", name_zh="玩具省", name_en="Toyland", country="CN",
        core_lat=CORE[0], core_lon=CORE[1], radius_km=RADIUS,
        cities=pd.DataFrame({C.CITY_NAME_ZH: ["甲市"], C.CITY_NAME_EN: ["Alpha"]}), **base)


def _toy_firms():
    far_lat = CORE[0] + math.degrees(200.0 / EARTH_RADIUS_KM)  # 200 km due north
    firms = pd.DataFrame({
        C.FIRM_ID: ["f1", "f2", "f3", "f4", "f5"],
        C.COUNTRY: ["CN", "CN", "CN", "US", "CN"],
        C.PROVINCE: [None, None, "Toyland", None, "Elsewhere"],
        C.CITY: ["Alpha", "Alpha", "Beta", "Alpha", "Gamma"],
        C.LAT: [CORE[0], far_lat, None, CORE[0], CORE[0]],
        C.LON: [CORE[1], CORE[1], None, CORE[1], CORE[1]],
        C.EMPLOYEES: [99.0, None, None, 5000.0, 5000.0],
        C.SIZE_CLASS: [None, "small", None, "mega", "mega"],
    })
    links = pd.DataFrame({
        C.FIRM_ID: ["f1", "f1", "f2", "f3", "f3", "f4", "f5", "f1"],
        C.NODE_ID: ["lens", "lens", "lens", "scope", "hospital", "glass", "glass", "ghost"],
        C.CONFIDENCE: [1.0, 0.5, 0.8, None, 0.5, 1.0, 1.0, 1.0],
        C.METHOD: ["reference", "keyword", "keyword", "user", "user", "keyword", "keyword",
                   "keyword"],
    })
    return firms, links


@pytest.fixture
def toy_table():
    firms, links = _toy_firms()
    return diagnose_weak_links(_toy_chain(), _toy_region(), firms, links, settings=DEFAULTS,
                               radius_km=RADIUS)


def test_every_component_matches_the_hand_computation(toy_table):
    got = toy_table.set_index(C.NODE_ID)
    expected = _expected()
    for column in expected.columns:
        np.testing.assert_allclose(got.loc[expected.index, column].to_numpy(float),
                                   expected[column].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   err_msg=column)
    assert got[C.LOCAL_FIRMS].to_dict() == {"lens": 2, "scope": 1, "hospital": 1, "glass": 0}
    assert got["downstream_reach"].to_dict() == {"lens": 2, "scope": 1, "hospital": 0,
                                                 "glass": 3}


def test_the_table_is_sorted_ranked_and_complete(toy_table):
    assert list(toy_table.columns) == WEAK_LINK_COLUMNS
    assert toy_table[C.WEAK_LINK_SCORE].is_monotonic_decreasing
    order = _expected()[C.WEAK_LINK_SCORE].sort_values(ascending=False).index.tolist()
    assert toy_table[C.NODE_ID].tolist() == order
    by_node = toy_table.set_index(C.NODE_ID)
    assert by_node["can_recruit"].to_dict() == {"glass": True, "lens": True, "scope": True,
                                                "hospital": False}
    assert pd.isna(by_node.loc["hospital", C.RANK])
    assert sorted(by_node[C.RANK].dropna().astype(int)) == [1, 2, 3]
    assert toy_table.attrs["unmatched_import_codes"] == ["999999"]
    assert toy_table.attrs["import_years"] == [2022, 2023]


def test_missing_inputs_are_flagged_per_node(toy_table):
    by_node = toy_table.set_index(C.NODE_ID)
    flags = by_node[["has_imports", "has_leader_needs", "has_export_controls",
                     "has_local_firms"]].to_dict("index")
    assert flags["glass"] == {"has_imports": True, "has_leader_needs": False,
                              "has_export_controls": False, "has_local_firms": False}
    assert flags["lens"] == dict.fromkeys(flags["lens"], True)
    assert by_node.loc["glass", "missing_inputs"] == [C.LOCAL_GAP, C.DEMAND,
                                                      C.IMPORT_DEPENDENCE, C.EXPORT_CONTROL]
    assert by_node.loc["lens", "missing_inputs"] == []
    assert by_node.loc["hospital", "missing_inputs"] == [
        C.DEMAND, C.IMPORT_DEPENDENCE, C.CONCENTRATION, C.EXPORT_CONTROL]


def test_a_region_without_tables_flags_everything_and_scores_only_what_it_has():
    empty = {name: frame.iloc[0:0] for name, frame in vars(_toy_region()).items()
             if name in ("imports", "export_controls", "leader_needs")}
    table = diagnose_weak_links(_toy_chain(), _toy_region(**empty), *_toy_firms(),
                                settings=DEFAULTS, radius_km=RADIUS).set_index(C.NODE_ID)
    assert not table[["has_imports", "has_leader_needs", "has_export_controls"]].any().any()
    assert (table[[C.DEMAND, C.IMPORT_DEPENDENCE, C.CONCENTRATION, C.EXPORT_CONTROL]] == 0).all(
    ).all()
    np.testing.assert_allclose(table[C.WEAK_LINK_SCORE],
                               W[C.LOCAL_GAP] * table[C.LOCAL_GAP]
                               + W[C.CRITICALITY] * table[C.CRITICALITY])
    assert all(C.DEMAND in missing for missing in table["missing_inputs"])


def test_restrict_raises_exposure_only_where_the_origins_supply(toy_table):
    firms, links = _toy_firms()
    what_if = diagnose_weak_links(_toy_chain(), _toy_region(), firms, links, settings=DEFAULTS,
                                  radius_km=RADIUS, restrict=["us"]).set_index(C.NODE_ID)
    before = toy_table.set_index(C.NODE_ID)
    # lens: US third now at 1.0 (was 0.8); scope: US two thirds at 1.0 plus JP third at 0.5
    assert what_if.loc["lens", C.EXPORT_CONTROL] == pytest.approx(1 / 3)
    assert what_if.loc["scope", C.EXPORT_CONTROL] == pytest.approx(2 / 3 + 0.5 / 3)
    for node in ("glass", "hospital"):  # no American imports
        assert what_if.loc[node, C.EXPORT_CONTROL] == before.loc[node, C.EXPORT_CONTROL]
        assert what_if.loc[node, C.WEAK_LINK_SCORE] == pytest.approx(
            before.loc[node, C.WEAK_LINK_SCORE])
    assert what_if["has_export_controls"].all()
    assert what_if.attrs["restrict"] == ["US"]


def test_weights_come_from_settings_and_can_be_overridden():
    firms, links = _toy_firms()
    only_gap = load_settings({"weight_local_gap": 1, "weight_demand": 0,
                              "weight_import_dependence": 0, "weight_concentration": 0,
                              "weight_export_control": 0, "weight_criticality": 0})
    table = diagnose_weak_links(_toy_chain(), _toy_region(), firms, links, settings=only_gap,
                                radius_km=RADIUS)
    np.testing.assert_allclose(table[C.WEAK_LINK_SCORE], table[C.LOCAL_GAP])
    override = diagnose_weak_links(_toy_chain(), _toy_region(), firms, links, settings=only_gap,
                                   radius_km=RADIUS, weights={"local_gap": 0, "criticality": 2})
    np.testing.assert_allclose(override[C.WEAK_LINK_SCORE], 2 * override[C.CRITICALITY])
    assert override.attrs["weights"][C.CRITICALITY] == 2.0


def test_the_radius_comes_from_settings_when_not_given():
    firms, links = _toy_firms()
    wide = diagnose_weak_links(_toy_chain(), _toy_region(), firms, links,
                               settings=load_settings({"radius_km": 250}))
    lens = wide.set_index(C.NODE_ID).loc["lens", C.LOCAL_SUPPLY]
    assert lens == pytest.approx(LN100 + 0.8 * LN111)  # f2 now within the radius
    assert wide.attrs["radius_km"] == 250.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"weights": {"bogus": 1.0}}, InvalidArgument, "weights: unknown component 'bogus'"),
    ({"weights": {"demand": -1.0}}, InvalidArgument, "weights: the weight of demand"),
    ({"radius_km": 0}, InvalidArgument, "radius_km"),
    ({"restrict": ["USA"]}, InvalidArgument, "restrict: 'USA'"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        diagnose_weak_links(_toy_chain(), _toy_region(), *_toy_firms(), settings=DEFAULTS,
                            **kwargs)


@pytest.mark.parametrize("table", ["leader_needs", "export_controls"])
def test_a_region_table_naming_an_unknown_node_is_a_data_error(table):
    region = _toy_region()
    frame = getattr(region, table).copy()
    frame.loc[0, C.NODE_ID] = "ghost"
    with pytest.raises(DataError, match=f"{table}: node.*ghost"):
        diagnose_weak_links(_toy_chain(), _toy_region(**{table: frame}), *_toy_firms(),
                            settings=DEFAULTS)


def test_no_firms_at_all_leaves_every_local_gap_full():
    firms, links = _toy_firms()
    table = diagnose_weak_links(_toy_chain(), _toy_region(), firms.iloc[0:0], links.iloc[0:0],
                                settings=DEFAULTS)
    assert (table[C.LOCAL_GAP] == 1.0).all()
    assert not table["has_local_firms"].any()
    assert all(C.LOCAL_GAP in missing for missing in table["missing_inputs"])


# --- weights for the portfolio and explanations -----------------------------------------------

def test_weak_link_weights_keep_recruitable_nodes_and_sum_to_one(toy_table):
    weights = weak_link_weights(toy_table)
    assert "hospital" not in weights.index
    assert weights.sum() == pytest.approx(1.0)
    assert weights.index.tolist() == toy_table.loc[toy_table["can_recruit"], C.NODE_ID].tolist()
    top = weak_link_weights(toy_table, top=1)
    assert top.to_dict() == {toy_table.loc[0, C.NODE_ID]: 1.0}


@pytest.mark.parametrize("top", [0, -1, 1.5, True])
def test_weak_link_weights_reject_a_bad_top(toy_table, top):
    with pytest.raises(InvalidArgument, match="top must be a positive integer"):
        weak_link_weights(toy_table, top=top)


def test_explanations_give_the_reasons_in_both_languages(toy_table):
    by_node = toy_table.set_index(C.NODE_ID)
    glass = explain_weak_link(by_node.loc["glass"])
    assert glass["zh"] == ("进口依存度高（100%），本地尚无已知配套企业，"
                           "进口来源高度集中（HHI 1.00），对下游影响大（关键性 1.00）；"
                           "缺少链主需求、出口管制数据。")
    assert glass["en"].startswith("High import dependence (100%), no local supplier known")
    assert glass["en"].endswith("; no input on leader needs, export controls.")
    lens = explain_weak_link(by_node.loc["lens"].to_dict())
    assert "本地已有 2 家配套企业" in lens["zh"] and "链主配套需求合计 6" in lens["zh"]
    hospital = explain_weak_link(by_node.loc["hospital"])
    assert hospital["zh"].startswith("下游应用领域") and "缺少" not in hospital["zh"]


# --- the demo world -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    chain, region = load_chain(), load_region()
    world = generate_world(n_firms=2000, seed=1, chain=chain, region=region,
                           reference=load_reference_firms())
    return chain, region, world


@pytest.fixture(scope="module")
def demo_table(demo):
    chain, region, world = demo
    return diagnose_weak_links(chain, region, world.firms, world.firm_nodes, settings=DEFAULTS)


def test_demo_paper_weak_links_rank_among_the_weakest_upstream_nodes(demo_table):
    upstream = demo_table[demo_table[C.STAGE] == "upstream"].reset_index(drop=True)
    position = {node: i + 1 for i, node in enumerate(upstream[C.NODE_ID])}
    named = ["vacuum_pumps", "adc_chips", "fpga_chips", "photodetectors"]
    assert all(position[node] <= len(upstream) / 3 for node in named), {
        node: position[node] for node in named}
    assert np.mean([position[node] for node in named]) <= 8


def test_demo_guangdong_strengths_rank_among_the_strongest(demo_table):
    recruitable = demo_table[demo_table["can_recruit"]]
    n = len(recruitable)
    rank = recruitable.set_index(C.NODE_ID)[C.RANK]
    for node in ("patient_monitors", "ultrasound_imaging"):  # Mindray, SonoScape, Edan
        assert rank[node] > n - 0.1 * n, (node, rank[node], n)


def test_demo_every_node_has_a_row_and_inputs_are_real_where_the_region_gives_them(demo_table):
    assert len(demo_table) == 82
    upstream_midstream = demo_table[demo_table["can_recruit"]]
    assert upstream_midstream["has_imports"].all()  # the demo imports cover every such node
    assert demo_table.loc[~demo_table["can_recruit"], C.STAGE].eq("downstream").all()
    components = demo_table[list(C.WEAK_LINK_COMPONENTS)]
    assert ((components >= 0) & (components <= 1)).all().all()


def test_demo_restricting_us_and_nl_raises_exposure_only_for_their_imports(demo, demo_table):
    chain, region, world = demo
    what_if = diagnose_weak_links(chain, region, world.firms, world.firm_nodes,
                                  settings=DEFAULTS, restrict=("US", "NL"))
    before = demo_table.set_index(C.NODE_ID)[C.EXPORT_CONTROL]
    after = what_if.set_index(C.NODE_ID)[C.EXPORT_CONTROL].reindex(before.index)
    imports = region.imports
    from_them = {node for code in imports.loc[imports[C.ORIGIN].isin(["US", "NL"]), C.HS_CODE]
                 for node in chain.nodes_for_hs(code)}
    assert from_them and (after[list(from_them)] > before[list(from_them)]).all()
    others = [node for node in before.index if node not in from_them]
    assert (after[others] == before[others]).all()
    assert after["fpga_chips"] > before["fpga_chips"]


# --- the command line -----------------------------------------------------------------------

@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    from recommender.store import open_store

    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(tmp_path / "var"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    firms = pd.DataFrame({
        C.FIRM_ID: ["ref-local-scope", "ref-local-pump", "ref-far"],
        C.FIRM_KEY: ["local scope|CN", "local pump|CN", "far|DE"],
        C.NAME: ["Local Scope", "Local Pump", "Far Away"],
        C.COUNTRY: ["CN", "CN", "DE"], C.PROVINCE: ["Guangdong", "Guangdong", None],
        C.CITY: ["Shenzhen", "Dongguan", "Munich"],
        C.LAT: [22.5455, 23.0180, 48.1371], C.LON: [114.0683, 113.7487, 11.5754],
        C.EMPLOYEES: [800, 40, 3000], C.IS_SYNTHETIC: [False, False, False],
    })
    links = pd.DataFrame({C.FIRM_ID: ["ref-local-scope", "ref-local-pump", "ref-far"],
                          C.NODE_ID: ["oscilloscopes", "vacuum_pumps", "vacuum_pumps"],
                          C.CONFIDENCE: [1.0, 0.9, 1.0], C.METHOD: ["user"] * 3})
    with open_store(url) as store:
        store.upsert_firms(firms)
        store.replace_firm_nodes(links)
    return url


def _run(url, *args):
    from recommender.cli import cli

    return CliRunner().invoke(cli, ["--database-url", url, "weak-links", *args])


def test_cli_prints_a_readable_table(cli_store):
    result = _run(cli_store, "--top", "5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "5 of 82 nodes shown, 3 firms in the store" in lines[0]
    header = next(line for line in lines if line.startswith("rank"))
    for word in ("score", "gap", "demand", "import", "HHI", "control", "critical", "missing"):
        assert word in header
    ranked = [line for line in lines if line[:1].isdigit()]
    assert [line.split()[0] for line in ranked] == ["1", "2", "3", "4", "5"]


def test_cli_prints_valid_json_with_the_what_if(cli_store):
    result = _run(cli_store, "--json", "--restrict", "US,Netherlands")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["restrict"] == ["US", "NL"] and payload["firms"] == 3
    assert len(payload["nodes"]) == 82
    pumps = next(n for n in payload["nodes"] if n[C.NODE_ID] == "vacuum_pumps")
    assert pumps[C.LOCAL_FIRMS] == 1 and pumps["has_local_firms"] is True
    assert set(pumps["reason"]) == {"zh", "en"}
    downstream = [n for n in payload["nodes"] if not n["can_recruit"]]
    assert downstream and all(n[C.RANK] is None for n in downstream)


def test_cli_writes_csv(cli_store, tmp_path):
    out = tmp_path / "weak.csv"
    result = _run(cli_store, "--csv", str(out), "--top", "10")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert len(table) == 10 and {"reason_zh", "missing_inputs"} <= set(table.columns)


@pytest.mark.parametrize(("args", "message"), [
    (["--restrict", "Atlantis"], "unknown country 'Atlantis'"),
    (["--json", "--csv", "x.csv"], "choose one of --json and --csv"),
])
def test_cli_rejects_bad_options(cli_store, args, message):
    result = _run(cli_store, *args)
    assert result.exit_code == 2
    assert message in result.output
