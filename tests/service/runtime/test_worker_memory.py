"""A worker's memory: Arrow on the system's allocator, and a build's scratch given back."""

import pyarrow as pa
import pytest

from service.runtime.state import release_memory, use_system_allocator


@pytest.fixture
def arrow_pool():
    """Arrow's default pool as it was before the test, set back after it."""
    before = pa.default_memory_pool()
    yield before
    pa.set_memory_pool(before)


def test_a_worker_allocates_arrow_memory_from_the_system(arrow_pool, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    use_system_allocator()
    assert pa.default_memory_pool().backend_name == "system"
    texts = pa.array(["链"] * 1000)  # allocated from the pool now in use
    assert pa.default_memory_pool().bytes_allocated() >= texts.nbytes


def test_a_pool_named_in_the_environment_is_kept(arrow_pool, monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", arrow_pool.backend_name)
    use_system_allocator()
    assert pa.default_memory_pool().backend_name == arrow_pool.backend_name


def test_releasing_memory_keeps_what_is_held(arrow_pool, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    use_system_allocator()
    held = pa.array([f"firm {i}" for i in range(10_000)])
    scratch = pa.array([f"scratch {i}" for i in range(100_000)])
    del scratch
    release_memory()
    assert held[9_999].as_py() == "firm 9999"
    assert pa.default_memory_pool().bytes_allocated() >= held.nbytes
