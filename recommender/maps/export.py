"""Writing map layers to files: GeoJSON, GeoParquet and PNG, chosen by the file suffix."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.exceptions import DataError
from recommender.maps.geojson import PRECISION, encoded_features, feature_collection, in_wgs84

__all__ = ["LAYER", "MAP_FORMATS", "to_geoparquet", "write_map"]

LAYER = "layer"  # property naming the layer of a feature in a file holding several
MAP_FORMATS = {".geojson": "geojson", ".json": "geojson", ".png": "png", ".parquet": "parquet"}


def to_geoparquet(gdf, path) -> Path:
    """Write a GeoDataFrame as GeoParquet (for large exports) and return the path.

    The frame is written in EPSG:4326 like every map export (a frame without a CRS is an
    error); an index other than the default one is kept as a column (named ``id`` if it has
    no name); list and dict columns stay nested Parquet types.

    Raises
    ------
    DataError
        If the frame has no CRS.
    """
    gdf = in_wgs84(gdf)
    out = gdf.copy()
    for name in out.columns:
        if name != out.geometry.name and out[name].dtype == object:
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    default_index = isinstance(out.index, pd.RangeIndex) and out.index.name is None
    index_name = out.index.name or "id"
    if not default_index and index_name not in out.columns:
        out = out.rename_axis(index_name).reset_index()
        if pd.api.types.is_object_dtype(out[index_name]):
            out[index_name] = out[index_name].astype("str")
    path = Path(path)
    out.to_parquet(path, index=False)
    return path


def write_map(layers: Mapping, out, *, title=None, lang: str = "zh",
              precision: int = PRECISION) -> Path:
    """Write the map layers to one file whose suffix says the format.

    ``.geojson`` (or ``.json``): one FeatureCollection of every layer's features, each with a
    ``layer`` property (firms, countries, flows, parks); ``.png``: the drawn map
    (:func:`recommender.maps.to_png`); ``.parquet``: one GeoParquet table of every layer,
    with a ``layer`` column and the union of the layers' columns.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        If the suffix is none of :data:`MAP_FORMATS`, or a layer has no CRS.

    Examples
    --------
    >>> write_map(recruitment_map(recs), "map.geojson")  # doctest: +SKIP
    PosixPath('map.geojson')
    """
    path = Path(out)
    kind = MAP_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path.name}: unknown map format {path.suffix!r}; use one of "
                        f"{', '.join(MAP_FORMATS)}")
    layers = {str(name): frame for name, frame in layers.items() if frame is not None}
    if kind == "png":
        from recommender.maps.render import to_png

        to_png(layers, path, title=title, lang=lang)
    elif kind == "geojson":
        path.write_bytes(feature_collection(
            [encoded_features(frame, precision=precision, extra={LAYER: name})
             for name, frame in layers.items()]))
    else:
        to_geoparquet(_stacked(layers), path)
    return path


def _stacked(layers: Mapping):
    """One frame of all layers, with a ``layer`` column; absent columns are missing values."""
    import geopandas

    frames = []
    for name, frame in layers.items():
        frame = in_wgs84(frame, f"layer {name!r}")
        plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        plain.insert(0, LAYER, name)
        plain["geometry"] = frame.geometry.to_numpy()
        frames.append(plain.rename_axis("id").reset_index())
    if not frames:
        raise DataError("no layers to write")
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    stacked = pd.concat([f.reindex(columns=columns).astype(
        {c: object for c in columns if c not in f.columns}) for f in frames],
        ignore_index=True)
    for name in stacked.columns:
        if stacked[name].dtype == object and name != "geometry":
            values = stacked[name].to_numpy()
            stacked[name] = pd.Series([None if _missing(v) else v for v in values],
                                      dtype=object)
    stacked["id"] = stacked["id"].astype("str")
    return geopandas.GeoDataFrame(stacked, geometry="geometry", crs=4326)


def _missing(value) -> bool:
    if isinstance(value, list | dict | np.ndarray):
        return False
    return bool(pd.isna(value))
