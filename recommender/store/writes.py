"""Writes that compare before they write: an unchanged row costs a read, never a write.

Each function takes a connection inside a transaction and a DataFrame. It works through the
frame ``WRITE_CHUNK`` rows at a time: loads the stored rows with the same keys in bulk, works
out in pandas which rows are new, changed, unchanged or gone, and writes only those. Memory
stays bounded by the chunk, whatever the size of the frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.store import bulk
from recommender.store import models as M
from recommender.store.frames import canonical, changed_mask, empty_frame

__all__ = [
    "Plan",
    "Prepare",
    "VERSION_KEY",
    "WRITE_CHUNK",
    "add_rows",
    "bump_version",
    "current_version",
    "describe_integrity_error",
    "fill_column",
    "ingested_firm_id",
    "plan_rows",
    "record_firm_sources",
    "replace_rows",
    "require_columns",
    "require_unique",
    "upsert_firms",
    "upsert_rows",
    "without_entered_needs",
]

WRITE_CHUNK = 50_000  # incoming rows compared and written per round
VERSION_KEY = "data_version"
_BUMPED = "chainscout_version_bumped"


# --- the data_version counter -------------------------------------------------------------
def current_version(conn: sa.Connection) -> int:
    """Return the store-wide data version (0 for a new store)."""
    meta = M.META
    value = conn.execute(
        sa.select(meta.c[M.META_VALUE]).where(meta.c[M.META_KEY] == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value or 0)


def bump_version(conn: sa.Connection) -> int:
    """Increase the data version once per transaction and return the new value.

    Several writes in one transaction share one new version, so an ingest that upserts firms
    and then their node links moves the version by one.
    """
    transaction = conn.get_transaction()
    marker = conn.info.get(_BUMPED)
    if marker is not None and marker[0]() is transaction:
        return marker[1]
    meta = M.META
    as_int = sa.cast(meta.c[M.META_VALUE], sa.BigInteger)
    # Increment in the database (not read-then-write) so concurrent writers cannot lose a bump.
    updated = conn.execute(
        sa.update(meta)
        .where(meta.c[M.META_KEY] == VERSION_KEY)
        .values({M.META_VALUE: sa.cast(as_int + 1, sa.String)})
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(meta).values({M.META_KEY: VERSION_KEY, M.META_VALUE: "1"}))
    version = current_version(conn)
    conn.info[_BUMPED] = (weakref.ref(transaction), version)
    return version


# --- comparing ----------------------------------------------------------------------------
@dataclass
class Plan:
    """Where each incoming row stands against the stored ones."""

    position: np.ndarray  # row of ``existing`` with the same key, -1 if none
    changed: np.ndarray  # True where an existing row differs in a compared column
    gone: np.ndarray  # True for existing rows that no incoming row matches

    @property
    def new(self) -> np.ndarray:
        return self.position < 0

    @property
    def write(self) -> np.ndarray:
        return self.new | self.changed

    def counts(self) -> Counter:
        return Counter(
            inserted=int(self.new.sum()),
            updated=int(self.changed.sum()),
            unchanged=int((~self.write).sum()),
            deleted=int(self.gone.sum()),
        )


def plan_rows(
    incoming: pd.DataFrame, existing: pd.DataFrame, key: Sequence[str], compare: Sequence[str]
) -> Plan:
    """Match ``incoming`` to ``existing`` on ``key`` and flag the rows whose values changed."""
    key = list(key)
    position = _key_index(existing, key).get_indexer(_key_index(incoming, key))
    changed = np.zeros(len(incoming), dtype=bool)
    matched = position >= 0
    if matched.any() and compare:
        mine = incoming.loc[matched, list(compare)].reset_index(drop=True)
        theirs = existing.iloc[position[matched]][list(compare)].reset_index(drop=True)
        changed[matched] = changed_mask(mine, theirs, compare)
    gone = np.ones(len(existing), dtype=bool)
    gone[position[matched]] = False
    return Plan(position=position, changed=changed, gone=gone)


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]].astype(object))
    return pd.MultiIndex.from_frame(frame[key].astype(object))


def _keys(frame: pd.DataFrame, table: sa.Table, key: list[str]) -> pd.DataFrame:
    """The canonical values of ``frame``'s ``key`` columns; full columns of strings as they
    are (the same values, compared without making a Python object of each)."""
    if all(isinstance(frame[k].dtype, pd.StringDtype) and frame[k].notna().all() for k in key):
        return frame[key]
    return canonical(frame, table, key)


def require_unique(frame: pd.DataFrame, key: Sequence[str], what: str) -> None:
    """Raise DataError if two rows of ``frame`` share a key (names up to three of them)."""
    repeated = frame.duplicated(subset=list(key), keep=False)
    if repeated.any():
        shown = frame.loc[repeated, list(key)].drop_duplicates().head(3)
        keys = ", ".join("/".join(str(v) for v in row) for row in shown.itertuples(index=False))
        raise DataError(
            f"{what}: {int(repeated.sum())} rows share a {'/'.join(key)} (e.g. {keys})"
        )


def require_columns(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    """Raise DataError naming the columns of ``names`` that ``frame`` lacks."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"{what}: the table has no column {', '.join(map(repr, missing))}")


def fill_column(df: pd.DataFrame, name: str, value: str | None, what: str) -> pd.DataFrame:
    """Return ``df`` with column ``name`` set to ``value`` where it is absent or empty.

    A row that holds another value is an error: the caller asked for ``value`` only.
    """
    if value is None:
        require_columns(df, [name], what)
        return df
    if name not in df.columns:
        return df.assign(**{name: value})
    other = df[name].notna() & (df[name] != value)
    if other.any():
        raise DataError(f"{what}: {int(other.sum())} rows have {name} other than {value!r}")
    return df.assign(**{name: df[name].fillna(value)})


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), WRITE_CHUNK):
        yield frame.iloc[start : start + WRITE_CHUNK]


def _totals(counts: Counter, fields: Sequence[str]) -> dict[str, int]:
    return {field: counts[field] for field in fields}


# --- keyed upserts ------------------------------------------------------------------------
Prepare = Callable[[pd.DataFrame, pd.DataFrame, Plan], pd.DataFrame]


def upsert_rows(
    conn: sa.Connection,
    table: sa.Table,
    df: pd.DataFrame,
    *,
    key: str,
    stamp: str | None = None,
    version_column: str | None = None,
    load: Sequence[str] = (),
    prepare: Prepare | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Insert new rows of ``df`` and update changed ones, matched on the unique column ``key``.

    Only the columns of ``df`` that ``table`` has are compared and written. ``stamp`` names a
    timestamp column set to ``now`` (default: the current UTC time) on every written row, and
    ``version_column`` one set to the new data version. The columns ``load`` are read from the
    stored rows but neither compared nor updated; ``prepare(rows, existing, plan)`` may use
    them to complete the rows to write.

    Returns
    -------
    dict
        ``inserted``, ``updated`` and ``unchanged`` counts.
    """
    require_columns(df, [key], table.name)
    names = [c.name for c in table.columns if c.name in df.columns and c.name != stamp]
    keys = _keys(df, table, [key])
    if keys[key].isna().any():
        raise DataError(f"{table.name}: {int(keys[key].isna().sum())} rows have no {key}")
    require_unique(keys, [key], table.name)
    compare = [n for n in names if n != key and n not in load]
    now = now or M.utcnow()
    counts = Counter()
    # into an empty table every row is new (the keys are unique): nothing to look up, even
    # after the first chunk's rows are in
    fresh = bulk.is_empty(conn, table)
    for part in _chunks(df):
        incoming = canonical(part, table, names).reset_index(drop=True)
        existing = empty_frame(table, [key, *load, *compare]) if fresh else bulk.load_rows(
            conn, table, [key, *load, *compare], in_column=key, in_values=incoming[key].tolist()
        )
        plan = plan_rows(incoming, existing, [key], compare)
        counts += plan.counts()
        if not plan.write.any():
            continue
        rows = incoming.loc[plan.write].reset_index(drop=True)
        if prepare is not None:
            rows = prepare(rows, existing, plan)
        extra, also = {}, []
        if stamp:
            extra[stamp], also = now, [stamp]
        if version_column:
            extra[version_column] = bump_version(conn)
            also.append(version_column)
        else:
            bump_version(conn)
        _write(conn, table, rows, plan.new[plan.write], [key], compare, extra, also)
    return _totals(counts, ("inserted", "updated", "unchanged"))


def _write(conn, table, rows, new, key, update, extra=None, extra_update=()) -> None:
    """Insert the ``new`` rows of ``rows`` and update the others."""
    bulk.insert(conn, table, rows.loc[new], extra)
    bulk.upsert(
        conn, table, rows.loc[~new], key=key, update=update, extra=extra,
        extra_update=extra_update,
    )


def ingested_firm_id(firm_key: str) -> str:
    """Return the id given to a new firm that arrives without one: stable for its key.

    >>> ingested_firm_id("91440300MA5XXXXXXX")
    'f-1c0e0659e1ac8668'
    """
    return "f-" + hashlib.sha1(firm_key.encode("utf-8")).hexdigest()[:16]


def upsert_firms(conn: sa.Connection, df: pd.DataFrame, now: dt.datetime) -> dict[str, int]:
    """Upsert firms keyed by ``firm_key``; a stored firm keeps its ``firm_id`` (see ``Store``)."""

    def prepare(rows: pd.DataFrame, existing: pd.DataFrame, plan: Plan) -> pd.DataFrame:
        position = plan.position[plan.write]
        stored = existing[C.FIRM_ID].to_numpy(dtype=object)
        ids = np.full(len(position), None, dtype=object)
        ids[position >= 0] = stored[position[position >= 0]]
        given = rows.pop(C.FIRM_ID).to_numpy(dtype=object) if C.FIRM_ID in rows else ids
        keys = rows[C.FIRM_KEY].to_numpy(dtype=object)
        ids[position < 0] = given[position < 0]
        for i in np.flatnonzero((position < 0) & np.equal(ids, None)):  # new and no id given
            ids[i] = ingested_firm_id(keys[i])
        rows.insert(0, C.FIRM_ID, ids)
        return rows.assign(**{M.CREATED_AT: now})

    columns = [n for n in C.FIRM_COLUMNS if n in df.columns]
    return upsert_rows(
        conn, M.FIRMS, df[columns], key=C.FIRM_KEY, stamp=M.UPDATED_AT,
        version_column=M.DATA_VERSION, load=[C.FIRM_ID], prepare=prepare, now=now,
    )


# --- replacing a scope --------------------------------------------------------------------
def replace_rows(
    conn: sa.Connection,
    table: sa.Table,
    df: pd.DataFrame,
    *,
    where: sa.ColumnElement[bool] | None = None,
    scope_column: str | None = None,
    scope: Sequence | None = None,
) -> dict[str, int]:
    """Make the stored rows in a scope equal to the rows of ``df``.

    The scope is the rows matching ``where`` and, with ``scope_column``, whose value is in
    ``scope`` (taken ``WRITE_CHUNK`` values at a time). Rows are matched on the primary key.

    Returns
    -------
    dict
        ``inserted``, ``updated``, ``deleted`` and ``unchanged`` counts.
    """
    key = [c.name for c in table.primary_key.columns]
    require_columns(df, key, table.name)
    names = [c.name for c in table.columns if c.name in df.columns]
    compare = [n for n in names if n not in key]
    require_unique(_keys(df, table, key), key, table.name)
    # an empty table (a first load): every row is new, none gone, nothing to look up
    fresh = bulk.is_empty(conn, table)
    if scope_column is None:
        rounds = [(df, None)]
    elif fresh:
        rounds = ((part, None) for part in _chunks(df[bulk.is_in(df[scope_column], scope)]))
    else:
        values = list(dict.fromkeys(scope))
        rounds = (
            (df[bulk.is_in(df[scope_column], chunk)], chunk)
            for chunk in (values[i : i + WRITE_CHUNK] for i in range(0, len(values), WRITE_CHUNK))
        )
    counts = Counter()
    for part, chunk in rounds:
        incoming = canonical(part, table, names).reset_index(drop=True)
        existing = empty_frame(table, key + compare) if fresh else bulk.load_rows(
            conn, table, key + compare, where=where,
            in_column=scope_column, in_values=chunk,
        )
        plan = plan_rows(incoming, existing, key, compare)
        counts += plan.counts()
        if plan.write.any() or plan.gone.any():
            bump_version(conn)
            bulk.delete(conn, table, existing.loc[plan.gone, key])
            _write(conn, table, incoming.loc[plan.write], plan.new[plan.write], key, compare)
    return _totals(counts, ("inserted", "updated", "deleted", "unchanged"))


def without_entered_needs(conn: sa.Connection, table: sa.Table, df: pd.DataFrame,
                          region_id: str) -> pd.DataFrame:
    """The rows of a region's file of leader needs, less those of a leader and node whose
    need was entered through the service (signed and dated: it stands until the leader
    changes it); any other table's rows as they are."""
    if table is not M.LEADER_NEEDS or df.empty:
        return df
    entered = conn.execute(sa.select(table.c[C.LEADER_FIRM_ID], table.c[C.NODE_ID]).where(
        (table.c[C.REGION_ID] == region_id) & table.c[M.ENTERED_BY].isnot(None))).all()
    if not entered:
        return df
    keys = set(map(tuple, entered))
    pairs = zip(df[C.LEADER_FIRM_ID].astype(str), df[C.NODE_ID].astype(str), strict=True)
    return df[[pair not in keys for pair in pairs]]


# --- adding rows once ---------------------------------------------------------------------
def add_rows(
    conn: sa.Connection,
    table: sa.Table,
    df: pd.DataFrame,
    *,
    key: Sequence[str],
    names: Sequence[str],
    extra: dict | None = None,
) -> dict[str, int]:
    """Insert the rows of ``df`` whose ``key`` is not stored yet (nor earlier in ``df``).

    Returns
    -------
    dict
        ``inserted`` and ``duplicate`` counts.
    """
    key = list(key)
    counts = Counter()
    for part in _chunks(df):
        incoming = canonical(part, table, names).reset_index(drop=True)
        existing = bulk.load_rows(
            conn, table, key, in_column=key[0], in_values=incoming[key[0]].tolist()
        )
        plan = plan_rows(incoming, existing, key, compare=[])
        fresh = plan.new & ~incoming.duplicated(subset=key).to_numpy()
        counts.update(inserted=int(fresh.sum()), duplicate=int((~fresh).sum()))
        if fresh.any():
            bump_version(conn)
            bulk.insert(conn, table, incoming.loc[fresh], extra)
    return _totals(counts, ("inserted", "duplicate"))


# --- error messages -----------------------------------------------------------------------
_SQLITE_COLUMNS = re.compile(r"constraint failed: (\w+)\.(\w+(?:, \w+\.\w+)*)")
_WRITTEN_TABLE = re.compile(r"^\s*(?:INSERT(?: OR \w+)? INTO|UPDATE)\s+\"?(\w+)", re.I)


def describe_integrity_error(exc: sa.exc.DBAPIError) -> str:
    """Say in words which constraint a failed write broke, and for which value if known."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    name = getattr(diag, "constraint_name", None) or _sqlite_constraint(text, exc.statement)
    parts = [M.CONSTRAINT_HINTS.get(name, text) if name else text]
    detail = getattr(diag, "message_detail", None)
    if detail:
        parts.append(detail)
    elif name in M.CONSTRAINT_HINTS:
        parts.append(f"({text})")
    return " ".join(parts)


def _sqlite_constraint(text: str, statement: str | None = None) -> str | None:
    """Find the constraint named or described by a SQLite error message (and the statement
    that failed: SQLite does not say which foreign key broke, the written table narrows it)."""
    for name in M.CONSTRAINT_HINTS:
        if text.endswith(f": {name}"):
            return name
    if text.startswith("FOREIGN KEY"):  # name the key when the written table has only one
        written = _WRITTEN_TABLE.search(statement or "")
        tables = ([M.Base.metadata.tables.get(written.group(1))] if written
                  else list(M.Base.metadata.tables.values()))
        keys = [c.name for t in tables if t is not None for c in t.constraints
                if isinstance(c, sa.ForeignKeyConstraint)]
        return keys[0] if len(keys) == 1 else None
    match = _SQLITE_COLUMNS.search(text)
    if match is None:
        return None
    table = M.Base.metadata.tables.get(match.group(1))
    columns = {part.split(".")[-1] for part in match.group(2).split(", ")}
    for constraint in table.constraints if table is not None else ():
        if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint):
            if {c.name for c in constraint.columns} == columns:
                return constraint.name
    return None


# --- sources of firm fields ---------------------------------------------------------------
def record_firm_sources(store, sources: pd.DataFrame, *, conn: sa.Connection | None = None
                        ) -> int:
    """Record where firm fields came from (columns firm_id, field, source, as_of).

    A field whose source is already recorded keeps it. Returns the number of rows recorded.
    """
    from recommender.store import pipeline_tables as PT

    table = PT.DATA_SOURCES

    def work(c: sa.Connection) -> int:
        if sources.empty:
            return 0
        firms = table.c[PT.SOURCE_TABLE] == M.FIRMS.name
        ids = table.c[PT.SOURCE_SUBJECT].in_(sorted(set(sources[C.FIRM_ID])))
        known = {tuple(r) for r in c.execute(sa.select(
            table.c[PT.SOURCE_SUBJECT], table.c[PT.SOURCE_FIELD]).where(firms & ids))}
        now = M.utcnow()
        rows = [{PT.SOURCE_TABLE: M.FIRMS.name, PT.SOURCE_SUBJECT: r[C.FIRM_ID],
                 PT.SOURCE_FIELD: r["field"], C.SOURCE: r[C.SOURCE], M.AS_OF: r[M.AS_OF],
                 M.RECORDED_AT: now}
                for r in sources.drop_duplicates([C.FIRM_ID, "field"]).to_dict("records")
                if (r[C.FIRM_ID], r["field"]) not in known]
        if rows:
            c.execute(sa.insert(table), rows)
        return len(rows)

    return work(conn) if conn is not None else store.write(work)
