"""Request limits: size, shape and text of a request, and two rate limits.

Checked first, before a key is looked at (:func:`check_request`):

- A request line of at most ``MAX_REQUEST_LINE`` bytes (else 414), at most
  ``MAX_HEADER_FIELDS`` header fields of at most ``MAX_HEADER_FIELD_BYTES`` each (else 431).
  gunicorn's own limits (:mod:`service.gunicorn_conf`) sit above these, so that the app
  answers with the JSON error body; what gunicorn refuses itself it answers with that body
  too.
- ``MAX_CONTENT_LENGTH`` bytes of body (413), whether announced by ``Content-Length`` or sent
  in chunks: a chunked body is read up to the limit and refused past it.
- No control characters in the path, the query or a form (422 ``validation_error``): U+0000
  to U+001F, U+007F to U+009F. PostgreSQL refuses NUL in text, and no identifier, filter or
  note of the service needs any of them; tab, line feed and carriage return are allowed in
  form fields and JSON strings.

Then, per request:

- Bodies of JSON endpoints must be ``application/json`` (else 415) and strict JSON nested at
  most ``JSON_MAX_DEPTH`` levels (else 400 ``invalid_json``; :mod:`service.http.encoding`),
  without control characters in any string (422).
- ``page_size`` at most ``PAGE_SIZE_MAX`` and ``k`` at most ``K_MAX`` (422 beyond); see
  :mod:`service.http.schemas`.
- ``RATE_LIMIT_PER_MINUTE`` requests per API key, with bursts of ``RATE_LIMIT_BURST``; past it,
  429 with ``Retry-After``.
- ``AUTH_FAILURES_PER_MINUTE`` failed authentications (an unknown or revoked key, on the API
  or the login page) per client address, with bursts of ``AUTH_FAILURE_BURST``; past it the
  address gets 429 with ``Retry-After`` before its key is even looked up. Behind a reverse
  proxy every client has the proxy's address: let the proxy limit them instead.

Both rate limits are token buckets (:class:`RateLimiter`). Under ``chainscout serve`` (or any
gunicorn started with :mod:`service.gunicorn_conf`) the buckets live in memory the gunicorn
master shares with all its workers (:class:`SharedBuckets`, made before it forks), so a key
gets ``RATE_LIMIT_PER_MINUTE`` whatever the number of workers, also across a worker's
restart. Elsewhere (the Flask test client, another WSGI server) each process keeps its own.
Separate servers (hosts) do not share buckets.
"""

from __future__ import annotations

import hashlib
import io
import math
import multiprocessing
import re
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from recommender.exceptions import ConfigError
from service.http.encoding import InvalidJSON, loads_strict
from service.http.errors import ApiError

__all__ = [
    "CONTROL_MESSAGE",
    "LocalBuckets",
    "RateLimiter",
    "RequestParser",
    "SharedBuckets",
    "check_auth_failures",
    "check_rate",
    "check_request",
    "count_auth_failure",
    "read_json_body",
    "register_limits",
    "share_rate_limits",
]

_INT_LIMITS = ("MAX_CONTENT_LENGTH", "JSON_MAX_DEPTH", "PAGE_SIZE_DEFAULT", "PAGE_SIZE_MAX",
               "K_DEFAULT", "K_MAX", "RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_BURST",
               "AUTH_FAILURES_PER_MINUTE", "AUTH_FAILURE_BURST", "MAX_REQUEST_LINE",
               "MAX_HEADER_FIELDS", "MAX_HEADER_FIELD_BYTES")
CONTROL_MESSAGE = "control characters are not allowed"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # in a path, a query or an identifier
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, LF, CR allowed
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


# --- token buckets ----------------------------------------------------------------------------
class LocalBuckets:
    """Buckets in this process: ``{key: (tokens, time)}`` under a thread lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self._items: dict[Any, tuple[float, float]] = {}

    def get(self, key: Any) -> tuple[float, float] | None:
        return self._items.get(key)

    def put(self, key: Any, tokens: float, when: float) -> None:
        self._items[key] = (tokens, when)


class SharedBuckets:
    """Buckets in shared memory: every process forked after they were made sees the same.

    A fixed table of ``slots`` rows (a key's 64-bit digest, tokens, time) in an anonymous
    shared mapping, under a process-shared lock. A key takes the first free or matching row
    of ``PROBES`` from its digest's; when all are taken, the longest idle one is reused
    (an idle bucket has refilled, so forgetting it changes nothing).

    >>> buckets = SharedBuckets(slots=8)
    >>> buckets.put(("key", 1), 2.5, 10.0); buckets.get(("key", 1)), buckets.get(("key", 2))
    ((2.5, 10.0), None)
    """

    PROBES = 8
    _ROW = struct.Struct("<Qdd")

    def __init__(self, slots: int = 16_384):
        import mmap

        self.slots = int(slots)
        self._memory = mmap.mmap(-1, self.slots * self._ROW.size)  # MAP_SHARED | ANONYMOUS
        self.lock = multiprocessing.get_context("fork").Lock()

    def _digest(self, key: Any) -> int:
        digest = hashlib.blake2b(repr(key).encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks a free row

    def _row(self, key: Any) -> tuple[int, int, bool]:
        digest = self._digest(key)
        reuse, idle_since = None, math.inf
        for probe in range(self.PROBES):
            row = (digest + probe) % self.slots
            stored, _, when = self._ROW.unpack_from(self._memory, row * self._ROW.size)
            if stored == digest:
                return row, digest, True
            if stored == 0:
                return row, digest, False
            if when < idle_since:
                reuse, idle_since = row, when
        return reuse, digest, False

    def get(self, key: Any) -> tuple[float, float] | None:
        row, _, found = self._row(key)
        if not found:
            return None
        _, tokens, when = self._ROW.unpack_from(self._memory, row * self._ROW.size)
        return tokens, when

    def put(self, key: Any, tokens: float, when: float) -> None:
        row, digest, _ = self._row(key)
        self._ROW.pack_into(self._memory, row * self._ROW.size, digest, tokens, when)


class RateLimiter:
    """Token buckets, one per key: ``per_minute`` tokens a minute, at most ``burst`` saved.

    >>> clock = iter([0.0, 0.0, 0.0]).__next__
    >>> limiter = RateLimiter(60, burst=1, clock=clock)
    >>> limiter.take("k"), limiter.take("k")
    (0.0, 1.0)
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        buckets: LocalBuckets | SharedBuckets | None = None,
    ):
        self.rate = per_minute / 60.0
        self.burst = max(1, int(burst))
        self.clock = clock
        self.buckets = buckets if buckets is not None else LocalBuckets()

    def take(self, key: Any, *, spend: bool = True) -> float:
        """Take a token for ``key``; return 0 if allowed, else the seconds until one is free.

        With ``spend=False`` only say whether a token is there (taking none).
        """
        if self.rate <= 0:
            return 0.0
        with self.buckets.lock:
            # CLOCK_MONOTONIC is one clock for every process of the machine
            now = self.clock()
            tokens, then = self.buckets.get(key) or (float(self.burst), now)
            tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
            if tokens >= 1.0:
                if spend:
                    self.buckets.put(key, tokens - 1.0, now)
                return 0.0
            self.buckets.put(key, tokens, now)
            return (1.0 - tokens) / self.rate


_SHARED: SharedBuckets | None = None


def share_rate_limits(slots: int = 16_384) -> SharedBuckets:
    """Make the buckets that apps made from now on in this process and its forks share.

    gunicorn's master calls it before it forks its workers (``on_starting``).
    """
    global _SHARED
    _SHARED = SharedBuckets(slots)
    return _SHARED


def _too_many(wait: float, message: str) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, "too_many_requests", f"{message}; retry in {seconds} s",
                    {"retry_after": seconds}, {"Retry-After": str(seconds)})


def check_rate(key: Any) -> None:
    """Take a token for API key ``key`` (its id); 429 with ``Retry-After`` when empty."""
    limiter = current_app.extensions["chainscout"].limiter
    wait = limiter.take(("key", key)) if limiter is not None else 0.0
    if wait > 0:
        raise _too_many(wait, f"rate limit of {current_app.config['RATE_LIMIT_PER_MINUTE']} "
                              "requests a minute reached")


def check_auth_failures() -> None:
    """Refuse (429) a client address that has used up its failed authentications."""
    limiter = current_app.extensions["chainscout"].auth_limiter
    wait = limiter.take(("addr", request.remote_addr), spend=False) if limiter else 0.0
    if wait > 0:
        raise _too_many(wait, "too many unknown or revoked keys from this address")


def count_auth_failure() -> None:
    """Count a failed authentication against the client's address."""
    limiter = current_app.extensions["chainscout"].auth_limiter
    if limiter is not None:
        limiter.take(("addr", request.remote_addr))


# --- the front check ------------------------------------------------------------------------
def _request_line_bytes(environ: Mapping[str, Any]) -> int:
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if uri is None:
        query = environ.get("QUERY_STRING", "")
        uri = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    parts = (environ.get("REQUEST_METHOD", ""), uri, environ.get("SERVER_PROTOCOL", ""))
    return sum(len(p.encode("latin-1", "replace")) for p in parts) + 2


def _field_errors(pairs, text: re.Pattern) -> dict[str, list[str]]:
    """Name the fields of ``(name, value)`` pairs whose name or value holds a control
    character (``text``: the pattern values are held to)."""
    return {name: [CONTROL_MESSAGE] for name, value in pairs
            if _CONTROL.search(name) or text.search(value)}


def _refuse_control(location: str, fields: dict[str, list[str]]) -> None:
    if fields:
        raise ApiError(422, "validation_error", "the request's parameters or body are invalid",
                       {"fields": {location: fields}})


def _read_chunked_body(limit: int) -> None:
    """Read a body sent without a length up to ``limit`` bytes; 413 past it.

    Past it, up to ``limit`` more bytes are read and dropped first, so that a client that
    sent a little too much reads the answer rather than a reset connection.
    """
    stream = request.environ["wsgi.input"]
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        dropped = 0
        while dropped < limit and (piece := stream.read(min(65536, limit - dropped))):
            dropped += len(piece)
        raise ApiError(413, "request_entity_too_large",
                       f"the body is larger than {limit} bytes")
    request.environ["wsgi.input"] = io.BytesIO(raw)


def check_request() -> None:
    """Refuse an oversized request line, header or body, and control characters."""
    config, environ = current_app.config, request.environ
    if _request_line_bytes(environ) > config["MAX_REQUEST_LINE"]:
        raise ApiError(414, "uri_too_long", f"the request line is longer than "
                       f"{config['MAX_REQUEST_LINE']} bytes")
    fields = list(request.headers.items())
    biggest = max((len(k) + len(v) + 2 for k, v in fields), default=0)
    if len(fields) > config["MAX_HEADER_FIELDS"] or biggest > config["MAX_HEADER_FIELD_BYTES"]:
        raise ApiError(431, "request_header_fields_too_large",
                       f"at most {config['MAX_HEADER_FIELDS']} header fields of at most "
                       f"{config['MAX_HEADER_FIELD_BYTES']} bytes each")
    limit = config["MAX_CONTENT_LENGTH"]
    if (limit is not None and request.content_length is None
            and environ.get("wsgi.input_terminated")):
        _read_chunked_body(limit)
    if _CONTROL.search(request.path):
        _refuse_control("path", {"path": [CONTROL_MESSAGE]})
    _refuse_control("query", _field_errors(request.args.items(multi=True), _CONTROL))
    if request.mimetype in _FORMS:
        _refuse_control("form", _field_errors(request.form.items(multi=True),
                                              _CONTROL_IN_TEXT))


# --- JSON bodies ------------------------------------------------------------------------------
class RequestParser(FlaskParser):
    """The webargs parser of every endpoint: JSON bodies through :func:`read_json_body`."""

    def _raw_load_json(self, req) -> Any:
        return read_json_body(req)


def _control_fields(value: Any) -> dict[str, list[str]]:
    """Name the top-level fields of a JSON value holding a control character (no recursion)."""
    found: dict[str, list[str]] = {}
    roots = value.items() if isinstance(value, dict) else [("_schema", value)]
    for name, root in roots:
        stack = [name, root]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if _CONTROL_IN_TEXT.search(item):
                    found[str(name)] = [CONTROL_MESSAGE]
                    break
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def read_json_body(req) -> Any:
    """Return the request's JSON body, or ``missing`` when it is empty.

    Raises ``ApiError`` 415 for another content type, 400 for a body that is not strict
    JSON or nests too deep, 422 for control characters in a string; reading more than
    ``MAX_CONTENT_LENGTH`` bytes raises 413.
    """
    if not is_json_request(req):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as application/json, not {req.mimetype or 'nothing'}")
    data = req.get_data(cache=True)
    if not data.strip():
        return core.missing
    try:
        value = loads_strict(data, max_depth=int(current_app.config["JSON_MAX_DEPTH"]))
    except InvalidJSON as exc:
        raise ApiError(400, "invalid_json", str(exc), {"reason": exc.reason}) from None
    _refuse_control("json", _control_fields(value))
    return value


def register_limits(app: Flask) -> None:
    """Check the limit settings, give the app its rate limiters (sharing the buckets of
    :func:`share_rate_limits` if made), and check every request's size and text first."""
    for name in _INT_LIMITS:
        value = app.config.get(name)
        if name == "MAX_CONTENT_LENGTH" and value is None:
            continue  # Flask's "no limit"
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"setting {name} must be a whole number >= 0, got {value!r}")
    for default, most in (("PAGE_SIZE_DEFAULT", "PAGE_SIZE_MAX"), ("K_DEFAULT", "K_MAX")):
        if not 1 <= app.config[default] <= app.config[most]:
            raise ConfigError(f"setting {default} must be between 1 and {most}")
    buckets = _SHARED if _SHARED is not None else LocalBuckets()
    app_state = app.extensions["chainscout"]
    for attribute, per_minute, burst in (
            ("limiter", "RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_BURST"),
            ("auth_limiter", "AUTH_FAILURES_PER_MINUTE", "AUTH_FAILURE_BURST")):
        rate = app.config[per_minute]
        setattr(app_state, attribute, RateLimiter(rate, burst=app.config[burst],
                                                  buckets=buckets) if rate else None)
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
