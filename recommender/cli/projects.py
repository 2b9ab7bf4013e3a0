"""Commands for the recruitment pipeline (招商项目): list, export and import projects; and
where the data came from: record a source and as-of date, list the data older than an age."""

from __future__ import annotations

import click

from recommender import columns as C
from recommender.cli.common import chain_of, echo_json, settings_of, store_of

__all__ = ["COMMANDS", "projects", "projects_export", "projects_import", "projects_list",
           "sources", "sources_record", "sources_stale"]

_STAGES = ("lead", "contacted", "visit", "negotiation", "signed", "registered",
           "construction", "production", "on_hold", "lost")  # pipeline.transitions.STAGES


@click.group()
def projects() -> None:
    """List, export and import recruitment projects (招商项目)."""


@projects.command("list")
@click.option("--stage", "stages", multiple=True, type=click.Choice(_STAGES),
              help="Only projects at this stage (repeat for several).")
@click.option("--owner", default=None, help="Only this owner's projects.")
@click.option("--link", "node_id", default=None, help="Only projects for this weak link.")
@click.option("--park", "park_id", default=None, help="Only projects into this park.")
@click.option("--overdue", is_flag=True, help="Only running projects whose follow-up passed.")
@click.option("--json", "as_json", is_flag=True, help="Print the projects as JSON.")
@click.pass_context
def projects_list(ctx: click.Context, stages: tuple[str, ...], owner: str | None,
                  node_id: str | None, park_id: str | None, overdue: bool,
                  as_json: bool) -> None:
    """List projects by stage (pipeline order), then next follow-up; contacts left out."""
    from recommender.pipeline.projects import without_personal
    from recommender.pipeline.queries import list_projects
    from recommender.pipeline.transitions import stage_label

    with store_of(ctx) as store:
        found = [without_personal(p) for p in list_projects(
            store, stages=list(stages) or None, owner=owner, node_id=node_id,
            park_id=park_id, overdue=overdue)]
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no projects")
        return
    for p in found:
        follow = p["next_follow_up"].isoformat() if p["next_follow_up"] else "-"
        click.echo(f"{p['id']:>5}  {stage_label(p['stage'])}  {p['stage']:<12}  "
                   f"{p[C.FIRM_ID]:<24}  {p[C.NODE_ID]:<22}  {p[C.PARK_ID] or '-':<18}  "
                   f"follow-up {follow}  {p['owner'] or ''}".rstrip())


@projects.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
              help="Header language (default zh).")
@click.option("--with-contacts", is_flag=True,
              help="Include the contacts (personal data: for officers and admins only).")
@click.pass_context
def projects_export(ctx: click.Context, path: str, lang: str, with_contacts: bool) -> None:
    """Write every project to an XLSX file with Chinese (or English) headers."""
    from pathlib import Path

    from recommender.pipeline.project_files import export_frame
    from recommender.pipeline.queries import list_projects
    from recommender.targeting.exports import to_xlsx_bytes

    if not path.lower().endswith(".xlsx"):
        raise click.BadParameter("write an .xlsx file", param_hint="PATH")
    with store_of(ctx) as store:
        found = list_projects(store)
    frame = export_frame(found, lang=lang, personal=with_contacts)
    Path(path).write_bytes(to_xlsx_bytes(frame, lang=lang,
                                         sheet="招商项目" if lang == "zh" else "Projects"))
    click.echo(f"wrote {len(frame)} projects to {path}")


@projects.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "by", required=True, help="Who imports (recorded in each history).")
@click.pass_context
def projects_import(ctx: click.Context, path: str, by: str) -> None:
    """Create the file's projects without a project number; update the others' fields (all
    or none; a new row whose project exists already is skipped)."""
    from recommender.demo.world import load_region
    from recommender.pipeline.project_files import import_projects, read_rows

    rows, problems = read_rows(path)
    region = load_region(settings_of(ctx).region_dir)
    with store_of(ctx) as store:
        counts = import_projects(store, rows, by=by, node_ids=chain_of(ctx).node_ids,
                                 region_id=region.id, problems=problems)
    click.echo(f"created {counts['created']}, updated {counts['updated']} projects; "
               f"skipped {counts['skipped']} that exist already")


@click.group()
def sources() -> None:
    """Where the data came from and as of when (数据来源与时效)."""


@sources.command("record")
@click.argument("table", type=click.Choice(["firms", "region_imports", "export_controls",
                                            "leader_needs"]))
@click.argument("source")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the data was true at its source (YYYY-MM-DD).")
@click.option("--firm", "firm_id", default=None, help="The firm (table firms).")
@click.option("--field", default="*", show_default=True,
              help="One firm column, or * for all of them.")
@click.option("--by", "by", required=True, help="Who records it.")
@click.pass_context
def sources_record(ctx: click.Context, table: str, source: str, as_of, firm_id: str | None,
                   field: str, by: str) -> None:
    """Record where TABLE's data (a firm's, or the region's table) came from: SOURCE."""
    from recommender.demo.world import load_region
    from recommender.pipeline.freshness import record_source

    if table == "firms":
        if firm_id is None:
            raise click.UsageError("name the firm with --firm")
        if field != "*" and field not in C.FIRM_COLUMNS:
            raise click.BadParameter(f"not a firm column: {field}", param_hint="--field")
        subject = firm_id
    else:
        if firm_id is not None:
            raise click.UsageError("--firm is for table firms only")
        subject = load_region(settings_of(ctx).region_dir).id
    with store_of(ctx) as store:
        if table == "firms":
            store.firm(subject)  # NotFoundError for a firm not in the store
        row = record_source(store, table, subject, source, as_of.date(), field=field, by=by)
    click.echo(f"{row['table_name']} {row['subject']} {row['field']}: {row['source']} "
               f"as of {row['as_of'].isoformat()}")


@sources.command("stale")
@click.option("--max-age-days", type=click.IntRange(0, 36_500), default=365, show_default=True,
              help="Older than this many days (or of unknown age) is stale.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.pass_context
def sources_stale(ctx: click.Context, max_age_days: int, as_json: bool) -> None:
    """List the firm data and region tables older than an age, oldest first."""
    from recommender.demo.world import load_region
    from recommender.pipeline.freshness import stale_data

    region = load_region(settings_of(ctx).region_dir)
    with store_of(ctx) as store:
        found = stale_data(store, max_age_days=max_age_days, region_id=region.id)
    if as_json:
        echo_json(found)
        return
    for row in found:
        as_of = row["as_of"].isoformat() if row["as_of"] else "unknown"
        click.echo(f"{row['table_name']:<16} {row['subject']:<28} {row['field']:<12} "
                   f"{as_of:<10} {row['source'] or '-'}")
    click.echo(f"{len(found)} stale (older than {max_age_days} days or undated)")


COMMANDS = [projects, sources]
