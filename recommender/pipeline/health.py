"""The chain's health over time: weak-link snapshots by date, each link's score over time,
what changed and why, and the links no project addresses yet.

:func:`take_snapshot` diagnoses the region's chain over the store as it is (firms, plants of
projects in production, the region's tables and the leaders' dated needs) and keeps one row
per node for the day (a second snapshot on the same day replaces the first); the command
``chainscout weak-links snapshot`` runs it, on demand or each night. :func:`score_history`
gives each link's score by day, :func:`link_changes` the change of each link between two
days with the components that moved it, and :func:`unaddressed_links` the recruitable weak
links that no running or landed project is for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.pipeline import transitions as T
from recommender.store import models as M
from recommender.store import pipeline_tables as PT

__all__ = [
    "CHANGE_TOLERANCE",
    "SNAPSHOT_COLUMNS",
    "link_changes",
    "score_history",
    "snapshot_days",
    "take_snapshot",
    "unaddressed_links",
]

SNAPSHOT_COLUMNS = [C.NODE_ID, C.WEAK_LINK_SCORE, C.RANK, C.LOCAL_FIRMS, C.LOCAL_GAP,
                    C.DEMAND, C.LEADER_NEED]
CHANGE_TOLERANCE = 1e-9  # a score that moved less than this did not move
_TABLE = PT.WEAK_LINK_SNAPSHOTS
# component -> (what it says in zh, in en) when it moved the score
_WHY = {
    C.LOCAL_FIRMS: ("本地企业由{a}家变为{b}家", "local firms {a} -> {b}"),
    C.LOCAL_GAP: ("本地缺口由{a:.2f}变为{b:.2f}", "local gap {a:.2f} -> {b:.2f}"),
    C.DEMAND: ("需求由{a:.2f}变为{b:.2f}", "demand {a:.2f} -> {b:.2f}"),
    C.LEADER_NEED: ("链主需求由{a:g}变为{b:g}", "leaders' need {a:g} -> {b:g}"),
}


def take_snapshot(store, chain, region, *, settings=None, on: dt.date | None = None
                  ) -> pd.DataFrame:
    """Diagnose the weak links over the store now and keep them as the snapshot of ``on``.

    Returns the diagnosis (:func:`recommender.diagnosis.weak_links.diagnose_weak_links`).
    """
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data

    on = on or dt.datetime.now(dt.UTC).date()
    data = load_chain_data(store, chain=chain, region=region)
    table = diagnose_weak_links(chain, data.region, data.firms, data.firm_nodes,
                                settings=settings)
    now = M.utcnow()
    rows = [{C.REGION_ID: region.id, PT.SNAPSHOT_CHAIN_ID: chain.id, PT.SNAPSHOT_TAKEN_ON: on,
             PT.SNAPSHOT_TAKEN_AT: now, M.DATA_VERSION: int(data.data_version),
             **{c: _plain(record[c]) for c in SNAPSHOT_COLUMNS}}
            for record in table.to_dict("records")]
    day = ((_TABLE.c[C.REGION_ID] == region.id) & (_TABLE.c[PT.SNAPSHOT_CHAIN_ID] == chain.id)
           & (_TABLE.c[PT.SNAPSHOT_TAKEN_ON] == on))

    def work(conn: sa.Connection) -> None:
        conn.execute(sa.delete(_TABLE).where(day))
        conn.execute(sa.insert(_TABLE), rows)

    store.write(work)
    return table


def snapshot_days(store, *, region_id: str, chain_id: str) -> list[dt.date]:
    """Return the days with a snapshot, oldest first."""
    query = (sa.select(_TABLE.c[PT.SNAPSHOT_TAKEN_ON]).distinct()
             .where(_of(region_id, chain_id)).order_by(_TABLE.c[PT.SNAPSHOT_TAKEN_ON]))
    with store.snapshot() as conn:
        return list(conn.execute(query).scalars())


def score_history(store, *, region_id: str, chain_id: str,
                  node_ids: Sequence[str] | None = None, since: dt.date | None = None
                  ) -> list[dict[str, Any]]:
    """Return each link's score over time: ``node_id`` and ``points`` (``taken_on`` and the
    snapshot's columns, oldest first), links in the order of their latest rank."""
    where = [_of(region_id, chain_id)]
    if node_ids is not None:
        where.append(_TABLE.c[C.NODE_ID].in_(list(node_ids)))
    if since is not None:
        where.append(_TABLE.c[PT.SNAPSHOT_TAKEN_ON] >= since)
    query = sa.select(_TABLE).where(*where).order_by(_TABLE.c[PT.SNAPSHOT_TAKEN_ON],
                                                     _TABLE.c[M.ID])
    series: dict[str, list[dict[str, Any]]] = {}
    with store.snapshot() as conn:
        for row in conn.execute(query):
            m = row._mapping
            series.setdefault(m[C.NODE_ID], []).append(
                {PT.SNAPSHOT_TAKEN_ON: m[PT.SNAPSHOT_TAKEN_ON],
                 **{c: m[c] for c in SNAPSHOT_COLUMNS if c != C.NODE_ID}})

    def latest_rank(item: tuple[str, list]) -> tuple:
        rank = item[1][-1][C.RANK]
        return (rank is None, rank if rank is not None else 0, item[0])

    return [{C.NODE_ID: node, "points": points}
            for node, points in sorted(series.items(), key=latest_rank)]


def link_changes(store, *, region_id: str, chain_id: str, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[dict[str, Any]]:
    """Return how each link's score changed from ``start`` to ``end`` (default: the first and
    the latest snapshot), improved (the score fell) first, with the components that moved.

    Each row: ``node_id``, ``score_before``, ``score_after``, ``change``, ``improved``, and
    ``why`` (``zh`` and ``en`` lists of the components that changed visibly: a component
    that moved by less than its shown precision, 0.01, is not named).
    """
    days = snapshot_days(store, region_id=region_id, chain_id=chain_id)
    if not days:
        return []
    start, end = start or days[0], end or days[-1]
    if start > end:
        raise InvalidArgument(f"start {start} is after end {end}")
    before, after = _day(store, region_id, chain_id, start), _day(store, region_id, chain_id, end)
    out = []
    for node, new in after.items():
        old = before.get(node)
        if old is None:
            continue
        change = new[C.WEAK_LINK_SCORE] - old[C.WEAK_LINK_SCORE]
        why = {"zh": [], "en": []}
        for column, (zh, en) in _WHY.items():
            a, b = old[column], new[column]
            if a is None or b is None or abs(b - a) <= CHANGE_TOLERANCE:
                continue
            said = zh.format(a=a, b=b)
            if zh.format(a=a, b=a) == said:  # a change too small to show says nothing
                continue
            why["zh"].append(said)
            why["en"].append(en.format(a=a, b=b))
        out.append({C.NODE_ID: node, "score_before": old[C.WEAK_LINK_SCORE],
                    "score_after": new[C.WEAK_LINK_SCORE], "change": change,
                    "improved": change < -CHANGE_TOLERANCE, "why": why})
    return sorted(out, key=lambda r: (r["change"], r[C.NODE_ID]))


def unaddressed_links(store, weak_links: pd.DataFrame, *, top: int | None = None
                      ) -> list[dict[str, Any]]:
    """Return the recruitable weak links (by rank) that no project addresses: none running
    (on hold included) or landed, only lost ones or none at all.

    ``weak_links`` is a diagnosis (:func:`take_snapshot`'s or the service's); ``top`` keeps
    the ``top`` weakest links before looking.
    """
    ranked = weak_links[weak_links[C.RANK].notna()].sort_values(C.RANK)
    if top is not None:
        ranked = ranked.head(top)
    projects = PT.PROJECTS
    query = sa.select(projects.c[C.NODE_ID]).distinct().where(
        projects.c[PT.PROJECT_STAGE] != T.LOST)
    with store.snapshot() as conn:
        addressed = set(conn.execute(query).scalars())
    free = ranked[~ranked[C.NODE_ID].isin(addressed)]
    return [{C.NODE_ID: r[C.NODE_ID], C.NODE_NAME_ZH: r[C.NODE_NAME_ZH],
             C.NODE_NAME_EN: r[C.NODE_NAME_EN], C.RANK: int(r[C.RANK]),
             C.WEAK_LINK_SCORE: float(r[C.WEAK_LINK_SCORE])}
            for r in free.to_dict("records")]


def _of(region_id: str, chain_id: str) -> sa.ColumnElement[bool]:
    return (_TABLE.c[C.REGION_ID] == region_id) & (_TABLE.c[PT.SNAPSHOT_CHAIN_ID] == chain_id)


def _day(store, region_id: str, chain_id: str, on: dt.date) -> dict[str, dict[str, Any]]:
    query = sa.select(_TABLE).where(_of(region_id, chain_id),
                                    _TABLE.c[PT.SNAPSHOT_TAKEN_ON] == on)
    with store.snapshot() as conn:
        return {r._mapping[C.NODE_ID]: dict(r._mapping) for r in conn.execute(query)}


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
