"""The recruitment pipeline's stage vocabulary: names by code and how people read them.

A recorded outcome carries a stage code (``columns.OUTCOME_STAGE``: 0 declined or no answer,
1 responded, 2 site visit, 3 MoU, 4 invested); a pair never contacted is ``"none"`` (code -1).
The table lives at the root so that every floor can name a stage: the ranking's reasons
("reached the site visit stage before") as well as targeting's filters
(:mod:`recommender.targeting.stages`, which re-exports these names).

>>> OUTCOME_STAGES[2], STAGE_LABELS[OUTCOME_STAGES[2]]
('visited', ('实地考察', 'site visit'))
"""

from __future__ import annotations

__all__ = ["NOT_CONTACTED", "OUTCOME_STAGES", "RECRUITMENT_STAGES", "STAGE_LABELS"]

NOT_CONTACTED = "none"
OUTCOME_STAGES = ("declined", "responded", "visited", "mou", "invested")  # codes 0 .. 4
RECRUITMENT_STAGES = (NOT_CONTACTED, *OUTCOME_STAGES)  # codes -1 .. 4
# name -> (Chinese, English), as files, pages and reasons show them
STAGE_LABELS: dict[str, tuple[str, str]] = {
    NOT_CONTACTED: ("未接触", "not contacted"),
    "declined": ("拒绝或未回复", "declined or no answer"),
    "responded": ("已回复", "responded"),
    "visited": ("实地考察", "site visit"),
    "mou": ("签署合作备忘录", "MoU signed"),
    "invested": ("投资落地", "invested"),
}
