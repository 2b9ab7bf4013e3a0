"""One recruitment project's page: its facts, contacts, stage history, the stage move form and
the form that changes its owner, follow-up, park, amounts, contacts and notes.

The page needs ``READ_PROJECTS``; the contacts (personal data) show only to a key that may
read them (officers and admins). The forms need ``EDIT_PROJECTS`` and are validated by the
API's ``MoveSchema`` and ``ProjectPatchSchema``, then stored by
:func:`recommender.pipeline.projects.move_project` and
:func:`~recommender.pipeline.projects.update_project`, as ``POST
/api/v1/projects/{id}/transitions`` and ``PATCH /api/v1/projects/{id}`` are. A move the
pipeline does not allow (a stale form, a forged one) answers 422 with the page and a
sentence in the page's language that names the stages it may move to
(:func:`recommender.pipeline.transitions.refusal_text`); a move that is done goes back to
the page (POST-redirect-GET).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import flash, g, get_flashed_messages, redirect, render_template, request, url_for

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.pipeline import transitions as T
from recommender.pipeline.projects import PERSONAL_COLUMNS
from recommender.store import pipeline_tables as PT
from recommender.store.auth import EDIT_PROJECTS, READ_CONTACTS, READ_PROJECTS, READ_RANKINGS
from service.pages.blueprint import bp, login_required
from service.pages.i18n import translate
from service.pages.pipeline import CREATED, EXISTING, Labels

__all__ = ["EDIT_FIELDS", "MOVED", "UPDATED", "edit_project", "move_project", "project"]

MOVED, UPDATED = "project_moved", "project_updated"  # flash categories
EDIT_FIELDS = (PT.OWNER, PT.NEXT_FOLLOW_UP, C.PARK_ID, PT.PLANNED_INVESTMENT, PT.PLANNED_JOBS,
               C.NOTE)
_NUMBERS = {PT.PLANNED_INVESTMENT: float, PT.PLANNED_JOBS: int}


def _page(status: int = 200, **context):
    return render_template("pages/project.html", principal=g.principal,
                           can_read_rankings=g.principal.can(READ_RANKINGS), **context), status


def _refused(message: str, status: int):
    return render_template("pages/forbidden.html", message=message,
                           principal=g.principal), status


@bp.route("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    if not g.principal.can(READ_PROJECTS):
        return _refused("pipeline_no_read", 403)
    return _project_page(project_id)


def _project_page(project_id: int, *, move_error: str | None = None,
                  edit_errors: dict | None = None, status: int = 200):
    """The page of one project (404 when there is none), with any form's errors."""
    from recommender.pipeline import projects as P
    from recommender.pipeline import queries as Q
    from service.runtime.state import state

    app_state = state()
    try:
        found = P.get_project(app_state.store, project_id)
    except NotFoundError:
        return render_template("pages/not_found.html", kind="project", ident=str(project_id),
                               principal=g.principal,
                               can_read_rankings=g.principal.can(READ_RANKINGS)), 404
    history = P.project_history(app_state.store, project_id)
    labels = Labels(app_state, [found], g.lang)
    personal = g.principal.can(READ_CONTACTS)
    shown = found if personal else P.without_personal(found)
    notices = [(category, ident) for category, ident in get_flashed_messages(
        with_categories=True) if category in (CREATED, EXISTING, MOVED, UPDATED)]
    reached = {e[PT.TO_STAGE] for e in history}
    track = [*T.PIPELINE, *(s for s in (T.ON_HOLD, T.LOST) if s == found["stage"])]
    return _page(status, project=shown, history=history, labels=labels, personal=personal,
                 track=track, reached=reached,
                 overdue=Q.is_overdue(found), moves=P.allowed_moves(app_state.store, project_id),
                 can_edit=g.principal.can(EDIT_PROJECTS), reasons=T.LOST_REASONS,
                 move_error=move_error, edit_errors=edit_errors or {}, notices=notices,
                 parks=sorted(labels.parks, key=labels.park),
                 form=_edit_form(found, personal) if not edit_errors else request.form)


def _edit_form(project: dict[str, Any], personal: bool) -> dict[str, str]:
    """The edit form's fields filled with the project's values, as text."""
    names = EDIT_FIELDS + (PERSONAL_COLUMNS if personal else ())
    form = {}
    for name in names:
        value = project.get(name)
        if value is None:
            form[name] = ""
        elif isinstance(value, dt.date):
            form[name] = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            form[name] = str(int(value))
        else:
            form[name] = str(value)
    return form


@bp.route("/projects/<int:project_id>/move", methods=["POST"])
@login_required
def move_project(project_id: int):
    """Move the project to the stage the form names, or say why it cannot move there."""
    from recommender.pipeline import projects as P
    from service.api.projects import MoveSchema
    from service.runtime.state import state

    if not g.principal.can(EDIT_PROJECTS):
        return _refused("project_no_edit", 403)
    app_state = state()
    form = {name: request.form.get(name, "").strip() for name in ("stage", "lost_reason", "note")}
    try:
        body = MoveSchema().load({k: v for k, v in form.items() if v})
    except ma.ValidationError as exc:
        return _project_page(project_id, move_error=_move_message(exc.messages), status=422)
    try:
        P.move_project(app_state.store, project_id, body["stage"], by=g.principal.name,
                       lost_reason=body.get("lost_reason"), note=body.get("note"),
                       region=app_state.region)
    except NotFoundError:
        return _project_page(project_id)
    except InvalidArgument:
        return _project_page(project_id, status=422,
                             move_error=_refusal(app_state.store, project_id, body))
    app_state.snapshots.invalidate()
    flash(body["stage"], MOVED)
    return redirect(url_for("pages.project", project_id=project_id, _anchor="history"),
                    code=303)


def _move_message(messages: dict) -> str:
    """What was wrong with the move form, in the page's language."""
    if "stage" in messages:
        return translate("project_choose_stage", g.lang)
    return translate("project_lost_reason_needed", g.lang)


def _refusal(store, project_id: int, body: dict) -> str:
    """Why the pipeline refused the move: not a move it allows, or a loss without reason."""
    from recommender.pipeline import projects as P

    to = body["stage"]
    if to in P.allowed_moves(store, project_id):
        return translate("project_lost_reason_needed", g.lang)
    current = P.get_project(store, project_id)["stage"]
    held_at = None
    if current == T.ON_HOLD:
        held_at = next((m for m in P.allowed_moves(store, project_id) if m != T.LOST), None)
    return T.refusal_text(current, to, held_at=held_at, lang=g.lang)


@bp.route("/projects/<int:project_id>/edit", methods=["POST"])
@login_required
def edit_project(project_id: int):
    """Change the project's owner, follow-up, park, amounts, contacts or notes."""
    from recommender.pipeline import projects as P
    from service.api.projects import ProjectPatchSchema
    from service.runtime.state import state

    if not g.principal.can(EDIT_PROJECTS):
        return _refused("project_no_edit", 403)
    names = EDIT_FIELDS + (PERSONAL_COLUMNS if g.principal.can(READ_CONTACTS) else ())
    raw, errors = {}, {}
    for name in names:
        if name not in request.form:
            continue
        text = request.form[name].strip()
        if not text:
            raw[name] = None
        elif name in _NUMBERS:
            try:
                raw[name] = _NUMBERS[name](text.replace(",", ""))
            except ValueError:
                errors[name] = ["project_bad_number"]
        else:
            raw[name] = text
    try:
        body = ProjectPatchSchema().load(raw) if not errors else {}
    except ma.ValidationError as exc:
        errors = {name: ["project_bad_value"] for name in exc.messages}
    if errors:
        return _project_page(project_id, edit_errors=errors, status=422)
    try:
        P.update_project(state().store, project_id, body)
    except NotFoundError:
        return _project_page(project_id)
    except InvalidArgument as exc:
        fields = [p.get("field") for p in exc.problems] or ["form"]
        return _project_page(project_id, edit_errors={f: ["project_bad_value"] for f in fields},
                             status=422)
    flash(str(project_id), UPDATED)
    return redirect(url_for("pages.project", project_id=project_id, _anchor="details"),
                    code=303)
