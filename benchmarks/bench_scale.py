"""Time ChainScout's steps on a large universe, scoring with the Dask engine on a LocalCluster.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [--firms N] [--seed S] [--workers W]
                                               [--partitions P] [--k K] [--scheduler ADDRESS]
                                               [--generator memory|chunked] [--chunk C]
                                               [--keep FOLDER [--reuse]]
                                               [--tables partitioned|gathered]

Steps: build (generate the demo world of N synthetic firms), diagnose (the weak-link
table), partition (firms and links written as P aligned Parquet partitions), score (every
candidate of the ten weakest links on the cluster, each link's best K kept), top-K (the first
weak link's best K with reasons, ``recommend`` through the Dask engine), target list (the
thirty firms covering the ten weakest links, through the Dask engine) and map (the top-K's
recruitment map written as GeoJSON). Each step prints its wall time, its CPU time in this
process and in its children (the LocalCluster's workers), and the peak resident memory of this
process plus its children while it ran, sampled every 0.2 s. The top-K and the target list
run on :func:`~recommender.targeting.partitioned_table.query_table`: the scored partitions
stay on the workers, which send each link's best K (and, for the target list, the firms of the
largest coverage bounds, :mod:`recommender.targeting.bounded_picks`).

Two generators: ``memory`` (``generate_world``: the whole world, its truth of about 48 rows
a firm included, in memory; about 4.5 GB a million firms) and ``chunked``
(``generate_world_files``: firms drawn and written a chunk of C at a time as the aligned
partitions the Dask engine reads, the truth written to Parquet as it is drawn; then a load
step reads the firms, without their business-scope texts, and links into the bundle, and
the partition step has nothing left to do). The default is ``chunked`` above
``CHUNKED_ABOVE`` firms. ``--keep FOLDER --reuse`` reads the chunked world already complete in
FOLDER (:func:`~recommender.demo.chunked.read_world_files`; written by an earlier run with the
same ``--firms``, ``--seed`` and ``--chunk``) instead of building it again.

``--tables gathered`` runs the top-K and the target list on
:func:`~recommender.targeting.dask_engine.score_table` instead: every candidate of their links
gathered and sorted in this process, as before the partitioned tables.
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


def _children_cpu() -> dict[int, float]:
    """CPU seconds of each live child process (the workers), by pid."""
    out = {}
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        out[process.pid] = times.user + times.system
    return out


class Steps:
    """Run and report named steps."""

    def __init__(self):
        self.rows: list[tuple[str, float, float, float, float, str]] = []

    def __call__(self, name: str, function, note=lambda result: ""):
        wall, cpu, workers = time.perf_counter(), _cpu(), _children_cpu()
        with PeakMemory() as memory:
            result = function()
        spent = sum(t - workers.get(pid, 0.0) for pid, t in _children_cpu().items())
        row = (name, time.perf_counter() - wall, _cpu() - cpu, spent, memory.peak / 2**30,
               note(result))
        self.rows.append(row)
        print(f"{row[0]:<13}{row[1]:>9.1f}{row[2]:>9.1f}{row[3]:>10.1f}{row[4]:>10.2f}  {row[5]}",
              flush=True)
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
    parser.add_argument("--tables", choices=("partitioned", "gathered"), default="partitioned",
                        help="top-K and target list over the partitions kept on the workers "
                             "(partitioned), or over a score table of every candidate "
                             "gathered on this process (gathered, as before)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: read the chunked world already complete there "
                             "instead of building it")
    args = parser.parse_args(argv)
    if args.reuse and args.keep is None:
        parser.error("--reuse needs --keep FOLDER")

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
    from recommender.targeting.partitioned_table import query_table
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
    reused = _complete_world(world_dir, args, chunk) if chunked and args.reuse else None
    if chunked and args.reuse and reused is None:
        print(f"{world_dir}: no complete world of these arguments to reuse; building it")
    print(f"{'step':<13}{'wall s':>9}{'cpu s':>9}{'wk cpu s':>10}{'peak GB':>10}")

    def build():
        world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region,
                               reference=reference)
        return chain_data_from_world(world, chain=chain, region=region)

    if chunked:
        files = steps("build", (lambda: reused) if reused is not None else
                      lambda: _build_chunked(world_dir, args, chunk, chain, region, reference),
                      lambda w: ("reused, " if reused is not None else "")
                      + f"{len(w.outcomes):,} outcomes, truth {_rows(w.truth_path):,} rows")
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
            build = query_table if args.tables == "partitioned" else dask_engine.score_table
            return build(*a, client=client, partitions=args.partitions, folder=folder, **kw)

        recs = steps("top-k", lambda: recommend(data, weak_links, nodes[0], model=model,
                                                k=args.k, engine=engine),
                     lambda r: f"{nodes[0]}: {r.attrs['candidates']:,} candidates")
        steps("target list", lambda: target_list(data, weak_links, model=model, k=30,
                                                 engine=engine),
              lambda t: f"{len(t)} firms" + ("; bound: {rounds} round(s), {firms_per_partition}"
                                             " firms a partition, all candidates: "
                                             "{all_candidates}".format(**t.attrs["bound"])
                                             if "bound" in t.attrs else ""))
        out = Path(tmp) / "map.geojson"
        steps("map", lambda: write_map(recruitment_map(recs, node_names=chain), out),
              lambda p: f"{p.stat().st_size / 2**10:,.0f} KiB, "
                        f"{int(recs[C.LAT].notna().sum())} firms placed")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of this process (ru_maxrss): {rss:.2f} GB")
    return 0


def _complete_world(folder, args, chunk):
    """The chunked world in ``folder`` if it is complete and was written with these
    arguments (every partition written before its manifest), else None."""
    from recommender.demo.chunked import read_world_files
    from recommender.exceptions import DataError
    from recommender.targeting.partitions import (
        FIRMS_DIR,
        LINKS_DIR,
        MANIFEST,
        part_path,
        read_manifest,
    )

    folder = Path(folder)
    try:
        world = read_world_files(folder)
    except DataError:
        return None
    parts = [part_path(folder, table, i) for table in (FIRMS_DIR, LINKS_DIR)
             for i in range(int(read_manifest(folder)["partitions"]))]
    if not all(p.is_file() for p in parts):
        return None
    if max(p.stat().st_mtime for p in parts) > (folder / MANIFEST).stat().st_mtime:
        return None  # a build that has not finished since
    asked = {"n": args.firms, "seed": args.seed, "chunk": chunk}
    if any(world.params.get(key) != value for key, value in asked.items()):
        return None
    return world


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
