"""Recruitment projects (招商项目) in the store: create, read, change, move through their
stages, and their history.

A project is one firm for one weak link of the chain (optionally into one park), run by an
owner, with contacts, a next follow-up date, a planned investment (万元) and jobs, and notes.
Every stage change is a row of ``project_events`` (from, to, why, who, when), written in the
same transaction as the change, and never changed afterwards.

A stage change also records what the ranker learns from: the outcome label of the new stage
(:func:`recommender.pipeline.transitions.outcome_code`) becomes a row of ``outcomes`` for the
project's firm, link and campaign (default ``pipeline-<year the project was created>``),
``source`` ``"project"``, so training reads projects and old outcome files alike. A project
that reaches 投产 production adds its firm's local plant as a local supplier of its link
(:func:`recommender.pipeline.plants.add_plant`), which the weak-link diagnosis counts.

Contacts (:data:`PERSONAL_COLUMNS`) are personal data: :func:`without_personal` takes them out
of what a viewer sees or exports.

>>> from recommender.store import open_store
>>> import pandas as pd
>>> store = open_store("sqlite://")
>>> _ = store.upsert_firms(pd.DataFrame({"firm_id": ["f1"], "firm_key": ["f1|JP"]}))
>>> p = create_project(store, {"firm_id": "f1", "node_id": "lasers"}, by="li")
>>> p["stage"], move_project(store, p["id"], "contacted", by="li")["stage"]
('lead', 'contacted')
>>> [(e["from_stage"], e["to_stage"]) for e in project_history(store, p["id"])]
[(None, 'lead'), ('lead', 'contacted')]
>>> store.outcomes()["stage"].tolist()
[1]
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.pipeline import transitions as T
from recommender.store import models as M
from recommender.store import pipeline_tables as PT
from recommender.store.writes import bump_version

__all__ = [
    "EDITABLE_COLUMNS",
    "EVENT_COLUMNS",
    "OUTCOME_SOURCE",
    "PERSONAL_COLUMNS",
    "PROJECT_COLUMNS",
    "allowed_moves",
    "create_project",
    "delete_project",
    "get_project",
    "move_project",
    "project_history",
    "update_project",
    "without_personal",
]

OUTCOME_SOURCE = "project"  # the source of the outcome rows a project records
PERSONAL_COLUMNS = (PT.CONTACT_NAME, PT.CONTACT_TITLE, PT.CONTACT_PHONE, PT.CONTACT_EMAIL)
EDITABLE_COLUMNS = (C.PARK_ID, PT.OWNER, *PERSONAL_COLUMNS, PT.NEXT_FOLLOW_UP,
                    PT.PLANNED_INVESTMENT, PT.PLANNED_JOBS, C.NOTE)
PROJECT_COLUMNS = [c.name for c in PT.PROJECTS.columns]
EVENT_COLUMNS = [c.name for c in PT.PROJECT_EVENTS.columns]
_TABLE, _EVENTS = PT.PROJECTS, PT.PROJECT_EVENTS


def without_personal(project: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``project`` without its contacts (for viewers and viewers' exports).

    >>> without_personal({"id": 1, "contact_name": "王伟", "contact_phone": "138"})
    {'id': 1}
    """
    return {k: v for k, v in project.items() if k not in PERSONAL_COLUMNS}


def create_project(store, fields: Mapping[str, Any], *, by: str | None,
                   node_ids: Collection[str] | None = None, region_id: str | None = None,
                   now: dt.datetime | None = None,
                   conn: sa.Connection | None = None) -> dict[str, Any]:
    """Create a project and return it; its first history row says who created it and when.

    With ``conn`` it is written in that transaction (an import's), else in one of its own.

    Parameters
    ----------
    store : Store
    fields : mapping
        ``firm_id`` and ``node_id`` (required); ``stage`` (default ``lead``; any stage before
        投产, so that running projects can be brought in), ``campaign_id`` and the
        :data:`EDITABLE_COLUMNS`. ``owner`` defaults to ``by``.
    by : str or None
        Who creates it (the key's label, else its prefix).
    node_ids : collection of str, optional
        The chain's nodes: ``node_id`` must be one of them.
    region_id : str, optional
        The region whose pipeline it is.

    Raises
    ------
    InvalidArgument
        An unknown firm, node or stage, a negative amount, or an open project of the same
        firm for the same link.
    """
    now = now or M.utcnow()
    stage = T.check_stage(fields.get(PT.PROJECT_STAGE) or "lead")
    if stage not in T.ACTIVE_STAGES:
        raise InvalidArgument(f"a new project starts at one of {', '.join(T.ACTIVE_STAGES)}, "
                              f"not {stage!r}", [{"field": "stage", "message": "not a start"}])
    firm_id, node_id = fields.get(C.FIRM_ID), fields.get(C.NODE_ID)
    if not isinstance(node_id, str) or not node_id or (
            node_ids is not None and node_id not in set(node_ids)):
        raise InvalidArgument(f"node_id: {node_id!r} is not a node of the chain",
                              [{"field": C.NODE_ID, "message": "not a node of the chain"}])
    row = {**_editable(fields), C.FIRM_ID: firm_id, C.NODE_ID: node_id, C.REGION_ID: region_id,
           C.CAMPAIGN_ID: fields.get(C.CAMPAIGN_ID) or f"pipeline-{now.year}",
           PT.PROJECT_STAGE: stage, PT.STAGE_CHANGED_AT: now, M.CREATED_AT: now,
           PT.CREATED_BY: by, M.UPDATED_AT: now}
    row.setdefault(PT.OWNER, by)
    row[PT.OWNER] = row[PT.OWNER] or by

    def work(conn: sa.Connection) -> dict[str, Any]:
        firms = M.FIRMS
        if conn.execute(sa.select(firms.c[C.FIRM_ID]).where(
                firms.c[C.FIRM_ID] == firm_id)).first() is None:
            raise InvalidArgument(f"firm_id: no firm {firm_id!r} in the store",
                                  [{"field": C.FIRM_ID, "message": "not in the store"}])
        open_one = conn.execute(sa.select(_TABLE.c[M.ID]).where(
            (_TABLE.c[C.FIRM_ID] == firm_id) & (_TABLE.c[C.NODE_ID] == node_id)
            & _TABLE.c[PT.PROJECT_STAGE].notin_([T.LOST, T.PRODUCTION]))).first()
        if open_one is not None:
            raise InvalidArgument(f"firm {firm_id!r} already has open project {open_one[0]} "
                                  f"for {node_id!r}", [{"field": C.FIRM_ID,
                                                        "message": "an open project exists"}])
        new_id = int(conn.execute(sa.insert(_TABLE).values(row)).inserted_primary_key[0])
        project = _fetch(conn, new_id)
        _record_stage(conn, project, None, stage, by=by, at=now)
        return project

    return work(conn) if conn is not None else store.write(work)


def get_project(store, project_id: int, *, conn: sa.Connection | None = None) -> dict[str, Any]:
    """Return one project as a dict; NotFoundError if there is none with this id."""
    if conn is not None:
        return _fetch(conn, project_id)
    with store.snapshot() as own:
        return _fetch(own, project_id)


def update_project(store, project_id: int, changes: Mapping[str, Any], *,
                   now: dt.datetime | None = None,
                   conn: sa.Connection | None = None) -> dict[str, Any]:
    """Change a project's owner, park, contacts, follow-up, amounts or notes; return it.

    The stage changes only through :func:`move_project`. Keys not in :data:`EDITABLE_COLUMNS`
    are refused (InvalidArgument).
    """
    unknown = sorted(set(changes) - set(EDITABLE_COLUMNS))
    if unknown:
        raise InvalidArgument(f"cannot change {', '.join(unknown)} of a project; the stage "
                              f"moves by a transition", [{"field": n, "message": "not editable"}
                                                         for n in unknown])
    values = {**_editable(changes), M.UPDATED_AT: now or M.utcnow()}

    def work(conn: sa.Connection) -> dict[str, Any]:
        _fetch(conn, project_id)
        conn.execute(sa.update(_TABLE).where(_TABLE.c[M.ID] == project_id).values(values))
        return _fetch(conn, project_id)

    return work(conn) if conn is not None else store.write(work)


def delete_project(store, project_id: int) -> None:
    """Delete a project and its history (its outcome labels and any plant stay)."""

    def work(conn: sa.Connection) -> None:
        _fetch(conn, project_id)
        conn.execute(sa.delete(_EVENTS).where(_EVENTS.c[PT.PROJECT_ID] == project_id))
        conn.execute(sa.delete(_TABLE).where(_TABLE.c[M.ID] == project_id))

    store.write(work)


def move_project(store, project_id: int, to: str, *, by: str | None,
                 lost_reason: str | None = None, note: str | None = None, region=None,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Move a project to stage ``to``, keep the move in its history, and return the project.

    Parameters
    ----------
    to : str
        One of the stages :func:`recommender.pipeline.transitions.allowed_next` allows.
    lost_reason : str, optional
        Required for ``lost``: one of :data:`~recommender.pipeline.transitions.LOST_REASONS`.
    region : Region, optional
        The region (:class:`recommender.demo.world.Region`): when the project reaches 投产
        production, its firm's plant is added as a local supplier of the link there.

    Raises
    ------
    InvalidArgument
        A move the pipeline does not allow (the message names the allowed next stages), or a
        lost project without a known reason.
    NotFoundError
        No such project.
    """
    now = now or M.utcnow()
    reason = T.check_lost_reason(lost_reason) if to == T.LOST else None

    def work(conn: sa.Connection) -> dict[str, Any]:
        project = _fetch(conn, project_id)
        stage = project[PT.PROJECT_STAGE]
        held_at = _held_at(conn, project_id) if stage == T.ON_HOLD else None
        T.check_move(stage, to, held_at=held_at)
        values = {PT.PROJECT_STAGE: to, PT.STAGE_CHANGED_AT: now, M.UPDATED_AT: now,
                  PT.LOST_REASON: reason}
        conn.execute(sa.update(_TABLE).where(_TABLE.c[M.ID] == project_id).values(values))
        project = _fetch(conn, project_id)
        _record_stage(conn, project, held_at or stage, to, by=by, at=now, lost_reason=reason,
                      note=note, moved_from=stage)
        if to == T.PRODUCTION and region is not None:
            from recommender.pipeline.plants import add_plant

            plant = add_plant(conn, project, region, now=now)
            conn.execute(sa.update(_TABLE).where(_TABLE.c[M.ID] == project_id)
                         .values({PT.PLANT_FIRM_ID: plant}))
            bump_version(conn)
            project = _fetch(conn, project_id)
        return project

    return store.write(work)


def allowed_moves(store, project_id: int) -> tuple[str, ...]:
    """Return the stages a project may move to now (a held one: also the stage it was held
    at)."""
    with store.snapshot() as conn:
        stage = _fetch(conn, project_id)[PT.PROJECT_STAGE]
        held_at = _held_at(conn, project_id) if stage == T.ON_HOLD else None
    return T.allowed_next(stage, held_at=held_at)


def project_history(store, project_id: int) -> list[dict[str, Any]]:
    """Return a project's stage changes, oldest first (NotFoundError for no such project)."""
    with store.snapshot() as conn:
        _fetch(conn, project_id)
        rows = conn.execute(sa.select(_EVENTS).where(_EVENTS.c[PT.PROJECT_ID] == project_id)
                            .order_by(_EVENTS.c[M.ID])).all()
    return [dict(r._mapping) for r in rows]


# --- shared machinery ------------------------------------------------------------------------

def _editable(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields given, checked: amounts are finite and not negative."""
    out = {k: fields[k] for k in EDITABLE_COLUMNS if k in fields}
    for name in (PT.PLANNED_INVESTMENT, PT.PLANNED_JOBS):
        value = out.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value) or value < 0:
            raise InvalidArgument(f"{name} must be a number of at least 0, got {value!r}",
                                  [{"field": name, "message": "at least 0"}])
    if isinstance(out.get(PT.NEXT_FOLLOW_UP), str):
        try:
            out[PT.NEXT_FOLLOW_UP] = dt.date.fromisoformat(out[PT.NEXT_FOLLOW_UP])
        except ValueError as exc:
            raise InvalidArgument(f"next_follow_up: not a date: {out[PT.NEXT_FOLLOW_UP]!r}",
                                  [{"field": PT.NEXT_FOLLOW_UP, "message": "a date"}]) from exc
    return out


def _fetch(conn: sa.Connection, project_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(_TABLE).where(_TABLE.c[M.ID] == project_id)).first()
    if row is None:
        raise NotFoundError(f"no project {project_id}")
    return dict(row._mapping)


def _held_at(conn: sa.Connection, project_id: int) -> str | None:
    """The stage a held project was at when it was put on hold."""
    query = (sa.select(_EVENTS.c[PT.FROM_STAGE])
             .where((_EVENTS.c[PT.PROJECT_ID] == project_id)
                    & (_EVENTS.c[PT.TO_STAGE] == T.ON_HOLD))
             .order_by(_EVENTS.c[M.ID].desc()).limit(1))
    return conn.execute(query).scalar()


def _record_stage(conn: sa.Connection, project: Mapping[str, Any], previous: str | None,
                  to: str, *, by: str | None, at: dt.datetime, lost_reason: str | None = None,
                  note: str | None = None, moved_from: str | None = None) -> None:
    """Write the history row and, if the stage has one, the outcome label."""
    conn.execute(sa.insert(_EVENTS).values({
        PT.PROJECT_ID: project[M.ID], PT.FROM_STAGE: moved_from if moved_from else previous,
        PT.TO_STAGE: to, PT.LOST_REASON: lost_reason, C.NOTE: note, M.RECORDED_AT: at,
        M.RECORDED_BY: by}))
    code = T.outcome_code(to, previous=previous)
    if code is None:
        return
    outcomes = M.OUTCOMES
    key = {C.FIRM_ID: project[C.FIRM_ID], C.NODE_ID: project[C.NODE_ID],
           C.CAMPAIGN_ID: project[C.CAMPAIGN_ID], C.DATE: at.date(), C.OUTCOME_STAGE: code}
    found = conn.execute(sa.select(outcomes.c[M.ID]).where(
        sa.and_(*(outcomes.c[k] == v for k, v in key.items())))).first()
    if found is None:
        conn.execute(sa.insert(outcomes).values({
            **key, C.NOTE: f"project {project[M.ID]}: {to}", C.SOURCE: OUTCOME_SOURCE,
            M.RECORDED_AT: at, M.RECORDED_BY: by}))
        bump_version(conn)
