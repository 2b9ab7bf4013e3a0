"""Park profiles (园区画像) and firm needs: what a park offers and what a firm's first site needs.

A park profile says what a park offers (land, buildings, power, clean rooms), what it focuses
on (chain nodes) and who is there already (tenants); :func:`park_profiles` validates and types
it. The hard filters of :mod:`recommender.parks.scoring` compare each need with the offer of
the same resource (:data:`RESOURCES`).

**Needs** (:func:`firm_needs`) are estimated from a firm's size and its nodes' segments unless
the firm states them (columns ``need_land_ha``, ``need_building_m2``, ``need_power_mva``,
``need_clean_room_m2``). The rule, with the figures in :data:`SEGMENT_PROFILES`:

1. A first site in the region is a plant or branch that takes :data:`SITE_SHARE` of the group's
   head count, between :data:`SITE_MIN_STAFF` and :data:`SITE_MAX_STAFF` people; without a head
   count, the head count a screening plans for the firm's size class
   (:data:`PLANNING_EMPLOYEES_BY_SIZE`).
2. Floor space is staff x m² per person of the segment (instrument assembly ~45-50 m², machining
   and materials 80-90 m²); power is floor space x kVA per m²; the clean room is a share of the
   floor space: 30-35 % for optics and electronic components, 50 % for image and MEMS sensors,
   wafer inspection and semiconductor testers, 40 % for laser diodes, 10-15 % for analytical and
   medical instruments, none for machining. A first site makes the firm's main product: a firm
   in several nodes takes the figures of its strongest link (highest confidence), the most
   demanding of each among equally strong ones.
3. A site of :data:`OWN_PLANT_M2` m² or more builds its own plant: it needs land (floor space /
   :data:`FLOOR_AREA_RATIO`) and no rented building space; a smaller one rents building space
   and needs no land.
4. No size at all: every need is NaN, and NaN never excludes.

All figures are planning rules of thumb for a first screening, not engineering estimates.

>>> p = park_profiles({"park_id": "p1", "name_zh": "园", "name_en": "Park", "lat": 22.5,
...                    "lon": 113.9, "clean_room_m2": "2,000"})
>>> park_number(p.iloc[0].to_dict(), "clean_room_m2"), park_number({}, "land_ha")
(2000.0, nan)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.schemas import validate_table

__all__ = [
    "DEFAULT_PROFILE", "FLOOR_AREA_RATIO", "NEED_BASIS", "NEED_BUILDING", "NEED_CLEAN_ROOM",
    "NEED_COLUMNS", "NEED_LAND", "NEED_POWER", "NODE_CLEAN_ROOM_SHARE", "OWN_PLANT_M2",
    "PLANNING_EMPLOYEES_BY_SIZE", "RESOURCES", "SEGMENT_PROFILES", "SITE_MAX_STAFF",
    "SITE_MIN_STAFF", "SITE_SHARE", "SITE_STAFF", "SiteProfile", "firm_needs", "park_number",
    "park_profiles",
]

SITE_SHARE = 0.25
SITE_MIN_STAFF = 10.0
SITE_MAX_STAFF = 800.0
# The group head count a screening plans for when a firm gives a size class but no head count.
# Round planning figures, above the typical head count of each class up to mid
# (recommender.diagnosis.components.TYPICAL_EMPLOYEES_BY_SIZE, the geometric middle of its
# revenue band), so that a first screening does not under-size the site a park must house;
# for large and mega firms SITE_MAX_STAFF binds either way.
PLANNING_EMPLOYEES_BY_SIZE = {"nano": 10, "micro": 40, "small": 200, "mid": 1_000,
                              "large": 5_000, "mega": 20_000}
OWN_PLANT_M2 = 20_000.0
FLOOR_AREA_RATIO = 1.5  # floor space per unit of land (容积率) of a typical industrial plot
SITE_STAFF = "site_staff"
NEED_BASIS = "need_basis"  # given | employees | size_class | unknown
NEED_LAND, NEED_BUILDING = "need_land_ha", "need_building_m2"
NEED_POWER, NEED_CLEAN_ROOM = "need_power_mva", "need_clean_room_m2"
NEED_COLUMNS = [NEED_LAND, NEED_BUILDING, NEED_POWER, NEED_CLEAN_ROOM]


@dataclass(frozen=True)
class SiteProfile:
    """Planning figures of a segment: floor space per person, power density, clean-room share."""

    m2_per_staff: float
    kva_per_m2: float
    clean_room_share: float


SEGMENT_PROFILES: dict[str, SiteProfile] = {
    "optics_photonics": SiteProfile(45, 0.25, 0.30),
    "electronic_components": SiteProfile(40, 0.30, 0.35),
    "vacuum_motion": SiteProfile(60, 0.25, 0.10),
    "sensors": SiteProfile(45, 0.25, 0.25),
    "materials": SiteProfile(80, 0.40, 0.10),
    "machining_equipment": SiteProfile(90, 0.45, 0.0),
    "instrument_parts": SiteProfile(70, 0.35, 0.0),
    "industrial_measurement_control": SiteProfile(50, 0.15, 0.0),
    "electrical_measurement": SiteProfile(45, 0.15, 0.05),
    "scientific_analysis": SiteProfile(50, 0.20, 0.10),
    "medical_diagnosis": SiteProfile(50, 0.20, 0.15),
    "special_detection": SiteProfile(50, 0.20, 0.10),
    "optical_instruments": SiteProfile(45, 0.15, 0.15),
    "applications": SiteProfile(30, 0.08, 0.0),
}
DEFAULT_PROFILE = SiteProfile(50, 0.20, 0.0)  # a node of a segment not listed above
# semiconductor nodes whose assembly needs far more clean room than their segment
NODE_CLEAN_ROOM_SHARE = {"image_sensors": 0.5, "mems_sensors": 0.5, "wafer_inspection": 0.5,
                         "semiconductor_testers": 0.5, "laser_diodes": 0.4}

# (need column, park offer column, unit, Chinese label, English label)
RESOURCES = (
    (NEED_LAND, C.LAND_HA, "ha", "土地", "land"),
    (NEED_BUILDING, C.BUILDING_M2, "m2", "厂房", "building space"),
    (NEED_POWER, C.POWER_MVA, "MVA", "电力容量", "power"),
    (NEED_CLEAN_ROOM, C.CLEAN_ROOM_M2, "m2", "洁净室", "clean room"),
)


# --- park profiles --------------------------------------------------------------------------

def park_profiles(parks) -> pd.DataFrame:
    """Return park profiles validated and typed, lists parsed.

    Parameters
    ----------
    parks : DataFrame, mapping or list of mappings
        Park rows with the park columns of ``recommender.columns`` (``park_id``, names,
        ``lat``, ``lon`` required). ``focus_nodes`` and ``tenants`` may be lists, JSON text or
        ``;``-separated text. Ad-hoc profiles given as dicts go through the same validation.

    Returns
    -------
    DataFrame
        One row per park; numbers float64, ``max_new_firms`` Int64, lists of str.

    Raises
    ------
    ValidationError
        Listing every bad cell (``recommender.firms.schemas.validate_table(df, "parks")``).

    Examples
    --------
    >>> p = park_profiles({"park_id": "p1", "name_zh": "园", "name_en": "Park", "lat": 22.5,
    ...                    "lon": 113.9, "focus_nodes": '["lasers"]', "clean_room_m2": "2,000"})
    >>> p.loc[0, "focus_nodes"], float(p.loc[0, "clean_room_m2"])
    (['lasers'], 2000.0)
    """
    if isinstance(parks, Mapping):
        frame = pd.DataFrame([dict(parks)])
    elif isinstance(parks, pd.Series):
        frame = parks.to_frame().T
    elif isinstance(parks, pd.DataFrame):
        frame = parks.copy()
    else:
        frame = pd.DataFrame([dict(p) for p in parks])
        if frame.columns.empty:  # no parks at all: an empty table, not a missing column
            frame = pd.DataFrame(columns=[C.PARK_ID, C.PARK_NAME_ZH, C.PARK_NAME_EN, C.LAT,
                                          C.LON])
    for name in (C.FOCUS_NODES, C.TENANTS):
        if name in frame.columns:
            frame[name] = frame[name].map(_json_list)
    return validate_table(frame.reset_index(drop=True), "parks")


def _json_list(value):
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DataError(f"{value!r} is not a JSON list ({exc})") from exc
        return parsed if isinstance(parsed, list) else value
    return value


def park_number(park: Mapping, column: str) -> float:
    """Return a number of a park profile row, NaN when missing or not a number."""
    try:
        return float(park.get(column))
    except (TypeError, ValueError):
        return np.nan


# --- firm needs -----------------------------------------------------------------------------

def firm_needs(firms: pd.DataFrame, firm_nodes: pd.DataFrame, *, chain=None,
               firm_id: str = C.FIRM_ID, node_id: str = C.NODE_ID,
               employees: str = C.EMPLOYEES, size_class: str = C.SIZE_CLASS) -> pd.DataFrame:
    """Estimate what a first site of each firm would need (the rule is in the module docstring).

    Parameters
    ----------
    firms : DataFrame
        ``firm_id`` and, where known, ``employees`` and ``size_class``; need columns
        (:data:`NEED_COLUMNS`) the firm stated override the estimate where not missing.
    firm_nodes : DataFrame
        Firm-node links (``firm_id``, ``node_id``); the nodes' segments come from ``chain``.
    chain : Chain, optional
        Default: the embedded chain.

    Returns
    -------
    DataFrame
        One row per firm, in order: ``firm_id``, ``site_staff``, :data:`NEED_COLUMNS`
        (NaN when the firm's size is unknown) and ``need_basis``.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["a"], "employees": [2000.0]})
    >>> links = pd.DataFrame({"firm_id": ["a"], "node_id": ["lasers"]})
    >>> needs = firm_needs(firms, links)  # 500 people x 45 m² = 22,500 m²: its own plant
    >>> needs.loc[0, ["site_staff", "need_land_ha", "need_building_m2",
    ...               "need_clean_room_m2"]].astype(float).tolist()
    [500.0, 1.5, 0.0, 6750.0]
    """
    if chain is None:
        from recommender.chain import load_chain

        chain = load_chain()
    ids = firms[firm_id].astype("str").to_numpy()
    heads = (pd.to_numeric(firms[employees], errors="coerce").to_numpy(float, na_value=np.nan)
             if employees in firms else np.full(len(firms), np.nan))
    typical = (firms[size_class].map(PLANNING_EMPLOYEES_BY_SIZE)
               .to_numpy(float, na_value=np.nan)
               if size_class in firms else np.full(len(firms), np.nan))
    basis = np.where(np.isfinite(heads), "employees",
                     np.where(np.isfinite(typical), C.SIZE_CLASS, "unknown")).astype(object)
    staff = np.clip(SITE_SHARE * np.where(np.isfinite(heads), heads, typical),
                    SITE_MIN_STAFF, SITE_MAX_STAFF)
    m2, kva, clean = _site_figures(ids, firm_nodes, chain, firm_id=firm_id, node_id=node_id)
    floor = staff * m2
    own_plant = floor >= OWN_PLANT_M2
    out = pd.DataFrame({
        C.FIRM_ID: ids, SITE_STAFF: staff,
        NEED_LAND: np.where(own_plant, floor / FLOOR_AREA_RATIO / 10_000.0,
                            np.where(np.isfinite(floor), 0.0, np.nan)),
        NEED_BUILDING: np.where(own_plant, 0.0, floor),
        NEED_POWER: floor * kva / 1_000.0,
        NEED_CLEAN_ROOM: floor * clean,
        NEED_BASIS: basis,
    })
    for name in NEED_COLUMNS:
        if name in firms.columns:
            given = pd.to_numeric(firms[name], errors="coerce").to_numpy(float, na_value=np.nan)
            stated = np.isfinite(given)
            out.loc[stated, name] = given[stated]
            out.loc[stated, NEED_BASIS] = "given"
    return out


def _site_figures(ids: np.ndarray, firm_nodes: pd.DataFrame, chain, *, firm_id: str,
                  node_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per firm, the m²/person, kVA/m² and clean-room share of its strongest links (the most
    demanding of each among equally strong ones)."""
    segments = dict(zip(chain.nodes[C.NODE_ID], chain.nodes[C.SEGMENT], strict=True))
    rows = []
    for node, segment in segments.items():
        p = SEGMENT_PROFILES.get(segment, DEFAULT_PROFILE)
        rows.append((node, p.m2_per_staff, p.kva_per_m2,
                     NODE_CLEAN_ROOM_SHARE.get(node, p.clean_room_share)))
    table = pd.DataFrame(rows, columns=["node", "m2", "kva", "clean"]).set_index("node")
    links = firm_nodes[[firm_id, node_id]].astype("str")
    if C.CONFIDENCE in firm_nodes.columns:
        strength = pd.to_numeric(firm_nodes[C.CONFIDENCE], errors="coerce").fillna(0.0)
        links = links[strength >= strength.groupby(links[firm_id]).transform("max")]
    links = links[links[node_id].isin(table.index)]
    per = table.reindex(links[node_id].to_numpy()).set_axis(links[firm_id].to_numpy())
    best = per.groupby(level=0).max().reindex(ids)
    default = DEFAULT_PROFILE
    return (best["m2"].fillna(default.m2_per_staff).to_numpy(float),
            best["kva"].fillna(default.kva_per_m2).to_numpy(float),
            best["clean"].fillna(default.clean_room_share).to_numpy(float))

