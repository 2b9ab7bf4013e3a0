import datetime as dt

import pytest

from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.pipeline import projects as P
from recommender.pipeline import queries as Q

FIRM, LINK = "ref-hamamatsu", "photodetectors"
DAY = dt.datetime(2026, 3, 2, 9, 0)


def new(store, chain, **fields):
    body = {"firm_id": FIRM, "node_id": LINK, "contact_name": "王伟",
            "contact_phone": "+86 138 0000 0000", "planned_investment_wan": 12000.0,
            "planned_jobs": 150, "next_follow_up": dt.date(2026, 3, 9), **fields}
    return P.create_project(store, body, by="li", node_ids=chain.node_ids, now=DAY)


def walk(store, project_id, stages, start=DAY, **kwargs):
    for i, stage in enumerate(stages, start=1):
        project = P.move_project(store, project_id, stage, by="li",
                                 now=start + dt.timedelta(days=7 * i), **kwargs)
    return project


def test_allowed_moves_are_kept_in_the_history_with_who_and_when(firm_store, chain):
    project = new(firm_store, chain)
    assert (project["stage"], project["owner"], project["campaign_id"]) == (
        "lead", "li", "pipeline-2026")
    walk(firm_store, project["id"], ["contacted", "visit", "negotiation"])
    history = P.project_history(firm_store, project["id"])
    assert [(e["from_stage"], e["to_stage"], e["recorded_by"]) for e in history] == [
        (None, "lead", "li"), ("lead", "contacted", "li"), ("contacted", "visit", "li"),
        ("visit", "negotiation", "li")]
    assert [e["recorded_at"].date() for e in history] == [
        dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16), dt.date(2026, 3, 23)]


def test_an_impossible_jump_is_refused_and_changes_nothing(firm_store, chain):
    project = new(firm_store, chain)
    version = firm_store.data_version()
    with pytest.raises(InvalidArgument, match=r"allowed next: contacted \(接洽\)"):
        P.move_project(firm_store, project["id"], "production", by="li")
    assert P.get_project(firm_store, project["id"])["stage"] == "lead"
    assert len(P.project_history(firm_store, project["id"])) == 1
    assert firm_store.data_version() == version


def test_a_lost_project_needs_a_reason_and_a_held_one_resumes_where_it_was(firm_store, chain):
    project = new(firm_store, chain)
    walk(firm_store, project["id"], ["contacted", "visit", "on_hold"])
    assert P.allowed_moves(firm_store, project["id"]) == ("visit", "lost")
    with pytest.raises(InvalidArgument, match="needs a reason"):
        P.move_project(firm_store, project["id"], "lost", by="li")
    lost = P.move_project(firm_store, project["id"], "lost", by="li", lost_reason="rival_region")
    assert (lost["stage"], lost["lost_reason"]) == ("lost", "rival_region")
    assert P.project_history(firm_store, project["id"])[-1]["lost_reason"] == "rival_region"


def test_moves_record_the_ranker_s_outcome_labels(firm_store, chain):
    project = new(firm_store, chain)
    walk(firm_store, project["id"], ["contacted", "visit", "negotiation", "signed"])
    other = new(firm_store, chain, firm_id="ref-excelitas")
    P.move_project(firm_store, other["id"], "lost", by="li", lost_reason="cost", now=DAY)
    outcomes = firm_store.outcomes()
    mine = outcomes[outcomes["firm_id"] == FIRM]
    assert mine["stage"].tolist() == [1, 2, 2, 3]
    assert set(mine["campaign_id"]) == {"pipeline-2026"} and set(mine["source"]) == {"project"}
    assert outcomes[outcomes["firm_id"] == "ref-excelitas"]["stage"].tolist() == [0]


def test_training_reads_project_labels_with_old_outcomes(firm_store, chain, region):
    import pandas as pd

    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data
    from recommender.ranking.features import training_frame

    firm_store.add_outcomes(pd.DataFrame({  # an outcome file's row, as before projects
        "firm_id": ["ref-excelitas"], "node_id": [LINK], "campaign_id": ["C2025-05-01"],
        "date": [dt.date(2025, 5, 20)], "stage": [2]}))
    project = new(firm_store, chain)
    walk(firm_store, project["id"], ["contacted", "visit", "signed"])
    data = load_chain_data(firm_store, chain=chain, region=region)
    frame = training_frame(data, diagnose_weak_links(chain, region, data.firms,
                                                     data.firm_nodes))
    labels = dict(zip(frame["firm_id"] + "|" + frame["campaign_id"], frame["label"],
                      strict=True))
    assert labels == {f"{FIRM}|pipeline-2026": 3, "ref-excelitas|C2025-05-01": 2}


def test_projects_are_checked_when_created_and_changed(firm_store, chain):
    with pytest.raises(InvalidArgument, match="no firm 'nobody'"):
        new(firm_store, chain, firm_id="nobody")
    with pytest.raises(InvalidArgument, match="not a node of the chain"):
        new(firm_store, chain, node_id="nowhere")
    with pytest.raises(InvalidArgument, match="at least 0"):
        new(firm_store, chain, planned_jobs=-1)
    project = new(firm_store, chain)
    with pytest.raises(InvalidArgument, match="already has open project"):
        new(firm_store, chain)
    with pytest.raises(InvalidArgument, match="cannot change stage"):
        P.update_project(firm_store, project["id"], {"stage": "signed"})
    changed = P.update_project(firm_store, project["id"], {"owner": "zhang", "note": "来访"})
    assert (changed["owner"], changed["note"], changed["stage"]) == ("zhang", "来访", "lead")
    P.delete_project(firm_store, project["id"])
    with pytest.raises(NotFoundError):
        P.get_project(firm_store, project["id"])


def test_personal_data_is_left_out_for_viewers():
    shown = P.without_personal({"id": 1, "contact_name": "王伟", "contact_title": "总经理",
                                "contact_phone": "138", "contact_email": "w@x.cn", "owner": "li"})
    assert shown == {"id": 1, "owner": "li"}


def test_queries_filter_and_count_what_the_pipeline_pages_show(firm_store, chain):
    today = dt.date(2026, 3, 20)
    a = new(firm_store, chain)  # follow-up 9 March: overdue on the 20th
    walk(firm_store, a["id"], ["contacted", "visit", "signed"])
    b = new(firm_store, chain, firm_id="ref-excelitas", node_id="lasers", owner="zhang",
            park_id="gz_nansha", next_follow_up=dt.date(2026, 3, 25))
    c = new(firm_store, chain, firm_id="ref-thorlabs", next_follow_up=dt.date(2026, 3, 1))
    P.move_project(firm_store, c["id"], "lost", by="li", lost_reason="cost", now=DAY)

    ids = lambda rows: [r["id"] for r in rows]  # noqa: E731
    assert ids(Q.list_projects(firm_store)) == [b["id"], a["id"], c["id"]]  # pipeline order
    assert ids(Q.list_projects(firm_store, owner="zhang")) == [b["id"]]
    assert ids(Q.list_projects(firm_store, node_id=LINK, stages=["signed"])) == [a["id"]]
    assert ids(Q.list_projects(firm_store, park_id="gz_nansha")) == [b["id"]]
    assert ids(Q.list_projects(firm_store, overdue=True, today=today)) == [a["id"]]
    assert ids(Q.follow_ups_due(firm_store, "zhang", today=today)) == [b["id"]]
    assert ids(Q.follow_ups_due(firm_store, "zhang", today=today, within_days=2)) == []

    kpis = Q.pipeline_kpis(firm_store, today=today)
    assert kpis["projects_by_stage"]["signed"] == 1 and kpis["projects_by_stage"]["lost"] == 1
    assert kpis["signed"] == {"projects": 1, "investment_wan": 12000.0, "jobs": 150}
    assert kpis["landed"] == {"projects": 0, "investment_wan": 0.0, "jobs": 0}
    assert kpis["links_with_signed"] == {"count": 1, "node_ids": [LINK]}
    assert kpis["overdue_follow_ups"] == 1
    trends = Q.monthly_trends(firm_store, months=2, today=today)
    assert [t["month"] for t in trends] == ["2026-02", "2026-03"]
    assert trends[1]["entered"]["lead"] == 3 and trends[1]["signed_investment_wan"] == 12000.0
