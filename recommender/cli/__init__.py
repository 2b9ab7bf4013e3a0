"""The ``chainscout`` command line: every step of the library, one command each.

Commands load what they need when they run, never at import, so ``chainscout --help`` is quick.
Each area keeps its commands in its own module and lists them in ``COMMANDS``.
"""

from __future__ import annotations

import importlib

import click

from recommender.exceptions import RecommenderError, ValidationError

__all__ = ["COMMAND_MODULES", "cli", "main"]

COMMAND_MODULES = ("data", "db", "keys", "weak_links", "ranking", "scale", "maps", "parks",
                   "serve", "projects")


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


for _module in COMMAND_MODULES:
    for _command in importlib.import_module(f"recommender.cli.{_module}").COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Entry point of the ``chainscout`` console script."""
    cli(prog_name="chainscout")
