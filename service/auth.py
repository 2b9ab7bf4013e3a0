"""Who is calling: API keys in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Every endpoint but health, readiness and the API's documentation names the permission it
needs with :func:`require`; roles grant permissions as :data:`recommender.auth.PERMISSIONS`
says. A missing, unknown or revoked key is a 401 with ``WWW-Authenticate: Bearer``; a key
whose role lacks the permission is a 403; then the key's rate limit applies (429).
A park manager's key sees its own parks only: views ask :func:`current_principal` and answer
404 for any other park, as for one that does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request

from recommender.auth import Principal, authenticate, roles_with
from service.errors import ApiError

BEARER = "bearer"
API_KEY_HEADER = "X-API-Key"
REALM = 'Bearer realm="chainscout"'
# OpenAPI security schemes; either one will do (a list of alternatives).
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "Authorization: Bearer <key>"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
}
SECURITY = [{"bearerAuth": []}, {"apiKeyHeader": []}]


def presented_key() -> str | None:
    """Return the key the request carries (Bearer first, then ``X-API-Key``), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == BEARER and credentials.strip():
        return credentials.strip()
    return request.headers.get(API_KEY_HEADER, "").strip() or None


def current_principal() -> Principal:
    """Return the principal of the request's key (set by :func:`require`)."""
    return g.principal


def require(permission: str) -> Callable:
    """Decorate a view so that it runs only for keys whose role grants ``permission``."""
    roles = roles_with(permission)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            g.principal = _authorise(permission, roles)
            return view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorator


def _authorise(permission: str, roles: list[str]) -> Principal:
    from service.limits import check_rate

    key = presented_key()
    if key is None:
        raise ApiError(401, "unauthorized",
                       f"an API key is needed: send 'Authorization: Bearer <key>' or "
                       f"'{API_KEY_HEADER}: <key>'", headers={"WWW-Authenticate": REALM})
    principal = authenticate(current_app.extensions["chainscout"].store, key)
    if principal is None:
        raise ApiError(401, "unauthorized", "the API key is unknown or revoked",
                       headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    if not principal.can(permission):
        raise ApiError(403, "forbidden",
                       f"a {principal.role} key may not do this; it needs {permission} "
                       f"({', '.join(roles)})",
                       {"permission": permission, "roles": roles})
    check_rate(principal.id)
    return principal


def register_auth(app: Flask) -> None:
    """Document the key schemes in the OpenAPI document; tell caches answers vary by key."""
    options = app.config.setdefault("API_SPEC_OPTIONS", {})
    components = options.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    options.setdefault("security", SECURITY)

    @app.after_request
    def _vary(response: Response) -> Response:
        if "principal" in g:
            response.vary.update(("Authorization", API_KEY_HEADER))
        return response
