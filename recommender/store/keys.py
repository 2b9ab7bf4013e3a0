"""The ``api_keys`` table: adding, finding and revoking the web service's keys.

Functions take a :class:`~recommender.store.Store` and return plain dicts with the table's
column names. They see only hashes and prefixes; making and checking keys is
:mod:`recommender.store.auth`'s business. Key changes do not touch the store's data version: keys
are not data that results depend on.

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> row = add_key(store, prefix="csAbCdEf", key_hash="0" * 64, role="viewer", name="王五")
>>> [(k["role"], k["display_name"]) for k in keys_with_prefix(store, "csAbCdEf")]
[('viewer', '王五')]
>>> revoke_key(store, row["id"])["revoked_at"] is not None
True
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from recommender.exceptions import DataError, NotFoundError
from recommender.store import models as M

__all__ = [
    "TABLE",
    "add_key",
    "key_by_id",
    "keys",
    "keys_with_hash",
    "keys_with_label",
    "keys_with_prefix",
    "name_key",
    "revoke_key",
]

TABLE = M.API_KEYS


def add_key(
    store,
    *,
    prefix: str,
    key_hash: str,
    role: str,
    park_ids: Sequence[str] = (),
    label: str | None = None,
    firm_id: str | None = None,
    name: str | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """Store a new key (its hash only) and return its row; a hash already stored is a DataError.

    ``name`` and ``unit`` are the person the key is for and their organisation unit.
    """
    values = {
        M.KEY_PREFIX: prefix, M.KEY_HASH: key_hash, M.KEY_ROLE: role,
        M.KEY_PARK_IDS: list(park_ids), M.KEY_LABEL: label, M.CREATED_AT: M.utcnow(),
        M.KEY_FIRM_ID: firm_id, M.KEY_NAME: name, M.KEY_UNIT: unit,
    }

    def insert(conn: sa.Connection) -> dict[str, Any]:
        new_id = conn.execute(sa.insert(TABLE).values(values)).inserted_primary_key[0]
        return _row(conn, TABLE.c[M.ID] == new_id)

    try:
        return store.write(insert)
    except sa_exc.IntegrityError as exc:
        raise DataError("cannot store API key: a key with this hash is already stored") from exc


def keys(store, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    """Return every key row, oldest first (without revoked ones unless ``include_revoked``)."""
    where = None if include_revoked else TABLE.c[M.KEY_REVOKED_AT].is_(None)
    return _rows(store, where)


def keys_with_prefix(store, prefix: str) -> list[dict[str, Any]]:
    """Return the rows whose prefix is ``prefix``, revoked ones included."""
    return _rows(store, TABLE.c[M.KEY_PREFIX] == prefix)


def keys_with_hash(store, key_hash: str) -> list[dict[str, Any]]:
    """Return the row with this hash, as a list of none or one."""
    return _rows(store, TABLE.c[M.KEY_HASH] == key_hash)


def keys_with_label(store, label: str, *, role: str | None = None) -> list[dict[str, Any]]:
    """Return the keys labelled ``label`` (and of ``role``, if given), revoked ones included."""
    where = TABLE.c[M.KEY_LABEL] == label
    if role is not None:
        where = where & (TABLE.c[M.KEY_ROLE] == role)
    return _rows(store, where)


def key_by_id(store, key_id: int) -> dict[str, Any]:
    """Return one key row; NotFoundError if there is none with this id."""
    found = _rows(store, TABLE.c[M.ID] == key_id)
    if not found:
        raise NotFoundError(f"no API key {key_id}")
    return found[0]


def revoke_key(store, key_id: int, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """Mark a key revoked (once: a revoked key keeps its first date) and return its row."""
    when = at or M.utcnow()
    still_active = (TABLE.c[M.ID] == key_id) & TABLE.c[M.KEY_REVOKED_AT].is_(None)

    def revoke(conn: sa.Connection) -> dict[str, Any] | None:
        conn.execute(sa.update(TABLE).where(still_active).values({M.KEY_REVOKED_AT: when}))
        return _row(conn, TABLE.c[M.ID] == key_id)

    row = store.write(revoke)
    if row is None:
        raise NotFoundError(f"no API key {key_id}")
    return row


def name_key(store, key_id: int, *, name: str | None, unit: str | None) -> dict[str, Any]:
    """Set the person a key is for and their unit (None clears one) and return its row."""

    def rename(conn: sa.Connection) -> dict[str, Any] | None:
        conn.execute(sa.update(TABLE).where(TABLE.c[M.ID] == key_id)
                     .values({M.KEY_NAME: name, M.KEY_UNIT: unit}))
        return _row(conn, TABLE.c[M.ID] == key_id)

    row = store.write(rename)
    if row is None:
        raise NotFoundError(f"no API key {key_id}")
    return row


def _rows(store, where: sa.ColumnElement[bool] | None) -> list[dict[str, Any]]:
    query = sa.select(TABLE).order_by(TABLE.c[M.ID])
    if where is not None:
        query = query.where(where)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _row(conn: sa.Connection, where: sa.ColumnElement[bool]) -> dict[str, Any] | None:
    row = conn.execute(sa.select(TABLE).where(where)).first()
    return dict(row._mapping) if row is not None else None
