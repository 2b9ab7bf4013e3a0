"""Layered settings of the app: Flask defaults, ``CHAINSCOUT_*`` env, then the given mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from recommender.config import Settings, load_settings

DEFAULTS = {
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "JSON_SORT_KEYS": False,
}


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Apply defaults, then the environment, then ``config``; keep library settings apart.

    Keys of ``config`` in lower case that name a ``recommender.config.Settings`` field go to the
    library settings (``app.extensions["chainscout"]["settings"]``); the rest are Flask's.
    """
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("CHAINSCOUT")
    config = dict(config or {})
    fields = set(Settings.__dataclass_fields__)
    library = {k: config.pop(k) for k in list(config) if k in fields}
    app.config.update(config)
    app.extensions["chainscout"] = {"settings": load_settings(library)}
