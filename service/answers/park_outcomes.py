"""The outcomes a park manager reads and records: those of the firms matched to its parks.

A park manager may read neither the rankings nor every outcome. With ``outcomes:parks`` it
reads and records the outcomes of the firms matched to its own parks: the firms a park's
portrait can list, its best :data:`MATCHED` admitted matches (firms already in the region
left out), as :func:`service.answers.portraits.park_matches` ranks them over the current
snapshot. Any other firm is as absent to it as one that does not exist (NotFoundError: 404).

A park's matches as a file (:func:`park_match_download`, for ``export`` or, for one's own
parks, ``export:parks``) carry each firm's last contact, an outcome: it is filled only for the
firms whose outcomes the key reads.

Nothing here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from recommender import columns as C
from recommender.exceptions import NotFoundError
from service.answers import matching, portraits, queries

__all__ = ["EVERY_FIRM", "MATCHED", "matched_parks", "park_firm_ids", "outcome_scope",
           "park_match_download", "park_outcome_page", "require_matched", "with_names"]

MATCHED = 100  # the longest list a park's portrait shows
EVERY_FIRM = None  # the ``outcome_scope`` of a key that reads every outcome


def _park_firms(snapshot, chain, park: dict) -> list[str]:
    answer = portraits.park_matches(snapshot, chain, park, k=MATCHED)
    return [item[C.FIRM_ID] for item in answer["items"]]


def park_firm_ids(store, chain, snapshot, park_id: str) -> list[str]:
    """Return the firms matched to one park (NotFoundError for an unknown park)."""
    return _park_firms(snapshot, chain, matching.visible_park(store, park_id, None))


def matched_parks(store, chain, snapshot, scope: Sequence[str]) -> dict[str, list[str]]:
    """Return each firm matched to one of the parks of ``scope``, with those parks (ids)."""
    parks = matching.visible_parks(store, scope)
    found: dict[str, list[str]] = {}
    for park in matching.records(parks):
        for firm_id in _park_firms(snapshot, chain, park):
            found.setdefault(firm_id, []).append(park[C.PARK_ID])
    return found


def require_matched(store, chain, snapshot, scope: Sequence[str], firm_id: str) -> list[str]:
    """Return the parks of ``scope`` that ``firm_id`` is matched to.

    Raises
    ------
    NotFoundError
        The firm is matched to none of them (or does not exist).
    """
    parks = matched_parks(store, chain, snapshot, scope).get(firm_id)
    if not parks:
        raise NotFoundError(f"no firm {firm_id!r} among the firms matched to your parks")
    return parks


def park_outcome_page(store, chain, snapshot, scope: Sequence[str], *,
                      park_id: str | None = None, firm_id: str | None = None,
                      node_id: str | None = None, page: int = 1,
                      page_size: int = 50) -> dict[str, Any]:
    """Return a page of the outcomes of the firms matched to the parks of ``scope`` (to
    ``park_id`` alone when given), newest first, as :func:`queries.outcome_page` pages them.

    Raises
    ------
    NotFoundError
        ``park_id`` is outside ``scope``, or ``firm_id`` is not matched to its parks.
    """
    if park_id is not None:
        park = matching.visible_park(store, park_id, scope)
        firms = _park_firms(snapshot, chain, park)
    else:
        firms = list(matched_parks(store, chain, snapshot, scope))
    if firm_id is not None and firm_id not in firms:
        raise NotFoundError(f"no firm {firm_id!r} among the firms matched to your parks")
    return queries.outcome_page(store, firm_id=firm_id, node_id=node_id, page=page,
                                page_size=page_size, firm_ids=firms)


def with_names(snapshot, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` (rows with a ``firm_id``) with the firm's ``name`` and ``name_zh`` from the
    snapshot (None for a firm it does not hold)."""
    firms = snapshot.data.firms
    ids = {item[C.FIRM_ID] for item in items}
    known = firms[firms[C.FIRM_ID].astype("str").isin(ids)].drop_duplicates(C.FIRM_ID)
    names = {str(row[C.FIRM_ID]): row for row in known[[C.FIRM_ID, C.NAME, C.NAME_ZH]]
             .astype(object).where(known[[C.FIRM_ID, C.NAME, C.NAME_ZH]].notna(), None)
             .to_dict("records")}
    return [{**item, C.NAME: names.get(item[C.FIRM_ID], {}).get(C.NAME),
             C.NAME_ZH: names.get(item[C.FIRM_ID], {}).get(C.NAME_ZH)} for item in items]


def outcome_scope(principal) -> Sequence[str] | None:
    """Whose outcomes ``principal`` reads: :data:`EVERY_FIRM`, or the parks whose matched
    firms' outcomes it reads (empty: nobody's)."""
    from recommender.store.auth import PARK_OUTCOMES, READ_OUTCOMES

    if principal.can(READ_OUTCOMES):
        return EVERY_FIRM
    scope = principal.park_scope
    return tuple(scope) if principal.can(PARK_OUTCOMES) and scope is not None else ()


def park_match_download(store, chain, snapshot, park: Mapping[str, Any], *, k: int,
                        include_excluded: bool, exclude_local: bool, lang: str,
                        outcome_scope: Sequence[str] | None) -> tuple[pd.DataFrame, dict, str]:
    """Return ``(rows, layout, stem)``: ``park``'s matches as the file
    :func:`matching.park_match_file` lays out from the answer the JSON view gives, and its
    name without the suffix.

    ``outcome_scope`` says whose last contact the file shows: :data:`EVERY_FIRM`, or the parks
    whose matched firms' outcomes the key reads (empty: nobody's).
    """
    from recommender.targeting.export_columns import LAST_CONTACT, LAST_CONTACT_STAGE

    answer = portraits.park_matches(snapshot, chain, park, k=k,
                                    include_excluded=include_excluded,
                                    exclude_local=exclude_local)
    rows, layout = matching.park_match_file(snapshot, answer, lang)
    if outcome_scope is not EVERY_FIRM and len(rows):
        readable = matched_parks(store, chain, snapshot, outcome_scope) if outcome_scope else {}
        hidden = ~rows[C.FIRM_ID].astype(str).isin(set(readable))
        for column in (LAST_CONTACT, LAST_CONTACT_STAGE):
            if column in rows.columns:
                rows[column] = rows[column].astype(object).mask(hidden, None)
    stem = f"{'园区匹配' if lang == 'zh' else 'park-matches'}-{answer['park'][C.PARK_ID]}"
    return rows, layout, stem
