"""Scoring at scale: the ``score`` command, and the engine options of the commands that score.

``--engine pandas`` (the default) scores in this process; ``--engine dask`` maps the same
partition functions over Parquet partitions of the firms on a Dask cluster: the scheduler at
``--scheduler`` (``CHAINSCOUT_DASK_SCHEDULER``), else a LocalCluster of ``--workers``
processes started for the command. See :mod:`recommender.targeting.dask_engine`.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import click

from recommender.cli.common import chain_of, settings_of, store_of

__all__ = ["COMMANDS", "ENGINE_OPTIONS", "engine_options", "score", "table_engine"]

ENGINE_OPTIONS = [
    click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas",
                 show_default=True, help="Score in this process (pandas) or on a Dask cluster."),
    click.option("--scheduler", envvar="CHAINSCOUT_DASK_SCHEDULER", default=None,
                 metavar="ADDRESS", help="A dask.distributed scheduler, e.g. "
                 "tcp://10.0.0.5:8786 (with --engine dask); a LocalCluster when not given."),
    click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                 help="Worker processes of the LocalCluster (without --scheduler)."),
    click.option("--partitions", type=click.IntRange(min=1), default=8, show_default=True,
                 help="Parquet partitions of the firms (with --engine dask)."),
    click.option("--partitions-dir", type=click.Path(file_okay=False), default=None,
                 help="Where the partitions are written; every worker must read it at the "
                      "same path. Default: var/partitions."),
]


def engine_options(function):
    """Add :data:`ENGINE_OPTIONS` to a command."""
    for option in reversed(ENGINE_OPTIONS):
        function = option(function)
    return function


@contextlib.contextmanager
def table_engine(settings, engine: str, scheduler: str | None, workers: int, partitions: int,
                 partitions_dir: str | None):
    """Yield what builds score tables for ``engine``: None for pandas (the library's default),
    otherwise :func:`~recommender.targeting.partitioned_table.query_table` bound to its cluster
    (the scored partitions stay on the workers; the cluster closes on exit)."""
    if engine == "pandas":
        yield None
        return
    from recommender.targeting.dask_engine import open_cluster
    from recommender.targeting.partitioned_table import query_table

    folder = Path(partitions_dir or Path(settings.var_dir) / "partitions")
    with open_cluster(scheduler, workers=workers) as client:
        click.echo(f"scoring on {client.scheduler.address} ({partitions} partitions in "
                   f"{folder})", err=True)
        yield functools.partial(query_table, client=client, partitions=partitions, folder=folder)


@click.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The Parquet file to write.")
@click.option("--k", type=click.IntRange(min=1), default=50, show_default=True,
              help="Firms kept per weak link.")
@click.option("--by", type=click.Choice(["value", "likelihood", "impact"]), default="value",
              show_default=True, help="The order of each link's firms.")
@click.option("--weak-link", "node_ids", multiple=True,
              help="A weak link to score (repeatable); every recruitable one by default.")
@click.option("--prior", "use_prior", is_flag=True,
              help="Rank with the prior even if a trained model is active.")
@engine_options
@click.pass_context
def score(ctx: click.Context, out: str, k: int, by: str, node_ids: tuple[str, ...],
          use_prior: bool, engine: str, scheduler: str | None, workers: int, partitions: int,
          partitions_dir: str | None) -> None:
    """Write the best K firms of every weak link to Parquet (one row per link and rank)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from recommender import columns as C
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import CAN_RECRUIT
    from recommender.ranking.features import default_as_of
    from recommender.ranking.registry import ModelRegistry
    from recommender.store.models import DATA_VERSION
    from recommender.targeting.partitions import best_k, score_partition, scoring_context
    from recommender.targeting.prior_model import model_version, prior_model
    from recommender.targeting.score_table import check_link
    from recommender.targeting.scoring import ranking_inputs

    settings = settings_of(ctx)
    data, weak_links = ranking_inputs(store_of(ctx), chain_of(ctx),
                                      load_region(settings.region_dir), settings=settings)
    if node_ids:
        nodes = list(dict.fromkeys(node_ids))
        for node in nodes:
            check_link(node, data.chain, weak_links)
    else:
        nodes = list(dict.fromkeys(
            weak_links.loc[weak_links[CAN_RECRUIT].astype(bool), C.NODE_ID].astype(str)))
    registry = ModelRegistry(Path(settings.var_dir) / "models")
    active = not use_prior and registry.active_version() is not None
    model = registry.load_active() if active else prior_model(data, weak_links)
    context = scoring_context(data, weak_links, model, nodes, as_of=default_as_of(data))
    if engine == "pandas":
        rows = best_k(score_partition(data.firms, data.firm_nodes, context), k, by=by)
        rows.insert(0, C.RANK, rows.groupby(C.NODE_ID, sort=False).cumcount() + 1)
    else:
        from recommender.targeting.dask_engine import best_per_link, open_cluster, partitions_for

        folder = partitions_for(data, partitions_dir or Path(settings.var_dir) / "partitions",
                                partitions=partitions)
        with open_cluster(scheduler, workers=workers) as client:
            rows = best_per_link(folder, context, k, by=by, client=client)
    link = {node: i for i, node in enumerate(nodes)}
    rows = rows.iloc[rows[C.NODE_ID].map(link).argsort(kind="stable")].reset_index(drop=True)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    meta = {C.MODEL_VERSION: model_version(model), DATA_VERSION: str(data.data_version),
            "as_of": str(context.as_of.date()), "k": str(k), "by": by}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           **{a.encode(): b.encode() for a, b in meta.items()}})
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    click.echo(f"wrote {out}: {len(rows)} rows, {len(nodes)} weak links, best {k} by {by} "
               f"(model {meta[C.MODEL_VERSION]}, data version {data.data_version})")


COMMANDS = [score]
