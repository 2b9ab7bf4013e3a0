"""Recruitment projects (招商项目): the pipeline, one project, its stage moves and history,
follow-ups due, KPI figures and monthly trends, and the XLSX export.

Viewers read the pipeline without contacts (``contact_*`` are null in JSON and left out of
the export); officers and admins run projects and see the contacts. A stage move the
pipeline does not allow is a 422 naming the allowed next stages. The owner of a new project
and the author of each move is the key's label (else its prefix).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from recommender import columns as C
from recommender.pipeline import projects as P
from recommender.pipeline import queries as Q
from recommender.pipeline import transitions as T
from recommender.pipeline.project_files import export_frame, import_projects, read_rows
from recommender.store import pipeline_tables as PT
from recommender.store.auth import EDIT_PROJECTS, READ_CONTACTS, READ_PROJECTS
from recommender.targeting.exports import XLSX_MEDIA_TYPE, to_xlsx_bytes
from service.answers.queries import pagination
from service.http.auth import current_principal
from service.http.downloads import content_disposition
from service.http.openapi import ApiBlueprint
from service.http.schemas import PageQuerySchema, PaginationSchema, UtcDateTime
from service.runtime.state import state

__all__ = [
    "EventSchema",
    "ExistingRowSchema",
    "FollowUpQuerySchema",
    "ImportFileSchema",
    "ImportResultSchema",
    "KpiSchema",
    "MoveSchema",
    "ProjectInSchema",
    "ProjectPageSchema",
    "ProjectPatchSchema",
    "ProjectQuerySchema",
    "ProjectSchema",
    "REASON_HELP",
    "STAGE_HELP",
    "TrendSchema",
    "bp",
    "create_project",
    "delete_project",
    "export_projects",
    "follow_ups",
    "get_project",
    "import_file",
    "kpis",
    "list_projects",
    "move_project",
    "project_history",
    "trends",
    "update_project",
]

bp = ApiBlueprint("projects", __name__,
                  description="Recruitment projects (招商项目): stages 线索 lead → 接洽 contacted "
                              "→ 考察 visit → 洽谈 negotiation → 签约 signed → 注册 registered → "
                              "开工 construction → 投产 production, 搁置 on hold, 流失 lost.")

_ID = "<int(min=1, max=2147483647):project_id>"
_TEXT = validate.Length(max=200)
STAGE_HELP = ", ".join(f"{s} ({T.STAGE_LABELS[s][0]})" for s in T.STAGES)
REASON_HELP = ", ".join(f"{r} ({T.LOST_REASON_LABELS[r][0]})" for r in T.LOST_REASONS)


class ProjectSchema(ma.Schema):
    id = fields.Integer(required=True)
    firm_id = fields.String(required=True)
    node_id = fields.String(required=True, metadata={"description": "The weak link"})
    park_id = fields.String(required=True, allow_none=True)
    region_id = fields.String(required=True, allow_none=True)
    campaign_id = fields.String(required=True, allow_none=True)
    stage = fields.String(required=True, metadata={"description": STAGE_HELP})
    stage_changed_at = UtcDateTime(required=True)
    lost_reason = fields.String(required=True, allow_none=True)
    owner = fields.String(required=True, allow_none=True)
    contact_name = fields.String(required=True, allow_none=True, metadata={
        "description": "Personal data: null for a viewer's key"})
    contact_title = fields.String(required=True, allow_none=True)
    contact_phone = fields.String(required=True, allow_none=True)
    contact_email = fields.String(required=True, allow_none=True)
    next_follow_up = fields.Date(required=True, allow_none=True)
    planned_investment_wan = fields.Float(required=True, allow_none=True, metadata={
        "description": "计划投资额, 万元 (10,000 CNY)"})
    planned_jobs = fields.Integer(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    plant_firm_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The local plant added when the project reached production"})
    created_at = UtcDateTime(required=True)
    created_by = fields.String(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)
    overdue = fields.Boolean(required=True, metadata={
        "description": "Running, and the next follow-up day has passed"})


class ProjectPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ProjectSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class ProjectPatchSchema(ma.Schema):
    """The fields of a project a client may change (the stage moves by a transition)."""

    park_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    owner = fields.String(allow_none=True, validate=_TEXT)
    contact_name = fields.String(allow_none=True, validate=_TEXT)
    contact_title = fields.String(allow_none=True, validate=_TEXT)
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    contact_email = fields.String(allow_none=True, validate=validate.Length(max=200))
    next_follow_up = fields.Date(allow_none=True)
    planned_investment_wan = fields.Float(allow_none=True, validate=validate.Range(
        min=0, max=1e9), metadata={"description": "万元"})
    planned_jobs = fields.Integer(allow_none=True, strict=True,
                                  validate=validate.Range(min=0, max=10_000_000))
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class ProjectInSchema(ProjectPatchSchema):
    firm_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    node_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The weak link: a node of the chain"})
    stage = fields.String(load_default="lead", validate=validate.OneOf(T.ACTIVE_STAGES),
                          metadata={"description": "Where it starts (default lead)"})
    campaign_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": 'Default "pipeline-<year>"'})


class MoveSchema(ma.Schema):
    stage = fields.String(required=True, validate=validate.OneOf(T.STAGES),
                          metadata={"description": STAGE_HELP})
    lost_reason = fields.String(allow_none=True, validate=validate.OneOf(T.LOST_REASONS),
                                metadata={"description": "Required for lost: " + REASON_HELP})
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class EventSchema(ma.Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    from_stage = fields.String(required=True, allow_none=True)
    to_stage = fields.String(required=True)
    lost_reason = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    recorded_at = UtcDateTime(required=True)
    recorded_by = fields.String(required=True, allow_none=True)


class ProjectQuerySchema(PageQuerySchema):
    stage = fields.List(fields.String(validate=validate.OneOf(T.STAGES)),
                        validate=validate.Length(max=len(T.STAGES)),
                        metadata={"description": "Repeat for several stages"})
    owner = fields.String(validate=_TEXT)
    node_id = fields.String(validate=validate.Length(min=1, max=100))
    park_id = fields.String(validate=validate.Length(min=1, max=100))
    firm_id = fields.String(validate=validate.Length(min=1, max=200))
    overdue = fields.Boolean(load_default=False)


class FollowUpQuerySchema(ma.Schema):
    owner = fields.String(validate=_TEXT, metadata={"description": "Default: the key's owner"})
    within_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=366))


class _Amounts(ma.Schema):
    projects = fields.Integer(required=True)
    investment_wan = fields.Float(required=True)
    jobs = fields.Integer(required=True)


class _Links(ma.Schema):
    count = fields.Integer(required=True)
    node_ids = fields.List(fields.String(), required=True)


class KpiSchema(ma.Schema):
    year = fields.Integer(required=True)
    as_of = fields.Date(required=True)
    projects_by_stage = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                    required=True)
    signed = fields.Nested(_Amounts, required=True, metadata={
        "description": "Projects that entered 签约 this year (not lost)"})
    landed = fields.Nested(_Amounts, required=True, metadata={
        "description": "Projects that entered 开工 this year (not lost)"})
    links_with_signed = fields.Nested(_Links, required=True)
    overdue_follow_ups = fields.Integer(required=True)


class _KpiQuery(ma.Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class TrendSchema(ma.Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    entered = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    signed_investment_wan = fields.Float(required=True)


class _TrendQuery(ma.Schema):
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=120))


class ImportFileSchema(ma.Schema):
    file = Upload(required=True, metadata={
        "description": "An XLSX (or CSV) file with the export's Chinese or English headers"})


class ExistingRowSchema(ma.Schema):
    row = fields.Integer(required=True, metadata={"description": "The sheet's row (1: headers)"})
    id = fields.Integer(required=True, metadata={"description": "The project it already is"})


class ImportResultSchema(ma.Schema):
    created = fields.Integer(required=True, metadata={
        "description": "Rows without a project number, made into projects"})
    updated = fields.Integer(required=True, metadata={
        "description": "Rows with a project number, whose editable fields were changed"})
    skipped = fields.Integer(required=True, metadata={
        "description": "Rows without a project number whose firm already has an open project "
                       "for the link (a file imported again): left as they are"})
    existing = fields.List(fields.Nested(ExistingRowSchema), required=True, metadata={
        "description": "The skipped rows: each row of the sheet and its project's number"})


class _ExportQuery(ma.Schema):
    lang = fields.String(load_default="zh", validate=validate.OneOf(("zh", "en")))


# --- views: reading ---------------------------------------------------------------------------
@bp.route("/projects", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.arguments(ProjectQuerySchema, location="query")
@bp.response(200, ProjectPageSchema)
def list_projects(query: dict):
    """Projects in pipeline order, filtered by stage, owner, link, park, firm or overdue."""
    found = Q.list_projects(state().store, stages=query.get("stage") or None,
                            owner=query.get("owner"), node_id=query.get(C.NODE_ID),
                            park_id=query.get(C.PARK_ID), firm_id=query.get(C.FIRM_ID),
                            overdue=query["overdue"])
    return _page([_shown(p) for p in found], query["page"], query["page_size"])


@bp.route("/projects/follow-ups", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.arguments(FollowUpQuerySchema, location="query")
@bp.response(200, ProjectSchema(many=True))
def follow_ups(query: dict):
    """An owner's running projects whose next follow-up is due within ``within_days``
    (overdue ones first); by default the key's own ("my follow-ups due")."""
    owner = query.get("owner") or current_principal().name
    return [_shown(p) for p in Q.follow_ups_due(state().store, owner,
                                                 within_days=query["within_days"])]


@bp.route("/projects/kpis", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.arguments(_KpiQuery, location="query")
@bp.response(200, KpiSchema)
def kpis(query: dict):
    """The pipeline's KPI figures of a year (default this year)."""
    return Q.pipeline_kpis(state().store, year=query.get("year"))


@bp.route("/projects/trends", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.arguments(_TrendQuery, location="query")
@bp.response(200, TrendSchema(many=True))
def trends(query: dict):
    """Per month (oldest first): projects that entered each stage, investment signed."""
    return Q.monthly_trends(state().store, months=query["months"])


@bp.route("/projects/export", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.arguments(_ExportQuery, location="query")
@bp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX_MEDIA_TYPE)
def export_projects(query: dict):
    """Every project as an XLSX workbook with Chinese (or English) headers; the contacts only
    for officers and admins."""
    lang = query["lang"]
    personal = current_principal().can(READ_CONTACTS)
    frame = export_frame(Q.list_projects(state().store), lang=lang, personal=personal)
    body = to_xlsx_bytes(frame, lang=lang, sheet="招商项目" if lang == "zh" else "Projects")
    name = f"{'招商项目' if lang == 'zh' else 'projects'}-{dt.date.today().isoformat()}.xlsx"
    return Response(body, status=200, content_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": content_disposition(name)})


@bp.route(f"/projects/{_ID}", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ProjectSchema)
def get_project(project_id: int):
    """One project."""
    return _shown(P.get_project(state().store, project_id))


@bp.route(f"/projects/{_ID}/history", methods=["GET"])
@bp.require(READ_PROJECTS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, EventSchema(many=True))
def project_history(project_id: int):
    """A project's stage changes, oldest first: from, to, why, who and when."""
    return P.project_history(state().store, project_id)


# --- views: writing ---------------------------------------------------------------------------
@bp.route("/projects", methods=["POST"])
@bp.require(EDIT_PROJECTS)
@bp.arguments(ProjectInSchema)
@bp.response(201, ProjectSchema)
def create_project(body: dict):
    """Create a project for a firm and a weak link (422 for an unknown firm or node, or an
    open project of the firm for the link); the owner defaults to the key's."""
    app_state = state()
    project = P.create_project(app_state.store, body, by=current_principal().name,
                               node_ids=app_state.chain.node_ids,
                               region_id=app_state.region.id)
    if T.outcome_code(project[PT.PROJECT_STAGE]) is not None:
        app_state.snapshots.invalidate()
    return _shown(project)


@bp.route("/projects/import", methods=["POST"])
@bp.require(EDIT_PROJECTS)
@bp.arguments(ImportFileSchema, location="files")
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, ImportResultSchema)
def import_file(files: dict):
    """Import projects from an XLSX file as the export writes it (Chinese or English headers),
    all or none: a row without a project number is a new project (at its stage, default
    lead); a row with one changes that project's editable fields (its stage moves only by a
    transition). A new row whose firm already has an open project for the link is skipped
    (``skipped``, and ``existing`` names its row and project), so a file imported again
    makes nothing twice. Every row is checked before anything is written: one 422 lists
    every bad row (``details.problems``: ``row``, ``column``, ``problem``, ``value``,
    ``message``) and nothing is imported. A file that is not a spreadsheet is a 400."""
    import tempfile
    from pathlib import Path

    from recommender.exceptions import InvalidArgument

    upload = files["file"]
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidArgument(f"file: send an .xlsx or .csv file, not {suffix or 'no suffix'!r}",
                              [{"field": "file", "message": "an .xlsx or .csv file"}])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"projects{suffix}"
        upload.save(path)
        rows, problems = read_rows(path)
    app_state = state()
    counts = import_projects(app_state.store, rows, by=current_principal().name,
                             node_ids=app_state.chain.node_ids, region_id=app_state.region.id,
                             problems=problems)
    if counts["created"] or counts["updated"]:
        app_state.snapshots.invalidate()
    return counts


@bp.route(f"/projects/{_ID}", methods=["PATCH"])
@bp.require(EDIT_PROJECTS)
@bp.arguments(ProjectPatchSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ProjectSchema)
def update_project(body: dict, project_id: int):
    """Change a project's owner, park, contacts, follow-up, amounts or notes."""
    return _shown(P.update_project(state().store, project_id, body))


@bp.route(f"/projects/{_ID}", methods=["DELETE"])
@bp.require(EDIT_PROJECTS)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(204)
def delete_project(project_id: int):
    """Delete a project and its history (the outcome labels it recorded stay)."""
    P.delete_project(state().store, project_id)
    return Response(status=204)


@bp.route(f"/projects/{_ID}/transitions", methods=["POST"])
@bp.require(EDIT_PROJECTS)
@bp.arguments(MoveSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, ProjectSchema)
def move_project(body: dict, project_id: int):
    """Move a project to its next stage; 422 names the allowed next stages when the move is
    impossible. The move is kept in the history and records the stage's outcome label; a
    project reaching 投产 production adds its firm's plant as a local supplier of the link."""
    app_state = state()
    project = P.move_project(app_state.store, project_id, body["stage"],
                             by=current_principal().name, lost_reason=body.get("lost_reason"),
                             note=body.get("note"), region=app_state.region)
    app_state.snapshots.invalidate()
    return _shown(project)


def _shown(project: dict[str, Any]) -> dict[str, Any]:
    """The project as the key may see it: contacts null without the contacts permission."""
    out = dict(project)
    if not current_principal().can(READ_CONTACTS):
        out.update(dict.fromkeys(P.PERSONAL_COLUMNS))
    out["overdue"] = Q.is_overdue(out)
    return out


def _page(items: list, page: int, page_size: int) -> dict[str, Any]:
    start = (page - 1) * page_size
    return {"items": items[start:start + page_size],
            "pagination": pagination(page, page_size, len(items))}
