"""Chains: the list, and one chain's graph (nodes and supplier -> consumer edges)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from recommender.store.auth import READ_CHAINS
from service.answers.queries import chain_graph, chain_summaries
from service.http.openapi import ApiBlueprint
from service.runtime.state import state

__all__ = [
    "ChainEdgeSchema",
    "ChainListSchema",
    "ChainNodeSchema",
    "ChainSchema",
    "ChainSummarySchema",
    "bp",
    "get_chain",
    "list_chains",
]

bp = ApiBlueprint("chains", __name__, description="Industrial chains (产业链) and their graphs.")


class ChainSummarySchema(ma.Schema):
    id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    version = fields.String(required=True)
    nodes = fields.Integer(required=True, metadata={"description": "Number of nodes"})
    edges = fields.Integer(required=True, metadata={"description": "Number of edges"})
    source = fields.String(allow_none=True)


class ChainListSchema(ma.Schema):
    items = fields.List(fields.Nested(ChainSummarySchema), required=True)


class ChainNodeSchema(ma.Schema):
    node_id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    stage = fields.String(required=True, metadata={"enum": ["upstream", "midstream",
                                                             "downstream"]})
    segment = fields.String(required=True)
    hs_codes = fields.List(fields.String(), required=True)
    gbt4754 = fields.List(fields.String(), required=True)
    keywords_zh = fields.List(fields.String(), required=True)
    keywords_en = fields.List(fields.String(), required=True)


class ChainEdgeSchema(ma.Schema):
    supplier = fields.String(required=True)
    consumer = fields.String(required=True)
    weight = fields.Float(allow_none=True, metadata={
        "description": "The supplier's share of the consumer's cost, when known"})


class ChainSchema(ma.Schema):
    id = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    version = fields.String(required=True)
    allow_cycles = fields.Boolean(required=True)
    source = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    nodes = fields.List(fields.Nested(ChainNodeSchema), required=True)
    edges = fields.List(fields.Nested(ChainEdgeSchema), required=True)


@bp.route("/chains", methods=["GET"])
@bp.require(READ_CHAINS)
@bp.response(200, ChainListSchema)
def list_chains():
    """The chains the service serves."""
    return {"items": chain_summaries(state().chain)}


@bp.route("/chains/<chain_id>", methods=["GET"])
@bp.require(READ_CHAINS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ChainSchema)
def get_chain(chain_id: str):
    """One chain: its nodes and its supplier -> consumer edges."""
    return chain_graph(state().chain, chain_id)
