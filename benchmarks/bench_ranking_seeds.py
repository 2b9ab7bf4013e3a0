"""Ranking quality over several synthetic worlds: the figures ``chainscout evaluate`` gives.

Usage::

    .venv/bin/python benchmarks/bench_ranking_seeds.py [--seeds 1,2,3,4,5,6] [--firms 20000]
                                                       [--backtest 4] [--json FILE]

For each seed, a world of ``--firms`` synthetic firms (``recommender.demo.generator``), the
weak links diagnosed from it, its training frame split by time (the later 30 % of the
campaigns held out), and every method of ``recommender.evaluation`` measured on the contacted
later window and on every candidate of its campaigns (outcomes drawn from the truth), as
``chainscout evaluate`` does on the demo world; with ``--backtest N``, the rolling-origin
backtest in N windows too. Prints the margin of LambdaRank over the prior (NDCG@10, paired
bootstrap 95 % interval) per seed, then each table's means over the seeds.

Model choices are made on seeds 1-6 (the default); the demo world (seed 7) is reported with
``chainscout demo build && chainscout evaluate``, never tuned on.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from recommender import columns as C
from recommender.chain import load_chain
from recommender.dataset import chain_data_from_world
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.evaluation import (
    BACKTEST_SHARE,
    METHODS,
    METRICS,
    backtest,
    evaluate,
    group_dates,
    json_ready,
    time_split,
)
from recommender.features import training_frame, truth_frame
from recommender.weak_links import diagnose_weak_links

TABLES = {"contacted": lambda r: r, "every candidate": lambda r: r["every_candidate"],
          "backtest contacted": lambda r: r.get("backtest"),
          "backtest every candidate": lambda r: (r.get("backtest") or {}).get("every_candidate")}


def one_world(seed: int, firms: int, folds: int) -> dict:
    chain, region = load_chain(), load_region()
    data = chain_data_from_world(generate_world(n_firms=firms, seed=seed, chain=chain,
                                                region=region), chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    frame = training_frame(data, weak_links)
    earlier, later = time_split(frame, test_share=0.3)
    candidates = truth_frame(data, weak_links, later[C.CAMPAIGN_ID].unique())
    results = evaluate(earlier, later, seed=0, candidates=candidates,
                       outcome_model=data.outcome_model)
    if folds:
        dates = group_dates(frame)
        held = dates.index[len(dates) - math.ceil(BACKTEST_SHARE * len(dates)):]
        campaigns = frame.loc[frame[C.GROUP_ID].isin(set(held)), C.CAMPAIGN_ID].unique()
        results["backtest"] = backtest(frame, folds=folds, seed=0,
                                       candidates=truth_frame(data, weak_links, campaigns),
                                       outcome_model=data.outcome_model)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6")
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--backtest", type=int, default=0, help="windows (0: none)")
    parser.add_argument("--json", default=None, help="write every result to this file")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    for seed in seeds:
        results[seed] = one_world(seed, args.firms, args.backtest)
        margins = []
        for name, pick in TABLES.items():
            table = pick(results[seed])
            if table:
                c = table["comparisons"]["ndcg@10"]["lambdarank - prior"]
                margins.append(f"{name} {c['mean']:+.3f} [{c['ci95'][0]:+.3f}, "
                               f"{c['ci95'][1]:+.3f}]")
        print(f"seed {seed}: lambdarank - prior, NDCG@10: " + "; ".join(margins), flush=True)
    for name, pick in TABLES.items():
        tables = [pick(r) for r in results.values()]
        if not all(tables):
            continue
        print(f"\n{name}, mean over seeds {args.seeds}:")
        print("  method       " + "  ".join(f"{m:>9}" for m in METRICS))
        for method in METHODS:
            values = [np.mean([t["metrics"][method][m] for t in tables]) for m in METRICS]
            print(f"  {method:<12} " + "  ".join(f"{v:9.3f}" for v in values))
        margin = np.mean([t["comparisons"]["ndcg@10"]["lambdarank - prior"]["mean"]
                          for t in tables])
        print(f"  lambdarank - prior, NDCG@10: {margin:+.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(json_ready({str(k): v for k, v in results.items()}), handle, indent=1)


if __name__ == "__main__":
    main()
