"""Labels of the basemap: country names at a point inside each large country, and key cities.

Both in Chinese and English, as China writes them (:func:`recommender.firms.countries.
display_name`). ``rank`` says how early a label shows: 1 on the world view, 2 once zoomed in.

>>> cities = key_cities()
>>> cities.loc["beijing", ["name_zh", "name_en"]].tolist(), int(cities.loc["beijing", "rank"])
(['北京', 'Beijing'], 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from recommender import columns as C
from recommender.maps.basemap import NAME_EN

__all__ = ["CITY", "COUNTRY", "COUNTRY_LABEL_AREA", "KEY_CITIES", "LABEL_KIND", "RANK",
           "country_labels", "key_cities", "map_labels"]

LABEL_KIND, RANK = "kind", "rank"
COUNTRY, CITY = "country", "city"
# square degrees: countries at least this large are labelled (rank 1 from four times this)
COUNTRY_LABEL_AREA = 25.0
# Key cities of the recruitment map: (id, Chinese, English, lon, lat, rank); coordinates of the
# city centres (WGS84, to 0.01 degrees).
KEY_CITIES = (
    ("beijing", "北京", "Beijing", 116.40, 39.90, 1),
    ("shanghai", "上海", "Shanghai", 121.47, 31.23, 1),
    ("guangzhou", "广州", "Guangzhou", 113.26, 23.13, 2),
    ("shenzhen", "深圳", "Shenzhen", 114.06, 22.54, 1),
    ("hong_kong", "香港", "Hong Kong", 114.17, 22.32, 2),
    ("taipei", "台北", "Taipei", 121.56, 25.04, 2),
    ("tokyo", "东京", "Tokyo", 139.69, 35.69, 1),
    ("seoul", "首尔", "Seoul", 126.98, 37.57, 1),
    ("singapore", "新加坡", "Singapore", 103.82, 1.35, 1),
    ("bengaluru", "班加罗尔", "Bengaluru", 77.59, 12.97, 2),
    ("tel_aviv", "特拉维夫", "Tel Aviv", 34.78, 32.09, 2),
    ("moscow", "莫斯科", "Moscow", 37.62, 55.76, 2),
    ("berlin", "柏林", "Berlin", 13.40, 52.52, 2),
    ("munich", "慕尼黑", "Munich", 11.58, 48.14, 1),
    ("paris", "巴黎", "Paris", 2.35, 48.86, 1),
    ("london", "伦敦", "London", -0.13, 51.51, 1),
    ("amsterdam", "阿姆斯特丹", "Amsterdam", 4.90, 52.37, 2),
    ("zurich", "苏黎世", "Zurich", 8.54, 47.37, 2),
    ("stockholm", "斯德哥尔摩", "Stockholm", 18.07, 59.33, 2),
    ("new_york", "纽约", "New York", -74.01, 40.71, 1),
    ("boston", "波士顿", "Boston", -71.06, 42.36, 2),
    ("san_francisco", "旧金山", "San Francisco", -122.42, 37.77, 1),
    ("toronto", "多伦多", "Toronto", -79.38, 43.65, 2),
    ("sydney", "悉尼", "Sydney", 151.21, -33.87, 2),
    ("sao_paulo", "圣保罗", "São Paulo", -46.63, -23.55, 2),
)
_POLYLABEL_TOLERANCE = 0.5  # degrees


def key_cities():
    """Return :data:`KEY_CITIES` as points: index the city id, ``kind``, ``name_zh``,
    ``name_en``, ``rank``."""
    import geopandas

    ids, zh, en, lon, lat, rank = zip(*KEY_CITIES, strict=True)
    frame = pd.DataFrame({LABEL_KIND: CITY, C.NAME_ZH: zh, NAME_EN: en, RANK: rank},
                         index=pd.Index(ids, name="id"))
    return geopandas.GeoDataFrame(frame, geometry=geopandas.points_from_xy(lon, lat), crs=4326)


def country_labels(countries, *, min_area: float = COUNTRY_LABEL_AREA):
    """Return a label point inside the largest part of each country of ``min_area`` square
    degrees or more (the pole of inaccessibility, so the name sits well inside): index
    ``label:<country id>``, ``kind``, ``name_zh``, ``name_en``, ``rank``."""
    import geopandas
    from shapely.ops import polylabel

    rows, points = [], []
    for cid, row in countries.iterrows():
        parts = shapely.get_parts(row.geometry)
        if not len(parts):
            continue
        areas = shapely.area(parts)
        if areas.max() < min_area:
            continue
        largest = parts[int(np.argmax(areas))]
        points.append(polylabel(largest, tolerance=_POLYLABEL_TOLERANCE))
        rows.append({"id": f"label:{cid}", LABEL_KIND: COUNTRY, C.NAME_ZH: row[C.NAME_ZH],
                     NAME_EN: row[NAME_EN], RANK: 1 if areas.max() >= 4 * min_area else 2})
    frame = pd.DataFrame(rows, columns=["id", LABEL_KIND, C.NAME_ZH, NAME_EN, RANK])
    return geopandas.GeoDataFrame(frame.set_index("id"), geometry=points, crs=4326)


def map_labels(countries):
    """Return :func:`country_labels` of ``countries`` and :func:`key_cities`, in one frame."""
    import geopandas

    return geopandas.GeoDataFrame(pd.concat([country_labels(countries), key_cities()]),
                                  crs=4326)
