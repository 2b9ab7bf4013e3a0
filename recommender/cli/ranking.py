"""Commands for ranking: train and evaluate the ranker, recommend firms, build the target list."""

from __future__ import annotations

import math
from pathlib import Path

import click

from recommender import columns as C
from recommender.cli.common import Progress, chain_of, echo_json, settings_of, store_of
from recommender.cli.scale import engine_options, table_engine
from recommender.columns import SIZE_CLASSES
from recommender.outcome_stages import NOT_CONTACTED, RECRUITMENT_STAGES
from recommender.ranking.training import TEST_SHARE
from recommender.targeting.impact import SORT_KEYS
from recommender.targeting.stages import stage_label

__all__ = ["COMMANDS", "evaluate", "recommend", "target_list", "train"]


def _inputs(ctx: click.Context, progress: Progress | None = None):
    """Return (settings, data, weak links) read from the store, as the service reads them."""
    from recommender.demo.world import load_region
    from recommender.targeting.scoring import ranking_inputs

    settings = settings_of(ctx)
    data, weak_links = ranking_inputs(store_of(ctx), chain_of(ctx),
                                      load_region(settings.region_dir), settings=settings,
                                      progress=progress)
    return settings, data, weak_links


def _registry(settings):
    from recommender.ranking.registry import ModelRegistry

    return ModelRegistry(Path(settings.var_dir) / "models")


def _with_demo_truth(data, settings):
    """Attach the demo world's truth (and its outcome model) when ``var/demo`` holds it and it
    matches the store."""
    import dataclasses

    from recommender import columns as C
    from recommender.demo.generator import read_world
    from recommender.exceptions import DataError
    from recommender.ranking.dataset import outcome_model_of

    folder = Path(settings.var_dir) / "demo"
    if not (folder / "truth.parquet").is_file():
        return data, None
    try:
        world = read_world(folder)
    except DataError as exc:
        return data, f"no truth: {exc}"
    truth = world.truth
    known = set(data.campaigns[C.CAMPAIGN_ID].astype(str))
    if not known or not set(truth[C.CAMPAIGN_ID].astype(str).unique()) & known:
        return data, f"no truth: {folder} does not describe the store's campaigns"
    return (dataclasses.replace(data, truth=truth, outcome_model=outcome_model_of(world.params)),
            f"truth from {folder}")


def _model(ctx: click.Context, settings, use_prior: bool):
    """The active model of the registry, or None (the prior) when asked or when none exists."""
    if use_prior:
        return None
    registry = _registry(settings)
    if registry.active_version() is None:
        click.echo("no active model: ranking with the prior", err=True)
        return None
    return registry.load_active()


# value, likelihood, impact, and what the likelihood means, as the rows are printed
_FIGURES = {
    "zh": ("期望价值", "签约概率", "补链作用",
           "签约概率：过去同类接触中达成签约或更进一步的比例；基准 {rate}"),
    "en": ("value", "likelihood", "impact",
           "likelihood: the share of similar past contacts that reached an MoU or better; "
           "base rate {rate}"),
}


def _output(frame, as_json: bool, csv_path: str | None, lang: str) -> None:
    from recommender import columns as C
    from recommender.targeting.portfolio import COVERS

    if csv_path:
        out = frame.drop(columns=[c for c in (C.REASONS, COVERS) if c in frame.columns])
        out.to_csv(csv_path, index=False, encoding="utf-8-sig")
        click.echo(f"wrote {len(out)} rows to {csv_path}", err=True)
    if as_json:
        import json

        # pandas writes missing values as null and NumPy numbers as plain ones: strict JSON
        rows = json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        echo_json({"attrs": dict(frame.attrs), "rows": rows})
        return
    if csv_path:
        return
    if frame.empty:
        click.echo("no firm matches")
        return
    reason = C.REASON_ZH if lang == "zh" else C.REASON_EN
    words = _FIGURES[lang]
    for record in frame.to_dict("records"):
        zh = record.get(C.NAME_ZH)
        name = zh if lang == "zh" and isinstance(zh, str) and zh.strip() else record[C.NAME]
        stage = record.get(C.RECRUITMENT_STAGE)
        known = f"  [{stage_label(stage, lang)}]" if stage and stage != NOT_CONTACTED else ""
        click.echo(f"{record[C.RANK]:>3}. {name} ({record[C.COUNTRY]}, {record[C.CITY]})  "
                   f"{words[0]} {record[C.VALUE]:.3f} = {words[1]} {record[C.LIKELIHOOD]:.0%}"
                   f" x {words[2]} {record[C.IMPACT]:.2f}{known}")
        click.echo(f"     {record[reason]}")
    rate = frame[C.BASE_RATE].iloc[0] if C.BASE_RATE in frame.columns else None
    click.echo(f"[model {frame[C.MODEL_VERSION].iloc[0]}; " + words[3].format(
        rate="–" if rate is None or rate != rate else f"{rate:.0%}") + "]")


def _write_file(ctx: click.Context, frame, data, path: str, lang: str, title: str,
                note: str | None = None) -> None:
    """Write ranked rows as the service's file: completed for officers (the best of the
    store's parks), laid out by :func:`recommender.targeting.exports.write_table`."""
    from recommender import columns as C
    from recommender.parks.matching import admitted_pairs
    from recommender.targeting.export_columns import (
        RECOMMENDATION_EXPORT_COLUMNS,
        TARGET_EXPORT_COLUMNS,
    )
    from recommender.targeting.export_rows import best_parks, link_names, officer_rows
    from recommender.targeting.exports import About, write_table
    from recommender.targeting.portfolio import COVERS

    parks = store_of(ctx).parks()
    pairs = admitted_pairs(frame[C.FIRM_ID], parks, data.firms, data.firm_nodes, data.chain) \
        if len(frame) and len(parks) else None
    rows = officer_rows(frame, lang=lang, firms=data.firms, outcomes=data.outcomes,
                        parks=best_parks(pairs, parks), links=link_names(data.chain))
    first = frame.iloc[0] if len(frame) else {}
    about = About(title=title, data_version=data.data_version,
                  model_version=frame.attrs.get(C.MODEL_VERSION) or first.get(C.MODEL_VERSION),
                  base_rate=first.get(C.BASE_RATE), notes=(note,) if note else ())
    columns = TARGET_EXPORT_COLUMNS if COVERS in frame.columns else RECOMMENDATION_EXPORT_COLUMNS
    write_table(rows, path, columns, lang=lang, about=about)
    click.echo(f"wrote {len(rows)} rows to {path}", err=True)


# --- train ----------------------------------------------------------------------------------
@click.command()
@click.option("--activate/--no-activate", default=True, show_default=True,
              help="Promote the new model if it beats the active one on its held-out window "
                   "/ only save it.")
@click.option("--test-share", type=click.FloatRange(0.05, 0.6), default=TEST_SHARE,
              show_default=True, help="Later share of campaigns held out to measure the model.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def train(ctx: click.Context, activate: bool, test_share: float, seed: int,
          as_json: bool) -> None:
    """Train the ranker on the store's outcomes, save it, and promote it only if better.

    The latest campaigns are held out; the model trains on the earlier ones with early stopping
    on the last part of them, is measured on the held-out window (NDCG@10, MAP@10, Recall@50)
    next to the prior, and is saved to the registry with those metrics.
    """
    from recommender.ranking.evaluation_report import json_ready
    from recommender.ranking.training import train_model

    progress = Progress()
    settings, data, weak_links = _inputs(ctx, progress)
    registry = _registry(settings)
    payload = train_model(data, weak_links, registry, test_share=test_share, seed=seed,
                          activate=activate, progress=progress)
    progress.close()
    metrics, prior = payload["metrics"]["lambdarank"], payload["metrics"]["prior"]
    decision = payload["promotion"]
    if as_json:
        echo_json(json_ready(payload))
        return
    test = payload["test"]
    click.echo(f"saved model {payload['version']} ({payload['best_iteration']} trees) "
               f"under {registry.root}")
    click.echo(f"held out {test['start']} … {test['end']} ({test['groups']} groups):")
    for name in ("ndcg@10", "map@10", "recall@50"):
        click.echo(f"  {name:<10} model {metrics[name]:.3f}   prior {prior[name]:.3f}")
    click.echo(decision["reason"] if decision else "not activated (--no-activate)")


# --- evaluate -------------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for evaluation.json and evaluation.md (default var/evaluation).")
@click.option("--test-share", type=click.FloatRange(0.05, 0.6), default=TEST_SHARE,
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--backtest", "folds", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also run a rolling-origin backtest over the latest half of the campaigns "
                   "in this many windows (0: none).")
@click.pass_context
def evaluate(ctx: click.Context, as_json: bool, out_dir: str | None, test_share: float,
             seed: int, folds: int) -> None:
    """Compare random, size, prior, logistic, LambdaRank (and the oracle on the demo world).

    Every method learns on the earlier campaigns and is measured on the later ones; the
    synthetic truth of ``var/demo`` (when present) adds the oracle, the ceiling, and a second
    table that ranks every candidate of the later campaigns, contacted or not, graded by
    outcomes drawn from the true utilities, with the rank correlation of each method's score
    with the true utility over the whole pool, the one-hop share of its top 10 and the share of
    the prior-to-oracle headroom it captures. LambdaRank from scratch (``lambdarank_plain``)
    shows what boosting from the prior adds; ``lambdarank_contacted``, ``lambdarank_ipw``,
    ``lambdarank_pool`` and ``lambdarank_pool_ipw`` compare the corrections of the officers'
    selection.
    """
    from recommender import columns as C
    from recommender.ranking.evaluation import backtest
    from recommender.ranking.evaluation import evaluate as run
    from recommender.ranking.evaluation_report import json_ready, report_markdown, write_report
    from recommender.ranking.features import training_frame, truth_frame
    from recommender.ranking.methods import METHODS, SELECTION_METHODS
    from recommender.ranking.selection import with_pool_rows
    from recommender.ranking.splits import BACKTEST_SHARE, group_dates, time_split

    progress = Progress()
    settings, data, weak_links = _inputs(ctx, progress)
    data, note = _with_demo_truth(data, settings)
    progress("building the training frame", 0, 0)
    frame = with_pool_rows(training_frame(data, weak_links), data, weak_links, seed=seed)
    earlier, later = time_split(frame, test_share=test_share)
    candidates = None
    if data.truth is not None and data.outcome_model is not None:
        progress("building every candidate of the later campaigns", 0, 0)
        candidates = truth_frame(data, weak_links, later[C.CAMPAIGN_ID].unique())
    progress("fitting and measuring every method", 0, 0)
    methods = [m for m in METHODS if m != "oracle"] + ["lambdarank_plain", *SELECTION_METHODS,
                                                        "oracle"]
    results = run(earlier, later, seed=seed, methods=methods, candidates=candidates,
                  outcome_model=data.outcome_model)
    if folds:
        progress(f"rolling-origin backtest in {folds} windows", 0, 0)
        if candidates is not None:
            dates = group_dates(frame)
            held = dates.index[len(dates) - math.ceil(BACKTEST_SHARE * len(dates)):]
            campaigns = frame.loc[frame[C.GROUP_ID].isin(set(held)), C.CAMPAIGN_ID].unique()
            candidates = truth_frame(data, weak_links, campaigns)
        results["backtest"] = backtest(frame, folds=folds, seed=seed, methods=methods,
                                       candidates=candidates, outcome_model=data.outcome_model)
    progress.close()
    if note:
        results["truth"] = note
    paths = write_report(results, Path(out_dir) if out_dir else Path(settings.var_dir)
                         / "evaluation")
    if as_json:
        echo_json(json_ready(results))
        return
    click.echo(report_markdown(results))
    click.echo(f"wrote {paths['json']} and {paths['markdown']}", err=True)


# --- recommend and target list --------------------------------------------------------------
_OUTPUT = [
    click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON."),
    click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
                 help="Write the raw rows to a CSV file (UTF-8 with BOM), for programs."),
    click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
                 help="Write the list for people as .xlsx or .csv, as the service exports it: "
                      "headers, names and reasons in --lang, percentages, the firm's details, "
                      "last contact and best park; XLSX with widths, a frozen header, a "
                      "filter and a sheet describing each column."),
    click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                 help="Language of names and reasons on screen."),
    click.option("--prior", "use_prior", is_flag=True,
                 help="Rank with the prior even if a trained model is active."),
]


def _output_options(function):
    for option in reversed(_OUTPUT):
        function = option(function)
    return function


@click.command()
@click.option("--weak-link", "node_id", required=True, help="Node id of the weak link.")
@click.option("--k", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--country", multiple=True, help="Keep firms of this country (ISO alpha-2); "
                                               "repeat for several.")
@click.option("--size", multiple=True,
              type=click.Choice(SIZE_CLASSES),
              help="Keep firms of this size class; repeat for several.")
@click.option("--stage", multiple=True, type=click.Choice(RECRUITMENT_STAGES),
              help="Keep firms at this recruitment stage for the weak link (none: never "
                   "contacted; else the best outcome recorded); repeat for several.")
@click.option("--exclude-contacted", is_flag=True,
              help="Leave out firms already contacted for this weak link (--stage none).")
@click.option("--include-landed", is_flag=True,
              help="Keep the firms that already invested for this weak link (left out by "
                   "default).")
@click.option("--by", type=click.Choice(SORT_KEYS), default=SORT_KEYS[0], show_default=True,
              help="Order: value (likelihood x impact), likelihood (of an MoU or better) or "
                   "impact (how much of the weak link the firm could fill).")
@_output_options
@engine_options
@click.pass_context
def recommend(ctx: click.Context, node_id: str, k: int, country: tuple[str, ...],
              size: tuple[str, ...], stage: tuple[str, ...], exclude_contacted: bool,
              include_landed: bool, by: str, as_json: bool, csv_path: str | None,
              out_path: str | None, lang: str, use_prior: bool, **engine) -> None:
    """Rank the firms to recruit for one weak link, with reasons.

    Each firm shows its expected value, the likelihood of an MoU or better times its impact
    (how much of the weak link it could fill); firms that already invested for the link are
    left out unless --include-landed or --stage invested.
    """
    from recommender.targeting.recommend import recommend as run

    settings, data, weak_links = _inputs(ctx)
    with table_engine(settings, **engine) as build:
        frame = run(data, weak_links, node_id, model=_model(ctx, settings, use_prior), k=k,
                    by=by, country=list(country) or None, size=list(size) or None,
                    stage=list(stage) or None, exclude_contacted=exclude_contacted,
                    include_landed=include_landed, engine=build)
    _output(frame, as_json, csv_path, lang)
    if out_path:
        name = data.chain.node(node_id)[C.NAME_ZH if lang == "zh" else C.NAME_EN]
        _write_file(ctx, frame, data, out_path, lang,
                    f"推荐名单：{name}" if lang == "zh" else f"Recommendations: {name}")


@click.command("target-list")
@click.option("--k", type=click.IntRange(min=1), default=30, show_default=True,
              help="Firms the officers can visit.")
@click.option("--max-country-share", type=click.FloatRange(0.0, 1.0, min_open=True),
              default=0.4, show_default=True, help="Largest share of the list from one country.")
@click.option("--top-links", type=click.IntRange(min=1), default=10, show_default=True,
              help="Weak links to cover (the weakest first).")
@click.option("--exclude", multiple=True, help="Firm id never to pick (screened); repeatable.")
@_output_options
@engine_options
@click.pass_context
def target_list(ctx: click.Context, k: int, max_country_share: float, top_links: int,
                exclude: tuple[str, ...], as_json: bool, csv_path: str | None,
                out_path: str | None, lang: str, use_prior: bool, **engine) -> None:
    """Pick the firms that best cover the weakest links together (招商目标清单)."""
    from recommender.targeting.recommend import target_list as run

    settings, data, weak_links = _inputs(ctx)
    with table_engine(settings, **engine) as build:
        frame = run(data, weak_links, model=_model(ctx, settings, use_prior), k=k,
                    max_country_share=max_country_share, top_links=top_links, exclude=exclude,
                    engine=build)
    _output(frame, as_json, csv_path, lang)
    if out_path:
        from recommender.targeting.export_rows import shortfall_note

        attrs = frame.attrs
        note = shortfall_note(attrs.get("note") or "", k=k, picked=len(frame),
                              saturated=bool(attrs.get("saturated")),
                              min_gain=float(attrs.get("min_gain") or 0.0),
                              total_weight=float(attrs.get("total_weight") or 0.0), lang=lang)
        _write_file(ctx, frame, data, out_path, lang,
                    "招商目标清单" if lang == "zh" else "Target list", note)
    if not as_json and frame.attrs.get("note"):
        click.echo(frame.attrs["note"], err=True)


COMMANDS = [train, evaluate, recommend, target_list]
