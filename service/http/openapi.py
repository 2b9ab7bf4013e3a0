"""The OpenAPI side of the service: the ``Api``, the blueprint base class, the docs page.

flask-smorest builds the OpenAPI 3 document from each view's schemas (arguments, one success
response, the error responses it may give) and serves it at ``/api/v1/openapi.json``; the
interactive docs page (Swagger UI) is at ``/api/v1/docs`` and loads its scripts and styles
from the app itself (``/api/v1/docs/assets/``, files of the ``flask-swagger-ui`` package), so
it works without a network.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from importlib import resources

import flask_smorest
from flask import Blueprint, send_from_directory

from recommender.store.auth import roles_with
from service.http.auth import require
from service.http.errors import http_error
from service.http.limits import RequestParser
from service.http.schemas import ErrorSchema
from service.settings import API_PREFIX

__all__ = [
    "ASSETS_FOLDER",
    "ASSETS_PACKAGE",
    "ASSET_MAX_AGE",
    "ApiBlueprint",
    "ChainScoutApi",
    "docs_assets_blueprint",
]

ASSETS_PACKAGE = "flask_swagger_ui"
ASSETS_FOLDER = "dist"
ASSET_MAX_AGE = 24 * 3600


class ChainScoutApi(flask_smorest.Api):
    """flask-smorest's ``Api`` with the service's error body, in errors and in the document."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error(error)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register ``blp`` in the app's context, so that limits that are settings
        (:class:`~service.http.schemas.AtMostSetting`) are documented with the app's values."""
        with self._app.app_context():
            super().register_blueprint(blp, parameters=parameters, **options)


class ApiBlueprint(flask_smorest.Blueprint):
    """A resource's blueprint: strict JSON parsing, and :meth:`require` to guard a view."""

    ARGUMENTS_PARSER = RequestParser()

    def arguments(self, schema, *, location: str = "json", **kwargs) -> Callable:
        """flask-smorest's ``arguments``; a JSON body also documents its 400, 413 and 415.

        The schema is made once here, not on every request (a schema loads statelessly).
        """
        if isinstance(schema, type):
            schema = schema()
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorator(view: Callable) -> Callable:
            view = parse(view)
            for status in (400, 413, 415):
                view = self.alt_response(status, response=HTTPStatus(status).name)(view)
            return view

        return decorator

    def require(self, permission: str) -> Callable:
        """Guard a view with ``permission`` and document the keys and errors that follow.

        Put it right under ``@bp.route`` so that the key is checked before anything is parsed.
        """
        roles = roles_with(permission)

        def decorator(view: Callable) -> Callable:
            guarded = require(permission)(view)
            for status in (401, 403, 429):
                guarded = self.alt_response(status, response=HTTPStatus(status).name)(guarded)
            return self.doc(**{"x-permission": permission, "x-roles": roles})(guarded)

        return decorator

    def public(self, view: Callable) -> Callable:
        """Document a view as needing no key."""
        return self.doc(security=[])(view)


def docs_assets_blueprint() -> Blueprint:
    """Return a blueprint serving Swagger UI's files at ``/api/v1/docs/assets/<file>``."""
    folder = resources.files(ASSETS_PACKAGE) / ASSETS_FOLDER
    bp = Blueprint("docs_assets", __name__, url_prefix=f"{API_PREFIX}/docs/assets")

    @bp.get("/<path:filename>")
    def asset(filename: str):
        return send_from_directory(str(folder), filename, max_age=ASSET_MAX_AGE)

    return bp
