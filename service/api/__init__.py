"""JSON API blueprints under ``/api/v1``, one per resource."""

from __future__ import annotations

from flask import Flask

API_PREFIX = "/api/v1"


def register_blueprints(app: Flask) -> None:
    from service.api.health import bp as health

    app.register_blueprint(health, url_prefix=API_PREFIX)
