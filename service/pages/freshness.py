"""Data freshness (数据时效): the firm data and region tables older than an age, or undated.

The page (``/data-freshness``) lists what :func:`recommender.pipeline.freshness.stale_data`
answers, as ``GET /api/v1/data-freshness/stale`` does, oldest first, for a maximum age the
person chooses (default 365 days); it needs ``READ_FIRMS``. Sources are recorded with ``PUT
/api/v1/data-freshness/sources`` or ``chainscout sources record``.
"""

from __future__ import annotations

from flask import g, render_template, request

from recommender.store.auth import READ_FIRMS, READ_RANKINGS
from service.pages.blueprint import bp, login_required

__all__ = ["AGES", "SHOWN", "data_freshness"]

AGES = (90, 180, 365, 730)  # the maximum ages offered, in days
SHOWN = 200  # rows listed; the count says how many there are


@bp.route("/data-freshness")
@login_required
def data_freshness():
    from recommender.pipeline.freshness import DEFAULT_MAX_AGE_DAYS, stale_data
    from service.runtime.state import state

    if not g.principal.can(READ_FIRMS):
        return render_template("pages/forbidden.html", message="freshness_no_read",
                               principal=g.principal), 403
    age = request.args.get("max_age_days", type=int)
    age = age if age in AGES else DEFAULT_MAX_AGE_DAYS
    app_state = state()
    found = stale_data(app_state.store, max_age_days=age, region_id=app_state.region.id)
    return render_template("pages/freshness.html", rows=found[:SHOWN], count=len(found),
                           age=age, ages=AGES, principal=g.principal,
                           can_read_rankings=g.principal.can(READ_RANKINGS))
