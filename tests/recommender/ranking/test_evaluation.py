import json

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.ranking.evaluation import (
    backtest,
    draw_stages,
    evaluate,
    expected_calibration_error,
    reliability_table,
)
from recommender.ranking.evaluation_report import report_markdown, write_report
from recommender.ranking.features import REACHED
from recommender.ranking.methods import METHODS
from recommender.ranking.prior import prior_scores
from recommender.ranking.ranker import apply_calibration, fit_calibration
from recommender.ranking.splits import (
    CALIBRATION_SHARE,
    labels_as_of,
    settled_contacts,
    time_split,
)

FEATURES = ["match", "weak_link_fit", "distance_km", "in_china", "log10_employees"]


def _frame(n_groups: int = 40, size: int = 30, seed: int = 0) -> pd.DataFrame:
    """Campaign groups, one every 10 days, with stages drawn from a known utility."""
    rng = np.random.default_rng(seed)
    n = n_groups * size
    group = np.repeat(np.arange(n_groups), size)
    frame = pd.DataFrame({
        C.FIRM_ID: [f"f{i:05d}" for i in range(n)],
        C.DATE: pd.Timestamp("2022-01-01") + pd.to_timedelta(group * 10, unit="D"),
        C.GROUP_ID: [f"C{g:03d}|node" for g in group],
        "match": rng.random(n),
        "distance_km": rng.gamma(2.0, 2000.0, n),
        "in_china": (rng.random(n) < 0.4).astype(float),
        "log10_employees": rng.normal(2.0, 0.7, n),
    })
    frame["weak_link_fit"] = 0.6 * frame["match"]
    utility = (2.5 * frame["match"] - 0.4 * np.log1p(frame["distance_km"] / 1000)
               + 0.7 * frame["in_china"] - 0.4 * (frame["log10_employees"] - 2.6) ** 2)
    frame[C.TRUE_UTILITY] = utility
    noisy = utility + rng.normal(0, 0.6, n)
    frame[C.LABEL] = np.searchsorted(np.quantile(noisy, [0.55, 0.8, 0.92, 0.97]), noisy)
    return frame


@pytest.fixture(scope="module")
def split():
    return time_split(_frame(), test_share=0.3)


@pytest.fixture(scope="module")
def results(split):
    train, test = split
    return evaluate(train, test, features=FEATURES, seed=0,
                    ranker_params={"n_estimators": 200, "num_leaves": 7})


# --- the split (by hand: test_splits.py) ---------------------------------------------------
def test_time_split_keeps_whole_groups_and_time_order(split):
    train, test = split
    assert not set(train[C.GROUP_ID]) & set(test[C.GROUP_ID])
    assert train[C.DATE].max() < test[C.DATE].min()
    assert test[C.GROUP_ID].nunique() == 12  # ceil(0.3 x 40)


# --- the methods on the later window -------------------------------------------------------
def test_evaluate_compares_every_method(results):
    assert list(results["metrics"]) == list(METHODS)
    m = {k: v["ndcg@10"] for k, v in results["metrics"].items()}
    assert m["lambdarank"] > m["random"] + 0.15
    assert m["logistic"] > m["random"] + 0.15
    assert m["prior"] > m["random"]
    assert m["oracle"] >= max(m["random"], m["size_only"])
    assert results["test"]["groups"] == 12 and results["train"]["groups"] == 28
    assert results["lambdarank"]["validation"]["groups"] == 6  # ceil(0.2 x 28)
    assert results["lambdarank"]["best_iteration"] >= 1
    comparison = results["comparisons"]["ndcg@10"]["lambdarank - random"]
    assert comparison["ci95"][0] > 0 and comparison["groups"] == 12


def test_evaluate_is_deterministic(split, results):
    train, test = split
    again = evaluate(train, test, features=FEATURES, seed=0, methods=("random", "lambdarank"),
                     ranker_params={"n_estimators": 200, "num_leaves": 7})
    for method in ("random", "lambdarank"):
        assert again["metrics"][method] == results["metrics"][method]


def test_lambdarank_from_scratch_on_request(split):
    train, test = split
    out = evaluate(train, test, features=FEATURES, methods=("lambdarank", "lambdarank_plain"),
                   ranker_params={"n_estimators": 100, "num_leaves": 7})
    assert out["lambdarank"]["params"]["prior_weight"] == 1.0
    assert out["lambdarank_plain"]["params"]["prior_weight"] == 0.0
    assert "lambdarank - lambdarank_plain" in out["comparisons"]["ndcg@10"]


def test_oracle_is_skipped_without_truth(split):
    train, test = split
    out = evaluate(train, test.drop(columns=C.TRUE_UTILITY), features=FEATURES,
                   methods=("random", "oracle"))
    assert list(out["metrics"]) == ["random"]
    assert "true_utility" in out["skipped"]["oracle"]
    assert "oracle | – | – | – |" in report_markdown(out)


def test_evaluate_refuses_unknown_methods_and_missing_columns(split):
    train, test = split
    with pytest.raises(InvalidArgument, match="methods: unknown"):
        evaluate(train, test, features=FEATURES, methods=("magic",))
    with pytest.raises(InvalidArgument, match=r"test: missing columns \['label'\]"):
        evaluate(train, test.drop(columns=C.LABEL), features=FEATURES, methods=("random",))


# --- every candidate (demo worlds) -----------------------------------------------------------
OUTCOME_MODEL = {"thresholds": [0.0, 0.5, 1.0, 1.5], "noise_sd": 0.6}


def _candidates(test: pd.DataFrame, per_group: int = 200, seed: int = 1) -> pd.DataFrame:
    """Every candidate of the test groups: many more firms than were contacted."""
    rng = np.random.default_rng(seed)
    groups = test[C.GROUP_ID].unique()
    n = len(groups) * per_group
    frame = pd.DataFrame({
        C.GROUP_ID: np.repeat(groups, per_group),
        "match": rng.random(n), "distance_km": rng.gamma(2.0, 2000.0, n),
        "in_china": (rng.random(n) < 0.4).astype(float),
        "log10_employees": rng.normal(2.0, 0.7, n),
    })
    frame["weak_link_fit"] = 0.6 * frame["match"]
    frame[C.TRUE_UTILITY] = (2.5 * frame["match"] - 0.4 * np.log1p(frame["distance_km"] / 1000)
                             + 0.7 * frame["in_china"]
                             - 0.4 * (frame["log10_employees"] - 2.6) ** 2)
    return frame


def test_draw_stages_by_hand():
    assert draw_stages([-9.0, 0.2, 0.7, 9.0, np.nan], [0.0, 0.5, 1.0, 1.5], 0.0,
                       draws=2).tolist() == [[0, 1, 2, 4, 0]] * 2
    many = draw_stages(np.zeros(20_000), [-1.0, 0.0, 1.0, 2.0], 1.0, draws=1, seed=3)[0]
    # N(0, 1): P(stage >= 2) = P(z > 0) = 0.5, P(stage 4) = P(z > 2) = 0.023
    assert (many >= 2).mean() == pytest.approx(0.5, abs=0.02)
    assert (many == 4).mean() == pytest.approx(0.023, abs=0.005)
    assert draw_stages([0.3], [0.0, 0.5, 1.0, 1.5], 0.5, draws=3, seed=9).tolist() == \
        draw_stages([0.3], [0.0, 0.5, 1.0, 1.5], 0.5, draws=3, seed=9).tolist()


@pytest.mark.parametrize("thresholds, noise, match", [
    ([0.0, 1.0, 2.0], 0.5, "thresholds: expected 4 increasing"),
    ([0.0, 2.0, 1.0, 3.0], 0.5, "thresholds: expected 4 increasing"),
    ([0.0, 1.0, 2.0, 3.0], -1.0, "noise_sd"),
])
def test_draw_stages_refuses_a_bad_outcome_model(thresholds, noise, match):
    with pytest.raises(InvalidArgument, match=match):
        draw_stages([0.0], thresholds, noise)


@pytest.fixture(scope="module")
def every(split):
    train, test = split
    return evaluate(train, test, features=FEATURES, seed=0, candidates=_candidates(test),
                    outcome_model=OUTCOME_MODEL, draws=5,
                    ranker_params={"n_estimators": 200, "num_leaves": 7})


def test_every_candidate_is_ranked_by_the_same_fitted_methods(every, results):
    table = every["every_candidate"]
    assert list(table["metrics"]) == list(METHODS)
    assert table["rows"] == 12 * 200 and table["group_count"] == 12 and table["draws"] == 5
    assert table["groups"]["oracle"]["groups"] == 12
    m = {k: v["ndcg@10"] for k, v in table["metrics"].items()}
    # the oracle orders by the expected outcome: on five draws a method may tie it by chance
    assert m["oracle"] >= max(m.values()) - 0.005
    assert m["lambdarank"] > m["random"] + 0.2 and m["prior"] > m["random"]
    assert "lambdarank - prior" in table["comparisons"]["ndcg@10"]
    # the contacted table is unchanged by grading every candidate too
    assert every["metrics"] == results["metrics"]
    assert "Every candidate of the held-out campaigns" in report_markdown(every)
    # over the whole pool: the oracle's score is the truth itself; random reads none of it
    assert table["metrics"]["oracle"]["spearman"] == pytest.approx(1.0)
    assert abs(table["metrics"]["random"]["spearman"]) < 0.2
    assert 0 <= table["metrics"]["lambdarank"]["hop1@10"] <= 1
    assert "| spearman | hop1@10 | headroom |" in report_markdown(every)


def test_every_candidate_needs_an_outcome_model_and_the_columns(split):
    train, test = split
    with pytest.raises(InvalidArgument, match="outcome_model: thresholds and noise_sd"):
        evaluate(train, test, features=FEATURES, methods=("random",),
                 candidates=_candidates(test))
    with pytest.raises(InvalidArgument, match=r"candidates: missing columns \['true_utility'\]"):
        evaluate(train, test, features=FEATURES, methods=("random",),
                 candidates=_candidates(test).drop(columns=C.TRUE_UTILITY),
                 outcome_model=OUTCOME_MODEL)


# --- the rolling-origin backtest --------------------------------------------------------------
def test_backtest_pools_several_later_windows():
    frame = _frame()
    held = frame[C.GROUP_ID].isin(frame[C.GROUP_ID].unique()[20:])
    out = backtest(frame, folds=4, test_share=0.5, features=FEATURES, seed=0,
                   methods=("random", "prior", "lambdarank", "oracle"),
                   candidates=_candidates(frame[held]), outcome_model=OUTCOME_MODEL, draws=3,
                   ranker_params={"n_estimators": 100, "num_leaves": 7})
    assert [w["test"]["groups"] for w in out["folds"]] == [5, 5, 5, 5]  # 20 of 40 groups
    assert [w["train"]["groups"] for w in out["folds"]] == [20, 25, 30, 35]
    for window in out["folds"]:
        assert window["train"]["end"] < window["test"]["start"]
    assert out["test"]["groups"] == 20 and out["groups"]["random"]["groups"] == 20
    assert out["comparisons"]["ndcg@10"]["lambdarank - prior"]["groups"] == 20
    assert out["every_candidate"]["group_count"] == 20
    text = report_markdown({**_empty_results(), "backtest": out})
    assert "## Rolling-origin backtest" in text and "20 groups" in text


def test_backtest_learns_only_from_groups_dated_before_each_window():
    # two groups a day (0 and 1, 2 and 3, ...); the windows start at groups 21, 26, 30 and 35,
    # so the first and the last start on the day of the group just before them
    frame = _frame()
    frame[C.DATE] = pd.Timestamp("2022-01-01") + pd.to_timedelta(
        frame[C.GROUP_ID].str[1:4].astype(int) // 2 * 10, unit="D")
    out = backtest(frame, folds=4, test_share=0.475, features=FEATURES, seed=0,
                   methods=("random",))
    assert [w["test"]["groups"] for w in out["folds"]] == [5, 4, 5, 5]
    for window in out["folds"]:
        assert window["train"]["end"] < window["test"]["start"]
    # group 20 shares the first day of window 1, group 34 of window 4: neither is learned from there
    assert [w["train"]["groups"] for w in out["folds"]] == [20, 26, 30, 34]


@pytest.mark.parametrize("kwargs, match", [
    ({"folds": 0}, "folds must be a positive integer"),
    ({"test_share": 1.5}, r"test_share must be in \(0, 1\)"),
    ({"folds": 30, "test_share": 0.5}, "cannot give 30 later windows"),
])
def test_backtest_refuses_bad_arguments(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        backtest(_frame(), features=FEATURES, methods=("random",), **kwargs)


def _empty_results() -> dict:
    window = {"rows": 0, "groups": 0, "start": None, "end": None}
    return {"metrics": {}, "groups": {}, "train": window, "test": window, "relevant": 3}


# --- reports --------------------------------------------------------------------------------
def test_report_markdown_and_files(results, tmp_path):
    text = report_markdown(results)
    assert "| method | ndcg@10 | map@10 | recall@50 |" in text
    for method in METHODS:
        assert f"| {method} |" in text
    assert "lambdarank - prior" in text and "LambdaRank:" in text
    paths = write_report(results, tmp_path / "out")
    stored = json.loads(paths["json"].read_text())
    assert stored["metrics"]["lambdarank"] == pytest.approx(results["metrics"]["lambdarank"])
    assert paths["markdown"].read_text() == text


# --- calibration: fitted on earlier campaigns, measured on the later window -----------------
PARAMS = {"n_estimators": 60, "num_leaves": 7}


def test_reliability_table_and_ece_by_hand():
    # bins of width 0.25: [0, .25) holds 0.1, 0.2 (observed 0, 1): mean 0.15, rate 0.5;
    # [.5, .75) holds 0.6 (observed 1): gap 0.4; [.75, 1] holds 0.8, 1.0 (observed 1, 1):
    # mean 0.9, rate 1. ECE = (2 x 0.35 + 1 x 0.4 + 2 x 0.1) / 5 = 0.26
    predicted = [0.1, 0.2, 0.6, 0.8, 1.0]
    observed = [0, 1, 1, 1, 1]
    table = reliability_table(predicted, observed, bins=4)
    assert table["low"].tolist() == [0.0, 0.5, 0.75]
    assert table["count"].tolist() == [2, 1, 2]
    assert table["predicted"].tolist() == pytest.approx([0.15, 0.6, 0.9])
    assert table["observed"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert expected_calibration_error(predicted, observed, bins=4) == pytest.approx(0.26)
    assert expected_calibration_error([0.3, 0.3], [0, 1]) == pytest.approx(0.2)
    assert np.isnan(expected_calibration_error([], []))
    with pytest.raises(InvalidArgument, match="differ in length"):
        reliability_table([0.1], [0, 1])


@pytest.fixture(scope="module")
def measured(split):
    train, test = split
    return evaluate(train, test, methods=("prior", "lambdarank"), features=FEATURES, seed=0,
                    ranker_params=PARAMS)


def test_the_prior_is_calibrated_on_earlier_campaigns_and_measured_on_later(split, measured):
    train, test = split
    found = measured["calibration"]["prior"]
    known = labels_as_of(train, test[C.DATE].min())
    _, recent = time_split(known, test_share=CALIBRATION_SHARE)
    assert found["fit_rows"] == len(recent) and found["rows"] == len(test)
    assert not set(recent[C.GROUP_ID]) & set(test[C.GROUP_ID])
    # the same figure, computed from the mapping fitted on those earlier rows only
    mapping = fit_calibration(prior_scores(recent[FEATURES]), recent[C.LABEL].to_numpy(), 3)
    predicted = apply_calibration(prior_scores(test[FEATURES]), mapping)
    observed = (test[C.LABEL].to_numpy() >= 3).astype(float)
    assert found["ece"] == pytest.approx(expected_calibration_error(predicted, observed))
    assert found["base_rate"] == pytest.approx(observed.mean())
    assert sum(b["count"] for b in found["bins"]) == len(test)


def test_the_later_window_never_moves_the_mappings(split, measured):
    train, test = split
    flipped = test.assign(**{C.LABEL: 4 - test[C.LABEL]})  # every later outcome turned over
    again = evaluate(train, flipped, methods=("prior", "lambdarank"), features=FEATURES,
                     seed=0, ranker_params=PARAMS)
    for method in ("prior", "lambdarank"):
        before, after = measured["calibration"][method], again["calibration"][method]
        assert [b["predicted"] for b in before["bins"]] == \
            pytest.approx([b["predicted"] for b in after["bins"]])
        assert before["fit_rows"] == after["fit_rows"]
        assert before["ece"] != pytest.approx(after["ece"])
    assert measured["calibration"]["lambdarank"]["fit_on"] == "eval, settled campaigns"


def _history(n_groups: int = 80, size: int = 60, lag_days: float = 20.0,
             seed: int = 6) -> pd.DataFrame:
    """:func:`_frame`'s campaigns as seen at the end of the history: each stage is reached some
    days after the one before it (exponential lags), and a stage due after the last day of the
    history is not seen yet, so the latest campaigns show fewer MoUs than they will sign."""
    frame = _frame(n_groups, size, seed=seed)
    rng = np.random.default_rng(seed)
    days = np.cumsum(rng.exponential(lag_days, (len(frame), len(REACHED) - 1)), axis=1)
    today = frame[C.DATE].max() + pd.Timedelta(days=20)
    frame[REACHED[0]] = frame[C.DATE]
    for stage, name in enumerate(REACHED[1:], start=1):
        when = frame[C.DATE] + pd.to_timedelta(days[:, stage - 1], unit="D")
        frame[name] = when.where((frame[C.LABEL] >= stage) & (when <= today))
    frame[C.LABEL] = frame[list(REACHED)].notna().sum(axis=1) - 1
    return frame


def test_calibration_with_young_campaigns_meets_the_observed_rate():
    history = _history()
    train, test = time_split(history, test_share=0.3)
    found = evaluate(train, test, methods=("prior", "lambdarank"), features=FEATURES, seed=0,
                     ranker_params=PARAMS)["calibration"]
    settled = settled_contacts(test)
    assert 0 < len(settled) < len(test)  # the later window's young campaigns are left out
    for method in ("prior", "lambdarank"):
        assert found[method]["rows"] == len(settled)
        assert found[method]["base_rate"] == pytest.approx((settled[C.LABEL] >= 3).mean())
        assert abs(found[method]["mean_predicted"] - found[method]["base_rate"]) < 0.015
        assert found[method]["ece"] <= 0.05
    # fitted on the settled campaigns of the earlier window, as its labels stood
    known = labels_as_of(train, test[C.DATE].min())
    fit_on = settled_contacts(known, as_of=test[C.DATE].min())
    _, recent = time_split(fit_on, test_share=CALIBRATION_SHARE)
    assert found["prior"]["fit_rows"] == len(recent)
    # the young campaigns it leaves out had shown fewer MoUs than they went on to sign
    young = known[~known[C.GROUP_ID].isin(set(fit_on[C.GROUP_ID]))]
    assert (young[C.LABEL] >= 3).mean() < (fit_on[C.LABEL] >= 3).mean()


def test_the_report_shows_the_reliability_tables(measured):
    text = report_markdown(measured)
    assert "## Calibration of p(MoU or better) on the held-out window" in text
    for method in ("prior", "lambdarank"):
        assert f"**{method}**: ECE {measured['calibration'][method]['ece']:.3f}" in text
    assert "| predicted in | mean predicted | observed rate | contacts |" in text
