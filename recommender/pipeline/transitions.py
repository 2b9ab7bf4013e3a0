"""The stages of a recruitment project (招商项目), the moves between them, and the labels the
ranker learns from.

A project moves forward through :data:`PIPELINE` (线索 lead → 接洽 contacted → 考察 site
visit → 洽谈 negotiation → 签约 signed → 注册 registered → 开工 construction → 投产
production), may be put on hold (搁置) or lost (流失, with one of :data:`LOST_REASONS`) before
it is in production, and comes back from hold to the stage it was held at. The moves are a
table, :data:`NEXT_STAGES`; one that is not in it is refused with the moves that are.

Outcome labels (``stage`` 0–4 of the ``outcomes`` table, what the ranker learns from) follow
from the stages a project reaches, by :data:`OUTCOME_OF_STAGE`:

==============================  =====  ======================================
project stage reached           label  outcome
==============================  =====  ======================================
线索 lead                        —      none (the firm was not contacted yet)
接洽 contacted                   1      responded
考察 visit, 洽谈 negotiation      2      site visit
签约 signed, 注册 registered      3      MoU
开工 construction, 投产 production 4     invested
流失 lost straight from 线索      0      declined or no answer
流失 lost, 搁置 on hold (later)   —      none: the label stays at the stage reached
==============================  =====  ======================================

>>> allowed_next("lead")
('contacted', 'on_hold', 'lost')
>>> outcome_code("registered"), outcome_code("lead"), outcome_code("lost", previous="lead")
(3, None, 0)
>>> check_move("lead", "signed")
Traceback (most recent call last):
...
recommender.exceptions.InvalidArgument: a project at 线索 lead cannot move to 签约 signed; \
allowed next: contacted (接洽), on_hold (搁置), lost (流失)
"""

from __future__ import annotations

from collections.abc import Iterable

from recommender.exceptions import InvalidArgument
from recommender.store.pipeline_tables import PROJECT_STAGES

__all__ = [
    "ACTIVE_STAGES",
    "DECLINED",
    "LANDED_STAGES",
    "LOST",
    "LOST_REASONS",
    "LOST_REASON_LABELS",
    "NEXT_STAGES",
    "ON_HOLD",
    "OUTCOME_OF_STAGE",
    "PIPELINE",
    "PRODUCTION",
    "SIGNED_STAGES",
    "STAGES",
    "STAGE_LABELS",
    "allowed_next",
    "best_outcome",
    "check_lost_reason",
    "check_move",
    "check_stage",
    "outcome_code",
    "refusal_text",
    "stage_label",
]

STAGES = PROJECT_STAGES
PIPELINE = STAGES[:8]  # the forward stages, in order
PRODUCTION = "production"
ON_HOLD = "on_hold"
LOST = "lost"
ACTIVE_STAGES = tuple(s for s in PIPELINE if s != PRODUCTION)  # may be held or lost
SIGNED_STAGES = ("signed", "registered", "construction", "production")  # 签约 or later
LANDED_STAGES = ("construction", "production")  # 开工 or later: the investment has landed

# stage -> (Chinese, English)
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "lead": ("线索", "lead"),
    "contacted": ("接洽", "contacted"),
    "visit": ("考察", "site visit"),
    "negotiation": ("洽谈", "negotiation"),
    "signed": ("签约", "signed"),
    "registered": ("注册", "registered"),
    "construction": ("开工", "construction"),
    "production": ("投产", "production"),
    ON_HOLD: ("搁置", "on hold"),
    LOST: ("流失", "lost"),
}
LOST_REASONS = ("cost", "policy", "site", "rival_region", "strategy", "other")
LOST_REASON_LABELS: dict[str, tuple[str, str]] = {
    "cost": ("成本", "cost"),
    "policy": ("政策", "policy"),
    "site": ("选址", "site"),
    "rival_region": ("竞争地区", "a competing region"),
    "strategy": ("企业战略", "the firm's strategy"),
    "other": ("其他", "other"),
}

# stage -> the stages it may move to (a site visit or negotiation may be skipped; a held
# project resumes at the stage it was held at, see check_move; a lost one may be reopened)
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    "lead": ("contacted", ON_HOLD, LOST),
    "contacted": ("visit", "negotiation", ON_HOLD, LOST),
    "visit": ("negotiation", "signed", ON_HOLD, LOST),
    "negotiation": ("signed", ON_HOLD, LOST),
    "signed": ("registered", ON_HOLD, LOST),
    "registered": ("construction", ON_HOLD, LOST),
    "construction": ("production", ON_HOLD, LOST),
    "production": (),
    ON_HOLD: (LOST,),  # and the stage it was held at
    LOST: ("lead",),
}

OUTCOME_OF_STAGE: dict[str, int] = {
    "contacted": 1, "visit": 2, "negotiation": 2, "signed": 3, "registered": 3,
    "construction": 4, "production": 4,
}
DECLINED = 0  # a lead lost before anything else: approached, declined or no answer


def check_stage(stage: str) -> str:
    """Return ``stage`` if it is a project stage; InvalidArgument naming the stages otherwise."""
    if stage not in STAGES:
        raise InvalidArgument(f"unknown project stage {stage!r}; one of {', '.join(STAGES)}",
                              [{"field": "stage", "message": f"unknown stage {stage!r}"}])
    return stage


def check_lost_reason(reason: str | None) -> str:
    """Return a lost project's reason; InvalidArgument when it is missing or unknown."""
    if reason not in LOST_REASONS:
        words = ", ".join(f"{r} ({LOST_REASON_LABELS[r][0]})" for r in LOST_REASONS)
        raise InvalidArgument(f"a lost project needs a reason, one of {words}; got {reason!r}",
                              [{"field": "lost_reason", "message": "one of " + words}])
    return reason


def allowed_next(stage: str, *, held_at: str | None = None) -> tuple[str, ...]:
    """Return the stages a project at ``stage`` may move to (a held one: also ``held_at``)."""
    moves = NEXT_STAGES[check_stage(stage)]
    if stage == ON_HOLD and held_at is not None and held_at in ACTIVE_STAGES:
        return (held_at, *moves)
    return moves


def check_move(stage: str, to: str, *, held_at: str | None = None) -> None:
    """Raise InvalidArgument, naming the allowed next stages, unless ``stage`` may go to ``to``."""
    check_stage(to)
    allowed = allowed_next(stage, held_at=held_at)
    if to in allowed:
        return
    words = ", ".join(f"{s} ({STAGE_LABELS[s][0]})" for s in allowed) or "none (it is final)"
    zh, en = STAGE_LABELS[stage]
    to_zh, to_en = STAGE_LABELS[to]
    raise InvalidArgument(
        f"a project at {zh} {en} cannot move to {to_zh} {to_en}; allowed next: {words}",
        [{"field": "stage", "message": f"allowed next: {', '.join(allowed) or 'none'}"}])


def outcome_code(stage: str, *, previous: str | None = None) -> int | None:
    """Return the outcome label that reaching ``stage`` (from ``previous``) records, or None.

    >>> [outcome_code(s) for s in PIPELINE]
    [None, 1, 2, 2, 3, 3, 4, 4]
    """
    if stage == LOST:
        return DECLINED if previous == "lead" else None
    return OUTCOME_OF_STAGE.get(stage)


def best_outcome(stages: Iterable[str]) -> int | None:
    """Return the label of a project whose history went through ``stages`` in order, or None.

    >>> best_outcome(["lead", "contacted", "visit", "on_hold", "visit", "lost"])
    2
    >>> best_outcome(["lead", "lost"]), best_outcome(["lead"])
    (0, None)
    """
    best, previous = None, None
    for stage in stages:
        code = outcome_code(stage, previous=previous)
        if code is not None and (best is None or code > best):
            best = code
        previous = stage
    return best


def stage_label(stage: str, lang: str = "zh") -> str:
    """Return ``stage`` as a person reads it in ``lang`` (zh or en).

    >>> stage_label("visit"), stage_label("visit", "en")
    ('考察', 'site visit')
    """
    zh, en = STAGE_LABELS[check_stage(stage)]
    return zh if lang == "zh" else en


def refusal_text(stage: str, to: str, *, held_at: str | None = None, lang: str = "zh") -> str:
    """Say, in ``lang``, why a project at ``stage`` cannot move to ``to`` and where it can.

    >>> refusal_text("lead", "signed")
    '处于「线索」阶段的项目不能直接转入「签约」；可转入：接洽、搁置、流失。'
    >>> refusal_text("production", "lost", lang="en")
    'A project at production cannot move to lost: production is the last stage.'
    """
    allowed = [stage_label(s, lang) for s in allowed_next(stage, held_at=held_at)]
    here, there = stage_label(stage, lang), stage_label(check_stage(to), lang)
    if lang == "zh":
        if not allowed:
            return f"处于「{here}」阶段的项目不能转入「{there}」：「{here}」是最后一个阶段。"
        return f"处于「{here}」阶段的项目不能直接转入「{there}」；可转入：{'、'.join(allowed)}。"
    if not allowed:
        return f"A project at {here} cannot move to {there}: {here} is the last stage."
    return f"A project at {here} cannot move straight to {there}; it may move to " \
           f"{', '.join(allowed)}."
