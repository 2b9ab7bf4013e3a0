"""Who is calling: API keys in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Every endpoint but health, readiness and the API's documentation names the permission it
needs with :func:`require`; roles grant permissions as :data:`recommender.store.auth.PERMISSIONS`
says. A missing, unknown or revoked key is a 401 with ``WWW-Authenticate: Bearer``; a key
whose role lacks the permission is a 403; then the key's rate limit applies (429). An address
that sent too many unknown or revoked keys gets 429 before its next key is looked up
(:mod:`service.http.limits`).
A park manager's key sees its own parks only: views ask :func:`current_principal` and answer
404 for any other park, as for one that does not exist.

A process remembers a key it verified for ``AUTH_CACHE_SECONDS`` (by the key's SHA-256, never
the key), so that a busy client does not cost a store query per request: a key revoked in
the meantime works on for at most that long in a process that had just seen it. Unknown and
revoked keys are never remembered. ``AUTH_CACHE_SECONDS = 0`` asks the store every time.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request

from recommender.store.auth import Principal, authenticate, hash_key, roles_with
from service.http.errors import ApiError

__all__ = [
    "API_KEY_HEADER",
    "BEARER",
    "PrincipalCache",
    "REALM",
    "SECURITY",
    "SECURITY_SCHEMES",
    "current_principal",
    "presented_key",
    "register_auth",
    "require",
]

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


class PrincipalCache:
    """Principals of recently verified keys, by the key's SHA-256, for ``seconds`` each.

    >>> cache = PrincipalCache(5, clock=iter([0.0, 1.0, 9.0]).__next__)
    >>> cache.put("k", "principal"); cache.get("k"), cache.get("k")
    ('principal', None)
    """

    MAX_KEYS = 10_000

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic):
        self.seconds = float(seconds)
        self.clock = clock
        self._items: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        if self.seconds <= 0:
            return None
        found = self._items.get(hash_key(key))
        if found is None or found[1] < self.clock():
            return None
        return found[0]

    def put(self, key: str, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._items) >= self.MAX_KEYS:
                self._items.clear()
            self._items[hash_key(key)] = (principal, self.clock() + self.seconds)


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
    from service.http.limits import check_auth_failures, check_rate, count_auth_failure

    key = presented_key()
    if key is None:
        raise ApiError(401, "unauthorized",
                       f"an API key is needed: send 'Authorization: Bearer <key>' or "
                       f"'{API_KEY_HEADER}: <key>'", headers={"WWW-Authenticate": REALM})
    app_state = current_app.extensions["chainscout"]
    principal = app_state.principals.get(key)
    if principal is None:
        check_auth_failures()  # an address guessing keys is refused before the store is asked
        principal = authenticate(app_state.store, key)
        if principal is not None:
            app_state.principals.put(key, principal)
    if principal is None:
        count_auth_failure()
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
    """Remember verified keys briefly; document the key schemes in the OpenAPI document; tell
    caches that answers vary by key."""
    app.extensions["chainscout"].principals = PrincipalCache(app.config["AUTH_CACHE_SECONDS"])
    options = app.config.setdefault("API_SPEC_OPTIONS", {})
    components = options.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    options.setdefault("security", SECURITY)

    @app.after_request
    def _vary(response: Response) -> Response:
        if "principal" in g:
            response.vary.update(("Authorization", API_KEY_HEADER))
        return response
