"""What the app loads once and shares across requests: settings, the store, chain and region.

Nothing is opened or read when the app is built; each resource loads on first use, under a
lock so that threads of one worker load it once, and is reused by every later request.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app

from recommender.config import Settings


class ServiceState:
    """The app's shared resources; lives in ``app.extensions["chainscout"]``.

    Parameters
    ----------
    settings : recommender.config.Settings
        The library's settings: database URL, chain file, region folder.
    upgrade : bool
        Migrate the store to the newest schema when it is first opened.
    """

    def __init__(self, settings: Settings, *, upgrade: bool = False):
        self.settings = settings
        self.upgrade = upgrade
        self.limiter = None  # a service.limits.RateLimiter, set by register_limits
        self.api = None  # the flask_smorest.Api, set by register_blueprints
        self._lock = threading.Lock()
        self._store = None
        self._chain = None
        self._region = None

    def __repr__(self) -> str:
        loaded = [n for n in ("store", "chain", "region") if getattr(self, f"_{n}") is not None]
        return f"ServiceState(loaded={loaded})"

    @property
    def store(self):
        """The store (:class:`recommender.store.Store`), opened on first use."""
        return self._load("_store", self._open_store)

    @property
    def chain(self):
        """The chain (:class:`recommender.chain.Chain`) of ``settings.chain_path``."""
        from recommender.chain import load_chain

        return self._load("_chain", lambda: load_chain(self.settings.chain_path))

    @property
    def region(self):
        """The region (:class:`recommender.demo.world.Region`) of ``settings.region_dir``."""
        from recommender.demo.world import load_region

        return self._load("_region", lambda: load_region(self.settings.region_dir))

    def close(self) -> None:
        """Close the store's connections; the next use opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _open_store(self):
        from recommender.store import open_store

        return open_store(self.settings.database_url, upgrade=self.upgrade)

    def _load(self, name: str, load) -> Any:
        value = getattr(self, name)
        if value is not None:
            return value
        with self._lock:
            if getattr(self, name) is None:
                setattr(self, name, load())
            return getattr(self, name)


def state() -> ServiceState:
    """Return the current app's :class:`ServiceState`."""
    return current_app.extensions["chainscout"]
