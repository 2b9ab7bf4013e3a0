"""Jobs: background work such as training, with its status and result."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from recommender.store import jobs as store_jobs
from recommender.store.auth import READ_JOBS
from service.http.openapi import ApiBlueprint
from service.http.schemas import UtcDateTime
from service.runtime.jobs import job_view
from service.runtime.state import state

__all__ = ["JobSchema", "bp", "get_job"]

bp = ApiBlueprint("jobs", __name__, description="Background jobs (training) and their results.")


class JobSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"example": "train"})
    status = fields.String(required=True, metadata={
        "enum": ["queued", "running", "done", "failed"]})
    created_by = fields.String(required=True, allow_none=True, metadata={
        "description": "Prefix of the API key that started it"})
    created_at = UtcDateTime(required=True)
    started_at = UtcDateTime(required=True, allow_none=True)
    finished_at = UtcDateTime(required=True, allow_none=True)
    params = fields.Dict(required=True, allow_none=True)
    result = fields.Dict(required=True, allow_none=True, metadata={
        "description": "A training job's: version, metrics (the new model and the prior on "
                       "the held-out window), promotion (activated, reason, previous)"})
    error = fields.String(required=True, allow_none=True)


@bp.route("/jobs/<int(min=1, max=2147483647):job_id>", methods=["GET"])
@bp.require(READ_JOBS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, JobSchema)
def get_job(job_id: int):
    """A job's status (queued, running, done, failed), times, result or error."""
    return job_view(store_jobs.job(state().store, job_id))
