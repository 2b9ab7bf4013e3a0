"""Data freshness: where a firm's fields and the region's tables came from, as of when, and
the data older than an age (default 365 days, ``max_age_days`` to change it)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.pipeline import freshness as F
from recommender.store.auth import CORRECT_NODES, READ_FIRMS
from service.answers.queries import pagination
from service.http.auth import current_principal
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, UtcDateTime
from service.runtime.state import state

__all__ = ["FirmSourcesSchema", "RecordedSourceSchema", "RegionSourcesSchema", "SourceInSchema",
           "SourceSchema", "StalePageSchema", "StaleSchema", "bp", "firm_sources",
           "record_source", "region_sources", "stale_data"]

bp = ApiBlueprint("data_freshness", __name__,
                  description="Sources and as-of dates of firm fields and region tables; "
                              "data older than an age.")


class SourceSchema(ma.Schema):
    source = fields.String(required=True, allow_none=True)
    as_of = fields.Date(required=True, allow_none=True)


FirmSourcesSchema = ma.Schema.from_dict(
    {name: fields.Nested(SourceSchema, required=True) for name in C.FIRM_COLUMNS},
    name="FirmSources")
RegionSourcesSchema = ma.Schema.from_dict(
    {name: fields.Nested(SourceSchema, required=True) for name in F.REGION_SOURCE_TABLES},
    name="RegionSources")


class StaleSchema(SourceSchema):
    table_name = fields.String(required=True)
    subject = fields.String(required=True, metadata={"description": "A firm's or region's id"})
    field = fields.String(required=True, metadata={"description": '"*": every column'})
    age_days = fields.Integer(required=True, allow_none=True, metadata={
        "description": "null: nobody recorded how old it is"})


class StalePageSchema(ma.Schema):
    items = fields.List(fields.Nested(StaleSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class _StaleQuery(PageQuerySchema):
    max_age_days = fields.Integer(load_default=F.DEFAULT_MAX_AGE_DAYS,
                                  validate=validate.Range(min=0, max=36_500))


class SourceInSchema(ma.Schema):
    table_name = fields.String(required=True, validate=validate.OneOf(F.SOURCED_TABLES),
                               metadata={"description": "firms, or one of the region's tables"})
    subject = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "A firm's id (table firms); default the service's region"})
    field = fields.String(load_default=F.ALL_FIELDS, validate=validate.Length(min=1, max=100),
                          metadata={"description": 'A firm column, or "*" for all of them'})
    source = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "Where the data came from"})
    as_of = fields.Date(required=True, metadata={"description": "The day it was true there"})


class RecordedSourceSchema(SourceSchema):
    table_name = fields.String(required=True)
    subject = fields.String(required=True)
    field = fields.String(required=True)
    recorded_at = UtcDateTime(required=True)
    recorded_by = fields.String(required=True, allow_none=True)


@bp.route("/data-freshness/sources", methods=["PUT"])
@bp.require(CORRECT_NODES)
@bp.arguments(SourceInSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, RecordedSourceSchema)
def record_source(body: dict):
    """Record (or replace) where a firm's field, a whole firm or one of the region's tables
    came from and as of when; signed with the key's person. The keys that correct firms'
    data (officers, admins) may."""
    app_state = state()
    subject = body.get("subject")
    if body["table_name"] == F.SOURCED_TABLES[0]:
        if subject is None:
            raise InvalidArgument("subject: name the firm", [{"field": "subject",
                                                              "message": "a firm's id"}])
        app_state.store.firm(subject)  # a firm that is not in the store is a 404
        if body["field"] not in (F.ALL_FIELDS, *C.FIRM_COLUMNS):
            raise InvalidArgument(f"field: not a firm column: {body['field']!r}",
                                  [{"field": "field", "message": "a firm column or *"}])
    elif body["field"] != F.ALL_FIELDS:
        raise InvalidArgument("field: a region's table is recorded whole, as \"*\"",
                              [{"field": "field", "message": "*"}])
    else:
        subject = app_state.region.id
    return F.record_source(app_state.store, body["table_name"], subject, body["source"],
                           body["as_of"], field=body["field"], by=current_principal().name)


@bp.route("/data-freshness/stale", methods=["GET"])
@bp.require(READ_FIRMS)
@bp.arguments(_StaleQuery, location="query")
@bp.response(200, StalePageSchema)
def stale_data(query: dict):
    """Firm fields and region tables older than ``max_age_days`` or of unknown age."""
    app_state = state()
    found = F.stale_data(app_state.store, max_age_days=query["max_age_days"],
                         region_id=app_state.region.id)
    page, size = query["page"], query["page_size"]
    return {"items": found[(page - 1) * size:page * size],
            "pagination": pagination(page, size, len(found))}


@bp.route("/data-freshness/firms/<firm_id>", methods=["GET"])
@bp.require(READ_FIRMS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, FirmSourcesSchema)
def firm_sources(firm_id: str):
    """Each field of a firm with its source and as-of date."""
    return F.firm_sources(state().store, firm_id)


@bp.route("/data-freshness/region", methods=["GET"])
@bp.require(READ_FIRMS)
@bp.response(200, RegionSourcesSchema)
def region_sources():
    """Each of the region's tables with its source and as-of date (null: unknown)."""
    app_state = state()
    return F.region_sources(app_state.store, app_state.region.id)
