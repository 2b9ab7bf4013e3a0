"""Park matching: needs, hard filters with reasons, the prior's parts, both directions, CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from recommender.chain import chain_from_dict
from recommender.cli import cli
from recommender.exceptions import DataError, InvalidArgument, NotFoundError, ValidationError
from recommender.parks.matching import firm_parks, matches_for_parks, park_matches
from recommender.parks.park_reasons import EXCLUDED_REASON_EN, EXCLUDED_REASON_ZH
from recommender.parks.profiles import firm_needs, park_profiles
from recommender.parks.scoring import EXCLUDED


@pytest.fixture
def chain():
    """glass -> optics -> scopes -> lab, chips -> scopes; all optics-like but lab."""
    def node(node_id, stage, segment):
        return {"id": node_id, "name_zh": f"{node_id}中文", "name_en": f"{node_id.title()} (x)",
                "stage": stage, "segment": segment}

    return chain_from_dict({
        "id": "toy", "name_zh": "玩具链", "name_en": "Toy", "version": "1",
        "nodes": [node("glass", "upstream", "optics_photonics"),
                  node("optics", "upstream", "optics_photonics"),
                  node("chips", "upstream", "electronic_components"),
                  node("scopes", "midstream", "electrical_measurement"),
                  node("lab", "downstream", "applications")],
        "edges": [{"supplier": "glass", "consumer": "optics"},
                  {"supplier": "optics", "consumer": "scopes"},
                  {"supplier": "chips", "consumer": "scopes"},
                  {"supplier": "scopes", "consumer": "lab"}],
    })


@pytest.fixture
def park():
    return {"park_id": "p1", "name_zh": "一号园", "name_en": "Park One", "city_id": "shenzhen",
            "lat": 22.5, "lon": 113.9, "focus_nodes": ["chips"], "land_available_ha": 10.0,
            "building_available_m2": 50_000.0, "power_capacity_mva": 20.0,
            "clean_room_m2": 2_000.0, "max_new_firms": 2, "tenants": ["tenant"]}


def firm(firm_id, **values):
    row = {"firm_id": firm_id, "name": firm_id.upper(), "name_zh": f"{firm_id}公司",
           "country": "DE", "lat": 48.1, "lon": 11.6, "employees": 200.0,
           "in_china": False, "in_gba": False, "is_synthetic": True}
    return {**row, **values}


def links(*pairs):
    return pd.DataFrame([{"firm_id": f, "node_id": n, "confidence": c} for f, n, c in pairs])


# --- needs ----------------------------------------------------------------------------------

def test_needs_follow_the_documented_rule(chain):
    firms = pd.DataFrame([firm("big", employees=2000.0), firm("small", employees=200.0),
                          firm("classed", employees=np.nan, size_class="small"),
                          firm("unknown", employees=np.nan)])
    needs = firm_needs(firms, links(("big", "optics", 1.0), ("small", "optics", 1.0),
                                    ("classed", "scopes", 1.0)), chain=chain).set_index("firm_id")
    # 2,000 people -> a site of 500; optics: 45 m2 each, 0.25 kVA/m2, 30 % clean room;
    # 22,500 m2 >= 20,000: its own plant on 22,500 / 1.5 / 10,000 ha
    assert needs.loc["big", ["site_staff", "need_land_ha", "need_building_m2", "need_power_mva",
                             "need_clean_room_m2"]].tolist() == pytest.approx(
        [500.0, 1.5, 0.0, 5.625, 6750.0])
    # 200 people -> 50; 2,250 m2 rented, no land
    assert needs.loc["small", ["need_land_ha", "need_building_m2", "need_clean_room_m2"]
                     ].tolist() == pytest.approx([0.0, 2250.0, 675.0])
    # no head count: size class small = 200 people; scopes: 45 m2, 5 % clean room
    assert needs.loc["classed", ["site_staff", "need_building_m2", "need_clean_room_m2"]
                     ].tolist() == pytest.approx([50.0, 2250.0, 112.5])
    assert needs.loc["classed", "need_basis"] == "size_class"
    assert needs.loc["unknown", ["need_land_ha", "need_clean_room_m2"]].isna().all()


def test_stated_needs_override_the_estimate(chain):
    firms = pd.DataFrame([firm("a", need_clean_room_m2=5000.0)])
    needs = firm_needs(firms, links(("a", "optics", 1.0)), chain=chain)
    assert needs.loc[0, "need_clean_room_m2"] == 5000.0 and needs.loc[0, "need_basis"] == "given"


# --- hard filters ---------------------------------------------------------------------------

def test_a_firm_needing_more_than_the_park_offers_is_excluded_with_the_reason(chain, park):
    firms = pd.DataFrame([firm("fits"), firm("big", need_clean_room_m2=5000.0)])
    link = links(("fits", "chips", 1.0), ("big", "chips", 1.0))
    default = park_matches(park, firms, link, chain)
    assert default["firm_id"].tolist() == ["fits"]
    table = park_matches(park, firms, link, chain, include_excluded=True).set_index("firm_id")
    assert table.loc["big", EXCLUDED] and pd.isna(table.loc["big", "rank"])
    assert table.loc["big", EXCLUDED_REASON_EN] == (
        "needs 5,000 m² clean room; park offers 2,000 m² (3,000 m² short)")
    assert table.loc["big", EXCLUDED_REASON_ZH] == (
        "需洁净室5,000平方米，园区仅可提供2,000平方米（缺口3,000平方米）")
    assert not table.loc["fits", EXCLUDED] and table.loc["fits", "rank"] == 1
    assert pd.isna(table.loc["fits", EXCLUDED_REASON_EN])


def test_every_resource_that_falls_short_is_named(chain, park):
    firms = pd.DataFrame([firm("huge", need_land_ha=12.0, need_power_mva=25.0)])
    table = park_matches(park, firms, links(("huge", "chips", 1.0)), chain,
                         include_excluded=True)
    assert table.loc[0, EXCLUDED_REASON_EN] == (
        "needs 12.0 ha land; park offers 10.0 ha (2.0 ha short); "
        "needs 25.0 MVA power; park offers 20.0 MVA (5.0 MVA short)")


def test_unknown_needs_and_offers_never_exclude(chain, park):
    firms = pd.DataFrame([firm("nosize", employees=np.nan)])
    no_offer = {**park, "clean_room_m2": None}
    sized = pd.DataFrame([firm("sized", employees=5000.0)])
    assert not park_matches(park, firms, links(("nosize", "optics", 1.0)), chain).empty
    assert not park_matches(no_offer, sized, links(("sized", "chips", 1.0)), chain,
                            include_excluded=True)[EXCLUDED].any()


# --- the prior --------------------------------------------------------------------------------

def test_a_firm_supplying_a_tenant_outranks_one_without_chain_links(chain, park):
    firms = pd.DataFrame([firm("linked"), firm("plain")])
    link = links(("linked", "optics", 1.0), ("plain", "glass", 1.0), ("tenant", "scopes", 1.0))
    table = park_matches(park, firms, link, chain).set_index("firm_id")
    assert table.loc["linked", "synergy"] == pytest.approx(0.5)  # one fully linked tenant
    assert table.loc["plain", "synergy"] == 0
    assert table.loc["linked", "score"] > table.loc["plain", "score"]
    assert table.loc["linked", "linked_tenants"] == ["tenant"]
    assert "supplies optics to tenant" in table.loc["linked", "reason_en"]  # no name: the id
    assert table.loc["linked", "reasons"][0]["feature"] in {"synergy", "capacity_fit"}


def test_buying_from_a_tenant_counts_as_synergy_and_names_the_tenant(chain, park):
    firms = pd.DataFrame([firm("user"), firm("tenant", name="Scope Works")])
    link = links(("user", "lab", 1.0), ("tenant", "scopes", 1.0))
    table = park_matches(park, firms, link, chain)
    assert table["firm_id"].tolist() == ["user"]  # the tenant itself is not a candidate
    assert "buys scopes from Scope Works" in table.loc[0, "reason_en"]
    assert "从tenant公司采购scopes中文" in table.loc[0, "reason_zh"]


def test_firms_near_a_park_without_tenants_give_synergy(chain, park):
    """A park that lists no tenants still has neighbours. ``gate`` sits at the park (0 km:
    weight 0.5), ``town`` 25 km north (weight 0.5 x (1 - 25 / 50) = 0.25), ``away`` 100 km off
    (none); all three make scopes. ``supplier`` makes chips (chips -> scopes): linked to
    ``gate`` and ``town``, s = 0.5 + 0.25 = 0.75, synergy 0.75 / 1.75 = 3 / 7. ``glass`` is
    linked to no scope maker: 0. ``gate`` is not its own neighbour: its synergy is that of
    ``town`` alone (scopes and scopes are not linked), 0."""
    no_tenants = {**park, "tenants": []}
    north = 25.0 / 111.195  # degrees of latitude in 25 km
    firms = pd.DataFrame([firm("supplier"), firm("glass"),
                          firm("gate", lat=22.5, lon=113.9),
                          firm("town", lat=22.5 + north, lon=113.9),
                          firm("away", lat=23.4, lon=113.9)])
    link = links(("supplier", "chips", 1.0), ("glass", "glass", 1.0), ("gate", "scopes", 1.0),
                 ("town", "scopes", 1.0), ("away", "scopes", 1.0))
    table = park_matches(no_tenants, firms, link, chain, exclude=["town", "away"]
                         ).set_index("firm_id")
    assert table.loc["supplier", "synergy"] == pytest.approx(3 / 7, rel=1e-3)
    assert table.loc["glass", "synergy"] == 0
    assert table.loc["gate", "synergy"] == 0
    assert table.loc["supplier", "score"] > table.loc["glass", "score"]
    assert table.loc["supplier", "linked_tenants"] == []
    assert "linked along the chain to 2 firms within 50 km of the park" in \
        table.loc["supplier", "reason_en"]
    assert "与园区周边50公里内2家企业上下游相邻" in table.loc["supplier", "reason_zh"]


def test_a_firm_sees_the_same_neighbours_from_its_parks(chain, park):
    """``firm_parks`` reads the parks' neighbours from ``firms`` as ``park_matches`` does."""
    no_tenants = {**park, "tenants": []}
    firms = pd.DataFrame([firm("supplier"), firm("gate", lat=22.5, lon=113.9)])
    link = links(("supplier", "chips", 1.0), ("gate", "scopes", 1.0))
    one_way = park_matches(no_tenants, firms, link, chain).set_index("firm_id")
    other_way = firm_parks("supplier", [no_tenants], link, chain, firms=firms)
    assert other_way.loc[0, "synergy"] == pytest.approx(one_way.loc["supplier", "synergy"])
    assert other_way.loc[0, "synergy"] == pytest.approx(0.5 / 1.5)


def test_focus_fit_counts_the_focus_and_half_for_a_neighbour(chain, park):
    firms = pd.DataFrame([firm("core"), firm("next"), firm("far")])
    link = links(("core", "chips", 0.8), ("next", "scopes", 1.0), ("far", "glass", 1.0))
    table = park_matches(park, firms, link, chain).set_index("firm_id")
    assert table["focus_fit"].to_dict() == pytest.approx({"core": 0.8, "next": 0.5, "far": 0.0})
    assert "a focus of the park" in table.loc["core", "reason_en"]
    assert "next in the chain to the park's focus chips" in table.loc["next", "reason_en"]


def test_a_nearer_firm_is_not_penalised(chain, park):
    firms = pd.DataFrame([firm("far"), firm("near", lat=23.0, lon=113.3),
                          firm("present", in_gba=True)])
    link = links(*[(f, "chips", 1.0) for f in ("far", "near", "present")])
    table = park_matches(park, firms, link, chain).set_index("firm_id")
    assert table.loc["near", "score"] >= table.loc["far", "score"]
    assert table.loc["present", "proximity"] == 1.0
    assert "already present in the Greater Bay Area" in table.loc["present", "reason_en"]


def test_recommendation_scores_are_blended_in(chain, park):
    firms = pd.DataFrame([firm("a"), firm("b"), firm("c")])
    link = links(*[(f, "chips", 1.0) for f in ("a", "b", "c")])
    table = park_matches(park, firms, link, chain, scores={"a": 0.1, "b": 2.5})
    assert table["firm_id"].tolist() == ["b", "a", "c"]  # c unscored: as if ranked last
    assert table["rec_score"].tolist() == [1.0, 0.5, 0.0]
    frame = pd.DataFrame({"firm_id": ["c", "c"], "score": [0.0, 9.0]})
    assert park_matches(park, firms, link, chain, scores=frame).loc[0, "firm_id"] == "c"


def test_k_and_exclusions(chain, park):
    firms = pd.DataFrame([firm(f) for f in "abcd"] + [firm("nolink")])
    link = links(*[(f, "chips", 1.0) for f in "abcd"])
    table = park_matches(park, firms, link, chain, k=2, exclude=["a"])
    assert table["firm_id"].tolist() == ["b", "c"] and table["rank"].tolist() == [1, 2]
    with pytest.raises(InvalidArgument, match="k must be a positive"):
        park_matches(park, firms, link, chain, k=0)



@pytest.mark.parametrize("k", [0, -3, 2.5, "5"])
def test_a_bad_k_is_an_invalid_argument_in_every_direction(chain, park, k):
    firms = pd.DataFrame([firm("a")])
    link = links(("a", "chips", 1.0))
    with pytest.raises(InvalidArgument, match="k must be a positive"):
        park_matches(park, firms, link, chain, k=k)
    with pytest.raises(InvalidArgument, match="k must be a positive"):
        matches_for_parks([park], firms, link, chain, k=k)
    with pytest.raises(InvalidArgument, match="k must be a positive"):
        firm_parks("a", [park], link, chain, firms=firms, k=k)


def test_a_misshapen_argument_is_invalid_but_bad_rows_are_bad_data(chain, park):
    firms = pd.DataFrame([firm("a"), firm("b")])
    link = links(("a", "chips", 1.0))
    with pytest.raises(InvalidArgument, match="park: expected one park, got 2 rows"):
        park_matches(pd.DataFrame([park, park]), firms, link, chain)
    with pytest.raises(InvalidArgument, match="firm: expected one firm, got 2 rows"):
        firm_parks(firms, [park], link, chain)
    with pytest.raises(InvalidArgument, match="needs the firms frame"):
        firm_parks("a", [park], link, chain)
    with pytest.raises(DataError, match="firm_id appears more than once") as caught:
        park_matches(park, pd.DataFrame([firm("a"), firm("a")]), link, chain)
    assert not isinstance(caught.value, InvalidArgument)
    with pytest.raises(DataError, match="scores: a frame needs firm_id and score"):
        park_matches(park, firms, link, chain, scores=pd.DataFrame({"firm_id": ["a"]}))

# --- profiles and the other direction ---------------------------------------------------------

def test_park_profiles_validate_ad_hoc_dicts(park):
    profile = park_profiles({**park, "tenants": '["t1", "t2"]', "clean_room_m2": "3,000"})
    assert profile.loc[0, "tenants"] == ["t1", "t2"]
    assert profile.loc[0, "clean_room_m2"] == 3000.0
    with pytest.raises(ValidationError, match="parks: 1 problem") as caught:
        park_profiles({**park, "lat": 200})
    assert caught.value.problems[0]["column"] == "lat"


def test_firm_parks_ranks_parks_for_one_firm(chain, park):
    other = {**park, "park_id": "p2", "focus_nodes": ["lab"], "tenants": [],
             "clean_room_m2": 100.0}
    mine = {**park, "park_id": "p3", "tenants": ["a"]}
    firms = pd.DataFrame([firm("a"), firm("tenant")])
    link = links(("a", "chips", 1.0), ("tenant", "scopes", 1.0))
    table = firm_parks("a", [park, other, mine], link, chain, firms=firms,
                       include_excluded=True)
    assert table["park_id"].tolist() == ["p1", "p2"]  # p3: already a tenant there
    assert table.loc[0, "rank"] == 1 and bool(table.loc[1, EXCLUDED])
    assert "clean room" in table.loc[1, EXCLUDED_REASON_EN]
    assert firm_parks(firms.iloc[0].to_dict(), [park, other], link, chain)["park_id"].tolist() \
        == ["p1"]
    with pytest.raises(NotFoundError, match="no firm 'zz'"):
        firm_parks("zz", [park], link, chain, firms=firms)


def test_firm_parks_scores_each_park_as_park_matches_does(chain, park):
    """Both directions give a (firm, park) pair the same score, parts and reasons, although a
    firm's parks are scored with that firm and the tenants only."""
    other = {**park, "park_id": "p2", "focus_nodes": ["optics"], "tenants": ["b", "c"],
             "lat": 31.2, "lon": 121.5}
    firms = pd.DataFrame([firm("a", employees=900.0), firm("b", country="JP", lat=35.7, lon=139.7),
                          firm("c", in_china=True), firm("tenant"), firm("d", employees=40.0)])
    link = links(("a", "chips", 0.9), ("a", "glass", 0.4), ("b", "optics", 1.0),
                 ("c", "scopes", 0.8), ("tenant", "scopes", 1.0), ("d", "optics", 0.7))
    columns = ["score", "synergy", "focus_fit", "capacity_fit", "proximity", "reason_en"]
    for firm_id in ("a", "d"):
        mine = firm_parks(firm_id, [park, other], link, chain, firms=firms,
                          include_excluded=True).set_index("park_id")
        for profile in (park, other):
            theirs = park_matches(profile, firms, link, chain, include_excluded=True)
            row = theirs.set_index("firm_id").loc[firm_id, columns]
            pd.testing.assert_series_equal(mine.loc[profile["park_id"], columns], row,
                                           check_names=False)


def test_matches_for_parks_stacks_the_parks(chain, park):
    other = {**park, "park_id": "p2", "tenants": []}
    firms = pd.DataFrame([firm(f) for f in "abc"])
    link = links(*[(f, "chips", 1.0) for f in "abc"])
    table = matches_for_parks([park, other], firms, link, chain, k=2)
    assert table.groupby("park_id").size().to_dict() == {"p1": 2, "p2": 2}


def test_matches_without_reasons_have_the_same_rows_and_scores(chain, park):
    other = {**park, "park_id": "p2", "tenants": [], "clean_room_m2": 0.0}
    firms = pd.DataFrame([firm(f, lat=22.0 + i, employees=100.0 * (i + 1))
                          for i, f in enumerate("abcdef")] + [firm("tenant")])
    link = links(*[(f, "chips", 1.0) for f in "abcdef"], ("tenant", "optics", 1.0))
    scores = {f: 0.1 * i for i, f in enumerate("abcdef")}
    text = ["linked_tenants", "reasons", "reason_zh", "reason_en", EXCLUDED_REASON_ZH,
            EXCLUDED_REASON_EN]
    full = matches_for_parks([park, other], firms, link, chain, k=3, scores=scores,
                             include_excluded=True)
    bare = matches_for_parks([park, other], firms, link, chain, k=3, scores=scores,
                             include_excluded=True, reasons=False)
    assert full["reason_en"].notna().any()
    assert list(bare.columns) == list(full.columns)
    pd.testing.assert_frame_equal(bare.drop(columns=text), full.drop(columns=text))
    assert bare[text].isna().all().all()


# --- command line -----------------------------------------------------------------------------



@pytest.mark.slow
def test_cli_park_matches_and_assign(demo_store, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["park-matches", "--park", "zs_xiwan", "--k", "5", "--json"],
                        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["park_id"] == "zs_xiwan" and len(payload["matches"]) == 5
    assert payload["matches"][0]["rank"] == 1 and payload["matches"][0]["reason_zh"]
    text = runner.invoke(cli, ["park-matches", "--park", "zs_xiwan", "--k", "3", "--lang", "en"])
    assert text.exit_code == 0 and "Zhongshan Xiwan" in text.output
    missing = runner.invoke(cli, ["park-matches", "--park", "nowhere"])
    assert missing.exit_code == 2 and "no park 'nowhere'" in missing.output

    csv = tmp_path / "assign.csv"
    done = runner.invoke(cli, ["assign", "--k-per-park", "10", "--csv", str(csv), "--json"],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    table = pd.read_csv(csv)
    assert len(table) == len(result["assignments"]) > 0
    assert not table["firm_id"].duplicated().any()
    assert result["total"] == pytest.approx(table["score"].sum())


def test_no_parks_and_no_candidates_give_empty_tables(chain, park):
    firms = pd.DataFrame([firm("a")])
    empty = matches_for_parks([], firms, links(("a", "chips", 1.0)), chain)
    assert empty.empty and "reason_en" in empty.columns
    assert park_matches(park, firms, links(("b", "chips", 1.0)), chain).empty
