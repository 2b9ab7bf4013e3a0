import pytest

from recommender.exceptions import InvalidArgument
from recommender.pipeline import transitions as T


@pytest.mark.parametrize(("stage", "to"), [
    ("lead", "contacted"), ("contacted", "visit"), ("contacted", "negotiation"),
    ("visit", "signed"), ("negotiation", "signed"), ("signed", "registered"),
    ("registered", "construction"), ("construction", "production"), ("lead", "on_hold"),
    ("construction", "lost"), ("lost", "lead"), ("on_hold", "lost"),
])
def test_moves_the_pipeline_allows(stage, to):
    T.check_move(stage, to)


@pytest.mark.parametrize(("stage", "to", "allowed"), [
    ("lead", "signed", "contacted (接洽), on_hold (搁置), lost (流失)"),
    ("signed", "visit", "registered (注册), on_hold (搁置), lost (流失)"),
    ("production", "lost", "none (it is final)"),
    ("lead", "production", "contacted (接洽)"),
    ("on_hold", "signed", "lost (流失)"),
])
def test_an_impossible_jump_is_refused_naming_the_allowed_next_stages(stage, to, allowed):
    with pytest.raises(InvalidArgument, match="allowed next: " + allowed.replace("(", r"\(")
                       .replace(")", r"\)")) as caught:
        T.check_move(stage, to)
    assert caught.value.args[0].startswith(f"a project at {T.STAGE_LABELS[stage][0]}")


def test_a_held_project_resumes_at_the_stage_it_was_held_at_only():
    T.check_move("on_hold", "visit", held_at="visit")
    with pytest.raises(InvalidArgument, match="allowed next: visit"):
        T.check_move("on_hold", "signed", held_at="visit")


@pytest.mark.parametrize(("stage", "code"), [
    ("lead", None), ("contacted", 1), ("visit", 2), ("negotiation", 2), ("signed", 3),
    ("registered", 3), ("construction", 4), ("production", 4), ("on_hold", None),
    ("lost", None),
])
def test_outcome_mapping_of_each_stage(stage, code):
    assert T.outcome_code(stage) == code


@pytest.mark.parametrize(("history", "label"), [
    (["lead"], None),
    (["lead", "lost"], 0),  # approached, nothing came of it: declined or no answer
    (["lead", "contacted", "lost"], 1),  # lost at the stage reached
    (["lead", "contacted", "visit", "on_hold"], 2),
    (["lead", "contacted", "negotiation", "signed", "registered", "lost"], 3),
    (["lead", "contacted", "visit", "signed", "registered", "construction", "production"], 4),
])
def test_a_history_s_label_is_the_best_stage_reached(history, label):
    assert T.best_outcome(history) == label


def test_every_stage_has_labels_and_moves_and_lost_reasons_are_known():
    assert set(T.STAGE_LABELS) == set(T.NEXT_STAGES) == set(T.STAGES)
    assert all(to in T.STAGES for moves in T.NEXT_STAGES.values() for to in moves)
    assert [T.LOST_REASON_LABELS[r][0] for r in T.LOST_REASONS] == [
        "成本", "政策", "选址", "竞争地区", "企业战略", "其他"]
    with pytest.raises(InvalidArgument, match="needs a reason"):
        T.check_lost_reason(None)
