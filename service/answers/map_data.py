"""What the recruitment map (全球招商地图) answers, for the API and the pages alike.

The API (``/api/v1/maps/recruitment.*``, an API key) and the map page (``/map``, a session)
answer from the same functions, so the same filters over the same snapshot give the same
bytes, computed once: the answers are kept in the snapshot's memo under the same keys.

- :func:`map_key`: what a map depends on besides the snapshot (weak link, filters, parks,
  the caller's park scope);
- :func:`recruitment_layers`, :func:`recruitment_geojson`, :func:`recruitment_png`: the
  layers of :func:`service.answers.matching.recruitment_layers` and their GeoJSON and PNG;
- :func:`basemap_geojson`: the world's countries for drawing under the layers (Natural
  Earth 1:110m as pyogrio ships it, simplified), built once per process;
- :func:`weak_link_choices`, :func:`firm_countries`: what the map page offers to choose.

Nothing here knows about Flask.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from recommender import columns as C
from service.answers import matching

__all__ = [
    "BASEMAP_PRECISION",
    "BASEMAP_TOLERANCE",
    "Basemap",
    "basemap_geojson",
    "firm_countries",
    "map_key",
    "recruitment_geojson",
    "recruitment_layers",
    "recruitment_png",
    "weak_link_choices",
]

BASEMAP_TOLERANCE = 0.05  # degrees (about 5 km): below what a 1:110m outline can show
BASEMAP_PRECISION = 2  # decimals of a basemap coordinate (about 1 km)


# --- the recruitment map ---------------------------------------------------------------------
def map_key(query: Mapping[str, Any], scope: Sequence[str] | None) -> tuple:
    """Return what a map depends on besides the snapshot, as a hashable memo key.

    ``query`` is a loaded ``MapQuerySchema`` (``weak_link``, ``k``, ``country``, ``size``,
    ``stage``, ``exclude_contacted``, ``parks``); ``scope`` the caller's parks (None: every
    park).

    >>> map_key({"weak_link": "lasers", "k": 5, "country": ["DE"], "stage": ["mou"],
    ...          "exclude_contacted": False, "parks": True}, None)
    ('lasers', 5, ('DE',), (), ('mou',), False, True, None)
    """
    return (query["weak_link"], query["k"], tuple(query.get("country") or ()),
            tuple(query.get("size") or ()), tuple(query.get("stage") or ()),
            bool(query["exclude_contacted"]), bool(query["parks"]),
            None if scope is None else tuple(scope))


def recruitment_layers(snapshot, store, key: tuple) -> dict:
    """Return the map's layers for ``key`` (from :func:`map_key`), computed once a snapshot.

    Raises NotFoundError for a node not in the chain and NotRecruitable for a downstream one.
    """
    node_id, k, country, size, stage, exclude_contacted, with_parks, scope = key

    def compute() -> dict:
        parks = matching.visible_parks(store, scope) if with_parks else None
        return matching.recruitment_layers(
            snapshot, node_id, k=k, parks=parks, country=list(country) or None,
            size=list(size) or None, stage=list(stage) or None,
            exclude_contacted=exclude_contacted)

    return snapshot.memo.get(("map-layers", *key), compute)


def recruitment_geojson(snapshot, store, key: tuple) -> bytes:
    """Return the map for ``key`` as one RFC 7946 FeatureCollection (UTF-8 bytes)."""
    return snapshot.memo.get(("map-geojson", *key), lambda: matching.geojson_bytes(
        recruitment_layers(snapshot, store, key)))


def recruitment_png(snapshot, store, key: tuple, *, lang: str) -> bytes:
    """Return the map for ``key`` drawn as a PNG with labels in ``lang``."""
    return snapshot.memo.get(("map-png", lang, *key), lambda: matching.png_bytes(
        recruitment_layers(snapshot, store, key), lang=lang))


# --- the basemap -----------------------------------------------------------------------------
class Basemap:
    """The basemap's GeoJSON ``body`` and its ``etag`` (a digest of the body)."""

    __slots__ = ("body", "etag")

    def __init__(self, body: bytes):
        self.body = body
        self.etag = hashlib.sha256(body).hexdigest()[:20]


@functools.cache
def basemap_geojson(*, tolerance: float = BASEMAP_TOLERANCE,
                    precision: int = BASEMAP_PRECISION) -> Basemap:
    """Return the world's country polygons as an RFC 7946 FeatureCollection, once a process.

    Natural Earth's 1:110m countries (:func:`recommender.maps.natural_earth_countries`),
    simplified by ``tolerance`` degrees (topology kept), coordinates rounded to ``precision``
    decimals; properties ``iso2``, ``name``, ``continent``. Feature ids are those of the
    map's ``countries`` layer (the ISO2 code, ``ne:<name>`` for a polygon without one), so a
    client joins the layer's counts to the basemap by id.

    Examples
    --------
    >>> basemap = basemap_geojson()  # doctest: +SKIP
    >>> basemap.body[:40]            # doctest: +SKIP
    b'{"type":"FeatureCollection","features":['
    """
    import shapely

    from recommender.maps import natural_earth_countries, to_geojson
    from recommender.maps.naturalearth import ISO2

    world = natural_earth_countries()
    world["geometry"] = shapely.simplify(world.geometry.to_numpy(), tolerance,
                                         preserve_topology=True)
    ids = [code if isinstance(code, str) else f"ne:{name}"
           for code, name in zip(world[ISO2].astype(object).where(world[ISO2].notna(), None),
                                 world[C.NAME], strict=True)]
    world.index = ids
    world.index.name = "id"
    return Basemap(to_geojson(world, precision=precision))


# --- what the map page offers ----------------------------------------------------------------
def weak_link_choices(snapshot, *, ranked: bool) -> list[dict[str, Any]]:
    """Return the nodes a map can be drawn for (the recruitable ones).

    ``ranked``: the caller may read rankings, so the nodes come weakest first with their rank
    and score; otherwise in the chain's order, without either.
    """
    from recommender.diagnosis.weak_links import CAN_RECRUIT

    table = snapshot.weak_links
    table = table[table[CAN_RECRUIT].fillna(False).astype(bool)]
    names = [C.NODE_ID, C.NODE_NAME_ZH, C.NODE_NAME_EN]
    if ranked:
        table = table.sort_values([C.RANK, C.NODE_ID], na_position="last")
        names += [C.RANK, C.WEAK_LINK_SCORE]
    else:
        order = {node: i for i, node in enumerate(snapshot.data.chain.nodes[C.NODE_ID])}
        table = table.assign(_order=table[C.NODE_ID].map(order)).sort_values("_order")
    return [{name: _plain(row[name]) for name in names}
            for row in table.to_dict("records")]


def firm_countries(snapshot) -> list[dict[str, Any]]:
    """Return the home countries of the snapshot's firms: ``iso2``, ``name`` (English) and
    ``firms`` (how many), by code."""
    from recommender.exceptions import NotFoundError
    from recommender.firms.countries import country_name

    counts = snapshot.data.firms[C.COUNTRY].dropna().astype("str").value_counts().sort_index()
    out = []
    for iso2, firms in counts.items():
        try:
            name = country_name(iso2)
        except NotFoundError:
            name = iso2
        out.append({"iso2": iso2, "name": name, "firms": int(firms)})
    return out


def _plain(value: Any) -> Any:
    """numpy scalars as plain values; a missing one as None."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None or value != value:  # NaN
        return None
    return value
