"""One JSON error body for every error the service returns.

::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...},
               "request_id": "..."}}

Library errors map to statuses in ``STATUS_BY_ERROR``; anything unhandled is logged with the
request id and answered as a 500 without internals.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from recommender import exceptions as rx

STATUS_BY_ERROR: list[tuple[type[rx.RecommenderError], int]] = [
    (rx.ValidationError, 422),
    (rx.NotFoundError, 404),
    (rx.NotFittedError, 503),
    (rx.ModelError, 503),
    (rx.DataError, 400),
    (rx.ConfigError, 500),
    (rx.DependencyError, 500),
    (rx.RecommenderError, 500),
]


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    return g.request_id


def error_response(status: int, code: str, message: str, details=None) -> Response:
    body = {"error": {"status": status, "code": code, "message": message,
                      "details": details or {}, "request_id": request_id()}}
    response = jsonify(body)
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, exc.description or exc.name)


def _library_error(exc: rx.RecommenderError) -> Response:
    status = next(s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls))
    details = {"problems": exc.problems} if isinstance(exc, rx.ValidationError) else {}
    if status >= 500:
        from flask import current_app

        current_app.logger.error("request %s failed: %s", request_id(), exc)
    return error_response(status, exc.code, str(exc), details)


def _unhandled(exc: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("request %s failed", request_id())
    return error_response(500, "internal_error", "internal error; quote the request id")


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(rx.RecommenderError, _library_error)
    app.register_error_handler(Exception, _unhandled)

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        return response
