"""The feature frame: hand-computed cases, no leakage, partitions, the context, the sanity fit."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo import history
from recommender.demo.generator import generate_world
from recommender.demo.world import load_reference_firms, load_region
from recommender.exceptions import DataError
from recommender.firms.geocode import haversine_km
from recommender.ranking import feature_registry as R
from recommender.ranking import features as F
from recommender.ranking.dataset import ChainData, chain_data_from_world, with_outcomes
from recommender.ranking.feature_context import FeatureContext
from recommender.ranking.splits import labels_as_of

DAY = pd.Timestamp("2024-06-01")
KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360  # 111.195 km along a meridian


# --- a tiny hand-made world -------------------------------------------------------------------



def toy_firms() -> pd.DataFrame:
    nan = np.nan
    rows = [  # id, country, province, city, lat, lon, employees, founded, listed, size, in_china
        ("us1", "US", None, "Boston", 42.3601, -71.0589, 1000, 2000, True, "mid", True),
        ("de1", "DE", None, "Jena", 23.0, 114.0, nan, 1990, False, None, None),
        ("jp1", "JP", None, "Kyoto", 22.0, 144.0, 50, 2010, False, "small", False),
        ("tw1", "TW", None, "Hsinchu", nan, nan, 300, 2005, None, "small", True),
        ("xx1", None, None, None, nan, nan, 20, None, None, None, None),
        ("ld1", "CN", "Guangdong", "Shenzhen", 22.54, 114.06, 5000, 1998, True, "large", True),
        ("ld2", "CN", "Guangdong", "Shenzhen", 22.54, 114.06, 9000, 1992, True, "large", True),
        ("loc1", "CN", "Guangdong", "Dongguan", 23.02, 113.75, 200, 2012, False, "small", True),
    ]
    firms = pd.DataFrame(rows, columns=[C.FIRM_ID, C.COUNTRY, C.PROVINCE, C.CITY, C.LAT, C.LON,
                                        C.EMPLOYEES, C.FOUNDED_YEAR, C.IS_LISTED, C.SIZE_CLASS,
                                        C.IN_CHINA])
    firms[C.REVENUE] = [100.0, nan, 5.0, 30.0, 1.0, 900.0, 1500.0, 20.0]
    firms[C.REVENUE_GROWTH] = [0.1, 0.05, nan, 0.2, 0.0, 0.1, 0.1, 0.3]
    firms[C.RD_INTENSITY] = [0.05, 0.1, 0.2, 0.08, nan, 0.1, 0.1, 0.05]
    firms[C.PATENTS] = [9.0, 99.0, 0.0, 3.0, nan, 500.0, 800.0, 2.0]
    firms[C.INTL_COUNTRIES] = [10.0, 40.0, 2.0, 5.0, 1.0, 60.0, 80.0, 3.0]
    firms[C.IN_GBA] = pd.array([False, None, False, False, None, True, True, True],
                               dtype="boolean")
    return firms.astype({C.FOUNDED_YEAR: "Int64", C.IS_LISTED: "boolean",
                         C.IN_CHINA: "boolean", C.FIRM_ID: "str", C.COUNTRY: "str",
                         C.PROVINCE: "str", C.CITY: "str", C.SIZE_CLASS: "str"})


def toy_links() -> pd.DataFrame:
    return pd.DataFrame([("us1", "c", 0.9), ("de1", "a", 0.6), ("jp1", "e", 0.5),
                         ("tw1", "c", 0.7), ("xx1", "c", 0.4), ("ld1", "a", 1.0),
                         ("ld2", "a", 1.0), ("ld2", "e", 0.8), ("loc1", "c", 1.0)],
                        columns=[C.FIRM_ID, C.NODE_ID, C.CONFIDENCE])


def toy_outcomes() -> pd.DataFrame:
    rows = [("us1", "c", "K1", "2023-01-10", 0), ("us1", "d", "K2", "2023-05-01", 1),
            ("us1", "d", "K2", "2023-06-01", 3),  # the same contact, one stage further
            ("de1", "c", "K1", "2023-01-10", 0), ("de1", "c", "K5", "2024-01-01", 0)]
    frame = pd.DataFrame(rows, columns=[C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE,
                                        C.OUTCOME_STAGE])
    return frame.assign(**{C.DATE: pd.to_datetime(frame[C.DATE]).astype("datetime64[ms]")})


def toy_weak_links() -> pd.DataFrame:
    return pd.DataFrame({
        C.NODE_ID: ["c", "d"], C.WEAK_LINK_SCORE: [0.7, 0.2], C.LOCAL_GAP: [0.9, 0.1],
        C.DEMAND: [0.5, 0.3], C.IMPORT_DEPENDENCE: [0.6, 0.2], C.CONCENTRATION: [0.4, 0.1],
        C.EXPORT_CONTROL: [0.3, 0.0], C.CRITICALITY: [0.2, np.nan],
        C.LOCAL_FIRMS: [1, 0], "can_recruit": [True, True]})


@pytest.fixture(scope="module")
def region():
    base = load_region()
    return dataclasses.replace(
        base, core_lat=22.0, core_lon=114.0, parks=base.parks.iloc[0:0],
        export_controls=pd.DataFrame({C.ORIGIN: ["US", "US", "DE"], C.NODE_ID: ["c", "c", "d"],
                                      C.CONTROL: [0.6, 0.8, 0.5]}),
        leader_needs=pd.DataFrame({C.LEADER_FIRM_ID: ["ld1", "ld2"], C.NODE_ID: ["c", "c"],
                                   C.NEED: [5, 3]}))


@pytest.fixture(scope="module")
def toy(region, toy_chain):
    campaigns = pd.DataFrame({C.CAMPAIGN_ID: ["K1", "K2", "K5"], C.NODE_ID: ["c", "d", "c"],
                              C.DATE: pd.to_datetime(["2022-12-10", "2023-04-01",
                                                      "2023-12-01"]).astype("datetime64[ms]")})
    return ChainData(chain=toy_chain, region=region, firms=toy_firms(),
                     firm_nodes=toy_links(), campaigns=campaigns, outcomes=toy_outcomes())


def toy_pairs() -> pd.DataFrame:
    firm = ["us1", "de1", "jp1", "tw1", "xx1", "us1", "us1", "nobody"]
    node = ["c", "c", "c", "c", "c", "d", "e", "c"]
    return pd.DataFrame({C.FIRM_ID: firm, C.NODE_ID: node, C.DATE: DAY, "note": list("abcdefgh")},
                        index=range(100, 108))


@pytest.fixture(scope="module")
def frame(toy):
    return F.build_features(toy_pairs(), toy, toy_weak_links())


def row(frame, i):
    return frame.iloc[i]


# --- the frame: shape, firm, pair and engagement features ------------------------------------

def test_frame_keeps_pairs_columns_index_and_order(frame):
    assert list(frame.columns) == [C.FIRM_ID, C.NODE_ID, C.DATE, "note", *R.feature_names()]
    assert list(frame.index) == list(range(100, 108))
    assert frame["note"].tolist() == list("abcdefgh")
    assert (frame[R.feature_names()].dtypes == np.float32).all()


def test_firm_features_by_hand(frame):
    us = row(frame, 0)
    assert us[R.LOG10_EMPLOYEES] == pytest.approx(3.0)
    assert us[R.LOG10_REVENUE] == pytest.approx(2.0)
    assert us[C.REVENUE_GROWTH] == pytest.approx(0.1)
    assert us[C.RD_INTENSITY] == pytest.approx(0.05)
    assert us[R.LOG1P_PATENTS] == pytest.approx(math.log(10))
    assert us[R.AGE_YEARS] == 24  # 2024 - 2000
    assert (us[C.IS_LISTED], us[R.SIZE_RANK], us[C.INTL_COUNTRIES]) == (1, 3, 10)
    assert (us[C.IN_CHINA], us[C.IN_GBA]) == (1, 0)


def test_missing_values_stay_missing(frame):
    de, xx, nobody = row(frame, 1), row(frame, 4), row(frame, 7)
    assert np.isnan(de[R.LOG10_EMPLOYEES]) and np.isnan(de[C.IN_CHINA])
    assert np.isnan(de[R.SIZE_RANK]) and np.isnan(de[C.IN_GBA])
    assert np.isnan(xx[R.AGE_YEARS]) and np.isnan(xx[C.RD_INTENSITY])
    firm_features = R.feature_names("firm")
    assert nobody[firm_features].isna().all()  # an unknown firm: nothing invented
    assert np.isnan(nobody[C.DISTANCE_KM]) and np.isnan(nobody[R.COMMON_LANGUAGE])


def test_distance_and_time_zone_gap_by_hand(frame):
    us, de, jp, tw, xx = (row(frame, i) for i in range(5))
    assert de[C.DISTANCE_KM] == pytest.approx(KM_PER_DEGREE, rel=1e-6)  # one degree north
    # gaps between IANA zones' standard offsets, never longitude: the core's zone is
    # Asia/Shanghai (+8); a German firm's is Europe/Berlin (+1) whatever its coordinates say
    assert de[R.TZ_GAP_H] == pytest.approx(7.0)
    assert jp[R.TZ_GAP_H] == pytest.approx(1.0)  # Asia/Tokyo, +9
    assert us[R.TZ_GAP_H] == pytest.approx(13.0)  # Boston: America/New_York, -5
    assert np.isnan(tw[C.DISTANCE_KM])
    assert tw[R.TZ_GAP_H] == pytest.approx(0.0)  # no coordinates: Taipei's zone, +8
    assert np.isnan(xx[R.TZ_GAP_H]) and np.isnan(xx[C.DISTANCE_KM])


def test_distance_is_to_the_nearer_of_the_core_and_the_parks(toy, region):
    park = pd.DataFrame({C.LAT: [23.0, np.nan], C.LON: [114.5, 0.0]})
    data = dataclasses.replace(toy, region=dataclasses.replace(region, parks=park))
    de = F.build_features(toy_pairs().iloc[1:2], data, toy_weak_links()).iloc[0]
    # de1 at (23, 114): 0.5 degree of longitude from the park at 23 N, nearer than the core
    assert de[C.DISTANCE_KM] == pytest.approx(
        float(haversine_km(23.0, 114.0, 23.0, 114.5)), rel=1e-6)
    assert de[C.DISTANCE_KM] < KM_PER_DEGREE


def test_common_language_and_home_export_control_by_hand(frame):
    us, de, jp, tw, xx, us_d = (row(frame, i) for i in range(6))
    assert [r[R.COMMON_LANGUAGE] for r in (us, de, jp, tw)] == [0, 0, 0, 1]
    assert np.isnan(xx[R.COMMON_LANGUAGE])  # no country
    assert us[R.HOME_EXPORT_CONTROL] == pytest.approx(0.8)  # the stricter of two rows
    assert us_d[R.HOME_EXPORT_CONTROL] == 0  # no row for US on d
    assert de[R.HOME_EXPORT_CONTROL] == 0  # DE controls d, not c
    assert np.isnan(xx[R.HOME_EXPORT_CONTROL])


def test_leaders_and_local_competitors_by_hand(frame):
    on_c, on_d, on_e = row(frame, 0), row(frame, 5), row(frame, 6)
    # c: consumers {e} hold leader ld2; suppliers {a, b} hold ld1 and ld2; loc1 makes c
    assert (on_c[R.LEADER_CUSTOMERS], on_c[R.LEADER_SUPPLIERS], on_c[R.LOCAL_COMPETITORS]) == (
        1, 2, 1)
    assert (on_d[R.LEADER_CUSTOMERS], on_d[R.LEADER_SUPPLIERS], on_d[R.LOCAL_COMPETITORS]) == (
        1, 0, 0)
    assert (on_e[R.LEADER_CUSTOMERS], on_e[R.LEADER_SUPPLIERS], on_e[R.LOCAL_COMPETITORS]) == (
        0, 0, 1)


def test_match_hop_and_weak_link_values(frame):
    got = frame[[C.MATCH, C.HOP]].to_numpy()
    expected = [[0.9, 0], [0.3, 1], [0.25, 1], [0.7, 0], [0.4, 0], [0.0, np.nan],
                [0.45, 1], [0.0, np.nan]]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    us = row(frame, 0)
    assert us[C.WEAK_LINK_SCORE] == pytest.approx(0.7)
    assert us[C.LOCAL_GAP] == pytest.approx(0.9) and us[C.CRITICALITY] == pytest.approx(0.2)
    assert us[R.WEAK_LINK_FIT] == pytest.approx(0.63)
    assert np.isnan(row(frame, 5)[C.CRITICALITY])  # missing in the table
    assert row(frame, 6)[[C.WEAK_LINK_SCORE, *C.WEAK_LINK_COMPONENTS]].isna().all()  # no row


def test_match_and_hop_given_with_the_pairs_are_used(toy):
    pairs = toy_pairs().head(2).assign(**{C.MATCH: [0.11, 0.22], C.HOP: [1, 0]})
    got = F.build_features(pairs, toy, toy_weak_links())
    np.testing.assert_allclose(got[C.MATCH], [0.11, 0.22], rtol=1e-6)
    assert got[C.HOP].tolist() == [1, 0]
    assert list(got.columns).count(C.MATCH) == 1


def test_engagement_by_hand(frame):
    us, de, jp = row(frame, 0), row(frame, 1), row(frame, 2)
    assert (us[R.PRIOR_CONTACTS], us[R.PRIOR_DECLINES], us[R.BEST_PRIOR_STAGE]) == (2, 1, 3)
    assert us[R.MEAN_PRIOR_STAGE] == 1.5  # K1 declined (0); K2 went 1 then 3: counts once, 3
    assert us[R.DAYS_SINCE_CONTACT] == 366  # 2023-06-01 .. 2024-06-01
    assert (de[R.PRIOR_CONTACTS], de[R.PRIOR_DECLINES], de[R.BEST_PRIOR_STAGE]) == (2, 2, 0)
    assert de[R.MEAN_PRIOR_STAGE] == 0
    assert de[R.DAYS_SINCE_CONTACT] == 152  # 2024-01-01 .. 2024-06-01
    assert (jp[R.PRIOR_CONTACTS], jp[R.PRIOR_DECLINES]) == (0, 0)
    assert np.isnan(jp[R.BEST_PRIOR_STAGE]) and np.isnan(jp[R.DAYS_SINCE_CONTACT])
    assert np.isnan(jp[R.MEAN_PRIOR_STAGE])


def test_mean_prior_stage_counts_what_a_contact_had_reached_by_the_date(toy):
    # K2 reached stage 1 on 2023-05-01 and stage 3 on 2023-06-01: between the two, the mean
    # over us1's contacts is (0 + 1) / 2
    pairs = pd.DataFrame({C.FIRM_ID: ["us1", "us1", "us1"], C.NODE_ID: ["c", "c", "c"],
                          C.DATE: pd.to_datetime(["2023-05-01", "2023-05-02", "2023-06-02"])})
    got = F.build_features(pairs, toy, toy_weak_links())
    assert got[R.PRIOR_CONTACTS].tolist() == [1, 2, 2]
    assert got[R.MEAN_PRIOR_STAGE].tolist() == [0.0, 0.5, 1.5]


def test_outcomes_on_or_after_the_date_do_not_leak(toy, frame):
    late = pd.DataFrame({C.FIRM_ID: ["us1", "us1", "jp1"], C.NODE_ID: ["c", "c", "c"],
                         C.CAMPAIGN_ID: ["K3", "K4", "K4"],
                         C.DATE: ["2024-06-01", "2024-09-01", "2024-06-01"],
                         C.OUTCOME_STAGE: [2, 4, 0]})
    later = F.build_features(toy_pairs(), with_outcomes(toy, late), toy_weak_links())
    assert_frame_equal(later, frame)
    earlier = with_outcomes(toy, late.assign(**{C.DATE: "2024-05-31"}))
    moved = F.build_features(toy_pairs(), earlier, toy_weak_links())
    assert moved.iloc[0][R.PRIOR_CONTACTS] == 4 and moved.iloc[2][R.PRIOR_DECLINES] == 1


def test_pairs_without_dates_take_as_of_or_the_day_after_the_history(toy):
    pairs = toy_pairs().drop(columns=C.DATE).head(1)
    at = F.build_features(pairs, toy, toy_weak_links(), as_of="2030-01-15")
    assert at.iloc[0][R.AGE_YEARS] == 30
    assert F.default_as_of(toy) == pd.Timestamp("2024-01-02")
    served = F.build_features(pairs, toy, toy_weak_links())
    assert served.iloc[0][R.AGE_YEARS] == 24 and served.iloc[0][R.PRIOR_CONTACTS] == 2


def test_three_partitions_of_pairs_concatenate_to_the_whole(toy, frame):
    parts = [F.build_features(toy_pairs().iloc[rows], toy, toy_weak_links())
             for rows in np.array_split(np.arange(8), 3)]
    assert_frame_equal(pd.concat(parts), frame)


@pytest.mark.parametrize("what", ["pairs", "weak links", "firms"])
def test_malformed_inputs_are_data_errors(toy, what):
    pairs, weak, data = toy_pairs(), toy_weak_links(), toy
    if what == "pairs":
        pairs = pairs.drop(columns=C.NODE_ID)
    elif what == "weak links":
        weak = pd.concat([weak, weak.head(1)])
    else:
        data = dataclasses.replace(toy, firms=pd.concat([toy.firms, toy.firms.head(1)]))
    with pytest.raises(DataError, match="missing column|appears twice|more than once"):
        F.build_features(pairs, data, weak)


# --- the context kept on the bundle ------------------------------------------------------------

def test_a_second_build_on_the_same_bundle_reuses_its_context(toy, frame, monkeypatch):
    built = []
    build = FeatureContext.of.__func__

    def counted(cls, data):
        built.append(data)
        return build(cls, data)

    monkeypatch.setattr(FeatureContext, "of", classmethod(counted))
    data = dataclasses.replace(toy)  # a fresh bundle of the same tables: nothing built yet
    first = F.build_features(toy_pairs(), data, toy_weak_links())
    context = data.feature_context
    second = F.build_features(toy_pairs().iloc[::-1], data, toy_weak_links())
    assert built == [data] and data.feature_context is context
    assert_frame_equal(first, frame)
    assert_frame_equal(second, frame.iloc[::-1])


def test_two_bundles_never_share_a_context(toy, frame):
    one, other = dataclasses.replace(toy), dataclasses.replace(toy)  # the very same tables
    assert one.feature_context is not other.feature_context
    assert with_outcomes(one, toy.outcomes.head(1)).feature_context is not one.feature_context
    assert dataclasses.replace(one).feature_context is not one.feature_context
    # a bundle without us1 knows nothing of it, whatever the bundle before it held
    without = dataclasses.replace(toy, firms=toy.firms[toy.firms[C.FIRM_ID] != "us1"])
    assert_frame_equal(F.build_features(toy_pairs(), one, toy_weak_links()), frame)
    lost = F.build_features(toy_pairs(), without, toy_weak_links())
    assert lost.iloc[0][R.feature_names("firm")].isna().all()
    assert_frame_equal(lost.iloc[1:5], frame.iloc[1:5])
    assert_frame_equal(F.build_features(toy_pairs(), other, toy_weak_links()), frame)


# --- training, serving, contacted pairs --------------------------------------------------------

def test_training_frame_has_one_row_per_contact_as_of_its_campaign(toy):
    frame = F.training_frame(toy, toy_weak_links())
    assert list(frame.columns[:6]) == [C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE, C.LABEL,
                                       C.GROUP_ID]
    assert list(zip(frame[C.GROUP_ID], frame[C.FIRM_ID], frame[C.LABEL], strict=True)) == [
        ("K1|c", "de1", 0), ("K1|c", "us1", 0), ("K2|d", "us1", 3), ("K5|c", "de1", 0)]
    assert frame[C.DATE].tolist() == list(pd.to_datetime(
        ["2022-12-10", "2022-12-10", "2023-04-01", "2023-12-01"]))
    assert frame[R.PRIOR_DECLINES].tolist() == [0, 0, 1, 1]  # only outcomes before the campaign
    assert C.TRUE_UTILITY not in frame.columns
    assert frame.index.equals(pd.RangeIndex(4))


def test_campaign_missing_from_the_table_dates_from_its_first_outcome(toy):
    data = dataclasses.replace(toy, campaigns=toy.campaigns[toy.campaigns[C.CAMPAIGN_ID] != "K2"])
    frame = F.training_frame(data, toy_weak_links())
    assert frame.loc[frame[C.CAMPAIGN_ID] == "K2", C.DATE].tolist() == [pd.Timestamp("2023-05-01")]


def test_serving_frame_ranks_non_local_candidates_as_of_a_date(toy):
    live = F.serving_frame(toy, toy_weak_links(), ["c"], as_of="2025-01-01")
    assert set(live[C.FIRM_ID]) == {"us1", "tw1", "xx1", "de1", "jp1"}  # loc1, ld1, ld2 local
    assert (live[C.DATE] == pd.Timestamp("2025-01-01")).all()
    assert list(live.columns) == [C.FIRM_ID, C.NODE_ID, C.DATE, *R.feature_names()]


def test_contacted_pairs_and_dropping_them(toy):
    seen = F.contacted_pairs(toy)
    assert list(zip(seen[C.FIRM_ID], seen[C.NODE_ID], seen[C.OUTCOME_STAGE], strict=True)) == [
        ("de1", "c", 0), ("us1", "c", 0), ("us1", "d", 3)]
    kept = F.drop_contacted(toy_pairs(), toy)
    assert list(zip(kept[C.FIRM_ID], kept[C.NODE_ID], strict=True)) == [
        ("jp1", "c"), ("tw1", "c"), ("xx1", "c"), ("us1", "e"), ("nobody", "c")]


# --- against the generator ---------------------------------------------------------------------

def need_table(chain, region, world) -> pd.DataFrame:
    """The generator's weak-link need as a weak-link table (components it has, NaN others)."""
    need = history.weak_link_need(chain, region, world.firms, world.firm_nodes)
    return pd.DataFrame({C.NODE_ID: need[C.NODE_ID], C.WEAK_LINK_SCORE: need["need"],
                         C.LOCAL_GAP: need["local_gap"], C.DEMAND: need["leader_need"],
                         C.IMPORT_DEPENDENCE: need["imports"],
                         C.EXPORT_CONTROL: need["export_exposure"]})


@pytest.fixture(scope="module")
def demo():
    chain, region = load_chain(), load_region()
    world = generate_world(n_firms=3000, seed=5, chain=chain, region=region,
                           reference=load_reference_firms())
    data = chain_data_from_world(world, chain=chain, region=region)
    return data, need_table(chain, region, world)


@pytest.fixture(scope="module")
def demo_frame(demo):
    data, weak = demo
    return F.training_frame(data, weak)


def test_training_frame_of_the_demo_world(demo, demo_frame):
    data, _ = demo
    frame = demo_frame
    assert len(frame) == len(data.outcomes)  # the generator records one row per contact
    assert frame[C.TRUE_UTILITY].notna().all()
    assert frame[C.LABEL].between(0, 4).all()
    assert frame[C.DATE].is_monotonic_increasing
    starts = frame[C.GROUP_ID].ne(frame[C.GROUP_ID].shift()).sum()
    assert starts == frame[C.GROUP_ID].nunique()  # every group is contiguous
    assert (frame[C.GROUP_ID] == frame[C.CAMPAIGN_ID] + "|" + frame[C.NODE_ID]).all()
    assert (frame[C.MATCH] > 0).all()  # every contact was a candidate


def test_partitions_of_demo_pairs_concatenate_to_the_whole(demo, demo_frame):
    data, weak = demo
    pairs = demo_frame[[C.FIRM_ID, C.NODE_ID, C.DATE]]
    whole = F.build_features(pairs, data, weak)
    parts = [F.build_features(pairs.iloc[rows], data, weak)
             for rows in np.array_split(np.arange(len(pairs)), 3)]
    assert_frame_equal(pd.concat(parts), whole)
    assert_frame_equal(whole[R.feature_names()], demo_frame[R.feature_names()])


def _ndcg_at_10(frame: pd.DataFrame, score: np.ndarray) -> float:
    """Mean NDCG@10 of the labels within groups (groups without a positive label skipped)."""
    values = []
    scored = frame.assign(_score=score)
    for _, group in scored.groupby(C.GROUP_ID, sort=False):
        gains = 2.0 ** group.sort_values("_score", ascending=False)[C.LABEL].to_numpy() - 1
        ideal = np.sort(gains)[::-1]
        discount = 1 / np.log2(np.arange(2, min(10, len(gains)) + 2))
        if ideal[:10].sum() > 0:
            values.append((gains[:10] * discount).sum() / (ideal[:10] * discount).sum())
    return float(np.mean(values))


def test_truth_frame_holds_every_candidate_of_the_campaigns(demo, demo_frame):
    data, weak = demo
    campaigns = demo_frame[C.CAMPAIGN_ID].drop_duplicates().tail(3).tolist()
    every = F.truth_frame(data, weak, campaigns)
    truth = data.truth[data.truth[C.CAMPAIGN_ID].isin(campaigns)]
    assert len(every) == len(truth) and set(every[C.CAMPAIGN_ID]) == set(campaigns)
    assert every[C.DATE].is_monotonic_increasing and every[C.TRUE_UTILITY].notna().all()
    assert (every[R.feature_names()].dtypes == np.float32).all()
    # the contacted rows are among them, with the same features and true utility
    contacted = demo_frame[demo_frame[C.CAMPAIGN_ID].isin(campaigns)]
    keys = [C.CAMPAIGN_ID, C.FIRM_ID]
    both = contacted.merge(every, on=keys, suffixes=("", "_every"))
    assert len(both) == len(contacted)
    np.testing.assert_allclose(both[C.TRUE_UTILITY], both[C.TRUE_UTILITY + "_every"],
                               rtol=1e-6)
    np.testing.assert_allclose(both[R.MEAN_PRIOR_STAGE], both[R.MEAN_PRIOR_STAGE + "_every"])
    assert len(every) > 5 * len(contacted)  # 3-48 candidates a contact, median 11, in this world
    with pytest.raises(DataError, match="no synthetic truth"):
        F.truth_frame(dataclasses.replace(data, truth=None), weak)


def test_a_quick_lambdarank_fit_beats_random_on_later_groups(demo_frame):
    lightgbm = pytest.importorskip("lightgbm")
    frame = demo_frame
    groups = frame[C.GROUP_ID].drop_duplicates().to_numpy()
    later = frame[C.GROUP_ID].isin(groups[int(0.7 * len(groups)):]).to_numpy()
    train, test = frame[~later], frame[later]
    model = lightgbm.LGBMRanker(objective="lambdarank", n_estimators=150, learning_rate=0.05,
                                num_leaves=15, min_child_samples=20, random_state=0, n_jobs=1,
                                verbose=-1)
    model.fit(train[R.feature_names()], train[C.LABEL],
              group=train.groupby(C.GROUP_ID, sort=False).size().to_numpy())
    fitted = _ndcg_at_10(test, model.predict(test[R.feature_names()]))
    rng = np.random.default_rng(0)
    random = np.mean([_ndcg_at_10(test, rng.random(len(test))) for _ in range(20)])
    oracle = _ndcg_at_10(test, test[C.TRUE_UTILITY].to_numpy())
    assert fitted > random + 0.3, (fitted, random, oracle)
    assert fitted > 0.6


def test_no_history_gives_an_empty_training_frame_and_zero_engagement(toy):
    empty = dataclasses.replace(toy, outcomes=toy.outcomes.head(0))
    frame = F.training_frame(empty, toy_weak_links())
    assert frame.empty and list(frame.columns[:6]) == [
        C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE, C.LABEL, C.GROUP_ID]
    served = F.build_features(toy_pairs(), empty, toy_weak_links())
    assert (served[R.PRIOR_CONTACTS] == 0).all() and served[R.BEST_PRIOR_STAGE].isna().all()
    assert served[R.MEAN_PRIOR_STAGE].isna().all()


def test_labels_as_of_keep_what_was_known_before_the_date(toy):
    frame = F.training_frame(toy, toy_weak_links())
    first = frame[list(F.REACHED)]
    assert (frame[C.LABEL] == first.notna().sum(axis=1) - 1).all()  # the furthest stage
    steps = first.to_numpy("datetime64[ms]")
    assert ((steps[:, 1:] >= steps[:, :-1]) | np.isnat(steps[:, 1:])).all()  # in stage order
    when = pd.Timestamp(np.sort(steps[:, 0])[len(steps) // 2])
    known = labels_as_of(frame, when)
    assert len(known) == int((frame[F.REACHED[0]] < when).sum()) and len(known) < len(frame)
    assert (known[F.REACHED[0]] < when).all()
    expected = (known[list(F.REACHED)] < when).sum(axis=1) - 1
    assert known[C.LABEL].tolist() == expected.tolist()
    assert (known[C.LABEL].to_numpy() <= frame.set_index([C.GROUP_ID, C.FIRM_ID]).loc[
        list(zip(known[C.GROUP_ID], known[C.FIRM_ID], strict=True)), C.LABEL].to_numpy()).all()
    later = labels_as_of(frame, steps[~np.isnat(steps)].max() + np.timedelta64(1, "D"))
    pd.testing.assert_frame_equal(later, frame)
    bare = frame.drop(columns=list(F.REACHED))
    assert labels_as_of(bare, when) is bare


def test_unknown_sizes_are_estimated_from_what_is_known_and_flagged():
    from recommender.ranking.feature_context import SIZE_ESTIMATES, FirmArrays

    nan = np.nan
    firms = pd.DataFrame({
        C.FIRM_ID: ["reported", "large-cap", "listed", "known", "nothing", "half"],
        C.EMPLOYEES: [120.0, nan, nan, nan, nan, 900.0],
        C.REVENUE: [30.0, nan, nan, nan, nan, nan],
        C.SIZE_CLASS: ["large", "large", None, None, None, "mid"],
        C.IS_LISTED: [True, True, True, False, False, True],
        C.SOURCE: ["x.csv", "listing.csv", "listing.csv", "reference", "synthetic", "x.csv"],
    })
    employees, revenue, basis = FirmArrays(firms).size_estimates()
    # reported figures are kept; a Large Cap firm gets the large class's typical figures
    assert employees[:4].tolist() == [120.0, 40_000.0, 1_500.0, 8_000.0]
    assert revenue[:4].tolist() == [30.0, 10_000.0, 400.0, 2_000.0]
    assert np.isnan(employees[4]) and np.isnan(revenue[4])  # nothing known: stays unknown
    assert (employees[5], revenue[5]) == (900.0, SIZE_ESTIMATES["mid"][1])  # only the gap
    assert basis[:4].tolist() == [0.0, 1.0, 2.0, 3.0] and basis[5] == 1.0
    assert np.isnan(basis[4])
