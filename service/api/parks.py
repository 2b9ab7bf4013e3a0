"""Parks (园区画像): the list, one park, and their profiles created, changed and deleted.

A park manager's key sees its own parks only, and may change their profiles (another park is
a 404, as for one that does not exist); only an admin creates and deletes parks. Profiles are
validated twice: by the request schema here (types, ranges, unknown fields: 422
``validation_error``) and by the library's ``parks`` table rules
(:func:`recommender.parks.profiles.park_profiles`), and focus nodes must be nodes of the chain.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from marshmallow import fields, validate

from recommender import columns as C
from recommender.store import models as M
from recommender.store.auth import EDIT_PARKS, MANAGE_PARKS, READ_PARKS
from recommender.store.store import PARK_COLUMNS
from service.answers.matching import visible_park
from service.answers.queries import _require_nodes, park_page, park_profile
from service.http.auth import current_principal
from service.http.errors import ApiError
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, table_schema
from service.runtime.state import state

__all__ = [
    "PARK_ID_PATTERN",
    "ParkCreateSchema",
    "ParkPageSchema",
    "ParkPatchSchema",
    "ParkProfileFields",
    "ParkSchema",
    "bp",
    "create_park",
    "delete_park",
    "get_park",
    "list_parks",
    "replace_park",
    "update_park",
]

bp = ApiBlueprint("parks", __name__, description="Industrial parks (园区) and their profiles.")

ParkSchema = table_schema("Park", M.PARKS, PARK_COLUMNS)
PARK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ParkPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ParkSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


def _amount(description: str) -> fields.Float:
    return fields.Float(allow_none=True, validate=validate.Range(min=0),
                        metadata={"description": description})


class ParkProfileFields(ma.Schema):
    """The fields of a park profile a client may send (``park_id`` aside)."""

    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    city_id = fields.String(allow_none=True, validate=validate.Length(max=100))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90),
                       metadata={"description": "WGS84 latitude"})
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180),
                       metadata={"description": "WGS84 longitude"})
    focus_nodes = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                              validate=validate.Length(max=200),
                              metadata={"description": "Chain nodes the park focuses on"})
    land_available_ha = _amount("Land on offer, hectares")
    building_available_m2 = _amount("Building space on offer, m²")
    power_capacity_mva = _amount("Spare power capacity, MVA")
    clean_room_m2 = _amount("Clean room on offer, m²")
    rent_cny_m2_month = _amount("Rent, CNY per m² and month")
    incentives_zh = fields.String(allow_none=True, validate=validate.Length(max=2000))
    incentives_en = fields.String(allow_none=True, validate=validate.Length(max=2000))
    max_new_firms = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000),
                                   metadata={"description": "New tenants it can take in one "
                                                            "planning round"})
    tenants = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          validate=validate.Length(max=5000),
                          metadata={"description": "Firm ids of current tenants"})
    is_illustrative = fields.Boolean(load_default=False, metadata={
        "description": "Figures invented for a demo, not public facts"})
    source = fields.String(allow_none=True, validate=validate.Length(max=500))


class ParkCreateSchema(ParkProfileFields):
    park_id = fields.String(required=True, validate=validate.Regexp(
        PARK_ID_PATTERN, error="letters, digits, _ . - (at most 100, starting with a letter "
                               "or digit)"))


class ParkPatchSchema(ParkProfileFields):
    """Some fields of a park profile; those left out keep their values."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


# --- views: reading -------------------------------------------------------------------------
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


# --- views: writing -------------------------------------------------------------------------
@bp.route("/parks", methods=["POST"])
@bp.require(MANAGE_PARKS)
@bp.arguments(ParkCreateSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.response(201, ParkSchema)
def create_park(body: dict):
    """Create a park (admins); 409 if its id is taken, 422 for an invalid profile."""
    store = state().store
    if _exists(store, body[C.PARK_ID]):
        raise ApiError(409, "duplicate_park", f"park {body[C.PARK_ID]!r} exists; change it "
                       "with PUT or PATCH", {C.PARK_ID: body[C.PARK_ID]})
    return _save(body)


@bp.route("/parks/<park_id>", methods=["PUT"])
@bp.require(EDIT_PARKS)
@bp.arguments(ParkProfileFields)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ParkSchema)
def replace_park(body: dict, park_id: str):
    """Replace a park's profile: fields left out become empty (admins; a park manager for its
    own parks only, another park is a 404)."""
    visible_park(state().store, park_id, current_principal().park_scope)
    return _save({**body, C.PARK_ID: park_id})


@bp.route("/parks/<park_id>", methods=["PATCH"])
@bp.require(EDIT_PARKS)
@bp.arguments(ParkPatchSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ParkSchema)
def update_park(body: dict, park_id: str):
    """Change some fields of a park's profile (admins; a park manager for its own parks only,
    another park is a 404)."""
    stored = visible_park(state().store, park_id, current_principal().park_scope)
    current = {name: stored.get(name) for name in PARK_COLUMNS}
    return _save({**current, **body, C.PARK_ID: park_id})


@bp.route("/parks/<park_id>", methods=["DELETE"])
@bp.require(MANAGE_PARKS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(204)
def delete_park(park_id: str):
    """Delete a park (admins); keys of park managers that name it keep naming a missing park."""
    app_state = state()
    app_state.store.delete_park(park_id)
    app_state.snapshots.invalidate()
    return Response(status=204)


def _exists(store, park_id: str) -> bool:
    from recommender.exceptions import NotFoundError

    try:
        store.park(park_id)
    except NotFoundError:
        return False
    return True


def _save(profile: dict[str, Any]) -> dict[str, Any]:
    """Validate a whole profile by the library's rules and store it; return the stored row."""
    from recommender.parks.profiles import park_profiles

    app_state = state()
    frame = park_profiles(profile)
    _require_nodes(app_state.chain, list(frame.at[0, C.FOCUS_NODES] or []), C.FOCUS_NODES)
    result = app_state.store.upsert_parks(frame[[c for c in PARK_COLUMNS if c in frame]])
    if result.get("inserted") or result.get("updated"):
        app_state.snapshots.invalidate()
    return app_state.store.park(profile[C.PARK_ID])
