import datetime as dt

import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError


@pytest.fixture
def outcomes():
    return pd.DataFrame(
        {
            C.FIRM_ID: ["ref-zeiss", "ref-zeiss", "ref-keyence"],
            C.NODE_ID: ["optical_elements", "optical_elements", "vacuum_pumps"],
            C.CAMPAIGN_ID: ["c1", "c1", "c2"],
            C.DATE: [dt.date(2024, 3, 1), dt.date(2024, 5, 2), dt.date(2024, 4, 1)],
            C.OUTCOME_STAGE: [1, 2, 0],
            C.NOTE: ["replied", "visited Shenzhen", None],
        }
    )


def test_outcomes_are_idempotent(store, outcomes):
    assert store.add_outcomes(outcomes) == {"inserted": 3, "duplicate": 0}
    version = store.data_version()

    assert store.add_outcomes(outcomes) == {"inserted": 0, "duplicate": 3}
    assert store.data_version() == version
    assert len(store.outcomes()) == 3


def test_duplicates_inside_one_frame_are_stored_once(store, outcomes):
    twice = pd.concat([outcomes, outcomes.iloc[[0]]], ignore_index=True)

    assert store.add_outcomes(twice) == {"inserted": 3, "duplicate": 1}


def test_a_new_stage_of_a_known_contact_is_a_new_outcome(store, outcomes):
    store.add_outcomes(outcomes)
    later = outcomes.iloc[[1]].assign(**{C.OUTCOME_STAGE: 3})

    assert store.add_outcomes(later) == {"inserted": 1, "duplicate": 0}


def test_outcomes_read_back_by_date_and_by_firm(store, outcomes):
    store.add_outcomes(outcomes.assign(**{C.DATE: outcomes[C.DATE].astype(str)}))

    all_rows = store.outcomes()
    assert all_rows[C.DATE].tolist() == [
        dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 5, 2)
    ]
    assert all_rows[C.OUTCOME_STAGE].tolist() == [1, 0, 2]
    zeiss = store.outcomes(firm_id="ref-zeiss")
    assert zeiss[C.NOTE].tolist() == ["replied", "visited Shenzhen"]
    assert zeiss["recorded_at"].notna().all()


@pytest.mark.parametrize("stage", [5, -1])
def test_the_stage_check_rejects_values_outside_0_to_4(store, outcomes, stage):
    bad = outcomes.assign(**{C.OUTCOME_STAGE: [1, stage, 0]})

    with pytest.raises(DataError, match="stage is outside 0-4"):
        store.add_outcomes(bad)
    assert store.outcomes().empty


def test_campaigns_upsert_by_id(store):
    campaigns = pd.DataFrame(
        {
            C.CAMPAIGN_ID: ["c1", "c2"],
            C.CAMPAIGN_NAME: ["Optics 2024", "Vacuum 2024"],
            C.REGION_ID: ["guangdong", "guangdong"],
            C.NODE_ID: ["optical_elements", "vacuum_pumps"],
            C.DATE: [dt.date(2024, 2, 1), dt.date(2024, 1, 15)],
            C.IS_SYNTHETIC: [True, False],
        }
    )
    assert store.upsert_campaigns(campaigns) == {"inserted": 2, "updated": 0, "unchanged": 0}
    renamed = campaigns.assign(**{C.CAMPAIGN_NAME: ["Optics 2024", "Vacuum pumps 2024"]})

    assert store.upsert_campaigns(renamed) == {"inserted": 0, "updated": 1, "unchanged": 1}
    read = store.campaigns()
    assert read[C.CAMPAIGN_ID].tolist() == ["c2", "c1"]
    assert read[C.CAMPAIGN_NAME].tolist() == ["Vacuum pumps 2024", "Optics 2024"]
    assert read[C.DATE].tolist() == [dt.date(2024, 1, 15), dt.date(2024, 2, 1)]
    assert read[C.IS_SYNTHETIC].tolist() == [False, True]


def test_a_date_that_is_not_iso_names_its_column(store, outcomes):
    bad = outcomes.assign(**{C.DATE: ["2024-03-01", "01/05/2024", "2024-04-01"]})

    with pytest.raises(DataError, match=r"outcomes\.date: cannot store these values"):
        store.add_outcomes(bad)
