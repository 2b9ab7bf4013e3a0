"""Request limits: body size, JSON shape, page size and ``k``, and a per-key rate limit.

- ``MAX_CONTENT_LENGTH`` bytes of body (Flask refuses more with 413).
- Bodies of JSON endpoints must be ``application/json`` (else 415) and strict JSON nested at
  most ``JSON_MAX_DEPTH`` levels (else 400 ``invalid_json``); see :mod:`service.http.encoding`.
- ``page_size`` at most ``PAGE_SIZE_MAX`` and ``k`` at most ``K_MAX`` (422 beyond); see
  :mod:`service.http.schemas`.
- ``RATE_LIMIT_PER_MINUTE`` requests per API key, with bursts of ``RATE_LIMIT_BURST``: a token
  bucket **in each process**, so N gunicorn workers let a key through up to N times as often.
  Past the limit: 429 with ``Retry-After``. A limit shared across processes needs a shared
  store (Redis, the database) and is not built.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from recommender.exceptions import ConfigError
from service.http.encoding import InvalidJSON, loads_strict
from service.http.errors import ApiError

__all__ = ["RateLimiter", "RequestParser", "check_rate", "read_json_body", "register_limits"]

_INT_LIMITS = ("MAX_CONTENT_LENGTH", "JSON_MAX_DEPTH", "PAGE_SIZE_DEFAULT", "PAGE_SIZE_MAX",
               "K_DEFAULT", "K_MAX", "RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_BURST")


class RateLimiter:
    """Token buckets, one per key: ``per_minute`` tokens a minute, at most ``burst`` saved.

    >>> clock = iter([0.0, 0.0, 0.0]).__next__
    >>> limiter = RateLimiter(60, burst=1, clock=clock)
    >>> limiter.take("k"), limiter.take("k")
    (0.0, 1.0)
    """

    def __init__(
        self, per_minute: float, *, burst: int, clock: Callable[[], float] = time.monotonic
    ):
        self.rate = per_minute / 60.0
        self.burst = max(1, int(burst))
        self.clock = clock
        self._buckets: dict[Any, tuple[float, float]] = {}  # key -> (tokens, time)
        self._lock = threading.Lock()

    def take(self, key: Any) -> float:
        """Take a token for ``key``; return 0 if allowed, else the seconds until one is free."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def check_rate(key: Any) -> None:
    """Take a token for ``key`` from the app's limiter; 429 with ``Retry-After`` when empty."""
    limiter = current_app.extensions["chainscout"].limiter
    wait = limiter.take(key) if limiter is not None else 0.0
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, "too_many_requests",
                       f"rate limit of {current_app.config['RATE_LIMIT_PER_MINUTE']} requests "
                       f"a minute reached; retry in {seconds} s",
                       {"retry_after": seconds}, {"Retry-After": str(seconds)})


class RequestParser(FlaskParser):
    """The webargs parser of every endpoint: JSON bodies through :func:`read_json_body`."""

    def _raw_load_json(self, req) -> Any:
        return read_json_body(req)


def read_json_body(req) -> Any:
    """Return the request's JSON body, or ``missing`` when it is empty.

    Raises ``ApiError`` 415 for another content type and 400 for a body that is not strict
    JSON or nests too deep; reading more than ``MAX_CONTENT_LENGTH`` bytes raises 413.
    """
    if not is_json_request(req):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as application/json, not {req.mimetype or 'nothing'}")
    data = req.get_data(cache=True)
    if not data.strip():
        return core.missing
    try:
        return loads_strict(data, max_depth=int(current_app.config["JSON_MAX_DEPTH"]))
    except InvalidJSON as exc:
        raise ApiError(400, "invalid_json", str(exc), {"reason": exc.reason}) from None


def register_limits(app: Flask) -> None:
    """Check the limit settings and give the app its rate limiter."""
    for name in _INT_LIMITS:
        value = app.config.get(name)
        if name == "MAX_CONTENT_LENGTH" and value is None:
            continue  # Flask's "no limit"
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"setting {name} must be a whole number >= 0, got {value!r}")
    for default, most in (("PAGE_SIZE_DEFAULT", "PAGE_SIZE_MAX"), ("K_DEFAULT", "K_MAX")):
        if not 1 <= app.config[default] <= app.config[most]:
            raise ConfigError(f"setting {default} must be between 1 and {most}")
    per_minute = app.config["RATE_LIMIT_PER_MINUTE"]
    app.extensions["chainscout"].limiter = (
        RateLimiter(per_minute, burst=app.config["RATE_LIMIT_BURST"]) if per_minute else None
    )
