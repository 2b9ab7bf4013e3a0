"""Engines for the store: SQLite files by default, PostgreSQL by URL; how writes meet.

Writers never lose to contention:

- On SQLite a write transaction begins ``BEGIN IMMEDIATE`` (it takes the file's write lock
  first, waiting up to ``SQLITE_BUSY_TIMEOUT_MS`` for it), so it can never fail half-way
  when it upgrades from reading to writing, as a deferred ``BEGIN`` does in WAL mode.
  Readers stay deferred and never wait for a writer. :func:`writer` gives the engine whose
  transactions begin so.
- :func:`run_transaction` tries a write again, a few times and briefly
  (``RETRY_DELAYS``), when the database says it met another transaction (PostgreSQL's
  serialization failures and deadlocks, a dropped connection, a server restarting) or when
  a row it was about to insert was inserted meanwhile by another writer (a unique
  violation: the second try sees the row and treats it as stored). Anything else, or the
  same failure once the tries are spent, goes to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine

from recommender.exceptions import ConfigError, DependencyError

__all__ = [
    "POSTGRES_HINT",
    "RETRY_DELAYS",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SUPPORTED_BACKENDS",
    "WRITE_OPTION",
    "create_store_engine",
    "database_url",
    "is_unique_violation",
    "retriable",
    "run_transaction",
    "writer",
]

POSTGRES_HINT = "pip install 'chainscout[postgres]'"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 15_000  # a writer waits this long for SQLite's write lock
RETRY_DELAYS = (0.05, 0.2, 0.5)  # seconds before each new try of a write that met another
WRITE_OPTION = "chainscout_write"  # execution option of the connections of writer()
# PostgreSQL SQLSTATE classes worth another try: connection exceptions, transaction
# rollbacks (serialization failure, deadlock), an operator intervention (shutdown, restart).
_PG_RETRY_CLASSES = ("08", "40", "57P")
_PG_UNIQUE_VIOLATION = "23505"
_T = TypeVar("_T")


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
    write-ahead (readers do not block the writer), a writer waits for the write lock up to
    ``SQLITE_BUSY_TIMEOUT_MS``, and SQLAlchemy issues ``BEGIN`` itself so that a
    transaction covers reads and DDL too, not only the driver's idea of DML (``BEGIN
    IMMEDIATE`` for the engine of :func:`writer`).
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


def writer(engine: Engine) -> Engine:
    """Return ``engine`` (sharing its pool) whose transactions begin as writers.

    On SQLite they begin ``BEGIN IMMEDIATE``; PostgreSQL needs nothing of the kind.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


def run_transaction(engine: Engine, work: Callable[[sa.Connection], _T]) -> _T:
    """Run ``work(conn)`` in one transaction of ``engine``, again after a transient failure.

    ``work`` must be safe to run twice: each try starts from a rolled-back transaction, so
    it reads afresh. A unique violation earns one more try; other :func:`retriable`
    failures as many as ``RETRY_DELAYS`` has.
    """
    delays = iter(RETRY_DELAYS)
    unique_retried = False
    while True:
        try:
            with engine.begin() as conn:
                return work(conn)
        except sa_exc.DBAPIError as exc:
            if is_unique_violation(exc) and not unique_retried:
                unique_retried = True
                continue
            delay = next(delays, None) if retriable(exc) else None
            if delay is None:
                raise
            time.sleep(delay)


def retriable(exc: sa_exc.DBAPIError) -> bool:
    """Return whether a failed transaction may succeed if tried again at once.

    SQLite's "database is locked" is not: its writers have waited for the lock already.
    """
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    state = _sqlstate(exc)
    if state is None:  # no answer from the server (refused, reset): PostgreSQL only
        return not _is_sqlite(exc)
    return state.startswith(_PG_RETRY_CLASSES)


def is_unique_violation(exc: sa_exc.DBAPIError) -> bool:
    """Return whether ``exc`` is a unique (or primary key) constraint broken on insert."""
    if not isinstance(exc, sa_exc.IntegrityError):
        return False
    if _is_sqlite(exc):
        return str(exc.orig).startswith("UNIQUE constraint failed")
    return _sqlstate(exc) == _PG_UNIQUE_VIOLATION


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _is_sqlite(exc: sa_exc.DBAPIError) -> bool:
    return type(exc.orig).__module__.startswith("sqlite3")


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
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
