"""The recruitment pipeline's stages, by name.

A recorded outcome carries a stage code (``columns.OUTCOME_STAGE``: 0 declined or no answer,
1 responded, 2 site visit, 3 MoU, 4 invested). A (firm, weak link) pair's *recruitment stage*
is the best stage recorded for it, or ``"none"`` (code -1) when it was never contacted; it is
what officers filter candidate lists by.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.outcome_stages import RECRUITMENT_STAGES, STAGE_LABELS

__all__ = ["best_stage_codes", "stage_codes", "stage_label", "stage_names"]



def stage_codes(stages: Sequence[str]) -> list[int]:
    """Return the codes of recruitment stage names; InvalidArgument names an unknown one.

    >>> stage_codes(["none", "mou"])
    [-1, 3]
    """
    unknown = [s for s in stages if s not in RECRUITMENT_STAGES]
    if unknown:
        raise InvalidArgument(
            f"unknown recruitment stage {unknown[0]!r}; one of {', '.join(RECRUITMENT_STAGES)}",
            [{"field": "stage", "message": f"unknown stage {s!r}"} for s in unknown])
    return [RECRUITMENT_STAGES.index(s) - 1 for s in stages]


def stage_names(codes) -> list[str]:
    """Return the names of stage codes (-1 .. 4).

    >>> stage_names([-1, 0, 4])
    ['none', 'declined', 'invested']
    """
    return [RECRUITMENT_STAGES[int(code) + 1] for code in codes]


def stage_label(name: str, lang: str) -> str:
    """Return the stage ``name`` as a person reads it in ``lang`` (zh or en).

    >>> stage_label("mou", "zh"), stage_label("none", "en")
    ('签署合作备忘录', 'not contacted')
    """
    zh, en = STAGE_LABELS[name]
    return zh if lang == "zh" else en


def best_stage_codes(pairs: pd.DataFrame, contacted: pd.DataFrame) -> np.ndarray:
    """Return, for each row of ``pairs`` (``firm_id``, ``node_id``), the best stage recorded
    for that pair in ``contacted`` (:func:`recommender.ranking.features.contacted_pairs`), -1 if
    none.
    """
    codes = np.full(len(pairs), -1, np.int8)
    if not len(pairs) or not len(contacted):
        return codes
    known = pd.MultiIndex.from_arrays([contacted[C.FIRM_ID].astype(str),
                                       contacted[C.NODE_ID].astype(str)])
    where = known.get_indexer(pd.MultiIndex.from_arrays([pairs[C.FIRM_ID].astype(str),
                                                         pairs[C.NODE_ID].astype(str)]))
    found = where >= 0
    codes[found] = contacted[C.OUTCOME_STAGE].to_numpy()[where[found]]
    return codes
