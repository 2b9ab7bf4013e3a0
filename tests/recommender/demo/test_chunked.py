"""The demo world generated in chunks to Parquet partitions: its layout, and the same
distributions as the in-memory generator's (synthetic data throughout)."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.chunked import generate_world_files, read_world_files
from recommender.demo.generator import generate_world
from recommender.demo.history import BASE_RATES
from recommender.demo.world import load_reference_firms, load_region
from recommender.exceptions import InvalidArgument
from recommender.targeting.partitions import PARTITION, part_path, read_links, read_manifest

N, CHUNK, SEED = 12_000, 5_000, 3


@pytest.fixture(scope="module")
def inputs():
    return {"chain": load_chain(), "region": load_region(), "reference": load_reference_firms()}


@pytest.fixture(scope="module")
def chunked(inputs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("chunked")
    return generate_world_files(folder, n_firms=N, seed=SEED, chunk=CHUNK, **inputs)


@pytest.fixture(scope="module")
def whole(inputs):
    return generate_world(n_firms=N, seed=SEED, **inputs)


def test_firms_and_links_are_aligned_partitions_the_reference_firms_last(chunked, inputs):
    manifest = read_manifest(chunked.folder)
    n_ref = len(inputs["reference"][0])
    assert manifest["partitions"] == 4 and chunked.partitions == 4  # 5,000 + 5,000 + 2,000 + ref
    assert manifest["firms"] == N + n_ref
    for number in range(manifest["partitions"]):
        firms = pd.read_parquet(part_path(chunked.folder, "firms", number))
        links = read_links(chunked.folder, [number])
        assert (firms[PARTITION] == number).all()
        assert set(links[C.FIRM_ID]) <= set(firms[C.FIRM_ID])
        expected = [CHUNK, CHUNK, N - 2 * CHUNK, n_ref][number]
        assert len(firms) == expected
    firms = chunked.firms()
    assert list(firms.columns) == list(C.FIRM_COLUMNS)
    assert firms[C.FIRM_ID].is_unique
    assert firms[C.FIRM_ID].iloc[0] == "syn-0000001" and firms[C.FIRM_ID].iloc[N - 1] == \
        f"syn-{N:07d}"
    assert int(firms[C.IS_SYNTHETIC].sum()) == N
    assert manifest["links"] == len(chunked.firm_nodes())


def test_the_chunked_world_keeps_the_generators_columns_and_types(chunked, whole):
    firms = chunked.firms()
    for column in C.FIRM_COLUMNS:
        assert str(firms[column].dtype) == str(whole.firms[column].dtype), column
    links = chunked.firm_nodes()
    assert list(links.columns) == list(whole.firm_nodes.columns)
    assert list(chunked.outcomes.columns) == list(whole.outcomes.columns)
    assert list(chunked.campaigns.columns) == list(whole.campaigns.columns)
    truth = pq.read_table(chunked.truth_path).to_pandas()
    assert list(truth.columns) == list(whole.truth.columns)
    assert str(truth[C.TRUE_UTILITY].dtype) == "float32"


def test_the_chunked_world_has_the_in_memory_worlds_distributions(chunked, whole):
    a, b = chunked.firms(), whole.firms
    a, b = a[a[C.IS_SYNTHETIC]], b[b[C.IS_SYNTHETIC]]
    shares = pd.concat([a[C.COUNTRY].value_counts(normalize=True),
                        b[C.COUNTRY].value_counts(normalize=True)], axis=1).fillna(0)
    assert np.abs(shares.iloc[:, 0] - shares.iloc[:, 1]).max() < 0.02
    for column in (C.EMPLOYEES, C.REVENUE, C.FOUNDED_YEAR, C.PATENTS):
        med_a, med_b = a[column].astype(float).median(), b[column].astype(float).median()
        assert abs(med_a - med_b) <= 0.1 * abs(med_b) + 1, column
    for column in (C.IN_CHINA, C.IN_GBA, C.IS_LISTED):
        assert abs(a[column].astype(float).mean() - b[column].astype(float).mean()) < 0.02
    per_firm = len(chunked.firm_nodes()) / len(chunked.firms())
    assert per_firm == pytest.approx(len(whole.firm_nodes) / len(whole.firms), rel=0.05)
    # the same campaigns' calendar and stage calibration, contacts and candidates of a size
    assert len(chunked.campaigns) == len(whole.campaigns)
    assert len(chunked.outcomes) == pytest.approx(len(whole.outcomes), rel=0.1)
    shares = chunked.outcomes[C.OUTCOME_STAGE].value_counts(normalize=True).sort_index()
    assert np.allclose(shares.to_numpy(), BASE_RATES, atol=0.04)
    assert chunked.params["thresholds"] == pytest.approx(whole.params["thresholds"], abs=0.25)
    truth = pq.read_table(chunked.truth_path).to_pandas()
    assert len(truth) == pytest.approx(len(whole.truth), rel=0.15)
    assert truth[C.TRUE_UTILITY].mean() == pytest.approx(whole.truth[C.TRUE_UTILITY].mean(),
                                                         abs=0.15)
    assert truth[C.TRUE_UTILITY].std() == pytest.approx(whole.truth[C.TRUE_UTILITY].std(),
                                                        rel=0.1)


def test_every_contact_is_a_candidate_of_its_campaign_in_the_truth(chunked):
    truth = pq.read_table(chunked.truth_path).to_pandas()
    keys = set(zip(truth[C.CAMPAIGN_ID].astype(str), truth[C.FIRM_ID].astype(str),
                   strict=True))
    contacts = zip(chunked.outcomes[C.CAMPAIGN_ID], chunked.outcomes[C.FIRM_ID], strict=True)
    assert all(pair in keys for pair in contacts)
    assert set(truth[C.FIRM_ID]) <= set(chunked.firms([C.FIRM_ID])[C.FIRM_ID])


def test_a_seed_fixes_the_chunked_world(chunked, inputs, tmp_path):
    again = generate_world_files(tmp_path, n_firms=N, seed=SEED, chunk=CHUNK, truth=False,
                                 **inputs)
    pd.testing.assert_frame_equal(again.outcomes, chunked.outcomes)
    pd.testing.assert_frame_equal(again.firms(), chunked.firms())
    assert not again.truth_path.exists()
    read = read_world_files(chunked.folder)
    assert read.params == chunked.params
    pd.testing.assert_frame_equal(read.outcomes, chunked.outcomes)


def test_the_chunk_must_be_a_positive_integer(tmp_path, inputs):
    with pytest.raises(InvalidArgument, match="chunk"):
        generate_world_files(tmp_path, n_firms=100, chunk=0, **inputs)
