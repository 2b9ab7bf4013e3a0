"""Snapshots: built once, checked at most so often, swapped whole; a response is one version."""

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from service.runtime.state import Snapshots

NODE = "vacuum_pumps"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class World:
    """What the store and registry ask for (``key``) and a builder that counts its builds."""

    def __init__(self):
        self.key = ("m1", 1)
        self.built: list[tuple] = []
        self.gate: threading.Event | None = None
        self.fail = False

    def wanted(self):
        return self.key

    def build(self, key, previous):
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the store went away")
        self.built.append(key)
        return SimpleNamespace(key=key, model_version=key[0], previous=previous)


def test_the_first_snapshot_is_built_once_and_reused():
    world = World()
    snapshots = Snapshots(world.build, world.wanted, check_seconds=60, background=False)
    assert snapshots.current is None
    first = snapshots.get()
    assert snapshots.get() is first and world.built == [("m1", 1)]


def test_changes_are_noticed_after_the_check_interval_or_an_invalidation():
    world, clock = World(), Clock()
    snapshots = Snapshots(world.build, world.wanted, check_seconds=2, background=False,
                          clock=clock)
    first = snapshots.get()
    world.key = ("m1", 2)

    assert snapshots.get() is first  # not asked again yet
    clock.now = 2.0
    second = snapshots.get()
    assert second.key == ("m1", 2) and second.previous is first
    world.key = ("m2", 2)
    snapshots.invalidate()
    assert snapshots.get().key == ("m2", 2)
    assert world.built == [("m1", 1), ("m1", 2), ("m2", 2)]


def test_a_background_build_leaves_the_old_snapshot_serving_until_the_swap():
    world = World()
    snapshots = Snapshots(world.build, world.wanted, check_seconds=0, background=True)
    old = snapshots.get()
    world.key, world.gate = ("m2", 1), threading.Event()

    served = [snapshots.get() for _ in range(5)]  # the build waits on the gate meanwhile

    assert all(s is old for s in served)
    world.gate.set()
    assert snapshots.wait(10)
    assert snapshots.get().key == ("m2", 1)
    assert world.built == [("m1", 1), ("m2", 1)]  # one build, however many requests


def test_a_failed_build_keeps_the_old_snapshot_and_is_retried_later():
    world, clock = World(), Clock()
    snapshots = Snapshots(world.build, world.wanted, check_seconds=0, background=False,
                          retry_seconds=30, clock=clock)
    old = snapshots.get()
    world.key, world.fail = ("m2", 1), True

    assert snapshots.get() is old
    assert "the store went away" in snapshots.last_error
    world.fail = False
    clock.now = 10.0
    assert snapshots.get() is old  # not retried yet
    clock.now = 31.0
    assert snapshots.get().key == ("m2", 1)


# --- through the app ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def swap_app(demo_store, keys, helpers, rankers, tmp_path_factory):
    """An app refreshing in the background, with two versions saved: ``a`` active, ``b``."""
    app = helpers["service_app"](demo_store, tmp_path_factory.mktemp("swap-var"),
                                 SNAPSHOT_REFRESH="background")
    registry = app.extensions["chainscout"].registry
    a = helpers["save_model"](registry, rankers.good, 0.6)
    b = helpers["save_model"](registry, rankers.other, 0.5)
    registry.activate(a)
    return app, a, b


def _top(client, headers):
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k=5", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    versions = {response.headers["X-Model-Version"], body["model_version"],
                *(i["model_version"] for i in body["items"]),
                *(i["provenance"]["model_version"] for i in body["items"])}
    assert len(versions) == 1, versions
    return body["model_version"], [i["score"] for i in body["items"]]


def test_a_response_is_scored_by_the_version_it_names_while_the_model_swaps(swap_app, as_role):
    from recommender.targeting.recommend import recommend

    app, a, b = swap_app
    app_state = app.extensions["chainscout"]
    client = app.test_client()
    headers = as_role("viewer")
    snapshot = app_state.snapshots.get()
    expected = {v: [round(s, 9) for s in recommend(
        snapshot.data, snapshot.weak_links, NODE, model=app_state.registry.load(v), k=5)["score"]]
        for v in (a, b)}
    assert expected[a] != expected[b]

    def request(i):
        if i % 10 == 5:  # flip the active model now and then
            target = b if app_state.registry.active_version() == a else a
            client.post(f"/api/v1/models/{target}/activate", headers=as_role("admin"))
        version, scores = _top(client, headers)
        return version, [round(s, 9) for s in scores]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(request, range(60)))
    app_state.snapshots.wait(30)

    assert {v for v, _ in answers} <= {a, b}
    for version, scores in answers:
        assert scores == expected[version], version
    assert app_state.snapshots.builds >= 2


def test_while_a_new_model_is_scored_the_old_one_answers(swap_app, as_role):
    app, a, b = swap_app
    app_state = app.extensions["chainscout"]
    client = app.test_client()
    app_state.registry.activate(a)
    app_state.snapshots.refresh(wait=True)
    old_version, old_scores = _top(client, as_role("viewer"))
    gate = threading.Event()
    build = app_state.snapshots._build

    def slow_build(key, previous):
        gate.wait(10)
        return build(key, previous)

    app_state.snapshots._build = slow_build
    try:
        response = client.post(f"/api/v1/models/{b}/activate", headers=as_role("admin"))
        assert response.status_code == 200
        during = [_top(client, as_role("viewer")) for _ in range(3)]
        gate.set()
        app_state.snapshots.wait(30)
    finally:
        app_state.snapshots._build = build
    assert old_version == a
    assert all(answer == (a, old_scores) for answer in during)
    assert _top(client, as_role("viewer"))[0] == b
