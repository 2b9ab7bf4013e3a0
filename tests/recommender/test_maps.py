"""The recruitment map: layers, RFC 7946 GeoJSON, the antimeridian, PNG and file formats."""

import io
import json
import sys

import geopandas
import numpy as np
import orjson
import pandas as pd
import pyogrio
import pytest
import shapely

from recommender.exceptions import DataError, DependencyError
from recommender.maps import (
    FIRM_PROPERTIES,
    basemap_layers,
    country_layer,
    firm_layer,
    flow_layer,
    great_circle_line,
    park_layer,
    recruitment_map,
    render,
    split_antimeridian,
    to_geojson,
    to_geoparquet,
    to_png,
    write_map,
)

LA = (-118.24, 34.05)
SHENZHEN = (114.06, 22.54)
NODE_NAMES = {"lasers": ("激光器", "Lasers"), "vacuum_pumps": ("真空泵", "Vacuum pumps")}


@pytest.fixture
def recs():
    """Recommendation-shaped rows: three located firms, one without coordinates."""
    return pd.DataFrame({
        "rank": [1, 2, 1, 3],
        "firm_id": ["f-la", "f-muc", "f-tyo", "f-sg"],
        "name": ["LA Optics", "Munich Vakuum", "Tokyo Laser", "SG Pumps"],
        "name_zh": ["洛杉矶光学", None, "东京激光", None],
        "country": ["US", "DE", "JP", "SG"],
        "city": ["Los Angeles", "Munich", "Tokyo", "Singapore"],
        "lat": [LA[1], 48.14, 35.68, np.nan],
        "lon": [LA[0], 11.58, 139.69, np.nan],
        "node_id": ["lasers", "lasers", "vacuum_pumps", "lasers"],
        "score": [0.91, 0.55, 0.72, 0.3],
        "p_success": [0.4, np.nan, 0.2, 0.1],
        "reasons": [[{"zh": "填补薄弱环节 激光器", "en": "fills weak link lasers"}]] * 4,
        "reason_zh": ["填补薄弱环节 激光器", "x", "y", "z"],
        "reason_en": ["fills weak link lasers", "x", "y", "z"],
        "is_synthetic": [True, True, False, True],
        "source": ["synthetic", "synthetic", "reference", "synthetic"],
        "model_version": "prior",
    })


@pytest.fixture
def parks():
    return pd.DataFrame({"park_id": ["sz"], "name_zh": ["光明科学城"],
                         "name_en": ["Guangming Science City"], "city_id": ["shenzhen"],
                         "lat": [SHENZHEN[1]], "lon": [SHENZHEN[0]],
                         "focus_nodes": [["lasers"]], "max_new_firms": [5],
                         "is_illustrative": [True]})


@pytest.fixture
def matches():
    return pd.DataFrame({"firm_id": ["f-la", "f-muc", "f-tyo"], "park_id": ["sz"] * 3,
                         "score": [0.8, 0.6, 0.5]})


def features(payload: bytes) -> list[dict]:
    return orjson.loads(payload)["features"]


# --- layers ---------------------------------------------------------------------------------

def test_firm_layer_has_every_property_and_counts_the_unlocated(recs):
    layer = firm_layer(recs, node_names=NODE_NAMES)
    assert layer.crs.to_epsg() == 4326
    assert layer.index.tolist() == ["f-la", "f-muc", "f-tyo"]
    assert layer.attrs["dropped"] == 1
    row = layer.loc["f-tyo"]
    assert (row["node_name_zh"], row["node_name_en"], row["rank"]) == ("真空泵", "Vacuum pumps", 1)
    assert not row["is_synthetic"] and layer.loc["f-la", "is_synthetic"]
    assert layer.geometry.loc["f-la"].equals(shapely.Point(LA))


def test_firm_layer_joins_reasons_and_ranks_when_not_given(recs):
    frame = recs.drop(columns=["reason_zh", "reason_en", "rank"])
    layer = firm_layer(frame)
    assert layer.loc["f-la", "reason_en"] == "fills weak link lasers"
    assert layer.loc["f-la", "node_name_en"] == "lasers"  # no names given: the id
    assert layer["rank"].tolist() == [1, 2, 1]  # by score within each weak link


def test_firm_layer_carries_the_value_when_the_rows_do(recs):
    assert firm_layer(recs)["value"].isna().all()  # rows without a value: null
    valued = recs.assign(value=[0.12, 0.05, 0.3, 0.01])
    layer = firm_layer(valued)
    assert layer["value"].tolist() == [0.12, 0.05, 0.3]
    assert list(layer.columns[:-1]) == FIRM_PROPERTIES
    countries = recruitment_map(valued)["countries"]  # a country's best is its best value
    assert countries.loc["US", "best_score"] == 0.12
    assert recruitment_map(recs)["countries"].loc["US", "best_score"] == 0.91


def test_a_firm_filling_two_weak_links_gets_one_feature_per_link(recs):
    twice = pd.concat([recs.iloc[[0]], recs.iloc[[0]].assign(node_id="vacuum_pumps")])
    assert firm_layer(twice).index.tolist() == ["f-la@lasers", "f-la@vacuum_pumps"]
    with pytest.raises(DataError, match="appears twice for weak link 'lasers'"):
        firm_layer(pd.concat([recs.iloc[[0]], recs.iloc[[0]]]))


def test_country_layer_counts_candidates_on_the_basemap(recs):
    layer = country_layer(recs)
    assert len(layer) == len(basemap_layers()["countries"]) > 200
    assert {"FR", "NO", "SG", "CN"} <= set(layer.index)
    assert not {"TW", "HK", "MO"} & set(layer.index)  # inside China's polygon
    assert layer.loc["US", ["candidates", "best_score"]].tolist() == [1, 0.91]
    assert layer.loc["DE", "weak_links"] == ["lasers"]
    assert layer.loc["FR", "candidates"] == 0 and layer.loc["FR", "weak_links"] == []
    assert layer.attrs["without_polygon"] == {}
    assert layer.loc["CN", ["name_zh", "name_en"]].tolist() == ["中国", "China"]
    assert any(i.startswith("cnmaps:") for i in layer.index)  # areas without an ISO code
    assert shapely.is_valid(layer.geometry.to_numpy()).all()


def test_firms_of_taiwan_hong_kong_and_macao_count_for_china(recs):
    regions = recs.assign(country=["TW", "HK", "MO", "CN"])
    layer = country_layer(regions, countries=["CN"])
    assert layer.loc["CN", "candidates"] == 4 and layer.attrs["without_polygon"] == {}


def test_country_layer_keeps_only_the_countries_asked_for(recs):
    assert sorted(country_layer(recs, countries=["de", "JP"]).index) == ["DE", "JP"]


def test_the_basemap_is_read_once_and_copies_are_independent():
    a = basemap_layers()["countries"]
    a.loc["CN", "name_en"] = "changed"
    assert basemap_layers()["countries"].loc["CN", "name_en"] == "China"


def test_flow_from_los_angeles_to_shenzhen_is_split_at_the_antimeridian(recs, parks, matches):
    flows = flow_layer(matches, recs, parks)
    line = flows.geometry.loc["f-la->sz"]
    assert line.geom_type == "MultiLineString"
    parts = [np.asarray(p.coords) for p in line.geoms]
    for part in parts:
        assert np.abs(part[:, 0]).max() <= 180
        assert np.abs(np.diff(part[:, 0])).max() < 180
    assert tuple(parts[0][0]) == LA and tuple(parts[-1][-1]) == SHENZHEN
    assert abs(parts[0][-1, 0]) == 180 and parts[0][-1, 0] == -parts[1][0, 0]
    assert parts[0][-1, 1] == pytest.approx(parts[1][0, 1])  # the same latitude either side
    assert flows.loc["f-la->sz", "distance_km"] == pytest.approx(11_650, rel=0.02)
    assert flows.geometry.loc["f-muc->sz"].geom_type == "LineString"
    payload = features(to_geojson(flows))
    for feature in payload:
        coords = feature["geometry"]["coordinates"]
        parts = coords if feature["geometry"]["type"] == "MultiLineString" else [coords]
        for part in parts:
            assert np.abs(np.diff(np.asarray(part)[:, 0])).max() < 180


@pytest.mark.parametrize(("points", "expected"), [
    ([[170.0, 0.0], [190.0, 10.0]], [[[170, 0], [180, 5]], [[-180, 5], [-170, 10]]]),
    ([[-170.0, 0.0], [-190.0, 10.0]], [[[-170, 0], [-180, 5]], [[180, 5], [170, 10]]]),
    ([[10.0, 0.0], [20.0, 5.0]], [[[10, 0], [20, 5]]]),
])
def test_split_antimeridian(points, expected):
    parts = split_antimeridian(np.array(points))
    assert [p.tolist() for p in parts] == expected


def test_great_circle_line_ends_at_both_places():
    line = great_circle_line(*SHENZHEN, 2.35, 48.86)
    coords = np.asarray(line.coords)
    assert tuple(coords[0]) == SHENZHEN and coords[-1] == pytest.approx([2.35, 48.86])
    assert coords[:, 1].max() > 48.86  # a great circle bulges towards the pole


def test_flows_drop_unknown_firms_and_parks(recs, parks):
    flows = flow_layer(pd.DataFrame({"firm_id": ["f-sg", "nobody", "f-la"],
                                     "park_id": ["sz", "sz", "elsewhere"]}), recs, parks)
    assert len(flows) == 0 and flows.attrs["dropped"] == 3


def test_recruitment_map_bundles_the_layers(recs, parks, matches):
    layers = recruitment_map(recs, parks=parks, matches=matches, node_names=NODE_NAMES)
    assert sorted(layers) == ["countries", "firms", "flows", "parks"]
    assert len(layers["flows"]) == 3 and layers["parks"].index.tolist() == ["sz"]
    alone = recruitment_map(recs)
    assert len(alone["flows"]) == 0 and alone["flows"].crs.to_epsg() == 4326


# --- GeoJSON --------------------------------------------------------------------------------

def test_geojson_is_read_by_gdal_and_shapely(recs, parks, matches, tmp_path):
    layers = recruitment_map(recs, parks=parks, matches=matches, node_names=NODE_NAMES)
    for name, layer in layers.items():
        payload = to_geojson(layer)
        doc = json.loads(payload)
        assert doc["type"] == "FeatureCollection" and "crs" not in doc
        path = tmp_path / f"{name}.geojson"
        path.write_bytes(payload)
        read = pyogrio.read_dataframe(path)
        assert len(read) == len(layer)
        collection = shapely.from_geojson(payload.decode())
        assert len(shapely.get_parts(collection)) >= len(layer)
        for feature in doc["features"]:
            assert set(feature["properties"]) == {str(c) for c in layer.columns
                                                 if c != layer.geometry.name}
            xy = shapely.get_coordinates(shapely.from_geojson(json.dumps(feature["geometry"])))
            assert (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
        assert [f["id"] for f in doc["features"]] == layer.index.tolist()


def test_ids_survive_a_round_trip_through_gdal(recs, tmp_path):
    path = tmp_path / "firms.geojson"
    path.write_bytes(to_geojson(firm_layer(recs)))
    read = pyogrio.read_dataframe(path)
    assert read["id"].tolist() == ["f-la", "f-muc", "f-tyo"]
    assert read["firm_id"].tolist() == ["f-la", "f-muc", "f-tyo"]


def test_properties_nan_na_lists_and_dicts():
    frame = geopandas.GeoDataFrame({
        "x": [1.5, np.nan], "n": pd.array([1, pd.NA], dtype="Int64"),
        "flag": pd.array([True, pd.NA], dtype="boolean"), "s": pd.Series(["a", None], dtype="str"),
        "items": [["a", "b"], {"zh": "甲", "en": "A"}],
        "when": pd.to_datetime(["2024-05-01", None]),
    }, geometry=[shapely.Point(1, 2), shapely.Point(3, 4)], crs=4326)
    a, b = (f["properties"] for f in features(to_geojson(frame)))
    assert a == {"x": 1.5, "n": 1, "flag": True, "s": "a", "items": ["a", "b"],
                 "when": "2024-05-01T00:00:00"}
    assert b == {"x": None, "n": None, "flag": None, "s": None, "items": {"zh": "甲", "en": "A"},
                 "when": None}
    assert [f["id"] for f in features(to_geojson(frame))] == [0, 1]


def test_nested_keys_that_are_not_text_and_unknown_types():
    frame = geopandas.GeoDataFrame({"counts": [{2024: 3}], "tags": [{"b", "a"}]},
                                   geometry=[shapely.Point(0, 0)], crs=4326)
    assert features(to_geojson(frame))[0]["properties"] == {"counts": {"2024": 3},
                                                            "tags": ["a", "b"]}
    odd = frame.assign(tags=[object()])
    with pytest.raises(DataError, match="cannot write GeoJSON"):
        to_geojson(odd)


def test_many_features_match_geopandas_across_chunks():
    rng = np.random.default_rng(3)
    n = 2_345  # more than two chunks; long enough for repeated text to be decoded once
    frame = geopandas.GeoDataFrame({
        "node": pd.Series(rng.choice(["lasers", "激光器", None], n), dtype="str"),
        "name": pd.Series([f"firm {i}" if i % 7 else None for i in range(n)], dtype="str"),
        "score": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        "rank": pd.array([i if i % 5 else None for i in range(n)], dtype="Int64"),
    }, index=pd.Index([f"f-{i}" for i in range(n)], name="id"),
        geometry=geopandas.points_from_xy(rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)),
        crs=4326)
    ours = features(to_geojson(frame))
    reference = json.loads(frame.to_json(to_wgs84=True, drop_id=False))["features"]
    assert [f["id"] for f in ours] == frame.index.tolist()
    for a, b in zip(ours, reference, strict=True):
        assert a["properties"] == pytest.approx(b["properties"], nan_ok=True)
        assert a["geometry"]["coordinates"] == pytest.approx(b["geometry"]["coordinates"],
                                                             abs=1e-6)


def test_an_empty_frame_is_an_empty_collection():
    frame = geopandas.GeoDataFrame({"a": []}, geometry=[], crs=4326)
    assert json.loads(to_geojson(frame)) == {"type": "FeatureCollection", "features": []}


def test_coordinates_are_rounded_to_six_decimals():
    frame = geopandas.GeoDataFrame(geometry=[shapely.Point(113.123456789, -22.987654321),
                                             shapely.LineString([(0.1234567, 0), (1, 1)])],
                                   crs=4326)
    point, line = features(to_geojson(frame))
    assert point["geometry"]["coordinates"] == [113.123457, -22.987654]
    assert line["geometry"] == {"type": "LineString", "coordinates": [[0.123457, 0.0],
                                                                      [1.0, 1.0]]}
    assert features(to_geojson(frame, precision=2))[0]["geometry"]["coordinates"] == [
        113.12, -22.99]


def test_a_frame_without_crs_is_an_error():
    frame = geopandas.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(1, 2)])
    with pytest.raises(DataError, match="has no CRS"):
        to_geojson(frame)
    with pytest.raises(DataError, match="has no CRS"):
        to_geoparquet(frame, "unused.parquet")


def test_a_frame_in_web_mercator_is_reprojected():
    wgs = geopandas.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(*SHENZHEN)], crs=4326)
    payload = features(to_geojson(wgs.to_crs(3857)))
    assert payload[0]["geometry"]["coordinates"] == pytest.approx(list(SHENZHEN), abs=1e-6)


def test_degrees_that_are_really_metres_are_refused():
    frame = geopandas.GeoDataFrame(geometry=[shapely.Point(12_697_000, 2_576_000)], crs=4326)
    with pytest.raises(DataError, match="outside longitude/latitude range"):
        to_geojson(frame)


def test_every_geometry_type_round_trips():
    shapes = [shapely.Point(1, 2), shapely.MultiPoint([(0, 0), (1, 1)]),
              shapely.LineString([(0, 0), (1, 1)]),
              shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]),
              shapely.box(0, 0, 1, 1), shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2)),
              shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
              shapely.GeometryCollection([shapely.Point(0, 0), shapely.LineString([(0, 0),
                                                                                  (1, 0)])])]
    frame = geopandas.GeoDataFrame({"k": range(len(shapes))}, geometry=shapes, crs=4326)
    for shape, feature in zip(shapes, features(to_geojson(frame)), strict=True):
        back = shapely.from_geojson(json.dumps(feature["geometry"]))
        assert back.geom_type == shape.geom_type and back.equals(shape)


def test_invalid_and_empty_geometries_are_repaired_or_null():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    frame = geopandas.GeoDataFrame({"k": [1, 2, 3]}, geometry=[bowtie, shapely.Point(),
                                                              None], crs=4326)
    first, empty, missing = features(to_geojson(frame))
    repaired = shapely.from_geojson(json.dumps(first["geometry"]))
    assert repaired.is_valid and repaired.area == pytest.approx(2.0)
    assert empty["geometry"] is None and missing["geometry"] is None


def test_polygons_are_wound_counter_clockwise_and_keep_their_type(recs):
    payload = features(to_geojson(country_layer(recs, countries=["FR", "CH"])))
    kinds = {f["id"]: f["geometry"]["type"] for f in payload}
    assert kinds == {"FR": "MultiPolygon", "CH": "Polygon"}
    ring = payload[[f["id"] for f in payload].index("CH")]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw


def test_a_column_can_name_the_ids():
    frame = geopandas.GeoDataFrame({"key": ["a", "b"]}, geometry=[shapely.Point(0, 0)] * 2,
                                   crs=4326)
    payload = features(to_geojson(frame, id="key"))
    assert [f["id"] for f in payload] == ["a", "b"] and payload[0]["properties"] == {}
    with pytest.raises(DataError, match="no id"):
        to_geojson(frame.set_index(pd.Index(["a", None])))


# --- files ----------------------------------------------------------------------------------

def test_write_map_geojson_carries_the_layer_of_each_feature(recs, parks, matches, tmp_path):
    layers = recruitment_map(recs, parks=parks, matches=matches)
    path = write_map(layers, tmp_path / "map.geojson")
    doc = json.loads(path.read_bytes())
    counts = pd.Series([f["properties"]["layer"] for f in doc["features"]]).value_counts()
    assert counts.to_dict() == {"countries": 4, "firms": 3, "flows": 3, "parks": 1}
    assert len(pyogrio.read_dataframe(path)) == 11


def test_write_map_parquet_is_geoparquet(recs, parks, matches, tmp_path):
    path = write_map(recruitment_map(recs, parks=parks, matches=matches),
                     tmp_path / "map.parquet")
    back = geopandas.read_parquet(path)
    assert back.crs.to_epsg() == 4326 and len(back) == 11
    assert back.loc[back["layer"] == "firms", "id"].tolist() == ["f-la", "f-muc", "f-tyo"]
    assert list(back.loc[back["id"] == "DE", "weak_links"].iloc[0]) == ["lasers"]


def test_to_geoparquet_keeps_the_index_as_id(recs, tmp_path):
    back = geopandas.read_parquet(to_geoparquet(firm_layer(recs), tmp_path / "f.parquet"))
    assert back["id"].tolist() == ["f-la", "f-muc", "f-tyo"]


def test_write_map_refuses_an_unknown_suffix(recs, tmp_path):
    with pytest.raises(DataError, match="unknown map format '.kml'"):
        write_map(recruitment_map(recs), tmp_path / "map.kml")


# --- PNG ------------------------------------------------------------------------------------

def test_png_renders_without_warnings(recs, parks, matches, tmp_path):
    layers = recruitment_map(recs, parks=parks, matches=matches, node_names=NODE_NAMES)
    path = write_map(layers, tmp_path / "map.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_png_by_score_into_a_buffer(recs):
    buffer = io.BytesIO()
    to_png({"firms": firm_layer(recs), "countries": country_layer(recs)}, buffer,
           color_by="score", lang="en", title=("招商地图", "Recruitment map"))
    assert buffer.getvalue()[:4] == b"\x89PNG" and len(buffer.getvalue()) > 10_000


def test_png_falls_back_to_english_without_a_cjk_font(recs, monkeypatch, tmp_path):
    monkeypatch.setattr(render, "cjk_font", lambda: None)
    assert to_png(recruitment_map(recs, node_names=NODE_NAMES), tmp_path / "m.png",
                  title="全球招商地图") == "en"


def test_a_cjk_font_found_has_the_glyphs():
    from matplotlib import font_manager, ft2font

    name = render.cjk_font()
    if name is None:
        pytest.skip("no CJK font installed")
    path = font_manager.findfont(font_manager.FontProperties(family=name))
    assert ft2font.FT2Font(path).get_char_index(ord("招"))


def test_png_without_matplotlib_says_how_to_install_it(recs, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(DependencyError, match="pip install matplotlib"):
        to_png(firm_layer(recs), tmp_path / "m.png")


def test_png_refuses_a_layer_without_crs(recs, tmp_path):
    layer = firm_layer(recs).set_crs(None, allow_override=True)
    with pytest.raises(DataError, match="has no CRS"):
        to_png({"firms": layer}, tmp_path / "m.png")


def test_park_layer_points(parks):
    layer = park_layer(parks)
    assert layer.loc["sz", "focus_nodes"] == ["lasers"]
    assert features(to_geojson(layer))[0]["properties"]["max_new_firms"] == 5


# --- command line -----------------------------------------------------------------------------



@pytest.mark.slow
def test_cli_map_writes_geojson_and_png(demo_store, tmp_path):
    from click.testing import CliRunner

    from recommender.cli import cli

    runner = CliRunner()
    out = tmp_path / "map.geojson"
    result = runner.invoke(cli, ["map", "--weak-link", "vacuum_pumps", "--k", "20", "--out",
                                 str(out), "--prior"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_bytes())
    layers = pd.Series([f["properties"]["layer"] for f in doc["features"]]).value_counts()
    assert layers["firms"] == 20 and 1 <= layers["countries"] <= 20 and layers["parks"] == 15
    assert 0 < layers["flows"] <= 20
    firms = [f for f in doc["features"] if f["properties"]["layer"] == "firms"]
    assert firms[0]["properties"]["node_name_zh"] == "真空泵"
    assert firms[0]["properties"]["model_version"] == "prior"
    png = tmp_path / "map.png"
    drawn = runner.invoke(cli, ["map", "--weak-link", "vacuum_pumps", "--k", "20", "--out",
                                str(png), "--no-parks", "--prior"], catch_exceptions=False)
    assert drawn.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    bad = runner.invoke(cli, ["map", "--weak-link", "vacuum_pumps", "--out", "m.kml"])
    assert bad.exit_code == 2 and ".geojson" in bad.output


def test_importing_the_map_and_park_modules_does_not_load_matplotlib():
    import subprocess

    code = ("import sys, recommender.maps, recommender.parks.matching, "
            "recommender.parks.assignment, recommender.cli; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
