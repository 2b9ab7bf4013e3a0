"""Chain leaders' needs (链主配套需求), entered by each leader's liaison, dated and signed.

A need says which node a local chain leader wants local suppliers for, how badly (``need``,
1–5, what the weak-link diagnosis sums), what volume, by when, and which countries supply it
now. It is a row of the region's ``leader_needs`` table (one per leader and node), with the
day it was entered (``as_of``) and who entered it (``entered_by``): the diagnosis reads the
table as it reads the region's own rows, and :func:`needs_of` gives them back with their date
and author. Entering a need changes the store's data version, so rankings are scored again.

>>> from recommender.store import open_store
>>> import pandas as pd
>>> store = open_store("sqlite://")
>>> _ = store.upsert_firms(pd.DataFrame({"firm_id": ["byd"], "firm_key": ["byd|CN"]}))
>>> row = enter_need(store, "guangdong", "byd", "lasers", {"need": 4, "volume": "2000台/年"},
...                  by="liaison", today=dt.date(2026, 12, 7))
>>> row["need"], row["as_of"], row["entered_by"]
(4.0, datetime.date(2026, 12, 7), 'liaison')
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.store import models as M
from recommender.store.writes import bump_version

__all__ = ["NEED_COLUMNS", "NEED_RANGE", "delete_need", "enter_need", "needs_of"]

NEED_RANGE = (1.0, 5.0)
NEED_COLUMNS = [c.name for c in M.LEADER_NEEDS.columns]
_TABLE = M.LEADER_NEEDS
_ISO2 = re.compile(r"[A-Z]{2}")


def enter_need(store, region_id: str, leader_firm_id: str, node_id: str,
               fields: Mapping[str, Any], *, by: str | None,
               node_ids: Collection[str] | None = None, region=None,
               today: dt.date | None = None) -> dict[str, Any]:
    """Enter (or replace) a leader's need for a node; return the stored row.

    Parameters
    ----------
    fields : mapping
        ``need`` (1–5, required), ``volume`` (text), ``needed_by`` (a date),
        ``supplier_countries`` (ISO 3166-1 alpha-2 codes), ``note``.
    by : str or None
        Who entered it.
    node_ids : collection of str, optional
        The chain's nodes; ``node_id`` must be one of them.
    region : Region, optional
        When the store holds no needs of the region yet, the region's own (from its files)
        are stored first: the diagnosis reads the store's rows instead of the files' once
        there are any, and must not lose those.

    Raises
    ------
    InvalidArgument
        A need outside 1–5, an unknown node, a malformed country code.
    NotFoundError
        The leader firm is not in the store.
    """
    need = fields.get(C.NEED)
    if isinstance(need, bool) or not isinstance(need, int | float) or not math.isfinite(
            need) or not NEED_RANGE[0] <= need <= NEED_RANGE[1]:
        raise InvalidArgument(f"need must be 1 to 5, got {need!r}",
                              [{"field": C.NEED, "message": "1 to 5"}])
    if node_ids is not None and node_id not in set(node_ids):
        raise InvalidArgument(f"node_id: {node_id!r} is not a node of the chain",
                              [{"field": C.NODE_ID, "message": "not a node of the chain"}])
    countries = [str(c).strip().upper() for c in fields.get(M.NEED_SUPPLIER_COUNTRIES) or ()]
    bad = [c for c in countries if not _ISO2.fullmatch(c)]
    if bad:
        raise InvalidArgument(f"supplier_countries: not ISO2 codes: {', '.join(bad)}",
                              [{"field": M.NEED_SUPPLIER_COUNTRIES, "message": "ISO2 codes"}])
    key = {C.REGION_ID: region_id, C.LEADER_FIRM_ID: leader_firm_id, C.NODE_ID: node_id}
    values = {C.NEED: float(need), M.NEED_VOLUME: fields.get(M.NEED_VOLUME),
              M.NEED_BY: fields.get(M.NEED_BY), M.NEED_SUPPLIER_COUNTRIES: countries,
              C.NOTE: fields.get(C.NOTE), C.IS_ILLUSTRATIVE: False,
              M.AS_OF: today or dt.datetime.now(dt.UTC).date(), M.ENTERED_BY: by}

    def work(conn: sa.Connection) -> dict[str, Any]:
        if conn.execute(sa.select(M.FIRMS.c[C.FIRM_ID]).where(
                M.FIRMS.c[C.FIRM_ID] == leader_firm_id)).first() is None:
            raise NotFoundError(f"no firm {leader_firm_id!r}")
        where = _where(key)
        if region is not None:
            _seed(conn, region)
        if conn.execute(sa.select(_TABLE.c[C.NODE_ID]).where(where)).first() is None:
            conn.execute(sa.insert(_TABLE).values({**key, **values}))
        else:
            conn.execute(sa.update(_TABLE).where(where).values(values))
        bump_version(conn)
        return dict(conn.execute(sa.select(_TABLE).where(where)).one()._mapping)

    return store.write(work)


def needs_of(store, region_id: str, *, leader_firm_id: str | None = None
             ) -> list[dict[str, Any]]:
    """Return a region's leader needs (of one leader with ``leader_firm_id``), with their date
    and who entered them (None for rows that came with the region's files)."""
    where = _TABLE.c[C.REGION_ID] == region_id
    if leader_firm_id is not None:
        where = where & (_TABLE.c[C.LEADER_FIRM_ID] == leader_firm_id)
    query = sa.select(_TABLE).where(where).order_by(_TABLE.c[C.LEADER_FIRM_ID],
                                                    _TABLE.c[C.NODE_ID])
    with store.snapshot() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def delete_need(store, region_id: str, leader_firm_id: str, node_id: str) -> None:
    """Delete a leader's need for a node; NotFoundError if there is none."""
    where = _where({C.REGION_ID: region_id, C.LEADER_FIRM_ID: leader_firm_id,
                    C.NODE_ID: node_id})

    def work(conn: sa.Connection) -> None:
        if not conn.execute(sa.delete(_TABLE).where(where)).rowcount:
            raise NotFoundError(f"no need of {leader_firm_id!r} for {node_id!r}")
        bump_version(conn)

    store.write(work)


def _seed(conn: sa.Connection, region) -> None:
    """Store the region's file rows of leader needs if the store has none of the region."""
    has = conn.execute(sa.select(_TABLE.c[C.NODE_ID]).where(
        _TABLE.c[C.REGION_ID] == region.id).limit(1)).first()
    rows = region.leader_needs
    if has is not None or rows is None or not len(rows):
        return
    names = [n for n in NEED_COLUMNS if n in rows.columns and n != C.REGION_ID]
    records = [{C.REGION_ID: region.id, **{n: _plain(r[n]) for n in names}}
               for r in rows.to_dict("records")]
    conn.execute(sa.insert(_TABLE), records)


def _plain(value: Any) -> Any:
    """A frame's missing value as None, numpy scalars as Python's."""
    if not isinstance(value, list | tuple) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _where(key: Mapping[str, Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*(_TABLE.c[k] == v for k, v in key.items()))
