"""Time the synthetic demo world: generate it, then write it as Parquet.

Usage::

    .venv/bin/python benchmarks/bench_demo_build.py [--firms N] [--seed S] [--out DIR]
                                                    [--no-tracemalloc] [--store [URL]]

Prints the wall and CPU time and the peak resident memory of each phase (firms, nodes, text,
history, write parquet, store; the history phase includes assembling the frames; the CPU
total is the sum of the phases'), the row count and file size of each table,
and peak memory three ways: the process's maximum resident set size (``ru_maxrss``, which
covers everything), the ``tracemalloc`` peak (Python objects and NumPy buffers, not Arrow's
memory pool) and the peak of Arrow's memory pool. ``tracemalloc`` slows allocation-heavy
code; ``--no-tracemalloc`` gives the wall times without it. Without ``--out`` the files go to
a temporary folder, deleted afterwards. ``--store`` also times loading the world into a store,
as ``chainscout demo build`` does (a temporary SQLite file unless a URL is given).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa

from recommender.chain import load_chain
from recommender.demo.generator import generate_world, write_world
from recommender.demo.world import load_reference_firms, load_region

PHASES = ("firms", "nodes", "text", "history", "write parquet")


class PhaseClock:
    """Record wall and CPU seconds, and the peak resident memory (sampled every 0.1 s),
    between successive phase names."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []
        self._name: str | None = None
        self._wall = self._cpu = 0.0
        self._peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.1):
            self._peak = max(self._peak, me.memory_info().rss)

    @staticmethod
    def _cpu_now() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def __call__(self, name: str | None) -> None:
        if name == "assemble":  # building the final frames is reported inside "history"
            return
        wall, cpu = time.perf_counter(), self._cpu_now()
        if self._name is not None:
            self.rows.append((self._name, wall - self._wall, cpu - self._cpu,
                              self._peak / 2**20))
        self._name, self._wall, self._cpu, self._peak = name, wall, cpu, 0
        if name is None:
            self._stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--store", nargs="?", const="sqlite", default=None,
                        help="also load the world into a store (default: a temporary SQLite file)")
    args = parser.parse_args(argv)

    chain, region, reference = load_chain(), load_region(), load_reference_firms()
    if not args.no_tracemalloc:
        tracemalloc.start()
    clock = PhaseClock()
    start = time.perf_counter()
    world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region,
                           reference=reference, progress=clock)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        clock("write parquet")
        paths = write_world(world, out)
        rows = {name: len(frame) for name, frame in world.tables().items()}
        if args.store:
            from recommender.demo.install import install_world, release_memory, without_truth

            world = without_truth(world)  # as build_demo does
            release_memory()
            from recommender.store import open_store

            clock("store")
            url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.store == "sqlite" else args.store
            with open_store(url) as store:
                install_world(store, world, region, *reference)
        clock(None)
        total = time.perf_counter() - start
        sizes = {name: path.stat().st_size for name, path in paths.items()}
    traced = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

    print(f"demo world: {args.firms:,} synthetic firms, seed {args.seed}, "
          f"generator {world.params['version']}")
    print(f"{'phase':<15}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
    for name, wall, cpu, peak in clock.rows:
        print(f"{name:<15}{wall:>9.2f}{cpu:>9.2f}{peak:>9,.0f}")
    print(f"{'total':<15}{total:>9.2f}{sum(row[2] for row in clock.rows):>9.2f}")
    print(f"{'table':<12}{'rows':>14}{'MB on disk':>12}")
    for name, count in rows.items():
        print(f"{name:<12}{count:>14,}{sizes[name] / 2**20:>12.1f}")
    print(f"peak RSS (ru_maxrss)    {rss_mb:>9,.0f} MB")
    if traced is not None:
        print(f"tracemalloc peak        {traced / 2**20:>9,.0f} MB")
    print(f"Arrow pool peak         {pa.default_memory_pool().max_memory() / 2**20:>9,.0f} MB "
          f"({pa.default_memory_pool().backend_name})")
    print(f"stage shares 0..4       {world.params['stage_shares']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
