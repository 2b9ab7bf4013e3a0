"""The firm portrait (企业画像) with its outcome form, the park portrait (园区画像) and the
parks list.

Each page shows what the key's role may read, as the JSON API does: standings need
``READ_RANKINGS``, outcomes ``READ_OUTCOMES``, parks ``READ_PARKS`` (a park manager sees its
own parks only; another park is a 404, as for one that does not exist). Recording an outcome
(``RECORD_OUTCOMES``) is a form on the firm portrait, validated by the API's
``OutcomeInSchema`` and stored by the same function as ``POST /api/v1/outcomes``; it
answers 422 with the form and its messages, or goes back to the portrait (POST-redirect-GET).
A park manager (``PARK_OUTCOMES``) reads and records the outcomes of the firms matched to its
parks (:mod:`service.answers.park_outcomes`), on the firm's portrait and on the park's. The
park's matches download as the API's CSV or XLSX file (``park_matches_file``): for officers
and admins, and for a park manager its own parks (``export:parks``).

A portrait knows where it was opened from: ``link`` (the weak link whose list it came from,
preselected in the outcome form) and ``back`` (that list's address, with its filters, sort and
page), so its breadcrumbs read 驾驶舱 › 真空泵 › 企业画像 and lead back to the same list;
from a park's list, 园区列表 › the park › 企业画像.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlsplit

import marshmallow as ma
from flask import flash, g, get_flashed_messages, redirect, render_template, request, url_for

from recommender import columns as C
from recommender.exceptions import NotFoundError, ValidationError
from recommender.store.auth import (
    CORRECT_NODES,
    PARK_OUTCOMES,
    READ_FIRMS,
    READ_OUTCOMES,
    READ_PARKS,
    READ_RANKINGS,
    RECORD_OUTCOMES,
)
from service.pages.blueprint import bp, login_required
from service.pages.i18n import translate

__all__ = [
    "DEFAULT_MATCHES",
    "DUPLICATE",
    "MATCH_SIZES",
    "OUTCOME_FIELDS",
    "OUTCOME_STAGES",
    "PARK_OUTCOMES_SHOWN",
    "RECORDED",
    "REQUIRED",
    "evidence_shown",
    "firm",
    "park",
    "park_matches_file",
    "parks",
    "record_outcome",
]

OUTCOME_FIELDS = (C.NODE_ID, C.OUTCOME_STAGE, C.DATE, C.NOTE, C.CAMPAIGN_ID)
OUTCOME_STAGES = range(5)  # 0 declined or no answer … 4 invested, as the API's schema says
MATCH_SIZES = (10, 20, 50, 100)
DEFAULT_MATCHES = 20
PARK_OUTCOMES_SHOWN = 20  # the newest outcomes of a park's matched firms, on its portrait
REQUIRED = "Missing data for required field."  # marshmallow's message for a missing field
RECORDED, DUPLICATE = "outcome_recorded", "outcome_duplicate"  # flash categories


def _page(template: str, status: int = 200, **context):
    return render_template(template, principal=g.principal,
                           can_read_rankings=g.principal.can(READ_RANKINGS), **context), status


def _forbidden(message: str):
    return _page("pages/forbidden.html", 403, message=message)


def _not_found(kind: str, ident: str):
    return _page("pages/not_found.html", 404, kind=kind, ident=ident)


# --- the firm portrait --------------------------------------------------------------------------
# --- where a portrait was opened from ----------------------------------------------------------
def _local(target: str | None) -> str | None:
    """``target`` when it is a path of this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or not target.isprintable():
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _came_from(chain) -> dict[str, str | None]:
    """The page's ``link`` (a chain node) and ``back`` (a local address), as given and valid."""
    link = request.values.get("link") or request.values.get("record_node")
    return {"link": link if link in set(chain.node_ids) else None,
            "back": _local(request.values.get("back"))}


def _crumbs(came: Mapping, node_names: Mapping[str, str]) -> list[dict]:
    """The breadcrumbs of a firm portrait: the real path it was opened from."""
    crumbs, link, back = [], came.get("link"), came.get("back")
    back_path = urlsplit(back).path if back else None
    from_park = back_path is not None and back_path.startswith(url_for("pages.parks"))
    if back_path == url_for("pages.recruitment_map"):
        crumbs.append({"label": translate("map_title", g.lang), "href": back})
    elif from_park and g.principal.can(READ_PARKS):
        crumbs.append({"label": translate("park_list", g.lang), "href": url_for("pages.parks")})
        crumbs.append({"label": came.get("park_name") or translate("park_portrait", g.lang),
                       "href": back})
    elif g.principal.can(READ_RANKINGS):
        crumbs.append({"label": translate("dashboard", g.lang),
                       "href": url_for("pages.dashboard")})
        if link:
            crumbs.append({"label": node_names.get(link, link), "href": back or url_for(
                "pages.dashboard", node=link, _anchor="ranked")})
    elif g.principal.can(READ_PARKS):
        crumbs.append({"label": translate("park_list", g.lang), "href": url_for("pages.parks")})
    crumbs.append({"label": translate("firm_portrait", g.lang), "href": None})
    return crumbs


def _firm_url(firm_id: str, came: Mapping, **extra) -> str:
    """The portrait's address keeping where it was opened from."""
    keep = {name: came[name] for name in ("link", "back") if came.get(name)}
    return url_for("pages.firm", firm_id=firm_id, **{**keep, **extra})


def _matched_parks(firm_id: str) -> list[str]:
    """The key's parks that ``firm_id`` is matched to (a park manager's), else []."""
    from recommender.exceptions import NotFoundError as Missing
    from service.answers import park_outcomes
    from service.runtime.state import state

    principal = g.principal
    if not principal.can(PARK_OUTCOMES) or principal.park_scope is None:
        return []
    app_state = state()
    try:
        return park_outcomes.require_matched(app_state.store, app_state.chain,
                                             app_state.snapshots.get(),
                                             principal.park_scope, firm_id)
    except Missing:
        return []


@bp.route("/firms/<firm_id>")
@login_required
def firm(firm_id: str):
    from service.runtime.state import state

    if not g.principal.can(READ_FIRMS):
        return _forbidden("firm_no_read")
    came = _came_from(state().chain)
    return _firm_page(firm_id, form=_blank_form(came["link"]), came=came)


@bp.route("/firms/<firm_id>", methods=["POST"], endpoint="record_outcome")
@login_required
def record_outcome(firm_id: str):
    """Record an outcome from the portrait's form: 422 with messages, or back to the page."""
    from service.answers import portraits
    from service.api.outcomes import OutcomeInSchema
    from service.http.errors import ApiError
    from service.http.limits import check_rate
    from service.runtime.state import state

    if not g.principal.can(RECORD_OUTCOMES) and not g.principal.can(PARK_OUTCOMES):
        return _forbidden("firm_no_record")
    app_state = state()
    try:
        app_state.store.firm(firm_id)
    except NotFoundError:
        return _not_found("firm", firm_id)
    if not g.principal.can(RECORD_OUTCOMES) and not _matched_parks(firm_id):
        return _not_found("firm", firm_id)  # not matched to the park manager's parks
    came = _came_from(app_state.chain)
    form = {name: request.form.get(name, "").strip() for name in OUTCOME_FIELDS}
    try:
        check_rate(g.principal.id)  # as the API's POST /outcomes
    except ApiError as exc:  # the form again, kept as typed, with the wait
        html, status = _firm_page(firm_id, form=form, errors={"form": [exc.message]},
                                  status=exc.status, came=came)
        return html, status, exc.headers
    try:
        body = OutcomeInSchema().load(_outcome_body(firm_id, form))
        outcome, created = portraits.record_outcome_label(
            app_state.store, app_state.chain, app_state.snapshots, body,
            recorded_by=g.principal.name, recorded_by_key=g.principal.id)
    except ma.ValidationError as exc:
        return _firm_page(firm_id, form=form, errors=_schema_errors(exc.messages), status=422,
                          came=came)
    except ValidationError as exc:  # the outcome table's rules (a node not in the chain …)
        errors = {}
        for problem in exc.problems:
            errors.setdefault(problem.get("field") or "form", []).append(problem["message"])
        return _firm_page(firm_id, form=form, errors=errors, status=422, came=came)
    flash(str(outcome["id"]), RECORDED if created else DUPLICATE)
    return redirect(_firm_url(firm_id, came, _anchor="history"), code=303)


def _outcome_body(firm_id: str, form: Mapping[str, str]) -> dict:
    """The form as the API's JSON body: empty fields left out, a stage in digits a number."""
    body = {C.FIRM_ID: firm_id, **{name: value for name, value in form.items() if value}}
    stage = body.get(C.OUTCOME_STAGE)
    if isinstance(stage, str) and stage.isascii() and stage.isdigit():
        body[C.OUTCOME_STAGE] = int(stage)
    return body


def _schema_errors(messages) -> dict[str, list[str]]:
    """marshmallow's messages as ``{field: [message, …]}``, "required" in the page's
    language (the others are the API's, in English)."""
    if not isinstance(messages, Mapping):
        return {"form": [str(messages)]}
    errors: dict[str, list[str]] = {}
    for field, found in messages.items():
        listed = found if isinstance(found, list) else [found]
        errors[field] = [translate("firm_form_required", g.lang) if m == REQUIRED else str(m)
                         for m in listed]
    return errors


def _blank_form(node_id: str | None) -> dict[str, str]:
    return {C.NODE_ID: node_id or "", C.OUTCOME_STAGE: "", C.DATE: dt.date.today().isoformat(),
            C.NOTE: "", C.CAMPAIGN_ID: ""}


def _firm_page(firm_id: str, *, form: dict[str, str], errors: dict | None = None,
               status: int = 200, came: Mapping | None = None):
    from service.answers import matching, portraits
    from service.runtime.state import state

    app_state = state()
    principal = g.principal
    snapshot = app_state.snapshots.get()
    came = dict(came or {})
    parks = matching.visible_parks(app_state.store, principal.park_scope) \
        if principal.can(READ_PARKS) else None
    matched = _matched_parks(firm_id)  # a park manager reads and records for these parks
    try:
        portrait = portraits.firm_portrait(
            app_state.store, app_state.chain, snapshot, firm_id,
            with_outcomes=principal.can(READ_OUTCOMES) or bool(matched),
            with_rankings=principal.can(READ_RANKINGS), parks=parks)
    except NotFoundError:
        return _not_found("firm", firm_id)
    notices = get_flashed_messages(with_categories=True)
    can_record = principal.can(RECORD_OUTCOMES) or bool(matched)
    if can_record and not errors and form[C.NODE_ID] not in set(app_state.chain.node_ids):
        firsts = [row[C.NODE_ID] for row in portrait["standings"] or []] + \
                 [row[C.NODE_ID] for row in portrait["nodes"]]
        form = {**form, C.NODE_ID: firsts[0] if firsts else ""}
    node_names = _node_names(app_state.chain)
    for row in portrait["nodes"]:
        row["evidence_shown"] = evidence_shown(row["evidence_parts"], node_names, g.lang)
    park_names = {row[C.PARK_ID]: row for row in portrait["parks"] or []}
    back_path = urlsplit(came.get("back") or "").path
    for park_id, row in park_names.items():
        if back_path == url_for("pages.park", park_id=park_id):
            came["park_name"] = (row.get("park_name_zh") if g.lang == "zh"
                                 else row.get("park_name_en")) or park_id
    return _page(
        "pages/firm.html", status, firm=portrait, profile=portrait["profile"],
        crumbs=_crumbs(came, node_names), came=came,
        firm_url=lambda **extra: _firm_url(firm_id, came, **extra),
        matched_parks=[park_names[p] for p in matched if p in park_names],
        display_name=_display_name(portrait["profile"]), notices=notices,
        recorded_ids={int(i) for c, i in notices if c in (RECORDED, DUPLICATE)},
        node_groups=(_node_groups(app_state.chain, portrait)
                     if can_record or principal.can(CORRECT_NODES) else []),
        node_names=node_names, can_record=can_record,
        can_correct=principal.can(CORRECT_NODES),
        can_read_outcomes=principal.can(READ_OUTCOMES) or bool(matched), form=form,
        errors=errors or {},
        stages=OUTCOME_STAGES, stage_values=[str(s) for s in OUTCOME_STAGES],
    )


def evidence_shown(parts, node_names: Mapping[str, str], lang: str) -> dict[str, list]:
    """A chain link's evidence (:func:`service.answers.portraits.evidence_parts`) as a page in
    ``lang`` shows it: ``keywords``, each the keyword itself when it is in the page's language,
    else the node's name in it (``node_names``), once; ``quotes``, the source's own wording,
    each ``{text, lang, label}`` with ``label`` the words that introduce a quote in the other
    language (依据原文 when the firm's own text holds it), None for one in the page's.

    >>> parts = [{"kind": "keyword", "node_id": "oscilloscopes", "text": "oscilloscopes",
    ...           "lang": "en"}, {"kind": "quote", "text": "LeCroy", "lang": "en", "own": True}]
    >>> shown = evidence_shown(parts, {"oscilloscopes": "示波器"}, "zh")
    >>> shown["keywords"], shown["quotes"][0]["label"]
    (['示波器'], 'firm_evidence_own')
    """
    page = "zh" if lang == "zh" else "en"
    keywords, quotes = [], []
    for part in parts:
        if part["kind"] == "keyword":
            text = part["text"] if part["lang"] == page else \
                node_names.get(part[C.NODE_ID], part["text"])
            if text not in keywords:
                keywords.append(text)
        else:
            label = None if part["lang"] == page else (
                "firm_evidence_own" if part["own"] else "firm_evidence_source")
            quotes.append({"text": part["text"], "lang": "zh-CN" if part["lang"] == "zh"
                           else "en", "label": label})
    return {"keywords": keywords, "quotes": quotes}


def _display_name(profile: Mapping) -> str:
    zh, en = profile.get(C.NAME_ZH), profile.get(C.NAME)
    first, second = (zh, en) if g.lang == "zh" else (en, zh)
    return first or second or profile[C.FIRM_ID]


def _node_names(chain) -> dict[str, str]:
    """Every chain node's name in the page's language, by id."""
    column = C.NODE_NAME_ZH if g.lang == "zh" else C.NODE_NAME_EN
    return {node_id: chain.node(node_id).get(column) or node_id for node_id in chain.node_ids}


def _node_groups(chain, portrait: Mapping) -> list[tuple[str, list[dict]]]:
    """The chain's nodes for the form: the firm's own links and candidacies, then the rest."""
    own = list(dict.fromkeys([row[C.NODE_ID] for row in portrait["standings"] or []]
                             + [row[C.NODE_ID] for row in portrait["nodes"]]))
    known = set(chain.node_ids)
    first = [chain.node(n) for n in own if n in known]
    rest = [chain.node(n) for n in chain.node_ids if n not in set(own)]
    return [(label, nodes) for label, nodes in (("firm_nodes_own", first),
                                                 ("firm_nodes_other", rest)) if nodes]


# --- parks ------------------------------------------------------------------------------------
@bp.route("/parks")
@login_required
def parks():
    from service.answers import portraits
    from service.runtime.state import state

    if not g.principal.can(READ_PARKS):
        return _forbidden("park_no_read")
    app_state = state()
    items = portraits.park_list(app_state.store, app_state.chain, app_state.region,
                                g.principal.park_scope)
    return _page("pages/parks.html", parks=items)


@bp.route("/parks/<park_id>")
@login_required
def park(park_id: str):
    from service.answers import portraits
    from service.runtime.state import state

    if not g.principal.can(READ_PARKS):
        return _forbidden("park_no_read")
    from recommender.parks.scoring import NEIGHBOUR_KM, PART_WEIGHTS
    from service.answers import park_outcomes
    from service.http.downloads import may_export_park

    app_state = state()
    k = request.args.get("k", type=int)
    k = k if k in MATCH_SIZES else DEFAULT_MATCHES
    include_excluded = request.args.get("excluded") == "1"
    snapshot = app_state.snapshots.get()
    try:
        portrait = portraits.park_portrait(
            app_state.store, app_state.chain, app_state.region, snapshot,
            park_id, g.principal.park_scope, k=k, include_excluded=include_excluded)
    except NotFoundError:
        return _not_found("park", park_id)
    outcomes = None
    if g.principal.can(READ_OUTCOMES) or g.principal.can(PARK_OUTCOMES):
        outcomes = park_outcomes.park_outcome_page(
            app_state.store, app_state.chain, snapshot, g.principal.park_scope,
            park_id=park_id, page_size=PARK_OUTCOMES_SHOWN)
        outcomes["items"] = park_outcomes.with_names(snapshot, outcomes["items"])
    return _page("pages/park.html", park=portrait["park"], matches=portrait["matches"],
                 can_download=may_export_park(g.principal),
                 k=k, sizes=MATCH_SIZES, include_excluded=include_excluded,
                 weights=PART_WEIGHTS, neighbour_km=f"{NEIGHBOUR_KM:,.0f}", outcomes=outcomes,
                 node_names=_node_names(app_state.chain), here=request.full_path.rstrip("?"))


@bp.route("/parks/<park_id>/matches.<any(csv, xlsx):fmt>")
@login_required
def park_matches_file(park_id: str, fmt: str):
    """The matches the park's portrait lists (same ``k`` and ``excluded``) as the API's CSV or
    XLSX file, with the API's permission check and rate limit: another park is a 404."""
    from service.answers import matching, park_outcomes
    from service.http.downloads import file_response, require_park_export
    from service.http.limits import check_rate
    from service.runtime.state import state

    if not g.principal.can(READ_PARKS):
        return _forbidden("park_no_read")
    app_state = state()
    try:
        park_record = matching.visible_park(app_state.store, park_id, g.principal.park_scope)
    except NotFoundError:
        return _not_found("park", park_id)
    require_park_export(fmt)
    check_rate(g.principal.id)
    k = request.args.get("k", type=int)
    snapshot = app_state.snapshots.get()
    rows, layout, stem = park_outcomes.park_match_download(
        app_state.store, app_state.chain, snapshot, park_record,
        k=k if k in MATCH_SIZES else DEFAULT_MATCHES,
        include_excluded=request.args.get("excluded") == "1", exclude_local=True,
        lang=g.lang, outcome_scope=park_outcomes.outcome_scope(g.principal))
    return file_response(rows, matching.PARK_MATCH_EXPORT_COLUMNS, fmt=fmt, lang=g.lang,
                         stem=stem, snapshot=snapshot, **layout)
