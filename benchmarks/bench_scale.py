"""Time ChainScout's steps on a large universe, scoring with the Dask engine on a LocalCluster.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [--firms N] [--seed S] [--workers W]
                                               [--partitions P] [--k K] [--scheduler ADDRESS]
                                               [--generator memory|chunked] [--chunk C]

Steps: build (generate the demo world of N synthetic firms), diagnose (the weak-link
table), partition (firms and links written as P aligned Parquet partitions), score (every
candidate of the ten weakest links on the cluster, each link's best K kept), top-K (the first
weak link's best K with reasons, ``recommend`` through the Dask engine), target list (the
thirty firms covering the ten weakest links, through the Dask engine) and map (the top-K's
recruitment map written as GeoJSON). Each step prints its wall time, its CPU time in this
process, and the peak resident memory of this process plus its children (the LocalCluster's
workers) while it ran, sampled every 0.2 s.

Two generators: ``memory`` (``generate_world``: the whole world, its truth of about 48 rows
a firm included, in memory; about 4.5 GB a million firms) and ``chunked``
(``generate_world_files``: firms drawn and written a chunk of C at a time as the aligned
partitions the Dask engine reads, the truth written to Parquet as it is drawn; then a load
step reads the firms, without their business-scope texts, and links into the bundle, and
the partition step has nothing left to do). The default is ``chunked`` above
``CHUNKED_ABOVE`` firms.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil


class PeakMemory:
    """The peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Steps:
    """Run and report named steps."""

    def __init__(self):
        self.rows: list[tuple[str, float, float, float, str]] = []

    def __call__(self, name: str, function, note=lambda result: ""):
        wall, cpu = time.perf_counter(), _cpu()
        with PeakMemory() as memory:
            result = function()
        row = (name, time.perf_counter() - wall, _cpu() - cpu, memory.peak / 2**30, note(result))
        self.rows.append(row)
        print(f"{row[0]:<13}{row[1]:>9.1f}{row[2]:>9.1f}{row[3]:>10.2f}  {row[4]}", flush=True)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--scheduler", default=None, help="an existing dask.distributed "
                        "scheduler; a LocalCluster of --workers processes when not given")
    parser.add_argument("--generator", choices=("memory", "chunked"), default=None)
    parser.add_argument("--chunk", type=int, default=None, help="firms per chunk (chunked)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the chunked world here and keep it (else a temporary folder)")
    args = parser.parse_args(argv)

    from recommender import columns as C
    from recommender.chain import load_chain
    from recommender.demo.chunked import CHUNK_FIRMS, CHUNKED_ABOVE
    from recommender.demo.generator import generate_world
    from recommender.demo.world import load_reference_firms, load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links, weak_link_weights
    from recommender.maps import recruitment_map, write_map
    from recommender.ranking.dataset import chain_data_from_world
    from recommender.ranking.features import default_as_of
    from recommender.targeting import dask_engine
    from recommender.targeting.partitions import scoring_context
    from recommender.targeting.prior_model import prior_model
    from recommender.targeting.recommend import recommend, target_list

    chain, region, reference = load_chain(), load_region(), load_reference_firms()
    steps = Steps()
    chunked = (args.generator or ("chunked" if args.firms > CHUNKED_ABOVE else "memory")) \
        == "chunked"
    chunk = args.chunk or CHUNK_FIRMS
    work = tempfile.TemporaryDirectory(prefix="chainscout-scale-")
    world_dir = args.keep or Path(work.name) / "world"
    if chunked:
        args.partitions = -(-args.firms // chunk) + 1
    print(f"{args.firms:,} synthetic firms, seed {args.seed}, generator "
          f"{'chunked, ' + format(chunk, ',') + ' firms a chunk' if chunked else 'in memory'}; "
          f"Dask: {args.scheduler or f'LocalCluster of {args.workers} workers'}, "
          f"{args.partitions} partitions")
    print(f"{'step':<13}{'wall s':>9}{'cpu s':>9}{'peak GB':>10}")

    def build():
        world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region,
                               reference=reference)
        return chain_data_from_world(world, chain=chain, region=region)

    if chunked:
        files = steps("build", lambda: _build_chunked(world_dir, args, chunk, chain, region,
                                                      reference),
                      lambda w: f"{len(w.outcomes):,} outcomes, truth "
                                f"{_rows(w.truth_path):,} rows")
        data = steps("load", lambda: _load_chunked(files, chain, region),
                     lambda d: f"{len(d.firms):,} firms, {len(d.firm_nodes):,} links")
    else:
        data = steps("build", build, lambda d: f"{len(d.firms):,} firms, "
                                               f"{len(d.firm_nodes):,} links")
    weak_links = steps("diagnose", lambda: diagnose_weak_links(chain, region, data.firms,
                                                               data.firm_nodes),
                       lambda w: f"{len(w)} nodes")
    model = steps("prior", lambda: prior_model(data, weak_links), lambda m: "calibrated")
    nodes = list(weak_link_weights(weak_links, top=10).index)
    with work as tmp, dask_engine.open_cluster(args.scheduler, workers=args.workers) as client:
        folder = world_dir if chunked else Path(tmp) / "partitions"
        steps("partition", lambda: dask_engine.partitions_for(data, folder,
                                                               partitions=args.partitions),
              lambda f: f"{_parquet_mb(f / 'firms', f / 'links'):,.0f} MB")
        context = scoring_context(data, weak_links, model, nodes, as_of=default_as_of(data))
        steps("score", lambda: dask_engine.best_per_link(folder, context, args.k, client=client),
              lambda top: f"ten weakest links, best {args.k} each: {len(top)} rows")

        def engine(*a, **kw):
            return dask_engine.score_table(*a, client=client, partitions=args.partitions,
                                           folder=folder, **kw)

        recs = steps("top-k", lambda: recommend(data, weak_links, nodes[0], model=model,
                                                k=args.k, engine=engine),
                     lambda r: f"{nodes[0]}: {r.attrs['candidates']:,} candidates")
        steps("target list", lambda: target_list(data, weak_links, model=model, k=30,
                                                 engine=engine),
              lambda t: f"{len(t)} firms")
        out = Path(tmp) / "map.geojson"
        steps("map", lambda: write_map(recruitment_map(recs, node_names=chain), out),
              lambda p: f"{p.stat().st_size / 2**10:,.0f} KiB, "
                        f"{int(recs[C.LAT].notna().sum())} firms placed")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of this process (ru_maxrss): {rss:.2f} GB")
    return 0


def _build_chunked(folder, args, chunk, chain, region, reference):
    from recommender.demo.chunked import generate_world_files

    return generate_world_files(folder, n_firms=args.firms, seed=args.seed, chunk=chunk,
                                chain=chain, region=region, reference=reference)


def _parquet_mb(*folders) -> float:
    return sum(p.stat().st_size for d in folders for p in Path(d).glob("*.parquet")) / 2**20


def _rows(path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows if Path(path).is_file() else 0


def _load_chunked(world, chain, region):
    """The bundle of a chunked world: its firms (business-scope texts left empty: nothing
    downstream of the store reads them) and links read from its partitions."""
    import pandas as pd
    import pyarrow as pa

    from recommender import columns as C
    from recommender.demo.generator import DemoWorld
    from recommender.ranking.dataset import chain_data_from_world

    firms = world.firms([c for c in C.FIRM_COLUMNS if c != C.BUSINESS_SCOPE])
    firms[C.BUSINESS_SCOPE] = pd.array(pa.nulls(len(firms), pa.string()), dtype="str")
    truth = pd.DataFrame({c: pd.Series([], dtype="str") for c in
                          (C.CAMPAIGN_ID, C.FIRM_ID, C.NODE_ID)}
                         | {C.TRUE_UTILITY: pd.Series([], dtype="float32")})
    bundle = DemoWorld(firms[C.FIRM_COLUMNS], world.firm_nodes(), world.campaigns,
                       world.outcomes, truth, world.params)
    return chain_data_from_world(bundle, chain=chain, region=region, data_version=1)


if __name__ == "__main__":
    sys.exit(main())
