import datetime as dt

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError


def outcome(stage: int, firm_id: str = "ref-zeiss") -> pd.DataFrame:
    return pd.DataFrame(
        {
            C.FIRM_ID: [firm_id], C.NODE_ID: ["vacuum_pumps"], C.CAMPAIGN_ID: ["c1"],
            C.DATE: [dt.date(2024, 3, 1)], C.OUTCOME_STAGE: [stage],
        }
    )


def test_a_transaction_that_fails_midway_leaves_nothing_written(store, firm_frame):
    links = pd.DataFrame(
        {C.FIRM_ID: ["ref-zeiss"], C.NODE_ID: ["optical_elements"], C.METHOD: ["reference"]}
    )
    with pytest.raises(DataError, match="stage"), store.transaction() as conn:
        store.upsert_firms(firm_frame(), conn=conn)
        store.replace_firm_nodes(links, conn=conn)
        store.add_outcomes(outcome(1), conn=conn)
        store.add_outcomes(outcome(5), conn=conn)

    assert store.firms().empty
    assert store.firm_nodes().empty
    assert store.outcomes().empty
    assert store.data_version() == 0


def test_an_error_raised_by_the_caller_also_rolls_everything_back(store, firm_frame):
    with pytest.raises(RuntimeError, match="validation said no"), store.transaction() as conn:
        store.upsert_firms(firm_frame(), conn=conn)
        raise RuntimeError("validation said no")

    assert store.summary()["tables"]["firms"] == 0


def test_several_writes_in_one_transaction_bump_the_version_once(store, firm_frame):
    links = pd.DataFrame(
        {C.FIRM_ID: ["ref-zeiss"], C.NODE_ID: ["optical_elements"], C.METHOD: ["reference"]}
    )
    with store.transaction() as conn:
        store.upsert_firms(firm_frame(), conn=conn)
        store.replace_firm_nodes(links, conn=conn)
        assert store.data_version(conn=conn) == 1

    assert store.data_version() == 1
    assert store.firm("ref-zeiss")["data_version"] == 1
    store.add_outcomes(outcome(2))
    assert store.data_version() == 2


def test_a_failed_write_without_a_transaction_writes_nothing(store, firm_frame):
    frame = pd.concat([outcome(1), outcome(5, firm_id="ref-keyence")], ignore_index=True)

    with pytest.raises(DataError, match="cannot add outcomes: an outcome stage is outside 0-4"):
        store.add_outcomes(frame)

    assert store.outcomes().empty
