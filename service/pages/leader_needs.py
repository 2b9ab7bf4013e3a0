"""Chain leaders' needs (链主配套需求): the page and form a leader's liaison enters them with.

A ``leader`` key sees and edits its own firm's needs only (its firm is fixed by the key); an
admin may enter a need for any leader by naming the firm; officers read every leader's needs
(``READ_LEADER_NEEDS``). The form is validated by the API's ``NeedInSchema`` and stored by
:func:`recommender.pipeline.leader_needs.enter_need` (as ``PUT
/api/v1/leader-needs/{firm}/{node}``): the need is dated today and signed with the key's
person, and the weak-link diagnosis reads it from then on.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask import flash, g, get_flashed_messages, redirect, render_template, request, url_for

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.store import models as M
from recommender.store.auth import EDIT_LEADER_NEEDS, READ_LEADER_NEEDS, READ_RANKINGS
from service.pages.blueprint import bp, login_required

__all__ = ["NEED_FIELDS", "SAVED", "enter_need", "leader_needs"]

NEED_FIELDS = (C.NODE_ID, C.NEED, M.NEED_VOLUME, M.NEED_BY, M.NEED_SUPPLIER_COUNTRIES, C.NOTE)
SAVED = "need_saved"  # flash category


def _page(status: int = 200, **context):
    from recommender.firms.countries import display_names
    from recommender.pipeline.leader_needs import needs_of
    from service.runtime.state import state

    app_state = state()
    principal = g.principal
    needs = needs_of(app_state.store, app_state.region.id, leader_firm_id=principal.firm_id)
    chain = app_state.chain
    column = C.NAME_ZH if g.lang == "zh" else C.NAME_EN
    links = {n: chain.node(n).get(column) or n for n in chain.node_ids}
    firm_name = None
    if principal.firm_id is not None:
        firm = app_state.store.firm(principal.firm_id)
        firm_name = (firm.get(C.NAME_ZH) if g.lang == "zh" else firm.get(C.NAME)) or \
            firm.get(C.NAME) or principal.firm_id
    leaders = {}
    for need in needs:
        leader = need[C.LEADER_FIRM_ID]
        if leader not in leaders:
            try:
                firm = app_state.store.firm(leader)
            except NotFoundError:
                firm = {}
            leaders[leader] = (firm.get(C.NAME_ZH) if g.lang == "zh" else firm.get(
                C.NAME)) or firm.get(C.NAME) or leader
    notices = [n for c, n in get_flashed_messages(with_categories=True) if c == SAVED]
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return render_template("pages/leader_needs.html", needs=needs, links=links,
                           countries=display_names(g.lang), leaders=leaders,
                           firm_name=firm_name, principal=principal, notices=notices,
                           can_enter=principal.can(EDIT_LEADER_NEEDS),
                           can_read_rankings=principal.can(READ_RANKINGS), **context), status


@bp.route("/leader-needs")
@login_required
def leader_needs():
    if not g.principal.can(READ_LEADER_NEEDS):
        return render_template("pages/forbidden.html", message="needs_no_read",
                               principal=g.principal), 403
    return _page(form=_filled(request.args.get("node", "")))


def _filled(node_id: str) -> dict[str, str]:
    """The form for a node: the key's firm's need for it, if it has one, to update."""
    from recommender.firms.countries import display_names
    from recommender.pipeline.leader_needs import needs_of
    from service.runtime.state import state

    form = {C.NODE_ID: node_id}
    firm_id = g.principal.firm_id
    if not node_id or firm_id is None:
        return form
    app_state = state()
    names = display_names(g.lang)
    for need in needs_of(app_state.store, app_state.region.id, leader_firm_id=firm_id):
        if need[C.NODE_ID] == node_id:
            form.update({
                C.NEED: f"{need[C.NEED]:g}" if need[C.NEED] is not None else "",
                M.NEED_VOLUME: need[M.NEED_VOLUME] or "", C.NOTE: need[C.NOTE] or "",
                M.NEED_BY: need[M.NEED_BY].isoformat() if need[M.NEED_BY] else "",
                M.NEED_SUPPLIER_COUNTRIES: ("、" if g.lang == "zh" else ", ").join(
                    names.get(c, c) for c in need[M.NEED_SUPPLIER_COUNTRIES] or ())})
    return form


@bp.route("/leader-needs", methods=["POST"], endpoint="enter_need")
@login_required
def enter_need():
    """Enter or update a need from the form: 422 with its messages, or back to the list."""
    from recommender.firms.countries import normalise_country
    from recommender.pipeline.leader_needs import enter_need as enter
    from service.api.leader_needs import NeedInSchema
    from service.runtime.state import state

    principal = g.principal
    if not principal.can(EDIT_LEADER_NEEDS):
        return render_template("pages/forbidden.html", message="needs_no_edit",
                               principal=principal), 403
    form = {name: request.form.get(name, "").strip() for name in (*NEED_FIELDS, C.FIRM_ID)}
    firm_id = principal.firm_id or form[C.FIRM_ID]
    raw = {name: form[name] for name in (C.NEED, M.NEED_VOLUME, M.NEED_BY, C.NOTE)
           if form[name]}
    countries = [normalise_country(c.strip()) or c.strip() for c in re.split(
        r"[,，、;；]", form[M.NEED_SUPPLIER_COUNTRIES]) if c.strip()]
    if countries:
        raw[M.NEED_SUPPLIER_COUNTRIES] = countries
    errors = {}
    if not firm_id or not principal.sees_firm(firm_id):
        errors[C.FIRM_ID] = "needs_bad_firm"
    try:
        body = NeedInSchema().load(raw)
    except ma.ValidationError as exc:
        errors.update({name: f"needs_bad_{name}" for name in exc.messages})
        body = {}
    app_state = state()
    if not errors:
        try:
            enter(app_state.store, app_state.region.id, firm_id, form[C.NODE_ID], body,
                  by=principal.name, node_ids=app_state.chain.node_ids,
                  region=app_state.region)
        except NotFoundError:
            errors[C.FIRM_ID] = "needs_bad_firm"
        except InvalidArgument as exc:
            errors.update({p.get("field") or C.NODE_ID: f"needs_bad_{p.get('field')}"
                           for p in exc.problems} or {C.NODE_ID: f"needs_bad_{C.NODE_ID}"})
    if errors:
        return _page(422, form=form, errors=errors)
    app_state.snapshots.invalidate()
    flash(form[C.NODE_ID], SAVED)
    return redirect(url_for("pages.leader_needs"), code=303)
