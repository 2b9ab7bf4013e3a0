"""One JSON error body for every error the service returns.

::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...},
               "request_id": "..."}}

- HTTP errors (404 unknown route, 405, 413 body too large, 415, and the 401/403/429 that
  :mod:`service.http.auth` and :mod:`service.http.limits` raise) keep their status; ``code`` is the
  status name in snake case unless the raiser gives one.
- Invalid request parameters or bodies are 422 ``validation_error``; ``details.fields`` maps
  each field (under ``json``, ``query`` or ``path``) to its messages. Rows rejected by the
  library's table rules are 422 too, with ``details.problems``.
- Library errors map to statuses in ``STATUS_BY_ERROR``; a store that does not answer (or
  lacks its tables) is a 503 ``store_unavailable``. Every 503 says when to try again in
  ``Retry-After`` (``RETRY_AFTER_SECONDS`` unless the raiser says otherwise).
- Anything else is logged with the request id and answered as a 500 without internals.
- A person's browser that asks for a page (not under ``/api/``, HTML first in ``Accept``) gets
  the error as a page in the session's language instead (``pages/error.html``: what happened in
  words, and the request id), never the JSON body in English.

Every response carries the request id in ``X-Request-ID`` (the client's, if it sent one).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, session
from jinja2 import TemplateNotFound
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from recommender import exceptions as rx

__all__ = [
    "ERROR_PAGE",
    "PAGE_LANGUAGES",
    "ApiError",
    "RETRY_AFTER_SECONDS",
    "STATUS_BY_ERROR",
    "error_response",
    "http_error",
    "register_errorhandlers",
    "request_id",
]

STATUS_BY_ERROR: list[tuple[type[rx.RecommenderError], int]] = [
    (rx.ValidationError, 422),
    (rx.InvalidArgument, 422),
    (rx.NotFoundError, 404),
    (rx.NotFittedError, 503),
    (rx.ModelError, 503),
    (rx.DataError, 400),
    (rx.ConfigError, 500),
    (rx.DependencyError, 500),
    (rx.RecommenderError, 500),
]
RETRY_AFTER_SECONDS = 5  # a 503's advice: the store or the model is back within seconds
ERROR_PAGE = "pages/error.html"
PAGE_LANGUAGES = ("zh", "en")  # the pages' languages; the session keeps a person's choice
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class ApiError(Exception):
    """An error the service itself raises, answered with its status, code and headers.

    >>> ApiError(403, "forbidden", "this key's role may not record outcomes").status
    403
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


def request_id() -> str:
    """Return the id of the current request: the client's ``X-Request-ID`` if sane, else new."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the one error body with ``status`` and ``headers``."""
    page = _error_page(status) if _wants_page() else None
    if page is not None:
        response = current_app.make_response((page, status))
    else:
        body = {"error": {"status": status, "code": code, "message": message,
                          "details": dict(details or {}), "request_id": request_id()}}
        response = jsonify(body)
        response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


def _wants_page() -> bool:
    """Tell whether the request is a person's browser asking for a page (not the API, not a
    script's fetch: HTML is what it accepts first)."""
    return (not request.path.startswith("/api/")
            and request.accept_mimetypes.best == "text/html")


def _error_page(status: int) -> str | None:
    """The error as a page in the session's language, or None where the pages are not there."""
    if "lang" not in g:
        kept = session.get("lang")
        g.lang = kept if kept in PAGE_LANGUAGES else PAGE_LANGUAGES[0]
    try:
        return render_template(ERROR_PAGE, status=status, request_id=request_id())
    except TemplateNotFound:
        return None


def http_error(exc: HTTPException) -> Response:
    """Answer a werkzeug ``HTTPException`` (and webargs' ``abort``) with the error body."""
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    message = exc.description or exc.name
    details: dict[str, Any] = {}
    headers = {k: v for k, v in exc.get_headers() if k in _KEPT_HEADERS}
    data = getattr(exc, "data", None) or {}
    if "messages" in data:  # webargs could not load the request's parameters or body
        code = "validation_error"
        message = "the request's parameters or body are invalid"
        details["fields"] = data["messages"]
    headers.update(data.get("headers") or {})
    if status >= 500:
        current_app.logger.error("request %s failed: %s", request_id(), message)
    return error_response(status, code, message, details, headers)


def _api_error(exc: ApiError) -> Response:
    if exc.status >= 500:
        current_app.logger.error("request %s failed: %s", request_id(), exc.message)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _library_error(exc: rx.RecommenderError) -> Response:
    status = next(s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls))
    details = ({"problems": exc.problems}
               if exc.problems or isinstance(exc, rx.ValidationError) else {})
    if status >= 500:
        current_app.logger.error("request %s failed: %s", request_id(), exc)
    if status == 500:  # a setting or an install is wrong: the client cannot act on it
        return error_response(status, exc.code, "the service is misconfigured; quote the "
                              "request id", details)
    return error_response(status, exc.code, str(exc), details)


def _store_unavailable(exc: sa_exc.OperationalError) -> Response:
    current_app.logger.error("request %s failed: the store did not answer: %s", request_id(),
                             exc.orig if exc.orig is not None else exc)
    return error_response(503, "store_unavailable",
                          "the store does not answer or lacks tables; quote the request id")


def _unhandled(exc: Exception) -> Response:
    current_app.logger.exception("request %s failed", request_id())
    return error_response(500, "internal_error", "internal error; quote the request id")


def register_errorhandlers(app: Flask) -> None:
    """Answer every error with the one body, and tag every response with its request id."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(rx.RecommenderError, _library_error)
    app.register_error_handler(sa_exc.OperationalError, _store_unavailable)
    app.register_error_handler(Exception, _unhandled)

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        return response
