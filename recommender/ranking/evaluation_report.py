"""The evaluation report: Markdown for people, strict JSON for machines.

:func:`report_markdown` renders the results of
:func:`~recommender.ranking.evaluation.evaluate` (with the rolling-origin backtest under
``backtest`` and every candidate under ``every_candidate`` when they were run): the windows,
one table row per method (over every candidate also the Spearman correlation of score with
true utility over the pool, the one-hop share of the top 10 and the share of the prior-to-oracle
NDCG@10 headroom each method captures), the paired bootstrap comparisons, LambdaRank's trees and the
calibration of the probabilities pages show (a reliability table and the expected calibration
error of each calibrated method).
:func:`write_report` writes ``evaluation.json`` and ``evaluation.md`` atomically;
:func:`json_ready` turns NaN and infinities into null for strict JSON.

>>> json_ready({"ndcg@10": float("nan"), "folds": [1.5, float("inf")], "models": {}})
{'ndcg@10': None, 'folds': [1.5, None]}
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from recommender import columns as C
from recommender.ranking.evaluation import METRICS, UNIVERSE_METRICS

__all__ = ["json_ready", "report_markdown", "write_report"]


def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.3f}"


def report_markdown(results: Mapping) -> str:
    """Render :func:`evaluate`'s results as a short Markdown report."""
    train, test = results["train"], results["test"]
    lines = [
        "# Ranking evaluation", "",
        f"- earlier window (training): {train['start']} … {train['end']}, "
        f"{train['groups']} groups, {train['rows']} contacts",
        f"- later window (held out): {test['start']} … {test['end']}, "
        f"{test['groups']} groups, {test['rows']} contacts",
        f"- relevant: stage >= {results['relevant']} (MoU or better) for MAP and Recall; "
        f"NDCG gains 2^stage - 1; ties broken pessimistically; groups without a relevant "
        f"contact are left out of each mean", "",
        *_TABLE_HEAD,
    ]
    lines += _metric_rows(results["metrics"], results["groups"])
    for method, reason in results.get("skipped", {}).items():
        lines.append(f"| {method} | " + " | ".join("–" for _ in METRICS) + f" | {reason} |")
    lines += _comparison_lines(results.get("comparisons", {}).get("ndcg@10", {}))
    every = results.get("every_candidate")
    if every:
        model = every["outcome_model"]
        lines += [
            "", "## Every candidate of the held-out campaigns (demo world only)", "",
            f"- {every['rows']} candidates in {every['group_count']} groups: every firm the "
            f"generator considered for each held-out campaign's weak link, contacted or not, "
            f"ranked by the same fitted methods",
            f"- each candidate's outcome drawn {every['draws']} times from its true utility, "
            f"as the generator draws a contact's: the stage is how many of the thresholds "
            f"{', '.join(f'{t:.2f}' for t in model['thresholds'])} lie below utility + "
            f"N(0, {model['noise_sd']:g}²); a group's metric is averaged over the draws", "",
            "- spearman: rank correlation of score with true utility over each group's "
            "whole pool; hop1@10: share of one-hop neighbours in the top 10; headroom: "
            "(NDCG@10 - prior's) / (oracle's - prior's)", "",
            *_UNIVERSE_HEAD,
        ]
        lines += _universe_rows(every["metrics"], every["groups"])
        lines += _comparison_lines(every["comparisons"]["ndcg@10"])
    details = results.get("lambdarank")
    if details:
        top = ", ".join(list(details["importance"])[:5])
        lines += ["", f"LambdaRank: {details['best_iteration']} trees (early stopping on "
                      f"{details['validation']['start']} … {details['validation']['end']}, "
                      f"validation NDCG@10 {_fmt(details['validation_ndcg@10'])}); "
                      f"most used features: {top}."]
    lines += _calibration_lines(results.get("calibration") or {})
    rolling = results.get("backtest")
    if rolling:
        lines += _backtest_lines(rolling)
    return "\n".join(lines) + "\n"


def _calibration_lines(calibration: Mapping) -> list[str]:
    """The reliability table and ECE of each calibrated method (ECE goal <= 0.05)."""
    if not calibration:
        return []
    lines = ["", "## Calibration of p(MoU or better) on the held-out window", "",
             "Each method's probability mapping is fitted on campaigns before the later window "
             "that had settled by then (old enough to have shown their MoUs) and measured on "
             "the later window's settled campaigns (goal: ECE <= 0.05)."]
    for method, found in calibration.items():
        lines += ["", f"**{method}**: ECE {_fmt(found['ece'])}; base rate "
                      f"{_fmt(found[C.BASE_RATE])}, mean predicted "
                      f"{_fmt(found['mean_predicted'])} over {found['rows']} contacts; mapping "
                      f"fitted on {found['fit_on']} ({found['fit_rows']} contacts)", "",
                  "| predicted in | mean predicted | observed rate | contacts |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {b['low']:.1f} – {b['high']:.1f} | {_fmt(b['predicted'])} | "
                  f"{_fmt(b['observed'])} | {int(b['count'])} |" for b in found["bins"]]
    return lines


def _backtest_lines(rolling: Mapping) -> list[str]:
    test = rolling["test"]
    trees = ", ".join(str(w["lambdarank_trees"]) for w in rolling["folds"]
                      if w["lambdarank_trees"] is not None)
    head = ["| method | " + " | ".join(METRICS) + " | groups (NDCG / MAP, Recall) |",
            "|---|" + "---:|" * len(METRICS) + "---:|"]
    lines = [
        "", "## Rolling-origin backtest", "",
        f"- the latest {rolling['test_share']:.0%} of the groups ({test['start']} … "
        f"{test['end']}, {test['groups']} groups, {test['rows']} contacts) in "
        f"{len(rolling['folds'])} consecutive windows, each held out in turn with every method "
        f"fitted on all groups before it; held-out groups pooled"
        + (f"; LambdaRank trees per window: {trees}" if trees else ""), "",
        *head, *_metric_rows(rolling["metrics"], rolling["groups"]),
    ]
    lines += _comparison_lines(rolling["comparisons"]["ndcg@10"])
    every = rolling.get("every_candidate")
    if every:
        lines += ["", f"Every candidate of those campaigns ({every['rows']} candidates, "
                      f"{every['group_count']} groups, {every['draws']} outcome draws):", "",
                  *head, *_metric_rows(every["metrics"], every["groups"])]
        lines += _comparison_lines(every["comparisons"]["ndcg@10"])
    return lines


_TABLE_HEAD = ("| method | " + " | ".join(METRICS) + " | groups (NDCG / MAP, Recall) |",
               "|---|" + "---:|" * len(METRICS) + "---:|")


_UNIVERSE_HEAD = ("| method | " + " | ".join([*METRICS, *UNIVERSE_METRICS, "headroom"])
                  + " | groups (NDCG / MAP, Recall) |",
                  "|---|" + "---:|" * (len(METRICS) + len(UNIVERSE_METRICS) + 1) + "---:|")


def _universe_rows(metrics: Mapping, groups: Mapping) -> list[str]:
    """Rows over every candidate: the contacted table's metrics, then the universe's."""
    prior = metrics.get("prior", {}).get("ndcg@10")
    oracle = metrics.get("oracle", {}).get("ndcg@10")
    rows = []
    for method, values in metrics.items():
        headroom = None
        if prior is not None and oracle is not None and oracle > prior:
            headroom = (values["ndcg@10"] - prior) / (oracle - prior)
        rows.append(f"| {method} | " + " | ".join(
            _fmt(values.get(m)) for m in (*METRICS, *UNIVERSE_METRICS)) + f" | {_fmt(headroom)}"
            f" | {groups[method]['groups_ndcg']} / {groups[method]['groups_relevant']} |")
    return rows


def _metric_rows(metrics: Mapping, groups: Mapping) -> list[str]:
    return [f"| {method} | " + " | ".join(_fmt(values[m]) for m in METRICS)
            + f" | {groups[method]['groups_ndcg']} / {groups[method]['groups_relevant']} |"
            for method, values in metrics.items()]


def _comparison_lines(comparisons: Mapping) -> list[str]:
    if not comparisons:
        return []
    lines = ["", "Per-group NDCG@10 differences (paired bootstrap over held-out groups):", ""]
    for name, c in comparisons.items():
        if c["mean"] is None:
            continue
        lines.append(f"- {name}: {c['mean']:+.3f} (95 % CI {c['ci95'][0]:+.3f} … "
                     f"{c['ci95'][1]:+.3f}; better in {c['wins']}, worse in {c['losses']} "
                     f"of {c['groups']} groups)")
    return lines


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_report(results: Mapping, out_dir) -> dict[str, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` under ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plain = json_ready(results)
    paths = {"json": out / "evaluation.json", "markdown": out / "evaluation.md"}
    _write_text(paths["json"], json.dumps(plain, indent=2, ensure_ascii=False, default=_jsonable,
                                          allow_nan=False) + "\n")
    _write_text(paths["markdown"], report_markdown(results))
    return paths


def json_ready(value):
    """Return ``value`` with NaN and infinities as None (recursively), for strict JSON.

    The fitted models that ``evaluate(..., return_models=True)`` adds (key ``models``) are left
    out.
    """
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items() if k != "models"}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return str(value)
