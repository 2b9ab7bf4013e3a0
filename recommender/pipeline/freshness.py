"""Where data came from and how old it is: the source and as-of date of every firm field and
every region table, and the data older than an age.

A firm's fields take the firm's ``source`` and the day it was last written (``updated_at``)
unless a row of ``data_sources`` says otherwise for a field (``table_name`` ``firms``,
``subject`` the firm's id, ``field`` the column, or ``*`` for all of them). A region table's
source and as-of date are a row of ``data_sources`` with ``subject`` the region's id and
``field`` ``*``; the leaders' needs entered through the service carry their own dates. A
region table without a recorded date is listed as stale: nobody can say how old it is.

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> _ = record_source(store, "region_imports", "guangdong", "海关总署 2025", dt.date(2025, 3, 1),
...                   by="admin")
>>> [(r["table_name"], r["age_days"]) for r in stale_data(
...     store, max_age_days=365, today=dt.date(2026, 12, 7), region_id="guangdong")]
[('export_controls', None), ('leader_needs', None), ('region_imports', 646)]
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.store import models as M
from recommender.store import pipeline_tables as PT

__all__ = [
    "ALL_FIELDS",
    "DEFAULT_MAX_AGE_DAYS",
    "REGION_SOURCE_TABLES",
    "SOURCED_TABLES",
    "firm_sources",
    "record_source",
    "region_sources",
    "stale_data",
]

ALL_FIELDS = "*"
DEFAULT_MAX_AGE_DAYS = 365
REGION_SOURCE_TABLES = (M.REGION_IMPORTS.name, M.EXPORT_CONTROLS.name, M.LEADER_NEEDS.name)
SOURCED_TABLES = (M.FIRMS.name, *REGION_SOURCE_TABLES)
_TABLE = PT.DATA_SOURCES


def record_source(store, table_name: str, subject: str, source: str, as_of: dt.date, *,
                  field: str = ALL_FIELDS, by: str | None = None) -> dict[str, Any]:
    """Record (or replace) the source and as-of date of a firm's field or a region's table."""
    if table_name not in SOURCED_TABLES:
        raise InvalidArgument(f"table_name must be one of {', '.join(SOURCED_TABLES)}, "
                              f"got {table_name!r}")
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument("source: say where the data came from")
    key = {PT.SOURCE_TABLE: table_name, PT.SOURCE_SUBJECT: subject, PT.SOURCE_FIELD: field}
    values = {C.SOURCE: source.strip(), M.AS_OF: as_of, M.RECORDED_AT: M.utcnow(),
              M.RECORDED_BY: by}
    where = sa.and_(*(_TABLE.c[k] == v for k, v in key.items()))

    def work(conn: sa.Connection) -> dict[str, Any]:
        if conn.execute(sa.select(_TABLE.c[M.ID]).where(where)).first() is None:
            conn.execute(sa.insert(_TABLE).values({**key, **values}))
        else:
            conn.execute(sa.update(_TABLE).where(where).values(values))
        return dict(conn.execute(sa.select(_TABLE).where(where)).one()._mapping)

    return store.write(work)


def firm_sources(store, firm_id: str) -> dict[str, dict[str, Any]]:
    """Return ``{field: {"source", "as_of"}}`` for every column of one firm (NotFoundError if
    there is no such firm)."""
    firm = store.firm(firm_id)
    default = {C.SOURCE: firm[C.SOURCE], M.AS_OF: firm[M.UPDATED_AT].date()}
    query = sa.select(_TABLE).where((_TABLE.c[PT.SOURCE_TABLE] == M.FIRMS.name)
                                    & (_TABLE.c[PT.SOURCE_SUBJECT] == firm_id))
    with store.snapshot() as conn:
        given = {r._mapping[PT.SOURCE_FIELD]: {C.SOURCE: r._mapping[C.SOURCE],
                                              M.AS_OF: r._mapping[M.AS_OF]}
                 for r in conn.execute(query)}
    default = given.get(ALL_FIELDS, default)
    return {name: given.get(name, default) for name in C.FIRM_COLUMNS}


def region_sources(store, region_id: str) -> dict[str, dict[str, Any]]:
    """Return ``{table: {"source", "as_of"}}`` for the region's tables (None where unknown);
    the leaders' needs take their newest entry's date when none is recorded."""
    query = sa.select(_TABLE).where((_TABLE.c[PT.SOURCE_TABLE].in_(REGION_SOURCE_TABLES))
                                    & (_TABLE.c[PT.SOURCE_SUBJECT] == region_id))
    needs = M.LEADER_NEEDS
    with store.snapshot() as conn:
        given = {r._mapping[PT.SOURCE_TABLE]: {C.SOURCE: r._mapping[C.SOURCE],
                                              M.AS_OF: r._mapping[M.AS_OF]}
                 for r in conn.execute(query)}
        entered = conn.execute(sa.select(sa.func.max(needs.c[M.AS_OF])).where(
            needs.c[C.REGION_ID] == region_id)).scalar()
    out = {name: given.get(name, {C.SOURCE: None, M.AS_OF: None})
           for name in REGION_SOURCE_TABLES}
    if out[M.LEADER_NEEDS.name][M.AS_OF] is None and entered is not None:
        out[M.LEADER_NEEDS.name] = {C.SOURCE: "entered by chain leaders", M.AS_OF: entered}
    return out


def stale_data(store, *, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
               today: dt.date | None = None, region_id: str | None = None
               ) -> list[dict[str, Any]]:
    """Return the data older than ``max_age_days`` (or of unknown age), oldest first.

    Rows: ``table_name``, ``subject`` (a firm's or the region's id), ``field`` (``*``: the
    whole row or table), ``source``, ``as_of`` (None: unknown) and ``age_days``. Firms are
    listed once each, by their newest date; region tables when ``region_id`` is given.
    """
    if not 0 <= max_age_days <= 36_500:
        raise InvalidArgument(f"max_age_days must be 0 to 36500, got {max_age_days!r}")
    today = today or dt.datetime.now(dt.UTC).date()
    cutoff = today - dt.timedelta(days=max_age_days)
    firms = M.FIRMS
    out = []
    given = sa.select(_TABLE).where(_TABLE.c[PT.SOURCE_TABLE] == firms.name)
    with store.snapshot() as conn:
        explicit = {}
        for row in conn.execute(given):
            m = row._mapping
            explicit.setdefault(m[PT.SOURCE_SUBJECT], []).append(m)
        query = sa.select(firms.c[C.FIRM_ID], firms.c[C.SOURCE], firms.c[M.UPDATED_AT]).where(
            firms.c[M.UPDATED_AT] < dt.datetime.combine(cutoff, dt.time()))
        for firm_id, source, updated in conn.execute(query):
            if firm_id not in explicit:
                out.append(_stale(firms.name, firm_id, ALL_FIELDS, source, updated.date(),
                                  today))
    for firm_id, rows in explicit.items():
        out += [_stale(firms.name, firm_id, m[PT.SOURCE_FIELD], m[C.SOURCE], m[M.AS_OF], today)
                for m in rows if m[M.AS_OF] < cutoff]
    if region_id is not None:
        for table, found in region_sources(store, region_id).items():
            if found[M.AS_OF] is None or found[M.AS_OF] < cutoff:
                out.append(_stale(table, region_id, ALL_FIELDS, found[C.SOURCE],
                                  found[M.AS_OF], today))
    return sorted(out, key=lambda r: (r[M.AS_OF] is not None, r[M.AS_OF] or dt.date.min,
                                      r[PT.SOURCE_TABLE], r[PT.SOURCE_SUBJECT]))


def _stale(table: str, subject: str, field: str, source: str | None, as_of: dt.date | None,
           today: dt.date) -> dict[str, Any]:
    return {PT.SOURCE_TABLE: table, PT.SOURCE_SUBJECT: subject, PT.SOURCE_FIELD: field,
            C.SOURCE: source, M.AS_OF: as_of,
            "age_days": (today - as_of).days if as_of is not None else None}
