"""The chain's health over time: weak-link snapshots, each link's score by day, what changed
and why, and the weak links that no project addresses yet."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import fields, validate

from recommender import columns as C
from recommender.pipeline import health
from recommender.store.auth import READ_RANKINGS, SNAPSHOT_HEALTH
from service.http.openapi import ApiBlueprint
from service.runtime.state import state

__all__ = [
    "ChangeSchema",
    "HistorySchema",
    "SnapshotTakenSchema",
    "UnaddressedSchema",
    "bp",
    "changes",
    "history",
    "take_snapshot",
    "unaddressed",
]

bp = ApiBlueprint("chain_health", __name__,
                  description="The chain's health over time (产业链健康度): weak-link snapshots, "
                              "scores by day, what changed, links no project addresses.")


class _PointSchema(ma.Schema):
    taken_on = fields.Date(required=True)
    weak_link_score = fields.Float(required=True)
    rank = fields.Integer(required=True, allow_none=True)
    local_firms = fields.Integer(required=True)
    local_gap = fields.Float(required=True)
    demand = fields.Float(required=True)
    leader_need = fields.Float(required=True)


class _SeriesSchema(ma.Schema):
    node_id = fields.String(required=True)
    points = fields.List(fields.Nested(_PointSchema), required=True)


class HistorySchema(ma.Schema):
    days = fields.List(fields.Date(), required=True, metadata={
        "description": "The days with a snapshot, oldest first"})
    series = fields.List(fields.Nested(_SeriesSchema), required=True)


class _HistoryQuery(ma.Schema):
    node_id = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                          validate=validate.Length(max=200),
                          metadata={"description": "Repeat for several links"})
    since = fields.Date()


class _Why(ma.Schema):
    zh = fields.List(fields.String(), required=True)
    en = fields.List(fields.String(), required=True)


class ChangeSchema(ma.Schema):
    node_id = fields.String(required=True)
    score_before = fields.Float(required=True)
    score_after = fields.Float(required=True)
    change = fields.Float(required=True)
    improved = fields.Boolean(required=True, metadata={"description": "The score fell"})
    why = fields.Nested(_Why, required=True)


class _ChangeQuery(ma.Schema):
    start = fields.Date()
    end = fields.Date()


class UnaddressedSchema(ma.Schema):
    node_id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    rank = fields.Integer(required=True)
    weak_link_score = fields.Float(required=True)


class _UnaddressedQuery(ma.Schema):
    top = fields.Integer(validate=validate.Range(min=1, max=1000))


class SnapshotTakenSchema(ma.Schema):
    taken_on = fields.Date(required=True)
    nodes = fields.Integer(required=True)


@bp.route("/chain-health/history", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(_HistoryQuery, location="query")
@bp.response(200, HistorySchema)
def history(query: dict):
    """Each link's weak-link score over time, links in the order of their latest rank."""
    app_state = state()
    ids = dict(region_id=app_state.region.id, chain_id=app_state.chain.id)
    return {"days": health.snapshot_days(app_state.store, **ids),
            "series": health.score_history(app_state.store, node_ids=query.get(C.NODE_ID),
                                           since=query.get("since"), **ids)}


@bp.route("/chain-health/changes", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(_ChangeQuery, location="query")
@bp.response(200, ChangeSchema(many=True))
def changes(query: dict):
    """How each link's score changed between two snapshot days (default the first and the
    latest), improved links first, with the components that moved it."""
    app_state = state()
    return health.link_changes(app_state.store, region_id=app_state.region.id,
                               chain_id=app_state.chain.id, start=query.get("start"),
                               end=query.get("end"))


@bp.route("/chain-health/unaddressed", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(_UnaddressedQuery, location="query")
@bp.response(200, UnaddressedSchema(many=True))
def unaddressed(query: dict):
    """The recruitable weak links, weakest first, that no running or landed project is for."""
    app_state = state()
    weak_links = app_state.snapshots.get().weak_links
    return health.unaddressed_links(app_state.store, weak_links, top=query.get("top"))


@bp.route("/chain-health/snapshots", methods=["POST"])
@bp.require(SNAPSHOT_HEALTH)
@bp.response(201, SnapshotTakenSchema)
def take_snapshot():
    """Diagnose the weak links over the store now and keep them as today's snapshot (a
    second one today replaces the first)."""
    app_state = state()
    today = dt.datetime.now(dt.UTC).date()
    table = health.take_snapshot(app_state.store, app_state.chain, app_state.region,
                                 settings=app_state.settings, on=today)
    return {"taken_on": today, "nodes": len(table)}
