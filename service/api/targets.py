"""The target list (招商目标清单): the firms that together best cover the weakest links."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from recommender.store.auth import READ_RANKINGS
from recommender.targeting.exports import TARGET_EXPORT_COLUMNS
from service.answers import rankings as answers
from service.api.weak_links import FileQuerySchema, RecommendedFirmSchema
from service.http.downloads import (
    export_parks,
    file_response,
    file_responses,
    json_response,
    require_export,
)
from service.http.openapi import ApiBlueprint
from service.http.schemas import at_most_setting
from service.runtime.state import state

__all__ = [
    "CoverSchema",
    "CoverageSchema",
    "TargetListSchema",
    "TargetPickSchema",
    "TargetQuerySchema",
    "bp",
    "get_target_list",
]

bp = ApiBlueprint("targets", __name__,
                  description="The target list: K firms to visit that best cover the weak "
                              "links together, with at most a share of them from one country.")


class TargetQuerySchema(FileQuerySchema):
    k = fields.Integer(load_default=30, validate=[validate.Range(min=1),
                                                  at_most_setting("K_MAX")],
                       metadata={"description": "Firms the officers can visit (default 30, at "
                                                "most 500 unless configured otherwise)"})
    max_country_share = fields.Float(
        load_default=0.4, validate=validate.Range(min=0, max=1, min_inclusive=False),
        metadata={"description": "Largest share of the list from one home country"})
    top_links = fields.Integer(load_default=10, validate=validate.Range(min=1, max=200),
                               metadata={"description": "Weak links to cover, weakest first"})
    exclude = DelimitedList(fields.String(validate=validate.Length(min=1, max=200)),
                            validate=validate.Length(max=1000), metadata={
                                "description": "Firm ids never to pick (screened entities)"})


class CoverSchema(ma.Schema):
    node_id = fields.String(required=True)
    p = fields.Float(required=True, metadata={
        "description": "Expected share of the link it fills: its value there, likelihood x "
                       "impact"})
    gain = fields.Float(required=True, metadata={"description": "Coverage it adds there"})


class TargetPickSchema(RecommendedFirmSchema):
    marginal_gain = fields.Float(required=True, metadata={
        "description": "Expected coverage the firm added when it was picked"})
    objective = fields.Float(required=True, metadata={"description": "Coverage so far"})
    coverage_share = fields.Float(required=True, metadata={
        "description": "Coverage so far over the total weight of the links"})
    covers = fields.List(fields.Nested(CoverSchema), required=True)


class CoverageSchema(ma.Schema):
    objective = fields.Float(required=True, metadata={
        "description": "Expected weighted coverage of the links by the whole list"})
    total_weight = fields.Float(required=True)
    coverage_share = fields.Float(required=True)
    country_cap = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Most firms from one home country"})
    link_weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    note = fields.String(required=True, metadata={
        "description": "Why fewer than k firms were picked, if so"})
    guarantee = fields.String(required=True)
    saturated = fields.Boolean(required=True, metadata={
        "description": "True when the list stopped short of k because no firm still allowed "
                       "would add at least min_gain: coverage has saturated"})
    saturated_after = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Firms picked when coverage saturated (null if it did not)"})
    min_gain = fields.Float(required=True, metadata={
        "description": "Least expected coverage a pick must add: 1e-4 of total_weight"})


class TargetListSchema(ma.Schema):
    model_version = fields.String(required=True)
    data_version = fields.Integer(required=True)
    k = fields.Integer(required=True)
    max_country_share = fields.Float(required=True)
    top_links = fields.Integer(required=True)
    coverage = fields.Nested(CoverageSchema, required=True)
    items = fields.List(fields.Nested(TargetPickSchema), required=True)


@bp.route("/target-list", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(TargetQuerySchema, location="query")
@bp.response(200, TargetListSchema)
@file_responses(bp)
def get_target_list(query: dict):
    """Pick the firms that best cover the weakest links together (lazy greedy, country caps).

    ``format=csv|xlsx`` downloads the list with headers in ``lang``.
    """
    fmt = query["format"]
    require_export(fmt)
    snapshot = state().snapshots.get()
    answer = answers.target_list(snapshot, k=query["k"],
                                 max_country_share=query["max_country_share"],
                                 top_links=query["top_links"], exclude=query.get("exclude") or ())
    if fmt == "json":
        return json_response(answers.target_list_json(answer), snapshot)
    lang = query["lang"]
    title = "招商目标清单" if lang == "zh" else "Target list"
    about = answers.file_about(snapshot, title, answers.target_notes(answer, lang))
    return file_response(answers.target_rows(snapshot, answer, lang, export_parks()),
                         TARGET_EXPORT_COLUMNS, fmt=fmt, lang=lang,
                         stem="招商目标清单" if lang == "zh" else "target-list",
                         snapshot=snapshot, about=about, sheet=title)
