"""Weak links (薄弱环节) and, for each recruitable one, the firms to recruit (链式精准招商)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from recommender.columns import SIZE_CLASSES
from recommender.outcome_stages import RECRUITMENT_STAGES
from recommender.store.auth import READ_RANKINGS
from recommender.targeting.exports import RECOMMENDATION_EXPORT_COLUMNS
from recommender.targeting.impact import SORT_KEYS
from service.answers import rankings as answers
from service.http.downloads import (
    export_parks,
    file_response,
    file_responses,
    json_response,
    require_export,
)
from service.http.encoding import dumps_bytes
from service.http.errors import ApiError
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, TopKQuerySchema
from service.runtime.state import state

__all__ = [
    "ExplanationSchema",
    "FORMAT_HELP",
    "FileQuerySchema",
    "FiltersSchema",
    "ISO2",
    "ReasonSchema",
    "RecommendationPageSchema",
    "RecommendationProvenanceSchema",
    "RecommendationQuerySchema",
    "RecommendedFirmSchema",
    "SORT_HELP",
    "STAGE_HELP",
    "WeakLinkListSchema",
    "WeakLinkQuerySchema",
    "WeakLinkSchema",
    "WeakLinkSummarySchema",
    "bp",
    "list_weak_links",
    "recommendations",
]

bp = ApiBlueprint("weak_links", __name__,
                  description="Weak links of the region's chain and the firms to recruit for "
                              "them, ranked with reasons.")

ISO2 = validate.Regexp(r"^[A-Za-z]{2}$", error="not an ISO 3166-1 alpha-2 code")
STAGE_HELP = ("Only firms at these recruitment stages for this weak link (comma-separated): "
              "the best outcome recorded for the firm and the link, none (never contacted), "
              "declined (declined or no answer), responded, visited (site visit), mou (MoU "
              "signed) or invested. exclude_contacted=true equals stage=none; given both, a "
              "firm passes both")
SORT_HELP = ("Order of the list: value (default; likelihood x impact, the expected share of "
             "the weak link filled), likelihood (of an MoU or better) or impact (how much of "
             "the weak link the firm could fill if it came)")
FORMAT_HELP = ("json (default), or csv / xlsx for a file with the whole top k (needs the "
               "export permission: officers and admins)")


# --- schemas: weak links -------------------------------------------------------------------
class WeakLinkQuerySchema(ma.Schema):
    chain = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "The chain's id (default: the chain the service serves)"})
    restrict = DelimitedList(fields.String(validate=validate.Length(min=1, max=60)), metadata={
        "description": "What-if: these origins (ISO alpha-2 codes or names, comma-separated, "
                       "e.g. US,NL) control every node's technology"})
    top = fields.Integer(validate=validate.Range(min=1, max=1000), metadata={
        "description": "Only the N weakest recruitable nodes"})


class ExplanationSchema(ma.Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class WeakLinkSchema(ma.Schema):
    node_id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    stage = fields.String(required=True)
    segment = fields.String(required=True)
    can_recruit = fields.Boolean(required=True, metadata={
        "description": "Upstream and midstream nodes are recruited for; downstream ones are "
                       "the application sectors that create demand"})
    local_firms = fields.Integer(required=True)
    local_supply = fields.Float(required=True)
    local_gap = fields.Float(required=True)
    import_value_usd = fields.Float(required=True)
    leader_need = fields.Float(required=True)
    demand = fields.Float(required=True)
    import_dependence = fields.Float(required=True)
    source_concentration = fields.Float(required=True)
    export_control_exposure = fields.Float(required=True)
    downstream_reach = fields.Float(required=True)
    criticality = fields.Float(required=True)
    weak_link_score = fields.Float(required=True)
    rank = fields.Integer(required=True, allow_none=True, metadata={
        "description": "1 = weakest recruitable node; null for downstream nodes"})
    has_imports = fields.Boolean(required=True)
    has_leader_needs = fields.Boolean(required=True)
    has_export_controls = fields.Boolean(required=True)
    has_local_firms = fields.Boolean(required=True)
    missing_inputs = fields.List(fields.String(), required=True, metadata={
        "description": "Components computed without their input (which then counts as 0)"})
    explanation = fields.Nested(ExplanationSchema, required=True)


class WeakLinkListSchema(ma.Schema):
    chain = fields.String(required=True)
    region = fields.String(required=True, allow_none=True)
    data_version = fields.Integer(required=True)
    restrict = fields.List(fields.String(), required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    radius_km = fields.Float(required=True, allow_none=True)
    import_years = fields.List(fields.Integer(), required=True)
    nodes = fields.Integer(required=True, metadata={"description": "Nodes diagnosed"})
    items = fields.List(fields.Nested(WeakLinkSchema), required=True)


# --- schemas: recommendations --------------------------------------------------------------
class FileQuerySchema(ma.Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]),
                           metadata={"description": FORMAT_HELP})
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]), metadata={
        "description": "Language of a file's headers, names and reasons (JSON carries both)"})


class RecommendationQuerySchema(PageQuerySchema, TopKQuerySchema, FileQuerySchema):
    country = DelimitedList(fields.String(validate=ISO2), metadata={
        "description": "Only firms from these countries (ISO alpha-2, comma-separated)"})
    size = DelimitedList(fields.String(validate=validate.OneOf(SIZE_CLASSES)), metadata={
        "description": "Only firms of these size classes (comma-separated)"})
    stage = DelimitedList(fields.String(validate=validate.OneOf(RECRUITMENT_STAGES)), metadata={
        "description": STAGE_HELP})
    exclude_contacted = fields.Boolean(load_default=False, metadata={
        "description": "Leave out firms with a recorded outcome for this weak link (as "
                       "stage=none)"})
    include_landed = fields.Boolean(load_default=False, metadata={
        "description": "Keep the firms that already invested for this weak link (投资落地), "
                       "left out by default (a stage filter naming invested keeps them too)"})
    sort = fields.String(load_default=SORT_KEYS[0], validate=validate.OneOf(SORT_KEYS),
                         metadata={"description": SORT_HELP})


class ReasonSchema(ma.Schema):
    feature = fields.String(required=True)
    contribution = fields.Float(required=True, metadata={
        "description": "Its part of the score, relative to a typical candidate of the link"})
    zh = fields.String(required=True)
    en = fields.String(required=True)


class RecommendationProvenanceSchema(ma.Schema):
    source = fields.String(required=True, allow_none=True, metadata={
        "description": "Where the firm's row came from: reference, synthetic, a file name"})
    is_synthetic = fields.Boolean(required=True)
    data_version = fields.Integer(required=True, metadata={
        "description": "The store's data version the score was computed over"})
    model_version = fields.String(required=True)


class RecommendedFirmSchema(ma.Schema):
    rank = fields.Integer(required=True)
    firm_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    name_zh = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    city = fields.String(required=True, allow_none=True)
    lat = fields.Float(required=True, allow_none=True)
    lon = fields.Float(required=True, allow_none=True)
    size_class = fields.String(required=True, allow_none=True)
    node_id = fields.String(required=True)
    node_name_zh = fields.String(required=True)
    node_name_en = fields.String(required=True)
    score = fields.Float(required=True)
    p_success = fields.Float(required=True, metadata={
        "description": "Calibrated probability of an MoU or better (the same as likelihood)"})
    likelihood = fields.Float(required=True, metadata={
        "description": "Calibrated probability of an MoU or better: the share of similar past "
                       "contacts that reached one"})
    impact = fields.Float(required=True, metadata={
        "description": "0..1: how much of the weak link the firm could fill if it came (its "
                       "match times its capability: scale, technology, reach, standing)"})
    value = fields.Float(required=True, metadata={
        "description": "likelihood x impact: the expected share of the weak link filled"})
    base_rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "The share of the contacts the likelihood was calibrated on that "
                       "reached an MoU or better: what a likelihood compares with"})
    match = fields.Float(required=True, metadata={"description": "Fit of the firm to the link"})
    hop = fields.Integer(required=True, metadata={
        "description": "0 active in the node, 1 in a neighbouring node of the chain"})
    contacted = fields.Boolean(required=True, metadata={
        "description": "An outcome is recorded for this firm and link"})
    outcome_stage = fields.String(required=True, validate=validate.OneOf(RECRUITMENT_STAGES),
                                  metadata={"description": "The firm's recruitment stage for "
                                            "the link, as the stage filter names it"})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    reason_zh = fields.String(required=True)
    reason_en = fields.String(required=True)
    provenance = fields.Nested(RecommendationProvenanceSchema, required=True)
    model_version = fields.String(required=True)


class WeakLinkSummarySchema(ma.Schema):
    node_id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    stage = fields.String(required=True)
    segment = fields.String(required=True)
    weak_link_score = fields.Float(required=True)
    rank = fields.Integer(required=True, allow_none=True)


class FiltersSchema(ma.Schema):
    country = fields.List(fields.String(), required=True, allow_none=True)
    size = fields.List(fields.String(), required=True, allow_none=True)
    stage = fields.List(fields.String(), required=True, allow_none=True)
    exclude_contacted = fields.Boolean(required=True)
    include_landed = fields.Boolean(required=True)


class RecommendationPageSchema(ma.Schema):
    node = fields.Nested(WeakLinkSummarySchema, required=True)
    model_version = fields.String(required=True, metadata={
        "description": "The model that ranked every item (also in X-Model-Version)"})
    data_version = fields.Integer(required=True)
    k = fields.Integer(required=True)
    candidates = fields.Integer(required=True, metadata={
        "description": "Candidates that passed the filters, before k"})
    sort = fields.String(required=True, validate=validate.OneOf(SORT_KEYS), metadata={
        "description": "The order of the items"})
    filters = fields.Nested(FiltersSchema, required=True)
    items = fields.List(fields.Nested(RecommendedFirmSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True, metadata={
        "description": "Pages of the top k"})


# --- views ---------------------------------------------------------------------------------
@bp.route("/weak-links", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(WeakLinkQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, WeakLinkListSchema)
def list_weak_links(query: dict):
    """The weak-link diagnosis: every node with each component, input flags and why.

    Nodes come weakest first; ``rank`` counts recruitable (upstream and midstream) nodes only.
    """
    app_state = state()
    chain_id = query.get("chain")
    if chain_id is not None and chain_id != app_state.chain.id:
        raise ApiError(404, "not_found", f"no chain {chain_id!r}")
    restrict = _origins(query.get("restrict") or [])
    snapshot = app_state.snapshots.get()
    body = answers.weak_link_rows(snapshot, app_state.settings, restrict=restrict,
                                  top=query.get("top"))
    return json_response(dumps_bytes(body), snapshot)


@bp.route("/weak-links/<node_id>/recommendations", methods=["GET"])
@bp.require(READ_RANKINGS)
@bp.arguments(RecommendationQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, RecommendationPageSchema)
@file_responses(bp)
def recommendations(query: dict, node_id: str):
    """The firms to recruit for one weak link, best first, with reasons and provenance.

    Each firm has ``likelihood`` (of an MoU or better), ``impact`` (how much of the link it
    could fill) and ``value``, their product; ``sort`` orders by one of them (``value`` by
    default). Firms that already invested for the link are left out unless
    ``include_landed=true``. ``k`` (at most 500) firms, paged; ``format=csv|xlsx`` downloads
    the whole top ``k`` with headers in ``lang``. Filters: ``country``, ``size`` and
    ``stage``, the firm's recruitment stage for the link (``none``, ``declined``,
    ``responded``, ``visited``, ``mou``, ``invested``), each a comma-separated list;
    ``filters`` echoes them. 404 for a node not in the chain, 422 for a downstream node or an
    unknown filter value.
    """
    fmt = query["format"]
    require_export(fmt)
    snapshot = state().snapshots.get()
    filters = {"country": query.get("country") or None, "size": query.get("size") or None,
               "stage": query.get("stage") or None,
               "exclude_contacted": query["exclude_contacted"],
               "include_landed": query["include_landed"], "sort": query["sort"]}
    if fmt == "json":
        body = answers.recommendations_json(snapshot, node_id, k=query["k"], page=query["page"],
                                            page_size=query["page_size"], **filters)
        return json_response(body, snapshot)
    lang = query["lang"]
    rows = answers.recommendation_rows(snapshot, node_id, k=query["k"], lang=lang,
                                       parks=export_parks(), **filters)
    stem = f"{'推荐名单' if lang == 'zh' else 'recommendations'}-{node_id}"
    about = answers.file_about(snapshot, answers.recommendation_title(snapshot, node_id, lang))
    return file_response(rows, RECOMMENDATION_EXPORT_COLUMNS, fmt=fmt, lang=lang, stem=stem,
                         snapshot=snapshot, about=about)


def _origins(values: list[str]) -> list[str]:
    """ISO alpha-2 codes of the origins named (codes or names); 422 for an unknown one."""
    from recommender.firms.countries import normalise_country

    codes, unknown = [], []
    for value in values:
        code = normalise_country(value.strip())
        (codes if code else unknown).append(code or value)
    if unknown:
        raise ApiError(422, "validation_error", "the request's parameters or body are invalid",
                       {"fields": {"query": {"restrict": [f"unknown country {u!r}"
                                                          for u in unknown]}}})
    return sorted(set(codes), key=codes.index)

