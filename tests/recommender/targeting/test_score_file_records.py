"""A score table's rows show each firm's fields as the firm table holds them, as plain Python
values (None where missing), whether the table was built in the process or read from its file.
Synthetic data: a small demo world."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.ranking.dataset import chain_data_from_world
from recommender.targeting.prior_model import prior_model
from recommender.targeting.score_file import shared_score_table
from recommender.targeting.score_table import FIRM_FIELDS, build_score_table

NODE = "vacuum_pumps"


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=800, seed=5, chain=chain,
                                                region=region), chain=chain, region=region)
    firms = data.firms.copy()
    # a few missing fields, in the dtypes a store read gives
    firms.loc[firms.index[::10], C.CITY] = None
    firms.loc[firms.index[1::10], C.LAT] = np.nan
    firms[C.SIZE_CLASS] = firms[C.SIZE_CLASS].astype("string")
    firms.loc[firms.index[2::10], C.SIZE_CLASS] = pd.NA
    data = type(data)(**{**{f: getattr(data, f) for f in
                            ("chain", "region", "firm_nodes", "campaigns", "outcomes",
                             "data_version", "truth", "outcome_model", "shortlists")},
                         "firms": firms})
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links, prior_model(data, weak_links)


def _expected(firms: pd.DataFrame, firm_id: str) -> dict:
    row = firms.loc[firms[C.FIRM_ID].astype(str) == firm_id,
                    [C.FIRM_ID, *FIRM_FIELDS]].astype(object).iloc[0]
    return {name: (None if pd.isna(value) else value) for name, value in row.items()}


def test_rows_show_each_firms_fields_as_plain_values(world, tmp_path):
    data, weak_links, model = world
    built = build_score_table(data, weak_links, model, node_ids=[NODE])
    read = shared_score_table(tmp_path, data, weak_links, model, node_ids=[NODE])
    positions = np.arange(len(built))
    for table in (built, read):
        records = table.records(positions)
        assert len(records) == len(built)
        for record in records:
            shown = {name: record[name] for name in (C.FIRM_ID, *FIRM_FIELDS)}
            assert shown == _expected(data.firms, record[C.FIRM_ID])
            for value in shown.values():
                assert value is None or type(value) in (str, float, int, bool)
    assert built.records(positions) == read.records(positions)
    shown = built.records(positions)
    for name in (C.CITY, C.LAT, C.SIZE_CLASS):  # the missing fields are shown as None
        assert any(r[name] is None for r in shown) and any(r[name] is not None for r in shown)
