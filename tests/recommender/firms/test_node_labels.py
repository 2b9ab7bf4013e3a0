"""Hand labels: node-id lists in every form a label takes, and the checked label file."""

import pytest

from recommender.chain import load_chain
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.node_labels import parse_node_ids, read_node_labels


@pytest.fixture(scope="module")
def chain():
    return load_chain()


def test_parse_node_ids_accepts_strings_lists_and_missing():
    assert parse_node_ids(["a;b", " c ", "", None, ("d",), float("nan")]) == [
        ["a", "b"], ["c"], [], [], ["d"], []]
    with pytest.raises(InvalidArgument, match="single string"):
        parse_node_ids("a;b")


def test_read_node_labels_checks_the_flags(tmp_path, chain):
    path = tmp_path / "labels.csv"
    path.write_text("symbol,node_ids,none_of_chain,labeller_note\n"
                    "AAA,lasers;ct_scanners,false,ok\n"
                    "BBB,,false,flag should be true\n"
                    "CCC,warp_drives,false,unknown node\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="2 problem") as info:
        read_node_labels(path, chain=chain)
    assert [(p["row"], p["column"]) for p in info.value.problems] == [
        (3, "none_of_chain"), (4, "node_ids")]


def test_the_repository_labels_are_valid(chain):
    labels = read_node_labels(chain=chain)
    assert len(labels) >= 750
    share = labels["none_of_chain"].mean()
    assert 0.1 < share < 0.6
    assert labels["labeller_note"].str.len().gt(0).all()
