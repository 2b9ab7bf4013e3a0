"""What the API's views read and write, one function per view, over the store and the chain.

These functions know nothing of Flask or HTTP: they take a store, a chain and plain
arguments and return plain dicts (missing values as ``None``), raising the library's errors.
Paged readers filter and count in the database, so a page costs the same on a large store.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import NotFoundError, ValidationError
from recommender.store import models as M
from recommender.store.migrate import head_revision

__all__ = [
    "API_SOURCE",
    "FIRM_SUMMARY_COLUMNS",
    "MAX_QUERY_TEXT",
    "OUTCOME_COLUMNS",
    "chain_graph",
    "chain_summaries",
    "correct_firm_node",
    "firm_page",
    "firm_portrait",
    "outcome_page",
    "pagination",
    "park_page",
    "park_profile",
    "readiness",
    "record_outcome",
    "review_queue",
]

FIRM_SUMMARY_COLUMNS = [
    C.FIRM_ID, C.NAME, C.NAME_ZH, C.COUNTRY, C.PROVINCE, C.CITY, C.FOUNDED_YEAR, C.SIZE_CLASS,
    C.IS_LISTED, C.SOURCE, C.IS_SYNTHETIC,
]
OUTCOME_COLUMNS = [
    M.ID, C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE, C.OUTCOME_STAGE, C.NOTE, C.SOURCE,
    M.RECORDED_AT, M.RECORDED_BY,
]
API_SOURCE = "api"  # the source of outcomes recorded through the API
MAX_QUERY_TEXT = 100


# --- paging -------------------------------------------------------------------------------
def pagination(page: int, page_size: int, total: int) -> dict[str, int]:
    """Return the pagination block of a paged answer.

    >>> pagination(2, 50, 120)
    {'page': 2, 'page_size': 50, 'total': 120, 'pages': 3}
    """
    return {"page": page, "page_size": page_size, "total": total,
            "pages": math.ceil(total / page_size) if total else 0}


def _page(conn: sa.Connection, query: sa.Select, order: Sequence, page: int, page_size: int):
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(*order).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return [dict(row._mapping) for row in rows], pagination(page, page_size, total)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of ``frame`` as dicts of plain values, missing ones as None."""
    plain = frame.astype(object).where(frame.notna(), None)
    return plain.to_dict("records")


# --- health -------------------------------------------------------------------------------
def readiness(store) -> dict[str, Any]:
    """Return whether the store answers at the newest schema, with its data version."""
    revision, head = store.revision(), head_revision()
    ready = revision == head
    return {
        "status": "ready" if ready else "not_ready",
        "schema_revision": revision,
        "schema_head": head,
        "data_version": store.data_version() if ready else None,
    }


# --- chains -------------------------------------------------------------------------------
def chain_summaries(chain) -> list[dict[str, Any]]:
    """Return one line per chain the service knows (today: the one it is configured with)."""
    return [{
        "id": chain.id, C.NAME_ZH: chain.name_zh, C.NAME_EN: chain.name_en,
        "version": chain.version, "nodes": len(chain.nodes), "edges": len(chain.edges),
        "source": chain.source,
    }]


def chain_graph(chain, chain_id: str) -> dict[str, Any]:
    """Return the chain ``chain_id``: identity, nodes and supplier -> consumer edges."""
    if chain_id != chain.id:
        raise NotFoundError(f"no chain {chain_id!r}")
    return chain.to_dict()


# --- firms --------------------------------------------------------------------------------
def firm_page(
    store,
    chain,
    *,
    country: str | None = None,
    node_id: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """Return a page of firm summaries (by ``firm_id``), each with the ids of its nodes.

    ``country`` is an ISO 3166-1 alpha-2 code; ``node_id`` keeps firms active in that node of
    the chain; ``q`` keeps firms whose English or Chinese name contains it.
    """
    firms, links = M.FIRMS, M.FIRM_NODES
    query = sa.select(*(firms.c[n] for n in FIRM_SUMMARY_COLUMNS))
    if country:
        query = query.where(firms.c[C.COUNTRY] == country.upper())
    if node_id:
        _require_nodes(chain, [node_id], C.NODE_ID)
        active = sa.select(links.c[C.FIRM_ID]).where(links.c[C.NODE_ID] == node_id)
        query = query.where(firms.c[C.FIRM_ID].in_(active))
    if q:
        pattern = "%" + _escape_like(q.strip()[:MAX_QUERY_TEXT]) + "%"
        query = query.where(sa.or_(firms.c[C.NAME].ilike(pattern, escape="\\"),
                                   firms.c[C.NAME_ZH].like(pattern, escape="\\")))
    with store.engine.connect() as conn:
        items, block = _page(conn, query, [firms.c[C.FIRM_ID]], page, page_size)
    nodes = store.firm_nodes(firm_ids=[i[C.FIRM_ID] for i in items])
    by_firm = nodes.groupby(C.FIRM_ID)[C.NODE_ID].agg(lambda s: sorted(set(s))).to_dict()
    for item in items:
        item["nodes"] = by_firm.get(item[C.FIRM_ID], [])
    return {"items": items, "pagination": block}


def firm_portrait(store, chain, firm_id: str, *, with_outcomes: bool = True) -> dict[str, Any]:
    """Return a firm's portrait: profile, chain nodes with evidence, provenance, outcomes.

    Without ``with_outcomes`` the outcome history is ``None`` (not looked up).

    Raises
    ------
    NotFoundError
        No firm has ``firm_id``.
    """
    profile = store.firm(firm_id)
    links = _records(store.firm_nodes(firm_ids=[firm_id]))
    known = set(chain.node_ids)
    nodes = []
    for link in links:
        node = chain.node(link[C.NODE_ID]) if link[C.NODE_ID] in known else {}
        nodes.append({
            C.NODE_ID: link[C.NODE_ID], C.NODE_NAME_ZH: node.get(C.NODE_NAME_ZH),
            C.NODE_NAME_EN: node.get(C.NODE_NAME_EN), C.STAGE: node.get(C.STAGE),
            C.SEGMENT: node.get(C.SEGMENT), C.METHOD: link[C.METHOD],
            C.CONFIDENCE: link[C.CONFIDENCE], C.EVIDENCE: link[C.EVIDENCE],
        })
    provenance = {
        C.SOURCE: profile.get(C.SOURCE), C.IS_SYNTHETIC: bool(profile.get(C.IS_SYNTHETIC)),
        M.CREATED_AT: profile.get(M.CREATED_AT), M.UPDATED_AT: profile.get(M.UPDATED_AT),
        M.DATA_VERSION: profile.get(M.DATA_VERSION),
        "link_methods": sorted({link[C.METHOD] for link in links}),
    }
    history = _outcome_history(store, firm_id) if with_outcomes else None
    return {"profile": profile, "nodes": nodes, "provenance": provenance, "outcomes": history}


def _outcome_history(store, firm_id: str) -> list[dict[str, Any]]:
    table = M.OUTCOMES
    query = (sa.select(*(table.c[n] for n in OUTCOME_COLUMNS))
             .where(table.c[C.FIRM_ID] == firm_id)
             .order_by(table.c[C.DATE], table.c[M.ID]))
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# --- outcomes -----------------------------------------------------------------------------
def outcome_page(
    store,
    *,
    firm_id: str | None = None,
    node_id: str | None = None,
    page: int = 1,
    page_size: int = 50,
    firm_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return a page of outcomes, newest first, optionally of one firm and/or one node;
    ``firm_ids``: of those firms only (a park manager's matched firms)."""
    table = M.OUTCOMES
    query = sa.select(*(table.c[n] for n in OUTCOME_COLUMNS))
    if firm_id:
        query = query.where(table.c[C.FIRM_ID] == firm_id)
    if firm_ids is not None:
        query = query.where(table.c[C.FIRM_ID].in_(list(firm_ids)))
    if node_id:
        query = query.where(table.c[C.NODE_ID] == node_id)
    order = [table.c[C.DATE].desc(), table.c[M.ID].desc()]
    with store.engine.connect() as conn:
        items, block = _page(conn, query, order, page, page_size)
    return {"items": items, "pagination": block}


def record_outcome(
    store,
    chain,
    *,
    firm_id: str,
    node_id: str,
    stage: int,
    date: dt.date,
    note: str | None = None,
    campaign_id: str | None = None,
    recorded_by: str | None = None,
    recorded_by_key: int | None = None,
) -> tuple[dict[str, Any], bool]:
    """Validate one outcome with the ingest rules, store it, and return it and whether it is new.

    ``recorded_by`` is the person as they are named when recording (a key's
    :attr:`~recommender.store.auth.Principal.name`), kept as it was should the key be renamed
    later; ``recorded_by_key`` is that key's id. ``campaign_id`` defaults to
    ``manual-<year of date>``. An outcome already stored (same
    firm, node, campaign, date and stage) is returned with ``False``.

    Raises
    ------
    ValidationError
        The firm is not in the store, the node not in the chain, or a value breaks the
        outcome table's rules; ``problems`` name the field.
    """
    from recommender.firms.ingest import prepare_outcomes

    campaign_id = campaign_id or f"manual-{date.year}"
    row = {C.FIRM_ID: firm_id, C.NODE_ID: node_id, C.CAMPAIGN_ID: campaign_id,
           C.DATE: date.isoformat(), C.OUTCOME_STAGE: stage, C.NOTE: note}
    try:
        valid = prepare_outcomes(pd.DataFrame([row]), file="request", known_nodes=chain.node_ids,
                                 known_firms=_stored_firm(store, firm_id))
    except ValidationError as exc:  # name fields only: rows and files mean nothing here
        problems = [{"field": p.get("column"), "message": p["message"]} for p in exc.problems]
        raise ValidationError("the outcome breaks the outcome table's rules", problems) from None
    valid = valid.assign(**{C.SOURCE: API_SOURCE, M.RECORDED_BY: recorded_by,
                            M.RECORDED_BY_KEY: recorded_by_key})
    counts = store.add_outcomes(valid)
    table = M.OUTCOMES
    key = (table.c[C.FIRM_ID] == firm_id) & (table.c[C.NODE_ID] == node_id) & (
        table.c[C.CAMPAIGN_ID] == campaign_id) & (table.c[C.DATE] == date) & (
        table.c[C.OUTCOME_STAGE] == stage)
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(*(table.c[n] for n in OUTCOME_COLUMNS)).where(key)).one()
    return dict(stored._mapping), bool(counts.get("inserted"))


def correct_firm_node(store, chain, firm_id: str, *, node_id: str, action: str, reason: str,
                      recorded_by: str | None) -> dict[str, Any]:
    """Confirm, reject or add one of a firm's chain nodes, with a reason; return the
    correction and the firm's nodes after it.

    Raises ``NotFoundError`` (no such firm) or ``InvalidArgument`` (action, node, reason).
    """
    from recommender.store.corrections import record_correction

    row = record_correction(store, firm_id, node_id, action, reason, by=recorded_by,
                            node_ids=chain.node_ids)
    return {"correction": row, "nodes": firm_portrait(store, chain, firm_id,
                                                      with_outcomes=False)["nodes"]}


def review_queue(store, chain, *, limit: int = 50, classifier=None) -> list[dict[str, Any]]:
    """Return the firms whose nodes are the closest calls, closest first, for review.

    Firms a person already corrected are left out. Each item: the firm's id and names, its
    closest call (``node_id``, ``confidence``, ``threshold``, ``margin``: see
    :func:`recommender.firms.node_review.node_margins`; the keywords' when no ``classifier``
    is given) and the nodes it has now.
    """
    from recommender.firms import node_review

    queue = node_review.review_queue(store.firms(), chain,
                                     corrected=store.corrected_firm_ids(),
                                     classifier=classifier, limit=limit)
    links = store.firm_nodes(firm_ids=queue[C.FIRM_ID].tolist())
    nodes = {firm: list(dict.fromkeys(group[C.NODE_ID]))
             for firm, group in links.groupby(C.FIRM_ID)}
    items = _records(queue)
    return [{**item, "nodes": nodes.get(item[C.FIRM_ID], [])} for item in items]


# --- parks --------------------------------------------------------------------------------
def park_page(
    store, *, visible: Sequence[str] | None = None, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    """Return a page of park profiles by ``park_id``; with ``visible``, only those parks."""
    parks = store.parks()
    if visible is not None:
        parks = parks[parks[C.PARK_ID].isin(list(visible))]
    start = (page - 1) * page_size
    items = _records(parks.iloc[start : start + page_size])
    return {"items": items, "pagination": pagination(page, page_size, len(parks))}


def park_profile(store, park_id: str, *, visible: Sequence[str] | None = None) -> dict[str, Any]:
    """Return one park's profile; a park outside ``visible`` is as absent as an unknown one."""
    if visible is not None and park_id not in visible:
        raise NotFoundError(f"no park {park_id!r}")
    return store.park(park_id)


# --- helpers ------------------------------------------------------------------------------
def _require_nodes(chain, node_ids: Sequence[str], field: str) -> None:
    unknown = [n for n in node_ids if n not in set(chain.node_ids)]
    if unknown:
        raise ValidationError(
            f"{', '.join(map(repr, unknown))} is not a node of chain {chain.id!r}",
            [{"field": field, "message": f"{n!r} is not a node of the chain"} for n in unknown],
        )


def _stored_firm(store, firm_id: str) -> set[str]:
    try:
        store.firm(firm_id)
    except NotFoundError:
        return set()
    return {firm_id}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
