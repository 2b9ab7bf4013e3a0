"""``chainscout serve``: the embedded default, ready to use, behind gunicorn.

On a store without firms it builds the demo world; with no active model it trains one; it
makes the demo's API keys once and prints them with the URL; then it replaces itself with
gunicorn serving ``service.wsgi:app``. ``--no-build`` serves the store as it is.

Unless ``CHAINSCOUT_SECRET_KEY`` is set, the secret that signs the pages' login sessions is
made once in ``var/session_secret`` (mode 0600; :mod:`recommender.store.session_secret`)
before gunicorn starts: every worker, and every later run, signs with it, so a login holds
across workers and restarts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from recommender.cli.common import Progress, chain_of, settings_of, store_of

__all__ = ["COMMANDS", "GUNICORN_CONFIG", "prepare_basemap", "serve"]

GUNICORN_CONFIG = "python:service.gunicorn_conf"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="gunicorn worker processes.")
@click.option("--build/--no-build", default=True, show_default=True,
              help="Build the demo world into an empty store, train a model if none is active "
                   "and make the demo keys / serve the store as it is.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, build: bool) -> None:
    """Serve the API with gunicorn; first build, train and make keys for the demo."""
    settings = settings_of(ctx)
    url = f"http://{host}:{port}/api/v1"
    if not os.environ.get("CHAINSCOUT_SECRET_KEY"):
        from recommender.store.session_secret import SECRET_FILE, session_secret

        session_secret(settings.var_dir)
        click.echo(f"login sessions signed with {Path(settings.var_dir) / SECRET_FILE}", err=True)
    if build:
        store = store_of(ctx)
        _build_world(ctx, settings, store)
        _train_if_needed(ctx, settings, store)
        prepare_basemap()
        _print_keys(store, url)
        store.close()
    click.echo(f"serving {url} (docs: {url}/docs) with {workers} gunicorn workers; "
               f"Ctrl-C stops", err=True)
    env = dict(os.environ)
    for name, value in (ctx.obj or {}).items():  # --database-url, --chain
        env[f"CHAINSCOUT_{name.upper()}"] = str(value)
    args = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers",
            str(workers), "--access-logfile", "-", "-c", GUNICORN_CONFIG, "service.wsgi:app"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, args, env)


def prepare_basemap() -> None:
    """Build the map's basemap now if this boundary data version has none yet (a minute or
    two, once), so that no worker builds it on a request."""
    from recommender.maps.basemap import basemap_layers, boundary_version

    click.echo(f"preparing the map's basemap (boundary data {boundary_version()}; "
               "built once, then read from var/basemap)", err=True)
    basemap_layers()


def _build_world(ctx: click.Context, settings, store) -> None:
    if store.summary()["tables"].get("firms", 0):
        return
    from recommender.demo.install import build_demo

    click.echo(f"the store is empty: building the demo world ({settings.demo_firms:,} firms)",
               err=True)
    progress = Progress()
    build_demo(n_firms=settings.demo_firms, seed=settings.demo_seed,
               out_dir=Path(settings.var_dir) / "demo", chain=chain_of(ctx), store=store,
               progress=progress)
    progress.close()


def _train_if_needed(ctx: click.Context, settings, store) -> None:
    from recommender.ranking.registry import ModelRegistry

    registry = ModelRegistry(Path(settings.var_dir) / "models")
    if registry.active_version() is not None:
        return
    try:
        from recommender.ranking.training import train_model
    except ImportError:
        click.echo("no training pipeline in this installation: the prior ranks", err=True)
        return
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data

    click.echo("no active model: training one on the store's outcomes", err=True)
    chain, region = chain_of(ctx), load_region(settings.region_dir)
    data = load_chain_data(store, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, data.region, data.firms, data.firm_nodes,
                                     settings=settings)
    progress = Progress()
    result = train_model(data, weak_links, registry, progress=progress)
    progress.close()
    promotion = result.get("promotion") or {}
    click.echo(f"model {result.get('version')}: {promotion.get('reason', '')}", err=True)


def _print_keys(store, url: str) -> None:
    from recommender.store.auth import DEMO_PEOPLE, ensure_demo_keys

    created = ensure_demo_keys(store)
    click.echo(f"ChainScout API: {url}   docs: {url}/docs")
    if created:
        click.echo("demo API keys (shown once; the store keeps only their hashes):")
        for role, key in created.items():
            person = " ".join(DEMO_PEOPLE.get(role, ()))  # invented people, marked so
            click.echo(f"  {role:<8} {key}" + (f"  {person} (demo)" if person else ""))
        click.echo(f'try: curl -H "Authorization: Bearer {next(iter(created.values()))}" '
                   f"'{url}/weak-links?top=5'")
    else:
        click.echo("the demo keys were printed when they were made, on the first run; make "
                   "another with `chainscout keys create --role officer`")


COMMANDS = [serve]
