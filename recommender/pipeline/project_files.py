"""Projects as a table with Chinese or English headers, for XLSX files, and back.

:func:`export_frame` turns projects into cells under :data:`PROJECT_HEADERS` (stages and
reasons as people read them, days as ``YYYY-MM-DD``); without ``personal`` the contacts are
left out, as for a viewer. The spreadsheet itself is written by the formula-safe writer of
the ranked lists (:func:`recommender.targeting.exports.to_xlsx_bytes`), which the command line
and the service call. :func:`read_projects` reads such a file back (either language's
headers) and :func:`import_projects` creates the rows without an id and updates those with
one, all or none: every row is checked first, and one error names every bad row. A text
the writer escaped (a "'" before a leading ``=``, ``+``, ``-`` or ``@``, so that it is never
run as a formula) reads back as it was.

>>> frame = export_frame([{"id": 1, "firm_id": "f1", "node_id": "lasers", "stage": "visit",
...                        "contact_name": "王伟"}], lang="zh", personal=False)
>>> frame.columns.tolist()[:4], frame.loc[0, "阶段"], "联系人" in frame.columns
(['项目编号', '企业编号', '薄弱环节', '阶段'], '考察', False)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, RecommenderError
from recommender.pipeline import transitions as T
from recommender.pipeline.projects import (
    EDITABLE_COLUMNS,
    PERSONAL_COLUMNS,
    create_project,
    update_project,
)
from recommender.store import models as M
from recommender.store import pipeline_tables as PT

__all__ = ["FIRST_ROW", "PROJECT_HEADERS", "ROW_PROBLEMS", "export_frame", "import_projects",
           "read_projects", "read_rows"]

# column -> (Chinese header, English header), in the file's order
PROJECT_HEADERS: dict[str, tuple[str, str]] = {
    M.ID: ("项目编号", "Project"),
    C.FIRM_ID: ("企业编号", "Firm ID"),
    C.NODE_ID: ("薄弱环节", "Weak link"),
    PT.PROJECT_STAGE: ("阶段", "Stage"),
    PT.LOST_REASON: ("流失原因", "Reason lost"),
    C.PARK_ID: ("意向园区", "Intended park"),
    PT.OWNER: ("负责人", "Owner"),
    PT.CONTACT_NAME: ("联系人", "Contact"),
    PT.CONTACT_TITLE: ("职务", "Title"),
    PT.CONTACT_PHONE: ("电话", "Phone"),
    PT.CONTACT_EMAIL: ("邮箱", "Email"),
    PT.NEXT_FOLLOW_UP: ("下次跟进", "Next follow-up"),
    PT.PLANNED_INVESTMENT: ("计划投资额（万元）", "Planned investment (10k CNY)"),
    PT.PLANNED_JOBS: ("计划就业人数", "Planned jobs"),
    C.NOTE: ("备注", "Notes"),
    C.CAMPAIGN_ID: ("招商活动", "Campaign"),
    M.CREATED_AT: ("创建时间", "Created"),
    M.UPDATED_AT: ("更新时间", "Updated"),
}
_LANGS = ("zh", "en")
FIRST_ROW = 2  # the sheet's row of the first project (row 1: the headers)
_LISTED = 20  # bad cells an import error's message lists (its problems hold them all)
_FLOATS, _INTS = (PT.PLANNED_INVESTMENT,), (PT.PLANNED_JOBS, M.ID)
# how the export's writer keeps a text from being read as a formula: "'" before these
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_frame(projects: Iterable[Mapping[str, Any]], *, lang: str = "zh",
                 personal: bool = False) -> pd.DataFrame:
    """Return the projects as cells under ``lang`` headers; contacts only with ``personal``."""
    if lang not in _LANGS:
        raise InvalidArgument(f"lang must be zh or en, got {lang!r}")
    which = _LANGS.index(lang)
    columns = [c for c in PROJECT_HEADERS if personal or c not in PERSONAL_COLUMNS]
    rows = []
    for project in projects:
        row = {}
        for column in columns:
            value = project.get(column)
            if column == PT.PROJECT_STAGE and value is not None:
                value = T.STAGE_LABELS[value][which]
            elif column == PT.LOST_REASON and value is not None:
                value = T.LOST_REASON_LABELS[value][which]
            elif isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, dt.date):
                value = value.isoformat()
            row[PROJECT_HEADERS[column][which]] = value
        rows.append(row)
    return pd.DataFrame(rows, columns=[PROJECT_HEADERS[c][which] for c in columns])


def read_rows(path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read a project file (XLSX or CSV, Chinese or English headers) without stopping.

    Returns the fields of every row (stages and reasons by name, or as either language shows
    them; empty cells are missing values) and every cell it could not read, as
    :func:`import_projects` reports problems: ``row`` (the sheet's row: 1 is the headers),
    ``column``, ``problem`` (:data:`ROW_PROBLEMS`), ``value`` and an English ``message``.
    """
    from recommender.firms.tables import read_table

    table = read_table(path)
    by_header = {h: c for c, pair in PROJECT_HEADERS.items() for h in (*pair, c)}
    unknown = [str(h) for h in table.columns if str(h).strip() not in by_header]
    problems = [_problem(1, h, "unknown_column", h) for h in unknown]
    table = table.drop(columns=[h for h in table.columns if str(h) in unknown])
    table = table.rename(columns=lambda h: by_header[str(h).strip()])
    stages = _names(T.STAGE_LABELS)
    reasons = _names(T.LOST_REASON_LABELS)
    out = []
    for number, record in enumerate(table.to_dict("records"), start=FIRST_ROW):
        fields = {}
        for column, value in record.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            text = str(value).strip()
            if not text:
                continue
            if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
                text = text[1:]  # the writer's escape, undone
            try:
                fields[column] = _parsed(column, text, stages, reasons)
            except (KeyError, ValueError):
                problems.append(_problem(number, column, "unreadable", text))
        out.append(fields)
    return out, problems


def read_projects(path) -> list[dict[str, Any]]:
    """Read a project file into project fields, as :func:`read_rows` does.

    InvalidArgument names every row and column it cannot read, and every unknown column.
    """
    rows, problems = read_rows(path)
    if problems:
        raise _refused(problems)
    return rows


def import_projects(store, rows: Sequence[Mapping[str, Any]], *, by: str | None,
                    node_ids: Collection[str] | None = None, region_id: str | None = None,
                    problems: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Import all the rows, or none: check every row first, then write them in one transaction.

    A row without a project number is a new project (at its stage, default lead); one with
    a number changes that project's editable fields (its stage moves only by a transition).
    A new row whose firm already has an open project for its link is skipped (a file
    imported again): ``skipped`` counts them and ``existing`` names each ``row`` and the
    project's ``id``. The rows are numbered as in the sheet (the first is row 2).

    Parameters
    ----------
    problems : iterable of dict, optional
        Problems found reading the file (:func:`read_rows`), reported with the others.

    Returns
    -------
    dict
        ``created``, ``updated`` and ``skipped`` counts, and ``existing``.

    Raises
    ------
    InvalidArgument
        One for all the bad rows: its ``problems`` name each ``row``, ``column`` and
        ``problem``; nothing is written.
    """
    problems = [dict(p) for p in problems]
    rows = [dict(r) for r in rows]
    plan, existing = _checked(store, rows, node_ids, problems)
    if problems:
        raise _refused(problems)

    def work(conn) -> dict[str, int]:
        counts = {"created": 0, "updated": 0}
        for number, fields in plan:
            try:
                if fields.get(M.ID) is None:
                    create_project(store, fields, by=by, node_ids=node_ids,
                                   region_id=region_id, conn=conn)
                    counts["created"] += 1
                else:
                    changes = {k: v for k, v in fields.items() if k in EDITABLE_COLUMNS}
                    update_project(store, int(fields[M.ID]), changes, conn=conn)
                    counts["updated"] += 1
            except RecommenderError as exc:  # changed since the check: nothing is kept
                raise _refused([_problem(number, None, "refused", str(exc))]) from exc
        return counts

    counts = store.write(work) if plan else {"created": 0, "updated": 0}
    return {**counts, "skipped": len(existing), "existing": existing}


def _checked(store, rows: list[dict[str, Any]], node_ids: Collection[str] | None,
             problems: list[dict[str, Any]]) -> tuple[list, list[dict[str, int]]]:
    """The rows to write (numbered) and the new rows whose projects exist; adds problems."""
    import sqlalchemy as sa

    firm_ids = {r.get(C.FIRM_ID) for r in rows if r.get(C.FIRM_ID)}
    project_ids = {int(r[M.ID]) for r in rows if r.get(M.ID) is not None}
    table = PT.PROJECTS
    with store.snapshot() as conn:
        known_firms = {f for (f,) in conn.execute(sa.select(M.FIRMS.c[C.FIRM_ID]).where(
            M.FIRMS.c[C.FIRM_ID].in_(sorted(firm_ids))))} if firm_ids else set()
        known_projects = {i for (i,) in conn.execute(sa.select(table.c[M.ID]).where(
            table.c[M.ID].in_(sorted(project_ids))))} if project_ids else set()
        open_ones = {(f, n): i for i, f, n in conn.execute(
            sa.select(table.c[M.ID], table.c[C.FIRM_ID], table.c[C.NODE_ID]).where(
                table.c[C.FIRM_ID].in_(sorted(firm_ids))
                & table.c[PT.PROJECT_STAGE].notin_([T.LOST, T.PRODUCTION])))} if firm_ids else {}
    nodes = set(node_ids) if node_ids is not None else None
    plan, existing, first_row = [], [], {}
    for number, fields in enumerate(rows, start=FIRST_ROW):
        found = [_problem(number, name, "negative", fields[name])
                 for name in (PT.PLANNED_INVESTMENT, PT.PLANNED_JOBS)
                 if fields.get(name) is not None and fields[name] < 0]
        if fields.get(M.ID) is not None:
            if int(fields[M.ID]) not in known_projects:
                found.append(_problem(number, M.ID, "no_project", fields[M.ID]))
        else:
            firm_id, node_id = fields.get(C.FIRM_ID), fields.get(C.NODE_ID)
            stage = fields.get(PT.PROJECT_STAGE) or "lead"
            if not firm_id:
                found.append(_problem(number, C.FIRM_ID, "missing", None))
            elif firm_id not in known_firms:
                found.append(_problem(number, C.FIRM_ID, "unknown_firm", firm_id))
            if not node_id:
                found.append(_problem(number, C.NODE_ID, "missing", None))
            elif nodes is not None and node_id not in nodes:
                found.append(_problem(number, C.NODE_ID, "unknown_link", node_id))
            if stage not in T.ACTIVE_STAGES:
                found.append(_problem(number, PT.PROJECT_STAGE, "not_a_start", stage))
            key = (firm_id, node_id)
            if not found and key in open_ones:
                existing.append({"row": number, M.ID: open_ones[key]})
                continue
            if not found and key in first_row:
                found.append(_problem(number, C.NODE_ID, "twice", first_row[key]))
            first_row.setdefault(key, number)
        problems.extend(found)
        plan.append((number, fields))
    return plan, existing


ROW_PROBLEMS: dict[str, str] = {  # problem -> how the English message says it
    "unknown_column": "unknown column {value!r}",
    "unreadable": "cannot read {value!r}",
    "negative": "{value} is below 0",
    "missing": "empty, and a new project needs it",
    "unknown_firm": "no firm {value!r} in the store",
    "unknown_link": "{value!r} is not a node of the chain",
    "not_a_start": "a new project cannot start at {value!r}",
    "twice": "the same firm and link as row {value}",
    "no_project": "no project {value}",
    "refused": "{value}",
}


def _problem(row: int, column: str | None, problem: str, value: Any) -> dict[str, Any]:
    where = f"row {row}" + (f", column {column}" if column else "")
    return {"row": row, "column": column, "problem": problem, "value": value,
            "message": f"{where}: " + ROW_PROBLEMS[problem].format(value=value)}


def _refused(problems: list[dict[str, Any]]) -> InvalidArgument:
    """One error for every bad row, listed in the sheet's order."""
    problems = sorted(problems, key=lambda p: p["row"])
    rows = sorted({p["row"] for p in problems})
    listed = "; ".join(p["message"] for p in problems[:_LISTED])
    more = f"; and {len(problems) - _LISTED} more" if len(problems) > _LISTED else ""
    return InvalidArgument(f"nothing imported: {len(rows)} row(s) cannot be imported "
                           f"({', '.join(map(str, rows))}): {listed}{more}", problems)


def _names(labels: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    return {text: name for name, pair in labels.items() for text in (name, *pair)}


def _parsed(column: str, text: str, stages: Mapping[str, str],
            reasons: Mapping[str, str]) -> Any:
    """The value of a cell (KeyError or ValueError when it cannot be read)."""
    if column == PT.PROJECT_STAGE:
        return stages[text]
    if column == PT.LOST_REASON:
        return reasons[text]
    if column in _FLOATS:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number
    if column in _INTS:
        return int(float(text))
    if column == PT.NEXT_FOLLOW_UP:
        return dt.date.fromisoformat(text[:10])
    if column in (M.CREATED_AT, M.UPDATED_AT):
        return None
    return text
