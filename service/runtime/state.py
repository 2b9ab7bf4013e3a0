"""What the app loads once and shares across requests: settings, the store, chain and region,
the model registry, and the snapshot that rankings are served from.

Nothing is opened or read when the app is built; each resource loads on first use, under a
lock so that threads of one worker load it once, and is reused by every later request.

Rankings are served from an immutable :class:`Snapshot`: the model, the data it scored, the
weak links and every candidate's score (the library's
:class:`recommender.targeting.score_table.ScoreTable`, served through
:class:`service.runtime.scores.ServedScores`), for one model version and one data version. A
view reads the current snapshot once (:meth:`Snapshots.get`) and answers from it alone, so a
response is computed by exactly one model version, which it names. :class:`Snapshots` notices
a new active model or a new data version (it asks at most every ``SNAPSHOT_CHECK_SECONDS``, and
at once after this process recorded an outcome or activated a model), builds the next snapshot
and swaps the reference; until then the old one serves. ``SNAPSHOT_REFRESH = "background"``
builds in a thread, off the request path; ``"inline"`` builds on the request that noticed the
change (other threads keep the old one meanwhile). The very first snapshot is built on first use;
a request that finds another thread building it waits ``FIRST_WAIT_SECONDS`` at most, then is
answered 503 ``warming_up`` with ``Retry-After`` (:class:`SnapshotNotReady`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app

from recommender.config import Settings
from recommender.exceptions import NotFittedError

__all__ = ["FIRST_WAIT_SECONDS", "ServiceState", "Snapshot", "SnapshotNotReady", "Snapshots",
           "log", "release_memory", "state", "use_system_allocator"]

log = logging.getLogger("service.runtime.state")
# How long a request waits for the first snapshot that another thread is building, before a
# 503 (within gunicorn's worker timeout, which kills a worker whose request takes longer, and
# the build with it: the first snapshot of a large store takes minutes)
FIRST_WAIT_SECONDS = 60.0


class SnapshotNotReady(NotFittedError):
    """The first snapshot is still being built (a 503 with ``Retry-After``)."""

    code = "warming_up"


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything one model version serves over one data version; never changed once built.

    ``key`` is (the active model version asked for, or None for none; the data version):
    what the snapshot was built for. ``model_version`` is what actually serves (``"prior"``
    when no model is active, or when the active one could not be loaded by this process).
    ``scores`` (:class:`service.runtime.scores.ServedScores`) serves the rows of the library's
    score table, ``scores.table``, which answers every ranking query. ``memo`` keeps answers
    computed from this snapshot (weak-link what-ifs, target lists). ``data`` holds the firms'
    :data:`~recommender.ranking.dataset.LEAN_FIRM_COLUMNS` and the links'
    :data:`~recommender.ranking.dataset.LEAN_LINK_COLUMNS` only: no business scopes nor link
    evidence, which a firm's page reads from the store for that firm.
    """

    model: Any
    model_version: str
    data: Any
    data_version: int
    weak_links: pd.DataFrame
    scores: Any
    key: tuple[str | None, int]
    built_at: dt.datetime
    build_seconds: float
    model_error: str | None = None
    memo: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"Snapshot(model_version={self.model_version!r}, "
                f"data_version={self.data_version}, pairs={len(self.scores)})")


class Snapshots:
    """The current :class:`Snapshot` of a process, rebuilt when its model or data changes.

    Parameters
    ----------
    build : callable(key, previous) -> Snapshot
        Builds the snapshot for ``key`` (see :class:`Snapshot`); ``previous`` is the one
        serving, or None.
    wanted : callable() -> key
        The key the store and the registry ask for now.
    check_seconds : float
        How often to ask ``wanted``; 0 asks on every request.
    background : bool
        Build a new snapshot in a thread (True) or on the request that noticed the change.
    retry_seconds : float
        After a failed build, how long to keep the old snapshot before trying again.
    first_wait_seconds : float
        How long :meth:`get` waits for a first snapshot that another thread is building
        before it raises :class:`SnapshotNotReady`.
    """

    def __init__(self, build: Callable, wanted: Callable, *, check_seconds: float = 2.0,
                 background: bool = True, retry_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 first_wait_seconds: float = FIRST_WAIT_SECONDS):
        self._build = build
        self._wanted = wanted
        self.check_seconds = float(check_seconds)
        self.background = bool(background)
        self.retry_seconds = float(retry_seconds)
        self.first_wait_seconds = float(first_wait_seconds)
        self._clock = clock
        self._current: Snapshot | None = None
        self._lock = threading.Lock()  # one build at a time
        self._checked = float("-inf")
        self._stale = False
        self._failed: tuple[tuple, float] | None = None
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.builds = 0

    def __repr__(self) -> str:
        return f"Snapshots(current={self._current!r}, background={self.background})"

    @property
    def current(self) -> Snapshot | None:
        """The snapshot serving now, or None before the first is built (builds nothing)."""
        return self._current

    def get(self) -> Snapshot:
        """Return the snapshot to serve this request from; read it once per request."""
        snapshot = self._current
        if snapshot is None:
            return self._first()
        if self._stale or self._clock() - self._checked >= self.check_seconds:
            return self._refresh(snapshot)
        return snapshot

    def invalidate(self) -> None:
        """Ask the store and the registry again on the next request (this process changed them)."""
        self._stale = True

    def refresh(self, *, wait: bool = True) -> Snapshot:
        """Build a new snapshot now if the model or data changed; return the one serving."""
        self.invalidate()
        snapshot = self.get()
        if wait:
            self.wait()
        return self._current or snapshot

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background build to end; return False if it is still running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def start(self) -> None:
        """Build the first snapshot in a background thread (a worker warming up)."""
        if self._current is None:
            self._spawn(lambda: self._first(wait=True))

    # --- machinery ----------------------------------------------------------------------------
    def _first(self, *, wait: bool = False) -> Snapshot:
        if not self._lock.acquire(timeout=-1 if wait else self.first_wait_seconds):
            raise SnapshotNotReady("the rankings are still being scored (the first snapshot "
                                   "of this process); try again shortly")
        try:
            if self._current is None:
                self._current = self._make(self._wanted(), None)
                self._checked = self._clock()
            return self._current
        finally:
            self._lock.release()

    def _refresh(self, snapshot: Snapshot) -> Snapshot:
        self._stale = False
        self._checked = self._clock()
        key = self._wanted()
        if key == snapshot.key:
            return snapshot
        if self._failed is not None and self._failed[0] == key and \
                self._clock() - self._failed[1] < self.retry_seconds:
            return snapshot
        if self.background:
            self._spawn(lambda: self._replace(key))
            return snapshot
        if not self._lock.acquire(blocking=False):  # another thread is building: keep serving
            return snapshot
        try:
            return self._swap(key)
        finally:
            self._lock.release()

    def _spawn(self, target: Callable[[], Any]) -> None:
        if self._thread is not None and self._thread.is_alive():
            return

        def run() -> None:
            try:
                target()
            except Exception:  # logged; the old snapshot keeps serving
                log.exception("building a snapshot failed")

        self._thread = threading.Thread(target=run, name="chainscout-snapshot", daemon=True)
        self._thread.start()

    def _replace(self, key: tuple) -> None:
        with self._lock:
            self._swap(key)

    def _swap(self, key: tuple) -> Snapshot:
        previous = self._current
        if previous is not None and previous.key == key:
            return previous
        try:
            snapshot = self._make(key, previous)
        except Exception as exc:
            self._failed = (key, self._clock())
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("building the snapshot for %s failed; %r keeps serving", key, previous)
            return previous
        self._failed = None
        self._current = snapshot  # one reference assignment: the swap is atomic
        return snapshot

    def _make(self, key: tuple, previous: Snapshot | None) -> Snapshot:
        snapshot = self._build(key, previous)
        self.builds += 1
        release_memory()  # the build's scratch, not kept resident for the process's life
        return snapshot


def use_system_allocator() -> None:
    """Have Arrow allocate with the C library's ``malloc`` in this process, unless
    ``ARROW_DEFAULT_MEMORY_POOL`` names a pool.

    Arrow's default pool (mimalloc) keeps much of what a snapshot's build frees resident even
    after :func:`release_memory`; ``malloc``'s is given back by ``malloc_trim``. A gunicorn
    worker calls this before its first snapshot (``service.gunicorn_conf``): at 200,000 firms
    its own memory is 385 MB with mimalloc, about 320 MB without (``bench_service.py``).
    """
    import os

    import pyarrow as pa

    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())


def release_memory() -> None:
    """Give the memory freed since the last call back to the system.

    Arrow's pool (mimalloc or jemalloc) and glibc's ``malloc`` keep freed blocks for reuse; a
    worker that has just read a store and scored its candidates would otherwise stay at that
    peak, several hundred MB above what its snapshot holds at a million firms.
    """
    import ctypes
    import ctypes.util
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:  # glibc only
        trim(0)


class ServiceState:
    """The app's shared resources; lives in ``app.extensions["chainscout"]``.

    Parameters
    ----------
    settings : recommender.config.Settings
        The library's settings: database URL, chain file, region folder, ``var_dir`` (whose
        ``models/`` folder is the model registry).
    upgrade : bool
        Migrate the store to the newest schema when it is first opened.
    snapshot_check_seconds, snapshot_background : see :class:`Snapshots`.
    """

    def __init__(self, settings: Settings, *, upgrade: bool = False,
                 snapshot_check_seconds: float = 2.0, snapshot_background: bool = True):
        self.settings = settings
        self.upgrade = upgrade
        self.limiter = None  # a service.http.limits.RateLimiter, set by register_limits
        self.principals = None  # a service.http.auth.PrincipalCache, set by register_auth
        self.api = None  # the flask_smorest.Api, set by register_blueprints
        self._lock = threading.Lock()
        self._store = None
        self._chain = None
        self._region = None
        self._registry = None
        self._train_model = None
        self.snapshots = Snapshots(self._build_snapshot, self._wanted_snapshot,
                                   check_seconds=snapshot_check_seconds,
                                   background=snapshot_background)
        self.job_threads: dict[int, threading.Thread] = {}

    def __repr__(self) -> str:
        loaded = [n for n in ("store", "chain", "region", "registry")
                  if getattr(self, f"_{n}") is not None]
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

    @property
    def registry(self):
        """The model registry (:class:`recommender.ranking.registry.ModelRegistry`) under
        ``var_dir``."""
        from recommender.ranking.registry import ModelRegistry

        return self._load("_registry",
                          lambda: ModelRegistry(Path(self.settings.var_dir) / "models"))

    @property
    def train_model(self) -> Callable:
        """The training pipeline the service's jobs run
        (``recommender.ranking.training.train_model``).

        Settable, so that a deployment (or a test) can run another one with the same contract.
        """
        if self._train_model is None:
            from recommender.ranking.training import train_model

            self._train_model = train_model
        return self._train_model

    @train_model.setter
    def train_model(self, function: Callable) -> None:
        self._train_model = function

    def close(self) -> None:
        """Close the store's connections; the next use opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def ranking_inputs(self, *, firm_columns=None, link_columns=None):
        """Read the data and diagnose the weak links now: (ChainData, weak-link table), as
        :func:`recommender.targeting.scoring.ranking_inputs` reads them for the CLI (the firm
        and link columns ``firm_columns`` and ``link_columns`` only, when given)."""
        from recommender.targeting.scoring import ranking_inputs

        return ranking_inputs(self.store, self.chain, self.region, settings=self.settings,
                              firm_columns=firm_columns, link_columns=link_columns)

    # --- snapshots ----------------------------------------------------------------------------
    def _wanted_snapshot(self) -> tuple[str | None, int]:
        return self.registry.active_version(), int(self.store.data_version())

    def _build_snapshot(self, key: tuple[str | None, int], previous: Snapshot | None
                        ) -> Snapshot:
        from recommender.exceptions import ModelError, NotFoundError
        from recommender.ranking.dataset import LEAN_FIRM_COLUMNS, LEAN_LINK_COLUMNS
        from recommender.targeting.prior_model import prior_model
        from service.runtime.scores import SCORES_DIR, Memo, build_scores

        started = time.perf_counter()
        active, _ = key
        # the firms and links without their texts: a firm's page reads its own from the store
        data, weak_links = self.ranking_inputs(firm_columns=LEAN_FIRM_COLUMNS,
                                               link_columns=LEAN_LINK_COLUMNS)
        model, error = None, None
        if active is not None:
            if previous is not None and previous.model_version == active:
                model = previous.model  # loaded and verified already: never read it again
            else:
                try:
                    model = self.registry.load(active)
                except (ModelError, NotFoundError) as exc:
                    error = f"the active model {active} cannot be loaded ({exc}); the prior serves"
                    log.error(error)
        if model is None:
            model = prior_model(data, weak_links)
        scores = build_scores(data, weak_links, model,
                              directory=Path(self.settings.var_dir) / SCORES_DIR)
        return Snapshot(model=model, model_version=scores.table.model_version, data=data,
                        data_version=int(data.data_version), weak_links=weak_links,
                        scores=scores, key=(active, int(data.data_version)),
                        built_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                        build_seconds=time.perf_counter() - started, model_error=error,
                        memo=Memo())

    # --- machinery ----------------------------------------------------------------------------
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
