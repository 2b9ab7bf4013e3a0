"""Commands for the chain, the store, the demo world, ingest and export."""

from __future__ import annotations

from pathlib import Path

import click

from recommender.cli.common import Progress, chain_of, echo_json, settings_of, store_of

__all__ = [
    "COMMANDS",
    "chain",
    "chain_show",
    "chain_validate",
    "classifier",
    "classifier_review",
    "classifier_train",
    "demo",
    "demo_build",
    "export",
    "export_firms_cmd",
    "ingest",
    "ingest_firms_cmd",
    "ingest_outcomes_cmd",
    "summary",
]


# --- chain --------------------------------------------------------------------------------
@click.group()
def chain() -> None:
    """Show or check a chain definition."""


@chain.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print nodes and edges as JSON.")
@click.pass_context
def chain_show(ctx: click.Context, as_json: bool) -> None:
    """Print the chain: nodes per stage and segment, and its edges."""
    from recommender.cli.summary import chain_summary

    ch = chain_of(ctx)
    if as_json:
        echo_json(ch.to_dict())
        return
    click.echo(chain_summary(ch))


@chain.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def chain_validate(path: str) -> None:
    """Check a chain YAML file; name the first bad entry."""
    from recommender.chain import load_chain

    ch = load_chain(path)
    click.echo(f"ok: {ch.id}: {len(ch.node_ids)} nodes, {len(ch.edges)} edges")


# --- store (``chainscout db`` is in recommender.cli.db) ------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def summary(ctx: click.Context, as_json: bool) -> None:
    """Print what the store holds: firms (real and synthetic), links, outcomes, parks."""
    from recommender.cli.summary import store_summary_text

    store = store_of(ctx)
    if as_json:
        echo_json(store.summary())
    else:
        click.echo(store_summary_text(store.summary()))


# --- demo ---------------------------------------------------------------------------------
@click.group()
def demo() -> None:
    """The embedded demo world: Guangdong precision instruments."""


@demo.command("build")
@click.option("--firms", "n_firms", type=click.IntRange(min=1), default=None,
              help="Synthetic firms to generate (default 20,000).")
@click.option("--seed", type=int, default=None, help="Random seed (default 7).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the Parquet files (default var/demo).")
@click.option("--store/--no-store", "to_store", default=True,
              help="Also load the world into the database (default: yes).")
@click.option("--basemap/--no-basemap", default=True,
              help="Also prepare the map's basemap if this boundary data has none yet "
                   "(a minute or two, once; default: yes).")
@click.pass_context
def demo_build(ctx: click.Context, n_firms, seed, out, to_store: bool, basemap: bool) -> None:
    """Generate the demo world deterministically, load it into the store, and prepare the
    map's basemap."""
    from recommender.cli.serve import prepare_basemap
    from recommender.demo.install import build_demo

    settings = settings_of(ctx)
    out_dir = Path(out) if out else Path(settings.var_dir) / "demo"
    progress = Progress()
    result = build_demo(
        n_firms=settings.demo_firms if n_firms is None else n_firms,
        seed=settings.demo_seed if seed is None else seed,
        out_dir=out_dir, store=store_of(ctx) if to_store else None,
        chain=chain_of(ctx), progress=progress,
    )
    progress.close()
    click.echo(f"demo world written to {out_dir}")
    for name, count in result.items():
        click.echo(f"  {name:<12} {count:>10,}")
    if basemap:
        prepare_basemap()


# --- ingest and export --------------------------------------------------------------------
@click.group()
def ingest() -> None:
    """Import firm lists and outcome histories (all rows or none)."""


@ingest.command("firms")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, help="Country of every row when the file has none.")
@click.option("--format", "source_format", type=click.Choice(["table", "listing"]),
              default="table", show_default=True,
              help="table: a firm-database export; listing: public stock listings "
                   "(symbol, summary, market-cap class, ISIN).")
@click.option("--classifier", "classifier_path", default=None,
              type=click.Path(exists=True, dir_okay=False),
              help="A node classifier saved by `chainscout classifier train`; default: keywords.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def ingest_firms_cmd(ctx: click.Context, path: str, country, source_format: str,
                     classifier_path: str | None, dry_run: bool) -> None:
    """Import firms from CSV, XLSX or Parquet (Chinese or English headers)."""
    from recommender.firms.ingest import ingest_firms

    chain = chain_of(ctx)
    classifier = None
    if classifier_path:
        from recommender.firms.node_classifier import NodeClassifier

        classifier = NodeClassifier.load(classifier_path, chain=chain)
    progress = Progress()
    result = ingest_firms(path, store_of(ctx), chain, default_country=country,
                          progress=progress, dry_run=dry_run, format=source_format,
                          classifier=classifier)
    progress.close()
    echo_json(result.as_dict())


@ingest.command("outcomes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def ingest_outcomes_cmd(ctx: click.Context, path: str, dry_run: bool) -> None:
    """Import an outcome history: firm_id, node_id, campaign_id, date, stage (0-4)."""
    from recommender.firms.ingest import ingest_outcomes

    echo_json(ingest_outcomes(path, store_of(ctx), chain_of(ctx), dry_run=dry_run).as_dict())


@click.group()
def classifier() -> None:
    """The learned node classifier (business text to chain nodes)."""


@classifier.command("train")
@click.argument("listing", type=click.Path(exists=True, dir_okay=False))
@click.option("--labels", "labels_path", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Hand labels (symbol, node_ids, none_of_chain); default: data/labels.")
@click.option("--scopes/--no-scopes", default=True, show_default=True,
              help="Also learn from the labelled Chinese business scopes in data/labels.")
@click.option("--corrections/--no-corrections", default=True, show_default=True,
              help="Also learn from the firms whose nodes people corrected (in the store).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Where to save the classifier (.npz).")
@click.pass_context
def classifier_train(ctx: click.Context, listing: str, labels_path: str | None, scopes: bool,
                     corrections: bool, out: str) -> None:
    """Fit the classifier on the labelled firms of a listing file and save it (no pickle).

    Besides the listing's labelled firms it learns from the Chinese business scopes of
    data/labels and from every firm whose nodes a person corrected (its nodes now).
    """
    import pandas as pd

    from recommender import columns as C
    from recommender.exceptions import DataError
    from recommender.firms.listings import SECTOR, read_listing
    from recommender.firms.node_classifier import NodeClassifier
    from recommender.firms.node_labels import read_node_labels, read_scope_labels

    chain = chain_of(ctx)
    labels = read_node_labels(labels_path, chain=chain)
    firms = read_listing(listing)
    columns = [C.BUSINESS_SCOPE, C.INDUSTRY_CODE, SECTOR]
    data = labels.merge(firms[[C.SYMBOL, *columns]], on=C.SYMBOL, how="inner",
                        validate="one_to_one")
    if data.empty:
        raise DataError(f"no labelled symbol of {labels_path or 'data/labels'} is in {listing}")
    parts = {"listed firms": data[[*columns, "node_ids"]]}
    if scopes:
        parts["Chinese scopes"] = read_scope_labels(chain=chain)[[C.BUSINESS_SCOPE, "node_ids"]]
    if corrections:
        from recommender.store.corrections import correction_labels

        parts["corrected firms"] = correction_labels(store_of(ctx))[[C.BUSINESS_SCOPE,
                                                                     "node_ids"]]
    training = pd.concat(parts.values(), ignore_index=True)
    # The listing's other firms teach the model's word statistics and topics (no labels).
    unlabelled = firms.loc[~firms[C.SYMBOL].isin(set(labels[C.SYMBOL])), C.BUSINESS_SCOPE]
    model = NodeClassifier(chain=chain).fit(
        training[columns].assign(**{C.BUSINESS_SCOPE: training[C.BUSINESS_SCOPE].fillna("")}),
        training["node_ids"].tolist(), unlabelled=unlabelled.dropna())
    path = model.save(out)
    counts = ", ".join(f"{len(part)} {name}" for name, part in parts.items())
    click.echo(f"trained on {counts} and {unlabelled.notna().sum()} unlabelled firms; "
               f"saved {path}")


@classifier.command("review")
@click.option("--model", "model_path", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A classifier saved by `classifier train`; default: the keywords.")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def classifier_review(ctx: click.Context, model_path: str | None, limit: int,
                      as_json: bool) -> None:
    """List the stored firms whose nodes are the closest calls (smallest margin first),
    leaving out firms already corrected: the firms to correct first."""
    from recommender.firms.node_review import review_queue

    chain = chain_of(ctx)
    model = None
    if model_path:
        from recommender.firms.node_classifier import NodeClassifier

        model = NodeClassifier.load(model_path, chain=chain)
    store = store_of(ctx)
    queue = review_queue(store.firms(), chain, corrected=store.corrected_firm_ids(),
                         classifier=model, limit=limit)
    if as_json:
        echo_json(queue.astype(object).where(queue.notna(), None).to_dict("records"))
        return
    click.echo(queue.to_string(index=False))


@click.group()
def export() -> None:
    """Export tables for analysis elsewhere."""


@export.command("firms")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Target file, .parquet or .csv.")
@click.pass_context
def export_firms_cmd(ctx: click.Context, out: str) -> None:
    """Write firm profiles with ids, chain nodes and attributes."""
    from recommender.firms.ingest import export_firms

    path = export_firms(store_of(ctx), out)
    click.echo(f"wrote {path}")


COMMANDS = [chain, summary, demo, ingest, classifier, export]
