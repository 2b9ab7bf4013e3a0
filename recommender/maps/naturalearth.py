"""Country polygons from Natural Earth's 1:110m countries, as pyogrio ships them.

pyogrio, a dependency of geopandas, carries Natural Earth's low-resolution countries (public
domain) as a test fixture: ``pyogrio/tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp``
with the fields ``pop_est``, ``continent``, ``name``, ``iso_a3`` and ``gdp_md_est``. The file
is found through the installed package (``importlib.resources``), read on first use and cached.

Natural Earth gives some countries the ISO code ``-99``. France and Norway get it because of
their overseas territories and Kosovo because its code is user-assigned; they are given FR, NO
and XK here (the codes Natural Earth itself carries as ``ISO_A2_EH``). N. Cyprus and Somaliland
have no ISO 3166-1 code: their polygons keep ``iso2`` None. Every other polygon gets the
alpha-2 code of its ``iso_a3``.

Polygons are kept as Natural Earth draws them, including Taiwan, which Natural Earth draws as a
separate polygon with the code TWN (TW here); Hong Kong, Macao, Singapore and other small
places have no polygon at this scale.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from recommender import columns as C
from recommender.exceptions import DependencyError

__all__ = [
    "CONTINENT",
    "ISO2",
    "NATURAL_EARTH_FIXTURE",
    "NE_ISO2_FIXES",
    "natural_earth_countries",
    "natural_earth_path",
]

ISO2 = "iso2"
CONTINENT = "continent"
NATURAL_EARTH_FIXTURE = ("tests", "fixtures", "naturalearth_lowres", "naturalearth_lowres.shp")
# Natural Earth name -> alpha-2, for the polygons it codes -99 (its ISO_A2_EH values)
NE_ISO2_FIXES = {"France": "FR", "Norway": "NO", "Kosovo": "XK"}


def natural_earth_path() -> Path:
    """Return the path of the Natural Earth shapefile inside the installed pyogrio.

    Raises
    ------
    DependencyError
        If pyogrio is not installed or was installed without its test fixtures.
    """
    try:
        root = importlib.resources.files("pyogrio")
    except ModuleNotFoundError as exc:
        raise DependencyError("the country layer needs pyogrio: pip install pyogrio") from exc
    path = Path(str(root.joinpath(*NATURAL_EARTH_FIXTURE)))
    if not path.is_file():
        raise DependencyError(
            f"Natural Earth countries not found at {path}: reinstall pyogrio from a wheel "
            "that ships its tests (pip install --force-reinstall pyogrio)")
    return path


@functools.cache
def _read_countries():
    import geopandas
    import pyogrio

    from recommender.firms.countries import normalise_country

    frame = pyogrio.read_dataframe(natural_earth_path())
    iso2 = []
    for name, iso3 in zip(frame["name"], frame["iso_a3"], strict=True):
        code = NE_ISO2_FIXES.get(name) if iso3 == "-99" else normalise_country(iso3)
        iso2.append(code)
    geoms = np.asarray(frame.geometry.array)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    out = pd.DataFrame({ISO2: pd.array(iso2, dtype="str"),
                        C.NAME: frame["name"].astype("str").to_numpy(),
                        CONTINENT: frame[CONTINENT].astype("str").to_numpy()})
    return geopandas.GeoDataFrame(out, geometry=geoms, crs=frame.crs).to_crs(4326)


def natural_earth_countries():
    """Return the Natural Earth countries: ``iso2``, ``name``, ``continent``, geometry.

    A GeoDataFrame in EPSG:4326, one row per Natural Earth polygon (177), read once per
    process; each call returns a copy the caller may change.

    Examples
    --------
    >>> world = natural_earth_countries()
    >>> world.crs.to_epsg(), world.set_index("iso2").loc["FR", "name"]
    (4326, 'France')
    """
    return _read_countries().copy()
