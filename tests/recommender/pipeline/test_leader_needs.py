import datetime as dt

import pytest

from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.pipeline import leader_needs as L

LEADER, TODAY = "ref-mgi-tech", dt.date(2026, 12, 7)


def test_an_entered_need_is_dated_signed_and_read_by_the_diagnosis(firm_store, chain, region):
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data

    node = next(n for n in chain.node_ids if n not in set(region.leader_needs["node_id"]))
    base = load_chain_data(firm_store, chain=chain, region=region)
    assert node not in set(base.region.leader_needs["node_id"])
    before = diagnose_weak_links(chain, base.region, base.firms, base.firm_nodes)
    version = firm_store.data_version()

    row = L.enter_need(firm_store, region.id, LEADER, node,
                       {"need": 5, "volume": "200台/年", "needed_by": dt.date(2027, 6, 30),
                        "supplier_countries": ["de", "JP"]},
                       by="mgi liaison", node_ids=chain.node_ids, region=region, today=TODAY)
    assert (row["as_of"], row["entered_by"], row["supplier_countries"]) == (
        TODAY, "mgi liaison", ["DE", "JP"])
    assert firm_store.data_version() > version

    data = load_chain_data(firm_store, chain=chain, region=region)
    needs = data.region.leader_needs
    # the region's own needs were kept when the first one was entered
    assert len(needs) == len(region.leader_needs) + 1
    entered = needs[needs["node_id"] == node].iloc[0]
    assert (entered["as_of"], entered["entered_by"]) == (TODAY, "mgi liaison")
    after = diagnose_weak_links(chain, data.region, data.firms, data.firm_nodes)
    need = lambda t: float(t.set_index("node_id").loc[node, "leader_need"])  # noqa: E731
    assert (need(before), need(after)) == (0.0, 5.0)
    assert after.attrs["leader_need_dates"][node] == {
        "leader_firm_id": LEADER, "as_of": TODAY, "entered_by": "mgi liaison"}
    assert node not in before.attrs["leader_need_dates"]


def test_needs_are_listed_per_leader_and_replaced_not_doubled(firm_store, region):
    for need in (3, 4):
        L.enter_need(firm_store, region.id, LEADER, "lasers", {"need": need}, by="a",
                     today=TODAY)
    rows = L.needs_of(firm_store, region.id, leader_firm_id=LEADER)
    assert [(r["node_id"], r["need"]) for r in rows] == [("lasers", 4.0)]
    L.delete_need(firm_store, region.id, LEADER, "lasers")
    assert L.needs_of(firm_store, region.id, leader_firm_id=LEADER) == []
    with pytest.raises(NotFoundError):
        L.delete_need(firm_store, region.id, LEADER, "lasers")


@pytest.mark.parametrize(("fields", "message"), [
    ({"need": 0}, "need must be 1 to 5"),
    ({"need": 6}, "need must be 1 to 5"),
    ({"need": 3, "supplier_countries": ["Germany"]}, "not ISO2 codes: GERMANY"),
])
def test_a_malformed_need_is_refused(firm_store, region, fields, message):
    with pytest.raises(InvalidArgument, match=message):
        L.enter_need(firm_store, region.id, LEADER, "lasers", fields, by="a")


def test_a_need_of_a_firm_not_in_the_store_is_not_found(firm_store, region):
    with pytest.raises(NotFoundError, match="nobody"):
        L.enter_need(firm_store, region.id, "nobody", "lasers", {"need": 3}, by="a")


def test_a_region_reimport_keeps_the_needs_leaders_entered(firm_store, chain, region):
    from recommender.firms.schemas import validate_table

    filed = region.leader_needs.iloc[0]
    table = validate_table(region.leader_needs, "leader_needs", file="leader_needs")
    firm_store.replace_region_table("leader_needs", region.id, table)
    # a leader re-enters one of the file's own needs, and enters a new one
    new_node = next(n for n in chain.node_ids if n not in set(region.leader_needs["node_id"]))
    L.enter_need(firm_store, region.id, filed["leader_firm_id"], filed["node_id"], {"need": 5},
                 by="liaison", today=TODAY)
    L.enter_need(firm_store, region.id, LEADER, new_node, {"need": 2}, by="liaison",
                 today=TODAY)

    counts = firm_store.replace_region_table("leader_needs", region.id, table)

    rows = {(r["leader_firm_id"], r["node_id"]): r for r in L.needs_of(firm_store, region.id)}
    assert len(rows) == len(region.leader_needs) + 1
    kept = rows[(filed["leader_firm_id"], filed["node_id"])]
    assert (kept["need"], kept["entered_by"], kept["as_of"]) == (5.0, "liaison", TODAY)
    assert rows[(LEADER, new_node)]["entered_by"] == "liaison"
    assert counts["deleted"] == 0 and counts["inserted"] == 0
    # a file row the leaders never touched still follows the file: dropped with it
    dropped = table.iloc[1]
    firm_store.replace_region_table("leader_needs", region.id, table.drop(index=table.index[1]))
    pairs = {(r["leader_firm_id"], r["node_id"]) for r in L.needs_of(firm_store, region.id)}
    assert (dropped["leader_firm_id"], dropped["node_id"]) not in pairs
    assert (filed["leader_firm_id"], filed["node_id"]) in pairs
    assert len(pairs) == len(region.leader_needs)
