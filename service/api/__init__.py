"""JSON API blueprints under ``/api/v1``, one module per resource.

Each module in ``RESOURCES`` holds its schemas and views and exposes ``bp``, an
:class:`service.http.openapi.ApiBlueprint`; adding a resource is one module and one name here.
"""

from __future__ import annotations

import importlib

from flask import Flask

from service.settings import API_PREFIX

__all__ = ["RESOURCES", "register_blueprints"]

RESOURCES = ("health", "chains", "firms", "outcomes", "parks", "park_matching", "weak_links",
             "targets", "maps", "models", "jobs",
             "projects", "chain_health", "leader_needs", "data_freshness")


def register_blueprints(app: Flask) -> None:
    """Register the OpenAPI document, the docs page and every resource's blueprint."""
    from service.http.openapi import ChainScoutApi, docs_assets_blueprint

    api = ChainScoutApi(app)
    app.register_blueprint(docs_assets_blueprint())
    for name in RESOURCES:
        module = importlib.import_module(f"service.api.{name}")
        api.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.extensions["chainscout"].api = api
    app.register_blueprint(importlib.import_module("service.pages").bp)
