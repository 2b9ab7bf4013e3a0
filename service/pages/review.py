"""People correct the chain nodes a firm was placed in: the form on the firm portrait and the
review page (待复核企业) that lists the closest calls first.

Both need ``CORRECT_NODES`` (officers and admins). The form posts to ``/firms/<id>/nodes``,
is validated by the API's ``CorrectionInSchema`` and stored by the same function as
``POST /api/v1/firms/{id}/nodes``; it goes back to the portrait's node table, saying what was
recorded or what was wrong (POST-redirect-GET). The review page lists the firms not yet
corrected whose closest call is closest to its threshold, smallest margin first.

The margins are the learned classifier's, to its threshold, when a trained classifier lies in
the settings' ``var_dir`` (read by :func:`service.runtime.classifier.node_classifier`); without
one, or when the file cannot be read for this chain, they are the keyword matches' (see
:mod:`recommender.firms.node_review`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import g, redirect, render_template, request, url_for

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.store.auth import CORRECT_NODES, READ_RANKINGS
from service.pages.blueprint import bp, login_required
from service.runtime.classifier import BASIS_CLASSIFIER, BASIS_KEYWORDS, node_classifier

__all__ = ["CORRECTION_FIELDS", "REVIEW_SIZES", "correct_nodes", "review"]

CORRECTION_FIELDS = (C.NODE_ID, "action", "reason")
REVIEW_SIZES = (20, 50, 100)


def _page(template: str, status: int = 200, **context):
    return render_template(template, principal=g.principal,
                           can_read_rankings=g.principal.can(READ_RANKINGS), **context), status


@bp.route("/firms/<firm_id>/nodes", methods=["POST"], endpoint="correct_nodes")
@login_required
def correct_nodes(firm_id: str):
    """Record a correction from the portrait's form, then back to the portrait's nodes."""
    from service.answers.queries import correct_firm_node
    from service.api.firms import CorrectionInSchema
    from service.runtime.state import state

    if not g.principal.can(CORRECT_NODES):
        return _page("pages/forbidden.html", 403, message="review_no_correct")
    app_state = state()
    form = {name: request.form.get(name, "").strip() for name in CORRECTION_FIELDS}
    try:
        body = CorrectionInSchema().load({k: v for k, v in form.items() if v})
        result = correct_firm_node(app_state.store, app_state.chain, firm_id,
                                   recorded_by=g.principal.name, **body)
    except NotFoundError:
        return _page("pages/not_found.html", 404, kind="firm", ident=firm_id)
    except (ma.ValidationError, InvalidArgument):
        return redirect(url_for("pages.firm", firm_id=firm_id, correction="invalid",
                                _anchor="nodes"), code=303)
    app_state.snapshots.invalidate()
    return redirect(url_for("pages.firm", firm_id=firm_id,
                            correction=result["correction"]["action"], _anchor="nodes"),
                    code=303)


@bp.route("/review")
@login_required
def review():
    """The firms whose nodes are the closest calls, for officers to confirm or correct."""
    from service.answers.queries import review_queue
    from service.runtime.state import state

    if not g.principal.can(CORRECT_NODES):
        return _page("pages/forbidden.html", 403, message="review_no_correct")
    limit = request.args.get("limit", type=int)
    limit = limit if limit in REVIEW_SIZES else REVIEW_SIZES[0]
    app_state = state()
    chain = app_state.chain
    classifier = node_classifier(app_state.settings.var_dir, chain)
    items = review_queue(app_state.store, chain, limit=limit, classifier=classifier)
    column = C.NAME_ZH if g.lang == "zh" else C.NAME_EN
    names = {node_id: chain.node(node_id).get(column) or node_id for node_id in chain.node_ids}
    return _page("pages/review.html", items=items, node_names=names, limit=limit,
                 sizes=REVIEW_SIZES,
                 basis=BASIS_KEYWORDS if classifier is None else BASIS_CLASSIFIER)
