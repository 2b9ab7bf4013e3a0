"""Commands for park matching: the firms that suit a park, and firms assigned to parks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from recommender import columns as C
from recommender.cli.common import chain_of, echo_json, settings_of, store_of

__all__ = [
    "COMMANDS",
    "assign_command",
    "local_firm_ids",
    "output_options",
    "park_matches_command",
    "records",
    "write_csv",
]


def output_options(func):
    """--json and --csv FILE, shared by the commands that print a table."""
    func = click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
                        help="Write the table to this CSV file (lists as JSON text).")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def local_firm_ids(ctx: click.Context, firms) -> list[str]:
    """Ids of the firms located in the region of the settings (they are supply already)."""
    from recommender.demo.world import load_region
    from recommender.diagnosis.locality import local_mask

    region = load_region(settings_of(ctx).region_dir)
    return firms.loc[local_mask(firms, region), C.FIRM_ID].astype("str").tolist()


def records(frame) -> list[dict]:
    """Rows as JSON-ready dicts (NaN and NA as null)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))


def write_csv(frame, path: str) -> None:
    table = frame.copy()
    for name in table.columns:
        if table[name].dtype == object and table[name].map(
                lambda v: isinstance(v, list | dict)).any():
            table[name] = table[name].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
    table.to_csv(path, index=False, encoding="utf-8")
    click.echo(f"wrote {len(table)} rows to {Path(path)}", err=True)


@click.command("park-matches")
@click.option("--park", "park_id", required=True, help="The park's id (see the parks table).")
@click.option("--k", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many admitted firms to list.")
@click.option("--include-excluded", is_flag=True,
              help="Also list firms that would rank in the top k but exceed the park's offer.")
@click.option("--exclude-local/--include-local", default=True, show_default=True,
              help="Leave out firms already located in the region.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the reasons in the text table.")
@output_options
@click.pass_context
def park_matches_command(ctx: click.Context, park_id: str, k: int, include_excluded: bool,
                         exclude_local: bool, lang: str, as_json: bool,
                         csv_path: str | None) -> None:
    """Rank the firms that suit a park: hard filters on its offer, then synergy, focus fit,
    capacity fit and proximity, with reasons."""
    from recommender.parks.matching import park_matches
    from recommender.parks.park_reasons import EXCLUDED_REASON_EN, EXCLUDED_REASON_ZH
    from recommender.parks.scoring import EXCLUDED

    store = store_of(ctx)
    park = store.park(park_id)
    firms, links = store.firms(), store.firm_nodes()
    exclude = local_firm_ids(ctx, firms) if exclude_local else []
    table = park_matches(park, firms, links, chain_of(ctx), k=k,
                         include_excluded=include_excluded, exclude=exclude)
    if csv_path:
        write_csv(table, csv_path)
    if as_json:
        echo_json({C.PARK_ID: park_id, "matches": records(table)})
        return
    if csv_path:
        return
    click.echo(f"{park[C.PARK_ID]}  {park[C.PARK_NAME_ZH]} / {park[C.PARK_NAME_EN]}: "
               f"{int((~table[EXCLUDED]).sum())} firms")
    reason = C.REASON_ZH if lang == "zh" else C.REASON_EN
    excluded = EXCLUDED_REASON_ZH if lang == "zh" else EXCLUDED_REASON_EN
    for row in table.itertuples(index=False):
        rank = "  -" if row.excluded else f"{row.rank:3d}"
        name = (row.name_zh if lang == "zh" and isinstance(row.name_zh, str) else row.name)
        why = getattr(row, excluded) if row.excluded else getattr(row, reason)
        flag = ("不符合：" if lang == "zh" else "excluded: ") if row.excluded else ""
        click.echo(f"{rank}  {row.score:.3f}  {row.firm_id:<16} {row.country!s:<3} {name}"
                   f"\n       {flag}{why}")


@click.command("assign")
@click.option("--k-per-park", type=click.IntRange(min=1), default=50, show_default=True,
              help="Candidates per park considered by the assignment (optimal over them; "
                   "over all firms once it is at least the parks' total capacity).")
@click.option("--exclude-local/--include-local", default=True, show_default=True,
              help="Leave out firms already located in the region.")
@output_options
@click.pass_context
def assign_command(ctx: click.Context, k_per_park: int, exclude_local: bool, as_json: bool,
                   csv_path: str | None) -> None:
    """Assign firms to parks: each firm at most one park, each park at most max_new_firms,
    the total match score as high as possible (scores: the park-matching prior)."""
    from recommender.parks.assignment import assign_firms_to_parks
    from recommender.parks.matching import matches_for_parks
    from recommender.parks.scoring import EXCLUDED

    store = store_of(ctx)
    parks, firms, links = store.parks(), store.firms(), store.firm_nodes()
    exclude = local_firm_ids(ctx, firms) if exclude_local else []
    table = matches_for_parks(parks, firms, links, chain_of(ctx), k=k_per_park, exclude=exclude)
    result = assign_firms_to_parks(table[~table[EXCLUDED]], parks[[C.PARK_ID, C.MAX_NEW_FIRMS]])
    columns = [C.PARK_ID, C.FIRM_ID, C.SCORE, C.NAME, C.NAME_ZH, C.COUNTRY, C.REASON_ZH,
               C.REASON_EN]
    result = result[[c for c in columns if c in result.columns]]
    if csv_path:
        write_csv(result, csv_path)
    if as_json:
        echo_json({"total": result.attrs["total"], "top_m": result.attrs["top_m"],
                   "open_slots": result.attrs["open_slots"], "assignments": records(result)})
        return
    if csv_path:
        return
    names = dict(zip(parks[C.PARK_ID], parks[C.PARK_NAME_ZH], strict=True))
    capacity = dict(zip(parks[C.PARK_ID], parks[C.MAX_NEW_FIRMS], strict=True))
    for park_id, group in result.groupby(C.PARK_ID, sort=True):
        click.echo(f"{park_id}  {names.get(park_id, '')}: {len(group)}/{capacity[park_id]}")
        for row in group.itertuples(index=False):
            click.echo(f"    {row.score:.3f}  {row.firm_id:<16} {row.country!s:<3} {row.name}")
    click.echo(f"total score {result.attrs['total']:.3f}: {len(result)} firms in "
               f"{result[C.PARK_ID].nunique()} parks")


COMMANDS = [park_matches_command, assign_command]
