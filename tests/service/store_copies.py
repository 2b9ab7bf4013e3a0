"""A private copy of the demo store, for tests whose writes (node corrections) must not reach
the session's shared store, and keys of every role on it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recommender.store import auth, open_store

OWN_PARK = "dg_songshan_lake"  # the park manager's park, as in conftest.py


def copy_of(store, folder: Path):
    """Copy a SQLite store into ``folder`` (the SQLite backup API: a consistent copy); open it."""
    source = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    target = sqlite3.connect(folder / "copy.db")
    source.backup(target)
    source.close()
    target.close()
    return open_store(f"sqlite:///{folder / 'copy.db'}")


def keys_of(store, roles) -> dict[str, str]:
    """A new key for each role (the park manager's sees OWN_PARK only)."""
    return {role: auth.create_key(store, role, label=f"copy {role}",
                                  park_ids=[OWN_PARK] if role == "park_manager" else [])[0]
            for role in roles}
