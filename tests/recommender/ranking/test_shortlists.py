"""The shortlist officers saw (the pipeline's 线索 lead stage): read from the store's projects,
the pool that pool rows are drawn from, and the inverse-propensity weights it gives.

The bundle of the weights test is hand-made (synthetic firms and outcomes, no demo world).
"""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.world import load_region
from recommender.pipeline.projects import create_project, move_project
from recommender.ranking import selection as S
from recommender.ranking.dataset import ChainData, load_chain_data
from recommender.ranking.feature_registry import LOG10_REVENUE
from recommender.ranking.features import training_frame

# --- read from the store ----------------------------------------------------------------------


def test_the_shortlists_are_the_projects_that_were_leads(store):
    chain, region = load_chain(), load_region()
    store.upsert_firms(pd.DataFrame({C.FIRM_ID: [f"f{i}" for i in range(6)],
                                     C.FIRM_KEY: [f"f{i}|JP" for i in range(6)]}))
    store.upsert_campaigns(pd.DataFrame({
        C.CAMPAIGN_ID: ["K1", "JS-1"], C.CAMPAIGN_NAME: ["here", "elsewhere"],
        C.REGION_ID: [region.id, "jiangsu"], C.NODE_ID: ["lasers", "lasers"],
        C.DATE: pd.to_datetime(["2024-03-01", "2024-03-01"])}))
    assert load_chain_data(store, chain=chain, region=region).shortlists is None

    def project(firm, campaign="K1", stage=None, region_id=region.id):
        fields = {C.FIRM_ID: firm, C.NODE_ID: "lasers", C.CAMPAIGN_ID: campaign}
        return create_project(store, fields | ({"stage": stage} if stage else {}), by="li",
                              region_id=region_id)

    for firm in ("f0", "f1", "f2"):  # three leads, of which officers contacted one
        project(firm)
    move_project(store, project("f3")["id"], "contacted", by="li")  # a lead, then contacted
    project("f4", stage="contacted")  # brought in already contacted: never on the shortlist
    project("f5", campaign="JS-1", region_id="jiangsu")  # another region's shortlist
    data = load_chain_data(store, chain=chain, region=region)
    listed = data.shortlists
    assert list(listed.columns) == [C.CAMPAIGN_ID, C.NODE_ID, C.FIRM_ID]
    assert listed.values.tolist() == [["K1", "lasers", f] for f in ("f0", "f1", "f2", "f3")]
    # a contacted lead's outcome is recorded as well: it is a contact of the shortlist
    assert data.outcomes[C.FIRM_ID].tolist() == ["f3", "f4"]


# --- inverse-propensity weights on a hand-made shortlist --------------------------------------

BIG, SMALL = 1000.0, 10.0  # revenue (million USD): log10 3 and 1, the one profile that differs


def tiny_bundle(toy_chain) -> ChainData:
    """Two campaigns for node c; on each shortlist 5 big and 5 small makers of c, of which the
    officers contacted 4 big and 1 small; three more makers of c were never shortlisted."""
    ids = ([f"big{i}" for i in range(5)] + [f"small{i}" for i in range(5)]
           + [f"other{i}" for i in range(3)])
    n = len(ids)
    firms = pd.DataFrame({
        C.FIRM_ID: ids, C.COUNTRY: "US", C.PROVINCE: None, C.CITY: "Boston", C.LAT: 42.36,
        C.LON: -71.06, C.EMPLOYEES: 500, C.FOUNDED_YEAR: 2000, C.IS_LISTED: False,
        C.SIZE_CLASS: "mid", C.REVENUE_GROWTH: 0.1, C.RD_INTENSITY: 0.05,
        C.IN_CHINA: False, C.REVENUE: [BIG] * 5 + [SMALL] * 5 + [BIG] * 3,
        C.PATENTS: 10.0, C.INTL_COUNTRIES: 5.0, C.IN_GBA: False}, index=range(n))
    firms = firms.astype({C.FOUNDED_YEAR: "Int64", C.IS_LISTED: "boolean", C.IN_CHINA: "boolean",
                          C.IN_GBA: "boolean", C.FIRM_ID: "str", C.COUNTRY: "str",
                          C.PROVINCE: "str", C.CITY: "str", C.SIZE_CLASS: "str"})
    links = pd.DataFrame({C.FIRM_ID: ids, C.NODE_ID: "c", C.CONFIDENCE: 1.0})
    campaigns = pd.DataFrame({C.CAMPAIGN_ID: ["K1", "K2"], C.NODE_ID: ["c", "c"],
                              C.DATE: pd.to_datetime(["2023-01-10", "2023-07-10"])
                              .astype("datetime64[ms]")})
    contacted = ["big0", "big1", "big2", "big3", "small0"]
    outcomes = pd.DataFrame([(firm, "c", campaign, day, stage)
                             for campaign, day in (("K1", "2023-02-20"), ("K2", "2023-08-20"))
                             for firm, stage in zip(contacted, (0, 1, 2, 0, 3), strict=True)],
                            columns=[C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE,
                                     C.OUTCOME_STAGE])
    outcomes[C.DATE] = pd.to_datetime(outcomes[C.DATE]).astype("datetime64[ms]")
    shortlists = pd.DataFrame([(campaign, "c", firm) for campaign in ("K1", "K2")
                               for firm in ids[:10]],
                              columns=[C.CAMPAIGN_ID, C.NODE_ID, C.FIRM_ID])
    return ChainData(chain=toy_chain, region=load_region(), firms=firms, firm_nodes=links,
                     campaigns=campaigns, outcomes=outcomes, shortlists=shortlists)


def expected_propensity(big: np.ndarray, contacted: np.ndarray) -> np.ndarray:
    """The L2-penalised (C = 1, intercept free) logistic fit of contact on the standardised
    log revenue, solved here from its objective: what the propensity model must return."""
    x = np.where(big, 3.0, 1.0)
    z = (x - x.mean()) / x.std()
    y = contacted.astype(float)

    def objective(theta):
        a, b = theta
        eta = a + b * z
        return 0.5 * b * b + np.sum(np.logaddexp(0.0, eta) - y * eta)

    a, b = minimize(objective, [0.0, 0.0], method="BFGS", options={"gtol": 1e-12}).x
    return 1.0 / (1.0 + np.exp(-(a + b * z)))


def expected_weights(p: np.ndarray, contacted: np.ndarray, clip: float) -> np.ndarray:
    """1 / p of each contact in median contacts, clipped, scaled to mean 1 (others 0)."""
    raw = 1.0 / p[contacted]
    w = np.minimum(raw / np.median(raw), clip)
    out = np.zeros(len(p))
    out[contacted] = w / w.mean()
    return out


def weak_links() -> pd.DataFrame:
    return pd.DataFrame({C.NODE_ID: ["c"], C.WEAK_LINK_SCORE: [0.7]})


@pytest.mark.parametrize("clip", [S.IPW_CLIP, 2.0])
def test_ipw_weights_on_a_hand_made_shortlist(toy_chain, clip):
    data = tiny_bundle(toy_chain)
    both = S.with_pool_rows(training_frame(data, weak_links()), data, weak_links(),
                            per_group=40)
    pool = both[~both[S.CONTACTED]]
    # the pool is the uncontacted rest of each shortlist, all of it (rate 1), never "other"
    assert sorted(pool[C.FIRM_ID]) == sorted(["big4", *(f"small{i}" for i in range(1, 5))] * 2)
    assert (pool[S.POOL_RATE] == 1.0).all() and len(both) == 20
    contacted = both[S.CONTACTED].to_numpy(bool)
    big = both[C.FIRM_ID].str.startswith("big").to_numpy()
    np.testing.assert_allclose(both[LOG10_REVENUE], np.where(big, 3.0, 1.0), rtol=1e-6)

    p = S.contact_propensity(both, features=[LOG10_REVENUE])
    expected_p = expected_propensity(big, contacted)
    np.testing.assert_allclose(p, expected_p, rtol=1e-4)
    # shrunk towards the mean a little from the shortlists' rates, 4 in 5 and 1 in 5
    assert 0.2 < p[~big].max() < p[big].min() < 0.8

    w = S.ipw_weights(p, contacted, clip=clip)
    np.testing.assert_allclose(w, expected_weights(expected_p, contacted, clip), rtol=1e-4)
    # by hand: 8 big contacts at 1 median each, 2 small at min(p_big / p_small, clip)
    ratio = min(expected_p[big][0] / expected_p[~big][0], clip)
    mean = (8 + 2 * ratio) / 10
    np.testing.assert_allclose(w[contacted & big], 1 / mean, rtol=1e-4)
    np.testing.assert_allclose(w[contacted & ~big], ratio / mean, rtol=1e-4)
    assert (w[~contacted] == 0).all()
