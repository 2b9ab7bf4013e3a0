"""The rows of an exported list, with what an officer needs beside the ranking.

:func:`officer_rows` takes ranked rows (a weak link's firms or the target list, as
:class:`~recommender.targeting.score_table.ScoreTable` and
:mod:`recommender.targeting.recommend` give them) and adds, in the file's language:

- the firm's name and its name in the other language (Chinese and English);
- its website and its credit code (统一社会信用代码), else its stock symbol or ISIN;
- the weak link's name, the reasons, and for a target-list pick the links it covers by name;
- the day of the firm's latest recorded outcome and the stage it reached;
- the park that suits it best (:func:`best_parks` of park matches the caller computed:
  parks are a wing of their own, matched where both are known) and that pair's score;
- whether the row is real or synthetic data.

Nothing personal is added: an outcome's recorder and a project's contacts stay out.

>>> rows = pd.DataFrame({"firm_id": ["f1"], "name": ["Zeiss"], "name_zh": ["蔡司"],
...                      "node_id": ["lasers"], "is_synthetic": [False]})
>>> officer_rows(rows, lang="zh")[["name", "other_name"]].values.tolist()
[['蔡司', 'Zeiss']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.outcome_stages import OUTCOME_STAGES
from recommender.targeting.export_columns import (
    BEST_PARK,
    BEST_PARK_SCORE,
    DATA_KIND,
    LAST_CONTACT,
    LAST_CONTACT_STAGE,
    NODE_NAME,
    OTHER_NAME,
    REASON,
    REGISTRATION,
)
from recommender.targeting.portfolio import COVERS

__all__ = ["best_parks", "last_contacts", "link_names", "officer_rows", "shortfall_note"]

_LANGUAGES = ("zh", "en")
_REGISTRATIONS = (C.CREDIT_CODE, C.SYMBOL, C.ISIN)  # the first one known names the firm


def _text(value) -> str | None:
    """A value as stripped text, or None when it is missing or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def link_names(chain) -> dict[str, tuple[str, str]]:
    """Return each node of ``chain`` as ``node_id -> (Chinese name, English name)``."""
    nodes = chain.nodes
    return {str(n): (zh, en) for n, zh, en in zip(nodes[C.NODE_ID], nodes[C.NAME_ZH],
                                                  nodes[C.NAME_EN], strict=True)}


def last_contacts(outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """Return each firm's latest recorded outcome: ``firm_id``, ``last_contact`` (its day)
    and ``last_contact_stage`` (the best stage recorded that day, by name).

    >>> outcomes = pd.DataFrame({"firm_id": ["a", "a", "b"], "node_id": ["n", "m", "n"],
    ...                          "date": ["2024-03-01", "2024-05-02", "2023-01-09"],
    ...                          "stage": [3, 1, 0]})
    >>> last_contacts(outcomes).values.tolist()
    [['a', datetime.date(2024, 5, 2), 'responded'], ['b', datetime.date(2023, 1, 9), 'declined']]
    """
    columns = [C.FIRM_ID, LAST_CONTACT, LAST_CONTACT_STAGE]
    if outcomes is None or not len(outcomes):
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({C.FIRM_ID: outcomes[C.FIRM_ID].astype(str),
                          C.DATE: pd.to_datetime(outcomes[C.DATE], errors="coerce"),
                          C.OUTCOME_STAGE: outcomes[C.OUTCOME_STAGE]}).dropna(subset=[C.DATE])
    latest = (frame.sort_values([C.FIRM_ID, C.DATE, C.OUTCOME_STAGE])
              .drop_duplicates(C.FIRM_ID, keep="last"))
    return pd.DataFrame({
        C.FIRM_ID: latest[C.FIRM_ID].to_numpy(),
        LAST_CONTACT: [d.date() for d in latest[C.DATE]],
        LAST_CONTACT_STAGE: [OUTCOME_STAGES[int(s)] for s in latest[C.OUTCOME_STAGE]],
    }, columns=columns).reset_index(drop=True)


def best_parks(matches: pd.DataFrame | None, parks: pd.DataFrame | None) -> pd.DataFrame:
    """Return, for each firm of ``matches``, the park it suits best.

    ``matches`` holds admitted (firm, park) pairs with ``park_id``, ``firm_id`` and ``score``
    (:func:`recommender.parks.matching.matches_for_parks` without the excluded ones);
    ``parks`` names the parks (``park_id``, ``name_zh``, ``name_en``). The answer has
    ``firm_id``, ``park_id``, ``name_zh``, ``name_en`` and ``score``.

    >>> matches = pd.DataFrame({"park_id": ["p", "q", "q"], "firm_id": ["a", "a", "b"],
    ...                         "score": [0.4, 0.7, 0.2]})
    >>> parks = pd.DataFrame({"park_id": ["p", "q"], "name_zh": ["西湾", "翠亨"],
    ...                       "name_en": ["Xiwan", "Cuiheng"]})
    >>> best_parks(matches, parks)[["firm_id", "name_zh", "score"]].values.tolist()
    [['a', '翠亨', 0.7], ['b', '翠亨', 0.2]]
    """
    columns = [C.FIRM_ID, C.PARK_ID, C.NAME_ZH, C.NAME_EN, C.SCORE]
    if matches is None or parks is None or not len(matches) or not len(parks):
        return pd.DataFrame(columns=columns)
    pairs = matches[[C.FIRM_ID, C.PARK_ID, C.SCORE]].astype({C.FIRM_ID: str, C.PARK_ID: str})
    best = pairs.sort_values([C.FIRM_ID, C.SCORE], ascending=[True, False]).drop_duplicates(
        C.FIRM_ID)
    names = parks.reindex(columns=[C.PARK_ID, C.NAME_ZH, C.NAME_EN]).astype({C.PARK_ID: str})
    return best.merge(names.drop_duplicates(C.PARK_ID), on=C.PARK_ID, how="left")[
        columns].reset_index(drop=True)


def shortfall_note(note: str, *, k: int, picked: int, saturated: bool, min_gain: float,
                   total_weight: float, lang: str = "zh") -> str:
    """Say in ``lang`` why a target list holds ``picked`` firms of ``k`` (``note``: the
    portfolio's own words, English; "" when it holds ``k``).

    >>> shortfall_note("picked 2 of k=5: …", k=5, picked=2, saturated=True, min_gain=0.01,
    ...                total_weight=100.0)[:16]
    '入选 2 家后覆盖已饱和：其余候'
    """
    if lang != "zh" or not note:
        return note
    if saturated:
        share = min_gain / total_weight * 100 if total_weight else 0.0
        return (f"入选 {picked} 家后覆盖已饱和：其余候选企业都不能再增加预期覆盖（每家增加均不足"
                f"各薄弱环节总权重的 {share:g}%），故名单少于要求的 {k} 家")
    return f"名单入选 {picked} 家，少于要求的 {k} 家：受同一国家/地区的入选上限或候选企业数量所限"


def officer_rows(rows: pd.DataFrame | Sequence[Mapping], *, lang: str = "zh",
                 firms: pd.DataFrame | None = None, outcomes: pd.DataFrame | None = None,
                 parks: pd.DataFrame | None = None,
                 links: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Return ranked ``rows`` with the columns of an officer's file, in ``lang``.

    Parameters
    ----------
    rows : DataFrame or list of dicts
        Ranked rows: ``firm_id``, ``name``, ``name_zh``, ``node_id``; the scores, reasons
        (``reason_zh``/``reason_en``), ``is_synthetic`` and, for a target-list pick,
        ``covers`` where known.
    firms : DataFrame, optional
        The firms (``website``, ``credit_code``, ``symbol``, ``isin``; ``size_class`` when
        the rows lack it).
    outcomes : DataFrame, optional
        Recorded outcomes (``firm_id``, ``date``, ``stage``), for the latest contact.
    parks : DataFrame, optional
        :func:`best_parks` of the firms.
    links : mapping, optional
        ``node_id -> (Chinese name, English name)`` (:func:`link_names`), for the links a
        pick covers and rows without the link's name.

    Returns
    -------
    DataFrame
        ``rows`` with ``name`` in ``lang`` (the other name in ``other_name``), ``node_name``,
        ``reason``, ``website``, ``registration``, ``last_contact``, ``last_contact_stage``,
        ``best_park``, ``best_park_score`` and ``data_kind``; ``covers`` as link names.
    """
    if lang not in _LANGUAGES:
        raise InvalidArgument(f"lang must be one of {', '.join(_LANGUAGES)}, got {lang!r}")
    which = _LANGUAGES.index(lang)
    frame = pd.DataFrame(rows).reset_index(drop=True)
    if frame.empty:
        return frame
    links = links or {}
    ids = frame[C.FIRM_ID].astype(str)
    none = [None] * len(frame)
    english = [_text(v) for v in frame[C.NAME]] if C.NAME in frame else none
    chinese = [_text(v) for v in frame[C.NAME_ZH]] if C.NAME_ZH in frame else none
    first, second = (chinese, english) if lang == "zh" else (english, chinese)
    frame[C.NAME] = [a or b for a, b in zip(first, second, strict=True)]
    frame[OTHER_NAME] = [b if a else None for a, b in zip(first, second, strict=True)]
    nodes = frame[C.NODE_ID].tolist() if C.NODE_ID in frame else none
    shown = (C.LINK_NAME_ZH, C.LINK_NAME_EN)[which]
    given = frame[shown].tolist() if shown in frame else none
    frame[NODE_NAME] = [_text(name) or links.get(str(node), (None, None))[which] or node
                        for node, name in zip(nodes, given, strict=True)]
    reason = (C.REASON_ZH, C.REASON_EN)[which]
    if reason in frame:
        frame[REASON] = frame[reason]
    if COVERS in frame:
        frame[COVERS] = [[links.get(str(c.get(C.NODE_ID)), (None, None))[which]
                          or c.get(C.NODE_ID) for c in covered] if isinstance(covered, list)
                         else covered for covered in frame[COVERS]]
    _add_firm_details(frame, ids, firms)
    contacts = last_contacts(outcomes).set_index(C.FIRM_ID)
    frame[LAST_CONTACT] = ids.map(contacts[LAST_CONTACT]).astype(object).to_numpy()
    frame[LAST_CONTACT_STAGE] = ids.map(contacts[LAST_CONTACT_STAGE]).astype(object).to_numpy()
    best = (parks if parks is not None else best_parks(None, None)).astype(
        {C.FIRM_ID: str}).drop_duplicates(C.FIRM_ID).set_index(C.FIRM_ID)
    park_name = best[C.NAME_ZH if lang == "zh" else C.NAME_EN].where(
        best[C.NAME_ZH if lang == "zh" else C.NAME_EN].notna(), best[C.PARK_ID])
    frame[BEST_PARK] = ids.map(park_name).astype(object).to_numpy()
    frame[BEST_PARK_SCORE] = ids.map(best[C.SCORE]).astype(float).to_numpy()
    if C.IS_SYNTHETIC in frame:
        frame[DATA_KIND] = frame[C.IS_SYNTHETIC].fillna(False).astype(bool)
    return frame


def _add_firm_details(frame: pd.DataFrame, ids: pd.Series, firms: pd.DataFrame | None) -> None:
    """Add the firms' website and registration (and size class and synthetic flag where the
    rows lack them)."""
    if firms is None or not len(firms):
        frame[C.WEBSITE] = None
        frame[REGISTRATION] = None
        return
    known = firms.drop_duplicates(C.FIRM_ID).set_index(firms.drop_duplicates(C.FIRM_ID)[
        C.FIRM_ID].astype(str))
    details = known.reindex(ids)
    frame[C.WEBSITE] = [_text(v) for v in details.get(C.WEBSITE, [None] * len(ids))]
    registrations = []
    for _, row in details.reindex(columns=list(_REGISTRATIONS)).iterrows():
        registrations.append(next((_text(row[c]) for c in _REGISTRATIONS if _text(row[c])),
                                  None))
    frame[REGISTRATION] = registrations
    for column in (C.SIZE_CLASS, C.IS_SYNTHETIC):
        if column not in frame and column in details:
            frame[column] = details[column].to_numpy()
