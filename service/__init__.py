"""The ChainScout web service: a Flask app over the ``recommender`` library.

``create_app`` builds everything and reads like a table of contents; nothing is loaded at
import time, and the store, chain and region load on first use (:mod:`service.runtime.state`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (defaults, ``CHAINSCOUT_*``, ``config``), errors, keys, the
    API's blueprints and its OpenAPI document, JSON encoding, limits.

    ``config`` takes Flask settings in upper case and library settings in lower case
    (``{"database_url": "sqlite:///var/t.db", "PAGE_SIZE_MAX": 100}``).

    >>> app = create_app({"TESTING": True})
    >>> app.test_client().get("/api/v1/health").status_code
    200
    """
    from service.api import register_blueprints
    from service.http.auth import register_auth
    from service.http.encoding import register_json
    from service.http.errors import register_errorhandlers
    from service.http.limits import register_limits
    from service.settings import configure

    app = Flask(__name__)
    configure(app, config)
    register_errorhandlers(app)
    register_auth(app)
    register_blueprints(app)
    register_json(app)
    register_limits(app)
    return app
