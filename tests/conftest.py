"""Shared fixtures: every test that touches the store runs on a SQLite file and on PostgreSQL.

PostgreSQL is ``CHAINSCOUT_TEST_PG_URL`` if set, else ``postgresql://postgres@127.0.0.1:5432/test``;
its tests are skipped when the server does not answer, unless ``CHAINSCOUT_REQUIRE_PG`` is set
(as CI does), when they fail. Each PostgreSQL test gets a schema of its own (through
``search_path``), dropped afterwards, so parallel runs do not collide.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid

import pytest
import sqlalchemy as sa

from recommender.store import database_url, open_store

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def resident_kb(path) -> int:
    """This process's resident kB of the mappings of the file ``path`` (Linux's
    /proc/self/smaps)."""
    total, mine = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()[0] if line.strip() else ""
            if not head.endswith(":") or not head[:-1].replace("_", "").isalpha():
                mine = line.rstrip().endswith(str(path))  # a mapping's header line
            elif mine and head == "Rss:":
                total += int(line.split()[1])
    return total


def pg_test_url() -> str:
    return os.environ.get("CHAINSCOUT_TEST_PG_URL") or DEFAULT_PG_URL


@functools.cache
def pg_reachable(url: str) -> bool:
    parsed = database_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), 1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_admin():
    url = pg_test_url()
    if not pg_reachable(url):
        message = f"PostgreSQL is not reachable at {database_url(url).host}"
        if os.environ.get("CHAINSCOUT_REQUIRE_PG"):
            pytest.fail(message + " and CHAINSCOUT_REQUIRE_PG is set")
        pytest.skip(message)
    engine = sa.create_engine(database_url(url))
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin):
    """Return a URL whose connections work in a fresh schema, dropped after the test."""
    schema = f"cs_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = database_url(pg_test_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """Return the URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'chainscout.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    """Return an up-to-date, empty store, closed after the test."""
    with open_store(db_url) as opened:
        yield opened


