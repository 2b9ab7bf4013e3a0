"""Engines for the store: SQLite files by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from recommender.exceptions import ConfigError, DependencyError

__all__ = ["POSTGRES_HINT", "SUPPORTED_BACKENDS", "create_store_engine", "database_url"]

POSTGRES_HINT = "pip install 'chainscout[postgres]'"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def database_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` (or ``postgres://``) URLs get the psycopg driver.

    >>> database_url("postgresql://u@db/chainscout").drivername
    'postgresql+psycopg'
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"database_url: cannot read {str(url)!r} as a database URL") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_store_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``, with the settings the store relies on.

    SQLite: the database file's folder is created; foreign keys are enforced, the journal is
    write-ahead (readers do not block the writer), and SQLAlchemy issues ``BEGIN`` itself so
    that a transaction covers reads and DDL too, not only the driver's idea of DML.
    """
    parsed = database_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"database_url: the store runs on SQLite or PostgreSQL, not {backend!r}"
        )
    if backend == "postgresql" and parsed.get_driver_name() == "psycopg":
        _require_psycopg()
    if backend == "sqlite":
        _make_sqlite_folder(parsed)
        engine = sa.create_engine(parsed)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise DependencyError(f"PostgreSQL needs the psycopg driver: {POSTGRES_HINT}") from exc


def _make_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see _on_sqlite_begin
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")
