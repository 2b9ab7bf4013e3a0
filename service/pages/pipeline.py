"""The recruitment pipeline (招商项目) page, and making a project in one click.

The pipeline page (``/pipeline``) lists the projects grouped by stage, in the pipeline's
order, filtered by owner, weak link, park and overdue follow-up, as ``GET /api/v1/projects``
filters them (:func:`recommender.pipeline.queries.list_projects`); it needs
``READ_PROJECTS`` and never shows contacts. ``/pipeline/export.xlsx`` is the same list as the
API's XLSX export, contacts only for a key that may read them. A key that may run projects
imports such a file back there (``POST /pipeline/import``), all or none, as the API does;
the page names every bad row in its own language.

A project is made from a ranked row of the dashboard or a row of a firm portrait's standings
by one button (``POST /projects/new``, ``EDIT_PROJECTS``), validated by the API's
``ProjectInSchema`` and stored by :func:`recommender.pipeline.projects.create_project`: the
key's person owns it. When the firm already has an open project for the link, the button
leads to that project instead of refusing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from recommender import columns as C
from recommender.exceptions import DataError, InvalidArgument
from recommender.pipeline import transitions as T
from recommender.store.auth import EDIT_PROJECTS, READ_CONTACTS, READ_PROJECTS, READ_RANKINGS
from service.pages.blueprint import bp, login_required

__all__ = [
    "CREATED",
    "EXISTING",
    "FILTERS",
    "Labels",
    "create_project",
    "export_pipeline",
    "import_pipeline",
    "import_problem",
    "pipeline",
    "reason_name",
    "run_projects",
    "stage_name",
    "wan",
]

FILTERS = ("owner", "node", "park", "overdue")
CREATED, EXISTING = "project_created_notice", "project_exists"  # flash categories


class Labels:
    """Names of the firms, links and parks of some projects, in the page's language."""

    def __init__(self, app_state, projects: Iterable[Mapping[str, Any]], lang: str):
        self.lang = lang
        chain = app_state.chain
        column = C.NAME_ZH if lang == "zh" else C.NAME_EN
        self.links = {n: chain.node(n).get(column) or n for n in chain.node_ids}
        parks = app_state.store.parks()
        self.parks = {r[C.PARK_ID]: (r.get(C.PARK_NAME_ZH) if lang == "zh" else
                                     r.get(C.PARK_NAME_EN)) or r[C.PARK_ID]
                      for r in parks.to_dict("records")}
        firms = app_state.snapshots.get().data.firms.set_index(C.FIRM_ID)
        self.firms = {}
        for project in projects:
            firm_id = project[C.FIRM_ID]
            if firm_id in firms.index:
                row = firms.loc[firm_id]
                names = (row.get(C.NAME_ZH), row.get(C.NAME)) if lang == "zh" else (
                    row.get(C.NAME), row.get(C.NAME_ZH))
                self.firms[firm_id] = next((n for n in names if isinstance(n, str) and n),
                                           firm_id)

    def firm(self, firm_id: str) -> str:
        return self.firms.get(firm_id, firm_id)

    def link(self, node_id: str) -> str:
        return self.links.get(node_id, node_id)

    def park(self, park_id: str | None) -> str:
        return self.parks.get(park_id, park_id) if park_id else ""


@bp.app_template_global("run_projects")
def run_projects() -> bool:
    """Whether the logged-in key may make and move projects (the one-click buttons)."""
    principal = g.get("principal")
    return principal is not None and principal.can(EDIT_PROJECTS)


@bp.app_template_global("stage_name")
def stage_name(stage: str) -> str:
    """A project stage as a person reads it in the page's language (``visit``: 考察)."""
    return T.stage_label(stage, g.get("lang", "zh"))


@bp.app_template_global("reason_name")
def reason_name(reason: str) -> str:
    """Why a project was lost, in the page's language (``rival_region``: 竞争地区)."""
    zh, en = T.LOST_REASON_LABELS[reason]
    return zh if g.get("lang", "zh") == "zh" else en


@bp.app_template_filter("wan")
def wan(amount: float | None) -> str:
    """An amount in 万元 as people write it: thousands separated, no decimals past one.

    >>> wan(20000.0), wan(1234.56), wan(None)
    ('20,000', '1,234.6', '–')
    """
    if amount is None:
        return "–"
    return f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.1f}"


def _forbidden(message: str):
    return render_template("pages/forbidden.html", message=message,
                           principal=g.principal), 403


def _filters(args) -> dict[str, Any]:
    """The page's filters as given (an empty value: no filter)."""
    found = {name: (args.get(name) or "").strip() or None for name in FILTERS[:3]}
    found["overdue"] = args.get("overdue") in ("1", "true", "on")
    return found


@bp.route("/pipeline")
@login_required
def pipeline():
    """The projects grouped by stage, with their filters."""
    if not g.principal.can(READ_PROJECTS):
        return _forbidden("pipeline_no_read")
    return _pipeline_page()


def _pipeline_page(imported: Mapping[str, Any] | None = None, status: int = 200):
    """The pipeline page, with the outcome of an import (counts or problems) when there was
    one."""
    from recommender.pipeline import queries as Q
    from service.runtime.state import state

    app_state = state()
    chosen = _filters(request.args)
    everything = Q.list_projects(app_state.store)
    shown = Q.list_projects(app_state.store, owner=chosen["owner"], node_id=chosen["node"],
                            park_id=chosen["park"], overdue=chosen["overdue"])
    labels = Labels(app_state, everything, g.lang)
    today = dt.datetime.now(dt.UTC).date()
    groups = [{"stage": stage, "projects": [
        {**p, "overdue": Q.is_overdue(p, today=today)}
        for p in shown if p["stage"] == stage]} for stage in T.STAGES]
    options = {
        "owners": sorted({p["owner"] for p in everything if p["owner"]}),
        "links": sorted({p[C.NODE_ID] for p in everything} | (
            {chosen["node"]} if chosen["node"] else set()), key=labels.link),
        "parks": sorted({p[C.PARK_ID] for p in everything if p[C.PARK_ID]} | (
            {chosen["park"]} if chosen["park"] else set()), key=labels.park),
    }
    return render_template("pages/pipeline.html", groups=groups, chosen=chosen,
                           options=options, labels=labels, shown=len(shown),
                           total=len(everything), principal=g.principal,
                           can_read_rankings=g.principal.can(READ_RANKINGS),
                           filter_args={k: v for k, v in request.args.items()
                                        if k in FILTERS and v},
                           imported=imported), status


@bp.route("/pipeline/import", methods=["POST"])
@login_required
def import_pipeline():
    """Import a project file (XLSX or CSV, as the export writes it) all or none, as
    ``POST /api/v1/projects/import`` does, and show the pipeline with what was imported, or
    with every bad row in the page's language (422) when nothing was."""
    import tempfile
    from pathlib import Path

    from recommender.pipeline.project_files import import_projects, read_rows
    from service.runtime.state import state

    if not g.principal.can(EDIT_PROJECTS):
        return _forbidden("project_no_edit")
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if suffix not in (".xlsx", ".csv"):
        return _pipeline_page({"problems": [import_problem({"problem": "not_a_file"})]}, 422)
    app_state = state()
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"projects{suffix}"
            upload.save(path)
            rows, problems = read_rows(path)
        counts = import_projects(app_state.store, rows, by=g.principal.name,
                                 node_ids=app_state.chain.node_ids,
                                 region_id=app_state.region.id, problems=problems)
    except InvalidArgument as exc:
        found = exc.problems or [{"problem": "not_a_file"}]
        return _pipeline_page({"problems": [import_problem(p) for p in found]}, 422)
    except DataError:  # not a spreadsheet after all
        return _pipeline_page({"problems": [import_problem({"problem": "not_a_file"})]}, 422)
    if counts["created"] or counts["updated"]:
        app_state.snapshots.invalidate()
    return _pipeline_page(counts)


def import_problem(problem: Mapping[str, Any]) -> str:
    """One problem of an import (:func:`recommender.pipeline.project_files.import_projects`)
    as the page says it in its language: the row, the column's header and what is wrong."""
    from recommender.pipeline.project_files import PROJECT_HEADERS
    from service.pages.i18n import translate

    lang = g.get("lang", "zh")
    column, value = problem.get("column"), problem.get("value")
    header = PROJECT_HEADERS.get(column, (column, column))[0 if lang == "zh" else 1]
    if problem.get("problem") == "not_a_start" and value in T.STAGE_LABELS:
        value = T.stage_label(value, lang)
    elif isinstance(value, float):
        value = wan(value)
    text = translate(f"import_{problem.get('problem')}", lang).format(value=value)
    if problem.get("row") is None:
        return text
    where = "import_where" if header else "import_where_row"
    return translate(where, lang).format(row=problem["row"], column=header, problem=text)


@bp.route("/pipeline/export.xlsx")
@login_required
def export_pipeline():
    """Every project as the API's XLSX workbook, headers in the page's language."""
    from flask import Response

    from recommender.pipeline import queries as Q
    from recommender.pipeline.project_files import export_frame
    from recommender.targeting.exports import XLSX_MEDIA_TYPE, to_xlsx_bytes
    from service.http.downloads import content_disposition
    from service.http.limits import check_rate
    from service.runtime.state import state

    if not g.principal.can(READ_PROJECTS):
        return _forbidden("pipeline_no_read")
    check_rate(g.principal.id)
    frame = export_frame(Q.list_projects(state().store), lang=g.lang,
                         personal=g.principal.can(READ_CONTACTS))
    body = to_xlsx_bytes(frame, lang=g.lang, sheet="招商项目" if g.lang == "zh" else "Projects")
    stem = "招商项目" if g.lang == "zh" else "projects"
    name = f"{stem}-{dt.date.today().isoformat()}.xlsx"
    return Response(body, content_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": content_disposition(name)})


@bp.route("/projects/new", methods=["POST"])
@login_required
def create_project():
    """Make a project for a firm and a link (one click), then show it; an open project of
    the firm for the link is shown instead."""
    from recommender.pipeline import projects as P
    from recommender.pipeline import queries as Q
    from service.api.projects import ProjectInSchema
    from service.runtime.state import state

    if not g.principal.can(EDIT_PROJECTS):
        return _forbidden("project_no_edit")
    app_state = state()
    form = {name: request.form.get(name, "").strip()
            for name in (C.FIRM_ID, C.NODE_ID, C.PARK_ID)}
    open_ones = [p for p in Q.list_projects(app_state.store, firm_id=form[C.FIRM_ID] or None,
                                            node_id=form[C.NODE_ID] or None)
                 if p["stage"] not in (T.LOST, T.PRODUCTION)] if all(
        (form[C.FIRM_ID], form[C.NODE_ID])) else []
    if open_ones:
        flash(str(open_ones[0]["id"]), EXISTING)
        return redirect(url_for("pages.project", project_id=open_ones[0]["id"]), code=303)
    try:
        body = ProjectInSchema().load({k: v for k, v in form.items() if v})
        project = P.create_project(app_state.store, body, by=g.principal.name,
                                   node_ids=app_state.chain.node_ids,
                                   region_id=app_state.region.id)
    except (ma.ValidationError, InvalidArgument):  # a firm or link not known: a stale form
        return render_template("pages/forbidden.html", message="project_not_made",
                               principal=g.principal), 422
    flash(str(project["id"]), CREATED)
    return redirect(url_for("pages.project", project_id=project["id"]), code=303)
