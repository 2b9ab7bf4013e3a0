"""Chain leaders' needs (链主配套需求): a leader's liaison enters and updates its own firm's
needs; officers and admins read every leader's. A leader's key sees its own firm only: any
other firm is a 404, as for one that does not exist. Each need carries the day it was
entered and who entered it, and the weak-link diagnosis reads it."""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from marshmallow import fields, validate

from recommender import columns as C
from recommender.exceptions import NotFoundError
from recommender.pipeline import leader_needs as L
from recommender.store.auth import EDIT_LEADER_NEEDS, READ_LEADER_NEEDS
from service.http.auth import current_principal
from service.http.openapi import ApiBlueprint
from service.runtime.state import state

__all__ = ["NeedInSchema", "NeedQuerySchema", "NeedSchema", "bp", "delete_need",
           "enter_need", "list_needs"]

bp = ApiBlueprint("leader_needs", __name__,
                  description="Chain leaders' needs (链主配套需求), dated and signed; a leader's "
                              "key sees its own firm only.")



class NeedSchema(ma.Schema):
    region_id = fields.String(required=True)
    leader_firm_id = fields.String(required=True)
    node_id = fields.String(required=True)
    need = fields.Float(required=True, allow_none=True, metadata={
        "description": "How badly, 1 to 5 (what the diagnosis sums)"})
    volume = fields.String(required=True, allow_none=True)
    needed_by = fields.Date(required=True, allow_none=True)
    supplier_countries = fields.List(fields.String(), required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    is_illustrative = fields.Boolean(required=True)
    as_of = fields.Date(required=True, allow_none=True, metadata={
        "description": "The day it was entered (null: it came with the region's files)"})
    entered_by = fields.String(required=True, allow_none=True)


class NeedInSchema(ma.Schema):
    need = fields.Float(required=True, validate=validate.Range(min=1, max=5))
    volume = fields.String(allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": 'In the leader\'s words, e.g. "5万件/年"'})
    needed_by = fields.Date(allow_none=True)
    supplier_countries = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$")),
        validate=validate.Length(max=50),
        metadata={"description": "ISO 3166-1 alpha-2 codes of the current suppliers"})
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class NeedQuerySchema(ma.Schema):
    firm_id = fields.String(validate=validate.Length(min=1, max=200))


@bp.route("/leader-needs", methods=["GET"])
@bp.require(READ_LEADER_NEEDS)
@bp.arguments(NeedQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, NeedSchema(many=True))
def list_needs(query: dict):
    """The region's leader needs (one leader's with ``firm_id``); a leader's key: its own."""
    principal = current_principal()
    firm_id = query.get(C.FIRM_ID)
    if principal.firm_id is not None and firm_id is None:
        firm_id = principal.firm_id
    _visible(firm_id)
    app_state = state()
    return L.needs_of(app_state.store, app_state.region.id, leader_firm_id=firm_id)


@bp.route("/leader-needs/<firm_id>/<node_id>", methods=["PUT"])
@bp.require(EDIT_LEADER_NEEDS)
@bp.arguments(NeedInSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, NeedSchema)
def enter_need(body: dict, firm_id: str, node_id: str):
    """Enter or update a leader's need for a node (a leader's key: its own firm only); dated
    today and signed by the key; rankings are scored again with it."""
    _visible(firm_id)
    app_state = state()
    row = L.enter_need(app_state.store, app_state.region.id, firm_id, node_id, body,
                       by=current_principal().name, node_ids=app_state.chain.node_ids,
                       region=app_state.region)
    app_state.snapshots.invalidate()
    return row


@bp.route("/leader-needs/<firm_id>/<node_id>", methods=["DELETE"])
@bp.require(EDIT_LEADER_NEEDS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(204)
def delete_need(firm_id: str, node_id: str):
    """Delete a leader's need for a node (a leader's key: its own firm only)."""
    _visible(firm_id)
    app_state = state()
    L.delete_need(app_state.store, app_state.region.id, firm_id, node_id)
    app_state.snapshots.invalidate()
    return Response(status=204)


def _visible(firm_id: str | None) -> None:
    """A firm another leader's key may not see is a 404, as for one that does not exist."""
    if firm_id is not None and not current_principal().sees_firm(firm_id):
        raise NotFoundError(f"no firm {firm_id!r}")
