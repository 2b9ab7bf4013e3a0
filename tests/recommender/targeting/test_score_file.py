import dataclasses
import multiprocessing
import os

import numpy as np
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import DataError
from recommender.ranking.dataset import chain_data_from_world
from recommender.targeting.impact import SORT_KEYS
from recommender.targeting.prior_model import prior_model
from recommender.targeting.score_file import (
    open_score_file,
    prune_score_files,
    shared_score_table,
    write_score_file,
)
from recommender.targeting.score_table import PAIR_ARRAYS, build_score_table
from tests.conftest import resident_kb

NODE = "vacuum_pumps"


def _world(seed=3, n_firms=1200):
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=n_firms, seed=seed, chain=chain,
                                                region=region), chain=chain, region=region)
    return data, diagnose_weak_links(chain, region, data.firms, data.firm_nodes)


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def built(world):
    data, weak_links = world
    return build_score_table(data, weak_links, prior_model(data, weak_links))


def _answers(table, node):
    """Every kind of answer a table gives for ``node``, as plain values."""
    out = {}
    for sort in SORT_KEYS:
        positions, passed = table.top_k(node, 30, sort=sort)
        out[sort] = (passed, table.records(positions))
    filtered, passed = table.top_k(node, 30, country=["DE", "JP"], size=["large"])
    out["filtered"] = (passed, table.records(filtered))
    out["stages"] = table.stage_counts(node)
    out["countries"] = table.country_counts(node)
    out["sizes"] = table.size_counts(node)
    firm = table.records(table.top_k(node, 1)[0])[0][C.FIRM_ID]
    at = table.firm_positions(firm)
    out["firm"] = (at.tolist(), [r.tolist() for r in table.link_ranks(at)])
    picks = table.target_picks(k=20)
    out["picks"] = picks.drop(columns=["covers"], errors="ignore").to_dict("list")
    return out


def test_a_file_answers_as_the_table_it_was_written_from(world, built, tmp_path):
    data, weak_links = world
    path = write_score_file(built, tmp_path / "scores-prior.arrow")
    read = open_score_file(path, data, weak_links, built.model)
    assert len(read) == len(built) and read.nodes == built.nodes
    assert read.slices == built.slices
    for name in PAIR_ARRAYS:  # same values, read in place from the mapped file
        mine, theirs = built.pair_arrays()[name], read.pair_arrays()[name]
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
        assert not theirs.flags.writeable
    for node in built.nodes[:4]:
        assert _answers(read, node) == _answers(built, node)
    for node, baseline in built.baselines.items():
        assert read.baselines[node].equals(baseline)


def test_a_file_of_another_model_or_key_is_refused(world, built, tmp_path):
    data, weak_links = world
    path = write_score_file(built, tmp_path / "scores.arrow", key="abc")
    with pytest.raises(DataError, match="other inputs"):
        open_score_file(path, data, weak_links, built.model, key="def")
    (tmp_path / "junk.arrow").write_bytes(b"not arrow")
    with pytest.raises(DataError, match="not a score file"):
        open_score_file(tmp_path / "junk.arrow", data, weak_links, built.model)


def test_a_new_data_version_builds_a_new_file(world, tmp_path, monkeypatch):
    import recommender.targeting.score_file as score_file

    data, weak_links = world
    builds = []
    real = score_file.build_score_table
    monkeypatch.setattr(score_file, "build_score_table",
                        lambda *a, **kw: builds.append(1) or real(*a, **kw))
    first = shared_score_table(tmp_path, data, weak_links, reasons_ahead=3)
    again = shared_score_table(tmp_path, data, weak_links)
    assert len(builds) == 1  # the second call read the file
    assert _answers(again, NODE) == _answers(first, NODE)
    newer = dataclasses.replace(data, data_version=data.data_version + 1)
    shared_score_table(tmp_path, newer, weak_links)
    assert len(builds) == 2
    files = sorted(p.name for p in tmp_path.glob("scores-*.arrow"))
    assert len(files) == 2 and any(f"-d{newer.data_version}-" in f for f in files)
    other_data, other_links = _world(seed=4, n_firms=600)  # same version, other firms
    shared_score_table(tmp_path, other_data, other_links)
    assert len(builds) == 3
    assert len(list(tmp_path.glob("scores-*.arrow"))) == 2  # the oldest one pruned
    assert prune_score_files(tmp_path, files=1)  # and fewer when asked


def _serve(directory, world, queue):
    """In a new process: open the shared table and say whether it was built here."""
    import recommender.targeting.score_file as score_file

    data, weak_links = world
    builds = []
    real = score_file.build_score_table
    score_file.build_score_table = lambda *a, **kw: builds.append(1) or real(*a, **kw)
    table = shared_score_table(directory, data, weak_links)
    positions, passed = table.top_k(NODE, 10, country=["DE"])
    queue.put((len(builds), passed, [r[C.FIRM_ID] for r in table.records(positions)]))


def test_two_processes_share_one_file(world, built, tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_serve, args=(str(tmp_path), world, queue)) for _ in range(2)]
    for worker in workers:  # both at once: one builds, the other waits for its file
        worker.start()
    answers = [queue.get(timeout=120), queue.get(timeout=120)]
    for worker in workers:
        worker.join(60)
    assert [a[0] for a in answers] == [1, 0]  # the second one read the first one's file
    assert answers[0][1:] == answers[1][1:]
    expected, passed = built.top_k(NODE, 10, country=["DE"])
    assert answers[1][1] == passed
    assert answers[1][2] == [r[C.FIRM_ID] for r in built.records(expected)]
    assert len(list(tmp_path.glob("scores-*.arrow"))) == 1


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's smaps")
def test_released_pages_leave_resident_memory_and_answers_unchanged(world, built, tmp_path):
    data, weak_links = world
    path = write_score_file(built, tmp_path / "scores-prior.arrow").resolve()
    read = open_score_file(path, data, weak_links, built.model)
    for name in PAIR_ARRAYS:  # every column read: the file's pages are mapped in
        assert read.pair_arrays()[name].sum() is not None
    assert resident_kb(path) > 0
    read.release_pages()
    assert resident_kb(path) == 0
    for node in built.nodes[:3]:  # read again from the page cache, the same answers
        assert _answers(read, node) == _answers(built, node)
    assert resident_kb(path) > 0


def test_a_shared_table_keeps_no_file_pages_after_its_reasons_ahead(world, built, tmp_path):
    data, weak_links = world
    shared_score_table(tmp_path, data, weak_links, built.model, reasons_ahead=5)  # writes
    table = shared_score_table(tmp_path, data, weak_links, built.model, reasons_ahead=5)
    [path] = tmp_path.glob("scores-*.arrow")
    if os.path.exists("/proc/self/smaps"):
        assert resident_kb(path.resolve()) == 0
    start, _ = table.slices[NODE]
    assert table.records([start]) == built.records([start])
