"""The inputs of the weak-link components, one function per input, each per node of the chain.

:func:`recommender.diagnosis.weak_links.diagnose_weak_links` combines them; its module
docstring gives the formulas. Here: the size-weighted local activity (:func:`local_supply`,
with :func:`size_weight`), the mean yearly imports by origin (:func:`imports_by_origin`), the
export-control table (:func:`control_table`), the chain leaders' needs (:func:`leader_need`;
who entered each and when: :func:`leader_need_dates`) and the downstream reach and
criticality (:func:`downstream_criticality`), plus the two scalings the components share
(:func:`in_median_units`, :func:`scaled_to_max`).

>>> firms = pd.DataFrame({"employees": [99.0, None, None], "size_class": [None, "small", None]})
>>> size_weight(firms, employees="employees", size_class="size_class").round(3).tolist()
[4.605, 4.71, 4.657]
>>> in_median_units(np.array([0.0, 1.0, 2.0, 4.0])).tolist()
[0.0, 0.5, 1.0, 2.0]
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import CONSUMER, SUPPLIER, WEIGHT, Chain
from recommender.diagnosis.locality import core_distance_km, local_mask
from recommender.exceptions import DataError
from recommender.store.models import AS_OF, ENTERED_BY

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_EMPLOYEES",
    "TYPICAL_EMPLOYEES_BY_SIZE",
    "control_table",
    "downstream_criticality",
    "imports_by_origin",
    "in_median_units",
    "leader_need",
    "leader_need_dates",
    "local_supply",
    "require_known_nodes",
    "scaled_to_max",
    "size_weight",
]

# The typical head count of a firm of each size class, for firms that give a class but no head
# count: a local firm's activity is weighed by ln(1 + head count). The classes are revenue bands
# (recommender.demo.universe.SIZE_BOUNDS_MUSD: < 2, 10, 50, 500, 5000 million USD, then more);
# the counts are their rough geometric middles at 0.2 million USD of revenue per employee. The
# park screening plans sites with rounder, larger figures
# (recommender.parks.profiles.PLANNING_EMPLOYEES_BY_SIZE).
TYPICAL_EMPLOYEES_BY_SIZE = {"nano": 5, "micro": 25, "small": 110, "mid": 800, "large": 8000,
                             "mega": 40000}
# Head count assumed when no local firm gives a head count or a size class at all.
DEFAULT_EMPLOYEES = 50
# Confidence of a firm-node link that gives none: the link counts in full.
DEFAULT_CONFIDENCE = 1.0


# --- inputs ----------------------------------------------------------------------------------

def local_supply(ids: list[str], region, firms: pd.DataFrame, firm_nodes: pd.DataFrame,
                 radius: float, *, firm_id, node_id, confidence, employees, size_class,
                 country, province, city, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Return the size-weighted local activity and the count of local firms, per node."""
    n = len(ids)
    if firms.empty or firm_nodes.empty:
        return np.zeros(n), np.zeros(n, dtype=np.int64)
    local = firms.loc[local_mask(firms, region, country=country, province=province, city=city)]
    local = local.drop_duplicates(firm_id)
    links = firm_nodes.loc[firm_nodes[firm_id].isin(local[firm_id])
                           & firm_nodes[node_id].isin(ids), [firm_id, node_id]].copy()
    conf = (firm_nodes.loc[links.index, confidence] if confidence in firm_nodes.columns
            else pd.Series(np.nan, index=links.index))
    links["conf"] = pd.to_numeric(conf, errors="coerce").fillna(DEFAULT_CONFIDENCE).clip(0, 1)
    links = links.groupby([firm_id, node_id], as_index=False, sort=False)["conf"].max()
    links = links[links["conf"] > 0]
    if links.empty:
        return np.zeros(n), np.zeros(n, dtype=np.int64)

    firm_weight = size_weight(local, employees=employees, size_class=size_class)
    distance = core_distance_km(local, region, lat=lat, lon=lon) if {lat, lon} <= set(
        local.columns) else np.full(len(local), np.nan)
    reach = np.where(np.isnan(distance) | (distance <= radius), 1.0,
                     radius / np.maximum(distance, radius))
    per_firm = pd.Series(firm_weight * reach, index=local[firm_id].to_numpy())
    weight = per_firm.reindex(links[firm_id]).to_numpy(float)
    position = pd.Series(np.arange(n), index=ids)
    where = position.reindex(links[node_id]).to_numpy()
    supply = np.bincount(where, weights=weight * links["conf"].to_numpy(float), minlength=n)
    count = np.bincount(where, minlength=n)
    return supply, count


def size_weight(local: pd.DataFrame, *, employees: str, size_class: str) -> np.ndarray:
    """Return ln(1 + head count): the firm's own, else its size class's, else the median."""
    n = len(local)
    heads = (pd.to_numeric(local[employees], errors="coerce").to_numpy(float, na_value=np.nan)
             if employees in local.columns else np.full(n, np.nan))
    heads = np.where(heads >= 0, heads, np.nan)
    if size_class in local.columns:
        by_class = (local[size_class].astype("string").str.strip().str.lower()
                    .map(TYPICAL_EMPLOYEES_BY_SIZE).to_numpy(float, na_value=np.nan))
        heads = np.where(np.isnan(heads), by_class, heads)
    weight = np.log1p(heads)
    known = weight[~np.isnan(weight)]
    fallback = float(np.median(known)) if len(known) else math.log1p(DEFAULT_EMPLOYEES)
    return np.where(np.isnan(weight), fallback, weight)


def imports_by_origin(chain: Chain, imports: pd.DataFrame
                      ) -> tuple[pd.DataFrame, set[str], list[int], list[str]]:
    """Return mean yearly imports (node x origin), nodes with import rows, years, unmatched codes.

    A code's value is split evenly among the nodes it belongs to
    (:meth:`recommender.chain.Chain.nodes_for_hs`: a 6-digit code matches a node listing it
    or its 4-digit heading), then divided by the number of years in the table.
    """
    empty = pd.DataFrame(index=pd.Index([], name=C.NODE_ID), dtype="float64")
    if imports is None or imports.empty:
        return empty, set(), [], []
    codes = imports[C.HS_CODE].astype(str).str.strip()
    mapping = []
    unmatched = []
    for code in codes.unique():
        found = chain.nodes_for_hs(code)
        if not found:
            unmatched.append(code)
        mapping += [(code, node, 1.0 / len(found)) for node in found]
    years = sorted(int(y) for y in pd.unique(imports[C.YEAR].dropna()))
    table = pd.DataFrame(mapping, columns=[C.HS_CODE, C.NODE_ID, "split"])
    rows = pd.DataFrame({C.HS_CODE: codes.to_numpy(),
                         C.ORIGIN: imports[C.ORIGIN].astype(str).str.strip().str.upper()
                         .to_numpy(),
                         C.VALUE_USD: pd.to_numeric(imports[C.VALUE_USD], errors="coerce")
                         .fillna(0.0).to_numpy(float)}).merge(table, on=C.HS_CODE)
    if rows.empty:
        return empty, set(), years, unmatched
    rows["value"] = rows[C.VALUE_USD] * rows["split"] / max(len(years), 1)
    by_origin = rows.pivot_table(index=C.NODE_ID, columns=C.ORIGIN, values="value",
                                 aggfunc="sum", fill_value=0.0)
    return by_origin, set(rows[C.NODE_ID]), years, unmatched


def control_table(ids: list[str], controls: pd.DataFrame, restricted: list[str]
                  ) -> pd.DataFrame:
    """Return control (origin x node, NaN where the region gives none), with the what-if."""
    table = pd.DataFrame(index=pd.Index([], name=C.ORIGIN), columns=ids, dtype="float64")
    if controls is not None and not controls.empty:
        require_known_nodes(controls, ids, "export_controls")
        given = controls.assign(**{C.ORIGIN: controls[C.ORIGIN].astype(str).str.upper()})
        table = given.pivot_table(index=C.ORIGIN, columns=C.NODE_ID, values=C.CONTROL,
                                  aggfunc="max").reindex(columns=ids).clip(0.0, 1.0)
    for origin in restricted:
        table.loc[origin, :] = 1.0
    return table


def leader_need(ids: list[str], needs: pd.DataFrame) -> np.ndarray:
    """Return the summed needs of the region's chain leaders per node (0 where none)."""
    if needs is None or needs.empty:
        return np.zeros(len(ids))
    require_known_nodes(needs, ids, "leader_needs")
    summed = needs.groupby(C.NODE_ID)[C.NEED].sum()
    return summed.reindex(ids, fill_value=0.0).to_numpy(float)


def leader_need_dates(needs: pd.DataFrame) -> dict[str, dict]:
    """Return, per node, the newest need a leader entered: its firm, day and author.

    Needs entered through the service carry ``as_of`` and ``entered_by``; those that came with
    the region's files carry neither and are left out.
    """
    if needs is None or needs.empty or AS_OF not in needs.columns:
        return {}
    dated = needs[needs[AS_OF].notna()].sort_values(AS_OF, kind="stable")
    return {row[C.NODE_ID]: {C.LEADER_FIRM_ID: row[C.LEADER_FIRM_ID], AS_OF: row[AS_OF],
                             ENTERED_BY: row.get(ENTERED_BY)}
            for row in dated.to_dict("records")}


def downstream_criticality(chain: Chain) -> tuple[np.ndarray, np.ndarray]:
    """Return (downstream reach, criticality) per node in file order."""
    ids = chain.node_ids
    position = {v: i for i, v in enumerate(ids)}
    n = len(ids)
    reach = np.array([len(nx.descendants(chain.graph, v)) for v in ids], dtype=np.int64)
    direct = np.zeros((n, n))
    for s, c, w in chain.edges[[SUPPLIER, CONSUMER, WEIGHT]].itertuples(index=False):
        direct[position[s], position[c]] = 0.0 if math.isnan(w) else w
    # sum_k W^k: exact on an acyclic chain (W is nilpotent); paths up to n edges with cycles
    total, power = np.zeros((n, n)), direct.copy()
    for _ in range(n):
        if not power.any():
            break
        total += power
        power = power @ direct
    linkage = total.sum(axis=1)
    return reach, 0.5 * (scaled_to_max(reach) + scaled_to_max(linkage))


# --- scalings --------------------------------------------------------------------------------

def in_median_units(values: np.ndarray) -> np.ndarray:
    """Return values over their median among the positive ones (zeros stay zero)."""
    positive = values[values > 0]
    return values / np.median(positive) if len(positive) else np.zeros_like(values, float)


def scaled_to_max(values: np.ndarray) -> np.ndarray:
    """Return values over their maximum (all zeros when none is positive)."""
    values = np.asarray(values, dtype=float)
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def require_known_nodes(table: pd.DataFrame, ids: list[str], name: str) -> None:
    """Raise DataError naming the region table ``name`` if it names a node not in ``ids``."""
    unknown = sorted(set(table[C.NODE_ID].astype(str)) - set(ids))
    if unknown:
        raise DataError(f"region table {name}: node(s) not in the chain: {', '.join(unknown[:5])}")
