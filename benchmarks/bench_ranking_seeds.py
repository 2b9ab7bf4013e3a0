"""Ranking quality over several synthetic worlds: the figures ``chainscout evaluate`` gives.

Usage::

    .venv/bin/python benchmarks/bench_ranking_seeds.py [--seeds 1,2,3,4,5,6] [--firms 20000]
                                                       [--backtest 4] [--json FILE]
                                                       [--trait-bound [--trait-noise SD]]
                                                       [--prior-feature]

For each seed, a world of ``--firms`` synthetic firms (``recommender.demo.generator``), the
weak links diagnosed from it, its training frame split by time (the later 30 % of the
campaigns held out), and every method of ``recommender.ranking.methods`` measured on the
contacted later window and on every candidate of its campaigns (outcomes drawn from the truth), as
``chainscout evaluate`` does on the demo world, with the corrections of the officers' selection
(``recommender.ranking.selection``: pool rows in each group, inverse-propensity weights) side by
side; every candidate also gives the Spearman correlation of score with true utility over the
pool and the one-hop share of the top 10, printed with 95 % intervals over the seeds; with
``--backtest N``, the rolling-origin backtest in N windows too. Prints the margin of LambdaRank
over the prior (NDCG@10, paired bootstrap 95 % interval) per seed, then each table's means over
the seeds.

``--trait-bound`` also measures how far reading the outcome history could take a ranker: each
world's generator gives every firm a hidden trait (``recommender.demo.latent``: true utility
minus observable utility, the same in every campaign), which only a firm's earlier outcomes
reveal. LambdaRank is trained once more with one extra feature, that exact trait for the firms
contacted before the row's date (NaN for the others), and measured like the other methods. No
feature built from outcomes can read the trait better, so the gap between this line and
``lambdarank`` bounds what better engagement features could add. With ``--trait-noise SD``
the ranker gets a noisy read instead, trait + N(0, SD^2) drawn once per firm (its correlation
with the trait is printed): how good a read of the history would have to be to help.

``--prior-feature`` also trains LambdaRank with the prior's score as one more feature (it
still boosts from it): the trees can then split on where a firm stands in the prior, e.g. read
the engagement features differently at the top of the prior than below it. It is measured like
the other methods and shown as ``lambdarank_prior_feature`` in the every-candidate table.

Model choices are made on seeds 1-6 (the default); the demo world (seed 7) is reported with
``chainscout demo build && chainscout evaluate``, never tuned on.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.chain import load_chain
from recommender.demo import latent
from recommender.demo.generator import generate_world
from recommender.demo.world import load_region
from recommender.diagnosis.weak_links import diagnose_weak_links
from recommender.ranking.dataset import chain_data_from_world
from recommender.ranking.evaluation import METRICS, UNIVERSE_METRICS, backtest, evaluate
from recommender.ranking.evaluation_report import json_ready
from recommender.ranking.feature_registry import (
    BEST_PRIOR_STAGE,
    MEAN_PRIOR_STAGE,
    PRIOR_CONTACTS,
)
from recommender.ranking.features import training_frame, truth_frame
from recommender.ranking.methods import (
    LAMBDARANK_ROWS,
    METHODS,
    SELECTION_METHODS,
    default_features,
)
from recommender.ranking.selection import with_pool_rows
from recommender.ranking.splits import BACKTEST_SHARE, group_dates, time_split

TABLES = {"contacted": lambda r: r, "every candidate": lambda r: r["every_candidate"],
          "backtest contacted": lambda r: r.get("backtest"),
          "backtest every candidate": lambda r: (r.get("backtest") or {}).get("every_candidate")}


KNOWN_TRAIT = "known_trait"  # the --trait-bound feature
PRIOR_FEATURE = "prior_score"  # the --prior-feature feature
# the selection variant ``lambdarank`` is (measured once, under its own name)
DEFAULT_ROWS = "_".join([k for k in ("pool", "ipw") if LAMBDARANK_ROWS[k]] or ["contacted"])


def hidden_traits(world, data, chain, region) -> pd.Series:
    """Each candidate firm's hidden trait (true minus observable utility), by firm id.

    Computed on two truth rows per firm where there are two, which must agree (the trait is
    the same in every campaign): a check that the observable utility is recomputed exactly.
    """
    truth = data.truth
    rows = truth.groupby(C.FIRM_ID, sort=False, observed=True).head(2).reset_index(drop=True)
    started = data.campaigns.drop_duplicates(C.CAMPAIGN_ID).set_index(C.CAMPAIGN_ID)[C.DATE]
    pairs = pd.DataFrame({
        C.FIRM_ID: rows[C.FIRM_ID].astype(str).to_numpy(),
        C.NODE_ID: rows[C.NODE_ID].astype(str).to_numpy(),
        C.DATE: started.reindex(rows[C.CAMPAIGN_ID].astype(str)).to_numpy()})
    terms = latent.latent_terms(pairs, firms=data.firms, firm_nodes=data.firm_nodes,
                                 outcomes=data.outcomes, chain=chain, region=region,
                                 need=world.params["weak_link_need"])
    trait = pd.Series(rows[C.TRUE_UTILITY].to_numpy(float)
                      - terms["observable_utility"].to_numpy(float), index=pairs[C.FIRM_ID])
    by_firm = trait.groupby(level=0)
    spread = (by_firm.max() - by_firm.min()).max()
    if not spread < 1e-4:  # float32 inputs round in the sixth digit
        raise SystemExit(f"hidden trait differs between campaigns by {spread:.3g}: the "
                         "observable utility was not recomputed exactly")
    return by_firm.first()


def with_known_trait(frame: pd.DataFrame, trait: pd.Series) -> pd.DataFrame:
    """``frame`` plus the trait of the firms contacted before each row's date (else NaN)."""
    known = trait.reindex(frame[C.FIRM_ID].astype(str)).to_numpy(float)
    return frame.assign(**{KNOWN_TRAIT: np.where(frame[PRIOR_CONTACTS] > 0, known, np.nan)})


def trait_bound(world, data, chain, region, earlier, later, candidates,
                noise: float = 0.0) -> dict:
    """LambdaRank's metrics with the hidden trait of earlier-contacted firms known (exactly, or
    with ``noise``, the SD of a normal error drawn once per firm)."""
    trait = hidden_traits(world, data, chain, region)
    exact = trait
    if noise:
        rng = np.random.default_rng(0)
        trait = trait + rng.normal(0.0, noise, len(trait))
    features = [*default_features(earlier), KNOWN_TRAIT]
    result = evaluate(with_known_trait(earlier, trait), with_known_trait(later, trait), seed=0,
                      methods=["lambdarank"], features=features,
                      candidates=with_known_trait(candidates, trait),
                      outcome_model=data.outcome_model)
    # how well the engagement features read the trait, on the candidates contacted before
    contacted = candidates[candidates[PRIOR_CONTACTS] > 0]
    truth = exact.reindex(contacted[C.FIRM_ID].astype(str)).to_numpy(float)
    return {"contacted": result["metrics"]["lambdarank"],
            "every candidate": result["every_candidate"]["metrics"]["lambdarank"],
            "read_correlation": float(trait.corr(exact)),  # over firms with a known trait
            "feature_correlation": {
                name: float(pd.Series(contacted[name].to_numpy(float)).corr(pd.Series(truth)))
                for name in (BEST_PRIOR_STAGE, MEAN_PRIOR_STAGE)}}


def with_prior_feature(frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """``frame`` plus the prior's score of each row as a feature."""
    from recommender.ranking.prior import prior_scores

    return frame.assign(**{PRIOR_FEATURE: np.asarray(prior_scores(frame[features]), float)})


def prior_feature(results: dict, earlier, later, candidates, outcome_model) -> None:
    """Add LambdaRank with the prior's score as a feature to ``results``' tables."""
    features = default_features(earlier)
    name = "lambdarank_prior_feature"
    extra = evaluate(*(with_prior_feature(f, features) for f in (earlier, later)), seed=0,
                     methods=["lambdarank"], features=[*features, PRIOR_FEATURE],
                     candidates=with_prior_feature(candidates, features),
                     outcome_model=outcome_model)
    results["metrics"][name] = extra["metrics"]["lambdarank"]
    results["every_candidate"]["metrics"][name] = extra["every_candidate"]["metrics"]["lambdarank"]
    results[name] = {k: extra["lambdarank"][k] for k in ("best_iteration", "importance")}


def one_world(seed: int, firms: int, folds: int, bound: bool = False,
              noise: float = 0.0, with_prior: bool = False) -> dict:
    chain, region = load_chain(), load_region()
    world = generate_world(n_firms=firms, seed=seed, chain=chain, region=region)
    data = chain_data_from_world(world, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes)
    frame = with_pool_rows(training_frame(data, weak_links), data, weak_links)
    earlier, later = time_split(frame, test_share=0.3)
    candidates = truth_frame(data, weak_links, later[C.CAMPAIGN_ID].unique())
    results = evaluate(earlier, later, seed=0, candidates=candidates,
                       methods=[*METHODS, *(m for m in SELECTION_METHODS
                                            if m != f"lambdarank_{DEFAULT_ROWS}")],
                       outcome_model=data.outcome_model)
    if with_prior:
        prior_feature(results, earlier, later, candidates, data.outcome_model)
    if bound:
        results["trait_bound"] = trait_bound(world, data, chain, region, earlier, later,
                                             candidates, noise)
    if folds:
        dates = group_dates(frame)
        held = dates.index[len(dates) - math.ceil(BACKTEST_SHARE * len(dates)):]
        campaigns = frame.loc[frame[C.GROUP_ID].isin(set(held)), C.CAMPAIGN_ID].unique()
        results["backtest"] = backtest(frame, folds=folds, seed=0,
                                       candidates=truth_frame(data, weak_links, campaigns),
                                       outcome_model=data.outcome_model)
    return results


def interval(values) -> tuple[float, float, float]:
    """Mean and 95 % interval over seeds (Student's t; the mean alone with one seed)."""
    from scipy import stats

    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if len(v) < 2:
        m = float(v.mean()) if len(v) else float("nan")
        return m, m, m
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def universe_table(results: dict, seeds: str) -> list[str]:
    """Every candidate of the held-out campaigns: NDCG@10, the share of the prior-to-oracle
    headroom captured, Spearman of score with true utility over the pool, one-hop share of the
    top 10; mean and 95 % interval over the seeds."""
    every = [r["every_candidate"]["metrics"] for r in results.values()]
    methods = [m for m in every[0] if all(m in e for e in every)]
    lines = [f"\nevery candidate (point 4), mean [95 % interval] over seeds {seeds}:",
             f"  {'method':<20} {'NDCG@10':>22} {'headroom':>22} {'spearman':>22} "
             f"{'hop-1 share top 10':>22}"]

    def cell(values) -> str:
        m, lo, hi = interval(values)
        return f"{m:7.3f} [{lo:6.3f}, {hi:6.3f}]"

    for method in methods:
        ndcg = [e[method]["ndcg@10"] for e in every]
        headroom = [(e[method]["ndcg@10"] - e["prior"]["ndcg@10"])
                    / (e["oracle"]["ndcg@10"] - e["prior"]["ndcg@10"])
                    if "oracle" in e and "prior" in e else None for e in every]
        lines.append(f"  {method:<20} {cell(ndcg):>22} {cell(headroom):>22} "
                     + " ".join(f"{cell([e[method].get(m) for e in every]):>22}"
                                for m in UNIVERSE_METRICS))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6")
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--backtest", type=int, default=0, help="windows (0: none)")
    parser.add_argument("--trait-bound", action="store_true",
                        help="also train LambdaRank knowing the hidden trait of contacted firms")
    parser.add_argument("--trait-noise", type=float, default=0.0,
                        help="with --trait-bound: SD of the error added to the trait (0: exact)")
    parser.add_argument("--prior-feature", action="store_true",
                        help="also train LambdaRank with the prior's score as a feature")
    parser.add_argument("--json", default=None, help="write every result to this file")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    for seed in seeds:
        results[seed] = one_world(seed, args.firms, args.backtest, args.trait_bound,
                                  args.trait_noise, args.prior_feature)
        margins = []
        for name, pick in TABLES.items():
            table = pick(results[seed])
            if table:
                c = table["comparisons"]["ndcg@10"]["lambdarank - prior"]
                margins.append(f"{name} {c['mean']:+.3f} [{c['ci95'][0]:+.3f}, "
                               f"{c['ci95'][1]:+.3f}]")
        print(f"seed {seed}: lambdarank - prior, NDCG@10: " + "; ".join(margins), flush=True)
        if "trait_bound" in results[seed]:
            bound = results[seed]["trait_bound"]
            print(f"seed {seed}: NDCG@10 with the trait known (read correlation "
                  f"{bound['read_correlation']:.2f}): " + "; ".join(
                      f"{name} {bound[name]['ndcg@10']:.3f}"
                      for name in ("contacted", "every candidate")) + "; trait correlation "
                  "on earlier-contacted candidates: " + ", ".join(
                      f"{name} {r:.2f}" for name, r in bound["feature_correlation"].items()),
                  flush=True)
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
        bound = [r["trait_bound"][name]["ndcg@10"] for r in results.values()
                 if name in r.get("trait_bound", {})]
        if len(bound) == len(tables):
            read = np.mean([r["trait_bound"]["read_correlation"] for r in results.values()])
            print(f"  lambdarank, hidden trait of contacted firms known (read correlation "
                  f"{read:.2f}), NDCG@10: {np.mean(bound):.3f}")
    if all("every_candidate" in r for r in results.values()):
        print("\n".join(universe_table(results, args.seeds)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(json_ready({str(k): v for k, v in results.items()}), handle, indent=1)


if __name__ == "__main__":
    main()
