"""The officers' selection: pool rows, the propensity of contact and clipped IPW weights."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import InvalidArgument
from recommender.ranking import selection as S
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.feature_registry import LOG10_REVENUE
from recommender.ranking.features import REACHED, training_frame
from recommender.ranking.splits import labels_as_of


def shortlist() -> pd.DataFrame:
    """Two campaigns' shortlists by hand: officers contacted 4 of the 5 big firms on each list
    but 1 of the 5 small ones; the pool rows stand for themselves (rate 1)."""
    rows = []
    for campaign in ("K1", "K2"):
        for i in range(5):
            rows.append((campaign, f"big{i}", 3.0, i < 4))
            rows.append((campaign, f"small{i}", 1.0, i < 1))
    frame = pd.DataFrame(rows, columns=[C.CAMPAIGN_ID, C.FIRM_ID, LOG10_REVENUE, S.CONTACTED])
    return frame.assign(**{S.POOL_RATE: 1.0})


def test_the_propensity_of_contact_follows_the_shortlist():
    frame = shortlist()
    p = S.contact_propensity(frame, features=[LOG10_REVENUE])
    big = frame[LOG10_REVENUE].to_numpy() == 3.0
    # a one-feature logistic fit reproduces the two contact rates, shrunk a little
    assert 0.65 < p[big].mean() < 0.8 and 0.2 < p[~big].mean() < 0.35
    assert np.ptp(p[big]) < 1e-9 and np.ptp(p[~big]) < 1e-9


def test_ipw_weights_on_a_hand_made_shortlist():
    frame = shortlist()
    contacted = frame[S.CONTACTED].to_numpy()
    p = np.where(frame[LOG10_REVENUE] == 3.0, 0.8, 0.2)  # the contact rates on the lists
    w = S.ipw_weights(p, contacted, clip=10)
    big = frame[LOG10_REVENUE].to_numpy() == 3.0
    assert (w[~contacted] == 0).all()
    # the small firm contacted against the odds stands for four typical contacts
    np.testing.assert_allclose(w[contacted & ~big] / w[contacted & big][0], 4.0)
    np.testing.assert_allclose(w[contacted].mean(), 1.0)
    # each kind's contacts then weigh as much as its share of the shortlists (10 big, 10 small)
    np.testing.assert_allclose(w[contacted & big].sum() / w[contacted & ~big].sum(), 1.0)
    # clipped: no contact weighs more than twice the median one
    clipped = S.ipw_weights(p, contacted, clip=2)
    np.testing.assert_allclose(clipped[contacted & ~big] / clipped[contacted & big][0], 2.0)


def test_ipw_weights_refuse_a_clip_below_one():
    with pytest.raises(InvalidArgument, match="clip"):
        S.ipw_weights([0.5], clip=0.5)
    assert S.ipw_weights([0.5, 0.1], [False, False]).tolist() == [0.0, 0.0]


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=2000, seed=4, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links, training_frame(data, weak_links)


def test_pool_rows_are_uncontacted_candidates_of_each_group(world):
    data, weak_links, frame = world
    pool = S.pool_rows(data, weak_links, frame, per_group=15, seed=1)
    assert len(pool) and (pool.groupby(C.GROUP_ID).size() <= 15).all()
    assert set(pool[C.GROUP_ID]) <= set(frame[C.GROUP_ID])
    contacted = set(zip(frame[C.GROUP_ID], frame[C.FIRM_ID], strict=True))
    assert not contacted & set(zip(pool[C.GROUP_ID], pool[C.FIRM_ID], strict=True))
    # one-hop neighbours and weaker matches are among them
    assert set(pool[C.HOP].astype(int)) == {0, 1} and pool[C.MATCH].min() < 0.5
    assert (pool[C.LABEL] == 0).all() and not pool[S.CONTACTED].any()
    assert (pool[REACHED[0]] == pool[C.DATE]).all() and pool[REACHED[1]].isna().all()
    assert ((pool[S.POOL_RATE] > 0) & (pool[S.POOL_RATE] <= 1)).all()
    # its date is its group's campaign date
    dates = frame.drop_duplicates(C.GROUP_ID).set_index(C.GROUP_ID)[C.DATE]
    assert (pool[C.DATE].to_numpy() == dates.reindex(pool[C.GROUP_ID]).to_numpy()).all()


def test_with_pool_rows_keeps_groups_contiguous_and_labels_as_of_keep_the_pool(world):
    data, weak_links, frame = world
    both = S.with_pool_rows(frame, data, weak_links, per_group=10)
    assert both[S.CONTACTED].sum() == len(frame)
    ids = both[C.GROUP_ID].to_numpy()
    runs = ids[np.r_[True, ids[1:] != ids[:-1]]]
    assert len(runs) == len(set(runs))
    cut = labels_as_of(both, both[C.DATE].max() + pd.Timedelta(days=1))
    assert (~cut[S.CONTACTED]).sum() == (~both[S.CONTACTED]).sum()
    assert S.contacted_only(both).shape[0] == len(frame)


def test_a_recorded_shortlist_is_the_pool(world):
    data, weak_links, frame = world
    group = frame.iloc[0]
    listed = pd.DataFrame({C.CAMPAIGN_ID: group[C.CAMPAIGN_ID], C.NODE_ID: group[C.NODE_ID],
                           C.FIRM_ID: [group[C.FIRM_ID], *data.firms[C.FIRM_ID].iloc[:3]]})
    import dataclasses

    pool = S.pool_rows(dataclasses.replace(data, shortlists=listed), weak_links,
                       frame[frame[C.GROUP_ID] == group[C.GROUP_ID]], per_group=10)
    assert set(pool[C.FIRM_ID]) == set(data.firms[C.FIRM_ID].iloc[:3]) - {group[C.FIRM_ID]}
