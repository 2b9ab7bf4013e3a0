"""Would an officer act on the ranked lists? The top 20 of each weak link and where the known
makers of the product rank, with the open listing loaded on top of the demo world.

Usage::

    .venv/bin/python benchmarks/bench_credibility.py [--firms 20000] [--seed 7] [--links 10]
                                                     [--all] [--no-model] [--top 20]

Builds the demo world (``--firms`` synthetic firms, ``--seed``) into a temporary SQLite store,
ingests ``../shared/data/open_firms_2022.csv`` on top (as ``chainscout ingest --format listing``
would; exits with a message when the folder is absent), diagnoses the weak links and ranks
every candidate of the ``--links`` weakest recruitable links (every recruitable link with
``--all``) with the prior and, unless ``--no-model``, with a LambdaRank model trained on the
world's outcomes as ``chainscout serve`` trains one. For each link and ranker it prints the top
``--top`` firms by value (real or synthetic, country, value = likelihood x impact) and where
the known makers of the node (``data/firms/known_makers.csv``, matched by name and country,
see ``recommender.demo.known_makers``) rank by value: best rank and median percentile among
the link's candidates. The summary checks the goals: makers' median percentile within the
top 5 %, at least 8 real firms in each top 20, no country above 40 % of a top 20 unless that
country makes at least half of the product by the chain's country-mix table
(``load_country_mix``: the product is made almost nowhere else).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.install import install_world
from recommender.demo.known_makers import MAKER, load_known_makers, match_makers
from recommender.demo.world import load_country_mix, load_reference_firms, load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.firms.ingest import ingest_firms
from recommender.paths import shared_data_dir
from recommender.ranking.dataset import load_chain_data
from recommender.store import open_store
from recommender.targeting.score_table import build_score_table

GOAL_PERCENTILE, GOAL_REAL, GOAL_COUNTRY = 0.05, 8, 0.40


def _say(t0: float, text: str) -> None:
    print(f"[{time.perf_counter() - t0:6.1f} s] {text}", file=sys.stderr, flush=True)


def build(args, t0):
    """Return (data, weak links) of the demo world with the open listing ingested on top."""
    from recommender.demo.generator import generate_world

    chain, region = load_chain(), load_region()
    reference, reference_links = load_reference_firms()
    _say(t0, f"generating the demo world ({args.firms:,} firms, seed {args.seed})")
    world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region,
                           reference=(reference, reference_links))
    tmp = tempfile.mkdtemp(prefix="credibility-")
    store = open_store(f"sqlite:///{Path(tmp) / 'world.db'}")
    _say(t0, "loading it into a temporary store")
    install_world(store, world, region, reference, reference_links)
    _say(t0, "ingesting the open listing")
    ingest_firms(args.listing, store, chain, format="listing")
    data = load_chain_data(store, chain=chain, region=region)
    weak = diagnose_weak_links(chain, data.region, data.firms, data.firm_nodes)
    return data, weak


def train(data, weak, t0):
    """A LambdaRank model trained on the store's outcomes, or None when none can be."""
    try:
        from recommender.ranking.registry import ModelRegistry
        from recommender.ranking.training import train_model
    except ImportError:
        return None
    _say(t0, "training LambdaRank on the world's outcomes")
    registry = ModelRegistry(Path(tempfile.mkdtemp(prefix="credibility-models-")))
    result = train_model(data, weak, registry)
    return registry.load(result["version"])


def link_report(table, node: str, makers: pd.DataFrame, top: int, mix: pd.DataFrame) -> dict:
    """The top rows of a link and its known makers' ranks among its candidates."""
    positions = table.ranked(node)
    rows = table.rows(positions)
    n = len(rows)
    head = rows.head(top)
    real = int((~head[C.IS_SYNTHETIC].astype(bool)).sum())
    shares = head[C.COUNTRY].fillna("?").value_counts(normalize=True)
    own = makers[makers[C.NODE_ID] == node]
    rank_of = pd.Series(np.arange(1, n + 1), index=rows[C.FIRM_ID].astype(str).to_numpy())
    rank_of = rank_of[~rank_of.index.duplicated()]
    found = own.assign(rank=rank_of.reindex(own[C.FIRM_ID].astype(str)).to_numpy())
    found = found.dropna(subset=["rank"]).sort_values("rank").drop_duplicates(MAKER)
    made = mix[mix[C.NODE_ID] == node].set_index(C.COUNTRY)["share"]
    return {"node": node, "candidates": n, "head": head, "real": real,
            "top_country": shares.index[0] if len(shares) else "-",
            "top_share": float(shares.iloc[0]) if len(shares) else 0.0,
            "only_maker_country": made.get(shares.index[0] if len(shares) else "", 0) >= 0.5,
            "makers": found, "named": own[MAKER].nunique(),
            "best": int(found["rank"].min()) if len(found) else None,
            "median_pct": float(np.median(found["rank"] / n)) if len(found) else None}


def print_link(report: dict, names, top: int) -> None:
    node = report["node"]
    print(f"\n== {node} ({names.get(node, '')}): {report['candidates']:,} candidates; "
          f"{report['real']} real in the top {top}; most common country "
          f"{report['top_country']} {report['top_share']:.0%}")
    for i, row in enumerate(report["head"].itertuples(), start=1):
        kind = "synthetic" if row.is_synthetic else "real"
        print(f"  {i:>2}. {str(row.name)[:44]:<44} {str(row.country):<3} {kind:<9} "
              f"value {row.value:.3f} = likelihood {row.likelihood:.3f} x impact "
              f"{row.impact:.2f}")
    makers = report["makers"]
    if report["named"]:
        listed = ", ".join(f"{m} #{int(r)}" for m, r in zip(makers[MAKER], makers["rank"],
                                                            strict=True))
        print(f"  known makers found {len(makers)}/{report['named']}: {listed or '-'}")


def summary(label: str, reports: list[dict], top: int) -> None:
    with_makers = [r for r in reports if r["median_pct"] is not None]
    pcts = [r["median_pct"] for r in with_makers]
    real = [r["real"] for r in reports]
    over = [r for r in reports if r["top_share"] > GOAL_COUNTRY and not r["only_maker_country"]]
    excused = [r for r in reports if r["top_share"] > GOAL_COUNTRY and r["only_maker_country"]]
    print(f"\n--- {label}: {len(reports)} links ---")
    print(f"{'link':<24}{'cands':>7}{'real/' + str(top):>9}{'top country':>13}"
          f"{'makers':>8}{'best':>6}{'median pct':>12}")
    for r in reports:
        best = "-" if r["best"] is None else str(r["best"])
        pct = "-" if r["median_pct"] is None else f"{r['median_pct']:.1%}"
        print(f"{r['node']:<24}{r['candidates']:>7,}{r['real']:>9}"
              f"{r['top_country'] + ' ' + format(r['top_share'], '.0%'):>13}"
              f"{len(r['makers']):>4}/{r['named']:<3}{best:>6}{pct:>12}")
    if pcts:
        print(f"makers' median percentile, median over {len(pcts)} links: "
              f"{np.median(pcts):.1%} (goal <= {GOAL_PERCENTILE:.0%}); links meeting it: "
              f"{sum(p <= GOAL_PERCENTILE for p in pcts)}/{len(pcts)}")
    print(f"real firms in the top {top}: mean {np.mean(real):.1f}, min {min(real)} "
          f"(goal >= {GOAL_REAL}); links meeting it: {sum(x >= GOAL_REAL for x in real)}/"
          f"{len(real)}")
    print(f"links with a country above {GOAL_COUNTRY:.0%} of the top {top}: {len(over)}/"
          f"{len(reports)} " + ", ".join(f"{r['node']} {r['top_country']} {r['top_share']:.0%}"
                                         for r in over)
          + (f" (allowed: {', '.join(r['node'] + ' ' + r['top_country'] for r in excused)}, "
             f"made mostly there)" if excused else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--links", type=int, default=10, help="weakest recruitable links")
    parser.add_argument("--all", action="store_true", help="every recruitable link")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--no-model", action="store_true", help="rank with the prior only")
    parser.add_argument("--quiet", action="store_true", help="print the summaries only")
    args = parser.parse_args(argv)
    shared = shared_data_dir()
    if shared is None or not (shared / "open_firms_2022.csv").is_file():
        print("../shared/data/open_firms_2022.csv is absent: nothing to measure")
        return 0
    args.listing = shared / "open_firms_2022.csv"
    t0 = time.perf_counter()
    data, weak = build(args, t0)
    recruitable = weak[weak["can_recruit"]]
    nodes = list(recruitable[C.NODE_ID] if args.all else recruitable[C.NODE_ID].head(args.links))
    makers = match_makers(load_known_makers(), data.firms)
    mix = load_country_mix()
    names = dict(zip(weak[C.NODE_ID], weak[C.NODE_NAME_ZH], strict=True))
    real = int((~data.firms[C.IS_SYNTHETIC].astype(bool)).sum())
    print(f"world: {len(data.firms):,} firms ({real:,} real), seed {args.seed}; known makers "
          f"matched to {makers['firm_id'].nunique()} firms over "
          f"{makers[C.NODE_ID].nunique()} nodes")
    rankers = [("prior", None)]
    if not args.no_model:
        model = train(data, weak, t0)
        if model is not None:
            rankers.append(("LambdaRank", model))
    results = {}
    for label, model in rankers:
        _say(t0, f"scoring {len(nodes)} links with the {label}")
        table = build_score_table(data, weak, model, node_ids=nodes)
        reports = [link_report(table, node, makers, args.top, mix) for node in nodes]
        results[label] = reports
        if not args.quiet:
            print(f"\n##### {label} ({table.model_version})")
            for report in reports:
                print_link(report, names, args.top)
    for label, reports in results.items():
        summary(label, reports, args.top)
    _say(t0, "done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
