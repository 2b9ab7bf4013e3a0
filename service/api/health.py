"""Liveness and readiness; neither needs a key."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from service.answers.queries import readiness
from service.http.errors import ApiError
from service.http.openapi import ApiBlueprint
from service.runtime.state import state

__all__ = ["HealthSchema", "ReadySchema", "bp", "health", "ready"]

bp = ApiBlueprint("health", __name__, description="Liveness and readiness (no key needed).")


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ready"})
    database = fields.String(required=True, metadata={
        "enum": ["sqlite", "postgresql"], "description": "The kind of database of the store"})
    schema_revision = fields.String(required=True, allow_none=True,
                                    metadata={"description": "The store's schema revision"})
    schema_head = fields.String(required=True, allow_none=True,
                                metadata={"description": "The newest revision this code has"})
    data_version = fields.Integer(required=True, allow_none=True,
                                  metadata={"description": "Grows with every data change"})


@bp.route("/health", methods=["GET"])
@bp.public
@bp.response(200, HealthSchema)
def health():
    """The process is up."""
    return {"status": "ok"}


@bp.route("/ready", methods=["GET"])
@bp.public
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
@bp.response(200, ReadySchema)
def ready():
    """The store answers, its kind of database, its schema revision (the newest?) and its
    data version.

    503 when the store cannot be reached or its schema lags behind (run
    ``chainscout db upgrade``).
    """
    store = state().store
    answer = {"database": store.backend, **readiness(store)}
    if answer["status"] != "ready":
        raise ApiError(503, "not_ready", "the store's schema is not the newest; run "
                       "`chainscout db upgrade`", answer)
    return answer
