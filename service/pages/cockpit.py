"""What the dashboard (产业数据驾驶舱) shows of the pipeline and of the chain over time.

:func:`cockpit` gathers, for a key that may read projects: the key's own follow-ups due
within a week (我的待跟进), the KPI tiles (projects by stage, investment in 万元 and jobs signed
and landed this year, weak links with a signed project, overdue follow-ups), the monthly
trends of the last twelve months, and the chain's health over time: each weak link's score
by snapshot day, the links whose score changed between the first and the latest snapshot
and why, and the recruitable weak links no project addresses yet. Every figure comes from
:mod:`recommender.pipeline.queries` and :mod:`recommender.pipeline.health`, which the API's
``/projects/kpis``, ``/projects/trends`` and ``/chain-health/*`` answer with.

The charts are drawn here as SVG geometry (the pages' Content-Security-Policy allows no
inline style), each with a table of the same figures beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, redirect, render_template, url_for

from recommender import columns as C
from recommender.pipeline import transitions as T
from recommender.store.auth import EDIT_PROJECTS, READ_PROJECTS, SNAPSHOT_HEALTH
from service.pages.blueprint import bp, login_required

__all__ = ["CHANGED_LINKS", "CHART", "HEALTH_LINKS", "LABEL_GAP", "MATERIAL_CHANGE",
           "TREND_MONTHS", "TREND_STAGES", "UNADDRESSED_TOP", "cockpit", "page_lang",
           "score_lines", "take_health_snapshot", "trend_bars"]

TREND_MONTHS = 12
HEALTH_LINKS = 10  # the weakest links drawn over time
CHANGED_LINKS = 5  # and the links that changed most since the first snapshot
# A link's score that moved less than this is not listed as changed: one link's new local
# plant shifts every link's gap a little, relative to the others, by about 0.001.
MATERIAL_CHANGE = 0.005
LABEL_GAP = 12  # px between the labels at the lines' ends
UNADDRESSED_TOP = 15  # of the weakest recruitable links, those no project addresses
CHART = {"width": 640, "height": 180, "left": 40, "bottom": 24, "top": 10}
TREND_STAGES = ("lead", "signed", "construction")  # the bars of each month


def cockpit(app_state, snapshot, principal, *, node_id: str | None) -> dict[str, Any] | None:
    """The dashboard's pipeline panels for ``principal``; None for a key that may not read
    projects. ``node_id`` is the link whose ranked firms the page lists: its firms' open
    projects are named so that a row links to its project instead of offering a new one."""
    from recommender.pipeline import health
    from recommender.pipeline import queries as Q

    if not principal.can(READ_PROJECTS):
        return None
    store = app_state.store
    today = dt.datetime.now(dt.UTC).date()
    ids = dict(region_id=app_state.region.id, chain_id=app_state.chain.id)
    trends = Q.monthly_trends(store, months=TREND_MONTHS, today=today)
    history = health.score_history(store, **ids)
    days = health.snapshot_days(store, **ids)
    mine = Q.follow_ups_due(store, principal.name, today=today) if principal.can(
        EDIT_PROJECTS) else []
    open_here = {}
    if node_id is not None:
        open_here = {p[C.FIRM_ID]: p["id"] for p in Q.list_projects(store, node_id=node_id)
                     if p["stage"] not in (T.LOST, T.PRODUCTION)}
    firms = snapshot.data.firms.set_index(C.FIRM_ID)
    name = C.NAME_ZH if page_lang() == "zh" else C.NAME
    names = {p[C.FIRM_ID]: (firms.at[p[C.FIRM_ID], name] if p[C.FIRM_ID] in firms.index
                            else None) or p[C.FIRM_ID] for p in mine}
    moved = health.link_changes(store, **ids) if len(days) > 1 else []
    changes = [c for c in moved if abs(c["change"]) >= MATERIAL_CHANGE]
    # the weakest links, and those that changed most (improved first), over time
    drawn = {s[C.NODE_ID] for s in history[:HEALTH_LINKS]} | {
        c[C.NODE_ID] for c in changes[:CHANGED_LINKS]}
    return {
        "kpis": Q.pipeline_kpis(store, today=today), "firm_names": names,
        "trends": trends, "trend_chart": trend_bars(trends),
        "follow_ups": [{**p, "overdue": Q.is_overdue(p, today=today)} for p in mine],
        "days": days, "changes": changes, "material_change": MATERIAL_CHANGE,
        "minor_changes": sum(1 for c in moved if health.CHANGE_TOLERANCE < abs(
            c["change"]) < MATERIAL_CHANGE),
        "lines": score_lines([s for s in history if s[C.NODE_ID] in drawn], days),
        "unaddressed": health.unaddressed_links(store, snapshot.weak_links,
                                                top=UNADDRESSED_TOP),
        "open_here": open_here, "today": today,
        "can_snapshot": principal.can(SNAPSHOT_HEALTH),
    }


def page_lang() -> str:
    """The page's language (zh outside a request)."""
    return g.get("lang", "zh")


@bp.route("/chain-health/snapshot", methods=["POST"], endpoint="take_health_snapshot")
@login_required
def take_health_snapshot():
    """Keep today's weak-link diagnosis as a snapshot (as ``chainscout weak-links snapshot``
    does each night), then back to the chain's health on the dashboard."""
    from recommender.pipeline import health
    from service.runtime.state import state

    if not g.principal.can(SNAPSHOT_HEALTH):
        return render_template("pages/forbidden.html", message="cockpit_no_snapshot",
                               principal=g.principal), 403
    app_state = state()
    health.take_snapshot(app_state.store, app_state.chain, app_state.region,
                         settings=app_state.settings, on=dt.datetime.now(dt.UTC).date())
    return redirect(url_for("pages.dashboard", _anchor="chain-health"), code=303)


def trend_bars(trends: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of the projects that entered :data:`TREND_STAGES` each month, on one scale.

    >>> bars = trend_bars([{"month": "2026-11", "entered": {"lead": 4, "signed": 1,
    ...                     "construction": 0}}])
    >>> [(b["stage"], b["value"], b["height"]) for b in bars["months"][0]["bars"]]
    [('lead', 4, 146.0), ('signed', 1, 36.5), ('construction', 0, 0.0)]
    """
    top = max((m["entered"].get(s, 0) for m in trends for s in TREND_STAGES), default=0)
    plot = CHART["height"] - CHART["bottom"] - CHART["top"]
    step = (CHART["width"] - CHART["left"]) / max(len(trends), 1)
    bar = step * 0.8 / len(TREND_STAGES)
    months = []
    for i, month in enumerate(trends):
        x0 = CHART["left"] + i * step + step * 0.1
        bars = []
        for j, stage in enumerate(TREND_STAGES):
            value = month["entered"].get(stage, 0)
            height = round(plot * value / top, 1) if top else 0.0
            bars.append({"stage": stage, "value": value, "height": height,
                         "x": round(x0 + j * bar, 1), "width": round(bar - 1, 1),
                         "y": round(CHART["top"] + plot - height, 1)})
        months.append({"month": month["month"], "bars": bars,
                       "label_x": round(x0 + step * 0.4, 1)})
    return {**CHART, "top_value": top, "months": months,
            "axis_y": CHART["height"] - CHART["bottom"]}


def score_lines(history: list[dict[str, Any]], days: list[dt.date]) -> dict[str, Any]:
    """Each link's score by snapshot day as a polyline, all links on one scale.

    >>> lines = score_lines([{"node_id": "a", "points": [
    ...     {"taken_on": dt.date(2026, 1, 1), "weak_link_score": 0.5, "rank": 1},
    ...     {"taken_on": dt.date(2026, 2, 1), "weak_link_score": 0.25, "rank": 2}]}],
    ...     [dt.date(2026, 1, 1), dt.date(2026, 2, 1)])
    >>> lines["lines"][0]["points"], lines["lines"][0]["change"]
    ('40.0,10.0 640.0,156.0', -0.25)
    """
    scores = [p[C.WEAK_LINK_SCORE] for s in history for p in s["points"]]
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 0.05, high + 0.05
    plot = CHART["height"] - CHART["bottom"] - CHART["top"]
    span = CHART["width"] - CHART["left"]
    where = {day: i for i, day in enumerate(days)}

    def x(day: dt.date) -> float:
        return CHART["left"] + (span * where[day] / (len(days) - 1) if len(days) > 1 else span)

    def y(score: float) -> float:
        return CHART["top"] + plot * (high - score) / (high - low)

    lines = []
    for series in history:
        points = series["points"]
        first, last = points[0][C.WEAK_LINK_SCORE], points[-1][C.WEAK_LINK_SCORE]
        lines.append({
            C.NODE_ID: series[C.NODE_ID], "first": first, "last": last,
            "change": last - first, "rank": points[-1][C.RANK],
            "improved": last - first <= -MATERIAL_CHANGE,
            "points": " ".join(f"{x(p['taken_on']):.1f},{y(p[C.WEAK_LINK_SCORE]):.1f}"
                               for p in points),
            "end": (round(x(points[-1]["taken_on"]), 1),
                    round(y(points[-1][C.WEAK_LINK_SCORE]), 1)),
        })
    _spread_labels(lines)
    return {**CHART, "lines": lines, "low": low, "high": high,
            "axis_y": CHART["height"] - CHART["bottom"],
            "ticks": [{"day": d, "x": round(x(d), 1)} for d in (days[:1] + days[-1:]
                                                                 if len(days) > 1 else days)]}


def _spread_labels(lines: list[dict[str, Any]]) -> None:
    """Give each line's end label a height at least LABEL_GAP from the next (``label_y``),
    nearest its line's end, inside the chart.

    >>> lines = [{"end": (640.0, 50.0)}, {"end": (640.0, 52.0)}, {"end": (640.0, 120.0)}]
    >>> _spread_labels(lines); [line["label_y"] for line in lines]
    [50.0, 62.0, 120.0]
    """
    order = sorted(range(len(lines)), key=lambda i: lines[i]["end"][1])
    placed: list[float] = []
    for i in order:
        y = lines[i]["end"][1]
        placed.append(max(y, placed[-1] + LABEL_GAP) if placed else y)
    bottom = CHART["height"] - CHART["bottom"]
    overflow = (placed[-1] - bottom) if placed else 0.0
    if overflow > 0:  # push the stack up, but not above the chart's top
        placed = [max(float(CHART["top"]), y - overflow) for y in placed]
    for i, y in zip(order, placed, strict=True):
        lines[i]["label_y"] = round(y, 1)
