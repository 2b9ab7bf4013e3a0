"""Commands for the weak-link diagnosis of the region's chain."""

from __future__ import annotations

import json
import unicodedata

import click

from recommender import columns as C
from recommender.cli.common import chain_of, echo_json, settings_of, store_of

__all__ = ["COMMANDS", "weak_links", "weak_links_snapshot"]

# table columns: header, row key, width, format
_COMPONENTS = (("gap", C.LOCAL_GAP), (C.DEMAND, C.DEMAND), ("import", C.IMPORT_DEPENDENCE),
               ("HHI", C.CONCENTRATION), ("control", C.EXPORT_CONTROL),
               ("critical", C.CRITICALITY))
_INPUT_ABBREVIATIONS = (("has_imports", "imports"), ("has_leader_needs", "leaders"),
                        ("has_export_controls", "controls"), ("has_local_firms", "local"))


@click.group("weak-links", invoke_without_command=True)
@click.option("--restrict", default="", metavar="CODES",
              help="What-if: these origins (ISO2 codes or names, comma-separated, e.g. US,NL) "
                   "control every node's technology.")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="Show only the N weakest recruitable nodes (default: every node).")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Write the table to this CSV file (UTF-8 with BOM, for Excel).")
@click.pass_context
def weak_links(ctx: click.Context, restrict: str, top: int | None, as_json: bool,
               csv_path: str | None) -> None:
    """Diagnose the chain's weak links (薄弱环节) in the region: score and parts per node.

    ``weak-links snapshot`` keeps today's diagnosis, to watch the chain over time.
    """
    if ctx.invoked_subcommand is not None:
        return
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links, explain_weak_link

    if as_json and csv_path:
        raise click.UsageError("choose one of --json and --csv")
    origins = _parse_origins(restrict)
    settings = settings_of(ctx)
    chain = chain_of(ctx)
    region = load_region(settings.region_dir)
    if region.chain_id != chain.id:
        raise click.UsageError(f"region {region.id!r} describes chain {region.chain_id!r}, "
                               f"not {chain.id!r}; pass the matching --chain")
    store = store_of(ctx)
    firms, firm_nodes = store.firms(), store.firm_nodes()
    table = diagnose_weak_links(chain, region, firms, firm_nodes, settings=settings,
                                restrict=origins)
    n_nodes = len(table)
    if top is not None:
        table = table[table["rank"].le(top).fillna(False).astype(bool)].reset_index(drop=True)
    explanations = [explain_weak_link(row) for row in table.to_dict("records")]

    if csv_path:
        out = table.assign(missing_inputs=table["missing_inputs"].map(";".join),
                           reason_zh=[e["zh"] for e in explanations],
                           reason_en=[e["en"] for e in explanations])
        out.to_csv(csv_path, index=False, encoding="utf-8-sig")
        click.echo(f"wrote {len(out)} nodes to {csv_path}")
        return
    if as_json:
        nodes = json.loads(table.to_json(orient="records", force_ascii=False))
        for node, reason in zip(nodes, explanations, strict=True):
            node["reason"] = reason
        echo_json({"region": region.id, "chain": chain.id, "firms": len(firms),
                   "radius_km": table.attrs["radius_km"], "weights": table.attrs["weights"],
                   "restrict": origins, "import_years": table.attrs["import_years"],
                   "nodes": nodes})
        return
    click.echo(_render(table, region, chain, len(firms), origins, n_nodes))


@weak_links.command("snapshot")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the snapshot describes (default: today, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.pass_context
def weak_links_snapshot(ctx: click.Context, on, as_json: bool) -> None:
    """Keep the diagnosis of today (or --on) in the store, and say what changed since the
    first snapshot (run it each night, or on demand)."""
    from recommender.demo.world import load_region
    from recommender.pipeline.health import link_changes, take_snapshot

    settings = settings_of(ctx)
    chain = chain_of(ctx)
    region = load_region(settings.region_dir)
    day = on.date() if on is not None else None
    with store_of(ctx) as store:
        table = take_snapshot(store, chain, region, settings=settings, on=day)
        changes = link_changes(store, region_id=region.id, chain_id=chain.id, end=day)
    if as_json:
        echo_json({"region": region.id, "chain": chain.id, "nodes": len(table),
                   "changes": changes})
        return
    click.echo(f"kept the weak links of {len(table)} nodes ({region.id}, {chain.id})")
    for change in changes:
        if abs(change["change"]) > 0:
            click.echo(f"  {change[C.NODE_ID]:<24} {change['score_before']:.3f} -> "
                       f"{change['score_after']:.3f}  {'; '.join(change['why']['en'])}")


def _parse_origins(text: str) -> list[str]:
    from recommender.firms.countries import normalise_country

    origins = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code = normalise_country(part)
        if code is None:
            raise click.BadParameter(f"unknown country {part!r}", param_hint="--restrict")
        if code not in origins:
            origins.append(code)
    return origins


def _render(table, region, chain, n_firms: int, origins: list[str], n_nodes: int) -> str:
    import pandas as pd

    weights = table.attrs["weights"]
    lines = [
        f"Weak links of {chain.name_en} in {region.name_en} ({region.name_zh}): "
        f"{len(table)} of {n_nodes} nodes shown, {n_firms:,} firms in the store, "
        f"radius {table.attrs['radius_km']:g} km",
        "weights: " + ", ".join(f"{head} {weights[key]:.2f}" for head, key in _COMPONENTS),
    ]
    if origins:
        lines.append(f"what-if: {', '.join(origins)} control every node's technology (1.0)")
    if n_firms == 0:
        lines.append("the store holds no firms: local supply is missing everywhere "
                     "(chainscout demo build, or chainscout ingest firms)")
    lines.append("")
    header = ["rank", "node", "", "score", *(h for h, _ in _COMPONENTS), "local", "missing"]
    widths = [4, 16, 34, 5, *(max(len(h), 5) for h, _ in _COMPONENTS), 5, 0]
    lines.append(_row(header, widths))
    lines.append(_row(["-" * w if w else "-------" for w in widths], widths))
    for row in table.to_dict("records"):
        rank = "" if pd.isna(row["rank"]) else str(int(row["rank"]))
        name_en = row[C.NODE_NAME_EN]
        name_en = name_en if len(name_en) <= 34 else name_en[:33] + "…"
        missing = [abbr for flag, abbr in _INPUT_ABBREVIATIONS if not row[flag]]
        cells = [rank or "-", row[C.NODE_NAME_ZH], name_en, f"{row[C.WEAK_LINK_SCORE]:.3f}",
                 *(f"{row[key]:.2f}" for _, key in _COMPONENTS), str(row[C.LOCAL_FIRMS]),
                 ",".join(missing)]
        lines.append(_row(cells, widths))
    lines += ["", "rank: weakest recruitable node first; '-' marks downstream demand sectors, "
              "which are not recruited for.",
              "missing: inputs the region lacks for the node (imports, leaders' needs, export "
              "controls, local firms); they count as 0."]
    return "\n".join(lines)


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _pad(text: str, width: int) -> str:
    """Pad to a display width, counting East Asian wide characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 0)


COMMANDS = [weak_links]
