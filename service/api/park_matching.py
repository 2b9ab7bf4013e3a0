"""Park matching (园区匹配): the firms that suit a park, the parks that suit a firm, an ad-hoc
park profile matched, and firms assigned to parks within their capacities.

Firms are those of the current snapshot (the data the rankings are scored over); parks are
the store's, as far as the key may see them: a park manager's key matches its own parks only,
and another park is a 404, as for one that does not exist.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from recommender import columns as C
from recommender.store.auth import READ_PARKS
from service.answers import matching, park_outcomes, portraits
from service.api.parks import PARK_ID_PATTERN, ParkProfileFields, ParkSchema
from service.api.weak_links import FileQuerySchema
from service.http.auth import current_principal
from service.http.downloads import (
    file_response,
    file_responses,
    require_export,
    require_park_export,
)
from service.http.openapi import ApiBlueprint
from service.http.schemas import TopKQuerySchema
from service.runtime.state import state

__all__ = [
    "AD_HOC_PARK",
    "AdHocParkSchema",
    "AssignSchema",
    "AssignedFirmSchema",
    "AssignmentSchema",
    "FirmParkListSchema",
    "FirmParksQuerySchema",
    "MatchQuerySchema",
    "MatchReasonSchema",
    "ParkMatchListSchema",
    "ParkMatchSchema",
    "assign",
    "bp",
    "firm_parks",
    "match_ad_hoc_park",
    "park_matches",
]

bp = ApiBlueprint("park_matching", __name__,
                  description="Firms for a park and parks for a firm, with reasons; firms "
                              "assigned to parks within their capacities.")

AD_HOC_PARK = "ad_hoc"


# --- schemas --------------------------------------------------------------------------------
class MatchQuerySchema(TopKQuerySchema, FileQuerySchema):
    include_excluded = fields.Boolean(load_default=False, metadata={
        "description": "Also list the firms that would rank in the top k but need more than "
                       "the park offers (no rank, with the reason)"})
    exclude_local = fields.Boolean(load_default=True, metadata={
        "description": "Leave out firms already located in the region"})


class FirmParksQuerySchema(ma.Schema):
    k = fields.Integer(validate=validate.Range(min=1, max=1000), metadata={
        "description": "How many admitted parks (default: every park)"})
    include_excluded = fields.Boolean(load_default=False, metadata={
        "description": "Also list the parks whose offer the firm's needs exceed"})


class AdHocParkSchema(ParkProfileFields):
    """A park profile that is not stored: only ``lat`` and ``lon`` are required."""

    park_id = fields.String(load_default=AD_HOC_PARK,
                            validate=validate.Regexp(PARK_ID_PATTERN))
    name_zh = fields.String(load_default="临时园区", validate=validate.Length(min=1, max=200))
    name_en = fields.String(load_default="Ad-hoc park", validate=validate.Length(min=1, max=200))


class AssignSchema(ma.Schema):
    park_ids = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                           validate=validate.Length(min=1, max=1000), metadata={
        "description": "The parks to fill (default: every park the key may see)"})
    k_per_park = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                                metadata={"description": "Candidates per park considered"})
    exclude_local = fields.Boolean(load_default=True, metadata={
        "description": "Leave out firms already located in the region"})


class MatchReasonSchema(ma.Schema):
    feature = fields.String(required=True, metadata={
        "description": "synergy (with tenants), focus_fit, capacity_fit, proximity, rec_score"})
    contribution = fields.Float(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


def _number(description: str | None = None) -> fields.Float:
    return fields.Float(required=True, allow_none=True,
                        metadata={"description": description} if description else {})


class ParkMatchSchema(ma.Schema):
    rank = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Among admitted pairs; null for an excluded one"})
    park_id = fields.String(required=True)
    firm_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    name_zh = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    city = fields.String(required=True, allow_none=True)
    lat = _number()
    lon = _number()
    score = fields.Float(required=True, metadata={"description": "The match score, 0 to 1"})
    synergy = fields.Float(required=True, metadata={
        "description": "Chain synergy with the park's tenants (suppliers and customers)"})
    focus_fit = fields.Float(required=True, metadata={"description": "Fit to the focus nodes"})
    capacity_fit = fields.Float(required=True, metadata={
        "description": "Headroom on the tightest resource the firm needs"})
    proximity = fields.Float(required=True, metadata={
        "description": "Nearness of the head office, or presence in China / the Greater Bay "
                       "Area"})
    distance_km = _number("Great-circle distance from the head office to the park")
    linked_tenants = fields.List(fields.String(), required=True)
    need_land_ha = _number("Estimated (or stated) land need")
    need_building_m2 = _number()
    need_power_mva = _number()
    need_clean_room_m2 = _number()
    excluded = fields.Boolean(required=True, metadata={
        "description": "A need exceeds the park's offer (hard filter)"})
    excluded_reason_zh = fields.String(required=True, allow_none=True)
    excluded_reason_en = fields.String(required=True, allow_none=True)
    reasons = fields.List(fields.Nested(MatchReasonSchema), required=True)
    reason_zh = fields.String(required=True, allow_none=True)
    reason_en = fields.String(required=True, allow_none=True)
    is_synthetic = fields.Boolean(required=True, allow_none=True)


class ParkMatchListSchema(ma.Schema):
    park = fields.Nested(ParkSchema, required=True)
    model_version = fields.String(required=True)
    data_version = fields.Integer(required=True)
    k = fields.Integer(required=True)
    include_excluded = fields.Boolean(required=True)
    exclude_local = fields.Boolean(required=True)
    items = fields.List(fields.Nested(ParkMatchSchema), required=True)


class FirmParkListSchema(ma.Schema):
    firm_id = fields.String(required=True)
    model_version = fields.String(required=True)
    data_version = fields.Integer(required=True)
    items = fields.List(fields.Nested(ParkMatchSchema), required=True)


class AssignedFirmSchema(ma.Schema):
    park_id = fields.String(required=True)
    firm_id = fields.String(required=True)
    score = fields.Float(required=True)
    name = fields.String(required=True, allow_none=True)
    name_zh = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    city = fields.String(required=True, allow_none=True)
    reason_zh = fields.String(required=True, allow_none=True)
    reason_en = fields.String(required=True, allow_none=True)


class AssignmentSchema(ma.Schema):
    model_version = fields.String(required=True)
    data_version = fields.Integer(required=True)
    k_per_park = fields.Integer(required=True)
    exclude_local = fields.Boolean(required=True)
    total = fields.Float(required=True, metadata={"description": "Total score of the pairs"})
    top_m = fields.Integer(required=True, metadata={
        "description": "Candidates kept per park by the solver"})
    capacities = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                             metadata={"description": "max_new_firms per park (none: 0)"})
    open_slots = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    assignments = fields.List(fields.Nested(AssignedFirmSchema), required=True, metadata={
        "description": "Each firm at most once, each park within its capacity"})


# --- views ----------------------------------------------------------------------------------
@bp.route("/parks/<park_id>/matches", methods=["GET"])
@bp.require(READ_PARKS)
@bp.arguments(MatchQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ParkMatchListSchema)
@file_responses(bp)
def park_matches(query: dict, park_id: str):
    """The firms that suit a park, best first: hard filters on its offer (land, building,
    power, clean room), then a score of tenant synergy, focus fit, capacity fit and distance,
    with reasons. Another's park is a 404 for a park manager's key. ``format=csv|xlsx``
    downloads the list with headers in ``lang`` (needs the export permission, or for a park
    manager's own park ``export:parks``; a firm's last contact only where the key reads its
    outcomes)."""
    app_state = state()
    park = matching.visible_park(app_state.store, park_id, current_principal().park_scope)
    return _matches(park, query, stored=True)


@bp.route("/parks/match", methods=["POST"])
@bp.require(READ_PARKS)
@bp.arguments(MatchQuerySchema, location="query")
@bp.arguments(AdHocParkSchema)
@bp.response(200, ParkMatchListSchema)
@file_responses(bp)
def match_ad_hoc_park(query: dict, body: dict):
    """The firms that suit a park profile given in the body (not stored), as for a stored
    park; 422 for an invalid profile or a focus node not in the chain."""
    return _matches(body, query)


@bp.route("/firms/<firm_id>/parks", methods=["GET"])
@bp.require(READ_PARKS)
@bp.arguments(FirmParksQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, FirmParkListSchema)
def firm_parks(query: dict, firm_id: str):
    """The parks that suit a firm, best first, with reasons; a park manager's key sees its
    own parks only."""
    app_state = state()
    snapshot = app_state.snapshots.get()
    parks = matching.visible_parks(app_state.store, current_principal().park_scope)
    items = matching.firm_park_rows(snapshot, firm_id, parks, k=query.get("k"),
                                    include_excluded=query["include_excluded"])
    return {C.FIRM_ID: firm_id, C.MODEL_VERSION: snapshot.model_version,
            "data_version": snapshot.data_version, "items": items}


@bp.route("/parks/assign", methods=["POST"])
@bp.require(READ_PARKS)
@bp.arguments(AssignSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, AssignmentSchema)
def assign(body: dict):
    """Assign firms to parks: each firm at most one park, each park at most its
    ``max_new_firms``, the total match score as high as possible.

    Each park's ``k_per_park`` best admitted firms are the candidates. The solver is exact over
    them: ``scipy.optimize.linear_sum_assignment`` over park slots (each park expanded into as
    many slots as it can take), by :func:`recommender.parks.assignment.assign_firms_to_parks`. A
    park manager's key assigns to its own parks only; another park is a 404.
    """
    app_state = state()
    snapshot = app_state.snapshots.get()
    parks = matching.visible_parks(app_state.store, current_principal().park_scope,
                                   body.get("park_ids"))
    return matching.assignment(snapshot, parks, k_per_park=body["k_per_park"],
                               exclude_local=body["exclude_local"])


def _matches(park: dict, query: dict, *, stored: bool = False):
    """The matches as JSON, or as a CSV or XLSX file (of a stored park, also for a park
    manager's own park)."""
    (require_park_export if stored else require_export)(query["format"])
    app_state = state()
    snapshot = app_state.snapshots.get()
    if query["format"] == "json":
        return portraits.park_matches(snapshot, app_state.chain, park, k=query["k"],
                                      include_excluded=query["include_excluded"],
                                      exclude_local=query["exclude_local"])
    rows, layout, stem = park_outcomes.park_match_download(
        app_state.store, app_state.chain, snapshot, park, k=query["k"],
        include_excluded=query["include_excluded"], exclude_local=query["exclude_local"],
        lang=query["lang"], outcome_scope=park_outcomes.outcome_scope(current_principal()))
    return file_response(rows, matching.PARK_MATCH_EXPORT_COLUMNS, fmt=query["format"],
                         lang=query["lang"], stem=stem, snapshot=snapshot, **layout)


