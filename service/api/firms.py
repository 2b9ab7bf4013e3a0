"""Firms: a filtered, paged list, and one firm's portrait (企业画像)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from recommender.store import models as M
from recommender.store.auth import CORRECT_NODES, READ_FIRMS, READ_OUTCOMES
from recommender.store.corrections import MAX_REASON_LENGTH
from service.answers.queries import (
    FIRM_SUMMARY_COLUMNS,
    MAX_QUERY_TEXT,
    correct_firm_node,
    firm_page,
    firm_portrait,
    review_queue,
)
from service.api.outcomes import OutcomeSchema
from service.http.auth import current_principal
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, UtcDateTime, table_schema
from service.runtime.classifier import BASIS_CLASSIFIER, BASIS_KEYWORDS, node_classifier
from service.runtime.state import state

__all__ = [
    "CorrectionInSchema",
    "CorrectionResultSchema",
    "CorrectionSchema",
    "FirmNodeSchema",
    "FirmPageSchema",
    "FirmPortraitSchema",
    "FirmProfileSchema",
    "FirmQuerySchema",
    "FirmSummarySchema",
    "ProvenanceSchema",
    "ReviewItemSchema",
    "ReviewQuerySchema",
    "bp",
    "correct_nodes",
    "get_firm",
    "list_firms",
    "nodes_to_review",
]

bp = ApiBlueprint("firms", __name__, description="Firm profiles and portraits (企业画像).")


class FirmQuerySchema(PageQuerySchema):
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={
        "description": "ISO 3166-1 alpha-2 code, e.g. DE"})
    node = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "Only firms active in this chain node"})
    q = fields.String(validate=validate.Length(min=1, max=MAX_QUERY_TEXT), metadata={
        "description": "Only firms whose English or Chinese name contains this text"})


FirmSummarySchema = table_schema(
    "FirmSummary", M.FIRMS, FIRM_SUMMARY_COLUMNS,
    nodes=fields.List(fields.String(), required=True,
                      metadata={"description": "Chain nodes the firm is active in"}),
)
FirmProfileSchema = table_schema("FirmProfile", M.FIRMS)


class FirmPageSchema(ma.Schema):
    items = fields.List(fields.Nested(FirmSummarySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class FirmNodeSchema(ma.Schema):
    node_id = fields.String(required=True)
    name_zh = fields.String(required=True, allow_none=True)
    name_en = fields.String(required=True, allow_none=True)
    stage = fields.String(required=True, allow_none=True)
    segment = fields.String(required=True, allow_none=True)
    method = fields.String(required=True, metadata={
        "description": "How the link was found: keyword, classifier, reference, synthetic, "
                       "correction (a person confirmed or added it)"})
    confidence = fields.Float(required=True, allow_none=True)
    evidence = fields.String(required=True, allow_none=True, metadata={
        "description": "The words or terms that support the link"})


class ProvenanceSchema(ma.Schema):
    source = fields.String(required=True, allow_none=True, metadata={
        "description": "Where the firm's row came from: reference, synthetic, a file name"})
    is_synthetic = fields.Boolean(required=True, metadata={
        "description": "True for the demo world's generated firms"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    data_version = fields.Integer(required=True)
    link_methods = fields.List(fields.String(), required=True)


class FirmPortraitSchema(ma.Schema):
    profile = fields.Nested(FirmProfileSchema, required=True)
    nodes = fields.List(fields.Nested(FirmNodeSchema), required=True)
    provenance = fields.Nested(ProvenanceSchema, required=True)
    outcomes = fields.List(fields.Nested(OutcomeSchema), required=True, allow_none=True,
                           metadata={"description": "The firm's outcome history, oldest "
                                                    "first; null for keys that may not read "
                                                    "outcomes (park managers)"})


@bp.route("/firms", methods=["GET"])
@bp.require(READ_FIRMS)
@bp.arguments(FirmQuerySchema, location="query")
@bp.response(200, FirmPageSchema)
def list_firms(query: dict):
    """Firms by id, filtered by country, chain node and name."""
    app_state = state()
    return firm_page(app_state.store, app_state.chain, country=query.get("country"),
                     node_id=query.get("node"), q=query.get("q"), page=query["page"],
                     page_size=query["page_size"])


@bp.route("/firms/<firm_id>", methods=["GET"])
@bp.require(READ_FIRMS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, FirmPortraitSchema)
def get_firm(firm_id: str):
    """A firm's portrait: profile, chain nodes with evidence, provenance, outcome history."""
    app_state = state()
    return firm_portrait(app_state.store, app_state.chain, firm_id,
                         with_outcomes=current_principal().can(READ_OUTCOMES))


class CorrectionInSchema(ma.Schema):
    node_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "A node of the chain"})
    action = fields.String(required=True, validate=validate.OneOf(M.CORRECTION_ACTIONS),
                           metadata={"description": "confirm or add the node (it overrides "
                                                    "the classifier), or reject it"})
    reason = fields.String(required=True,
                           validate=validate.Length(min=1, max=MAX_REASON_LENGTH),
                           metadata={"description": "Why, in the corrector's words"})


class CorrectionSchema(ma.Schema):
    id = fields.Integer(required=True)
    firm_id = fields.String(required=True)
    node_id = fields.String(required=True)
    action = fields.String(required=True)
    reason = fields.String(required=True)
    recorded_at = UtcDateTime(required=True)
    recorded_by = fields.String(required=True, allow_none=True)


class CorrectionResultSchema(ma.Schema):
    correction = fields.Nested(CorrectionSchema, required=True)
    nodes = fields.List(fields.Nested(FirmNodeSchema), required=True, metadata={
        "description": "The firm's nodes after the correction"})


class ReviewQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ReviewItemSchema(ma.Schema):
    firm_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    name_zh = fields.String(required=True, allow_none=True)
    node_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The closest call: the node whose confidence is nearest its threshold"})
    confidence = fields.Float(required=True)
    threshold = fields.Float(required=True)
    margin = fields.Float(required=True, metadata={"description": "|confidence - threshold|"})
    basis = fields.String(required=True, validate=validate.OneOf(
        [BASIS_CLASSIFIER, BASIS_KEYWORDS]), metadata={
        "description": "Whose margin: the trained node classifier's (when the server holds "
                       "one), else the keywords'"})
    nodes = fields.List(fields.String(), required=True)


@bp.route("/firms/<firm_id>/nodes", methods=["POST"])
@bp.require(CORRECT_NODES)
@bp.arguments(CorrectionInSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(201, CorrectionResultSchema)
def correct_nodes(body: dict, firm_id: str):
    """Confirm, reject or add one of a firm's chain nodes, with a reason (officers, admins).

    The correction is kept with who and when, overrides the classifier for the firm, survives
    re-imports and becomes a training label of ``chainscout classifier train``; rankings are
    scored again over the new data version.
    """
    app_state = state()
    result = correct_firm_node(app_state.store, app_state.chain, firm_id,
                               recorded_by=current_principal().name, **body)
    app_state.snapshots.invalidate()
    return result


@bp.route("/firms/review", methods=["GET"])
@bp.require(CORRECT_NODES)
@bp.arguments(ReviewQuerySchema, location="query")
@bp.response(200, ReviewItemSchema(many=True))
def nodes_to_review(query: dict):
    """The firms whose nodes are the closest calls (smallest margin first), not yet corrected.

    The margins are the trained node classifier's when the server's var folder holds one
    (``node_classifier.npz``, from ``chainscout classifier train``), else the keywords'.
    """
    app_state = state()
    classifier = node_classifier(app_state.settings.var_dir, app_state.chain)
    basis = BASIS_KEYWORDS if classifier is None else BASIS_CLASSIFIER
    items = review_queue(app_state.store, app_state.chain, limit=query["limit"],
                         classifier=classifier)
    return [{**item, "basis": basis} for item in items]
