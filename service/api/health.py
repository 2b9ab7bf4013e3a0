"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/ready")
def ready():
    """The store answers and holds a chain's worth of data."""
    from recommender.store import open_store

    settings = current_app.extensions["chainscout"]["settings"]
    summary = open_store(settings.database_url).summary()
    return jsonify({"status": "ready", "store": summary})
