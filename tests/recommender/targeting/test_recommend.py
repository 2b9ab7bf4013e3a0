import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import InvalidArgument, NotFoundError, NotRecruitable
from recommender.outcome_stages import RECRUITMENT_STAGES
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.feature_registry import feature_names
from recommender.ranking.features import contacted_pairs, training_frame
from recommender.ranking.ranker import CALIBRATION_MARGIN, ChainRanker
from recommender.ranking.splits import CALIBRATION_SHARE, settled_contacts, time_split
from recommender.targeting.prior_model import prior_model
from recommender.targeting.recommend import (
    RECOMMEND_COLUMNS,
    TARGET_COLUMNS,
    recommend,
    score_candidates,
    target_list,
)

NODE = "vacuum_pumps"


@pytest.fixture(scope="module")
def world():
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=1500, seed=3, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    return data, weak_links


@pytest.fixture(scope="module")
def ranker(world):
    data, weak_links = world
    frame = training_frame(data, weak_links)
    names = feature_names()
    return ChainRanker(n_estimators=30, num_leaves=7, prior_weight=1.0).fit(
        frame[names], frame[C.LABEL], group_id=frame[C.GROUP_ID])


def test_recommend_with_the_prior(world):
    data, weak_links = world
    top = recommend(data, weak_links, NODE, k=15)
    assert list(top.columns) == RECOMMEND_COLUMNS
    assert top[C.RANK].tolist() == list(range(1, 16))
    assert (top[C.NODE_ID] == NODE).all() and top[C.FIRM_ID].is_unique
    assert (top[C.MODEL_VERSION] == "prior").all()
    assert np.all(np.diff(top[C.VALUE].to_numpy()) <= 0)  # best expected value first
    assert top[C.P_SUCCESS].between(0, 1).all()
    assert top[C.LIKELIHOOD].tolist() == top[C.P_SUCCESS].tolist()
    assert top[C.IMPACT].between(0, 1).all()
    first = top[C.REASONS].iloc[0]
    assert first[0]["en"].startswith("fills weak link") and "Vacuum pumps" in first[0]["en"]
    assert set(first[0]) == {"feature", "contribution", "zh", "en"}
    assert top["reason_zh"].iloc[0].startswith("可") and "真空泵" in top["reason_zh"].iloc[0]
    assert top["reason_en"].iloc[0].startswith("fills weak link")
    # the firm fields come from the register
    firms = data.firms.set_index(C.FIRM_ID)
    assert top[C.NAME].tolist() == firms.loc[top[C.FIRM_ID], C.NAME].tolist()
    assert top.attrs["candidates"] >= 15


def test_recommend_is_deterministic(world):
    data, weak_links = world
    pd.testing.assert_frame_equal(recommend(data, weak_links, NODE, k=10),
                                  recommend(data, weak_links, NODE, k=10))


def test_filters(world):
    data, weak_links = world
    everyone = recommend(data, weak_links, NODE, k=10_000)
    country = everyone[C.COUNTRY].iloc[0]
    only = recommend(data, weak_links, NODE, k=10_000, country=country.lower())
    assert (only[C.COUNTRY] == country).all()
    assert len(only) == (everyone[C.COUNTRY] == country).sum()
    sizes = data.firms.set_index(C.FIRM_ID)[C.SIZE_CLASS]
    small = recommend(data, weak_links, NODE, k=10_000, size=["small", "micro"])
    assert set(sizes.loc[small[C.FIRM_ID]]) <= {"small", "micro"} and len(small)
    seen = contacted_pairs(data)
    seen = set(seen.loc[seen[C.NODE_ID] == NODE, C.FIRM_ID])
    fresh = recommend(data, weak_links, NODE, k=10_000, exclude_contacted=True)
    assert seen and not seen & set(fresh[C.FIRM_ID])
    assert len(fresh) == len(everyone) - len(seen & set(everyone[C.FIRM_ID]))


def test_the_stage_filter_keeps_the_pairs_at_those_stages(world):
    data, weak_links = world
    everyone = recommend(data, weak_links, NODE, k=10_000)
    seen = contacted_pairs(data)
    best = seen.loc[seen[C.NODE_ID] == NODE].set_index(C.FIRM_ID)[C.OUTCOME_STAGE]
    expected = [RECRUITMENT_STAGES[int(best.get(firm, -1)) + 1] for firm in everyone[C.FIRM_ID]]
    assert everyone["outcome_stage"].tolist() == expected
    assert {"none", "declined"} <= set(expected)
    for asked in (["none"], ["declined", "responded"], "visited"):
        kept = recommend(data, weak_links, NODE, k=10_000, stage=asked)
        wanted = [asked] if isinstance(asked, str) else asked
        assert kept[C.FIRM_ID].tolist() == [
            firm for firm, stage in zip(everyone[C.FIRM_ID], expected, strict=True)
            if stage in wanted]
    fresh = recommend(data, weak_links, NODE, k=10_000, exclude_contacted=True)
    pd.testing.assert_frame_equal(fresh, recommend(data, weak_links, NODE, k=10_000,
                                                   stage="none"))
    assert recommend(data, weak_links, NODE, k=10_000, stage="mou",
                     exclude_contacted=True).empty
    with pytest.raises(InvalidArgument, match="unknown recruitment stage 'signed'"):
        recommend(data, weak_links, NODE, stage=["none", "signed"])


def test_value_is_likelihood_times_impact_in_each_order(world):
    data, weak_links = world
    rows = {by: recommend(data, weak_links, NODE, k=10_000, by=by)
            for by in ("value", "likelihood", "impact")}
    for by, top in rows.items():
        np.testing.assert_allclose(top[C.VALUE], top[C.LIKELIHOOD] * top[C.IMPACT])
        assert np.all(np.diff(top[by].to_numpy()) <= 0), by
        assert top.attrs["by"] == by
        assert set(top[C.FIRM_ID]) == set(rows["value"][C.FIRM_ID])  # the same firms
    assert np.all(np.diff(rows["likelihood"][C.SCORE].to_numpy()) <= 0)
    assert rows["value"][C.FIRM_ID].tolist() != rows["likelihood"][C.FIRM_ID].tolist()
    with pytest.raises(InvalidArgument, match="sort: one of value, likelihood, impact"):
        recommend(data, weak_links, NODE, by="score")


def test_firms_that_invested_for_the_link_leave_the_default_list(world):
    data, weak_links = world
    seen = contacted_pairs(data)
    landed = set(seen.loc[(seen[C.NODE_ID] == NODE) & (seen[C.OUTCOME_STAGE] == 4), C.FIRM_ID])
    assert landed  # the world holds some
    default = recommend(data, weak_links, NODE, k=10_000)
    every = recommend(data, weak_links, NODE, k=10_000, include_landed=True)
    assert not landed & set(default[C.FIRM_ID])
    assert landed <= set(every[C.FIRM_ID])
    assert len(every) == len(default) + len(landed)
    assert set(every.loc[every[C.FIRM_ID].isin(landed), C.RECRUITMENT_STAGE]) == {"invested"}
    asked = recommend(data, weak_links, NODE, k=10_000, stage="invested")
    assert set(asked[C.FIRM_ID]) == landed
    # a contacted firm shows its stage
    best = seen.loc[seen[C.NODE_ID] == NODE].set_index(C.FIRM_ID)[C.OUTCOME_STAGE]
    contacted = default[default[C.FIRM_ID].isin(best.index)]
    assert len(contacted) and contacted[C.RECRUITMENT_STAGE].tolist() == [
        RECRUITMENT_STAGES[int(best[firm]) + 1] for firm in contacted[C.FIRM_ID]]
    # and the target list never picks a firm for a link it already invested for
    picks = target_list(data, weak_links, k=30, top_links=10, max_country_share=1.0)
    done = set(zip(seen.loc[seen[C.OUTCOME_STAGE] == 4, C.FIRM_ID],
                   seen.loc[seen[C.OUTCOME_STAGE] == 4, C.NODE_ID], strict=True))
    for firm, covers in zip(picks[C.FIRM_ID], picks["covers"], strict=True):
        assert not any((firm, c[C.NODE_ID]) in done for c in covers)


def test_unknown_and_unrecruitable_nodes(world):
    data, weak_links = world
    with pytest.raises(NotFoundError, match="no such node"):
        recommend(data, weak_links, "perpetual_motion")
    downstream = weak_links.loc[~weak_links["can_recruit"], C.NODE_ID].iloc[0]
    with pytest.raises(NotRecruitable, match="cannot be recruited"):
        recommend(data, weak_links, downstream)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        recommend(data, weak_links, NODE, k=0)
    with pytest.raises(ValueError, match="unknown size class"):
        recommend(data, weak_links, NODE, size="giant")


def test_recommend_with_a_trained_model(world, ranker):
    data, weak_links = world
    top = recommend(data, weak_links, NODE, k=10, model=ranker)
    assert (top[C.MODEL_VERSION] == "unsaved").all()
    assert top[C.P_SUCCESS].between(0, 1).all()
    assert top[C.REASONS].iloc[0][0]["feature"] == "weak_link_fit"
    ranker.version_ = "20250101T000000-abcdef12"
    try:
        top = recommend(data, weak_links, NODE, k=3, model=ranker)
        assert (top[C.MODEL_VERSION] == "20250101T000000-abcdef12").all()
    finally:
        del ranker.version_


def test_score_candidates_scores_every_candidate(world):
    data, weak_links = world
    nodes = ["adc_chips", NODE]
    scored = score_candidates(data, weak_links, nodes)
    assert scored[C.NODE_ID].unique().tolist() == nodes  # in the given order, best first
    for _, part in scored.groupby(C.NODE_ID, sort=False):
        assert np.all(np.diff(part[C.SCORE].to_numpy()) <= 0)
    assert len(scored[scored[C.NODE_ID] == NODE]) == recommend(
        data, weak_links, NODE, k=10_000, include_landed=True).attrs["candidates"]
    assert {C.P_SUCCESS, C.COUNTRY, C.MODEL_VERSION} <= set(scored.columns)
    with pytest.raises(NotFoundError):
        score_candidates(data, weak_links, ["nowhere"])


def test_prior_model_is_calibrated_on_the_latest_settled_campaigns(world):
    data, weak_links = world
    model = prior_model(data, weak_links)
    calibration = model.calibration_
    assert calibration["fit_on"] == "recent campaigns" and calibration["slope"] > 0
    frame = training_frame(data, weak_links)
    settled = settled_contacts(frame)
    _, recent = time_split(settled, test_share=CALIBRATION_SHARE)
    assert calibration["rows"] == len(recent) < len(settled) < len(frame)
    p = model.predict_proba_success(recent)
    assert abs(p.mean() - (recent[C.LABEL] >= 3).mean()) < 0.03
    # the campaigns left out are those too young to show their MoUs: fewer of theirs are seen
    young = frame[~frame[C.GROUP_ID].isin(set(settled[C.GROUP_ID]))]
    assert (young[C.LABEL] >= 3).mean() < (settled[C.LABEL] >= 3).mean()
    # never far beyond the scores it was fitted on: at most CALIBRATION_MARGIN of their range
    top = recommend(data, weak_links, NODE, k=1, by="likelihood")
    end = calibration["high"] + CALIBRATION_MARGIN * (calibration["high"] - calibration["low"])
    ceiling = 1 / (1 + np.exp(-(calibration["slope"] * end + calibration["intercept"])))
    assert top[C.LIKELIHOOD].iloc[0] <= ceiling + 1e-12


def test_target_list(world):
    data, weak_links = world
    picks = target_list(data, weak_links, k=10, max_country_share=0.3, top_links=5)
    assert list(picks.columns) == TARGET_COLUMNS
    assert picks[C.RANK].tolist() == list(range(1, 11)) and picks[C.FIRM_ID].is_unique
    assert picks[C.COUNTRY].value_counts().max() <= 3
    assert set(picks[C.NODE_ID]) <= set(picks.attrs["link_weights"])
    assert len(picks.attrs["link_weights"]) == 5
    assert np.all(np.diff(picks["objective"].to_numpy()) >= 0)
    np.testing.assert_allclose(picks[C.VALUE], picks[C.LIKELIHOOD] * picks[C.IMPACT])
    assert all(r[0]["feature"] == "weak_link_fit" for r in picks[C.REASONS])
    banned = picks[C.FIRM_ID].iloc[0]
    again = target_list(data, weak_links, k=10, max_country_share=0.3, top_links=5,
                        exclude=[banned])
    assert banned not in set(again[C.FIRM_ID])


# --- the commands -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """Invoke ``chainscout`` on a store holding a small demo world (its own var folder)."""
    from click.testing import CliRunner

    from recommender.cli import cli

    var = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINSCOUT_VAR_DIR", str(var))
        patch.delenv("CHAINSCOUT_DATABASE_URL", raising=False)
        runner = CliRunner()

        def invoke(*args):
            return runner.invoke(cli, [str(a) for a in args])

        built = invoke("demo", "build", "--firms", 1000, "--seed", 3)
        assert built.exit_code == 0, built.output
        yield invoke, var


def test_train_evaluate_recommend_and_target_list_commands(cli_run):
    import json

    run, var = cli_run
    trained = run("train", "--json")
    assert trained.exit_code == 0, trained.output
    first = json.loads(trained.stdout)
    assert first["promotion"]["promoted"] and first["active"] == first["version"]
    assert (var / "models" / first["version"] / "model.txt").is_file()
    again = json.loads(run("train", "--json").stdout)  # same data, same seed: not better
    assert not again["promotion"]["promoted"] and again["active"] == first["version"]
    saved = json.loads(run("train", "--no-activate", "--json").stdout)
    assert saved["promotion"] is None and saved["active"] == first["version"]

    evaluated = run("evaluate", "--out", var / "report")
    assert evaluated.exit_code == 0, evaluated.output
    assert "| oracle |" in evaluated.stdout  # the demo build wrote var/demo/truth.parquet
    report = json.loads((var / "report" / "evaluation.json").read_text())
    assert report["metrics"]["lambdarank"]["ndcg@10"] > report["metrics"]["random"]["ndcg@10"]
    assert "## Calibration of p(MoU or better) on the held-out window" in evaluated.stdout
    assert set(report["calibration"]) == {"prior", "lambdarank"}
    assert all(0 <= found["ece"] <= 1 for found in report["calibration"].values())

    shown = run("recommend", "--weak-link", NODE, "--k", 3, "--lang", "en")
    assert shown.exit_code == 0, shown.output
    assert "fills weak link" in shown.stdout and f"[model {first['version']}; " in shown.stdout
    assert "likelihood: the share of similar past contacts that reached an MoU or better; " \
           "base rate " in shown.stdout
    rows = json.loads(run("recommend", "--weak-link", NODE, "--k", 5, "--prior",
                          "--json").stdout)["rows"]
    assert len(rows) == 5 and rows[0]["model_version"] == "prior"
    for by in ("value", "likelihood", "impact"):
        ranked = json.loads(run("recommend", "--weak-link", NODE, "--k", 50, "--prior",
                                "--by", by, "--json").stdout)["rows"]
        assert [r[by] for r in ranked] == sorted((r[by] for r in ranked), reverse=True)
        assert all(r["value"] == pytest.approx(r["likelihood"] * r["impact"]) for r in ranked)
    assert ranked != rows
    assert run("recommend", "--weak-link", NODE, "--by", "score").exit_code == 2
    landed = json.loads(run("recommend", "--weak-link", NODE, "--k", 5000, "--prior",
                            "--include-landed", "--json").stdout)["rows"]
    default = json.loads(run("recommend", "--weak-link", NODE, "--k", 5000, "--prior",
                             "--json").stdout)["rows"]
    assert {r["outcome_stage"] for r in landed} - {r["outcome_stage"] for r in default} == {
        "invested"}
    csv = var / "top.csv"
    assert run("recommend", "--weak-link", NODE, "--k", 4, "--csv", csv).exit_code == 0
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) == 4
    picked = json.loads(run("target-list", "--k", 6, "--json").stdout)
    assert len(picked["rows"]) == 6 and picked["attrs"]["country_cap"] == 2

    contacted = json.loads(run("recommend", "--weak-link", NODE, "--k", 500, "--stage",
                               "declined", "--stage", "responded", "--json").stdout)["rows"]
    assert contacted and {r["outcome_stage"] for r in contacted} <= {"declined", "responded"}
    named = run("recommend", "--weak-link", NODE, "--k", 500, "--stage", "declined")
    assert named.exit_code == 0 and "[拒绝或未回复]" in named.stdout
    assert run("recommend", "--weak-link", NODE, "--stage", "signed").exit_code == 2

    missing = run("recommend", "--weak-link", "perpetual_motion")
    assert missing.exit_code == 2 and "no such node" in missing.output


def test_the_commands_write_files_laid_out_for_people(cli_run):
    import openpyxl

    run, var = cli_run
    book = var / "top.xlsx"
    done = run("recommend", "--weak-link", NODE, "--k", 5, "--prior", "--out", book)
    assert done.exit_code == 0, done.output
    workbook = openpyxl.load_workbook(book)
    sheet, columns = workbook.worksheets
    head = [c.value for c in sheet[1]]
    assert head[:3] == ["排名", "企业名称", "英文名称"] and sheet.max_row == 6
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref
    assert sheet.cell(2, head.index("签约概率") + 1).number_format == "0.0%"
    assert columns.title == "列说明" and columns["A2"].value == "排名"
    listed = var / "list.csv"
    done = run("target-list", "--k", 4, "--prior", "--lang", "en", "--out", listed)
    assert done.exit_code == 0, done.output
    text = listed.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and b"Weak links covered" in text
    rows = pd.read_csv(listed, encoding="utf-8-sig")
    assert len(rows) == 4 and rows["Likelihood"].str.endswith("%").all()
