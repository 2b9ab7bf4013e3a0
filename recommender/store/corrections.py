"""People's corrections of the chain nodes a firm was placed in, and what they change.

An officer or admin confirms, rejects or adds a node of a firm, with a reason. Each correction
is a row of ``node_corrections`` (who, when, why), never changed afterwards; the latest one of
a (firm, node) is in force. Recording one also changes the firm's links at once, in the same
transaction:

- ``confirm`` and ``add`` store a link of method :data:`METHOD_CORRECTION` (confidence 1,
  the reason as evidence);
- ``reject`` deletes every link of that node for the firm, whatever found it.

A corrected firm's links are the people's from then on: an import leaves them as they are
(:func:`corrected_firm_ids` tells the import which firms to skip), and
:func:`correction_labels` turns every corrected firm into a training label for the node
classifier (its nodes after the corrections; none left means "none of the chain").

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> corrections(store).empty
True
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.exceptions import InvalidArgument, NotFoundError
from recommender.store import models as M
from recommender.store.writes import bump_version

__all__ = [
    "CORRECTION_COLUMNS",
    "MAX_REASON_LENGTH",
    "METHOD_CORRECTION",
    "corrected_firm_ids",
    "correction_labels",
    "corrections",
    "record_correction",
]

METHOD_CORRECTION = "correction"  # the method of a link a person confirmed or added
MAX_REASON_LENGTH = 500
CORRECTION_COLUMNS = [M.ID, C.FIRM_ID, C.NODE_ID, M.CORRECTION_ACTION, M.CORRECTION_REASON,
                      M.RECORDED_AT, M.RECORDED_BY]


def record_correction(store, firm_id: str, node_id: str, action: str, reason: str, *,
                      by: str | None, node_ids=None) -> dict:
    """Record one correction and apply it to the firm's links; return the stored row.

    Parameters
    ----------
    store : Store
    firm_id, node_id : str
        The firm (it must be in the store) and the node.
    action : {"confirm", "reject", "add"}
    reason : str
        Why, in the corrector's words (1 to :data:`MAX_REASON_LENGTH` characters).
    by : str or None
        Who: the key's label or role, as the service knows it.
    node_ids : collection of str, optional
        The chain's nodes; when given, ``node_id`` must be one of them.

    Raises
    ------
    InvalidArgument
        An unknown action or node, or an empty or too long reason.
    NotFoundError
        No such firm.
    """
    if action not in M.CORRECTION_ACTIONS:
        raise InvalidArgument(f"action must be one of {', '.join(M.CORRECTION_ACTIONS)}, "
                              f"got {action!r}")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument(f"reason: say why, in 1 to {MAX_REASON_LENGTH} characters")
    if not isinstance(node_id, str) or not node_id or (
            node_ids is not None and node_id not in set(node_ids)):
        raise InvalidArgument(f"node_id: {node_id!r} is not a node of the chain")
    row = {C.FIRM_ID: firm_id, C.NODE_ID: node_id, M.CORRECTION_ACTION: action,
           M.CORRECTION_REASON: reason, M.RECORDED_AT: M.utcnow(), M.RECORDED_BY: by}

    def work(conn: sa.Connection) -> dict:
        firms = M.FIRMS
        if conn.execute(sa.select(firms.c[C.FIRM_ID]).where(
                firms.c[C.FIRM_ID] == firm_id)).first() is None:
            raise NotFoundError(f"no firm {firm_id!r}")
        new_id = conn.execute(sa.insert(M.NODE_CORRECTIONS).values(row)).inserted_primary_key[0]
        links = M.FIRM_NODES
        this = (links.c[C.FIRM_ID] == firm_id) & (links.c[C.NODE_ID] == node_id)
        if action == M.CORRECTION_REJECT:
            conn.execute(sa.delete(links).where(this))
        else:
            conn.execute(sa.delete(links).where(this & (links.c[C.METHOD] == METHOD_CORRECTION)))
            conn.execute(sa.insert(links).values({
                C.FIRM_ID: firm_id, C.NODE_ID: node_id, C.METHOD: METHOD_CORRECTION,
                C.CONFIDENCE: 1.0, C.EVIDENCE: reason}))
        bump_version(conn)
        return {M.ID: int(new_id), **row}

    return store.write(work)


def corrections(store, *, firm_ids=None) -> pd.DataFrame:
    """Return the corrections (:data:`CORRECTION_COLUMNS`), oldest first, of some or all firms."""
    table = M.NODE_CORRECTIONS
    query = sa.select(*(table.c[name] for name in CORRECTION_COLUMNS)).order_by(table.c[M.ID])
    if firm_ids is not None:
        query = query.where(table.c[C.FIRM_ID].in_(list(firm_ids)))
    with store.snapshot() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=CORRECTION_COLUMNS)


def corrected_firm_ids(store, *, conn: sa.Connection | None = None) -> set[str]:
    """Return the ids of the firms with at least one correction."""
    query = sa.select(M.NODE_CORRECTIONS.c[C.FIRM_ID]).distinct()
    if conn is not None:
        return set(conn.execute(query).scalars())
    with store.snapshot() as own:
        return set(own.execute(query).scalars())


def correction_labels(store) -> pd.DataFrame:
    """Return one training label per corrected firm: its text and its nodes now.

    Columns ``firm_id``, ``business_scope`` and ``node_ids`` (the firm's nodes after the
    corrections, ``;``-separated in node order; empty = none of the chain), the format
    :func:`recommender.firms.node_labels.parse_node_ids` reads. Firms without a text are left
    out: there is nothing to learn from.
    """
    ids = sorted(corrected_firm_ids(store))
    columns = [C.FIRM_ID, C.BUSINESS_SCOPE, "node_ids"]
    if not ids:
        return pd.DataFrame(columns=columns)
    firms = store.firms(firm_ids=ids)
    links = store.firm_nodes(firm_ids=ids)
    nodes = {firm: ";".join(dict.fromkeys(group[C.NODE_ID]))
             for firm, group in links.groupby(C.FIRM_ID)}
    out = firms[[C.FIRM_ID, C.BUSINESS_SCOPE]].assign(
        node_ids=[nodes.get(firm, "") for firm in firms[C.FIRM_ID]])
    has_text = out[C.BUSINESS_SCOPE].fillna("").astype(str).str.strip() != ""
    return out[has_text][columns].sort_values(C.FIRM_ID).reset_index(drop=True)
