"""The ``map`` command: the global recruitment map of one weak link, as GeoJSON, PNG or Parquet."""

from __future__ import annotations

from pathlib import Path

import click

from recommender.cli.common import chain_of, settings_of, store_of
from recommender.cli.scale import engine_options, table_engine

__all__ = ["COMMANDS", "active_model", "map_command"]


def active_model(settings, use_prior: bool):
    """The registry's active ranker, or None (the prior) when asked or when there is none."""
    from recommender.ranking.registry import ModelRegistry

    if use_prior:
        return None
    registry = ModelRegistry(Path(settings.var_dir) / "models")
    if registry.active_version() is None:
        click.echo("no active model: ranking with the prior", err=True)
        return None
    return registry.load_active()


@click.command("map")
@click.option("--weak-link", "node_id", required=True, help="The weak link's node id.")
@click.option("--k", type=click.IntRange(min=1), default=50, show_default=True,
              help="How many recommended firms to map.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Output file: .geojson, .png or .parquet.")
@click.option("--parks/--no-parks", "with_parks", default=True, show_default=True,
              help="Assign the firms to the region's parks and draw the flows.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Labels of a PNG (English when no CJK font is installed).")
@click.option("--title", default=None, help="Title of a PNG.")
@click.option("--prior", "use_prior", is_flag=True,
              help="Rank with the prior even if a trained model is active.")
@engine_options
@click.pass_context
def map_command(ctx: click.Context, node_id: str, k: int, out: str, with_parks: bool,
                lang: str, title: str | None, use_prior: bool, **engine) -> None:
    """Write the global recruitment map (全球招商地图) of one weak link.

    The firms are those ``chainscout recommend`` ranks for the weak link; with parks, each is
    matched to the region's parks (the recommendation score blended into the park prior) and
    the firms are assigned to parks within their capacities, drawn as flows.
    """
    from recommender import columns as C
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.maps import MAP_FORMATS, recruitment_map, write_map
    from recommender.parks.assignment import assign_firms_to_parks
    from recommender.parks.matching import matches_for_parks
    from recommender.parks.scoring import EXCLUDED
    from recommender.ranking.dataset import load_chain_data
    from recommender.targeting.recommend import recommend

    if Path(out).suffix.lower() not in MAP_FORMATS:
        raise click.BadParameter(f"use one of {', '.join(MAP_FORMATS)}", param_hint="--out")
    settings = settings_of(ctx)
    chain = chain_of(ctx)
    store = store_of(ctx)
    region = load_region(settings.region_dir)
    data = load_chain_data(store, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes,
                                     settings=settings)
    with table_engine(settings, **engine) as build:
        recs = recommend(data, weak_links, node_id, model=active_model(settings, use_prior),
                         k=k, engine=build)
    parks = assignment = None
    if with_parks and len(recs):
        parks = store.parks()
        ids = set(recs[C.FIRM_ID].astype("str"))
        firms = data.firms[data.firms[C.FIRM_ID].astype("str").isin(ids)]
        table = matches_for_parks(parks, firms, data.firm_nodes, chain, k=len(recs),
                                  scores=recs[[C.FIRM_ID, C.SCORE]])
        assignment = assign_firms_to_parks(table[~table[EXCLUDED]],
                                           parks[[C.PARK_ID, C.MAX_NEW_FIRMS]])
    layers = recruitment_map(recs, parks=parks, matches=assignment, node_names=chain)
    path = write_map(layers, out, title=title, lang=lang)
    counts = ", ".join(f"{name} {len(layer)}" for name, layer in layers.items())
    click.echo(f"wrote {path}: {counts}; firms without coordinates: "
               f"{layers['firms'].attrs['dropped']}")


COMMANDS = [map_command]
