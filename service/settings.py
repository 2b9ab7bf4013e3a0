"""Layered settings of the app: code defaults, ``CHAINSCOUT_*`` env, then the given mapping.

Flask's own settings and the service's limits are upper case (``CHAINSCOUT_PAGE_SIZE_MAX=100``
in the environment); the library's settings (:class:`recommender.config.Settings`) are lower
case in the mapping and ``CHAINSCOUT_DATABASE_URL`` and the like in the environment.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import Flask

from recommender.config import Settings, load_settings
from recommender.exceptions import ConfigError

__all__ = ["API_PREFIX", "DEFAULTS", "SNAPSHOT_REFRESH_MODES", "configure"]

API_PREFIX = "/api/v1"
SNAPSHOT_REFRESH_MODES = ("background", "inline")

DEFAULTS: dict[str, Any] = {
    # --- limits -----------------------------------------------------------------------------
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # bytes of a request body; more is a 413
    "JSON_MAX_DEPTH": 20,  # nesting of a request's JSON; deeper is a 400
    "PAGE_SIZE_DEFAULT": 50,
    "PAGE_SIZE_MAX": 200,
    "K_DEFAULT": 50,  # length of a ranked list
    "K_MAX": 500,
    # Token bucket per API key, shared by the workers of one gunicorn server
    # (service.http.limits). 0 turns the limit off.
    "RATE_LIMIT_PER_MINUTE": 600,
    "RATE_LIMIT_BURST": 60,
    # Failed authentications (unknown or revoked keys) per client address. 0: no limit.
    "AUTH_FAILURES_PER_MINUTE": 30,
    "AUTH_FAILURE_BURST": 10,
    # Request line and header fields, in bytes; gunicorn's own limits sit above these.
    "MAX_REQUEST_LINE": 4094,
    "MAX_HEADER_FIELDS": 100,
    "MAX_HEADER_FIELD_BYTES": 16384,
    # Seconds a process trusts a key it verified before asking the store again (a revoked key
    # works on for at most this long there). 0 asks the store on every request.
    "AUTH_CACHE_SECONDS": 5,
    # Whether the service migrates the store when it first opens it. Off: `chainscout db
    # upgrade` (or the demo build) migrates, and /ready says when the schema lags behind.
    "STORE_UPGRADE": False,
    # --- serving rankings (service.runtime.state.Snapshots) ----------------------------------
    # How often a process asks whether the active model or the data version changed; after
    # this process records an outcome or activates a model it asks at once.
    "SNAPSHOT_CHECK_SECONDS": 2.0,
    # "background": a changed model or data version is scored in a thread while the old
    # snapshot serves; "inline": on the request that noticed the change.
    "SNAPSHOT_REFRESH": "background",
    # A training job that is still queued or running after this many seconds no longer
    # blocks a new one (its process may have died with it).
    "TRAINING_JOB_STALE_SECONDS": 6 * 3600,
    # --- pages ------------------------------------------------------------------------------
    # Hours a page login lasts (the session cookie keeps the key's SHA-256 and the login time).
    "SESSION_HOURS": 12,
    # --- OpenAPI document and docs page (flask-smorest) -------------------------------------
    "API_TITLE": "ChainScout API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Relative to the docs page, so that the page works under any script root.
    "OPENAPI_SWAGGER_UI_URL": "docs/assets/",
    # No validator badge: it would send the document to an outside service.
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "deepLinking": True},
}


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Apply defaults, then the environment, then ``config``; keep library settings apart.

    Keys of ``config`` in lower case that name a ``recommender.config.Settings`` field go to the
    library settings (``app.extensions["chainscout"].settings``, a
    :class:`service.runtime.state.ServiceState`); the rest are Flask's.
    """
    from service.runtime.state import ServiceState

    app.config.update(copy.deepcopy(DEFAULTS))
    app.config.from_prefixed_env("CHAINSCOUT")
    config = dict(config or {})
    fields = set(Settings.__dataclass_fields__)
    library = {k: config.pop(k) for k in list(config) if k in fields}
    app.config.update(config)
    refresh = app.config["SNAPSHOT_REFRESH"]
    if refresh not in SNAPSHOT_REFRESH_MODES:
        raise ConfigError(f"setting SNAPSHOT_REFRESH must be one of "
                          f"{', '.join(SNAPSHOT_REFRESH_MODES)}, got {refresh!r}")
    try:
        check = float(app.config["SNAPSHOT_CHECK_SECONDS"])
    except (TypeError, ValueError):
        check = -1.0
    if not check >= 0:
        raise ConfigError("setting SNAPSHOT_CHECK_SECONDS must be a number of seconds >= 0")
    app.extensions["chainscout"] = ServiceState(
        load_settings(library), upgrade=bool(app.config["STORE_UPGRADE"]),
        snapshot_check_seconds=check, snapshot_background=refresh == "background",
    )
