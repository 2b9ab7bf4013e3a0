"""Data freshness (数据时效): the firm data and region tables older than an age, or undated.

The page (``/data-freshness``) lists what :func:`recommender.pipeline.freshness.stale_data`
answers, as ``GET /api/v1/data-freshness/stale`` does, oldest first, for a maximum age the
person chooses (default 365 days); it needs ``READ_FIRMS``. Sources are recorded with ``PUT
/api/v1/data-freshness/sources`` or ``chainscout sources record``.

A firm's portrait says where its facts came from and as of when (:func:`field_sources`):
the fields that share a source and a date are one line.
"""

from __future__ import annotations

from flask import g, render_template, request

from recommender import columns as C
from recommender.store import models as M
from recommender.store.auth import READ_FIRMS, READ_RANKINGS
from service.pages.blueprint import bp, login_required

__all__ = ["AGES", "PORTRAIT_FIELDS", "SHOWN", "data_freshness", "field_sources"]

AGES = (90, 180, 365, 730)  # the maximum ages offered, in days
SHOWN = 200  # rows listed; the count says how many there are
# the firm fields a portrait shows -> the UI string that names them there
PORTRAIT_FIELDS = {
    C.NAME_ZH: "firm_name_zh", C.NAME: "firm_name_en", C.COUNTRY: "country",
    C.CITY: "firm_location", C.SIZE_CLASS: "size", C.FOUNDED_YEAR: "firm_founded",
    C.EMPLOYEES: "firm_employees", C.REVENUE: "firm_revenue", C.IS_LISTED: "firm_listed",
    C.IN_CHINA: "firm_in_china", C.IN_GBA: "firm_in_gba",
    C.BUSINESS_SCOPE: "firm_business_scope", C.CREDIT_CODE: "firm_credit_code",
    C.SYMBOL: "firm_symbol", C.ISIN: "firm_isin", C.WEBSITE: "firm_website",
    C.INDUSTRY_CODE: "firm_industry_code",
}


@bp.app_template_global("field_sources")
def field_sources(firm_id: str) -> list[dict]:
    """Where a firm's portrait fields came from and as of when, in the page's language: one
    row per source and date (``fields``: the fields' names; the commonest, with ``rest``, is
    "the other fields", or all of them), as
    :func:`recommender.pipeline.freshness.firm_sources` answers."""
    from recommender.pipeline.freshness import firm_sources
    from service.pages.i18n import source_text, translate
    from service.runtime.state import state

    lang = g.get("lang", "zh")
    found = firm_sources(state().store, firm_id)
    groups: dict[tuple, list[str]] = {}
    for column, key in PORTRAIT_FIELDS.items():
        entry = found[column]
        groups.setdefault((entry[C.SOURCE], entry[M.AS_OF]), []).append(translate(key, lang))
    commonest = max(groups, key=lambda k: len(groups[k]))
    rows = [{"fields": names, "rest": key == commonest, "source": key[0],
             "source_text": source_text(key[0], lang) if key[0] else None, "as_of": key[1]}
            for key, names in groups.items()]
    return sorted(rows, key=lambda r: r["rest"])  # the named fields first


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
