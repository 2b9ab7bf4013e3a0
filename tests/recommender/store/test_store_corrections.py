"""Node corrections: kept with who, when and why; applied to links; kept through re-imports;
turned into training labels."""

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.firms.ingest import ingest_firms
from recommender.firms.node_labels import parse_node_ids
from recommender.store import models as M
from recommender.store.corrections import (
    METHOD_CORRECTION,
    corrected_firm_ids,
    correction_labels,
    corrections,
    record_correction,
)

# Invented firms, written for these tests.
ROWS = [
    {"企业名称": "深圳市样例称重仪器有限公司", "统一社会信用代码": "914403000000000033",
     "所属城市": "深圳市",
     "经营范围": "一般项目：电子秤、数字示波器的研发、生产和销售；货物进出口。"},
    {"企业名称": "东莞市样例真空设备有限公司", "统一社会信用代码": "91441900MA4W000010",
     "所属城市": "东莞", "经营范围": "真空泵、分子泵及真空阀门的制造"},
]


@pytest.fixture(scope="module")
def chain():
    return load_chain()


@pytest.fixture
def imported(store, chain, tmp_path):
    path = tmp_path / "firms.xlsx"
    pd.DataFrame(ROWS).to_excel(path, index=False)
    ingest_firms(path, store, chain)
    firms = store.firms().set_index(C.CREDIT_CODE)[C.FIRM_ID]
    return path, firms["914403000000000033"], firms["91441900MA4W000010"]


def _nodes(store, firm_id):
    return set(store.firm_nodes(firm_ids=[firm_id])[C.NODE_ID])


def test_a_correction_is_kept_with_who_when_and_why_and_changes_the_links(store, chain,
                                                                          imported):
    _, scale_maker, _ = imported
    assert "oscilloscopes" in _nodes(store, scale_maker)
    version = store.data_version()
    row = record_correction(store, scale_maker, "oscilloscopes", "reject",
                            "makes scales; the oscilloscopes are resold", by="officer ops",
                            node_ids=chain.node_ids)
    record_correction(store, scale_maker, "load_cells", "add", "makes its own load cells",
                      by="officer ops", node_ids=chain.node_ids)
    assert store.data_version() > version
    # the keywords' weighing_instruments (电子秤) stays: nobody corrected it
    assert _nodes(store, scale_maker) == {"load_cells", "weighing_instruments"}
    links = store.firm_nodes(firm_ids=[scale_maker]).set_index(C.NODE_ID)
    assert links.loc["load_cells", C.METHOD] == METHOD_CORRECTION
    assert links.loc["load_cells", C.CONFIDENCE] == 1.0
    assert links.loc["weighing_instruments", C.METHOD] != METHOD_CORRECTION
    history = corrections(store, firm_ids=[scale_maker])
    assert history[M.CORRECTION_ACTION].tolist() == ["reject", "add"]
    assert history[M.RECORDED_BY].tolist() == ["officer ops"] * 2
    assert history[M.RECORDED_AT].notna().all() and row[M.ID] == history[M.ID].iloc[0]
    assert corrected_firm_ids(store) == {scale_maker}


def test_a_correction_survives_a_reimport_and_becomes_a_label(store, chain, imported):
    path, scale_maker, vacuum_maker = imported
    record_correction(store, scale_maker, "oscilloscopes", "reject", "resold, not made",
                      by="admin", node_ids=chain.node_ids)
    record_correction(store, scale_maker, "load_cells", "add", "load cells",
                      by="admin", node_ids=chain.node_ids)
    vacuum_nodes = _nodes(store, vacuum_maker)
    result = ingest_firms(path, store, chain)  # the keywords would find oscilloscopes again
    assert result.counts["corrected_kept"] == 1
    assert _nodes(store, scale_maker) == {"load_cells", "weighing_instruments"}
    assert _nodes(store, vacuum_maker) == vacuum_nodes  # uncorrected firms are re-linked
    labels = correction_labels(store)
    assert labels[C.FIRM_ID].tolist() == [scale_maker]
    assert sorted(parse_node_ids(labels["node_ids"])[0]) == ["load_cells",
                                                             "weighing_instruments"]
    assert "电子秤" in labels[C.BUSINESS_SCOPE].iloc[0]


def test_rejecting_every_node_labels_the_firm_outside_the_chain(store, chain, imported):
    _, _, vacuum_maker = imported
    for node in sorted(_nodes(store, vacuum_maker)):
        record_correction(store, vacuum_maker, node, "reject", "a trading firm", by="admin")
    labels = correction_labels(store)
    assert labels.set_index(C.FIRM_ID).loc[vacuum_maker, "node_ids"] == ""
    assert parse_node_ids(labels["node_ids"]) == [[]]


def test_a_confirmed_node_stays_when_the_keywords_lose_it(store, chain, imported, tmp_path):
    _, _, vacuum_maker = imported
    record_correction(store, vacuum_maker, "vacuum_pumps", "confirm", "checked on site",
                      by="officer")
    edited = tmp_path / "edited.xlsx"
    rows = [dict(ROWS[0]), dict(ROWS[1], 经营范围="日用百货销售")]
    pd.DataFrame(rows).to_excel(edited, index=False)
    ingest_firms(edited, store, chain)
    assert "vacuum_pumps" in _nodes(store, vacuum_maker)


@pytest.mark.parametrize(("firm", "node", "action", "reason", "error"), [
    ("known", "lasers", "delete", "why", InvalidArgument),
    ("known", "lasers", "add", "  ", InvalidArgument),
    ("known", "lasers", "add", "x" * 501, InvalidArgument),
    ("known", "no_such_node", "add", "why", InvalidArgument),
    ("f-absent", "lasers", "add", "why", NotFoundError),
])
def test_bad_corrections_are_refused_and_change_nothing(store, chain, imported, firm, node,
                                                        action, reason, error):
    firm_id = imported[2] if firm == "known" else firm
    before = store.firm_nodes()
    with pytest.raises(error):
        record_correction(store, firm_id, node, action, reason, by="x",
                          node_ids=chain.node_ids)
    assert corrections(store).empty
    pd.testing.assert_frame_equal(store.firm_nodes(), before)
