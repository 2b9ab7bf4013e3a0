"""What the firm and park portraits (企业画像, 园区画像) show, and recording an outcome.

Built from the functions the JSON API answers with: a firm's portrait is
:func:`service.answers.queries.firm_portrait` with its standing in every weak link it is a candidate
for (the snapshot's scores, as ``GET /weak-links/<node>/recommendations`` ranks them) and
the parks it fits (:func:`service.answers.matching.firm_park_rows`); a park's matches are
:func:`service.answers.matching.park_match_rows` over its validated profile, as
``GET /parks/<park>/matches`` answers; an outcome is recorded by
:func:`service.answers.queries.record_outcome`, as ``POST /outcomes`` records it. The pages
(:mod:`service.pages.portraits`) call these; so can the API's views (:func:`park_matches`,
:func:`record_outcome_label` hold what those views did inline). What a key may see is passed
in (``with_*`` flags, the parks it may see): nothing here knows about Flask.

A chain link's evidence comes split (:func:`evidence_parts`): the chain's keywords, which a
page names in its own language, and the source's own wording, which a page quotes as
written, never translated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pandas as pd

from recommender import columns as C
from recommender.chain import KEYWORDS_EN, KEYWORDS_ZH
from recommender.exceptions import NotFoundError
from recommender.store.models import DATA_VERSION
from recommender.store.store import PARK_COLUMNS
from service.answers import matching, queries

__all__ = [
    "CANDIDATES",
    "EVIDENCE_KEYWORD",
    "EVIDENCE_QUOTE",
    "chain_keywords",
    "evidence_parts",
    "firm_parks",
    "firm_portrait",
    "firm_standings",
    "park_list",
    "park_matches",
    "park_portrait",
    "record_outcome_label",
]

CANDIDATES = "candidates"  # how many firms a weak link ranks (the rank is out of these)
EVIDENCE_KEYWORD, EVIDENCE_QUOTE = "keyword", "quote"  # the kinds of a link's evidence
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KEYWORD_SEPARATORS = re.compile(r"[\s\-]+")  # as the keyword matcher folds them


# --- firms ------------------------------------------------------------------------------------
def firm_standings(snapshot, firm_id: str) -> list[dict[str, Any]]:
    """Return the firm's row in every weak link it is a candidate for, best rank first.

    Each row is the recommendation row the API serves (``likelihood``, ``impact``, ``value``,
    the base rate, the recruitment stage, reasons in Chinese and English, provenance) with
    ``rank`` by value among all the link's candidates (no filters, those that already invested
    included) and ``candidates``, their number. A firm the snapshot does not score has none.
    """
    table = snapshot.scores.table
    positions = table.firm_positions(firm_id)
    ranks, counts = table.link_ranks(positions)
    rows = [{**item, C.RANK: int(rank), CANDIDATES: int(count)}
            for item, rank, count in zip(snapshot.scores.items(positions), ranks, counts,
                                         strict=True)]
    return sorted(rows, key=lambda row: (row[C.RANK], -row[C.VALUE], row[C.NODE_ID]))


def firm_parks(snapshot, firm_id: str, parks: pd.DataFrame) -> list[dict[str, Any]]:
    """Return ``parks`` ranked for the firm (admitted ones), each with the park's names
    (``park_name_zh``, ``park_name_en``); none for a firm the snapshot does not hold yet
    (stored after it was built)."""
    try:
        rows = matching.firm_park_rows(snapshot, firm_id, parks)
    except NotFoundError:
        return []
    names = parks.set_index(C.PARK_ID)[[C.PARK_NAME_ZH, C.PARK_NAME_EN]]
    for row in rows:
        known = row[C.PARK_ID] in names.index
        row["park_name_zh"] = _text(names.at[row[C.PARK_ID], C.PARK_NAME_ZH]) if known else None
        row["park_name_en"] = _text(names.at[row[C.PARK_ID], C.PARK_NAME_EN]) if known else None
    return rows


def firm_portrait(store, chain, snapshot, firm_id: str, *, with_outcomes: bool,
                  with_rankings: bool, parks: pd.DataFrame | None) -> dict[str, Any]:
    """Return what a firm's portrait page shows.

    :func:`service.answers.queries.firm_portrait` (profile, chain nodes with evidence, provenance,
    outcomes), each node with ``evidence_parts`` (:func:`evidence_parts`), the outcomes
    newest first as ``GET /outcomes`` lists them; ``standings``
    (:func:`firm_standings`) with ``with_rankings``; ``parks`` (:func:`firm_parks`) among
    ``parks``, the parks the key may see. What the key may not read is ``None``.

    Raises
    ------
    NotFoundError
        No firm has ``firm_id``.
    """
    portrait = queries.firm_portrait(store, chain, firm_id, with_outcomes=with_outcomes)
    scope = portrait["profile"].get(C.BUSINESS_SCOPE)
    keywords = chain_keywords(chain)
    for row in portrait["nodes"]:
        row["evidence_parts"] = evidence_parts(keywords, row[C.NODE_ID], row[C.EVIDENCE], scope)
    if portrait["outcomes"] is not None:
        portrait["outcomes"] = portrait["outcomes"][::-1]
    portrait["standings"] = firm_standings(snapshot, firm_id) if with_rankings else None
    portrait["parks"] = firm_parks(snapshot, firm_id, parks) if parks is not None else None
    portrait[C.MODEL_VERSION] = snapshot.model_version
    portrait[DATA_VERSION] = snapshot.data_version
    return portrait


def evidence_parts(keywords: Mapping[str, Sequence[tuple[str, str]]], node_id: str,
                   evidence: Any, scope: Any = None) -> list[dict[str, Any]]:
    """Split a chain link's evidence into what a page can show in either language.

    ``evidence`` is the link's text (pieces joined by ``"; "``), ``keywords`` the chain's
    keywords by folded spelling (:func:`chain_keywords`). A piece that is one of the chain's
    keywords (or its simple English plural) is ``{"kind": "keyword", "node_id", "text",
    "lang"}``: a page names the node in its own language when the keyword is in the other
    one. Any other piece is the source's own wording, ``{"kind": "quote", "text", "lang",
    "own"}``, ``own`` when the firm's ``scope`` (its business scope) holds it: a page shows
    it as a quote, never translated. ``lang`` is "zh" or "en", the language of the piece.

    >>> index = {"oscilloscope": [("oscilloscopes", "en")]}
    >>> [part["kind"] for part in evidence_parts(index, "oscilloscopes",
    ...                                          "oscilloscopes; LeCroy scopes", "LeCroy scopes")]
    ['keyword', 'quote']
    """
    if evidence is None or (not isinstance(evidence, str) and pd.isna(evidence)):
        return []
    folded_scope = str(scope).casefold() if _text(scope) else ""
    parts = []
    for piece in (p.strip() for p in str(evidence).split(";")):
        if not piece:
            continue
        lang = "zh" if _CJK.search(piece) else "en"
        found = next((keywords[key] for key in _singulars(_fold(piece)) if key in keywords), None)
        if found:
            node = next((n for n, _ in found if n == node_id), found[0][0])
            parts.append({"kind": EVIDENCE_KEYWORD, C.NODE_ID: node, "text": piece, "lang": lang})
        else:
            parts.append({"kind": EVIDENCE_QUOTE, "text": piece, "lang": lang,
                          "own": piece.casefold() in folded_scope})
    return parts


def chain_keywords(chain) -> dict[str, list[tuple[str, str]]]:
    """The chain's keywords by folded spelling: ``[(node_id, "zh" | "en"), ...]``."""
    index: dict[str, list[tuple[str, str]]] = {}
    for node_id in chain.node_ids:
        node = chain.node(node_id)
        for lang, column in (("zh", KEYWORDS_ZH), ("en", KEYWORDS_EN)):
            for keyword in node.get(column) or []:
                index.setdefault(_fold(keyword), []).append((node_id, lang))
    return index


def _fold(text: str) -> str:
    """A keyword's spelling as the keyword matcher compares it: case, spaces and hyphens
    aside ("Flow-meter", "flowmeter")."""
    return _KEYWORD_SEPARATORS.sub("", text.casefold())


def _singulars(folded: str) -> list[str]:
    """``folded`` and the singulars it may be the simple English plural of."""
    forms = [folded]
    if folded.endswith("ies"):
        forms.append(folded[:-3] + "y")
    if folded.endswith("es"):
        forms.append(folded[:-2])
    if folded.endswith("s"):
        forms.append(folded[:-1])
    return forms


def record_outcome_label(store, chain, snapshots, outcome: Mapping[str, Any], *,
                         recorded_by: str | None, recorded_by_key: int | None = None,
                         ) -> tuple[dict[str, Any], bool]:
    """Record an outcome (``OutcomeInSchema``'s fields, validated by
    :func:`service.answers.queries.record_outcome`); return it and whether it is new.

    A new outcome is a new training label and a new data version: ``snapshots`` are told, so
    that rankings are scored again over it (the old scores serve until then). ``recorded_by``
    is the person who records it, ``recorded_by_key`` the id of their key.
    """
    stored, created = queries.record_outcome(store, chain, **outcome, recorded_by=recorded_by,
                                             recorded_by_key=recorded_by_key)
    if created:
        snapshots.invalidate()
    return stored, created


# --- parks ------------------------------------------------------------------------------------
def park_matches(snapshot, chain, park: Mapping[str, Any], *, k: int,
                 include_excluded: bool = False, exclude_local: bool = True) -> dict[str, Any]:
    """Return the firms that suit ``park`` (stored or ad hoc), best first, with reasons.

    The profile is validated by the library's rules
    (:func:`recommender.parks.profiles.park_profiles`)
    and its focus nodes must be nodes of ``chain`` (ValidationError otherwise).
    """
    from recommender.parks.profiles import park_profiles

    profile = park_profiles({key: value for key, value in park.items() if key in PARK_COLUMNS})
    queries._require_nodes(chain, list(profile.at[0, C.FOCUS_NODES] or []), C.FOCUS_NODES)
    record = matching.records(profile)[0]
    # the same profile asked again (a portrait reloaded, the API polled) is answered from the
    # snapshot's memo; an edited profile is another key
    key = ("park-matches", orjson.dumps(record, default=str, option=orjson.OPT_SORT_KEYS), k,
           include_excluded, exclude_local)
    items = snapshot.memo.get(key, lambda: matching.park_match_rows(
        snapshot, profile, k=k, include_excluded=include_excluded, exclude_local=exclude_local))
    return {"park": record, C.MODEL_VERSION: snapshot.model_version,
            DATA_VERSION: snapshot.data_version, "k": k,
            "include_excluded": include_excluded, "exclude_local": exclude_local,
            "items": items}


def park_list(store, chain, region, scope: Sequence[str] | None) -> list[dict[str, Any]]:
    """Return the parks a key may see (``scope``: its parks, or None for all), each with its
    city and focus nodes named."""
    parks = matching.visible_parks(store, scope)
    return [_named(park, chain, region) for park in matching.records(parks)]


def park_portrait(store, chain, region, snapshot, park_id: str, scope: Sequence[str] | None,
                  *, k: int, include_excluded: bool = False) -> dict[str, Any]:
    """Return what a park's portrait page shows: its profile (city, focus nodes and tenants
    named) and the firms that suit it (:func:`park_matches`).

    Raises
    ------
    NotFoundError
        No park has ``park_id``, or it is outside ``scope`` (the same answer for both).
    """
    park = matching.visible_park(store, park_id, scope)
    matches = park_matches(snapshot, chain, park, k=k, include_excluded=include_excluded)
    named = _named(park, chain, region)
    names = _firm_names(snapshot, park.get(C.TENANTS) or [])
    named["tenant_firms"] = [{C.FIRM_ID: firm_id, **names.get(firm_id, {})}
                             for firm_id in park.get(C.TENANTS) or []]
    return {"park": named, "matches": matches}


def _named(park: Mapping[str, Any], chain, region) -> dict[str, Any]:
    """``park`` with ``city`` (``{name_zh, name_en, in_gba, region}`` or None, ``region``
    the province's ``{name_zh, name_en}``) and ``focus`` (nodes named)."""
    cities = getattr(region, "cities", None)
    city = None
    if cities is not None and park.get(C.CITY_ID) is not None:
        found = cities[cities[C.CITY_ID] == park[C.CITY_ID]]
        if len(found):
            row = found.iloc[0]
            in_gba = row.get(C.IN_GBA)
            city = {C.NAME_ZH: row[C.CITY_NAME_ZH], C.NAME_EN: row[C.CITY_NAME_EN],
                    C.IN_GBA: None if in_gba is None or pd.isna(in_gba) else bool(in_gba),
                    "region": {C.NAME_ZH: getattr(region, C.NAME_ZH, None),
                               C.NAME_EN: getattr(region, C.NAME_EN, None)}}
    known = set(chain.node_ids)
    focus = [{C.NODE_ID: node_id,
              C.NAME_ZH: chain.node(node_id).get(C.NODE_NAME_ZH) if node_id in known else None,
              C.NAME_EN: chain.node(node_id).get(C.NODE_NAME_EN) if node_id in known else None}
             for node_id in park.get(C.FOCUS_NODES) or []]
    return {**park, "city": city, "focus": focus}


def _firm_names(snapshot, firm_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{firm_id: {name, name_zh}}`` of those of ``firm_ids`` the snapshot holds."""
    firms = snapshot.data.firms
    rows = firms[firms[C.FIRM_ID].astype(str).isin([str(f) for f in firm_ids])]
    return {str(row[C.FIRM_ID]): {C.NAME: _text(row.get(C.NAME)),
                                  C.NAME_ZH: _text(row.get(C.NAME_ZH))}
            for row in rows.to_dict("records")}


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
