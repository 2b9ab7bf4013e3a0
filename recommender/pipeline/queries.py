"""What the pipeline's pages ask: projects by stage with filters, follow-ups due, KPI figures
and monthly trends.

- :func:`list_projects`: projects with filters by stage, owner, link, park, firm, overdue;
- :func:`follow_ups_due`: an owner's projects whose next follow-up is due by a day;
- :func:`pipeline_kpis`: projects by stage, signed and landed investment (万元) and jobs this
  year, links with at least one signed project, overdue follow-ups;
- :func:`monthly_trends`: per month, the projects that entered each stage and the investment
  signed.

A project is *overdue* when it is still running (not in production, not lost) and its next
follow-up day has passed. *Signed this year* counts projects that entered 签约 signed in the
year (by their history), wherever they are now, unless lost; *landed* likewise for 开工
construction.

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> pipeline_kpis(store, today=dt.date(2026, 12, 7))["projects_by_stage"]["lead"]
0
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.pipeline import transitions as T
from recommender.store import models as M
from recommender.store import pipeline_tables as PT

__all__ = [
    "OPEN_STAGES",
    "follow_ups_due",
    "is_overdue",
    "list_projects",
    "monthly_trends",
    "pipeline_kpis",
]

OPEN_STAGES = tuple(s for s in T.STAGES if s not in (T.PRODUCTION, T.LOST))
_TABLE, _EVENTS = PT.PROJECTS, PT.PROJECT_EVENTS


def list_projects(store, *, stages: Sequence[str] | None = None, owner: str | None = None,
                  node_id: str | None = None, park_id: str | None = None,
                  firm_id: str | None = None, overdue: bool = False,
                  today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return projects, in pipeline order of their stage, then next follow-up, then id.

    ``overdue`` keeps the running projects whose next follow-up is before ``today`` (default:
    today, UTC).
    """
    for stage in stages or ():
        T.check_stage(stage)
    where = []
    if stages:
        where.append(_TABLE.c[PT.PROJECT_STAGE].in_(list(stages)))
    for column, value in ((PT.OWNER, owner), (C.NODE_ID, node_id), (C.PARK_ID, park_id),
                          (C.FIRM_ID, firm_id)):
        if value is not None:
            where.append(_TABLE.c[column] == value)
    if overdue:
        where.append(_overdue(today or _today()))
    query = sa.select(_TABLE).where(*where) if where else sa.select(_TABLE)
    with store.snapshot() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(_TABLE.c[M.ID]))]
    order = {s: i for i, s in enumerate(T.STAGES)}
    return sorted(rows, key=lambda r: (order[r[PT.PROJECT_STAGE]],
                                       r[PT.NEXT_FOLLOW_UP] or dt.date.max, r[M.ID]))


def is_overdue(project: Mapping[str, Any], *, today: dt.date | None = None) -> bool:
    """Return whether a project is running and its next follow-up day is before ``today``.

    >>> is_overdue({"stage": "visit", "next_follow_up": dt.date(2026, 1, 1)},
    ...            today=dt.date(2026, 1, 2))
    True
    """
    follow = project.get(PT.NEXT_FOLLOW_UP)
    return bool(project[PT.PROJECT_STAGE] in OPEN_STAGES and follow is not None
                and follow < (today or _today()))


def follow_ups_due(store, owner: str, *, today: dt.date | None = None,
                   within_days: int = 7) -> list[dict[str, Any]]:
    """Return ``owner``'s running projects whose next follow-up is due within ``within_days``
    of ``today`` (overdue ones included), soonest first."""
    if not 0 <= within_days <= 366:
        raise InvalidArgument(f"within_days must be 0 to 366, got {within_days!r}")
    until = (today or _today()) + dt.timedelta(days=within_days)
    due = ((_TABLE.c[PT.OWNER] == owner) & _TABLE.c[PT.PROJECT_STAGE].in_(OPEN_STAGES)
           & (_TABLE.c[PT.NEXT_FOLLOW_UP] <= until))
    query = sa.select(_TABLE).where(due).order_by(_TABLE.c[PT.NEXT_FOLLOW_UP], _TABLE.c[M.ID])
    with store.snapshot() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def pipeline_kpis(store, *, year: int | None = None,
                  today: dt.date | None = None) -> dict[str, Any]:
    """Return the pipeline's KPI figures for ``year`` (default: this year).

    Returns
    -------
    dict
        ``projects_by_stage`` (every stage, 0 where none), ``signed`` and ``landed`` (each
        ``projects``, ``investment_wan``, ``jobs``: projects that entered 签约 / 开工 in the
        year and are not lost), ``links_with_signed`` (links with at least one project at
        签约 or later, not lost: count and node ids), ``overdue_follow_ups``, ``year`` and
        ``as_of``.
    """
    today = today or _today()
    year = year or today.year
    with store.snapshot() as conn:
        stages = dict(conn.execute(sa.select(_TABLE.c[PT.PROJECT_STAGE], sa.func.count())
                                   .group_by(_TABLE.c[PT.PROJECT_STAGE])).all())
        signed = _entered_in(conn, "signed", year)
        landed = _entered_in(conn, "construction", year)
        links = sorted(conn.execute(sa.select(_TABLE.c[C.NODE_ID]).distinct().where(
            _TABLE.c[PT.PROJECT_STAGE].in_(T.SIGNED_STAGES))).scalars())
        overdue = conn.execute(sa.select(sa.func.count()).select_from(_TABLE)
                               .where(_overdue(today))).scalar_one()
    return {"year": year, "as_of": today,
            "projects_by_stage": {s: int(stages.get(s, 0)) for s in T.STAGES},
            "signed": signed, "landed": landed,
            "links_with_signed": {"count": len(links), "node_ids": links},
            "overdue_follow_ups": int(overdue)}


def monthly_trends(store, *, months: int = 12,
                   today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return one row per month of the last ``months`` (oldest first): ``month``
    (``YYYY-MM``), ``entered`` (stage -> projects that entered it that month), and
    ``signed_investment_wan`` (planned investment of the projects signed that month)."""
    if not 1 <= months <= 120:
        raise InvalidArgument(f"months must be 1 to 120, got {months!r}")
    today = today or _today()
    keys = []
    year, month = today.year, today.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    start = dt.datetime(int(keys[0][:4]), int(keys[0][5:]), 1)
    rows = {k: {"month": k, "entered": {s: 0 for s in T.STAGES}, "signed_investment_wan": 0.0}
            for k in keys}
    query = (sa.select(_EVENTS.c[PT.TO_STAGE], _EVENTS.c[M.RECORDED_AT],
                       _TABLE.c[PT.PLANNED_INVESTMENT])
             .join(_TABLE, _TABLE.c[M.ID] == _EVENTS.c[PT.PROJECT_ID])
             .where(_EVENTS.c[M.RECORDED_AT] >= start))
    with store.snapshot() as conn:
        for stage, at, investment in conn.execute(query):
            row = rows.get(f"{at.year:04d}-{at.month:02d}")
            if row is None:
                continue
            row["entered"][stage] += 1
            if stage == "signed":
                row["signed_investment_wan"] += float(investment or 0.0)
    return list(rows.values())


def _entered_in(conn: sa.Connection, stage: str, year: int) -> dict[str, Any]:
    """Projects (not lost) that entered ``stage`` in ``year``, their investment and jobs."""
    begin, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    ids = sa.select(_EVENTS.c[PT.PROJECT_ID]).where(
        (_EVENTS.c[PT.TO_STAGE] == stage) & (_EVENTS.c[M.RECORDED_AT] >= begin)
        & (_EVENTS.c[M.RECORDED_AT] < end))
    count, investment, jobs = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(_TABLE.c[PT.PLANNED_INVESTMENT]),
                                                    0.0),
                  sa.func.coalesce(sa.func.sum(_TABLE.c[PT.PLANNED_JOBS]), 0))
        .where(_TABLE.c[M.ID].in_(ids) & (_TABLE.c[PT.PROJECT_STAGE] != T.LOST))).one()
    return {"projects": int(count), "investment_wan": float(investment), "jobs": int(jobs)}


def _overdue(today: dt.date) -> sa.ColumnElement[bool]:
    return (_TABLE.c[PT.PROJECT_STAGE].in_(OPEN_STAGES)
            & (_TABLE.c[PT.NEXT_FOLLOW_UP] < today))


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
