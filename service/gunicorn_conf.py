"""gunicorn settings of ``chainscout serve`` (``-c python:service.gunicorn_conf``).

- Before it forks, the master makes the rate limits' buckets in shared memory
  (:func:`service.http.limits.share_rate_limits`), so that a key's allowance is the same
  whatever the number of workers, and survives a worker's restart.
- What gunicorn refuses itself, before the app sees a request (a request line or header past
  the limits below, a malformed request), is answered with the service's JSON error body
  rather than gunicorn's HTML page (:func:`write_json_error`).
- Its limits on the request line and headers sit above the app's (``MAX_REQUEST_LINE``,
  ``MAX_HEADER_FIELDS``, ``MAX_HEADER_FIELD_BYTES`` in :mod:`service.settings`), so that the
  app answers first, with its request id; gunicorn's are the hard ceiling (8190 bytes is the
  most it allows for a request line).
- Each worker starts scoring its first ranking snapshot as soon as it has loaded the app, in
  a background thread, so that the first ranking request does not wait for all of it; its
  Arrow memory comes from the C library's allocator, so that what a build frees goes back to
  the system (:func:`service.runtime.state.use_system_allocator`).
"""

from __future__ import annotations

import json
import uuid

__all__ = [
    "graceful_timeout",
    "limit_request_field_size",
    "limit_request_fields",
    "limit_request_line",
    "on_starting",
    "post_worker_init",
    "timeout",
    "write_json_error",
]

timeout = 120  # seconds a worker may spend on one request (a first snapshot of a large store)
graceful_timeout = 30
limit_request_line = 8190  # the app refuses past 4094 (MAX_REQUEST_LINE)
limit_request_fields = 200  # the app: 100 (MAX_HEADER_FIELDS)
limit_request_field_size = 32768  # the app: 16384 (MAX_HEADER_FIELD_BYTES)


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Write gunicorn's own error answer as the service's JSON error body."""
    from gunicorn.util import write_nonblock

    body = json.dumps({"error": {
        "status": status_int, "code": reason.lower().replace(" ", "_"),
        "message": f"{reason}: {mesg}"[:300], "details": {}, "request_id": uuid.uuid4().hex,
    }}).encode("utf-8")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    write_nonblock(sock, head.encode("latin-1") + body)


def on_starting(server) -> None:
    """In the master, before any worker: shared rate-limit buckets, JSON for gunicorn's own
    errors (the workers are forked from it, so they inherit both)."""
    from gunicorn import util

    from service.http.limits import share_rate_limits

    share_rate_limits()
    util.write_error = write_json_error  # gunicorn's workers call util.write_error by name


def post_worker_init(worker) -> None:
    """Warm the worker: build its first snapshot off the request path, with Arrow on the
    system's allocator."""
    from service.runtime.state import use_system_allocator

    use_system_allocator()
    worker.wsgi.extensions["chainscout"].snapshots.start()
