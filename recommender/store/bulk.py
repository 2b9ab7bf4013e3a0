"""Bulk reads and writes between canonical DataFrames and the store's tables.

Writes compile a statement once and hand chunks of rows to the driver's ``executemany``
(PostgreSQL: ``COPY``); reads stream rows a chunk at a time, so neither holds a whole large
table as Python objects. A first load takes the fast path: looking up the stored rows of an
empty table asks nothing, and on SQLite a large insert into an empty table builds its secondary
indexes after the rows (one sort rather than an index insert per row) with a page cache large
enough for the table's key indexes (:data:`SQLITE_BULK_CACHE_KIB`), and the indexes stay down
for the rest of the transaction, so that a large load written in chunks pays for them once.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from recommender.exceptions import DataError
from recommender.store.frames import (
    CHUNK_ROWS,
    column_chunks,
    column_kind,
    empty_frame,
    from_rows,
    python_values,
)

__all__ = [
    "BULK_ROWS",
    "IN_CHUNK",
    "KEYS_CHUNK",
    "SQLITE_BULK_CACHE_KIB",
    "bound_chunks",
    "copy_rows",
    "delete",
    "execute_many",
    "insert",
    "is_empty",
    "is_in",
    "load_rows",
    "read_frame",
    "table_defaults",
    "upsert",
]

IN_CHUNK = 5_000  # keys per "IN (...)": below SQLite's and PostgreSQL's bound-parameter limits
KEYS_CHUNK = 50_000  # keys per query when they are bound as one array
BULK_ROWS = 50_000  # an insert of at least this many rows into an empty table is a bulk load
SQLITE_BULK_CACHE_KIB = 512 * 1024  # SQLite's page cache during a bulk load (default: 2 MiB)


# --- reading ------------------------------------------------------------------------------
def read_frame(
    conn: sa.Connection,
    query: sa.Select,
    table: sa.Table,
    names: Sequence[str],
    *,
    convert=None,
) -> pd.DataFrame:
    """Run ``query`` (selecting ``names`` of ``table``) and return its rows as a canonical frame.

    Rows are fetched ``CHUNK_ROWS`` at a time (a server-side cursor on PostgreSQL); each chunk
    is turned into typed columns, and passed through ``convert`` if given, before the next.
    """
    result = conn.execute(query.execution_options(yield_per=CHUNK_ROWS))
    parts = []
    for rows in result.partitions():
        part = from_rows(rows, table, names)
        parts.append(convert(part) if convert else part)
    if not parts:
        empty = empty_frame(table, names)
        return convert(empty) if convert else empty
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def load_rows(
    conn: sa.Connection,
    table: sa.Table,
    names: Sequence[str],
    *,
    where: sa.ColumnElement[bool] | None = None,
    in_column: str | None = None,
    in_values: Sequence | None = None,
    order_by: Sequence[str] = (),
    convert=None,
) -> pd.DataFrame:
    """Return the rows of ``table`` matching ``where`` and ``in_column IN in_values``.

    Long value lists are queried ``IN_CHUNK`` values at a time; the caller bounds the number
    of values, and so the rows held at once.
    """
    query = sa.select(*(table.c[n] for n in names))
    if where is not None:
        query = query.where(where)
    if in_column is not None and is_empty(conn, table):  # a first load: nothing to look up
        empty = empty_frame(table, names)
        return convert(empty) if convert else empty
    if in_column is None:
        query = query.order_by(*(table.c[n] for n in order_by))
        return read_frame(conn, query, table, names, convert=convert)
    values = list(dict.fromkeys(v for v in in_values if v is not None))
    one_of = _one_of(conn, table.c[in_column], values)
    size = KEYS_CHUNK if one_of is not None else IN_CHUNK
    parts, rows = [], []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        if one_of is not None:
            clause, encode = one_of
            rows.extend(conn.execute(query.where(clause), {"keys": encode(chunk)}).all())
        else:
            rows.extend(conn.execute(query.where(table.c[in_column].in_(chunk))).all())
        if len(rows) >= CHUNK_ROWS:  # typed columns hold far less than rows of Python objects
            parts.append(from_rows(rows, table, names))
            rows = []
    if rows or not parts:
        parts.append(from_rows(rows, table, names))
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if order_by:
        frame = frame.sort_values(list(order_by), kind="stable", ignore_index=True)
    return convert(frame) if convert else frame


def _one_of(conn: sa.Connection, column: sa.Column, values: list):
    """``(clause, encode)``: "``column`` is one of the keys", the keys bound as one value
    (``encode(chunk)``): a JSON array read by ``json_each`` on SQLite, an array on PostgreSQL.
    One bind rather than one per key spares rendering thousands of parameters per query.
    None for keys that are not all text or all integers (they go through ``IN (...)``)."""
    kinds = {type(v) for v in values}
    if not values or not (kinds <= {str} or kinds <= {int}):
        return None
    if conn.dialect.name == "sqlite":
        listed = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("keys", type_=sa.String)))
        return column.in_(listed), json.dumps
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(column.type))), list
    return None


# --- writing ------------------------------------------------------------------------------
def execute_many(
    conn: sa.Connection,
    statement: sa.Executable,
    frame: pd.DataFrame,
    types: dict[str, sa.types.TypeEngine],
    constants: dict | None = None,
) -> None:
    """Run ``statement`` once per row of a canonical ``frame`` whose columns name its binds.

    ``constants`` gives binds that hold the same value on every row. The statement is
    compiled once and each chunk goes to the driver's ``executemany`` with values already
    converted by the dialect's bind processors: the SQL and values SQLAlchemy would send,
    without its per-row parameter handling, which costs more than the database's own work on
    bulk writes.
    """
    if frame.empty:
        return
    dialect = conn.dialect
    constants = constants or {}
    compiled = statement.compile(dialect=dialect, column_keys=[*frame.columns, *constants])
    binds = list(compiled.positiontup) if compiled.positional else list(compiled.params)
    missing = [b for b in binds if b not in frame.columns and b not in constants]
    if missing:
        raise DataError(f"no values for {', '.join(missing)}")
    processors = {b: _processor(types[b], dialect) for b in binds}
    fixed = {
        name: processors[name](value) if processors[name] else value
        for name, value in constants.items()
        if name in processors
    }
    varying = [b for b in binds if b not in fixed]
    sql = str(compiled)
    for columns in bound_chunks(frame[varying], [processors[n] for n in varying]):
        values = dict(zip(varying, columns, strict=True))
        size = len(columns[0])
        rows = zip(*(values[b] if b in values else [fixed[b]] * size for b in binds), strict=True)
        if compiled.positional:
            conn.exec_driver_sql(sql, list(rows))
        else:
            conn.exec_driver_sql(sql, [dict(zip(binds, row, strict=True)) for row in rows])


def bound_chunks(frame: pd.DataFrame, processors: Sequence) -> Iterator[list[list]]:
    """Yield the columns of a canonical frame as lists of the values a driver is sent,
    ``CHUNK_ROWS`` rows at a time: Python values (missing as None) passed through each
    column's bind processor (None: none). A column with a processor (dates and times, JSON)
    is converted once per distinct value, not once per row: a bulk write's timestamps are
    mostly one value.

    >>> frame = pd.DataFrame({"n": [1.5, None], "d": pd.to_datetime(["2026-01-02", None])})
    >>> next(bound_chunks(frame, [None, lambda v: v and v.date().isoformat()]))
    [[1.5, None], ['2026-01-02', None]]
    """
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        out = []
        for name, processor in zip(part.columns, processors, strict=True):
            column = part[name]
            if processor is None:
                out.append(python_values(column))
                continue
            try:
                codes, uniques = pd.factorize(column, use_na_sentinel=True)
            except TypeError:  # unhashable values (lists): one at a time
                out.append([processor(v) for v in python_values(column)])
                continue
            converted = [processor(v) for v in python_values(pd.Series(uniques))]
            table = np.empty(len(converted) + 1, dtype=object)
            table[:-1] = converted
            table[-1] = processor(None) if (codes < 0).any() else None  # code -1: missing
            out.append(table[codes].tolist())
        yield out


def _processor(type_: sa.types.TypeEngine, dialect: sa.Dialect):
    """Return the dialect's bind processor for ``type_``, or None where it would not change a
    canonical value (numbers and flags already are plain ``int``, ``float`` and ``bool``)."""
    if isinstance(type_, sa.Integer | sa.Float | sa.Boolean | sa.String):
        return None
    return type_.dialect_impl(dialect).bind_processor(dialect)


def table_defaults(table: sa.Table, frame: pd.DataFrame, extra: dict | None = None) -> dict:
    """Return ``extra`` plus the Python-side default of each column that ``frame`` lacks."""
    constants = dict(extra or {})
    for column in table.columns:
        if column.name in frame.columns or column.name in constants or column.default is None:
            continue
        if column.default.is_scalar:
            constants[column.name] = column.default.arg
        elif column_kind(column) == "list":
            constants[column.name] = []
    return constants


def _types(table: sa.Table) -> dict[str, sa.types.TypeEngine]:
    return {column.name: column.type for column in table.columns}


def _dialect_insert(conn: sa.Connection, table: sa.Table):
    """Return an INSERT that knows ``ON CONFLICT`` (both supported backends have one)."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    key: Sequence[str],
    update: Sequence[str],
    extra: dict | None = None,
    extra_update: Sequence[str] = (),
) -> None:
    """Insert the rows of a canonical ``frame``; where ``key`` exists, set ``update`` instead.

    One ``INSERT ... ON CONFLICT (key) DO UPDATE``, which SQLite and PostgreSQL both know.
    ``extra`` holds values added to every row (timestamps, version); ``extra_update`` names
    those of them that an update also sets.
    """
    if frame.empty:
        return
    statement = _dialect_insert(conn, table)
    targets = list(update) + list(extra_update)
    if targets:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={name: statement.excluded[name] for name in targets},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[table.c[k] for k in key])
    execute_many(conn, statement, frame, _types(table), table_defaults(table, frame, extra))


def insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, extra=None) -> None:
    """Insert the rows of a canonical ``frame``; a key already stored is an IntegrityError.

    PostgreSQL gets the rows through ``COPY``, several times faster than ``INSERT``s.
    """
    if frame.empty:
        return
    constants = table_defaults(table, frame, extra)
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, frame, constants)
        return
    with _sqlite_bulk_load(conn, table, len(frame)):
        execute_many(conn, sa.insert(table), frame, _types(table), constants)


def is_empty(conn: sa.Connection, table: sa.Table) -> bool:
    """Whether ``table`` holds no row (one indexed probe)."""
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None


# connections inside a bulk load: the indexes dropped per table, the page cache to restore
_LOADING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def _sqlite_bulk_load(conn: sa.Connection, table: sa.Table, rows: int):
    """Around a large insert into an empty SQLite table: drop its secondary indexes, with a
    large page cache meanwhile, and build them again when the transaction commits (one sort
    rather than an index insert per row). The later inserts of the same transaction into the
    table (a large load written chunk by chunk) find the indexes already down. Inside the
    caller's transaction, so a failed load leaves table and indexes as they were."""
    loading = _LOADING.get(conn)
    if (loading is None or table.name not in loading[0]) and (
            rows < BULK_ROWS or not is_empty(conn, table)):
        yield
        return
    if loading is None:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
        loading = _LOADING[conn] = ({}, int(cache))
        sa.event.listen(conn, "commit", _end_bulk_load, once=True)
        sa.event.listen(conn, "rollback", _drop_bulk_load, once=True)
    if table.name not in loading[0]:
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        for index in indexes:
            index.drop(conn)
        loading[0][table.name] = indexes
    yield


def _end_bulk_load(conn: sa.Connection) -> None:
    """At commit: build the indexes the bulk loads of the transaction dropped."""
    dropped, cache = _LOADING.pop(conn, ({}, None))
    for indexes in dropped.values():
        for index in indexes:
            index.create(conn)
    if cache is not None:
        conn.exec_driver_sql(f"PRAGMA cache_size={cache}")


def _drop_bulk_load(conn: sa.Connection) -> None:
    """At rollback: SQLite restores the dropped indexes itself; restore the page cache."""
    _, cache = _LOADING.pop(conn, ({}, None))
    if cache is not None:
        conn.connection.driver_connection.execute(f"PRAGMA cache_size={cache}")


def is_in(values: pd.Series, wanted) -> np.ndarray:
    """Whether each of ``values`` is one of ``wanted`` (missing values: False), as booleans.

    A hash lookup in Arrow: pandas' ``isin`` on Arrow-backed strings walks ``wanted`` in
    Python, seconds for a million keys.

    >>> is_in(pd.Series(["a", "b", None], dtype="str"), ["b", "c"]).tolist()
    [False, True, False]
    >>> is_in(pd.Series([1, 2, 3]), {3}).tolist()
    [False, False, True]
    """
    array = pa.array(values, from_pandas=True)
    try:
        if isinstance(wanted, pa.Array | pa.ChunkedArray):
            value_set = wanted
        elif isinstance(wanted, pd.Series | pd.Index | np.ndarray):
            value_set = pa.array(wanted, from_pandas=True)  # no Python objects on the way
        else:
            value_set = pa.array(list(wanted))
        found = pc.is_in(array, value_set=value_set.cast(array.type))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        listed = wanted.to_pylist() if isinstance(wanted, pa.Array | pa.ChunkedArray) \
            else list(wanted)
        return np.asarray(pd.Series(values).isin(listed), bool)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), bool)


def copy_rows(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, constants: dict) -> None:
    """Write rows into a PostgreSQL table with ``COPY ... FROM STDIN`` (psycopg 3)."""
    dialect = conn.dialect
    names = [*frame.columns, *(c for c in constants if c not in frame.columns)]
    processors = {n: _processor(table.c[n].type, dialect) for n in names}
    fixed = {
        n: processors[n](v) if processors[n] else v for n, v in constants.items() if n in names
    }
    quote = dialect.identifier_preparer
    sql = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "
        "FROM STDIN"
    )
    cursor = conn.connection.cursor()  # the DBAPI cursor, inside this connection's transaction
    try:
        with cursor.copy(sql) as copy:
            for columns in column_chunks(frame):
                size = len(columns[0])
                for name, values in zip(frame.columns, columns, strict=True):
                    if processors[name] is not None:
                        values[:] = [processors[name](v) for v in values]
                extra = [[fixed[n]] * size for n in names[len(frame.columns) :]]
                for row in zip(*columns, *extra, strict=True):
                    copy.write_row(row)
    except dialect.loaded_dbapi.Error as exc:
        wrapper = (
            sa.exc.IntegrityError
            if isinstance(exc, dialect.loaded_dbapi.IntegrityError)
            else sa.exc.DatabaseError
        )
        raise wrapper(sql, None, exc) from exc
    finally:
        cursor.close()


def delete(conn: sa.Connection, table: sa.Table, keys: pd.DataFrame) -> None:
    """Delete the rows whose key columns equal a row of ``keys``."""
    if keys.empty:
        return
    statement = sa.delete(table).where(
        *(table.c[name] == sa.bindparam(f"k_{name}") for name in keys.columns)
    )
    types = {f"k_{name}": table.c[name].type for name in keys.columns}
    execute_many(conn, statement, keys.add_prefix("k_"), types)
