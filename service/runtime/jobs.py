"""Training jobs: run in a background thread of the process that accepted them, tracked in the
store's ``jobs`` table so that any process can say how a job is doing.

:func:`start_training` stores the job (``queued``) and starts a thread, which marks it
``running``, reads the store afresh (outcomes recorded up to now become labels), diagnoses the
weak links and calls the training pipeline (``ServiceState.train_model``, by default
:func:`recommender.ranking.training.train_model`): it trains, measures the new model on the later
window next to the prior, saves it, and activates it only if it beats the active model (when
``activate``). The job ends ``done`` with the pipeline's answer, or ``failed`` with why; a new
active model then serves once this process (at once) and the others (within
``SNAPSHOT_CHECK_SECONDS``) have scored it.

One training job runs at a time: while one is queued or running (and younger than
``TRAINING_JOB_STALE_SECONDS``), another is refused. If the process dies, its job stays
``running`` until it is that old.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from typing import Any

from recommender.exceptions import RecommenderError
from recommender.store import jobs as store_jobs
from recommender.store import models as M

__all__ = ["JobConflict", "TRAIN", "job_view", "log", "run_training", "start_training"]

TRAIN = "train"
log = logging.getLogger("service.runtime.jobs")


class JobConflict(RecommenderError):
    """A job of this kind is already queued or running."""

    code = "job_in_progress"

    def __init__(self, message: str, job: Mapping[str, Any]):
        super().__init__(message)
        self.job = dict(job)


def job_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a job row as the API shows it."""
    return {"id": row[M.ID], "kind": row[M.JOB_KIND], "status": row[M.JOB_STATUS],
            "created_by": row[M.JOB_CREATED_BY], "created_at": row[M.CREATED_AT],
            "started_at": row[M.JOB_STARTED_AT], "finished_at": row[M.JOB_FINISHED_AT],
            "params": row[M.JOB_PARAMS], "result": row[M.JOB_RESULT],
            "error": row[M.JOB_ERROR]}


def start_training(app_state, *, created_by: str | None, params: Mapping[str, Any],
                   stale_seconds: float) -> dict[str, Any]:
    """Store a training job and start it in a thread; return its row.

    Raises
    ------
    JobConflict
        Another training job is queued or running.
    """
    store = app_state.store
    since = M.utcnow() - dt.timedelta(seconds=stale_seconds)
    running = store_jobs.active_jobs(store, TRAIN, since=since)
    if running:
        raise JobConflict(f"training job {running[0][M.ID]} is {running[0][M.JOB_STATUS]}; "
                          f"wait for it to end", running[0])
    row = store_jobs.create_job(store, TRAIN, created_by=created_by, params=dict(params))
    thread = threading.Thread(target=run_training, args=(app_state, row[M.ID], dict(params)),
                              name=f"chainscout-job-{row[M.ID]}", daemon=True)
    app_state.job_threads[row[M.ID]] = thread
    thread.start()
    return row


def run_training(app_state, job_id: int, params: Mapping[str, Any]) -> None:
    """Run training job ``job_id`` to its end, recording how it went (never raises)."""
    store = app_state.store
    try:
        store_jobs.start_job(store, job_id)
        train_model = app_state.train_model
        data, weak_links = app_state.ranking_inputs()
        result = train_model(data, weak_links, app_state.registry,
                             test_share=float(params.get("test_share", 0.3)),
                             seed=int(params.get("seed", 0)),
                             activate=bool(params.get("activate", True)))
        store_jobs.finish_job(store, job_id, _json_ready(dict(result)))
    except ImportError as exc:
        _fail(store, job_id, f"this installation has no training pipeline ({exc})")
    except RecommenderError as exc:
        _fail(store, job_id, f"{exc.code}: {exc}")
    except Exception as exc:  # anything else: say what kind, keep the details in the log
        log.exception("training job %s failed", job_id)
        _fail(store, job_id, f"internal error ({type(exc).__name__}); see the service log")
    finally:
        app_state.snapshots.invalidate()


def _fail(store, job_id: int, error: str) -> None:
    try:
        store_jobs.fail_job(store, job_id, error)
    except Exception:
        log.exception("could not record that training job %s failed: %s", job_id, error)


def _json_ready(value: Any) -> Any:
    """Plain JSON values: numpy numbers and arrays, timestamps and NaN turned into JSON."""
    import orjson

    from service.http.encoding import dumps_bytes

    return orjson.loads(dumps_bytes(value))
