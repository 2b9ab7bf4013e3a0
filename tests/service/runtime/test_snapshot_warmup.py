"""The first snapshot of a large store takes minutes: a request waits for it a bounded time,
then gets a 503 to retry, so that the server does not kill the worker that is building it."""

import threading
import time
from types import SimpleNamespace

import pytest

from recommender.exceptions import NotFittedError
from service.runtime.state import SnapshotNotReady, Snapshots


def test_a_request_waits_a_bounded_time_for_the_first_snapshot_then_is_told_to_retry():
    gate, built = threading.Event(), []

    def build(key, previous):
        gate.wait(10)
        built.append(key)
        return SimpleNamespace(key=key)

    snapshots = Snapshots(build, lambda: ("m1", 1), first_wait_seconds=0.2)
    snapshots.start()  # the worker warming up: builds in a thread
    time.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(SnapshotNotReady) as raised:
        snapshots.get()
    assert 0.15 <= time.monotonic() - started < 5
    assert isinstance(raised.value, NotFittedError) and raised.value.code == "warming_up"
    gate.set()
    assert snapshots.wait(10)
    assert snapshots.get().key == ("m1", 1) and built == [("m1", 1)]


def test_without_a_build_running_the_first_request_builds_the_snapshot_itself():
    snapshots = Snapshots(lambda key, previous: SimpleNamespace(key=key), lambda: ("m1", 1),
                          first_wait_seconds=0.01)
    assert snapshots.get().key == ("m1", 1)
