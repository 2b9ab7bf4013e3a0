"""Back the store up to one file, and restore it from one, while the service runs.

- SQLite: SQLite's online backup API copies the database in one step, a consistent snapshot
  even while writers go on (they wait for it, as for any writer; readers do not). Restoring
  copies the file back the same way, into the live database.
- PostgreSQL: ``pg_dump --format=custom`` of the store's schema (a consistent snapshot
  too), and ``pg_restore --clean --single-transaction`` of it: all or nothing. Both tools
  must be on the ``PATH`` (Debian: ``postgresql-client``, of the server's major version or
  newer). The connection's settings go to them through ``PG*`` environment variables, so a
  password never appears in a process list.

A backup is written to a temporary file beside the target and renamed into place, so a
failed one never leaves half a file under the name. A restore first checks the file (a
ChainScout store at a schema revision this code knows), then brings the restored store up
to the newest schema, and moves the data version past both the restored and the replaced
one, so that every serving process notices the change and scores again.

>>> import pathlib, tempfile
>>> from recommender.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(f"sqlite:///{folder / 'live.db'}")
>>> backup(store, folder / "copy.db")["data_version"]
0
>>> restore(store, folder / "copy.db")["data_version"]
1
>>> store.close()
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from recommender.exceptions import DataError, DependencyError
from recommender.store import migrate
from recommender.store import models as M
from recommender.store import writes as W

__all__ = ["PG_TOOLS_HINT", "backup", "restore"]

PG_TOOLS_HINT = "install PostgreSQL's client tools (Debian: apt-get install postgresql-client)"


def backup(store, path: str | os.PathLike) -> dict[str, Any]:
    """Write a consistent copy of ``store`` to ``path`` (replaced if it exists).

    Returns
    -------
    dict
        ``file``, ``database`` (sqlite or postgresql), ``revision`` and ``data_version`` of
        the copy, and its size in ``bytes``.
    """
    target = Path(path).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        if store.backend == "sqlite":
            temporary.unlink()
            _sqlite_backup(store, temporary)
            facts = _sqlite_facts(temporary)
        else:
            facts = _pg_backup(store, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return {"file": str(target), "database": store.backend, **facts,
            "bytes": target.stat().st_size}


def restore(store, path: str | os.PathLike) -> dict[str, Any]:
    """Replace the data of ``store`` with the backup at ``path``; return what was restored.

    Raises
    ------
    DataError
        The file is not a backup of a ChainScout store (of this kind of database), or it
        was made by a newer version of ChainScout (its schema revision is unknown here).
    """
    source = Path(path).expanduser().resolve()
    if not source.is_file():
        raise DataError(f"no backup file {source}")
    replaced = _live_version(store)
    if store.backend == "sqlite":
        facts = _sqlite_facts(source)
        _check_revision(facts["revision"], source)
        _sqlite_restore(store, source)
    else:
        _check_revision(_pg_facts(source)["revision"], source)
        _pg_restore(store, source)
    store.upgrade()
    version = store.write(lambda conn: _move_version_past(conn, replaced))
    return {"file": str(source), "database": store.backend, "revision": store.revision(),
            "data_version": version}


# --- SQLite ---------------------------------------------------------------------------------
def _sqlite_backup(store, target: Path) -> None:
    raw = store.engine.raw_connection()
    try:
        with closing(sqlite3.connect(target)) as copy:
            raw.driver_connection.backup(copy)  # one step: a consistent snapshot
    finally:
        raw.close()


def _sqlite_restore(store, source: Path) -> None:
    raw = store.engine.raw_connection()
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_file:
            backup_file.backup(raw.driver_connection)
    finally:
        raw.close()
    store.engine.dispose()  # pooled connections may cache the old schema


def _sqlite_facts(path: Path) -> dict[str, Any]:
    """Return the revision and data version of a SQLite store file, checking it first."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise DataError(f"{path}: the SQLite file is damaged (quick_check failed)")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            version = conn.execute(f"SELECT value FROM {M.META.name} WHERE key = ?",
                                   (W.VERSION_KEY,)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path} is not a backup of a ChainScout SQLite store ({exc})") from exc
    return {"revision": revision[0] if revision else None,
            "data_version": int(version[0]) if version else 0}


# --- PostgreSQL -----------------------------------------------------------------------------
def _pg_backup(store, target: Path) -> dict[str, Any]:
    with store.snapshot() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    _pg_tool(store, "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             f"--schema={schema}", f"--file={target}")
    return _pg_facts(target)


def _pg_restore(store, source: Path) -> None:
    store.engine.dispose()  # let go of the pool's connections while tables are replaced
    _pg_tool(store, "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error",
             f"--dbname={store.engine.url.database}", str(source))


def _pg_facts(source: Path) -> dict[str, Any]:
    """Return the revision and data version recorded in a ``pg_dump`` file, checking it."""
    listing = _run([_tool("pg_restore"), "--list", str(source)], os.environ.copy(), source)
    if " TABLE DATA " not in listing or "alembic_version" not in listing:
        raise DataError(f"{source} is not a pg_dump of a ChainScout store")
    revision = _pg_rows(source, "alembic_version")
    meta = dict(row.split("\t", 1) for row in _pg_rows(source, M.META.name))
    return {"revision": revision[0] if revision else None,
            "data_version": int(meta.get(W.VERSION_KEY, 0))}


def _pg_rows(source: Path, table: str) -> list[str]:
    """Return the rows of ``table`` in a ``pg_dump`` file, as COPY text lines."""
    script = _run([_tool("pg_restore"), "--data-only", f"--table={table}", "--file=-",
                   str(source)], os.environ.copy(), source)
    rows, copying = [], False
    for line in script.splitlines():
        if line.startswith("COPY "):
            copying = True
        elif line == "\\.":
            copying = False
        elif copying:
            rows.append(line)
    return rows


def _pg_tool(store, name: str, *args: str) -> str:
    url = store.engine.url
    env = os.environ.copy()
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port),
                            ("PGUSER", url.username), ("PGPASSWORD", url.password),
                            ("PGDATABASE", url.database),
                            ("PGOPTIONS", url.query.get("options"))):
        if value is not None:
            env[variable] = str(value)
    return _run([_tool(name), *args], env, None)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DependencyError(f"{name} is not installed: {PG_TOOLS_HINT}")
    return found


def _run(command: list[str], env: dict[str, str], source: Path | None) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        what = f"{source}: " if source is not None else ""
        raise DataError(f"{what}{Path(command[0]).name} failed: "
                        f"{done.stderr.strip()[-2000:] or done.returncode}")
    return done.stdout


# --- both -----------------------------------------------------------------------------------
def _live_version(store) -> int:
    """Return the data version of the store about to be replaced (0 if it has no tables)."""
    try:
        return store.data_version()
    except sa.exc.DBAPIError:
        return 0


def _check_revision(revision: str | None, source: Path) -> None:
    known = migrate.known_revisions()
    if revision is None or revision not in known:
        raise DataError(f"{source} is at schema revision {revision!r}, which this version of "
                        f"ChainScout does not know (it knows {', '.join(sorted(known))}); "
                        "restore it with the version that made it")


def _move_version_past(conn: sa.Connection, replaced: int) -> int:
    """Set the data version to one past both the restored and the replaced one."""
    meta = M.META
    version = max(W.current_version(conn), replaced) + 1
    where = meta.c[M.META_KEY] == W.VERSION_KEY
    if conn.execute(sa.update(meta).where(where).values({M.META_VALUE: str(version)})).rowcount:
        return version
    conn.execute(sa.insert(meta).values({M.META_KEY: W.VERSION_KEY, M.META_VALUE: str(version)}))
    return version
