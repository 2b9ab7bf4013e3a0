"""The local plant of a project in production: its firm becomes a local supplier of its link.

When a project reaches 投产 production, the firm makes the link's product in the region. The
plant is stored as a firm of its own, so that every reader of the firm register (the weak-link
diagnosis above all, through :func:`recommender.diagnosis.locality.local_mask`) sees a local
supplier without knowing about projects:

- ``firm_id`` :func:`plant_firm_id` (the firm's id, ``@``, the region's id), ``firm_key`` the
  firm's key likewise, names with the region's (``… (Guangdong)``, ``…（广东省）``);
- in the region's country and province, in the intended park's city and at its coordinates
  when the project names a park (else at the region's core);
- its head count the project's planned jobs; ``source`` ``project <id>``; synthetic when the
  firm is;
- linked to the project's node by method :data:`METHOD_PROJECT`, confidence 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.store import models as M
from recommender.store import pipeline_tables as PT
from recommender.store.writes import replace_rows, upsert_firms

__all__ = ["METHOD_PROJECT", "add_plant", "plant_firm_id"]

METHOD_PROJECT = "project"  # the method of a plant's link to its project's node


def plant_firm_id(firm_id: str, region_id: str) -> str:
    """Return the id of a firm's plant in a region.

    >>> plant_firm_id("ref-keyence", "guangdong")
    'ref-keyence@guangdong'
    """
    return f"{firm_id}@{region_id}"


def add_plant(conn: sa.Connection, project: Mapping[str, Any], region, *,
              now: dt.datetime) -> str:
    """Store (or refresh) the plant of ``project`` in ``region`` and its link; return its id."""
    firm = conn.execute(sa.select(M.FIRMS).where(
        M.FIRMS.c[C.FIRM_ID] == project[C.FIRM_ID])).first()._mapping
    plant_id = plant_firm_id(firm[C.FIRM_ID], region.id)
    city, lat, lon = _site(conn, project.get(C.PARK_ID), region)
    name = firm[C.NAME] or firm[C.NAME_ZH] or firm[C.FIRM_ID]
    row = {
        C.FIRM_ID: plant_id, C.FIRM_KEY: plant_firm_id(firm[C.FIRM_KEY], region.id),
        C.NAME: f"{name} ({region.name_en})",
        C.NAME_ZH: f"{firm[C.NAME_ZH] or name}（{region.name_zh}）",
        C.COUNTRY: region.country, C.PROVINCE: region.name_en, C.CITY: city,
        C.LAT: lat, C.LON: lon, C.EMPLOYEES: _jobs(project.get(PT.PLANNED_JOBS)),
        C.SIZE_CLASS: firm[C.SIZE_CLASS], C.SOURCE: f"project {project[M.ID]}",
        C.IS_SYNTHETIC: bool(firm[C.IS_SYNTHETIC]),
    }
    upsert_firms(conn, pd.DataFrame([row]), now)
    link = pd.DataFrame([{C.FIRM_ID: plant_id, C.NODE_ID: project[C.NODE_ID],
                          C.METHOD: METHOD_PROJECT, C.CONFIDENCE: 1.0,
                          C.EVIDENCE: f"project {project[M.ID]} reached production"}])
    links = M.FIRM_NODES
    replace_rows(conn, links, link, where=links.c[C.METHOD] == METHOD_PROJECT,
                 scope_column=C.FIRM_ID, scope=[plant_id])
    return plant_id


def _site(conn: sa.Connection, park_id: str | None, region) -> tuple[Any, float, float]:
    """The city and coordinates of the intended park, else none and the region's core."""
    park = None
    if park_id:
        park = conn.execute(sa.select(M.PARKS).where(M.PARKS.c[C.PARK_ID] == park_id)).first()
    if park is None:
        return None, float(region.core_lat), float(region.core_lon)
    park = park._mapping
    cities = region.cities.set_index(C.CITY_ID)[C.CITY_NAME_EN]
    city = cities.get(park[C.CITY_ID]) if park[C.CITY_ID] is not None else None
    lat = park[C.LAT] if park[C.LAT] is not None else region.core_lat
    lon = park[C.LON] if park[C.LON] is not None else region.core_lon
    return city, float(lat), float(lon)


def _jobs(jobs: Any) -> float | None:
    return float(jobs) if jobs is not None else None
