"""Outcomes: how far a firm got with a weak link; list them, record one.

A key that reads (``outcomes:read``) or records (``outcomes:write``) every outcome does so
here. A park manager's key (``outcomes:parks``) lists and records the outcomes of the firms
matched to its own parks only (:mod:`service.answers.park_outcomes`): another firm is a 404,
as one that does not exist, and ``park_id`` outside its parks too.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import marshmallow as ma
from marshmallow import fields, validate

from recommender import columns as C
from recommender.store.auth import (
    PARK_OUTCOMES,
    READ_FIRMS,
    READ_OUTCOMES,
    RECORD_OUTCOMES,
    ROLES,
    roles_with,
)
from service.answers import park_outcomes, portraits
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
    park_id = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "A park manager's key: the outcomes of the firms matched to this one "
                       "of its parks (404 for another park)"})


class OutcomePageSchema(ma.Schema):
    items = fields.List(fields.Nested(OutcomeSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


def _park_scope(every: str) -> tuple[str, ...] | None:
    """None for a key granted ``every`` (every outcome); the parks of a key granted
    ``outcomes:parks`` only; a 403 for any other."""
    principal = current_principal()
    if principal.can(every):
        return None
    if principal.can(PARK_OUTCOMES) and principal.park_scope is not None:
        return principal.park_scope
    allowed = set(roles_with(every)) | set(roles_with(PARK_OUTCOMES))
    roles = [role for role in ROLES if role in allowed]
    raise ApiError(403, "forbidden",
                   f"a {principal.role} key may not do this; it needs {every} or "
                   f"{PARK_OUTCOMES} ({', '.join(roles)})",
                   {"permission": every, "roles": roles})


def _scoped(every: str) -> Callable:
    """Decorate a view so that its key's scope (:func:`_park_scope`) is settled before its
    query or body is read: a key with neither right gets a 403, never a 422."""
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def scoped(*args, **kwargs):
            return view(*args, scope=_park_scope(every), **kwargs)

        return scoped

    return decorator


@bp.route("/outcomes", methods=["GET"])
@bp.require(READ_FIRMS)
@_scoped(READ_OUTCOMES)
@bp.arguments(OutcomeQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, OutcomePageSchema)
def list_outcomes(query: dict, scope: tuple[str, ...] | None):
    """Outcomes, newest first, optionally of one firm and/or one node.

    Needs ``outcomes:read``; a park manager's key (``outcomes:parks``) lists those of the
    firms matched to its parks (``park_id``: to one of them).
    """
    app_state = state()
    if scope is not None:
        return park_outcomes.park_outcome_page(
            app_state.store, app_state.chain, app_state.snapshots.get(), scope,
            park_id=query.get(C.PARK_ID), firm_id=query.get(C.FIRM_ID),
            node_id=query.get(C.NODE_ID), page=query["page"], page_size=query["page_size"])
    firm_ids = None
    if query.get(C.PARK_ID):
        firm_ids = park_outcomes.park_firm_ids(app_state.store, app_state.chain,
                                               app_state.snapshots.get(), query[C.PARK_ID])
    return outcome_page(app_state.store, firm_id=query.get(C.FIRM_ID),
                        node_id=query.get(C.NODE_ID), page=query["page"],
                        page_size=query["page_size"], firm_ids=firm_ids)


@bp.route("/outcomes", methods=["POST"])
@bp.require(READ_FIRMS)
@_scoped(RECORD_OUTCOMES)
@bp.arguments(OutcomeInSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.response(201, OutcomeSchema)
def create_outcome(body: dict, scope: tuple[str, ...] | None):
    """Record an outcome; the firm must be in the store and the node in the chain (else 422).

    Needs ``outcomes:write``; a park manager's key (``outcomes:parks``) records outcomes of
    the firms matched to its parks only (404 for another firm). The outcome becomes a
    training label, and rankings are scored again over the new data version (the old scores
    serve until then).
    """
    app_state = state()
    if scope is not None:
        park_outcomes.require_matched(app_state.store, app_state.chain,
                                      app_state.snapshots.get(), scope, body[C.FIRM_ID])
    outcome, created = portraits.record_outcome_label(
        app_state.store, app_state.chain, app_state.snapshots, body,
        recorded_by=current_principal().name, recorded_by_key=current_principal().id)
    if not created:
        raise ApiError(409, "duplicate_outcome", "this outcome is already recorded",
                       {"id": outcome["id"]})
    return outcome
