"""What the park-matching and map views answer, from one :class:`service.runtime.state.Snapshot`.

Firms, their chain links, the chain and the region come from the snapshot (the data its
scores were computed over); parks come from the store, filtered to what the caller's key may
see. The library does the work, called as the command line calls it
(:mod:`recommender.cli.parks`, :mod:`recommender.cli.maps`):
:func:`recommender.parks.matching.park_matches`,
:func:`~recommender.parks.matching.firm_parks`,
:func:`~recommender.parks.matching.matches_for_parks`,
:func:`recommender.parks.assignment.assign_firms_to_parks`,
:func:`recommender.maps.recruitment_map`,
:func:`recommender.maps.to_png`. Nothing here knows about Flask.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from recommender import columns as C
from recommender.exceptions import NotFoundError
from recommender.parks.park_reasons import EXCLUDED_REASON_EN, EXCLUDED_REASON_ZH
from recommender.parks.scoring import CAPACITY_FIT, EXCLUDED, FOCUS_FIT, PROXIMITY, SYNERGY
from recommender.targeting.export_columns import (
    DATA_KIND,
    LAST_CONTACT,
    LAST_CONTACT_STAGE,
    OTHER_NAME,
    REASON,
    REGISTRATION,
)

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "EXCLUDED_REASON",
    "PARK_MATCH_EXPORT_COLUMNS",
    "PARK_MATCH_HEADERS",
    "assignment",
    "capacities",
    "firm_park_rows",
    "geojson_bytes",
    "local_firm_ids",
    "park_match_file",
    "park_match_rows",
    "png_bytes",
    "records",
    "recruitment_layers",
    "visible_park",
    "visible_parks",
]

ASSIGNMENT_COLUMNS = [C.PARK_ID, C.FIRM_ID, C.SCORE, C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY,
                      C.REASON_ZH, C.REASON_EN]
_REC_COLUMNS = [C.FIRM_ID, C.NODE_ID, C.LAT, C.LON, C.SCORE, C.RANK, C.COUNTRY]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and NA as null)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))


# --- parks ------------------------------------------------------------------------------------
def visible_parks(store, scope: Sequence[str] | None,
                  park_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the parks a key may see (``scope``: its parks, or None for every park).

    With ``park_ids``, only those; one that does not exist or is outside ``scope`` raises
    NotFoundError, the same for both.
    """
    parks = store.parks()
    if scope is not None:
        parks = parks[parks[C.PARK_ID].isin(list(scope))]
    if park_ids is not None:
        wanted = list(dict.fromkeys(park_ids))
        missing = [p for p in wanted if p not in set(parks[C.PARK_ID])]
        if missing:
            raise NotFoundError(f"no park {missing[0]!r}")
        parks = parks[parks[C.PARK_ID].isin(wanted)]
    return parks.reset_index(drop=True)


def visible_park(store, park_id: str, scope: Sequence[str] | None) -> dict[str, Any]:
    """Return one park's stored profile; outside ``scope`` it is as absent as an unknown one."""
    if scope is not None and park_id not in scope:
        raise NotFoundError(f"no park {park_id!r}")
    return store.park(park_id)


def local_firm_ids(snapshot) -> list[str]:
    """Ids of the snapshot's firms located in the region (they are supply already)."""
    from recommender.diagnosis.locality import local_mask

    def compute() -> list[str]:
        firms = snapshot.data.firms
        return firms.loc[local_mask(firms, snapshot.data.region), C.FIRM_ID].astype(
            "str").tolist()

    return snapshot.memo.get(("local-firms",), compute)


def park_match_rows(snapshot, park, *, k: int, include_excluded: bool = False,
                    exclude_local: bool = True) -> list[dict[str, Any]]:
    """Rank the snapshot's firms for one park (stored or ad hoc): hard filters on its offer,
    then synergy with tenants, focus fit, capacity fit and proximity, with reasons."""
    from recommender.parks.matching import park_matches

    data = snapshot.data
    exclude = local_firm_ids(snapshot) if exclude_local else []
    table = park_matches(park, data.firms, data.firm_nodes, data.chain, k=k,
                         include_excluded=include_excluded, exclude=exclude)
    return records(table)


def firm_park_rows(snapshot, firm_id: str, parks: pd.DataFrame, *, k: int | None = None,
                   include_excluded: bool = False) -> list[dict[str, Any]]:
    """Rank ``parks`` for one firm of the snapshot (NotFoundError for an unknown firm)."""
    from recommender.parks.matching import firm_parks

    data = snapshot.data
    table = firm_parks(firm_id, parks, data.firm_nodes, data.chain, firms=data.firms, k=k,
                       include_excluded=include_excluded)
    return records(table)


def capacities(parks: pd.DataFrame) -> pd.DataFrame:
    """``park_id`` and ``max_new_firms`` of ``parks``; a park that states none takes none."""
    out = parks[[C.PARK_ID, C.MAX_NEW_FIRMS]].copy()
    out[C.MAX_NEW_FIRMS] = pd.to_numeric(out[C.MAX_NEW_FIRMS], errors="coerce").fillna(0) \
        .astype("int64")
    return out


def assignment(snapshot, parks: pd.DataFrame, *, k_per_park: int,
               exclude_local: bool = True) -> dict[str, Any]:
    """Give each firm at most one of ``parks``, each park at most ``max_new_firms`` firms, the
    total match score as high as possible (scores: the park-matching prior).

    Each park's ``k_per_park`` best admitted firms are the candidates; the solver is
    :func:`recommender.parks.assignment.assign_firms_to_parks`:
    ``scipy.optimize.linear_sum_assignment``
    over park slots (each park expanded into as many slots as it can take), exact over the
    candidates.
    """
    from recommender.parks.assignment import assign_firms_to_parks
    from recommender.parks.matching import matches_for_parks
    from recommender.parks.scoring import EXCLUDED

    data = snapshot.data
    caps = capacities(parks)
    exclude = local_firm_ids(snapshot) if exclude_local else []
    table = matches_for_parks(parks, data.firms, data.firm_nodes, data.chain, k=k_per_park,
                              exclude=exclude)
    result = assign_firms_to_parks(table[~table[EXCLUDED]], caps)
    shown = result[[c for c in ASSIGNMENT_COLUMNS if c in result.columns]]
    return {
        C.MODEL_VERSION: snapshot.model_version, "data_version": snapshot.data_version,
        "k_per_park": k_per_park, "exclude_local": exclude_local,
        "total": float(result.attrs["total"]), "top_m": int(result.attrs["top_m"]),
        "capacities": {str(p): int(c) for p, c in zip(caps[C.PARK_ID], caps[C.MAX_NEW_FIRMS],
                                                      strict=True)},
        "open_slots": dict(result.attrs["open_slots"]),
        "assignments": records(shown),
    }


# --- park matches as a file -----------------------------------------------------------------
EXCLUDED_REASON = "excluded_reason"  # a file's column: why a firm is excluded, in its language
PARK_MATCH_EXPORT_COLUMNS = [
    C.RANK, C.NAME, OTHER_NAME, C.COUNTRY, C.CITY, C.SIZE_CLASS, C.WEBSITE, REGISTRATION,
    C.SCORE, SYNERGY, FOCUS_FIT, CAPACITY_FIT, PROXIMITY, C.DISTANCE_KM, EXCLUDED,
    EXCLUDED_REASON, REASON, LAST_CONTACT, LAST_CONTACT_STAGE, DATA_KIND, C.FIRM_ID,
]
# what a park-match file's own columns are called, mean and show as: (zh, en) and formats
PARK_MATCH_HEADERS = {
    C.SCORE: ("匹配度（0–1）", "Match (0–1)"), SYNERGY: ("产业协同", "Synergy"),
    FOCUS_FIT: ("主导产业契合", "Focus fit"), CAPACITY_FIT: ("承载能力", "Capacity fit"),
    PROXIMITY: ("区位邻近", "Proximity"), C.DISTANCE_KM: ("距离（公里）", "Distance (km)"),
    EXCLUDED: ("超出园区供给", "Excluded"), EXCLUDED_REASON: ("排除原因", "Why excluded"),
    REASON: ("匹配理由", "Reasons"),
}
_PARK_MATCH_DESCRIPTIONS = {
    C.RANK: ("符合园区条件的企业中的位置；超出园区供给的企业无排名",
             "Position among the firms the park can take; none for an excluded firm"),
    C.SCORE: ("0–1：企业与园区的匹配度，由以下四项加权", "0–1: how well the firm suits the park, "
              "the weighted sum of the next four parts"),
    SYNERGY: ("与园区企业及周边企业的上下游协同",
              "Chain links with the park's tenants and neighbours"),
    FOCUS_FIT: ("与园区主导产业（重点环节）的契合", "Fit to the park's focus nodes"),
    CAPACITY_FIT: ("园区土地、厂房、电力、洁净室对企业需求的余量",
                   "Headroom of the park's land, buildings, power and clean rooms over the "
                   "firm's needs"),
    PROXIMITY: ("总部与园区的距离，或已在中国、大湾区经营",
                "Nearness of the head office, or presence in China or the Greater Bay Area"),
    C.DISTANCE_KM: ("总部到园区的大圆距离", "Great-circle distance from the head office"),
    EXCLUDED: ("企业需求超出园区供给（硬性条件）", "A need exceeds the park's offer (hard filter)"),
    EXCLUDED_REASON: ("超出的是哪项供给", "Which part of the offer falls short"),
    REASON: ("匹配的主要理由", "Why the firm suits the park"),
}
_PARK_MATCH_FORMATS = {SYNERGY: "0.00", FOCUS_FIT: "0.00", CAPACITY_FIT: "0.00",
                       PROXIMITY: "0.00", C.DISTANCE_KM: "#,##0"}


def park_match_file(snapshot, answer: dict[str, Any], lang: str) -> tuple[pd.DataFrame, dict]:
    """Return a :func:`service.answers.portraits.park_matches` answer as rows of a file in
    ``lang`` (the firms completed as for a ranked list, by
    :func:`recommender.targeting.export_rows.officer_rows`), and how to lay it out: the
    ``about``, ``headers``, ``descriptions`` and ``number_formats`` that
    :func:`recommender.targeting.exports.to_xlsx_bytes` takes."""
    from recommender.store.models import DATA_VERSION
    from recommender.targeting.export_rows import officer_rows
    from recommender.targeting.exports import About

    frame = pd.DataFrame(answer["items"])
    rows = officer_rows(frame, lang=lang, firms=snapshot.data.firms,
                        outcomes=snapshot.data.outcomes)
    if len(rows):
        rows[EXCLUDED_REASON] = rows[EXCLUDED_REASON_ZH if lang == "zh" else EXCLUDED_REASON_EN]
    park = answer["park"]
    name = park.get(C.NAME_ZH if lang == "zh" else C.NAME_EN) or park.get(C.PARK_ID)
    about = About(title=f"园区匹配：{name}" if lang == "zh" else f"Park matches: {name}",
                  data_version=answer.get(DATA_VERSION),
                  model_version=answer.get(C.MODEL_VERSION))
    layout = {"about": about, "headers": PARK_MATCH_HEADERS,
              "descriptions": _PARK_MATCH_DESCRIPTIONS, "number_formats": _PARK_MATCH_FORMATS,
              "sheet": "园区匹配" if lang == "zh" else "Park matches"}
    return rows, layout


# --- maps -------------------------------------------------------------------------------------
def recruitment_layers(snapshot, node_id: str, *, k: int, parks: pd.DataFrame | None,
                       country: Sequence[str] | None = None, size: Sequence[str] | None = None,
                       stage: Sequence[str] | None = None,
                       exclude_contacted: bool = False) -> dict:
    """Return the map layers of one weak link's top ``k`` firms, as the snapshot ranks them.

    With ``parks``, the firms are matched to them (the recommendation score blended into the
    park prior) and assigned within capacities; the flows draw the assignment. The flows show
    each pair's score, not its reasons, so the matching writes none (``reasons=False``: a
    first map of 500 firms would otherwise spend most of its time on text it never shows).
    """
    from recommender.maps import recruitment_map
    from recommender.parks.assignment import assign_firms_to_parks
    from recommender.parks.matching import matches_for_parks
    from recommender.parks.scoring import EXCLUDED, near_parks
    from service.answers.rankings import recommendation_positions

    top, _ = recommendation_positions(snapshot, node_id, k=k, country=country, size=size,
                                      stage=stage, exclude_contacted=exclude_contacted)
    recs = _rec_frame(snapshot.scores.items(top))
    data = snapshot.data
    matches = None
    if parks is not None and len(recs) and len(parks):
        ids = set(recs[C.FIRM_ID].astype("str"))
        # A pair's score is the firm's own, the park's tenants' or its neighbours' (firms near
        # the park, read for the synergy and never matched themselves): no other firm's links.
        every = data.firms[C.FIRM_ID].astype("str")
        near = set(every[near_parks(data.firms, parks)]) - ids
        firms = data.firms[every.isin(ids | near)]
        tenants = {str(t) for listed in parks.get(C.TENANTS, ()) for t in (listed or [])}
        links = data.firm_nodes[data.firm_nodes[C.FIRM_ID].astype("str").isin(
            ids | tenants | near)]
        table = matches_for_parks(parks, firms, links, data.chain, k=len(recs),
                                  scores=recs[[C.FIRM_ID, C.SCORE]], reasons=False,
                                  exclude=near)
        matches = assign_firms_to_parks(table[~table[EXCLUDED]], capacities(parks))
    return recruitment_map(recs, parks=parks if parks is not None and len(parks) else None,
                           matches=matches, node_names=data.chain)


def _rec_frame(items: list[dict]) -> pd.DataFrame:
    """Recommendation rows as ``recruitment_map`` takes them (provenance flattened)."""
    if not items:
        return pd.DataFrame({c: pd.Series(dtype=float if c in (C.LAT, C.LON, C.SCORE)
                                          else object) for c in _REC_COLUMNS})
    frame = pd.DataFrame(items)
    frame[C.SOURCE] = [p[C.SOURCE] for p in frame["provenance"]]
    frame[C.IS_SYNTHETIC] = [p[C.IS_SYNTHETIC] for p in frame["provenance"]]
    return frame.drop(columns="provenance")


def geojson_bytes(layers: dict) -> bytes:
    """One RFC 7946 FeatureCollection of every layer's features, each with a ``layer``
    property (as ``recommender.maps.write_map`` writes a ``.geojson`` file)."""
    from recommender.maps import LAYER
    from recommender.maps.geojson import encoded_features, feature_collection

    return feature_collection([encoded_features(frame, extra={LAYER: name})
                               for name, frame in layers.items() if frame is not None])


def png_bytes(layers: dict, *, lang: str, title: str | None = None) -> bytes:
    """The map drawn as a PNG (labels in ``lang``; English without a CJK font)."""
    from recommender.maps import to_png

    buffer = io.BytesIO()
    to_png({k: v for k, v in layers.items() if v is not None}, buffer, title=title, lang=lang)
    return buffer.getvalue()
