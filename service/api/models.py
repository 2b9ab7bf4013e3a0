"""Models: the saved rankers and which one serves; train a new one; activate one."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, url_for
from marshmallow import fields, validate

from recommender import columns as C
from recommender.exceptions import ModelError
from recommender.store.auth import ACTIVATE_MODELS, READ_MODELS, TRAIN_MODELS
from service.api.jobs import JobSchema
from service.http.auth import current_principal
from service.http.errors import ApiError
from service.http.openapi import ApiBlueprint
from service.http.schemas import UtcDateTime
from service.runtime.jobs import JobConflict, job_view, start_training
from service.runtime.state import state

__all__ = [
    "ActivationSchema",
    "ModelListSchema",
    "ModelSchema",
    "ServingSchema",
    "TrainInSchema",
    "activate",
    "bp",
    "list_models",
    "train",
]

bp = ApiBlueprint("models", __name__,
                  description="Saved ranking models, the active one, training jobs, activation.")


class ModelSchema(ma.Schema):
    version = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.String(allow_none=True)
    metrics = fields.Dict(allow_none=True, metadata={
        "description": "Measured on the model's held-out (later) window: ndcg@10, map@10, "
                       "recall@50"})
    training_window = fields.Raw(allow_none=True)
    test_window = fields.Raw(allow_none=True)
    n_features = fields.Integer(allow_none=True)
    best_iteration = fields.Integer(allow_none=True)
    data_version = fields.Integer(allow_none=True)
    error = fields.String(metadata={"description": "Why the version's metadata cannot be read"})


class ServingSchema(ma.Schema):
    model_version = fields.String(required=True, metadata={
        "description": "What serves rankings in the process that answered (prior: no model)"})
    data_version = fields.Integer(required=True)
    built_at = UtcDateTime(required=True)
    build_seconds = fields.Float(required=True)
    model_error = fields.String(required=True, allow_none=True, metadata={
        "description": "Why the active model does not serve in this process, if so"})


class ModelListSchema(ma.Schema):
    active = fields.String(required=True, allow_none=True, metadata={
        "description": "The active version in the registry (null: the prior serves)"})
    serving = fields.Nested(ServingSchema, required=True, allow_none=True, metadata={
        "description": "The snapshot serving in this process; null before its first ranking"})
    items = fields.List(fields.Nested(ModelSchema), required=True)


class TrainInSchema(ma.Schema):
    test_share = fields.Float(load_default=0.3, validate=validate.Range(min=0.05, max=0.6),
                              metadata={"description": "Later share of campaigns held out"})
    seed = fields.Integer(load_default=0, strict=True,
                          validate=validate.Range(min=0, max=2**31 - 1))
    activate = fields.Boolean(load_default=True, metadata={
        "description": "Activate the new model if it beats the active one on the held-out "
                       "window (false: only save it)"})


class ActivationSchema(ma.Schema):
    version = fields.String(required=True)
    active = fields.String(required=True)
    previous = fields.String(required=True, allow_none=True)
    activated_by = fields.String(required=True, allow_none=True)


@bp.route("/models", methods=["GET"])
@bp.require(READ_MODELS)
@bp.response(200, ModelListSchema)
def list_models():
    """Saved versions, oldest first, with their held-out metrics; which one is active."""
    app_state = state()
    registry = app_state.registry
    snapshot = app_state.snapshots.current
    serving = None
    if snapshot is not None:
        serving = {C.MODEL_VERSION: snapshot.model_version,
                   "data_version": snapshot.data_version, "built_at": snapshot.built_at,
                   "build_seconds": snapshot.build_seconds, "model_error": snapshot.model_error}
    return {"active": registry.active_version(), "serving": serving,
            "items": registry.versions()}


@bp.route("/models/train", methods=["POST"])
@bp.require(TRAIN_MODELS)
@bp.arguments(TrainInSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.response(202, JobSchema)
def train(body: dict):
    """Start a training job; answer 202 with the job (poll ``/jobs/<id>``).

    The job trains on the store's outcomes, holds out the latest campaigns, and activates the
    new model only if it beats the active one there. 409 while another training job runs.
    """
    app_state = state()
    try:
        row = start_training(app_state, created_by=current_principal().prefix, params=body,
                             stale_seconds=current_app.config["TRAINING_JOB_STALE_SECONDS"])
    except JobConflict as exc:
        raise ApiError(409, exc.code, str(exc), {"job_id": exc.job["id"]}) from None
    location = url_for("jobs.get_job", job_id=row["id"])
    return job_view(row), 202, {"Location": location}


@bp.route("/models/<version>/activate", methods=["POST"])
@bp.require(ACTIVATE_MODELS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.response(200, ActivationSchema)
def activate(version: str):
    """Make a saved version the active model, better or not (the registry verifies it first).

    A version that fails verification (a changed file, other features) is refused with 422
    and the active model keeps serving.
    """
    app_state = state()
    registry = app_state.registry
    previous = registry.active_version()
    try:
        registry.activate(version)
    except ModelError as exc:
        raise ApiError(422, "model_refused", str(exc),
                       {"version": version, "active": previous}) from None
    app_state.snapshots.invalidate()
    current_app.logger.info("model %s activated by %s (was %s)", version,
                            current_principal().prefix, previous)
    return {"version": version, "active": registry.active_version(), "previous": previous,
            "activated_by": current_principal().prefix}
