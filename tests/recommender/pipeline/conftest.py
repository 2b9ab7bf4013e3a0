"""Fixtures of the pipeline tests: a store (SQLite and PostgreSQL, from tests/conftest.py)
holding the embedded reference firms, the chain and the region."""

from __future__ import annotations

import pytest

from recommender.chain import load_chain
from recommender.demo.world import load_reference_firms, load_region


@pytest.fixture(scope="session")
def chain():
    return load_chain()


@pytest.fixture(scope="session")
def region():
    return load_region()


@pytest.fixture
def firm_store(store):
    """The store with the reference firms (180) and their chain nodes."""
    firms, links = load_reference_firms()
    with store.transaction() as conn:
        store.upsert_firms(firms, conn=conn)
        store.replace_firm_nodes(links, conn=conn)
    return store
