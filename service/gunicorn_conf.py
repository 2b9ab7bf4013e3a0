"""gunicorn settings of ``chainscout serve`` (``-c python:service.gunicorn_conf``).

Each worker starts scoring its first ranking snapshot as soon as it has loaded the app, in a
background thread, so that the first ranking request does not wait for all of it.
"""

__all__ = ["graceful_timeout", "post_worker_init", "timeout"]

timeout = 120  # seconds a worker may spend on one request (a first snapshot of a large store)
graceful_timeout = 30


def post_worker_init(worker) -> None:
    """Warm the worker: build its first snapshot off the request path."""
    worker.wsgi.extensions["chainscout"].snapshots.start()
