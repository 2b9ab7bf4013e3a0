import datetime as dt

import pytest

from recommender.pipeline import health
from recommender.pipeline import projects as P
from recommender.pipeline.plants import plant_firm_id

FIRM, LINK = "ref-hamamatsu", "photodetectors"  # photodetectors: the weakest link, no local firm
DAY1, DAY2 = dt.date(2026, 1, 5), dt.date(2026, 6, 1)


def to_production(store, chain, region, **fields):
    project = P.create_project(store, {"firm_id": FIRM, "node_id": LINK, "planned_jobs": 300,
                                       **fields}, by="li", node_ids=chain.node_ids)
    for stage in ("contacted", "visit", "negotiation", "signed", "registered", "construction",
                  "production"):
        project = P.move_project(store, project["id"], stage, by="li", region=region)
    return project


def test_a_project_in_production_moves_its_link_s_score_over_time(firm_store, chain, region):
    ids = dict(region_id=region.id, chain_id=chain.id)
    before = health.take_snapshot(firm_store, chain, region, on=DAY1)
    assert before.set_index("node_id").loc[LINK, "local_firms"] == 0
    assert [r["node_id"] for r in health.unaddressed_links(firm_store, before, top=1)] == [LINK]

    project = to_production(firm_store, chain, region, park_id="dg_songshan_lake")
    assert project["plant_firm_id"] == plant_firm_id(FIRM, region.id)
    plant = firm_store.firm(project["plant_firm_id"])
    assert (plant["country"], plant["province"], plant["employees"]) == ("CN", "Guangdong", 300)
    after = health.take_snapshot(firm_store, chain, region, on=DAY2)

    series = {s["node_id"]: s["points"] for s in health.score_history(firm_store, **ids)}
    points = series[LINK]
    assert [p["taken_on"] for p in points] == [DAY1, DAY2]
    assert [p["local_firms"] for p in points] == [0, 1]
    assert points[1]["weak_link_score"] < points[0]["weak_link_score"]
    assert points[1]["local_gap"] < points[0]["local_gap"] == pytest.approx(1.0)
    assert health.snapshot_days(firm_store, **ids) == [DAY1, DAY2]

    changes = {c["node_id"]: c for c in health.link_changes(firm_store, **ids)}
    mine = changes[LINK]
    assert mine["improved"] and mine["change"] == pytest.approx(
        points[1]["weak_link_score"] - points[0]["weak_link_score"])
    assert "local firms 0 -> 1" in mine["why"]["en"] and "本地企业由0家变为1家" in mine["why"]["zh"]
    assert LINK not in [r["node_id"] for r in health.unaddressed_links(firm_store, after)]


def test_a_second_snapshot_on_one_day_replaces_the_first(firm_store, chain, region):
    health.take_snapshot(firm_store, chain, region, on=DAY1)
    health.take_snapshot(firm_store, chain, region, on=DAY1)
    series = health.score_history(firm_store, region_id=region.id, chain_id=chain.id,
                                  node_ids=[LINK])
    assert len(series) == 1 and len(series[0]["points"]) == 1


def test_a_lost_project_leaves_its_link_unaddressed(firm_store, chain, region):
    table = health.take_snapshot(firm_store, chain, region, on=DAY1)
    project = P.create_project(firm_store, {"firm_id": FIRM, "node_id": LINK}, by="li")
    assert LINK not in [r["node_id"] for r in health.unaddressed_links(firm_store, table)]
    P.move_project(firm_store, project["id"], "lost", by="li", lost_reason="policy")
    assert LINK in [r["node_id"] for r in health.unaddressed_links(firm_store, table)]
