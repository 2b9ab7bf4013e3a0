"""The store: ChainScout's system of record, on a SQLite file or a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.store import bulk, migrate
from recommender.store import models as M
from recommender.store import writes as W
from recommender.store.database import create_store_engine, run_transaction, writer
from recommender.store.frames import text_reader

__all__ = [
    "BATCH_COLUMNS",
    "BATCH_STATUSES",
    "CAMPAIGN_COLUMNS",
    "OUTCOME_READ_COLUMNS",
    "PARK_COLUMNS",
    "Store",
    "open_store",
]

PARK_COLUMNS = [
    C.PARK_ID, C.PARK_NAME_ZH, C.PARK_NAME_EN, C.CITY_ID, C.LAT, C.LON, C.FOCUS_NODES,
    C.LAND_HA, C.BUILDING_M2, C.POWER_MVA, C.CLEAN_ROOM_M2, C.RENT, C.INCENTIVES_ZH,
    C.INCENTIVES_EN, C.MAX_NEW_FIRMS, C.TENANTS, C.IS_ILLUSTRATIVE, C.SOURCE,
]
CAMPAIGN_COLUMNS = [
    C.CAMPAIGN_ID, C.CAMPAIGN_NAME, C.REGION_ID, C.NODE_ID, C.DATE, C.IS_SYNTHETIC,
]
OUTCOME_READ_COLUMNS = [*C.OUTCOME_COLUMNS, C.NOTE, C.SOURCE, M.RECORDED_AT, M.RECORDED_BY]
BATCH_COLUMNS = [c.name for c in M.IMPORT_BATCHES.columns]
BATCH_STATUSES = ("ok", "failed")
_T = TypeVar("_T")


def open_store(url: str | None = None, *, upgrade: bool = True) -> Store:
    """Open the store at ``url`` and bring its schema up to date.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL; default ``load_settings().database_url`` (a SQLite file under
        ``var/``). ``postgresql://`` URLs use the psycopg driver.
    upgrade : bool
        Run the packaged migrations up to the newest revision first.

    Raises
    ------
    DependencyError
        The URL is PostgreSQL and psycopg is not installed.

    Examples
    --------
    >>> store = open_store("sqlite://")
    >>> store.data_version()
    0
    >>> store.close()
    """
    if url is None:
        from recommender.config import load_settings

        url = load_settings().database_url
    store = Store(create_store_engine(url))
    if upgrade:
        store.upgrade()
    return store


class Store:
    """Read and write ChainScout's tables; every write is one transaction.

    Writes take an optional ``conn`` (from :meth:`transaction`) so that several of them land
    together or not at all. They check nothing beyond the database's constraints, and a broken
    constraint raises :class:`~recommender.exceptions.DataError` saying which.
    Readers return DataFrames with the names of :mod:`recommender.columns`.

    Examples
    --------
    >>> import pandas as pd
    >>> store = open_store("sqlite://")
    >>> firms = pd.DataFrame({"firm_key": ["keyence|JP"], "name": ["Keyence"]})
    >>> store.upsert_firms(firms)
    {'inserted': 1, 'updated': 0, 'unchanged': 0}
    >>> store.upsert_firms(firms)
    {'inserted': 0, 'updated': 0, 'unchanged': 1}
    >>> store.firms()[["firm_id", "name"]].to_dict("records")
    [{'firm_id': 'f-2d46a280fe5be79f', 'name': 'Keyence'}]
    >>> store.close()
    """

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.writer = writer(engine)  # the same pool; SQLite transactions BEGIN IMMEDIATE

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def backend(self) -> str:
        """The kind of database: ``sqlite`` or ``postgresql``."""
        return self.engine.url.get_backend_name()

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # --- schema ---------------------------------------------------------------------------
    def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision``; a store already there is left alone."""
        migrate.upgrade(self.writer, revision)

    def downgrade(self, revision: str) -> None:
        """Run the migrations down to ``revision`` (``"base"`` drops every table)."""
        migrate.downgrade(self.writer, revision)

    def revision(self) -> str | None:
        """Return the schema revision of the database (None before any migration)."""
        return migrate.current_revision(self.engine)

    # --- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """Yield a connection whose writes are committed together at the end, or not at all.

        It is a writer's (on SQLite it holds the write lock from the start: other writers
        wait). A failure is not tried again; :meth:`write` tries again.

        >>> with store.transaction() as conn:  # doctest: +SKIP
        ...     store.upsert_firms(firms, conn=conn)
        ...     store.replace_firm_nodes(links, conn=conn)
        """
        with self.writer.begin() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """Yield a connection whose reads all see one state of the store (no writes).

        On SQLite it does not hold the write lock, so writers go on meanwhile.
        """
        with self.engine.begin() as conn:
            yield conn

    def write(self, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work(conn)`` in one write transaction and return its result.

        A transient failure (another writer, a dropped connection) is tried again briefly
        (:func:`~recommender.store.database.run_transaction`), so ``work`` must be safe to
        run more than once.
        """
        return run_transaction(self.writer, work)

    def _write(
        self, conn: sa.Connection | None, action: str, work: Callable[[sa.Connection], _T]
    ) -> _T:
        """Run ``work`` in ``conn`` or in a transaction of its own (tried again on a
        transient failure); a broken constraint is a DataError saying ``action``."""
        try:
            return work(conn) if conn is not None else self.write(work)
        except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
            raise DataError(f"{action}: {W.describe_integrity_error(exc)}") from exc

    @contextmanager
    def _reading(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as own:
                yield own

    def data_version(self, *, conn: sa.Connection | None = None) -> int:
        """Return the store-wide data version; every write that changes data increases it."""
        with self._reading(conn) as c:
            return W.current_version(c)

    # --- firms ----------------------------------------------------------------------------
    def upsert_firms(self, df: pd.DataFrame, *, conn: sa.Connection | None = None) -> dict:
        """Insert new firms and update changed ones, keyed by ``firm_key``.

        A known key keeps its ``firm_id``; a new row takes its ``firm_id`` if given, else a
        stable ``f-…`` id derived from the key. Columns absent from ``df`` are left as stored.
        Rows equal to the stored ones are not written, and if nothing changed the data version
        stays the same.

        Returns
        -------
        dict
            ``inserted``, ``updated`` and ``unchanged`` row counts.
        """
        return self._write(conn, "cannot store firms", lambda c: W.upsert_firms(c, df, M.utcnow()))

    def replace_firm_nodes(
        self,
        df: pd.DataFrame,
        *,
        method: str | None = None,
        firm_ids: Sequence[str] | None = None,
        conn: sa.Connection | None = None,
    ) -> dict:
        """Make the stored links of some firms equal to the rows of ``df``.

        The firms are those of ``df`` (or ``firm_ids``, so that a firm can lose all its
        links); with ``method``, only links found by that method are touched and ``df`` may
        omit the ``method`` column.

        Returns
        -------
        dict
            ``inserted``, ``updated``, ``deleted`` and ``unchanged`` link counts.
        """
        table = M.FIRM_NODES
        W.require_columns(df, [C.FIRM_ID, C.NODE_ID], "firm nodes")
        df = W.fill_column(df, C.METHOD, method, "firm nodes")
        scope = list(dict.fromkeys(firm_ids if firm_ids is not None else df[C.FIRM_ID]))
        outside = ~bulk.is_in(df[C.FIRM_ID], scope)
        if outside.any():
            raise DataError(f"firm nodes: {int(outside.sum())} rows are for firms not in firm_ids")
        where = table.c[C.METHOD] == method if method is not None else None
        return self._write(conn, "cannot store firm nodes", lambda c: W.replace_rows(
            c, table, df, where=where, scope_column=C.FIRM_ID, scope=scope))

    # --- campaigns and outcomes -----------------------------------------------------------
    def upsert_campaigns(self, df: pd.DataFrame, *, conn: sa.Connection | None = None) -> dict:
        """Insert new campaigns and update changed ones, keyed by ``campaign_id``."""
        return self._write(conn, "cannot store campaigns",
                           lambda c: W.upsert_rows(c, M.CAMPAIGNS, df, key=C.CAMPAIGN_ID))

    def add_outcomes(self, df: pd.DataFrame, *, conn: sa.Connection | None = None) -> dict:
        """Add outcomes; one already stored (same firm, node, campaign, date, stage) is skipped.

        ``note``, ``source``, ``recorded_by``, ``recorded_by_key`` and ``recorded_at``
        (default: now) are optional.

        Returns
        -------
        dict
            ``inserted`` and ``duplicate`` row counts.
        """
        table, key = M.OUTCOMES, list(C.OUTCOME_COLUMNS)
        W.require_columns(df, key, "outcomes")
        optional = [C.NOTE, C.SOURCE, M.RECORDED_BY, M.RECORDED_BY_KEY, M.RECORDED_AT]
        names = key + [n for n in optional if n in df.columns]
        now = M.utcnow()
        if M.RECORDED_AT in df.columns:
            df = df.assign(**{M.RECORDED_AT: pd.to_datetime(df[M.RECORDED_AT]).fillna(now)})
        extra = None if M.RECORDED_AT in df.columns else {M.RECORDED_AT: now}
        return self._write(conn, "cannot add outcomes", lambda c: W.add_rows(
            c, table, df, key=key, names=names, extra=extra))

    # --- parks ----------------------------------------------------------------------------
    def upsert_parks(self, df: pd.DataFrame, *, conn: sa.Connection | None = None) -> dict:
        """Insert new parks and update changed ones, keyed by ``park_id``.

        ``focus_nodes`` and ``tenants`` are lists (a JSON text of a list is read too).
        """
        return self._write(conn, "cannot store parks", lambda c: W.upsert_rows(
            c, M.PARKS, df, key=C.PARK_ID, stamp=M.UPDATED_AT, now=M.utcnow()))

    def delete_park(self, park_id: str, *, conn: sa.Connection | None = None) -> None:
        """Delete a park; NotFoundError if there is none with this id."""
        table = M.PARKS

        def delete(c: sa.Connection) -> None:
            gone = c.execute(sa.delete(table).where(table.c[C.PARK_ID] == park_id)).rowcount
            if not gone:
                raise NotFoundError(f"no park {park_id!r}")
            W.bump_version(c)

        self._write(conn, "cannot delete park", delete)

    # --- region tables --------------------------------------------------------------------
    def replace_region_table(
        self, name: str, region_id: str, df: pd.DataFrame, *, conn: sa.Connection | None = None
    ) -> dict:
        """Make a region's rows of ``region_imports`` (or ``imports``), ``export_controls`` or
        ``leader_needs`` equal to ``df`` (whose ``region_id`` column may be omitted).

        Returns
        -------
        dict
            ``inserted``, ``updated``, ``deleted`` and ``unchanged`` row counts.
        """
        table = _region_table(name)
        df = W.fill_column(df, C.REGION_ID, region_id, name)
        where = table.c[C.REGION_ID] == region_id
        if table is M.LEADER_NEEDS:  # a need a leader's liaison entered is not the file's
            where = where & table.c[M.ENTERED_BY].is_(None)
        return self._write(conn, f"cannot store {name}", lambda c: W.replace_rows(
            c, table, W.without_entered_needs(c, table, df, region_id), where=where))

    # --- audit trail ----------------------------------------------------------------------
    def record_batch(
        self,
        kind: str,
        *,
        file: str | None = None,
        sha256: str | None = None,
        rows: int | None = None,
        conn: sa.Connection | None = None,
    ) -> int:
        """Open an entry of the import audit trail (status ``running``) and return its id.

        ``kind`` says what was imported (firms, outcomes, demo, ...), ``file`` the file's name,
        ``sha256`` its digest. Call it outside the import's transaction, so that a failed
        import stays on record, then :meth:`finish_batch`.
        """
        values = {
            M.BATCH_KIND: kind, M.BATCH_FILE: file, M.BATCH_SHA256: sha256,
            M.BATCH_ROWS: rows, M.BATCH_STARTED: M.utcnow(), M.BATCH_STATUS: "running",
        }
        return self._write(conn, "cannot record import batch", lambda c: int(
            c.execute(sa.insert(M.IMPORT_BATCHES).values(values)).inserted_primary_key[0]))

    def finish_batch(
        self,
        batch_id: int,
        *,
        status: str = "ok",
        inserted: int | None = None,
        updated: int | None = None,
        unchanged: int | None = None,
        message: str | None = None,
        conn: sa.Connection | None = None,
    ) -> None:
        """Close an audit entry with its outcome (``ok`` or ``failed``) and counts."""
        if status not in BATCH_STATUSES:
            raise DataError(f"batch status {status!r}: expected one of {BATCH_STATUSES}")
        table = M.IMPORT_BATCHES
        values = {
            M.BATCH_STATUS: status, M.BATCH_FINISHED: M.utcnow(), M.BATCH_MESSAGE: message,
            M.BATCH_INSERTED: inserted, M.BATCH_UPDATED: updated, M.BATCH_UNCHANGED: unchanged,
        }

        def finish(c: sa.Connection) -> None:
            done = c.execute(sa.update(table).where(table.c[M.ID] == batch_id).values(values))
            if not done.rowcount:
                raise NotFoundError(f"no import batch {batch_id}")

        self._write(conn, "cannot finish import batch", finish)

    # --- readers --------------------------------------------------------------------------
    record_firm_sources = W.record_firm_sources  # where fields of firms came from

    def firms(
        self,
        *,
        firm_ids: Sequence[str] | None = None,
        countries: Sequence[str] | None = None,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
        conn: sa.Connection | None = None,
    ) -> pd.DataFrame:
        """Return firms (``FIRM_COLUMNS``, or ``firm_id`` and ``columns``) by id, maybe filtered."""
        table, keep = M.FIRMS, set(C.FIRM_COLUMNS if columns is None else [C.FIRM_ID, *columns])
        where = table.c[C.COUNTRY].in_(list(countries)) if countries is not None else None
        convert, names = text_reader(table), [n for n in C.FIRM_COLUMNS if n in keep]
        with self._reading(conn) as c:
            if firm_ids is None:
                query = sa.select(*(table.c[n] for n in names))
                query = query.where(where) if where is not None else query
                query = query.order_by(table.c[C.FIRM_ID]).limit(limit)
                return bulk.read_frame(c, query, table, names, convert=convert)
            frame = bulk.load_rows(
                c, table, names, where=where, in_column=C.FIRM_ID,
                in_values=list(firm_ids), order_by=[C.FIRM_ID], convert=convert,
            )
        return frame.head(limit) if limit is not None else frame

    def firm_ids_by_key(
        self, firm_keys: Sequence[str], *, conn: sa.Connection | None = None
    ) -> dict[str, str]:
        """Return ``{firm_key: firm_id}`` for the given keys that are stored."""
        table = M.FIRMS
        with self._reading(conn) as c:
            found = bulk.load_rows(
                c, table, [C.FIRM_KEY, C.FIRM_ID], in_column=C.FIRM_KEY, in_values=list(firm_keys)
            )
        return dict(zip(found[C.FIRM_KEY], found[C.FIRM_ID], strict=True))

    def firm_id_set(self, *, conn: sa.Connection | None = None) -> set[str]:
        """Return the ids of every stored firm."""
        with self._reading(conn) as c:
            return set(c.execute(sa.select(M.FIRMS.c[C.FIRM_ID])).scalars())

    def corrected_firm_ids(self, *, conn: sa.Connection | None = None) -> set[str]:
        """Return the firms whose nodes a person corrected (imports keep their links)."""
        from recommender.store.corrections import corrected_firm_ids

        return corrected_firm_ids(self, conn=conn)

    def firm(self, firm_id: str, *, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Return one firm as a dict, with ``created_at``, ``updated_at`` and ``data_version``."""
        return self._one(M.FIRMS, C.FIRM_ID, firm_id, "firm", conn)

    def firm_nodes(
        self,
        *,
        firm_ids: Sequence[str] | None = None,
        node_ids: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        conn: sa.Connection | None = None,
    ) -> pd.DataFrame:
        """Return links (``FIRM_NODE_COLUMNS``, or keys and ``columns``), maybe of some firms."""
        table, order = M.FIRM_NODES, [C.FIRM_ID, C.NODE_ID, C.METHOD]
        where = table.c[C.NODE_ID].in_(list(node_ids)) if node_ids is not None else None
        names = [n for n in C.FIRM_NODE_COLUMNS if columns is None or n in {*order, *columns}]
        with self._reading(conn) as c:
            return bulk.load_rows(
                c, table, names, where=where, order_by=order, convert=text_reader(table),
                in_column=C.FIRM_ID if firm_ids is not None else None,
                in_values=list(firm_ids) if firm_ids is not None else None,
            )

    def campaigns(self, *, conn: sa.Connection | None = None) -> pd.DataFrame:
        """Return every campaign, by start date."""
        return self._table(M.CAMPAIGNS, CAMPAIGN_COLUMNS, [C.DATE, C.CAMPAIGN_ID], conn=conn)

    def outcomes(
        self, *, firm_id: str | None = None, conn: sa.Connection | None = None
    ) -> pd.DataFrame:
        """Return outcomes by date (those of one firm with ``firm_id``)."""
        table = M.OUTCOMES
        where = table.c[C.FIRM_ID] == firm_id if firm_id is not None else None
        return self._table(
            table, OUTCOME_READ_COLUMNS, [C.DATE, M.ID], where=where, conn=conn
        )

    def parks(self, *, conn: sa.Connection | None = None) -> pd.DataFrame:
        """Return every park; ``focus_nodes`` and ``tenants`` hold lists."""
        return self._table(M.PARKS, PARK_COLUMNS, [C.PARK_ID], conn=conn)

    def park(self, park_id: str, *, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Return one park as a dict (with ``updated_at``); NotFoundError if absent."""
        return self._one(M.PARKS, C.PARK_ID, park_id, "park", conn)

    def region_table(
        self, name: str, region_id: str, *, conn: sa.Connection | None = None
    ) -> pd.DataFrame:
        """Return a region's rows of ``region_imports``, ``export_controls`` or ``leader_needs``."""
        table = _region_table(name)
        names = [col.name for col in table.columns]
        order = [col.name for col in table.primary_key.columns]
        where = table.c[C.REGION_ID] == region_id
        return self._table(table, names, order, where=where, conn=conn)

    def import_batches(self, *, conn: sa.Connection | None = None) -> pd.DataFrame:
        """Return the import audit trail, oldest first."""
        return self._table(M.IMPORT_BATCHES, BATCH_COLUMNS, [M.ID], conn=conn)

    def summary(self, *, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Return row counts per table, synthetic and real firm counts, and the data version."""
        tables = [t for t in M.Base.metadata.sorted_tables if t is not M.META]
        synthetic = M.FIRMS.c[C.IS_SYNTHETIC]
        with self._reading(conn) as c:
            counts = {
                t.name: c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in tables
            }
            fake = c.execute(
                sa.select(sa.func.count()).select_from(M.FIRMS).where(synthetic.is_(True))
            ).scalar_one()
            version = W.current_version(c)
        return {
            "tables": counts,
            "synthetic_firms": fake,
            "real_firms": counts[M.FIRMS.name] - fake,
            "data_version": version,
        }

    # --- shared machinery -----------------------------------------------------------------
    def _table(
        self,
        table: sa.Table,
        names: Sequence[str],
        order: Sequence[str],
        *,
        where: sa.ColumnElement[bool] | None = None,
        conn: sa.Connection | None,
    ) -> pd.DataFrame:
        query = sa.select(*(table.c[n] for n in names)).order_by(*(table.c[n] for n in order))
        query = query.where(where) if where is not None else query
        with self._reading(conn) as c:
            return bulk.read_frame(c, query, table, names, convert=text_reader(table))

    def _one(
        self, table: sa.Table, key: str, value: str, what: str, conn: sa.Connection | None
    ) -> dict[str, Any]:
        with self._reading(conn) as c:
            row = c.execute(sa.select(table).where(table.c[key] == value)).first()
        if row is None:
            raise NotFoundError(f"no {what} {value!r}")
        return dict(row._mapping)


def _region_table(name: str) -> sa.Table:
    try:
        return M.REGION_TABLES[M.REGION_TABLE_ALIASES.get(name, name)]
    except KeyError:
        known = ", ".join([*M.REGION_TABLES, *M.REGION_TABLE_ALIASES])
        raise NotFoundError(f"no region table {name!r}; known: {known}") from None
