"""The whole pipeline on the real open firm universe, step by step, with each step's time.

Usage::

    .venv/bin/python benchmarks/bench_real_pipeline.py [--snapshot 2022|2026] [--node NODE]

Reads ``../shared/data/open_firms_<snapshot>.csv`` (listed instrument-related firms; exits
with a message when the folder is absent), and runs: ingest as a listing into a temporary
SQLite store (normalise, geocode, keyword classification), diagnose Guangdong's weak links
(the local firms are those in Guangdong's cities), recommend firms for the weakest link (or
``--node``) with the prior, and export a GeoJSON map. Prints the time of each step, the
geocoding quality, node coverage, the top weak links and the top firms. The classification
metrics against hand labels are printed by ``bench_classify.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.world import load_region
from recommender.diagnosis.locality import local_mask
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.firms.ingest import ingest_firms
from recommender.maps import recruitment_map, write_map
from recommender.paths import shared_data_dir
from recommender.ranking.dataset import load_chain_data
from recommender.store import open_store
from recommender.targeting.recommend import recommend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", choices=("2022", "2026"), default="2022")
    parser.add_argument("--node", default=None, help="weak link to recommend for")
    args = parser.parse_args(argv)
    shared = shared_data_dir()
    if shared is None:
        print("../shared/data is absent: nothing to measure")
        return 0
    source = shared / f"open_firms_{args.snapshot}.csv"
    chain, region = load_chain(), load_region()
    times: list[tuple[str, float]] = []

    def step(name, fn):
        start = time.perf_counter()
        value = fn()
        times.append((name, time.perf_counter() - start))
        return value

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'real.db'}")
        result = step("ingest (read, geocode, classify, store)",
                      lambda: ingest_firms(source, store, chain, format="listing"))
        data = step("load from the store", lambda: load_chain_data(store, chain=chain,
                                                                    region=region))
        weak = step("diagnose weak links", lambda: diagnose_weak_links(
            chain, region, data.firms, data.firm_nodes))
        node = args.node or weak.loc[weak["can_recruit"], C.NODE_ID].iloc[0]
        recs = step(f"recommend for {node}", lambda: recommend(data, weak, node, k=50))
        out = Path(tmp) / "map.geojson"
        step("export GeoJSON map", lambda: write_map(
            recruitment_map(recs, node_names=chain), out))
        size = out.stat().st_size

    firms = data.firms
    linked = data.firm_nodes[C.FIRM_ID].nunique()
    print(f"source: {source.name}: {len(firms):,} firms "
          f"({int(local_mask(firms, region).sum())} in Guangdong)")
    print(f"geocoded to a city: {result.geocoding['city_share']:.1%}  {result.geocoding['counts']}")
    print(f"firms with at least one chain node: {linked:,} ({linked / len(firms):.1%}); "
          f"links: {len(data.firm_nodes):,}")
    print(f"\n{'step':<44}{'seconds':>9}")
    for name, seconds in times:
        print(f"{name:<44}{seconds:>9.2f}")
    print(f"{'total':<44}{sum(s for _, s in times):>9.2f}")
    print("\nweakest recruitable links:")
    for row in weak[weak["can_recruit"]].head(5).itertuples():
        print(f"  {row.node_id:<22} {row.weak_link_score:.3f}  local firms {row.local_firms}")
    print(f"\ntop firms for {node} (map: {size / 1024:.0f} KiB):")
    for row in recs.head(10).itertuples():
        print(f"  {row.rank:>2}. {row.name} ({row.country}, {row.city})  {row.score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
