"""Time candidate generation and the feature frame on a large synthetic world.

Usage::

    .venv/bin/python benchmarks/bench_features.py [--firms N] [--seed S] [--top K]
                                                  [--no-tracemalloc]

Generates the demo world (``generate_world(n_firms=N, seed=S)``: synthetic firms, flagged
``is_synthetic``; not timed), diagnoses its weak links, takes the ``K`` weakest recruitable
nodes and times ``candidate_pairs`` (every firm, those nodes) and ``build_features`` on the
pairs, twice: the first call also builds the bundle's feature context (firm index, country
codes, per-node counts; ``ChainData.feature_context``), the second reuses it, as a service
does between requests on one data version. Prints rows,
seconds, rows per second, and peak memory: the ``tracemalloc`` peak of the timed steps
(Python objects and NumPy buffers) and the process's maximum resident set size
(``ru_maxrss``, which includes generating the world).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import pandas as pd

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_reference_firms, load_region
from recommender.ranking.candidates import candidate_pairs
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.features import build_features, default_as_of


def weak_link_table(data) -> pd.DataFrame:
    """The weak-link diagnosis of ``data``; the generator's own need where it is unavailable."""
    try:
        from recommender.diagnosis.weak_links import diagnose_weak_links
    except ImportError:
        from recommender.demo.history import weak_link_need

        need = weak_link_need(data.chain, data.region, data.firms, data.firm_nodes)
        downstream = set(data.chain.nodes_in_stage("downstream"))
        return pd.DataFrame({C.NODE_ID: need[C.NODE_ID], C.WEAK_LINK_SCORE: need["need"],
                             C.LOCAL_GAP: need["local_gap"], C.DEMAND: need["leader_need"],
                             C.IMPORT_DEPENDENCE: need["imports"],
                             C.EXPORT_CONTROL: need["export_exposure"],
                             "can_recruit": ~need[C.NODE_ID].isin(downstream)})
    return diagnose_weak_links(data.chain, data.region, data.firms, data.firm_nodes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    chain, region, reference = load_chain(), load_region(), load_reference_firms()
    t0 = time.perf_counter()
    world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region,
                           reference=reference)
    data = chain_data_from_world(world, chain=chain, region=region)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    weak = weak_link_table(data)
    diagnosed = time.perf_counter() - t0
    recruitable = weak[weak["can_recruit"]] if "can_recruit" in weak.columns else weak
    targets = (recruitable.sort_values(C.WEAK_LINK_SCORE, ascending=False, kind="stable")
               [C.NODE_ID].head(args.top).tolist())
    as_of = default_as_of(data)

    if not args.no_tracemalloc:
        tracemalloc.start()
    rows = []
    for run in ("cold", "warm"):
        t0 = time.perf_counter()
        pairs = candidate_pairs(data.firms, data.firm_nodes, chain, targets, region=region)
        t1 = time.perf_counter()
        frame = build_features(pairs, data, weak, as_of=as_of)
        t2 = time.perf_counter()
        rows.append((run, len(pairs), t1 - t0, t2 - t1))
    traced = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

    synthetic = int(data.firms[C.IS_SYNTHETIC].sum())
    print(f"world: {len(data.firms):,} firms ({synthetic:,} synthetic, is_synthetic = true), "
          f"{len(data.firm_nodes):,} firm nodes, seed {args.seed}; generated in "
          f"{generated:.1f} s, weak links diagnosed in {diagnosed:.1f} s")
    print(f"targets (top {args.top} weak links): {', '.join(targets)}")
    print(f"{'run':<6}{'pairs':>12}{'candidates s':>14}{'features s':>12}{'total s':>10}"
          f"{'rows/s':>14}")
    for run, n, cand_s, feat_s in rows:
        total = cand_s + feat_s
        print(f"{run:<6}{n:>12,}{cand_s:>14.2f}{feat_s:>12.2f}{total:>10.2f}"
              f"{n / total:>14,.0f}")
    print(f"feature frame: {frame.shape[0]:,} rows x {frame.shape[1]} columns, "
          f"{frame.memory_usage(deep=True).sum() / 2**20:,.0f} MB")
    if traced is not None:
        print(f"tracemalloc peak (timed steps)  {traced / 2**20:>9,.0f} MB")
    print(f"peak RSS (ru_maxrss, whole run) {rss_mb:>9,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
