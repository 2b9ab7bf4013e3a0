"""Time the ranker: training on a million pairs, bulk scoring, a top-50 list over a big universe.

Usage::

    .venv/bin/python benchmarks/bench_ranker.py [--firms 1000000] [--rows 1000000] [--seed 7]
                                                [--trees 200] [--k 50] [--node vacuum_pumps]
                                                [--train-only] [--max-bin N]
                                                [--learning-rate R]

Steps, on a synthetic world of ``--firms`` firms (``recommender.demo.generator``):

1. **Training**: ``--rows`` pair rows in query groups of 50 candidates of the world's campaigns,
   with the registry's features as of each campaign's date and stages drawn from the world's
   true utilities (plus the generator's contact noise, cut at its thresholds);
   :class:`~recommender.ranking.ranker.ChainRanker` with ``--trees`` rounds (no early stopping;
   200 at the default rate 0.075 rank fresh groups as well as 300 did at 0.05) on 2 threads
   (``--max-bin``: its histogram bins, the estimator's default when not given; a comma list
   such as ``255,63`` trains once per value on the same rows; ``--learning-rate``: the
   estimator's default when not given, e.g. ``--trees 300 --learning-rate 0.05``, the former
   default), timed in wall seconds and in the process's CPU seconds (both threads: a fairer
   figure on a busy machine). The NDCG@10 of the trained model on another ``--rows`` / 10 rows
   of fresh groups (drawn the same way) shows that a faster setting ranks as well.
   ``--train-only`` stops here.
2. **Scoring**: ``--rows`` live candidate pairs of the weakest links, scored by plain
   ``Booster.predict`` and by the lleaves-compiled trees (the optional ``fast`` extra), on 1 and
   2 threads, side by side in rows per second; the top ``--k`` of both must be identical.
3. **Top-k list**: for one weak link over the whole universe, the time from the candidates'
   features to the ranked top ``--k``: ``ChainRanker.predict`` and a full ranking, against
   ``CompiledRanker.top_k`` (compiled scores, then an exact LightGBM re-check of the rows near
   the k-th score).

Peak memory is the process's maximum resident set size (``ru_maxrss``) after each step. The
model score is the trees plus ``prior_weight`` x the prior; "trees" figures time the trees
alone, "model" figures include the prior's part (the same NumPy code on both sides).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.exceptions import DependencyError
from recommender.ranking.compiled import CompiledRanker, top_k_positions
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.feature_registry import feature_names
from recommender.ranking.features import build_features, serving_frame
from recommender.ranking.metrics import ndcg_at_k
from recommender.ranking.prior import prior_scores
from recommender.ranking.ranker import ChainRanker, feature_matrix

GROUP_SIZE = 50


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB on Linux


def say(text: str) -> None:
    print(f"{text}  [peak RSS {peak_gb():.2f} GB]", flush=True)


def timed(function, *args, repeat: int = 1, **kwargs):
    """Run ``function`` ``repeat`` times; return (last result, best wall seconds)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return out, best


def training_rows(world, data, weak_links, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` pair rows: groups of GROUP_SIZE candidates of the campaigns, stages from truth."""
    rng = np.random.default_rng(seed)
    truth = world.truth
    # categorical codes, not 24 million strings: the truth table is large
    codes = pd.Categorical(truth[C.CAMPAIGN_ID]).codes.astype(np.int64)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    n_groups = rows // GROUP_SIZE
    which = rng.choice(np.flatnonzero(counts > 0), n_groups)
    offsets = (rng.random((n_groups, GROUP_SIZE)) * counts[which, None]).astype(np.int64)
    picked = truth.iloc[order[starts[which, None] + offsets].ravel()]
    dates = world.campaigns.set_index(C.CAMPAIGN_ID)[C.DATE]
    pairs = pd.DataFrame({
        C.FIRM_ID: picked[C.FIRM_ID].astype(str).to_numpy(),
        C.NODE_ID: picked[C.NODE_ID].astype(str).to_numpy(),
        C.DATE: dates.reindex(picked[C.CAMPAIGN_ID].astype(str)).to_numpy(),
        C.GROUP_ID: np.repeat(np.arange(n_groups), GROUP_SIZE),
    })
    utility = picked[C.TRUE_UTILITY].to_numpy(float)
    noisy = utility + rng.normal(0, world.params.get("noise_sd", 0.7), len(utility))
    pairs[C.LABEL] = np.searchsorted(np.asarray(world.params["thresholds"]), noisy)
    return build_features(pairs, data, weak_links)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--node", default="vacuum_pumps")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many timed runs")
    parser.add_argument("--train-only", action="store_true", help="stop after training")
    parser.add_argument("--max-bin", default=None,
                        help="histogram bins per feature; a comma list trains once per value")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="the ranker's learning rate (its default when not given)")
    args = parser.parse_args(argv)
    names = feature_names()

    start = time.perf_counter()
    chain, region = load_chain(), load_region()
    world = generate_world(n_firms=args.firms, seed=args.seed, chain=chain, region=region)
    data = chain_data_from_world(world, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    say(f"world: {len(data.firms):,} firms, {len(world.truth):,} truth rows "
        f"in {time.perf_counter() - start:.1f} s")

    # 1. training ----------------------------------------------------------------------------
    frame, build_s = timed(training_rows, world, data, weak_links, args.rows, args.seed)
    say(f"training rows: {len(frame):,} pairs in {frame[C.GROUP_ID].nunique():,} groups, "
        f"features built in {build_s:.1f} s")
    held = training_rows(world, data, weak_links, args.rows // 10, args.seed + 1)
    for bins in ([{}] if args.max_bin is None else
                 [{"max_bin": int(b)} for b in args.max_bin.split(",")]):
        rate = {} if args.learning_rate is None else {"learning_rate": args.learning_rate}
        ranker = ChainRanker(n_estimators=args.trees, early_stopping_rounds=None, n_jobs=2,
                             **bins, **rate)
        cpu = time.process_time()
        _, fit_s = timed(ranker.fit, frame[names], frame[C.LABEL], group_id=frame[C.GROUP_ID])
        cpu = time.process_time() - cpu
        ndcg = ndcg_at_k(held[C.LABEL], ranker.predict(held[names]), held[C.GROUP_ID], k=10)
        say(f"training: {ranker.best_iteration_} trees of {ranker.num_leaves} leaves on "
            f"{len(frame):,} rows, 2 threads, learning rate {ranker.learning_rate}, max_bin "
            f"{ranker.get_params().get('max_bin', 255)}: {fit_s:.1f} s wall, {cpu:.1f} s CPU "
            f"(both threads; load average {os.getloadavg()[0]:.1f}); NDCG@10 on "
            f"{held[C.GROUP_ID].nunique():,} fresh groups {ndcg:.4f}")
    del frame, held
    if args.train_only:
        return 0

    # 2. scoring -------------------------------------------------------------------------------
    weakest = weak_links[weak_links["can_recruit"]].sort_values(
        C.WEAK_LINK_SCORE, ascending=False)[C.NODE_ID].tolist()
    live, nodes = [], []
    for node in weakest:
        live.append(serving_frame(data, weak_links, [node]))
        nodes.append(node)
        if sum(len(p) for p in live) >= args.rows:
            break
    pairs = pd.concat(live, ignore_index=True).iloc[:args.rows]
    X, _ = feature_matrix(pairs, ranker.feature_names_)
    say(f"scoring rows: {len(X):,} candidate pairs of {len(nodes)} weak links")
    def prior_part(matrix):
        return ranker.prior_weight * prior_scores(pd.DataFrame(matrix, columns=names))

    base, prior_s = timed(prior_part, X, repeat=args.repeat)
    booster = ranker.booster_
    plain = {}
    for threads in (1, 2):
        trees, seconds = timed(booster.predict, X, num_threads=threads, repeat=args.repeat)
        plain[threads] = (trees, seconds)
    compiled, fast, compile_s = None, {}, None
    with tempfile.TemporaryDirectory() as cache:
        try:
            compiled, compile_s = timed(CompiledRanker, ranker, cache_dir=cache)
        except DependencyError as exc:
            print(f"fast path skipped: {exc}")
        if compiled is not None:
            for threads in (1, 2):
                compiled.n_jobs = threads
                trees, seconds = timed(compiled.predict_trees, X, repeat=args.repeat)
                fast[threads] = (trees, seconds)
            compiled.n_jobs = 2
        exact = plain[1][0] + base
        reference = top_k_positions(exact, args.k)
        print(f"prior part (NumPy): {prior_s:.2f} s for {len(X):,} rows")
        print(f"{'threads':>8} | {'Booster.predict rows/s':>23} | {'lleaves rows/s':>15} | "
              f"{'speed-up':>8} | identical top-{args.k}")
        for threads in (1, 2):
            slow_s = plain[threads][1]
            line = f"{threads:>8} | {len(X) / slow_s:>23,.0f} | "
            if threads in fast:
                fast_scores, fast_s = fast[threads]
                same = np.array_equal(top_k_positions(fast_scores + base, args.k), reference)
                line += (f"{len(X) / fast_s:>15,.0f} | {slow_s / fast_s:>7.1f}x | {same} "
                         f"(max |diff| {np.abs(fast_scores - plain[threads][0]).max():.1e})")
            else:
                line += f"{'–':>15} | {'–':>8} |"
            print(line)
        if compile_s is not None:
            print(f"compiling {booster.num_trees()} trees with lleaves: {compile_s:.1f} s "
                  f"(once per model; cached by sha256 afterwards)")
        say("scoring done")

        # 3. top-k over the universe --------------------------------------------------------
        def plain_top():
            live = serving_frame(data, weak_links, [args.node])
            scores = ranker.predict(live[names])
            return live, top_k_positions(scores, args.k), scores

        def fast_top():
            live = serving_frame(data, weak_links, [args.node])
            positions, scores = compiled.top_k(live[names], args.k)
            return live, positions, scores

        (live, slow_pos, slow_scores), slow_s = timed(plain_top, repeat=args.repeat)
        features_s = timed(serving_frame, data, weak_links, [args.node], repeat=args.repeat)[1]
        print(f"top-{args.k} for {args.node} over {len(data.firms):,} firms "
              f"({len(live):,} candidates; features {features_s:.2f} s):")
        print(f"  ChainRanker.predict + full ranking: {slow_s:.2f} s "
              f"(scoring {slow_s - features_s:.3f} s)")
        if compiled is not None:
            (_, fast_pos, fast_scores), fast_s = timed(fast_top, repeat=args.repeat)
            same = np.array_equal(fast_pos, slow_pos) and np.array_equal(
                fast_scores, slow_scores[slow_pos])
            print(f"  CompiledRanker.top_k:              {fast_s:.2f} s "
                  f"(scoring {fast_s - features_s:.3f} s); identical top-{args.k} with "
                  f"identical scores: {same}")
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
