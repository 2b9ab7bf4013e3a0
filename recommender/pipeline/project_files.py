"""Projects as a table with Chinese or English headers, for XLSX files, and back.

:func:`export_frame` turns projects into cells under :data:`PROJECT_HEADERS` (stages and
reasons as people read them, days as ``YYYY-MM-DD``); without ``personal`` the contacts are
left out, as for a viewer. The spreadsheet itself is written by the formula-safe writer of
the ranked lists (:func:`recommender.targeting.exports.to_xlsx_bytes`), which the command line
and the service call. :func:`read_projects` reads such a file back (either language's
headers) and :func:`import_projects` creates the rows without an id and updates those with
one. A text the writer escaped (a "'" before a leading ``=``, ``+``, ``-`` or ``@``, so that
it is never run as a formula) reads back as it was.

>>> frame = export_frame([{"id": 1, "firm_id": "f1", "node_id": "lasers", "stage": "visit",
...                        "contact_name": "王伟"}], lang="zh", personal=False)
>>> frame.columns.tolist()[:4], frame.loc[0, "阶段"], "联系人" in frame.columns
(['项目编号', '企业编号', '薄弱环节', '阶段'], '考察', False)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.pipeline import transitions as T
from recommender.pipeline.projects import (
    EDITABLE_COLUMNS,
    PERSONAL_COLUMNS,
    create_project,
    update_project,
)
from recommender.store import models as M
from recommender.store import pipeline_tables as PT

__all__ = ["PROJECT_HEADERS", "export_frame", "import_projects", "read_projects"]

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


def read_projects(path) -> list[dict[str, Any]]:
    """Read a project file (XLSX or CSV, Chinese or English headers) into project fields.

    Stages and reasons may be given by name or as either language shows them; empty cells
    are missing values. InvalidArgument names the row and column of a value it cannot read.
    """
    from recommender.firms.tables import read_table

    table = read_table(path)
    by_header = {h: c for c, pair in PROJECT_HEADERS.items() for h in (*pair, c)}
    unknown = [h for h in table.columns if str(h).strip() not in by_header]
    if unknown:
        raise InvalidArgument(f"unknown column(s) {', '.join(map(str, unknown))}")
    table = table.rename(columns=lambda h: by_header[str(h).strip()])
    stages = _names(T.STAGE_LABELS)
    reasons = _names(T.LOST_REASON_LABELS)
    out = []
    for number, record in enumerate(table.to_dict("records"), start=2):  # row 1: headers
        fields = {}
        for column, value in record.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            text = str(value).strip()
            if not text:
                continue
            if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
                text = text[1:]  # the writer's escape, undone
            fields[column] = _parsed(column, text, stages, reasons, number)
        out.append(fields)
    return out


def import_projects(store, rows: Iterable[Mapping[str, Any]], *, by: str | None,
                    node_ids: Collection[str] | None = None,
                    region_id: str | None = None) -> dict[str, int]:
    """Create the rows without a project id and update the editable fields of the others.

    A stage in a row creates the project at that stage; for an existing project the stage is
    left alone (it moves by a transition). Returns ``created`` and ``updated`` counts.
    """
    counts = {"created": 0, "updated": 0}
    for fields in rows:
        if fields.get(M.ID) is None:
            create_project(store, fields, by=by, node_ids=node_ids, region_id=region_id)
            counts["created"] += 1
        else:
            changes = {k: v for k, v in fields.items() if k in EDITABLE_COLUMNS}
            update_project(store, int(fields[M.ID]), changes)
            counts["updated"] += 1
    return counts


def _names(labels: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    return {text: name for name, pair in labels.items() for text in (name, *pair)}


def _parsed(column: str, text: str, stages: Mapping[str, str], reasons: Mapping[str, str],
            number: int) -> Any:
    where = f"row {number}, column {column}"
    try:
        if column == PT.PROJECT_STAGE:
            return stages[text]
        if column == PT.LOST_REASON:
            return reasons[text]
        if column in _FLOATS:
            return float(text)
        if column in _INTS:
            return int(float(text))
        if column == PT.NEXT_FOLLOW_UP:
            return dt.date.fromisoformat(text[:10])
        if column in (M.CREATED_AT, M.UPDATED_AT):
            return None
    except (KeyError, ValueError) as exc:
        raise InvalidArgument(f"{where}: cannot read {text!r}") from exc
    return text
