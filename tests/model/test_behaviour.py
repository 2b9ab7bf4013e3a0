"""Behavioural tests (STYLE 13): edits that should not matter keep the ranking; filling the
weak link and being nearer are never held against a firm. Every test runs on the prior and on
the ranker trained on the demo world."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.ranking.features import serving_frame
from recommender.targeting.prior_model import prior_model
from recommender.targeting.recommend import recommend

MODELS = ["prior", "trained"]


def _model(kind: str, demo):
    return prior_model(demo.data, demo.weak_links) if kind == "prior" else demo.ranker


@pytest.fixture(scope="module")
def candidates(demo, node):
    return serving_frame(demo.data, demo.weak_links, [node]).reset_index(drop=True)


@pytest.mark.parametrize("kind", MODELS)
def test_a_firm_that_fills_the_weak_link_outranks_its_twin_that_does_not(kind, demo,
                                                                         candidates):
    model = _model(kind, demo)
    fills = candidates.iloc[::10].reset_index(drop=True)
    twin = fills.assign(**{C.MATCH: 0.0, "weak_link_fit": 0.0, C.HOP: np.nan})
    assert np.all(model.predict(fills) > model.predict(twin))


def test_the_prior_prefers_the_weaker_link_for_the_same_firm(demo, candidates):
    model = _model("prior", demo)
    rows = candidates.iloc[::10].reset_index(drop=True)
    weaker = rows.assign(**{C.WEAK_LINK_SCORE: rows[C.WEAK_LINK_SCORE] + 0.2,
                            "weak_link_fit": rows[C.MATCH] * (rows[C.WEAK_LINK_SCORE] + 0.2)})
    assert np.all(model.predict(weaker) > model.predict(rows))


@pytest.mark.parametrize("kind", MODELS)
def test_a_nearer_firm_is_not_penalised_for_being_nearer(kind, demo, candidates):
    model = _model(kind, demo)
    rows = candidates.iloc[::5].reset_index(drop=True)
    base = model.predict(rows)
    for share in (0.75, 0.5, 0.1, 0.0):
        nearer = rows.assign(**{C.DISTANCE_KM: rows[C.DISTANCE_KM] * share,
                                "tz_gap_h": rows["tz_gap_h"] * share})
        scores = model.predict(nearer)
        assert np.all(scores >= base - 1e-12), share
        base = scores


def _edited(data, seed: int = 1):
    """The same world with new names and websites, every table in another row order."""
    rng = np.random.default_rng(seed)
    firms = data.firms.assign(**{
        C.NAME: "Renamed " + data.firms[C.NAME].astype(str),
        C.NAME_ZH: data.firms[C.NAME_ZH].astype(str) + "（更名）",
        C.WEBSITE: "https://example.invalid/" + data.firms[C.FIRM_ID].astype(str),
    })

    def shuffled(frame):
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    return dataclasses.replace(data, firms=shuffled(firms), firm_nodes=shuffled(data.firm_nodes),
                               outcomes=shuffled(data.outcomes),
                               campaigns=shuffled(data.campaigns))


@pytest.mark.parametrize("kind", MODELS)
def test_irrelevant_edits_keep_the_ranking(kind, demo, node):
    model = None if kind == "prior" else demo.ranker
    before = recommend(demo.data, demo.weak_links, node, model=model, k=50)
    after = recommend(_edited(demo.data), demo.weak_links, node, model=model, k=50)
    assert after[C.FIRM_ID].tolist() == before[C.FIRM_ID].tolist()
    np.testing.assert_allclose(after[C.SCORE], before[C.SCORE], rtol=0, atol=1e-12)
    np.testing.assert_allclose(after[C.P_SUCCESS], before[C.P_SUCCESS], rtol=0, atol=1e-9)
    assert after[C.NAME].str.startswith("Renamed ").all()


def test_the_same_seed_gives_the_same_ranking(demo, node, trainer):
    again = trainer(demo.frame)
    assert again.booster_.model_to_string() == demo.ranker.booster_.model_to_string()
    first = recommend(demo.data, demo.weak_links, node, model=demo.ranker, k=50)
    second = recommend(demo.data, demo.weak_links, node, model=again, k=50)
    pd.testing.assert_frame_equal(first, second)


def _with_twins(data, firm_id: str, twins: dict[str, dict]):
    """``data`` with copies of one firm under new ids, each with some facts changed."""
    firm = data.firms[data.firms[C.FIRM_ID] == firm_id]
    links = data.firm_nodes[data.firm_nodes[C.FIRM_ID] == firm_id]
    firms = [data.firms] + [firm.assign(**{C.FIRM_ID: twin, **facts})
                            for twin, facts in twins.items()]
    nodes = [data.firm_nodes] + [links.assign(**{C.FIRM_ID: twin}) for twin in twins]
    return dataclasses.replace(data, firms=pd.concat(firms, ignore_index=True),
                               firm_nodes=pd.concat(nodes, ignore_index=True))


@pytest.mark.parametrize("kind", MODELS)
def test_a_real_firm_with_unknown_employees_ranks_where_its_known_facts_put_it(kind, demo,
                                                                               candidates, node):
    """A Large Cap listed firm whose head count and revenue nobody reported ranks next to its
    twin that reports a large head count, not at the bottom with the firms about which
    nothing is known (its size is estimated from its market-cap class and flagged so)."""
    model = _model(kind, demo)
    makers = candidates.loc[candidates[C.HOP] == 0, C.FIRM_ID]
    firm = makers.iloc[len(makers) // 4]
    large = {C.SIZE_CLASS: "large", C.IS_LISTED: True}
    data = _with_twins(demo.data, firm, {
        "twin-known": {**large, C.EMPLOYEES: 40_000, C.REVENUE: 10_000.0},
        "twin-unknown": {**large, C.EMPLOYEES: np.nan, C.REVENUE: np.nan},
        "twin-nothing": {C.SIZE_CLASS: None, C.IS_LISTED: False, C.EMPLOYEES: np.nan,
                         C.REVENUE: np.nan}})
    frame = serving_frame(data, demo.weak_links, [node]).reset_index(drop=True)
    order = pd.Series(model.predict(frame), index=frame[C.FIRM_ID]).rank(ascending=False)
    known, unknown = order["twin-known"], order["twin-unknown"]
    assert abs(unknown - known) <= 0.02 * len(frame), (known, unknown, len(frame))
    assert unknown <= 0.5 * len(frame)
    rows = frame.set_index(C.FIRM_ID)
    assert rows.loc["twin-unknown", "size_basis"] == 1  # estimated from the market-cap class
    assert rows.loc["twin-unknown", "log10_employees"] == pytest.approx(np.log10(40_000))
    assert np.isnan(rows.loc["twin-nothing", "log10_employees"])  # nothing to go on: unknown
