"""A park manager's outcomes: it lists and records those of the firms matched to its own parks
(``outcomes:parks``); another park, and a firm matched to none of its parks, are as absent as
ones that do not exist (404)."""

from __future__ import annotations

OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park, and another
MATCHED = "ref-keyence"  # among the best 100 firms for OWN
UNMATCHED = "ref-carl-zeiss"  # matched to none of the parks of the key


def _matched(client, as_role, park: str) -> set[str]:
    response = client.get(f"/api/v1/parks/{park}/matches?k=100", headers=as_role("officer"))
    assert response.status_code == 200
    return {item["firm_id"] for item in response.get_json()["items"]}


def _node_of(client, as_role, firm_id: str) -> str:
    firm = client.get(f"/api/v1/firms/{firm_id}", headers=as_role("officer")).get_json()
    return firm["nodes"][0]["node_id"]


def test_the_firms_of_the_fixture_are_matched_as_said(client, as_role):
    own = _matched(client, as_role, OWN)
    assert MATCHED in own and UNMATCHED not in own


def test_a_park_manager_records_and_reads_a_matched_firms_outcome(client, as_role):
    node = _node_of(client, as_role, MATCHED)
    body = {"firm_id": MATCHED, "node_id": node, "stage": 2, "date": "2025-03-04",
            "note": "site visit arranged by the park"}
    created = client.post("/api/v1/outcomes", json=body, headers=as_role("park_manager"))
    assert created.status_code == 201, created.get_json()
    outcome = created.get_json()
    assert outcome["recorded_by"]

    listed = client.get(f"/api/v1/outcomes?firm_id={MATCHED}",
                        headers=as_role("park_manager")).get_json()["items"]
    assert outcome["id"] in {item["id"] for item in listed}
    of_park = client.get(f"/api/v1/outcomes?park_id={OWN}&page_size=200",
                         headers=as_role("park_manager")).get_json()["items"]
    assert outcome["id"] in {item["id"] for item in of_park}
    assert {item["firm_id"] for item in of_park} <= _matched(client, as_role, OWN)
    # an officer asking for the park's outcomes gets the same list
    officer = client.get(f"/api/v1/outcomes?park_id={OWN}&page_size=200",
                         headers=as_role("officer")).get_json()["items"]
    assert [item["id"] for item in officer] == [item["id"] for item in of_park]


def test_a_park_managers_list_holds_only_its_matched_firms(client, as_role):
    everything = client.get("/api/v1/outcomes?page_size=200",
                            headers=as_role("park_manager")).get_json()["items"]
    assert {item["firm_id"] for item in everything} <= _matched(client, as_role, OWN)


def test_another_park_and_an_unmatched_firm_are_absent(client, as_role, error_body):
    error_body(client.get(f"/api/v1/outcomes?park_id={OTHER}",
                          headers=as_role("park_manager")), 404, "not_found")
    error_body(client.get(f"/api/v1/outcomes?firm_id={UNMATCHED}",
                          headers=as_role("park_manager")), 404, "not_found")
    other_only = sorted(_matched(client, as_role, OTHER) - _matched(client, as_role, OWN))
    assert other_only
    node = _node_of(client, as_role, other_only[0])
    refused = client.post("/api/v1/outcomes", headers=as_role("park_manager"), json={
        "firm_id": other_only[0], "node_id": node, "stage": 1, "date": "2025-03-05"})
    error_body(refused, 404, "not_found")


def test_roles_without_either_permission_are_refused(client, as_role, error_body):
    error_body(client.post("/api/v1/outcomes", headers=as_role("viewer"), json={
        "firm_id": MATCHED, "node_id": "lasers", "stage": 1, "date": "2025-03-06"}),
        403, "forbidden")
