"""The dashboard (产业数据驾驶舱): the chain's weak links and the ranked firms of one of them."""

from __future__ import annotations

from flask import current_app, g, render_template, request

from recommender import columns as C
from recommender.auth import EXPORT, READ_RANKINGS
from service.pages import bp, login_required

TOP_FIRMS = 20
SCORE_BANDS = 5


def _band(score: float | None, top: float) -> int:
    """The colour band (0 calm … SCORE_BANDS - 1 weakest) of a weak-link score."""
    if score is None or top <= 0:
        return 0
    return min(SCORE_BANDS - 1, max(0, int(score / top * SCORE_BANDS)))


def _provenance(flags: list[bool]) -> str:
    if flags and all(flags):
        return "synthetic"
    if not any(flags):
        return "real"
    return "mixed"


@bp.route("/")
@login_required
def dashboard():
    from service import answers
    from service.state import state

    if not g.principal.can(READ_RANKINGS):
        return render_template("pages/forbidden.html", message="no_rankings"), 403
    app_state = state()
    snapshot = app_state.snapshots.get()
    diagnosis = answers.weak_link_rows(snapshot, app_state.settings)
    links = diagnosis["items"]
    top = max((item.get(C.WEAK_LINK_SCORE) or 0.0 for item in links), default=0.0)
    for item in links:
        item["band"] = _band(item.get(C.WEAK_LINK_SCORE), top)
    recruitable = sorted((i for i in links if i.get("can_recruit") and i.get(C.RANK)),
                         key=lambda i: i[C.RANK])
    ids = [i[C.NODE_ID] for i in recruitable]
    node_id = request.args.get("node")
    if node_id not in ids:
        node_id = ids[0] if ids else None
    firms, candidates = [], 0
    if node_id is not None:
        positions, candidates = answers.recommendation_positions(snapshot, node_id, k=TOP_FIRMS)
        firms = snapshot.scores.items(positions)
    firm_flags = snapshot.data.firms[C.IS_SYNTHETIC].fillna(False).astype(bool).tolist() \
        if C.IS_SYNTHETIC in snapshot.data.firms else []
    return render_template(
        "pages/dashboard.html", links=links, recruitable=recruitable, node_id=node_id,
        firms=firms, candidates=candidates, model_version=snapshot.model_version,
        data_version=snapshot.data_version, provenance=_provenance(firm_flags),
        can_export=g.principal.can(EXPORT), principal=g.principal,
    )


@bp.route("/export.csv")
@login_required
def export_csv():
    """The dashboard's ranked firms for ``node`` as the API's CSV (the same code and checks)."""
    from recommender.exports import RECOMMENDATION_EXPORT_COLUMNS
    from service import answers
    from service.downloads import file_response, require_export
    from service.state import state

    if not g.principal.can(READ_RANKINGS):
        return render_template("pages/forbidden.html", message="no_rankings"), 403
    require_export("csv")
    node_id = request.args.get("node", "")
    snapshot = state().snapshots.get()
    rows = answers.recommendation_rows(snapshot, node_id, k=current_app.config["K_DEFAULT"],
                                       lang=g.lang)
    stem = f"{'推荐名单' if g.lang == 'zh' else 'recommendations'}-{node_id}"
    return file_response(rows, RECOMMENDATION_EXPORT_COLUMNS, fmt="csv", lang=g.lang,
                         stem=stem, snapshot=snapshot)
