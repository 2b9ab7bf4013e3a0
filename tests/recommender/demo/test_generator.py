"""The synthetic demo world: determinism, documented distributions, history and ground truth."""

import re

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo import history, latent
from recommender.demo.chain_index import ChainIndex
from recommender.demo.generator import (
    GENERATOR_VERSION,
    generate_world,
    read_world,
    synthetic_firms,
    write_world,
)
from recommender.demo.universe import (
    COUNTRIES,
    LOCAL_SHARE,
    SIZE_BOUNDS_MUSD,
    node_country_probabilities,
)
from recommender.demo.world import load_country_mix, load_reference_firms, load_region
from recommender.exceptions import DataError, InvalidArgument
from recommender.ranking import feature_registry as F

N = 2_000
SEED = 11
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def inputs():
    return {"chain": load_chain(), "region": load_region(), "reference": load_reference_firms()}


@pytest.fixture(scope="module")
def world(inputs):
    return generate_world(n_firms=N, seed=SEED, **inputs)


@pytest.fixture(scope="module")
def synthetic(world):
    return world.firms[world.firms[C.IS_SYNTHETIC]]


def _ndcg_at(frame: pd.DataFrame, score: str, k: int = 10) -> float:
    """Mean NDCG@k of stages within campaigns (campaigns with no positive stage are skipped)."""
    values = []
    for _, group in frame.groupby(C.CAMPAIGN_ID, observed=True):
        gains = 2.0 ** group.sort_values(score, ascending=False)[C.OUTCOME_STAGE].to_numpy() - 1
        ideal = np.sort(gains)[::-1]
        discount = 1 / np.log2(np.arange(2, min(k, len(gains)) + 2))
        if ideal[:k].sum() > 0:
            values.append((gains[:k] * discount).sum() / (ideal[:k] * discount).sum())
    return float(np.mean(values))


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_gives_the_same_world(world, inputs):
    again = generate_world(n_firms=N, seed=SEED, **inputs)
    for name, frame in world.tables().items():
        assert_frame_equal(frame, again.tables()[name], obj=name)
    assert again.params == world.params


def test_another_seed_gives_another_world(world, inputs):
    other = generate_world(n_firms=N, seed=SEED + 1, **inputs)
    assert not other.firms[C.EMPLOYEES].equals(world.firms[C.EMPLOYEES])
    assert not other.outcomes.equals(world.outcomes)
    assert other.params["seed"] == SEED + 1


def test_params_name_seed_size_and_version(world, inputs):
    assert world.params["seed"] == SEED and world.params["n"] == N
    assert world.params["version"] == GENERATOR_VERSION
    assert world.params["n_reference"] == len(inputs["reference"][0])
    assert set(world.params["weak_link_need"]) == set(inputs["chain"].node_ids)


def test_parquet_round_trip(world, tmp_path):
    paths = write_world(world, tmp_path / "demo")
    assert sorted(paths) == sorted(world.tables())
    assert all(p.suffix == ".parquet" and p.is_file() for p in paths.values())
    back = read_world(tmp_path / "demo")
    for name, frame in world.tables().items():
        assert_frame_equal(back.tables()[name], frame, obj=name)
    assert back.params == world.params


def test_read_world_names_the_missing_file(world, tmp_path):
    paths = write_world(world, tmp_path)
    paths["outcomes"].unlink()
    with pytest.raises(DataError, match=r"outcomes\.parquet: missing"):
        read_world(tmp_path)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_firms": 0}, "n_firms must be a positive integer"),
    ({"n_firms": 10.5}, "n_firms must be a positive integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"start": "2024-01-01", "end": "2024-01-20"}, "too short"),
    ({"start": "not a date"}, "start and end must be dates"),
    ({"n_campaigns": 0}, "n_campaigns must be a positive integer"),
])
def test_bad_arguments_are_refused(inputs, kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        generate_world(**{"n_firms": 50, **kwargs}, **inputs)


# --- firms ----------------------------------------------------------------------------------

def test_synthetic_rows_are_flagged_and_ids_unique(world, synthetic):
    assert len(synthetic) == N
    assert synthetic[C.FIRM_ID].str.fullmatch(r"syn-\d{7}").all()
    assert (synthetic[C.SOURCE] == "synthetic").all()
    assert synthetic[C.FIRM_KEY].str.startswith("syn-").all()
    assert world.firms[C.FIRM_ID].is_unique and world.firms[C.FIRM_KEY].is_unique
    assert list(world.firms.columns) == C.FIRM_COLUMNS


def test_reference_rows_are_kept_as_given(world, inputs):
    given = inputs["reference"][0][C.FIRM_COLUMNS].reset_index(drop=True)
    kept = world.firms[~world.firms[C.IS_SYNTHETIC]].reset_index(drop=True)
    assert_frame_equal(kept, given)  # no figure invented on a real firm
    links = world.firm_nodes[world.firm_nodes[C.METHOD] != "synthetic"].reset_index(drop=True)
    assert_frame_equal(links, inputs["reference"][1].reset_index(drop=True))


def test_a_world_without_reference_firms(inputs):
    empty = (pd.DataFrame(), pd.DataFrame())
    world = generate_world(n_firms=300, seed=SEED, chain=inputs["chain"],
                           region=inputs["region"], reference=empty)
    assert world.firms[C.IS_SYNTHETIC].all() and len(world.firms) == 300
    assert world.outcomes[C.FIRM_ID].isin(world.firms[C.FIRM_ID]).all()
    assert world.params["n_reference"] == 0


def test_each_nodes_country_mix_follows_the_table(inputs):
    """A synthetic firm's home country follows where its primary node's product is made."""
    ix = ChainIndex.from_chain(inputs["chain"])
    mix = load_country_mix()
    rngs = np.random.default_rng(SEED).spawn(4)
    firms, links, _ = synthetic_firms(rngs, 40_000, ix, inputs["region"], lambda _: None, mix)
    region_cities = set(inputs["region"].cities[C.CITY_NAME_EN])
    world = ~firms[C.CITY].isin(region_cities).to_numpy()  # the world's makers, not the cluster
    primary = links[(links["rank"] == 0) & world[links["firm"].to_numpy()]]
    country = firms[C.COUNTRY].to_numpy()[primary["firm"].to_numpy()]
    node = np.asarray(ix.node_ids, dtype=object)[primary["node"].to_numpy()]
    drawn = pd.crosstab(node, country, normalize="index")
    checked = 0
    for row in mix.itertuples():
        n = int((node == row.node_id).sum())
        if n >= 300:  # within four binomial standard errors
            got = drawn.loc[row.node_id].get(row.country, 0.0)
            tolerance = 4 * np.sqrt(row.share * (1 - row.share) / n) + 0.005
            assert got == pytest.approx(row.share, abs=tolerance), (row.node_id, row.country)
            checked += 1
    assert checked >= 100
    # a node's leading countries host its larger makers
    size = pd.Series(firms[C.EMPLOYEES].to_numpy()[primary["firm"].to_numpy()])
    pumps = pd.DataFrame({"size": size, "country": country})[node == "vacuum_pumps"]
    median = pumps.groupby("country")["size"].median()
    assert median["DE"] > 2 * median["CN"]
    vacuum = drawn.loc["vacuum_pumps"]
    assert {"DE", "JP"} <= set(vacuum.nlargest(3).index) and vacuum["DE"] > 0.2
    assert set(drawn.columns) <= {code for code, *_ in COUNTRIES}


def test_countries_outside_a_nodes_rows_share_what_is_left():
    codes = [code for code, *_ in COUNTRIES]
    world = [share for _, share, _ in COUNTRIES]
    mix = pd.DataFrame({C.NODE_ID: ["a", "a"], C.COUNTRY: ["DE", "JP"], "share": [0.3, 0.2]})
    p = node_country_probabilities(mix, ["a", "b"], codes, world)
    assert p.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert p[0, codes.index("DE")] == pytest.approx(0.3)
    others = [i for i, c in enumerate(codes) if c not in ("DE", "JP")]
    assert p[0, others].sum() == pytest.approx(0.5)
    assert p[1] == pytest.approx(np.asarray(world) / sum(world))


def test_the_country_mix_table_is_sourced_and_names_chain_nodes(inputs):
    mix = load_country_mix()
    assert set(mix[C.NODE_ID]) <= set(inputs["chain"].node_ids)
    assert mix[C.SOURCE].str.contains("export shares|market shares").all()
    assert mix.groupby(C.NODE_ID)["share"].sum().between(0.5, 1.0).all()


def test_a_bad_country_mix_row_is_refused(tmp_path):
    path = tmp_path / "mix.csv"
    path.write_text("node_id,country,share,source\nlasers,DE,1.5,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2"):
        load_country_mix(path)


def test_a_share_of_firms_is_the_regions_own_cluster(synthetic, inputs):
    cn = synthetic[synthetic[C.COUNTRY] == "CN"]
    local = cn[C.CITY].isin(inputs["region"].cities[C.CITY_NAME_EN])
    assert local.sum() / len(synthetic) == pytest.approx(LOCAL_SHARE, abs=0.015)
    assert (cn.loc[local, C.PROVINCE] == "Guangdong").all()
    assert cn.loc[local, C.IN_GBA].mean() > 0.8  # most regional hubs are GBA cities


def test_size_classes_follow_revenue_and_head_count(synthetic):
    bounds = (0.0, *SIZE_BOUNDS_MUSD, np.inf)
    for k, label in enumerate(C.SIZE_CLASSES):
        revenue = synthetic.loc[synthetic[C.SIZE_CLASS] == label, C.REVENUE]
        assert ((revenue >= bounds[k]) & (revenue < bounds[k + 1])).all(), label
    medians = synthetic.groupby(C.SIZE_CLASS)[C.EMPLOYEES].median()
    order = [c for c in C.SIZE_CLASSES if c in medians.index]
    assert len(order) >= 5 and medians[order].is_monotonic_increasing


def test_profiles_are_plausible(synthetic):
    assert synthetic[C.EMPLOYEES].median() == pytest.approx(55, rel=0.25)
    assert synthetic[C.EMPLOYEES].max() > 50 * synthetic[C.EMPLOYEES].median()  # heavy tail
    assert 0.2 < (synthetic[C.PATENTS] == 0).mean() < 0.6
    big = synthetic[C.EMPLOYEES] > 1000
    assert synthetic.loc[big, C.IS_LISTED].mean() > 3 * synthetic[C.IS_LISTED].mean()
    assert synthetic[C.FOUNDED_YEAR].between(1800, 2025).all()
    assert synthetic[C.RD_INTENSITY].between(0, 0.6).all()
    assert (synthetic.loc[synthetic[C.COUNTRY] == "CN", C.IN_CHINA]).all()
    assert not (synthetic[C.IN_GBA] & ~synthetic[C.IN_CHINA]).any()


def test_every_synthetic_firm_has_one_to_three_nodes(world, synthetic, inputs):
    links = world.firm_nodes[world.firm_nodes[C.METHOD] == "synthetic"]
    counts = links.groupby(C.FIRM_ID).size().reindex(synthetic[C.FIRM_ID], fill_value=0)
    assert counts.between(1, 3).all()
    assert counts.value_counts(normalize=True)[1] == pytest.approx(0.5, abs=0.06)
    assert links[C.NODE_ID].isin(inputs["chain"].node_ids).all()
    assert links[C.CONFIDENCE].between(0, 1).all()
    assert not links.duplicated([C.FIRM_ID, C.NODE_ID]).any()


def test_scope_language_follows_the_home_country(synthetic):
    chinese = synthetic[C.COUNTRY].isin(["CN", "TW", "HK"])
    scope = synthetic[C.BUSINESS_SCOPE]
    assert scope[chinese].str.startswith("一般项目：").all()
    assert not scope[~chinese].str.contains(CJK).any()
    assert synthetic.loc[synthetic[C.COUNTRY] == "CN", C.NAME_ZH].str.endswith("公司").all()


def test_a_keyword_classifier_recovers_most_nodes(world, synthetic, inputs):
    nodes = inputs["chain"].nodes.set_index(C.NODE_ID)
    words = {v: [w.lower() for w in [*row["keywords_zh"], *row["keywords_en"]]]
             for v, row in nodes.iterrows()}
    scope = synthetic.set_index(C.FIRM_ID)[C.BUSINESS_SCOPE].str.lower()
    links = world.firm_nodes[world.firm_nodes[C.METHOD] == "synthetic"]
    found = [any(w in scope[f] for w in words[v]) for f, v in zip(links[C.FIRM_ID],
                                                                  links[C.NODE_ID], strict=True)]
    assert 0.9 < np.mean(found) < 0.995  # most of the time, with some noise
    assert links[C.EVIDENCE].isna().mean() == pytest.approx(0.03, abs=0.02)


# --- history --------------------------------------------------------------------------------

def test_campaigns_cover_the_window(world, inputs):
    camp = world.campaigns
    assert camp[C.CAMPAIGN_ID].str.fullmatch(r"C\d{4}-\d{2}-\d{2}").all()
    assert camp[C.CAMPAIGN_ID].is_unique and (camp[C.REGION_ID] == "guangdong").all()
    assert camp[C.DATE].between(pd.Timestamp("2021-01-01"), pd.Timestamp("2026-06-30")).all()
    assert camp[C.NODE_ID].isin(inputs["chain"].node_ids).all()
    assert len(camp) == 4 * 66  # four a month by default
    assert (camp[C.CAMPAIGN_ID].str[1:8] == camp[C.DATE].dt.strftime("%Y-%m")).all()


def test_campaigns_favour_needy_nodes(world):
    need = pd.Series(world.params["weak_link_need"])
    targeted = need[world.campaigns[C.NODE_ID]].mean()
    assert targeted > need.mean() + 0.05


def test_outcomes_reference_existing_rows(world, inputs):
    out = world.outcomes
    assert list(out.columns) == C.OUTCOME_COLUMNS
    assert out[C.FIRM_ID].isin(world.firms[C.FIRM_ID]).all()
    assert out[C.CAMPAIGN_ID].isin(world.campaigns[C.CAMPAIGN_ID]).all()
    node_of = world.campaigns.set_index(C.CAMPAIGN_ID)[C.NODE_ID]
    assert (out[C.NODE_ID].to_numpy() == node_of[out[C.CAMPAIGN_ID]].to_numpy()).all()
    assert not out.duplicated([C.CAMPAIGN_ID, C.FIRM_ID]).any()
    sizes = out.groupby(C.CAMPAIGN_ID).size()
    assert sizes.max() <= 80
    # fewer than 20 only where the officer ran out of firms not contacted in the past year
    assert (sizes >= 20).mean() > 0.7
    start = out[C.CAMPAIGN_ID].map(world.campaigns.set_index(C.CAMPAIGN_ID)[C.DATE])
    assert (out[C.DATE] > start).all() and (out[C.DATE] <= pd.Timestamp("2026-06-30")).all()


def test_no_local_firm_is_contacted(world, inputs):
    contacted = world.firms.set_index(C.FIRM_ID).loc[world.outcomes[C.FIRM_ID].unique()]
    local = (contacted[C.COUNTRY] == "CN") & contacted[C.CITY].isin(
        inputs["region"].cities[C.CITY_NAME_EN])
    assert not local.any()


def test_stage_base_rates(world):
    shares = world.outcomes[C.OUTCOME_STAGE].value_counts(normalize=True).sort_index()
    assert list(shares.index) == [0, 1, 2, 3, 4]
    for stage, target in enumerate(history.BASE_RATES):
        assert shares[stage] == pytest.approx(target, abs=0.03), stage


def test_officers_favour_their_score_among_firms_not_contacted_lately():
    # At 2,000 firms an officer soon contacts every candidate not contacted in the past year,
    # so the bias shows in the picks themselves rather than in the world's contacts (at
    # 20,000 firms contacts have 5 times the candidates' median revenue, 4 times their share
    # of listed firms, 5 times their share of reference firms).
    rng = np.random.default_rng(0)
    score = np.linspace(0.0, 10.0, 1000)
    rested = np.ones(1000, bool)
    rested[900:] = False  # the officer's favourites were contacted lately
    picks = np.concatenate([history.officer_pick(rng, score, rested) for _ in range(50)])
    assert rested[picks].all()
    assert np.median(score[picks]) > np.median(score[rested]) + 2.0
    assert history.officer_pick(rng, score, np.zeros(1000, bool)).size == 0


def test_an_officer_contacts_a_firm_again_only_a_year_later(world):
    started = world.campaigns.set_index(C.CAMPAIGN_ID)[C.DATE]
    seen = world.outcomes.assign(day=world.outcomes[C.CAMPAIGN_ID].map(started))
    gaps = seen.sort_values([C.FIRM_ID, "day"]).groupby(C.FIRM_ID)["day"].diff().dropna()
    assert len(gaps)  # firms are contacted again
    assert gaps.min() >= pd.Timedelta(days=history.RECONTACT_AFTER_DAYS)


def test_truth_covers_every_outcome_and_only_candidates(world):
    truth = world.truth
    assert list(truth.columns) == [C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID, C.TRUE_UTILITY]
    keys = [C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID]
    joined = world.outcomes.merge(truth.astype(str)[keys].drop_duplicates(), on=keys,
                                  how="left", indicator=True)
    assert (joined["_merge"] == "both").all()
    assert not truth.duplicated([C.CAMPAIGN_ID, C.FIRM_ID]).any()
    per_campaign = truth.groupby(C.CAMPAIGN_ID, observed=True).size()
    contacted = world.outcomes.groupby(C.CAMPAIGN_ID).size()
    assert (per_campaign[contacted.index] > contacted).all()  # also non-contacted candidates
    assert truth[C.TRUE_UTILITY].notna().all()


def test_higher_true_utility_gives_higher_stages(world):
    pairs = world.outcomes.merge(world.truth.astype({C.CAMPAIGN_ID: str, C.NODE_ID: str}),
                                 on=[C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID])
    bins = pd.qcut(pairs[C.TRUE_UTILITY], 5, labels=False)
    mean_stage = pairs.groupby(bins)[C.OUTCOME_STAGE].mean()
    assert mean_stage.is_monotonic_increasing and mean_stage.iloc[-1] > mean_stage.iloc[0] + 1.5


def test_true_utility_ranks_far_better_than_random(world):
    pairs = world.outcomes.merge(world.truth.astype({C.CAMPAIGN_ID: str, C.NODE_ID: str}),
                                 on=[C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID])
    pairs["random"] = np.random.default_rng(0).random(len(pairs))
    truth, random = _ndcg_at(pairs, C.TRUE_UTILITY), _ndcg_at(pairs, "random")
    assert truth > 0.7 and truth > random + 0.3


def test_truth_is_observable_utility_plus_a_hidden_firm_trait(world, inputs):
    """The latent model reads only stored profiles, links, chain, region and earlier outcomes."""
    truth = world.truth.astype({C.CAMPAIGN_ID: str, C.NODE_ID: str})
    truth = truth[truth[C.FIRM_ID].str.startswith("syn-")].sample(4_000, random_state=0)
    pairs = truth.merge(world.campaigns[[C.CAMPAIGN_ID, C.DATE]], on=C.CAMPAIGN_ID)
    terms = latent.latent_terms(pairs, firms=world.firms, firm_nodes=world.firm_nodes,
                                 outcomes=world.outcomes, chain=inputs["chain"],
                                 region=inputs["region"], need=world.params["weak_link_need"])
    hidden = pairs[C.TRUE_UTILITY] - terms["observable_utility"]
    spread = hidden.groupby(pairs[C.FIRM_ID]).agg(lambda h: h.max() - h.min())
    assert spread.max() < 1e-4  # the same trait in every campaign
    in_china = world.firms.set_index(C.FIRM_ID).loc[pairs[C.FIRM_ID], C.IN_CHINA]
    expected = latent.hidden_sd(float(in_china.astype(float).mean()))
    assert hidden.std() == pytest.approx(expected, rel=0.15)
    assert set(terms.columns) == set(latent.UTILITY_WEIGHTS) | {"observable_utility"}


def test_latent_effects_have_the_documented_signs():
    obs = pd.DataFrame({
        F.LOG10_EMPLOYEES: [1.0, 2.6, 4.5], C.DISTANCE_KM: [100.0, 2_000, 9_000],
        F.TZ_GAP_H: [0.0, 1, 8], F.COMMON_LANGUAGE: [1.0, 1, 0],
        C.FOUNDED_YEAR: [2020.0, 2010, 1950], C.REVENUE_GROWTH: [0.1, 0.1, 0.1],
        C.RD_INTENSITY: [0.1, 0.1, 0.1], C.PATENTS: [10.0, 10, 10], C.IS_LISTED: [0.0, 0, 1],
        C.INTL_COUNTRIES: [1.0, 5, 40], C.IN_CHINA: [1.0, 1, 0], C.IN_GBA: [1.0, 0, 0],
    })
    size = latent.firm_terms(obs)["size"]
    assert size[0] < size[1] < size[2]  # larger makers invest abroad more often
    assert size[2] - size[1] < size[1] - size[0]  # with diminishing returns
    distance = latent.firm_terms(obs)["distance"]
    assert distance[0] > distance[1] > distance[2]
    free = latent.pair_terms(match=1.0, need=0.8, control=0.0, prior_declines=0, age=10)
    blocked = latent.pair_terms(match=1.0, need=0.8, control=1.0, prior_declines=2, age=10)
    assert latent.observable_utility(blocked) < latent.observable_utility(free) - 2.5
    strong = latent.pair_terms(match=1.0, need=0.9, control=0, prior_declines=0, age=10)
    weak = latent.pair_terms(match=1.0, need=0.1, control=0, prior_declines=0, age=10)
    assert strong["match_need"] > weak["match_need"]  # match x need interaction
    buyers = latent.pair_terms(match=1.0, need=0.5, control=0, prior_declines=0, age=10,
                               customers=1.0)
    offer = latent.pair_terms(match=1.0, need=0.5, control=0, prior_declines=0, age=10,
                              offer=1.0, in_gba=[0.0, 1.0])
    assert buyers["customers"] > 0  # local chain leaders that use the node pull makers in
    assert offer["incentive"][0] > offer["incentive"][1] == 0  # a park offer, for newcomers


def test_hidden_trait_rewards_china_sales_and_an_expanding_strategy():
    rng = np.random.default_rng(0)
    traits = latent.hidden_traits(rng, np.array(["DE", "US"] * 20_000),
                                  np.tile([True, False], 20_000))
    trait = pd.Series(traits["trait"])
    assert np.corrcoef(traits["china_sales"], trait)[0, 1] > 0.2
    assert trait[traits["strategy"] == 1].mean() > trait[traits["strategy"] == -1].mean() + 0.6
    us = np.arange(40_000) % 2 == 1
    assert (traits["strategy"][us] == -1).mean() > (traits["strategy"][~us] == -1).mean()
    assert traits["china_sales"][~us].mean() > traits["china_sales"][us].mean()  # in China


def test_no_two_firms_share_a_name(world, synthetic):
    assert synthetic[C.NAME].is_unique
    zh = synthetic[C.NAME_ZH].dropna()
    assert zh.is_unique


def test_a_repeated_name_gets_a_longer_brand():
    from recommender.demo.texts import EN_BRAND_A, EN_BRAND_B, firm_names

    n = 3 * len(EN_BRAND_A) * len(EN_BRAND_B)  # three firms for every brand of one country
    cities = pd.DataFrame({C.CITY: ["Munich", "Shenzhen"], C.NAME_ZH: [None, "深圳"]})
    country = np.r_[np.zeros(n, int), np.ones(n, int)]  # DE, then CN
    city = np.r_[np.zeros(n, int), np.ones(n, int)]
    drawn = firm_names(np.random.default_rng(0), country, ["DE", "CN"], np.zeros(2 * n, int),
                       ("sensors",), city, cities, np.zeros(2 * n, bool))
    name, name_zh = (a.to_pandas() for a in drawn)
    assert name.is_unique and name_zh.dropna().is_unique
    assert name.str.endswith("Sensing GmbH")[:n].all()
    # a brand is its two drawn syllables, plus one more for each time it was drawn before
    brands = name[:n].str.removesuffix(" Sensing GmbH")
    a, b = "|".join(EN_BRAND_A), "|".join(EN_BRAND_B)
    assert brands.str.fullmatch(f"({a})({b})+").all()
    plain = brands.str.fullmatch(f"({a})({b})")
    assert 0 < plain.sum() <= len(EN_BRAND_A) * len(EN_BRAND_B) < n
