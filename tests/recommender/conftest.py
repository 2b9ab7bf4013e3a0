"""Fixtures shared by the library tests."""

from __future__ import annotations

import pytest

from recommender.chain import chain_from_dict


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A demo world of 300 synthetic firms in a temporary var folder, for command-line tests.

    The environment points the commands at it for the whole module.
    """
    from click.testing import CliRunner

    from recommender.cli import cli

    var = tmp_path_factory.mktemp("demo") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINSCOUT_VAR_DIR", str(var))
        patch.delenv("CHAINSCOUT_DATABASE_URL", raising=False)
        result = CliRunner().invoke(cli, ["demo", "build", "--firms", "300", "--seed", "1"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        yield patch


@pytest.fixture(scope="session")
def toy_chain():
    """Five nodes: a and b feed c; c and d feed e."""
    node = {"name_zh": "节点", "name_en": "Node", "segment": "s"}
    return chain_from_dict({
        "id": "toy", "name_zh": "玩具链", "name_en": "Toy chain", "version": "1",
        "nodes": [{"id": "a", "stage": "upstream", **node},
                  {"id": "b", "stage": "upstream", **node},
                  {"id": "c", "stage": "midstream", **node},
                  {"id": "d", "stage": "midstream", **node},
                  {"id": "e", "stage": "downstream", **node}],
        "edges": [{"supplier": "a", "consumer": "c"}, {"supplier": "b", "consumer": "c"},
                  {"supplier": "c", "consumer": "e"}, {"supplier": "d", "consumer": "e"}],
    })
