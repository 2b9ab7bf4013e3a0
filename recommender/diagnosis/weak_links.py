"""Weak-link diagnosis (薄弱环节): score every node of a region's chain, with its parts.

:func:`diagnose_weak_links` reads the chain, the region's tables and the firm register, and
returns one row per node with six components in [0, 1] and their weighted sum. The inputs of
the components are computed in :mod:`recommender.diagnosis.components`; for node ``v``:

``local_gap``
    ``1 - s / (s + s_med)``: ``s`` is the size-weighted local activity in ``v`` (local firms
    as :func:`recommender.diagnosis.locality.local_mask` sees them; each counts with
    ``ln(1 + employees)`` times the confidence of its link, in full within ``radius_km`` of
    the region's core and ``radius_km / distance`` beyond; a firm without a head count takes
    its size class's typical one, else the median weight of the local firms), ``s_med`` the
    median ``s`` over the nodes with any local activity. No local firm gives a gap of 1; the
    median node, 0.5.
``demand``
    the mean of the import part ``m / (m + m_med)`` (``m`` the mean yearly import value of the
    node's HS codes, ``m_med`` its median over the nodes with imports) and the leader part
    ``n / n_max`` (``n`` the summed needs of the region's chain leaders for the node). A
    6-digit import code belongs to the nodes listing it or its 4-digit heading; when several
    nodes share a code, its value is split evenly among them.
``import_dependence``
    ``a / (a + b)`` with ``a = m / m_med`` and ``b = s / s_med``: the imported share of the
    node's apparent supply, each side counted in units of its median node, since import
    dollars and local activity have no common unit. 0 without imports, 1 with imports and no
    local activity.
``source_concentration``
    the Herfindahl-Hirschman index of the origin countries' shares of ``m``.
``export_control_exposure``
    ``sum_o share_o * control_(o, v)``: the import-weighted export control of the origins.
``criticality``
    the mean of ``r / r_max`` (``r`` the number of nodes downstream of ``v``) and
    ``f / f_max`` (``f`` the forward linkage: the sum over downstream nodes of ``v``'s direct
    and indirect cost share, ``sum_k W^k`` over the edges' weights; an edge without a weight
    adds reach but no cost share).

``weak_link_score = sum_c weight_c * component_c``, the weights from
:class:`~recommender.config.Settings` (``weight_local_gap`` …) or ``weights``.

Missing inputs are never silent. A node has ``has_imports``, ``has_leader_needs``,
``has_export_controls`` and ``has_local_firms`` False where the region gave no such input
for it; the input then counts as 0 (no imports, no need, no control, no local activity,
hence a full local gap), and ``missing_inputs`` lists the components computed from it.

Only upstream and midstream nodes can be weak links to recruit for (``can_recruit``);
downstream nodes are the application sectors that create demand. They keep a row and a
score, for a complete picture, but no ``rank`` and no weight in :func:`weak_link_weights`.

>>> from recommender.chain import load_chain
>>> from recommender.demo.world import load_reference_firms, load_region
>>> table = diagnose_weak_links(load_chain(), load_region(), *load_reference_firms())
>>> table.loc[0, "node_id"], round(float(table.loc[0, "weak_link_score"]), 2)
('photodetectors', 0.67)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import Chain
from recommender.diagnosis.components import (
    control_table,
    downstream_criticality,
    imports_by_origin,
    in_median_units,
    leader_need,
    leader_need_dates,
    local_supply,
    scaled_to_max,
)
from recommender.exceptions import InvalidArgument

__all__ = [
    "CAN_RECRUIT",
    "COMPONENT_SETTINGS",
    "DOWNSTREAM_REACH",
    "HAS_EXPORT_CONTROLS",
    "HAS_IMPORTS",
    "HAS_LEADER_NEEDS",
    "HAS_LOCAL_FIRMS",
    "MISSING_INPUTS",
    "RECRUITABLE_STAGES",
    "WEAK_LINK_COLUMNS",
    "component_weights",
    "diagnose_weak_links",
    "explain_weak_link",
    "weak_link_weights",
]

# Columns that only the diagnosis table uses (the shared ones live in columns.py).
CAN_RECRUIT = "can_recruit"
DOWNSTREAM_REACH = "downstream_reach"
HAS_IMPORTS = "has_imports"
HAS_LEADER_NEEDS = "has_leader_needs"
HAS_EXPORT_CONTROLS = "has_export_controls"
HAS_LOCAL_FIRMS = "has_local_firms"
MISSING_INPUTS = "missing_inputs"

WEAK_LINK_COLUMNS = [
    C.NODE_ID, C.NODE_NAME_ZH, C.NODE_NAME_EN, C.STAGE, C.SEGMENT, CAN_RECRUIT,
    C.LOCAL_FIRMS, C.LOCAL_SUPPLY, C.LOCAL_GAP, C.IMPORT_VALUE, C.LEADER_NEED, C.DEMAND,
    C.IMPORT_DEPENDENCE, C.CONCENTRATION, C.EXPORT_CONTROL, DOWNSTREAM_REACH, C.CRITICALITY,
    C.WEAK_LINK_SCORE, C.RANK, HAS_IMPORTS, HAS_LEADER_NEEDS, HAS_EXPORT_CONTROLS,
    HAS_LOCAL_FIRMS, MISSING_INPUTS,
]

RECRUITABLE_STAGES = ("upstream", "midstream")

# component column -> the Settings field holding its weight
COMPONENT_SETTINGS = {
    C.LOCAL_GAP: "weight_local_gap",
    C.DEMAND: "weight_demand",
    C.IMPORT_DEPENDENCE: "weight_import_dependence",
    C.CONCENTRATION: "weight_concentration",
    C.EXPORT_CONTROL: "weight_export_control",
    C.CRITICALITY: "weight_criticality",
}

# components computed from each input, for ``missing_inputs``
_FROM_INPUT = {
    HAS_LOCAL_FIRMS: (C.LOCAL_GAP, C.IMPORT_DEPENDENCE),
    HAS_IMPORTS: (C.DEMAND, C.IMPORT_DEPENDENCE, C.CONCENTRATION, C.EXPORT_CONTROL),
    HAS_LEADER_NEEDS: (C.DEMAND,),
    HAS_EXPORT_CONTROLS: (C.EXPORT_CONTROL,),
}
_ISO2 = re.compile(r"[A-Z]{2}")


def diagnose_weak_links(
    chain: Chain,
    region,
    firms: pd.DataFrame,
    firm_nodes: pd.DataFrame,
    *,
    settings=None,
    weights: Mapping[str, float] | None = None,
    radius_km: float | None = None,
    restrict: Iterable[str] = (),
    firm_id: str = C.FIRM_ID,
    node_id: str = C.NODE_ID,
    confidence: str = C.CONFIDENCE,
    employees: str = C.EMPLOYEES,
    size_class: str = C.SIZE_CLASS,
    country: str = C.COUNTRY,
    province: str = C.PROVINCE,
    city: str = C.CITY,
    lat: str = C.LAT,
    lon: str = C.LON,
) -> pd.DataFrame:
    """Score every node of ``chain`` as a weak link of ``region``, with every component.

    Pure: reads only its arguments. The formulas are in the module docstring.

    Parameters
    ----------
    chain : Chain
    region : Region
        Its ``imports``, ``export_controls``, ``leader_needs``, ``cities``, ``country``,
        ``name_en`` and core are read (:class:`recommender.demo.world.Region`).
    firms, firm_nodes : DataFrame
        The firm register and its chain links; only local firms count. Links to nodes outside
        the chain are ignored; a firm linked to a node by several methods counts once, with its
        highest confidence.
    settings : Settings, optional
        Weights and ``radius_km``; :func:`recommender.config.load_settings` when None.
    weights : mapping, optional
        Component -> weight (a component column name, or a settings field such as
        ``weight_concentration``, or that name without ``weight_``); overrides ``settings``
        for the components it names.
    radius_km : float, optional
        Local firms count in full within this distance of the core; ``settings.radius_km``
        when None. Firms without coordinates count in full (their address is local).
    restrict : iterable of str
        Export-control what-if: these origins (ISO 3166-1 alpha-2) are taken to control every
        node's technology (control 1.0), over the region's own table. Every node then has
        export-control input (``has_export_controls`` True).
    firm_id, node_id, confidence, employees, size_class, country, province, city, lat, lon :
        Column names of ``firms`` and ``firm_nodes``.

    Returns
    -------
    DataFrame
        Columns :data:`WEAK_LINK_COLUMNS`, one row per node, by score descending (file order
        among ties). ``rank`` is 1 for the weakest recruitable node and missing for downstream
        nodes. ``attrs`` holds ``leader_need_dates`` (per node, the newest need a leader entered:
        firm, day, author), ``weights``, ``radius_km``, ``restrict``, ``import_years`` and
        ``unmatched_import_codes`` (import codes of no node, ignored).

    Raises
    ------
    InvalidArgument
        Naming ``weights``, ``radius_km`` or ``restrict`` when one is malformed.
    DataError
        When a region table names a node the chain does not have, or an import code is
        malformed.

    Examples
    --------
    >>> from recommender.chain import load_chain
    >>> from recommender.demo.world import load_reference_firms, load_region
    >>> firms, links = load_reference_firms()
    >>> table = diagnose_weak_links(load_chain(), load_region(), firms, links)
    >>> len(table), bool(table["weak_link_score"].is_monotonic_decreasing)
    (82, True)
    """
    if settings is None:
        from recommender.config import load_settings

        settings = load_settings()
    component_w = component_weights(settings, weights)
    radius = float(settings.radius_km if radius_km is None else radius_km)
    if not radius > 0 or math.isinf(radius):
        raise InvalidArgument(f"radius_km must be a positive number of kilometres, "
                              f"got {radius_km!r}")
    restricted = _restricted_origins(restrict)

    nodes = chain.nodes.reset_index(drop=True)
    ids = list(nodes[C.NODE_ID])
    supply, local_count = local_supply(
        ids, region, firms, firm_nodes, radius, firm_id=firm_id, node_id=node_id,
        confidence=confidence, employees=employees, size_class=size_class, country=country,
        province=province, city=city, lat=lat, lon=lon)
    by_origin, matched, years, unmatched = imports_by_origin(chain, region.imports)
    controls = control_table(ids, region.export_controls, restricted)
    need = leader_need(ids, region.leader_needs)
    reach, criticality = downstream_criticality(chain)

    imports = by_origin.sum(axis=1).reindex(ids, fill_value=0.0).to_numpy(float)
    shares = by_origin.div(by_origin.sum(axis=1).replace(0.0, np.nan), axis=0)
    concentration = (shares ** 2).sum(axis=1).reindex(ids, fill_value=0.0).to_numpy(float)
    control = controls.reindex(index=by_origin.columns, columns=ids).fillna(0.0)
    exposure = np.nansum(shares.reindex(index=ids).to_numpy(float) * control.T.to_numpy(float),
                         axis=1) if len(by_origin.columns) else np.zeros(len(ids))

    supply_units = in_median_units(supply)
    import_units = in_median_units(imports)
    total_units = supply_units + import_units
    out = pd.DataFrame({
        C.NODE_ID: ids,
        C.NODE_NAME_ZH: nodes[C.NODE_NAME_ZH],
        C.NODE_NAME_EN: nodes[C.NODE_NAME_EN],
        C.STAGE: nodes[C.STAGE],
        C.SEGMENT: nodes[C.SEGMENT],
        CAN_RECRUIT: nodes[C.STAGE].isin(RECRUITABLE_STAGES).to_numpy(bool),
        C.LOCAL_FIRMS: local_count.astype("int64"),
        C.LOCAL_SUPPLY: supply,
        C.LOCAL_GAP: 1.0 / (1.0 + supply_units),
        C.IMPORT_VALUE: imports,
        C.LEADER_NEED: need,
        C.DEMAND: 0.5 * (import_units / (1.0 + import_units) + scaled_to_max(need)),
        C.IMPORT_DEPENDENCE: np.divide(import_units, total_units, out=np.zeros(len(ids)),
                                       where=total_units > 0),
        C.CONCENTRATION: concentration,
        C.EXPORT_CONTROL: np.clip(exposure, 0.0, 1.0),
        DOWNSTREAM_REACH: reach,
        C.CRITICALITY: criticality,
        HAS_IMPORTS: np.isin(ids, list(matched)),
        HAS_LEADER_NEEDS: np.isin(ids, region.leader_needs[C.NODE_ID].astype(str).tolist()),
        HAS_EXPORT_CONTROLS: np.isin(ids, list(controls.columns[controls.notna().any()])),
        HAS_LOCAL_FIRMS: local_count > 0,
    })
    out[C.WEAK_LINK_SCORE] = sum(w * out[c] for c, w in component_w.items())
    out[MISSING_INPUTS] = [
        [c for c in C.WEAK_LINK_COMPONENTS
         if any(not flags[f] and c in comps for f, comps in _FROM_INPUT.items())]
        for flags in out[list(_FROM_INPUT)].to_dict("records")
    ]
    out = out.sort_values(C.WEAK_LINK_SCORE, ascending=False, kind="stable")
    rank = out[CAN_RECRUIT].cumsum().where(out[CAN_RECRUIT])
    out[C.RANK] = rank.astype("Int64")
    out = out[WEAK_LINK_COLUMNS].reset_index(drop=True)
    out.attrs.update({"weights": component_w, "radius_km": radius, "restrict": restricted,
                      "import_years": years, "unmatched_import_codes": unmatched,
                      C.REGION_ID: getattr(region, "id", None),
                      "leader_need_dates": leader_need_dates(region.leader_needs)})
    return out


def component_weights(settings=None, weights: Mapping[str, float] | None = None
                      ) -> dict[str, float]:
    """Return component column -> weight: ``settings``' weights, overridden by ``weights``.

    Keys of ``weights`` may be component column names (``source_concentration``), settings
    fields (``weight_concentration``) or those without ``weight_`` (``concentration``).

    Raises
    ------
    InvalidArgument
        Naming ``weights`` for an unknown component or a weight that is negative or not finite.

    Examples
    --------
    >>> from recommender.config import load_settings
    >>> w = component_weights(load_settings(), {"concentration": 0.3})
    >>> w["source_concentration"], w["local_gap"]
    (0.3, 0.25)
    """
    if settings is None:
        from recommender.config import load_settings

        settings = load_settings()
    out = {c: float(getattr(settings, field)) for c, field in COMPONENT_SETTINGS.items()}
    aliases = {}
    for column, field in COMPONENT_SETTINGS.items():
        aliases.update({column: column, field: column, field.removeprefix("weight_"): column})
    for key, value in (weights or {}).items():
        if key not in aliases:
            raise InvalidArgument(f"weights: unknown component {key!r}; known: "
                             f"{', '.join(COMPONENT_SETTINGS)}")
        out[aliases[key]] = float(value)
    for column, value in out.items():
        if not (math.isfinite(value) and value >= 0):
            raise InvalidArgument(f"weights: the weight of {column} must be a finite number >= 0, "
                             f"got {value!r}")
    return out


def weak_link_weights(table: pd.DataFrame, *, top: int | None = None,
                      node_id: str = C.NODE_ID, score: str = C.WEAK_LINK_SCORE) -> pd.Series:
    """Return node id -> weight of each recruitable weak link, summing to 1, for the portfolio.

    The weight is the node's score over the sum of the scores kept: the ``top`` highest of the
    recruitable nodes (all when None) with a positive score.

    Raises
    ------
    InvalidArgument
        If ``top`` is not a positive integer.

    Examples
    --------
    >>> table = pd.DataFrame({"node_id": ["a", "b", "c"], "weak_link_score": [0.75, 0.25, 0.9],
    ...                       "can_recruit": [True, True, False]})
    >>> weak_link_weights(table).to_dict()
    {'a': 0.75, 'b': 0.25}
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InvalidArgument(f"top must be a positive integer or None, got {top!r}")
    keep = table[table[score] > 0]
    if CAN_RECRUIT in keep.columns:
        keep = keep[keep[CAN_RECRUIT].astype(bool)]
    keep = keep.sort_values(score, ascending=False, kind="stable").head(top)
    values = keep[score].to_numpy(float)
    total = values.sum()
    return pd.Series(values / total if total > 0 else values, index=pd.Index(keep[node_id],
                     name=node_id), name="weight", dtype="float64")


def explain_weak_link(row) -> dict[str, str]:
    """Return one sentence in Chinese and in English saying why a node is (or is not) weak.

    ``row`` is one row of :func:`diagnose_weak_links` (a Series or a dict). The sentence
    names the components that stand out, the number of local suppliers and any missing input.

    Examples
    --------
    >>> explain_weak_link({"import_dependence": 0.82, "local_firms": 3, "local_gap": 0.7,
    ...                    "source_concentration": 0.2, "export_control_exposure": 0.0,
    ...                    "leader_need": 0, "criticality": 0.1, "can_recruit": True,
    ...                    "has_imports": True, "missing_inputs": []})["zh"]
    '进口依存度高（82%），本地仅有 3 家配套企业。'
    """
    get = row.get
    zh: list[str] = []
    en: list[str] = []
    if not bool(get(CAN_RECRUIT, True)):
        zh.append("下游应用领域，是需求方而非招商环节")
        en.append("a downstream application sector: it creates demand, it is not recruited for")
    dependence = float(get(C.IMPORT_DEPENDENCE, 0.0) or 0.0)
    if bool(get(HAS_IMPORTS, True)):
        level_zh, level_en = ("高", "high") if dependence >= 0.5 else ("低", "low")
        zh.append(f"进口依存度{level_zh}（{dependence:.0%}）")
        en.append(f"{level_en} import dependence ({dependence:.0%})")
    n_local = int(get(C.LOCAL_FIRMS, 0) or 0)
    if n_local == 0:
        zh.append("本地尚无已知配套企业")
        en.append("no local supplier known")
    elif float(get(C.LOCAL_GAP, 0.0) or 0.0) >= 0.5:
        zh.append(f"本地仅有 {n_local} 家配套企业")
        en.append(f"only {n_local} local supplier{'s' if n_local > 1 else ''}")
    else:
        zh.append(f"本地已有 {n_local} 家配套企业")
        en.append(f"{n_local} local supplier{'s' if n_local > 1 else ''} already")
    concentration = float(get(C.CONCENTRATION, 0.0) or 0.0)
    if concentration >= 0.25:
        zh.append(f"进口来源高度集中（HHI {concentration:.2f}）")
        en.append(f"imports concentrated in few origins (HHI {concentration:.2f})")
    exposure = float(get(C.EXPORT_CONTROL, 0.0) or 0.0)
    if exposure >= 0.2:
        zh.append(f"出口管制敞口 {exposure:.0%}")
        en.append(f"{exposure:.0%} export-control exposure")
    need = float(get(C.LEADER_NEED, 0.0) or 0.0)
    if need > 0:
        zh.append(f"链主配套需求合计 {need:g}")
        en.append(f"chain leaders' needs sum to {need:g}")
    criticality = float(get(C.CRITICALITY, 0.0) or 0.0)
    if criticality >= 0.5:
        zh.append(f"对下游影响大（关键性 {criticality:.2f}）")
        en.append(f"much of the chain depends on it (criticality {criticality:.2f})")
    text_zh = "，".join(zh)
    text_en = ", ".join(en)
    missing = _missing_input_names(row) if bool(get(CAN_RECRUIT, True)) else []
    if missing:
        text_zh += f"；缺少{'、'.join(name for name, _ in missing)}数据"
        text_en += f"; no input on {', '.join(name for _, name in missing)}"
    return {"zh": text_zh + "。", "en": text_en[:1].upper() + text_en[1:] + "."}


def _restricted_origins(restrict: Iterable[str]) -> list[str]:
    if isinstance(restrict, str):
        restrict = [part for part in restrict.split(",") if part.strip()]
    out = []
    for origin in restrict:
        code = str(origin).strip().upper()
        if not _ISO2.fullmatch(code):
            raise InvalidArgument(f"restrict: {origin!r} is not an ISO 3166-1 alpha-2 "
                                  "country code")
        if code not in out:
            out.append(code)
    return out


_INPUT_NAMES = {HAS_IMPORTS: ("进口", "imports"), HAS_LEADER_NEEDS: ("链主需求", "leader needs"),
                HAS_EXPORT_CONTROLS: ("出口管制", "export controls"),
                HAS_LOCAL_FIRMS: ("本地企业", "local firms")}


def _missing_input_names(row) -> list[tuple[str, str]]:
    """Return (zh, en) names of the inputs a row flags as missing (local firms excepted)."""
    return [names for flag, names in _INPUT_NAMES.items()
            if flag != HAS_LOCAL_FIRMS and flag in row and not bool(row[flag])]
