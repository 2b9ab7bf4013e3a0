"""The dashboard (产业数据驾驶舱): the chain as a graph of its weak links, the ranked firms of
one of them with the API's filters, those firms as CSV, XLSX or GeoJSON, and the target list.

Every answer comes from the code the JSON API answers with (:mod:`service.answers.rankings`,
:mod:`service.answers.matching`, :mod:`service.http.downloads`) and its query schemas: the page
reads the same parameters (``sort``, ``country``, ``size``, ``stage``, ``exclude_contacted``,
``include_landed``, ``k`` of the recommendations; ``k``, ``max_country_share``, ``top_links``
of the target list, here ``targets_k``, ``max_country_share`` and ``top_links``), so a link on
the page names what the API would be asked.
Files are what the page lists, need the ``export`` permission and count against the key's rate
limit, as the API's files do.

Each firm shows its expected value and its two parts (the likelihood of an MoU or better, and
its impact: how much of the link it could fill), with what the likelihood means and the base
rate it compares with; the list is in value order unless the officer sorts by either part.
Firms that already invested for the link are listed apart as landed (已落地), and come back in
the list on request.
"""

from __future__ import annotations

from collections import Counter

import marshmallow as ma
from flask import current_app, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from recommender import columns as C
from recommender.diagnosis.weak_links import CAN_RECRUIT
from recommender.store.auth import EXPORT, READ_MAPS, READ_RANKINGS, roles_with
from recommender.targeting.score_table import LANDED_STAGE
from service.pages.blueprint import bp, login_required
from service.pages.cockpit import cockpit

__all__ = [
    "EN_LABEL_LETTERS",
    "EN_LETTER",
    "FIRM_FIELDS",
    "FLAGS",
    "K_CHOICES",
    "LANDED_SHOWN",
    "LIST_FIELDS",
    "RANK_ROOM",
    "SCORE_BANDS",
    "TARGET_PARAMS",
    "TOP_FIRMS",
    "ZH_LETTER",
    "dashboard",
    "export_file",
    "export_geojson",
]

TOP_FIRMS = 20
# the chain graph's boxes: a character's width at its 11.5 px labels, the letters of a line of
# an English label, and the room for the rank and the margins
ZH_LETTER, EN_LETTER, EN_LABEL_LETTERS, RANK_ROOM = 12.0, 6.6, 26, 34.0
K_CHOICES = (10, 20, 50, 100)
SCORE_BANDS = 5
FIRM_FIELDS = ("k", "sort", "country", "size", "stage", "exclude_contacted", "include_landed")
FLAGS = ("exclude_contacted", "include_landed")  # the firm list's yes/no parameters
LANDED_SHOWN = 10  # firms that already invested for the link, listed apart
LIST_FIELDS = ("country", "size", "stage")
# the page's name of each field of the API's target-list query
TARGET_PARAMS = {"targets_k": "k", "max_country_share": "max_country_share",
                 "top_links": "top_links"}


def _provenance(flags: list[bool]) -> str:
    if flags and all(flags):
        return "synthetic"
    if not any(flags):
        return "real"
    return "mixed"


# --- the query: the API's schemas read the page's parameters --------------------------------
def _firm_schema() -> ma.Schema:
    from service.api.weak_links import RecommendationQuerySchema

    return RecommendationQuerySchema(only=FIRM_FIELDS)


def _target_schema() -> ma.Schema:
    from service.api.targets import TargetQuerySchema

    return TargetQuerySchema(only=tuple(TARGET_PARAMS.values()))


def _firm_query(args: MultiDict) -> tuple[dict, dict]:
    """The firm list's ``k`` and filters (the recommendations endpoint's), and the messages of
    the invalid ones (then every filter takes its default). A list is given as repeated
    parameters (as a form sends it) or comma-separated (as the API takes it)."""
    raw: dict[str, str] = {"k": str(TOP_FIRMS)}
    for name in LIST_FIELDS:
        values = [v.strip() for arg in args.getlist(name) for v in arg.split(",") if v.strip()]
        if values:
            raw[name] = ",".join(values)
    for name in ("k", "sort", *FLAGS):
        if args.get(name):
            raw[name] = args[name]
    try:
        loaded, errors = _firm_schema().load(raw), {}
    except ma.ValidationError as error:
        loaded, errors = _firm_schema().load({"k": str(TOP_FIRMS)}), error.messages
    filters = {"sort": loaded["sort"],
               "country": [c.upper() for c in loaded.get("country") or []] or None,
               "size": [s.lower() for s in loaded.get("size") or []] or None,
               "stage": list(loaded.get("stage") or []) or None,
               **{name: bool(loaded[name]) for name in FLAGS}}
    return {"k": loaded["k"], **filters}, errors


def _target_query(args: MultiDict) -> tuple[dict, dict]:
    """The target list's parameters as the target-list endpoint reads them, and any errors."""
    raw = {field: args[param] for param, field in TARGET_PARAMS.items() if args.get(param)}
    try:
        return _target_schema().load(raw), {}
    except ma.ValidationError as error:
        return _target_schema().load({}), error.messages


def _firm_query_or_422(args: MultiDict) -> dict:
    """The firm list's query for a file; invalid parameters are a 422, as in the API."""
    from service.http.errors import ApiError

    query, errors = _firm_query(args)
    if errors:
        raise ApiError(422, "validation_error", "the request's parameters or body are invalid",
                       {"fields": {"query": errors}})
    return query


def _page_args(node_id: str | None, firm: dict, targets: dict) -> dict:
    """The query of this page as ``url_for`` arguments, defaults left out."""
    args: dict = {"node": node_id} if node_id else {}
    if firm["k"] != TOP_FIRMS:
        args["k"] = firm["k"]
    if firm["sort"] != C.VALUE:
        args["sort"] = firm["sort"]
    for name in LIST_FIELDS:
        if firm[name]:
            args[name] = list(firm[name])
    for name in FLAGS:
        if firm[name]:
            args[name] = "true"
    defaults = _target_schema().load({})
    for param, field in TARGET_PARAMS.items():
        if targets[field] != defaults[field]:
            args[param] = targets[field]
    return args


# --- what the page shows -----------------------------------------------------------------------
def _chain_graph(snapshot, links: list[dict], *, lang: str, node_id: str | None,
                 args: dict, weights: dict) -> dict:
    """The chain's layout, and each node's box, band, link and panel facts."""
    from service.pages.chain_graph import layout_chain, node_facts, score_band, wrap_label

    def label(node: dict) -> str:
        return node[C.NODE_NAME_ZH] if lang == "zh" else wrap_label(node[C.NODE_NAME_EN],
                                                                    EN_LABEL_LETTERS)

    # Every name whole: Chinese on one line as wide as the longest, English on two lines;
    # a box also holds its rank (RANK_ROOM) and a margin each side.
    longest = max((len(str(n)) for n in snapshot.data.chain.nodes[C.NODE_NAME_ZH]), default=9)
    width = (ZH_LETTER * longest if lang == "zh" else EN_LETTER * EN_LABEL_LETTERS) + RANK_ROOM
    layout = snapshot.memo.get(("page-chain-layout", lang), lambda: layout_chain(
        snapshot.data.chain, label_of=label, node_width=width, lines=1 if lang == "zh" else 2))
    by_id = {item[C.NODE_ID]: item for item in links}
    top = max((item.get(C.WEAK_LINK_SCORE) or 0.0 for item in links), default=0.0)
    recruitable = sum(1 for item in links if item.get(C.RANK) is not None)
    nodes = []
    for box in layout.nodes:
        item = by_id.get(box.node_id)
        if item is None:  # a chain node the diagnosis does not know: nothing to show
            continue
        facts = node_facts(item, lang=lang, weights=weights, recruitable=recruitable)
        href = (url_for("pages.dashboard", **{**args, "node": box.node_id}, _anchor="ranked")
                if facts[CAN_RECRUIT] else "")
        nodes.append({"box": box, "item": item, "facts": facts, "href": href,
                      "band": score_band(item.get(C.WEAK_LINK_SCORE), top, SCORE_BANDS),
                      "selected": box.node_id == node_id})
    bands = [{"band": i, "low": top * i / SCORE_BANDS, "high": top * (i + 1) / SCORE_BANDS}
             for i in range(SCORE_BANDS)]
    shown = next((n for n in nodes if n["selected"]), nodes[0] if nodes else None)
    return {"layout": layout, "nodes": nodes, "bands": bands, "shown": shown,
            "band_of": {n["box"].node_id: n["band"] for n in nodes}}


def _filter_options(snapshot, node_id: str | None, firm: dict) -> dict:
    """The countries, sizes and recruitment stages among the link's candidates, with counts; a
    chosen country that has none is listed too. Sizes are the four words of China's size
    standard, each choosing all its size classes (:func:`recommender.firms.sizes.size_choices`)."""
    from recommender.firms.countries import country_choices
    from recommender.firms.sizes import size_choices
    from recommender.outcome_stages import RECRUITMENT_STAGES

    countries, sizes, stages = {}, {}, {}
    if node_id is not None:
        table = snapshot.scores.table
        countries = table.country_counts(node_id)
        sizes = table.size_counts(node_id)
        stages = table.stage_counts(node_id)
    for code in firm["country"] or ():
        countries.setdefault(code, 0)

    ordered = [code for code, _ in sorted(countries.items(), key=lambda c: (-c[1], c[0]))]
    return {  # China's regions under China (country_choices), each named in the page's language
        "countries": [{**choice, "count": countries[choice["code"]]}
                      for choice in country_choices(ordered, g.lang)],
        "sizes": size_choices(g.lang, sizes),
        "stages": [{"code": stage, "count": stages.get(stage, 0)} for stage in RECRUITMENT_STAGES],
        "k": sorted({*K_CHOICES, firm["k"]}),
    }


def _portfolio(snapshot, targets: dict, node_names: dict) -> dict:
    """The target list as :func:`service.answers.rankings.target_list` answers it, with its
    countries."""
    from recommender.exceptions import DataError
    from service.answers import rankings as answers

    try:
        answer = answers.target_list(snapshot, k=targets["k"],
                                     max_country_share=targets["max_country_share"],
                                     top_links=targets["top_links"])
    except DataError:
        return {"answer": None}
    mix = Counter(item.get(C.COUNTRY) or "–" for item in answer["items"])
    cap = answer["coverage"]["country_cap"]
    return {"answer": answer, "countries": mix.most_common(), "node_names": node_names,
            "capped": cap is not None and cap < answer["k"]}


def _landed(snapshot, node_id: str) -> dict:
    """The firms that already invested for the link (已落地), best first: the first
    LANDED_SHOWN of them and how many there are."""
    table = snapshot.scores.table
    positions = table.ranked(node_id, stage=[LANDED_STAGE])
    return {"items": snapshot.scores.items(positions[:LANDED_SHOWN]), "count": len(positions)}


# --- the views ----------------------------------------------------------------------------------
def _refuse_without_rankings():
    """The forbidden page (403) for a key that may not read rankings, else None."""
    if not g.principal.can(READ_RANKINGS):
        return render_template("pages/forbidden.html", message="no_rankings"), 403
    return None


@bp.route("/")
@login_required
def dashboard():
    from service.answers import rankings as answers
    from service.runtime.state import state

    refused = _refuse_without_rankings()
    if refused:
        return refused
    app_state = state()
    snapshot = app_state.snapshots.get()
    diagnosis = answers.weak_link_rows(snapshot, app_state.settings)
    links = diagnosis["items"]
    recruitable = sorted((i for i in links if i.get(CAN_RECRUIT) and i.get(C.RANK)),
                         key=lambda i: i[C.RANK])
    ids = [i[C.NODE_ID] for i in recruitable]
    node_id = request.args.get("node")
    if node_id not in ids:
        node_id = ids[0] if ids else None
    firm, firm_errors = _firm_query(request.args)
    targets, target_errors = _target_query(request.args)
    args = _page_args(node_id, firm, targets)
    firms, candidates, landed = [], 0, {"items": [], "count": 0}
    pager = {"page": 1, "pages": 1}
    if node_id is not None:
        pager["page"] = max(1, request.args.get("page", type=int) or 1)
        positions, candidates = answers.recommendation_positions(
            snapshot, node_id, k=firm["k"] * pager["page"],
            **{k: v for k, v in firm.items() if k != "k"})
        pager["pages"] = max(1, -(-candidates // firm["k"]))
        if pager["page"] > pager["pages"]:  # past the end: the last page
            pager["page"] = pager["pages"]
            positions, _ = answers.recommendation_positions(
                snapshot, node_id, k=firm["k"] * pager["page"],
                **{k: v for k, v in firm.items() if k != "k"})
        first = (pager["page"] - 1) * firm["k"]
        firms = snapshot.scores.items(positions[first:], first_rank=first + 1)
        landed = _landed(snapshot, node_id)
        landed["all_url"] = url_for("pages.dashboard", **{**args, "include_landed": "true"},
                                    _anchor="ranked")
    lang_name = C.NODE_NAME_ZH if g.lang == "zh" else C.NODE_NAME_EN
    node_names = {item[C.NODE_ID]: item[lang_name] for item in links}
    firm_flags = snapshot.data.firms[C.IS_SYNTHETIC].fillna(False).astype(bool).tolist() \
        if C.IS_SYNTHETIC in snapshot.data.firms else []
    options = _filter_options(snapshot, node_id, firm)
    errors = {**firm_errors, **{p: target_errors[f] for p, f in TARGET_PARAMS.items()
                                if f in target_errors}}
    html = render_template(
        "pages/dashboard.html", links=links, recruitable=recruitable, node_id=node_id,
        node=next((i for i in recruitable if i[C.NODE_ID] == node_id), None),
        firms=firms, candidates=candidates, landed=landed,
        base_rate=snapshot.scores.table.base_rate, query=firm, targets=targets, args=args,
        firm_args={**{k: v for k, v in args.items() if k not in TARGET_PARAMS},
                   **({"page": pager["page"]} if pager["page"] > 1 else {})},
        target_args={k: v for k, v in args.items() if k in TARGET_PARAMS},
        options=options, node_names=node_names,
        graph=_chain_graph(snapshot, links, lang=g.lang, node_id=node_id, args=args,
                           weights=diagnosis["weights"]),
        portfolio=_portfolio(snapshot, targets, node_names), errors=errors,
        k_max=current_app.config["K_MAX"],
        model_version=snapshot.model_version, data_version=snapshot.data_version,
        provenance=_provenance(firm_flags), can_export=g.principal.can(EXPORT),
        principal=g.principal, pager=pager, here=request.full_path.rstrip("?"),
        cockpit=cockpit(app_state, snapshot, g.principal, node_id=node_id),
    )
    return html, 422 if errors else 200


@bp.route("/export.<any(csv, xlsx):fmt>")
@login_required
def export_file(fmt: str):
    """The firms the dashboard lists for ``node`` (same ``k`` and filters) as the API's CSV or
    XLSX file, with the API's permission check and rate limit."""
    from recommender.targeting.exports import RECOMMENDATION_EXPORT_COLUMNS
    from service.answers import rankings as answers
    from service.http.downloads import export_parks, file_response, require_export
    from service.http.limits import check_rate
    from service.runtime.state import state

    refused = _refuse_without_rankings()
    if refused:
        return refused
    require_export(fmt)
    check_rate(g.principal.id)
    query = _firm_query_or_422(request.args)
    node_id = request.args.get("node", "")
    snapshot = state().snapshots.get()
    rows = answers.recommendation_rows(snapshot, node_id, lang=g.lang, parks=export_parks(),
                                       **query)
    stem = f"{'推荐名单' if g.lang == 'zh' else 'recommendations'}-{node_id}"
    about = answers.file_about(snapshot, answers.recommendation_title(snapshot, node_id, g.lang))
    return file_response(rows, RECOMMENDATION_EXPORT_COLUMNS, fmt=fmt, lang=g.lang,
                         stem=stem, snapshot=snapshot, about=about)


@bp.route("/export.geojson")
@login_required
def export_geojson():
    """The firms the dashboard lists for ``node`` on the recruitment map, as the API's map
    (the parks the key may see, the firms assigned to them) in one GeoJSON attachment."""
    from recommender.maps import GEOJSON_MEDIA_TYPE
    from service.answers import matching
    from service.http.downloads import content_disposition, media_response
    from service.http.limits import check_rate
    from service.runtime.state import state

    refused = _refuse_without_rankings()
    if refused:
        return refused
    _require_map_export()
    check_rate(g.principal.id)
    query = _firm_query_or_422(request.args)
    node_id = request.args.get("node", "")
    app_state = state()
    snapshot = app_state.snapshots.get()
    scope = g.principal.park_scope
    query = {k: v for k, v in query.items() if k not in ("sort", "include_landed")}  # the map's
    key = ("page-map-geojson", node_id, query["k"], tuple(query["country"] or ()),
           tuple(query["size"] or ()), tuple(query["stage"] or ()), query["exclude_contacted"],
           None if scope is None else tuple(scope))

    def build() -> bytes:
        layers = matching.recruitment_layers(
            snapshot, node_id, parks=matching.visible_parks(app_state.store, scope), **query)
        return matching.geojson_bytes(layers)

    response = media_response(snapshot.memo.get(key, build), GEOJSON_MEDIA_TYPE, snapshot)
    stem = f"{'招商地图' if g.lang == 'zh' else 'recruitment-map'}-{node_id}"
    response.headers["Content-Disposition"] = content_disposition(f"{stem}.geojson")
    return response


def _require_map_export() -> None:
    """Refuse the map file (403) to a key that may not read maps or may not export: on the
    pages a map download is an export, as a CSV is."""
    from service.http.errors import ApiError

    principal = g.principal
    for permission in (READ_MAPS, EXPORT):
        if not principal.can(permission):
            roles = roles_with(permission)
            raise ApiError(403, "forbidden",
                           f"a {principal.role} key may not download the map as GeoJSON; it "
                           f"needs {permission} ({', '.join(roles)})",
                           {"permission": permission, "roles": roles})
