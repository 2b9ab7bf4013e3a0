"""Parks (园区画像): the list and one park; a park manager's key sees its own parks only."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from recommender.auth import READ_PARKS
from recommender.store import models as M
from recommender.store.store import PARK_COLUMNS
from service.auth import current_principal
from service.openapi import ApiBlueprint
from service.queries import park_page, park_profile
from service.schemas import PageQuerySchema, PaginationSchema, table_schema
from service.state import state

bp = ApiBlueprint("parks", __name__, description="Industrial parks (园区) and their profiles.")

ParkSchema = table_schema("Park", M.PARKS, PARK_COLUMNS)


class ParkPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ParkSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


@bp.route("/parks", methods=["GET"])
@bp.require(READ_PARKS)
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, ParkPageSchema)
def list_parks(query: dict):
    """Parks by id; a park manager's key lists its own parks only."""
    return park_page(state().store, visible=current_principal().park_scope,
                     page=query["page"], page_size=query["page_size"])


@bp.route("/parks/<park_id>", methods=["GET"])
@bp.require(READ_PARKS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ParkSchema)
def get_park(park_id: str):
    """One park's profile; another's park is a 404 for a park manager's key."""
    return park_profile(state().store, park_id, visible=current_principal().park_scope)
