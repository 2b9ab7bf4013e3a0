"""``chainscout db``: the store's schema, and backing it up and restoring it.

A backup is one file: a SQLite database (SQLite's online backup API) or a ``pg_dump``
custom-format archive (PostgreSQL); both are consistent snapshots taken while the service
runs (:mod:`recommender.store.backup`). Schedule ``chainscout db backup`` with cron or a
systemd timer, for instance nightly into a dated file::

    15 2 * * *  cd /srv/chainscout && .venv/bin/chainscout db backup "backups/$(date +\\%F).db"
"""

from __future__ import annotations

import click

from recommender.cli.common import echo_json, store_of

__all__ = ["COMMANDS", "db", "db_backup", "db_restore", "db_upgrade"]


@click.group()
def db() -> None:
    """Manage the database: migrate, back up, restore."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the database schema to the latest version."""
    store = store_of(ctx)
    click.echo(f"database at the latest schema: {store.url}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def db_backup(ctx: click.Context, file: str, as_json: bool) -> None:
    """Write a consistent copy of the store to FILE (replaced if it exists); the service may
    go on serving and writing meanwhile."""
    from recommender.store.backup import backup

    store = store_of(ctx)
    done = backup(store, file)
    store.close()
    if as_json:
        echo_json(done)
        return
    click.echo(f"backed up {store.url} (schema {done['revision']}, data version "
               f"{done['data_version']}) to {done['file']} ({done['bytes']:,} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the store's data.")
@click.pass_context
def db_restore(ctx: click.Context, file: str, yes: bool) -> None:
    """Replace the store's data with the backup in FILE, then migrate it to the latest
    schema. Running servers notice the new data version and score again."""
    from recommender.store.backup import restore

    store = store_of(ctx)
    if not yes:
        click.confirm(f"replace every row of {store.url} with the backup {file}?", abort=True)
    done = restore(store, file)
    store.close()
    click.echo(f"restored {done['file']} into {store.url} (schema {done['revision']}, data "
               f"version now {done['data_version']})")


COMMANDS = [db]
