"""The global recruitment map (全球招商地图) of one weak link, as GeoJSON or PNG.

The firms are those the recommendations endpoint ranks for the weak link, with the same
filters, from the same snapshot (``X-Model-Version`` names its model). With parks (the
default), the firms are matched to the parks the key may see (the recommendation score
blended into the park prior) and assigned within their capacities, drawn as flows.

GeoJSON follows RFC 7946: one FeatureCollection, WGS84 longitude/latitude, no ``crs`` member,
coordinates rounded to 6 decimals, each feature with a ``layer`` property (``firms``,
``countries`` (those with candidates; polygons from the basemap, China's boundary as Chinese
standard maps draw it), ``flows``, ``parks``); served as ``application/geo+json``,
gzip-compressed for a client that sends ``Accept-Encoding: gzip``. The PNG draws the basemap
with the South China Sea inset (南海诸岛) and is titled with the weak link, k and the
snapshot's date.
"""

from __future__ import annotations

from marshmallow import fields, validate

from recommender.maps import GEOJSON_MEDIA_TYPE
from recommender.store.auth import READ_MAPS, READ_RANKINGS
from service.answers import map_data
from service.api.weak_links import RecommendationQuerySchema
from service.http.auth import current_principal
from service.http.downloads import gzipped, media_response
from service.http.openapi import ApiBlueprint
from service.runtime.state import state

__all__ = ["MapQuerySchema", "PNG_MEDIA_TYPE", "bp", "recruitment_geojson", "recruitment_png"]

bp = ApiBlueprint("maps", __name__,
                  description="The global recruitment map of a weak link: firms, countries, "
                              "parks and flows, as GeoJSON (RFC 7946) or PNG.")

PNG_MEDIA_TYPE = "image/png"


class MapQuerySchema(RecommendationQuerySchema):
    class Meta:
        exclude = ("page", "page_size", "format")

    weak_link = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "The weak link's node id"})
    parks = fields.Boolean(load_default=True, metadata={
        "description": "Assign the firms to the parks and draw the flows"})
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]), metadata={
        "description": "Labels of the PNG (English when no CJK font is installed)"})


@bp.route("/maps/recruitment.geojson", methods=["GET"])
@bp.require(READ_MAPS)
@bp.arguments(MapQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, {"type": "object", "description": "An RFC 7946 FeatureCollection"},
             content_type=GEOJSON_MEDIA_TYPE)
def recruitment_geojson(query: dict):
    """The recruitment map as one RFC 7946 FeatureCollection (``application/geo+json``).

    404 for a node not in the chain, 422 for a downstream node.
    """
    snapshot, key = _key(query)
    store = state().store
    body = map_data.recruitment_geojson(snapshot, store, key)
    return gzipped(media_response(body, GEOJSON_MEDIA_TYPE, snapshot),
                   lambda: map_data.recruitment_geojson_gzip(snapshot, store, key))


@bp.route("/maps/recruitment.png", methods=["GET"])
@bp.require(READ_MAPS)
@bp.arguments(MapQuerySchema, location="query")
@bp.alt_response(404, response="NOT_FOUND")
@bp.response(200, {"type": "string", "format": "binary"}, content_type=PNG_MEDIA_TYPE)
def recruitment_png(query: dict):
    """The recruitment map drawn as a PNG image; labels in ``lang``."""
    snapshot, key = _key(query)
    body = map_data.recruitment_png(snapshot, state().store, key, lang=query["lang"])
    return media_response(body, PNG_MEDIA_TYPE, snapshot)


def _key(query: dict) -> tuple:
    """The snapshot to answer from, and what the map depends on besides it."""
    principal = current_principal()
    return state().snapshots.get(), map_data.map_key(query, principal.park_scope,
                                                     ranked=principal.can(READ_RANKINGS))
