"""The ``chainscout`` command line: every step of the library, one command each.

Commands load what they need when they run, never at import, so ``chainscout --help`` is quick.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from recommender.exceptions import RecommenderError, ValidationError


def _settings(ctx: click.Context):
    from recommender.config import load_settings

    return load_settings(ctx.obj or {})


def _store(ctx: click.Context):
    from recommender.store import open_store

    return open_store(_settings(ctx).database_url)


def _chain(ctx: click.Context):
    from recommender.chain import load_chain

    return load_chain(_settings(ctx).chain_path)


class _Progress:
    """A tqdm bar per step, on stderr, so long imports show where they are."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.step = None
        self.started = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            if self.enabled:
                from tqdm import tqdm

                self.bar = tqdm(total=total or None, desc=step, unit="row", leave=False)
            else:
                click.echo(f"[{time.perf_counter() - self.started:6.1f}s] {step} …", err=True)
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _echo_json(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


class _Group(click.Group):
    """Turns every ``RecommenderError`` into a one-screen message and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            click.echo(exc.report(limit=30), err=True)
            ctx.exit(2)
        except RecommenderError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.option("--database-url", envvar="CHAINSCOUT_DATABASE_URL", default=None,
              help="SQLAlchemy URL; default: SQLite file var/chainscout.db.")
@click.option("--chain", "chain_path", default=None, type=click.Path(dir_okay=False),
              help="Chain YAML; default: the embedded precision-instruments chain.")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, chain_path: str | None) -> None:
    """ChainScout: find the weak links of a regional industrial chain and the firms to fill them."""
    overrides = {}
    if database_url:
        overrides["database_url"] = database_url
    if chain_path:
        overrides["chain_path"] = chain_path
    ctx.obj = overrides


# --- chain --------------------------------------------------------------------------------
@cli.group()
def chain() -> None:
    """Show or check a chain definition."""


@chain.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print nodes and edges as JSON.")
@click.pass_context
def chain_show(ctx: click.Context, as_json: bool) -> None:
    """Print the chain: nodes per stage and segment, and its edges."""
    from recommender.summary import chain_summary

    ch = _chain(ctx)
    if as_json:
        _echo_json(ch.to_dict())
        return
    click.echo(chain_summary(ch))


@chain.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def chain_validate(path: str) -> None:
    """Check a chain YAML file; name the first bad entry."""
    from recommender.chain import load_chain

    ch = load_chain(path)
    click.echo(f"ok: {ch.id}: {len(ch.node_ids)} nodes, {len(ch.edges)} edges")


# --- store --------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the database schema to the latest version."""
    store = _store(ctx)
    click.echo(f"database at the latest schema: {store.url}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def summary(ctx: click.Context, as_json: bool) -> None:
    """Print what the store holds: firms (real and synthetic), links, outcomes, parks."""
    from recommender.summary import store_summary_text

    store = _store(ctx)
    if as_json:
        _echo_json(store.summary())
    else:
        click.echo(store_summary_text(store.summary()))


# --- demo ---------------------------------------------------------------------------------
@cli.group()
def demo() -> None:
    """The embedded demo world: Guangdong precision instruments."""


@demo.command("build")
@click.option("--firms", "n_firms", type=click.IntRange(min=0), default=None,
              help="Synthetic firms to generate (default 20,000).")
@click.option("--seed", type=int, default=None, help="Random seed (default 7).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the Parquet files (default var/demo).")
@click.option("--store/--no-store", "to_store", default=True,
              help="Also load the world into the database (default: yes).")
@click.pass_context
def demo_build(ctx: click.Context, n_firms, seed, out, to_store: bool) -> None:
    """Generate the demo world deterministically and load it into the store."""
    from recommender.demo.install import build_demo

    settings = _settings(ctx)
    out_dir = Path(out) if out else Path(settings.var_dir) / "demo"
    progress = _Progress()
    result = build_demo(
        n_firms=settings.demo_firms if n_firms is None else n_firms,
        seed=settings.demo_seed if seed is None else seed,
        out_dir=out_dir, store=_store(ctx) if to_store else None,
        chain=_chain(ctx), progress=progress,
    )
    progress.close()
    click.echo(f"demo world written to {out_dir}")
    for name, count in result.items():
        click.echo(f"  {name:<12} {count:>10,}")


# --- ingest and export --------------------------------------------------------------------
@cli.group()
def ingest() -> None:
    """Import firm lists and outcome histories (all rows or none)."""


@ingest.command("firms")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, help="Country of every row when the file has none.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def ingest_firms_cmd(ctx: click.Context, path: str, country, dry_run: bool) -> None:
    """Import firms from CSV, XLSX or Parquet (Chinese or English headers)."""
    from recommender.ingest import ingest_firms

    progress = _Progress()
    result = ingest_firms(path, _store(ctx), _chain(ctx), default_country=country,
                          progress=progress, dry_run=dry_run)
    progress.close()
    _echo_json(result.as_dict())


@ingest.command("outcomes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def ingest_outcomes_cmd(ctx: click.Context, path: str, dry_run: bool) -> None:
    """Import an outcome history: firm_id, node_id, campaign_id, date, stage (0-4)."""
    from recommender.ingest import ingest_outcomes

    _echo_json(ingest_outcomes(path, _store(ctx), _chain(ctx), dry_run=dry_run).as_dict())


@cli.group()
def export() -> None:
    """Export tables for analysis elsewhere."""


@export.command("firms")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Target file, .parquet or .csv.")
@click.pass_context
def export_firms_cmd(ctx: click.Context, out: str) -> None:
    """Write firm profiles with ids, chain nodes and attributes."""
    from recommender.ingest import export_firms

    path = export_firms(_store(ctx), out)
    click.echo(f"wrote {path}")


def main() -> None:
    """Entry point of the ``chainscout`` console script."""
    cli(prog_name="chainscout")
