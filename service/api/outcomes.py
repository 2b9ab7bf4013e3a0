"""Outcomes: how far a firm got with a weak link; list them, record one."""

from __future__ import annotations

import datetime

import marshmallow as ma
from marshmallow import fields, validate

from recommender import columns as C
from recommender.store.auth import READ_OUTCOMES, RECORD_OUTCOMES
from service.answers import portraits
from service.answers.queries import outcome_page
from service.http.auth import current_principal
from service.http.errors import ApiError
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, UtcDateTime
from service.runtime.state import state

__all__ = [
    "OutcomeInSchema",
    "OutcomePageSchema",
    "OutcomeQuerySchema",
    "OutcomeSchema",
    "STAGE_HELP",
    "bp",
    "create_outcome",
    "list_outcomes",
]

bp = ApiBlueprint("outcomes", __name__,
                  description="Campaign outcomes: 0 declined, 1 responded, 2 site visit, "
                              "3 MoU, 4 invested.")

STAGE_HELP = "0 declined or no answer, 1 responded, 2 site visit, 3 MoU, 4 invested"


class OutcomeSchema(ma.Schema):
    id = fields.Integer(required=True)
    firm_id = fields.String(required=True)
    node_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    date = fields.Date(required=True)
    stage = fields.Integer(required=True, metadata={"description": STAGE_HELP})
    note = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True)
    recorded_at = UtcDateTime(required=True)
    recorded_by = fields.String(required=True, allow_none=True, metadata={
        "description": "Who recorded it: the person their key names (as named then), else "
                       "the key's label, else its prefix"})


def _not_in_the_future(day: datetime.date) -> None:
    """An outcome has happened: refuse a date after tomorrow (UTC)."""
    latest = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)
    if day > latest:
        raise ma.ValidationError(f"an outcome cannot be dated after {latest.isoformat()}")


class OutcomeInSchema(ma.Schema):
    firm_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    node_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The weak link: a node of the chain"})
    stage = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=4),
                           metadata={"description": STAGE_HELP})
    date = fields.Date(required=True, validate=_not_in_the_future, metadata={
        "description": "When it happened: not after today (a day's grace for time zones)"})
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=4000))
    campaign_id = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=200),
                                metadata={"description": 'Default "manual-<year of date>"'})


class OutcomeQuerySchema(PageQuerySchema):
    firm_id = fields.String(validate=validate.Length(min=1, max=200))
    node_id = fields.String(validate=validate.Length(min=1, max=100))


class OutcomePageSchema(ma.Schema):
    items = fields.List(fields.Nested(OutcomeSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


@bp.route("/outcomes", methods=["GET"])
@bp.require(READ_OUTCOMES)
@bp.arguments(OutcomeQuerySchema, location="query")
@bp.response(200, OutcomePageSchema)
def list_outcomes(query: dict):
    """Outcomes, newest first, optionally of one firm and/or one node."""
    return outcome_page(state().store, firm_id=query.get(C.FIRM_ID),
                        node_id=query.get(C.NODE_ID), page=query["page"],
                        page_size=query["page_size"])


@bp.route("/outcomes", methods=["POST"])
@bp.require(RECORD_OUTCOMES)
@bp.arguments(OutcomeInSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.response(201, OutcomeSchema)
def create_outcome(body: dict):
    """Record an outcome; the firm must be in the store and the node in the chain (else 422).

    The outcome becomes a training label, and rankings are scored again over the new data
    version (the old scores serve until then).
    """
    app_state = state()
    outcome, created = portraits.record_outcome_label(
        app_state.store, app_state.chain, app_state.snapshots, body,
        recorded_by=current_principal().name, recorded_by_key=current_principal().id)
    if not created:
        raise ApiError(409, "duplicate_outcome", "this outcome is already recorded",
                       {"id": outcome["id"]})
    return outcome
