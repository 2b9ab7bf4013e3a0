"""The ChainScout web service: a Flask app over the ``recommender`` library.

``create_app`` builds everything and reads like a table of contents; nothing is loaded at
import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (defaults, ``CHAINSCOUT_*``, ``config``), errors, blueprints.

    >>> app = create_app({"TESTING": True})
    >>> app.test_client().get("/api/v1/health").status_code
    200
    """
    from service.api import register_blueprints
    from service.errors import register_errorhandlers
    from service.settings import configure

    app = Flask(__name__)
    configure(app, config)
    register_errorhandlers(app)
    register_blueprints(app)
    return app
