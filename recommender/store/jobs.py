"""The ``jobs`` table: background work of the service (training a model), one row per job.

A job moves ``queued -> running -> done`` or ``-> failed``, never back; each step is one
transaction, so any process reading the table (another gunicorn worker, the CLI) sees where a
job is. Functions take a :class:`~recommender.store.Store` and return plain dicts with the
table's column names. Job changes do not touch the store's data version: jobs are not data
that results depend on.

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> job = create_job(store, "train", created_by="csAbCdEf", params={"seed": 0})
>>> job["status"], start_job(store, job["id"])["status"]
('queued', 'running')
>>> finish_job(store, job["id"], {"version": "v1"})["result"]
{'version': 'v1'}
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from recommender.exceptions import DataError, NotFoundError
from recommender.store import models as M

__all__ = [
    "DONE",
    "FAILED",
    "MAX_ERROR_LENGTH",
    "QUEUED",
    "RUNNING",
    "TABLE",
    "active_jobs",
    "create_job",
    "fail_job",
    "finish_job",
    "job",
    "jobs",
    "start_job",
]

TABLE = M.JOBS
QUEUED, RUNNING, DONE, FAILED = M.JOB_STATUSES
MAX_ERROR_LENGTH = 4000


def create_job(
    store,
    kind: str,
    *,
    created_by: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store a new job, ``queued``, and return its row."""
    if not kind or not isinstance(kind, str):
        raise DataError(f"a job needs a kind, got {kind!r}")
    values = {M.JOB_KIND: kind, M.JOB_STATUS: QUEUED, M.JOB_CREATED_BY: created_by,
              M.CREATED_AT: M.utcnow(), M.JOB_PARAMS: dict(params or {})}

    def insert(conn: sa.Connection) -> dict[str, Any]:
        new_id = conn.execute(sa.insert(TABLE).values(values)).inserted_primary_key[0]
        return _row(conn, int(new_id))

    return store.write(insert)


def start_job(store, job_id: int) -> dict[str, Any]:
    """Mark a queued job ``running`` and return its row.

    Raises
    ------
    NotFoundError
        No job has this id.
    DataError
        The job is not queued (it started already, or ended).
    """
    return _move(store, job_id, QUEUED, {M.JOB_STATUS: RUNNING, M.JOB_STARTED_AT: M.utcnow()})


def finish_job(store, job_id: int, result: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Mark a running job ``done`` with its ``result`` (JSON) and return its row."""
    return _move(store, job_id, RUNNING, {M.JOB_STATUS: DONE, M.JOB_FINISHED_AT: M.utcnow(),
                                          M.JOB_RESULT: dict(result or {})})


def fail_job(store, job_id: int, error: str) -> dict[str, Any]:
    """Mark a queued or running job ``failed`` with ``error`` and return its row."""
    values = {M.JOB_STATUS: FAILED, M.JOB_FINISHED_AT: M.utcnow(),
              M.JOB_ERROR: str(error)[:MAX_ERROR_LENGTH]}
    return _move(store, job_id, (QUEUED, RUNNING), values)


def job(store, job_id: int) -> dict[str, Any]:
    """Return one job's row; NotFoundError if there is none with this id."""
    with store.engine.connect() as conn:
        row = _row(conn, job_id)
    if row is None:
        raise NotFoundError(f"no job {job_id}")
    return row


def jobs(store, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Return the newest ``limit`` jobs (of ``kind``, if given), newest first."""
    query = sa.select(TABLE).order_by(TABLE.c[M.ID].desc()).limit(limit)
    if kind is not None:
        query = query.where(TABLE.c[M.JOB_KIND] == kind)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def active_jobs(store, kind: str, *, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Return the queued or running jobs of ``kind`` (created after ``since``), oldest first.

    ``since`` lets a caller ignore jobs left ``running`` by a process that died with them.
    """
    where = (TABLE.c[M.JOB_KIND] == kind) & TABLE.c[M.JOB_STATUS].in_((QUEUED, RUNNING))
    if since is not None:
        where = where & (TABLE.c[M.CREATED_AT] >= since)
    query = sa.select(TABLE).where(where).order_by(TABLE.c[M.ID])
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _move(store, job_id: int, from_status, values: dict[str, Any]) -> dict[str, Any]:
    allowed = (from_status,) if isinstance(from_status, str) else tuple(from_status)
    where = (TABLE.c[M.ID] == job_id) & TABLE.c[M.JOB_STATUS].in_(allowed)

    def move(conn: sa.Connection) -> tuple[int, dict[str, Any] | None]:
        moved = conn.execute(sa.update(TABLE).where(where).values(values)).rowcount
        return moved, _row(conn, job_id)

    moved, row = store.write(move)
    if row is None:
        raise NotFoundError(f"no job {job_id}")
    if not moved:
        raise DataError(f"job {job_id} is {row[M.JOB_STATUS]}, not {' or '.join(allowed)}")
    return row


def _row(conn: sa.Connection, job_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(TABLE).where(TABLE.c[M.ID] == job_id)).first()
    return dict(row._mapping) if row is not None else None
