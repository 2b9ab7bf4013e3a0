"""What the ranking views answer, from one :class:`service.runtime.state.Snapshot` each.

Weak links, a weak link's recommendations and the target list, as JSON bytes (built with orjson,
rows already serialised by :class:`service.runtime.scores.ServedScores`) or as rows for a CSV or
XLSX file (:mod:`recommender.targeting.exports`, the rows completed for officers by
:func:`recommender.targeting.export_rows.officer_rows`: names in both languages, website,
credit code, last contact, the best of the parks the key may see). Which firms, in which
order, with which reasons, is the library's answer: every query is one of the snapshot's
:class:`recommender.targeting.score_table.ScoreTable`, the engine of the CLI's ``recommend`` and
``target-list`` too. Every answer names the snapshot's model version and data version. Nothing
here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from recommender import columns as C
from recommender.store.models import DATA_VERSION
from recommender.targeting.exports import About
from recommender.targeting.portfolio import COVERAGE_SHARE, COVERS, MARGINAL_GAIN, OBJECTIVE, PICK
from service.runtime.scores import PROVENANCE

__all__ = [
    "NODE_FIELDS",
    "PICK_FIELDS",
    "file_about",
    "file_rows",
    "node_summary",
    "recommendation_positions",
    "recommendation_rows",
    "recommendation_title",
    "recommendations_json",
    "target_list",
    "target_list_json",
    "target_notes",
    "target_rows",
    "weak_link_rows",
]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
NODE_FIELDS = [C.NODE_ID, C.NODE_NAME_ZH, C.NODE_NAME_EN, C.STAGE, C.SEGMENT,
               C.WEAK_LINK_SCORE, C.RANK]


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as plain JSON values; missing ones as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    return value


def _record(row: pd.Series | dict, names: Sequence[str]) -> dict[str, Any]:
    return {name: _plain(row[name]) for name in names if name in row}


# --- weak links ------------------------------------------------------------------------------
def weak_link_rows(snapshot, settings, *, restrict: Sequence[str] = (),
                   top: int | None = None) -> dict[str, Any]:
    """Return the diagnosis: one row per node (every component, input flags, ``can_recruit``,
    ``missing_inputs``, an explanation in Chinese and English), with what it was computed from.

    ``restrict`` is the what-if of :func:`recommender.diagnosis.weak_links.diagnose_weak_links`
    (these origins control every node's technology); ``top`` keeps the ``top`` weakest recruitable
    nodes only.
    """
    from recommender.diagnosis.weak_links import (
        WEAK_LINK_COLUMNS,
        diagnose_weak_links,
        explain_weak_link,
    )

    restrict = tuple(restrict)

    def diagnose() -> pd.DataFrame:
        if not restrict:
            return snapshot.weak_links
        data = snapshot.data
        return diagnose_weak_links(data.chain, data.region, data.firms, data.firm_nodes,
                                   settings=settings, restrict=list(restrict))

    table = snapshot.memo.get(("weak-links", restrict), diagnose)
    shown = table
    if top is not None:
        shown = table[table[C.RANK].le(top).fillna(False).astype(bool)]
    items = []
    for row in shown.to_dict("records"):
        item = _record(row, WEAK_LINK_COLUMNS)
        item["explanation"] = explain_weak_link(row)
        items.append(item)
    data = snapshot.data
    return {
        "chain": data.chain.id, "region": getattr(data.region, "id", None),
        DATA_VERSION: snapshot.data_version, "restrict": list(restrict),
        "weights": {k: float(v) for k, v in table.attrs.get("weights", {}).items()},
        "radius_km": _plain(table.attrs.get("radius_km")),
        "import_years": _plain(list(table.attrs.get("import_years", []))),
        "nodes": len(table), "items": items,
    }


# --- recommendations -------------------------------------------------------------------------
def node_summary(snapshot, node_id: str) -> dict[str, Any]:
    """Return the weak link's identity, score and rank among the recruitable nodes."""
    rows = snapshot.weak_links[snapshot.weak_links[C.NODE_ID] == node_id]
    return _record(rows.iloc[0], NODE_FIELDS)


def recommendation_positions(snapshot, node_id: str, *, k: int,
                             country: Sequence[str] | None = None,
                             size: Sequence[str] | None = None,
                             stage: Sequence[str] | None = None,
                             exclude_contacted: bool = False, include_landed: bool = False,
                             sort: str = C.VALUE) -> tuple[np.ndarray, int]:
    """Return the positions of the top ``k`` firms for ``node_id`` by ``sort`` and how many
    passed the filters (raises NotFoundError for an unknown node, NotRecruitable for a
    downstream one).

    ``stage``: recruitment stages (:data:`recommender.outcome_stages.RECRUITMENT_STAGES`) to
    keep; firms that invested for the link only with ``include_landed`` or a ``stage`` naming
    them. See :meth:`recommender.targeting.score_table.ScoreTable.ranked`.
    """
    return snapshot.scores.table.top_k(node_id, k, sort=sort, country=country, size=size,
                                       stage=stage, exclude_contacted=exclude_contacted,
                                       include_landed=include_landed)


def recommendations_json(snapshot, node_id: str, *, k: int, page: int, page_size: int,
                         country: Sequence[str] | None = None,
                         size: Sequence[str] | None = None,
                         stage: Sequence[str] | None = None,
                         exclude_contacted: bool = False, include_landed: bool = False,
                         sort: str = C.VALUE) -> bytes:
    """Return one page of the top ``k`` firms for ``node_id`` as the JSON body."""
    from service.answers.queries import pagination

    top, candidates = recommendation_positions(snapshot, node_id, k=k, country=country,
                                               size=size, stage=stage,
                                               exclude_contacted=exclude_contacted,
                                               include_landed=include_landed, sort=sort)
    start = (page - 1) * page_size
    shown = top[start:start + page_size]
    items = snapshot.scores.items_json(shown, first_rank=start + 1)
    body = {
        "node": snapshot.memo.get(("node", node_id), lambda: node_summary(snapshot, node_id)),
        C.MODEL_VERSION: snapshot.model_version, DATA_VERSION: snapshot.data_version,
        "k": k, "candidates": candidates, "sort": sort,
        "filters": {"country": list(country) if country else None,
                    "size": list(size) if size else None,
                    "stage": list(stage) if stage else None,
                    "exclude_contacted": bool(exclude_contacted),
                    "include_landed": bool(include_landed)},
        "items": orjson.Fragment(items),
        "pagination": pagination(page, page_size, len(top)),
    }
    return orjson.dumps(body, option=_OPTIONS)


def recommendation_rows(snapshot, node_id: str, *, k: int, lang: str,
                        parks: pd.DataFrame | None = None,
                        country: Sequence[str] | None = None,
                        size: Sequence[str] | None = None,
                        stage: Sequence[str] | None = None,
                        exclude_contacted: bool = False, include_landed: bool = False,
                        sort: str = C.VALUE) -> pd.DataFrame:
    """Return the whole top ``k`` for ``node_id`` as rows of a file in ``lang``
    (:func:`file_rows`; ``parks``: those the key may see)."""
    top, _ = recommendation_positions(snapshot, node_id, k=k, country=country, size=size,
                                      stage=stage, exclude_contacted=exclude_contacted,
                                      include_landed=include_landed, sort=sort)
    return file_rows(snapshot, snapshot.scores.items(top), lang, parks)


def recommendation_title(snapshot, node_id: str, lang: str) -> str:
    """What a file of the firms for ``node_id`` is called inside: 推荐名单：<the link>."""
    node = snapshot.memo.get(("node", node_id), lambda: node_summary(snapshot, node_id))
    name = node.get(C.NODE_NAME_ZH if lang == "zh" else C.NODE_NAME_EN) or node_id
    return f"推荐名单：{name}" if lang == "zh" else f"Recommendations: {name}"


def file_rows(snapshot, items: list[dict], lang: str,
              parks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows for a file in ``lang``: the served rows completed for officers (firm details,
    last contact, the best of ``parks``), as
    :func:`recommender.targeting.export_rows.officer_rows` does it. Nothing personal."""
    from recommender.parks.matching import admitted_pairs
    from recommender.targeting.export_rows import best_parks, link_names, officer_rows

    frame = pd.DataFrame(items)
    if frame.empty:
        return frame
    frame[C.SOURCE] = [p[C.SOURCE] for p in frame[PROVENANCE]]
    frame[C.IS_SYNTHETIC] = [p[C.IS_SYNTHETIC] for p in frame[PROVENANCE]]
    data = snapshot.data
    best = None
    if parks is not None and len(parks):
        pairs = admitted_pairs(frame[C.FIRM_ID], parks, data.firms, data.firm_nodes, data.chain)
        best = best_parks(pairs, parks)
    links = snapshot.memo.get(("link-names",), lambda: link_names(data.chain))
    return officer_rows(frame, lang=lang, firms=data.firms, outcomes=data.outcomes, parks=best,
                        links=links)


def file_about(snapshot, title: str, notes: Sequence[str] = ()) -> About:
    """What a workbook says of a list computed from ``snapshot``: its title, the data version
    and as-of day, the model and the base rate a likelihood compares with."""
    table = snapshot.scores.table
    return About(title=title, data_version=snapshot.data_version, as_of=table.as_of,
                 model_version=snapshot.model_version, base_rate=table.base_rate,
                 notes=tuple(n for n in notes if n))


# --- the target list -------------------------------------------------------------------------
PICK_FIELDS = (MARGINAL_GAIN, OBJECTIVE, COVERAGE_SHARE, COVERS)


def target_list(snapshot, *, k: int, max_country_share: float, top_links: int,
                exclude: Sequence[str] = ()) -> dict[str, Any]:
    """Return the ``k`` firms that together best cover the ``top_links`` weakest links.

    The picks of :meth:`recommender.targeting.score_table.ScoreTable.target_picks` over the
    snapshot's table, as :func:`recommender.targeting.recommend.target_list` makes them; each
    with the link it covers best, that pair's score, probability and reasons, and ``covers``.
    Kept per snapshot.
    """
    key = ("target-list", k, float(max_country_share), top_links, tuple(sorted(exclude)))
    return snapshot.memo.get(key, lambda: _target_list(snapshot, k=k,
                                                       max_country_share=max_country_share,
                                                       top_links=top_links, exclude=exclude))


def _target_list(snapshot, *, k, max_country_share, top_links, exclude) -> dict[str, Any]:
    from recommender.targeting.score_table import POSITION

    picks = snapshot.scores.table.target_picks(k=k, max_country_share=max_country_share,
                                               top_links=top_links, exclude=exclude)
    items = snapshot.scores.items(picks[POSITION].to_numpy())
    for item, pick in zip(items, picks.to_dict("records"), strict=True):
        item[C.RANK] = int(pick[PICK])
        for name in PICK_FIELDS:
            item[name] = _plain(pick[name]) if name != COVERS else [
                {key: _plain(value) for key, value in cover.items()} for cover in pick[name]]
    attrs = picks.attrs
    total = float(attrs.get("total_weight") or 0.0)
    objective = float(attrs.get(OBJECTIVE) or 0.0)
    return {
        C.MODEL_VERSION: snapshot.model_version, DATA_VERSION: snapshot.data_version,
        "k": k, "max_country_share": float(max_country_share), "top_links": top_links,
        "coverage": {
            "objective": objective, "total_weight": total,
            COVERAGE_SHARE: objective / total if total > 0 else 0.0,
            "country_cap": _plain(attrs.get("country_cap")),
            "link_weights": attrs["link_weights"],
            "note": attrs.get("note") or "", "guarantee": attrs.get("guarantee") or "",
            "saturated": bool(attrs.get("saturated")),
            "saturated_after": _plain(attrs.get("saturated_after")),
            "min_gain": float(attrs.get("min_gain") or 0.0),
        },
        "items": items,
    }


def target_list_json(answer: dict[str, Any]) -> bytes:
    """Return a :func:`target_list` answer as the JSON body."""
    return orjson.dumps(answer, option=_OPTIONS)


def target_notes(answer: dict[str, Any], lang: str) -> list[str]:
    """Why a :func:`target_list` answer holds fewer than ``k`` firms, in ``lang`` (none if it
    holds ``k``), for a file's column sheet."""
    from recommender.targeting.export_rows import shortfall_note

    coverage = answer["coverage"]
    note = shortfall_note(coverage["note"], k=answer["k"], picked=len(answer["items"]),
                          saturated=coverage["saturated"], min_gain=coverage["min_gain"],
                          total_weight=coverage["total_weight"], lang=lang)
    return [note] if note else []


def target_rows(snapshot, answer: dict[str, Any], lang: str,
                parks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return a :func:`target_list` answer as rows of a file in ``lang`` (:func:`file_rows`);
    the links a pick covers by name."""
    return file_rows(snapshot, answer["items"], lang, parks)
